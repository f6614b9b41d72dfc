#!/usr/bin/env bats
# The state root given with --root is created with its parents (0700), as
# runc does: containerd's shim passes /run/containerd/runc/<namespace>
# before anything made it.

load helpers

setup() { setup_bundle; }
teardown() { teardown_bundle; }

@test "--root with missing parents is created, private to root" {
	local root=$TEST_TMPDIR/a/b/c/state id
	id=$(new_id)
	set_args true
	run "$ENVRUN" --root "$root" run --bundle "$BUNDLE" "$id"
	[ "$status" -eq 0 ]
	[ -d "$root" ]
	[ "$(stat -c %a "$TEST_TMPDIR/a/b")" = 700 ]
	[ "$(stat -c %a "$root")" = 700 ]
	run "$ENVRUN" --root "$root" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

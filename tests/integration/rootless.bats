#!/usr/bin/env bats
# Rootless: an unprivileged user runs containers through a user namespace
# with the config `spec --rootless` writes, keeping its state under
# $XDG_RUNTIME_DIR.  The user is a bare uid (no passwd entry needed), run
# with setpriv.  Machines that cannot create user namespaces (chrooted
# sandboxes) skip, saying so.

load helpers

ROOTLESS_UID=23456

setup() {
	setup_bundle
	requires_cmd setpriv
	setpriv --reuid=$ROOTLESS_UID --regid=$ROOTLESS_UID --clear-groups \
		unshare -Ur true 2>/dev/null ||
		skip "this machine cannot create user namespaces for an unprivileged user"
	XDG=$TEST_TMPDIR/xdg
	mkdir -p "$XDG"
	rm -f "$BUNDLE/config.json"
	chown -R $ROOTLESS_UID:$ROOTLESS_UID "$BUNDLE" "$XDG"
	as_user "$ENVRUN" spec --rootless
	update_config '.process.terminal = false'
	chown $ROOTLESS_UID "$BUNDLE/config.json"
}

teardown() {
	as_user "$ENVRUN" delete --force rl-1 >/dev/null 2>&1 || true
	teardown_bundle
}

as_user() {
	(cd "$BUNDLE" && setpriv --reuid=$ROOTLESS_UID --regid=$ROOTLESS_UID \
		--clear-groups env -i PATH="$PATH" XDG_RUNTIME_DIR="$XDG" "$@")
}

@test "spec --rootless maps the caller's uid to root in a user namespace" {
	run jq -r '.linux.uidMappings[0].hostID, ([.linux.namespaces[].type] | index("user") != null)' "$BUNDLE/config.json"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$ROOTLESS_UID" ]
	[ "${lines[1]}" = true ]
}

@test "an unprivileged user runs a container and is root inside" {
	update_config '.process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map"]'
	run as_user "$ENVRUN" run rl-1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^[[:space:]]*0[[:space:]]+$ROOTLESS_UID[[:space:]]+1 ]]
}

@test "rootless state lives under XDG_RUNTIME_DIR and delete removes it" {
	update_config '.process.args = ["sleep", "30"]'
	run as_user "$ENVRUN" run -d rl-1
	[ "$status" -eq 0 ]
	[ -d "$XDG/envrun/rl-1" ]
	run as_user "$ENVRUN" state rl-1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = running ]
	run as_user "$ENVRUN" delete --force rl-1
	[ "$status" -eq 0 ]
	[ ! -e "$XDG/envrun/rl-1" ]
}

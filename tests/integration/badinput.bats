#!/usr/bin/env bats
# Bad input: every malformed config.json or argument gives a non-zero exit
# and (envrun) one line naming the file and the field, and leaves no state
# directory, mount, cgroup or process.

load helpers

setup() {
	setup_bundle
	set_cgroups_path bad
	set_args true
}
teardown() { teardown_bundle; }

# create_fails [FIELD...] — create must fail, say so on one line naming
# config.json and each FIELD (envrun), and leave nothing behind.
create_fails() {
	local id f
	id=$(new_id bad)
	# stdio to files: a create that wrongly succeeds must not leave a
	# container holding a pipe of bats.
	status=0
	envrun_cmd create --bundle "$BUNDLE" "$id" </dev/null \
		>"$TEST_TMPDIR/cf.out" 2>"$TEST_TMPDIR/cf.err" || status=$?
	stderr=$(cat "$TEST_TMPDIR/cf.err")
	mapfile -t stderr_lines <"$TEST_TMPDIR/cf.err"
	echo "# create $id: status $status: $stderr" >&2
	[ "$status" -ne 0 ] || { fail "create succeeded"; return 1; }
	if ! is_runc; then
		[ "${#stderr_lines[@]}" -ge 1 ]
		[[ "${stderr_lines[0]}" == envrun:* ]] || { fail "message not prefixed envrun:"; return 1; }
		for f in config.json "$@"; do
			[[ "$stderr" == *"$f"* ]] || { fail "message does not name $f"; return 1; }
		done
	fi
	envrun state "$id"
	[ "$status" -ne 0 ]
	assert_nothing_left
}

@test "a truncated config.json" {
	head -c 200 "$BUNDLE/config.json" >"$TEST_TMPDIR/t" && mv "$TEST_TMPDIR/t" "$BUNDLE/config.json"
	create_fails
}

@test "an empty config.json, and none at all" {
	: >"$BUNDLE/config.json"
	create_fails
	rm "$BUNDLE/config.json"
	id=$(new_id)
	envrun create --bundle "$BUNDLE" "$id" </dev/null
	[ "$status" -ne 0 ]
	assert_nothing_left
}

@test "process.args of the wrong type" {
	update_config '.process.args = "true"'
	create_fails .process.args
}

@test "empty process.args" {
	update_config '.process.args = []'
	create_fails .process.args
}

@test "a uid of the wrong type" {
	update_config '.process.user.uid = "0"'
	create_fails .process.user.uid
}

@test "a negative mapping size" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": -1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1}]'
	create_fails .linux.uidMappings
}

@test "an unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	create_fails .linux.namespaces
}

@test "a namespace listed twice" {
	update_config '.linux.namespaces += [{"type": "pid"}]'
	create_fails .linux.namespaces
}

@test "overlapping uid mappings" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000},
			{"containerID": 500, "hostID": 200000, "size": 10}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	create_fails .linux.uidMappings
}

@test "a relative mount destination" {
	# config.md: destination MUST be absolute (runc 1.1 accepts it).
	requires_envrun
	update_config '.mounts += [{"destination": "mnt/rel", "type": "tmpfs", "source": "tmpfs"}]'
	create_fails .mounts
}

@test "a relative cwd" {
	update_config '.process.cwd = "tmp"'
	create_fails .process.cwd
}

@test "a 10 MB args array" {
	python3 - "$BUNDLE/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["true"] + ["x" * 99] * 100000
json.dump(c, open(p, "w"))
EOF
	[ "$(stat -c %s "$BUNDLE/config.json")" -gt 10000000 ]
	id=$(new_id)
	envrun run --bundle "$BUNDLE" "$id" </dev/null
	[ "$status" -ne 0 ]
	is_runc || [ "${#stderr_lines[@]}" -le 2 ]
	assert_nothing_left
}

@test "a missing rootfs" {
	update_config '.root.path = "no-such-rootfs"'
	create_fails no-such-rootfs
}

@test "an unknown rlimit and a duplicated rlimit" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	create_fails .process.rlimits
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100},
		{"type": "RLIMIT_NOFILE", "soft": 200, "hard": 200}]'
	requires_envrun
	create_fails .process.rlimits
}

@test "a hook with a relative path" {
	update_config '.hooks.createRuntime = [{"path": "relative/hook"}]'
	create_fails .hooks
}

@test "a device of an unknown type" {
	update_config '.linux.devices = [{"path": "/dev/x", "type": "x", "major": 1, "minor": 3}]'
	create_fails .linux.devices
}

@test "ids with a slash or dot-dot are refused and create nothing" {
	for bad in "../escape-$ENVRUN_TEST_MARK" "a/b" ".." "." ""; do
		rc=0
		envrun_cmd create --bundle "$BUNDLE" "$bad" </dev/null >/dev/null 2>&1 || rc=$?
		[ "$rc" -ne 0 ]
	done
	[ ! -e "$TEST_TMPDIR/escape-$ENVRUN_TEST_MARK" ]
	[ ! -e "$(dirname "$TEST_TMPDIR")/escape-$ENVRUN_TEST_MARK" ]
	assert_nothing_left
}

@test "a missing container id is an error" {
	for verb in create start state delete kill; do
		envrun "$verb"
		[ "$status" -ne 0 ]
	done
}

@test "unknown command and unknown option fail with exit 1" {
	envrun no-such-command
	[ "$status" -ne 0 ]
	envrun list --no-such-option
	[ "$status" -ne 0 ]
	if ! is_runc; then
		envrun state "$(new_id nosuch)"
		[ "$status" -eq 1 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "${stderr_lines[0]}" == envrun:* ]]
	fi
}

#!/usr/bin/env bats
# The command line orchestrators parse: --version, features, spec and
# spec --rootless (runc's defaults), --root, --log with --log-format json.

load helpers

setup() { setup_bundle; }
teardown() { teardown_bundle; }

@test "--version is in runc's format" {
	envrun --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^(envrun|runc)\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	printf '%s\n' "${lines[@]}" | grep -E '^spec: [0-9]+\.[0-9]+\.[0-9]+'
	printf '%s\n' "${lines[@]}" | grep -E '^commit: '
	envrun -v
	[ "$status" -eq 0 ]
}

@test "features prints valid OCI features JSON" {
	envrun features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '
		(.ociVersionMin | test("^1\\.")) and (.ociVersionMax | test("^1\\."))
		and (.hooks | index("createRuntime") and index("poststop") and index("startContainer"))
		and (.mountOptions | index("ro") and index("bind") and index("nosuid"))
		and (.linux.namespaces | index("pid") and index("network") and index("mount")
			and index("ipc") and index("uts") and index("user") and index("cgroup"))
		and (.linux.capabilities | index("CAP_SYS_ADMIN"))'
}

@test "spec writes runc's defaults" {
	mkdir "$TEST_TMPDIR/ours" "$TEST_TMPDIR/runc"
	(cd "$TEST_TMPDIR/ours" && envrun_exec spec)
	(cd "$TEST_TMPDIR/runc" && runc spec)
	validate_json config-schema.json "$TEST_TMPDIR/ours/config.json"
	for f in .process .root .hostname .mounts .linux.namespaces .linux.maskedPaths \
		.linux.readonlyPaths .linux.resources; do
		a=$(jq -S "$f" "$TEST_TMPDIR/ours/config.json")
		b=$(jq -S "$f" "$TEST_TMPDIR/runc/config.json")
		[ "$a" = "$b" ] || { echo "$f differs: $a vs $b"; is_runc || [ "$f" = .hostname ] || false; }
	done
}

@test "spec --bundle writes there and refuses to overwrite" {
	mkdir "$TEST_TMPDIR/b2"
	envrun spec --bundle "$TEST_TMPDIR/b2"
	[ "$status" -eq 0 ]
	[ -s "$TEST_TMPDIR/b2/config.json" ]
	before=$(sha256sum <"$TEST_TMPDIR/b2/config.json")
	envrun spec -b "$TEST_TMPDIR/b2"
	[ "$status" -ne 0 ]
	[ "$(sha256sum <"$TEST_TMPDIR/b2/config.json")" = "$before" ]
}

@test "spec --rootless writes runc's rootless defaults" {
	mkdir "$TEST_TMPDIR/ours" "$TEST_TMPDIR/runc"
	(cd "$TEST_TMPDIR/ours" && envrun_exec spec --rootless)
	(cd "$TEST_TMPDIR/runc" && runc spec --rootless)
	validate_json config-schema.json "$TEST_TMPDIR/ours/config.json"
	for f in .mounts .linux.namespaces .linux.uidMappings .linux.gidMappings \
		.linux.maskedPaths .linux.readonlyPaths .process.capabilities; do
		a=$(jq -S "$f" "$TEST_TMPDIR/ours/config.json")
		b=$(jq -S "$f" "$TEST_TMPDIR/runc/config.json")
		[ "$a" = "$b" ] || { echo "$f differs: $a vs $b"; false; }
	done
	jq -e '.linux.namespaces | map(.type) | index("user")' "$TEST_TMPDIR/ours/config.json"
}

@test "--root holds the state of the containers" {
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	[ -d "$ENVRUN_ROOT/$id" ]
	other=$TEST_TMPDIR/other-root
	mkdir -p "$other"
	run --separate-stderr envrun_exec --root "$other" state "$id"
	[ "$status" -ne 0 ]
}

@test "--log with --log-format json records errors as JSON lines" {
	log=$TEST_TMPDIR/log.json
	run --separate-stderr envrun_exec --root "$ENVRUN_ROOT" --log "$log" --log-format json \
		state "$(new_id nosuch)"
	[ "$status" -ne 0 ]
	[ -s "$log" ]
	grep '"level":"error"' "$log" | tail -n1 | jq -e '.level == "error" and (.msg | length > 0) and (.time | length > 0)'
}

@test "--debug is accepted" {
	envrun --debug list
	[ "$status" -eq 0 ]
}

@test "--help lists the commands" {
	envrun --help
	[ "$status" -eq 0 ]
	for c in create start run state kill delete list spec features; do
		echo "$output" | grep -q -w "$c"
	done
}

@test "--systemd-cgroup is refused with a clear message" {
	run --separate-stderr envrun_exec --root "$ENVRUN_ROOT" --systemd-cgroup list
	[ "$status" -ne 0 ]
	[[ "$stderr" == *systemd-cgroup*"not supported"* ]]
}

@test "runc's --criu and --rootless global flags are accepted, as runc does" {
	run --separate-stderr envrun_exec --root "$ENVRUN_ROOT" --criu /usr/sbin/criu --rootless false list -q
	[ "$status" -eq 0 ]
}

@test "an unknown command fails with one line naming it" {
	run --separate-stderr envrun_exec --root "$ENVRUN_ROOT" frobnicate
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "envrun: "*frobnicate* ]]
}

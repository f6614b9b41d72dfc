#!/usr/bin/env bats
# The OCI lifecycle (runtime.md): create → start → stopped → delete, state in
# every status validated against the spec's state schema, and the MUSTs of
# each operation on a container in the wrong state.

load helpers

setup() { setup_bundle; }
teardown() { teardown_bundle; }

# A container whose program marks in the rootfs that it started, then
# sleeps until killed.
marking_sleeper() {
	update_config '.root.readonly = false'
	set_args sh -c 'echo started > /started; exec sleep 1000'
}

@test "create leaves the process set up but not running the user program until start" {
	marking_sleeper
	id=$(new_id)
	create_ctr "$id"
	[ "$(container_status "$id")" = created ]
	pid=$(container_pid "$id")
	[ -n "$pid" ] && [ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	# The program has not run: nothing written yet.
	[ ! -e "$ROOTFS/started" ]
	# It is already in its own namespaces.
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] ||
		[ "$(readlink "/proc/$pid/ns/pid_for_children")" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(readlink "/proc/$pid/ns/uts")" != "$(readlink /proc/self/ns/uts)" ]

	envrun start "$id"
	[ "$status" -eq 0 ]
	wait_for_file "$ROOTFS/started"
	wait_for_status "$id" running
	# start runs the program in the process create made.
	[ "$(container_pid "$id")" = "$pid" ]
}

@test "state is valid against the state schema when created, running and stopped" {
	set_args sh -c 'read x; exit 0'
	update_config '.annotations = {"org.example.key": "value", "empty": ""}'
	id=$(new_id)
	create_ctr "$id"
	envrun state "$id"
	[ "$status" -eq 0 ]
	echo "$output" | validate_json state-schema.json -
	echo "$output" | jq -e --arg id "$id" --arg b "$BUNDLE" '
		.id == $id and .status == "created" and .bundle == $b and .pid > 0
		and .annotations["org.example.key"] == "value"
		and .annotations["empty"] == ""
		and (.ociVersion | test("^1\\."))'

	envrun start "$id"
	[ "$status" -eq 0 ]
	# stdin is /dev/null: read hits EOF and the program exits.
	wait_for_status "$id" stopped
	envrun state "$id"
	[ "$status" -eq 0 ]
	echo "$output" | validate_json state-schema.json -
	echo "$output" | jq -e --arg id "$id" '.id == $id and .status == "stopped"'
}

@test "state reports running while the program runs" {
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	[ "$status" -eq 0 ]
	wait_for_status "$id" running
	envrun state "$id"
	echo "$output" | validate_json state-schema.json -
	echo "$output" | jq -e '.status == "running" and .pid > 0'
}

@test "the bundle path in state is absolute even when given relative" {
	set_args sleep 1000
	id=$(new_id)
	(cd "$TEST_TMPDIR" && envrun_exec --root "$ENVRUN_ROOT" create --bundle bundle "$id" \
		</dev/null >/dev/null 2>"$TEST_TMPDIR/err") || { cat "$TEST_TMPDIR/err"; false; }
	envrun state "$id"
	echo "$output" | jq -e --arg b "$BUNDLE" '.bundle == $b'
}

@test "create uses the current directory as the bundle by default" {
	set_args sleep 1000
	id=$(new_id)
	(cd "$BUNDLE" && envrun_exec --root "$ENVRUN_ROOT" create "$id" \
		</dev/null >/dev/null 2>"$TEST_TMPDIR/err") || { cat "$TEST_TMPDIR/err"; false; }
	envrun state "$id"
	echo "$output" | jq -e --arg b "$BUNDLE" '.bundle == $b and .status == "created"'
}

@test "a container whose program exits is stopped" {
	set_args true
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	[ "$status" -eq 0 ]
	wait_for_status "$id" stopped
	envrun list --format json
	echo "$output" | jq -e --arg id "$id" 'map(select(.id == $id))[0].status == "stopped"'
}

@test "create with an id already in use fails and leaves the first container alone" {
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	pid=$(container_pid "$id")
	envrun create --bundle "$BUNDLE" "$id" </dev/null
	[ "$status" -ne 0 ]
	[ "$(container_status "$id")" = created ]
	[ "$(container_pid "$id")" = "$pid" ]
	envrun list -q
	[ "$(echo "$output" | grep -c -x -F "$id")" -eq 1 ]
}

@test "start of a running container fails and has no effect" {
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	[ "$status" -eq 0 ]
	wait_for_status "$id" running
	pid=$(container_pid "$id")
	envrun start "$id"
	[ "$status" -ne 0 ]
	[ "$(container_status "$id")" = running ]
	[ "$(container_pid "$id")" = "$pid" ]
}

@test "start of a stopped container fails" {
	set_args true
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	wait_for_status "$id" stopped
	envrun start "$id"
	[ "$status" -ne 0 ]
	[ "$(container_status "$id")" = stopped ]
}

@test "start, state, kill and delete of an unknown container fail" {
	id=$(new_id nosuch)
	for verb in start state delete; do
		envrun "$verb" "$id"
		[ "$status" -ne 0 ]
	done
	envrun kill "$id" KILL
	[ "$status" -ne 0 ]
}

@test "config.json changes after create do not affect the container" {
	update_config '.root.readonly = false'
	set_args sh -c 'echo original > /which'
	id=$(new_id)
	create_ctr "$id"
	set_args sh -c 'echo changed > /which'
	update_config '.hostname = "changed-after-create"'
	envrun start "$id"
	[ "$status" -eq 0 ]
	wait_for_status "$id" stopped
	[ "$(cat "$ROOTFS/which")" = original ]
}

@test "kill of a stopped container fails" {
	set_args true
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	wait_for_status "$id" stopped
	envrun kill "$id" KILL
	[ "$status" -ne 0 ]
	[ "$(container_status "$id")" = stopped ]
}

@test "kill of a created container stops it" {
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	pid=$(container_pid "$id")
	envrun kill "$id" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$id" stopped
	envrun delete "$id"
	[ "$status" -eq 0 ]
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	assert_nothing_left
}

@test "delete of a stopped container removes it and its state" {
	set_args true
	set_cgroups_path del-stopped
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	wait_for_status "$id" stopped
	envrun delete "$id"
	[ "$status" -eq 0 ]
	envrun state "$id"
	[ "$status" -ne 0 ]
	envrun list -q
	! echo "$output" | grep -q -x -F "$id"
	assert_nothing_left
}

@test "delete without --force of a running container fails and leaves it running" {
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	wait_for_status "$id" running
	pid=$(container_pid "$id")
	envrun delete "$id"
	[ "$status" -ne 0 ]
	[ "$(container_status "$id")" = running ]
	[ -d "/proc/$pid" ]
}

@test "delete without --force of a created container fails and leaves it created" {
	# runtime.md: deleting a container that is not stopped MUST have no
	# effect and MUST generate an error (runc deletes it instead).
	requires_envrun
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	envrun delete "$id"
	[ "$status" -ne 0 ]
	[ "$(container_status "$id")" = created ]
}

delete_force_in() {
	local want=$1 id pid
	set_args sleep 1000
	[ "$want" = stopped ] && set_args true
	set_cgroups_path "force-$want"
	id=$(new_id)
	create_ctr "$id"
	pid=$(container_pid "$id")
	if [ "$want" != created ]; then
		envrun start "$id"
		[ "$status" -eq 0 ]
	fi
	wait_for_status "$id" "$want"
	envrun delete --force "$id"
	[ "$status" -eq 0 ]
	envrun state "$id"
	[ "$status" -ne 0 ]
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	assert_nothing_left
}

@test "delete --force of a created container kills and removes it" {
	delete_force_in created
}

@test "delete --force of a running container kills and removes it" {
	delete_force_in running
}

@test "delete --force of a stopped container removes it" {
	delete_force_in stopped
}

@test "delete -f is --force" {
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	wait_for_status "$id" running
	envrun delete -f "$id"
	[ "$status" -eq 0 ]
	envrun state "$id"
	[ "$status" -ne 0 ]
}

@test "run -d leaves a running container; run --keep keeps a stopped one" {
	set_args sleep 1000
	id=$(new_id)
	run_detached "$id"
	[ "$(container_status "$id")" = running ]

	set_args true
	id2=$(new_id)
	envrun run --keep --bundle "$BUNDLE" "$id2" </dev/null
	[ "$status" -eq 0 ]
	[ "$(container_status "$id2")" = stopped ]
	envrun delete "$id2"
	[ "$status" -eq 0 ]
}

@test "run without --keep deletes the container when it exits" {
	run_ctr true
	[ "$status" -eq 0 ]
	envrun state "$CTR_ID"
	[ "$status" -ne 0 ]
	[ -z "$(state_entries)" ]
}

@test "--pid-file holds the container's pid" {
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id" "$BUNDLE" --pid-file "$TEST_TMPDIR/pidfile"
	[ -s "$TEST_TMPDIR/pidfile" ]
	[ "$(tr -d '\n' <"$TEST_TMPDIR/pidfile")" = "$(container_pid "$id")" ]

	id2=$(new_id)
	run_detached "$id2" "$BUNDLE" --pid-file "$TEST_TMPDIR/pidfile2"
	[ "$(tr -d '\n' <"$TEST_TMPDIR/pidfile2")" = "$(container_pid "$id2")" ]
}

@test "--pid-file with a relative path is relative to the caller's directory" {
	set_args sleep 1000
	id=$(new_id)
	(cd "$TEST_TMPDIR" && envrun_exec --root "$ENVRUN_ROOT" create --bundle "$BUNDLE" \
		--pid-file rel.pid "$id" </dev/null >/dev/null 2>&1)
	[ "$(tr -d '\n' <"$TEST_TMPDIR/rel.pid")" = "$(container_pid "$id")" ]
}

@test "list shows containers as a table, as JSON and as ids" {
	set_args sleep 1000
	a=$(new_id a)
	b=$(new_id b)
	create_ctr "$a"
	create_ctr "$b"
	envrun start "$b"
	wait_for_status "$b" running

	envrun list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER ]]
	echo "$output" | grep -E "^$a +[0-9]+ +created +$BUNDLE "
	echo "$output" | grep -E "^$b +[0-9]+ +running +$BUNDLE "

	envrun list --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg a "$a" --arg b "$b" --arg bundle "$BUNDLE" '
		type == "array" and length == 2
		and (map(select(.id == $a))[0] | .status == "created" and .bundle == $bundle
			and .pid > 0 and (.created | type == "string") and (.owner | type == "string")
			and (.rootfs | type == "string"))
		and (map(select(.id == $b))[0].status == "running")'

	envrun list -f json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e 'length == 2'

	envrun list -q
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '%s\n' "$a" "$b" | sort)" ]
	envrun list --quiet
	[ "${#lines[@]}" -eq 2 ]
}

@test "list of an empty root is a header, an empty JSON array, nothing" {
	envrun list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	envrun list --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e 'length == 0'
	envrun list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "unknown properties in config.json are ignored" {
	update_config '.org_example_unknown = {"x": [1, 2]}
		| .process.org_example_unknown = true
		| .linux.org_example_unknown = "y"
		| .mounts[0].org_example_unknown = 1'
	run_ctr echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

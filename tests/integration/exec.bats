#!/usr/bin/env bats
# exec: a process joining a running container — its namespaces (user
# first), its cgroup, its seccomp filter — with its own user, env, cwd and
# capabilities; both the flag form and --process FILE.json.

load helpers

setup() {
	setup_bundle
	set_cgroups_path
	set_args sleep 1000
	ID=$(new_id)
	run_detached "$ID"
	INIT=$(container_pid "$ID")
	[ -n "$INIT" ]
}

teardown() {
	teardown_bundle
}

# detach_sleep PIDFILE — exec -d a long sleep with no stdio of ours.
detach_sleep() {
	envrun_cmd exec -d --pid-file "$1" "$ID" sleep 300 \
		</dev/null >/dev/null 2>&1 3>&- 4>&-
}

@test "exec joins every namespace and the cgroup of the container" {
	envrun exec "$ID" sh -c 'for n in pid mnt net ipc uts cgroup; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup'
	[ "$status" -eq 0 ]
	local i=0
	for n in pid mnt net ipc uts cgroup; do
		[ "${lines[$i]}" = "$(readlink "/proc/$INIT/ns/$n")" ]
		i=$((i + 1))
	done
	# Same cgroup as the init, in every hierarchy (read from the host).  A
	# detached process keeps the caller's stdio: give it none, or the
	# caller's pipe stays open as long as it runs.
	detach_sleep "$TEST_TMPDIR/p"
	p=$(cat "$TEST_TMPDIR/p")
	[ "$(cat "/proc/$p/cgroup")" = "$(cat "/proc/$INIT/cgroup")" ]
	for n in pid mnt net ipc uts cgroup user; do
		[ "$(readlink "/proc/$p/ns/$n")" = "$(readlink "/proc/$INIT/ns/$n")" ]
	done
}

@test "exec exits with the process's status, 128+N on signal N" {
	envrun exec "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	envrun exec "$ID" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
}

@test "exec forwards signals to the process" {
	# The runtime itself in the background (not a shell function's
	# subshell), so the signal goes to envrun.
	"$ENVRUN" --root "$ENVRUN_ROOT" exec "$ID" sh -c 'trap "echo got-term; exit 3" TERM; while :; do sleep 0.1; done' \
		>"$TEST_TMPDIR/out" 2>&1 3>&- 4>&- &
	local runtime=$!
	sleep 1
	kill -TERM "$runtime"
	wait "$runtime" && st=0 || st=$?
	[ "$st" -eq 3 ]
	grep -q got-term "$TEST_TMPDIR/out"
}

@test "exec flags: user, cwd, env added to the container's, capabilities" {
	envrun exec -u 1000:1000 --cwd /tmp -e FOO=bar --cap CAP_NET_RAW "$ID" \
		sh -c 'id -u; id -g; pwd; echo $FOO; echo $PATH; grep CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = bar ]
	[ -n "${lines[4]}" ] # PATH comes from the container's own process
	# CAP_NET_RAW is bit 13: raised through the ambient set for uid 1000.
	eff=$(awk '{print $2}' <<<"${lines[5]}")
	(( (16#$eff >> 13) & 1 ))
}

@test "exec --process FILE.json runs exactly that process" {
	cat >"$TEST_TMPDIR/p.json" <<-'JSON'
	{"args": ["sh", "-c", "echo $ONLY; pwd; id -u; umask"], "cwd": "/etc",
	 "env": ["PATH=/bin:/usr/bin", "ONLY=this"], "user": {"uid": 2, "gid": 2, "umask": 63}}
	JSON
	envrun exec --process "$TEST_TMPDIR/p.json" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "this /etc 2 0077" ]
}

@test "exec --process with a bad file names the file and the field" {
	echo '{"args": [], "cwd": "/"}' >"$TEST_TMPDIR/bad.json"
	envrun exec --process "$TEST_TMPDIR/bad.json" "$ID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *bad.json*args* ]]
}

@test "exec keeps the container's seccomp filter and no_new_privs" {
	envrun exec "$ID" grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
	[ "$status" -eq 0 ]
	want=$(grep -E '^(Seccomp|NoNewPrivs):' "/proc/$INIT/status")
	[ "$output" = "$want" ]
}

@test "exec --detach leaves no runtime process and writes the pid file" {
	detach_sleep "$TEST_TMPDIR/d.pid"
	p=$(cat "$TEST_TMPDIR/d.pid")
	[ -d "/proc/$p" ]
	[ "$(readlink "/proc/$p/ns/pid")" = "$(readlink "/proc/$INIT/ns/pid")" ]
	run pgrep -f "exec --detach --pid-file $TEST_TMPDIR/d.pid"
	[ "$status" -ne 0 ]
}

@test "exec of a missing command fails and the container keeps running" {
	envrun exec "$ID" no-such-command
	[ "$status" -ne 0 ]
	[[ "$stderr" == *no-such-command* ]]
	[ "$(container_status "$ID")" = running ]
}

@test "exec into a stopped or unknown container fails with a clear message" {
	envrun exec nosuch-container true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *nosuch-container*"does not exist"* ]]
	envrun kill "$ID" KILL
	wait_for_status "$ID" stopped
	envrun exec "$ID" true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *stopped* ]]
}

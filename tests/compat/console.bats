#!/usr/bin/env bats
# --console-socket with process.terminal=true, as containerd and podman's
# conmon use it: the runtime makes the pty inside the container and sends
# the master over a unix socket with SCM_RIGHTS.  tests/helpers/console-recv
# plays the orchestrator: it receives the master, types into the shell and
# reads the shell's output back.

load ../integration/helpers

setup() {
	requires_cmd cc jq
	setup_bundle
	CONSOLE_RECV=$TEST_TMPDIR/console-recv
	cc -O1 -Wall -o "$CONSOLE_RECV" "$TESTS_DIR/helpers/console-recv.c" ||
		skip "cannot build tests/helpers/console-recv.c"
	update_config '.process.terminal = true'
	SOCK=$TEST_TMPDIR/console.sock
}

teardown() {
	teardown_bundle
}

# console_recv ARGS... — the helper, as bats' `run`: $status, $output (what
# the container wrote to its terminal, CRs removed), $stderr.
console_recv() {
	run --separate-stderr "$CONSOLE_RECV" "$@"
	output=${output//$'\r'/}
	{
		echo "# console-recv $* (status=$status)"
		[ -z "$output" ] || printf '# pty: %s\n' "$output"
		[ -z "$stderr" ] || printf '# stderr: %s\n' "$stderr"
	} >&2
}

# console_detached INPUT — `run -d --console-socket` (what runc accepts;
# runc refuses a foreground run with a console socket) under the helper,
# which types INPUT and collects what the container writes until its
# shell exits; then delete the stopped container.  $output, $status as for
# console_recv.
console_detached() {
	local id
	id=$(new_id)
	console_recv -i "$1" "$SOCK" -- \
		"$ENVRUN" --root "$ENVRUN_ROOT" run -d --bundle "$BUNDLE" --console-socket "$SOCK" "$id"
	local st=$status
	wait_for_status "$id" stopped || return 1
	"$ENVRUN" --root "$ENVRUN_ROOT" delete "$id" || return 1
	status=$st
}

@test "run -d --console-socket: the master arrives by SCM_RIGHTS and drives the shell" {
	set_args sh
	console_detached 'echo hi; tty; exit 3\n'
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"master fd is a pty master"* ]]
	grep -qx 'hi' <<<"$output"
	grep -qx '/dev/pts/[0-9]*' <<<"$output"
	[ -z "$(state_entries)" ]
}

@test "foreground run --console-socket: the shell is driven through the socket and run exits with its status" {
	# runc refuses this combination; envrun supports it (SPEC: run
	# [--console-socket SOCK]).
	requires_envrun
	set_args sh
	id=$(new_id)
	console_recv -i 'echo hi; tty; exit 3\n' "$SOCK" -- \
		"$ENVRUN" --root "$ENVRUN_ROOT" run --bundle "$BUNDLE" --console-socket "$SOCK" "$id"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"master fd is a pty master"* ]]
	# The echoed input, then the shell's own output lines.
	grep -qx 'hi' <<<"$output"
	grep -qx '/dev/pts/[0-9]*' <<<"$output"
	[ -z "$(state_entries)" ]
}

@test "create --console-socket, then start: the shell's terminal is the controlling tty in the container's devpts" {
	set_args sh
	id=$(new_id)
	"$CONSOLE_RECV" -i 'echo hi; tty; ls /dev/pts; ps -o pid,tty,comm; exit 3\n' "$SOCK" -- \
		"$ENVRUN" --root "$ENVRUN_ROOT" create --bundle "$BUNDLE" --console-socket "$SOCK" \
		--pid-file "$TEST_TMPDIR/pid" "$id" \
		>"$TEST_TMPDIR/pty.out" 2>"$TEST_TMPDIR/recv.err" &
	recv=$!
	wait_for_status "$id" created
	# create returned (the helper reaped it) only after the master was
	# sent: the pid file is written and the process waits for start.
	[ -s "$TEST_TMPDIR/pid" ]
	envrun start "$id"
	[ "$status" -eq 0 ]
	rc=0
	wait "$recv" || rc=$?
	sed 's/^/# recv: /' "$TEST_TMPDIR/recv.err" >&2
	sed 's/^/# pty: /' "$TEST_TMPDIR/pty.out" >&2
	# create itself exited 0.
	[ "$rc" -eq 0 ]
	out=$(tr -d '\r' <"$TEST_TMPDIR/pty.out")
	grep -qx 'hi' <<<"$out"
	tty=$(grep -x '/dev/pts/[0-9]*' <<<"$out")
	# A fresh devpts instance: the container's pty is number 0 there
	# (ptmxmode/newinstance), whatever the host's numbering.
	[ "$tty" = /dev/pts/0 ]
	# The shell has the pty as its controlling terminal (ps shows it in
	# the TTY column rather than "?").
	grep -Eq '^ *1 +(pts/0|136,0) +sh$' <<<"$out"
	wait_for_status "$id" stopped
	envrun delete "$id"
	[ "$status" -eq 0 ]
}

@test "process.consoleSize is applied to the pty (stty size)" {
	set_args sh
	update_config '.process.consoleSize = {"height": 37, "width": 121}'
	console_detached 'stty size; exit 0\n'
	[ "$status" -eq 0 ]
	grep -qx '37 121' <<<"$output"
}

@test "the pty is a real terminal: line discipline echoes input and ^D ends cat" {
	set_args sh -c 'cat; echo "cat ended with $?"'
	console_detached 'typed line\n\004'
	[ "$status" -eq 0 ]
	# Once echoed by the line discipline, once written back by cat.
	[ "$(grep -cx 'typed line' <<<"$output")" -eq 2 ]
	grep -qx 'cat ended with 0' <<<"$output"
}

@test "run -d --console-socket leaves no runtime behind; the shell is killed by SIGKILL and delete cleans up" {
	set_args sh -c 'echo ready; exec sleep 1000'
	id=$(new_id)
	"$CONSOLE_RECV" "$SOCK" -- \
		"$ENVRUN" --root "$ENVRUN_ROOT" run -d --bundle "$BUNDLE" --console-socket "$SOCK" "$id" \
		>"$TEST_TMPDIR/pty.out" 2>"$TEST_TMPDIR/recv.err" &
	recv=$!
	wait_for_status "$id" running
	pid=$(container_pid "$id")
	[ -n "$pid" ]
	# The only marked processes are the container's: run -d has gone.
	for p in $(marked_pids); do
		[ "$p" = "$pid" ] || [ "$p" = "$recv" ] || {
			fail "process left besides the container: $(tr '\0' ' ' <"/proc/$p/cmdline")"
			return 1
		}
	done
	envrun kill "$id" KILL
	[ "$status" -eq 0 ]
	rc=0
	wait "$recv" || rc=$?
	sed 's/^/# recv: /' "$TEST_TMPDIR/recv.err" >&2
	[ "$rc" -eq 0 ]
	grep -q ready "$TEST_TMPDIR/pty.out"
	wait_for_status "$id" stopped
	envrun delete "$id"
	[ "$status" -eq 0 ]
	assert_nothing_left
}

@test "terminal=true without --console-socket in create is refused with a clear message" {
	set_args sh
	id=$(new_id)
	envrun create --bundle "$BUNDLE" "$id" </dev/null
	[ "$status" -ne 0 ]
	[[ "$stderr" == *console* ]]
	[ -z "$(state_entries)" ]
}

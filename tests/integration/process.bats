#!/usr/bin/env bats
# The process: exit statuses and signals, user and groups, umask,
# capabilities, no_new_privs, rlimits, the environment block, cwd, PATH
# lookup of args[0], file descriptors (--preserve-fds, LISTEN_FDS).

load helpers

setup() { setup_bundle; }
teardown() { teardown_bundle; }

# status_field NAME — the value of NAME: in the $output of a container that
# printed its /proc/self/status.
status_field() {
	echo "$output" | sed -n "s/^$1:[[:space:]]*//p"
}

@test "run exits with the program's exit status" {
	run_sh 'exit 42'
	[ "$status" -eq 42 ]
	run_sh 'exit 0'
	[ "$status" -eq 0 ]
	run_ctr false
	[ "$status" -eq 1 ]
}

@test "run exits 128+N when the program is killed by signal N" {
	# Without a pid namespace the shell is not an init process, so its
	# own SIGTERM/SIGUSR1 kills it.
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	run_sh 'kill -TERM $$; sleep 5'
	[ "$status" -eq 143 ]
	run_sh 'kill -USR1 $$; sleep 5'
	[ "$status" -eq 138 ]
}

@test "run exits 137 when the container is killed with SIGKILL" {
	set_args sleep 1000
	id=$(new_id)
	"$ENVRUN" --root "$ENVRUN_ROOT" run --bundle "$BUNDLE" "$id" \
		</dev/null >"$TEST_TMPDIR/out" 2>&1 3>&- 4>&- &
	runner=$!
	wait_for_status "$id" running
	envrun kill "$id" KILL
	[ "$status" -eq 0 ]
	rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "run forwards SIGTERM to the container process" {
	update_config '.root.readonly = false'
	set_args sh -c 'trap "echo got-TERM; exit 3" TERM; echo ready > /ready; while :; do sleep 0.1; done'
	id=$(new_id)
	"$ENVRUN" --root "$ENVRUN_ROOT" run --bundle "$BUNDLE" "$id" \
		</dev/null >"$TEST_TMPDIR/out" 2>&1 3>&- 4>&- &
	runner=$!
	wait_for_file "$ROOTFS/ready"
	kill -TERM "$runner"
	rc=0
	wait "$runner" || rc=$?
	cat "$TEST_TMPDIR/out"
	[ "$rc" -eq 3 ]
	grep -q got-TERM "$TEST_TMPDIR/out"
}

@test "kill takes signal names with and without SIG and numbers" {
	update_config '.root.readonly = false'
	set_args sh -c 'for s in USR1 USR2 HUP INT; do trap "echo $s >> /sigs" $s; done
		trap "echo TERM >> /sigs; exit 0" TERM
		echo ready > /ready; while :; do sleep 0.1; done'
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	wait_for_file "$ROOTFS/ready"
	n=0
	for sig in USR1 SIGUSR2 10 12 HUP 2 sigusr1; do
		envrun kill "$id" "$sig"
		if [ "$sig" = sigusr1 ]; then
			# runc takes lower case too; either way no harm is done.
			[ "$status" -eq 0 ] || continue
		fi
		[ "$status" -eq 0 ]
		n=$((n + 1))
		# Wait for the handler before the next one: signals do not queue.
		until [ "$(wc -l <"$ROOTFS/sigs" 2>/dev/null || echo 0)" -ge "$n" ]; do sleep 0.05; done
	done
	[ "$(sed -n 1,6p "$ROOTFS/sigs" | tr '\n' ' ')" = "USR1 USR2 USR1 USR2 HUP INT " ]
	# No signal: SIGTERM.
	envrun kill "$id"
	[ "$status" -eq 0 ]
	wait_for_status "$id" stopped
	[ "$(tail -n1 "$ROOTFS/sigs")" = TERM ]
}

@test "kill with an unknown signal fails and leaves the container running" {
	set_args sleep 1000
	id=$(new_id)
	run_detached "$id"
	for sig in SIGFOO 0x10 -1 999; do
		envrun kill "$id" "$sig"
		[ "$status" -ne 0 ]
	done
	[ "$(container_status "$id")" = running ]
}

@test "kill --all signals every process of the container" {
	# No pid namespace: killing the first process would leave its
	# children, --all must reach them through the cgroup.
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	set_cgroups_path kill-all
	update_config '.root.readonly = false'
	set_args sh -c 'sleep 1001 & sleep 1002 & echo ready > /ready; wait'
	id=$(new_id)
	run_detached "$id"
	wait_for_file "$ROOTFS/ready"
	[ "$(marked_pids | wc -l)" -ge 3 ]
	envrun kill --all "$id" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$id" stopped
	tries=100
	while [ -n "$(marked_pids)" ] && [ $tries -gt 0 ]; do sleep 0.1; tries=$((tries - 1)); done
	[ -z "$(marked_pids)" ]
	envrun delete "$id"
	[ "$status" -eq 0 ]
	assert_nothing_left
}

@test "uid, gid and additional groups are exactly as configured" {
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [100, 2000]}'
	run_sh 'grep -E "^(Uid|Gid|Groups):" /proc/self/status; id -u; id -g'
	[ "$status" -eq 0 ]
	[ "$(status_field Uid | awk '{print $1, $2, $3, $4}')" = "1000 1000 1000 1000" ]
	[ "$(status_field Gid | awk '{print $1, $2, $3, $4}')" = "1001 1001 1001 1001" ]
	[ "$(status_field Groups | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" = "100 2000 " ]
	[ "${lines[3]}" = 1000 ]
	[ "${lines[4]}" = 1001 ]
}

@test "no supplementary groups of the caller leak in" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run_sh 'grep "^Groups:" /proc/self/status'
	[ "$status" -eq 0 ]
	groups=$(echo "$output" | sed 's/^Groups:[[:space:]]*//' | tr -d ' ')
	# Only the primary gid may be there, nothing else.
	[ -z "$groups" ] || [ "$groups" = 1000 ]
}

@test "umask is applied" {
	update_config '.process.user.umask = 63'
	run_sh 'umask'
	[ "$status" -eq 0 ]
	[ "$output" = 0077 ]
	update_config '.process.user.umask = 18'
	run_sh 'umask'
	[ "$output" = 0022 ]
}

@test "capability sets are the ones configured, all five" {
	update_config '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
		"inheritable": ["CAP_KILL", "CAP_NET_RAW"],
		"ambient": ["CAP_KILL"]}'
	run_sh 'grep ^Cap /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd)" = "$(cap_set_hex CHOWN KILL NET_RAW SETUID)" ]
	[ "$(status_field CapInh)" = "$(cap_set_hex KILL NET_RAW)" ]
	[ "$(status_field CapAmb)" = "$(cap_set_hex KILL)" ]
	# After execve as root the permitted and effective sets are what was
	# configured (root's file capabilities are masked by the bounding set).
	prm=$(status_field CapPrm)
	[ $((0x$prm & ~0x$(cap_set_hex CHOWN KILL NET_RAW SETUID))) -eq 0 ]
	[ $((0x$prm & 0x$(cap_set_hex CHOWN KILL NET_RAW))) -eq $((0x$(cap_set_hex CHOWN KILL NET_RAW))) ]
}

@test "the default spec's capabilities reach the process" {
	run_sh 'grep ^Cap /proc/self/status'
	[ "$status" -eq 0 ]
	want=$(jq -r '.process.capabilities.bounding[]' "$BUNDLE/config.json" | sed 's/^CAP_//' | tr '\n' ' ')
	[ -n "$want" ]
	# shellcheck disable=SC2086
	[ "$(status_field CapBnd)" = "$(cap_set_hex $want)" ]
	want=$(jq -r '.process.capabilities.effective[]' "$BUNDLE/config.json" | sed 's/^CAP_//' | tr '\n' ' ')
	# shellcheck disable=SC2086
	[ "$(status_field CapEff)" = "$(cap_set_hex $want)" ]
}

@test "a non-root user gets its capabilities through the ambient set" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
		"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_NET_BIND_SERVICE"],
		"ambient": ["CAP_NET_BIND_SERVICE"]}'
	run_sh 'grep ^Cap /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$(status_field CapEff)" = "$(cap_set_hex NET_BIND_SERVICE)" ]
	[ "$(status_field CapAmb)" = "$(cap_set_hex NET_BIND_SERVICE)" ]
	[ "$(status_field CapBnd)" = "$(cap_set_hex KILL NET_BIND_SERVICE)" ]
}

@test "no capabilities at all when none are configured" {
	update_config '.process.capabilities = {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}'
	run_sh 'grep ^Cap /proc/self/status'
	[ "$status" -eq 0 ]
	for s in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(status_field $s)" = 0000000000000000 ]
	done
}

@test "noNewPrivileges sets no_new_privs, and only when asked" {
	update_config '.process.noNewPrivileges = true'
	run_sh 'grep ^NoNewPrivs: /proc/self/status'
	[ "$(status_field NoNewPrivs)" = 1 ]
	update_config '.process.noNewPrivileges = false'
	run_sh 'grep ^NoNewPrivs: /proc/self/status'
	[ "$(status_field NoNewPrivs)" = 0 ]
}

@test "rlimits are set, soft and hard" {
	update_config '.process.rlimits = [
		{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 768},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
		{"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
		{"type": "RLIMIT_STACK", "soft": 4194304, "hard": 8388608}]'
	run_sh 'ulimit -n; ulimit -Hn; cat /proc/self/limits'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 512 ]
	[ "${lines[1]}" = 768 ]
	echo "$output" | grep -E '^Max open files +512 +768 '
	echo "$output" | grep -E '^Max core file size +0 +4096 '
	echo "$output" | grep -E '^Max processes +300 +400 '
	echo "$output" | grep -E '^Max stack size +4194304 +8388608 '
}

@test "the default spec's RLIMIT_NOFILE applies" {
	want=$(jq -r '.process.rlimits[] | select(.type == "RLIMIT_NOFILE") | .soft' "$BUNDLE/config.json")
	[ -n "$want" ]
	run_sh 'ulimit -n'
	[ "$output" = "$want" ]
}

@test "oomScoreAdj is applied" {
	update_config '.process.oomScoreAdj = 421'
	run_sh 'cat /proc/self/oom_score_adj'
	[ "$status" -eq 0 ]
	[ "$output" = 421 ]
}

@test "the environment is exactly as given, nothing of the caller's leaks in" {
	export ENVRUN_LEAK_CANARY=leaked
	update_config '.process.env = ["PATH=/usr/bin:/bin", "HOME=/root", "A=1",
		"B=two words", "EMPTY=", "MULTI=x=y=z", "ENVRUN_TEST_MARK=" + env.ENVRUN_TEST_MARK]'
	run_ctr env
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "${lines[@]}" | sort)
	want=$(printf '%s\n' "PATH=/usr/bin:/bin" "HOME=/root" "A=1" "B=two words" "EMPTY=" \
		"MULTI=x=y=z" "ENVRUN_TEST_MARK=$ENVRUN_TEST_MARK" | sort)
	[ "$got" = "$want" ]
	! echo "$output" | grep -q LEAK_CANARY
}

@test "cwd is where the process starts" {
	update_config '.process.cwd = "/home/user1"'
	run_ctr pwd
	[ "$status" -eq 0 ]
	[ "$output" = /home/user1 ]
	update_config '.process.cwd = "/"'
	run_ctr pwd
	[ "$output" = / ]
}

@test "args[0] is found through the container's PATH, not the caller's" {
	mkdir -p "$ROOTFS/opt/tools"
	printf '#!/bin/sh\necho hello-from-opt "$@"\n' >"$ROOTFS/opt/tools/hello-tool"
	chmod 755 "$ROOTFS/opt/tools/hello-tool"
	update_config '.process.env = ["PATH=/opt/tools:/bin"]'
	run_ctr hello-tool a b
	[ "$status" -eq 0 ]
	[ "$output" = "hello-from-opt a b" ]

	# `id` lives in /usr/bin of the rootfs, which is not on this PATH.
	run_ctr id
	[ "$status" -ne 0 ]
	# An absolute args[0] needs no PATH.
	run_ctr /usr/bin/id -u
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "a program that cannot be found fails run with a message naming it" {
	run_ctr no-such-program-xyz
	[ "$status" -ne 0 ]
	[[ "$stderr" == *no-such-program-xyz* ]]
	[ -z "$(state_entries)" ]
}

@test "no file descriptor of the caller leaks into the container" {
	exec 7<"$BUNDLE/config.json"
	run_sh 'ls /proc/self/fd'
	exec 7<&-
	[ "$status" -eq 0 ]
	# 0, 1, 2 and the fd ls opened to read the directory: nothing else.
	fds=$(printf '%s\n' "${lines[@]}" | sort -n | tr '\n' ' ')
	[ "$fds" = "0 1 2 3 " ]
}

@test "--preserve-fds passes the next N descriptors" {
	echo third >"$TEST_TMPDIR/fd3"
	echo fourth >"$TEST_TMPDIR/fd4"
	set_args sh -c 'cat <&3; cat <&4; ls /proc/self/fd | sort -n | tr "\n" " "'
	id=$(new_id)
	run --separate-stderr "$ENVRUN" --root "$ENVRUN_ROOT" run --preserve-fds 2 \
		--bundle "$BUNDLE" "$id" 3<"$TEST_TMPDIR/fd3" 4<"$TEST_TMPDIR/fd4" 5<"$TEST_TMPDIR/fd4" </dev/null
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = third ]
	[ "${lines[1]}" = fourth ]
	# fd 5 was not preserved (ls's own directory fd may be 5: at most
	# 0-4 plus that one).
	[ "$(echo "${lines[2]}" | wc -w)" -le 6 ]
	[[ "${lines[2]}" == "0 1 2 3 4 "* ]]
}

@test "LISTEN_FDS passes socket-activation descriptors and sets LISTEN_FDS/LISTEN_PID" {
	echo activated >"$TEST_TMPDIR/listen"
	set_args sh -c 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3'
	id=$(new_id)
	# LISTEN_PID must be the runtime's own pid: exec keeps the shell's.
	run --separate-stderr sh -c 'LISTEN_FDS=1 LISTEN_PID=$$ exec "$@"' sh \
		"$ENVRUN" --root "$ENVRUN_ROOT" run --bundle "$BUNDLE" "$id" \
		3<"$TEST_TMPDIR/listen" </dev/null
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 1" ]
	[ "${lines[1]}" = activated ]
}

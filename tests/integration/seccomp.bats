#!/usr/bin/env bats
# linux.seccomp inside a container: the filter is really loaded (Seccomp: 2),
# each listed syscall fails the way the profile says, the default profile
# refuses what it exists to refuse; and `spec`/`features` tell the truth.
# Each refusal is paired with the same probe succeeding without the filter,
# so no test passes because the probe was broken.

load helpers

setup() { setup_bundle; }
teardown() { teardown_bundle; }

DEFAULT_PROFILE=$TOP_SRCDIR/data/seccomp-default.json

# with_seccomp JSON — set linux.seccomp to the given object.
with_seccomp() {
	UPDATE_CONFIG_ARGS=(--argjson s "$1")
	update_config '.linux.seccomp = $s'
	UPDATE_CONFIG_ARGS=()
}

# mkdir is the probe: busybox's mkdir calls mkdir(2) (mkdirat on newer
# architectures), and /dev/shm is writable even with a read-only rootfs.
deny_mkdir() { # ACTION [EXTRA_RULE_FIELDS]
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "'"$1"'"'"${2:+, $2}"'}]}'
}

@test "seccomp: without a profile the probe works and Seccomp is 0" {
	run_sh 'grep "^Seccomp:" /proc/self/status; mkdir /dev/shm/d && echo made'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Seccomp:"*"0"* ]]
	[[ "$output" == *made* ]]
}

@test "seccomp: the filter is loaded (Seccomp: 2) with no_new_privs" {
	deny_mkdir SCMP_ACT_ERRNO
	run_sh 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
	[ "$status" -eq 0 ]
	echo "$output" | grep -qE '^Seccomp:[[:space:]]+2$'
	echo "$output" | grep -qE '^NoNewPrivs:[[:space:]]+1$'
}

@test "seccomp: SCMP_ACT_ERRNO without errnoRet fails the call with EPERM" {
	deny_mkdir SCMP_ACT_ERRNO
	run_sh 'mkdir /dev/shm/d; echo "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=1"* ]]
	run_sh 'mkdir /dev/shm/d 2>&1'
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "seccomp: errnoRet sets the errno" {
	deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 13'
	run_sh 'mkdir /dev/shm/d 2>&1; true'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
}

@test "seccomp: defaultErrnoRet applies to everything not listed" {
	# The default profile with EACCES instead of EPERM: unshare is not on
	# its allow list.
	UPDATE_CONFIG_ARGS=(--slurpfile p "$DEFAULT_PROFILE")
	update_config '.linux.seccomp = ($p[0] | .defaultErrnoRet = 13)'
	UPDATE_CONFIG_ARGS=()
	run_sh 'unshare -m true 2>&1; true'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
	deny_mkdir SCMP_ACT_KILL_PROCESS
	run_sh 'mkdir /dev/shm/d; echo "rc=$?"'
	[ "$status" -eq 0 ]
	# The shell's child died of signal 31 (SIGSYS): 128 + 31.
	[[ "$output" == *"rc=159"* ]]
}

@test "seccomp: SCMP_ACT_KILL kills the calling thread (SIGSYS)" {
	deny_mkdir SCMP_ACT_KILL
	run_sh 'mkdir /dev/shm/d; echo "rc=$?"'
	[[ "$output" == *"rc=159"* ]]
}

@test "seccomp: an argument condition matches only the right arguments" {
	# kill(pid, 0) refused, kill(pid, SIGCONT) allowed.
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
	run_sh 'kill -0 $$ 2>/dev/null && echo zero-ok; kill -CONT $$ && echo cont-ok'
	[ "$status" -eq 0 ]
	[[ "$output" != *zero-ok* ]]
	[[ "$output" == *cont-ok* ]]
}

@test "seccomp: conditions on one argument are alternatives (runc semantics)" {
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"},
				 {"index": 1, "value": 18, "op": "SCMP_CMP_EQ"}]}]}'
	run_sh 'kill -0 $$ 2>/dev/null && echo zero-ok; kill -CONT $$ 2>/dev/null && echo cont-ok; kill -WINCH $$ && echo winch-ok'
	[ "$status" -eq 0 ]
	[[ "$output" != *zero-ok* ]]
	[[ "$output" != *cont-ok* ]]
	[[ "$output" == *winch-ok* ]]
}

@test "seccomp: syscall names unknown to this architecture are skipped" {
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["envrun_no_such_syscall", "mkdir", "mkdirat"],
			"action": "SCMP_ACT_ERRNO"}]}'
	run_sh 'mkdir /dev/shm/d 2>&1; true'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "seccomp: SECCOMP_FILTER_FLAG_LOG and SPEC_ALLOW are accepted" {
	requires_envrun # runc 1.1 refuses every flag
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	run_sh 'mkdir /dev/shm/d 2>&1; true'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "seccomp: a bad profile is refused naming the field, nothing left behind" {
	requires_envrun
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}]}'
	run_ctr /bin/true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *".linux.seccomp.syscalls[0].action"* ]]
	assert_nothing_left
}

# The attacks the default profile exists to stop, with CAP_SYS_ADMIN granted
# so that only seccomp stands in the way.
# (unshare -U is no probe here: it fails in a runc container even unfiltered;
# tests/unit/test-seccomp-default.c checks CLONE_NEWUSER on the host.)
DANGEROUS='mount -t tmpfs none /mnt 2>/dev/null && echo mount-ok
unshare -m true 2>/dev/null && echo unshare-ok
unshare -i true 2>/dev/null && echo unshare-ipc-ok
echo done'

grant_sys_admin() {
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"]
		| .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
}

@test "seccomp: without the default profile the attacks work (control)" {
	grant_sys_admin
	run_sh "$DANGEROUS"
	[ "$status" -eq 0 ]
	[[ "$output" == *mount-ok* ]]
	[[ "$output" == *unshare-ok* ]]
	[[ "$output" == *unshare-ipc-ok* ]]
}

@test "seccomp: the default profile refuses mount and unshare" {
	grant_sys_admin
	UPDATE_CONFIG_ARGS=(--slurpfile p "$DEFAULT_PROFILE")
	update_config '.linux.seccomp = $p[0]'
	UPDATE_CONFIG_ARGS=()
	run_sh "$DANGEROUS"
	[ "$status" -eq 0 ]
	[[ "$output" == *done* ]]
	[[ "$output" != *mount-ok* ]]
	[[ "$output" != *unshare-ok* ]]
	[[ "$output" != *unshare-ipc-ok* ]]
	run_sh 'unshare -m true 2>&1; true'
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "seccomp: SCMP_ACT_NOTIFY hands the listener and the state to listenerPath" {
	requires_cmd python3
	sock=$TEST_TMPDIR/agent.sock
	# The agent: take the fd and the containerProcessState, record them,
	# close the fd (the filtered call then fails with ENOSYS).
	python3 - "$sock" "$TEST_TMPDIR/agent.json" <<-'EOF' &
		import json, os, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(sys.argv[1]); s.listen(1); s.settimeout(60)
		c, _ = s.accept(); c.settimeout(60)
		msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
		while True:
		    try:
		        doc = json.loads(msg); break
		    except ValueError:
		        more = c.recv(65536)
		        if not more: raise
		        msg += more
		doc["received_fds"] = len(fds)
		open(sys.argv[2], "w").write(json.dumps(doc))
		for fd in fds: os.close(fd)
	EOF
	agent=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": "'"$sock"'", "listenerMetadata": "bats",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	run_sh 'mkdir /dev/shm/d 2>&1; true'
	wait "$agent"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not implemented"* ]]
	jq -e '.fds == ["seccompFd"] and .metadata == "bats" and .received_fds == 1
		and .pid > 0 and (.state.id | length > 0)' "$TEST_TMPDIR/agent.json"
}

# spec and features do not need a container; they still run in the
# bundle's scratch directory.

@test "spec: the same structure as runc spec" {
	requires_cmd runc
	mkdir "$TEST_TMPDIR/a" "$TEST_TMPDIR/b"
	(cd "$TEST_TMPDIR/a" && "$ENVRUN" spec)
	(cd "$TEST_TMPDIR/b" && runc spec)
	diff <(jq -S 'del(.ociVersion, .hostname)' "$TEST_TMPDIR/a/config.json") \
		<(jq -S 'del(.ociVersion, .hostname)' "$TEST_TMPDIR/b/config.json")
}

@test "spec --rootless: the same structure as runc spec --rootless" {
	requires_cmd runc
	mkdir "$TEST_TMPDIR/a" "$TEST_TMPDIR/b"
	(cd "$TEST_TMPDIR/a" && "$ENVRUN" spec --rootless)
	(cd "$TEST_TMPDIR/b" && runc spec --rootless)
	diff <(jq -S 'del(.ociVersion, .hostname)' "$TEST_TMPDIR/a/config.json") \
		<(jq -S 'del(.ociVersion, .hostname)' "$TEST_TMPDIR/b/config.json")
}

@test "features: valid JSON listing the seccomp support actually there" {
	requires_envrun
	envrun features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '
		(.linux.namespaces | length == 8)
		and (.linux.seccomp.enabled == true)
		and (.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") != null)
		and (.linux.seccomp.operators | length == 7)
		and ((.linux.seccomp.supportedFlags - .linux.seccomp.knownFlags) == [])
		and (.linux.capabilities | index("CAP_SYS_ADMIN") != null)
		and (.annotations["io.github.seccomp.libseccomp.version"] | test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))'
}

@test "a compiled-filter cache entry others could write is not trusted" {
	with_seccomp "$(cat "$DEFAULT_PROFILE")"
	update_config '.process.args = ["grep", "^Seccomp:", "/proc/self/status"]'
	envrun run --bundle "$BUNDLE" "$(new_id)"
	[ "$status" -eq 0 ]
	is_runc && skip "runc has no filter cache"
	entry=$(ls "$ENVRUN_ROOT"/.seccomp-cache/* | head -1)
	[ -f "$entry" ]
	[ "$(stat -c %a "$entry")" = 600 ]
	# A planted (world-writable) entry is rebuilt, never loaded: the
	# rebuilt one replaces it, private again.
	chmod 0666 "$entry"
	envrun run --bundle "$BUNDLE" "$(new_id)"
	[ "$status" -eq 0 ]
	[[ "$output" == *2 ]]
	[ "$(stat -c %a "$entry")" = 600 ]
}

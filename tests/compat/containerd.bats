#!/usr/bin/env bats
# containerd (Debian 12's 1.6) driving the built envrun through its runc
# shim, io.containerd.runc.v2, with the shim's BinaryName option set to
# envrun (what `ctr run --runc-binary` sets, and what config.toml's
# runtimes.<name>.options.BinaryName sets for the CRI plugin).
#
# The test starts its own containerd with a config in a temporary
# directory: root, state, gRPC/ttrpc/debug sockets, the opt plugin's path
# and the runtime's --root all there, never /var/lib/containerd,
# /run/containerd or /opt/containerd.  (The v2 shims' own sockets are the
# one exception: containerd 1.6 hard-codes /run/containerd/s/<hash>; each
# shim removes its socket when it exits.)  containerd runs in a private
# mount namespace (see compat_mntns_setup), so its snapshot mounts never
# reach the host's table.  The image is imported from a locally built OCI
# archive.
#
# Point the suite at runc to check the tests themselves:
#   ENVRUN=/usr/sbin/runc bats tests/compat/containerd.bats

load helpers

IMAGE=localhost/envrun-compat-busybox:latest

setup_file() {
	requires_root
	requires_cmd containerd ctr containerd-shim-runc-v2 nsenter unshare jq script
	requires_envrun_binary
	CD_DIR=$(compat_tmpdir)
	export CD_DIR
	compat_mntns_setup "$CD_DIR"
	# ctr makes its FIFOs in /run/containerd/fifo and containerd 1.6's
	# shims their sockets in /run/containerd/s, whatever the config says:
	# in our namespace (where containerd, its shims and every ctr run) a
	# directory of ours is mounted over /run/containerd (made, empty, when
	# missing, and removed again at the end).
	CD_MADE_RUN=
	if [ ! -e /run/containerd ]; then
		mkdir -m 0711 /run/containerd && CD_MADE_RUN=1
	fi
	export CD_MADE_RUN
	mkdir -m 0711 "$CD_DIR/run-containerd"
	in_mntns mount --bind "$CD_DIR/run-containerd" /run/containerd
	ENVRUN_ABS=$(envrun_abs)
	export ENVRUN_ABS
	CD_NS=envrun-compat-$$
	export CD_NS
	cat >"$CD_DIR/config.toml" <<EOF
version = 2
root = "$CD_DIR/root"
state = "$CD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$CD_DIR/containerd.sock"

[ttrpc]
  address = "$CD_DIR/containerd.sock.ttrpc"

[debug]
  address = "$CD_DIR/debug.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CD_DIR/opt"
EOF
	# A simple command, so that $! is nsenter's pid, which execs
	# containerd; fd 3 (bats' own) closed so bats does not wait for it.
	nsenter --mount="$COMPAT_MNTNS" -- containerd --config "$CD_DIR/config.toml" \
		--log-level debug </dev/null >"$CD_DIR/containerd.log" 2>&1 3>&- &
	CD_PID=$!
	export CD_PID
	local i
	for i in $(seq 300); do
		[ -S "$CD_DIR/containerd.sock" ] && cctr version >/dev/null 2>&1 && break
		kill -0 "$CD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! cctr version >/dev/null 2>&1; then
		tail -n 30 "$CD_DIR/containerd.log" >&2
		fail "containerd did not start"
		return 1
	fi
	# The shim passes --root <runc-root>/<namespace> to the runtime; the
	# parent exists here so that only the dedicated test below depends on
	# the runtime creating missing parents (as runc's MkdirAll does).
	mkdir -p "$CD_DIR/runc-root"
	make_oci_archive "$CD_DIR/busybox-oci.tar" "$IMAGE"
	cctr image import "$CD_DIR/busybox-oci.tar" >&2
	rm -f "$CD_DIR/busybox-oci.tar"
	cctr image ls -q | grep -qx "$IMAGE" || {
		fail "ctr image import did not name the image $IMAGE"
		return 1
	}
}

# cleanup_tasks_and_containers — what a test left in our namespace.
cleanup_tasks_and_containers() {
	local c
	for c in $(cctr container ls -q 2>/dev/null); do
		cctr task kill -s KILL "$c" >/dev/null 2>&1 || true
		cctr task delete -f "$c" >/dev/null 2>&1 || true
		cctr container delete "$c" >/dev/null 2>&1 || true
	done
}

teardown_file() {
	local pid cg
	[ -n "${CD_DIR:-}" ] || return 0
	if [ -n "${CD_PID:-}" ]; then
		cleanup_tasks_and_containers
		cctr image rm "$IMAGE" >/dev/null 2>&1 || true
		kill -TERM "$CD_PID" 2>/dev/null || true
		wait "$CD_PID" 2>/dev/null || true
	fi
	# Shims outlive containerd: any left is ours if it names our socket.
	for pid in $(pgrep -x containerd-shim || pgrep -f containerd-shim-runc-v2 || true); do
		grep -qzF "$CD_DIR/containerd.sock" "/proc/$pid/cmdline" 2>/dev/null &&
			kill -KILL "$pid" 2>/dev/null || true
	done
	for cg in $(cgroup_dirs_under "/$CD_NS"); do
		rmdir "$cg" 2>/dev/null || true
	done
	compat_mntns_teardown "$CD_DIR"
	[ -z "${CD_MADE_RUN:-}" ] || rmdir /run/containerd 2>/dev/null || true
	rm -rf --one-file-system "$CD_DIR"
}

teardown() {
	cleanup_tasks_and_containers
}

# cctr ARGS... — ctr against this file's containerd and namespace.
cctr() {
	in_mntns ctr --address "$CD_DIR/containerd.sock" --namespace "$CD_NS" "$@"
}

# RUNC_OPTS — the run flags that make the runc v2 shim use envrun, with its
# --root in our directory.
runc_opts() {
	echo --runtime io.containerd.runc.v2 --runc-binary "$ENVRUN_ABS" --runc-root "$CD_DIR/runc-root"
}

# ctrrun ARGS... — `ctr` as bats' `run`, stdin from /dev/null (ctr run
# without -t never closes the container's stdin otherwise).
ctrrun() {
	run --separate-stderr cctr "$@" </dev/null
	{
		echo "# ctr $* (status=$status)"
		[ -z "$output" ] || printf '# stdout: %s\n' "${lines[@]}"
		[ -z "$stderr" ] || printf '# stderr: %s\n' "${stderr_lines[@]}"
	} >&2
}

# start_task ID [CMD...] — `ctr run -d` a container (default: sleep 1000),
# with --null-io (a detached task keeps no reader of its stdio).
start_task() {
	local id=$1
	shift
	[ $# -gt 0 ] || set -- sleep 1000
	# shellcheck disable=SC2046
	ctrrun run -d --null-io $(runc_opts) "$IMAGE" "$id" "$@"
	[ "$status" -eq 0 ] || { fail "ctr run -d $id failed"; return 1; }
}

# task_status ID — RUNNING, STOPPED, PAUSED ... from `ctr task ls`.
task_status() {
	cctr task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}

wait_task_status() {
	local id=$1 want=$2 i
	for i in $(seq 300); do
		[ "$(task_status "$id")" = "$want" ] && return 0
		sleep 0.1
	done
	fail "task $id never reached $want (last: $(task_status "$id"))"
}

@test "ctr run --rm: output and exit code through the runc v2 shim with BinaryName=envrun" {
	# shellcheck disable=SC2046
	ctrrun run --rm $(runc_opts) "$IMAGE" rm1 sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = out ]
	[[ "$stderr" == *err* ]]
	ctrrun container ls -q
	[ -z "$output" ]
}

@test "the runtime creates the shim's --root <runc-root>/<namespace> with missing parents, as runc does" {
	# A fresh containerd host has no /run/containerd/runc yet: the
	# runtime must make it.
	ctrrun run --rm --runtime io.containerd.runc.v2 --runc-binary "$ENVRUN_ABS" \
		--runc-root "$CD_DIR/fresh/runc-root" "$IMAGE" fresh1 true
	[ "$status" -eq 0 ]
	[ -d "$CD_DIR/fresh/runc-root/$CD_NS" ]
}

@test "the shim really runs envrun: its state is under the --runc-root given to the shim" {
	start_task which1
	# The shim passes --root <runc-root>/<namespace> to the runtime.
	run --separate-stderr "$ENVRUN_ABS" --root "$CD_DIR/runc-root/$CD_NS" state which1
	echo "# $output $stderr" >&2
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(cctr task ls | awk '$1 == "which1" { print $2 }')" ]
}

@test "ctr run -d then task exec: output and exit status of the exec'd process" {
	start_task ex1
	wait_task_status ex1 RUNNING
	ctrrun task exec --exec-id e1 ex1 sh -c 'echo in-exec; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = in-exec ]
	ctrrun task exec --exec-id e2 ex1 sh -c 'readlink /proc/self/ns/pid; readlink /proc/1/ns/pid; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[ "${lines[2]}" = "sleep 1000 " ]
	ctrrun task exec --exec-id e3 --user 1000 --cwd /tmp ex1 sh -c 'id -u; pwd'
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "1000 /tmp" ]
}

@test "ctr task ps lists the task's processes, exec'd ones included" {
	start_task ps1
	wait_task_status ps1 RUNNING
	pid=$(cctr task ls | awk '$1 == "ps1" { print $2 }')
	cctr task exec --exec-id bg ps1 sleep 999 </dev/null >/dev/null 2>&1 &
	execer=$!
	for _ in $(seq 100); do
		[ "$(cctr task ps ps1 | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	ctrrun task ps ps1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 3 ]
	grep -q "^$pid " <<<"$output"
	cctr task kill -a -s KILL ps1 || true
	wait "$execer" || true
}

@test "ctr task kill: SIGTERM to a handler gives its exit code; SIGKILL gives 137" {
	start_task k1 sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done'
	wait_task_status k1 RUNNING
	ctrrun task kill k1
	[ "$status" -eq 0 ]
	wait_task_status k1 STOPPED
	ctrrun task delete k1
	[ "$status" -eq 0 ]
	[[ "$output" == *"9"* ]] || [[ "$stderr" == *"9"* ]]
	start_task k2
	wait_task_status k2 RUNNING
	ctrrun task kill -s SIGKILL k2
	[ "$status" -eq 0 ]
	wait_task_status k2 STOPPED
	ctrrun task delete k2
	[ "$status" -eq 0 ]
	[[ "$output $stderr" == *137* ]]
}

@test "ctr task metrics: memory and pids statistics of the task's cgroup" {
	start_task m1
	wait_task_status m1 RUNNING
	ctrrun task metrics m1
	[ "$status" -eq 0 ]
	[[ "$output" == *memory* ]]
	ctrrun task metrics --format json m1
	[ "$status" -eq 0 ]
	jq -e '(.memory.usage.usage // .memory.usage) > 0 or (.pids.current // 0) > 0' <<<"$output" >/dev/null ||
		jq -e '.memory' <<<"$output" >/dev/null
	[ "$(jq -r '.pids.current' <<<"$output")" -ge 1 ]
}

@test "ctr task pause and resume" {
	start_task pr1
	wait_task_status pr1 RUNNING
	ctrrun task pause pr1
	[ "$status" -eq 0 ]
	wait_task_status pr1 PAUSED
	ctrrun task resume pr1
	[ "$status" -eq 0 ]
	wait_task_status pr1 RUNNING
}

@test "ctr run -t: the task's stdio is a pty sent over the shim's console socket" {
	# ctr -t needs a terminal on its own stdin: script(1) gives it one.
	# shellcheck disable=SC2046
	run --separate-stderr script -qec "nsenter --mount=$COMPAT_MNTNS -- ctr --address $CD_DIR/containerd.sock --namespace $CD_NS run --rm -t $(runc_opts) $IMAGE t1 sh -c 'tty; [ -t 0 ] && echo is-tty; exit 3'" /dev/null
	echo "# $output $stderr" >&2
	[ "$status" -eq 3 ]
	[[ "$output" == */dev/pts/0* ]]
	[[ "$output" == *is-tty* ]]
}

@test "ctr task exec -t: an exec'd process gets its own pty" {
	start_task te1
	wait_task_status te1 RUNNING
	run --separate-stderr script -qec "nsenter --mount=$COMPAT_MNTNS -- ctr --address $CD_DIR/containerd.sock --namespace $CD_NS task exec -t --exec-id t te1 sh -c 'tty; exit 4'" /dev/null
	echo "# $output $stderr" >&2
	[ "$status" -eq 4 ]
	[[ "$output" == */dev/pts/* ]]
}

@test "ctr container and task delete leave no runtime state and no cgroup" {
	start_task d1
	wait_task_status d1 RUNNING
	pid=$(cctr task ls | awk '$1 == "d1" { print $2 }')
	cg=$(unified_cgroup_dir "$pid")
	[ -d "$cg" ]
	cctr task kill -s KILL d1
	wait_task_status d1 STOPPED
	ctrrun task delete d1
	[ "$status" -eq 0 ]
	ctrrun container delete d1
	[ "$status" -eq 0 ]
	[ ! -d "$cg" ]
	[ -z "$(ls -A "$CD_DIR/runc-root/$CD_NS" 2>/dev/null)" ]
}

@test "docs/orchestrators.md: the CRI runtime handler snippet is accepted by containerd with BinaryName=envrun" {
	local doc=$TOP_SRCDIR/docs/orchestrators.md conf=$CD_DIR/cri-snippet.toml
	[ -f "$doc" ] || skip "no docs/orchestrators.md"
	# The toml block right after the "checked: tests/compat/containerd.bats" marker.
	{
		echo 'version = 2'
		echo "root = \"$CD_DIR/cri-root\""
		echo "state = \"$CD_DIR/cri-state\""
		awk '/checked: tests\/compat\/containerd.bats/ { f = 1; next }
			f && /^```toml/ { p = 1; next }
			p && /^```/ { exit }
			p { print }' "$doc" | sed "s|/usr/local/sbin/envrun|$ENVRUN_ABS|"
	} >"$conf"
	grep -q BinaryName "$conf"
	run --separate-stderr containerd --config "$conf" config dump
	[ "$status" -eq 0 ]
	# The handler is there, with the shim type and our binary.
	awk '/runtimes.envrun\]/ { f = 1 } f' <<<"$output" | grep -q 'runtime_type = "io.containerd.runc.v2"'
	awk '/runtimes.envrun.options\]/ { f = 1 } f' <<<"$output" | grep -q "BinaryName = \"$ENVRUN_ABS\""
	[ ! -e "$CD_DIR/cri-root" ]
}

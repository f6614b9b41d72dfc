#!/usr/bin/env bats
# podman (Debian 12's 4.3) driving the built envrun through `--runtime`,
# as an operator would configure it (docs/orchestrators.md): cgroupfs
# manager, a local busybox image made with `podman import`, no registry,
# no network.  Everything podman keeps (storage, run root, libpod tmp dir,
# events, containers.conf) is in a temporary directory of this file; podman
# runs in a private mount namespace (see compat_mntns_setup), so its mounts
# never reach the host's table.
#
# Point the suite at runc to check the tests themselves:
#   ENVRUN=/usr/sbin/runc bats tests/compat/podman.bats

load helpers

IMAGE=localhost/envrun-compat-busybox:latest

setup_file() {
	requires_root
	requires_cmd podman conmon nsenter unshare jq
	requires_envrun_binary
	PM_DIR=$(compat_tmpdir)
	export PM_DIR
	compat_mntns_setup "$PM_DIR"
	# podman keeps its blob-info cache in /var/lib/containers/cache
	# whatever --root says: in podman's namespace, a directory of ours
	# is mounted over /var/lib/containers, so the machine's own is never
	# written (made, empty, when missing, and removed again at the end).
	PM_MADE_VARLIB=
	if [ ! -e /var/lib/containers ]; then
		mkdir -m 0700 /var/lib/containers && PM_MADE_VARLIB=1
	fi
	export PM_MADE_VARLIB
	mkdir -m 0700 "$PM_DIR/var-lib-containers"
	in_mntns mount --bind "$PM_DIR/var-lib-containers" /var/lib/containers
	ENVRUN_ABS=$(envrun_abs)
	export ENVRUN_ABS
	# The runtime's name is what runtime_supports_json is matched against:
	# podman names a --runtime path by its base name.
	PM_RUNTIME_NAME=$(basename "$ENVRUN_ABS")
	export PM_RUNTIME_NAME
	# default_ulimits: podman's defaults for root containers ask for
	# nofile 1048576, more than this machine's hard limit (20000), and
	# raising a hard limit needs CAP_SYS_RESOURCE, which the bounding set
	# lacks; conmon also runs the runtime with nproc 32768.  Ask for what
	# the host allows.
	{
		cat <<EOF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
netns = "none"
log_driver = "k8s-file"

[network]
network_config_dir = "$PM_DIR/networks"

EOF
		# The operator's settings, exactly as docs/orchestrators.md gives
		# them ([engine] runtime, runtime_supports_json, [engine.runtimes]),
		# with the built binary's path and name.  The rest of [engine]
		# (cgroupfs manager, file events, tmp dir) is passed as flags by pm.
		doc_podman_snippet | sed -e "s|/usr/local/sbin/envrun|$ENVRUN_ABS|" \
			-e "s|\"envrun\"|\"$PM_RUNTIME_NAME\"|g" -e "s|^envrun = |$PM_RUNTIME_NAME = |"
	} >"$PM_DIR/containers.conf"
	grep -q "runtime_supports_json = .*\"$PM_RUNTIME_NAME\"" "$PM_DIR/containers.conf" || {
		fail "docs/orchestrators.md gives no runtime_supports_json with envrun"
		return 1
	}
	make_busybox_tar "$PM_DIR/busybox.tar"
	pm import "$PM_DIR/busybox.tar" "$IMAGE" >/dev/null
	rm -f "$PM_DIR/busybox.tar"
}

# doc_podman_snippet — the toml block of docs/orchestrators.md right after
# its "checked: tests/compat/podman.bats" marker.
doc_podman_snippet() {
	awk '/checked: tests\/compat\/podman.bats/ { f = 1; next }
		f && /^```toml/ { p = 1; next }
		p && /^```/ { exit }
		p { print }' "$TOP_SRCDIR/docs/orchestrators.md"
}

teardown_file() {
	[ -n "${PM_DIR:-}" ] || return 0
	if [ -n "${COMPAT_MNTNS:-}" ]; then
		pm rm -a -f -t 0 >/dev/null 2>&1 || true
		pm rmi -a -f >/dev/null 2>&1 || true
	fi
	compat_mntns_teardown "$PM_DIR"
	[ -z "${PM_MADE_VARLIB:-}" ] || rmdir /var/lib/containers 2>/dev/null || true
	rm -rf --one-file-system "$PM_DIR"
}

setup() {
	PM_WORK=$(mktemp -d "$PM_DIR/work.XXXXXX")
	chmod 0755 "$PM_WORK"
}

teardown() {
	local id cg
	# Remove every container this test left, then check that podman and
	# the runtime left no cgroup behind for them.
	ids=$(pm ps -a -q --no-trunc 2>/dev/null || true)
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	for id in $ids; do
		for cg in $(cgroup_dirs_under "/libpod_parent/libpod-$id"); do
			rmdir "$cg" 2>/dev/null || true
		done
	done
	rm -rf --one-file-system "$PM_WORK"
}

# pm ARGS... — podman with this file's storage, configuration and runtime.
pm() {
	CONTAINERS_CONF=$PM_DIR/containers.conf in_mntns podman \
		--root "$PM_DIR/storage" --runroot "$PM_DIR/runroot" \
		--storage-driver vfs --tmpdir "$PM_DIR/libpod-tmp" \
		--cgroup-manager cgroupfs --events-backend file \
		--runtime "$ENVRUN_ABS" "$@"
}

# podman ARGS... — as bats' `run`: $status, $output (stdout), $stderr.
podman() {
	run --separate-stderr pm "$@"
	{
		echo "# podman $* (status=$status)"
		[ -z "$output" ] || printf '# stdout: %s\n' "${lines[@]}"
		[ -z "$stderr" ] || printf '# stderr: %s\n' "${stderr_lines[@]}"
	} >&2
}

# start_ctr NAME [RUN_ARGS...] — `podman run -d` a sleeping container.
start_ctr() {
	local name=$1
	shift
	podman run -d --name "$name" "$@" "$IMAGE" sleep 1000
	[ "$status" -eq 0 ] || { fail "podman run -d $name failed: $stderr"; return 1; }
}

# ctr_pid NAME — the host pid of the container's process.
ctr_pid() {
	pm inspect --format '{{.State.Pid}}' "$1"
}

@test "podman run --rm: output and exit code come through" {
	podman run --rm "$IMAGE" sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = out ]
	[[ "$stderr" == *err* ]]
	podman ps -a -q
	[ -z "$output" ]
}

@test "podman kill and wait: a killed process gives 128+N; a missing command 127 with the runtime's message" {
	start_ctr k1
	podman kill --signal KILL k1
	[ "$status" -eq 0 ]
	podman wait k1
	[ "$status" -eq 0 ]
	[ "$output" = 137 ]
	# podman reads the runtime's error from its --log (JSON) file.
	run -127 --separate-stderr pm run --rm "$IMAGE" /no/such/command
	echo "# stderr: $stderr" >&2
	[[ "$stderr" == */no/such/command* ]]
}

@test "podman run -t: the process gets a pty from the runtime through conmon's console socket" {
	podman run --rm -t "$IMAGE" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *both-tty* ]]
	# Through a pty, lines end in CRLF.
	[[ "$output" == *$'\r'* ]]
}

@test "podman run -d then exec: output, exit status, and the container's namespaces and cgroup" {
	start_ctr ex1
	podman exec ex1 sh -c 'echo in-exec; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = in-exec ]
	podman exec ex1 sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; for f in /proc/self/ns/pid /proc/1/ns/pid /proc/self/ns/mnt /proc/1/ns/mnt; do readlink $f; done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "sleep 1000 " ]
	[ "${lines[1]}" = "${lines[2]}" ]
	[ "${lines[3]}" = "${lines[4]}" ]
	# The exec'd process is in the container's cgroups (pids: podman sets
	# a pids limit by default; the unified one always).
	pid=$(ctr_pid ex1)
	host=$(cgroup_path_of "$pid" pids)
	[ -n "$host" ] && [ "$host" != / ]
	podman exec ex1 cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	grep -Eq "^[0-9]+:([a-z_,]*,)?pids(,[a-z_,]*)?:" <<<"$output"
	grep -q "^0::" <<<"$output"
	podman exec --user 1000:1000 --workdir /tmp -e FOO=bar ex1 sh -c 'id -u; id -g; pwd; echo $FOO'
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "1000 1000 /tmp bar" ]
}

@test "podman exec -t: the exec'd process gets its own pty" {
	start_ctr ext
	podman exec -t ext sh -c 'tty; [ -t 1 ] && echo is-tty; exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *is-tty* ]]
}

@test "podman exec -d: a detached exec runs in the container" {
	start_ctr exd
	podman exec -d exd sh -c 'echo detached >/tmp/exec-d'
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do
		pm exec exd test -s /tmp/exec-d && break
		sleep 0.1
	done
	podman exec exd cat /tmp/exec-d
	[ "$output" = detached ]
}

@test "podman stop: SIGTERM first (a handler's exit code is kept), then SIGKILL when it is ignored" {
	podman run -d --name st1 "$IMAGE" sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do
		[ "$(pm logs st1 2>/dev/null)" = ready ] && break
		sleep 0.1
	done
	podman stop -t 30 st1
	[ "$status" -eq 0 ]
	podman inspect --format '{{.State.ExitCode}} {{.State.Status}}' st1
	[ "$output" = "7 exited" ]
	# sh as pid 1 without a handler ignores SIGTERM: stop must SIGKILL.
	start_ctr st2
	podman stop -t 1 st2
	[ "$status" -eq 0 ]
	podman inspect --format '{{.State.ExitCode}} {{.State.Status}}' st2
	[ "$output" = "137 exited" ]
}

@test "podman ps and top list the running container and its processes" {
	start_ctr ps1
	podman ps --format '{{.Names}} {{.Status}}'
	[[ "$output" == *"ps1 Up"* ]]
	podman exec -d ps1 sleep 999
	podman top ps1 pid args
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 1000"* ]]
	for _ in $(seq 50); do
		[[ "$(pm top ps1 args 2>/dev/null)" == *"sleep 999"* ]] && break
		sleep 0.1
	done
	[[ "$(pm top ps1 args)" == *"sleep 999"* ]]
}

@test "podman pause and unpause freeze and thaw the container" {
	start_ctr pa1
	podman pause pa1
	[ "$status" -eq 0 ]
	podman inspect --format '{{.State.Status}}' pa1
	[ "$output" = paused ]
	podman unpause pa1
	[ "$status" -eq 0 ]
	podman exec pa1 true
	[ "$status" -eq 0 ]
}

@test "podman rm -f removes a running container and leaves no cgroup" {
	start_ctr rm1
	pid=$(ctr_pid rm1)
	cg=$(unified_cgroup_dir "$pid")
	[ -d "$cg" ]
	podman rm -f -t 0 rm1
	[ "$status" -eq 0 ]
	podman ps -a -q
	[ -z "$output" ]
	[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	[ ! -d "$cg" ]
}

@test "podman run --memory is enforced: the cgroup limit is set and an allocation beyond it is OOM-killed" {
	start_ctr mem1 --memory 32m --memory-swap 32m
	pid=$(ctr_pid mem1)
	cg=$(cgroup_path_of "$pid" memory)
	[ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" -eq $((32 * 1024 * 1024)) ]
	# dd allocates its 64 MiB buffer at once: beyond the limit.
	podman run --rm --memory 32m --memory-swap 32m "$IMAGE" \
		dd if=/dev/zero of=/dev/null bs=64M count=1
	[ "$status" -eq 137 ]
	podman run --rm --memory 128m "$IMAGE" dd if=/dev/zero of=/dev/null bs=64M count=1
	[ "$status" -eq 0 ]
}

@test "podman run --pids-limit is enforced: forks beyond it fail" {
	start_ctr pid1 --pids-limit 10
	pid=$(ctr_pid pid1)
	cg=$(cgroup_path_of "$pid" pids)
	[ "$(cat "/sys/fs/cgroup/pids$cg/pids.max")" = 10 ]
	# Thirty background sleeps: with ten tasks allowed, a fork fails
	# (busybox sh then gives up); with a hundred, all thirty run.
	script='n=0; for i in $(seq 30); do sleep 100 & n=$((n + 1)); done; echo "running $n"'
	podman run --rm --pids-limit 10 "$IMAGE" sh -c "$script"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"can't fork"* ]]
	[[ "$output" != "running 30" ]]
	podman run --rm --pids-limit 100 "$IMAGE" sh -c "$script"
	[ "$status" -eq 0 ]
	[ "$output" = "running 30" ]
}

@test "podman run --user: uid, gid and supplementary groups from the image's /etc/passwd and /etc/group" {
	podman run --rm --user 1000:1000 "$IMAGE" sh -c 'id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "1000 1000" ]
	podman run --rm --user user1 "$IMAGE" id
	[ "$status" -eq 0 ]
	[[ "$output" == "uid=1000(user1) gid=1000(group1)"* ]]
	[[ "$output" == *"2000(extra)"* ]]
}

@test "podman run --read-only: the root is read-only, podman's tmpfs mounts stay writable" {
	podman run --rm --read-only "$IMAGE" sh -c 'touch /x'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
	podman run --rm --read-only "$IMAGE" sh -c 'touch /tmp/x /run/x /var/tmp/x && echo ok'
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "podman run --tmpfs: a tmpfs with the given options" {
	podman run --rm --tmpfs /scratch:rw,size=1m,mode=1777 "$IMAGE" sh -c '
		grep " /scratch " /proc/mounts; stat -c %a /scratch; echo hi >/scratch/f && cat /scratch/f'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "tmpfs /scratch tmpfs "*"size=1024k"* ]]
	[ "${lines[1]}" = 1777 ]
	[ "${lines[2]}" = hi ]
}

@test "podman run -v: bind mounts read-write and read-only" {
	mkdir "$PM_WORK/data"
	echo from-host >"$PM_WORK/data/in"
	podman run --rm -v "$PM_WORK/data:/data" "$IMAGE" sh -c 'cat /data/in; echo from-ctr >/data/out'
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$PM_WORK/data/out")" = from-ctr ]
	podman run --rm -v "$PM_WORK/data:/data:ro" "$IMAGE" sh -c 'cat /data/in; touch /data/new'
	[ "$status" -ne 0 ]
	[ "$output" = from-host ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ ! -e "$PM_WORK/data/new" ]
}

@test "podman run -e, --workdir, --hostname reach the process" {
	podman run --rm -e FOO=bar --workdir /tmp --hostname box "$IMAGE" sh -c 'echo $FOO; pwd; hostname'
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "bar /tmp box" ]
}

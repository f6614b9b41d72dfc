#!/usr/bin/env bats
# Known runtime escapes, one test per attack.  Every attack is first shown
# to WORK against a deliberately unprotected target (the same probe on the
# host, a naive path-string mount in a private mount namespace, a leaked fd
# passed on purpose, or the defence switched off with the test-only
# ENVRUN_TEST_UNSAFE_NO_SEAL), so that no test can pass vacuously; then
# the same attack is shown to fail against envrun.
#
# The probes are tests/helpers/escape-probe.c, built statically here.

load helpers

setup_file() {
	requires_cmd cc
	cc -static -O2 -o "$BATS_FILE_TMPDIR/escape-probe" \
		"$TESTS_DIR/helpers/escape-probe.c"
}

setup() {
	setup_bundle
	cp "$BATS_FILE_TMPDIR/escape-probe" "$ROOTFS/bin/escape-probe"
	HOSTDIR=$TEST_TMPDIR/hostdir
	mkdir -p "$HOSTDIR"
	echo "host-secret-$RANDOM" >"$HOSTDIR/secret"
	unset LISTEN_FDS LISTEN_PID
}

teardown() {
	teardown_bundle
}

# update_config_arg NAME VALUE JQ_EXPR [BUNDLE] — update_config with
# $NAME bound to VALUE in the jq expression.
update_config_arg() {
	local name=$1 value=$2
	shift 2
	UPDATE_CONFIG_ARGS=(--arg "$name" "$value")
	update_config "$@"
	local r=$?
	UPDATE_CONFIG_ARGS=()
	return $r
}

add_caps() {
	local c
	for c in "$@"; do
		update_config ".process.capabilities.bounding += [\"$c\"]
			| .process.capabilities.effective += [\"$c\"]
			| .process.capabilities.permitted += [\"$c\"]"
	done
}

# ---------------------------------------------------------------------------
# CVE-2019-5736: overwriting the runtime binary through /proc/PID/exe

# exe_attack MODE — a probe container holds /proc/PID/exe of a container
# process that is being created (`create` leaves it blocked in the runtime's
# code, joined to the probe's pid namespace), then, once that process is
# gone, reopens the held file for writing and appends a marker.  The
# runtime is a private copy of $ENVRUN on a writable filesystem, so that no
# other test keeps it busy.  MODE "unprotected" sets the test-only switch.
# Sets EXE_HELD, EXE_RESULT, COPY_BEFORE, COPY_AFTER, COPY.
exe_attack() {
	local mode=$1 out=$TEST_TMPDIR/out victim=$TEST_TMPDIR/victim pid
	COPY=$TEST_TMPDIR/runtime/envrun
	mkdir -p "$out" "$victim" "$(dirname "$COPY")"
	cp "$ENVRUN" "$COPY"
	COPY_BEFORE=$(sha256sum <"$COPY")

	# The victim: default config, its rootfs, sleeping once started.
	jq --arg r "$ROOTFS" '.root.path = $r | .process.args = ["sleep", "60"]' \
		"$BUNDLE/config.json" >"$victim/config.json"

	# The probe: CAP_SYS_PTRACE so that the container process being
	# non-dumpable does not stop it: the seal alone is under test.
	add_caps CAP_SYS_PTRACE
	update_config_arg o "$out" '.mounts += [{"destination": "/out",
		"type": "bind", "source": $o, "options": ["rbind", "rw"]}]'
	set_args /bin/escape-probe exe-hold /out
	run_detached probe || return 1
	pid=$(container_pid probe)
	[ -n "$pid" ] || { fail "no pid for the probe container"; return 1; }

	update_config_arg p "/proc/$pid/ns/pid" \
		'.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
		"$victim"
	if [ "$mode" = unprotected ]; then
		ENVRUN_TEST_UNSAFE_NO_SEAL=1 "$COPY" --root "$ENVRUN_ROOT" create \
			--bundle "$victim" victim </dev/null >"$TEST_TMPDIR/victim.out" \
			2>"$TEST_TMPDIR/victim.err"
	else
		"$COPY" --root "$ENVRUN_ROOT" create --bundle "$victim" victim \
			</dev/null >"$TEST_TMPDIR/victim.out" 2>"$TEST_TMPDIR/victim.err"
	fi || { cat "$TEST_TMPDIR/victim.err" >&2; fail "create victim"; return 1; }
	echo "# victim exe on the host: $(readlink "/proc/$(container_pid victim)/exe")" >&2

	wait_for_file "$out/held" || return 1
	EXE_HELD=$(cat "$out/held")
	envrun_cmd delete --force victim
	wait_for_file "$out/result" || return 1
	EXE_RESULT=$(cat "$out/result")
	COPY_AFTER=$(sha256sum <"$COPY")
	echo "# held: $EXE_HELD; result: $EXE_RESULT" >&2
}

@test "CVE-2019-5736 control: without the seal a container overwrites the runtime binary" {
	requires_envrun
	exe_attack unprotected
	[ "$EXE_RESULT" = wrote ]
	[ "$COPY_BEFORE" != "$COPY_AFTER" ]
	[ "$(tail -c 20 "$COPY")" = ENVRUN-ESCAPE-MARKER ]
}

# Fails until the lead calls cli_seal_binary at the top of create/run/exec
# and env run (src/cli/seal.h).
@test "CVE-2019-5736: /proc/PID/exe of a container process is a sealed memfd nobody can write" {
	requires_envrun
	exe_attack protected
	[[ "$EXE_HELD" == *"memfd:envrun"* ]]
	[[ "$EXE_RESULT" == write-failed\ EPERM || "$EXE_RESULT" == open-failed\ * ]]
	[ "$COPY_BEFORE" = "$COPY_AFTER" ]
}

# Fails until cli_seal_binary is wired into `create`.
@test "CVE-2019-5736: a created container's process runs the sealed copy" {
	requires_envrun
	local copy=$TEST_TMPDIR/runtime/envrun pid
	mkdir -p "$(dirname "$copy")"
	cp "$ENVRUN" "$copy"
	set_args sleep 60
	"$copy" --root "$ENVRUN_ROOT" create --bundle "$BUNDLE" made </dev/null \
		>/dev/null 2>"$TEST_TMPDIR/made.err"
	pid=$(container_pid made)
	[ -n "$pid" ]
	run readlink "/proc/$pid/exe"
	echo "# exe: $output" >&2
	[[ "$output" == "/memfd:envrun (deleted)" ]]
	# Writing to it from the host fails too (busy or sealed).
	run ! sh -c "printf x >>/proc/$pid/exe"
}

# ---------------------------------------------------------------------------
# CVE-2024-21626: runtime fds leaking into the container

# fds_in_container — the probe's fd list of a container run with the
# given extra run options; the caller opens extra fds around it.
@test "CVE-2024-21626 control: a host directory fd reaching the container is an escape" {
	# The probe reads a host file through a host directory fd it was
	# given on purpose (--preserve-fds): exactly what a leaked fd allows.
	set_args /bin/escape-probe fd-escape 3 secret
	ENVRUN_KEEP_FDS=1 envrun run --preserve-fds 1 --bundle "$BUNDLE" "$(new_id)" 3<"$HOSTDIR" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(cat "$HOSTDIR/secret")"* ]]
}

@test "CVE-2024-21626: no fd of the runtime reaches the container (run, with --log and a cgroup)" {
	set_cgroups_path
	set_args /bin/escape-probe fds
	# Host directories and files open in the caller: none may pass.
	ENVRUN_KEEP_FDS=1 envrun --log "$TEST_TMPDIR/log" run --bundle "$BUNDLE" "$(new_id)" \
		3<"$HOSTDIR" 4<"$HOSTDIR/secret" 5<"$ENVRUN_ROOT" 7</etc 9<"$TEST_TMPDIR" </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | cut -d' ' -f1 | sort -n | tr '\n' ' ')" = "0 1 2 " ]
	# 0-2 are what the caller gave: /dev/null and bats' pipes or files.
	run ! grep -E "$TEST_TMPDIR|/sys/fs/cgroup|/etc|/run/envrun" <<<"$output"
}

@test "CVE-2024-21626: no fd of the runtime reaches the container (create/start)" {
	local id
	id=$(new_id)
	set_cgroups_path
	set_args /bin/escape-probe fds
	"$ENVRUN" --root "$ENVRUN_ROOT" --log "$TEST_TMPDIR/log" create \
		--bundle "$BUNDLE" "$id" </dev/null >"$TEST_TMPDIR/c.out" \
		2>"$TEST_TMPDIR/c.err" 3<"$HOSTDIR" 6<"$ENVRUN_ROOT"
	envrun start "$id"
	[ "$status" -eq 0 ]
	wait_for_status "$id" stopped
	cat "$TEST_TMPDIR/c.out" >&2
	[ "$(cut -d' ' -f1 "$TEST_TMPDIR/c.out" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
	run ! grep -E "$ENVRUN_ROOT|$HOSTDIR|cgroup" "$TEST_TMPDIR/c.out"
	envrun delete "$id"
}

@test "CVE-2024-21626: --preserve-fds N passes exactly fds 3..N+2, with their targets" {
	set_args /bin/escape-probe fds
	ENVRUN_KEEP_FDS=1 envrun run --preserve-fds 2 --bundle "$BUNDLE" "$(new_id)" \
		3<"$HOSTDIR/secret" 4<"$HOSTDIR" 5</etc </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | cut -d' ' -f1 | sort -n | tr '\n' ' ')" = "0 1 2 3 4 " ]
	grep -qx "3 $HOSTDIR/secret" <<<"$output"
	grep -qx "4 $HOSTDIR" <<<"$output"
}

@test "CVE-2024-21626 control: cwd through a host directory fd lands outside the root" {
	# On the host, the same trick: a cwd of /proc/self/fd/N for a
	# directory fd is that directory, whatever the process's root.
	run bash -c "exec 7<'$HOSTDIR'; cd /proc/self/fd/7 && pwd -P && cat secret"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$HOSTDIR" ]
	[ "${lines[1]}" = "$(cat "$HOSTDIR/secret")" ]
}

@test "CVE-2024-21626: process.cwd = /proc/self/fd/N never gives a cwd outside the container" {
	local n
	set_cgroups_path
	for n in 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		update_config ".process.cwd = \"/proc/self/fd/$n\""
		set_args sh -c 'pwd -P; cat ./secret 2>/dev/null; echo end'
		envrun --log "$TEST_TMPDIR/log" run --bundle "$BUNDLE" "$(new_id)" </dev/null
		if [ "$status" -eq 0 ]; then
			# Started: then the cwd must be inside the container.
			[[ "${lines[0]}" == /* ]]
			[[ "$output" != *unreachable* ]]
			[[ "$output" != *host-secret* ]]
		fi
	done
}

@test "CVE-2024-21626: a preserved host directory fd as process.cwd is refused" {
	update_config '.process.cwd = "/proc/self/fd/3"'
	set_args sh -c 'pwd; cat secret'
	ENVRUN_KEEP_FDS=1 envrun run --preserve-fds 1 --bundle "$BUNDLE" "$(new_id)" 3<"$HOSTDIR" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" != *host-secret* ]]
	[[ "$stderr" == *"outside the container"* ]]
}

# ---------------------------------------------------------------------------
# Mount destinations resolved inside the rootfs (CVE-2021-30465 and kin)

# naive_mount_lands_on_host LINK [HOSTPATH] — the control: a runtime that
# builds the destination as the string "$ROOTFS/LINK" and lets the kernel
# follow the symlink mounts on the host directory HOSTPATH (default
# $HOSTDIR).  Shown in a private mount namespace so nothing stays behind.
naive_mount_lands_on_host() {
	local host=${2:-$HOSTDIR}
	run unshare -m --propagation private sh -c "
		mount -t tmpfs naive '$ROOTFS/$1' &&
		findmnt -n -o TARGET --target '$host'"
	[ "$status" -eq 0 ]
	[ "$output" = "$host" ]
}

# tmpfs_at DEST — run a container with a 1m tmpfs on DEST that writes
# DEST/planted and reports where the tmpfs is and what DEST holds.
tmpfs_at() {
	update_config_arg d "$1" '.mounts += [{"destination": $d,
		"type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_args sh -c "echo planted >'$1/planted' && grep -c 'size=1024k' /proc/self/mountinfo; ls '$1'"
	envrun run --bundle "$BUNDLE" "$(new_id)" </dev/null
}

# assert_host_dir_untouched — nothing planted or mounted on $HOSTDIR.
assert_host_dir_untouched() {
	[ "$(ls "$HOSTDIR")" = secret ]
	[ -z "$(mounts_under "$HOSTDIR")" ]
}

# assert_tmpfs_inside_or_refused DEST — a destination through a link whose
# target does not exist inside the rootfs is either refused or created
# inside the rootfs (as runc does); never on the host.
assert_tmpfs_inside_or_refused() {
	tmpfs_at "$1"
	if [ "$status" -ne 0 ]; then
		[[ "$stderr" == *"inside the rootfs"* ]]
	else
		[ "${lines[0]}" = 1 ]
		[ "${lines[1]}" = planted ]
		[ -d "$ROOTFS$HOSTDIR" ]
	fi
	assert_host_dir_untouched
}

@test "mount destination: an absolute symlink to /etc lands on the rootfs's /etc" {
	ln -s /etc "$ROOTFS/evil"
	naive_mount_lands_on_host evil /etc
	tmpfs_at /evil
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	# /etc seen inside is the new tmpfs: the image's files are covered.
	[ "${lines[1]}" = planted ]
	[ -f /etc/passwd ] && [ ! -e /etc/planted ]
	[ -f "$ROOTFS/etc/passwd" ]
}

@test "mount destination: a relative symlink climbing to /etc lands on the rootfs's /etc" {
	ln -s ../../../../../../../../../../../etc "$ROOTFS/evil"
	naive_mount_lands_on_host evil /etc
	tmpfs_at /evil
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = planted ]
	[ ! -e /etc/planted ]
}

@test "mount destination: an absolute symlink to a host temp dir stays inside the rootfs" {
	ln -s "$HOSTDIR" "$ROOTFS/evil"
	naive_mount_lands_on_host evil
	assert_tmpfs_inside_or_refused /evil
}

@test "mount destination: a relative symlink climbing to a host temp dir stays inside" {
	ln -s "../../../../../../../../../../..$HOSTDIR" "$ROOTFS/evil"
	naive_mount_lands_on_host evil
	assert_tmpfs_inside_or_refused /evil
}

@test "mount destination: a symlinked parent directory stays inside" {
	ln -s "$HOSTDIR/.." "$ROOTFS/evilparent"
	naive_mount_lands_on_host "evilparent/hostdir"
	assert_tmpfs_inside_or_refused /evilparent/hostdir
}

@test "mount destination: .. in the destination is clamped at the rootfs" {
	local dest=/../../../../../../../../..$HOSTDIR
	# Control: as a string, the destination names the host directory.
	[ "$(realpath -m "$ROOTFS$dest")" = "$HOSTDIR" ]
	tmpfs_at "$dest"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = planted ]
	[ -d "$ROOTFS$HOSTDIR" ]
	assert_host_dir_untouched
}

@test "mount destination: a bind mount through a symlink cannot cover a host directory" {
	mkdir -p "$TEST_TMPDIR/src"
	echo from-bind >"$TEST_TMPDIR/src/file"
	mkdir -p "$ROOTFS$HOSTDIR"
	ln -s "$HOSTDIR" "$ROOTFS/evil"
	naive_mount_lands_on_host evil
	update_config_arg s "$TEST_TMPDIR/src" '.mounts += [{"destination": "/evil",
		"type": "bind", "source": $s, "options": ["rbind", "ro"]}]'
	set_args sh -c "cat /evil/file; ls '$HOSTDIR'"
	envrun run --bundle "$BUNDLE" "$(new_id)" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-bind ]
	[ "${lines[1]}" = file ]
	assert_host_dir_untouched
}

@test "CVE-2019-16884/CVE-2019-19921: a /proc that is a symlink is refused" {
	mkdir -p "$ROOTFS/fakeproc"
	rmdir "$ROOTFS/proc"
	ln -s /fakeproc "$ROOTFS/proc"
	# Control: following the link, proc would be mounted elsewhere.
	[ "$(readlink -f "$ROOTFS/proc")" = "$ROOTFS/fakeproc" ] ||
		[ "$(readlink "$ROOTFS/proc")" = /fakeproc ]
	set_args true
	envrun run --bundle "$BUNDLE" "$(new_id)" </dev/null
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/proc"*"symlink"* ]]
	assert_nothing_left
}

@test "CVE-2019-16884: a /sys that is a symlink is refused" {
	rmdir "$ROOTFS/sys"
	ln -s "$HOSTDIR" "$ROOTFS/sys"
	naive_mount_lands_on_host sys
	set_args true
	envrun run --bundle "$BUNDLE" "$(new_id)" </dev/null
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/sys"*"symlink"* ]]
	[ "$(ls "$HOSTDIR")" = secret ]
}

@test "maskedPaths and readonlyPaths entries that are symlinks to host paths stay inside" {
	mkdir -p "$ROOTFS$HOSTDIR"
	echo in-rootfs >"$ROOTFS$HOSTDIR/secret"
	mkdir -p "$ROOTFS$HOSTDIR/rodir"
	ln -s "$HOSTDIR/secret" "$ROOTFS/masklink"
	ln -s "../../../../../../..$HOSTDIR/rodir" "$ROOTFS/rolink"
	update_config '.linux.maskedPaths += ["/masklink"] | .linux.readonlyPaths += ["/rolink"]'
	set_args sh -c "cat '$HOSTDIR/secret'; echo x; touch '$HOSTDIR/rodir/f' 2>/dev/null && echo writable || echo readonly"
	envrun run --bundle "$BUNDLE" "$(new_id)" </dev/null
	[ "$status" -eq 0 ]
	# The in-rootfs target is masked (empty) and read-only ...
	[ "${lines[0]}" = x ]
	[ "${lines[1]}" = readonly ]
	# ... and the host's files are untouched.
	[ "$(cat "$HOSTDIR/secret")" != "" ]
	[ "$(ls "$HOSTDIR")" = secret ]
}

# ---------------------------------------------------------------------------
# open_by_handle_at (the "Shocker" escape)

@test "open_by_handle_at control: the probe opens a file by handle on the host" {
	run "$BATS_FILE_TMPDIR/escape-probe" handle /etc/hostname
	[ "$output" = opened ]
}

@test "open_by_handle_at control: with CAP_DAC_READ_SEARCH and no seccomp it works in a container" {
	add_caps CAP_DAC_READ_SEARCH
	update_config 'del(.linux.seccomp)'
	set_args /bin/escape-probe handle /etc/passwd
	envrun run --bundle "$BUNDLE" "$(new_id)" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = opened ]
}

@test "open_by_handle_at fails in a container with the default config" {
	set_args /bin/escape-probe handle /etc/passwd
	envrun run --bundle "$BUNDLE" "$(new_id)" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "failed EPERM" ]
}

@test "open_by_handle_at fails without CAP_DAC_READ_SEARCH even with no seccomp filter" {
	update_config 'del(.linux.seccomp)'
	set_args sh -c 'grep CapEff /proc/self/status; /bin/escape-probe handle /etc/passwd'
	envrun run --bundle "$BUNDLE" "$(new_id)" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "failed EPERM" ]
}

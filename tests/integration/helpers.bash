#!/bin/bash
# Shared helpers for the envrun integration tests (bats), in the style of
# runc's tests/integration/helpers.bash.
#
# A test file does:
#   load helpers
#   setup()    { setup_bundle; }
#   teardown() { teardown_bundle; }
# and then, per test:
#   set_args sh -c 'echo hi'          # process.args
#   update_config '.hostname = "x"'   # any jq edit of config.json
#   envrun run "$(new_id)"            # $status, $output (stdout), $stderr
#
# Everything a test makes is under its own temporary directories and its
# own unique ids; teardown_bundle force-deletes every container under the
# test's --root, kills what is left of the test's processes (found by a
# per-test marker in their environment, never by name), unmounts anything
# left under its directories, removes its cgroups and its directories.
#
# Which binary: $ENVRUN if set (tests/run-all sets it), else the envrun of
# ./build, then of an in-tree build.  The tests can be pointed at runc
# (ENVRUN=$(command -v runc)) to check the tests themselves where the two
# runtimes behave the same; `is_runc` tells the few places they differ.

bats_require_minimum_version 1.5.0

# fail MESSAGE — fail the test with MESSAGE (bats-core has no `fail`
# without bats-assert).
fail() {
	echo "# FAIL: $*" >&2
	return 1
}

INTEGRATION_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS_DIR=$(dirname "$INTEGRATION_DIR")
TOP_SRCDIR=$(dirname "$TESTS_DIR")
OCI_SCHEMA_DIR=${OCI_SCHEMA_DIR:-/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema}

find_envrun() {
	local c
	if [ -n "${ENVRUN:-}" ]; then
		echo "$ENVRUN"
		return
	fi
	for c in "${ENVRUN_BUILD_DIR:-}/envrun" "$TOP_SRCDIR/build/envrun" \
		"$TOP_SRCDIR/envrun"; do
		if [ -x "$c" ] && [ -f "$c" ]; then
			echo "$c"
			return
		fi
	done
	echo "$TOP_SRCDIR/build/envrun"
}
ENVRUN=$(find_envrun)
export ENVRUN

# Some behaviour is envrun's own (messages, extensions); tests of it are
# skipped when the suite is pointed at runc to check itself.
is_runc() {
	case $(basename "$(readlink -f "$ENVRUN")") in
	runc*) return 0 ;;
	esac
	return 1
}
requires_envrun() {
	is_runc && skip "envrun-specific behaviour (ENVRUN is runc)"
	return 0
}

requires_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

# requires_userns — skip where this machine cannot make user namespaces
# (e.g. a chrooted sandbox: unshare(CLONE_NEWUSER) fails with EPERM).
requires_userns() {
	unshare -U true 2>/dev/null || skip "this machine cannot create user namespaces"
}

requires_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# ---------------------------------------------------------------------------
# Running the runtime

# Every runtime command runs under `timeout`: not an assertion on time, only
# a bound so that a runtime that hangs fails its test instead of the whole
# suite.  bats' own descriptors (3 and up) are closed for the runtime, so a
# container that keeps them cannot stall bats (the leak itself is tested
# with descriptors of the test's own in process.bats).
ENVRUN_CMD_TIMEOUT=${ENVRUN_CMD_TIMEOUT:-120}
envrun_exec() {
	# bats reads its own fds 3 and 4 until every holder closes them: a
	# detached container must not inherit them.  Tests that pass fds 3
	# and 4 on purpose (--preserve-fds) set ENVRUN_KEEP_FDS=1.
	if [ -n "${ENVRUN_KEEP_FDS:-}" ]; then
		timeout -k 5 "$ENVRUN_CMD_TIMEOUT" "$ENVRUN" "$@"
	else
		timeout -k 5 "$ENVRUN_CMD_TIMEOUT" "$ENVRUN" "$@" 3>&- 4>&-
	fi
}

# envrun ARGS... — run the binary under test with the test's --root, as
# bats' `run --separate-stderr`: $status, $output/$lines (stdout),
# $stderr/$stderr_lines.  What it printed goes to the test's log, shown when
# the test fails.
envrun() {
	run --separate-stderr envrun_exec --root "$ENVRUN_ROOT" "$@"
	{
		echo "# envrun $* (status=$status)"
		[ -z "$output" ] || printf '# stdout: %s\n' "${lines[@]}"
		[ -z "$stderr" ] || printf '# stderr: %s\n' "${stderr_lines[@]}"
	} >&2
}

# envrun_cmd ARGS... — the same binary, without `run`: for pipes,
# redirections and background jobs.
envrun_cmd() {
	envrun_exec --root "$ENVRUN_ROOT" "$@"
}

# new_id [PREFIX] — an id unique to this test run.
new_id() {
	local id="${1:-ct}-${BATS_TEST_NUMBER:-0}-$$-$RANDOM$RANDOM"
	# Remembered so that teardown can find what a broken runtime left.
	[ -z "${TEST_TMPDIR:-}" ] || echo "$id" >>"$TEST_TMPDIR/ids"
	echo "$id"
}

# ---------------------------------------------------------------------------
# Bundles

# setup_bundle — make $BUNDLE (rootfs $ROOTFS, config.json from `envrun
# spec`), a fresh state root $ENVRUN_ROOT, and this test's marker
# $ENVRUN_TEST_MARK, exported so that every process the test starts (the
# runtime included) carries it and teardown can find leftovers.  The config
# gets process.terminal=false (no tty in tests) and the marker in
# process.env.  ENVRUN_SPEC_FROM may name another runtime whose `spec` to
# use while envrun's is being written.
setup_bundle() {
	requires_root
	ENVRUN_TEST_MARK="envrun-bats-$$-${BATS_TEST_NUMBER:-0}-$RANDOM$RANDOM"
	export ENVRUN_TEST_MARK
	TEST_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/envrun-test.XXXXXX")
	chmod 0755 "$TEST_TMPDIR"
	BUNDLE=$TEST_TMPDIR/bundle
	ROOTFS=$BUNDLE/rootfs
	ENVRUN_ROOT=$TEST_TMPDIR/state
	mkdir -p "$BUNDLE" "$ENVRUN_ROOT"
	"$TESTS_DIR/make-busybox-rootfs.sh" "$ROOTFS"
	make_spec "$BUNDLE"
	update_config '.process.terminal = false
		| .process.env += ["ENVRUN_TEST_MARK=" + env.ENVRUN_TEST_MARK]'
	TEST_CGROUP_PARENT=
}

# make_spec DIR [--rootless] — write DIR/config.json with the runtime's spec.
make_spec() {
	local dir=$1
	shift
	if ! (cd "$dir" && "${ENVRUN_SPEC_FROM:-$ENVRUN}" spec "$@"); then
		fail "$(basename "${ENVRUN_SPEC_FROM:-$ENVRUN}") spec failed in $dir"
		return 1
	fi
	[ -s "$dir/config.json" ] || { fail "spec wrote no $dir/config.json"; return 1; }
}

# update_config JQ_EXPR [BUNDLE] — edit config.json in place with jq.
# Extra jq arguments can be given through the array UPDATE_CONFIG_ARGS.
update_config() {
	local bundle=${2:-$BUNDLE} tmp
	tmp=$(mktemp "$bundle/.config.XXXXXX")
	if ! jq "${UPDATE_CONFIG_ARGS[@]+"${UPDATE_CONFIG_ARGS[@]}"}" "$1" "$bundle/config.json" >"$tmp"; then
		rm -f "$tmp"
		fail "update_config: jq failed on: $1"
		return 1
	fi
	mv "$tmp" "$bundle/config.json"
}

# set_args ARG... — process.args = the given words, exactly.
set_args() {
	local tmp
	tmp=$(mktemp "$BUNDLE/.config.XXXXXX")
	jq '.process.args = $ARGS.positional' "$BUNDLE/config.json" \
		--args -- "$@" >"$tmp" || { fail "set_args failed"; return 1; }
	mv "$tmp" "$BUNDLE/config.json"
}

# run_ctr ARG... — set process.args and `envrun run` a new container in
# the foreground, stdin from /dev/null.  $CTR_ID is the id used.
run_ctr() {
	set_args "$@"
	CTR_ID=$(new_id run)
	envrun run --bundle "$BUNDLE" "$CTR_ID" </dev/null
}

# run_sh 'SCRIPT' — run_ctr sh -c 'SCRIPT'.
run_sh() {
	run_ctr sh -c "$1"
}

# set_cgroups_path [NAME] — give the container a cgroupsPath below this
# test's own parent (/envrun-bats-<marker>), which teardown removes.
set_cgroups_path() {
	TEST_CGROUP_PARENT=/envrun-bats-$ENVRUN_TEST_MARK
	update_config ".linux.cgroupsPath = \"$TEST_CGROUP_PARENT/${1:-ctr}\""
}

# create_ctr ID [BUNDLE [CREATE_OPTION...]] — `envrun create` a container
# and fail the test if that fails.  The container inherits create's stdio
# (terminal=false), so stdout and stderr go to files, never to a pipe of
# bats (which would wait for the container to exit): $TEST_TMPDIR/ID.out
# and $TEST_TMPDIR/ID.err.
create_ctr() {
	local id=$1 bundle=${2:-$BUNDLE}
	shift $(($# < 2 ? $# : 2))
	if ! envrun_exec --root "$ENVRUN_ROOT" create --bundle "$bundle" "$@" "$id" \
		</dev/null >"$TEST_TMPDIR/$id.out" 2>"$TEST_TMPDIR/$id.err"; then
		echo "# create $id failed:" >&2
		sed 's/^/# /' "$TEST_TMPDIR/$id.err" >&2
		return 1
	fi
}

# run_detached ID [BUNDLE [RUN_OPTION...]] — `envrun run -d`, stdio to
# files as for create_ctr.
run_detached() {
	local id=$1 bundle=${2:-$BUNDLE}
	shift $(($# < 2 ? $# : 2))
	if ! envrun_exec --root "$ENVRUN_ROOT" run -d --bundle "$bundle" "$@" "$id" \
		</dev/null >"$TEST_TMPDIR/$id.out" 2>"$TEST_TMPDIR/$id.err"; then
		echo "# run -d $id failed:" >&2
		sed 's/^/# /' "$TEST_TMPDIR/$id.err" >&2
		return 1
	fi
}

# ctr_output ID — what the container of create_ctr/run_detached printed.
ctr_output() {
	cat "$TEST_TMPDIR/$1.out"
}

# ---------------------------------------------------------------------------
# State

# container_status ID — print .status of `state ID`, or nothing.
container_status() {
	envrun_cmd state "$1" 2>/dev/null | jq -r '.status // empty' 2>/dev/null
}

# container_pid ID — print .pid of `state ID`.
container_pid() {
	envrun_cmd state "$1" 2>/dev/null | jq -r '.pid // empty' 2>/dev/null
}

# wait_for_status ID STATUS [TRIES] — poll `state` until the status is
# STATUS.  Not a timed assertion: the bound (default 300 polls of 0.1 s)
# only stops a broken runtime from hanging the suite.
wait_for_status() {
	local id=$1 want=$2 tries=${3:-300} got=
	while [ "$tries" -gt 0 ]; do
		got=$(container_status "$id")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "# wait_for_status $id: wanted '$want', last saw '$got'" >&2
	return 1
}

# wait_for_file PATH [TRIES] — poll until PATH exists and is non-empty.
wait_for_file() {
	local f=$1 tries=${2:-300}
	while [ "$tries" -gt 0 ]; do
		[ -s "$f" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "# wait_for_file $f: never appeared" >&2
	return 1
}

# validate_json SCHEMA_NAME FILE|- — validate against the OCI schema
# (e.g. state-schema.json).
validate_json() {
	local py=python3
	# Prefer Debian's python, which has python3-jsonschema.
	if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		py=/usr/bin/python3
	fi
	[ -f "$OCI_SCHEMA_DIR/$1" ] || { fail "schema $OCI_SCHEMA_DIR/$1 missing: install golang-github-opencontainers-specs-dev"; return 1; }
	"$py" "$TESTS_DIR/helpers/validate-json-schema.py" "$OCI_SCHEMA_DIR/$1" "$2"
}

# ---------------------------------------------------------------------------
# Leftovers

# marked_pids [MARK] — pids of live processes whose environment carries
# the test marker (our runtime processes and container processes).  Zombies
# have an empty environ and are not listed.
marked_pids() {
	local mark=${1:-$ENVRUN_TEST_MARK} d pid
	[ -n "$mark" ] || return 0
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = "$$" ] && continue
		[ "$pid" = "${BASHPID:-}" ] && continue
		if grep -qzx "ENVRUN_TEST_MARK=$mark" "$d/environ" 2>/dev/null; then
			echo "$pid"
		fi
	done
}

# mounts_under DIR... — host mount points at or below DIR (deepest first).
mounts_under() {
	local d
	for d in "$@"; do
		[ -n "$d" ] || continue
		awk -v p="$d" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
	done | sort -r -u
}

# cgroup_dirs_under PATH — cgroup directories at or below PATH in every
# mounted hierarchy (v1 controllers, named, and cgroup2).
cgroup_dirs_under() {
	local rel=$1 mp
	[ -n "$rel" ] || return 0
	while read -r mp; do
		[ -d "$mp$rel" ] && find "$mp$rel" -depth -type d
	done < <(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts)
}

# state_entries — what is left in the test's --root (container state).
state_entries() {
	[ -d "$ENVRUN_ROOT" ] || return 0
	find "$ENVRUN_ROOT" -mindepth 1 -maxdepth 1 -printf '%f\n'
}

# assert_nothing_left — no container state, no process of the test, no
# mount under the test's dirs, no cgroup under its cgroup parent.
assert_nothing_left() {
	local left
	left=$(state_entries)
	[ -z "$left" ] || { fail "state left under $ENVRUN_ROOT: $left"; return 1; }
	left=$(marked_pids)
	[ -z "$left" ] || { fail "processes left: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo "[$p]"; done)"; return 1; }
	left=$(mounts_under "$TEST_TMPDIR")
	[ -z "$left" ] || { fail "mounts left: $left"; return 1; }
	if [ -n "${TEST_CGROUP_PARENT:-}" ]; then
		left=$(cgroup_dirs_under "$TEST_CGROUP_PARENT" | grep -v -x -F -f <(
			while read -r mp; do echo "$mp$TEST_CGROUP_PARENT"; done < <(
				awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts)) || true)
		[ -z "$left" ] || { fail "cgroups left: $left"; return 1; }
	fi
}

# teardown_bundle — undo everything setup_bundle and the test made.
teardown_bundle() {
	local id pid m cg ids
	[ -n "${TEST_TMPDIR:-}" ] || return 0
	if [ -d "$ENVRUN_ROOT" ]; then
		ids=$({
			ENVRUN_CMD_TIMEOUT=30 envrun_exec --root "$ENVRUN_ROOT" list -q 2>/dev/null
			state_entries
		} | sort -u)
		for id in $ids; do
			ENVRUN_CMD_TIMEOUT=30 envrun_exec --root "$ENVRUN_ROOT" delete --force "$id" \
				</dev/null >/dev/null 2>&1 || true
		done
	fi
	# Whatever survived is ours (it carries our marker): kill it by pid.
	for pid in $(marked_pids); do
		kill -9 "$pid" 2>/dev/null || true
	done
	for m in $(mounts_under "$TEST_TMPDIR"); do
		umount -l "$m" 2>/dev/null || true
	done
	if [ -n "${TEST_CGROUP_PARENT:-}" ]; then
		for cg in $(cgroup_dirs_under "$TEST_CGROUP_PARENT"); do
			if [ -f "$cg/cgroup.procs" ]; then
				for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do
					kill -9 "$pid" 2>/dev/null || true
				done
			fi
			rmdir "$cg" 2>/dev/null || true
		done
	fi
	# Cgroups a broken runtime left at its default place, named after one
	# of this test's unique ids (never anything else).
	if [ -s "$TEST_TMPDIR/ids" ]; then
		while read -r mp; do
			for id in $(sort -u "$TEST_TMPDIR/ids"); do
				find "$mp" -maxdepth 3 -type d -name "$id" 2>/dev/null
			done
		done < <(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts) |
			sort -r | while read -r cg; do
				for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do
					kill -9 "$pid" 2>/dev/null || true
				done
				rmdir "$cg" 2>/dev/null || true
			done
	fi
	# --one-file-system: never descend into a mount a broken runtime might
	# have left (a bind of a host directory must not be emptied).
	rm -rf --one-file-system "$TEST_TMPDIR" 2>/dev/null || true
	TEST_TMPDIR=
}

# ---------------------------------------------------------------------------
# Inside the container

# cap_set_hex NAME... — the hexadecimal mask /proc/self/status shows for a
# set holding exactly the given capabilities (names without CAP_).
cap_number() {
	case $1 in
	CHOWN) echo 0 ;; DAC_OVERRIDE) echo 1 ;; DAC_READ_SEARCH) echo 2 ;;
	FOWNER) echo 3 ;; FSETID) echo 4 ;; KILL) echo 5 ;; SETGID) echo 6 ;;
	SETUID) echo 7 ;; SETPCAP) echo 8 ;; LINUX_IMMUTABLE) echo 9 ;;
	NET_BIND_SERVICE) echo 10 ;; NET_BROADCAST) echo 11 ;; NET_ADMIN) echo 12 ;;
	NET_RAW) echo 13 ;; IPC_LOCK) echo 14 ;; IPC_OWNER) echo 15 ;;
	SYS_MODULE) echo 16 ;; SYS_RAWIO) echo 17 ;; SYS_CHROOT) echo 18 ;;
	SYS_PTRACE) echo 19 ;; SYS_PACCT) echo 20 ;; SYS_ADMIN) echo 21 ;;
	SYS_BOOT) echo 22 ;; SYS_NICE) echo 23 ;; SYS_RESOURCE) echo 24 ;;
	SYS_TIME) echo 25 ;; SYS_TTY_CONFIG) echo 26 ;; MKNOD) echo 27 ;;
	LEASE) echo 28 ;; AUDIT_WRITE) echo 29 ;; AUDIT_CONTROL) echo 30 ;;
	SETFCAP) echo 31 ;; MAC_OVERRIDE) echo 32 ;; MAC_ADMIN) echo 33 ;;
	SYSLOG) echo 34 ;; WAKE_ALARM) echo 35 ;; BLOCK_SUSPEND) echo 36 ;;
	AUDIT_READ) echo 37 ;; PERFMON) echo 38 ;; BPF) echo 39 ;;
	CHECKPOINT_RESTORE) echo 40 ;;
	*) echo "unknown capability $1" >&2; return 1 ;;
	esac
}
cap_set_hex() {
	local mask=0 c n
	for c in "$@"; do
		n=$(cap_number "${c#CAP_}") || return 1
		mask=$((mask | (1 << n)))
	done
	printf '%016x\n' "$mask"
}

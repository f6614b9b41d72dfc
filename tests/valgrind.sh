#!/bin/bash
# tests/valgrind.sh [BUILD_DIR] — the command line under valgrind memcheck.
#
# Runs BUILD_DIR/envrun (default ./build, else ./build-sec) under
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible
# for `run`, `create`/`state`/`start`/`delete`, and every bad-input case:
# tests/unit/data/bad-*.json plus the broken configs and flags made below
# (truncated JSON, wrong types, out-of-range numbers, missing rootfs,
# missing fields, bad flags).  A case passes when valgrind reports no error
# and no definite/possible leak, and the exit status is the one expected
# (0 for the good cases, non-zero for the bad ones, never valgrind's 99).
# Prints one line per case and ends with `N passed, N failed`.
#
# Valgrind cannot follow the container process cleanly (namespaces,
# pivot_root, seccomp): --trace-children=no and --child-silent-after-fork
# leave it alone, so only the runtime process is checked.  The test-only
# ENVRUN_TEST_UNSAFE_NO_SEAL=1 keeps the runtime from re-executing itself
# from a sealed memfd (src/cli/seal.c), which valgrind would not follow.
# Needs root (containers) and busybox-static (the test rootfs).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-}
if [ -z "$build" ]; then
	for b in "$top/build" "$top/build-sec" "$top"; do
		[ -x "$b/envrun" ] && build=$b && break
	done
fi
envrun=$(cd "${build:-.}" 2>/dev/null && pwd)/envrun
[ -x "$envrun" ] || { echo "valgrind.sh: no envrun in ${build:-./build}" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind not installed" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "valgrind.sh: needs root" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/envrun-valgrind.XXXXXX")
chmod 0755 "$work"
state=$work/state
mkdir -p "$state" "$work/logs"
ids=()
cleanup() {
	local id
	for id in "${ids[@]+"${ids[@]}"}"; do
		"$envrun" --root "$state" delete --force "$id" >/dev/null 2>&1 </dev/null || true
	done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

export ENVRUN_TEST_UNSAFE_NO_SEAL=1
unset LISTEN_FDS LISTEN_PID

bundle=$work/bundle
mkdir -p "$bundle"
"$top/tests/make-busybox-rootfs.sh" "$bundle/rootfs" || exit 2
(cd "$bundle" && "$envrun" spec) || exit 2
# No process.rlimits: valgrind keeps RLIMIT_NOFILE for itself and refuses
# to raise it (EPERM), which is valgrind's limit, not envrun's.
jq '.process.terminal = false | .process.args = ["true"] | del(.process.rlimits)' \
	"$bundle/config.json" >"$work/c" &&
	mv "$work/c" "$bundle/config.json"

passed=0 failed=0 n=0

# vg EXPECT NAME ARGS... — run envrun ARGS under memcheck; EXPECT is 0 or
# "fail" (any non-zero status but 99).
vg() {
	local expect=$1 name=$2 log rc
	shift 2
	n=$((n + 1))
	log=$work/logs/$n.log
	valgrind --quiet --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,possible \
		--show-leak-kinds=definite,possible \
		--trace-children=no --child-silent-after-fork=yes \
		--log-file="$log" \
		"$envrun" --root "$state" "$@" </dev/null >"$work/logs/$n.out" 2>"$work/logs/$n.err"
	rc=$?
	local ok=yes why=
	# Memcheck's reports are "==PID==" lines; "--PID--" lines are its
	# own warnings (e.g. the seccomp syscall it does not know).
	if [ "$rc" -eq 99 ] || grep -q '^==[0-9]*==' "$log"; then
		ok=no why="valgrind reported errors (exit $rc)"
	elif [ "$expect" = 0 ] && [ "$rc" -ne 0 ]; then
		ok=no why="exit $rc, expected 0: $(head -n1 "$work/logs/$n.err")"
	elif [ "$expect" = fail ] && [ "$rc" -eq 0 ]; then
		ok=no why="exit 0, expected an error"
	fi
	if [ "$ok" = yes ]; then
		passed=$((passed + 1))
		echo "ok $n $name"
	else
		failed=$((failed + 1))
		echo "not ok $n $name: $why"
		grep '^==[0-9]*==' "$log" | sed 's/^/#   /' | head -n 40
	fi
}

# bad_config NAME JQ_EXPR — a bundle whose config.json is the good one
# edited by JQ_EXPR, run and expected to fail.
bad_config() {
	local name=$1 dir=$work/bad-$n
	mkdir -p "$dir"
	ln -s "$bundle/rootfs" "$dir/rootfs"
	jq "$2" "$bundle/config.json" >"$dir/config.json" || { echo "jq failed: $2" >&2; return 1; }
	vg fail "bad config: $name" run --bundle "$dir" "bad-$n"
}

# bad_config_text NAME TEXT — a config.json with exactly TEXT.
bad_config_text() {
	local name=$1 dir=$work/bad-$n
	mkdir -p "$dir"
	ln -s "$bundle/rootfs" "$dir/rootfs"
	printf '%s' "$2" >"$dir/config.json"
	vg fail "bad config: $name" run --bundle "$dir" "bad-$n"
}

# --- good cases
ids+=(vg-run vg-life)
vg 0 "run true" run --bundle "$bundle" vg-run
vg 0 "create" create --bundle "$bundle" vg-life
vg 0 "state (created)" state vg-life
vg 0 "list" list
vg 0 "start" start vg-life
for _ in $(seq 50); do
	[ "$("$envrun" --root "$state" state vg-life 2>/dev/null | jq -r .status)" = stopped ] && break
	sleep 0.1
done
vg 0 "state (stopped)" state vg-life
vg 0 "delete" delete vg-life
vg 0 "spec" spec --bundle "$work"
vg 0 "features" features

# --- bad input: the unit tests' data
for f in "$top"/tests/unit/data/bad-*.json; do
	[ -e "$f" ] || continue
	dir=$work/data-$(basename "$f" .json)
	mkdir -p "$dir"
	ln -s "$bundle/rootfs" "$dir/rootfs"
	cp "$f" "$dir/config.json"
	vg fail "bad config: tests/unit/data/$(basename "$f")" run --bundle "$dir" "data-$n"
done

# --- bad input: broken configs
full=$(cat "$bundle/config.json")
bad_config_text "truncated in the middle" "${full:0:$((${#full} / 2))}"
bad_config_text "truncated to one byte" "{"
bad_config_text "empty file" ""
bad_config_text "not an object" '["ociVersion"]'
bad_config_text "trailing garbage" "$full}"
bad_config_text "deeply nested" "$(printf '[%.0s' $(seq 5000))"
bad_config "missing ociVersion" 'del(.ociVersion)'
bad_config "process.args a string" '.process.args = "true"'
bad_config "process.args empty" '.process.args = []'
bad_config "process.args with a number" '.process.args = ["true", 1]'
bad_config "process.user.uid a string" '.process.user.uid = "root"'
bad_config "process.user.uid negative" '.process.user.uid = -1'
bad_config "process.rlimits wrong type" '.process.rlimits = {"RLIMIT_NOFILE": 1}'
bad_config "process.rlimits unknown" '.process.rlimits = [{"type": "RLIMIT_BOGUS", "hard": 1, "soft": 1}]'
bad_config "capabilities unknown" '.process.capabilities.bounding += ["CAP_BOGUS"]'
bad_config "mounts not an array" '.mounts = {}'
bad_config "mount without destination" '.mounts += [{"type": "tmpfs", "source": "tmpfs"}]'
bad_config "mount option unknown type" '.mounts[0].options = [1]'
bad_config "namespaces unknown type" '.linux.namespaces += [{"type": "bogus"}]'
bad_config "uidMappings size a string" '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": "x"}]'
bad_config "memory limit a string" '.linux.resources.memory = {"limit": "1g"}'
bad_config "seccomp unknown action" '.linux.seccomp = {"defaultAction": "SCMP_ACT_BOGUS"}'
bad_config "seccomp syscalls not array" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": 1}'
bad_config "hook path relative" '.hooks = {"prestart": [{"path": "true"}]}'
bad_config "sysctl not an object" '.linux.sysctl = ["a"]'
bad_config "device type bogus" '.linux.devices = [{"path": "/dev/x", "type": "q", "major": 1, "minor": 1}]'
bad_config "root missing" 'del(.root)'
bad_config "rootfs missing" '.root.path = "/nonexistent/rootfs"'
bad_config "rootfs is a file" '.root.path = "config.json"'
bad_config "cwd relative" '.process.cwd = "relative"'
bad_config "program not found" '.process.args = ["/no/such/program"]'

# --- bad input: flags and ids
vg fail "unknown verb" bogus-verb
vg fail "run without an id" run --bundle "$bundle"
vg fail "--preserve-fds not a number" run --preserve-fds abc --bundle "$bundle" vg-x
vg fail "--bundle missing" run --bundle "$work/nonexistent" vg-x
vg fail "--log-format bogus" --log-format yaml list
vg fail "id with a slash" run --bundle "$bundle" ../escape
vg fail "state of a missing container" state no-such-ctr
vg fail "delete of a missing container" delete no-such-ctr
vg fail "start of a missing container" start no-such-ctr
vg fail "kill with a bad signal" kill vg-run SIGBOGUS

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

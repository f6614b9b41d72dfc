#!/bin/bash
# bench/callgrind-run.sh [BUILD_DIR] [--top N] — instruction count of
# `envrun run` of /bin/true in a busybox bundle with the default config,
# under callgrind: the runtime process plus the container process up to its
# execve (counted from container_child_main, so what the child inherited
# from the parent is not counted twice).  Deterministic to a few dozen
# instructions on one build: a regression guard that CI prints and never
# asserts.  Takes about a second; exits 0 with SKIP when valgrind is missing.
#
# What valgrind changes in the path: the config's process.rlimits are
# dropped (valgrind keeps RLIMIT_NOFILE for itself and refuses to raise it),
# one bind mount of the output directory is added (the container process
# writes its profile after pivot_root), and valgrind 3.19 does not know
# clone3 or openat2, so envrun's fallbacks (clone, O_PATH walks) are the
# ones counted.  And the binary is run from a read-only bind mount of
# itself: envrun re-executes a sealed memfd copy of a binary that sits on a
# writable filesystem (CVE-2019-5736), and valgrind cannot follow that
# execveat; a read-only binary is exempt, so the count is of the start-up
# path proper (run.sh's wall-clock figures include the re-exec).
set -eu
top=0
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--top) top=$2; shift 2 ;;
	*) args+=("$1"); shift ;;
	esac
done
set -- "${args[@]}"
source "$(dirname "$0")/lib.sh"

if ! have valgrind; then
	say "callgrind-run: SKIP (valgrind not installed: apt-get install valgrind)"
	md "### callgrind instruction count"
	skip_note "valgrind not installed"
	exit 0
fi
B=$T/bundle
O=$T/out
mkdir -p "$O"
make_bundle "$B"
jq --arg o "$O" 'del(.process.rlimits)
	| .mounts += [{ destination: $o, type: "bind", source: $o, options: ["rbind", "rw"] }]' \
	<"$B/config.json" >"$B/config.json.new"
mv "$B/config.json.new" "$B/config.json"

RO=$T/envrun-ro
: >"$RO"
mount --bind "$ENVRUN" "$RO"
atexit "umount '$RO'"
mount -o remount,bind,ro "$RO"

if ! valgrind --tool=callgrind --zero-before=container_child_main \
	--dump-before='*execve*' --callgrind-out-file="$O/cg.%p" \
	"$RO" --root "$T/state" run --bundle "$B" cg-run >"$T/vg.log" 2>&1; then
	grep -v "^==" "$T/vg.log" | tail -n 5 >&2
	say "callgrind-run: envrun run failed under valgrind"
	exit 1
fi
parent=$(ls "$O" | grep -vE '^cg\.1(\.|$)' | head -n 1)
child=$(ls "$O" | grep -E '^cg\.1\.1$' | head -n 1 || true)
p=$(awk '/^totals:/ { print $2 }' "$O/$parent")
c=0
[ -n "$child" ] && c=$(awk '/^totals:/ { print $2 }' "$O/$child")
total=$((p + c))
say "callgrind: envrun run /bin/true: $total instructions (runtime process $p, container process before execve $c)"
md "### callgrind instruction count of \`envrun run\` /bin/true"
md ""
md "| runtime process | container process before execve | total |"
md "|---:|---:|---:|"
md "| $p | $c | **$total** |"
md ""
if [ "$top" -gt 0 ] && have callgrind_annotate; then
	for f in "$parent" ${child:+"$child"}; do
		say "-- $f, inclusive, top $top"
		callgrind_annotate --inclusive=yes "$O/$f" 2>/dev/null |
			grep -E '^ *[0-9,]+ \(' | grep -v 'PROGRAM TOTALS' | head -n "$top"
	done
fi

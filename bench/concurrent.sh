#!/bin/bash
# bench/concurrent.sh [BUILD_DIR] — N (default 100) containers started and
# deleted concurrently: N `RUNTIME run` of /bin/true at once, wall time of
# the batch (median of BENCH_CONC_ROUNDS rounds), containers per second, and
# what is left over afterwards: state directories, cgroups, mounts.
source "$(dirname "$0")/lib.sh"
maybe_clean_root "$@"

n=${BENCH_CONC_N:-100}
rounds=${BENCH_CONC_ROUNDS:-5}
md "### $n containers started and deleted concurrently"
md ""
md "$n \`RUNTIME run\` of /bin/true (busybox bundle, default config) launched at once; wall time of the batch, median of $rounds rounds; then leftovers: entries in the state root, cgroup directories named after the containers (every hierarchy), mounts under the bench's temp dir. Ratio: peer ÷ envrun."
md ""
clean_root_note
B=$T/bundle
make_bundle "$B"
probe_runtimes "$B"

tag=bconc$$
batch() { # BIN ROOT BUNDLE ROUND
	local i
	for ((i = 0; i < n; i++)); do
		"$1" --root "$2" run --bundle "$3" "$tag-$4-$i" >/dev/null 2>>"$T/errors" &
	done
	wait
}
leftovers() { # ROOT -> "state=N cgroups=N mounts=N"
	local st cg mt
	st=$(find "$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	cg=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "*$tag*" 2>/dev/null | wc -l)
	mt=$(grep -c -e "$T" -e "$tag" /proc/self/mountinfo || true)
	echo "state=$st cgroups=$cg mounts=$mt"
}

say "== $n concurrent run + delete, $rounds rounds"
md "| runtime | batch (ms) | containers/s | failed runs | left over | ÷ envrun |"
md "|---|---:|---:|---:|---|---:|"
declare -A WALL
for rt in "${RUNTIMES[@]}"; do
	[ "$rt" = bwrap ] && continue # nothing to delete, no state
	bin=$(command -v "$rt" 2>/dev/null || true)
	[ "$rt" = envrun ] && bin=$ENVRUN
	root=$T/st-$rt
	mkdir -p "$root"
	: >"$T/errors"
	times=()
	for ((r = 0; r < rounds; r++)); do
		t0=$EPOCHREALTIME
		batch "$bin" "$root" "$(bundle_of "$rt" "$B")" "$r"
		t1=$EPOCHREALTIME
		times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	done
	WALL[$rt]=$(printf '%s\n' "${times[@]}" | median)
	failed=$(grep -c . "$T/errors" || true)
	left=$(leftovers "$root")
	cps=$(awk -v w="${WALL[$rt]}" -v n="$n" 'BEGIN { printf "%.0f", n / w }')
	r=$(ratio "${WALL[$rt]}" "${WALL[envrun]}")
	printf '  %-8s batch %9s ms  %5s containers/s  error lines %s  left over: %s  %s÷envrun\n' \
		"$rt" "$(fmt_ms "${WALL[$rt]}")" "$cps" "$failed" "$left" "$r"
	md "| $rt | $(fmt_ms "${WALL[$rt]}") | $cps | $failed error lines | $left | $r |"
	[ "$failed" = 0 ] || head -n 3 "$T/errors" | sed 's/^/    /'
	# Leave nothing behind even when the runtime did.
	for ((r = 0; r < rounds; r++)); do
		for ((i = 0; i < n; i++)); do
			[ -e "$root/$tag-$r-$i" ] && "$bin" --root "$root" delete -f "$tag-$r-$i" >/dev/null 2>&1
		done
	done
done
md ""

#!/bin/bash
# bench/rss.sh [BUILD_DIR] — peak RSS of the runtime for `run` of /bin/true
# (GNU time's "Maximum resident set size": the largest of the runtime
# process and every descendant it reaped, so runc's re-exec'd `runc init`
# counts, and so does envrun's own child), median of BENCH_RSS_RUNS runs.
source "$(dirname "$0")/lib.sh"
maybe_clean_root "$@"
[ -x /usr/bin/time ] || {
	say "== peak RSS: SKIP (/usr/bin/time missing: apt-get install time)"
	md "### peak RSS of \`run\`"
	skip_note "/usr/bin/time missing (apt-get install time)"
	exit 0
}
n=${BENCH_RSS_RUNS:-11}
B=$T/bundle
make_bundle "$B"
md "### peak RSS of \`run\` /bin/true"
md ""
md "GNU time's maximum resident set size of the runtime process (and what it reaped), median of $n runs. Ratio: peer ÷ envrun (above 1: envrun is smaller). The container's /bin/true is busybox (static, ~0.4 MB), below every runtime's figure."
md ""
clean_root_note
probe_runtimes "$B"

say "== peak RSS of run /bin/true (median of $n)"
declare -A KB
for rt in "${RUNTIMES[@]}"; do
	case $rt in
	envrun) c=("$ENVRUN" --root "$T/st-envrun" run --bundle "$B" bench-rss) ;;
	bwrap) read -ra c <<<"$(bwrap_cmd "$B/rootfs" /bin/true)" ;;
	*) c=("$(command -v "$rt")" --root "$T/st-$rt" run --bundle "$(bundle_of "$rt" "$B")" bench-rss) ;;
	esac
	KB[$rt]=$(for ((i = 0; i < n; i++)); do
		/usr/bin/time -f %M -o "$T/rss" "${c[@]}" >/dev/null 2>&1 && cat "$T/rss"
	done | median)
done
md ""
md "| | peak RSS (KiB) | ÷ envrun |"
md "|---|---:|---:|"
for rt in "${RUNTIMES[@]}"; do
	r=$(ratio "${KB[$rt]}" "${KB[envrun]}")
	printf '  %-8s %8s KiB   %s ÷ envrun\n' "$rt" "${KB[$rt]}" "$r"
	md "| $rt | ${KB[$rt]} | $r |"
done
md ""
say "  SPEC target: envrun below bwrap ($(ratio "${KB[envrun]}" "${KB[bwrap]:-n/a}") of bwrap)"

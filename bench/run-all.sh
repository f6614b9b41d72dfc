#!/bin/bash
# bench/run-all.sh [BUILD_DIR] — every benchmark in one go (`make bench`),
# then bench/results.md: the machine, then each script's table.
# BENCH_RESULTS overrides where results.md is written; BENCH_ONLY="run rss"
# runs a subset.  Exit status: 0 unless a script itself broke (a missing
# peer or an unsupported host is a SKIP, not a failure).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-}
out=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/envrun-bench-out.XXXXXX")
trap 'rm -rf "$out"' EXIT
export BENCH_OUT=$out
results=${BENCH_RESULTS:-$here/results.md}
scripts=${BENCH_ONLY:-run exec rss env-run clone pip concurrent callgrind-run}
rc=0
for s in $scripts; do
	echo "######## bench/$s.sh"
	"$here/$s.sh" ${build:+"$build"} || { echo "bench/$s.sh: exit $?" >&2; rc=1; }
done

envrun=${ENVRUN:-${build:+$build/envrun}}
{
	echo "# envrun benchmarks"
	echo
	echo "Written by \`make bench\` (bench/run-all.sh) on $(date -u +%Y-%m-%d). **Absolute times are this machine's**; the ratios are what to compare. Medians of hyperfine runs (\`BENCH_RUNS\`, default 50, after 5 warm-ups) unless a table says otherwise."
	echo
	echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, $(free -g | awk '/Mem:/ { print $2 }') GiB RAM; Linux $(uname -r); $(
		if [ -d /sys/fs/cgroup/unified ]; then echo "hybrid cgroups (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)";
		elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo "unified cgroup2"; else echo "cgroup v1"; fi
	); $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /usr/lib/os-release 2>/dev/null)."
	echo
	echo "Versions: envrun $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$here/.." diff --quiet HEAD -- src 2>/dev/null || echo '+local changes'); $(runc --version 2>/dev/null | head -n1 || echo 'runc absent'); $(crun --version 2>/dev/null | head -n1 || echo 'crun absent'); $(bwrap --version 2>/dev/null || echo 'bwrap absent'); $(hyperfine --version 2>/dev/null)."
	echo
	for s in $scripts; do
		[ -s "$out/$s.md" ] && { cat "$out/$s.md"; echo; }
	done
} >"$results"
echo "######## wrote $results"
exit $rc

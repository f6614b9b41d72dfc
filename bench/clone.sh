#!/bin/bash
# bench/clone.sh [BUILD_DIR] — `envrun env clone` of a 10 MB and a 1 GB
# environment (expected: the same time for both) against `cp -a` of the same
# files.  BENCH_CLONE_SIZES (MB, default "10 1024"); a size is skipped when
# the disk has less than three times it free.
source "$(dirname "$0")/lib.sh"
maybe_clean_root "$@"

md "### env clone"
md ""
md "\`envrun env clone SRC DST\` (timed; \`env rm DST\` between runs, untimed) against \`cp -a\` of SRC's layer directory. Ratio: cp -a ÷ env clone. Expected: clone constant in size."
md ""
clean_root_note
rows=()

S=$T/store
declare -A CLONE
for mb in ${BENCH_CLONE_SIZES:-10 1024}; do
	free_mb=$(df -Pm "$T" | awk 'NR == 2 { print $4 }')
	if [ "$free_mb" -lt $((mb * 3 + 256)) ]; then
		say "== clone ${mb} MB: SKIP (only $free_mb MB free)"
		rows+=("| $mb MB | skipped: $free_mb MB free | | |")
		continue
	fi
	src=$T/src-$mb
	"$TOP_SRC/tests/make-busybox-rootfs.sh" "$src" >/dev/null
	# Incompressible, non-sparse data in 1 MB files (cp -a cannot shortcut).
	mkdir -p "$src/data"
	head -c $((mb * 1024 * 1024)) /dev/urandom | split -b 1M -a 4 - "$src/data/f"
	"$ENVRUN" env --store "$S" create "e$mb" --from-dir "$src" >/dev/null
	rm -rf "$src"
	layer=$("$ENVRUN" env --store "$S" show "e$mb" --json | jq -r '.layers[0] | sub("^sha256:"; "")')
	layer=$S/layers/$layer
	say "== clone of a $mb MB environment ($(du -sm "$layer" | cut -f1) MB on disk)"
	saved_runs=$BENCH_RUNS saved_warmup=$BENCH_WARMUP
	if [ "$mb" -ge 100 ]; then
		BENCH_RUNS=${BENCH_BIG_RUNS:-5}
		BENCH_WARMUP=1
	fi
	HF_OPTS=(--prepare "$ENVRUN env --store $S rm --wait c$mb")
	# The first prepare has nothing to remove: make one to remove.
	"$ENVRUN" env --store "$S" clone "e$mb" "c$mb" >/dev/null
	hf "env clone $mb MB=$ENVRUN env --store $S clone e$mb c$mb" || true
	"$ENVRUN" env --store "$S" rm "c$mb" >/dev/null 2>&1 || true
	HF_OPTS=(--prepare "rm -rf $T/copy")
	hf "cp -a $mb MB=cp -a $layer $T/copy" || true
	rm -rf "$T/copy"
	HF_OPTS=()
	BENCH_RUNS=$saved_runs BENCH_WARMUP=$saved_warmup
	a=${MEDIAN[env clone $mb MB]} b=${MEDIAN[cp -a $mb MB]}
	CLONE[$mb]=$a
	printf '  env clone %10s ms   cp -a %10s ms   cp -a ÷ clone %s\n' "$(fmt_ms "$a")" "$(fmt_ms "$b")" "$(ratio "$b" "$a")"
	rows+=("| $mb MB | $(fmt_ms "$a") | $(fmt_ms "$b") | $(ratio "$b" "$a") |")
	"$ENVRUN" env --store "$S" rm "e$mb" >/dev/null
done
md ""
md "| size | env clone (ms) | cp -a (ms) | cp -a ÷ clone |"
md "|---:|---:|---:|---:|"
for r in "${rows[@]}"; do md "$r"; done
md ""
set -- ${BENCH_CLONE_SIZES:-10 1024}
if [ $# -ge 2 ] && [ -n "${CLONE[$1]:-}" ] && [ -n "${CLONE[${!#}]:-}" ]; then
	r=$(ratio "${CLONE[${!#}]}" "${CLONE[$1]}")
	say "  clone ${!#} MB ÷ clone $1 MB: $r (1.00 = constant in size)"
	md "Clone of ${!#} MB ÷ clone of $1 MB: **$r** (1.00 = constant in size)."
	md ""
fi

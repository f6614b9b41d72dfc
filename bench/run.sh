#!/bin/bash
# bench/run.sh [BUILD_DIR] — start-to-exit of /bin/true in a busybox bundle
# with the default `envrun spec` config, envrun against runc, crun (where it
# runs) and bubblewrap on the same rootfs, in one run; then the same
# lifecycle split into create, start and delete for the OCI runtimes.
source "$(dirname "$0")/lib.sh"
maybe_clean_root "$@"

B=$T/bundle
make_bundle "$B"
md "### run: start-to-exit of /bin/true"
md ""
md "Busybox bundle, default \`envrun spec\` config (pid, net, ipc, uts, mount namespaces; device cgroup; pivot_root; masked and read-only paths; default capabilities) for every OCI runtime; bwrap with the same namespaces, /proc and /dev on the same rootfs. Ratio: peer median ÷ envrun median (above 1: envrun is faster)."
md ""
clean_root_note
probe_runtimes "$B"

specs=()
names=()
for rt in "${RUNTIMES[@]}"; do
	case $rt in
	envrun) c="$ENVRUN --root $T/st-envrun run --bundle $B bench-run" ;;
	bwrap) c=$(bwrap_cmd "$B/rootfs" /bin/true) ;;
	*) c="$(command -v "$rt") --root $T/st-$rt run --bundle $(bundle_of "$rt" "$B") bench-run" ;;
	esac
	specs+=("$rt=$c")
	names+=("$rt")
done
specs+=("chroot (floor)=chroot $B/rootfs /bin/true")
names+=("chroot (floor)")

say "== run /bin/true, start to exit ($BENCH_RUNS runs, $BENCH_WARMUP warm-up)"
hf "${specs[@]}" || true
md ""
TABLE_RATIO_HEAD="÷ envrun" table envrun "${names[@]}"
for rt in runc bwrap; do
	r=$(ratio "${MEDIAN[$rt]:-n/a}" "${MEDIAN[envrun]}")
	say "  envrun vs $rt: $r× (SPEC target: runc ≥ 6×, bwrap ≥ 1×)"
done

# ---------------------------------------------------------------- idle
# The same, each run after 300 ms of idleness (untimed): a cgroup migration
# then waits for an RCU grace period (cgroup_threadgroup_rwsem's rcu_sync
# has gone back to the reader fast path), which back-to-back runs never see.
say "== the same after 300 ms idle before each run (${BENCH_IDLE_RUNS:-15} runs)"
md "#### the same, each run after 300 ms idle"
md ""
saved_runs=$BENCH_RUNS
BENCH_RUNS=${BENCH_IDLE_RUNS:-15}
HF_OPTS=(--prepare "sleep 0.3")
idle_specs=()
idle_names=()
for spec in "${specs[@]}"; do
	idle_specs+=("${spec%%=*} (idle)=${spec#*=}")
	idle_names+=("${spec%%=*} (idle)")
done
hf "${idle_specs[@]}" || true
HF_OPTS=()
BENCH_RUNS=$saved_runs
TABLE_RATIO_HEAD="÷ envrun" table "envrun (idle)" "${idle_names[@]}"

# ---------------------------------------------------------------- split
# One helper does the untimed preparation of each phase: a container in the
# state the timed step expects, the previous one gone.
cat >"$T/phase.sh" <<'EOF'
#!/bin/sh
# phase.sh RUNTIME ROOT BUNDLE ID STEP — prepare for a timed STEP
rt=$1 root=$2 bundle=$3 id=$4
"$rt" --root "$root" delete -f "$id" >/dev/null 2>&1
case $5 in
create) ;;
start) "$rt" --root "$root" create --bundle "$bundle" "$id" ;;
delete)
	"$rt" --root "$root" create --bundle "$bundle" "$id" &&
	"$rt" --root "$root" start "$id" || exit 1
	# wait until /bin/true has exited so delete needs no -f
	i=0
	while [ $i -lt 1000 ]; do
		"$rt" --root "$root" state "$id" 2>/dev/null | grep -q '"stopped"' && exit 0
		i=$((i + 1))
	done
	exit 1 ;;
esac
exit 0
EOF
chmod +x "$T/phase.sh"

say "== the same lifecycle split: create, start, delete"
md "#### split into create, start, delete (OCI runtimes)"
md ""
md "| runtime | create (ms) | start (ms) | delete (ms) | sum (ms) | sum ÷ envrun |"
md "|---|---:|---:|---:|---:|---:|"
declare -A SUM
for rt in "${RUNTIMES[@]}"; do
	[ "$rt" = bwrap ] && continue
	bin=$(command -v "$rt" 2>/dev/null || true)
	[ "$rt" = envrun ] && bin=$ENVRUN
	root=$T/st-split-$rt
	id=bench-split
	row=()
	for step in create start delete; do
		case $step in
		create) c="$bin --root $root create --bundle $(bundle_of "$rt" "$B") $id" ;;
		start) c="$bin --root $root start $id" ;;
		delete) c="$bin --root $root delete $id" ;;
		esac
		HF_OPTS=(--prepare "$T/phase.sh $bin $root $(bundle_of "$rt" "$B") $id $step" --cleanup "$bin --root $root delete -f $id")
		hf "$rt-$step=$c" || true
		row+=("${MEDIAN[$rt-$step]}")
	done
	HF_OPTS=()
	"$bin" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
	case "${row[*]}" in
	*n/a*) SUM[$rt]=n/a ;;
	*) SUM[$rt]=$(awk -v a="${row[0]}" -v b="${row[1]}" -v c="${row[2]}" 'BEGIN { print a + b + c }') ;;
	esac
done
for rt in "${RUNTIMES[@]}"; do
	[ "$rt" = bwrap ] && continue
	r=$(ratio "${SUM[$rt]}" "${SUM[envrun]}")
	printf '  %-8s create %8s  start %8s  delete %8s  sum %8s ms  %s÷envrun\n' "$rt" \
		"$(fmt_ms "${MEDIAN[$rt-create]}")" "$(fmt_ms "${MEDIAN[$rt-start]}")" \
		"$(fmt_ms "${MEDIAN[$rt-delete]}")" "$(fmt_ms "${SUM[$rt]}")" "$r"
	md "| $rt | $(fmt_ms "${MEDIAN[$rt-create]}") | $(fmt_ms "${MEDIAN[$rt-start]}") | $(fmt_ms "${MEDIAN[$rt-delete]}") | $(fmt_ms "${SUM[$rt]}") | $r |"
done
md ""

# bench/lib.sh — sourced by every bench/*.sh script.
#
# Conventions:
# - ENVRUN is the binary under test: $ENVRUN, else BUILD_DIR/envrun when the
#   script is given a build directory as $1, else `envrun` on PATH.
# - Every script works in its own temp dir under $BENCH_TMPDIR (default
#   /var/tmp: bubblewrap mounts a tmpfs over /tmp, which would hide a rootfs
#   kept there), with its own state roots and container ids, and removes it
#   all on exit.  Nothing is ever killed by name.
# - Times are medians (hyperfine, or bench_loop below).  Nothing asserts a
#   time: scripts print medians and ratios, and append a Markdown fragment to
#   $BENCH_OUT (run-all.sh assembles bench/results.md from the fragments).
# - A tool that is missing or cannot run on this host is reported as skipped,
#   with the reason, in the output and in the fragment.

set -eu

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_SRC=$(cd "$BENCH_SRC/.." && pwd)

if [ -z "${ENVRUN:-}" ]; then
	if [ $# -ge 1 ] && [ -x "$1/envrun" ]; then
		ENVRUN=$1/envrun
	elif [ -x "$TOP_SRC/build-bench/envrun" ]; then
		ENVRUN=$TOP_SRC/build-bench/envrun
	else
		ENVRUN=$(command -v envrun || true)
	fi
fi
[ -n "$ENVRUN" ] && [ -x "$ENVRUN" ] || {
	echo "bench: no envrun binary (pass the build dir or set ENVRUN)" >&2
	exit 1
}
ENVRUN=$(cd "$(dirname "$ENVRUN")" && pwd)/$(basename "$ENVRUN")
export ENVRUN

BENCH_RUNS=${BENCH_RUNS:-50}
BENCH_WARMUP=${BENCH_WARMUP:-5}
BENCH_TMPDIR=${BENCH_TMPDIR:-/var/tmp}

[ "$(id -u)" = 0 ] || {
	echo "bench: needs root (runtimes create namespaces and cgroups)" >&2
	exit 77
}
command -v jq >/dev/null || {
	echo "bench: needs jq" >&2
	exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# Temp dir, removed on exit.  Scripts register extra cleanup in BENCH_ATEXIT
# (a list of shell commands, run in reverse order, before the rm).
BENCH_ATEXIT=()
bench_cleanup() {
	local i
	for ((i = ${#BENCH_ATEXIT[@]} - 1; i >= 0; i--)); do
		eval "${BENCH_ATEXIT[$i]}" >/dev/null 2>&1 || true
	done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		# Never cross into a mount left behind by a failed run.
		rm -rf --one-file-system "$T" 2>/dev/null || true
	fi
}
atexit() { BENCH_ATEXIT+=("$1"); }
T=$(mktemp -d "$BENCH_TMPDIR/envrun-bench.XXXXXX")
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- output

# Markdown fragment for results.md (one per script).
BENCH_FRAGMENT=/dev/null
if [ -n "${BENCH_OUT:-}" ]; then
	mkdir -p "$BENCH_OUT"
	BENCH_FRAGMENT=$BENCH_OUT/$(basename "$0" .sh).md
	: >"$BENCH_FRAGMENT"
fi
md() { printf '%s\n' "$*" >>"$BENCH_FRAGMENT"; }
say() { printf '%s\n' "$*"; }
skip_note() {
	say "  SKIP: $*"
	md "- skipped: $*"
}

# fmt_ms SECONDS -> "1.234"
fmt_ms() {
	case $1 in n/a | "") echo n/a ;; *) awk -v s="$1" 'BEGIN { printf "%.3f", s * 1000 }' ;; esac
}
# ratio A B -> A/B with 2 decimals ("n/a" if either is missing)
ratio() {
	case "$1$2" in *n/a* | "") echo n/a; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

# median of numbers on stdin
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---------------------------------------------------------------- timing

# hf NAME=CMD ... : run hyperfine (no intermediate shell, -N) over the
# commands in one run; sets MEDIAN[NAME] (seconds).  Extra hyperfine options
# go in HF_OPTS (array).  A command that fails is reported and gets n/a.
declare -A MEDIAN
HF_OPTS=()
hf_one() { # JSON NAME=CMD...
	local json=$1 args=() spec
	shift
	for spec in "$@"; do args+=(-n "${spec%%=*}" "${spec#*=}"); done
	hyperfine -N -w "$BENCH_WARMUP" -r "$BENCH_RUNS" --style basic \
		--export-json "$json" "${HF_OPTS[@]}" "${args[@]}" >"$T/hf.out" 2>&1
}
hf() {
	local spec i rc=0
	if hf_one "$T/hf.json" "$@"; then
		for i in $(seq 0 $(($# - 1))); do
			spec=${*:$((i + 1)):1}
			MEDIAN[${spec%%=*}]=$(jq -r ".results[$i].median" "$T/hf.json")
		done
		return 0
	fi
	# One failed: time each alone, so the others still get figures.
	for spec in "$@"; do
		if hf_one "$T/hf.json" "$spec"; then
			MEDIAN[${spec%%=*}]=$(jq -r ".results[0].median" "$T/hf.json")
		else
			MEDIAN[${spec%%=*}]=n/a
			say "  FAILED: ${spec%%=*}: ${spec#*=}"
			grep -v '^ *$' "$T/hf.out" | tail -n 3 | sed 's/^/    /'
			md "- ${spec%%=*} failed: \`$(grep -i error "$T/hf.out" | tail -n 1 | cut -c1-160)\`"
			rc=1
		fi
	done
	return $rc
}

# bench_loop N CMD... : time CMD N times from this shell (after 2 warm-up
# runs) with $EPOCHREALTIME; prints the median in seconds.  For steps
# hyperfine cannot isolate.  CMD's output is discarded.
bench_loop() {
	local n=$1 i t0 t1
	shift
	"$@" >/dev/null 2>&1 || true
	for ((i = 0; i < n; i++)); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null 2>&1
		t1=$EPOCHREALTIME
		echo "$t0 $t1"
	done | awk '{ print $2 - $1 }' | median
}

# table HEADER_REF NAME... : print (stdout and fragment) a table of
# MEDIAN[NAME] in ms and the ratio of each to MEDIAN[HEADER_REF].
# Column heads come from TABLE_RATIO_HEAD (default "× envrun").
table() {
	local ref=$1 name m r
	shift
	local head=${TABLE_RATIO_HEAD:-"÷ $ref"}
	md ""
	md "| | median (ms, this machine) | $head |"
	md "|---|---:|---:|"
	for name in "$@"; do
		m=${MEDIAN[$name]:-n/a}
		if [ "$m" = n/a ]; then
			printf '  %-34s %10s\n' "$name" "n/a"
			md "| $name | n/a | n/a |"
			continue
		fi
		r=$(ratio "$m" "${MEDIAN[$ref]:-n/a}")
		printf '  %-34s %10s ms   %s %s\n' "$name" "$(fmt_ms "$m")" "$r" "$head"
		md "| $name | $(fmt_ms "$m") | $r |"
	done
	md ""
}

# ---------------------------------------------------------------- fixtures

# make_bundle DIR [ARG...] : (ARGs without spaces) busybox rootfs + `envrun spec` config running
# ARGs (default /bin/true), no terminal.  The config is the default one
# otherwise: every runtime gets the same file.
make_bundle() {
	local dir=$1
	shift
	[ $# -gt 0 ] || set -- /bin/true
	mkdir -p "$dir"
	"$TOP_SRC/tests/make-busybox-rootfs.sh" "$dir/rootfs" >/dev/null
	(cd "$dir" && "$ENVRUN" spec)
	# (not --args: jq would take an argument like -c as its own option)
	jq --arg c "$*" '.process.terminal = false | .process.args = ($c | split(" "))' \
		<"$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}

# bwrap arguments for the same isolation on a rootfs: runc's default
# namespaces (no user namespace: the bundle config has none, and this host
# may forbid them — see bwrap_flags), /proc and /dev.
BWRAP_NS=(--unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try)
bwrap_cmd() { # ROOTFS CMD...
	local root=$1
	shift
	echo "bwrap ${BWRAP_NS[*]} --die-with-parent --bind $root / --proc /proc --dev /dev $*"
}

# bundle_of RUNTIME BUNDLE: the bundle that runtime is given
bundle_of() { if [ "$1" = crun ]; then echo "$2.crun"; else echo "$2"; fi; }

# Which runtimes can run the bundle here.  Sets RUNTIMES (names) and prints
# skip notes for the others.
probe_runtimes() { # BUNDLE
	local b=$1 out
	RUNTIMES=(envrun)
	if have runc; then
		if out=$(runc --root "$T/probe-runc" run --bundle "$b" probe 2>&1); then
			RUNTIMES+=(runc)
		else
			skip_note "runc cannot run the bundle: $(echo "$out" | tail -n 1)"
		fi
		runc --root "$T/probe-runc" delete -f probe >/dev/null 2>&1 || true
	else
		skip_note "runc not installed (apt-get install runc)"
	fi
	if have crun; then
		# crun 1.8 rejects ociVersion 1.2.0: give it the same config with
		# the version it knows.
		CRUN_BUNDLE=$b.crun
		mkdir -p "$CRUN_BUNDLE"
		jq --arg r "$b/rootfs" '.ociVersion = "1.0.2" | .root.path = $r' \
			<"$b/config.json" >"$CRUN_BUNDLE/config.json"
		if out=$(crun --root "$T/probe-crun" run --bundle "$CRUN_BUNDLE" probe 2>&1); then
			RUNTIMES+=(crun)
		else
			skip_note "crun cannot run here: $(echo "$out" | tail -n 1)"
		fi
		crun --root "$T/probe-crun" delete -f probe >/dev/null 2>&1 || true
	else
		skip_note "crun not installed"
	fi
	if [ -n "${PROBE_NO_BWRAP:-}" ]; then
		:
	elif have bwrap; then
		# shellcheck disable=SC2046
		if out=$($(bwrap_cmd "$b/rootfs" /bin/true) 2>&1); then
			RUNTIMES+=(bwrap)
		else
			skip_note "bwrap cannot run here: $(echo "$out" | tail -n 1)"
		fi
	else
		skip_note "bwrap not installed (apt-get install bubblewrap)"
	fi
}

# ---------------------------------------------------------------- host quirk

clean_root_note() {
	[ -n "${BENCH_IN_CLEAN_ROOT:-}" ] || return 0
	md "- run in a private mount namespace rooted at a plain bind of / (this host stacks hidden mounts over /, which bwrap trips on); every runtime ran there"
}

# bubblewrap pivots into a tmpfs and finds its bind sources under
# /oldroot/...: on a host whose / has mounts stacked over it that the
# process does not see (a chroot-style sandbox), /oldroot resolves to the
# top of that stack and every source is missing.  Then re-run the script
# once inside a private mount namespace rooted at a plain bind of / (with
# /proc, /sys, /dev, /run), so every runtime — not only bwrap — runs in the
# same, clean mount table.  A no-op on ordinary hosts.
maybe_clean_root() {
	[ -n "${BENCH_IN_CLEAN_ROOT:-}" ] && return 0
	have bwrap || return 0
	have unshare || return 0
	bwrap --ro-bind / / --proc /proc --dev /dev /bin/true >/dev/null 2>&1 && return 0
	say "  (bwrap cannot see paths under / on this host: running in a private mount namespace rooted at a plain bind of /)"
	local r rc=0
	r=$(mktemp -d "$BENCH_TMPDIR/envrun-bench-root.XXXXXX")
	# shellcheck disable=SC2016
	unshare -m --propagation private bash -c '
		set -e
		r=$1; shift
		mount --bind / "$r"
		for m in /proc /sys /dev /run; do mount --rbind "$m" "$r$m"; done
		exec chroot "$r" env BENCH_IN_CLEAN_ROOT=1 "$@"' \
		bash "$r" bash "$(realpath "$0")" "$@" || rc=$?
	rmdir "$r" 2>/dev/null || true
	trap - EXIT
	bench_cleanup
	exit $rc
}

# ---------------------------------------------------------------- Debian env

# debian_env: a store holding `deb`, a debootstrap bookworm with
# python3-pip, made once (about 40 s from tests/make-debian-env.sh's package
# cache) and kept in $BENCH_CACHE/debian-store (default BENCH_CACHE:
# /var/tmp/envrun-bench-cache, outside the source tree, which `make dist`
# copies);
# benches only read it or run --ephemeral in it.  Sets DEB_STORE and
# DEB_LAYER (the directory of its single layer: the same files, for chroot).
# Returns 1 with DEB_WHY set when it cannot be had.
debian_env() {
	local cache=${BENCH_CACHE:-/var/tmp/envrun-bench-cache}/debian-store deb_cache
	DEB_STORE=$cache
	if ! "$ENVRUN" env --store "$DEB_STORE" show deb >/dev/null 2>&1; then
		if ! deb_cache=$("$TOP_SRC/tests/make-debian-env.sh" 2>"$T/deb.err"); then
			DEB_WHY="no Debian package cache: $(tail -n 1 "$T/deb.err")"
			return 1
		fi
		say "  (making the Debian + python3-pip environment once, ~1 min: $DEB_STORE)"
		rm -rf --one-file-system "$DEB_STORE"
		if ! ENVRUN_DEBOOTSTRAP_CACHE=$deb_cache "$ENVRUN" env --store "$DEB_STORE" \
			create deb --bootstrap --include python3-pip >"$T/deb.log" 2>&1; then
			DEB_WHY="env create --bootstrap failed: $(tail -n 1 "$T/deb.log")"
			tail -n 20 "$T/deb.log" | sed "s/^/    /" >&2
			# A failed debootstrap may leave its /proc mounted in the store.
			findmnt -rn -o TARGET | grep "^$DEB_STORE/" | sort -r | xargs -r umount -l
			rm -rf --one-file-system "$DEB_STORE"
			return 1
		fi
	fi
	DEB_LAYER=$("$ENVRUN" env --store "$DEB_STORE" show deb --json |
		jq -r '.layers[0] | sub("^sha256:"; "")')
	DEB_LAYER=$DEB_STORE/layers/$DEB_LAYER
	[ -x "$DEB_LAYER/usr/bin/python3" ] || {
		DEB_WHY="the cached environment has no python3 at $DEB_LAYER"
		return 1
	}
}

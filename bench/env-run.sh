#!/bin/bash
# bench/env-run.sh [BUILD_DIR] — `envrun env run NAME -- CMD` (persistent
# and --ephemeral) against `chroot` into the same files, bwrap on them and
# `runc run` of a bundle of them: /bin/true in a busybox environment, and
# `python3 -c pass` in the Debian + pip environment when it can be had.
source "$(dirname "$0")/lib.sh"
maybe_clean_root "$@"

md "### env run"
md ""
md "\`envrun env run --no-cwd NAME -- CMD\` (overlay of the environment's layers, mount/pid/ipc/uts/cgroup namespaces, host network, masked paths, seccomp, no cgroup joined) against \`chroot\` into a copy of the same files. Ratio: ÷ chroot (SPEC: within 1.3× for python3 -c pass; runc 3.4×, crun 2.2×)."
md ""
clean_root_note

S=$T/store
B=$T/bundle
make_bundle "$B"
"$ENVRUN" env --store "$S" create bb --from-dir "$B/rootfs" >/dev/null
probe_runtimes "$B"

# compare LABEL ROOT ENVSTORE ENVNAME CMD... : one hyperfine run
compare() {
	local label=$1 root=$2 store=$3 name=$4
	shift 4
	local cmd="$*"
	local specs=(
		"env run=$ENVRUN env --store $store run --no-cwd $name -- $cmd"
		"env run --ephemeral=$ENVRUN env --store $store run --no-cwd --ephemeral $name -- $cmd"
		"chroot=chroot $root $cmd")
	local names=("env run" "env run --ephemeral" chroot)
	if [[ " ${RUNTIMES[*]} " == *" bwrap "* ]]; then
		specs+=("bwrap=$(bwrap_cmd "$root" "$cmd")")
		names+=(bwrap)
	fi
	if [[ " ${RUNTIMES[*]} " == *" runc "* ]]; then
		mkdir -p "$T/rb-$label"
		jq --arg r "$root" --arg c "$cmd" '.root.path = $r | .process.args = ($c | split(" "))' \
			<"$B/config.json" >"$T/rb-$label/config.json"
		specs+=("runc run=$(command -v runc) --root $T/st-runc run --bundle $T/rb-$label bench-envrun")
		names+=("runc run")
	fi
	say "== $label: $cmd"
	md "#### $label: \`$cmd\`"
	md ""
	unset MEDIAN
	declare -gA MEDIAN
	hf "${specs[@]}" || true
	TABLE_RATIO_HEAD="÷ chroot" table chroot "${names[@]}"
	say "  env run ÷ chroot: $(ratio "${MEDIAN[env run]}" "${MEDIAN[chroot]}")"
}

compare busybox "$B/rootfs" "$S" bb /bin/true

if debian_env; then
	# A private copy of the same files: python may write caches.
	cp -a "$DEB_LAYER" "$T/deb-root"
	compare debian "$T/deb-root" "$DEB_STORE" deb python3 -c pass
else
	say "== debian: SKIP ($DEB_WHY)"
	md "#### debian: \`python3 -c pass\`"
	skip_note "$DEB_WHY"
fi

#!/bin/bash
# bench/exec.sh [BUILD_DIR] — latency of exec'ing /bin/true into a running
# container (busybox bundle, default config running `sleep`), envrun against
# runc and crun; `nsenter --all` into the same container is the floor.
source "$(dirname "$0")/lib.sh"
# No bwrap here, so no clean-root namespace either (maybe_clean_root): the
# runtimes exec from the host's own mount table.

md "### exec latency of /bin/true into a running container"
md ""
if ! "$ENVRUN" --help 2>&1 | grep -qE '^ +exec '; then
	say "== exec: SKIP (this envrun has no exec verb yet)"
	skip_note "this envrun has no \`exec\` verb yet"
	exit 0
fi
md "Container started once per runtime (default config, \`sleep 100000\`), then \`RUNTIME exec ID /bin/true\` timed. Ratio: peer ÷ envrun."
md ""
clean_root_note

B=$T/bundle
make_bundle "$B" /bin/sleep 100000
probe_bundle=$T/probe
make_bundle "$probe_bundle"
PROBE_NO_BWRAP=1 probe_runtimes "$probe_bundle"
if [ -n "${CRUN_BUNDLE:-}" ]; then
	mkdir -p "$B.crun"
	jq --arg r "$B/rootfs" '.ociVersion = "1.0.2" | .root.path = $r' <"$B/config.json" >"$B.crun/config.json"
fi

specs=()
names=()
for rt in "${RUNTIMES[@]}"; do
	[ "$rt" = bwrap ] && continue
	bin=$(command -v "$rt" 2>/dev/null || true)
	[ "$rt" = envrun ] && bin=$ENVRUN
	root=$T/st-$rt
	"$bin" --root "$root" create --bundle "$(bundle_of "$rt" "$B")" bench-exec &&
		"$bin" --root "$root" start bench-exec || {
		skip_note "$rt: cannot start the sleeping container"
		continue
	}
	atexit "'$bin' --root '$root' delete -f bench-exec"
	specs+=("$rt=$bin --root $root exec bench-exec /bin/true")
	names+=("$rt")
	if [ "$rt" = envrun ] && have nsenter; then
		pid=$("$bin" --root "$root" state bench-exec | jq -r .pid)
		specs+=("nsenter (floor)=nsenter -t $pid -a -r -w /bin/true")
		names+=("nsenter (floor)")
	fi
done
say "== exec /bin/true into a running container"
hf "${specs[@]}" || true
TABLE_RATIO_HEAD="÷ envrun" table envrun "${names[@]}"

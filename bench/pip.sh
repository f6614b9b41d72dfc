#!/bin/bash
# bench/pip.sh [BUILD_DIR] — `pip install` of a local wheel (tests/wheels'
# riskylib) under `envrun env run --ephemeral` against the same install by
# `chroot` into a plain copy of the same files (a fresh copy per run, made
# untimed).  Needs the Debian + python3-pip environment (lib.sh debian_env);
# skips with the reason otherwise.
source "$(dirname "$0")/lib.sh"
maybe_clean_root "$@"

md "### pip install of a local wheel"
md ""
if ! debian_env; then
	say "== pip install: SKIP ($DEB_WHY)"
	skip_note "$DEB_WHY"
	exit 0
fi
md "\`pip install --no-index --break-system-packages /wheels/riskylib-1.0-py3-none-any.whl\` in the Debian bookworm + python3-pip environment: under \`env run --ephemeral --no-cwd --bind WHEELS:/wheels:ro\` against \`chroot\` into a fresh plain copy of the same files (copy made untimed before each run). Ratio: ÷ chroot (SPEC: within 1.07×; bare chroot into a fresh overlay 1.05×, runc 1.11×)."
md ""
clean_root_note

W=$T/wheels
python3 "$TOP_SRC/tests/wheels/make-riskylib.py" "$W" >/dev/null
install="pip install --no-index --break-system-packages --disable-pip-version-check -q /wheels/riskylib-1.0-py3-none-any.whl"
cat >"$T/fresh-copy.sh" <<EOF
#!/bin/sh
rm -rf --one-file-system "$T/copy" && cp -a "$DEB_LAYER" "$T/copy" && cp -a "$W" "$T/copy/wheels"
# Write the copy back now: a run must not pay for the preparation's dirty pages
# (envrun's overlay unmount syncs the whole upper filesystem).
sync
EOF
chmod +x "$T/fresh-copy.sh"
BENCH_RUNS=${BENCH_PIP_RUNS:-15}
BENCH_WARMUP=2
say "== pip install of a local wheel ($BENCH_RUNS runs)"
HF_OPTS=(--prepare "$T/fresh-copy.sh")
hf "env run --ephemeral=$ENVRUN env --store $DEB_STORE run --ephemeral --no-cwd --bind $W:/wheels:ro deb -- $install" \
	"chroot (plain copy)=chroot $T/copy $install" || true
HF_OPTS=()
rm -rf --one-file-system "$T/copy"
TABLE_RATIO_HEAD="÷ chroot" table "chroot (plain copy)" "env run --ephemeral" "chroot (plain copy)"
say "  overhead: $(ratio "${MEDIAN[env run --ephemeral]}" "${MEDIAN[chroot (plain copy)]}")× (SPEC: ≤ 1.07×)"

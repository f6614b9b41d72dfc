#!/bin/sh
# Run every libFuzzer target of a fuzzer build for a fixed number of runs.
#
#   tests/fuzz/run-fuzzers.sh BUILD_DIR [RUNS]
#
# BUILD_DIR was configured with `--enable-fuzzers CC=clang` and built with
# `make check TESTS=`.  Each executable BUILD_DIR/tests/fuzz/fuzz-NAME runs
# over a scratch copy of its seed corpus tests/fuzz/corpus/NAME/ (so new
# inputs do not land in the source tree), with tests/fuzz/corpus/NAME.dict
# when present.  Prints one line per target, then exactly
# "N passed, M failed"; exits non-zero when any failed or none was found.
# A failing target's log and crash input stay in the scratch directory,
# whose path the target's line gives.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 BUILD_DIR [RUNS]" >&2
  exit 2
fi
build_dir=$(cd "$1" 2>/dev/null && pwd) || {
  echo "$0: $1: no such build directory" >&2
  exit 2
}
runs=${2:-10000}
case $runs in
  '' | *[!0-9]*)
    echo "$0: RUNS must be a number, not '$runs'" >&2
    exit 2
    ;;
esac
src_dir=$(cd "$(dirname "$0")/../.." && pwd)
corpus_root=$src_dir/tests/fuzz/corpus
scratch=$(mktemp -d "${TMPDIR:-/tmp}/envrun-fuzz.XXXXXX") || exit 2

passed=0
failed=0
for target in "$build_dir"/tests/fuzz/fuzz-*; do
  [ -f "$target" ] && [ -x "$target" ] || continue
  exe=$(basename "$target")
  case $exe in *.o | *.c | *.log | *.trs) continue ;; esac
  name=${exe#fuzz-}
  work=$scratch/$name
  mkdir -p "$work/corpus"
  if [ -d "$corpus_root/$name" ]; then
    cp -R "$corpus_root/$name/." "$work/corpus/"
  fi
  set -- -runs="$runs" -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix="$work/"
  if [ -f "$corpus_root/$name.dict" ]; then
    set -- "$@" -dict="$corpus_root/$name.dict"
  fi
  if (cd "$work" && "$target" "$@" "$work/corpus") >"$work/log" 2>&1; then
    passed=$((passed + 1))
    echo "$exe: passed ($runs runs, $(ls "$work/corpus" | wc -l) inputs)"
  else
    failed=$((failed + 1))
    echo "$exe: FAILED (log and crash input in $work)"
  fi
done

echo "$passed passed, $failed failed"
if [ "$failed" -eq 0 ]; then
  rm -rf "$scratch"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

#!/bin/sh
# Fill a debootstrap package cache for the env e2e test, so that
# `envrun env create NAME --bootstrap --include python3-pip` can run again and
# again on one machine without downloading the archive each time.
#   tests/make-debian-env.sh [CACHE_DIR]   (default tests/.cache/debootstrap)
# Prints the cache directory on success; exit 77 when the archive cannot be
# reached (callers skip with that reason).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-$here/.cache/debootstrap}
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
if [ -f "$cache/.complete-$suite" ]; then
	echo "$cache"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap not installed" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! debootstrap --variant=minbase --include=python3-pip --download-only \
	--cache-dir="$cache" "$suite" "$tmp/root" "$mirror" >"$tmp/log" 2>&1; then
	tail -n 5 "$tmp/log" >&2
	echo "debootstrap cannot reach $mirror" >&2
	exit 77
fi
touch "$cache/.complete-$suite"
echo "$cache"

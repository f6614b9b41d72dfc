#!/bin/bash
# Helpers for the env*.bats tests: every test gets its own store under a
# fresh temporary directory (--store), removed by env_teardown; the default
# store /var/lib/envs is never touched.

bats_require_minimum_version 1.5.0

ENV_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENV_TOP=$(dirname "$ENV_TESTS_DIR")

fail() {
	echo "# FAIL: $*" >&2
	return 1
}

if [ -z "${ENVRUN:-}" ]; then
	for c in "$ENV_TOP"/build/envrun "$ENV_TOP"/build-*/envrun "$ENV_TOP"/envrun; do
		if [ -x "$c" ]; then ENVRUN=$c; break; fi
	done
fi

env_setup() {
	[ "$(id -u)" = 0 ] || skip "env tests need root (overlay mounts)"
	[ -x "$ENVRUN" ] || skip "no envrun binary (set ENVRUN)"
	WORK=$(mktemp -d /tmp/envrun-env-test.XXXXXX)
	STORE=$WORK/store
	unset ENVRUN_STORE
}

env_teardown() {
	[ -n "${WORK:-}" ] || return 0
	# Nothing of ours may stay mounted; then everything goes.
	grep -o " $WORK[^ ]*" /proc/self/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$WORK"
}

# envrun env --store $STORE ARGS...: $status, $output, $stderr
envrun_env() {
	run --separate-stderr "$ENVRUN" env --store "$STORE" "$@"
}

# A busybox root filesystem in $1.
make_rootfs() {
	if [ -x "$ENV_TESTS_DIR/make-busybox-rootfs.sh" ]; then
		"$ENV_TESTS_DIR/make-busybox-rootfs.sh" "$1" >/dev/null
	else
		mkdir -p "$1/bin" "$1/etc" "$1/tmp"
		cp /bin/busybox "$1/bin/busybox"
		for a in sh echo cat ls env pwd id mount grep wc touch rm mkdir sleep df true false ip; do
			ln -s busybox "$1/bin/$a"
		done
	fi
}

# A store environment NAME made from a fresh busybox rootfs.
make_env() {
	make_rootfs "$WORK/rootfs-$1"
	"$ENVRUN" env --store "$STORE" create "$1" --from-dir "$WORK/rootfs-$1"
}

# Nothing half-made: no tmp work, no stray env dirs.
assert_store_clean() {
	local left
	left=$(ls -A "$STORE/tmp" 2>/dev/null | grep -v '\.lock$' || true)
	[ -z "$left" ] || fail "tmp/ not empty: $left"
	for d in "$STORE"/envs/*; do
		[ -e "$d" ] || continue
		[ -f "$d/meta.json" ] || fail "$d has no meta.json"
	done
}

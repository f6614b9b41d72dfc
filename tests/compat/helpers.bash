#!/bin/bash
# Helpers for tests/compat: real orchestrators (podman, containerd) driving
# the built envrun, each with its own storage, configuration, sockets and
# runtime root in a temporary directory, never the machine's defaults.
#
# Loads the integration helpers (find_envrun, fail, requires_*, marked_pids,
# mounts_under, cgroup_dirs_under, wait_for_file ...).

load ../integration/helpers

COMPAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# compat_tmpdir — a fresh temporary directory for a whole bats file.
compat_tmpdir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/envrun-compat.XXXXXX") || return 1
	chmod 0755 "$d"
	echo "$d"
}

# envrun_abs — $ENVRUN as an absolute path (orchestrators exec it from
# their own working directory).
envrun_abs() {
	readlink -f "$ENVRUN"
}

# requires_envrun_binary — skip when the runtime under test was not built.
requires_envrun_binary() {
	[ -x "$ENVRUN" ] || skip "no envrun binary at $ENVRUN: build first"
}

# make_busybox_tar FILE — the busybox test rootfs as a tar archive.
make_busybox_tar() {
	local out=$1 dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/envrun-rootfs.XXXXXX") || return 1
	"$TESTS_DIR/make-busybox-rootfs.sh" "$dir/rootfs" &&
		tar -C "$dir/rootfs" --numeric-owner -cf "$out" .
	local rc=$?
	rm -rf "$dir"
	return $rc
}

# ---------------------------------------------------------------------------
# A private mount namespace for the orchestrator
#
# Why: on the development machines the host's "/" carries tmpfs mounts
# stacked over it at boot (the processes' root is the ext4 below them).
# containers/storage applies image layers after pivot_root into the layer
# directory and a single MNT_DETACH unmount of the old root, which then
# leaves the old root's stacked tmpfs on the pivot directory: rmdir fails
# with EBUSY ("cleaning up after pivot: ... device or resource busy") and
# `podman import` cannot store any image.  The same pivot then works in a
# mount namespace of our own from which those stacked mounts were removed.
# The namespace also keeps every mount the orchestrator makes (shm, layer
# mounts) off the host's mount table, so teardown has only one mount to
# remove on the host side.
#
# compat_mntns_setup DIR — make DIR/mntns, a persistent private mount
# namespace (DIR is bind-mounted on itself, private, to hold it).
# in_mntns CMD... — run CMD in it.  compat_mntns_teardown DIR — release it.

compat_mntns_setup() {
	local dir=$1
	mount --bind "$dir" "$dir" || return 1
	mount --make-private "$dir" || return 1
	: >"$dir/mntns"
	# In the new namespace: unmount, from the top, every tmpfs stacked
	# on "/" (a path lookup of "/" for umount reaches the topmost one).
	unshare --mount="$dir/mntns" --propagation private /bin/sh -c '
		n=$(awk '\''$5 == "/" { split($0, a, " - "); split(a[2], b, " ");
			if (b[1] == "tmpfs") c++ } END { print c + 0 }'\'' /proc/self/mountinfo)
		while [ "$n" -gt 0 ]; do
			umount -l / || exit 1
			n=$((n - 1))
		done' || return 1
	COMPAT_MNTNS=$dir/mntns
	export COMPAT_MNTNS
}

in_mntns() {
	nsenter --mount="$COMPAT_MNTNS" -- "$@"
}

compat_mntns_teardown() {
	local dir=$1
	[ -n "$dir" ] || return 0
	umount "$dir/mntns" 2>/dev/null || umount -l "$dir/mntns" 2>/dev/null || true
	umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null || true
}

# cgroups_of_pid PID — the pid's cgroup paths, one "controllers:path" a line.
cgroup_path_of() {
	# cgroup_path_of PID CONTROLLER — the pid's path in that v1 hierarchy.
	awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++)
		if (a[i] == c) { print $3; exit } }' "/proc/$1/cgroup"
}

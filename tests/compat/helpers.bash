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
# unified_cgroup_dir PID — the pid's cgroup directory in the unified
# hierarchy (cgroup2 at /sys/fs/cgroup on v2 hosts, /sys/fs/cgroup/unified
# on hybrid ones).  envrun always places a container there; on a hybrid
# host it joins v1 hierarchies only for the limits that need them.
unified_cgroup_dir() {
	local p
	p=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	if [ -d /sys/fs/cgroup/unified ]; then
		echo "/sys/fs/cgroup/unified$p"
	else
		echo "/sys/fs/cgroup$p"
	fi
}

cgroup_path_of() {
	# cgroup_path_of PID CONTROLLER — the pid's path in that v1 hierarchy.
	awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++)
		if (a[i] == c) { print $3; exit } }' "/proc/$1/cgroup"
}

# ---------------------------------------------------------------------------
# OCI image archives

# oci_arch — this machine's architecture in OCI's spelling.
oci_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	armv7l) echo arm ;;
	i?86) echo 386 ;;
	*) uname -m ;;
	esac
}

# blob_put DIR FILE — move FILE into DIR/blobs/sha256 under its digest;
# prints "sha256:HEX SIZE".
blob_put() {
	local dir=$1 f=$2 hex size
	hex=$(sha256sum "$f" | cut -d' ' -f1)
	size=$(stat -c %s "$f")
	mv "$f" "$dir/blobs/sha256/$hex"
	echo "sha256:$hex $size"
}

# make_oci_archive OUT NAME — an OCI image layout tarball holding the
# busybox test rootfs as one uncompressed layer, its index annotated with
# io.containerd.image.name=NAME (`ctr image import` names an image only
# from that annotation) and org.opencontainers.image.ref.name.
make_oci_archive() {
	local out=$1 name=$2 d layer cfg man ld ls cd cs md ms
	d=$(mktemp -d "${TMPDIR:-/tmp}/envrun-oci.XXXXXX") || return 1
	mkdir -p "$d/blobs/sha256"
	make_busybox_tar "$d/layer.tar" || { rm -rf "$d"; return 1; }
	read -r ld ls < <(blob_put "$d" "$d/layer.tar")
	jq -n --arg arch "$(oci_arch)" --arg diff "$ld" '{
		architecture: $arch, os: "linux",
		config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
			Cmd: ["sh"], WorkingDir: "/" },
		rootfs: { type: "layers", diff_ids: [$diff] } }' >"$d/config.json"
	read -r cd cs < <(blob_put "$d" "$d/config.json")
	jq -n --arg cd "$cd" --argjson cs "$cs" --arg ld "$ld" --argjson ls "$ls" '{
		schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs },
		layers: [ { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls } ] }' \
		>"$d/manifest.json"
	read -r md ms < <(blob_put "$d" "$d/manifest.json")
	jq -n --arg md "$md" --argjson ms "$ms" --arg name "$name" --arg arch "$(oci_arch)" '{
		schemaVersion: 2,
		manifests: [ { mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $md, size: $ms,
			platform: { architecture: $arch, os: "linux" },
			annotations: { "io.containerd.image.name": $name,
				"org.opencontainers.image.ref.name": ($name | sub(".*:"; "")) } } ] }' \
		>"$d/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out" oci-layout index.json blobs
	local rc=$?
	rm -rf "$d"
	return $rc
}

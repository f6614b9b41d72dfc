#!/bin/sh
# make-busybox-rootfs.sh DIR — lay out a minimal root filesystem in DIR
# from Debian's busybox-static: /bin/busybox plus one relative symlink per
# applet, /etc/passwd and /etc/group with a few users and groups for the
# uid/gid tests, and the empty mount points a runtime expects.
#
# The tree is built once under tests/.cache/ (gitignored), keyed by the
# busybox binary's checksum, and copied into DIR on every call, so each test
# gets its own writable copy and nothing a test writes leaks into the next.
#
# Environment: BUSYBOX (default /bin/busybox), ENVRUN_TEST_CACHE (default
# tests/.cache beside this script).
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dest=$1

busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ]; then
	echo "$0: $busybox not found: install busybox-static" >&2
	exit 1
fi
if ! file_out=$("$busybox" --list-full 2>/dev/null) || [ -z "$file_out" ]; then
	echo "$0: $busybox --list-full failed: is it busybox-static?" >&2
	exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
cache=${ENVRUN_TEST_CACHE:-$here/.cache}
sum=$(sha256sum "$busybox" | cut -c1-16)
# Bump layout_version when the layout below changes.
layout_version=2
template=$cache/busybox-rootfs-v$layout_version-$sum

build_template() {
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.rootfs.XXXXXX")
	chmod 0755 "$tmp"
	# Remove the half-made tree if anything below fails.
	trap 'rm -rf "$tmp"' EXIT INT TERM

	for d in bin sbin usr/bin usr/sbin etc root home/user1 home/user2 \
		proc sys dev tmp run var/tmp mnt opt; do
		mkdir -p "$tmp/$d"
	done
	chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
	chmod 0700 "$tmp/root"
	cp "$busybox" "$tmp/bin/busybox"
	chmod 0755 "$tmp/bin/busybox"

	# One symlink per applet.  Absolute: resolved against the container's
	# root they reach its /bin/busybox; relative ones (../../bin/busybox)
	# were seen to fail to resolve after pivot_root on some sandboxed
	# kernels, and from the host the absolute target is the host's own
	# busybox-static, equally harmless.
	"$busybox" --list-full | while read -r applet; do
		case $applet in
		bin/busybox | "" | linuxrc) continue ;;
		esac
		dir=$(dirname "$applet")
		mkdir -p "$tmp/$dir"
		case $dir in
		bin | sbin | usr/bin | usr/sbin) ;;
		*) continue ;;
		esac
		[ -e "$tmp/$applet" ] || [ -L "$tmp/$applet" ] || ln -s /bin/busybox "$tmp/$applet"
	done

	# Users and groups the uid/gid tests refer to by name and number.
	cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
user1:x:1000:1000:Test User One:/home/user1:/bin/sh
user2:x:1001:1001:Test User Two:/home/user2:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$tmp/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
users:x:100:user1,user2
group1:x:1000:user1
group2:x:1001:user2
extra:x:2000:user1
nogroup:x:65534:
EOF
	chmod 0644 "$tmp/etc/passwd" "$tmp/etc/group"
	chown 1000:1000 "$tmp/home/user1"
	chown 1001:1001 "$tmp/home/user2"
	echo "envrun-test" >"$tmp/etc/hostname"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$tmp/etc/hosts"
	: >"$tmp/etc/resolv.conf"
	# A marker the tests look for to tell the container's root from the
	# host's.
	echo "envrun busybox test rootfs" >"$tmp/etc/envrun-test-rootfs"

	trap - EXIT INT TERM
	# Publish atomically: concurrent callers either see the whole template
	# or build their own and lose the rename race harmlessly.
	if ! mv -T "$tmp" "$template" 2>/dev/null; then
		rm -rf "$tmp"
	fi
}

[ -f "$template/etc/envrun-test-rootfs" ] || build_template

mkdir -p "$dest"
# -a keeps the symlinks, modes and owners; the trailing /. copies the
# contents, so DIR may already exist (empty).
cp -a "$template/." "$dest/"

#!/usr/bin/env bats
# The root filesystem and mounts: pivot_root into the rootfs with the old
# root gone, root.readonly, the default mounts and their options, bind
# mounts and flags, order, propagation, /dev and its devices, masked and
# read-only paths, mount destinations resolved inside the rootfs.

load helpers

setup() { setup_bundle; }
teardown() { teardown_bundle; }

# mount_line MOUNTPOINT — the mountinfo line (from $output) of the top
# mount at MOUNTPOINT.
mount_line() {
	echo "$output" | awk -v m="$1" '$5 == m' | tail -n1
}
# mount_opts MOUNTPOINT — per-mount options (field 6) and super options.
mount_opts() {
	mount_line "$1" | awk '{ for (i = 7; $i != "-"; i++); print $6 "," $(i + 3) }'
}
mount_fstype() {
	mount_line "$1" | awk '{ for (i = 7; $i != "-"; i++); print $(i + 1) }'
}
has_opt() { # has_opt MOUNTPOINT OPTION
	mount_opts "$1" | tr , '\n' | grep -q -x -- "$2"
}

@test "the root is the bundle's rootfs and the host's root is gone" {
	run_sh 'cat /etc/envrun-test-rootfs
		awk "{ print \$5 }" /proc/self/mountinfo | sort -u | while read -r m; do
			[ -e "$m" ] && echo "$m"; done; true'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "envrun busybox test rootfs" ]
	# Every mount point reachable inside is one the config asked for (or
	# below /proc, /sys and /dev, which it also asked for): no old root.
	for m in "${lines[@]:1}"; do
		case $m in
		/ | /proc | /proc/* | /dev | /dev/* | /sys | /sys/*) ;;
		*) echo "unexpected mount $m"; false ;;
		esac
	done
}

@test "the host filesystem is not reachable through .. from /" {
	run_sh 'cd /; cd ..; cd ..; cat /etc/envrun-test-rootfs; ls / | sort | tr "\n" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "envrun busybox test rootfs" ]
	[ "${lines[1]}" = "$(ls "$ROOTFS" | sort | tr '\n' ' ')" ]
}

@test "root.readonly makes / read-only, and false writable" {
	update_config '.root.readonly = true'
	run_sh 'touch /newfile 2>&1; echo rc=$?; cat /proc/self/mountinfo'
	[[ "$output" == *"rc=1"* ]]
	has_opt / ro
	[ ! -e "$ROOTFS/newfile" ]

	update_config '.root.readonly = false'
	run_sh 'touch /newfile && echo written'
	[ "$status" -eq 0 ]
	[ "$output" = written ]
	[ -e "$ROOTFS/newfile" ]
}

@test "root.path may be absolute" {
	export ABS_ROOTFS=$ROOTFS
	update_config '.root.path = env.ABS_ROOTFS'
	run_sh 'cat /etc/envrun-test-rootfs'
	[ "$status" -eq 0 ]
	[ "$output" = "envrun busybox test rootfs" ]
}

@test "the default mounts are there with their options" {
	run_sh 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "$(mount_fstype /proc)" = proc ]
	[ "$(mount_fstype /dev)" = tmpfs ]
	has_opt /dev nosuid
	has_opt /dev mode=755
	[ "$(mount_fstype /dev/pts)" = devpts ]
	has_opt /dev/pts nosuid
	has_opt /dev/pts noexec
	has_opt /dev/pts mode=620
	has_opt /dev/pts ptmxmode=666
	has_opt /dev/pts gid=5
	[ "$(mount_fstype /dev/shm)" = tmpfs ]
	for o in nosuid nodev noexec; do has_opt /dev/shm $o; done
	has_opt /dev/shm size=65536k
	[ "$(mount_fstype /dev/mqueue)" = mqueue ]
	for o in nosuid nodev noexec; do has_opt /dev/mqueue $o; done
	[ "$(mount_fstype /sys)" = sysfs ]
	for o in nosuid nodev noexec ro; do has_opt /sys $o; done
	echo "$output" | awk '$5 ~ "^/sys/fs/cgroup"' | grep -q .
}

@test "/sys is read-only without a network namespace" {
	# issue 2 asks it of envrun; runc binds the host's /sys read-write.
	requires_envrun
	update_config '.linux.namespaces -= [{"type": "network"}]
		| .mounts |= map(if .destination == "/sys" then .options -= ["ro"] else . end)'
	run_sh 'cat /proc/self/mountinfo; touch /sys/kernel/envrun-x 2>/dev/null; echo rc=$?'
	[ "$status" -eq 0 ]
	has_opt /sys ro
	[ "${lines[-1]}" = rc=1 ]
}

@test "/dev holds the default devices and links, and nothing of the host's" {
	run_sh 'for d in null zero full random urandom tty; do
			echo "$d $(stat -c "%F %t:%T %a" /dev/$d)"; done
		for l in ptmx fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
		stat -c "%F %t:%T" /dev/pts/ptmx
		ls -A /dev | tr "\n" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "null character special file 1:3 666" ]
	[ "${lines[1]}" = "zero character special file 1:5 666" ]
	[ "${lines[2]}" = "full character special file 1:7 666" ]
	[ "${lines[3]}" = "random character special file 1:8 666" ]
	[ "${lines[4]}" = "urandom character special file 1:9 666" ]
	[ "${lines[5]}" = "tty character special file 5:0 666" ]
	[ "${lines[6]}" = "ptmx -> pts/ptmx" ]
	[ "${lines[7]}" = "fd -> /proc/self/fd" ]
	[ "${lines[8]}" = "stdin -> /proc/self/fd/0" ]
	[ "${lines[9]}" = "stdout -> /proc/self/fd/1" ]
	[ "${lines[10]}" = "stderr -> /proc/self/fd/2" ]
	[ "${lines[11]}" = "character special file 5:2" ]
	for d in ${lines[12]}; do
		case $d in
		null | zero | full | random | urandom | tty | ptmx | pts | shm | mqueue | fd | stdin | stdout | stderr | core | console) ;;
		*) echo "unexpected /dev/$d"; false ;;
		esac
	done
}

@test "the default devices work" {
	run_sh 'echo x > /dev/null && echo null-ok
		head -c 4 /dev/zero | od -An -tx1 | tr -d " "
		head -c 16 /dev/urandom | wc -c
		echo x 2>/dev/null > /dev/full || echo full-enospc
		echo shm > /dev/shm/f && cat /dev/shm/f
		ls /dev/fd/ >/dev/null && echo fd-ok'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = null-ok ]
	[ "${lines[1]}" = 00000000 ]
	[ "${lines[2]}" = 16 ]
	[ "${lines[3]}" = full-enospc ]
	[ "${lines[4]}" = shm ]
	[ "${lines[5]}" = fd-ok ]
}

@test "configured devices are created with type, numbers, mode and owner" {
	update_config '.linux.devices = [
		{"path": "/dev/envrun-null", "type": "c", "major": 1, "minor": 3,
		 "fileMode": 438, "uid": 1000, "gid": 1001},
		{"path": "/dev/sub/envrun-zero", "type": "c", "major": 1, "minor": 5}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
	run_sh 'stat -c "%F %t:%T %a %u:%g" /dev/envrun-null; stat -c "%F %t:%T" /dev/sub/envrun-zero; echo x > /dev/envrun-null && echo written'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 666 1000:1001" ]
	[ "${lines[1]}" = "character special file 1:5" ]
	[ "${lines[2]}" = written ]
}

@test "a bind mount shows the host directory, read-only when asked" {
	mkdir -p "$TEST_TMPDIR/data"
	echo from-host >"$TEST_TMPDIR/data/file"
	export DATA=$TEST_TMPDIR/data
	update_config '.mounts += [{"destination": "/mnt/ro", "type": "bind", "source": env.DATA, "options": ["bind", "ro"]},
		{"destination": "/mnt/rw", "type": "none", "source": env.DATA, "options": ["rbind", "rw"]}]'
	run_sh 'cat /mnt/ro/file; touch /mnt/ro/new 2>/dev/null; echo ro-rc=$?; echo from-ctr > /mnt/rw/new; cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[ "${lines[1]}" = ro-rc=1 ]
	has_opt /mnt/ro ro
	has_opt /mnt/rw rw
	[ "$(cat "$TEST_TMPDIR/data/new")" = from-ctr ]
}

@test "nosuid, nodev and noexec on a bind mount are in effect" {
	mkdir -p "$TEST_TMPDIR/data"
	printf '#!/bin/sh\necho ran\n' >"$TEST_TMPDIR/data/script"
	chmod 755 "$TEST_TMPDIR/data/script"
	export DATA=$TEST_TMPDIR/data
	update_config '.mounts += [{"destination": "/mnt/x", "type": "bind", "source": env.DATA, "options": ["bind", "nosuid", "nodev", "noexec"]},
		{"destination": "/mnt/y", "type": "bind", "source": env.DATA, "options": ["bind"]}]'
	run_sh '/mnt/x/script 2>/dev/null; echo x-rc=$?; /mnt/y/script; cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = x-rc=126 ]
	[ "${lines[1]}" = ran ]
	for o in nosuid nodev noexec; do has_opt /mnt/x $o; done
	! has_opt /mnt/y noexec
}

@test "a tmpfs mount gets its data options" {
	update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=0710", "nosuid"]}]'
	run_sh 'stat -c %a /scratch; cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 710 ]
	has_opt /scratch size=1024k
	has_opt /scratch nosuid
}

@test "mounts are made in the order listed" {
	mkdir -p "$TEST_TMPDIR/data"
	echo inner >"$TEST_TMPDIR/data/file"
	export DATA=$TEST_TMPDIR/data
	# A tmpfs, then a bind inside it: both visible.
	update_config '.mounts += [{"destination": "/mnt/o", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/mnt/o/in", "type": "bind", "source": env.DATA, "options": ["bind"]}]'
	run_sh 'cat /mnt/o/in/file'
	[ "$status" -eq 0 ]
	[ "$output" = inner ]

	# The other way round, the tmpfs hides the bind.
	update_config '.mounts |= (.[:-2] + [.[-1], .[-2]])'
	jq -c '.mounts[-2:] | map(.destination)' "$BUNDLE/config.json"
	run_sh 'cat /mnt/o/in/file 2>/dev/null || echo hidden'
	[ "$output" = hidden ]
}

@test "a mount destination that is a symlink is resolved inside the rootfs" {
	mkdir -p "$TEST_TMPDIR/hosttarget"
	echo host-file >"$TEST_TMPDIR/hosttarget/keep"
	ln -s "$TEST_TMPDIR/hosttarget" "$ROOTFS/evil"
	update_config '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"}]'
	run_sh 'true'
	# Whatever the runtime decided, the host's directory was not mounted
	# over, and is intact.
	[ -z "$(mounts_under "$TEST_TMPDIR/hosttarget")" ]
	[ "$(cat "$TEST_TMPDIR/hosttarget/keep")" = host-file ]
}

@test "rootfsPropagation private and slave are applied to /" {
	update_config '.linux.rootfsPropagation = "private"'
	run_sh 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	line=$(mount_line /)
	[[ "$line" != *shared:* ]]
	[[ "$line" != *master:* ]]

	# slave only shows as master:N when the host's mount is shared.
	host_line=$(findmnt -n -o PROPAGATION --target "$ROOTFS" || true)
	[[ "$host_line" == *shared* ]] || skip "the host mount under the bundle is not shared"
	update_config '.linux.rootfsPropagation = "rslave"'
	run_sh 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$(mount_line /)" == *master:* ]]
}

@test "masked paths are unreadable or empty" {
	update_config '.linux.maskedPaths += ["/etc/envrun-test-rootfs", "/home"]'
	run_sh 'echo "file $(wc -c < /etc/envrun-test-rootfs)"
		echo "dir $(ls -A /home | wc -l)"
		echo "sysfw $(ls -A /sys/firmware | wc -l)"
		echo x > /etc/envrun-test-rootfs 2>/dev/null; echo "wfile $(wc -c < /etc/envrun-test-rootfs)"
		touch /sys/firmware/x 2>/dev/null; echo "wdir $?"
		touch /home/x 2>/dev/null; echo "whome $?"'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | tr '\n' ,)" = "file 0,dir 0,sysfw 0,wfile 0,wdir 1,whome 1," ]
	# The file itself is untouched.
	[ -s "$ROOTFS/etc/envrun-test-rootfs" ]
}

@test "every masked path of the default spec is masked" {
	jq -r '.linux.maskedPaths[]' "$BUNDLE/config.json" >"$TEST_TMPDIR/masked"
	[ -s "$TEST_TMPDIR/masked" ]
	run_sh 'for p in '"$(tr '\n' ' ' <"$TEST_TMPDIR/masked")"'; do
		[ -e "$p" ] || { echo "$p absent"; continue; }
		if [ -d "$p" ]; then echo "$p $(ls -A "$p" | wc -l)"; else echo "$p $(head -c 64 "$p" 2>/dev/null | wc -c)"; fi
	done'
	[ "$status" -eq 0 ]
	for l in "${lines[@]}"; do
		[[ "$l" == *" absent" ]] || [[ "$l" == *" 0" ]] || { echo "not masked: $l"; false; }
	done
}

@test "read-only paths are unwritable" {
	update_config '.root.readonly = false | .linux.readonlyPaths += ["/mnt"]'
	run_sh 'echo 1 > /proc/sys/kernel/domainname 2>/dev/null; echo sys=$?;
		touch /mnt/x 2>/dev/null; echo mnt=$?; touch /opt/x && echo opt=ok; cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = sys=1 ]
	[ "${lines[1]}" = mnt=1 ]
	[ "${lines[2]}" = opt=ok ]
	has_opt /proc/sys ro
	has_opt /mnt ro
	for p in $(jq -r '.linux.readonlyPaths[]' "$BUNDLE/config.json"); do
		[ -z "$(mount_line "$p")" ] || has_opt "$p" ro
	done
}

@test "--no-pivot still runs in the rootfs" {
	set_args cat /etc/envrun-test-rootfs
	id=$(new_id)
	envrun run --no-pivot --bundle "$BUNDLE" "$id" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "envrun busybox test rootfs" ]
}

@test "the container's mounts do not appear on the host" {
	set_args sleep 1000
	update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"}]'
	id=$(new_id)
	run_detached "$id"
	[ -z "$(mounts_under "$TEST_TMPDIR")" ]
	! grep -q " /scratch " /proc/self/mountinfo
}

#!/usr/bin/env bats
# Namespaces (created, inherited, joined by path), id mappings, hostname
# and domainname, sysctls, time offsets.

load helpers

setup() { setup_bundle; }
teardown() {
	if [ -n "${NETNS_NAME:-}" ]; then
		ip netns delete "$NETNS_NAME" 2>/dev/null || true
	fi
	teardown_bundle
}

ns_file() {
	case $1 in
	pid) echo pid ;; network) echo net ;; mount) echo mnt ;; ipc) echo ipc ;;
	uts) echo uts ;; user) echo user ;; cgroup) echo cgroup ;; time) echo time ;;
	esac
}

# ns_inside TYPE... — print "type link" of each namespace of the process.
print_ns_script() {
	local t s=
	for t in "$@"; do
		s="$s echo $t \$(readlink /proc/self/ns/$(ns_file "$t"));"
	done
	echo "$s"
}

@test "every namespace in the config is new, every other one is the caller's" {
	update_config '.linux.namespaces = [{"type": "pid"}, {"type": "network"},
		{"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}]'
	run_sh "$(print_ns_script pid network ipc uts mount cgroup user)"
	[ "$status" -eq 0 ]
	for t in pid network ipc uts mount cgroup; do
		inside=$(echo "$output" | awk -v t="$t" '$1 == t { print $2 }')
		[ -n "$inside" ]
		[ "$inside" != "$(readlink "/proc/self/ns/$(ns_file "$t")")" ]
	done
	# Not listed: inherited from the runtime.
	inside=$(echo "$output" | awk '$1 == "user" { print $2 }')
	[ "$inside" = "$(readlink /proc/self/ns/user)" ]
}

@test "a namespace left out of the config is the caller's" {
	update_config '.linux.namespaces = [{"type": "mount"}, {"type": "pid"}] | del(.hostname)'
	run_sh "$(print_ns_script network ipc uts)"
	[ "$status" -eq 0 ]
	for t in network ipc uts; do
		inside=$(echo "$output" | awk -v t="$t" '$1 == t { print $2 }')
		[ "$inside" = "$(readlink "/proc/self/ns/$(ns_file "$t")")" ]
	done
}

@test "the program is pid 1 of a new pid namespace" {
	run_sh 'echo $$; ps -o pid,comm | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	# Only the container's own processes are visible: header, sh, ps, wc.
	[ "${lines[1]}" -le 4 ]
}

@test "a new network namespace has only the loopback interface" {
	run_sh 'ls /sys/class/net; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | tr '\n' ' ')" = "lo " ]
}

@test "a network namespace is joined by path" {
	requires_cmd ip
	NETNS_NAME="envrun-bats-$ENVRUN_TEST_MARK"
	ip netns add "$NETNS_NAME"
	want="net:[$(stat -L -c %i "/var/run/netns/$NETNS_NAME")]"
	update_config '.linux.namespaces |= map(if .type == "network"
		then .path = "/var/run/netns/" + env.NETNS_NAME else . end)'
	export NETNS_NAME
	update_config '.linux.namespaces |= map(if .type == "network"
		then .path = "/var/run/netns/" + env.NETNS_NAME else . end)'
	run_sh 'readlink /proc/self/ns/net'
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "a uts namespace is joined by the path of a running container" {
	update_config '.hostname = "first-ctr"'
	set_args sleep 1000
	first=$(new_id first)
	run_detached "$first"
	pid=$(container_pid "$first")
	export JOIN_UTS="/proc/$pid/ns/uts"
	update_config '.linux.namespaces |= map(if .type == "uts" then .path = env.JOIN_UTS else . end)
		| del(.hostname)'
	run_sh 'hostname; readlink /proc/self/ns/uts'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = first-ctr ]
	[ "${lines[1]}" = "$(readlink "/proc/$pid/ns/uts")" ]
}

@test "a namespace path of the wrong type is refused" {
	update_config '.linux.namespaces |= map(if .type == "uts" then .path = "/proc/self/ns/net" else . end)'
	run_sh true
	[ "$status" -ne 0 ]
	[ -z "$(state_entries)" ]
}

@test "a namespace path that does not exist is refused" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/var/run/netns/envrun-no-such-ns" else . end)'
	run_sh true
	[ "$status" -ne 0 ]
	[ -z "$(state_entries)" ]
}

@test "hostname and domainname are set in the new uts namespace" {
	host_before=$(hostname)
	update_config '.hostname = "ctr-host" | .domainname = "ctr.example"'
	run_sh 'hostname; cat /proc/sys/kernel/domainname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ctr-host ]
	# runc before 1.2 does not know domainname.
	is_runc || [ "${lines[1]}" = ctr.example ]
	[ "$(hostname)" = "$host_before" ]
}

@test "a hostname without a uts namespace is refused" {
	update_config '.linux.namespaces -= [{"type": "uts"}] | .hostname = "nope"'
	run_sh true
	[ "$status" -ne 0 ]
}

@test "uid and gid mappings are written for a user namespace" {
	requires_userns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
	run_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user'
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" = "0 100000 65536" ]
	[ "$(echo "${lines[1]}" | awk '{print $1, $2, $3}')" = "0 200000 65536" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" != "$(readlink /proc/self/ns/user)" ]
}

@test "a mapped container user is its host id seen from outside" {
	requires_userns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	set_args sleep 1000
	id=$(new_id)
	run_detached "$id"
	pid=$(container_pid "$id")
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 101000 ]
	[ "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" = 101000 ]
}

@test "several mapping ranges are all written" {
	requires_userns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000},
			{"containerID": 1000, "hostID": 300000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run_sh 'cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | awk '{print $1, $2, $3}' | sort -n | tr '\n' ,)" = "0 100000 1000,1000 300000 1000," ]
}

@test "sysctls are set inside the container's namespaces" {
	host_msgmax=$(cat /proc/sys/kernel/msgmax)
	want=$((host_msgmax == 4321 ? 4322 : 4321))
	export WANT=$want
	update_config '.linux.sysctl = {"kernel.msgmax": env.WANT, "net.ipv4.ip_forward": "1"}'
	run_sh 'cat /proc/sys/kernel/msgmax /proc/sys/net/ipv4/ip_forward'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$want" ]
	[ "${lines[1]}" = 1 ]
	# The host's are untouched.
	[ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ]
}

@test "a namespaced sysctl without its namespace is refused" {
	update_config '.linux.namespaces -= [{"type": "ipc"}] | .linux.sysctl = {"kernel.msgmax": "4096"}'
	host_msgmax=$(cat /proc/sys/kernel/msgmax)
	run_sh true
	[ "$status" -ne 0 ]
	[ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ]
}

@test "a time namespace applies timeOffsets" {
	requires_envrun
	[ -e /proc/self/ns/time ] || skip "no time namespaces in this kernel"
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0},
			"monotonic": {"secs": 864000, "nanosecs": 0}}'
	run_sh 'cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time'
	[ "$status" -eq 0 ]
	host_uptime=$(cut -d. -f1 /proc/uptime)
	[ "${lines[0]}" -ge $((host_uptime + 864000 - 60)) ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/time)" ]
}

#!/usr/bin/env bats
# cgroups on this machine's real hierarchy (hybrid on the development
# hosts): limits, OOM events, pause/resume, update, ps, events --stats,
# device rules, and nothing left after delete.  Every container gets a
# cgroupsPath under the test's own parent, which teardown removes.

load helpers

setup() {
	setup_bundle
	set_cgroups_path ctr
	update_config '.root.readonly = false'
}
teardown() { teardown_bundle; }

# cg_dir CONTROLLER — the container's cgroup directory carrying CONTROLLER
# (v1 hierarchy when mounted, else the cgroup2 one).
cg_dir() {
	if [ -d "/sys/fs/cgroup/$1" ]; then
		echo "/sys/fs/cgroup/$1$TEST_CGROUP_PARENT/ctr"
	elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup$TEST_CGROUP_PARENT/ctr"
	else
		echo "/sys/fs/cgroup/unified$TEST_CGROUP_PARENT/ctr"
	fi
}

# cpu_usage_ns — CPU time used by the container's cgroup so far.
cpu_usage_ns() {
	local d
	d=$(cg_dir cpuacct)
	if [ -f "$d/cpuacct.usage" ]; then
		cat "$d/cpuacct.usage"
	else
		echo $(($(awk '$1 == "usage_usec" { print $2 }' "$d/cpu.stat") * 1000))
	fi
}

# wait_until SECONDS COMMAND... — poll COMMAND every 0.1 s.
wait_until() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

@test "a memory limit the container exceeds ends in an OOM kill reported by events" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	set_args sh -c 'while [ ! -e /go ]; do sleep 0.1; done;
		dd if=/dev/zero of=/dev/null bs=128M count=1; exec sleep 1000'
	id=$(new_id)
	run_detached "$id"
	envrun_cmd events --interval 1s "$id" >"$TEST_TMPDIR/events" 2>&1 &
	events_pid=$!
	# the watch is armed once the first stats line is out
	wait_until 10 grep -q '"type":"stats"' "$TEST_TMPDIR/events"
	touch "$ROOTFS/go"
	found=0
	wait_until 15 grep -q '"type":"oom"' "$TEST_TMPDIR/events" && found=1
	kill "$events_pid" 2>/dev/null || true
	wait "$events_pid" 2>/dev/null || true
	[ "$found" -eq 1 ] || { cat "$TEST_TMPDIR/events" >&2; fail "no oom event"; }
	grep '"type":"oom"' "$TEST_TMPDIR/events" | head -1 |
		jq -e --arg id "$id" '.type == "oom" and .id == $id'
}

@test "a pids limit makes fork fail inside the container" {
	update_config '.linux.resources.pids = {"limit": 5}'
	run_sh 'for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo spawned'
	echo "$stderr" | grep -qi "fork" || fail "fork did not fail: $stderr"
	# without the limit all eight start
	update_config 'del(.linux.resources.pids)'
	run_sh 'for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo spawned'
	! echo "$stderr" | grep -qi "fork"
}

@test "a cpu quota of 0.2 CPU keeps a busy loop near 20%" {
	update_config '.linux.resources.cpu = {"quota": 20000, "period": 100000}'
	set_args sh -c 'while :; do :; done'
	id=$(new_id)
	run_detached "$id"
	sleep 0.5
	t0=$(date +%s%N)
	u0=$(cpu_usage_ns)
	sleep 3
	u1=$(cpu_usage_ns)
	t1=$(date +%s%N)
	pct=$(((u1 - u0) * 100 / (t1 - t0)))
	echo "# busy loop used $pct% of one CPU" >&2
	# tolerant: scheduling noise, but far from an unlimited 100%
	[ "$pct" -ge 10 ] && [ "$pct" -le 30 ]
}

@test "update changes the limits of a running container" {
	update_config '.linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 50}'
	set_args sleep 1000
	id=$(new_id)
	run_detached "$id"
	envrun update --memory 128M --pids-limit 20 "$id"
	[ "$status" -eq 0 ]
	if [ -f "$(cg_dir memory)/memory.limit_in_bytes" ]; then
		[ "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" -eq 134217728 ]
	else
		[ "$(cat "$(cg_dir memory)/memory.max")" -eq 134217728 ]
	fi
	[ "$(cat "$(cg_dir pids)/pids.max")" -eq 20 ]
	# and from a --resources document
	echo '{"pids": {"limit": 30}}' >"$TEST_TMPDIR/res.json"
	envrun update --resources "$TEST_TMPDIR/res.json" "$id"
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg_dir pids)/pids.max")" -eq 30 ]
	envrun update --memory lots "$id"
	[ "$status" -ne 0 ]
}

@test "pause stops a counter and resume restarts it" {
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i > /counter; sleep 0.05; done'
	id=$(new_id)
	run_detached "$id"
	wait_until 5 test -s "$ROOTFS/counter"
	envrun pause "$id"
	[ "$status" -eq 0 ]
	[ "$(container_status "$id")" = paused ]
	a=$(cat "$ROOTFS/counter")
	sleep 1
	b=$(cat "$ROOTFS/counter")
	[ "$a" = "$b" ]
	envrun pause "$id"
	[ "$status" -ne 0 ] # already paused
	envrun resume "$id"
	[ "$status" -eq 0 ]
	[ "$(container_status "$id")" = running ]
	wait_until 5 test "$(cat "$ROOTFS/counter")" -gt "$b"
}

@test "kill and delete --force work on a paused container, leaving nothing" {
	set_args sh -c 'sleep 1000 & exec sleep 1001'
	id=$(new_id)
	run_detached "$id"
	pid=$(container_pid "$id")
	envrun pause "$id"
	[ "$status" -eq 0 ]
	[ "$(container_status "$id")" = paused ]
	envrun kill "$id" KILL
	[ "$status" -eq 0 ]
	envrun delete --force "$id"
	[ "$status" -eq 0 ]
	[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	[ ! -e "$ENVRUN_ROOT/$id" ]
	run ls -d /sys/fs/cgroup/*/"$TEST_CGROUP_PARENT"/ctr /sys/fs/cgroup/unified/"$TEST_CGROUP_PARENT"/ctr
	[ "$status" -ne 0 ]
}

@test "ps lists the container's processes" {
	set_args sh -c 'sleep 1000 & exec sleep 1001'
	id=$(new_id)
	run_detached "$id"
	pid=$(container_pid "$id")
	wait_until 5 test "$(envrun_cmd ps --format json "$id" | jq length)" -eq 2
	envrun ps --format json "$id"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson p "$pid" 'length == 2 and index($p) != null'
	envrun ps "$id"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	echo "$output" | grep -q "sleep 1001"
}

@test "events --stats prints valid JSON with non-zero usage" {
	set_args sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 1000'
	# A memory limit: on a hybrid host a container without one is not in
	# the v1 memory hierarchy (cpu and pids come from the unified leaf).
	update_config '.linux.resources.memory.limit = 268435456'
	id=$(new_id)
	run_detached "$id"
	sleep 0.5
	envrun events --stats "$id"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e --arg id "$id" '.type == "stats" and .id == $id
		and .data.cpu.usage.total > 0 and .data.memory.usage.usage > 0
		and .data.pids.current >= 1'
}

@test "events --stats without limits: cpu usage and pids from the unified cgroup" {
	update_config 'del(.linux.cgroupsPath)'
	set_args sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 1000'
	id=$(new_id)
	run_detached "$id"
	sleep 0.5
	envrun events --stats "$id"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.data.cpu.usage.total > 0 and .data.pids.current >= 1'
}

@test "hybrid host: a container without limits or cgroupsPath joins no v1 hierarchy" {
	[ -d /sys/fs/cgroup/unified ] && [ -d /sys/fs/cgroup/memory ] ||
		skip "not a hybrid cgroup host"
	update_config 'del(.linux.cgroupsPath)'
	set_args sleep 1000
	id=$(new_id)
	run_detached "$id"
	pid=$(container_pid "$id")
	# The unified line names the container's cgroup; no v1 line may.
	cat "/proc/$pid/cgroup" >&2
	unified=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	[ -n "$unified" ] && [ "$unified" != / ]
	run grep -E "^[1-9][0-9]*:[^:]+:$unified\$" "/proc/$pid/cgroup"
	[ "$status" -ne 0 ]
}

@test "after delete no cgroup directory is left in any hierarchy" {
	set_args sleep 1000
	for how in running paused stopped; do
		id=$(new_id)
		run_detached "$id"
		dirs=$(cgroup_dirs_under "$TEST_CGROUP_PARENT/ctr")
		[ -n "$dirs" ]
		case $how in
		paused) envrun pause "$id"; [ "$status" -eq 0 ] ;;
		stopped)
			envrun kill "$id" KILL
			wait_for_status "$id" stopped ;;
		esac
		envrun delete --force "$id"
		[ "$status" -eq 0 ]
		left=$(cgroup_dirs_under "$TEST_CGROUP_PARENT/ctr") || true
		[ -z "$left" ] || fail "left after deleting a $how container: $left"
	done
}

@test "a device rule denying /dev/null gives EPERM inside" {
	update_config '.linux.resources.devices += [{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
	run_sh 'echo x > /dev/null'
	[ "$status" -ne 0 ]
	echo "$stderr$output" | grep -qi "not permitted"
	# the same container without the rule can
	update_config '.linux.resources.devices |= map(select(.major != 1 or .minor != 3))'
	run_sh 'echo x > /dev/null'
	[ "$status" -eq 0 ]
}

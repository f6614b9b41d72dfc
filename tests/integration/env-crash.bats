#!/usr/bin/env bats
# SIGKILL during clone, commit and a persistent run: afterwards env list and
# a run still work, and nothing is half-made.

load env-helpers

setup() {
	env_setup
	make_env e >/dev/null
	# Something for clone and commit to freeze.
	dd if=/dev/urandom of="$WORK/big" bs=1M count=64 status=none
}
teardown() { env_teardown; }

# kill_during DELAY CMD...: start CMD, SIGKILL it after DELAY seconds.
kill_during() {
	local delay=$1
	shift
	"$@" &
	local pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

check_store() {
	envrun_env list --json
	[ "$status" -eq 0 ] || fail "list: $stderr"
	for n in $(echo "$output" | jq -r '.[].name'); do
		run --separate-stderr "$ENVRUN" env --store "$STORE" run --no-cwd "$n" -- true
		[ "$status" -eq 0 ] || fail "run $n: $stderr"
	done
	assert_store_clean
}

@test "SIGKILL during clone: the clone exists whole or not at all" {
	for delay in 0.05 0.15 0.3; do
		"$ENVRUN" env --store "$STORE" run --no-cwd --bind "$WORK:/w:ro" e -- cp /w/big /big$delay
		kill_during "$delay" "$ENVRUN" env --store "$STORE" clone e "c$delay"
		check_store
		run --separate-stderr "$ENVRUN" env --store "$STORE" run --no-cwd e -- ls "/big$delay"
		[ "$status" -eq 0 ] || fail "the source lost its data"
	done
}

@test "SIGKILL during commit: the environment keeps its content" {
	for delay in 0.05 0.15 0.3; do
		"$ENVRUN" env --store "$STORE" run --no-cwd --bind "$WORK:/w:ro" e -- cp /w/big "/c$delay"
		kill_during "$delay" "$ENVRUN" env --store "$STORE" commit e
		check_store
		run --separate-stderr "$ENVRUN" env --store "$STORE" run --no-cwd e -- ls "/c$delay"
		[ "$status" -eq 0 ] || fail "commit lost /c$delay"
	done
}

@test "SIGKILL of a persistent run: lock released, no mount, env usable" {
	kill_during 0.5 "$ENVRUN" env --store "$STORE" run --no-cwd e -- sh -c 'echo partial > /p; sleep 30'
	# The container's own processes die with their pid namespace's init.
	for _ in $(seq 50); do
		grep -q " $STORE" /proc/*/mounts 2>/dev/null || break
		sleep 0.1
	done
	run --separate-stderr "$ENVRUN" env --store "$STORE" run --wait --no-cwd e -- cat /p
	[ "$status" -eq 0 ] || fail "$stderr"
	check_store
}

@test "SIGKILL of an ephemeral run: its layer is removed by the next command" {
	kill_during 0.5 "$ENVRUN" env --store "$STORE" run --ephemeral --no-cwd e -- sh -c 'echo x > /x; sleep 30'
	sleep 0.5
	run --separate-stderr "$ENVRUN" env --store "$STORE" run --wait --no-cwd e -- ls /x
	[ "$status" -ne 0 ]
	check_store
}

@test "SIGKILL of env run takes its container down with it" {
	local tag="sleep 3$RANDOM$RANDOM"
	kill_during 0.5 "$ENVRUN" env --store "$STORE" run --no-cwd e -- $tag
	# The container's init gets SIGKILL when its runtime dies (nothing else
	# would ever stop a stateless run).
	for _ in $(seq 50); do
		pgrep -fx "$tag" >/dev/null || break
		sleep 0.1
	done
	run pgrep -fx "$tag"
	[ "$status" -ne 0 ]
	check_store
}

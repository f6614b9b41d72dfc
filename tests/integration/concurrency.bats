#!/usr/bin/env bats
# Concurrency: many containers created and deleted at once leave nothing;
# commands racing on one id are serialised.

load helpers

setup() {
	setup_bundle
	TEST_CGROUP_PARENT=/envrun-bats-$ENVRUN_TEST_MARK
}
teardown() { teardown_bundle; }

@test "50 containers created, started and force-deleted concurrently leave nothing" {
	export ABS_ROOTFS=$ROOTFS
	ids=()
	for i in $(seq 1 50); do
		id=$(new_id c$i)
		ids+=("$id")
		mkdir -p "$TEST_TMPDIR/b$i"
		export CG="$TEST_CGROUP_PARENT/$id"
		jq '.root.path = env.ABS_ROOTFS | .linux.cgroupsPath = env.CG
			| .process.args = ["sleep", "1000"]' "$BUNDLE/config.json" >"$TEST_TMPDIR/b$i/config.json"
	done
	pids=()
	for i in $(seq 1 50); do
		create_ctr "${ids[$((i - 1))]}" "$TEST_TMPDIR/b$i" &
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	[ "$failed" -eq 0 ]
	envrun list -q
	[ "${#lines[@]}" -eq 50 ]

	pids=()
	for id in "${ids[@]}"; do
		envrun_cmd start "$id" >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	[ "$failed" -eq 0 ]

	pids=()
	for id in "${ids[@]}"; do
		envrun_cmd delete --force "$id" >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	[ "$failed" -eq 0 ]

	envrun list -q
	[ -z "$output" ]
	assert_nothing_left
}

@test "concurrent creates of one id: exactly one wins" {
	update_config ".linux.cgroupsPath = \"$TEST_CGROUP_PARENT/one\""
	set_args sleep 1000
	id=$(new_id same)
	pids=()
	for i in $(seq 1 10); do
		envrun_cmd create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 &
		pids+=($!)
	done
	ok=0
	for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
	[ "$ok" -eq 1 ]
	[ "$(container_status "$id")" = created ]
	envrun delete --force "$id"
	[ "$status" -eq 0 ]
	assert_nothing_left
}

@test "concurrent state, kill and delete --force on one id never crash" {
	update_config ".linux.cgroupsPath = \"$TEST_CGROUP_PARENT/race\""
	set_args sleep 1000
	id=$(new_id race)
	run_detached "$id"
	pids=()
	for i in $(seq 1 5); do
		envrun_cmd state "$id" >/dev/null 2>&1 &
		pids+=($!)
		envrun_cmd kill "$id" KILL >/dev/null 2>&1 &
		pids+=($!)
		envrun_cmd delete --force "$id" >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		rc=0
		wait "$p" || rc=$?
		# 0 or 1, never a crash (signal) or a timeout.
		[ "$rc" -le 1 ] || { echo "a command exited $rc"; false; }
	done
	envrun_cmd delete --force "$id" >/dev/null 2>&1 || true
	assert_nothing_left
}

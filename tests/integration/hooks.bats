#!/usr/bin/env bats
# Hooks (config.md): each kind called at its point of the lifecycle with the
# state on stdin, in order, with its args and env; failures and timeouts.

load helpers

setup() {
	setup_bundle
	HOOKS_OUT=$TEST_TMPDIR/hooks
	mkdir -p "$HOOKS_OUT"
	# A host hook: saves its stdin as <kind>.json, appends <kind> to order.
	cat >"$TEST_TMPDIR/hook.sh" <<HOOK
#!/bin/sh
cat > "$HOOKS_OUT/\$1.json"
echo "\$1" >> "$HOOKS_OUT/order"
[ -z "\$HOOK_EXIT" ] || exit "\$HOOK_EXIT"
HOOK
	chmod 755 "$TEST_TMPDIR/hook.sh"
	# startContainer's path resolves in the container: the same hook
	# inside, writing to the host directory bound at /hooks.
	cat >"$ROOTFS/bin/hook.sh" <<'HOOK'
#!/bin/sh
cat > "/hooks/$1.json"
echo "$1" >> /hooks/order
HOOK
	chmod 755 "$ROOTFS/bin/hook.sh"
	export HOOK=$TEST_TMPDIR/hook.sh HOOKS_OUT
	update_config '.mounts += [{"destination": "/hooks", "type": "bind", "source": env.HOOKS_OUT, "options": ["bind"]}]'
}
teardown() { teardown_bundle; }

# add_hook KIND NAME [PATH] — a hook of KIND that records itself as NAME.
add_hook() {
	export K=$1 N=$2 P=${3:-$HOOK}
	update_config '.hooks[env.K] += [{"path": env.P, "args": ["hook.sh", env.N],
		"env": ["ENVRUN_TEST_MARK=" + env.ENVRUN_TEST_MARK]}]'
}

all_hooks() {
	add_hook prestart prestart
	add_hook createRuntime createRuntime
	add_hook createContainer createContainer
	add_hook startContainer startContainer /bin/hook.sh
	add_hook poststart poststart
	add_hook poststop poststop
}

@test "each hook runs at its point of the lifecycle, in order" {
	# runc 1.1 runs poststart during create.
	requires_envrun
	all_hooks
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	cat "$HOOKS_OUT/order"
	# create: prestart, createRuntime, createContainer; nothing of start.
	[ "$(grep -v -x prestart "$HOOKS_OUT/order" | tr '\n' ' ')" = "createRuntime createContainer " ]
	grep -q -x prestart "$HOOKS_OUT/order"
	[ "$(grep -n -x prestart "$HOOKS_OUT/order" | cut -d: -f1)" -lt "$(grep -n -x createContainer "$HOOKS_OUT/order" | cut -d: -f1)" ]
	# poststart has run when start returns.
	envrun start "$id"
	[ "$status" -eq 0 ]
	[ "$(grep -v -x prestart "$HOOKS_OUT/order" | tr '\n' ' ')" = "createRuntime createContainer startContainer poststart " ]
	envrun kill "$id" KILL
	wait_for_status "$id" stopped
	# poststop has run when delete returns.
	[ ! -e "$HOOKS_OUT/poststop.json" ]
	envrun delete "$id"
	[ "$status" -eq 0 ]
	[ "$(tail -n1 "$HOOKS_OUT/order")" = poststop ]
}

@test "every hook gets the container state on stdin" {
	all_hooks
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	pid=$(container_pid "$id")
	envrun start "$id"
	envrun delete --force "$id"
	[ "$status" -eq 0 ]
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		[ -s "$HOOKS_OUT/$k.json" ] || { echo "no state for $k"; false; }
		validate_json state-schema.json "$HOOKS_OUT/$k.json"
		jq -e --arg id "$id" --arg b "$BUNDLE" '.id == $id and .bundle == $b' "$HOOKS_OUT/$k.json"
	done
	for k in prestart createRuntime; do
		jq -e --argjson pid "$pid" '.pid == $pid and (.status == "creating" or .status == "created")' "$HOOKS_OUT/$k.json"
	done
	jq -e '.status == "created" or .status == "running"' "$HOOKS_OUT/poststart.json"
	jq -e '.status == "stopped"' "$HOOKS_OUT/poststop.json"
}

@test "hooks of one kind run in the order listed, with their args and env" {
	{
		echo '#!/bin/sh'
		echo "echo \"\$0 \$* \$(env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' | sort | tr '\\n' ' ')\" >> $HOOKS_OUT/env-order"
		echo 'cat >/dev/null'
	} >"$TEST_TMPDIR/env-hook.sh"
	chmod 755 "$TEST_TMPDIR/env-hook.sh"
	export EH=$TEST_TMPDIR/env-hook.sh
	update_config '.hooks.createRuntime = [
		{"path": env.EH, "args": ["first-hook", "a"], "env": ["HV=1"]},
		{"path": env.EH, "args": ["second-hook", "b", "c"], "env": ["HV=2", "OTHER=x"]}]'
	run_ctr true
	[ "$status" -eq 0 ]
	cat "$HOOKS_OUT/env-order"
	# ($0 of a script is its path, whatever argv[0] was.)
	[ "$(sed -n 1p "$HOOKS_OUT/env-order")" = "$EH a HV=1 " ]
	[ "$(sed -n 2p "$HOOKS_OUT/env-order")" = "$EH b c HV=2 OTHER=x " ]
}

@test "a failing createRuntime hook fails create and leaves nothing" {
	set_cgroups_path hook-fail
	export FAILING=$TEST_TMPDIR/fail.sh
	printf '#!/bin/sh\nexit 3\n' >"$FAILING"
	chmod 755 "$FAILING"
	update_config '.hooks.createRuntime = [{"path": env.FAILING}]'
	set_args sleep 1000
	id=$(new_id)
	envrun create --bundle "$BUNDLE" "$id" </dev/null
	[ "$status" -ne 0 ]
	envrun state "$id"
	[ "$status" -ne 0 ]
	assert_nothing_left
}

@test "a failing poststart or poststop hook does not fail the lifecycle" {
	# config.md: a failing poststart/poststop hook is a warning only
	# (runc 1.1 fails on it).
	requires_envrun
	export FAILING=$TEST_TMPDIR/fail.sh
	printf '#!/bin/sh\ncat >/dev/null; exit 3\n' >"$FAILING"
	chmod 755 "$FAILING"
	update_config '.hooks.poststart = [{"path": env.FAILING}] | .hooks.poststop = [{"path": env.FAILING}]'
	set_args sleep 1000
	id=$(new_id)
	create_ctr "$id"
	envrun start "$id"
	[ "$status" -eq 0 ]
	wait_for_status "$id" running
	envrun delete --force "$id"
	[ "$status" -eq 0 ]
	envrun state "$id"
	[ "$status" -ne 0 ]
}

@test "a hook past its timeout is killed and fails create" {
	set_cgroups_path hook-timeout
	export SLOW=$TEST_TMPDIR/slow.sh
	printf '#!/bin/sh\nexec sleep 1000\n' >"$SLOW"
	chmod 755 "$SLOW"
	update_config '.hooks.createRuntime = [{"path": env.SLOW, "timeout": 1,
		"env": ["ENVRUN_TEST_MARK=" + env.ENVRUN_TEST_MARK]}]'
	set_args sleep 1000
	id=$(new_id)
	envrun create --bundle "$BUNDLE" "$id" </dev/null
	[ "$status" -ne 0 ]
	# The sleeping hook is gone (it carries the test's marker).
	tries=50
	while [ -n "$(marked_pids)" ] && [ $tries -gt 0 ]; do sleep 0.1; tries=$((tries - 1)); done
	assert_nothing_left
}

@test "a hook timeout that is not positive is refused" {
	export H=$HOOK
	update_config '.hooks.poststart = [{"path": env.H, "timeout": 0}]'
	run_ctr true
	[ "$status" -ne 0 ]
	[ -z "$(state_entries)" ]
}

#!/usr/bin/env bats
# env run: exit statuses, the built environment block, mounts, ephemeral
# and kept runs, binds, network, /dev/shm, pipes, writer exclusion.

load env-helpers

setup() {
	env_setup
	make_env e >/dev/null
}
teardown() { env_teardown; }

erun() { run --separate-stderr "$ENVRUN" env --store "$STORE" run "$@"; }

@test "exit status: the command's, 125, 126, 127" {
	erun e -- true
	[ "$status" -eq 0 ]
	erun e -- sh -c 'exit 1'
	[ "$status" -eq 1 ]
	erun e -- sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run nosuchenv -- true
	[[ "$stderr" == *"nosuchenv"* ]]
	erun --memory nonsense e -- true
	[ "$status" -eq 125 ]
	erun e -- /etc/passwd
	[ "$status" -eq 126 ] || fail "status $status: $stderr"
	run -127 --separate-stderr "$ENVRUN" env --store "$STORE" run e -- /no/such/program
}

@test "the environment block is built, not inherited" {
	SECRET_OF_CALLER=leak TERM=xterm-test run --separate-stderr \
		"$ENVRUN" env --store "$STORE" run -e FOO=bar -e PATH=/bin:/usr/bin e -- env
	[ "$status" -eq 0 ] || fail "$stderr"
	got=$(echo "$output" | sort | tr '\n' ' ')
	want=$(printf '%s\n' FOO=bar HOME=/root HOSTNAME=e PATH=/bin:/usr/bin PYTHONNOUSERSITE=1 TERM=xterm-test | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "got: $got"
	printf 'A=1\n# comment\nB=2\n' > "$WORK/envfile"
	erun --env-file "$WORK/envfile" --hostname h1 e -- env
	[[ "$output" == *"A=1"* && "$output" == *"B=2"* && "$output" == *"HOSTNAME=h1"* ]]
}

@test "the caller's cwd is bound and used, unless --no-cwd" {
	mkdir -p "$WORK/proj"
	echo content > "$WORK/proj/file"
	cd "$WORK/proj"
	erun e -- sh -c 'pwd; cat file; echo out > made'
	[ "${lines[0]}" = "$WORK/proj" ]
	[ "${lines[1]}" = content ]
	[ "$(cat "$WORK/proj/made")" = out ]
	erun --no-cwd e -- pwd
	[ "$output" = / ]
	erun --workdir /etc e -- pwd
	[ "$output" = /etc ]
	# The mount point does not become part of the environment.
	envrun_env diff e
	[[ "$output" != *"$WORK"* ]] || fail "$output"
}

@test "--ephemeral leaves nothing: env unchanged, no layer, no tmp, no mount" {
	layers=$(ls "$STORE/layers")
	meta=$(cat "$STORE/envs/e/meta.json")
	erun --ephemeral --no-cwd e -- sh -c 'echo x > /junk; rm /bin/ls'
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(ls "$STORE/layers")" = "$layers" ]
	[ "$(cat "$STORE/envs/e/meta.json")" = "$meta" ]
	up=$(jq -r .upper "$STORE/envs/e/meta.json")
	[ -z "$(ls -A "$STORE/envs/e/$up")" ]
	erun --no-cwd e -- ls /junk
	[ "$status" -ne 0 ]
	! grep -q "$STORE" /proc/self/mounts
	assert_store_clean
}

@test "--keep-as saves an ephemeral run as a new environment" {
	erun e -- sh -c 'echo before > /before'
	erun --ephemeral --keep-as k --no-cwd e -- sh -c 'echo kept > /kept'
	[ "$status" -eq 0 ] || fail "$stderr"
	erun --no-cwd k -- cat /kept /before
	[ "$output" = "kept
before" ]
	erun --no-cwd e -- ls /kept
	[ "$status" -ne 0 ]
	envrun_env diff k
	[ "$output" = "A /kept" ] || fail "$output"
	envrun_env show k --json
	echo "$output" | jq -e '.parent == "e"'
	erun --keep-as x e -- true
	[ "$status" -eq 125 ]
}

@test "--bind SRC:DST:ro is read-only, :rw writable" {
	mkdir -p "$WORK/data"
	echo d > "$WORK/data/f"
	erun --no-cwd --bind "$WORK/data:/data:ro" e -- sh -c 'cat /data/f; echo x > /data/g'
	[ "${lines[0]}" = d ]
	[ "$status" -ne 0 ]
	[ ! -e "$WORK/data/g" ]
	erun --no-cwd --bind "$WORK/data:/data" e -- sh -c 'echo x > /data/g'
	[ "$status" -eq 0 ]
	[ -f "$WORK/data/g" ]
}

@test "--net none has only loopback; host net sees the host's interfaces" {
	erun --no-cwd --net none e -- ls /sys/class/net
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$output" = lo ]
	erun --no-cwd e -- ls /sys/class/net
	[ "$(echo "$output" | sort)" = "$(ls /sys/class/net | sort)" ]
}

@test "/dev/shm is private and sized: --shm-size, half of --memory, half of RAM" {
	erun --no-cwd --shm-size 1g e -- df -k /dev/shm
	[[ "$output" == *" 1048576 "* ]] || fail "$output"
	erun --no-cwd --memory 512m e -- df -k /dev/shm
	[[ "$output" == *" 262144 "* ]] || fail "$output"
	half=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 2 ))
	erun --no-cwd e -- df -k /dev/shm
	kb=$(echo "$output" | awk 'NR==2 {print $2}')
	[ $(( kb - half )) -le 4 ] && [ $(( half - kb )) -le 4 ] || fail "$kb vs $half"
	erun --no-cwd e -- sh -c 'echo x > /dev/shm/mine'
	[ ! -e /dev/shm/mine ]
}

@test "stdin, stdout and stderr pass straight through (pipes work)" {
	run bash -c "printf 'a\nb\n' | '$ENVRUN' env --store '$STORE' run --no-cwd e -- wc -l"
	[ "$output" = 2 ]
	run bash -c "'$ENVRUN' env --store '$STORE' run --no-cwd e -- sh -c 'echo out; echo err >&2' 2>/dev/null | cat"
	[ "$output" = out ]
}

@test "a writing run excludes other writers and names the holder; --wait waits" {
	"$ENVRUN" env --store "$STORE" run --no-cwd e -- sh -c 'sleep 3' &
	holder=$!
	for _ in $(seq 50); do
		grep -q FLOCK /proc/locks && [ -n "$(ls "$STORE/tmp")" ] && break
		sleep 0.1
	done
	erun --no-cwd e -- true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"in use by pid"* ]] || fail "$stderr"
	envrun_env commit e
	[ "$status" -ne 0 ]
	erun --ephemeral --no-cwd e -- true
	[ "$status" -eq 125 ]
	erun --wait --no-cwd e -- true
	[ "$status" -eq 0 ]
	wait "$holder"
}

@test "many ephemeral runs of one environment at once" {
	for i in 1 2 3 4; do
		"$ENVRUN" env --store "$STORE" run --ephemeral --no-cwd e -- sh -c "echo $i > /f; sleep 1; cat /f" > "$WORK/out$i" &
	done
	wait
	for i in 1 2 3 4; do [ "$(cat "$WORK/out$i")" = "$i" ]; done
	assert_store_clean
}

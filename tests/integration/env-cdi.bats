#!/usr/bin/env bats
# env run --device with CDI names, --gpus, NVIDIA_VISIBLE_DEVICES and
# --user by name.  Every spec lives in a temporary CDI directory given by
# ENVRUN_CDI_DIRS; /etc/cdi and /var/run/cdi are never read or touched.

load env-helpers

setup() {
	env_setup
	make_env e >/dev/null
	CDI=$WORK/cdi
	mkdir -p "$CDI"
	echo "mounted by cdi" > "$WORK/cdi-file"
	export ENVRUN_CDI_DIRS=$CDI
	unset NVIDIA_VISIBLE_DEVICES
}
teardown() { env_teardown; }

erun() { run --separate-stderr "$ENVRUN" env --store "$STORE" run "$@"; }

# vendor.com/dev=fake: /dev/null as /dev/fakedev, a variable, a file.
write_fake_json() {
	cat > "$CDI/vendor.json" <<EOF
{
  "cdiVersion": "0.6.0",
  "kind": "vendor.com/dev",
  "devices": [
    {
      "name": "fake",
      "containerEdits": {
        "deviceNodes": [{"path": "/dev/fakedev", "hostPath": "/dev/null"}],
        "env": ["FAKE_DEVICE=present"],
        "mounts": [{"hostPath": "$WORK/cdi-file",
                    "containerPath": "/opt/cdi/file", "options": ["ro"]}]
      }
    }
  ],
  "containerEdits": {"env": ["VENDOR_SPEC=1"]}
}
EOF
}

inside='ls -l /dev/fakedev; echo "env=$FAKE_DEVICE spec=$VENDOR_SPEC"; cat /opt/cdi/file; echo data > /dev/fakedev && echo writable'

check_fake_inside() {
	[ "$status" -eq 0 ] || fail "status $status: $stderr"
	[[ "${lines[0]}" == c* && "${lines[0]}" == *"1,"*"3"*"/dev/fakedev" ]] || fail "node: ${lines[0]}"
	[ "${lines[1]}" = "env=present spec=1" ] || fail "env: ${lines[1]}"
	[ "${lines[2]}" = "mounted by cdi" ] || fail "mount: ${lines[2]}"
	[ "${lines[3]}" = writable ] || fail "write: ${lines[3]}"
}

@test "CDI JSON spec: device node, env var and mount visible inside" {
	write_fake_json
	erun --device vendor.com/dev=fake e -- sh -c "$inside"
	check_fake_inside
	# The mount point is not left in the environment.
	envrun_env diff e
	[[ "$output" != *"/opt/cdi"* ]] || fail "diff: $output"
}

@test "CDI YAML spec works the same" {
	cat > "$CDI/vendor.yaml" <<EOF
cdiVersion: 0.8.0
kind: vendor.com/dev
devices:
  - name: fake
    containerEdits:
      deviceNodes:
        - path: /dev/fakedev
          hostPath: /dev/null
          permissions: rw
      env:
        - FAKE_DEVICE=present
      mounts:
        - hostPath: $WORK/cdi-file
          containerPath: /opt/cdi/file
          options: [ro, nosuid]
containerEdits:
  env: [VENDOR_SPEC=1]
EOF
	erun --device vendor.com/dev=fake e -- sh -c "$inside"
	check_fake_inside
}

@test "CDI devices also get a device cgroup rule when a limit makes a cgroup" {
	write_fake_json
	erun --pids 100 --device vendor.com/dev=fake e -- sh -c "$inside"
	check_fake_inside
}

@test "CDI hooks run: createRuntime from the spec" {
	cat > "$WORK/hook.sh" <<EOF
#!/bin/sh
cat > "$WORK/hook-state"
EOF
	chmod 755 "$WORK/hook.sh"
	cat > "$CDI/hook.json" <<EOF
{"cdiVersion": "0.5.0", "kind": "vendor.com/hook",
 "devices": [{"name": "h", "containerEdits": {
   "hooks": [{"hookName": "createRuntime", "path": "$WORK/hook.sh"}]}}]}
EOF
	erun --device vendor.com/hook=h e -- true
	[ "$status" -eq 0 ] || fail "$stderr"
	grep -q '"ociVersion"' "$WORK/hook-state" || fail "hook did not get the state"
}

# A fake nvidia.com/gpu with two GPUs, each a /dev/null alias.
write_fake_gpus() {
	cat > "$CDI/nvidia.yaml" <<'EOF'
cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits:
      deviceNodes: [{path: /dev/nvidia0, hostPath: /dev/null}]
  - name: "1"
    containerEdits:
      deviceNodes: [{path: /dev/nvidia1, hostPath: /dev/zero}]
containerEdits:
  env: [NVIDIA_VISIBLE_DEVICES=void]
  deviceNodes: [{path: /dev/nvidiactl, hostPath: /dev/null}]
EOF
}

@test "--gpus all and --gpus N with a fake nvidia.com/gpu spec" {
	write_fake_gpus
	erun --gpus all e -- sh -c 'ls /dev/nvidia*; echo "nvd=$NVIDIA_VISIBLE_DEVICES"'
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$output" = "$(printf '/dev/nvidia0\n/dev/nvidia1\n/dev/nvidiactl\nnvd=void')" ] || fail "$output"
	erun --gpus 1 e -- sh -c 'ls /dev/nvidia*'
	[ "$output" = "$(printf '/dev/nvidia1\n/dev/nvidiactl')" ] || fail "$output"
}

@test "NVIDIA_VISIBLE_DEVICES=0 is honoured as a scheduler sets it; none and void give no GPU" {
	write_fake_gpus
	NVIDIA_VISIBLE_DEVICES=0 run --separate-stderr "$ENVRUN" env --store "$STORE" run e -- sh -c 'ls /dev/nvidia*'
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$output" = "$(printf '/dev/nvidia0\n/dev/nvidiactl')" ] || fail "$output"
	for v in none void; do
		NVIDIA_VISIBLE_DEVICES=$v run --separate-stderr "$ENVRUN" env --store "$STORE" run e -- sh -c 'ls /dev/nvidia* 2>/dev/null; true'
		[ "$status" -eq 0 ] && [ -z "$output" ] || fail "$v: $output $stderr"
	done
	# --gpus wins over the variable.
	NVIDIA_VISIBLE_DEVICES=all run --separate-stderr "$ENVRUN" env --store "$STORE" run --gpus 1 e -- sh -c 'ls /dev/nvidia*'
	[ "$output" = "$(printf '/dev/nvidia1\n/dev/nvidiactl')" ] || fail "$output"
}

@test "a missing CDI device or kind fails with 125, naming the dirs searched" {
	write_fake_json
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --device vendor.com/dev=nope e -- true
	[[ "$stderr" == *"vendor.com/dev=nope"*"$CDI"* ]] || fail "$stderr"
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --gpus all e -- true
	[[ "$stderr" == *"no CDI spec for nvidia.com/gpu in $CDI"* ]] || fail "$stderr"
	NVIDIA_VISIBLE_DEVICES=0 run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run e -- true
	[[ "$stderr" == *"NVIDIA_VISIBLE_DEVICES=0"* ]] || fail "$stderr"
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --device not-a-path e -- true
	assert_store_clean
}

@test "hostile CDI specs are refused with the file and field named" {
	cat > "$CDI/bad.json" <<'EOF'
{"cdiVersion": "0.6.0", "kind": "vendor.com/dev", "devices": [{"name": "x",
 "containerEdits": {"mounts": [{"hostPath": "/etc", "containerPath": "etc"}]}}]}
EOF
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --device vendor.com/dev=x e -- true
	[[ "$stderr" == *"$CDI/bad.json: .devices[0].containerEdits.mounts[0].containerPath: must be an absolute path"* ]] || fail "$stderr"
	cat > "$CDI/bad.json" <<'EOF'
{"cdiVersion": "0.6.0", "kind": "vendor.com/dev", "devices": [{"name": "x",
 "containerEdits": {"hooks": [{"hookName": "onBoot", "path": "/bin/sh"}]}}]}
EOF
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --device vendor.com/dev=x e -- true
	[[ "$stderr" == *".hooks[0].hookName: unknown hook"* ]] || fail "$stderr"
	write_fake_json
	rm "$CDI/bad.json"
	chmod 0666 "$CDI/vendor.json"
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --device vendor.com/dev=fake e -- true
	[[ "$stderr" == *"refusing a CDI spec that others can write"* ]] || fail "$stderr"
}

@test "--user by name, with the user's groups from the environment's /etc/group" {
	erun --user user1 e -- id
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ "$output" == "uid=1000(user1) gid=1000(group1) groups="* ]] || fail "$output"
	[[ "$output" == *"100(users)"* && "$output" == *"2000(extra)"* ]] || fail "$output"
	erun --user user2:users e -- sh -c 'id -u; id -g; echo $HOME'
	[ "$output" = "$(printf '1001\n100\n/home/user2')" ] || fail "$output"
	erun --user 1000:1001 e -- sh -c 'id -u; id -g'
	[ "$output" = "$(printf '1000\n1001')" ] || fail "$output"
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --user nosuchuser e -- true
	[[ "$stderr" == *"no user nosuchuser"* ]] || fail "$stderr"
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --user user1:nosuchgroup e -- true
	[[ "$stderr" == *"no group nosuchgroup"* ]] || fail "$stderr"
}

@test "--user names never read files outside the environment" {
	# /etc/passwd as an absolute symlink: it resolves inside the rootfs.
	mkdir -p "$WORK/rootfs-l"
	make_rootfs "$WORK/rootfs-l"
	mv "$WORK/rootfs-l/etc/passwd" "$WORK/rootfs-l/etc/passwd.real"
	ln -s /etc/passwd.real "$WORK/rootfs-l/etc/passwd"
	"$ENVRUN" env --store "$STORE" create l --from-dir "$WORK/rootfs-l" >/dev/null
	erun --user user2 l -- id -u
	[ "$output" = 1001 ] || fail "$output $stderr"
	ln -sf ../../../../../../../../etc/shadow "$WORK/rootfs-l/etc/passwd"
	"$ENVRUN" env --store "$STORE" create l2 --from-dir "$WORK/rootfs-l" >/dev/null
	run -125 --separate-stderr "$ENVRUN" env --store "$STORE" run --user root l2 -- true
	[[ "$stderr" == *"no user root"* ]] || fail "$stderr"
}

#!/usr/bin/env bats
# The store commands: create, list, show, clone, rm, commit, diff, export,
# and hostile tarballs and image layouts refused with nothing left.

load env-helpers

setup() { env_setup; }
teardown() { env_teardown; }

@test "env create --from-dir keeps owners, modes, links and xattrs" {
	make_rootfs "$WORK/r"
	echo data > "$WORK/r/f"
	chown 123:456 "$WORK/r/f"
	chmod 4751 "$WORK/r/f"
	ln "$WORK/r/f" "$WORK/r/hard"
	ln -s /etc/passwd "$WORK/r/abs-link"
	mknod "$WORK/r/null" c 1 3
	setfattr -n user.k -v v "$WORK/r/f" 2>/dev/null || true
	envrun_env create e --from-dir "$WORK/r"
	[ "$status" -eq 0 ] || fail "$stderr"
	layer=$(ls "$STORE/layers")
	L=$STORE/layers/$layer
	[ "$(stat -c '%u:%g %a' "$L/f")" = "123:456 4751" ]
	[ "$(stat -c %i "$L/f")" = "$(stat -c %i "$L/hard")" ]
	[ "$(readlink "$L/abs-link")" = /etc/passwd ]
	[ "$(stat -c %t:%T "$L/null")" = 1:3 ]
	if getfattr -n user.k "$WORK/r/f" >/dev/null 2>&1; then
		[ "$(getfattr --only-values -n user.k "$L/f")" = v ]
	fi
}

@test "env list/show --json give name, parent, created, layers" {
	make_env base
	envrun_env clone base child
	[ "$status" -eq 0 ] || fail "$stderr"
	envrun_env list --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e 'length == 2'
	echo "$output" | jq -e '.[] | select(.name == "child") | .parent == "base" and (.layers | length) == 1 and (.created | length) > 0'
	envrun_env show child --json
	echo "$output" | jq -e '.name == "child" and .parent == "base" and .sourceType == "clone"'
}

@test "env names are validated" {
	make_rootfs "$WORK/r"
	for bad in ../x a/b .hidden '' "$(printf 'a%.0s' {1..65})" 'a..b' '-x'; do
		envrun_env create "$bad" --from-dir "$WORK/r"
		[ "$status" -ne 0 ] || fail "name '$bad' accepted"
	done
	[ -z "$(ls -A "$STORE/envs")" ]
}

@test "env create refuses an existing name and leaves it intact" {
	make_env e
	before=$(cat "$STORE/envs/e/meta.json")
	envrun_env create e --from-dir "$WORK/rootfs-e"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"already exists"* ]]
	[ "$(cat "$STORE/envs/e/meta.json")" = "$before" ]
	assert_store_clean
}

@test "clone shares layers; writes to the source never show in the clone" {
	make_env src
	"$ENVRUN" env --store "$STORE" run src -- sh -c 'echo one > /a'
	envrun_env clone src dst
	[ "$status" -eq 0 ] || fail "$stderr"
	"$ENVRUN" env --store "$STORE" run src -- sh -c 'echo two > /a; echo x > /b'
	run "$ENVRUN" env --store "$STORE" run dst -- sh -c 'cat /a; ls /b 2>&1'
	[ "${lines[0]}" = one ]
	[[ "${lines[1]}" == *"No such file"* ]]
	# Shared: dst's layers are src's (frozen) layers, not copies.
	s=$(jq -r '.layers | join(" ")' "$STORE/envs/dst/meta.json")
	[ "$(ls "$STORE/layers" | wc -l)" -le 3 ]
	for l in $s; do [ -d "$STORE/layers/${l#sha256:}" ]; done
}

@test "rm removes the env and collects unreferenced layers only" {
	make_env a
	envrun_env clone a b
	"$ENVRUN" env --store "$STORE" run b -- sh -c 'echo b > /only-b'
	"$ENVRUN" env --store "$STORE" commit b
	n=$(ls "$STORE/layers" | wc -l)
	[ "$n" -eq 2 ]
	envrun_env rm b
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(ls "$STORE/layers" | wc -l)" -eq 1 ]
	envrun_env run a -- true
	[ "$status" -eq 0 ]
	envrun_env rm nosuch
	[ "$status" -ne 0 ]
	assert_store_clean
}

@test "commit freezes the top layer; diff still reports against the parent" {
	make_env base
	envrun_env clone base c
	"$ENVRUN" env --store "$STORE" run c -- sh -c 'echo n > /new; rm /bin/ls; echo m >> /etc/passwd'
	envrun_env diff c --json
	[ "$status" -eq 0 ] || fail "$stderr"
	echo "$output" | jq -e 'map(select(.path == "/new" and .change == "added")) | length == 1'
	echo "$output" | jq -e 'map(select(.path == "/bin/ls" and .change == "deleted")) | length == 1'
	echo "$output" | jq -e 'map(select(.path == "/etc/passwd" and .change == "modified")) | length == 1'
	before=$output
	envrun_env commit c
	[ "$status" -eq 0 ]
	[ "$(jq '.layers | length' "$STORE/envs/c/meta.json")" -eq 2 ]
	[ -z "$(ls -A "$STORE/envs/c/$(jq -r .upper "$STORE/envs/c/meta.json")")" ]
	envrun_env diff c --json
	[ "$output" = "$before" ]
}

@test "diff reads opaque directories" {
	make_env base
	mkdir -p "$WORK/x"
	envrun_env clone base c
	"$ENVRUN" env --store "$STORE" run --net none --no-cwd c -- sh -c 'rm -rf /etc && mkdir /etc && echo new > /etc/only'
	envrun_env diff c
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ "$output" == *"A /etc/only"* ]]
	[[ "$output" == *"D /etc/passwd"* ]]
}

@test "export --tar round-trips through --from-tar; export refuses to overwrite" {
	make_env e
	"$ENVRUN" env --store "$STORE" run e -- sh -c 'echo kept > /kept; ln /kept /kept2'
	envrun_env export e --tar "$WORK/e.tar"
	[ "$status" -eq 0 ] || fail "$stderr"
	tar -tf "$WORK/e.tar" | grep -qx kept
	envrun_env create f --from-tar "$WORK/e.tar"
	[ "$status" -eq 0 ] || fail "$stderr"
	run "$ENVRUN" env --store "$STORE" run f -- cat /kept
	[ "$output" = kept ]
	envrun_env export e --tar "$WORK/e.tar"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"already exists"* ]]
	cat "$WORK/e.tar" | "$ENVRUN" env --store "$STORE" create g --from-tar -
	envrun_env show g --json
	echo "$output" | jq -e '.sourceDigest | startswith("sha256:")'
}

@test "export --bundle runs under envrun run and runc" {
	make_env e
	envrun_env export e --bundle "$WORK/b"
	[ "$status" -eq 0 ] || fail "$stderr"
	[ -f "$WORK/b/config.json" ] && [ -x "$WORK/b/rootfs/bin/busybox" ]
	jq -e '.root.path == "rootfs"' "$WORK/b/config.json"
	# The bundle carries env run's default seccomp profile.
	jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"' "$WORK/b/config.json"
	jq '.process.args = ["sh","-c","echo bundle-ok; grep ^Seccomp: /proc/self/status"] | .process.terminal = false' "$WORK/b/config.json" > "$WORK/c.json"
	mv "$WORK/c.json" "$WORK/b/config.json"
	if command -v runc >/dev/null; then
		run runc --root "$WORK/runc" run -b "$WORK/b" "envtest-$$"
		[ "${lines[0]}" = bundle-ok ] || fail "runc: $output"
		[[ "${lines[1]}" == *2 ]] || fail "runc: $output"
	fi
	run "$ENVRUN" --root "$WORK/state" run -b "$WORK/b" "envtest-$$"
	[ "${lines[0]}" = bundle-ok ] || fail "envrun: $output"
	[[ "${lines[1]}" == *2 ]] || fail "envrun: $output"
}

@test "export --oci is read by skopeo and imports back with its config" {
	command -v skopeo >/dev/null || skip "skopeo not installed"
	make_env e
	envrun_env export e --oci "$WORK/layout:v1"
	[ "$status" -eq 0 ] || fail "$stderr"
	run skopeo inspect "oci:$WORK/layout:v1"
	[ "$status" -eq 0 ] || fail "$output"
	echo "$output" | jq -e '.Layers | length == 1'
	envrun_env create back --from-oci "$WORK/layout:v1"
	[ "$status" -eq 0 ] || fail "$stderr"
	run "$ENVRUN" env --store "$STORE" run back -- busybox true
	[ "$status" -eq 0 ]
}

@test "--from-oci applies layers in order with whiteouts and the image config" {
	L=$WORK/oci
	python3 "$BATS_TEST_DIRNAME/env-make-oci.py" "$L" "$ENV_TOP"
	envrun_env create img --from-oci "$L:t"
	[ "$status" -eq 0 ] || fail "$stderr"
	M=$STORE/layers/$(ls "$STORE/layers")
	[ -f "$M/keep" ] && [ ! -e "$M/gone" ] && [ -f "$M/d/new" ] && [ ! -e "$M/d/old" ]
	[ ! -e "$M/.wh.gone" ]
	envrun_env show img --json
	echo "$output" | jq -e '.env == ["A=1","PATH=/bin"] and .workdir == "/d"'
}

hostile_tar() {
	python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]
t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
def add(name, type=tarfile.REGTYPE, data=b"x", link=""):
    i = tarfile.TarInfo(name); i.type = type; i.linkname = link
    if type == tarfile.REGTYPE:
        i.size = len(data); t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
add("ok")
if kind == "traversal": add("../../escape")
if kind == "absolute": add("/abs-escape")
if kind == "symlink-escape": add("up", tarfile.SYMTYPE, link="../../..")
if kind == "through-symlink":
    add("lnk", tarfile.SYMTYPE, link="/tmp"); add("lnk/through-escape")
if kind == "hardlink": add("h", tarfile.LNKTYPE, link="../../etc/passwd")
if kind == "deep": add("/".join(["a"] * 10000) + "/f")
if kind == "truncated": pass
t.close()
if kind == "truncated":
    d = open(out, "rb").read(); open(out, "wb").write(d[:700])
PY
}

@test "hostile tarballs are refused with a clear message and nothing left" {
	for kind in traversal absolute symlink-escape through-symlink hardlink deep truncated; do
		hostile_tar "$kind" "$WORK/$kind.tar"
		envrun_env create "bad-$kind" --from-tar "$WORK/$kind.tar"
		[ "$status" -ne 0 ] || fail "$kind accepted"
		[[ "$stderr" == *"$WORK/$kind.tar"* ]] || fail "$kind: message does not name the file: $stderr"
		[ ! -e "$STORE/envs/bad-$kind" ]
		[ ! -e /tmp/through-escape ] && [ ! -e "$WORK/escape" ] && [ ! -e /abs-escape ]
	done
	[ -z "$(ls -A "$STORE/layers")" ]
	assert_store_clean
}

@test "device nodes in a tarball are refused when not root" {
	command -v setpriv >/dev/null || skip "no setpriv"
	python3 -c '
import tarfile,sys
t=tarfile.open(sys.argv[1],"w"); i=tarfile.TarInfo("dev/null"); i.type=tarfile.CHRTYPE; i.devmajor=1; i.devminor=3; t.addfile(i); t.close()' "$WORK/dev.tar"
	chmod 755 "$WORK"; chmod 644 "$WORK/dev.tar"
	run --separate-stderr setpriv --reuid 65534 --regid 65534 --clear-groups env HOME=/ "$ENVRUN" env --store "$WORK/user-store" create d --from-tar "$WORK/dev.tar"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"device node"* ]] || [[ "$stderr" == *"user-store"* ]] || fail "$stderr"
	[ ! -e "$WORK/user-store/envs/d" ]
}

@test "a hostile image layout (bad digest, traversal) is refused with nothing left" {
	L=$WORK/oci
	python3 "$BATS_TEST_DIRNAME/env-make-oci.py" "$L" "$ENV_TOP" traversal
	envrun_env create img --from-oci "$L:t"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"refused"* ]] || fail "$stderr"
	python3 "$BATS_TEST_DIRNAME/env-make-oci.py" "$WORK/oci2" "$ENV_TOP" baddigest
	envrun_env create img --from-oci "$WORK/oci2:t"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"digest"* ]] || fail "$stderr"
	envrun_env create img --from-oci "$WORK/oci2:nosuchref"
	[ "$status" -ne 0 ]
	[ ! -e "$STORE/envs/img" ]
	assert_store_clean
}

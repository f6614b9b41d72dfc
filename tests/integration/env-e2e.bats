#!/usr/bin/env bats
# The product, end to end: a real Debian environment with python3-pip made
# by debootstrap, a risky `pip install` in a clone, main untouched.
# The debootstrap package cache lives in tests/.cache (tests/make-debian-env.sh).

load env-helpers

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	if ! CACHE=$("$BATS_TEST_DIRNAME/../make-debian-env.sh" 2>"$BATS_FILE_TMPDIR/deb.err"); then
		skip "debootstrap cannot reach the Debian archive: $(tail -n 1 "$BATS_FILE_TMPDIR/deb.err")"
	fi
	export ENVRUN_DEBOOTSTRAP_CACHE=$CACHE
	export E2E=$(mktemp -d /tmp/envrun-e2e.XXXXXX)
	"$ENVRUN" env --store "$E2E/store" create main --bootstrap --include python3-pip \
		2>"$E2E/bootstrap.log" || {
		tail -n 20 "$E2E/bootstrap.log" >&3
		return 1
	}
	python3 "$BATS_TEST_DIRNAME/../wheels/make-riskylib.py" "$E2E/wheels" >/dev/null
}

teardown_file() {
	[ -n "${E2E:-}" ] && rm -rf "$E2E"
}

setup() {
	[ -n "${E2E:-}" ] || skip "no Debian environment"
	STORE=$E2E/store
}

sum_main() {
	"$ENVRUN" env --store "$STORE" export main --tar - | sha256sum
}

e() { run --separate-stderr "$ENVRUN" env --store "$STORE" "$@"; }

@test "main records its bootstrap provenance" {
	e show main --json
	echo "$output" | jq -e '.sourceType == "bootstrap" and .source == "bookworm" and .packages == ["python3-pip"]'
}

@test "pip install in a clone changes the clone, never a byte of main" {
	before=$(sum_main)
	e clone main risky
	[ "$status" -eq 0 ] || fail "$stderr"
	e run --no-cwd --bind "$E2E/wheels:/wheels:ro" risky -- sh -c \
		'pip install --no-index --break-system-packages /wheels/riskylib-*.whl'
	[ "$status" -eq 0 ] || fail "$output $stderr"
	e run --no-cwd risky -- python3 -c 'import riskylib; print(riskylib.VERSION)'
	[ "$output" = 1.0 ]
	e run --no-cwd risky -- riskylib
	[ "$output" = "riskylib 1.0" ]
	e run --no-cwd main -- python3 -c 'import riskylib'
	[ "$status" -ne 0 ]
	[ "$(sum_main)" = "$before" ]
	e diff risky --json
	[ "$status" -eq 0 ] || fail "$stderr"
	echo "$output" | jq -e 'map(select(.path | test("riskylib"))) | length > 0'
	# Nothing unexpected: riskylib's files, its script, pip's caches/logs
	# and the directories that hold them.
	unexpected=$(echo "$output" | jq -r '.[] | .path' | grep -vE 'riskylib|^/usr/local/(lib|bin)|^/usr/local/lib/python3[^/]*(/dist-packages)?$|^/root(/\.cache.*)?$|^/tmp' || true)
	[ -z "$unexpected" ] || fail "unexpected changes: $unexpected"
}

@test "an --ephemeral install leaves main unchanged and no layer behind" {
	before=$(sum_main)
	layers=$(ls "$STORE/layers" | sort)
	e run --ephemeral --no-cwd --bind "$E2E/wheels:/wheels:ro" main -- sh -c \
		'pip install --no-index --break-system-packages /wheels/riskylib-*.whl && python3 -c "import riskylib"'
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(sum_main)" = "$before" ]
	[ "$(ls "$STORE/layers" | sort)" = "$layers" ]
	[ -z "$(ls -A "$STORE/tmp" | grep -v '\.lock$')" ]
}

@test "--keep-as keeps an ephemeral install" {
	e run --ephemeral --keep-as kept --no-cwd --bind "$E2E/wheels:/wheels:ro" main -- sh -c \
		'pip install --no-index --break-system-packages /wheels/riskylib-*.whl'
	[ "$status" -eq 0 ] || fail "$stderr"
	e run --no-cwd kept -- python3 -c 'import riskylib'
	[ "$status" -eq 0 ]
	e run --no-cwd main -- python3 -c 'import riskylib'
	[ "$status" -ne 0 ]
}

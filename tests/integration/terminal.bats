#!/usr/bin/env bats
# process.terminal in a foreground run without --console-socket: the caller
# gets an interactive pty — the container's terminal is a pty of its own
# devpts, sized like the caller's, the caller's terminal is put in raw mode
# and restored on exit.  script(1) gives the runtime a terminal to work on.

load helpers

setup() {
	setup_bundle
	requires_cmd script
	update_config '.process.terminal = true'
}

teardown() { teardown_bundle; }

# in_pty CMD — run CMD (a shell string) with a pty as its terminal.
in_pty() {
	run script -qec "$1" /dev/null </dev/null
}

@test "a foreground run with a terminal gives the container a pty sized like the caller's" {
	set_args sh -c 'tty; stty size; exit 5'
	in_pty "stty rows 33 cols 111; $ENVRUN --root $ENVRUN_ROOT run --bundle $BUNDLE $(new_id)"
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"33 111"* ]]
}

@test "the caller's terminal settings are restored when the container exits" {
	set_args sh -c 'stty -echo; exit 0'
	in_pty "before=\$(stty -g); $ENVRUN --root $ENVRUN_ROOT run --bundle $BUNDLE $(new_id); after=\$(stty -g); [ \"\$before\" = \"\$after\" ] && echo restored"
	[ "$status" -eq 0 ]
	[[ "$output" == *restored* ]]
}

@test "input typed at the caller's terminal reaches the container's pty" {
	set_args sh -c 'read line; echo "got:$line"'
	run script -qec "$ENVRUN --root $ENVRUN_ROOT run --bundle $BUNDLE $(new_id)" /dev/null <<<"hello"
	[ "$status" -eq 0 ]
	[[ "$output" == *"got:hello"* ]]
}

@test "the container's pty follows the caller's window size changes (SIGWINCH)" {
	set_args sh -c 'sleep 2; stty size'
	in_pty "stty rows 20 cols 80; (sleep 0.7; stty rows 44 cols 122 </dev/tty) & $ENVRUN --root $ENVRUN_ROOT run --bundle $BUNDLE $(new_id); wait"
	[ "$status" -eq 0 ]
	[[ "$output" == *"44 122"* ]]
}

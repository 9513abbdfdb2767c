#!/usr/bin/env bash
# `snpemu run --incoming` and `snpemu run --migrate-to` end to end on tcg (issue 15), one row per rule: the migrate
# program moved mid-run (both exit statuses, the summary line, the guest's result line at the destination); a
# destination killed mid-stream (the source finishes the guest); a destination of another AMD root and a policy
# without MIGRATE_MA (refused, the guest finishes at the source); bad addresses, durations and a busy port (exit
# 125, run's own usage status); and programs migrated at a random point giving what an unmigrated run gives
# (migrate, and storm on 4 vCPUs; smp ends before a migration could, ticker never ends).
# Every process runs under `timeout` and is killed on every way out, so the table cannot hang.
# A table runner: "ok"/"FAIL" per row, then "N passed, M failed".
set -uo pipefail
cd "${SNPEMU_SRCDIR:-$(dirname "$0")/../..}"
cli=${SNPEMU_CLI:-build/default/snpemu}
proxy=${SNPEMU_TESTDIR:-build/default/tests}/cli/cut_proxy
limit=${SNPEMU_MIGRATE_TIMEOUT:-90} # seconds any one snpemu process may run
D=$(mktemp -d)
pids=() # the `timeout` processes in the background; each runs one snpemu
cleanup() {
	local p
	for p in "${pids[@]}"; do
		pkill -KILL -P "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
. tests/cli/table_runner.sh

"$cli" run --help >"$D/help.txt"
if ! grep -q -- '--migrate-to' "$D/help.txt"; then
	echo "migrate: 0 passed, 0 failed, 1 skipped (this snpemu has no live migration)"
	exit 0
fi
if ! grep -q 'sim|kvm|tcg' "$D/help.txt"; then
	echo "migrate: 0 passed, 0 failed, 1 skipped (no tcg backend in this build)"
	exit 0
fi

# dest NAME ARGS...: `run --incoming tcp:127.0.0.1:0 --backend tcg ARGS` in the background (stdout NAME.out, stderr
# NAME.err); waits until it listens and writes its port to NAME.port and the snpemu process id to NAME.pid.
dest() {
	local name=$1 i tpid
	shift
	timeout -k 5 "$limit" "$cli" run --incoming tcp:127.0.0.1:0 --backend tcg "$@" >"$D/$name.out" 2>"$D/$name.err" &
	tpid=$!
	pids+=("$tpid")
	echo "$tpid" >"$D/$name.tpid"
	for i in $(seq 1 400); do
		if grep -q '^snpemu: waiting for a guest on tcp:127.0.0.1:' "$D/$name.err"; then
			sed -n 's/^snpemu: waiting for a guest on tcp:127.0.0.1:\([0-9]*\)$/\1/p' "$D/$name.err" >"$D/$name.port"
			pgrep -P "$tpid" >"$D/$name.pid"
			return 0
		fi
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$D/$name.err"
	return 1
}

# dest_done NAME: waits for the destination to end (bounded by its `timeout`) and writes its status to NAME.rc.
dest_done() {
	local rc
	{
		wait "$(cat "$D/$1.tpid")"
		rc=$?
	} 2>/dev/null # no "Killed" notice for a destination a row killed on purpose
	echo "$rc" >"$D/$1.rc"
}

# src NAME ARGS...: `run --backend tcg ARGS` in the foreground; stdout NAME.out, stderr NAME.err, status NAME.rc.
src() {
	local name=$1
	shift
	timeout -k 5 "$limit" "$cli" run --backend tcg "$@" >"$D/$name.out" 2>"$D/$name.err"
	echo $? >"$D/$name.rc"
}

is() { [ "$1" = "$2" ] || { echo "got '$1', wanted '$2'"; return 1; }; }
status_is() { is "$(cat "$D/$1.rc" 2>/dev/null)" "$2" || { cat "$D/$1.out" "$D/$1.err"; return 1; }; }
has() { grep -q -- "$2" "$D/$1" || { echo "no '$2' in $1:"; cat "$D/$1"; return 1; }; }
lacks() { ! grep -q -- "$2" "$D/$1" || { echo "'$2' in $1:"; cat "$D/$1"; return 1; }; }
port() { cat "$D/$1.port"; }

# --- the migrate program, moved mid-run
# tcg's clock is virtual (1 ms a read): 10 s of guest time are about 4 s here, the migration about 2 to 5 s.
guest=(migrate -- --ms 10000 --mem 8M --dirty-mbps 16)
check "destination listens on a free port" dest d1
src s1 --migrate-to "tcp:127.0.0.1:$(port d1)" --migrate-after 300ms "${guest[@]}"
check "destination: the guest finished there" dest_done d1
check "source: exit 0" status_is s1 0
check "source: summary line" has s1.err '^snpemu: migration completed in [0-9.]* s, downtime [0-9.]* ms, [0-9.]* MiB on the wire, pages [0-9]* shared / [0-9]* private / [0-9]* zero, [0-9]* passes$'
# The guest's console goes on where the guest is: one "running" line in all, the result line at the destination.
check "the console continues across the move" is "$(cat "$D/s1.out" "$D/d1.out" | grep -c '^migrate: running 10000 ms')" 1
check "source: the guest did not finish there" lacks s1.out '^migrate: ok'
check "destination: exit 0" status_is d1 0
check "destination: the guest's result line" has d1.out '^migrate: ok: .* reports before and after agree$'
check "destination: same MEASUREMENT and REPORT_ID, same chip (one seed)" has d1.out '^migrate: chip ID unchanged$'
check "destination: XMM14/15, MXCSR and ST0 planted before the move held" has d1.out '^migrate: x87/SSE state held '
check "destination: summary line" has d1.err '^snpemu: migration received in '

# --- the destination dies mid-stream: the source resumes the guest, which finishes with 0
# cut_proxy (tests/cli/cut_proxy.c) relays the stream to destination 2 and SIGKILLs it once 64 KiB went through:
# past the trust exchange, short of any whole stream (the 24 MiB guest's is at least 0.2 MiB, all zero pages).
# Sitting in the stream, it cannot be outrun by a short one.
check "destination 2 listens" dest d2
timeout -k 5 "$limit" "$proxy" "$D/cut.port" "$(port d2)" 65536 "$(cat "$D/d2.pid")" >"$D/cut.log" 2>&1 &
cpid=$!
pids+=("$cpid")
for i in $(seq 1 400); do
	[ -s "$D/cut.port" ] && break
	sleep 0.05
done
src s2 --migrate-to "tcp:127.0.0.1:$(cat "$D/cut.port" 2>/dev/null)" --migrate-after 200ms migrate -- --ms 10000 --mem 24M
check "killed mid-stream: the relay cut the stream and killed the destination" wait "$cpid"
check "killed mid-stream: source exit 0" status_is s2 0
check "killed mid-stream: the source says the migration failed and the guest ran on" \
	has s2.err 'migration failed (.*): the guest ran on here'
check "killed mid-stream: the guest finished at the source" has s2.out '^migrate: ok: '
dest_done d2
check "killed mid-stream: the destination died by the signal" status_is d2 137

# --- refusals before any private page leaves
check "destination 3 (another AMD root: another platform seed) listens" dest d3 --seed 0707
src s3 --migrate-to "tcp:127.0.0.1:$(port d3)" --migrate-after 100ms "${guest[@]/10000/3000}"
check "another root: the source refuses, the guest finishes there with 0" status_is s3 0
check "another root: the guest's result at the source" has s3.out '^migrate: ok: '
check "another root: the source says why" has s3.err 'migration failed (Permission denied)'
check "another root: the destination ran nothing" dest_done d3
check "another root: the destination fails (125)" status_is d3 125

check "destination 6 (another chip, the same --amd-seed, RAM preallocated) listens" dest d6 --seed 0707 --amd-seed a3d0 --mem-prealloc
src s6 --amd-seed a3d0 --migrate-to "tcp:127.0.0.1:$(port d6)" --migrate-after 100ms "${guest[@]}"
check "one AMD root, two chips: the source hands the guest over" has s6.err '^snpemu: migration completed'
check "one AMD root, two chips: the guest finishes at the destination" dest_done d6
check "one AMD root, two chips: exit 0" status_is d6 0
check "one AMD root, two chips: the reports agree, signed by another chip" has d6.out '^migrate: chip ID changed$'

check "destination 4 listens" dest d4
src s4 --policy 0x30000 --migrate-to "tcp:127.0.0.1:$(port d4)" --migrate-after 100ms "${guest[@]/10000/3000}"
check "policy without MIGRATE_MA: the guest finishes at the source with 0" status_is s4 0
check "policy without MIGRATE_MA: the source says why" has s4.err 'migration failed (Operation not permitted)'
check "policy without MIGRATE_MA: the destination ran nothing" dest_done d4
check "policy without MIGRATE_MA: the destination fails (125)" status_is d4 125

check "destination 7 listens" dest d7
src s7 --migrate-to "tcp:127.0.0.1:$(port d7)" --migrate-after 20s hello
check "a guest that ends before the point: exit 0 at the source" status_is s7 0
check "a guest that ends before the point: the source says so" has s7.err 'the guest ended (status 0) before the migration began'
check "a guest that ends before the point: the destination runs nothing" dest_done d7
check "a guest that ends before the point: the destination fails (125)" status_is d7 125

# --- the command line
usage() { # usage WANT-IN-STDERR ARGS...: exit 125 with that message
	local want=$1
	shift
	timeout -k 5 30 "$cli" run "$@" >"$D/u.out" 2>"$D/u.err"
	local rc=$?
	[ "$rc" -eq 125 ] || { echo "exit $rc, wanted 125"; cat "$D/u.err"; return 1; }
	grep -q -- "$want" "$D/u.err" || { echo "no '$want':"; cat "$D/u.err"; return 1; }
}
check "bad address: no scheme" usage 'wants tcp:HOST:PORT' --migrate-to 127.0.0.1:4444 migrate
check "bad address: port out of range" usage 'wants tcp:HOST:PORT' --incoming tcp:127.0.0.1:70000
check "bad address: a name" usage 'wants tcp:HOST:PORT' --migrate-to tcp:example.org:1 migrate
check "bad address: not this host's" usage 'not an address of this host' --incoming tcp:192.0.2.1:0 --backend tcg
check "bad duration: no unit" usage '--migrate-after wants a duration' --migrate-to tcp:127.0.0.1:1 \
	--migrate-after 50 migrate
check "bad duration: negative" usage '--migrate-after wants a duration' --migrate-to tcp:127.0.0.1:1 \
	--migrate-after -1s migrate
check "--migrate-after alone" usage '--migrate-after needs --migrate-to' --migrate-after 1s migrate
check "--incoming with a GUEST" usage '--incoming takes no GUEST' --incoming tcp:127.0.0.1:0 migrate
check "sim cannot migrate" usage 'sim backend cannot migrate' --backend sim --migrate-to tcp:127.0.0.1:1 migrate
check "destination 5 listens" dest d5
check "busy port" usage 'cannot listen: the port is in use' --incoming "tcp:127.0.0.1:$(port d5)" --backend tcg
check "nobody listening: the source gives up after its retries" usage 'cannot connect: Connection refused' \
	--backend tcg --migrate-to "tcp:127.0.0.1:1" migrate
kill -KILL "$(cat "$D/d5.pid")" 2>/dev/null
dest_done d5

# --- programs migrated at a random point give what an unmigrated run gives (tcg is deterministic with one vCPU:
# the whole console; with several, the result line).  The point is drawn well before each program's end, since a
# migration takes 1 to 5 s here (the trust exchange builds both platforms' certificates).
same_as_unmigrated() { # same_as_unmigrated NAME MAX_MS RUN-ARGS...
	local name=$1 max=$2 at
	shift 2
	at=$((RANDOM % max))
	echo "migrating after ${at}ms"
	src "$name-plain" "$@" || return 1
	dest "$name-d" || return 1
	src "$name-src" --migrate-to "tcp:127.0.0.1:$(port "$name-d")" --migrate-after "${at}ms" "$@"
	status_is "$name-src" 0 || return 1
	has "$name-src.err" '^snpemu: migration completed' || return 1
	dest_done "$name-d" || return 1
	is "$(cat "$D/$name-d.rc")" "$(cat "$D/$name-plain.rc")" || return 1
	cat "$D/$name-src.out" "$D/$name-d.out" >"$D/$name-both.out"
	if grep -q -- '--vcpus' <<<"$*"; then
		is "$(tail -n 1 "$D/$name-both.out")" "$(tail -n 1 "$D/$name-plain.out")"
	else
		cmp "$D/$name-both.out" "$D/$name-plain.out"
	fi
}
check "migrate, migrated at a random point, as unmigrated" same_as_unmigrated rnd-migrate 1500 \
	migrate -- --ms 20000 --mem 4M
check "storm on 4 vCPUs, migrated at a random point, as unmigrated" same_as_unmigrated rnd-storm 200 \
	--vcpus 4 --rate 200/2 storm -- --requests 40

table_summary migrate

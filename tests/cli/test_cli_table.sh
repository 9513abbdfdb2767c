#!/usr/bin/env bash
# The command line's conventions (issue 12 items 2-6 and 8), one row per rule: exit statuses 0/1/2 (run: 125 for
# its own errors), --help listing every option with its default, --opt=value, `-` for stdin, one message shape on
# stderr, values out of range refused, exclusive options, outputs checked before the guest launches and left
# complete or not at all, one default platform for certs and report, one TCB-layout label, readable dates.
# A table runner: "ok"/"FAIL" per row, then "N passed, M failed".
set -uo pipefail
cd "${SNPEMU_SRCDIR:-$(dirname "$0")/../..}"
cli=${SNPEMU_CLI:-build/default/snpemu}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
. tests/cli/table_runner.sh
fixtures=tests/fixtures

# row EXPECTED_STATUS STDERR_REGEX -- ARGS...: run `snpemu ARGS`; the status must match and stderr must match
# the regex ("" = stderr empty); every stderr line must have the shape "snpemu CMD: ..." (or be the VMM's).
row() {
	local want=$1 errre=$2
	shift 3
	"$cli" "$@" >"$D/out" 2>"$D/err" </dev/null
	local got=$? why=""
	if [ "$got" -ne "$want" ]; then
		why="exit $got, wanted $want"
	elif [ -z "$errre" ] && [ -s "$D/err" ]; then
		why="stderr not empty"
	elif [ -n "$errre" ] && ! grep -qE -- "$errre" "$D/err"; then
		why="stderr does not match /$errre/"
	elif grep -vqE '^snpemu( [a-z]+)?: ' "$D/err"; then
		why="stderr line not in the shape 'snpemu CMD: ...'"
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok   snpemu $*"
	else
		fail=$((fail + 1))
		echo "FAIL snpemu $*: $why"
		sed 's/^/     err: /' "$D/err" | head -n 5
	fi
}

absent() { ! grep -q -- "$1" "$2"; }

# --- version, help, unknown commands (item 4)
row 0 "" -- --version
check "--version prints the version" grep -qE '^snpemu [0-9]+\.[0-9]+' "$D/out"
row 0 "" -- -V
check "-V prints the version" grep -qE '^snpemu [0-9]+\.[0-9]+' "$D/out"
row 2 "snpemu: nosuch: unknown command" -- nosuch
for cmd in run certs report verify measure decode bench kds; do
	row 0 "" -- "$cmd" --help
	# Every long option the command's table declares is in its help, with its meaning.
	src=src/cli/cmd_$cmd.c
	opts="$(sed -n 's/^ *{"\([a-z][a-z0-9-]*\)", OPT_[A-Z_]*, .*/\1/p' "$src")
$(sed -n 's/^ *CLI_OPTION_\([A-Z_]*\),.*/\1/p' "$src" | tr 'A-Z_' 'a-z-')"
	listed() {
		local o
		[ -n "$opts" ] || return 1
		for o in $opts; do grep -qE -- "--$o( |$)" "$D/out" || return 1; done
	}
	check "$cmd --help lists all of: $(echo $opts)" listed
	check "$cmd --help shows defaults and exit statuses" grep -q 'exit status:' "$D/out"
done
row 0 "" -- run --help
check "run --help marks the kvm-only programs" grep -qE '^  fault .*\(kvm (backend )?only\)' "$D/out"
check "run --help documents 125" grep -q '125 for run' "$D/out"

# --- exit statuses and message shapes (items 3, 4)
row 125 "snpemu run: --bogus: unknown option" -- run --bogus hello
row 125 "snpemu run: expected a GUEST" -- run
row 125 "snpemu run: nosuch: no such guest program" -- run nosuch
row 2 "snpemu certs: --out DIR is required" -- certs
row 2 "snpemu report: --zzz: unknown option" -- report --zzz --out "$D/r"
row 2 "snpemu decode: report: expected a kind|snpemu decode: expected a kind" -- decode report
row 2 "snpemu decode: $D: Is a directory" -- decode report "$D"
row 2 "snpemu decode: zzz: unknown kind" -- decode zzz x
row 2 "snpemu measure: --ovmf FILE is required" -- measure --vcpus 1
row 2 "snpemu bench: nosuch: no such suite" -- bench --only nosuch
row 2 "snpemu verify: --report and --certs \(or --kds\) are required" -- verify
row 2 "snpemu verify: $D/nosuch: No such file or directory" -- verify --report "$fixtures/genoa-report.bin" --certs "$D/nosuch"
check "verify --certs nosuch: one message" test "$(wc -l <"$D/err")" -eq 1

# --- ranges and exclusive options (item 5)
row 125 "--mem wants 32M..64G" -- run --mem 0 hello
row 125 "not a valid SNP guest policy" -- run --policy 0 hello
row 125 "not a valid SNP guest policy" -- run --policy 0x20000000 hello
row 125 "--rate wants" -- run --rate 0 hello
row 125 "--rate wants" -- run --rate 0.5/0 hello
row 2 "invalid value for --vmpl" -- verify --report "$fixtures/genoa-report.bin" --certs "$fixtures" --vmpl 9
printf 'abc' >"$D/rd"
row 2 "--report-data and --report-data-file cannot be given together" -- report --out "$D/x" --report-data 00 --report-data-file "$D/rd"
check "a refused report creates no directory" test ! -e "$D/x"

# --- --opt=value, --opt value, stdin (item 4)
mkdir -p "$D/genoa"
cp "$fixtures/amd-genoa-ark.pem" "$D/genoa/ark.pem"
cp "$fixtures/amd-genoa-ask.pem" "$D/genoa/ask.pem"
cp "$fixtures/genoa-vcek.der" "$D/genoa/vcek.der"
row 0 "" -- verify --report="$fixtures/genoa-report.bin" --certs="$D/genoa" --time=1798761600
row 0 "" -- verify --report "$fixtures/genoa-report.bin" --certs "$D/genoa" --time 1798761600 --vmpl=0
"$cli" verify --report - --certs "$D/genoa" --time 1798761600 <"$fixtures/genoa-report.bin" >"$D/out" 2>&1
check "verify --report - reads stdin" grep -q '^OK:' "$D/out"
"$cli" decode report - <"$fixtures/genoa-report.bin" >"$D/out" 2>&1
check "decode report - reads stdin" grep -q 'ATTESTATION_REPORT version' "$D/out"

# --- one TCB-layout label, readable dates (item 8)
row 0 "" -- decode report "$fixtures/genoa-report.bin"
label=$(sed -n 's/.*TCB layout \(.*\)$/\1/p' "$D/out")
row 0 "" -- decode --json report "$fixtures/genoa-report.bin"
check "decode report: the same TCB-layout label in text and JSON ($label)" grep -qF "\"tcb_layout\":\"$label\"" "$D/out"
row 0 "" -- certs --out "$D/c1"
row 0 "" -- decode certs "$D/c1/cert_table.bin"
check "decode certs: dates in UTC" grep -qE 'valid 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z \.\. 20' "$D/out"
row 0 "" -- decode certs --json "$D/c1/cert_table.bin"
check "decode certs --json: epoch seconds and UTC" grep -qE '"not_after":[0-9]+,' "$D/out"

# --- one default platform (item 6): a chain from `certs` verifies a default `report`
row 0 "" -- report --backend sim --quiet --out "$D/r1"
row 0 "" -- verify --report "$D/r1/report.bin" --certs "$D/c1" --ark "$D/c1/ark.pem"
check "certs and report: identical default chain" cmp -s "$D/c1/vcek.der" "$D/r1/vcek.der"

# --- outputs checked before launch, all or nothing (item 2)
row 125 "snpemu run: $D/nodir/t.json: cannot create" -- run --backend sim --trace "$D/nodir/t.json" hello
check "run --trace into a missing directory: the guest never launched" absent 'launch measurement' "$D/out"
row 125 "snpemu run: $D/nosuch: cannot read" -- run --backend sim --certs "$D/nosuch" attest -- --ext
check "run --certs nosuch: the guest never launched" absent 'launch measurement' "$D/out"
row 0 "" -- run --backend sim --quiet --trace "$D/t.json" hello
check "run --trace: the trace is complete JSON" grep -q '"traceEvents"' "$D/t.json"
check "run --trace: no temporary file left" test "$(ls -A "$D" | grep -c '^\.t\.json')" -eq 0
# A full disk while the trace is written: the run fails with 125 and leaves no truncated trace.
(
	trap '' XFSZ
	ulimit -f 1
	exec "$cli" run --backend sim --quiet --trace "$D/full.json" hello
) >"$D/out" 2>"$D/err"
st=$?
check "run --trace on a full disk exits 125 (got $st)" test "$st" -eq 125
check "run --trace on a full disk: nothing left" test "$(ls -A "$D" | grep -c 'full\.json')" -eq 0
grep -q "full.json: cannot write the trace" "$D/err"
check "run --trace on a full disk: says so" test $? -eq 0
if [ ! -e /dev/kvm ]; then
	row 1 "kvm backend cannot run here" -- report --backend kvm --out "$D/k"
	check "report --backend kvm without KVM: no directory left" test ! -e "$D/k"
fi
row 1 "cannot create the directory|not a directory" -- certs --out "$D/c1/ark.der/x"

# --- a guest status that would read as run's own 125 (or above) is reported as 1
"$cli" run --backend sim memfault >"$D/out" 2>"$D/err"
st=$?
check "run memfault (guest status 126): exit 1 (got $st)" test "$st" -eq 1
check "run memfault: the guest's exact status is in the summary" grep -q 'status 126' "$D/err"

# --- stdout/stderr: the guest's console on stdout, diagnostics on stderr
"$cli" run --backend sim --quiet hello >"$D/out" 2>"$D/err"
check "run: the guest's console on stdout" grep -q 'hello' "$D/out"
check "run --quiet: nothing on stderr" test ! -s "$D/err"
"$cli" run --backend sim --stats hello >"$D/out" 2>"$D/err"
check "run: the VMM's messages on stderr" grep -q '^launch measurement: ' "$D/err"
check "run: statistics on stderr" grep -q '^exits to the VMM' "$D/err"
check "run: no VMM message on stdout" absent 'launch measurement' "$D/out"

# --- bench (item 7): every figure with its ratio, JSON too
row 0 "" -- bench --only psc --json
check "bench --json: figures with ratios" grep -q '"ratio"' "$D/out"
check "bench --json: limits named" grep -q '"limit_is"' "$D/out"

table_summary cli-table

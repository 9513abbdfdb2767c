#!/usr/bin/env bash
# `snpemu kds` and `snpemu verify --kds` end to end (issue 16 part 2), one row per rule: the server started on an
# ephemeral loopback port; the verify round trip for a good, a revoked and an unknown VCEK; KDS's 400 and 404 answers
# and the chain and CRL checked with curl and openssl; no root of trust is a failure unless --insecure-no-root.
# A table runner: "ok"/"FAIL" per row, then "N passed, M failed".
set -uo pipefail
cd "${SNPEMU_SRCDIR:-$(dirname "$0")/../..}"
cli=${SNPEMU_CLI:-build/default/snpemu}
D=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT
. tests/cli/table_runner.sh

# start_kds NAME ARGS...: run `snpemu kds --listen 127.0.0.1:0 ARGS` in the background; its URL in $D/NAME.url.
start_kds() {
	local name=$1 i
	shift
	"$cli" kds --listen 127.0.0.1:0 "$@" >"$D/$name.out" 2>"$D/$name.err" &
	pids+=($!)
	for i in $(seq 1 300); do
		if grep -q '^listening on http://' "$D/$name.out"; then
			sed -n 's/^listening on //p' "$D/$name.out" >"$D/$name.url"
			return 0
		fi
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	cat "$D/$name.err" >&2
	return 1
}

# status URL: the HTTP status curl gets.
status() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
is() { [ "$1" = "$2" ] || { echo "got '$1', wanted '$2'"; return 1; }; }
verify() { "$cli" verify --report "$1" --kds "$(cat "$D/$2.url")" "${@:3}" >"$D/v.out" 2>"$D/v.err"; }
verify_is() {
	local want=$1
	shift
	verify "$@"
	local got=$?
	[ "$got" -eq "$want" ] || { echo "exit $got, wanted $want"; cat "$D/v.out" "$D/v.err"; return 1; }
}

"$cli" report --backend sim --quiet --seed 5eed --out "$D/good" >/dev/null 2>&1
"$cli" report --backend sim --quiet --seed 07e1 --out "$D/other" >/dev/null 2>&1
check "snpemu kds starts on an ephemeral port" start_kds kds --seed 5eed
check "a second kds revoking every VCEK starts" start_kds revoked --seed 5eed --revoke vcek
url=$(cat "$D/kds.url")
hwid=$(sed -n 's/.*chip ID \([0-9a-f]*\).*/\1/p' "$D/kds.out")
check "kds prints the chip ID" test ${#hwid} -eq 128

# --- the verify round trips
check "good VCEK: verify --kds passes" verify_is 0 "$D/good/report.bin" kds --ark "$D/good/ark.pem"
check "good VCEK: not_revoked passes" grep -qE '^  not_revoked +pass' "$D/v.out"
check "revoked VCEK: verify --kds fails" verify_is 1 "$D/good/report.bin" revoked --ark "$D/good/ark.pem"
check "revoked VCEK: not_revoked is the failing check" grep -q 'first failing check: not_revoked' "$D/v.out"
check "unknown VCEK: verify --kds fails" verify_is 1 "$D/other/report.bin" kds --ark "$D/good/ark.pem"
check "unknown VCEK: the KDS does not know the chip" grep -q 'does not know this chip' "$D/v.err"
check "no root: ark_trusted fails" verify_is 1 "$D/good/report.bin" kds
check "no root: named" grep -q 'first failing check: ark_trusted' "$D/v.out"
check "--insecure-no-root: passes, ark_trusted skipped" verify_is 0 "$D/good/report.bin" kds --insecure-no-root
check "--insecure-no-root: skip shown" grep -qE '^  ark_trusted +skip' "$D/v.out"
check "no KDS listening: verify fails" verify_is 1 "$D/good/report.bin" kds --ark "$D/good/ark.pem" \
	--kds http://127.0.0.1:1
check "--kds and --certs together: usage error" verify_is 2 "$D/good/report.bin" kds --certs "$D/good"

# --- the answers, with curl and openssl
spl="blSPL=10&teeSPL=0&snpSPL=23&ucodeSPL=84"
check "VCEK: 200" is "$(status "$url/vcek/v1/Genoa/$hwid?$spl")" 200
curl -s -o "$D/vcek.der" "$url/vcek/v1/Genoa/$hwid?$spl"
check "VCEK: the same DER as snpemu report wrote" cmp "$D/vcek.der" "$D/good/vcek.der"
check "VCEK at another TCB (zero-padded SPLs): 200" \
	is "$(status "$url/vcek/v1/Genoa/$hwid?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115")" 200
check "malformed hwid: 400" is "$(status "$url/vcek/v1/Genoa/abc?$spl")" 400
check "malformed SPL: 400" is "$(status "$url/vcek/v1/Genoa/$hwid?blSPL=x&teeSPL=0&snpSPL=23&ucodeSPL=84")" 400
check "missing SPL: 400" is "$(status "$url/vcek/v1/Genoa/$hwid?blSPL=1")" 400
check "unknown chip: 404" is "$(status "$url/vcek/v1/Genoa/${hwid//?/0}?$spl")" 404
check "unknown product: 404" is "$(status "$url/vcek/v1/Rome/cert_chain")" 404
check "unknown path: 404" is "$(status "$url/vcek/v2/Genoa/crl")" 404
check "POST: 405" is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/vcek/v1/Genoa/crl")" 405
curl -s -o "$D/chain.pem" "$url/vcek/v1/Genoa/cert_chain"
awk '/BEGIN/{n++} {print > "'"$D"'/chain" n ".pem"}' "$D/chain.pem"
check "cert_chain: ASK then ARK, ASK signed by the ARK" openssl verify -CAfile "$D/chain2.pem" "$D/chain1.pem"
check "cert_chain: the ARK is the platform's" cmp <(openssl x509 -in "$D/chain2.pem" -outform der) "$D/good/ark.der"
check "cert_chain: the VCEK verifies under it" \
	openssl verify -CAfile "$D/chain2.pem" -untrusted "$D/chain1.pem" "$D/good/vcek.pem"
curl -s -o "$D/crl.der" "$url/vcek/v1/Genoa/crl"
check "crl: DER, signed by the ARK" openssl crl -inform der -in "$D/crl.der" -CAfile "$D/chain2.pem" -noout
curl -s -o "$D/revoked.der" "$(cat "$D/revoked.url")/vcek/v1/Genoa/crl"
check "crl of the revoking kds lists serial 0" \
	sh -c "openssl crl -inform der -in '$D/revoked.der' -noout -text | grep -q 'Serial Number: 00'"
check "vlek cert_chain: ASVK then ARK" sh -c "curl -s '$url/vlek/v1/Genoa/cert_chain' | grep -c BEGIN | grep -qx 2"

# --- clean shutdown on SIGTERM
kill "${pids[0]}"
wait "${pids[0]}"
check "SIGTERM: kds exits 0" is "$?" 0
pids=("${pids[@]:1}")
check "usage: --listen without a port" is "$("$cli" kds --listen 127.0.0.1 >/dev/null 2>&1; echo $?)" 2
check "usage: --revoke of nothing known" is "$("$cli" kds --revoke bogus >/dev/null 2>&1; echo $?)" 2

table_summary test_kds

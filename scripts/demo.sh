#!/usr/bin/env bash
# make demo: launch the attest guest through the whole stack, then check its report with OpenSSL alone.
#   usage: demo.sh BUILD_DIR
set -euo pipefail
build=$1
snpemu=$build/snpemu
out=$build/demo
rm -rf "$out"
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }

step "snpemu report: launch, measure, run the attest guest (GHCB, guest request, certificates), write the report"
report_data=$(printf 'snpemu demo %s' "$(date -u +%F)" | od -An -tx1 | tr -d ' \n')
"$snpemu" report --backend auto --ext --stats --report-data "$report_data" --out "$out" 2>&1 |
	tee "$out/transcript.txt"
# The launch measurement the VMM computed before the guest ran (not read back from the report).
measurement=$(sed -n 's/^launch measurement: \([0-9a-f]*\)$/\1/p' "$out/transcript.txt")
[ ${#measurement} -eq 96 ] || { echo "demo: no launch measurement in the transcript" >&2; exit 1; }

step "files written"
ls -l "$out"

step "the certificate chain, checked by openssl: ARK -> ASK -> VCEK"
openssl verify -CAfile "$out/ark.pem" -untrusted "$out/ask.pem" "$out/vcek.pem"

step "the report's ECDSA P-384 signature, checked by openssl with the VCEK's public key"
# Bytes 0..0x29F are signed; R and S are little-endian 72-byte fields at 0x2A0 and 0x2E8 (48 significant bytes).
head -c 672 "$out/report.bin" >"$out/signed.bin"
le_hex() { od -An -tx1 -j "$1" -N 48 "$out/report.bin" | tr -s ' \n' '\n' | sed '/^$/d' | tac | tr -d '\n'; }
cat >"$out/sig.cnf" <<CNF
asn1=SEQUENCE:sig
[sig]
r=INTEGER:0x$(le_hex 672)
s=INTEGER:0x$(le_hex 744)
CNF
openssl asn1parse -genconf "$out/sig.cnf" -out "$out/sig.der" >/dev/null
openssl x509 -in "$out/vcek.pem" -pubkey -noout >"$out/vcek-pub.pem"
openssl dgst -sha384 -verify "$out/vcek-pub.pem" -signature "$out/sig.der" "$out/signed.bin"

step "snpemu verify: chain, signature, VCEK extensions, and the report bound to this launch and this request"
"$snpemu" verify --report "$out/report.bin" --certs "$out" --ark "$out/ark.pem" --measurement "$measurement" \
	--report-data "$report_data" --vmpl 0

step "demo complete"

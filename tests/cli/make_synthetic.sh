#!/usr/bin/env bash
# Regenerates tests/fixtures/synthetic/: a test-only AMD-shaped chain for a "Turin" part (RSA-2048 ARK, ASK and
# ASVK with RSASSA-PSS SHA-384 salt 48; P-384 VCEK and VLEK with the KDS extensions, hwID as a DER OCTET STRING)
# and reports signed with it, so that the tests cover what the genuine Genoa fixture cannot: the Turin TCB layout
# and fmcSPL, the OCTET STRING hwID, VLEK chains, and policy violations under a valid signature.
# Needs openssl and python3; run it by hand, the outputs are committed.
set -euo pipefail
out=$(cd "$(dirname "$0")/../fixtures/synthetic" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
pss=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -sigopt rsa_mgf1_md:sha384)
dn="/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=Advanced Micro Devices/CN="
chip=0102030405060708 # Turin: only CHIP_ID[0..7] is set
hwid="04:40:01:02:03:04:05:06:07:08$(printf ':00%.0s' $(seq 56))"

for k in ark ask asvk; do openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $k.key 2>/dev/null; done
for k in vcek vlek; do openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out $k.key; done
cat >ext.cnf <<CNF
[ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
[vcek]
1.3.6.1.4.1.3704.1.1 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.2 = ASN1:IA5STRING:Turin-B0
1.3.6.1.4.1.3704.1.3.1 = ASN1:INTEGER:3
1.3.6.1.4.1.3704.1.3.2 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.3.3 = ASN1:INTEGER:25
1.3.6.1.4.1.3704.1.3.8 = ASN1:INTEGER:72
1.3.6.1.4.1.3704.1.3.9 = ASN1:INTEGER:1
1.3.6.1.4.1.3704.1.4 = DER:$hwid
[vlek]
1.3.6.1.4.1.3704.1.1 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.2 = ASN1:IA5STRING:Turin
1.3.6.1.4.1.3704.1.3.1 = ASN1:INTEGER:3
1.3.6.1.4.1.3704.1.3.2 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.3.3 = ASN1:INTEGER:25
1.3.6.1.4.1.3704.1.3.8 = ASN1:INTEGER:72
1.3.6.1.4.1.3704.1.3.9 = ASN1:INTEGER:1
1.3.6.1.4.1.3704.1.5 = ASN1:IA5STRING:test-csp
CNF
openssl req -x509 -new -key ark.key -sha384 "${pss[@]}" -subj "${dn}ARK-Turin" -days 9000 -set_serial 1 \
	-config /dev/null -extensions ca -extfile ext.cnf -out ark.pem 2>/dev/null || \
	openssl req -x509 -new -key ark.key -sha384 "${pss[@]}" -subj "${dn}ARK-Turin" -days 9000 -set_serial 1 \
		-addext basicConstraints=critical,CA:true -out ark.pem
sign() { # sign CSR-less: subject key $1, CN $2, issuer $3, extension section $4, output $5
	openssl req -new -key $1.key -subj "${dn}$2" -out $1.csr
	openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -sha384 "${pss[@]}" -days 3650 -set_serial 2 \
		-extfile ext.cnf -extensions $4 -out $5 2>/dev/null
}
sign ask SEV-Turin ark ca ask.pem
sign asvk SEV-VLEK-Turin ark ca asvk.pem
sign vcek SEV-VCEK ask vcek vcek.pem
sign vlek SEV-VLEK asvk vlek vlek.pem
openssl x509 -in vcek.pem -outform DER -out vcek.der
openssl x509 -in vlek.pem -outform DER -out vlek.der

# Reports: version 3, Turin CPUID (family 0x1A model 0x02), TCB fmc=1 bl=3 tee=0 snp=25 ucode=72 (Turin layout).
python3 - "$chip" <<'PY'
import struct, subprocess, sys
chip = bytes.fromhex(sys.argv[1]) + bytes(56)
tcb = 1 | 3 << 8 | 0 << 16 | 25 << 24 | 72 << 56
def report(policy, signer, key, name):
    r = bytearray(0x4A0)
    struct.pack_into('<IIQ', r, 0, 3, 7, policy)
    struct.pack_into('<II', r, 0x30, 0, 1)
    struct.pack_into('<QQI', r, 0x38, tcb, 0x1, signer)
    r[0x50:0x90] = bytes(range(64))
    r[0x90:0xC0] = bytes([0xAA]) * 48
    r[0xC0:0xE0] = bytes([0x11]) * 32
    struct.pack_into('<Q', r, 0x180, tcb)
    r[0x188:0x18B] = bytes([0x1A, 0x02, 0x00])
    r[0x1A0:0x1E0] = chip
    struct.pack_into('<Q', r, 0x1E0, tcb)
    r[0x1E8:0x1EB] = bytes([5, 55, 1])
    r[0x1EC:0x1EF] = bytes([5, 55, 1])
    struct.pack_into('<Q', r, 0x1F0, tcb)
    sig = subprocess.run(['openssl', 'dgst', '-sha384', '-sign', key + '.key'], input=bytes(r[:0x2A0]),
                         capture_output=True, check=True).stdout
    assert sig[0] == 0x30 and sig[1] < 0x80
    i = 2
    ints = []
    for _ in range(2):
        assert sig[i] == 0x02
        n = sig[i + 1]
        ints.append(int.from_bytes(sig[i + 2:i + 2 + n], 'big'))
        i += 2 + n
    r[0x2A0:0x2A0 + 72] = ints[0].to_bytes(72, 'little')
    r[0x2E8:0x2E8 + 72] = ints[1].to_bytes(72, 'little')
    open(name, 'wb').write(r)
report(0x30000, 0, 'vcek', 'turin-report.bin')
report(0xB0000, 0, 'vcek', 'turin-debug.bin')         # DEBUG allowed
report(0x70000, 0, 'vcek', 'turin-migrate-ma.bin')    # MIGRATE_MA allowed
report(0x20000, 0, 'vcek', 'turin-no-smt.bin')        # SMT not allowed
report(0x30000, 1 << 2, 'vlek', 'turin-vlek-report.bin')
PY
cp ark.pem ask.pem asvk.pem vcek.der vlek.der turin-*.bin "$out/"
echo "wrote $(ls "$out" | wc -l) files to $out"

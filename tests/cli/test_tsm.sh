#!/usr/bin/env bash
# `snpemu tsm` end to end (issue 16 part 1): a shell-only configfs-tsm client inside `snpemu tsm --exec` (mkdir,
# printf into inblob, cat provider/outblob/auxblob/generation, rmdir) whose outblob verifies with `snpemu verify`
# against the ARK of `snpemu certs` for the same seed, whose REPORT_DATA is the inblob, and whose auxblob's VCEK
# verifies the report's signature with openssl; the kernel's errors (EINVAL, EFBIG, ENXIO after a failed request);
# --mount serving until SIGTERM; CMD's exit status.  Skips with one line where FUSE, namespaces or root are missing.
set -uo pipefail
cd "${SNPEMU_SRCDIR:-$(dirname "$0")/../..}"
cli=${SNPEMU_CLI:-build/default/snpemu}
skip() {
	echo "tsm: 0 passed, 0 failed, 1 skipped ($1)"
	exit 0
}
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v fusermount3 >/dev/null || skip "no fusermount3"
command -v unshare >/dev/null || skip "no unshare"
[ "$(id -u)" = 0 ] || skip "not root: a mount namespace needs CAP_SYS_ADMIN"
unshare --mount true 2>/dev/null || skip "unshare --mount is not permitted here"
"$cli" tsm --help >/dev/null 2>&1 || skip "this snpemu is built without libfuse3"

D=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT
. tests/cli/table_runner.sh

is() { [ "$1" = "$2" ] || { echo "got '$1', wanted '$2'"; return 1; }; }
# tsm ARGS... -- CMD: snpemu tsm --exec bounded in time.
tsm() { timeout 120 "$cli" tsm "$@"; }

RD=0123456789abcdef0123456789ABCDEF-configfs-tsm-report-data-64byte
RD_HEX=$(printf '%s' "$RD" | od -A n -t x1 -v | tr -d ' \n')

# The client: only a shell and coreutils, as an attestation agent's scripts would be.
cat >"$D/client.sh" <<'EOF'
set -u
T=/sys/kernel/config/tsm/report
O=$1
mkdir "$T/a" || exit 10
ls "$T/a" >"$O/attrs"
cat "$T/a/provider" >"$O/provider"
cat "$T/a/privlevel_floor" >"$O/floor"
cat "$T/a/generation" >"$O/gen0"
printf '%s' "$2" >"$T/a/inblob"
cat "$T/a/generation" >"$O/gen1"
cat "$T/a/outblob" >"$O/outblob.bin" || exit 11
cat "$T/a/auxblob" >"$O/auxblob.bin" || exit 12
cat "$T/a/outblob" >"$O/outblob_again.bin"
/usr/bin/printf 2 >"$T/a/privlevel"
cat "$T/a/generation" >"$O/gen2"
cat "$T/a/outblob" >"$O/outblob_vmpl2.bin"
# the kernel's errors
head -c 65 /dev/zero >"$T/a/inblob" 2>"$O/efbig.err"
/usr/bin/printf 4 >"$T/a/privlevel" 2>"$O/priv4.err"
/usr/bin/printf x >"$T/a/privlevel" 2>"$O/privx.err"
cat "$T/a/generation" >"$O/gen3"
mkdir "$T/b"
cat "$T/b/outblob" >/dev/null 2>"$O/never.err"
: >"$T/b/inblob"
cat "$T/b/generation" >"$O/gen_b"
cat "$T/b/outblob" >/dev/null 2>"$O/empty.err"
ls "$T" >"$O/entries_before"
rmdir "$T/a" || exit 13
ls "$T" >"$O/entries_after"
rmdir "$T/b"
exit 0
EOF

"$cli" certs --seed 5eed --out "$D/certs" >/dev/null 2>&1
for backend in sim tcg; do
	# the help text whole first: under pipefail, grep -q closing the pipe early would fail the pipeline
	if [ "$backend" = tcg ] && ! grep -q 'sim|kvm|tcg' <<<"$("$cli" run --help 2>&1)"; then
		echo "skip tcg: this snpemu is built without the tcg backend"
		continue
	fi
	O=$D/$backend
	mkdir -p "$O"
	tsm --backend "$backend" --seed 5eed --exec -- sh "$D/client.sh" "$O" "$RD" 2>"$O/tsm.err"
	check "$backend: the client ran to the end" is "$?" 0
	check "$backend: an entry holds the seven attributes" is "$(tr '\n' ' ' <"$O/attrs")" \
		"auxblob generation inblob outblob privlevel privlevel_floor provider "
	check "$backend: provider is sev_guest" is "$(cat "$O/provider")" sev_guest
	check "$backend: privlevel_floor is 0" is "$(cat "$O/floor")" 0
	check "$backend: generation counts writes" is "$(cat "$O/gen0") $(cat "$O/gen1") $(cat "$O/gen2")" "0 1 2"
	check "$backend: outblob is one 1184-byte report" is "$(wc -c <"$O/outblob.bin")" 1184
	check "$backend: its REPORT_DATA is the inblob" is \
		"$(od -A n -t x1 -v -j 80 -N 64 "$O/outblob.bin" | tr -d ' \n')" "$RD_HEX"
	check "$backend: outblob verifies with snpemu verify (ARK of snpemu certs)" "$cli" verify \
		--report "$O/outblob.bin" --certs "$D/certs" --ark "$D/certs/ark.pem" --report-data "$RD_HEX" --vmpl 0
	check "$backend: an unchanged generation reads the same report" cmp "$O/outblob.bin" "$O/outblob_again.bin"
	check "$backend: privlevel 2 gives a VMPL-2 report" "$cli" verify --report "$O/outblob_vmpl2.bin" \
		--certs "$D/certs" --ark "$D/certs/ark.pem" --vmpl 2 --report-data "$RD_HEX"
	mkdir -p "$O/aux" && cp "$O/auxblob.bin" "$O/aux/cert_table.bin"
	check "$backend: auxblob is the certificate table (verify --certs with it alone)" "$cli" verify \
		--report "$O/outblob.bin" --certs "$O/aux" --ark "$D/certs/ark.pem"
	check "$backend: inblob over 64 bytes: EFBIG" grep -q "File too large" "$O/efbig.err"
	check "$backend: privlevel above 3: EINVAL" grep -q "Invalid argument" "$O/priv4.err"
	check "$backend: privlevel not a number: EINVAL" grep -q "Invalid argument" "$O/privx.err"
	check "$backend: refused writes leave the generation" is "$(cat "$O/gen3")" 2
	check "$backend: outblob without an inblob: EINVAL" grep -q "Invalid argument" "$O/never.err"
	check "$backend: an empty inblob commits nothing: EINVAL on read" \
		sh -c "grep -q 'Invalid argument' '$O/empty.err' && [ \"\$(cat '$O/gen_b')\" = 0 ]"
	check "$backend: rmdir of a populated entry" is "$(tr '\n' ' ' <"$O/entries_before")/$(cat "$O/entries_after")" \
		"a b /b"
done

# The VCEK in auxblob verifies the report's ECDSA P-384 signature with openssl alone: find the VCEK entry of the
# table (GUID 63da758d-e664-4564-adc5-f4b93be8accd), cut it out, and rebuild the DER signature from R and S
# (little-endian, 72 bytes each at 0x2A0).
vcek_from_table() {
	local t=$1 off=0 hex guid o l
	hex=$(od -A n -t x1 -v "$t" | tr -d ' \n')
	while :; do
		guid=${hex:$((off * 2)):32}
		[ -n "$guid" ] && [ "$guid" != 00000000000000000000000000000000 ] || return 1
		if [ "$guid" = 63da758de6644564adc5f4b93be8accd ]; then
			o=$((16#$(echo "${hex:$((off * 2 + 32)):8}" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')))
			l=$((16#$(echo "${hex:$((off * 2 + 40)):8}" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')))
			dd if="$t" of="$D/vcek.der" bs=1 skip="$o" count="$l" status=none
			return 0
		fi
		off=$((off + 24))
	done
}
le_to_be() { od -A n -t x1 -v -j "$2" -N 48 "$1" | tr -s ' \n' '\n\n' | grep . | tac | tr -d '\n'; }
openssl_verify() {
	local r=$D/sim/outblob.bin
	vcek_from_table "$D/sim/auxblob.bin" || return 1
	openssl x509 -inform der -in "$D/vcek.der" -pubkey -noout >"$D/vcek_pub.pem" || return 1
	printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "$(le_to_be "$r" 672)" \
		"$(le_to_be "$r" 744)" >"$D/sig.cnf"
	openssl asn1parse -genconf "$D/sig.cnf" -out "$D/sig.der" >/dev/null || return 1
	head -c 672 "$r" >"$D/signed.bin"
	openssl dgst -sha384 -verify "$D/vcek_pub.pem" -signature "$D/sig.der" "$D/signed.bin"
}
check "openssl: the auxblob's VCEK verifies the outblob's signature" openssl_verify

# ENXIO: the host's rate limit answers BUSY past the first report (three guest messages: the certificate buffer
# grows once); the guest resends for 300 ms, then fails the request and disables its VMPCK (Linux's rule), so every
# later report fails too.
cat >"$D/busy.sh" <<'EOF'
T=/sys/kernel/config/tsm/report
O=$1
mkdir "$T/r"
printf one >"$T/r/inblob"
cat "$T/r/outblob" >"$O/first.bin" 2>"$O/first.err"
printf two >"$T/r/inblob"
cat "$T/r/outblob" >/dev/null 2>"$O/second.err"
printf three >"$T/r/inblob"
cat "$T/r/outblob" >/dev/null 2>"$O/third.err"
EOF
tsm --backend sim --rate 0.001/3 --busy-timeout-ms 300 --exec -- sh "$D/busy.sh" "$D" 2>"$D/busy.tsm.err"
check "BUSY budget: the first report is served" is "$(wc -c <"$D/first.bin")" 1184
check "BUSY past the budget: ENXIO" grep -q "No such device or address" "$D/second.err"
check "after a failure the VMPCK is gone: ENXIO again" grep -q "No such device or address" "$D/third.err"

# CMD's exit status, and usage errors.
tsm --backend sim --exec -- sh -c 'exit 7' 2>/dev/null
check "--exec returns CMD's exit status" is "$?" 7
check "--exec of a missing command: 127" is "$(tsm --backend sim --exec -- /nonexistent 2>/dev/null; echo $?)" 127
check "usage: neither --mount nor --exec" is "$("$cli" tsm 2>/dev/null; echo $?)" 125
check "usage: --mount and --exec together" is "$("$cli" tsm --mount "$D" --exec true 2>/dev/null; echo $?)" 125
# Clear errors without privileges: an unprivileged user gets no mount namespace.
if command -v setpriv >/dev/null; then
	abs_cli=$(realpath "$cli")
	(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$abs_cli" tsm --exec true) 2>"$D/nobody.err"
	check "not root: --exec is refused with status 125" is "$?" 125
	check "not root: the message names the privilege" grep -q "needs root, CAP_SYS_ADMIN" "$D/nobody.err"
fi

# --mount DIR serves until SIGTERM, then unmounts (inside a private namespace of its own, so nothing leaks).
cat >"$D/mount.sh" <<'EOF'
set -u
cli=$1 M=$2/mnt
mkdir -p "$M"
"$cli" tsm --backend sim --mount "$M" 2>"$2/mount.err" &
pid=$!
i=0
while [ ! -d "$M/report" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
mkdir "$M/report/x" && printf hi >"$M/report/x/inblob" && cat "$M/report/x/outblob" | wc -c >"$2/mount.len"
kill -TERM $pid
wait $pid
echo $? >"$2/mount.rc"
grep -q " $M fuse" /proc/mounts && echo still-mounted >"$2/mount.left"
exit 0
EOF
timeout 120 unshare --mount --propagation private sh "$D/mount.sh" "$(realpath "$cli")" "$D"
check "--mount: a report read through DIR" is "$(cat "$D/mount.len" 2>/dev/null)" 1184
check "--mount: SIGTERM stops it with status 0" is "$(cat "$D/mount.rc" 2>/dev/null)" 0
check "--mount: unmounted afterwards" test ! -e "$D/mount.left"

table_summary tsm

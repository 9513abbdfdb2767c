#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed SDK and library used as a newcomer uses them (issue 13): `make install` into a temporary prefix,
# then, outside the tree and against that prefix only (PKG_CONFIG_PATH), build and run examples/vmm-minimal and
# link a freestanding guest with `pkg-config snpemu-guest`.  Also: libsnpemu-guest.a needs no C library (every
# symbol it leaves undefined is its own, or the program's entry point).  Generated into the build directory by
# tests/sdk/tests.mk; prints "sdk: N passed, M failed" for scripts/check.sh.
set -uo pipefail

src=@SRCDIR@ variant=@VARIANT@ cc="@CC@" san="@SAN@"
build=$src/build/$variant
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1${2:+: $2}"; fail=$((fail + 1)); }
# check NAME COMMAND...: the command's success is the test's
check() {
	local name=$1 log
	shift
	if log=$("$@" 2>&1); then ok "$name"; else bad "$name" "$(tail -n 5 <<<"$log")"; fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
# Not the make that runs this suite: its jobserver and flags are not ours.
unset MAKEFLAGS MFLAGS MAKELEVEL

# 1. libsnpemu-guest.a: nothing from a C library.
lib=$build/libsnpemu-guest.a
undefined=$(nm -u "$lib" | awk 'NF == 2 && $1 == "U" {print $2}' | sort -u)
defined=$(nm --defined-only "$lib" | awk 'NF == 3 && $2 ~ /^[TDBRtdbr]$/ {print $3}' | sort -u)
foreign=$(comm -23 <(echo "$undefined") <(echo "$defined") | grep -v -x -e snpemu_guest_program -e '' || true)
if [ -n "$undefined" ] && [ -z "$foreign" ]; then
	ok "libsnpemu-guest.a leaves undefined only its own symbols and the program's snpemu_guest_program"
else
	bad "libsnpemu-guest.a needs symbols it does not define" "$(echo $foreign)"
fi
check "libsnpemu-guest.a defines no libc-looking function but memcpy/memmove/memset/memcmp" \
	bash -c "! nm --defined-only '$lib' | awk '\$2 == \"T\" {print \$3}' | grep -v -E '^(gst_|rt_|_start$|mem(cpy|move|set|cmp)$)'"

# 2. make install into the temporary prefix.
check "make install PREFIX=<temp>" make -C "$src" --no-print-directory VARIANT="$variant" install PREFIX="$prefix"
for f in include/snpemu/guest.h include/snpemu/hv.h include/snpemu/abi/ghcb.h include/snpemu/abi/snp_msg.h \
	lib/libsnpemu-guest.a lib/libsnpemu.a lib/libsnpemu.so lib/snpemu/guest.ld lib/pkgconfig/snpemu.pc \
	lib/pkgconfig/snpemu-guest.pc bin/snpemu; do
	check "installed $f" test -e "$prefix/$f"
done
check "installed .pc files do not point into the source tree" bash -c "! grep -l '$src' '$prefix'/lib/pkgconfig/*.pc"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
check "pkg-config snpemu-guest: freestanding flags and the linker script" \
	bash -c "pkg-config --cflags --libs snpemu-guest | grep -q -- '-ffreestanding.*-mgeneral-regs-only.*-nostdlib.*guest.ld.*-lsnpemu-guest'"

# 3. examples/vmm-minimal, copied out of the tree and built with its own Makefile (pkg-config snpemu only).
cp -r "$src/examples/vmm-minimal" "$work/vmm-minimal"
check "examples/vmm-minimal builds out of the tree" \
	make -C "$work/vmm-minimal" --no-print-directory CC="$cc" CFLAGS="-O2 -g -Werror $san" LDFLAGS="$san"
check "examples/vmm-minimal built without the source tree's headers" \
	bash -c "! make -C '$work/vmm-minimal' --no-print-directory -n -B CC='$cc' | grep -q -- '$src'"
printed=$(LD_LIBRARY_PATH=$prefix/lib "$work/vmm-minimal/vmm-minimal" 2>&1)
rc=$?
check "examples/vmm-minimal exits 0" test "$rc" -eq 0
for line in "CPUID 0: max leaf 0x10, vendor AuthenticAMD" "IO exit: OUT port 0x3f8 size 1 count 1 data 'A'" \
	"IO OUT completed: SW_EXITINFO1 0" "IO IN port 0x60 completed: guest RAX 0x5a" "vmm-minimal: ok"; do
	check "vmm-minimal prints: $line" grep -q -x -F "$line" <<<"$printed"
done

# 4. examples/guest-hello, out of the tree with pkg-config snpemu-guest only: hello.elf (a static x86-64 image
# at the runtime's address, nothing undefined) and hello.so (nothing needed from any library, only the program
# exported); run on sim with a REPORT_DATA; the exported report verifies against this launch's measurement and
# that REPORT_DATA, with the certificates of the same platform seed.
cp -r "$src/examples/guest-hello" "$work/guest-hello"
g=$work/guest-hello
check "examples/guest-hello builds hello.elf and hello.so out of the tree" \
	make -C "$g" --no-print-directory CC="$cc" CFLAGS="-O2 -Werror"
check "hello.elf is a static ELF64 x86-64 executable entered at 0x100000" \
	bash -c "readelf -h '$g/hello.elf' | grep -q 'ELF64' && readelf -h '$g/hello.elf' | grep -q 'X86-64' &&
		readelf -h '$g/hello.elf' | grep -q 'EXEC' && readelf -h '$g/hello.elf' | grep -q 'Entry point address: *0x100000'"
check "hello.elf has no undefined symbol" bash -c "[ -z \"\$(nm -u '$g/hello.elf')\" ]"
check "hello.so needs no library and exports only the program" \
	bash -c "! readelf -d '$g/hello.so' | grep -q NEEDED && [ \"\$(nm -D --defined-only '$g/hello.so' | awk '{print \$3}' | sort | tr '\n' ' ')\" = 'gst_program_hello snpemu_guest_program ' ]"
snpemu=$prefix/bin/snpemu
data=00112233445566778899aabbccddeeff
run_log=$("$snpemu" run --backend sim --seed 5eed --export "$work/report.bin" "$g/hello" -- "$data" 2>&1)
rc=$?
check "snpemu run --backend sim ./hello exits 0" test "$rc" -eq 0
check "snpemu run ./hello says it picked hello.so for sim" \
	grep -q -F "snpemu: guest program $g/hello.so ('hello') on the sim backend" <<<"$run_log"
check "the guest printed its line" grep -q -x -F "hello from a SEV-SNP guest built with the snpemu SDK" <<<"$run_log"
check "--export wrote the 1184-byte report" test "$(stat -c %s "$work/report.bin" 2>/dev/null)" = 1184
measurement=$(sed -n 's/^launch measurement: //p' <<<"$run_log")
check "snpemu certs for the same platform seed" "$snpemu" certs --seed 5eed --out "$work/certs"
check "the exported report verifies: chain, signature, this launch's measurement, the REPORT_DATA given" \
	"$snpemu" verify --report "$work/report.bin" --certs "$work/certs" --ark "$work/certs/ark.pem" --measurement "$measurement" \
	--report-data "$data"
check "the exported report does not verify against another REPORT_DATA" \
	bash -c "! '$snpemu' verify --report '$work/report.bin' --certs '$work/certs' --ark '$work/certs/ark.pem' --report-data ${data%??}00 >/dev/null"
if [ -e /dev/kvm ] && "$snpemu" run --backend kvm --quiet hello >/dev/null 2>&1; then
	check "snpemu run --backend kvm ./hello runs hello.elf" \
		bash -c "'$snpemu' run --backend kvm '$g/hello' -- $data 2>&1 | grep -q 'hello.elf'"
else
	echo "skip kvm: /dev/kvm does not run guests here"
fi
# The same program's ELF build on the tcg backend (real guest machine code, the SNP instructions trapped).
if "$snpemu" run --help | grep -q 'sim|kvm|tcg|auto'; then
	tcg_log=$("$snpemu" run --backend tcg --seed 5eed --export "$work/report-tcg.bin" "$g/hello" -- "$data" 2>&1)
	rc=$?
	check "snpemu run --backend tcg ./hello exits 0" test "$rc" -eq 0
	check "snpemu run ./hello says it picked hello.elf for tcg" \
		grep -q -F "snpemu: guest program $g/hello.elf ('hello') on the tcg backend" <<<"$tcg_log"
	check "the tcg run's exported report verifies with its launch measurement and REPORT_DATA" \
		"$snpemu" verify --report "$work/report-tcg.bin" --certs "$work/certs" --ark "$work/certs/ark.pem" --report-data "$data" \
		--measurement "$(sed -n 's/^launch measurement: //p' <<<"$tcg_log")"
else
	echo "skip tcg: this snpemu is built without the tcg backend"
fi

# 5. What is not a guest program: a clear message naming the file, exit code 125, never a crash.
mkdir -p "$work/bad"
cp "$g/hello.so" "$work/bad/class32.so" && printf '\001' | dd of="$work/bad/class32.so" bs=1 seek=4 conv=notrunc 2>/dev/null
cp "$g/hello.so" "$work/bad/arm.so" && printf '\267\000' | dd of="$work/bad/arm.so" bs=1 seek=18 conv=notrunc 2>/dev/null
printf 'int not_a_program(void);\nint not_a_program(void) { return 1; }\n' >"$work/bad/noentry.c"
"$cc" -O2 $(pkg-config --cflags snpemu-guest) -fPIC -o "$work/bad/noentry.so" "$work/bad/noentry.c" \
	$(pkg-config --variable=sim_libs snpemu-guest)
sed 's/SNPEMU_SDK_ABI_VERSION, 0, &gst_program_##id/99u, 0, \&gst_program_##id/' \
	"$prefix/include/snpemu/guest_program.h" >"$work/bad/guest_program.h"
mkdir -p "$work/bad/inc/snpemu" && cp -r "$prefix/include/snpemu/." "$work/bad/inc/snpemu/" &&
	cp "$work/bad/guest_program.h" "$work/bad/inc/snpemu/guest_program.h"
"$cc" -O2 -I"$work/bad/inc" $(pkg-config --cflags snpemu-guest) -fPIC -o "$work/bad/abi99.so" "$g/hello.c" \
	$(pkg-config --variable=sim_libs snpemu-guest)
# expect_setup NAME PATH MESSAGE: `snpemu run --backend sim PATH` exits 125 naming the file and the problem
expect_setup() {
	local log rc
	log=$("$snpemu" run --backend sim "$2" 2>&1)
	rc=$?
	if [ "$rc" -eq 125 ] && grep -q -F "snpemu run: $3" <<<"$log"; then ok "$1"; else bad "$1" "exit $rc: $log"; fi
}
expect_setup "a non-ELF file" "$src/README.md" "$src/README.md: not an ELF file"
expect_setup "/bin/ls" /bin/ls "/bin/ls: an executable (it names a program interpreter), not a guest shared object"
expect_setup "a directory" "$work" "$work: a directory, not a guest program"
expect_setup "a missing file" "$work/nosuch" "$work/nosuch.so: No such file or directory"
expect_setup "a 32-bit ELF" "$work/bad/class32.so" "$work/bad/class32.so: not a 64-bit ELF file"
expect_setup "another machine" "$work/bad/arm.so" "$work/bad/arm.so: not built for x86-64"
expect_setup "the .elf build on sim" "$g/hello.elf" "$g/hello.elf: the .elf build; the sim backend runs NAME.so"
expect_setup "a .so without the program symbol" "$work/bad/noentry.so" \
	"$work/bad/noentry.so: no snpemu_guest_program symbol: not a program built with the guest SDK"
expect_setup "a .so of another SDK ABI version" "$work/bad/abi99.so" \
	"$work/bad/abi99.so: built with guest SDK ABI version 99; this snpemu runs version 1"

echo "sdk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

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
foreign=$(comm -23 <(echo "$undefined") <(echo "$defined") | grep -v -x -e gst_rt_main -e '' || true)
if [ -n "$undefined" ] && [ -z "$foreign" ]; then
	ok "libsnpemu-guest.a leaves undefined only its own symbols and the program's gst_rt_main"
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

# 4. A freestanding guest linked against the installed SDK only: a static x86-64 ELF at the runtime's link
# address with no undefined symbol.
mkdir -p "$work/guest"
cat >"$work/guest/mini.c" <<'GUEST'
#include <snpemu/guest.h>

int gst_rt_main(uint32_t cpu_id, uint64_t arg);

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	struct gst_kvm_platform kp = {.ram_size = 64u << 20, .tsc_khz = arg >> 32};
	struct gst_platform plat;
	struct gst_ctx ctx;
	static uint8_t ghcb[4096] __attribute__((aligned(4096))); /* identity-mapped: its address is its GPA */
	if (cpu_id || gst_platform_kvm_init(&plat, &kp) != GST_OK || gst_init(&ctx, &plat, true) != GST_OK)
		return 1;
	return gst_ghcb_setup(&ctx, (uint64_t)(uintptr_t)ghcb, 0) == GST_OK ? 0 : 2;
}
GUEST
# shellcheck disable=SC2046
check "a guest links with pkg-config snpemu-guest alone" \
	"$cc" -std=c11 -O2 -Wall -Wextra -Werror -o "$work/guest/mini.elf" "$work/guest/mini.c" \
	$(pkg-config --cflags --libs snpemu-guest)
check "the guest is a static ELF64 x86-64 executable entered at 0x100000" \
	bash -c "readelf -h '$work/guest/mini.elf' | grep -q 'ELF64' && readelf -h '$work/guest/mini.elf' | grep -q 'X86-64' &&
		readelf -h '$work/guest/mini.elf' | grep -q 'EXEC' && readelf -h '$work/guest/mini.elf' | grep -q 'Entry point address: *0x100000'"
check "the guest has no undefined symbol" bash -c "[ -z \"\$(nm -u '$work/guest/mini.elf')\" ]"

echo "sdk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

/* SPDX-License-Identifier: MIT */
/* kvm bench guest (bench/kvm_io.c): an endless loop of one kind of exit, chosen by the boot argument. */
#include "rt.h"

#include "guest_test.h"

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	uint64_t req = 0x12345012ull; /* any GHCB MSR request value: the bench host answers without looking */

	switch (arg) {
	case GT_BENCH_BARE_IO:
		/* the least guest work per exit: the physical limit of the backend */
		__asm__ volatile("1: outb %%al, %0\n\tjmp 1b" : : "i"(GT_BENCH_PORT), "a"(0));
		break;
	case GT_BENCH_DOORBELL:
		for (;;)
			rt_vmgexit();
	case GT_BENCH_COMPUTE:
		for (;;) {
			/* dec + jnz, GT_BENCH_INSNS / 2 times */
			__asm__ volatile("1: dec %%ecx\n\tjnz 1b" : : "c"(GT_BENCH_INSNS / 2) : "cc");
			rt_outb(GT_BENCH_PORT, 0);
		}
	case GT_BENCH_MSR_PROTO:
		for (;;) {
			rt_wrmsr(MSR_AMD64_SEV_ES_GHCB, req);
			rt_vmgexit();
			req = rt_rdmsr(MSR_AMD64_SEV_ES_GHCB) & 0xFFFFFFFFFull;
		}
	}
	return 1;
}

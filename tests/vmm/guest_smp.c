/* SPDX-License-Identifier: MIT */
/*
 * kvm test guest for several vCPUs (boot argument = their number): each reports its APIC ID and a stack address,
 * does GT_SMP_ROUNDS shared-counter increments each followed by a debug exit, then waits (bounded by the TSC)
 * until every vCPU has done all of its rounds.  A vCPU finishes only if the others ran concurrently.
 */
#include "rt.h"

#include "guest_test.h"

static uint32_t counter;

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	uint32_t regs[4];
	volatile uint32_t on_stack = cpu_id;

	rt_cpuid(1, 0, regs);
	rt_debug(regs[1] >> 24);
	rt_debug((uint32_t)(uintptr_t)&on_stack);
	for (int i = 0; i < GT_SMP_ROUNDS; i++) {
		__atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
		rt_debug(GT_SMP_ROUND_MARK + cpu_id);
	}
	uint64_t start = rt_rdtsc();
	while (__atomic_load_n(&counter, __ATOMIC_SEQ_CST) < arg * GT_SMP_ROUNDS) {
		if (rt_rdtsc() - start > (1ull << 35))
			return GT_SMP_TIMEOUT;
		rt_pause();
	}
	return GT_SMP_DONE + (int)cpu_id + (int)(on_stack - cpu_id);
}

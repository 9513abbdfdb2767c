/* SPDX-License-Identifier: MIT */
/*
 * kvm test guest: the intercepted MSRs and the doorbells.  Every value the host answers is echoed back through a
 * GHCB MSR write, so the host test sees that its answers reached the guest (tests/vmm/test_kvm.c, test_msr_...).
 */
#include "rt.h"

#include "guest_test.h"

/* The read the host answers with #GP, out of line so that its address bounds the reported RIP. */
static __attribute__((noinline)) uint64_t read_sev_status(void)
{
	return rt_rdmsr(MSR_AMD64_SEV);
}

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	bool no_update = false;

	rt_wrmsr(MSR_AMD64_SEV_ES_GHCB, GT_MSR_FIRST_WRITE);
	uint64_t sev = rt_rdmsr(MSR_AMD64_SEV);
	rt_vmgexit();
	uint64_t ghcb = rt_rdmsr(MSR_AMD64_SEV_ES_GHCB);
	rt_wrmsr(MSR_AMD64_SEV_ES_GHCB, ghcb + 1);

	uint32_t rc = rt_pvalidate(GT_PVALIDATE_ADDR, SNPEMU_PVALIDATE_SIZE_2M, true, &no_update);
	rt_wrmsr(MSR_AMD64_SEV_ES_GHCB, (uint64_t)rc << 8 | no_update);
	rc = rt_pvalidate(GT_PVALIDATE_ADDR + 0x1000, SNPEMU_PVALIDATE_SIZE_4K, false, &no_update);
	rt_wrmsr(MSR_AMD64_SEV_ES_GHCB, (uint64_t)rc << 8 | no_update);
	/* unanswered by the host: the backend's default */
	rc = rt_pvalidate(GT_PVALIDATE_ADDR, SNPEMU_PVALIDATE_SIZE_4K, true, &no_update);
	rt_wrmsr(MSR_AMD64_SEV_ES_GHCB, (uint64_t)rc << 8 | no_update);

	/* The host answers this one with #GP: read_sev_status is where it must hit. */
	rt_debug((uint32_t)(uintptr_t)&read_sev_status);
	sev ^= read_sev_status();
	return (int)sev;
}

/* SPDX-License-Identifier: MIT */
/*
 * The `snp` platform: the guest library on real SEV-SNP hardware (x86-64).  Compiled everywhere x86-64, run only
 * inside an SNP guest: VMGEXIT is `rep vmmcall` (F3 0F 01 D9), the GHCB MSR is 0xC0010130, PVALIDATE is
 * F2 0F 01 FF (rAX = virtual address, ECX = page size, EDX = validate; EAX = result, CF = no RMP update), GPAs are
 * identity-mapped, delays count TSC ticks.  The encodings come from the AMD APM vol 3; the instruction use follows
 * Linux arch/x86/include/asm/sev.h (pvalidate) and sev-internal.h (sev_es_wr_ghcb_msr).
 */
#include "internal.h"

#include <snpemu/abi/msr_proto.h>

#if defined(__x86_64__)

static void snp_vmgexit(void *ctx)
{
	(void)ctx;
	__asm__ volatile("rep; vmmcall" ::: "memory");
}

static uint64_t snp_ghcb_msr_read(void *ctx)
{
	(void)ctx;
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_AMD64_SEV_ES_GHCB) : "memory");
	return (uint64_t)hi << 32 | lo;
}

static void snp_ghcb_msr_write(void *ctx, uint64_t v)
{
	(void)ctx;
	__asm__ volatile("wrmsr" ::"c"(MSR_AMD64_SEV_ES_GHCB), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static int snp_pvalidate(void *ctx, uint64_t gpa, void *va, bool size2m, bool validate)
{
	(void)ctx;
	(void)gpa;
	uint64_t rax = (uint64_t)(uintptr_t)va;
	uint8_t no_update;
	/* PVALIDATE, encoded by hand so that assemblers without SNP support accept it. */
	__asm__ volatile(".byte 0xF2, 0x0F, 0x01, 0xFF\n\tsetc %1"
			 : "+a"(rax), "=qm"(no_update)
			 : "c"((uint32_t)size2m), "d"((uint32_t)validate)
			 : "memory", "cc");
	if (no_update)
		return GST_PVALIDATE_FAIL_NOUPDATE;
	return (int)(uint32_t)rax;
}

static void *snp_gpa_to_ptr(void *ctx, uint64_t gpa, size_t len)
{
	(void)ctx;
	if (len && gpa + len - 1 < gpa)
		return NULL;
	return (void *)(uintptr_t)gpa;
}

static bool snp_ptr_to_gpa(void *ctx, const void *p, uint64_t *gpa)
{
	(void)ctx;
	*gpa = (uint64_t)(uintptr_t)p;
	return true;
}

static uint64_t snp_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t snp_now_us(void *ctx)
{
	const struct gst_snp_platform *sp = (const struct gst_snp_platform *)ctx;
	return snp_rdtsc() / (sp->tsc_khz / 1000u ? sp->tsc_khz / 1000u : 1u);
}

static void snp_delay_us(void *ctx, uint64_t us)
{
	const struct gst_snp_platform *sp = (const struct gst_snp_platform *)ctx;
	uint64_t end = snp_rdtsc() + us * (sp->tsc_khz / 1000u);
	do
		__asm__ volatile("pause");
	while (snp_rdtsc() < end);
}

static const struct gst_platform_ops snp_ops = {
    .vmgexit = snp_vmgexit,
    .ghcb_msr_read = snp_ghcb_msr_read,
    .ghcb_msr_write = snp_ghcb_msr_write,
    .pvalidate = snp_pvalidate,
    .gpa_to_ptr = snp_gpa_to_ptr,
    .ptr_to_gpa = snp_ptr_to_gpa,
    .delay_us = snp_delay_us,
    .now_us = snp_now_us,
    .log = NULL,
};

int gst_platform_snp_init(struct gst_platform *plat, struct gst_snp_platform *sp)
{
	if (!plat || !sp || sp->tsc_khz < 1000u)
		return GST_EINVAL;
	plat->ops = &snp_ops;
	plat->ctx = sp;
	return GST_OK;
}

#else

int gst_platform_snp_init(struct gst_platform *plat, struct gst_snp_platform *sp)
{
	(void)plat;
	(void)sp;
	return GST_ENOTSUP;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The `kvm` platform: the guest library inside snpemu's kvm backend, where the SEV instructions a KVM VM cannot
 * execute become exits the VMM serves (protocol: <snpemu/abi/runtime.h>).  VMGEXIT is `out %al, $0xE0` (a doorbell
 * that leaves every register alone), the GHCB MSR is the real MSR 0xC0010130 (the VMM's MSR filter turns each
 * rdmsr/wrmsr into an exit), PVALIDATE is `out %al, $0xE1` with PVALIDATE's own register interface, GPAs are
 * identity-mapped by the VMM's page tables.  Unchanged GHCB MSR values are not rewritten (the rule: guest.h,
 * struct gst_kvm_platform): each WRMSR is an exit here, where SNP hardware takes none.
 *
 * Time: rdtsc counts at the guest TSC frequency the VMM passes (KVM_GET_TSC_KHZ), which stays right on hosts that
 * emulate ring-0 guest code (PVM) where counting instructions would be off by orders of magnitude.  Without a
 * frequency there is no clock (now_us NULL: the library then bounds BUSY retries by count) and a delay is a
 * pause loop of `us` iterations: short, never a doorbell, so waiting costs no exits.
 */
#include "internal.h"

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/svm_exit.h>

#if defined(__x86_64__)

/* Whether the VMGEXIT about to happen leaves this vCPU's GHCB MSR as it is (the rule in guest.h): a GHCB NAE
 * request (the MSR holds a GHCB GPA, GHCBInfo 0) other than AP reset hold. */
static bool kvm_vmgexit_keeps_msr(const struct gst_kvm_platform *kp)
{
	uint64_t gpa = kp->ghcb_msr_cache;
	if (!kp->ghcb_msr_cached || GHCB_MSR_INFO(gpa) != 0 || gpa < SNPEMU_NULL_GUARD_SIZE || gpa > kp->ram_size ||
	    kp->ram_size - gpa < GHCB_PAGE_SIZE)
		return false;
	/* The GHCB is identity-mapped; a volatile read, the VMM shares the page. */
	const volatile uint8_t *code = (const volatile uint8_t *)(uintptr_t)(gpa + GHCB_OFF_SW_EXIT_CODE);
	uint64_t exit_code = 0;
	for (unsigned int i = 0; i < 8u; i++)
		exit_code |= (uint64_t)code[i] << (8 * i);
	return exit_code != SVM_VMGEXIT_AP_HLT_LOOP;
}

static void kvm_vmgexit(void *ctx)
{
	struct gst_kvm_platform *kp = (struct gst_kvm_platform *)ctx;
	bool keep = kvm_vmgexit_keeps_msr(kp);
	/* A compiler barrier too: the VMM reads and writes the GHCB page meanwhile. */
	__asm__ volatile("outb %%al, %0" : : "i"(SNPEMU_PORT_VMGEXIT) : "memory");
	kp->ghcb_msr_cached = keep;
}

static uint64_t kvm_ghcb_msr_read(void *ctx)
{
	struct gst_kvm_platform *kp = (struct gst_kvm_platform *)ctx;
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_AMD64_SEV_ES_GHCB) : "memory");
	kp->ghcb_msr_cache = (uint64_t)hi << 32 | lo;
	kp->ghcb_msr_cached = true;
	return kp->ghcb_msr_cache;
}

static void kvm_ghcb_msr_write(void *ctx, uint64_t v)
{
	struct gst_kvm_platform *kp = (struct gst_kvm_platform *)ctx;
	if (kp->ghcb_msr_cached && kp->ghcb_msr_cache == v)
		return; /* the MSR holds v already (rule in guest.h) */
	__asm__ volatile("wrmsr" ::"c"(MSR_AMD64_SEV_ES_GHCB), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
	kp->ghcb_msr_cache = v;
	kp->ghcb_msr_cached = true;
}

static int kvm_pvalidate(void *ctx, uint64_t gpa, void *va, bool size2m, bool validate)
{
	(void)ctx;
	(void)gpa;
	uint64_t rax = (uint64_t)(uintptr_t)va;
	uint8_t no_update;
	__asm__ volatile("outb %%al, %2\n\tsetc %1"
			 : "+a"(rax), "=qm"(no_update)
			 : "i"(SNPEMU_PORT_PVALIDATE), "c"((uint64_t)(size2m ? 1u : 0u)), "d"((uint64_t)validate)
			 : "memory", "cc");
	if (no_update)
		return GST_PVALIDATE_FAIL_NOUPDATE;
	return (int)(uint32_t)rax;
}

static void *kvm_gpa_to_ptr(void *ctx, uint64_t gpa, size_t len)
{
	const struct gst_kvm_platform *kp = (const struct gst_kvm_platform *)ctx;
	/* Page 0 is the null guard (not mapped); everything else below ram_size is identity-mapped. */
	if (gpa < SNPEMU_NULL_GUARD_SIZE || gpa > kp->ram_size || len > kp->ram_size - gpa)
		return NULL;
	return (void *)(uintptr_t)gpa;
}

static bool kvm_ptr_to_gpa(void *ctx, const void *p, uint64_t *gpa)
{
	const struct gst_kvm_platform *kp = (const struct gst_kvm_platform *)ctx;
	uint64_t a = (uint64_t)(uintptr_t)p;
	if (a < SNPEMU_NULL_GUARD_SIZE || a >= kp->ram_size)
		return false;
	*gpa = a;
	return true;
}

static uint64_t kvm_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t kvm_now_us(void *ctx)
{
	const struct gst_kvm_platform *kp = (const struct gst_kvm_platform *)ctx;
	return kvm_rdtsc() / (kp->tsc_khz / 1000u);
}

static void kvm_delay_us(void *ctx, uint64_t us)
{
	const struct gst_kvm_platform *kp = (const struct gst_kvm_platform *)ctx;
	if (kp->tsc_khz < 1000u) {
		for (uint64_t i = 0; i < us; i++)
			__asm__ volatile("pause" ::: "memory");
		return;
	}
	uint64_t end = kvm_rdtsc() + us * (kp->tsc_khz / 1000u);
	do
		__asm__ volatile("pause" ::: "memory");
	while (kvm_rdtsc() < end);
}

static void kvm_putc(char ch)
{
	__asm__ volatile("outb %0, %1" : : "a"((uint8_t)ch), "Nd"((uint16_t)SNPEMU_PORT_CONSOLE) : "memory");
}

static void kvm_log(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	static const char prefix[] = "guest log: ";
	for (size_t i = 0; i + 1 < sizeof(prefix); i++)
		kvm_putc(prefix[i]);
	for (size_t i = 0; i < len; i++)
		kvm_putc(msg[i]);
	kvm_putc('\n');
}

static const struct gst_platform_ops kvm_ops = {
    .vmgexit = kvm_vmgexit,
    .ghcb_msr_read = kvm_ghcb_msr_read,
    .ghcb_msr_write = kvm_ghcb_msr_write,
    .pvalidate = kvm_pvalidate,
    .gpa_to_ptr = kvm_gpa_to_ptr,
    .ptr_to_gpa = kvm_ptr_to_gpa,
    .delay_us = kvm_delay_us,
    .now_us = kvm_now_us,
    .log = kvm_log,
    .rmpadjust = NULL, /* no RMPADJUST doorbell: gst_vmsa_mark answers GST_ENOTSUP */
};

/* Without a TSC frequency: no clock. */
static const struct gst_platform_ops kvm_ops_no_clock = {
    .vmgexit = kvm_vmgexit,
    .ghcb_msr_read = kvm_ghcb_msr_read,
    .ghcb_msr_write = kvm_ghcb_msr_write,
    .pvalidate = kvm_pvalidate,
    .gpa_to_ptr = kvm_gpa_to_ptr,
    .ptr_to_gpa = kvm_ptr_to_gpa,
    .delay_us = kvm_delay_us,
    .now_us = NULL,
    .log = kvm_log,
    .rmpadjust = NULL,
};

int gst_platform_kvm_init(struct gst_platform *plat, struct gst_kvm_platform *kp)
{
	if (!plat || !kp || kp->ram_size == 0)
		return GST_EINVAL;
	plat->ops = kp->tsc_khz >= 1000u ? &kvm_ops : &kvm_ops_no_clock;
	kp->ghcb_msr_cache = 0;
	kp->ghcb_msr_cached = false; /* a fresh vCPU's MSR holds what the hypervisor put there at RESET */
	plat->ctx = kp;
	return GST_OK;
}

#else

int gst_platform_kvm_init(struct gst_platform *plat, struct gst_kvm_platform *kp)
{
	(void)plat;
	(void)kp;
	return GST_ENOTSUP;
}

#endif

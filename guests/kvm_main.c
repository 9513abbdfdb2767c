/* SPDX-License-Identifier: MIT */
/*
 * The kvm entry of every guest program: one source for all, the program picked per ELF by -DKVM_PROGRAM=<name>
 * (guests/guests.mk).  Each vCPU arrives from guests/rt/start.S with its index and the VMM's boot argument (the
 * kvm and tcg backends' protocol, src/vmm/kvm_backend.c and tcg_backend.c): bits [31:12] the GPA of the boot
 * information page, bit 0 KVM_ARG_SNP_INSNS, bits [63:32] the guest TSC frequency in kHz (0 if unknown).  It sets up
 * the vCPU's thread-control block, builds the guest library's platform and runs the program exactly as the sim
 * backend does (gst_program_run).  The platform: with KVM_ARG_SNP_INSNS (the tcg backend, which executes the SNP
 * instructions), the `snp` platform of real hardware (rep vmmcall, pvalidate, rmpadjust, the GHCB MSR); without
 * (kvm, where a VM cannot execute them), the `kvm` platform's doorbells.  The BSP's status ends
 * the VM through rt_exit (SNPEMU_PORT_EXIT); an AP whose program returns just stops, as on sim.  The VMM runs this code
 * at CPL 3 and emulates its privileged instructions (rt_abi.h, "CPL 3"); nothing here depends on the level.
 */
#include <snpemu/abi/boot_info.h>

#include <snpemu/guest_program.h>
#include "rt.h"

#ifndef KVM_PROGRAM
#error "build with -DKVM_PROGRAM=<program name>"
#endif
#define KVM_CAT2(a, b)	a##b
#define KVM_CAT(a, b)	KVM_CAT2(a, b)
#define KVM_THE_PROGRAM KVM_CAT(gst_program_, KVM_PROGRAM)

extern const struct gst_program KVM_THE_PROGRAM;

#define MSR_FS_BASE	   0xC0000100u /* AMD APM vol 2, FS.base */
#define KVM_ARG_SNP_INSNS  0x1u	       /* boot argument bit 0: the CPU executes the SNP instructions (tcg) */
#define KVM_STATUS_SMASHED 0xEEEE0002u

/*
 * Debian's libbearssl.a (the guest library's AES-GCM) is built with the stack protector: its functions read the
 * canary at %fs:0x28, the x86-64 TLS layout of glibc (tcbhead_t.stack_guard).  Each vCPU gets a control block of
 * its own and points FS.base at it; our own code is built without the protector.
 */
struct kvm_tcb {
	uint64_t self;	    /* 0x00 */
	uint64_t unused[4]; /* 0x08..0x27 */
	uint64_t canary;    /* 0x28 */
};
_Static_assert(__builtin_offsetof(struct kvm_tcb, canary) == 0x28, "canary at %fs:0x28");
static struct kvm_tcb kvm_tcbs[SNPEMU_MAX_VCPUS];

/* What the protector and the fortified memcpy in libbearssl.a call (glibc's names and contracts). */
_Noreturn void __stack_chk_fail(void);
void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dst_len);

_Noreturn void __stack_chk_fail(void)
{
	rt_puts("guest: stack smashing detected\n");
	rt_exit(KVM_STATUS_SMASHED);
}

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dst_len)
{
	if (n > dst_len)
		__stack_chk_fail();
	return memcpy(dst, src, n);
}

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	struct kvm_tcb *tcb = &kvm_tcbs[cpu_id]; /* start.S admits only cpu_id < SNPEMU_MAX_VCPUS */
	tcb->self = (uint64_t)(uintptr_t)tcb;
	/* Unpredictable enough for a canary; the low byte zero stops string overreads (as glibc does). */
	tcb->canary = (rt_rdtsc() * 0x9E3779B97F4A7C15ull ^ (uint64_t)cpu_id << 56) & ~0xFFull;
	rt_wrmsr(MSR_FS_BASE, (uint64_t)(uintptr_t)tcb);

	if (cpu_id == 0)
		gst_rt_entry_arg = arg; /* the APs' VMSAs carry it (gst_start_aps) */
	uint64_t boot_gpa = arg & 0xFFFFF000u;
	if (boot_gpa < SNPEMU_IMAGE_GPA || boot_gpa % 4096u)
		return (int)SNPEMU_STATUS_BAD_BOOT;
	const struct snpemu_boot_info *boot = (const struct snpemu_boot_info *)(uintptr_t)boot_gpa;
	if (boot->magic != SNPEMU_BOOT_MAGIC || boot->mem_size <= boot_gpa)
		return (int)SNPEMU_STATUS_BAD_BOOT;
	struct gst_kvm_platform kp = {.ram_size = boot->mem_size, .tsc_khz = arg >> 32};
	struct gst_snp_platform sp = {.tsc_khz = arg >> 32};
	struct gst_platform plat;
	int rc = arg & KVM_ARG_SNP_INSNS ? gst_platform_snp_init(&plat, &sp) : gst_platform_kvm_init(&plat, &kp);
	if (rc != GST_OK)
		return (int)SNPEMU_STATUS_BAD_BOOT;
	int status = gst_program_run(&KVM_THE_PROGRAM, &plat, cpu_id, boot);
	if (cpu_id != 0)
		for (;;)
			__asm__ volatile("cli; hlt" ::: "memory"); /* the VMM ends this vCPU's thread on HLT */
	return status;
}

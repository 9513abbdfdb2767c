/* SPDX-License-Identifier: MIT */
/*
 * The ELF runtime's program entry (kvm, tcg), shared by the built-in programs (guests/kvm_main.c) and the SDK's
 * (sdk_main.c).  Each vCPU arrives from start.S with its index and the VMM's boot argument (the kvm and tcg
 * backends' protocol, src/vmm/kvm_backend.c and tcg_backend.c): bits [31:12] the GPA of the boot information page,
 * bit 0 RT_ARG_SNP_INSNS, bits [63:32] the guest TSC frequency in kHz (0 if unknown).  It builds the guest
 * library's platform and runs the program exactly as the sim backend does (gst_program_run).  The platform: with
 * RT_ARG_SNP_INSNS (the tcg backend, which executes the SNP instructions), the `snp` platform of real hardware (rep
 * vmmcall, pvalidate, rmpadjust, the GHCB MSR); without (kvm, where a VM cannot execute them), the `kvm`
 * platform's doorbells.  The BSP's status ends the VM through rt_exit (SNPEMU_PORT_EXIT); an AP
 * whose program returns just stops, as on sim.  The VMM runs this code at CPL 3 and emulates its privileged
 * instructions (rt_abi.h, "CPL 3"); nothing here depends on the level.
 */
#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/runtime.h>
#include <snpemu/guest_program.h>

#include "rt.h"

#define RT_ARG_SNP_INSNS 0x1u /* boot argument bit 0: the CPU executes the SNP instructions (tcg) */

/* The platform's own wait (a spin on the TSC), kept for the zero-length waits of pollers. */
static void (*rt_spin_delay_us)(void *ctx, uint64_t us);
static struct gst_platform_ops rt_ops; /* the platform's, with rt_idle_delay_us */

/*
 * The guest library's waits (the guest-request BUSY back-off, ...) idle through SNPEMU_PORT_IDLE, as a kernel
 * sleeps until a timer interrupt: the vCPU's thread sleeps in the VMM for the time asked, and tcg moves the virtual
 * TSC by as much.  A spin on the TSC would not do on tcg, whose virtual TSC moves 1 ms per RDTSC: a 2 s back-off
 * would pass in a few ms of host time while the host's guest-request rate limit counts host time, and a
 * rate-limited guest would give up.
 */
static void rt_idle_delay_us(void *ctx, uint64_t us)
{
	if (!us) {
		rt_spin_delay_us(ctx, 0);
		return;
	}
	while (us) {
		uint32_t n = us < SNPEMU_IDLE_MAX_US ? (uint32_t)us : SNPEMU_IDLE_MAX_US;
		rt_outl(SNPEMU_PORT_IDLE, n);
		us -= n;
	}
}

int gst_rt_program_main(const struct gst_program *p, uint32_t cpu_id, uint64_t arg)
{
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
	int rc = arg & RT_ARG_SNP_INSNS ? gst_platform_snp_init(&plat, &sp) : gst_platform_kvm_init(&plat, &kp);
	if (rc != GST_OK)
		return (int)SNPEMU_STATUS_BAD_BOOT;
	if (cpu_id == 0) { /* before any AP starts (the BSP's program starts them); static: the #VC handler and
			    * the exit path use the ops after this function returned */
		rt_ops = *plat.ops;
		rt_spin_delay_us = plat.ops->delay_us;
		rt_ops.delay_us = rt_idle_delay_us;
	}
	plat.ops = &rt_ops;
	int status = gst_program_run(p, &plat, cpu_id, boot);
	if (cpu_id != 0)
		for (;;)
			__asm__ volatile("cli; hlt" ::: "memory"); /* the VMM ends this vCPU's thread on HLT */
	return status;
}

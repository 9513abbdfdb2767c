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
#include <snpemu/guest_program.h>

#include "rt.h"

#define RT_ARG_SNP_INSNS 0x1u /* boot argument bit 0: the CPU executes the SNP instructions (tcg) */

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
	int status = gst_program_run(p, &plat, cpu_id, boot);
	if (cpu_id != 0)
		for (;;)
			__asm__ volatile("cli; hlt" ::: "memory"); /* the VMM ends this vCPU's thread on HLT */
	return status;
}

/* SPDX-License-Identifier: MIT */
/*
 * The SNP launch as a VMM drives it (SNP_LAUNCH_START / UPDATE / FINISH through the firmware model): image pages
 * and the boot information page as NORMAL, the secrets page, the CPUID page (retried once with the firmware's
 * corrected table, as QEMU does), the BSP VMSA; then the rest of RAM becomes guest-owned (private, not yet
 * validated), as guest_memfd-backed memory is for an SNP guest.
 */
#include <errno.h>
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/abi/page_info.h>
#include <snpemu/names.h>

#include "vmm/vmm_internal.h"

#define PAGE 4096u

/* The page at gpa as the launch sees it (the firmware reads and measures it in place). */
static uint8_t *launch_page(struct vmm_vm *vm, uint64_t gpa)
{
	return vmm_guest_ptr(vm, gpa, PAGE, VMM_ACCESS_LAUNCH, NULL);
}

static int update(struct vmm_vm *vm, enum snp_page_type type, uint64_t gpa)
{
	uint8_t *page = launch_page(vm, gpa);
	if (!page)
		return -EFAULT;
	uint32_t st = fw_launch_update(vm->fw_guest, type, gpa, page, NULL);
	if (st != SEV_RET_SUCCESS) {
		const char *n = snpemu_fw_status_name(st);
		fprintf(vm->err, "snpemu: SNP_LAUNCH_UPDATE type %d at 0x%llx failed: %s (0x%x)\n", type,
			(unsigned long long)gpa, n ? n : "unknown", st);
		return -EIO;
	}
	return 0;
}

/* The BSP's initial VMSA: 64-bit state at the image entry with the VM's SEV features (the values a VMM would load
 * before LAUNCH_UPDATE; the sim backend does not execute it, the kvm backend starts at the same entry). */
static void build_bsp_vmsa(struct vmm_vm *vm, uint8_t page[PAGE])
{
	memset(page, 0, PAGE);
	le64_store(page + 0xD0, 0x1500);		   /* EFER: SCE, LME, LMA, SVME */
	le64_store(page + 0x148, 0x6A0);		   /* CR4: PAE, OSFXSR, OSXMMEXCPT, PGE */
	le64_store(page + 0x158, 0x80050033);		   /* CR0: PE, MP, ET, NE, WP, PG */
	le64_store(page + 0x170, 0x2);			   /* RFLAGS */
	le64_store(page + 0x178, SNPEMU_IMAGE_GPA);	   /* RIP: the image entry */
	le64_store(page + 0x268, 0x0007040600070406ull);   /* G_PAT */
	le64_store(page + SNP_VMSA_OFF_SEV_FEATURES, 0x1); /* SNPActive */
	le64_store(page + 0x3E8, 0x1);			   /* XCR0 */
	(void)vm;
}

int vmm_launch(struct vmm_vm *vm, uint64_t image_len)
{
	if (image_len > SNPEMU_BOOT_INFO_GPA - SNPEMU_IMAGE_GPA) {
		fprintf(vm->err, "snpemu: guest image of %llu bytes does not fit below 16 MiB\n",
			(unsigned long long)image_len);
		return -EINVAL;
	}
	uint64_t image_end = SNPEMU_IMAGE_GPA + ((image_len + PAGE - 1) & ~(uint64_t)(PAGE - 1));

	uint64_t policy = vm->cfg.policy;
	uint32_t st = fw_launch_start(vm->fw_guest, policy, NULL);
	if (st != SEV_RET_SUCCESS) {
		const char *n = snpemu_fw_status_name(st);
		fprintf(vm->err, "snpemu: SNP_LAUNCH_START with policy 0x%llx failed: %s (0x%x)\n",
			(unsigned long long)policy, n ? n : "unknown", st);
		return -EINVAL;
	}
	for (uint64_t gpa = SNPEMU_IMAGE_GPA; gpa < image_end; gpa += PAGE)
		if (update(vm, SNP_PAGE_TYPE_NORMAL, gpa))
			return -EIO;
	if (update(vm, SNP_PAGE_TYPE_NORMAL, SNPEMU_BOOT_INFO_GPA) ||
	    update(vm, SNP_PAGE_TYPE_SECRETS, SNPEMU_SECRETS_GPA))
		return -EIO;

	struct hv_cpuid_entry t[64];
	size_t n = vmm_cpuid_table(t, 64, true, vm->nvcpus, vmm_cpuid_fms(vm));
	uint8_t *cpuid = launch_page(vm, SNPEMU_CPUID_PAGE_GPA), *vmsa = launch_page(vm, SNPEMU_BSP_VMSA_GPA);
	if (!cpuid || !vmsa)
		return -EFAULT;
	vmm_cpuid_page(cpuid, t, n);
	st = fw_launch_update(vm->fw_guest, SNP_PAGE_TYPE_CPUID, SNPEMU_CPUID_PAGE_GPA, cpuid, NULL);
	if (st != SEV_RET_SUCCESS) {
		/* The firmware wrote its corrected table into the page: launch with it, as QEMU does. */
		fprintf(vm->err, "snpemu: the firmware corrected the CPUID page (status 0x%x); retrying\n", st);
		if (update(vm, SNP_PAGE_TYPE_CPUID, SNPEMU_CPUID_PAGE_GPA))
			return -EIO;
	}
	build_bsp_vmsa(vm, vmsa);
	if (update(vm, SNP_PAGE_TYPE_VMSA, SNPEMU_BSP_VMSA_GPA))
		return -EIO;
	st = fw_launch_finish(vm->fw_guest, NULL);
	if (st != SEV_RET_SUCCESS) {
		fprintf(vm->err, "snpemu: SNP_LAUNCH_FINISH failed: 0x%x\n", st);
		return -EIO;
	}
	struct fw_guest_context ctx;
	fw_guest_export(vm->fw_guest, &ctx);
	memcpy(vm->res->measurement, ctx.ld.digest, 48);
	memset(&ctx, 0, sizeof(ctx)); /* it holds the VMPCKs */
	vm->res->launched = true;

	/* Everything the launch did not measure is guest-owned and unvalidated until the guest validates it. */
	struct fw_rmp *rmp = fw_guest_rmp(vm->fw_guest);
	const uint64_t ranges[][2] = {
	    {0, SNPEMU_IMAGE_GPA},
	    {image_end, SNPEMU_BOOT_INFO_GPA},
	    {SNPEMU_BSP_VMSA_GPA + PAGE, vm->mem_size},
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (ranges[i][1] <= ranges[i][0])
			continue;
		int rc = fw_rmp_set_private(rmp, ranges[i][0], (ranges[i][1] - ranges[i][0]) / PAGE, true);
		if (rc)
			return rc;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The SNP wiring of the engine: the firmware behind guest requests, the rate limit, AP creation and the
 * certificates served to extended requests. */
#include <errno.h>
#include <string.h>

#include <snpemu/abi/run.h>

#include "vmm/vmm_internal.h"

int vmm_vm_init_snp(struct vmm_vm *vm)
{
	(void)vm;
	return 0;
}

/* SNP_REQ_CERTS: write the certificate table into the guest's npages pages at gpa (KVM 7.0 contract: ret 0, or
 * ENOSPC with npages = pages needed, EAGAIN, EIO). */
bool vmm_handle_req_certs(struct vmm_vm *vm, struct snpemu_run *run)
{
	size_t needed = 0;
	int rc = fw_cert_table_build(vm->fw_platform, NULL, 0, &needed);
	if (rc && rc != -ENOSPC) {
		run->snp_req_certs.ret = EIO;
		return true;
	}
	uint64_t pages = (needed + 4095) / 4096;
	if (run->snp_req_certs.npages < pages) {
		run->snp_req_certs.npages = pages;
		run->snp_req_certs.ret = ENOSPC;
		return true;
	}
	uint64_t gpa = run->snp_req_certs.gpa;
	if (gpa > vm->mem_size || pages * 4096 > vm->mem_size - gpa) {
		run->snp_req_certs.ret = EIO;
		return true;
	}
	rc = fw_cert_table_build(vm->fw_platform, vm->mem + gpa, pages * 4096, &needed);
	run->snp_req_certs.ret = rc ? EIO : 0;
	return true;
}

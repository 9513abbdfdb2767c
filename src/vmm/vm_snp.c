/* SPDX-License-Identifier: MIT */
/*
 * The SNP wiring of the engine: the firmware behind guest requests, the rate limit, certificates for extended
 * requests (SNP_REQ_CERTS: the platform's chain, or a table file through the certificate provider) and AP creation
 * (the engine calls us on the creating vCPU's thread; we start the target vCPU).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <snpemu/abi/run.h>
#include <snpemu/abi/svm_exit.h>

#include "vmm/certs_provider.h"
#include "vmm/vmm_internal.h"

static int ap_handler(void *ctx, const struct hv_ap_request *req)
{
	struct vmm_vm *vm = ctx;
	if (req->apic_id == 0 || req->apic_id >= vm->nvcpus)
		return -EINVAL; /* no such AP: the guest gets INVALID_INPUT */
	switch (req->request) {
	case SVM_VMGEXIT_AP_CREATE:
		/* KVM kicks the target, which then runs from the new VMSA.  The sim backend runs the program's AP
		 * entry (its code is in this process; the VMSA's register state is not executed); the kvm backend
		 * starts a KVM vCPU at the program ELF's entry (src/vmm/kvm_backend.c says why). */
		return vm->kvm ? vmm_kvm_start_vcpu(vm, req->apic_id) : vmm_sim_start_vcpu(vm, req->apic_id);
	case SVM_VMGEXIT_AP_CREATE_ON_INIT:
	case SVM_VMGEXIT_AP_DESTROY:
		/* Recorded by the engine on the target (hv_vcpu_ap_take_update); nothing to start now. */
		return 0;
	default:
		return -EINVAL;
	}
}

int vmm_vm_init_snp(struct vmm_vm *vm)
{
	int rc;
	uint64_t millirate = 0;
	uint32_t burst = 0;
	if (vm->cfg.rate > 0) {
		/* Fractional rates are honoured to a thousandth of a request per second, never rounded to 0. */
		millirate = (uint64_t)llround(vm->cfg.rate * 1000.0);
		millirate = millirate ? millirate : 1;
		burst = vm->cfg.burst ? vm->cfg.burst : 1;
	}
	if ((rc = hv_vm_set_firmware(vm->hv, vm->fw_guest)) ||
	    (rc = hv_vm_set_guest_req_limit_milli(vm->hv, millirate, burst)) ||
	    (rc = hv_vm_enable_req_certs(vm->hv, 1)) || (rc = hv_vm_set_ap_handler(vm->hv, ap_handler, vm)))
		return rc;
	if (vm->cfg.certs_file) {
		rc = vmm_certs_provider_create(vm->cfg.certs_file, &vm->certs);
		if (rc)
			return rc;
	}
	return 0;
}

void vmm_vm_fini_snp(struct vmm_vm *vm)
{
	if (vm->hv)
		hv_vm_set_firmware(vm->hv, NULL);
	vmm_certs_provider_destroy(vm->certs);
	vm->certs = NULL;
}

static int write_guest(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	struct vmm_vm *vm = ctx;
	if (gpa > vm->mem_size || len > vm->mem_size - gpa)
		return -EFAULT;
	memcpy(vm->mem + gpa, buf, len);
	return 0;
}

/* SNP_REQ_CERTS: write the certificate table into the guest's npages pages at gpa (KVM 7.0 contract: ret 0, or
 * ENOSPC with npages = pages needed, EAGAIN, EIO). */
bool vmm_handle_req_certs(struct vmm_vm *vm, struct snpemu_run *run)
{
	if (vm->certs) {
		vmm_certs_complete_exit(vm->certs, run, write_guest, vm);
		return true;
	}
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

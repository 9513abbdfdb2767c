/* SPDX-License-Identifier: MIT */
/*
 * SNP guest requests (spec §10; KVM snp_handle_guest_req, snp_handle_ext_guest_req, snp_complete_req_certs):
 * bounce pages, the per-VM rate limit before the firmware (docs/architecture.md rule 6), one request at the firmware
 * per VM, the SNP_REQ_CERTS exit for extended report requests.  Every step that can need the VMM (a memory fault, the
 * certificate exit) is a continuation, so a retry never sends a message to the firmware twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/fw.h>

#include "hv_internal.h"

#define EMPTY_CERT_TABLE_LEN 24u /* one all-zero table entry: the terminator (KVM's stub, spec §10) */

static int answer(struct hv_vcpu *v, uint32_t vmm_err, uint32_t fw_status)
{
	/* Guest-request results: SW_EXITINFO1 = 0 (no action), the status in SW_EXITINFO2. */
	hv_resp_set(v, HV_F_INFO1, 0);
	hv_resp_set(v, HV_F_INFO2, SNP_GUEST_ERR(vmm_err, fw_status));
	return hv_nae_finish(v);
}

static int gr_writeback(struct hv_vcpu *v)
{
	/* KVM writes the response page back even when the firmware failed; our firmware leaves the bounce page
	 * untouched then, and it was cleared before the call, so nothing of an earlier request leaks. */
	if (hv_mem_write(v, v->snap.info2, v->gr_resp, SNP_MSG_PAGE_SIZE))
		return hv_exit_memory_fault(v, gr_writeback);
	return answer(v, 0, v->ev.gr.status);
}

static int gr_firmware(struct hv_vcpu *v)
{
	struct hv_vm *vm = v->vm;
	/* One request at the firmware per VM (KVM guest_req_mutex); the copies are this vCPU's own. */
	pthread_mutex_lock(&vm->guest_req_lock);
	memset(v->gr_resp, 0, SNP_MSG_PAGE_SIZE);
	v->ev.gr.status = fw_guest_request(vm->fw, v->gr_req, v->gr_resp);
	pthread_mutex_unlock(&vm->guest_req_lock);
	v->ev.gr.have_resp = true;
	return gr_writeback(v);
}

static int gr_certs_exit(struct hv_vcpu *v);

static int gr_certs_redeliver(struct hv_vcpu *v)
{
	return gr_certs_exit(v);
}

static int gr_certs_complete(struct hv_vcpu *v)
{
	struct snpemu_run *run = v->run;
	uint64_t ret = run->snp_req_certs.ret;
	switch (ret) {
	case 0: /* the certificates are in the guest's pages */
		return gr_firmware(v);
	case ENOSPC:
		hv_resp_set(v, HV_F_RBX, run->snp_req_certs.npages);
		return answer(v, SNP_GUEST_VMM_ERR_INVALID_LEN, 0);
	case EAGAIN:
		return answer(v, SNP_GUEST_VMM_ERR_BUSY, 0);
	case EIO:
		return answer(v, SNP_GUEST_VMM_ERR_GENERIC, 0);
	default:
		/* KVM fails KVM_RUN with -EINVAL; we give the VMM a defined exit and ask again (hv.h). */
		run->exit_reason = SNPEMU_EXIT_INTERNAL_ERROR;
		run->internal.suberror = HV_INTERNAL_ERROR_BAD_COMPLETION;
		run->internal.ndata = 2;
		run->internal.data[0] = SNPEMU_EXIT_SNP_REQ_CERTS;
		run->internal.data[1] = ret;
		v->complete = gr_certs_redeliver;
		return 0;
	}
}

static int gr_certs_exit(struct hv_vcpu *v)
{
	struct snpemu_run *run = v->run;
	run->exit_reason = SNPEMU_EXIT_SNP_REQ_CERTS;
	run->snp_req_certs.gpa = v->snap.rax; /* page-aligned: checked */
	run->snp_req_certs.npages = v->snap.rbx;
	run->snp_req_certs.ret = 0;
	v->complete = gr_certs_complete;
	return 0;
}

static int gr_start(struct hv_vcpu *v)
{
	struct hv_vm *vm = v->vm;
	const struct hv_snapshot *s = &v->snap;
	if (!v->gr_req || !v->gr_resp) {
		if (!v->gr_req)
			v->gr_req = hv_host_realloc(v, NULL, SNP_MSG_PAGE_SIZE);
		if (!v->gr_resp)
			v->gr_resp = hv_host_realloc(v, NULL, SNP_MSG_PAGE_SIZE);
		if (!v->gr_req || !v->gr_resp)
			return hv_exit_enomem(v, gr_start);
	}
	/* Both pages are shared guest pages: the request is copied once (KVM kvm_read_guest into its bounce page),
	 * and the response page is probed before the firmware consumes a sequence number for it. */
	if (hv_mem_read(v, s->info1, v->gr_req, SNP_MSG_PAGE_SIZE))
		return hv_exit_memory_fault(v, gr_start);
	if (!hv_mem_map(v, s->info2, SNP_MSG_PAGE_SIZE))
		return hv_exit_memory_fault(v, gr_start);

	/* The message type comes from our copy, so it is the one the firmware will see (KVM reads the byte from
	 * guest memory separately). */
	struct hv_guest_req_state *gr = &v->ev.gr;
	gr->report = gr->ext && v->gr_req[SNP_MSG_OFF_TYPE] == SNP_MSG_REPORT_REQ;
	if (gr->report) {
		const uint32_t need = HV_FB(HV_F_RAX) | HV_FB(HV_F_RBX);
		if ((s->valid & need) != need || (s->rax & ~HV_PAGE_MASK))
			return hv_nae_error(v, GHCB_ERR_INVALID_INPUT);
	}
	if (!gr->admitted) {
		if (!hv_rate_limit_admit(vm))
			return answer(v, SNP_GUEST_VMM_ERR_BUSY, 0);
		gr->admitted = true;
	}
	if (!vm->fw)
		return answer(v, SNP_GUEST_VMM_ERR_GENERIC, 0); /* the VMM attached no firmware (hv.h) */
	if (gr->report) {
		if (vm->req_certs)
			return gr_certs_exit(v);
		/* KVM <= 6.19 stub: an empty certificate table when the guest gave pages. */
		static const uint8_t empty[EMPTY_CERT_TABLE_LEN];
		if (s->rbx && hv_mem_write(v, s->rax, empty, sizeof(empty)))
			return hv_exit_memory_fault(v, gr_start);
	}
	return gr_firmware(v);
}

int hv_nae_guest_request(struct hv_vcpu *v)
{
	v->ev.gr = (struct hv_guest_req_state){.ext = v->snap.exit_code == SVM_VMGEXIT_EXT_GUEST_REQUEST};
	return gr_start(v);
}

int hv_vm_set_firmware(struct hv_vm *vm, struct fw_guest *fw)
{
	if (!vm || !hv_vm_is_snp(vm))
		return -EINVAL;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	vm->fw = fw;
	pthread_rwlock_unlock(&vm->cfg_lock);
	return 0;
}

int hv_vm_enable_req_certs(struct hv_vm *vm, int enable)
{
	if (!vm)
		return -EINVAL;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	vm->req_certs = enable != 0;
	pthread_rwlock_unlock(&vm->cfg_lock);
	return 0;
}

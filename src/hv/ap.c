/* SPDX-License-Identifier: MIT */
/*
 * SNP AP creation (spec §12; KVM sev_snp_ap_creation): checks, the target vCPU's VMSA state and pending update, and
 * the VMM's handler (hv.h).  Every failure is GHCB_ERR_INVALID_INPUT, as KVM answers every -EINVAL of the handler.
 */
#include <errno.h>
#include <string.h>

#include <snpemu/abi/svm_exit.h>

#include "hv_internal.h"

#define HV_2M_MASK ((2ull << 20) - 1)

/* The VMSA page must be guest-owned: a slot backs it and the page-state hook calls it private.  Without a hook all
 * memory is shared, so no page qualifies.  KVM checks only page_address_valid here and resolves the page through
 * guest_memfd at INIT (an AP whose lookup fails stays halted); we refuse at the request, where the guest hears it. */
static bool vmsa_page_guest_owned(const struct hv_vm *vm, uint64_t gpa)
{
	bool backed = false;
	for (unsigned int i = 0; i < HV_MAX_MEMSLOTS; i++) {
		const struct hv_memslot *s = &vm->slots[i];
		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size && s->size - (gpa - s->gpa) >= HV_PAGE_SIZE)
			backed = true;
	}
	return backed && vm->host_access && vm->host_access(vm->host_access_ctx, gpa, HV_PAGE_SIZE) != 0;
}

static bool ap_request_valid(const struct hv_vcpu *v, uint32_t request, uint64_t vmsa)
{
	const struct hv_snapshot *s = &v->snap;
	switch (request) {
	case SVM_VMGEXIT_AP_CREATE_ON_INIT:
	case SVM_VMGEXIT_AP_CREATE:
		/* KVM order: SEV features, page_address_valid, then the 2 MiB erratum (an RMPADJUSTed 2 MiB-aligned
		 * VMSA can collide with a huge page's RMP entry). */
		if (s->rax != v->vm->cfg.sev_features)
			return false;
		if ((vmsa & ~HV_PAGE_MASK) || (vmsa >> 52) != 0) /* page_address_valid: aligned, below MAXPHYADDR */
			return false;
		if ((vmsa & HV_2M_MASK) == 0)
			return false;
		return vmsa_page_guest_owned(v->vm, vmsa);
	case SVM_VMGEXIT_AP_DESTROY:
		return true;
	default:
		return false;
	}
}

int hv_nae_ap_creation(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	struct hv_vm *vm = v->vm;
	uint32_t request = SVM_VMGEXIT_AP_REQUEST(s->info1);
	uint32_t apic_id = SVM_VMGEXIT_AP_APIC_ID(s->info1);
	uint64_t vmsa = request == SVM_VMGEXIT_AP_DESTROY ? 0 : s->info2;
	if (!ap_request_valid(v, request, vmsa))
		return hv_nae_error(v, GHCB_ERR_INVALID_INPUT);

	struct hv_vcpu *target = NULL;
	pthread_mutex_lock(&vm->vcpus_lock);
	for (struct hv_vcpu *t = vm->vcpus; t; t = t->next)
		if (t->id == apic_id)
			target = t;
	if (!target && !vm->ap_handler) {
		pthread_mutex_unlock(&vm->vcpus_lock);
		return hv_nae_error(v, GHCB_ERR_INVALID_INPUT); /* kvm_get_vcpu_by_id failed */
	}
	if (target) {
		/* The target's snp_vmsa_mutex. */
		pthread_mutex_lock(&target->ap_lock);
		target->vmsa_valid = request != SVM_VMGEXIT_AP_DESTROY;
		target->vmsa_gpa = vmsa;
		/* snp_ap_waiting_for_reset; the VMM acts now (CREATE, DESTROY) or at INIT (CREATE_ON_INIT). */
		target->ap_pending = true;
		target->ap_update = (struct hv_ap_update){.request = request, .creator_id = v->id, .vmsa_gpa = vmsa};
		pthread_mutex_unlock(&target->ap_lock);
	}
	pthread_mutex_unlock(&vm->vcpus_lock);

	if (vm->ap_handler) {
		const struct hv_ap_request req = {
		    .apic_id = apic_id, .request = request, .vmsa_gpa = vmsa, .target = target};
		if (vm->ap_handler(vm->ap_ctx, &req) != 0)
			return hv_nae_error(v, GHCB_ERR_INVALID_INPUT);
	}
	return hv_nae_finish(v);
}

int hv_vm_set_ap_handler(struct hv_vm *vm, hv_ap_fn fn, void *ctx)
{
	if (!vm)
		return -EINVAL;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	vm->ap_handler = fn;
	vm->ap_ctx = fn ? ctx : NULL;
	pthread_rwlock_unlock(&vm->cfg_lock);
	return 0;
}

int hv_vcpu_ap_take_update(struct hv_vcpu *v, struct hv_ap_update *out)
{
	if (!v || !out)
		return -EINVAL;
	pthread_mutex_lock(&v->ap_lock);
	int pending = v->ap_pending;
	if (pending) {
		*out = v->ap_update;
		v->ap_pending = false;
	}
	pthread_mutex_unlock(&v->ap_lock);
	return pending;
}

int hv_vcpu_snp_vmsa(struct hv_vcpu *v, uint64_t *gpa)
{
	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->ap_lock);
	int valid = v->vmsa_valid;
	if (valid && gpa)
		*gpa = v->vmsa_gpa;
	pthread_mutex_unlock(&v->ap_lock);
	return valid;
}

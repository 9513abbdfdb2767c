/* SPDX-License-Identifier: MIT */
/*
 * NAE handlers without an exit family of their own: DR7, RDTSC(P), RDPMC, the no-action events, AP reset hold,
 * AP jump table, HV features, termination and the unsupported event (spec §3, §11, §12).
 */
#include <snpemu/abi/svm_exit.h>

#include "hv_internal.h"

/* dr_interception returns at once for SEV-ES: KVM cannot touch DR7 (spec §3). */
int hv_nae_dr7_read(struct hv_vcpu *v)
{
	return hv_nae_finish(v);
}

int hv_nae_dr7_write(struct hv_vcpu *v)
{
	return hv_nae_finish(v);
}

/* INVD, WBINVD, MONITOR, MWAIT, NMI_COMPLETE: nothing for a userspace engine to do but acknowledge. */
int hv_nae_no_action(struct hv_vcpu *v)
{
	return hv_nae_finish(v);
}

/* The guest TSC runs at 1 GHz from VM creation (plus what it had counted before a live migration): the engine has
 * no hardware TSC to offset. */
static uint64_t guest_tsc(const struct hv_vcpu *v)
{
	return hv_now_ns() - v->vm->tsc_epoch_ns + v->vm->tsc_carry_ns;
}

int hv_nae_rdtsc(struct hv_vcpu *v)
{
	uint64_t tsc = guest_tsc(v);
	hv_resp_set(v, HV_F_RAX, (uint32_t)tsc);
	hv_resp_set(v, HV_F_RDX, tsc >> 32);
	return hv_nae_finish(v);
}

int hv_nae_rdtscp(struct hv_vcpu *v)
{
	uint64_t tsc = guest_tsc(v);
	hv_resp_set(v, HV_F_RAX, (uint32_t)tsc);
	hv_resp_set(v, HV_F_RDX, tsc >> 32);
	hv_resp_set(v, HV_F_RCX, v->id); /* TSC_AUX = vCPU id */
	return hv_nae_finish(v);
}

/* No virtual PMU: kvm_emulate_rdpmc injects #GP for a counter that does not exist. */
int hv_nae_rdpmc(struct hv_vcpu *v)
{
	return hv_nae_exception(v, GHCB_EXCEPTION_GP);
}

static int ap_hold_nae_complete(struct hv_vcpu *v)
{
	/* Woken by SIPI: svm_vmgexit_success(svm, 1) (spec §12). */
	hv_resp_set(v, HV_F_INFO2, 1);
	return hv_nae_finish(v);
}

int hv_nae_ap_hlt_loop(struct hv_vcpu *v)
{
	v->run->exit_reason = SNPEMU_EXIT_AP_RESET_HOLD;
	v->complete = ap_hold_nae_complete;
	return 0;
}

int hv_nae_ap_jump_table(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	switch (s->info1) {
	case SVM_VMGEXIT_SET_AP_JUMP_TABLE:
		atomic_store(&v->vm->ap_jump_table, s->info2);
		return hv_nae_finish(v);
	case SVM_VMGEXIT_GET_AP_JUMP_TABLE:
		hv_resp_set(v, HV_F_INFO2, atomic_load(&v->vm->ap_jump_table));
		return hv_nae_finish(v);
	default:
		return hv_nae_error(v, GHCB_ERR_INVALID_INPUT);
	}
}

int hv_nae_hv_features(struct hv_vcpu *v)
{
	/* KVM advertises SNP | SNP_AP_CREATION to every SEV-ES/SNP guest (spec §12). */
	hv_resp_set(v, HV_F_INFO2, GHCB_HV_FT_SUPPORTED);
	return hv_nae_finish(v);
}

int hv_nae_term_request(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	const uint64_t data[4] = {s->ghcb_gpa, SVM_VMGEXIT_TERM_SET(s->info1), SVM_VMGEXIT_TERM_CODE(s->info1),
				  s->info2};
	return hv_exit_sev_term(v, data, 4);
}

static int unsupported_complete(struct hv_vcpu *v)
{
	return hv_nae_finish(v);
}

/* KVM fails KVM_RUN with -EINVAL; the VMM gets a defined INTERNAL_ERROR exit instead (hv.h). */
int hv_nae_unsupported_event(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	struct snpemu_run *run = v->run;
	run->exit_reason = SNPEMU_EXIT_INTERNAL_ERROR;
	run->internal.suberror = HV_INTERNAL_ERROR_UNSUPPORTED_EVENT;
	run->internal.ndata = 3;
	run->internal.data[0] = s->exit_code;
	run->internal.data[1] = s->info1;
	run->internal.data[2] = s->info2;
	v->complete = unsupported_complete;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * GHCB MSR protocol (KVM sev_handle_vmgexit_msr_protocol, spec §7): a table of the requests the engine answers.
 * Unknown requests leave the MSR as written and resume the guest, as KVM.
 */
#include <string.h>

#include <snpemu/abi/msr_proto.h>

#include "hv_internal.h"

static int sev_info(struct hv_vcpu *v, uint64_t msr)
{
	const struct hv_vm *vm = v->vm;
	v->ghcb_msr = ghcb_msr_sev_info(vm->cfg.ghcb_version, GHCB_PROTOCOL_MIN, vm->cfg.cbit);
	return 1;
}

static int cpuid_req(struct hv_vcpu *v, uint64_t msr)
{
	uint32_t r[4];
	/* KVM runs its CPUID handler with RCX = 0: no sub-leaf through the MSR protocol. */
	hv_cpuid_lookup(v, ghcb_msr_cpuid_fn(msr), 0, r);
	v->ghcb_msr = ghcb_msr_cpuid_resp(msr, r[ghcb_msr_cpuid_reg(msr)]);
	return 1;
}

static int ap_hold_complete(struct hv_vcpu *v)
{
	v->ghcb_msr = ghcb_msr_ap_reset_hold_resp(1); /* woken by SIPI */
	return 1;
}

static int ap_reset_hold(struct hv_vcpu *v, uint64_t msr)
{
	v->ghcb_msr = ghcb_msr_ap_reset_hold_resp(0);
	v->run->exit_reason = SNPEMU_EXIT_AP_RESET_HOLD;
	v->complete = ap_hold_complete;
	return 0;
}

static int pref_gpa(struct hv_vcpu *v, uint64_t msr)
{
	v->ghcb_msr = ghcb_msr_pref_gpa_resp(GHCB_MSR_PREF_GPA_NONE);
	return 1;
}

static int reg_gpa(struct hv_vcpu *v, uint64_t msr)
{
	/* KVM stores the GPA without validation and echoes it (spec §7). */
	uint64_t gfn = ghcb_msr_gfn(msr);
	v->registered_ghcb_gpa = gfn << 12;
	v->ghcb_registered = true;
	v->ghcb_msr = ghcb_msr_reg_gpa_resp(gfn);
	return 1;
}

static int hv_features(struct hv_vcpu *v, uint64_t msr)
{
	v->ghcb_msr = ghcb_msr_hv_ft_resp(GHCB_HV_FT_SUPPORTED);
	return 1;
}

static int term_req(struct hv_vcpu *v, uint64_t msr)
{
	const uint64_t data[3] = {msr, ghcb_msr_term_set(msr), ghcb_msr_term_code(msr)};
	return hv_exit_sev_term(v, data, 3);
}

const struct hv_msr_proto_row hv_msr_proto_rows[] = {
    {GHCB_MSR_SEV_INFO_REQ, "SEV_INFO_REQ", 0, sev_info},
    {GHCB_MSR_CPUID_REQ, "CPUID_REQ", 0, cpuid_req},
    {GHCB_MSR_AP_RESET_HOLD_REQ, "AP_RESET_HOLD_REQ", 0, ap_reset_hold},
    {GHCB_MSR_PREF_GPA_REQ, "PREF_GPA_REQ", HV_ROW_SNP_ONLY, pref_gpa},
    {GHCB_MSR_REG_GPA_REQ, "REG_GPA_REQ", HV_ROW_SNP_ONLY, reg_gpa},
    {GHCB_MSR_PSC_REQ, "PSC_REQ", HV_ROW_SNP_ONLY, hv_msr_psc},
    {GHCB_MSR_HV_FT_REQ, "HV_FT_REQ", 0, hv_features},
    {GHCB_MSR_TERM_REQ, "TERM_REQ", 0, term_req},
};
const unsigned int hv_msr_proto_row_count = sizeof(hv_msr_proto_rows) / sizeof(hv_msr_proto_rows[0]);

static int term_redeliver(struct hv_vcpu *v)
{
	return hv_exit_sev_term(v, v->ev.term.info, v->ev.term.ndata);
}

int hv_exit_sev_term(struct hv_vcpu *v, const uint64_t *data, uint32_t ndata)
{
	struct snpemu_run *run = v->run;
	if (data != v->ev.term.info) {
		memcpy(v->ev.term.info, data, ndata * sizeof(*data));
		v->ev.term.ndata = ndata;
	}
	run->exit_reason = SNPEMU_EXIT_SYSTEM_EVENT;
	run->system_event.type = SNPEMU_SYSTEM_EVENT_SEV_TERM;
	run->system_event.ndata = ndata;
	memset(run->system_event.data, 0, sizeof(run->system_event.data));
	memcpy(run->system_event.data, data, ndata * sizeof(*data));
	v->terminated = true;
	v->complete = term_redeliver; /* a terminated vCPU does not run again until hv_vcpu_reset */
	return 0;
}

int hv_msr_protocol(struct hv_vcpu *v, uint64_t msr)
{
	uint32_t info = GHCB_MSR_INFO(msr);
	for (unsigned int i = 0; i < hv_msr_proto_row_count; i++) {
		const struct hv_msr_proto_row *row = &hv_msr_proto_rows[i];
		if (row->info != info)
			continue;
		v->stat_slot = hv_nae_row_count + i;
		/* SNP-only requests from a SEV-ES VM: KVM goes to out_terminate with data[0] = the request. */
		if ((row->flags & HV_ROW_SNP_ONLY) && !hv_vm_is_snp(v->vm))
			return hv_exit_sev_term(v, &msr, 1);
		return row->handler(v, msr);
	}
	v->stat_slot = hv_stat_slot_other();
	return 1;
}

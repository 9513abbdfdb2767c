/* SPDX-License-Identifier: MIT */
/*
 * MSR NAE (0x7C): RCX index, SW_EXITINFO1 != 0 a write of RDX:EAX (KVM msr_interception).  The VMM's policy
 * decides whether the engine answers or the VMM gets an X86_RDMSR/X86_WRMSR exit; a fault comes back as "issue
 * exception #GP" with SW_EXITINFO2 = 0x8000030D (svm_complete_emulated_msr, spec §4).
 */
#include <snpemu/abi/msr_proto.h>

#include "hv_internal.h"

static int answer_read(struct hv_vcpu *v, uint64_t value)
{
	hv_resp_set(v, HV_F_RAX, (uint32_t)value);
	hv_resp_set(v, HV_F_RDX, value >> 32);
	return hv_nae_finish(v);
}

static int msr_complete(struct hv_vcpu *v)
{
	if (v->run->msr.error)
		return hv_nae_exception(v, GHCB_EXCEPTION_GP);
	if (v->ev.msr.write)
		return hv_nae_finish(v);
	return answer_read(v, v->run->msr.data);
}

int hv_nae_msr(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	const struct hv_vm *vm = v->vm;
	uint32_t index = (uint32_t)s->rcx;
	bool write = s->info1 != 0;
	uint64_t data = s->rdx << 32 | (uint32_t)s->rax;
	const struct hv_msr_rule *rule = NULL;
	for (size_t i = 0; i < vm->msr_rules_n; i++) {
		if (index >= vm->msr_rules[i].first && index <= vm->msr_rules[i].last) {
			rule = &vm->msr_rules[i];
			break;
		}
	}
	if (!rule && !write && index == MSR_AMD64_SEV) {
		/* SEV_STATUS as the guest of this VM type sees it (APM vol 2 §15.34.10). */
		uint64_t status = MSR_AMD64_SEV_ENABLED | MSR_AMD64_SEV_ES_ENABLED;
		if (hv_vm_is_snp(vm))
			status |= MSR_AMD64_SEV_SNP_ENABLED;
		return answer_read(v, status);
	}
	uint32_t action = rule ? rule->action : vm->msr_default;
	switch (action) {
	case HV_MSR_CONST:
		return write ? hv_nae_exception(v, GHCB_EXCEPTION_GP) : answer_read(v, rule->value);
	case HV_MSR_IGNORE:
		return write ? hv_nae_finish(v) : answer_read(v, rule ? rule->value : 0);
	case HV_MSR_GP:
		return hv_nae_exception(v, GHCB_EXCEPTION_GP);
	default:
		break;
	}
	struct snpemu_run *run = v->run;
	run->exit_reason = write ? SNPEMU_EXIT_X86_WRMSR : SNPEMU_EXIT_X86_RDMSR;
	run->msr.error = 0;
	run->msr.reason = rule ? SNPEMU_MSR_EXIT_REASON_FILTER : SNPEMU_MSR_EXIT_REASON_UNKNOWN;
	run->msr.index = index;
	run->msr.data = write ? data : 0;
	v->ev.msr = (struct hv_msr_state){.index = index, .write = write};
	v->complete = msr_complete;
	return 0;
}

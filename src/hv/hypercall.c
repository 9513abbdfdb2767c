/* SPDX-License-Identifier: MIT */
/*
 * VMMCALL NAE (spec §9): KVM hypercalls with nr in RAX and a0..a3 in RBX, RCX, RDX, RSI.  Only
 * KVM_HC_MAP_GPA_RANGE exits, after KVM's checks in KVM's order (____kvm_emulate_hypercall); the result reaches
 * the guest in RAX.  Protected-state guests always count as 64-bit.
 */
#include "hv_internal.h"

#define KVM_EPERM		     1ull /* include/uapi/linux/kvm_para.h */
#define KVM_EINVAL		     22ull
#define KVM_ENOSYS		     1000ull
#define KVM_FEATURE_HC_MAP_GPA_RANGE 16u

static int hypercall_complete(struct hv_vcpu *v)
{
	hv_resp_set(v, HV_F_RAX, v->run->hypercall.ret);
	return hv_nae_finish(v);
}

void hv_exit_map_gpa_range(struct hv_vcpu *v, uint64_t gpa, uint64_t npages, uint64_t attrs, uint64_t flags)
{
	struct snpemu_run *run = v->run;
	run->exit_reason = SNPEMU_EXIT_HYPERCALL;
	run->hypercall.nr = SNPEMU_HC_MAP_GPA_RANGE;
	run->hypercall.args[0] = gpa;
	run->hypercall.args[1] = npages;
	run->hypercall.args[2] = attrs;
	run->hypercall.args[3] = run->hypercall.args[4] = run->hypercall.args[5] = 0;
	run->hypercall.ret = 0; /* kept 0 for QEMU <= 9.2, as KVM */
	run->hypercall.flags = flags;
}

static int answer(struct hv_vcpu *v, uint64_t ret)
{
	hv_resp_set(v, HV_F_RAX, ret);
	return hv_nae_finish(v);
}

int hv_nae_vmmcall(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	if (s->cpl != 0)
		return answer(v, -KVM_EPERM);
	if (s->rax != SNPEMU_HC_MAP_GPA_RANGE)
		return answer(v, -KVM_ENOSYS);
	if (!(v->vm->hypercall_exits & HV_HYPERCALL_EXIT_VALID_MASK))
		return answer(v, -KVM_ENOSYS);
	/* Beyond mainline KVM, which has no PV-CPUID check on this hypercall: the hypercall exists for the guest only
	 * if its CPUID advertises it (docs/architecture.md rule 5), unless the VM turned the gate off. */
	if (!(v->vm->cfg.flags & HV_VM_FLAG_MAP_GPA_RANGE_UNGATED) &&
	    !hv_cpuid_has_pv_feature(v, KVM_FEATURE_HC_MAP_GPA_RANGE))
		return answer(v, -KVM_ENOSYS);
	uint64_t gpa = s->rbx, npages = s->rcx, attrs = s->rdx;
	uint64_t gfn = gpa >> 12;
	if ((gpa & (HV_PAGE_SIZE - 1)) || !npages || gfn + npages <= gfn)
		return answer(v, -KVM_EINVAL);
	hv_exit_map_gpa_range(v, gpa, npages, attrs, SNPEMU_EXIT_HYPERCALL_LONG_MODE);
	v->complete = hypercall_complete;
	return 0;
}

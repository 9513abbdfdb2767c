/* SPDX-License-Identifier: MIT */
/*
 * CPUID from the VMM's table (KVM kvm_emulate_cpuid / kvm_find_cpuid_entry2), with the XSAVE area sizes of leaf
 * 0xD computed from the vCPU's XCR0 and XSS (KVM xstate_required_size), unless the table has an XSTATE variant
 * for exactly that XCR0/XSS (the SNP CPUID page's way).
 */
#include "hv_internal.h"

#define XSAVE_LEGACY_AND_HDR 576u /* 512-byte legacy area + 64-byte XSAVE header */
#define XFEATURE_X87	     (1ull << 0)
#define XFEATURE_SSE	     (1ull << 1)
#define XFEATURE_YMM	     (1ull << 2)
#define XFEATURE_BNDREGS     (1ull << 3)
#define XFEATURE_BNDCSR	     (1ull << 4)
#define XFEATURE_AVX512	     (7ull << 5)

static const struct hv_cpuid_entry *find(const struct hv_vcpu *v, uint32_t fn, uint32_t idx, bool *variant)
{
	const struct hv_vm *vm = v->vm;
	const struct hv_cpuid_entry *generic = NULL;
	for (size_t i = 0; i < vm->cpuid_n; i++) {
		const struct hv_cpuid_entry *e = &vm->cpuid[i];
		if (e->function != fn || ((e->flags & HV_CPUID_FLAG_SIGNIFICANT_INDEX) && e->index != idx))
			continue;
		if (e->flags & HV_CPUID_FLAG_XSTATE_VARIANT) {
			if (e->xcr0 == v->xcr0 && e->xss == v->xss) {
				*variant = true;
				return e;
			}
			continue;
		}
		if (!generic)
			generic = e;
		if (!vm->cpuid_variants) /* without variants the first match is the answer */
			break;
	}
	*variant = false;
	return generic;
}

static uint32_t xstate_size(const struct hv_vcpu *v, uint64_t features, bool compacted)
{
	uint32_t size = XSAVE_LEGACY_AND_HDR;
	features &= ~(XFEATURE_X87 | XFEATURE_SSE);
	for (unsigned int bit = 2; bit < 64 && features; bit++) {
		if (!(features & (1ull << bit)))
			continue;
		features &= ~(1ull << bit);
		bool variant;
		const struct hv_cpuid_entry *e = find(v, 0xD, bit, &variant);
		if (!e)
			continue;
		uint32_t offset = compacted ? ((e->ecx & 2u) ? (size + 63u) & ~63u : size) : e->ebx;
		if (offset + e->eax > size)
			size = offset + e->eax;
	}
	return size;
}

void hv_cpuid_lookup(const struct hv_vcpu *v, uint32_t fn, uint32_t idx, uint32_t out[4])
{
	bool variant;
	const struct hv_cpuid_entry *e = find(v, fn, idx, &variant);
	if (!e) {
		out[0] = out[1] = out[2] = out[3] = 0;
		return;
	}
	out[0] = e->eax;
	out[1] = e->ebx;
	out[2] = e->ecx;
	out[3] = e->edx;
	if (fn != 0xD || variant)
		return;
	if (idx == 0)
		out[1] = xstate_size(v, v->xcr0, false);
	else if (idx == 1 && (e->eax & ((1u << 1) | (1u << 3)))) /* XSAVEC or XSAVES */
		out[1] = xstate_size(v, v->xcr0 | v->xss, true);
}

/* "KVMKVMKVM\0\0\0" as EBX, ECX, EDX (KVM_SIGNATURE, include/uapi/asm/kvm_para.h). */
#define KVM_SIGNATURE_EBX    0x4B4D564Bu
#define KVM_SIGNATURE_ECX    0x564B4D56u
#define KVM_SIGNATURE_EDX    0x0000004Du
#define KVM_CPUID_FEATURES   0x00000001u /* offset from the base */
#define HYPERVISOR_BASE_MIN  0x40000000u /* for_each_possible_cpuid_base_hypervisor: 0x40000000..0x4000FF00 */
#define HYPERVISOR_BASE_END  0x40010000u
#define HYPERVISOR_BASE_STEP 0x100u

uint32_t hv_cpuid_kvm_base(const struct hv_cpuid_entry *entries, size_t n)
{
	/* KVM kvm_get_hypervisor_cpuid, run when the VMM sets CPUID: the first base whose leaf carries the signature.
	 * A leaf's sub-leaf and XSTATE variants do not apply to these leaves; the first entry for the function counts,
	 * as find() does. */
	for (uint32_t base = HYPERVISOR_BASE_MIN; base < HYPERVISOR_BASE_END; base += HYPERVISOR_BASE_STEP) {
		for (size_t i = 0; i < n; i++) {
			const struct hv_cpuid_entry *e = &entries[i];
			if (e->function != base || (e->flags & HV_CPUID_FLAG_XSTATE_VARIANT) ||
			    ((e->flags & HV_CPUID_FLAG_SIGNIFICANT_INDEX) && e->index != 0))
				continue;
			if (e->ebx == KVM_SIGNATURE_EBX && e->ecx == KVM_SIGNATURE_ECX && e->edx == KVM_SIGNATURE_EDX)
				return base;
			break;
		}
	}
	return 0;
}

bool hv_cpuid_has_pv_feature(const struct hv_vcpu *v, unsigned int bit)
{
	/* Linux kvm_arch_para_features(): EAX of kvm_cpuid_base() | KVM_CPUID_FEATURES; without the signature, none
	 * (a "Hv#1" interface leaf at 0x40000001 is Hyper-V's, not KVM's features). */
	const uint32_t base = v->vm->kvm_cpuid_base;
	if (!base || bit >= 32)
		return false;
	uint32_t r[4];
	hv_cpuid_lookup(v, base | KVM_CPUID_FEATURES, 0, r);
	return (r[0] >> bit) & 1u;
}

/* The architectural XCR0 rules KVM's __kvm_set_xcr enforces, against the XCR0 bits the table's leaf 0xD.0
 * advertises (x87|SSE when it has none). */
bool hv_xcr0_acceptable(const struct hv_vcpu *v, uint64_t xcr0)
{
	uint32_t r[4];
	hv_cpuid_lookup(v, 0xD, 0, r);
	uint64_t supported = ((uint64_t)r[3] << 32 | r[0]) | XFEATURE_X87 | XFEATURE_SSE;
	if (!(xcr0 & XFEATURE_X87) || (xcr0 & ~supported))
		return false;
	if ((xcr0 & XFEATURE_YMM) && !(xcr0 & XFEATURE_SSE))
		return false;
	if (!(xcr0 & XFEATURE_BNDREGS) != !(xcr0 & XFEATURE_BNDCSR))
		return false;
	if (xcr0 & XFEATURE_AVX512) {
		if ((xcr0 & XFEATURE_AVX512) != XFEATURE_AVX512 || !(xcr0 & XFEATURE_YMM))
			return false;
	}
	return true;
}

int hv_nae_cpuid(struct hv_vcpu *v)
{
	uint32_t r[4];
	hv_cpuid_lookup(v, (uint32_t)v->snap.rax, (uint32_t)v->snap.rcx, r);
	hv_resp_set(v, HV_F_RAX, r[0]);
	hv_resp_set(v, HV_F_RBX, r[1]);
	hv_resp_set(v, HV_F_RCX, r[2]);
	hv_resp_set(v, HV_F_RDX, r[3]);
	return hv_nae_finish(v);
}

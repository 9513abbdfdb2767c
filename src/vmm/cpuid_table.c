/* SPDX-License-Identifier: MIT */
/*
 * The VMM's CPUID table: what the engine answers to CPUID NAEs and what the SNP CPUID page carries.  A Genoa-like
 * part (family 0x19 model 0x11) with SEV, SEV-ES and SNP in leaf 0x8000001F and the KVM paravirtual leaves
 * advertising KVM_FEATURE_HC_MAP_GPA_RANGE (bit 16, ghcb-hypervisor-kvm.md §9) so MAP_GPA_RANGE exits are allowed.
 */
#include <string.h>

#include <snpemu/abi/cpuid_page.h>
#include <snpemu/abi/le.h>
#include <snpemu/abi/report.h>

#include "vmm/vmm_internal.h"

#define KVM_CPUID_SIGNATURE	     0x40000000u
#define KVM_CPUID_FEATURES	     0x40000001u
#define KVM_FEATURE_HC_MAP_GPA_RANGE 16u

static const struct hv_cpuid_entry base_table[] = {
    /* leaf, subleaf, flags, eax, ebx, ecx, edx (leaf 1 and 0x80000001 EAX: the part's FMS) */
    {0x00000000, 0, 0, 0x0000000D, 0x68747541, 0x444D4163, 0x69746E65, 0, 0}, /* "AuthenticAMD" */
    {0x00000001, 0, 0, SNP_CPUID_GENOA | 1, 0x00000800, 0x76F8320B, 0x178BFBFF, 0, 0},
    {0x00000007, 0, HV_CPUID_FLAG_SIGNIFICANT_INDEX, 0, 0xF1BF97A9, 0x00405FCE, 0x00000010, 0, 0},
    {0x0000000D, 0, HV_CPUID_FLAG_SIGNIFICANT_INDEX, 0x000000E7, 0x00000340, 0x00000988, 0, 0, 0},
    {0x0000000D, 1, HV_CPUID_FLAG_SIGNIFICANT_INDEX, 0x0000000F, 0x00000340, 0x00001800, 0, 0, 0},
    {0x0000000D, 2, HV_CPUID_FLAG_SIGNIFICANT_INDEX, 0x00000100, 0x00000240, 0, 0, 0, 0},
    {KVM_CPUID_SIGNATURE, 0, 0, KVM_CPUID_FEATURES, 0x4B4D564B, 0x564B4D56, 0x0000004D, 0, 0}, /* "KVMKVMKVM" */
    {KVM_CPUID_FEATURES, 0, 0, 1u << KVM_FEATURE_HC_MAP_GPA_RANGE, 0, 0, 0, 0, 0},
    {0x80000000, 0, 0, 0x80000021, 0x68747541, 0x444D4163, 0x69746E65, 0, 0},
    {0x80000001, 0, 0, SNP_CPUID_GENOA | 1, 0x40000000, 0x75C237FB, 0x2FD3FBFF, 0, 0},
    {0x80000008, 0, 0, 0x00003030, 0x791EF257, 0x0000707F, 0x00010000, 0, 0},
    /* SME 0, SEV 1, SEV-ES 3, SNP 4 (APM vol 3 E.4.17); EBX C-bit 51, 6 bits of physical-address reduction. */
    {0x8000001F, 0, 0, 0x0000001B, 0x00000173, 0x000003EF, 0x00000006, 0, 0},
};

size_t vmm_cpuid_table(struct hv_cpuid_entry *out, size_t cap, bool snp, uint32_t vcpus, uint32_t fms)
{
	size_t n = sizeof(base_table) / sizeof(base_table[0]);
	if (n > cap)
		return 0;
	memcpy(out, base_table, sizeof(base_table));
	for (size_t i = 0; i < n; i++) {
		if (out[i].function == 1) {
			out[i].eax = fms;
			out[i].ebx |= (vcpus & 0xFFu) << 16; /* logical processor count */
		}
		if (out[i].function == 0x80000001)
			out[i].eax = fms;
		if (out[i].function == 0x8000001F && !snp)
			out[i].eax &= ~(1u << 4); /* no SNP on a SEV-ES VM */
	}
	return n;
}

void vmm_cpuid_page(uint8_t page[4096], const struct hv_cpuid_entry *t, size_t n)
{
	memset(page, 0, 4096);
	if (n > SNP_CPUID_COUNT_MAX)
		n = SNP_CPUID_COUNT_MAX;
	le32_store(page + SNP_CPUID_OFF_COUNT, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = page + SNP_CPUID_OFF_ENTRY(i);
		le32_store(e + SNP_CPUID_ENT_EAX_IN, t[i].function);
		le32_store(e + SNP_CPUID_ENT_ECX_IN, t[i].index);
		le64_store(e + SNP_CPUID_ENT_XCR0_IN, t[i].function == 0xD ? 1 : 0);
		le32_store(e + SNP_CPUID_ENT_EAX, t[i].eax);
		le32_store(e + SNP_CPUID_ENT_EBX, t[i].ebx);
		le32_store(e + SNP_CPUID_ENT_ECX, t[i].ecx);
		le32_store(e + SNP_CPUID_ENT_EDX, t[i].edx);
	}
}

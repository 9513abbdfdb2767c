/* SPDX-License-Identifier: MIT */
/*
 * SNP CPUID page (SNP firmware ABI 56860 Table 14/15; Linux struct snp_cpuid_table; AMD-ASPFW
 * snp_launch_update_cpuid_page_t): a 16-byte header {u32 count, u32 rsvd, u64 rsvd} and up to 64 entries of
 * 48 bytes {eax_in, ecx_in, xcr0_in, xss_in, eax, ebx, ecx, edx, u64 rsvd}.
 */
#ifndef SNPEMU_ABI_CPUID_PAGE_H
#define SNPEMU_ABI_CPUID_PAGE_H

#include <stddef.h>
#include <stdint.h>

#define SNP_CPUID_COUNT_MAX    64u
#define SNP_CPUID_HDR_SIZE     16u
#define SNP_CPUID_ENTRY_SIZE   48u
#define SNP_CPUID_TABLE_SIZE   (SNP_CPUID_HDR_SIZE + SNP_CPUID_COUNT_MAX * SNP_CPUID_ENTRY_SIZE) /* 3088 */
#define SNP_CPUID_OFF_COUNT    0x00u
#define SNP_CPUID_OFF_ENTRY(i) (SNP_CPUID_HDR_SIZE + (size_t)(i)*SNP_CPUID_ENTRY_SIZE)
#define SNP_CPUID_ENT_EAX_IN   0x00u
#define SNP_CPUID_ENT_ECX_IN   0x04u
#define SNP_CPUID_ENT_XCR0_IN  0x08u
#define SNP_CPUID_ENT_XSS_IN   0x10u
#define SNP_CPUID_ENT_EAX      0x18u
#define SNP_CPUID_ENT_EBX      0x1Cu
#define SNP_CPUID_ENT_ECX      0x20u
#define SNP_CPUID_ENT_EDX      0x24u
#define SNP_CPUID_ENT_RSVD     0x28u

struct snp_cpuid_entry_layout {
	uint32_t eax_in, ecx_in;
	uint64_t xcr0_in, xss_in;
	uint32_t eax, ebx, ecx, edx;
	uint64_t reserved;
};
_Static_assert(sizeof(struct snp_cpuid_entry_layout) == SNP_CPUID_ENTRY_SIZE, "CPUID entry is 48 bytes");
_Static_assert(offsetof(struct snp_cpuid_entry_layout, eax) == SNP_CPUID_ENT_EAX, "CPUID entry eax");
_Static_assert(SNP_CPUID_TABLE_SIZE == 3088u, "CPUID table is 3088 bytes");

#endif

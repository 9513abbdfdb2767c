/* SPDX-License-Identifier: MIT */
/*
 * PAGE_INFO, the record the firmware chains into the launch digest at each SNP_LAUNCH_UPDATE (SNP firmware ABI
 * 56860 §8.17 Table 67; AMD-ASPFW snp_mcmd_launch_update_page_info_t), and the LAUNCH_UPDATE page types.
 */
#ifndef SNPEMU_ABI_PAGE_INFO_H
#define SNPEMU_ABI_PAGE_INFO_H

#include <stdint.h>

#define SNP_PAGE_INFO_SIZE	      0x70u
#define SNP_PAGE_INFO_OFF_DIGEST_CUR  0x00u /* 48: launch digest so far */
#define SNP_PAGE_INFO_OFF_CONTENTS    0x30u /* 48: SHA-384 of the page for NORMAL and VMSA, else zero */
#define SNP_PAGE_INFO_OFF_LENGTH      0x60u /* u16 = 0x70 */
#define SNP_PAGE_INFO_OFF_PAGE_TYPE   0x62u /* u8 */
#define SNP_PAGE_INFO_OFF_IMI_PAGE    0x63u /* u8: bit 0 */
#define SNP_PAGE_INFO_OFF_RESERVED    0x64u /* u8 */
#define SNP_PAGE_INFO_OFF_VMPL1_PERMS 0x65u
#define SNP_PAGE_INFO_OFF_VMPL2_PERMS 0x66u
#define SNP_PAGE_INFO_OFF_VMPL3_PERMS 0x67u
#define SNP_PAGE_INFO_OFF_GPA	      0x68u /* u64 */
#define SNP_DIGEST_SIZE		      48u   /* SHA-384 */

/* LAUNCH_UPDATE page types (SNP ABI Table 68). */
enum snp_page_type {
	SNP_PAGE_TYPE_RESERVED = 0,
	SNP_PAGE_TYPE_NORMAL = 1,
	SNP_PAGE_TYPE_VMSA = 2,
	SNP_PAGE_TYPE_ZERO = 3,
	SNP_PAGE_TYPE_UNMEASURED = 4,
	SNP_PAGE_TYPE_SECRETS = 5,
	SNP_PAGE_TYPE_CPUID = 6,
};

/* VMSA pages are measured at this GPA (the RMP records -1, page-aligned and masked to 52 bits). */
#define SNP_VMSA_MEASURED_GPA	      0xFFFFFFFFF000ull
/* Fields the firmware zeroes in a VMSA before hashing it. */
#define SNP_VMSA_OFF_GUEST_TSC_SCALE  0x2F0u
#define SNP_VMSA_OFF_GUEST_TSC_OFFSET 0x2F8u
#define SNP_VMSA_OFF_SEV_FEATURES     0x3B0u
/* Register fields an AP starts from (APM vol 2 table B-4, Linux struct sev_es_save_area). */
#define SNP_VMSA_OFF_RFLAGS	      0x170u
#define SNP_VMSA_OFF_RIP	      0x178u
#define SNP_VMSA_OFF_RSI	      0x330u
#define SNP_VMSA_OFF_RDI	      0x338u

#endif

/* SPDX-License-Identifier: MIT */
/*
 * SNP secrets page (SNP firmware ABI 56860 Table 71; Linux struct snp_secrets_page; AMD-ASPFW
 * snp_launch_update_secrets_page_t), with the Linux/GHCB guest-OS area at 0xA0 (GHCB spec §4.1.8.2 Table 12).
 */
#ifndef SNPEMU_ABI_SECRETS_H
#define SNPEMU_ABI_SECRETS_H

#include <stdint.h>

#define SNP_SECRETS_PAGE_SIZE		  4096u
#define SNP_SECRETS_VERSION		  3u /* ASPFW writes 3 */
#define SNP_SECRETS_OFF_VERSION		  0x000u
#define SNP_SECRETS_OFF_IMIEN		  0x004u
#define SNP_SECRETS_OFF_FMS		  0x008u
#define SNP_SECRETS_OFF_GOSVW		  0x010u /* 16 */
#define SNP_SECRETS_OFF_VMPCK(n)	  (0x020u + 0x20u * (n))
#define SNP_VMPCK_SIZE			  32u
#define SNP_SECRETS_OFF_OS_AREA		  0x0A0u	      /* 96 bytes, zeroed by the firmware */
#define SNP_SECRETS_OFF_MSG_SEQNO(n)	  (0x0A0u + 4u * (n)) /* u32 per VMPCK (Linux secrets_os_area) */
#define SNP_SECRETS_OFF_AP_JUMP_TABLE_PA  0x0B0u
#define SNP_SECRETS_OFF_GUEST_USAGE	  0x0E0u
#define SNP_SECRETS_OFF_VMSA_TWEAK_BITMAP 0x100u /* 64 */
#define SNP_SECRETS_OFF_SVSM_BASE	  0x140u
#define SNP_SECRETS_OFF_SVSM_SIZE	  0x148u
#define SNP_SECRETS_OFF_SVSM_CAA	  0x150u
#define SNP_SECRETS_OFF_SVSM_MAX_VERSION  0x158u
#define SNP_SECRETS_OFF_SVSM_GUEST_VMPL	  0x15Cu
#define SNP_SECRETS_OFF_TSC_FACTOR	  0x160u
#define SNP_SECRETS_OS_AREA_SIZE	  96u

_Static_assert(SNP_SECRETS_OFF_VMPCK(3) + SNP_VMPCK_SIZE == SNP_SECRETS_OFF_OS_AREA, "VMPCK3 ends at the OS area");
_Static_assert(SNP_SECRETS_OFF_OS_AREA + SNP_SECRETS_OS_AREA_SIZE == SNP_SECRETS_OFF_VMSA_TWEAK_BITMAP,
	       "OS area is 96 bytes");

#endif

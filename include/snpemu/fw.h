/* SPDX-License-Identifier: MIT */
/*
 * snpemu firmware model (`fw`): the AMD SEV-SNP firmware (PSP) as guests and hypervisors see it.
 * Facts: ../shared/spec/snp-firmware-abi.md; AMD SNP firmware ABI 56860.
 *
 * Conventions: functions that can fail return 0 or a negative errno (host failures) or, where the firmware
 * defines one, an SNP status (enum snp_fw_status, >= 0).  Objects are caller-visible structures or opaque
 * handles created and destroyed by this API; no global state.
 */
#ifndef SNPEMU_FW_H
#define SNPEMU_FW_H

#include <stddef.h>
#include <stdint.h>

#include <snpemu/abi/page_info.h>

/* ---- Launch digest (snp-firmware-abi.md §6) ---------------------------------------------------------------- */

/* The running launch digest of one guest launch: 48 zero bytes at LAUNCH_START. */
struct fw_launch_digest {
	uint8_t digest[SNP_DIGEST_SIZE];
	uint64_t pages; /* pages chained so far */
};

/* VMPL permission bytes and IMI flag of a LAUNCH_UPDATE (zero for ordinary launches). */
struct fw_page_perms {
	uint8_t imi_page;
	uint8_t vmpl1, vmpl2, vmpl3;
};

/* Reset `ld` to the LAUNCH_START state. */
void fw_launch_digest_init(struct fw_launch_digest *ld);

/* Chain one 4 KiB page into `ld` as SNP_LAUNCH_UPDATE does.  `page` (4096 bytes) is required for NORMAL and VMSA
 * and ignored otherwise; VMSA pages are measured at GPA 0xFFFFFFFFF000 with GUEST_TSC_SCALE/OFFSET zeroed.
 * `perms` may be NULL.  Returns 0, or -EINVAL for a reserved type, a missing page or an unaligned GPA. */
int fw_launch_digest_update(struct fw_launch_digest *ld, enum snp_page_type type, uint64_t gpa, const uint8_t *page,
			    const struct fw_page_perms *perms);

/* Encode the 0x70-byte PAGE_INFO record (exposed for tests and tools). */
void fw_page_info_encode(uint8_t out[SNP_PAGE_INFO_SIZE], const uint8_t digest_cur[SNP_DIGEST_SIZE],
			 const uint8_t contents[SNP_DIGEST_SIZE], enum snp_page_type type, uint64_t gpa,
			 const struct fw_page_perms *perms);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The launch digest exactly as the firmware chains it at each SNP_LAUNCH_UPDATE (snp-firmware-abi.md §6.2;
 * AMD-ASPFW snp_mcmd_launch_update): LD = SHA-384(PAGE_INFO) where PAGE_INFO holds the previous LD, the page's
 * SHA-384 (NORMAL and VMSA only), length 0x70, type, IMI flag, VMPL permissions and GPA.
 */
#include <errno.h>
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/abi/page_info.h>
#include <snpemu/fw.h>

#include "fw/fw_internal.h"

void fw_launch_digest_init(struct fw_launch_digest *ld)
{
	memset(ld, 0, sizeof(*ld));
}

void fw_page_info_encode(uint8_t out[SNP_PAGE_INFO_SIZE], const uint8_t digest_cur[SNP_DIGEST_SIZE],
			 const uint8_t contents[SNP_DIGEST_SIZE], enum snp_page_type type, uint64_t gpa,
			 const struct fw_page_perms *perms)
{
	memset(out, 0, SNP_PAGE_INFO_SIZE);
	memcpy(out + SNP_PAGE_INFO_OFF_DIGEST_CUR, digest_cur, SNP_DIGEST_SIZE);
	memcpy(out + SNP_PAGE_INFO_OFF_CONTENTS, contents, SNP_DIGEST_SIZE);
	le16_store(out + SNP_PAGE_INFO_OFF_LENGTH, SNP_PAGE_INFO_SIZE);
	out[SNP_PAGE_INFO_OFF_PAGE_TYPE] = (uint8_t)type;
	if (perms) {
		out[SNP_PAGE_INFO_OFF_IMI_PAGE] = perms->imi_page ? 1 : 0;
		/* ASPFW order: reserved byte, then VMPL1, VMPL2, VMPL3 permissions. */
		out[SNP_PAGE_INFO_OFF_VMPL1_PERMS] = perms->vmpl1;
		out[SNP_PAGE_INFO_OFF_VMPL2_PERMS] = perms->vmpl2;
		out[SNP_PAGE_INFO_OFF_VMPL3_PERMS] = perms->vmpl3;
	}
	le64_store(out + SNP_PAGE_INFO_OFF_GPA, gpa);
}

int fw_launch_digest_update(struct fw_launch_digest *ld, enum snp_page_type type, uint64_t gpa, const uint8_t *page,
			    const struct fw_page_perms *perms)
{
	return fw_launch_digest_update_with(ld, NULL, type, gpa, page, perms);
}

int fw_launch_digest_update_with(struct fw_launch_digest *ld, struct fw_sha384_ctx *h, enum snp_page_type type,
				 uint64_t gpa, const uint8_t *page, const struct fw_page_perms *perms)
{
	uint8_t contents[SNP_DIGEST_SIZE] = {0};
	uint8_t info[SNP_PAGE_INFO_SIZE];

	if (type < SNP_PAGE_TYPE_NORMAL || type > SNP_PAGE_TYPE_CPUID)
		return -EINVAL; /* reserved page type */
	if (type == SNP_PAGE_TYPE_VMSA) {
		/* Measured at a fixed GPA, with the TSC scale and offset zeroed (§6.2). */
		uint8_t vmsa[4096];
		if (!page)
			return -EINVAL;
		memcpy(vmsa, page, sizeof(vmsa));
		memset(vmsa + SNP_VMSA_OFF_GUEST_TSC_SCALE, 0, 16);
		if (fw_sha384_with(h, vmsa, sizeof(vmsa), contents))
			return -ENOMEM;
		gpa = SNP_VMSA_MEASURED_GPA;
	} else if (type == SNP_PAGE_TYPE_NORMAL) {
		if (!page)
			return -EINVAL;
		if (fw_sha384_with(h, page, 4096, contents))
			return -ENOMEM;
	}
	if (type != SNP_PAGE_TYPE_VMSA && (gpa & 0xFFFu))
		return -EINVAL;
	fw_page_info_encode(info, ld->digest, contents, type, gpa, perms);
	if (fw_sha384_with(h, info, sizeof(info), ld->digest))
		return -ENOMEM; /* the digest is unchanged: a retry chains the same page */
	ld->pages++;
	return 0;
}

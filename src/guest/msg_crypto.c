/* SPDX-License-Identifier: MIT */
/*
 * AES-256-GCM of guest messages (SNP firmware ABI 56860 §7; snp-firmware-abi.md §1.3) over the library's own
 * constant-time AES-GCM (aes_gcm.c): the page layout gives the IV (from the sequence number), the AAD (the header
 * from 0x30) and the payload (from 0x60); the tag sits at the page's start.
 */
#include "internal.h"

#include <snpemu/abi/le.h>
#include <snpemu/abi/snp_msg.h>

_Static_assert(SNP_MSG_IV_LEN == GST_GCM_IV_LEN && SNP_MSG_AUTHTAG_LEN == GST_GCM_TAG_LEN, "guest messages use GCM");

static void gst_msg_iv(uint8_t iv[GST_GCM_IV_LEN], uint64_t seqno)
{
	le64_store(iv, seqno); /* IV = le64 seqno || 4 zero bytes */
	le32_store(iv + 8, 0);
}

void gst_msg_seal(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len)
{
	uint8_t iv[GST_GCM_IV_LEN];
	gst_msg_iv(iv, seqno);
	gst_aes256_gcm_seal(key, iv, page + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN, page + SNP_MSG_HDR_SIZE, len,
			    page + SNP_MSG_OFF_AUTHTAG);
}

bool gst_msg_open(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len)
{
	uint8_t iv[GST_GCM_IV_LEN];
	gst_msg_iv(iv, seqno);
	bool ok = gst_aes256_gcm_open(key, iv, page + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN, page + SNP_MSG_HDR_SIZE, len,
				      page + SNP_MSG_OFF_AUTHTAG);
	if (!ok) /* a forged message leaves nothing behind, not even its ciphertext */
		gst_wipe(page + SNP_MSG_HDR_SIZE, len);
	return ok;
}

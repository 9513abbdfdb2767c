/* SPDX-License-Identifier: MIT */
/*
 * AES-256-GCM of guest messages (SNP firmware ABI 56860 §7; snp-firmware-abi.md §1.3) with BearSSL's constant-time
 * AES (aes_ct64) and GHASH (ctmul64): no tables indexed by secrets, no allocation, no libc state.  The expanded
 * key and the GCM state hold key material and are wiped before returning.
 */
#include "internal.h"

#include <bearssl/bearssl_aead.h>
#include <snpemu/abi/snp_msg.h>

struct gst_gcm {
	br_aes_ct64_ctr_keys keys;
	br_gcm_context gcm;
};

static void gst_gcm_start(struct gst_gcm *s, const uint8_t key[32], uint64_t seqno, const uint8_t *page)
{
	uint8_t iv[SNP_MSG_IV_LEN];
	le64_store(iv, seqno); /* IV = le64 seqno || 4 zero bytes */
	le32_store(iv + 8, 0);
	br_aes_ct64_ctr_init(&s->keys, key, 32);
	br_gcm_init(&s->gcm, &s->keys.vtable, br_ghash_ctmul64);
	br_gcm_reset(&s->gcm, iv, sizeof(iv));
	br_gcm_aad_inject(&s->gcm, page + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN);
	br_gcm_flip(&s->gcm);
}

void gst_msg_seal(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len)
{
	struct gst_gcm s;
	gst_gcm_start(&s, key, seqno, page);
	br_gcm_run(&s.gcm, 1, page + SNP_MSG_HDR_SIZE, len);
	br_gcm_get_tag(&s.gcm, page + SNP_MSG_OFF_AUTHTAG);
	gst_wipe(&s, sizeof(s));
}

bool gst_msg_open(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len)
{
	struct gst_gcm s;
	uint8_t tag[SNP_MSG_AUTHTAG_LEN];
	gst_gcm_start(&s, key, seqno, page);
	br_gcm_run(&s.gcm, 0, page + SNP_MSG_HDR_SIZE, len);
	br_gcm_get_tag(&s.gcm, tag);
	gst_wipe(&s, sizeof(s));
	bool ok = gst_memeq_ct(tag, page + SNP_MSG_OFF_AUTHTAG, sizeof(tag));
	if (!ok) /* release no plaintext of a forged message */
		gst_wipe(page + SNP_MSG_HDR_SIZE, len);
	return ok;
}

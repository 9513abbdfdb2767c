/* SPDX-License-Identifier: MIT */
/* Guest library internals shared by its files.  Freestanding. */
#ifndef SNPEMU_GUEST_INTERNAL_H
#define SNPEMU_GUEST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/guest.h>

#define GST_PAGE_SIZE 4096ull
#define GST_PAGE_MASK (GST_PAGE_SIZE - 1)
#define GST_2M_PAGES  512ull

/* Record a failure in c->fault and return err. */
int gst_fail(struct gst_ctx *c, int err, uint64_t event, uint64_t info2);

/* Diagnostics through the platform's optional log op. */
void gst_log(struct gst_ctx *c, const char *msg);

/* One MSR-protocol exchange: write `req`, VMGEXIT, read the answer; GST_EPROTO if its code is not `resp_code`. */
int gst_msr_exchange(struct gst_ctx *c, uint64_t req, unsigned int resp_code, uint64_t *resp);

/* The shared buffer of the GHCB and its GPA. */
static inline uint8_t *gst_shared_buf(struct gst_ctx *c)
{
	return c->ghcb->bytes + GHCB_OFF_SHARED_BUFFER;
}
static inline uint64_t gst_shared_buf_gpa(struct gst_ctx *c)
{
	return c->ghcb_gpa + GHCB_OFF_SHARED_BUFFER;
}

/* Read shared memory exactly once (volatile, like Linux READ_ONCE): the hypervisor may change it at any time, and
 * a compiler must not turn one check-then-use read into two fetches. */
static inline uint64_t gst_shared_le(const uint8_t *p, unsigned int width)
{
	const volatile uint8_t *b = (const volatile uint8_t *)p;
	uint64_t v = 0;
	for (unsigned int i = 0; i < width; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* Map a GPA range through the platform (NULL on failure). */
static inline void *gst_map(struct gst_ctx *c, uint64_t gpa, size_t len)
{
	return c->plat.ops->gpa_to_ptr(c->plat.ctx, gpa, len);
}

/* AES-256 (FIPS 197) and AES-256-GCM (NIST SP 800-38D, 96-bit IV, 128-bit tag), constant time and table-free
 * (aes_gcm.c).  The expanded key is secret: callers wipe it (the GCM functions wipe theirs). */
#define GST_AES256_KEY_LEN 32
#define GST_GCM_IV_LEN	   12
#define GST_GCM_TAG_LEN	   16
struct gst_aes256 {
	uint64_t rk[15][8]; /* round keys 0..14, bitsliced over a batch of four blocks (aes_gcm.c) */
};
void gst_aes256_init(struct gst_aes256 *k, const uint8_t key[GST_AES256_KEY_LEN]);
void gst_aes256_encrypt(const struct gst_aes256 *k, const uint8_t in[16], uint8_t out[16]);

/* Encrypt buf[0..len) in place and write the tag.  `aad` may be NULL when aad_len is 0. */
void gst_aes256_gcm_seal(const uint8_t key[GST_AES256_KEY_LEN], const uint8_t iv[GST_GCM_IV_LEN], const uint8_t *aad,
			 size_t aad_len, uint8_t *buf, size_t len, uint8_t tag[GST_GCM_TAG_LEN]);

/* Check the tag (constant time) over the ciphertext in buf and only then decrypt it in place; false (buf left as
 * it was: ciphertext, no plaintext released) when the tag does not verify.  buf is read twice, so it must be
 * memory the hypervisor cannot change (a private copy), never a shared page. */
bool gst_aes256_gcm_open(const uint8_t key[GST_AES256_KEY_LEN], const uint8_t iv[GST_GCM_IV_LEN], const uint8_t *aad,
			 size_t aad_len, uint8_t *buf, size_t len, const uint8_t tag[GST_GCM_TAG_LEN]);

/* AES-256-GCM on a guest-message page held privately: IV = le64 seqno || 0^4, AAD = page[0x30..0x60), payload at
 * 0x60 of `len` bytes, in place; tag at page[0..16).  gst_msg_seal writes the tag; gst_msg_open checks it
 * (constant time) and wipes the payload when it does not verify.  The key is read from `key` each call and the
 * expanded key schedule is wiped before returning. */
void gst_msg_seal(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len);
bool gst_msg_open(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len);

/* A NAE response snapshot: the valid bitmap copied once after VMGEXIT, SW_EXITINFO2 read once if valid. */
struct gst_resp {
	uint8_t bitmap[16];
	uint64_t info2;
	bool info2_valid;
};

/* gst_nae, keeping the snapshot so that output fields can be checked against it. */
int gst_nae_resp(struct gst_ctx *c, uint64_t exit_code, uint64_t info1, uint64_t info2_in, struct gst_resp *r);

/* Read a u64 response field at save-area offset `off` if its bit is set in the snapshot; else GST_EPROTO. */
int gst_resp_u64(struct gst_ctx *c, const struct gst_resp *r, uint64_t exit_code, unsigned int off, uint64_t *v);

/* Fail with GST_ENOTSUP unless the GHCB is set up, the version is >= min_version and (if snp_only) SNP. */
int gst_need(struct gst_ctx *c, uint64_t exit_code, uint16_t min_version, bool snp_only);
#endif

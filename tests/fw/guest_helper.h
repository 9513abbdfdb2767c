/* SPDX-License-Identifier: MIT */
/*
 * A guest-side message helper for tests, written independently of src/fw (OpenSSL EVP directly, its own sequence
 * numbers as the Linux sev-guest driver keeps them: request = counter + 1, counter += 2 after a round trip that
 * reached the firmware; response checked for seqno, type, version, size and tag).
 */
#ifndef SNPEMU_TESTS_FW_GUEST_HELPER_H
#define SNPEMU_TESTS_FW_GUEST_HELPER_H

#include <stddef.h>
#include <stdint.h>

struct th_guest {
	uint8_t vmpck[4][32];
	uint64_t seqno[4]; /* last sequence number used per VMPCK (0 at start) */
};

/* Take the VMPCKs from a secrets page. */
void th_guest_init(struct th_guest *t, const uint8_t secrets[4096]);
/* Encrypt a request of `type` with VMPCK `v` at seqno = counter + 1 into `page` (the counter does not move). */
int th_encrypt(const struct th_guest *t, unsigned v, uint8_t type, const void *payload, size_t len, uint8_t page[4096]);
/* Same with an explicit sequence number (for replay/skip tests). */
int th_encrypt_seq(const struct th_guest *t, unsigned v, uint64_t seqno, uint8_t type, const void *payload, size_t len,
		   uint8_t page[4096]);
/* The header bytes 0x30..0x5F of a request (AAD), and encryption under an arbitrary header. */
void th_header(uint8_t hdr[48], unsigned v, uint8_t type, size_t len);
int th_encrypt_hdr(const struct th_guest *t, unsigned v, uint64_t seqno, const uint8_t hdr[48], const void *payload,
		   size_t len, uint8_t page[4096]);
/* Check and decrypt a response to a request of `req_type` sent with VMPCK `v`; on success the counter advances by 2
 * and the payload length is stored.  Returns 0 or -1 with the reason in *why. */
int th_decrypt(struct th_guest *t, unsigned v, uint8_t req_type, const uint8_t page[4096], uint8_t *payload, size_t cap,
	       size_t *len, const char **why);

#endif

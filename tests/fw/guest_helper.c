/* SPDX-License-Identifier: MIT */
/* Guest-side AES-256-GCM message helper, independent of the firmware model (see guest_helper.h). */
#include <openssl/evp.h>
#include <string.h>

#include "guest_helper.h"

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void th_guest_init(struct th_guest *t, const uint8_t secrets[4096])
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 4; i++)
		memcpy(t->vmpck[i], secrets + 0x20 + 0x20 * i, 32);
}

int th_encrypt_hdr(const struct th_guest *t, unsigned v, uint64_t seqno, const uint8_t hdr[48], const void *payload,
		   size_t len, uint8_t page[4096])
{
	uint8_t iv[12] = {0};
	int n;
	if (v > 3 || len > 4000)
		return -1;
	memset(page, 0, 4096);
	put64(page + 0x20, seqno);
	memcpy(page + 0x30, hdr, 48);
	put64(iv, seqno);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, t->vmpck[v], iv) &&
		 EVP_EncryptUpdate(c, NULL, &n, page + 0x30, 48) &&
		 (len == 0 || EVP_EncryptUpdate(c, page + 0x60, &n, payload, (int)len)) &&
		 EVP_EncryptFinal_ex(c, page + 0x60, &n) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, page);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

void th_header(uint8_t hdr[48], unsigned v, uint8_t type, size_t len)
{
	memset(hdr, 0, 48);
	hdr[0] = 1;    /* AES-256-GCM */
	hdr[1] = 1;    /* header version */
	hdr[2] = 0x60; /* header size */
	hdr[4] = type;
	hdr[5] = 1; /* message version */
	hdr[6] = (uint8_t)len;
	hdr[7] = (uint8_t)(len >> 8);
	hdr[0xC] = (uint8_t)v;
}

int th_encrypt_seq(const struct th_guest *t, unsigned v, uint64_t seqno, uint8_t type, const void *payload, size_t len,
		   uint8_t page[4096])
{
	uint8_t hdr[48];
	th_header(hdr, v, type, len);
	return th_encrypt_hdr(t, v, seqno, hdr, payload, len, page);
}

int th_encrypt(const struct th_guest *t, unsigned v, uint8_t type, const void *payload, size_t len, uint8_t page[4096])
{
	return th_encrypt_seq(t, v, t->seqno[v & 3] + 1, type, payload, len, page);
}

int th_decrypt(struct th_guest *t, unsigned v, uint8_t req_type, const uint8_t page[4096], uint8_t *payload, size_t cap,
	       size_t *len, const char **why)
{
	uint8_t iv[12] = {0}, tag[16];
	size_t sz = (size_t)page[0x36] | (size_t)page[0x37] << 8;
	int n;
	*why = NULL;
	if (get64(page + 0x20) != t->seqno[v] + 2)
		*why = "response seqno";
	else if (page[0x34] != req_type + 1)
		*why = "response type";
	else if (page[0x30] != 1 || page[0x31] != 1 || page[0x32] != 0x60 || page[0x33] != 0 || page[0x35] != 1)
		*why = "response header";
	else if (page[0x3C] != v)
		*why = "response vmpck";
	else if (sz > cap || sz > 4000)
		*why = "response size";
	if (*why)
		return -1;
	memcpy(iv, page + 0x20, 8);
	memcpy(tag, page, 16);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, t->vmpck[v], iv) &&
		 EVP_DecryptUpdate(c, NULL, &n, page + 0x30, 48) &&
		 EVP_DecryptUpdate(c, payload, &n, page + 0x60, (int)sz) &&
		 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) && EVP_DecryptFinal_ex(c, payload + sz, &n) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		*why = "response tag";
		return -1;
	}
	*len = sz;
	t->seqno[v] += 2;
	return 0;
}

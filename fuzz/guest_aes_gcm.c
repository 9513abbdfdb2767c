/* SPDX-License-Identifier: MIT */
/*
 * Differential fuzzing of the guest library's AES-256-GCM (src/guest/aes_gcm.c) against OpenSSL.  Input: 32 bytes
 * of key, 12 of IV, one byte giving the AAD length (taken from the following bytes), the rest the plaintext (at
 * most 256 bytes: every block and four-block batch boundary, at a rate a smoke run affords; test_aes_gcm covers
 * whole pages).  Both must produce the same ciphertext and tag; open() must give the plaintext back, and refuse a
 * copy with one bit flipped (position chosen by the input) while leaving it as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "guest/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TEXT 256

static void openssl_seal(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
			 size_t len, uint8_t *ct, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;
	if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) != 1 ||
	    (aad_len && EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1) ||
	    (len && EVP_EncryptUpdate(c, ct, &n, pt, (int)len) != 1) || EVP_EncryptFinal_ex(c, ct + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GST_GCM_TAG_LEN, tag) != 1)
		abort(); /* the reference failing is a harness bug */
	EVP_CIPHER_CTX_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[MAX_TEXT], ref[MAX_TEXT + 16], copy[MAX_TEXT];
	uint8_t tag[GST_GCM_TAG_LEN], ref_tag[GST_GCM_TAG_LEN];
	if (size < GST_AES256_KEY_LEN + GST_GCM_IV_LEN + 1)
		return 0;
	const uint8_t *key = data, *iv = data + GST_AES256_KEY_LEN;
	size_t aad_len = data[GST_AES256_KEY_LEN + GST_GCM_IV_LEN];
	const uint8_t *aad = data + GST_AES256_KEY_LEN + GST_GCM_IV_LEN + 1;
	size_t rest = size - (GST_AES256_KEY_LEN + GST_GCM_IV_LEN + 1);
	if (aad_len > rest)
		aad_len = rest;
	const uint8_t *pt = aad + aad_len;
	size_t len = rest - aad_len;
	if (len > MAX_TEXT)
		len = MAX_TEXT;

	memcpy(buf, pt, len);
	gst_aes256_gcm_seal(key, iv, aad, aad_len, buf, len, tag);
	openssl_seal(key, iv, aad, aad_len, pt, len, ref, ref_tag);
	if (memcmp(buf, ref, len) || memcmp(tag, ref_tag, sizeof(tag)))
		abort();

	/* One flipped bit in the ciphertext or the tag: refused, nothing released. */
	size_t bit = ((size_t)key[0] << 8 | iv[0]) % ((len + sizeof(tag)) * 8);
	memcpy(copy, buf, len);
	uint8_t bad_tag[GST_GCM_TAG_LEN];
	memcpy(bad_tag, tag, sizeof(tag));
	if (bit / 8 < len)
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	else
		bad_tag[bit / 8 - len] ^= (uint8_t)(1u << (bit % 8));
	uint8_t before[MAX_TEXT];
	memcpy(before, copy, len);
	if (gst_aes256_gcm_open(key, iv, aad, aad_len, copy, len, bad_tag) || memcmp(copy, before, len))
		abort();

	if (!gst_aes256_gcm_open(key, iv, aad, aad_len, buf, len, tag) || memcmp(buf, pt, len))
		abort();
	return 0;
}

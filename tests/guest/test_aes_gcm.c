/* SPDX-License-Identifier: MIT */
/*
 * The guest library's AES-256-GCM (src/guest/aes_gcm.c) against the published known answers (FIPS 197 C.3, the
 * GCM specification's AES-256 test cases 13-16 as in NIST's GCM validation) and against OpenSSL on lengths around
 * every block boundary; open() releases plaintext only for an authentic message; the message layer wipes on
 * failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include <snpemu/abi/snp_msg.h>

#include "common/hex.h"
#include "guest/internal.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;
	assert_true(n <= cap);
	assert_int_equal(snpemu_hex_decode(s, n, out), 0);
	return n;
}

/* OpenSSL's AES-256-GCM, the independent reference. */
static void ossl_seal(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
		      size_t len, uint8_t *ct, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;
	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv), 1);
	if (aad_len)
		assert_int_equal(EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len), 1);
	if (len)
		assert_int_equal(EVP_EncryptUpdate(c, ct, &n, pt, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, ct + len, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(c);
}

static void test_aes256_fips197(void **state)
{
	(void)state;
	uint8_t key[32], pt[16], want[16], out[16];
	unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key, sizeof(key));
	unhex("00112233445566778899aabbccddeeff", pt, sizeof(pt));
	unhex("8ea2b7ca516745bfeafc49904b496089", want, sizeof(want));
	struct gst_aes256 k;
	gst_aes256_init(&k, key);
	gst_aes256_encrypt(&k, pt, out);
	assert_memory_equal(out, want, 16);
}

struct gcm_vector {
	const char *name, *key, *iv, *aad, *pt, *ct, *tag;
};

#define TC15_KEY "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define TC15_PT                                                                                                        \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0d" \
	"e6"                                                                                                           \
	"57ba637b391aafd255"
#define TC15_CT                                                                                                        \
	"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba" \
	"7a"                                                                                                           \
	"0abcc9f662898015ad"

static const struct gcm_vector vectors[] = {
    {"13: empty", "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "",
     "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"14: one zero block", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"15: four blocks", TC15_KEY, "cafebabefacedbaddecaf888", "", TC15_PT, TC15_CT, "b094dac5d93471bdec1a502270e3cc6c"},
    /* 16: 60 bytes of 15's plaintext with 20 bytes of AAD, both ending in a partial block. */
    {"16: partial blocks and AAD", TC15_KEY, "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     TC15_PT, TC15_CT, "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_gcm_known_answers(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		const struct gcm_vector *t = &vectors[v];
		uint8_t key[32], iv[12], aad[64], pt[64], ct[64], tag[16], buf[64], got_tag[16], ref[64], ref_tag[16];
		unhex(t->key, key, sizeof(key));
		unhex(t->iv, iv, sizeof(iv));
		size_t aad_len = unhex(t->aad, aad, sizeof(aad));
		size_t len = unhex(t->pt, pt, sizeof(pt));
		unhex(t->ct, ct, sizeof(ct));
		unhex(t->tag, tag, sizeof(tag));
		if (aad_len)
			len = 60;
		print_message("case %s: %zu bytes, %zu of AAD\n", t->name, len, aad_len);

		memcpy(buf, pt, len);
		gst_aes256_gcm_seal(key, iv, aad, aad_len, buf, len, got_tag);
		assert_memory_equal(buf, ct, len);
		assert_memory_equal(got_tag, tag, 16);
		ossl_seal(key, iv, aad, aad_len, pt, len, ref, ref_tag); /* the vector as OpenSSL reads it */
		assert_memory_equal(ref, ct, len);
		assert_memory_equal(ref_tag, tag, 16);

		assert_true(gst_aes256_gcm_open(key, iv, aad, aad_len, buf, len, tag));
		assert_memory_equal(buf, pt, len);
	}
}

/* Every length 0..100 of data and of AAD (and page-sized data) against OpenSSL, keys and IVs from a fixed PRNG. */
static void test_gcm_vs_openssl(void **state)
{
	(void)state;
	static uint8_t pt[4096 - 0x60], buf[sizeof(pt)], ref[sizeof(pt)];
	uint8_t key[32], iv[12], aad[128], tag[16], ref_tag[16];
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (unsigned int round = 0; round < 203; round++) {
		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)((x = x * 6364136223846793005ull + 1442695040888963407ull) >> 56);
		for (size_t i = 0; i < sizeof(iv); i++)
			iv[i] = (uint8_t)((x = x * 6364136223846793005ull + 1) >> 56);
		size_t len = round < 101 ? round : round < 202 ? (round * 7) % 100 : sizeof(pt);
		size_t aad_len = round < 101 ? (round * 13) % 100 : round - 101;
		for (size_t i = 0; i < len; i++)
			pt[i] = (uint8_t)(i * 31 + round);
		for (size_t i = 0; i < aad_len; i++)
			aad[i] = (uint8_t)(i ^ round);

		memcpy(buf, pt, len);
		gst_aes256_gcm_seal(key, iv, aad, aad_len, buf, len, tag);
		ossl_seal(key, iv, aad, aad_len, pt, len, ref, ref_tag);
		assert_memory_equal(buf, ref, len);
		assert_memory_equal(tag, ref_tag, 16);
		assert_true(gst_aes256_gcm_open(key, iv, aad, aad_len, buf, len, tag));
		assert_memory_equal(buf, pt, len);
	}
}

/* A changed tag, ciphertext byte, AAD byte or IV is refused and leaves the ciphertext untouched (no plaintext). */
static void test_gcm_open_refuses_forgeries(void **state)
{
	(void)state;
	uint8_t key[32] = {1, 2, 3}, iv[12] = {4, 5, 6}, aad[20] = {7}, pt[50], ct[50], buf[50], tag[16];
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)i;
	memcpy(ct, pt, sizeof(pt));
	gst_aes256_gcm_seal(key, iv, aad, sizeof(aad), ct, sizeof(ct), tag);

	for (unsigned int what = 0; what < 4; what++) {
		uint8_t t[16], a[20], v[12];
		memcpy(t, tag, 16), memcpy(a, aad, 20), memcpy(v, iv, 12), memcpy(buf, ct, sizeof(ct));
		if (what == 0)
			t[15] ^= 0x80;
		else if (what == 1)
			buf[49] ^= 1;
		else if (what == 2)
			a[0] ^= 1;
		else
			v[11] ^= 1;
		uint8_t before[50];
		memcpy(before, buf, sizeof(buf));
		assert_false(gst_aes256_gcm_open(key, v, a, sizeof(a), buf, sizeof(buf), t));
		assert_memory_equal(buf, before, sizeof(buf));
	}
}

/* The message layer: seal/open round trip on a page; a forged page has its payload wiped. */
static void test_msg_page(void **state)
{
	(void)state;
	static uint8_t page[4096], payload[0x40];
	uint8_t key[32] = {0xAA};
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(0xC0 + i);
	memset(page, 0x11, sizeof(page));
	memcpy(page + SNP_MSG_HDR_SIZE, payload, sizeof(payload));
	gst_msg_seal(key, 7, page, sizeof(payload));
	assert_memory_not_equal(page + SNP_MSG_HDR_SIZE, payload, sizeof(payload));
	assert_true(gst_msg_open(key, 7, page, sizeof(payload)));
	assert_memory_equal(page + SNP_MSG_HDR_SIZE, payload, sizeof(payload));

	gst_msg_seal(key, 8, page, sizeof(payload));
	assert_false(gst_msg_open(key, 9, page, sizeof(payload))); /* wrong sequence number = wrong IV */
	static const uint8_t zero[0x40];
	assert_memory_equal(page + SNP_MSG_HDR_SIZE, zero, sizeof(zero));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aes256_fips197), cmocka_unit_test(test_gcm_known_answers),
	    cmocka_unit_test(test_gcm_vs_openssl), cmocka_unit_test(test_gcm_open_refuses_forgeries),
	    cmocka_unit_test(test_msg_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

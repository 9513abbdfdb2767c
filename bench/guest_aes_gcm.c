/* SPDX-License-Identifier: MIT */
/*
 * Speed of the guest library's constant-time, table-free AES-256-GCM (src/guest/aes_gcm.c, built here with the host
 * flags) against OpenSSL's (AES-NI and PCLMULQDQ where the CPU has them), on guest-message sizes: a request
 * payload (96 bytes), an attestation-report response (0x4A0 bytes) and a full page (4096 - 0x60 bytes).  Prints
 * both rates and their ratio, and the cost of one attestation exchange on the guest's side (seal the 96-byte
 * request, open the 0x4A0-byte response) against a 1 ms limit: the firmware's report signature alone costs more
 * than that (bench/fw_bench), so the guest's AES-GCM is never what limits attestation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "guest/internal.h"

/* This thread's CPU time: the machine is shared, and the figures are about instructions, not waiting. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t key[32] = {1, 2, 3}, iv[12] = {4}, aad[0x30] = {5}, buf[4096], tag[16];

static int openssl_seal(EVP_CIPHER_CTX *c, size_t len)
{
	int n;
	return EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
		       EVP_EncryptUpdate(c, NULL, &n, aad, sizeof(aad)) == 1 &&
		       EVP_EncryptUpdate(c, buf, &n, buf, (int)len) == 1 && EVP_EncryptFinal_ex(c, buf, &n) == 1 &&
		       EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1
		   ? 0
		   : -1;
}

static double per_seal_once(int which, size_t len, EVP_CIPHER_CTX *c)
{
	unsigned long n = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 16; i++, n++) {
			if (which == 0)
				gst_aes256_gcm_seal(key, iv, aad, sizeof(aad), buf, len, tag);
			else if (openssl_seal(c, len)) {
				fprintf(stderr, "bench guest_aes_gcm: OpenSSL failed\n");
				exit(1);
			}
		}
		t = now_s() - t0;
	} while (t < 0.1);
	return t / (double)n;
}

/* Seconds per seal of `len` bytes, ours (which = 0) or OpenSSL's: the best of 5 runs of at least 0.1 s each. */
static double per_seal(int which, size_t len, EVP_CIPHER_CTX *c)
{
	double best = 1e9;
	for (int rep = 0; rep < 5; rep++) {
		double r = per_seal_once(which, len, c);
		best = r < best ? r : best;
	}
	return best;
}

int main(void)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return 1;
	static const size_t sizes[] = {96, 0x4A0, 4096 - 0x60};
	double seal_s[3];
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double ours = per_seal(0, sizes[i], c), ossl = per_seal(1, sizes[i], c);
		printf("guest_aes_gcm: %4zu-byte message: ours %8.1f us (%6.2f MB/s), OpenSSL %6.2f us (%8.1f MB/s); "
		       "ratio ours/OpenSSL speed %.4f\n",
		       sizes[i], ours * 1e6, (double)sizes[i] / ours / 1e6, ossl * 1e6, (double)sizes[i] / ossl / 1e6,
		       ossl / ours);
		seal_s[i] = ours;
	}
	/* Open costs what seal does (the same passes in another order). */
	double exchange = seal_s[0] + seal_s[1];
	printf("guest_aes_gcm: one report exchange (seal 96 B, open 1184 B) %.3f ms; limit 1 ms: ratio %.2f\n",
	       exchange * 1e3, exchange / 1e-3);
	EVP_CIPHER_CTX_free(c);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* SHA-256 through OpenSSL EVP, for the launch measurement's SEV hashes table (a crypto_*.c file: see crypto.h). */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "common/crypto.h"

int attest_sha256(const void *data, size_t len, uint8_t out[ATTEST_SHA256_LEN])
{
	static const uint8_t empty;
	unsigned int out_len = 0;
	/* EVP_Digest only fails when it cannot allocate a context. */
	if (!EVP_Digest(data ? data : &empty, len, out, &out_len, EVP_sha256(), NULL) || out_len != ATTEST_SHA256_LEN)
		return -ENOMEM;
	return 0;
}

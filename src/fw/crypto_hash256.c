/* SPDX-License-Identifier: MIT */
/* SHA-256 through OpenSSL EVP (one of the crypto*.c files, the only ones that call libcrypto). */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "fw/crypto_sha256.h"

int fw_sha256(const void *data, size_t len, uint8_t out[FW_SHA256_SIZE])
{
	static const uint8_t empty;
	unsigned int out_len = 0;
	/* EVP_Digest only fails when it cannot allocate a context. */
	if (!EVP_Digest(data ? data : &empty, len, out, &out_len, EVP_sha256(), NULL) || out_len != FW_SHA256_SIZE)
		return -ENOMEM;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* SHA-256 through OpenSSL EVP (one of the crypto*.c files, the only ones that call libcrypto). */
#include <openssl/evp.h>
#include <stdlib.h>

#include "fw/crypto_sha256.h"

void fw_sha256(const void *data, size_t len, uint8_t out[FW_SHA256_SIZE])
{
	static const uint8_t empty;
	unsigned int out_len = 0;
	/* EVP_Digest only fails when it cannot allocate a context: a host failure with no error path here, handled
	 * as fw_sha384() handles it. */
	if (!EVP_Digest(data ? data : &empty, len, out, &out_len, EVP_sha256(), NULL) || out_len != FW_SHA256_SIZE)
		abort();
}

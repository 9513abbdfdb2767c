/* SPDX-License-Identifier: MIT */
/* Hashing for the firmware model (OpenSSL EVP). */
#include <openssl/evp.h>
#include <stdlib.h>

#include "fw/crypto.h"

void fw_sha384_v(const struct fw_iovec *iov, size_t n, uint8_t out[FW_SHA384_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	/* Allocation failure of a digest context is not recoverable for a hash with no error path. */
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha384(), NULL))
		abort();
	for (size_t i = 0; i < n; i++)
		if (!EVP_DigestUpdate(ctx, iov[i].base, iov[i].len))
			abort();
	if (!EVP_DigestFinal_ex(ctx, out, &len) || len != FW_SHA384_SIZE)
		abort();
	EVP_MD_CTX_free(ctx);
}

void fw_sha384(const void *data, size_t len, uint8_t out[FW_SHA384_SIZE])
{
	struct fw_iovec v = {data, len};
	fw_sha384_v(&v, 1, out);
}

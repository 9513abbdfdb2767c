/* SPDX-License-Identifier: MIT */
/*
 * The firmware model's cryptography, internal to src/fw.  crypto*.c are the only files that call OpenSSL's
 * libcrypto; everything else in snpemu goes through these functions.  Functions that can fail return 0 or a
 * negative errno; secrets are wiped by the callee before it returns.
 */
#ifndef SNPEMU_FW_CRYPTO_H
#define SNPEMU_FW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define FW_SHA384_SIZE 48u

/* SHA-384 of one buffer. */
void fw_sha384(const void *data, size_t len, uint8_t out[FW_SHA384_SIZE]);

/* SHA-384 of the concatenation of up to `n` (pointer, length) pieces. */
struct fw_iovec {
	const void *base;
	size_t len;
};
void fw_sha384_v(const struct fw_iovec *iov, size_t n, uint8_t out[FW_SHA384_SIZE]);

#endif

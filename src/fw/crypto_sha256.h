/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 for the firmware model, internal to src/fw (the SEV hashes table of the launch measurement holds the
 * SHA-256 of the kernel, initrd and command line).  Kept apart from crypto.h, which another part owns.
 */
#ifndef SNPEMU_FW_CRYPTO_SHA256_H
#define SNPEMU_FW_CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define FW_SHA256_SIZE 32u

/* SHA-256 of one buffer (`data` may be NULL when `len` is 0). */
/* 0, or -ENOMEM when OpenSSL cannot allocate its context. */
int fw_sha256(const void *data, size_t len, uint8_t out[FW_SHA256_SIZE]) __attribute__((warn_unused_result));

#endif

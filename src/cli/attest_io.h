/* SPDX-License-Identifier: MIT */
/*
 * File and argument helpers of the subcommands.  Every function validates its
 * input and returns 0 or a negative errno; messages are the caller's to print.
 */
#ifndef SNPEMU_CLI_ATTEST_IO_H
#define SNPEMU_CLI_ATTEST_IO_H

#include <stddef.h>
#include <stdint.h>

#define CLI_FILE_MAX (1u << 20) /* no attestation input is larger than 1 MiB */

/* Read a whole file (at most CLI_FILE_MAX bytes; "-" is stdin) into a malloc'd buffer.  -ENOENT, -EISDIR,
 * -EFBIG, other -errno. */
int cli_read_file(const char *path, uint8_t **buf, size_t *len);

/* Parse hex (optional 0x prefix) into exactly `n` bytes, or, if `pad`, into at most `n` bytes padded with zeros.
 * -EINVAL on any other input. */
int cli_parse_hex(const char *s, uint8_t *out, size_t n, int pad);

/* Parse an unsigned decimal or 0x-hex number no larger than `max`.  -EINVAL otherwise. */
int cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* A certificate file as DER: PEM ("-----BEGIN CERTIFICATE-----") is converted, anything else is taken as DER.  The
 * result must parse as one X.509 certificate.  Returns 0 and a malloc'd buffer, -ENOENT, or -EINVAL (malformed). */
int cli_load_cert(const char *path, uint8_t **der, size_t *len);

#endif

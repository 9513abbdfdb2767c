/* SPDX-License-Identifier: MIT */
/* Argument parsing helpers shared by the subcommands. */
#ifndef SNPEMU_CLI_UTIL_H
#define SNPEMU_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parse hex (optional 0x, even length) into out[0..*len) (cap bytes max).  Returns 0 or -1. */
int cli_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len);
/* Parse an unsigned integer (decimal or 0x-hex) in [min, max].  Returns 0 or -1. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Hexadecimal text to bytes, the one decoder every part uses: the CLI's options (REPORT_DATA, digests), the KDS URL
 * parser (hwid), the guest runtime's program arguments, and the tests' known answers.  Header-only and
 * freestanding (no C library), so that the guest runtime, which links nothing else of the host's, can use it too.
 * Digits are 0-9, a-f, A-F; no prefix, sign or space is accepted here (callers strip a "0x" they allow).
 */
#ifndef SNPEMU_COMMON_HEX_H
#define SNPEMU_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hexadecimal digit, or -1 if `c` is not one. */
static inline int snpemu_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode `nbytes` bytes from the 2 * nbytes digits at `s` (which need not be NUL-terminated) into `out`.  0, or -1
 * at the first character that is not a digit (then `out` holds the bytes before it). */
static inline int snpemu_hex_decode(const char *s, size_t nbytes, uint8_t *out)
{
	for (size_t i = 0; i < nbytes; i++) {
		int hi = snpemu_hex_digit(s[2 * i]), lo = hi < 0 ? -1 : snpemu_hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

#endif

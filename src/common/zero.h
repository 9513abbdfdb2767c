/* SPDX-License-Identifier: MIT */
/*
 * The one "are these bytes all zero" check (reserved fields, zero pages).  It stops at the first non-zero word:
 * nothing it is asked about is a secret to scan in constant time (a page's zero-ness travels as a flag anyway).
 */
#ifndef SNPEMU_COMMON_ZERO_H
#define SNPEMU_COMMON_ZERO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline bool mem_is_zero(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		if (v)
			return false;
	}
	for (; i < n; i++)
		if (p[i])
			return false;
	return true;
}

#endif

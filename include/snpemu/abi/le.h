/* SPDX-License-Identifier: MIT */
/*
 * Explicit little-endian loads and stores.
 *
 * Every multi-byte field of the GHCB, the guest-message header, the attestation report and the other SNP
 * structures is little-endian by definition (GHCB spec 56421 §2.2, SNP ABI 56860 §1.3).  Reading them through these
 * helpers instead of casting packed structures keeps the code correct on any host and free of unaligned accesses.
 * Freestanding C99: only <stdint.h>.
 */
#ifndef SNPEMU_ABI_LE_H
#define SNPEMU_ABI_LE_H

#include <stdint.h>

static inline uint16_t le16_load(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint16_t)(b[0] | (uint16_t)b[1] << 8);
}

static inline uint32_t le32_load(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t le64_load(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint64_t)le32_load(b) | (uint64_t)le32_load(b + 4) << 32;
}

static inline void le16_store(void *p, uint16_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void le32_store(void *p, uint32_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void le64_store(void *p, uint64_t v)
{
	le32_store(p, (uint32_t)v);
	le32_store((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

#endif

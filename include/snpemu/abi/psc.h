/* SPDX-License-Identifier: MIT */
/*
 * Page State Change descriptor for the PSC NAE (GHCB spec 56421 §4.1.6 Tables 8/9; Linux struct psc_desc).
 * Header {u16 cur_entry; u16 end_entry; u32 reserved} followed by up to 253 u64 entries:
 *   cur_page [11:0], gfn [51:12], operation [55:52], pagesize [56], reserved [63:57].
 * Entries are handled with shifts and masks, never C bitfields.
 */
#ifndef SNPEMU_ABI_PSC_H
#define SNPEMU_ABI_PSC_H

#include <stdint.h>

#include "le.h"

#define PSC_HDR_SIZE	      8u
#define PSC_ENTRY_SIZE	      8u
#define VMGEXIT_PSC_MAX_ENTRY 253u /* VMGEXIT_PSC_MAX_COUNT: header + 253 entries fit the 2032-byte buffer */
#define PSC_DESC_SIZE	      (PSC_HDR_SIZE + VMGEXIT_PSC_MAX_ENTRY * PSC_ENTRY_SIZE)
_Static_assert(PSC_DESC_SIZE == 2032u, "a full PSC descriptor is the GHCB shared buffer");

#define PSC_OFF_CUR_ENTRY 0u
#define PSC_OFF_END_ENTRY 2u
#define PSC_OFF_RESERVED  4u
#define PSC_OFF_ENTRY(i)  (PSC_HDR_SIZE + (uint64_t)(i)*PSC_ENTRY_SIZE)

/* Operations (GHCB spec Table 9). */
#define SNP_PAGE_STATE_PRIVATE 1u
#define SNP_PAGE_STATE_SHARED  2u
#define SNP_PAGE_STATE_PSMASH  3u
#define SNP_PAGE_STATE_UNSMASH 4u

#define RMP_PG_SIZE_4K 0u
#define RMP_PG_SIZE_2M 1u

#define PSC_ENTRY_CUR_PAGE_MASK	 0xFFFull
#define PSC_ENTRY_GFN_SHIFT	 12u
#define PSC_ENTRY_GFN_MASK	 0xFFFFFFFFFFull /* 40 bits */
#define PSC_ENTRY_OP_SHIFT	 52u
#define PSC_ENTRY_OP_MASK	 0xFull
#define PSC_ENTRY_PAGESIZE_SHIFT 56u
#define PSC_ENTRY_RESERVED_SHIFT 57u

/* Status returned in SW_EXITINFO2 (GHCB spec §4.1.6; Linux/KVM VMGEXIT_PSC_ERROR_*). */
#define VMGEXIT_PSC_ERROR_INVALID_HDR	((1ull << 32) | 1u)
#define VMGEXIT_PSC_ERROR_INVALID_ENTRY ((1ull << 32) | 2u)
#define VMGEXIT_PSC_ERROR_GENERIC	(0x100ull << 32)

static inline uint64_t psc_entry_make(uint64_t gfn, unsigned int op, unsigned int pagesize, unsigned int cur_page)
{
	return (uint64_t)(cur_page & PSC_ENTRY_CUR_PAGE_MASK) | (gfn & PSC_ENTRY_GFN_MASK) << PSC_ENTRY_GFN_SHIFT |
	       (uint64_t)(op & PSC_ENTRY_OP_MASK) << PSC_ENTRY_OP_SHIFT |
	       (uint64_t)(pagesize & 1u) << PSC_ENTRY_PAGESIZE_SHIFT;
}
static inline unsigned int psc_entry_cur_page(uint64_t e)
{
	return (unsigned int)(e & PSC_ENTRY_CUR_PAGE_MASK);
}
static inline uint64_t psc_entry_gfn(uint64_t e)
{
	return (e >> PSC_ENTRY_GFN_SHIFT) & PSC_ENTRY_GFN_MASK;
}
static inline unsigned int psc_entry_op(uint64_t e)
{
	return (unsigned int)((e >> PSC_ENTRY_OP_SHIFT) & PSC_ENTRY_OP_MASK);
}
static inline unsigned int psc_entry_pagesize(uint64_t e)
{
	return (unsigned int)((e >> PSC_ENTRY_PAGESIZE_SHIFT) & 1u);
}
static inline unsigned int psc_entry_reserved(uint64_t e)
{
	return (unsigned int)(e >> PSC_ENTRY_RESERVED_SHIFT);
}
static inline uint64_t psc_entry_set_cur_page(uint64_t e, unsigned int cur_page)
{
	return (e & ~PSC_ENTRY_CUR_PAGE_MASK) | (cur_page & PSC_ENTRY_CUR_PAGE_MASK);
}

/* Header and entry access on a descriptor held as bytes. */
static inline uint16_t psc_hdr_cur_entry(const uint8_t *d)
{
	return le16_load(d + PSC_OFF_CUR_ENTRY);
}
static inline uint16_t psc_hdr_end_entry(const uint8_t *d)
{
	return le16_load(d + PSC_OFF_END_ENTRY);
}
static inline void psc_hdr_set(uint8_t *d, uint16_t cur_entry, uint16_t end_entry)
{
	le16_store(d + PSC_OFF_CUR_ENTRY, cur_entry);
	le16_store(d + PSC_OFF_END_ENTRY, end_entry);
	le32_store(d + PSC_OFF_RESERVED, 0);
}
static inline uint64_t psc_entry_load(const uint8_t *d, unsigned int i)
{
	return le64_load(d + PSC_OFF_ENTRY(i));
}
static inline void psc_entry_store(uint8_t *d, unsigned int i, uint64_t e)
{
	le64_store(d + PSC_OFF_ENTRY(i), e);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The GHCB page: the 4 KiB page an SEV-ES/SNP guest shares with its hypervisor (GHCB spec 56421 §2.3, Table 3;
 * Linux arch/x86/include/asm/svm.h `struct ghcb`).  Dual-use: guest code built -ffreestanding and host code.
 *
 * The page is handled as bytes.  Each protocol field has an offset constant, a valid-bitmap bit (offset / 8,
 * GHCB_BITMAP_IDX in Linux) and generated accessors that use explicit little-endian loads and stores:
 *   ghcb_get_rax(g)       value of the field (whatever the valid bit says)
 *   ghcb_set_rax(g, v)    store the value and set its valid bit
 *   ghcb_rax_is_valid(g)  test the valid bit
 * `struct ghcb_layout` mirrors the layout with C types only so that the offsets can be statically asserted.
 */
#ifndef SNPEMU_ABI_GHCB_H
#define SNPEMU_ABI_GHCB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "le.h"

#define GHCB_PAGE_SIZE 4096u

/* Field offsets in the save area (GHCB spec Table 3; KVM struct ghcb_save_area). */
#define GHCB_OFF_CPL		0x0CBu
#define GHCB_OFF_XSS		0x140u
#define GHCB_OFF_DR7		0x160u
#define GHCB_OFF_RIP		0x178u
#define GHCB_OFF_RSP		0x1D8u
#define GHCB_OFF_RAX		0x1F8u
#define GHCB_OFF_RCX		0x308u
#define GHCB_OFF_RDX		0x310u
#define GHCB_OFF_RBX		0x318u
#define GHCB_OFF_RBP		0x328u
#define GHCB_OFF_RSI		0x330u
#define GHCB_OFF_RDI		0x338u
#define GHCB_OFF_R8		0x340u
#define GHCB_OFF_R9		0x348u
#define GHCB_OFF_R10		0x350u
#define GHCB_OFF_R11		0x358u
#define GHCB_OFF_R12		0x360u
#define GHCB_OFF_R13		0x368u
#define GHCB_OFF_R14		0x370u
#define GHCB_OFF_R15		0x378u
#define GHCB_OFF_SW_EXIT_CODE	0x390u
#define GHCB_OFF_SW_EXIT_INFO_1 0x398u
#define GHCB_OFF_SW_EXIT_INFO_2 0x3A0u
#define GHCB_OFF_SW_SCRATCH	0x3A8u
#define GHCB_OFF_XCR0		0x3E8u
#define GHCB_OFF_VALID_BITMAP	0x3F0u /* 16 bytes, 128 bits */
#define GHCB_OFF_X87_STATE_GPA	0x400u
#define GHCB_SAVE_AREA_SIZE	0x408u /* EXPECTED_GHCB_SAVE_AREA_SIZE = 1032 */

/* Shared buffer and trailer (GHCB spec §2.3). */
#define GHCB_OFF_SHARED_BUFFER	  0x800u
#define GHCB_SHARED_BUFFER_SIZE	  2032u	 /* GHCB_SHARED_BUF_SIZE: 0x800..0xFEF */
#define GHCB_OFF_PROTOCOL_VERSION 0xFFAu /* u16 */
#define GHCB_OFF_USAGE		  0xFFCu /* u32; 0 = standard GHCB (the only usage KVM accepts) */
#define GHCB_USAGE_DEFAULT	  0u

#define GHCB_VALID_BITMAP_BITS 128u
/* Valid-bitmap bit of a save-area field: its offset divided by 8 (Linux GHCB_BITMAP_IDX). */
#define GHCB_BITMAP_IDX(off)   ((off) / 8u)

/* GHCB protocol versions (GHCB spec §2.2; KVM GHCB_VERSION_MIN/MAX). */
#define GHCB_PROTOCOL_MIN 1u
#define GHCB_PROTOCOL_MAX 2u

/* SW_EXITINFO1 responses (GHCB spec §4.1.7; Linux GHCB_HV_RESP_*). */
#define GHCB_HV_RESP_NO_ACTION	     0u
#define GHCB_HV_RESP_ISSUE_EXCEPTION 1u
#define GHCB_HV_RESP_MALFORMED_INPUT 2u

/* SW_EXITINFO2 reasons with GHCB_HV_RESP_MALFORMED_INPUT (GHCB spec Table 6; Linux GHCB_ERR_*). */
#define GHCB_ERR_NOT_REGISTERED	      1u
#define GHCB_ERR_INVALID_USAGE	      2u
#define GHCB_ERR_INVALID_SCRATCH_AREA 3u
#define GHCB_ERR_MISSING_INPUT	      4u
#define GHCB_ERR_INVALID_INPUT	      5u
#define GHCB_ERR_INVALID_EVENT	      6u

/* Exception injection in SW_EXITINFO2 with GHCB_HV_RESP_ISSUE_EXCEPTION (SVM EVENTINJ format, APM vol 2 §15.20;
 * Linux SVM_EVTINJ_*): valid bit 31, type [10:8] = 3 (exception), vector [7:0]. */
#define SVM_EVTINJ_VALID       (1u << 31)
#define SVM_EVTINJ_TYPE_EXEPT  (3u << 8)
#define SVM_EVTINJ_VALID_ERR   (1u << 11)
#define X86_VECTOR_UD	       6u
#define X86_VECTOR_GP	       13u
#define GHCB_EXCEPTION(vector) ((uint64_t)(SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | ((vector)&0xFFu)))
#define GHCB_EXCEPTION_GP      GHCB_EXCEPTION(X86_VECTOR_GP) /* 0x8000030D: a faulting MSR access */

/* Hypervisor features (GHCB spec §2.3.5 Table 5 / §4.1.10; Linux GHCB_HV_FT_*). */
#define GHCB_HV_FT_SNP			    (1ull << 0)
#define GHCB_HV_FT_SNP_AP_CREATION	    (1ull << 1)
#define GHCB_HV_FT_SNP_RESTRICTED_INJ	    (1ull << 2)
#define GHCB_HV_FT_SNP_RESTRICTED_INJ_TIMER (1ull << 3)
#define GHCB_HV_FT_APIC_ID_LIST		    (1ull << 4)
#define GHCB_HV_FT_SNP_MULTI_VMPL	    (1ull << 5)
#define GHCB_HV_FT_SUPPORTED		    (GHCB_HV_FT_SNP | GHCB_HV_FT_SNP_AP_CREATION) /* what KVM advertises: 0x3 */

/* Layout mirror, for the static assertions only. */
struct ghcb_save_layout {
	uint8_t reserved_0x0[203];
	uint8_t cpl;
	uint8_t reserved_0xcc[116];
	uint64_t xss;
	uint8_t reserved_0x148[24];
	uint64_t dr7;
	uint8_t reserved_0x168[16];
	uint64_t rip;
	uint8_t reserved_0x180[88];
	uint64_t rsp;
	uint8_t reserved_0x1e0[24];
	uint64_t rax;
	uint8_t reserved_0x200[264];
	uint64_t rcx, rdx, rbx;
	uint8_t reserved_0x320[8];
	uint64_t rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
	uint8_t reserved_0x380[16];
	uint64_t sw_exit_code, sw_exit_info_1, sw_exit_info_2, sw_scratch;
	uint8_t reserved_0x3b0[56];
	uint64_t xcr0;
	uint8_t valid_bitmap[16];
	uint64_t x87_state_gpa;
};

struct ghcb_layout {
	struct ghcb_save_layout save;
	uint8_t reserved_save[2048 - sizeof(struct ghcb_save_layout)];
	uint8_t shared_buffer[GHCB_SHARED_BUFFER_SIZE];
	uint8_t reserved_0xff0[10];
	uint16_t protocol_version;
	uint32_t ghcb_usage;
};

#define GHCB_ASSERT_OFF(field, off) \
	_Static_assert(offsetof(struct ghcb_save_layout, field) == (off), "GHCB offset of " #field)
GHCB_ASSERT_OFF(cpl, GHCB_OFF_CPL);
GHCB_ASSERT_OFF(xss, GHCB_OFF_XSS);
GHCB_ASSERT_OFF(dr7, GHCB_OFF_DR7);
GHCB_ASSERT_OFF(rip, GHCB_OFF_RIP);
GHCB_ASSERT_OFF(rsp, GHCB_OFF_RSP);
GHCB_ASSERT_OFF(rax, GHCB_OFF_RAX);
GHCB_ASSERT_OFF(rcx, GHCB_OFF_RCX);
GHCB_ASSERT_OFF(rdx, GHCB_OFF_RDX);
GHCB_ASSERT_OFF(rbx, GHCB_OFF_RBX);
GHCB_ASSERT_OFF(rbp, GHCB_OFF_RBP);
GHCB_ASSERT_OFF(rsi, GHCB_OFF_RSI);
GHCB_ASSERT_OFF(rdi, GHCB_OFF_RDI);
GHCB_ASSERT_OFF(r8, GHCB_OFF_R8);
GHCB_ASSERT_OFF(r15, GHCB_OFF_R15);
GHCB_ASSERT_OFF(sw_exit_code, GHCB_OFF_SW_EXIT_CODE);
GHCB_ASSERT_OFF(sw_exit_info_1, GHCB_OFF_SW_EXIT_INFO_1);
GHCB_ASSERT_OFF(sw_exit_info_2, GHCB_OFF_SW_EXIT_INFO_2);
GHCB_ASSERT_OFF(sw_scratch, GHCB_OFF_SW_SCRATCH);
GHCB_ASSERT_OFF(xcr0, GHCB_OFF_XCR0);
GHCB_ASSERT_OFF(valid_bitmap, GHCB_OFF_VALID_BITMAP);
GHCB_ASSERT_OFF(x87_state_gpa, GHCB_OFF_X87_STATE_GPA);
_Static_assert(sizeof(struct ghcb_save_layout) == GHCB_SAVE_AREA_SIZE, "GHCB save area is 1032 bytes");
_Static_assert(offsetof(struct ghcb_layout, shared_buffer) == GHCB_OFF_SHARED_BUFFER, "GHCB shared buffer");
_Static_assert(offsetof(struct ghcb_layout, protocol_version) == GHCB_OFF_PROTOCOL_VERSION, "GHCB version");
_Static_assert(offsetof(struct ghcb_layout, ghcb_usage) == GHCB_OFF_USAGE, "GHCB usage");
_Static_assert(sizeof(struct ghcb_layout) == GHCB_PAGE_SIZE, "GHCB is one page");

/* The page itself: bytes, accessed only through the helpers below. */
struct ghcb {
	uint8_t bytes[GHCB_PAGE_SIZE];
};
_Static_assert(sizeof(struct ghcb) == GHCB_PAGE_SIZE, "GHCB is one page");

static inline bool ghcb_bitmap_test(const uint8_t bitmap[16], unsigned int bit)
{
	return bit < GHCB_VALID_BITMAP_BITS && (bitmap[bit / 8u] >> (bit % 8u)) & 1u;
}

static inline void ghcb_bitmap_set(uint8_t bitmap[16], unsigned int bit)
{
	if (bit < GHCB_VALID_BITMAP_BITS)
		bitmap[bit / 8u] = (uint8_t)(bitmap[bit / 8u] | (1u << (bit % 8u)));
}

static inline bool ghcb_offset_is_valid(const struct ghcb *g, unsigned int off)
{
	return ghcb_bitmap_test(g->bytes + GHCB_OFF_VALID_BITMAP, GHCB_BITMAP_IDX(off));
}

static inline void ghcb_mark_valid(struct ghcb *g, unsigned int off)
{
	ghcb_bitmap_set(g->bytes + GHCB_OFF_VALID_BITMAP, GHCB_BITMAP_IDX(off));
}

static inline void ghcb_clear_valid_bitmap(struct ghcb *g)
{
	for (unsigned int i = 0; i < 16u; i++)
		g->bytes[GHCB_OFF_VALID_BITMAP + i] = 0;
}

#define GHCB_DEFINE_U64(name, OFF)                                      \
	static inline uint64_t ghcb_get_##name(const struct ghcb *g)    \
	{                                                               \
		return le64_load(g->bytes + (OFF));                     \
	}                                                               \
	static inline void ghcb_set_##name(struct ghcb *g, uint64_t v)  \
	{                                                               \
		le64_store(g->bytes + (OFF), v);                        \
		ghcb_mark_valid(g, (OFF));                              \
	}                                                               \
	static inline bool ghcb_##name##_is_valid(const struct ghcb *g) \
	{                                                               \
		return ghcb_offset_is_valid(g, (OFF));                  \
	}

GHCB_DEFINE_U64(xss, GHCB_OFF_XSS)
GHCB_DEFINE_U64(dr7, GHCB_OFF_DR7)
GHCB_DEFINE_U64(rip, GHCB_OFF_RIP)
GHCB_DEFINE_U64(rsp, GHCB_OFF_RSP)
GHCB_DEFINE_U64(rax, GHCB_OFF_RAX)
GHCB_DEFINE_U64(rcx, GHCB_OFF_RCX)
GHCB_DEFINE_U64(rdx, GHCB_OFF_RDX)
GHCB_DEFINE_U64(rbx, GHCB_OFF_RBX)
GHCB_DEFINE_U64(rbp, GHCB_OFF_RBP)
GHCB_DEFINE_U64(rsi, GHCB_OFF_RSI)
GHCB_DEFINE_U64(rdi, GHCB_OFF_RDI)
GHCB_DEFINE_U64(sw_exit_code, GHCB_OFF_SW_EXIT_CODE)
GHCB_DEFINE_U64(sw_exit_info_1, GHCB_OFF_SW_EXIT_INFO_1)
GHCB_DEFINE_U64(sw_exit_info_2, GHCB_OFF_SW_EXIT_INFO_2)
GHCB_DEFINE_U64(sw_scratch, GHCB_OFF_SW_SCRATCH)
GHCB_DEFINE_U64(xcr0, GHCB_OFF_XCR0)

static inline uint8_t ghcb_get_cpl(const struct ghcb *g)
{
	return g->bytes[GHCB_OFF_CPL];
}

static inline void ghcb_set_cpl(struct ghcb *g, uint8_t v)
{
	g->bytes[GHCB_OFF_CPL] = v;
	ghcb_mark_valid(g, GHCB_OFF_CPL);
}

static inline bool ghcb_cpl_is_valid(const struct ghcb *g)
{
	return ghcb_offset_is_valid(g, GHCB_OFF_CPL);
}

static inline uint16_t ghcb_get_protocol_version(const struct ghcb *g)
{
	return le16_load(g->bytes + GHCB_OFF_PROTOCOL_VERSION);
}

static inline void ghcb_set_protocol_version(struct ghcb *g, uint16_t v)
{
	le16_store(g->bytes + GHCB_OFF_PROTOCOL_VERSION, v);
}

static inline uint32_t ghcb_get_usage(const struct ghcb *g)
{
	return le32_load(g->bytes + GHCB_OFF_USAGE);
}

static inline void ghcb_set_usage(struct ghcb *g, uint32_t v)
{
	le32_store(g->bytes + GHCB_OFF_USAGE, v);
}

/* True if [off, off+len) lies inside the shared buffer (0x800..0xFEF). */
static inline bool ghcb_range_in_shared_buffer(uint64_t off, uint64_t len)
{
	return off >= GHCB_OFF_SHARED_BUFFER && len <= GHCB_SHARED_BUFFER_SIZE &&
	       off - GHCB_OFF_SHARED_BUFFER <= GHCB_SHARED_BUFFER_SIZE - len;
}

#endif

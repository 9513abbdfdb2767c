/* SPDX-License-Identifier: MIT */
/*
 * GHCB MSR protocol (GHCB spec 56421 §2.3.1 Table 2; Linux arch/x86/include/asm/sev-common.h GHCB_MSR_*).
 * GHCBInfo is bits [11:0] of the GHCB MSR; GHCBData is bits [63:12].  Encode/decode helpers for every
 * request and response follow the spec's bit positions.
 */
#ifndef SNPEMU_ABI_MSR_PROTO_H
#define SNPEMU_ABI_MSR_PROTO_H

#include <stdint.h>

#define MSR_AMD64_SEV_ES_GHCB	  0xC0010130u /* the GHCB MSR */
#define MSR_AMD64_SEV		  0xC0010131u /* SEV_STATUS (APM vol 2 §15.34.10) */
#define MSR_AMD64_SEV_ENABLED	  (1ull << 0)
#define MSR_AMD64_SEV_ES_ENABLED  (1ull << 1)
#define MSR_AMD64_SEV_SNP_ENABLED (1ull << 2)

#define GHCB_MSR_INFO_MASK 0xFFFull
#define GHCB_MSR_INFO(v)   ((uint32_t)((v)&GHCB_MSR_INFO_MASK))
#define GHCB_MSR_DATA(v)   ((uint64_t)(v) >> 12)

#define GHCB_MSR_SEV_INFO_RESP	    0x001u
#define GHCB_MSR_SEV_INFO_REQ	    0x002u
#define GHCB_MSR_CPUID_REQ	    0x004u
#define GHCB_MSR_CPUID_RESP	    0x005u
#define GHCB_MSR_AP_RESET_HOLD_REQ  0x006u
#define GHCB_MSR_AP_RESET_HOLD_RESP 0x007u
#define GHCB_MSR_PREF_GPA_REQ	    0x010u
#define GHCB_MSR_PREF_GPA_RESP	    0x011u
#define GHCB_MSR_REG_GPA_REQ	    0x012u
#define GHCB_MSR_REG_GPA_RESP	    0x013u
#define GHCB_MSR_PSC_REQ	    0x014u
#define GHCB_MSR_PSC_RESP	    0x015u
#define GHCB_MSR_VMPL_REQ	    0x016u
#define GHCB_MSR_VMPL_RESP	    0x017u
#define GHCB_MSR_HV_FT_REQ	    0x080u
#define GHCB_MSR_HV_FT_RESP	    0x081u
#define GHCB_MSR_TERM_REQ	    0x100u

/* SEV information response: max version [63:48], min version [47:32], C-bit position [31:24]. */
static inline uint64_t ghcb_msr_sev_info(uint16_t max, uint16_t min, uint8_t cbit)
{
	return (uint64_t)max << 48 | (uint64_t)min << 32 | (uint64_t)cbit << 24 | GHCB_MSR_SEV_INFO_RESP;
}
static inline uint16_t ghcb_msr_sev_info_max(uint64_t v)
{
	return (uint16_t)(v >> 48);
}
static inline uint16_t ghcb_msr_sev_info_min(uint64_t v)
{
	return (uint16_t)(v >> 32);
}
static inline uint8_t ghcb_msr_sev_info_cbit(uint64_t v)
{
	return (uint8_t)(v >> 24);
}

/* CPUID request: function [63:32], register [31:30] (0 EAX, 1 EBX, 2 ECX, 3 EDX).  Response: value [63:32]. */
#define GHCB_CPUID_REG_EAX 0u
#define GHCB_CPUID_REG_EBX 1u
#define GHCB_CPUID_REG_ECX 2u
#define GHCB_CPUID_REG_EDX 3u
static inline uint64_t ghcb_msr_cpuid_req(uint32_t fn, unsigned int reg)
{
	return (uint64_t)fn << 32 | (uint64_t)(reg & 3u) << 30 | GHCB_MSR_CPUID_REQ;
}
static inline uint32_t ghcb_msr_cpuid_fn(uint64_t v)
{
	return (uint32_t)(v >> 32);
}
static inline unsigned int ghcb_msr_cpuid_reg(uint64_t v)
{
	return (unsigned int)((v >> 30) & 3u);
}
static inline uint64_t ghcb_msr_cpuid_resp(uint64_t req, uint32_t value)
{
	/* KVM leaves bits [31:12] as in the request. */
	return (uint64_t)value << 32 | (req & 0xFFFFF000ull) | GHCB_MSR_CPUID_RESP;
}
static inline uint32_t ghcb_msr_cpuid_value(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

/* AP reset hold: response result in [63:12]; non-zero once woken (KVM: 1 after a SIPI). */
static inline uint64_t ghcb_msr_ap_reset_hold_resp(uint64_t result)
{
	return result << 12 | GHCB_MSR_AP_RESET_HOLD_RESP;
}
static inline uint64_t ghcb_msr_ap_reset_hold_result(uint64_t v)
{
	return v >> 12;
}

/* Preferred and registered GHCB GPA: GFN in [63:12] (mask GENMASK(51,0) at 12). */
#define GHCB_MSR_GPA_VALUE_MASK 0xFFFFFFFFFFFFFull
#define GHCB_MSR_PREF_GPA_NONE	0xFFFFFFFFFFFFFull
static inline uint64_t ghcb_msr_pref_gpa_resp(uint64_t gfn)
{
	return (gfn & GHCB_MSR_GPA_VALUE_MASK) << 12 | GHCB_MSR_PREF_GPA_RESP;
}
static inline uint64_t ghcb_msr_reg_gpa_req(uint64_t gfn)
{
	return (gfn & GHCB_MSR_GPA_VALUE_MASK) << 12 | GHCB_MSR_REG_GPA_REQ;
}
static inline uint64_t ghcb_msr_reg_gpa_resp(uint64_t gfn)
{
	return (gfn & GHCB_MSR_GPA_VALUE_MASK) << 12 | GHCB_MSR_REG_GPA_RESP;
}
static inline uint64_t ghcb_msr_gfn(uint64_t v)
{
	return (v >> 12) & GHCB_MSR_GPA_VALUE_MASK;
}

/* Page state change: GFN [51:12], operation [55:52]; response error code [63:32] (0 = success). */
#define GHCB_MSR_PSC_OP_PRIVATE 1u
#define GHCB_MSR_PSC_OP_SHARED	2u
#define GHCB_MSR_PSC_GFN_MASK	0xFFFFFFFFFFull /* 40 bits */
#define GHCB_MSR_PSC_RESP_ERROR (1ull << 63)	/* the value KVM reports on failure, with 0x015 */
static inline uint64_t ghcb_msr_psc_req(uint64_t gfn, unsigned int op)
{
	return (uint64_t)(op & 0xFu) << 52 | (gfn & GHCB_MSR_PSC_GFN_MASK) << 12 | GHCB_MSR_PSC_REQ;
}
static inline uint64_t ghcb_msr_psc_gfn(uint64_t v)
{
	return (v >> 12) & GHCB_MSR_PSC_GFN_MASK;
}
static inline unsigned int ghcb_msr_psc_op(uint64_t v)
{
	return (unsigned int)((v >> 52) & 0xFu);
}
static inline uint64_t ghcb_msr_psc_resp(uint32_t error)
{
	return (uint64_t)error << 32 | GHCB_MSR_PSC_RESP;
}
static inline uint32_t ghcb_msr_psc_resp_error(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

/* VMPL request (GHCB spec §2.3.1, not handled by KVM): VMPL [39:32]; response error [63:32]. */
static inline uint64_t ghcb_msr_vmpl_req(uint8_t vmpl)
{
	return (uint64_t)vmpl << 32 | GHCB_MSR_VMPL_REQ;
}

/* Hypervisor features: bitmap in [63:12]. */
static inline uint64_t ghcb_msr_hv_ft_resp(uint64_t features)
{
	return features << 12 | GHCB_MSR_HV_FT_RESP;
}
static inline uint64_t ghcb_msr_hv_ft_features(uint64_t v)
{
	return v >> 12;
}

/* Termination request: reason set [15:12], reason code [23:16]. */
static inline uint64_t ghcb_msr_term_req(unsigned int set, unsigned int code)
{
	return (uint64_t)(code & 0xFFu) << 16 | (uint64_t)(set & 0xFu) << 12 | GHCB_MSR_TERM_REQ;
}
static inline unsigned int ghcb_msr_term_set(uint64_t v)
{
	return (unsigned int)((v >> 12) & 0xFu);
}
static inline unsigned int ghcb_msr_term_code(uint64_t v)
{
	return (unsigned int)((v >> 16) & 0xFFu);
}

#endif

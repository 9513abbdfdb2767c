/* SPDX-License-Identifier: MIT */
/*
 * Exit codes a GHCB NAE event can carry in SW_EXITCODE, and their sub-codes.
 * Sources: AMD APM vol 2 Appendix C (SVM_EXIT_*), GHCB spec 56421 §4.1 Table 7 (SVM_VMGEXIT_*),
 * Linux arch/x86/include/uapi/asm/svm.h.
 */
#ifndef SNPEMU_ABI_SVM_EXIT_H
#define SNPEMU_ABI_SVM_EXIT_H

#include <stdint.h>

/* Architectural exit codes used as NAE events (GHCB spec §4.1.1–4.1.6, APM Appendix C). */
#define SVM_EXIT_READ_DR7  0x027ull
#define SVM_EXIT_WRITE_DR7 0x037ull
#define SVM_EXIT_EXCP_VC   0x069ull /* #VC vector 29 (0x40 + 29); never a NAE, listed for decoding */
#define SVM_EXIT_RDTSC	   0x06Eull
#define SVM_EXIT_RDPMC	   0x06Full
#define SVM_EXIT_CPUID	   0x072ull
#define SVM_EXIT_INVD	   0x076ull
#define SVM_EXIT_IOIO	   0x07Bull
#define SVM_EXIT_MSR	   0x07Cull
#define SVM_EXIT_VMMCALL   0x081ull
#define SVM_EXIT_RDTSCP	   0x087ull
#define SVM_EXIT_WBINVD	   0x089ull
#define SVM_EXIT_MONITOR   0x08Aull
#define SVM_EXIT_MWAIT	   0x08Bull
#define SVM_EXIT_XSETBV	   0x08Dull /* defined by the APM; KVM does not accept it as a NAE */
#define SVM_EXIT_NPF	   0x400ull
#define SVM_EXIT_VMGEXIT   0x403ull /* the hardware exit code of VMGEXIT itself */

/* Software-defined exit codes (GHCB spec Table 7). */
#define SVM_VMGEXIT_MMIO_READ	      0x80000001ull
#define SVM_VMGEXIT_MMIO_WRITE	      0x80000002ull
#define SVM_VMGEXIT_NMI_COMPLETE      0x80000003ull
#define SVM_VMGEXIT_AP_HLT_LOOP	      0x80000004ull
#define SVM_VMGEXIT_AP_JUMP_TABLE     0x80000005ull
#define SVM_VMGEXIT_PSC		      0x80000010ull
#define SVM_VMGEXIT_GUEST_REQUEST     0x80000011ull
#define SVM_VMGEXIT_EXT_GUEST_REQUEST 0x80000012ull
#define SVM_VMGEXIT_AP_CREATION	      0x80000013ull
#define SVM_VMGEXIT_SNP_RUN_VMPL      0x80000018ull
#define SVM_VMGEXIT_SAVIC	      0x8000001Aull /* Linux: guest Secure-AVIC use only */
#define SVM_VMGEXIT_HV_FEATURES	      0x8000FFFDull
#define SVM_VMGEXIT_TERM_REQUEST      0x8000FFFEull
#define SVM_VMGEXIT_UNSUPPORTED_EVENT 0x8000FFFFull

/* AP jump table sub-codes in SW_EXITINFO1 (GHCB spec §4.1.9). */
#define SVM_VMGEXIT_SET_AP_JUMP_TABLE 0u
#define SVM_VMGEXIT_GET_AP_JUMP_TABLE 1u

/* AP creation (GHCB spec §4.1.11): request in SW_EXITINFO1[31:0], APIC ID in [63:32], VMSA GPA in SW_EXITINFO2,
 * SEV_FEATURES in RAX. */
#define SVM_VMGEXIT_AP_CREATE_ON_INIT	       0u
#define SVM_VMGEXIT_AP_CREATE		       1u
#define SVM_VMGEXIT_AP_DESTROY		       2u
#define SVM_VMGEXIT_AP_REQUEST(info1)	       ((uint32_t)(info1))
#define SVM_VMGEXIT_AP_APIC_ID(info1)	       ((uint32_t)((info1) >> 32))
#define SVM_VMGEXIT_AP_INFO1(request, apic_id) ((uint64_t)(apic_id) << 32 | (uint32_t)(request))

/* Termination request NAE (GHCB spec §4.1.13): reason set in SW_EXITINFO1[3:0], code in [11:4]. */
#define SVM_VMGEXIT_TERM_REASON(set, code) ((uint64_t)(((set)&0xFu) | (((code)&0xFFu) << 4)))
#define SVM_VMGEXIT_TERM_SET(info1)	   ((uint32_t)((info1)&0xFu))
#define SVM_VMGEXIT_TERM_CODE(info1)	   ((uint32_t)(((info1) >> 4) & 0xFFu))

/* Termination reason sets and codes (GHCB spec §4.1.13 Table 11; Linux sev-common.h). */
#define SEV_TERM_SET_GEN	     0u
#define GHCB_SEV_ES_GEN_REQ	     0u
#define GHCB_SEV_ES_PROT_UNSUPPORTED 1u
#define GHCB_SNP_UNSUPPORTED	     2u
#define SEV_TERM_SET_LINUX	     1u
#define GHCB_TERM_REGISTER	     0u
#define GHCB_TERM_PSC		     1u
#define GHCB_TERM_PVALIDATE	     2u
#define GHCB_TERM_NOT_VMPL0	     3u
#define GHCB_TERM_CPUID		     4u
#define GHCB_TERM_CPUID_HV	     5u
#define GHCB_TERM_SECRETS_PAGE	     6u
#define GHCB_TERM_NO_SVSM	     7u
#define GHCB_TERM_SVSM_VMPL0	     8u
#define GHCB_TERM_SVSM_CAA	     9u

/* IOIO SW_EXITINFO1 encoding (APM vol 2 §15.10.2 Figure 15-2; Linux SVM_IOIO_*). */
#define SVM_IOIO_TYPE_MASK   (1u << 0) /* 1 = IN */
#define SVM_IOIO_STR_MASK    (1u << 2)
#define SVM_IOIO_REP_MASK    (1u << 3)
#define SVM_IOIO_SIZE_SHIFT  4u
#define SVM_IOIO_SIZE_MASK   (7u << SVM_IOIO_SIZE_SHIFT) /* SZ8 bit 4, SZ16 bit 5, SZ32 bit 6 */
#define SVM_IOIO_ASIZE_SHIFT 7u
#define SVM_IOIO_ASIZE_MASK  (7u << SVM_IOIO_ASIZE_SHIFT) /* A16 bit 7, A32 bit 8, A64 bit 9 */
#define SVM_IOIO_SEG_SHIFT   10u
#define SVM_IOIO_PORT_SHIFT  16u

static inline uint64_t svm_ioio_info1(uint16_t port, unsigned int size, int is_in, int is_string, int is_rep)
{
	/* size is 1, 2 or 4; other values encode an empty size field, which the engine rejects. */
	uint64_t sz = size == 1 ? 1u : size == 2 ? 2u : size == 4 ? 4u : 0u;
	return (uint64_t)port << SVM_IOIO_PORT_SHIFT | sz << SVM_IOIO_SIZE_SHIFT | (1u << 9) /* A64 */ |
	       (is_rep ? SVM_IOIO_REP_MASK : 0u) | (is_string ? SVM_IOIO_STR_MASK : 0u) |
	       (is_in ? SVM_IOIO_TYPE_MASK : 0u);
}

/* Operand size in bytes from the size field: exactly one of SZ8/SZ16/SZ32 must be set, else 0. */
static inline unsigned int svm_ioio_size(uint64_t info1)
{
	switch ((info1 & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT) {
	case 1:
		return 1;
	case 2:
		return 2;
	case 4:
		return 4;
	default:
		return 0;
	}
}

static inline uint16_t svm_ioio_port(uint64_t info1)
{
	return (uint16_t)(info1 >> SVM_IOIO_PORT_SHIFT);
}

/* MSR NAE: SW_EXITINFO1 = 0 read, 1 write (GHCB spec §4.1.5). */
#define SVM_MSR_READ  0u
#define SVM_MSR_WRITE 1u

#endif

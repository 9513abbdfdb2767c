/* SPDX-License-Identifier: MIT */
/*
 * ATTESTATION_REPORT (SNP firmware ABI 56860 Table 22; go-sev-guest abi.go, virtee/sev AttestationReport),
 * TCB_VERSION, guest policy, platform info and signer info.  0x4A0 bytes, little-endian; versions 2, 3 and 5.
 */
#ifndef SNPEMU_ABI_REPORT_H
#define SNPEMU_ABI_REPORT_H

#include <stddef.h>
#include <stdint.h>

#define SNP_REPORT_SIZE			  0x4A0u
#define SNP_REPORT_OFF_VERSION		  0x000u		   /* u32: 2, 3 or 5 */
#define SNP_REPORT_OFF_GUEST_SVN	  0x004u		   /* u32 */
#define SNP_REPORT_OFF_POLICY		  0x008u		   /* u64 */
#define SNP_REPORT_OFF_FAMILY_ID	  0x010u		   /* 16 */
#define SNP_REPORT_OFF_IMAGE_ID		  0x020u		   /* 16 */
#define SNP_REPORT_OFF_VMPL		  0x030u		   /* u32 */
#define SNP_REPORT_OFF_SIG_ALGO		  0x034u		   /* u32: 1 = ECDSA P-384 with SHA-384 */
#define SNP_REPORT_OFF_CURRENT_TCB	  0x038u		   /* u64 */
#define SNP_REPORT_OFF_PLATFORM_INFO	  0x040u		   /* u64 */
#define SNP_REPORT_OFF_SIGNER_INFO	  0x048u		   /* u32 */
#define SNP_REPORT_OFF_REPORT_DATA	  0x050u		   /* 64 */
#define SNP_REPORT_OFF_MEASUREMENT	  0x090u		   /* 48 */
#define SNP_REPORT_OFF_HOST_DATA	  0x0C0u		   /* 32 */
#define SNP_REPORT_OFF_ID_KEY_DIGEST	  0x0E0u		   /* 48 */
#define SNP_REPORT_OFF_AUTHOR_KEY_DIGEST  0x110u		   /* 48 */
#define SNP_REPORT_OFF_REPORT_ID	  0x140u		   /* 32 */
#define SNP_REPORT_OFF_REPORT_ID_MA	  0x160u		   /* 32 */
#define SNP_REPORT_OFF_REPORTED_TCB	  0x180u		   /* u64 */
#define SNP_REPORT_OFF_CPUID_FAM_ID	  0x188u		   /* u8, v3+ */
#define SNP_REPORT_OFF_CPUID_MOD_ID	  0x189u		   /* u8, v3+ */
#define SNP_REPORT_OFF_CPUID_STEP	  0x18Au		   /* u8, v3+ */
#define SNP_REPORT_OFF_CHIP_ID		  0x1A0u		   /* 64 */
#define SNP_REPORT_OFF_COMMITTED_TCB	  0x1E0u		   /* u64 */
#define SNP_REPORT_OFF_CURRENT_BUILD	  0x1E8u		   /* u8 */
#define SNP_REPORT_OFF_CURRENT_MINOR	  0x1E9u		   /* u8 */
#define SNP_REPORT_OFF_CURRENT_MAJOR	  0x1EAu		   /* u8 */
#define SNP_REPORT_OFF_COMMITTED_BUILD	  0x1ECu		   /* u8 */
#define SNP_REPORT_OFF_COMMITTED_MINOR	  0x1EDu		   /* u8 */
#define SNP_REPORT_OFF_COMMITTED_MAJOR	  0x1EEu		   /* u8 */
#define SNP_REPORT_OFF_LAUNCH_TCB	  0x1F0u		   /* u64 */
#define SNP_REPORT_OFF_LAUNCH_MIT_VECTOR  0x1F8u		   /* u64, v5 */
#define SNP_REPORT_OFF_CURRENT_MIT_VECTOR 0x200u		   /* u64, v5 */
#define SNP_REPORT_OFF_SIGNATURE	  0x2A0u		   /* 512 */
#define SNP_REPORT_SIGNED_SIZE		  SNP_REPORT_OFF_SIGNATURE /* the signature covers bytes 0..0x29F */

#define SNP_REPORT_MEASUREMENT_SIZE 48u
#define SNP_REPORT_HOST_DATA_SIZE   32u
#define SNP_REPORT_DIGEST_SIZE	    48u
#define SNP_REPORT_ID_SIZE	    32u
#define SNP_REPORT_FAMILY_ID_SIZE   16u
#define SNP_REPORT_IMAGE_ID_SIZE    16u
#define SNP_CHIP_ID_SIZE	    64u

/* Signature field (SNP ABI Table 135): R and S little-endian in 72-byte fields, 368 reserved bytes. */
#define SNP_SIG_OFF_R		       0x00u
#define SNP_SIG_OFF_S		       0x48u
#define SNP_SIG_COMPONENT_SIZE	       72u
#define SNP_SIG_SIZE		       512u
#define SNP_SIG_ALGO_ECDSA_P384_SHA384 1u
#define SNP_P384_SCALAR_SIZE	       48u

struct snp_report_layout {
	uint32_t version, guest_svn;
	uint64_t policy;
	uint8_t family_id[16], image_id[16];
	uint32_t vmpl, sig_algo;
	uint64_t current_tcb, platform_info;
	uint32_t signer_info, rsvd_4c;
	uint8_t report_data[64], measurement[48], host_data[32], id_key_digest[48], author_key_digest[48];
	uint8_t report_id[32], report_id_ma[32];
	uint64_t reported_tcb;
	uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step, rsvd_18b[21];
	uint8_t chip_id[64];
	uint64_t committed_tcb;
	uint8_t current_build, current_minor, current_major, rsvd_1eb;
	uint8_t committed_build, committed_minor, committed_major, rsvd_1ef;
	uint64_t launch_tcb, launch_mit_vector, current_mit_vector;
	uint8_t rsvd_208[0x98];
	uint8_t signature[512];
};
#define SNP_REPORT_ASSERT(f, off) _Static_assert(offsetof(struct snp_report_layout, f) == (off), "report " #f)
SNP_REPORT_ASSERT(policy, SNP_REPORT_OFF_POLICY);
SNP_REPORT_ASSERT(vmpl, SNP_REPORT_OFF_VMPL);
SNP_REPORT_ASSERT(current_tcb, SNP_REPORT_OFF_CURRENT_TCB);
SNP_REPORT_ASSERT(signer_info, SNP_REPORT_OFF_SIGNER_INFO);
SNP_REPORT_ASSERT(report_data, SNP_REPORT_OFF_REPORT_DATA);
SNP_REPORT_ASSERT(measurement, SNP_REPORT_OFF_MEASUREMENT);
SNP_REPORT_ASSERT(host_data, SNP_REPORT_OFF_HOST_DATA);
SNP_REPORT_ASSERT(id_key_digest, SNP_REPORT_OFF_ID_KEY_DIGEST);
SNP_REPORT_ASSERT(author_key_digest, SNP_REPORT_OFF_AUTHOR_KEY_DIGEST);
SNP_REPORT_ASSERT(report_id, SNP_REPORT_OFF_REPORT_ID);
SNP_REPORT_ASSERT(report_id_ma, SNP_REPORT_OFF_REPORT_ID_MA);
SNP_REPORT_ASSERT(reported_tcb, SNP_REPORT_OFF_REPORTED_TCB);
SNP_REPORT_ASSERT(cpuid_fam_id, SNP_REPORT_OFF_CPUID_FAM_ID);
SNP_REPORT_ASSERT(chip_id, SNP_REPORT_OFF_CHIP_ID);
SNP_REPORT_ASSERT(committed_tcb, SNP_REPORT_OFF_COMMITTED_TCB);
SNP_REPORT_ASSERT(current_build, SNP_REPORT_OFF_CURRENT_BUILD);
SNP_REPORT_ASSERT(committed_build, SNP_REPORT_OFF_COMMITTED_BUILD);
SNP_REPORT_ASSERT(launch_tcb, SNP_REPORT_OFF_LAUNCH_TCB);
SNP_REPORT_ASSERT(launch_mit_vector, SNP_REPORT_OFF_LAUNCH_MIT_VECTOR);
SNP_REPORT_ASSERT(current_mit_vector, SNP_REPORT_OFF_CURRENT_MIT_VECTOR);
SNP_REPORT_ASSERT(signature, SNP_REPORT_OFF_SIGNATURE);
_Static_assert(sizeof(struct snp_report_layout) == SNP_REPORT_SIZE, "report is 0x4A0 bytes");

/* Guest policy (SNP ABI Table 9; go-sev-guest ParseSnpPolicy). */
#define SNP_POLICY_ABI_MINOR_MASK    0xFFull
#define SNP_POLICY_ABI_MAJOR_SHIFT   8u
#define SNP_POLICY_SMT		     (1ull << 16)
#define SNP_POLICY_RSVD_MBO	     (1ull << 17) /* reserved, must be one */
#define SNP_POLICY_MIGRATE_MA	     (1ull << 18)
#define SNP_POLICY_DEBUG	     (1ull << 19)
#define SNP_POLICY_SINGLE_SOCKET     (1ull << 20)
#define SNP_POLICY_CXL_ALLOW	     (1ull << 21)
#define SNP_POLICY_MEM_AES_256_XTS   (1ull << 22)
#define SNP_POLICY_RAPL_DIS	     (1ull << 23)
#define SNP_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define SNP_POLICY_PAGE_SWAP_DISABLE (1ull << 25)
#define SNP_POLICY_MBZ_MASK	     (~0ull << 26)
static inline uint8_t snp_policy_abi_major(uint64_t p)
{
	return (uint8_t)(p >> SNP_POLICY_ABI_MAJOR_SHIFT);
}
static inline uint8_t snp_policy_abi_minor(uint64_t p)
{
	return (uint8_t)p;
}

/* Platform info (SNP ABI Table 23). */
#define SNP_PLATFORM_INFO_SMT_EN	       (1ull << 0)
#define SNP_PLATFORM_INFO_TSME_EN	       (1ull << 1)
#define SNP_PLATFORM_INFO_ECC_EN	       (1ull << 2)
#define SNP_PLATFORM_INFO_RAPL_DIS	       (1ull << 3)
#define SNP_PLATFORM_INFO_CIPHERTEXT_HIDING_EN (1ull << 4)
#define SNP_PLATFORM_INFO_ALIAS_CHECK_COMPLETE (1ull << 5)
#define SNP_PLATFORM_INFO_TIO_EN	       (1ull << 7)

/* Signer info at 0x48 (SNP ABI Table 22). */
#define SNP_SIGNER_AUTHOR_KEY_EN     (1u << 0)
#define SNP_SIGNER_MASK_CHIP_KEY     (1u << 1)
#define SNP_SIGNER_SIGNING_KEY_SHIFT 2u
#define SNP_SIGNER_SIGNING_KEY_MASK  (7u << SNP_SIGNER_SIGNING_KEY_SHIFT)
#define SNP_SIGNING_KEY_VCEK	     0u
#define SNP_SIGNING_KEY_VLEK	     1u
#define SNP_SIGNING_KEY_NONE	     7u
static inline uint32_t snp_signer_signing_key(uint32_t s)
{
	return (s & SNP_SIGNER_SIGNING_KEY_MASK) >> 2;
}

/* TCB_VERSION (SNP ABI Table 3): Milan/Genoa layout and the Turin layout. */
struct snp_tcb {
	uint8_t fmc; /* Turin and later only */
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};
enum snp_tcb_layout { SNP_TCB_LAYOUT_LEGACY = 0, SNP_TCB_LAYOUT_TURIN = 1 };

/* The one label of a layout, in text and JSON alike: the product lines that use it. */
static inline const char *snp_tcb_layout_name(enum snp_tcb_layout layout)
{
	return layout == SNP_TCB_LAYOUT_TURIN ? "Turin" : "Milan/Genoa";
}

static inline uint64_t snp_tcb_encode(const struct snp_tcb *t, enum snp_tcb_layout layout)
{
	if (layout == SNP_TCB_LAYOUT_TURIN) /* fmc, bl, tee, snp, 3 reserved, ucode */
		return (uint64_t)t->fmc | (uint64_t)t->bootloader << 8 | (uint64_t)t->tee << 16 |
		       (uint64_t)t->snp << 24 | (uint64_t)t->microcode << 56;
	/* bl, tee, 4 reserved, snp, ucode */
	return (uint64_t)t->bootloader | (uint64_t)t->tee << 8 | (uint64_t)t->snp << 48 | (uint64_t)t->microcode << 56;
}

static inline struct snp_tcb snp_tcb_decode(uint64_t v, enum snp_tcb_layout layout)
{
	struct snp_tcb t;
	if (layout == SNP_TCB_LAYOUT_TURIN) {
		t.fmc = (uint8_t)v;
		t.bootloader = (uint8_t)(v >> 8);
		t.tee = (uint8_t)(v >> 16);
		t.snp = (uint8_t)(v >> 24);
	} else {
		t.fmc = 0;
		t.bootloader = (uint8_t)v;
		t.tee = (uint8_t)(v >> 8);
		t.snp = (uint8_t)(v >> 48);
	}
	t.microcode = (uint8_t)(v >> 56);
	return t;
}

/* Reserved bits of a TCB_VERSION that must be zero. */
static inline uint64_t snp_tcb_reserved_bits(uint64_t v, enum snp_tcb_layout layout)
{
	return layout == SNP_TCB_LAYOUT_TURIN ? v & 0x00FFFFFF00000000ull : v & 0x0000FFFFFFFF0000ull;
}

/* CPUID Fn0000_0001 EAX of each product line (go-sev-guest ProductLineCpuid). */
#define SNP_CPUID_MILAN 0x00A00F10u
#define SNP_CPUID_GENOA 0x00A10F10u
#define SNP_CPUID_TURIN 0x00B00F20u

/* Family / model / stepping as the report's 0x188..0x18A fields hold them. */
static inline uint8_t snp_cpuid_family(uint32_t eax)
{
	return (uint8_t)(((eax >> 8) & 0xFu) + ((eax >> 20) & 0xFFu));
}
static inline uint8_t snp_cpuid_model(uint32_t eax)
{
	return (uint8_t)(((eax >> 12) & 0xF0u) | ((eax >> 4) & 0xFu));
}
static inline uint8_t snp_cpuid_stepping(uint32_t eax)
{
	return (uint8_t)(eax & 0xFu);
}

#endif

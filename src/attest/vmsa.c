/* SPDX-License-Identifier: MIT */
/*
 * The initial VMSA (SEV-ES save area, AMD APM vol. 2 table B-4) of each vCPU as the VMM builds it before
 * SNP_LAUNCH_UPDATE, per VMM type (snp-firmware-abi.md §6.3 "VMSA contents"; sev-snp-measure vmsa.py,
 * vmm_types.py; Linux KVM sev_es_sync_vmsa for QEMU's values), and the QEMU vCPU models' CPUID signatures
 * (sev-snp-measure vcpu_types.py, from QEMU's builtin_x86_defs).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <snpemu/abi/le.h>
#include <snpemu/abi/page_info.h>
#include <snpemu/attest.h>

/* Save-area offsets (APM vol. 2 table B-4; Linux struct sev_es_save_area). */
enum {
	VMSA_ES = 0x00,
	VMSA_CS = 0x10,
	VMSA_SS = 0x20,
	VMSA_DS = 0x30,
	VMSA_FS = 0x40,
	VMSA_GS = 0x50,
	VMSA_GDTR = 0x60,
	VMSA_LDTR = 0x70,
	VMSA_IDTR = 0x80,
	VMSA_TR = 0x90,
	VMSA_EFER = 0xD0,
	VMSA_CR4 = 0x148,
	VMSA_CR0 = 0x158,
	VMSA_DR7 = 0x160,
	VMSA_DR6 = 0x168,
	VMSA_RFLAGS = 0x170,
	VMSA_RIP = 0x178,
	VMSA_G_PAT = 0x268,
	VMSA_RDX = 0x310,
	VMSA_XCR0 = 0x3E8,
	VMSA_MXCSR = 0x408,
	VMSA_X87_FCW = 0x410,
};
_Static_assert(VMSA_G_PAT<SNP_VMSA_OFF_GUEST_TSC_SCALE && VMSA_RDX> SNP_VMSA_OFF_GUEST_TSC_OFFSET,
	       "no initial-state field lies in the TSC fields the firmware zeroes");

/* The register values in which the VMMs differ, one row per (VMM, version). */
struct vmm_variant {
	enum attest_vmm_type vmm;
	unsigned version;
	uint16_t cs_attr_bsp, cs_attr_ap; /* EC2 marks the BSP's code segment not-accessed */
	uint16_t ss_attr, tr_attr;
	bool rdx_is_sig; /* QEMU puts the CPUID(1).EAX signature in RDX, as after RESET */
	uint64_t rdx;
	uint64_t g_pat;
	uint32_t mxcsr; /* KVM sets MXCSR and FCW to their reset values since Linux 6.10 (sev-snp-measure 0.0.10) */
	uint16_t fcw;
};

#define PAT_DEFAULT 0x0007040600070406ull /* APM vol. 2 §A.3 */

static const struct vmm_variant variants[] = {
    {ATTEST_VMM_QEMU, 1, 0x9B, 0x9B, 0x93, 0x8B, true, 0, PAT_DEFAULT, 0x1F80, 0x37F},
    /* EC2 version 1: RDX 0 (sev-snp-measure before 0.0.13); version 2: RDX 0x600 (0.0.13, PR #60). */
    {ATTEST_VMM_EC2, 1, 0x9A, 0x9B, 0x92, 0x83, false, 0, PAT_DEFAULT, 0, 0},
    {ATTEST_VMM_EC2, 2, 0x9A, 0x9B, 0x92, 0x83, false, 0x600, PAT_DEFAULT, 0, 0},
    /* GCE overwrites the PAT (sev-snp-measure 0.0.12, after google/gce-tcb-verifier). */
    {ATTEST_VMM_GCE, 1, 0x9B, 0x9B, 0x93, 0x8B, false, 0x600, 0x00070106ull, 0, 0},
};

static const struct vmm_variant *variant_find(enum attest_vmm_type vmm, unsigned version)
{
	const struct vmm_variant *latest = NULL;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if (variants[i].vmm != vmm)
			continue;
		if (variants[i].version == version)
			return &variants[i];
		if (!latest || variants[i].version > latest->version)
			latest = &variants[i];
	}
	return version == 0 ? latest : NULL;
}

int attest_vmm_type_parse(const char *name, enum attest_vmm_type *out)
{
	static const struct {
		const char *name;
		enum attest_vmm_type vmm;
	} names[] = {{"qemu", ATTEST_VMM_QEMU}, {"ec2", ATTEST_VMM_EC2}, {"gce", ATTEST_VMM_GCE}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(name, names[i].name)) {
			*out = names[i].vmm;
			return 0;
		}
	}
	return -EINVAL;
}

uint32_t attest_vcpu_sig(unsigned family, unsigned model, unsigned stepping)
{
	/* Families above 0xF put 0xF in the base field and the rest in the extended field. */
	uint32_t fam_lo = family > 0xF ? 0xF : family, fam_hi = family > 0xF ? (family - 0xF) & 0xFF : 0;
	return fam_hi << 20 | ((model >> 4) & 0xF) << 16 | fam_lo << 8 | (model & 0xF) << 4 | (stepping & 0xF);
}

/* QEMU's EPYC models and their family/model/stepping. */
static const struct {
	const char *name;
	uint8_t family, model, stepping;
} vcpu_types[] = {
    {"EPYC", 23, 1, 2},		 {"EPYC-v1", 23, 1, 2},	      {"EPYC-v2", 23, 1, 2},	    {"EPYC-IBPB", 23, 1, 2},
    {"EPYC-v3", 23, 1, 2},	 {"EPYC-v4", 23, 1, 2},	      {"EPYC-Rome", 23, 49, 0},	    {"EPYC-Rome-v1", 23, 49, 0},
    {"EPYC-Rome-v2", 23, 49, 0}, {"EPYC-Rome-v3", 23, 49, 0}, {"EPYC-Milan", 25, 1, 1},	    {"EPYC-Milan-v1", 25, 1, 1},
    {"EPYC-Milan-v2", 25, 1, 1}, {"EPYC-Genoa", 25, 17, 0},   {"EPYC-Genoa-v1", 25, 17, 0},
};

int attest_vcpu_type_sig(const char *name, uint32_t *sig)
{
	for (size_t i = 0; i < sizeof(vcpu_types) / sizeof(vcpu_types[0]); i++) {
		if (!strcasecmp(name, vcpu_types[i].name)) {
			*sig = attest_vcpu_sig(vcpu_types[i].family, vcpu_types[i].model, vcpu_types[i].stepping);
			return 0;
		}
	}
	return -ENOENT;
}

const char *attest_vcpu_type_name(size_t i)
{
	return i < sizeof(vcpu_types) / sizeof(vcpu_types[0]) ? vcpu_types[i].name : NULL;
}

static void put_segment(uint8_t *page, size_t off, uint16_t sel, uint16_t attrib, uint32_t limit, uint64_t base)
{
	le16_store(page + off, sel);
	le16_store(page + off + 2, attrib);
	le32_store(page + off + 4, limit);
	le64_store(page + off + 8, base);
}

int attest_vmsa_build(uint8_t page[ATTEST_PAGE_SIZE], uint32_t eip, const struct attest_vmsa_params *params)
{
	const struct vmm_variant *v = variant_find(params->vmm, params->vmm_version);
	if (!v)
		return ATTEST_MEASURE_E_VMM;
	memset(page, 0, ATTEST_PAGE_SIZE);
	/* Real-mode reset state: CS base holds the top of EIP, RIP the low 16 bits (APM vol. 2 §14.1.3). */
	uint16_t cs_attr = eip == ATTEST_VMSA_BSP_EIP ? v->cs_attr_bsp : v->cs_attr_ap;
	put_segment(page, VMSA_ES, 0, 0x93, 0xFFFF, 0);
	put_segment(page, VMSA_CS, 0xF000, cs_attr, 0xFFFF, eip & 0xFFFF0000u);
	put_segment(page, VMSA_SS, 0, v->ss_attr, 0xFFFF, 0);
	put_segment(page, VMSA_DS, 0, 0x93, 0xFFFF, 0);
	put_segment(page, VMSA_FS, 0, 0x93, 0xFFFF, 0);
	put_segment(page, VMSA_GS, 0, 0x93, 0xFFFF, 0);
	put_segment(page, VMSA_GDTR, 0, 0, 0xFFFF, 0);
	put_segment(page, VMSA_LDTR, 0, 0x82, 0xFFFF, 0);
	put_segment(page, VMSA_IDTR, 0, 0, 0xFFFF, 0);
	put_segment(page, VMSA_TR, 0, v->tr_attr, 0xFFFF, 0);
	le64_store(page + VMSA_EFER, 0x1000); /* EFER.SVME, set by KVM */
	le64_store(page + VMSA_CR4, 0x40);    /* CR4.MCE, set by KVM */
	le64_store(page + VMSA_CR0, 0x10);    /* CR0.ET */
	le64_store(page + VMSA_DR7, 0x400);
	le64_store(page + VMSA_DR6, 0xFFFF0FF0);
	le64_store(page + VMSA_RFLAGS, 0x2);
	le64_store(page + VMSA_RIP, eip & 0xFFFFu);
	le64_store(page + VMSA_G_PAT, v->g_pat);
	le64_store(page + VMSA_RDX, v->rdx_is_sig ? params->vcpu_sig : v->rdx);
	le64_store(page + SNP_VMSA_OFF_SEV_FEATURES, params->guest_features);
	le64_store(page + VMSA_XCR0, 0x1);
	le32_store(page + VMSA_MXCSR, v->mxcsr);
	le16_store(page + VMSA_X87_FCW, v->fcw);
	return 0;
}

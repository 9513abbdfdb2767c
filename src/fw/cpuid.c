/* SPDX-License-Identifier: MIT */
/*
 * CPUID page validation at LAUNCH_UPDATE(CPUID) (snp-firmware-abi.md §7.2; ASPFW sanitize_cpuid_list): a
 * malformed page (reserved fields, count > 64) is refused with INVALID_PARAM; entries the platform's policy does
 * not allow are corrected, the corrected table is written back in plaintext and INVALID_PARAM returned so the VMM
 * can retry with it.  The policy is data: per (leaf, subleaf, register) either the exact value the platform
 * reports or the mask of feature bits it can offer an SNP guest.
 */
#include <string.h>

#include <snpemu/abi/cpuid_page.h>
#include <snpemu/abi/le.h>

#include "fw/fw_internal.h"
#include "common/zero.h"

#define ANY_SUBLEAF 0xFFFFFFFFu
#define FMS_VALUE   0xFFFFFFFFu /* placeholder: the platform's CPUID Fn0000_0001 EAX */

enum rule_kind { RULE_MASK, RULE_EXACT };

static const struct cpuid_rule {
	uint32_t leaf, subleaf;
	uint8_t reg_off; /* SNP_CPUID_ENT_EAX.. */
	enum rule_kind kind;
	uint32_t value; /* RULE_MASK: allowed bits; RULE_EXACT: required value */
	const char *why;
} rules[] = {
    {0x00000001, ANY_SUBLEAF, SNP_CPUID_ENT_EAX, RULE_EXACT, FMS_VALUE, "family/model/stepping of the part"},
    {0x00000001, ANY_SUBLEAF, SNP_CPUID_ENT_ECX, RULE_MASK, ~((1u << 5) | (1u << 6)), "no VMX, no SMX"},
    {0x00000007, 0, SNP_CPUID_ENT_EBX, RULE_MASK, ~(1u << 2), "no SGX"},
    {0x80000001, ANY_SUBLEAF, SNP_CPUID_ENT_ECX, RULE_MASK, ~(1u << 2), "no SVM inside an SNP guest"},
    {0x8000001F, ANY_SUBLEAF, SNP_CPUID_ENT_EAX, RULE_MASK, 0x0001FFFFu, "SEV feature bits the part has"},
};

int fw_cpuid_sanitize(const struct fw_platform *p, uint8_t *table)
{
	uint32_t count = le32_load(table + SNP_CPUID_OFF_COUNT);
	if (count > SNP_CPUID_COUNT_MAX || !mem_is_zero(table + 4, 12))
		return -1;
	for (uint32_t i = 0; i < count; i++)
		if (!mem_is_zero(table + SNP_CPUID_OFF_ENTRY(i) + SNP_CPUID_ENT_RSVD, 8))
			return -1;

	bool corrected = false;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *e = table + SNP_CPUID_OFF_ENTRY(i);
		uint32_t leaf = le32_load(e + SNP_CPUID_ENT_EAX_IN), sub = le32_load(e + SNP_CPUID_ENT_ECX_IN);
		for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
			const struct cpuid_rule *ru = &rules[r];
			if (ru->leaf != leaf || (ru->subleaf != ANY_SUBLEAF && ru->subleaf != sub))
				continue;
			uint32_t v = le32_load(e + ru->reg_off), want;
			if (ru->kind == RULE_EXACT)
				want = ru->value == FMS_VALUE ? fw_platform_config(p)->cpuid_fms : ru->value;
			else
				want = v & ru->value;
			if (v != want) {
				le32_store(e + ru->reg_off, want);
				corrected = true;
			}
		}
	}
	return corrected ? 1 : 0;
}

uint32_t fw_cpuid_page_validate(const struct fw_platform *p, uint8_t page[4096])
{
	/* malformed: refused untouched; corrected: written back and refused (the VMM retries with it) */
	return fw_cpuid_sanitize(p, page) ? SEV_RET_INVALID_PARAM : SEV_RET_SUCCESS;
}

/* SPDX-License-Identifier: MIT */
/*
 * The OVMF footer table and SEV metadata (snp-firmware-abi.md §6.3; edk2 OvmfPkg/ResetVector/Ia16/
 * ResetVectorVtf0.asm and X64/OvmfSevMetadata.asm; QEMU hw/i386/pc_sysfw_ovmf.c).  The image ends with
 * 32 bytes of reset vector code; just before it sits the footer entry {u16 length, GUID}, whose length covers the
 * whole table.  The table is a stack of entries {data, u16 length, GUID} read backwards from the footer.  One of
 * them gives the offset, from the end of the image, of the "ASEV" metadata: a header {sig, u32 length,
 * u32 version, u32 count} followed by {u32 gpa, u32 size, u32 type} descriptors.
 *
 * Untrusted bytes: every length is checked against what is left before it is used; nothing is allocated.
 */
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/attest.h>

#define GUID_LEN	  16u
#define ENTRY_HEADER_LEN  18u /* u16 length + GUID */
#define FOOTER_TAIL_LEN	  32u /* reset vector code after the table (ResetVectorVtf0.asm) */
#define METADATA_HDR_LEN  16u
#define METADATA_DESC_LEN 12u
#define FOUR_GIB	  0x100000000ull

/* GUIDs in EFI (mixed-endian) byte order, as they appear in the image. */
static const uint8_t guid_footer[GUID_LEN] = {0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
					      0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d}; /* 96b582de-... */
static const uint8_t guid_hashes_table[GUID_LEN] = {0x1f, 0x37, 0x55, 0x72, 0x3b, 0x3a, 0x04, 0x4b,
						    0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54}; /* 7255371f */
static const uint8_t guid_reset_block[GUID_LEN] = {0xde, 0x71, 0xf7, 0x00, 0x7e, 0x1a, 0xcb, 0x4f,
						   0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e}; /* 00f771de */
static const uint8_t guid_metadata[GUID_LEN] = {0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47,
						0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc}; /* dc886566 */

/* The table entries the measurement reads: each holds a u32 first.  Later entries in walk order (earlier in the
 * image) replace earlier ones, as sev-snp-measure's dictionary does. */
struct entry_rule {
	const uint8_t *guid;
	bool *present;
	uint32_t *value;
};

/* Section rules by type: SECRETS and CPUID are single pages (one LAUNCH_UPDATE page each in QEMU and in
 * sev-snp-measure; a longer section would be measured differently by the two). */
struct section_rule {
	uint32_t type;
	uint32_t exact_size; /* 0: any multiple of 4 KiB */
};

static const struct section_rule section_rules[] = {
    {ATTEST_OVMF_SECTION_SNP_SEC_MEM, 0},	   {ATTEST_OVMF_SECTION_SNP_SECRETS, ATTEST_PAGE_SIZE},
    {ATTEST_OVMF_SECTION_CPUID, ATTEST_PAGE_SIZE}, {ATTEST_OVMF_SECTION_SVSM_CAA, 0},
    {ATTEST_OVMF_SECTION_SNP_KERNEL_HASHES, 0},
};

static const struct section_rule *section_rule_find(uint32_t type)
{
	for (size_t i = 0; i < sizeof(section_rules) / sizeof(section_rules[0]); i++)
		if (section_rules[i].type == type)
			return &section_rules[i];
	return NULL;
}

bool attest_ovmf_error_is_truncation(int err)
{
	return err == ATTEST_OVMF_E_TRUNCATED_FOOTER || err == ATTEST_OVMF_E_TRUNCATED_TABLE ||
	       err == ATTEST_OVMF_E_TRUNCATED_METADATA;
}

static int walk_footer_table(const uint8_t *buf, size_t len, struct attest_ovmf_info *info)
{
	if (len < FOOTER_TAIL_LEN + ENTRY_HEADER_LEN)
		return ATTEST_OVMF_E_TRUNCATED_FOOTER;
	size_t footer = len - FOOTER_TAIL_LEN - ENTRY_HEADER_LEN;
	if (memcmp(buf + footer + 2, guid_footer, GUID_LEN))
		return ATTEST_OVMF_E_NO_FOOTER;
	uint16_t table_len = le16_load(buf + footer);
	if (table_len < ENTRY_HEADER_LEN)
		return ATTEST_OVMF_E_TABLE_LENGTH;
	size_t body = table_len - ENTRY_HEADER_LEN; /* the entries, without the footer entry itself */
	if (body > footer)
		return ATTEST_OVMF_E_TRUNCATED_TABLE;

	const struct entry_rule rules[] = {
	    {guid_reset_block, &info->has_reset_block, &info->reset_eip},
	    {guid_hashes_table, &info->has_hashes_table, &info->hashes_table_gpa},
	    {guid_metadata, &info->has_metadata, &info->metadata_offset},
	};
	size_t lo = footer - body, end = footer;
	/* Fewer than 18 bytes left cannot hold an entry; sev-snp-measure ignores them too. */
	while (end - lo >= ENTRY_HEADER_LEN) {
		uint16_t entry_len = le16_load(buf + end - ENTRY_HEADER_LEN);
		const uint8_t *guid = buf + end - GUID_LEN;
		if (entry_len < ENTRY_HEADER_LEN || entry_len > end - lo)
			return ATTEST_OVMF_E_ENTRY_LENGTH;
		const uint8_t *data = buf + end - entry_len;
		size_t data_len = entry_len - ENTRY_HEADER_LEN;
		for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
			if (memcmp(guid, rules[i].guid, GUID_LEN))
				continue;
			if (data_len < 4)
				return ATTEST_OVMF_E_ENTRY_DATA;
			*rules[i].present = true;
			*rules[i].value = le32_load(data);
		}
		end -= entry_len;
	}
	return ATTEST_OVMF_OK;
}

static int check_section(const struct attest_ovmf_section *s)
{
	const struct section_rule *rule = section_rule_find(s->type);
	if (!rule)
		return ATTEST_OVMF_E_SECTION_TYPE;
	if (s->size == 0 || (s->gpa % ATTEST_PAGE_SIZE) || (s->size % ATTEST_PAGE_SIZE))
		return ATTEST_OVMF_E_SECTION_ALIGN;
	if ((uint64_t)s->gpa + s->size > FOUR_GIB)
		return ATTEST_OVMF_E_SECTION_RANGE;
	if (rule->exact_size && s->size != rule->exact_size)
		return ATTEST_OVMF_E_SECTION_SIZE;
	return ATTEST_OVMF_OK;
}

static bool sections_overlap(const struct attest_ovmf_section *a, const struct attest_ovmf_section *b)
{
	return (uint64_t)a->gpa < (uint64_t)b->gpa + b->size && (uint64_t)b->gpa < (uint64_t)a->gpa + a->size;
}

static int parse_metadata(const uint8_t *buf, size_t len, struct attest_ovmf_info *info)
{
	uint32_t offset = info->metadata_offset; /* of the header, counted back from the end of the image */
	if (offset > len || offset < METADATA_HDR_LEN)
		return ATTEST_OVMF_E_TRUNCATED_METADATA;
	const uint8_t *hdr = buf + (len - offset);
	if (memcmp(hdr, "ASEV", 4))
		return ATTEST_OVMF_E_METADATA_SIGNATURE;
	if (le32_load(hdr + 8) != 1)
		return ATTEST_OVMF_E_METADATA_VERSION;
	uint32_t total = le32_load(hdr + 4), count = le32_load(hdr + 12);
	if (total < METADATA_HDR_LEN)
		return ATTEST_OVMF_E_METADATA_LENGTH;
	if (total > offset)
		return ATTEST_OVMF_E_TRUNCATED_METADATA;
	if (count > ATTEST_OVMF_MAX_SECTIONS)
		return ATTEST_OVMF_E_TOO_MANY_SECTIONS;
	if (METADATA_HDR_LEN + (uint64_t)count * METADATA_DESC_LEN > total)
		return ATTEST_OVMF_E_METADATA_LENGTH;

	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *d = hdr + METADATA_HDR_LEN + (size_t)i * METADATA_DESC_LEN;
		struct attest_ovmf_section s = {le32_load(d), le32_load(d + 4), le32_load(d + 8)};
		int err = check_section(&s);
		if (err)
			return err;
		for (uint32_t j = 0; j < i; j++)
			if (sections_overlap(&s, &info->sections[j]))
				return ATTEST_OVMF_E_SECTION_OVERLAP;
		info->sections[i] = s;
		info->n_sections = i + 1;
	}
	return ATTEST_OVMF_OK;
}

int attest_ovmf_parse(const uint8_t *buf, size_t len, struct attest_ovmf_info *info)
{
	memset(info, 0, sizeof(*info));
	int err = walk_footer_table(buf, len, info);
	if (!err && info->has_metadata)
		err = parse_metadata(buf, len, info);
	if (err)
		memset(info, 0, sizeof(*info));
	return err;
}

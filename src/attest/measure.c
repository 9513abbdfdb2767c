/* SPDX-License-Identifier: MIT */
/*
 * The expected launch digest of a QEMU/OVMF-style SNP launch (snp-firmware-abi.md §6.3), in the page order that
 * QEMU issues SNP_LAUNCH_UPDATE and that virtee's sev-snp-measure (guest.py snp_calc_launch_digest) reproduces:
 * the OVMF image, the SEV metadata sections, then one VMSA per vCPU.  Each page goes through the firmware model's
 * own PAGE_INFO chain (fw_launch_digest_update), so the prediction and the emulated firmware cannot drift apart.
 */
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/fw.h>
#include <snpemu/attest.h>

#include "common/crypto.h"

#define FOUR_GIB 0x100000000ull

_Static_assert(ATTEST_MEASURE_DIGEST_LEN == SNP_DIGEST_SIZE, "the launch digest is a PAGE_INFO digest");

/* ---- SEV hashes table (QEMU target/i386/sev.c SevHashTable, sev-snp-measure sev_hashes.py) ---------------- */

#define HASH_ENTRY_LEN 50u /* GUID + u16 length + SHA-256 */

static const uint8_t guid_table_header[16] = {0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
					      0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21}; /* 9438d606 */
static const uint8_t guid_cmdline[16] = {0xd8, 0x2d, 0xd0, 0x97, 0x20, 0xbd, 0x94, 0x4c,
					 0xaa, 0x78, 0xe7, 0x71, 0x4d, 0x36, 0xab, 0x2a}; /* 97d02dd8 */
static const uint8_t guid_initrd[16] = {0x31, 0xf7, 0xba, 0x44, 0x2f, 0x3a, 0xd7, 0x4b,
					0x9a, 0xf1, 0x41, 0xe2, 0x91, 0x69, 0x78, 0x1d}; /* 44baf731 */
static const uint8_t guid_kernel[16] = {0x37, 0x94, 0xe7, 0x4d, 0xd2, 0xab, 0x7f, 0x42,
					0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b}; /* 4de79437 */

_Static_assert(18 + 3 * HASH_ENTRY_LEN == ATTEST_SEV_HASH_TABLE_LEN, "table layout");
_Static_assert((ATTEST_SEV_HASH_TABLE_LEN + 15) / 16 * 16 == ATTEST_SEV_HASH_TABLE_PADDED_LEN, "padding to 16");

int attest_kernel_hashes_compute(struct attest_kernel_hashes *out, const uint8_t *kernel, size_t kernel_len,
				 const uint8_t *initrd, size_t initrd_len, const char *cmdline)
{
	/* QEMU measures the command line as the guest sees it: with its terminating NUL. */
	if (!cmdline)
		cmdline = "";
	if (attest_sha256(kernel, kernel_len, out->kernel) ||
	    attest_sha256(initrd, initrd ? initrd_len : 0, out->initrd) ||
	    attest_sha256(cmdline, strlen(cmdline) + 1, out->cmdline))
		return ATTEST_MEASURE_E_NOMEM;
	return 0;
}

static uint8_t *put_hash_entry(uint8_t *p, const uint8_t guid[16], const uint8_t hash[ATTEST_SHA256_LEN])
{
	memcpy(p, guid, 16);
	le16_store(p + 16, HASH_ENTRY_LEN);
	memcpy(p + 18, hash, ATTEST_SHA256_LEN);
	return p + HASH_ENTRY_LEN;
}

int attest_sev_hashes_page(uint8_t page[ATTEST_PAGE_SIZE], uint32_t offset, const struct attest_kernel_hashes *hashes)
{
	if (offset > ATTEST_PAGE_SIZE - ATTEST_SEV_HASH_TABLE_PADDED_LEN)
		return ATTEST_MEASURE_E_HASHES_OFFSET;
	memset(page, 0, ATTEST_PAGE_SIZE);
	uint8_t *p = page + offset;
	memcpy(p, guid_table_header, 16);
	le16_store(p + 16, ATTEST_SEV_HASH_TABLE_LEN);
	p = put_hash_entry(p + 18, guid_cmdline, hashes->cmdline);
	p = put_hash_entry(p, guid_initrd, hashes->initrd);
	put_hash_entry(p, guid_kernel, hashes->kernel);
	return 0;
}

/* ---- Launch sequence ------------------------------------------------------------------------------------------ */

static const struct {
	int err;
	const char *text;
} error_texts[] = {
    {ATTEST_OVMF_E_TRUNCATED_FOOTER, "OVMF image truncated: too short to hold the footer table"},
    {ATTEST_OVMF_E_NO_FOOTER,
     "no OVMF footer table (GUID 96b582de-...) before the reset vector: not an SEV-capable OVMF"},
    {ATTEST_OVMF_E_TABLE_LENGTH, "OVMF footer table length is smaller than its own header"},
    {ATTEST_OVMF_E_TRUNCATED_TABLE, "OVMF image truncated: the footer table starts before the start of the file"},
    {ATTEST_OVMF_E_ENTRY_LENGTH, "OVMF footer table entry has a bad length"},
    {ATTEST_OVMF_E_ENTRY_DATA, "OVMF footer table entry is too short for its value"},
    {ATTEST_OVMF_E_TRUNCATED_METADATA, "OVMF image truncated: the SEV metadata lies outside the file"},
    {ATTEST_OVMF_E_METADATA_SIGNATURE, "OVMF SEV metadata has a bad signature (expected \"ASEV\")"},
    {ATTEST_OVMF_E_METADATA_VERSION, "OVMF SEV metadata has an unsupported version (expected 1)"},
    {ATTEST_OVMF_E_METADATA_LENGTH, "OVMF SEV metadata length does not cover its section descriptors"},
    {ATTEST_OVMF_E_TOO_MANY_SECTIONS, "OVMF SEV metadata declares too many sections"},
    {ATTEST_OVMF_E_SECTION_TYPE, "OVMF SEV metadata section has an unknown type"},
    {ATTEST_OVMF_E_SECTION_ALIGN, "OVMF SEV metadata section is empty or not 4 KiB aligned"},
    {ATTEST_OVMF_E_SECTION_RANGE, "OVMF SEV metadata section extends past 4 GiB"},
    {ATTEST_OVMF_E_SECTION_SIZE, "OVMF SEV metadata SECRETS or CPUID section is not exactly one page"},
    {ATTEST_OVMF_E_SECTION_OVERLAP, "OVMF SEV metadata sections overlap"},
    {ATTEST_MEASURE_E_IMAGE_SIZE, "OVMF image size must be a non-zero multiple of 4 KiB, at most 4 GiB"},
    {ATTEST_MEASURE_E_VCPUS, "vCPU count must be between 1 and 4096"},
    {ATTEST_MEASURE_E_NO_RESET_BLOCK, "OVMF has no SEV-ES reset block (GUID 00f771de-...): APs cannot start"},
    {ATTEST_MEASURE_E_NO_HASHES_SECTION, "kernel specified but OVMF metadata has no SNP_KERNEL_HASHES section"},
    {ATTEST_MEASURE_E_NO_HASHES_TABLE, "kernel specified but OVMF has no SEV hashes table entry (GUID 7255371f-...)"},
    {ATTEST_MEASURE_E_HASHES_SIZE, "kernel specified but the SNP_KERNEL_HASHES section is not one page"},
    {ATTEST_MEASURE_E_HASHES_OFFSET, "the SEV hashes table does not fit in its page"},
    {ATTEST_MEASURE_E_VMM, "unknown VMM type or version"},
    {ATTEST_MEASURE_E_NOMEM, "out of memory while hashing"},
};

const char *attest_measure_strerror(int err)
{
	if (err == 0)
		return "success";
	for (size_t i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++)
		if (error_texts[i].err == err)
			return error_texts[i].text;
	return "unknown measurement error";
}

static int check_image(size_t len)
{
	if (len == 0 || len % ATTEST_PAGE_SIZE || (uint64_t)len > FOUR_GIB)
		return ATTEST_MEASURE_E_IMAGE_SIZE;
	return 0;
}

/* Chain `n` bytes of pages starting at `gpa`.  Every GPA and type comes from a validated section or a checked
 * image, so the only possible failure is the host's: ATTEST_MEASURE_E_NOMEM. */
static int chain_pages(struct fw_launch_digest *ld, enum snp_page_type type, uint64_t gpa, uint64_t n,
		       const uint8_t *data)
{
	for (uint64_t off = 0; off < n; off += ATTEST_PAGE_SIZE)
		if (fw_launch_digest_update(ld, type, gpa + off, data ? data + off : NULL, NULL))
			return ATTEST_MEASURE_E_NOMEM;
	return 0;
}

int attest_measure_ovmf_hash(const uint8_t *ovmf, size_t len, uint8_t out[ATTEST_MEASURE_DIGEST_LEN])
{
	int err = check_image(len);
	if (err)
		return err;
	struct fw_launch_digest ld;
	fw_launch_digest_init(&ld);
	/* The image is mapped so that it ends at 4 GiB (QEMU pc_system_flash_map). */
	err = chain_pages(&ld, SNP_PAGE_TYPE_NORMAL, FOUR_GIB - len, len, ovmf);
	if (!err)
		memcpy(out, ld.digest, ATTEST_MEASURE_DIGEST_LEN);
	return err;
}

static bool has_section(const struct attest_ovmf_info *info, uint32_t type)
{
	for (uint32_t i = 0; i < info->n_sections; i++)
		if (info->sections[i].type == type)
			return true;
	return false;
}

/* Everything that can be wrong with the inputs, checked before anything is hashed. */
static int check_launch(const struct attest_measure_input *in, const struct attest_ovmf_info *info)
{
	int err = check_image(in->ovmf_len);
	if (err)
		return err;
	if (in->vcpus == 0 || in->vcpus > ATTEST_MEASURE_MAX_VCPUS)
		return ATTEST_MEASURE_E_VCPUS;
	uint8_t scratch[ATTEST_PAGE_SIZE];
	if (attest_vmsa_build(scratch, ATTEST_VMSA_BSP_EIP, &in->vmsa))
		return ATTEST_MEASURE_E_VMM;
	/* sev-snp-measure requires the reset block even for one vCPU; an AP cannot start at EIP 0. */
	if (!info->has_reset_block || (in->vcpus > 1 && info->reset_eip == 0))
		return ATTEST_MEASURE_E_NO_RESET_BLOCK;
	if (!in->kernel_hashes)
		return 0;
	if (!has_section(info, ATTEST_OVMF_SECTION_SNP_KERNEL_HASHES))
		return ATTEST_MEASURE_E_NO_HASHES_SECTION;
	if (!info->has_hashes_table)
		return ATTEST_MEASURE_E_NO_HASHES_TABLE;
	for (uint32_t i = 0; i < info->n_sections; i++)
		if (info->sections[i].type == ATTEST_OVMF_SECTION_SNP_KERNEL_HASHES &&
		    info->sections[i].size != ATTEST_PAGE_SIZE)
			return ATTEST_MEASURE_E_HASHES_SIZE;
	if ((info->hashes_table_gpa & 0xFFFu) > ATTEST_PAGE_SIZE - ATTEST_SEV_HASH_TABLE_PADDED_LEN)
		return ATTEST_MEASURE_E_HASHES_OFFSET;
	return 0;
}

/* One metadata section as QEMU loads it (sev_snp_launch_update_data per section type). */
static int measure_section(struct fw_launch_digest *ld, const struct attest_measure_input *in,
			   const struct attest_ovmf_info *info, const struct attest_ovmf_section *s)
{
	switch (s->type) {
	case ATTEST_OVMF_SECTION_SNP_SEC_MEM:
		/* GCE loads the pre-validated SEC memory as UNMEASURED pages. */
		return chain_pages(ld, in->vmsa.vmm == ATTEST_VMM_GCE ? SNP_PAGE_TYPE_UNMEASURED : SNP_PAGE_TYPE_ZERO,
				   s->gpa, s->size, NULL);
	case ATTEST_OVMF_SECTION_SNP_SECRETS:
		return chain_pages(ld, SNP_PAGE_TYPE_SECRETS, s->gpa, ATTEST_PAGE_SIZE, NULL);
	case ATTEST_OVMF_SECTION_CPUID:
		/* EC2 issues the CPUID page after every other section (measure_launch). */
		if (in->vmsa.vmm != ATTEST_VMM_EC2)
			return chain_pages(ld, SNP_PAGE_TYPE_CPUID, s->gpa, ATTEST_PAGE_SIZE, NULL);
		return 0;
	case ATTEST_OVMF_SECTION_SVSM_CAA:
		return chain_pages(ld, SNP_PAGE_TYPE_ZERO, s->gpa, s->size, NULL);
	case ATTEST_OVMF_SECTION_SNP_KERNEL_HASHES:
		if (in->kernel_hashes) {
			/* The table sits at the offset of its GPA within the section's (single) page. */
			uint8_t page[ATTEST_PAGE_SIZE];
			(void)attest_sev_hashes_page(page, info->hashes_table_gpa & 0xFFFu, in->kernel_hashes);
			return chain_pages(ld, SNP_PAGE_TYPE_NORMAL, s->gpa, ATTEST_PAGE_SIZE, page);
		} else {
			return chain_pages(ld, SNP_PAGE_TYPE_ZERO, s->gpa, s->size, NULL);
		}
	}
	return 0;
}

int attest_measure_vmsa_page(const struct attest_ovmf_info *info, const struct attest_vmsa_params *params,
			     unsigned index, uint8_t page[ATTEST_PAGE_SIZE])
{
	if (index > 0 && (!info->has_reset_block || info->reset_eip == 0))
		return ATTEST_MEASURE_E_NO_RESET_BLOCK;
	return attest_vmsa_build(page, index == 0 ? ATTEST_VMSA_BSP_EIP : info->reset_eip, params);
}

int attest_measure_snp(const struct attest_measure_input *in, uint8_t digest[ATTEST_MEASURE_DIGEST_LEN],
		       struct attest_ovmf_info *info)
{
	struct attest_ovmf_info local;
	if (!info)
		info = &local;
	int err = attest_ovmf_parse(in->ovmf, in->ovmf_len, info);
	if (!err)
		err = check_launch(in, info);
	if (err)
		return err;

	struct fw_launch_digest ld;
	fw_launch_digest_init(&ld);
	if (in->ovmf_hash)
		memcpy(ld.digest, in->ovmf_hash, ATTEST_MEASURE_DIGEST_LEN);
	else
		err = chain_pages(&ld, SNP_PAGE_TYPE_NORMAL, FOUR_GIB - in->ovmf_len, in->ovmf_len, in->ovmf);

	for (uint32_t i = 0; !err && i < info->n_sections; i++)
		err = measure_section(&ld, in, info, &info->sections[i]);
	if (in->vmsa.vmm == ATTEST_VMM_EC2)
		for (uint32_t i = 0; !err && i < info->n_sections; i++)
			if (info->sections[i].type == ATTEST_OVMF_SECTION_CPUID)
				err = chain_pages(&ld, SNP_PAGE_TYPE_CPUID, info->sections[i].gpa, ATTEST_PAGE_SIZE,
						  NULL);

	uint8_t page[ATTEST_PAGE_SIZE];
	for (unsigned i = 0; !err && i < in->vcpus; i++) {
		(void)attest_measure_vmsa_page(info, &in->vmsa, i, page);
		if (fw_launch_digest_update(&ld, SNP_PAGE_TYPE_VMSA, SNP_VMSA_MEASURED_GPA, page, NULL))
			err = ATTEST_MEASURE_E_NOMEM;
	}
	if (err)
		return err;
	memcpy(digest, ld.digest, ATTEST_MEASURE_DIGEST_LEN);
	return 0;
}

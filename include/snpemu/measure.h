/* SPDX-License-Identifier: MIT */
/*
 * snpemu expected launch measurement (`fw` part): the SNP launch digest of a QEMU/OVMF-style launch, computed the
 * way virtee's sev-snp-measure computes it (snp-firmware-abi.md §6.3).  Three layers:
 *   - the OVMF image parser: the GUIDed footer table and the "ASEV" SEV metadata sections (pure, (buf, len) in);
 *   - the VMSA builder: the initial register state of the BSP and the APs per VMM type and vCPU type;
 *   - the launch sequence: OVMF pages, metadata sections (with the SEV hashes table page), VMSA pages.
 * This is a contract header of its own (not fw.h) so that it can grow independently of the firmware model.
 *
 * Conventions: functions that can fail return 0 or a negative FW_OVMF_E_* / FW_MEASURE_E_* code, explained by
 * fw_measure_strerror().  Nothing here allocates memory or keeps global state.
 */
#ifndef SNPEMU_MEASURE_H
#define SNPEMU_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_PAGE_SIZE	      4096u
#define FW_MEASURE_DIGEST_LEN 48u /* SHA-384 launch digest */
#define FW_SHA256_LEN	      32u

/* ---- OVMF image (snp-firmware-abi.md §6.3; edk2 OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm, ------------------
 *      OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm) */

/* SEV metadata section types (OvmfSevMetadata.asm OVMF_SECTION_TYPE_*). */
enum fw_ovmf_section_type {
	FW_OVMF_SECTION_SNP_SEC_MEM = 1,
	FW_OVMF_SECTION_SNP_SECRETS = 2,
	FW_OVMF_SECTION_CPUID = 3,
	FW_OVMF_SECTION_SVSM_CAA = 4,
	FW_OVMF_SECTION_SNP_KERNEL_HASHES = 0x10,
};

/* More sections than any OVMF build declares (AmdSev: 6); bounds the parse result without allocation. */
#define FW_OVMF_MAX_SECTIONS 64u

/* Parser results.  The TRUNCATED codes mean the image ends (or starts) before a structure it declares: a cut
 * file.  The others mean the bytes are there but do not form a valid table. */
enum fw_ovmf_error {
	FW_OVMF_OK = 0,
	FW_OVMF_E_TRUNCATED_FOOTER = -1,   /* image shorter than the footer entry (50 bytes) */
	FW_OVMF_E_NO_FOOTER = -2,	   /* no footer-table GUID 32 bytes before the end: not an SEV OVMF */
	FW_OVMF_E_TABLE_LENGTH = -3,	   /* footer table length smaller than its own entry header */
	FW_OVMF_E_TRUNCATED_TABLE = -4,	   /* footer table starts before the start of the image */
	FW_OVMF_E_ENTRY_LENGTH = -5,	   /* table entry length < 18 or larger than the rest of the table */
	FW_OVMF_E_ENTRY_DATA = -6,	   /* known table entry holding fewer than 4 bytes */
	FW_OVMF_E_TRUNCATED_METADATA = -7, /* SEV metadata header or descriptors outside the image */
	FW_OVMF_E_METADATA_SIGNATURE = -8, /* SEV metadata does not start with "ASEV" */
	FW_OVMF_E_METADATA_VERSION = -9,   /* SEV metadata version is not 1 */
	FW_OVMF_E_METADATA_LENGTH = -10,   /* SEV metadata length smaller than header + descriptors */
	FW_OVMF_E_TOO_MANY_SECTIONS = -11, /* more than FW_OVMF_MAX_SECTIONS descriptors */
	FW_OVMF_E_SECTION_TYPE = -12,	   /* unknown section type */
	FW_OVMF_E_SECTION_ALIGN = -13,	   /* section GPA or size not 4 KiB aligned, or size 0 */
	FW_OVMF_E_SECTION_RANGE = -14,	   /* section extends past 4 GiB */
	FW_OVMF_E_SECTION_SIZE = -15,	   /* SECRETS or CPUID section that is not exactly one page */
	FW_OVMF_E_SECTION_OVERLAP = -16,   /* two sections share a page */
};

/* One SEV metadata descriptor {u32 gpa, u32 size, u32 type}. */
struct fw_ovmf_section {
	uint32_t gpa;
	uint32_t size;
	uint32_t type; /* enum fw_ovmf_section_type */
};

/* What the measurement needs from an OVMF image. */
struct fw_ovmf_info {
	bool has_reset_block;	   /* SEV-ES reset block entry 00f771de-... present */
	uint32_t reset_eip;	   /* its AP reset EIP */
	bool has_hashes_table;	   /* SEV hashes table entry 7255371f-... present */
	uint32_t hashes_table_gpa; /* its table GPA */
	bool has_metadata;	   /* SEV metadata entry dc886566-... present */
	uint32_t metadata_offset;  /* its offset of the "ASEV" header from the end of the image */
	uint32_t n_sections;	   /* descriptors, in table order */
	struct fw_ovmf_section sections[FW_OVMF_MAX_SECTIONS];
};

/* Parse the footer table and SEV metadata of the OVMF image `buf` (`len` bytes), which may be only the tail of an
 * image as long as everything the table declares lies inside it.  Sections are checked: known type, 4 KiB aligned,
 * below 4 GiB, SECRETS/CPUID one page, no two overlapping.  On error `info` holds no valid data. */
int fw_ovmf_parse(const uint8_t *buf, size_t len, struct fw_ovmf_info *info);

/* True for the FW_OVMF_E_TRUNCATED_* codes. */
bool fw_ovmf_error_is_truncation(int err);

/* ---- vCPU and VMM types ------------------------------------------------------------------------------------- */

/* The VMMs whose initial state sev-snp-measure models (its --vmm-type). */
enum fw_vmm_type {
	FW_VMM_QEMU = 1,
	FW_VMM_EC2 = 2,
	FW_VMM_GCE = 3,
};

/* Parse "qemu" / "ec2" / "gce" (any case).  Returns 0 or -EINVAL. */
int fw_vmm_type_parse(const char *name, enum fw_vmm_type *out);

/* The CPUID Fn0000_0001_EAX signature of family/model/stepping (AMD CPUID spec 25481): extended family above 0xF. */
uint32_t fw_vcpu_sig(unsigned family, unsigned model, unsigned stepping);

/* The signature of a QEMU vCPU model name ("EPYC", "EPYC-v4", "EPYC-Milan", "EPYC-Genoa", ..., any case).
 * Returns 0 or -ENOENT. */
int fw_vcpu_type_sig(const char *name, uint32_t *sig);

/* The i-th known vCPU model name (for usage text), or NULL past the end. */
const char *fw_vcpu_type_name(size_t i);

/* ---- VMSA ----------------------------------------------------------------------------------------------------- */

#define FW_VMSA_BSP_EIP 0xFFFFFFF0u /* the reset vector */

/* The initial state of a vCPU as the VMM builds it. */
struct fw_vmsa_params {
	enum fw_vmm_type vmm;
	unsigned vmm_version;	 /* 0 = latest; EC2 has 1 (RDX 0) and 2 (RDX 0x600); QEMU and GCE only 1 */
	uint32_t vcpu_sig;	 /* RDX for QEMU; ignored by EC2 and GCE */
	uint64_t guest_features; /* SEV_FEATURES (sev-snp-measure --guest-features; 0x1 = SNPActive) */
};

/* Build the 4096-byte VMSA of a vCPU starting at `eip` (FW_VMSA_BSP_EIP for the BSP, the OVMF reset-block EIP for
 * APs).  Returns 0 or FW_MEASURE_E_VMM for an unknown VMM type or version. */
int fw_vmsa_build(uint8_t page[FW_PAGE_SIZE], uint32_t eip, const struct fw_vmsa_params *params);

/* ---- SEV hashes table (QEMU target/i386/sev.c SevHashTable; sev-snp-measure sev_hashes.py) ------------------- */

#define FW_SEV_HASH_TABLE_LEN	     168u /* header GUID + u16 length + three {GUID, u16, SHA-256} entries */
#define FW_SEV_HASH_TABLE_PADDED_LEN 176u /* padded to 16 bytes */

/* SHA-256 of the kernel, initrd and command line that QEMU's -kernel/-initrd/-append load. */
struct fw_kernel_hashes {
	uint8_t kernel[FW_SHA256_LEN];
	uint8_t initrd[FW_SHA256_LEN];
	uint8_t cmdline[FW_SHA256_LEN];
};

/* Hash the files as QEMU does: `initrd` may be NULL (hash of nothing); the command line is hashed with its
 * terminating NUL (NULL = empty). */
int fw_kernel_hashes_compute(struct fw_kernel_hashes *out, const uint8_t *kernel, size_t kernel_len,
			     const uint8_t *initrd, size_t initrd_len, const char *cmdline);

/* Write the page holding the padded SEV hashes table at byte `offset` (zeros elsewhere).  Returns 0 or
 * FW_MEASURE_E_HASHES_OFFSET when the table does not fit in the page from there. */
int fw_sev_hashes_page(uint8_t page[FW_PAGE_SIZE], uint32_t offset, const struct fw_kernel_hashes *hashes);

/* ---- Launch digest -------------------------------------------------------------------------------------------- */

/* Measurement errors beyond the parser's. */
enum fw_measure_error {
	FW_MEASURE_E_IMAGE_SIZE = -32,	      /* image empty, larger than 4 GiB or not a multiple of 4 KiB */
	FW_MEASURE_E_VCPUS = -33,	      /* vCPU count 0 or above FW_MEASURE_MAX_VCPUS */
	FW_MEASURE_E_NO_RESET_BLOCK = -34,    /* no SEV-ES reset block (or EIP 0 with APs): APs cannot start */
	FW_MEASURE_E_NO_HASHES_SECTION = -35, /* kernel hashes given, OVMF has no SNP_KERNEL_HASHES section */
	FW_MEASURE_E_NO_HASHES_TABLE = -36,   /* kernel hashes given, OVMF has no SEV hashes table entry */
	FW_MEASURE_E_HASHES_SIZE = -37,	      /* kernel hashes given, SNP_KERNEL_HASHES section is not one page */
	FW_MEASURE_E_HASHES_OFFSET = -38,     /* hashes table does not fit in its page at its offset */
	FW_MEASURE_E_VMM = -39,		      /* unknown VMM type or version */
	FW_MEASURE_E_NOMEM = -40,	      /* the host could not hash (out of memory) */
};

#define FW_MEASURE_MAX_VCPUS 4096u

/* Inputs of one launch. */
struct fw_measure_input {
	const uint8_t *ovmf; /* the whole OVMF image as loaded below 4 GiB */
	size_t ovmf_len;
	const uint8_t *ovmf_hash; /* NULL, or 48 bytes: the digest after the OVMF pages (--snp-ovmf-hash) to start
				     from instead of hashing the image, whose tables are still read */
	unsigned vcpus;
	struct fw_vmsa_params vmsa;
	const struct fw_kernel_hashes *kernel_hashes; /* NULL: no -kernel */
};

/* Human-readable text for any FW_OVMF_E_* or FW_MEASURE_E_* code. */
const char *fw_measure_strerror(int err);

/* The launch digest after the OVMF image alone (sev-snp-measure --mode snp:ovmf-hash).  The image must be a
 * non-empty multiple of 4 KiB no larger than 4 GiB.  Returns 0 or FW_MEASURE_E_IMAGE_SIZE. */
int fw_measure_ovmf_hash(const uint8_t *ovmf, size_t len, uint8_t out[FW_MEASURE_DIGEST_LEN]);

/* The expected SNP launch digest of `in` (§6.3): OVMF pages (or the given OVMF hash), metadata sections in table
 * order (SNP_SEC_MEM ZERO, GCE UNMEASURED; SECRETS; CPUID, EC2 after all others; SVSM_CAA ZERO; SNP_KERNEL_HASHES
 * as the hashes-table page when kernel hashes are given, else ZERO), then one VMSA per vCPU, BSP first.
 * `info`, if not NULL, receives the parsed image.  Returns 0 or a negative FW_OVMF_E_* / FW_MEASURE_E_* code. */
int fw_measure_snp(const struct fw_measure_input *in, uint8_t digest[FW_MEASURE_DIGEST_LEN], struct fw_ovmf_info *info);

/* The VMSA page that fw_measure_snp() measures for vCPU `index` (0 = BSP) of a launch whose image parsed to
 * `info` (for --dump-vmsa).  Returns 0, FW_MEASURE_E_NO_RESET_BLOCK or FW_MEASURE_E_VMM. */
int fw_measure_vmsa_page(const struct fw_ovmf_info *info, const struct fw_vmsa_params *params, unsigned index,
			 uint8_t page[FW_PAGE_SIZE]);

#endif

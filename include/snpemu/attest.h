/* SPDX-License-Identifier: MIT */
/*
 * snpemu attestation tools (`attest` part, src/attest/): what verifiers and launch tools need, apart from the
 * firmware model.  Two halves:
 *   - reports and certificates: parsing and verification of SEV-SNP attestation reports and of AMD's certificate
 *     chain (`snpemu verify`, `snpemu decode report|certs`).  Facts: ../shared/spec/snp-firmware-abi.md §3
 *     (report), §4 (certificate table, VCEK/VLEK certificates); AMD SNP firmware ABI 56860 Table 22; KDS spec 57230.
 *     Only AMD's real formats are accepted: the 0x4A0-byte ATTESTATION_REPORT, X.509 certificates in DER (PEM is
 *     converted by attest_pem_to_der), the GHCB extended-request certificate table.
 *   - the expected launch measurement of a QEMU/OVMF-style SNP launch, computed the way virtee's sev-snp-measure
 *     computes it (snp-firmware-abi.md §6.3): the OVMF image parser (the GUIDed footer table and the "ASEV" SEV
 *     metadata sections; pure, (buf, len) in), the VMSA builder (the initial register state of the BSP and the APs
 *     per VMM type and vCPU type), and the launch sequence (OVMF pages, metadata sections with the SEV hashes table
 *     page, VMSA pages).  Its functions return 0 or a negative ATTEST_OVMF_E_* / ATTEST_MEASURE_E_* code, explained by
 *     attest_measure_strerror(), and allocate nothing.
 * No state is global: parsed objects are caller-owned structures; functions that allocate say so.
 */
#ifndef SNPEMU_ATTEST_H
#define SNPEMU_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/report.h>
#include <snpemu/names.h>

/* ---- Attestation report ---------------------------------------------------------------------------------- */

/* Product line, from the report's CPUID fields (v3+) or from the certificates (snp-firmware-abi.md §3.5). */
enum attest_product {
	ATTEST_PRODUCT_UNKNOWN = 0,
	ATTEST_PRODUCT_MILAN,
	ATTEST_PRODUCT_GENOA,
	ATTEST_PRODUCT_TURIN,
	ATTEST_PRODUCT_VENICE,
};

/* Result of attest_report_parse: distinct errors for a short file and for bytes that cannot be a report. */
enum attest_parse_status {
	ATTEST_PARSE_OK = 0,
	ATTEST_PARSE_TRUNCATED = 1, /* fewer than 0x4A0 bytes */
	ATTEST_PARSE_TOO_LONG = 2,  /* more than 0x4A0 bytes (trailing data) */
	ATTEST_PARSE_VERSION = 3,   /* VERSION is not 2, 3, 4 or 5 */
};

/* Every field of an ATTESTATION_REPORT (§3.1), decoded, plus the raw bytes (the signature covers raw[0..0x29F]). */
struct attest_report {
	uint8_t raw[SNP_REPORT_SIZE];
	uint32_t version, guest_svn;
	uint64_t policy;
	uint8_t family_id[SNP_REPORT_FAMILY_ID_SIZE], image_id[SNP_REPORT_IMAGE_ID_SIZE];
	uint32_t vmpl, sig_algo;
	uint64_t current_tcb, platform_info;
	uint32_t signer_info;
	uint8_t report_data[64], measurement[SNP_REPORT_MEASUREMENT_SIZE], host_data[SNP_REPORT_HOST_DATA_SIZE];
	uint8_t id_key_digest[SNP_REPORT_DIGEST_SIZE], author_key_digest[SNP_REPORT_DIGEST_SIZE];
	uint8_t report_id[SNP_REPORT_ID_SIZE], report_id_ma[SNP_REPORT_ID_SIZE];
	uint64_t reported_tcb;
	uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step; /* zero in v2 reports */
	uint8_t chip_id[SNP_CHIP_ID_SIZE];
	uint64_t committed_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	uint64_t launch_tcb;
	uint64_t launch_mit_vector, current_mit_vector;			      /* v5; zero otherwise */
	uint8_t sig_r[SNP_SIG_COMPONENT_SIZE], sig_s[SNP_SIG_COMPONENT_SIZE]; /* little-endian, as in the report */
	enum attest_product product;	/* ATTEST_PRODUCT_UNKNOWN for most v2 reports */
	enum snp_tcb_layout tcb_layout; /* how the TCB_VERSION fields are laid out */
};

/* Parse `len` bytes into `out` (which is fully written on success).  Returns ATTEST_PARSE_OK or the reason the
 * bytes are not a report.  Reserved fields are not judged here (see the report_format check). */
enum attest_parse_status attest_report_parse(const uint8_t *buf, size_t len, struct attest_report *out);

/* Text of a parse status ("truncated report: ..."); never NULL. */
const char *attest_parse_status_str(enum attest_parse_status st);

/* Product line of a report's CPUID family/model (0 family: unknown), and its name ("Genoa", "unknown"). */
enum attest_product attest_product_from_cpuid(uint8_t family, uint8_t model);
const char *attest_product_name(enum attest_product p);

/* Convert the report's 72-byte little-endian R and S into a DER ECDSA-Sig-Value SEQUENCE{INTEGER r, INTEGER s}.
 * Returns the DER length (at most ATTEST_SIG_DER_MAX), or -EINVAL if a component has non-zero bytes above the
 * 48 significant ones of P-384 or is zero. */
#define ATTEST_SIG_DER_MAX 104
int attest_sig_to_der(const uint8_t r_le[SNP_SIG_COMPONENT_SIZE], const uint8_t s_le[SNP_SIG_COMPONENT_SIZE],
		      uint8_t der[ATTEST_SIG_DER_MAX]);

/* ---- The report field table (decode, report.json) ---------------------------------------------------------- */

enum attest_report_field_kind {
	ATTEST_FIELD_U8,
	ATTEST_FIELD_U32,
	ATTEST_FIELD_U64,
	ATTEST_FIELD_BYTES,    /* shown as hex */
	ATTEST_FIELD_TCB,      /* TCB_VERSION, decoded with the report's layout */
	ATTEST_FIELD_POLICY,   /* guest policy, §3.3 */
	ATTEST_FIELD_PLATFORM, /* PLATFORM_INFO, §3.4 */
	ATTEST_FIELD_SIGNER,   /* signer info at 0x48 */
	ATTEST_FIELD_RESERVED, /* must be zero */
};

/* One row per report field: name, byte offset and size, kind and the report versions that define it (bit v set
 * for version v, e.g. 0x3C = versions 2..5). */
struct attest_report_field {
	const char *name;
	uint16_t offset, size;
	enum attest_report_field_kind kind;
	uint8_t versions;
};
#define ATTEST_REPORT_VERSIONS_ALL 0x3Cu

/* The table (fields in offset order, covering every byte of every version exactly once) and its length. */
const struct attest_report_field *attest_report_fields(size_t *count);
/* True if `f` is defined in reports of version `version`. */
bool attest_report_field_in_version(const struct attest_report_field *f, uint32_t version);

/* Human description of every field (one "name: value" line each, policy/TCB/platform/signer decoded).  Returns the
 * text length. */
size_t attest_report_describe(const struct attest_report *r, struct snpemu_text *out);
/* The same as a JSON object text; malloc'd, the caller frees it.  NULL on allocation failure. */
char *attest_report_json(const struct attest_report *r);

/* ---- Certificate table (GHCB extended guest request; §4.1) ------------------------------------------------- */

#define ATTEST_CERT_TABLE_MAX_ENTRIES 64

enum attest_cert_kind {
	ATTEST_CERT_ARK,
	ATTEST_CERT_ASK,
	ATTEST_CERT_VCEK,
	ATTEST_CERT_VLEK,
	ATTEST_CERT_CRL,
	ATTEST_CERT_OTHER
};

struct attest_cert_entry {
	uint8_t guid[SNP_GUID_SIZE];
	uint32_t offset, length;
	enum attest_cert_kind kind;
};

struct attest_cert_table {
	struct attest_cert_entry entries[ATTEST_CERT_TABLE_MAX_ENTRIES];
	unsigned int count; /* entries before the terminator */
	size_t table_size;  /* bytes of the table including the all-zero terminator */
	size_t blob_end;    /* max(offset + length): the bytes a consumer needs (Linux auxblob length) */
	char error[128];    /* why parsing failed */
};

/* Parse a certificate table held in `len` bytes, as Linux and go-sev-guest read it: entries up to an all-zero
 * entry (GUID, offset and length all zero); every blob must start at or after the end of the table and end inside
 * the buffer; at most ATTEST_CERT_TABLE_MAX_ENTRIES entries; a GUID may not appear twice.  An all-zero buffer is an
 * empty table.  Returns 0, or -EINVAL (no terminator, bad offset/length, duplicate) with out->error set. */
int attest_cert_table_parse(const uint8_t *buf, size_t len, struct attest_cert_table *out);
/* The entry of a kind, or NULL. */
const struct attest_cert_entry *attest_cert_table_find(const struct attest_cert_table *t, enum attest_cert_kind kind);
/* Name of a kind ("ARK", "VCEK", ...) and the GUID as a string (37 bytes with the NUL). */
const char *attest_cert_kind_name(enum attest_cert_kind kind);
void attest_guid_str(const uint8_t guid[SNP_GUID_SIZE], char out[37]);
/* Human and JSON (malloc'd; NULL on allocation failure) descriptions of a parsed table. */
size_t attest_cert_table_describe(const struct attest_cert_table *t, struct snpemu_text *out);
char *attest_cert_table_json(const struct attest_cert_table *t);

/* ---- Verification ------------------------------------------------------------------------------------------ */

/* The checks, in the order they run; the first failing check is the lowest-numbered one that failed. */
enum attest_check_id {
	ATTEST_CHECK_ARK_SIGNATURE,    /* ark_signature: ARK self-signed, RSASSA-PSS SHA-384 */
	ATTEST_CHECK_ARK_TRUSTED,      /* ark_trusted: the ARK's key is the trusted root's (only with a trusted root) */
	ATTEST_CHECK_ASK_SIGNATURE,    /* ask_signature: ASK (ASVK) issued and signed by the ARK */
	ATTEST_CHECK_VCEK_SIGNATURE,   /* vcek_signature: VCEK (VLEK) issued and signed by the ASK, an EC P-384 key */
	ATTEST_CHECK_CERT_VALIDITY,    /* cert_validity: every certificate within its validity dates */
	ATTEST_CHECK_SIGNATURE_ALGO,   /* signature_algo: SIGNATURE_ALGO = 1, signing key VCEK/VLEK with its certificate
					*/
	ATTEST_CHECK_REPORT_SIGNATURE, /* report_signature: ECDSA P-384/SHA-384 over bytes 0..0x29F */
	ATTEST_CHECK_VCEK_HWID,	       /* vcek_hwid: hwID extension = CHIP_ID (VCEK only) */
	ATTEST_CHECK_VCEK_TCB,	       /* vcek_tcb: bl/tee/snp/ucode (and fmc on Turin) SPLs = REPORTED_TCB */
	ATTEST_CHECK_VCEK_PRODUCT,     /* vcek_product: productName, ASK/ARK names and the report's CPUID agree */
	ATTEST_CHECK_REPORT_FORMAT,    /* report_format: reserved fields zero, policy bit 17 set */
	ATTEST_CHECK_POLICY_DEBUG,     /* policy_debug: DEBUG not allowed (unless permitted) */
	ATTEST_CHECK_POLICY_SMT,       /* policy_smt: SMT not allowed (only if required) */
	ATTEST_CHECK_POLICY_MIGRATE_MA, /* policy_migrate_ma: migration agent not allowed (unless permitted) */
	ATTEST_CHECK_MIN_TCB,		/* min_tcb: CURRENT_TCB and REPORTED_TCB at least the minimum, per component */
	ATTEST_CHECK_MIN_FW_VERSION,	/* min_fw_version: CURRENT major.minor.build at least the minimum */
	ATTEST_CHECK_MEASUREMENT,	/* measurement: MEASUREMENT = expected */
	ATTEST_CHECK_REPORT_DATA,	/* report_data: REPORT_DATA = expected */
	ATTEST_CHECK_HOST_DATA,		/* host_data: HOST_DATA = expected */
	ATTEST_CHECK_ID_KEY_DIGEST,	/* id_key_digest: ID_KEY_DIGEST = expected */
	ATTEST_CHECK_VMPL,		/* vmpl: VMPL = expected */
	ATTEST_CHECK_REPORT_VERSION,	/* report_version: VERSION = expected */
	ATTEST_CHECK_NOT_REVOKED, /* not_revoked: the ARK's CRL verifies and lists neither ASK nor VCEK (with a CRL)
				   */
	ATTEST_CHECK_COUNT
};

enum attest_check_status { ATTEST_CHECK_NOT_RUN = 0, ATTEST_CHECK_PASS, ATTEST_CHECK_FAIL, ATTEST_CHECK_SKIP };

struct attest_check_result {
	enum attest_check_status status;
	char detail[200];
};

/* The outcome of attest_verify: one result per check, indexed by enum attest_check_id. */
struct attest_verify_result {
	struct attest_check_result checks[ATTEST_CHECK_COUNT];
	int first_failure; /* enum attest_check_id of the first FAIL, or -1 if none failed */
};

/* Name of a check ("report_signature") and of a status ("pass"); never NULL. */
const char *attest_check_name(enum attest_check_id id);
const char *attest_check_status_name(enum attest_check_status st);

/* Policy: every check is optional.  attest_verify_policy_default gives: debug not allowed, migration agent not allowed,
 * SMT allowed, no minimum TCB or firmware, no expected values, the current time. */
struct attest_verify_policy {
	bool allow_debug;
	bool deny_smt;
	bool allow_migrate_ma;
	bool has_min_tcb;
	struct snp_tcb min_tcb; /* fmc is compared only for Turin-layout reports */
	bool has_min_fw;
	uint8_t min_fw_major, min_fw_minor, min_fw_build;
	bool has_measurement, has_report_data, has_host_data, has_id_key_digest, has_vmpl, has_version;
	uint8_t measurement[SNP_REPORT_MEASUREMENT_SIZE];
	uint8_t report_data[64];
	uint8_t host_data[SNP_REPORT_HOST_DATA_SIZE];
	uint8_t id_key_digest[SNP_REPORT_DIGEST_SIZE];
	uint32_t vmpl, version;
	int64_t now; /* seconds since the epoch for the validity dates; 0 = the current time */
	/* Without a root of trust (no trusted ARK given, and the chain's ARK is not one of AMD's genuine ARKs built
	 * in), ark_trusted fails; with this set it is skipped instead (`snpemu verify --insecure-no-root`). */
	bool insecure_no_root;
};
void attest_verify_policy_default(struct attest_verify_policy *p);

/* The certificates, DER-encoded.  Any may be absent (NULL/0); the checks that need one then fail.  `ask` is the
 * ASVK for a VLEK chain.  `trusted_ark`, if given, is the root of trust: the chain's ARK must carry its key, and
 * it stands in for a missing `ark`.  Without it the root is AMD's genuine ARK of the chain's product line, built in
 * (attest_builtin_ark), if the chain's ARK carries its key.  `crl`, if given, is the DER CRL of the ARK
 * (KDS /vcek/v1/{product}/crl): not_revoked checks its signature by the ARK and the ASK's and VCEK's serials. */
struct attest_verify_certs {
	const uint8_t *ark, *ask, *vcek, *vlek, *trusted_ark, *crl;
	size_t ark_len, ask_len, vcek_len, vlek_len, trusted_ark_len, crl_len;
};

/* AMD's genuine ARK whose subject CN is `cn` ("ARK-Milan", "ARK-Genoa", "ARK-Turin"), built in (trust_anchors.c):
 * 0 and the DER certificate, or -ENOENT. */
int attest_builtin_ark(const char *cn, const uint8_t **der, size_t *len);

/* ---- Fetching from a Key Distribution Service (kds_client.c, libcurl) ------------------------------------------ */

#define ATTEST_KDS_BODY_MAX (64u * 1024u) /* larger answers are refused (a chain is ~4 KiB, a CRL ~1-2 KiB) */

/* The KDS path of the VCEK of a report: "/vcek/v1/{product}/{hwid}?[fmcSPL=&]blSPL=&teeSPL=&snpSPL=&ucodeSPL=" with
 * the report's CHIP_ID (Turin: its first 8 bytes) and REPORTED_TCB.  Returns the length, or -EINVAL when the report
 * does not name its product (v2 reports) or -ENOSPC. */
int attest_kds_vcek_path(const struct attest_report *r, char *out, size_t cap);

/* GET `url`: 0 with the HTTP status and the body (malloc'd, NUL-terminated, the caller frees it) for any status;
 * -EIO (no answer; `err` says why), -EFBIG (body over ATTEST_KDS_BODY_MAX), -ENOMEM. */
int attest_kds_get(const char *url, uint8_t **body, size_t *len, long *status, char *err, size_t err_cap);

/* What attest_kds_fetch brings: DER certificates and CRL, malloc'd. */
struct attest_kds_fetch {
	uint8_t *vcek, *ask, *ark, *crl;
	size_t vcek_len, ask_len, ark_len, crl_len;
	char error[200]; /* why the fetch failed */
};
/* Fetch from the KDS at `base_url` ("http://127.0.0.1:8080", no trailing path) the VCEK for the report's CHIP_ID and
 * REPORTED_TCB, the chain (ASK, ARK) and the CRL of the report's product.  Returns 0; -ENOENT (the KDS does not know
 * this chip: 404 for the VCEK); -EPROTO (another status, or a body that is not what the route serves); -EINVAL (the
 * report names no product, or is VLEK-signed: a VLEK is not fetched by hwID); -EIO, -ENOMEM.  out->error says
 * which.  Free with attest_kds_fetch_free (also after a failure). */
int attest_kds_fetch(const char *base_url, const struct attest_report *r, struct attest_kds_fetch *out);
void attest_kds_fetch_free(struct attest_kds_fetch *f);

/* Run every check on a parsed report against the certificates and the policy; fills `res`.  Returns 0 if every
 * check passed or was skipped, 1 if a check failed, -ENOMEM if the cryptographic library ran out of memory. */
int attest_verify(const struct attest_report *r, const struct attest_verify_certs *certs,
		  const struct attest_verify_policy *policy, struct attest_verify_result *res);

/* A cache of verified certificate chains, for verifying many reports: the chain checks (ark_signature, ark_trusted,
 * ask_signature, vcek_signature) depend on the certificates only, so a chain seen before (same SHA-384 of the same
 * certificate bytes) is not parsed and verified again, and N reports under one chain cost about N ECDSA P-384
 * verifications.  Holds up to 8 chains (the oldest is replaced).  Not thread-safe: one cache per thread.
 * attest_verify_cache_new returns 0 or -ENOMEM; attest_verify_cache_free accepts NULL. */
struct attest_verify_cache;
int attest_verify_cache_new(struct attest_verify_cache **out);
void attest_verify_cache_free(struct attest_verify_cache *cache);
/* Chains found in the cache and chains verified and added, since the cache was created. */
void attest_verify_cache_stats(const struct attest_verify_cache *cache, uint64_t *hits, uint64_t *misses);
/* attest_verify through `cache` (NULL: no cache): the same checks, results and return values. */
int attest_verify_cached(struct attest_verify_cache *cache, const struct attest_report *r,
			 const struct attest_verify_certs *certs, const struct attest_verify_policy *policy,
			 struct attest_verify_result *res);

/* The result as a JSON object text ({"ok":…, "first_failure":…, "checks":[{name,result,detail}…]}); malloc'd,
 * the caller frees it; NULL on allocation failure. */
char *attest_verify_result_json(const struct attest_verify_result *res);

/* Convert one PEM certificate (the first "CERTIFICATE" block of `pem`) to DER.  Returns 0 and a malloc'd buffer in
 * *der (the caller frees it), or -EINVAL if `pem` holds no certificate, or -ENOMEM. */
int attest_pem_to_der(const uint8_t *pem, size_t pem_len, uint8_t **der, size_t *der_len);

/* 0 if `der` is exactly one X.509 certificate, -EINVAL if not, -ENOMEM (lets tools reject malformed files before
 * verifying). */
int attest_cert_parse_check(const uint8_t *der, size_t len);

/* What `snpemu decode certs` shows of one certificate. */
struct attest_cert_summary {
	char subject_cn[64], issuer_cn[64];
	int64_t not_before, not_after; /* seconds since the epoch */
	char product[32];	       /* KDS productName extension, or "" */
	char key[16];		       /* "RSA-4096", "EC P-384", "other" */
};
/* Summarise one DER certificate.  0, -EINVAL (not one X.509 certificate) or -ENOMEM. */
int attest_cert_summary(const uint8_t *der, size_t len, struct attest_cert_summary *out);

/* ==== Expected launch measurement (measure.c, ovmf.c, vmsa.c) ==================================================== */

#define ATTEST_PAGE_SIZE	  4096u
#define ATTEST_MEASURE_DIGEST_LEN 48u /* SHA-384 launch digest */
#define ATTEST_SHA256_LEN	  32u

/* ---- OVMF image (snp-firmware-abi.md §6.3; edk2 OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm, ------------------
 *      OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm) */

/* SEV metadata section types (OvmfSevMetadata.asm OVMF_SECTION_TYPE_*). */
enum attest_ovmf_section_type {
	ATTEST_OVMF_SECTION_SNP_SEC_MEM = 1,
	ATTEST_OVMF_SECTION_SNP_SECRETS = 2,
	ATTEST_OVMF_SECTION_CPUID = 3,
	ATTEST_OVMF_SECTION_SVSM_CAA = 4,
	ATTEST_OVMF_SECTION_SNP_KERNEL_HASHES = 0x10,
};

/* More sections than any OVMF build declares (AmdSev: 6); bounds the parse result without allocation. */
#define ATTEST_OVMF_MAX_SECTIONS 64u

/* Parser results.  The TRUNCATED codes mean the image ends (or starts) before a structure it declares: a cut
 * file.  The others mean the bytes are there but do not form a valid table. */
enum attest_ovmf_error {
	ATTEST_OVMF_OK = 0,
	ATTEST_OVMF_E_TRUNCATED_FOOTER = -1,   /* image shorter than the footer entry (50 bytes) */
	ATTEST_OVMF_E_NO_FOOTER = -2,	       /* no footer-table GUID 32 bytes before the end: not an SEV OVMF */
	ATTEST_OVMF_E_TABLE_LENGTH = -3,       /* footer table length smaller than its own entry header */
	ATTEST_OVMF_E_TRUNCATED_TABLE = -4,    /* footer table starts before the start of the image */
	ATTEST_OVMF_E_ENTRY_LENGTH = -5,       /* table entry length < 18 or larger than the rest of the table */
	ATTEST_OVMF_E_ENTRY_DATA = -6,	       /* known table entry holding fewer than 4 bytes */
	ATTEST_OVMF_E_TRUNCATED_METADATA = -7, /* SEV metadata header or descriptors outside the image */
	ATTEST_OVMF_E_METADATA_SIGNATURE = -8, /* SEV metadata does not start with "ASEV" */
	ATTEST_OVMF_E_METADATA_VERSION = -9,   /* SEV metadata version is not 1 */
	ATTEST_OVMF_E_METADATA_LENGTH = -10,   /* SEV metadata length smaller than header + descriptors */
	ATTEST_OVMF_E_TOO_MANY_SECTIONS = -11, /* more than ATTEST_OVMF_MAX_SECTIONS descriptors */
	ATTEST_OVMF_E_SECTION_TYPE = -12,      /* unknown section type */
	ATTEST_OVMF_E_SECTION_ALIGN = -13,     /* section GPA or size not 4 KiB aligned, or size 0 */
	ATTEST_OVMF_E_SECTION_RANGE = -14,     /* section extends past 4 GiB */
	ATTEST_OVMF_E_SECTION_SIZE = -15,      /* SECRETS or CPUID section that is not exactly one page */
	ATTEST_OVMF_E_SECTION_OVERLAP = -16,   /* two sections share a page */
};

/* One SEV metadata descriptor {u32 gpa, u32 size, u32 type}. */
struct attest_ovmf_section {
	uint32_t gpa;
	uint32_t size;
	uint32_t type; /* enum attest_ovmf_section_type */
};

/* What the measurement needs from an OVMF image. */
struct attest_ovmf_info {
	bool has_reset_block;	   /* SEV-ES reset block entry 00f771de-... present */
	uint32_t reset_eip;	   /* its AP reset EIP */
	bool has_hashes_table;	   /* SEV hashes table entry 7255371f-... present */
	uint32_t hashes_table_gpa; /* its table GPA */
	bool has_metadata;	   /* SEV metadata entry dc886566-... present */
	uint32_t metadata_offset;  /* its offset of the "ASEV" header from the end of the image */
	uint32_t n_sections;	   /* descriptors, in table order */
	struct attest_ovmf_section sections[ATTEST_OVMF_MAX_SECTIONS];
};

/* Parse the footer table and SEV metadata of the OVMF image `buf` (`len` bytes), which may be only the tail of an
 * image as long as everything the table declares lies inside it.  Sections are checked: known type, 4 KiB aligned,
 * below 4 GiB, SECRETS/CPUID one page, no two overlapping.  On error `info` holds no valid data. */
int attest_ovmf_parse(const uint8_t *buf, size_t len, struct attest_ovmf_info *info);

/* True for the ATTEST_OVMF_E_TRUNCATED_* codes. */
bool attest_ovmf_error_is_truncation(int err);

/* ---- vCPU and VMM types ------------------------------------------------------------------------------------- */

/* The VMMs whose initial state sev-snp-measure models (its --vmm-type). */
enum attest_vmm_type {
	ATTEST_VMM_QEMU = 1,
	ATTEST_VMM_EC2 = 2,
	ATTEST_VMM_GCE = 3,
};

/* Parse "qemu" / "ec2" / "gce" (any case).  Returns 0 or -EINVAL. */
int attest_vmm_type_parse(const char *name, enum attest_vmm_type *out);

/* The CPUID Fn0000_0001_EAX signature of family/model/stepping (AMD CPUID spec 25481): extended family above 0xF. */
uint32_t attest_vcpu_sig(unsigned family, unsigned model, unsigned stepping);

/* The signature of a QEMU vCPU model name ("EPYC", "EPYC-v4", "EPYC-Milan", "EPYC-Genoa", ..., any case).
 * Returns 0 or -ENOENT. */
int attest_vcpu_type_sig(const char *name, uint32_t *sig);

/* The i-th known vCPU model name (for usage text), or NULL past the end. */
const char *attest_vcpu_type_name(size_t i);

/* ---- VMSA ----------------------------------------------------------------------------------------------------- */

#define ATTEST_VMSA_BSP_EIP 0xFFFFFFF0u /* the reset vector */

/* The initial state of a vCPU as the VMM builds it. */
struct attest_vmsa_params {
	enum attest_vmm_type vmm;
	unsigned vmm_version;	 /* 0 = latest; EC2 has 1 (RDX 0) and 2 (RDX 0x600); QEMU and GCE only 1 */
	uint32_t vcpu_sig;	 /* RDX for QEMU; ignored by EC2 and GCE */
	uint64_t guest_features; /* SEV_FEATURES (sev-snp-measure --guest-features; 0x1 = SNPActive) */
};

/* Build the 4096-byte VMSA of a vCPU starting at `eip` (ATTEST_VMSA_BSP_EIP for the BSP, the OVMF reset-block EIP for
 * APs).  Returns 0 or ATTEST_MEASURE_E_VMM for an unknown VMM type or version. */
int attest_vmsa_build(uint8_t page[ATTEST_PAGE_SIZE], uint32_t eip, const struct attest_vmsa_params *params);

/* ---- SEV hashes table (QEMU target/i386/sev.c SevHashTable; sev-snp-measure sev_hashes.py) ------------------- */

#define ATTEST_SEV_HASH_TABLE_LEN	 168u /* header GUID + u16 length + three {GUID, u16, SHA-256} entries */
#define ATTEST_SEV_HASH_TABLE_PADDED_LEN 176u /* padded to 16 bytes */

/* SHA-256 of the kernel, initrd and command line that QEMU's -kernel/-initrd/-append load. */
struct attest_kernel_hashes {
	uint8_t kernel[ATTEST_SHA256_LEN];
	uint8_t initrd[ATTEST_SHA256_LEN];
	uint8_t cmdline[ATTEST_SHA256_LEN];
};

/* Hash the files as QEMU does: `initrd` may be NULL (hash of nothing); the command line is hashed with its
 * terminating NUL (NULL = empty). */
int attest_kernel_hashes_compute(struct attest_kernel_hashes *out, const uint8_t *kernel, size_t kernel_len,
				 const uint8_t *initrd, size_t initrd_len, const char *cmdline);

/* Write the page holding the padded SEV hashes table at byte `offset` (zeros elsewhere).  Returns 0 or
 * ATTEST_MEASURE_E_HASHES_OFFSET when the table does not fit in the page from there. */
int attest_sev_hashes_page(uint8_t page[ATTEST_PAGE_SIZE], uint32_t offset, const struct attest_kernel_hashes *hashes);

/* ---- Launch digest -------------------------------------------------------------------------------------------- */

/* Measurement errors beyond the parser's. */
enum attest_measure_error {
	ATTEST_MEASURE_E_IMAGE_SIZE = -32,	  /* image empty, larger than 4 GiB or not a multiple of 4 KiB */
	ATTEST_MEASURE_E_VCPUS = -33,		  /* vCPU count 0 or above ATTEST_MEASURE_MAX_VCPUS */
	ATTEST_MEASURE_E_NO_RESET_BLOCK = -34,	  /* no SEV-ES reset block (or EIP 0 with APs): APs cannot start */
	ATTEST_MEASURE_E_NO_HASHES_SECTION = -35, /* kernel hashes given, OVMF has no SNP_KERNEL_HASHES section */
	ATTEST_MEASURE_E_NO_HASHES_TABLE = -36,	  /* kernel hashes given, OVMF has no SEV hashes table entry */
	ATTEST_MEASURE_E_HASHES_SIZE = -37,	  /* kernel hashes given, SNP_KERNEL_HASHES section is not one page */
	ATTEST_MEASURE_E_HASHES_OFFSET = -38,	  /* hashes table does not fit in its page at its offset */
	ATTEST_MEASURE_E_VMM = -39,		  /* unknown VMM type or version */
	ATTEST_MEASURE_E_NOMEM = -40,		  /* the host could not hash (out of memory) */
};

#define ATTEST_MEASURE_MAX_VCPUS 4096u

/* Inputs of one launch. */
struct attest_measure_input {
	const uint8_t *ovmf; /* the whole OVMF image as loaded below 4 GiB */
	size_t ovmf_len;
	const uint8_t *ovmf_hash; /* NULL, or 48 bytes: the digest after the OVMF pages (--snp-ovmf-hash) to start
				     from instead of hashing the image, whose tables are still read */
	unsigned vcpus;
	struct attest_vmsa_params vmsa;
	const struct attest_kernel_hashes *kernel_hashes; /* NULL: no -kernel */
};

/* Human-readable text for any ATTEST_OVMF_E_* or ATTEST_MEASURE_E_* code. */
const char *attest_measure_strerror(int err);

/* The launch digest after the OVMF image alone (sev-snp-measure --mode snp:ovmf-hash).  The image must be a
 * non-empty multiple of 4 KiB no larger than 4 GiB.  Returns 0 or ATTEST_MEASURE_E_IMAGE_SIZE. */
int attest_measure_ovmf_hash(const uint8_t *ovmf, size_t len, uint8_t out[ATTEST_MEASURE_DIGEST_LEN]);

/* The expected SNP launch digest of `in` (§6.3): OVMF pages (or the given OVMF hash), metadata sections in table
 * order (SNP_SEC_MEM ZERO, GCE UNMEASURED; SECRETS; CPUID, EC2 after all others; SVSM_CAA ZERO; SNP_KERNEL_HASHES
 * as the hashes-table page when kernel hashes are given, else ZERO), then one VMSA per vCPU, BSP first.
 * `info`, if not NULL, receives the parsed image.  Returns 0 or a negative ATTEST_OVMF_E_* / ATTEST_MEASURE_E_* code.
 */
int attest_measure_snp(const struct attest_measure_input *in, uint8_t digest[ATTEST_MEASURE_DIGEST_LEN],
		       struct attest_ovmf_info *info);

/* The VMSA page that attest_measure_snp() measures for vCPU `index` (0 = BSP) of a launch whose image parsed to
 * `info` (for --dump-vmsa).  Returns 0, ATTEST_MEASURE_E_NO_RESET_BLOCK or ATTEST_MEASURE_E_VMM. */
int attest_measure_vmsa_page(const struct attest_ovmf_info *info, const struct attest_vmsa_params *params,
			     unsigned index, uint8_t page[ATTEST_PAGE_SIZE]);

#endif

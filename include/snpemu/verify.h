/* SPDX-License-Identifier: MIT */
/*
 * snpemu attestation tools: parsing and verification of SEV-SNP attestation reports and of AMD's certificate chain
 * (`snpemu verify`, `snpemu decode report|certs`).  Facts: ../shared/spec/snp-firmware-abi.md §3 (report), §4
 * (certificate table, VCEK/VLEK certificates); AMD SNP firmware ABI 56860 Table 22; KDS spec 57230.
 *
 * Only AMD's real formats are accepted: the 0x4A0-byte ATTESTATION_REPORT, X.509 certificates in DER (PEM is
 * converted by fw_attest_pem_to_der), the GHCB extended-request certificate table.  No state is global: parsed
 * objects are caller-owned structures; functions that allocate say so.
 */
#ifndef SNPEMU_VERIFY_H
#define SNPEMU_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/report.h>
#include <snpemu/names.h>

/* ---- Attestation report ---------------------------------------------------------------------------------- */

/* Product line, from the report's CPUID fields (v3+) or from the certificates (snp-firmware-abi.md §3.5). */
enum fw_attest_product {
	FW_ATTEST_PRODUCT_UNKNOWN = 0,
	FW_ATTEST_PRODUCT_MILAN,
	FW_ATTEST_PRODUCT_GENOA,
	FW_ATTEST_PRODUCT_TURIN,
	FW_ATTEST_PRODUCT_VENICE,
};

/* Result of fw_attest_report_parse: distinct errors for a short file and for bytes that cannot be a report. */
enum fw_attest_parse_status {
	FW_ATTEST_PARSE_OK = 0,
	FW_ATTEST_PARSE_TRUNCATED = 1, /* fewer than 0x4A0 bytes */
	FW_ATTEST_PARSE_TOO_LONG = 2,  /* more than 0x4A0 bytes (trailing data) */
	FW_ATTEST_PARSE_VERSION = 3,   /* VERSION is not 2, 3, 4 or 5 */
};

/* Every field of an ATTESTATION_REPORT (§3.1), decoded, plus the raw bytes (the signature covers raw[0..0x29F]). */
struct fw_attest_report {
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
	enum fw_attest_product product; /* FW_ATTEST_PRODUCT_UNKNOWN for most v2 reports */
	enum snp_tcb_layout tcb_layout; /* how the TCB_VERSION fields are laid out */
};

/* Parse `len` bytes into `out` (which is fully written on success).  Returns FW_ATTEST_PARSE_OK or the reason the
 * bytes are not a report.  Reserved fields are not judged here (see the report_format check). */
enum fw_attest_parse_status fw_attest_report_parse(const uint8_t *buf, size_t len, struct fw_attest_report *out);

/* Text of a parse status ("truncated report: ..."); never NULL. */
const char *fw_attest_parse_status_str(enum fw_attest_parse_status st);

/* Product line of a report's CPUID family/model (0 family: unknown), and its name ("Genoa", "unknown"). */
enum fw_attest_product fw_attest_product_from_cpuid(uint8_t family, uint8_t model);
const char *fw_attest_product_name(enum fw_attest_product p);

/* Convert the report's 72-byte little-endian R and S into a DER ECDSA-Sig-Value SEQUENCE{INTEGER r, INTEGER s}.
 * Returns the DER length (at most FW_ATTEST_SIG_DER_MAX), or -EINVAL if a component has non-zero bytes above the
 * 48 significant ones of P-384 or is zero. */
#define FW_ATTEST_SIG_DER_MAX 104
int fw_attest_sig_to_der(const uint8_t r_le[SNP_SIG_COMPONENT_SIZE], const uint8_t s_le[SNP_SIG_COMPONENT_SIZE],
			 uint8_t der[FW_ATTEST_SIG_DER_MAX]);

/* ---- The report field table (decode, report.json) ---------------------------------------------------------- */

enum fw_report_field_kind {
	FW_FIELD_U8,
	FW_FIELD_U32,
	FW_FIELD_U64,
	FW_FIELD_BYTES,	   /* shown as hex */
	FW_FIELD_TCB,	   /* TCB_VERSION, decoded with the report's layout */
	FW_FIELD_POLICY,   /* guest policy, §3.3 */
	FW_FIELD_PLATFORM, /* PLATFORM_INFO, §3.4 */
	FW_FIELD_SIGNER,   /* signer info at 0x48 */
	FW_FIELD_RESERVED, /* must be zero */
};

/* One row per report field: name, byte offset and size, kind and the report versions that define it (bit v set
 * for version v, e.g. 0x3C = versions 2..5). */
struct fw_report_field {
	const char *name;
	uint16_t offset, size;
	enum fw_report_field_kind kind;
	uint8_t versions;
};
#define FW_REPORT_VERSIONS_ALL 0x3Cu

/* The table (fields in offset order, covering every byte of every version exactly once) and its length. */
const struct fw_report_field *fw_report_fields(size_t *count);
/* True if `f` is defined in reports of version `version`. */
bool fw_report_field_in_version(const struct fw_report_field *f, uint32_t version);

/* Human description of every field (one "name: value" line each, policy/TCB/platform/signer decoded).  Returns the
 * text length. */
size_t fw_attest_report_describe(const struct fw_attest_report *r, struct snpemu_text *out);
/* The same as a JSON object text; malloc'd, the caller frees it.  NULL on allocation failure. */
char *fw_attest_report_json(const struct fw_attest_report *r);

/* ---- Certificate table (GHCB extended guest request; §4.1) ------------------------------------------------- */

#define FW_CERT_TABLE_MAX_ENTRIES 64

enum fw_attest_cert_kind {
	FW_ATTEST_CERT_ARK,
	FW_ATTEST_CERT_ASK,
	FW_ATTEST_CERT_VCEK,
	FW_ATTEST_CERT_VLEK,
	FW_ATTEST_CERT_CRL,
	FW_ATTEST_CERT_OTHER
};

struct fw_attest_cert_entry {
	uint8_t guid[SNP_GUID_SIZE];
	uint32_t offset, length;
	enum fw_attest_cert_kind kind;
};

struct fw_attest_cert_table {
	struct fw_attest_cert_entry entries[FW_CERT_TABLE_MAX_ENTRIES];
	unsigned int count; /* entries before the terminator */
	size_t table_size;  /* bytes of the table including the all-zero terminator */
	size_t blob_end;    /* max(offset + length): the bytes a consumer needs (Linux auxblob length) */
	char error[128];    /* why parsing failed */
};

/* Parse a certificate table held in `len` bytes, as Linux and go-sev-guest read it: entries up to an all-zero
 * entry (GUID, offset and length all zero); every blob must start at or after the end of the table and end inside
 * the buffer; at most FW_CERT_TABLE_MAX_ENTRIES entries; a GUID may not appear twice.  An all-zero buffer is an
 * empty table.  Returns 0, or -EINVAL (no terminator, bad offset/length, duplicate) with out->error set. */
int fw_attest_cert_table_parse(const uint8_t *buf, size_t len, struct fw_attest_cert_table *out);
/* The entry of a kind, or NULL. */
const struct fw_attest_cert_entry *fw_attest_cert_table_find(const struct fw_attest_cert_table *t,
							     enum fw_attest_cert_kind kind);
/* Name of a kind ("ARK", "VCEK", ...) and the GUID as a string (37 bytes with the NUL). */
const char *fw_cert_kind_name(enum fw_attest_cert_kind kind);
void fw_guid_str(const uint8_t guid[SNP_GUID_SIZE], char out[37]);
/* Human and JSON (malloc'd; NULL on allocation failure) descriptions of a parsed table. */
size_t fw_attest_cert_table_describe(const struct fw_attest_cert_table *t, struct snpemu_text *out);
char *fw_attest_cert_table_json(const struct fw_attest_cert_table *t);

/* ---- Verification ------------------------------------------------------------------------------------------ */

/* The checks, in the order they run; the first failing check is the lowest-numbered one that failed. */
enum fw_check_id {
	FW_CHECK_ARK_SIGNATURE,	    /* ark_signature: ARK self-signed, RSASSA-PSS SHA-384 */
	FW_CHECK_ARK_TRUSTED,	    /* ark_trusted: the ARK's key is the trusted root's (only with a trusted root) */
	FW_CHECK_ASK_SIGNATURE,	    /* ask_signature: ASK (ASVK) issued and signed by the ARK */
	FW_CHECK_VCEK_SIGNATURE,    /* vcek_signature: VCEK (VLEK) issued and signed by the ASK, an EC P-384 key */
	FW_CHECK_CERT_VALIDITY,	    /* cert_validity: every certificate within its validity dates */
	FW_CHECK_SIGNATURE_ALGO,    /* signature_algo: SIGNATURE_ALGO = 1, signing key VCEK/VLEK with its certificate */
	FW_CHECK_REPORT_SIGNATURE,  /* report_signature: ECDSA P-384/SHA-384 over bytes 0..0x29F */
	FW_CHECK_VCEK_HWID,	    /* vcek_hwid: hwID extension = CHIP_ID (VCEK only) */
	FW_CHECK_VCEK_TCB,	    /* vcek_tcb: bl/tee/snp/ucode (and fmc on Turin) SPLs = REPORTED_TCB */
	FW_CHECK_VCEK_PRODUCT,	    /* vcek_product: productName, ASK/ARK names and the report's CPUID agree */
	FW_CHECK_REPORT_FORMAT,	    /* report_format: reserved fields zero, policy bit 17 set */
	FW_CHECK_POLICY_DEBUG,	    /* policy_debug: DEBUG not allowed (unless permitted) */
	FW_CHECK_POLICY_SMT,	    /* policy_smt: SMT not allowed (only if required) */
	FW_CHECK_POLICY_MIGRATE_MA, /* policy_migrate_ma: migration agent not allowed (unless permitted) */
	FW_CHECK_MIN_TCB,	    /* min_tcb: CURRENT_TCB and REPORTED_TCB at least the minimum, per component */
	FW_CHECK_MIN_FW_VERSION,    /* min_fw_version: CURRENT major.minor.build at least the minimum */
	FW_CHECK_MEASUREMENT,	    /* measurement: MEASUREMENT = expected */
	FW_CHECK_REPORT_DATA,	    /* report_data: REPORT_DATA = expected */
	FW_CHECK_HOST_DATA,	    /* host_data: HOST_DATA = expected */
	FW_CHECK_ID_KEY_DIGEST,	    /* id_key_digest: ID_KEY_DIGEST = expected */
	FW_CHECK_VMPL,		    /* vmpl: VMPL = expected */
	FW_CHECK_REPORT_VERSION,    /* report_version: VERSION = expected */
	FW_CHECK_COUNT
};

enum fw_check_status { FW_CHECK_NOT_RUN = 0, FW_CHECK_PASS, FW_CHECK_FAIL, FW_CHECK_SKIP };

struct fw_check_result {
	enum fw_check_status status;
	char detail[200];
};

/* The outcome of fw_attest_verify: one result per check, indexed by enum fw_check_id. */
struct fw_verify_result {
	struct fw_check_result checks[FW_CHECK_COUNT];
	int first_failure; /* enum fw_check_id of the first FAIL, or -1 if none failed */
};

/* Name of a check ("report_signature") and of a status ("pass"); never NULL. */
const char *fw_check_name(enum fw_check_id id);
const char *fw_check_status_name(enum fw_check_status st);

/* Policy: every check is optional.  fw_verify_policy_default gives: debug not allowed, migration agent not allowed,
 * SMT allowed, no minimum TCB or firmware, no expected values, the current time. */
struct fw_verify_policy {
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
};
void fw_verify_policy_default(struct fw_verify_policy *p);

/* The certificates, DER-encoded.  Any may be absent (NULL/0); the checks that need one then fail.  `ask` is the
 * ASVK for a VLEK chain.  `trusted_ark`, if given, is the root of trust: the chain's ARK must carry its key, and
 * it stands in for a missing `ark`. */
struct fw_verify_certs {
	const uint8_t *ark, *ask, *vcek, *vlek, *trusted_ark;
	size_t ark_len, ask_len, vcek_len, vlek_len, trusted_ark_len;
};

/* Run every check on a parsed report against the certificates and the policy; fills `res`.  Returns 0 if every
 * check passed or was skipped, 1 if a check failed, -ENOMEM if the cryptographic library ran out of memory. */
int fw_attest_verify(const struct fw_attest_report *r, const struct fw_verify_certs *certs,
		     const struct fw_verify_policy *policy, struct fw_verify_result *res);

/* The result as a JSON object text ({"ok":…, "first_failure":…, "checks":[{name,result,detail}…]}); malloc'd,
 * the caller frees it; NULL on allocation failure. */
char *fw_verify_result_json(const struct fw_verify_result *res);

/* Convert one PEM certificate (the first "CERTIFICATE" block of `pem`) to DER.  Returns 0 and a malloc'd buffer in
 * *der (the caller frees it), or -EINVAL if `pem` holds no certificate, or -ENOMEM. */
int fw_attest_pem_to_der(const uint8_t *pem, size_t pem_len, uint8_t **der, size_t *der_len);

/* 0 if `der` is exactly one X.509 certificate, -EINVAL if not, -ENOMEM (lets tools reject malformed files before
 * verifying). */
int fw_attest_cert_parse_check(const uint8_t *der, size_t len);

/* What `snpemu decode certs` shows of one certificate. */
struct fw_attest_cert_summary {
	char subject_cn[64], issuer_cn[64];
	int64_t not_before, not_after; /* seconds since the epoch */
	char product[32];	       /* KDS productName extension, or "" */
	char key[16];		       /* "RSA-4096", "EC P-384", "other" */
};
/* Summarise one DER certificate.  0, -EINVAL (not one X.509 certificate) or -ENOMEM. */
int fw_attest_cert_summary(const uint8_t *der, size_t len, struct fw_attest_cert_summary *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Attestation report parsing and verification logic: the chain ARK -> ASK -> VCEK/VLEK, the report signature, the
 * binding of the VCEK's extensions to the report, and the policy checks (snp-firmware-abi.md §3, §4.3).  The
 * cryptography is in crypto_verify.c; nothing here calls libcrypto.  The checks follow go-sev-guest
 * verify.SnpAttestation / validate.SnpAttestation and snpguest verify.rs in what they compare.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <snpemu/abi/le.h>
#include <snpemu/attest.h>

#include "attest/attest_internal.h"
#include "common/zero.h"

/* ---- Parsing --------------------------------------------------------------------------------------------- */

const char *attest_parse_status_str(enum attest_parse_status st)
{
	switch (st) {
	case ATTEST_PARSE_OK:
		return "ok";
	case ATTEST_PARSE_TRUNCATED:
		return "truncated report: an ATTESTATION_REPORT is 0x4A0 (1184) bytes";
	case ATTEST_PARSE_TOO_LONG:
		return "malformed report: more than 0x4A0 (1184) bytes";
	case ATTEST_PARSE_VERSION:
		return "malformed report: VERSION is not 2, 3, 4 or 5";
	}
	return "unknown parse status";
}

/* snp-firmware-abi.md §3.5 (virtee/sev ProcessorGeneration from the report's CPUID fields). */
enum attest_product attest_product_from_cpuid(uint8_t family, uint8_t model)
{
	if (family == 0x19) {
		if (model <= 0x0F)
			return ATTEST_PRODUCT_MILAN;
		if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF))
			return ATTEST_PRODUCT_GENOA;
	} else if (family == 0x1A) {
		if (model <= 0x11)
			return ATTEST_PRODUCT_TURIN;
		if ((model >= 0x50 && model <= 0x57) || (model >= 0x90 && model <= 0xAF) ||
		    (model >= 0xC0 && model <= 0xC7))
			return ATTEST_PRODUCT_VENICE;
	}
	return ATTEST_PRODUCT_UNKNOWN;
}

const char *attest_product_name(enum attest_product p)
{
	static const char *const names[] = {"unknown", "Milan", "Genoa", "Turin", "Venice"};
	return (unsigned int)p < sizeof(names) / sizeof(names[0]) ? names[p] : "unknown";
}

enum attest_parse_status attest_report_parse(const uint8_t *buf, size_t len, struct attest_report *out)
{
	if (len < SNP_REPORT_SIZE)
		return ATTEST_PARSE_TRUNCATED;
	if (len > SNP_REPORT_SIZE)
		return ATTEST_PARSE_TOO_LONG;
	uint32_t version = le32_load(buf + SNP_REPORT_OFF_VERSION);
	if (version < 2 || version > 5)
		return ATTEST_PARSE_VERSION;

	memset(out, 0, sizeof(*out));
	memcpy(out->raw, buf, SNP_REPORT_SIZE);
	const uint8_t *b = out->raw;
	out->version = version;
	out->guest_svn = le32_load(b + SNP_REPORT_OFF_GUEST_SVN);
	out->policy = le64_load(b + SNP_REPORT_OFF_POLICY);
	memcpy(out->family_id, b + SNP_REPORT_OFF_FAMILY_ID, sizeof(out->family_id));
	memcpy(out->image_id, b + SNP_REPORT_OFF_IMAGE_ID, sizeof(out->image_id));
	out->vmpl = le32_load(b + SNP_REPORT_OFF_VMPL);
	out->sig_algo = le32_load(b + SNP_REPORT_OFF_SIG_ALGO);
	out->current_tcb = le64_load(b + SNP_REPORT_OFF_CURRENT_TCB);
	out->platform_info = le64_load(b + SNP_REPORT_OFF_PLATFORM_INFO);
	out->signer_info = le32_load(b + SNP_REPORT_OFF_SIGNER_INFO);
	memcpy(out->report_data, b + SNP_REPORT_OFF_REPORT_DATA, sizeof(out->report_data));
	memcpy(out->measurement, b + SNP_REPORT_OFF_MEASUREMENT, sizeof(out->measurement));
	memcpy(out->host_data, b + SNP_REPORT_OFF_HOST_DATA, sizeof(out->host_data));
	memcpy(out->id_key_digest, b + SNP_REPORT_OFF_ID_KEY_DIGEST, sizeof(out->id_key_digest));
	memcpy(out->author_key_digest, b + SNP_REPORT_OFF_AUTHOR_KEY_DIGEST, sizeof(out->author_key_digest));
	memcpy(out->report_id, b + SNP_REPORT_OFF_REPORT_ID, sizeof(out->report_id));
	memcpy(out->report_id_ma, b + SNP_REPORT_OFF_REPORT_ID_MA, sizeof(out->report_id_ma));
	out->reported_tcb = le64_load(b + SNP_REPORT_OFF_REPORTED_TCB);
	if (version >= 3) { /* reserved in v2 */
		out->cpuid_fam_id = b[SNP_REPORT_OFF_CPUID_FAM_ID];
		out->cpuid_mod_id = b[SNP_REPORT_OFF_CPUID_MOD_ID];
		out->cpuid_step = b[SNP_REPORT_OFF_CPUID_STEP];
	}
	memcpy(out->chip_id, b + SNP_REPORT_OFF_CHIP_ID, sizeof(out->chip_id));
	out->committed_tcb = le64_load(b + SNP_REPORT_OFF_COMMITTED_TCB);
	out->current_build = b[SNP_REPORT_OFF_CURRENT_BUILD];
	out->current_minor = b[SNP_REPORT_OFF_CURRENT_MINOR];
	out->current_major = b[SNP_REPORT_OFF_CURRENT_MAJOR];
	out->committed_build = b[SNP_REPORT_OFF_COMMITTED_BUILD];
	out->committed_minor = b[SNP_REPORT_OFF_COMMITTED_MINOR];
	out->committed_major = b[SNP_REPORT_OFF_COMMITTED_MAJOR];
	out->launch_tcb = le64_load(b + SNP_REPORT_OFF_LAUNCH_TCB);
	if (version >= 5) { /* reserved before v5 */
		out->launch_mit_vector = le64_load(b + SNP_REPORT_OFF_LAUNCH_MIT_VECTOR);
		out->current_mit_vector = le64_load(b + SNP_REPORT_OFF_CURRENT_MIT_VECTOR);
	}
	memcpy(out->sig_r, b + SNP_REPORT_OFF_SIGNATURE + SNP_SIG_OFF_R, SNP_SIG_COMPONENT_SIZE);
	memcpy(out->sig_s, b + SNP_REPORT_OFF_SIGNATURE + SNP_SIG_OFF_S, SNP_SIG_COMPONENT_SIZE);

	out->product =
	    version >= 3 ? attest_product_from_cpuid(out->cpuid_fam_id, out->cpuid_mod_id) : ATTEST_PRODUCT_UNKNOWN;
	out->tcb_layout = SNP_TCB_LAYOUT_LEGACY;
	if (out->product == ATTEST_PRODUCT_TURIN || out->product == ATTEST_PRODUCT_VENICE)
		out->tcb_layout = SNP_TCB_LAYOUT_TURIN;
	/* v2 without CPUID fields: a Turin CHIP_ID has only its first 8 bytes set (virtee's heuristic, §3.5). */
	if (version == 2 && !mem_is_zero(out->chip_id, 8) && mem_is_zero(out->chip_id + 8, SNP_CHIP_ID_SIZE - 8))
		out->tcb_layout = SNP_TCB_LAYOUT_TURIN;
	return ATTEST_PARSE_OK;
}

/* One INTEGER of a DER ECDSA-Sig-Value from a 72-byte little-endian component (§3.6). */
static int der_integer(const uint8_t le[SNP_SIG_COMPONENT_SIZE], uint8_t *out)
{
	uint8_t be[SNP_P384_SCALAR_SIZE];
	if (!mem_is_zero(le + SNP_P384_SCALAR_SIZE, SNP_SIG_COMPONENT_SIZE - SNP_P384_SCALAR_SIZE))
		return -EINVAL;
	for (unsigned int i = 0; i < SNP_P384_SCALAR_SIZE; i++)
		be[i] = le[SNP_P384_SCALAR_SIZE - 1 - i];
	unsigned int skip = 0;
	while (skip < SNP_P384_SCALAR_SIZE && !be[skip])
		skip++;
	if (skip == SNP_P384_SCALAR_SIZE)
		return -EINVAL;
	unsigned int n = SNP_P384_SCALAR_SIZE - skip, pad = be[skip] >> 7; /* a leading 0 keeps it positive */
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, be + skip, n);
	return (int)(2 + pad + n);
}

int attest_sig_to_der(const uint8_t r_le[SNP_SIG_COMPONENT_SIZE], const uint8_t s_le[SNP_SIG_COMPONENT_SIZE],
		      uint8_t der[ATTEST_SIG_DER_MAX])
{
	int nr = der_integer(r_le, der + 2);
	if (nr < 0)
		return nr;
	int ns = der_integer(s_le, der + 2 + nr);
	if (ns < 0)
		return ns;
	der[0] = 0x30; /* at most 2 * 51 = 102 content bytes: the short length form */
	der[1] = (uint8_t)(nr + ns);
	return 2 + nr + ns;
}

int attest_pem_to_der(const uint8_t *pem, size_t pem_len, uint8_t **der, size_t *der_len)
{
	return attest_cv_pem_to_der(pem, pem_len, der, der_len);
}

int attest_cert_parse_check(const uint8_t *der, size_t len)
{
	struct attest_cv_cert *c;
	struct attest_cv_cert_info info;
	int rc = attest_cv_cert_load(der, len, &c, &info);
	attest_cv_cert_free(c);
	return rc;
}

int attest_cert_summary(const uint8_t *der, size_t len, struct attest_cert_summary *out)
{
	struct attest_cv_cert *c;
	struct attest_cv_cert_info *info = malloc(sizeof(*info));
	memset(out, 0, sizeof(*out));
	if (!info)
		return -ENOMEM;
	int rc = attest_cv_cert_load(der, len, &c, info);
	if (!rc) {
		snprintf(out->subject_cn, sizeof(out->subject_cn), "%s", info->subject_cn);
		snprintf(out->issuer_cn, sizeof(out->issuer_cn), "%s", info->issuer_cn);
		out->not_before = info->not_before;
		out->not_after = info->not_after;
		snprintf(out->product, sizeof(out->product), "%s", info->has_product ? info->product : "");
		if (info->key_is_rsa)
			snprintf(out->key, sizeof(out->key), "RSA-%d", info->key_bits);
		else
			snprintf(out->key, sizeof(out->key), "%s", info->key_is_p384 ? "EC P-384" : "other");
		attest_cv_cert_free(c);
	}
	free(info);
	return rc;
}

/* ---- Checks ---------------------------------------------------------------------------------------------- */

static const char *const check_names[ATTEST_CHECK_COUNT] = {
    [ATTEST_CHECK_ARK_SIGNATURE] = "ark_signature",
    [ATTEST_CHECK_ARK_TRUSTED] = "ark_trusted",
    [ATTEST_CHECK_ASK_SIGNATURE] = "ask_signature",
    [ATTEST_CHECK_VCEK_SIGNATURE] = "vcek_signature",
    [ATTEST_CHECK_CERT_VALIDITY] = "cert_validity",
    [ATTEST_CHECK_SIGNATURE_ALGO] = "signature_algo",
    [ATTEST_CHECK_REPORT_SIGNATURE] = "report_signature",
    [ATTEST_CHECK_VCEK_HWID] = "vcek_hwid",
    [ATTEST_CHECK_VCEK_TCB] = "vcek_tcb",
    [ATTEST_CHECK_VCEK_PRODUCT] = "vcek_product",
    [ATTEST_CHECK_REPORT_FORMAT] = "report_format",
    [ATTEST_CHECK_POLICY_DEBUG] = "policy_debug",
    [ATTEST_CHECK_POLICY_SMT] = "policy_smt",
    [ATTEST_CHECK_POLICY_MIGRATE_MA] = "policy_migrate_ma",
    [ATTEST_CHECK_MIN_TCB] = "min_tcb",
    [ATTEST_CHECK_MIN_FW_VERSION] = "min_fw_version",
    [ATTEST_CHECK_MEASUREMENT] = "measurement",
    [ATTEST_CHECK_REPORT_DATA] = "report_data",
    [ATTEST_CHECK_HOST_DATA] = "host_data",
    [ATTEST_CHECK_ID_KEY_DIGEST] = "id_key_digest",
    [ATTEST_CHECK_VMPL] = "vmpl",
    [ATTEST_CHECK_REPORT_VERSION] = "report_version",
    [ATTEST_CHECK_NOT_REVOKED] = "not_revoked",
};

const char *attest_check_name(enum attest_check_id id)
{
	return (unsigned int)id < ATTEST_CHECK_COUNT ? check_names[id] : "unknown";
}

const char *attest_check_status_name(enum attest_check_status st)
{
	static const char *const names[] = {"not run", "pass", "FAIL", "skip"};
	return (unsigned int)st < 4 ? names[st] : "unknown";
}

void attest_verify_policy_default(struct attest_verify_policy *p)
{
	memset(p, 0, sizeof(*p));
}

void attest_result_set(struct attest_verify_result *res, enum attest_check_id id, enum attest_check_status st,
		       const char *fmt, ...)
{
	struct attest_check_result *c = &res->checks[id];
	va_list ap;
	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	if (st == ATTEST_CHECK_FAIL && (res->first_failure < 0 || (int)id < res->first_failure))
		res->first_failure = (int)id;
}

void attest_result_copy(struct attest_verify_result *res, enum attest_check_id id, const struct attest_check_result *c)
{
	res->checks[id] = *c;
	if (c->status == ATTEST_CHECK_FAIL && (res->first_failure < 0 || (int)id < res->first_failure))
		res->first_failure = (int)id;
}

static void check_validity(struct attest_verify_result *res, const struct attest_chain_cert *certs, size_t n,
			   int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		const struct attest_chain_cert *c = &certs[i];
		if (!c->cert) {
			attest_result_set(res, ATTEST_CHECK_CERT_VALIDITY, ATTEST_CHECK_FAIL, "%s: %s", c->role,
					  attest_load_error(c));
			return;
		}
		if (now < c->info.not_before || now > c->info.not_after) {
			attest_result_set(res, ATTEST_CHECK_CERT_VALIDITY, ATTEST_CHECK_FAIL,
					  "%s is not valid at %lld (valid from %lld to %lld)", c->role, (long long)now,
					  (long long)c->info.not_before, (long long)c->info.not_after);
			return;
		}
	}
	attest_result_set(res, ATTEST_CHECK_CERT_VALIDITY, ATTEST_CHECK_PASS, "ARK, ASK and %s valid at %lld",
			  certs[n - 1].role, (long long)now);
}

static void check_report_signature(struct attest_verify_result *res, const struct attest_report *r,
				   const struct attest_chain_cert *leaf, int *rc)
{
	uint8_t der[ATTEST_SIG_DER_MAX];
	if (!leaf->cert) {
		attest_result_set(res, ATTEST_CHECK_REPORT_SIGNATURE, ATTEST_CHECK_FAIL, "%s: %s", leaf->role,
				  attest_load_error(leaf));
		return;
	}
	int n = attest_sig_to_der(r->sig_r, r->sig_s, der);
	if (n < 0) {
		attest_result_set(res, ATTEST_CHECK_REPORT_SIGNATURE, ATTEST_CHECK_FAIL,
				  "R or S is zero or has non-zero bytes above the 48 of a P-384 scalar");
		return;
	}
	int v = attest_cv_ecdsa_p384_verify(leaf->cert, r->raw, SNP_REPORT_SIGNED_SIZE, der, (size_t)n);
	if (v == -ENOMEM)
		*rc = -ENOMEM;
	if (v)
		attest_result_set(res, ATTEST_CHECK_REPORT_SIGNATURE, ATTEST_CHECK_FAIL,
				  "ECDSA P-384/SHA-384 signature over bytes 0..0x29F does not verify with the %s's key",
				  leaf->role);
	else
		attest_result_set(res, ATTEST_CHECK_REPORT_SIGNATURE, ATTEST_CHECK_PASS,
				  "ECDSA P-384/SHA-384 over bytes 0..0x29F verified with the %s", leaf->role);
}

static void check_hwid(struct attest_verify_result *res, const struct attest_report *r,
		       const struct attest_chain_cert *leaf, bool vlek)
{
	if (vlek) {
		attest_result_set(res, ATTEST_CHECK_VCEK_HWID, ATTEST_CHECK_SKIP, "a VLEK carries no hwID");
	} else if (!leaf->cert) {
		attest_result_set(res, ATTEST_CHECK_VCEK_HWID, ATTEST_CHECK_FAIL, "VCEK: %s", attest_load_error(leaf));
	} else if (!leaf->info.has_hwid) {
		attest_result_set(res, ATTEST_CHECK_VCEK_HWID, ATTEST_CHECK_FAIL,
				  "the VCEK has no valid hwID extension (1.3.6.1.4.1.3704.1.4)");
	} else if (mem_is_zero(r->chip_id, SNP_CHIP_ID_SIZE)) {
		attest_result_set(res, ATTEST_CHECK_VCEK_HWID, ATTEST_CHECK_FAIL,
				  "CHIP_ID is masked (all zero): the VCEK cannot be bound");
	} else if (memcmp(leaf->info.hwid, r->chip_id, SNP_CHIP_ID_SIZE)) {
		attest_result_set(res, ATTEST_CHECK_VCEK_HWID, ATTEST_CHECK_FAIL,
				  "the VCEK's hwID differs from the report's CHIP_ID");
	} else {
		attest_result_set(res, ATTEST_CHECK_VCEK_HWID, ATTEST_CHECK_PASS, "hwID = CHIP_ID");
	}
}

static void check_tcb(struct attest_verify_result *res, const struct attest_report *r,
		      const struct attest_chain_cert *leaf)
{
	static const struct {
		int arc;
		const char *name;
	} spls[] = {{ATTEST_CV_SPL_BL, "blSPL"},
		    {ATTEST_CV_SPL_TEE, "teeSPL"},
		    {ATTEST_CV_SPL_SNP, "snpSPL"},
		    {ATTEST_CV_SPL_UCODE, "ucodeSPL"},
		    {ATTEST_CV_SPL_FMC, "fmcSPL"}};
	if (!leaf->cert) {
		attest_result_set(res, ATTEST_CHECK_VCEK_TCB, ATTEST_CHECK_FAIL, "%s: %s", leaf->role,
				  attest_load_error(leaf));
		return;
	}
	struct snp_tcb t = snp_tcb_decode(r->reported_tcb, r->tcb_layout);
	const uint8_t want[] = {t.bootloader, t.tee, t.snp, t.microcode, t.fmc};
	size_t n = r->tcb_layout == SNP_TCB_LAYOUT_TURIN ? 5 : 4; /* fmcSPL exists from Turin on */
	for (size_t i = 0; i < n; i++) {
		if (!leaf->info.has_spl[spls[i].arc]) {
			attest_result_set(res, ATTEST_CHECK_VCEK_TCB, ATTEST_CHECK_FAIL,
					  "the %s has no valid %s extension", leaf->role, spls[i].name);
			return;
		}
		if (leaf->info.spl[spls[i].arc] != want[i]) {
			attest_result_set(res, ATTEST_CHECK_VCEK_TCB, ATTEST_CHECK_FAIL,
					  "%s %u in the %s, %u in REPORTED_TCB", spls[i].name,
					  leaf->info.spl[spls[i].arc], leaf->role, want[i]);
			return;
		}
	}
	attest_result_set(res, ATTEST_CHECK_VCEK_TCB, ATTEST_CHECK_PASS, "SPLs = REPORTED_TCB 0x%016llx",
			  (unsigned long long)r->reported_tcb);
}

/* The product line named by a prefix form ("ARK-Genoa", "SEV-VLEK-Milan") or a productName ("Genoa-B1"). */
static bool line_of(const char *s, const char *prefix, char *out, size_t cap)
{
	size_t pl = strlen(prefix);
	if (strncmp(s, prefix, pl))
		return false;
	s += pl;
	size_t n = strcspn(s, "-");
	if (!n || n >= cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static void check_product(struct attest_verify_result *res, const struct attest_report *r,
			  const struct attest_chain_cert *ark, const struct attest_chain_cert *ask,
			  const struct attest_chain_cert *leaf)
{
	char line[32], other[32];
	if (!leaf->cert || !leaf->info.has_product || !line_of(leaf->info.product, "", line, sizeof(line))) {
		attest_result_set(res, ATTEST_CHECK_VCEK_PRODUCT, ATTEST_CHECK_FAIL,
				  "the %s has no valid productName extension", leaf->role);
		return;
	}
	if (r->product != ATTEST_PRODUCT_UNKNOWN && strcmp(line, attest_product_name(r->product))) {
		attest_result_set(res, ATTEST_CHECK_VCEK_PRODUCT, ATTEST_CHECK_FAIL,
				  "the %s is for %s, the report's CPUID says %s", leaf->role, leaf->info.product,
				  attest_product_name(r->product));
		return;
	}
	if (ark->cert && line_of(ark->info.subject_cn, "ARK-", other, sizeof(other)) && strcmp(line, other)) {
		attest_result_set(res, ATTEST_CHECK_VCEK_PRODUCT, ATTEST_CHECK_FAIL, "the %s is for %s, the ARK for %s",
				  leaf->role, line, other);
		return;
	}
	if (ask->cert &&
	    (line_of(ask->info.subject_cn, "SEV-VLEK-", other, sizeof(other)) ||
	     line_of(ask->info.subject_cn, "SEV-", other, sizeof(other))) &&
	    strcmp(line, other)) {
		attest_result_set(res, ATTEST_CHECK_VCEK_PRODUCT, ATTEST_CHECK_FAIL, "the %s is for %s, the %s for %s",
				  leaf->role, line, ask->role, other);
		return;
	}
	attest_result_set(res, ATTEST_CHECK_VCEK_PRODUCT, ATTEST_CHECK_PASS, "%s (report: %s)", leaf->info.product,
			  attest_product_name(r->product));
}

static void check_format(struct attest_verify_result *res, const struct attest_report *r)
{
	size_t n;
	const struct attest_report_field *f = attest_report_fields(&n);
	for (size_t i = 0; i < n; i++)
		if (f[i].kind == ATTEST_FIELD_RESERVED && attest_report_field_in_version(&f[i], r->version) &&
		    !mem_is_zero(r->raw + f[i].offset, f[i].size)) {
			attest_result_set(res, ATTEST_CHECK_REPORT_FORMAT, ATTEST_CHECK_FAIL,
					  "reserved field %s (0x%x) is not zero", f[i].name, f[i].offset);
			return;
		}
	if (!(r->policy & SNP_POLICY_RSVD_MBO) || (r->policy & SNP_POLICY_MBZ_MASK))
		attest_result_set(res, ATTEST_CHECK_REPORT_FORMAT, ATTEST_CHECK_FAIL,
				  "POLICY 0x%llx: bit 17 must be 1, bits 63:26 zero", (unsigned long long)r->policy);
	else if (r->signer_info >> 5)
		attest_result_set(res, ATTEST_CHECK_REPORT_FORMAT, ATTEST_CHECK_FAIL,
				  "signer info 0x%x: bits 31:5 must be zero", r->signer_info);
	else if (r->platform_info & ~0xBFull) /* bit 6 and 63:8 reserved (§3.4) */
		attest_result_set(res, ATTEST_CHECK_REPORT_FORMAT, ATTEST_CHECK_FAIL,
				  "PLATFORM_INFO 0x%llx has reserved bits set", (unsigned long long)r->platform_info);
	else
		attest_result_set(res, ATTEST_CHECK_REPORT_FORMAT, ATTEST_CHECK_PASS,
				  "reserved fields zero, policy bit 17 set");
}

/* `v` at least `min` in every component (fmc only on the Turin layout). */
static const char *tcb_below(uint64_t v, const struct snp_tcb *min, enum snp_tcb_layout layout)
{
	struct snp_tcb t = snp_tcb_decode(v, layout);
	if (t.bootloader < min->bootloader)
		return "bootloader";
	if (t.tee < min->tee)
		return "tee";
	if (t.snp < min->snp)
		return "snp";
	if (t.microcode < min->microcode)
		return "microcode";
	if (layout == SNP_TCB_LAYOUT_TURIN && t.fmc < min->fmc)
		return "fmc";
	return NULL;
}

static void check_bytes(struct attest_verify_result *res, enum attest_check_id id, bool wanted, const uint8_t *want,
			const uint8_t *got, size_t n, const char *field)
{
	if (!wanted)
		attest_result_set(res, id, ATTEST_CHECK_SKIP, "no expected %s given", field);
	else if (memcmp(want, got, n))
		attest_result_set(res, id, ATTEST_CHECK_FAIL, "%s differs from the expected value", field);
	else
		attest_result_set(res, id, ATTEST_CHECK_PASS, "%s as expected", field);
}

static void check_policy(struct attest_verify_result *res, const struct attest_report *r,
			 const struct attest_verify_policy *p)
{
	bool debug = r->policy & SNP_POLICY_DEBUG, smt = r->policy & SNP_POLICY_SMT;
	bool ma = r->policy & SNP_POLICY_MIGRATE_MA;
	if (p->allow_debug)
		attest_result_set(res, ATTEST_CHECK_POLICY_DEBUG, ATTEST_CHECK_SKIP,
				  "debug permitted (policy DEBUG=%d)", debug);
	else
		attest_result_set(res, ATTEST_CHECK_POLICY_DEBUG, debug ? ATTEST_CHECK_FAIL : ATTEST_CHECK_PASS,
				  "policy DEBUG=%d, not allowed", debug);
	if (!p->deny_smt)
		attest_result_set(res, ATTEST_CHECK_POLICY_SMT, ATTEST_CHECK_SKIP, "SMT permitted (policy SMT=%d)",
				  smt);
	else
		attest_result_set(res, ATTEST_CHECK_POLICY_SMT, smt ? ATTEST_CHECK_FAIL : ATTEST_CHECK_PASS,
				  "policy SMT=%d, required 0", smt);
	if (p->allow_migrate_ma)
		attest_result_set(res, ATTEST_CHECK_POLICY_MIGRATE_MA, ATTEST_CHECK_SKIP,
				  "migration agent permitted (MIGRATE_MA=%d)", ma);
	else
		attest_result_set(res, ATTEST_CHECK_POLICY_MIGRATE_MA, ma ? ATTEST_CHECK_FAIL : ATTEST_CHECK_PASS,
				  "policy MIGRATE_MA=%d, not allowed", ma);

	if (!p->has_min_tcb) {
		attest_result_set(res, ATTEST_CHECK_MIN_TCB, ATTEST_CHECK_SKIP, "no minimum TCB given");
	} else {
		static const char *const which[] = {"CURRENT_TCB", "COMMITTED_TCB", "REPORTED_TCB"};
		const uint64_t tcbs[] = {r->current_tcb, r->committed_tcb, r->reported_tcb};
		attest_result_set(res, ATTEST_CHECK_MIN_TCB, ATTEST_CHECK_PASS,
				  "current, committed and reported TCB at least the minimum");
		for (int i = 0; i < 3; i++) {
			const char *low = tcb_below(tcbs[i], &p->min_tcb, r->tcb_layout);
			if (low) {
				attest_result_set(res, ATTEST_CHECK_MIN_TCB, ATTEST_CHECK_FAIL,
						  "%s 0x%016llx: %s below the minimum", which[i],
						  (unsigned long long)tcbs[i], low);
				break;
			}
		}
	}
	if (!p->has_min_fw) {
		attest_result_set(res, ATTEST_CHECK_MIN_FW_VERSION, ATTEST_CHECK_SKIP,
				  "no minimum firmware version given");
	} else {
		uint32_t have = (uint32_t)r->current_major << 16 | (uint32_t)r->current_minor << 8 | r->current_build;
		uint32_t want = (uint32_t)p->min_fw_major << 16 | (uint32_t)p->min_fw_minor << 8 | p->min_fw_build;
		attest_result_set(res, ATTEST_CHECK_MIN_FW_VERSION,
				  have >= want ? ATTEST_CHECK_PASS : ATTEST_CHECK_FAIL,
				  "firmware %u.%u.%u, minimum %u.%u.%u", r->current_major, r->current_minor,
				  r->current_build, p->min_fw_major, p->min_fw_minor, p->min_fw_build);
	}
	check_bytes(res, ATTEST_CHECK_MEASUREMENT, p->has_measurement, p->measurement, r->measurement,
		    sizeof(r->measurement), "MEASUREMENT");
	check_bytes(res, ATTEST_CHECK_REPORT_DATA, p->has_report_data, p->report_data, r->report_data,
		    sizeof(r->report_data), "REPORT_DATA");
	check_bytes(res, ATTEST_CHECK_HOST_DATA, p->has_host_data, p->host_data, r->host_data, sizeof(r->host_data),
		    "HOST_DATA");
	check_bytes(res, ATTEST_CHECK_ID_KEY_DIGEST, p->has_id_key_digest, p->id_key_digest, r->id_key_digest,
		    sizeof(r->id_key_digest), "ID_KEY_DIGEST");
	if (!p->has_vmpl)
		attest_result_set(res, ATTEST_CHECK_VMPL, ATTEST_CHECK_SKIP, "no expected VMPL given (report: %u)",
				  r->vmpl);
	else
		attest_result_set(res, ATTEST_CHECK_VMPL, r->vmpl == p->vmpl ? ATTEST_CHECK_PASS : ATTEST_CHECK_FAIL,
				  "VMPL %u, expected %u", r->vmpl, p->vmpl);
	if (!p->has_version)
		attest_result_set(res, ATTEST_CHECK_REPORT_VERSION, ATTEST_CHECK_SKIP,
				  "no expected version given (report: %u)", r->version);
	else
		attest_result_set(res, ATTEST_CHECK_REPORT_VERSION,
				  r->version == p->version ? ATTEST_CHECK_PASS : ATTEST_CHECK_FAIL,
				  "VERSION %u, expected %u", r->version, p->version);
}

/* not_revoked: the CRL must be the ARK's (signature), and list neither the ASK (ASVK) nor the VCEK (VLEK). */
static void check_revocation(struct attest_verify_result *res, const struct attest_verify_certs *certs,
			     const struct attest_chain_cert *chain)
{
	if (!certs->crl || !certs->crl_len) {
		attest_result_set(res, ATTEST_CHECK_NOT_REVOKED, ATTEST_CHECK_SKIP, "no CRL given");
		return;
	}
	const uint8_t *ark = certs->ark ? certs->ark : certs->trusted_ark;
	size_t ark_len = certs->ark ? certs->ark_len : certs->trusted_ark_len;
	bool vlek = chain[2].role && !strcmp(chain[2].role, "VLEK");
	const uint8_t *const list[2] = {certs->ask, vlek ? certs->vlek : certs->vcek};
	const size_t lens[2] = {certs->ask_len, vlek ? certs->vlek_len : certs->vcek_len};
	bool revoked[2] = {false, false};
	if (!ark || !list[0] || !list[1]) {
		attest_result_set(res, ATTEST_CHECK_NOT_REVOKED, ATTEST_CHECK_FAIL,
				  "the CRL cannot be checked without the ARK, %s and %s", chain[1].role, chain[2].role);
		return;
	}
	int rc = attest_cv_crl_check(certs->crl, certs->crl_len, ark, ark_len, list, lens, 2, revoked);
	if (rc == -EBADMSG)
		attest_result_set(res, ATTEST_CHECK_NOT_REVOKED, ATTEST_CHECK_FAIL,
				  "the CRL is not issued and signed by the ARK");
	else if (rc)
		attest_result_set(res, ATTEST_CHECK_NOT_REVOKED, ATTEST_CHECK_FAIL, "the CRL is not a valid DER CRL");
	else if (revoked[0] || revoked[1])
		attest_result_set(res, ATTEST_CHECK_NOT_REVOKED, ATTEST_CHECK_FAIL, "the ARK's CRL revokes the %s",
				  revoked[0] ? chain[1].role : chain[2].role);
	else
		attest_result_set(res, ATTEST_CHECK_NOT_REVOKED, ATTEST_CHECK_PASS,
				  "the ARK's CRL lists neither the %s nor the %s", chain[1].role, chain[2].role);
}

int attest_verify(const struct attest_report *r, const struct attest_verify_certs *certs,
		  const struct attest_verify_policy *policy, struct attest_verify_result *res)
{
	return attest_verify_cached(NULL, r, certs, policy, res);
}

int attest_verify_cached(struct attest_verify_cache *cache, const struct attest_report *r,
			 const struct attest_verify_certs *certs, const struct attest_verify_policy *policy,
			 struct attest_verify_result *res)
{
	memset(res, 0, sizeof(*res));
	res->first_failure = -1;
	uint32_t key = snp_signer_signing_key(r->signer_info);
	bool vlek = key == SNP_SIGNING_KEY_VLEK;

	/* The chain: its checks come from the cache when these certificates were verified before. */
	struct attest_chain scratch;
	const struct attest_chain *ch = attest_chain_acquire(cache, certs, vlek, &scratch);
	const struct attest_chain_cert *chain = ch->certs;
	int rc = ch->rc;
	for (int i = 0; i < ATTEST_CHAIN_CHECKS; i++)
		attest_result_copy(res, (enum attest_check_id)i, &ch->checks[i]);
	check_validity(res, chain, 3, policy->now ? policy->now : (int64_t)time(NULL));

	/* The report and its binding to the VCEK. */
	if (r->sig_algo != SNP_SIG_ALGO_ECDSA_P384_SHA384)
		attest_result_set(res, ATTEST_CHECK_SIGNATURE_ALGO, ATTEST_CHECK_FAIL,
				  "SIGNATURE_ALGO %u is not 1 (ECDSA P-384 SHA-384)", r->sig_algo);
	else if (key != SNP_SIGNING_KEY_VCEK && key != SNP_SIGNING_KEY_VLEK)
		attest_result_set(res, ATTEST_CHECK_SIGNATURE_ALGO, ATTEST_CHECK_FAIL,
				  "SIGNING_KEY %u is neither VCEK (0) nor VLEK (1)", key);
	else
		attest_result_set(res, ATTEST_CHECK_SIGNATURE_ALGO, ATTEST_CHECK_PASS,
				  "ECDSA P-384 SHA-384 with the %s", chain[2].role);
	check_report_signature(res, r, &chain[2], &rc);
	check_hwid(res, r, &chain[2], vlek);
	check_tcb(res, r, &chain[2]);
	check_product(res, r, &chain[0], &chain[1], &chain[2]);
	if (chain[2].cert && chain[2].info.ext_error[0] &&
	    res->checks[ATTEST_CHECK_VCEK_PRODUCT].status == ATTEST_CHECK_PASS)
		attest_result_set(res, ATTEST_CHECK_VCEK_PRODUCT, ATTEST_CHECK_FAIL, "%s: %s", chain[2].role,
				  chain[2].info.ext_error);
	check_format(res, r);
	check_policy(res, r, policy);
	check_revocation(res, certs, chain);
	/* No root of trust: a chain anchored at an ARK nobody vouched for proves nothing (issue 16). */
	if (res->checks[ATTEST_CHECK_ARK_TRUSTED].status == ATTEST_CHECK_SKIP && !policy->insecure_no_root)
		attest_result_set(res, ATTEST_CHECK_ARK_TRUSTED, ATTEST_CHECK_FAIL,
				  "no root of trust: the ARK is not AMD's genuine ARK and no trusted ARK was given "
				  "(give the ARK to trust, or allow this with --insecure-no-root)");

	attest_chain_release(&scratch, ch);
	if (rc)
		return rc;
	return res->first_failure >= 0 ? 1 : 0;
}

char *attest_verify_result_json(const struct attest_verify_result *res)
{
	json_object *root = json_object_new_object();
	json_object *checks = json_object_new_array();
	if (!root || !checks) {
		json_object_put(root);
		json_object_put(checks);
		return NULL;
	}
	json_object_object_add(root, "ok", json_object_new_boolean(res->first_failure < 0));
	json_object_object_add(root, "first_failure",
			       res->first_failure < 0 ? NULL
						      : json_object_new_string(attest_check_name(
							    (enum attest_check_id)res->first_failure)));
	for (int i = 0; i < ATTEST_CHECK_COUNT; i++) {
		json_object *c = json_object_new_object();
		const char *st = res->checks[i].status == ATTEST_CHECK_FAIL
				     ? "fail"
				     : attest_check_status_name(res->checks[i].status);
		json_object_object_add(c, "name", json_object_new_string(attest_check_name((enum attest_check_id)i)));
		json_object_object_add(c, "result", json_object_new_string(st));
		json_object_object_add(c, "detail", json_object_new_string(res->checks[i].detail));
		json_object_array_add(checks, c);
	}
	json_object_object_add(root, "checks", checks);
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = s ? strdup(s) : NULL;
	json_object_put(root);
	return copy;
}

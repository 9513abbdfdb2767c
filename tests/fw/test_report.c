/* SPDX-License-Identifier: MIT */
/*
 * MSG_REPORT_REQ, MSG_KEY_REQ and MSG_TSC_INFO through the encrypted path: every report field, the signature
 * verified with the public key taken from the VCEK certificate, the defaults against the genuine Genoa report,
 * VMPL and key-selection statuses, derived-key rules, TSC info, reproducibility from the seed.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>
#include <snpemu/attest.h>
#include <snpemu/fw.h>

#include "common/crypto.h"
#include "../common/fixture_file.h"
#include "fw_fixture.h"

static struct fixture fx;

static int setup(void **state)
{
	(void)state;
	return fixture_start(&fx, NULL);
}

static int teardown(void **state)
{
	(void)state;
	fixture_stop(&fx);
	return 0;
}

/* Ask for a report at `vmpl` with `key_sel` via VMPCK `v`; returns the payload STATUS. */
static uint32_t get_report(struct fixture *f, unsigned v, uint32_t vmpl, uint32_t key_sel, uint8_t report[0x4A0])
{
	uint8_t req[0x60] = {0}, rsp[4000];
	size_t len = 0;
	for (int i = 0; i < 64; i++)
		req[i] = (uint8_t)(0x40 + i);
	le32_store(req + 0x40, vmpl);
	le32_store(req + 0x44, key_sel);
	assert_int_equal(fixture_call(f, v, SNP_MSG_REPORT_REQ, req, sizeof(req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(len, 0x4C0);
	assert_int_equal(le32_load(rsp + 4), 0x4A0);
	memcpy(report, rsp + 0x20, 0x4A0);
	return le32_load(rsp);
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Verify the report signature with the VCEK certificate's public key (OpenSSL, independent of src/fw). */
static int verify_with_vcek(const uint8_t *report)
{
	const uint8_t *der;
	size_t len;
	assert_int_equal(fw_platform_cert(fx.p, FW_CERT_VCEK, &der, &len), 0);
	X509 *x = d2i_X509(NULL, &der, (long)len);
	assert_non_null(x);
	uint8_t r[48], s[48];
	for (int i = 0; i < 48; i++) {
		r[i] = report[0x2A0 + 47 - i];
		s[i] = report[0x2E8 + 47 - i];
	}
	ECDSA_SIG *sig = ECDSA_SIG_new();
	ECDSA_SIG_set0(sig, BN_bin2bn(r, 48, NULL), BN_bin2bn(s, 48, NULL));
	unsigned char *sder = NULL;
	int slen = i2d_ECDSA_SIG(sig, &sder);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, X509_get0_pubkey(x)) == 1 &&
		 EVP_DigestVerify(md, sder, (size_t)slen, report, 0x2A0) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(sder);
	ECDSA_SIG_free(sig);
	X509_free(x);
	return ok;
}

static void test_report_fields(void **state)
{
	(void)state;
	uint8_t rep[0x4A0];
	struct fw_guest_context c;
	fw_guest_export(fx.g, &c);
	assert_int_equal(get_report(&fx, 0, 0, 0, rep), 0);
	assert_int_equal(le32_load(rep + 0x00), 5); /* the default: current firmware emits version 5 */
	assert_int_equal(le32_load(rep + 0x04), 0);
	assert_int_equal(le64_load(rep + 0x08), FIX_POLICY);
	assert_true(zero(rep + 0x10, 32)); /* family and image ID: no ID block */
	assert_int_equal(le32_load(rep + 0x30), 0);
	assert_int_equal(le32_load(rep + 0x34), 1);
	assert_int_equal(le64_load(rep + 0x38), fw_platform_tcb(fx.p, FW_TCB_CURRENT));
	assert_int_equal(le64_load(rep + 0x40), 0x27);
	assert_int_equal(le32_load(rep + 0x48), 0); /* VCEK, no author key */
	assert_true(zero(rep + 0x4C, 4));
	for (int i = 0; i < 64; i++)
		assert_int_equal(rep[0x50 + i], 0x40 + i);
	assert_memory_equal(rep + 0x90, c.ld.digest, 48);
	assert_memory_equal(rep + 0xC0, fx.host_data, 32);
	assert_true(zero(rep + 0xE0, 96)); /* no ID or author key */
	assert_memory_equal(rep + 0x140, c.report_id, 32);
	assert_false(zero(rep + 0x140, 32));
	for (int i = 0; i < 32; i++)
		assert_int_equal(rep[0x160 + i], 0xFF); /* no migration agent */
	assert_int_equal(le64_load(rep + 0x180), fw_platform_tcb(fx.p, FW_TCB_REPORTED));
	assert_int_equal(rep[0x188], 0x19);
	assert_int_equal(rep[0x189], 0x11);
	assert_int_equal(rep[0x18A], 0x01);
	assert_true(zero(rep + 0x18B, 21));
	assert_memory_equal(rep + 0x1A0, fw_platform_chip_id(fx.p), 64);
	assert_int_equal(le64_load(rep + 0x1E0), fw_platform_tcb(fx.p, FW_TCB_COMMITTED));
	assert_int_equal(rep[0x1E8], 0x28);
	assert_int_equal(rep[0x1E9], 0x37);
	assert_int_equal(rep[0x1EA], 1);
	assert_int_equal(rep[0x1EB], 0);
	assert_int_equal(rep[0x1EC], 0x28);
	assert_int_equal(rep[0x1ED], 0x37);
	assert_int_equal(rep[0x1EE], 1);
	assert_int_equal(le64_load(rep + 0x1F0), fw_platform_tcb(fx.p, FW_TCB_LAUNCH));
	assert_int_equal(le64_load(rep + 0x1F8), c.launch_mit_vector);
	assert_int_equal(le64_load(rep + 0x200), fw_platform_config(fx.p)->current_mit_vector);
	assert_true(zero(rep + 0x208, 0x98));
	assert_true(zero(rep + 0x2A0 + 48, 24)); /* r: only 48 significant bytes */
	assert_true(zero(rep + 0x2E8 + 48, 24));
	assert_true(zero(rep + 0x330, 0x170));
	assert_true(verify_with_vcek(rep));
	rep[0x50] ^= 1;
	assert_false(verify_with_vcek(rep));
}

static void test_matches_genuine_report(void **state)
{
	(void)state;
	uint8_t rep[0x4A0];
	size_t genuine_len = 0;
	uint8_t *genuine = fixture_read("genoa-report.bin", &genuine_len);
	assert_non_null(genuine);
	assert_int_equal(genuine_len, sizeof(rep));
	assert_int_equal(get_report(&fx, 0, 0, 0, rep), 0);
	/* version (the genuine report is from v3 firmware; ours emits 5 unless configured), policy, VMPL, algorithm,
	 * current TCB, platform info, signer info */
	assert_int_equal(le32_load(genuine), 3);
	assert_int_equal(le32_load(rep), 5);
	assert_memory_equal(rep + 0x08, genuine + 0x08, 8);
	assert_memory_equal(rep + 0x30, genuine + 0x30, 0x20);
	/* report ID MA, reported TCB, CPUID, committed TCB, versions, launch TCB */
	assert_memory_equal(rep + 0x160, genuine + 0x160, 0x40);
	assert_memory_equal(rep + 0x1E0, genuine + 0x1E0, 0x18);
	free(genuine);
}

/* The firmware's ECDSA verification (used for ID blocks) on genuine AMD data: the fixture report and its VCEK. */
static void test_verify_genuine_signature(void **state)
{
	(void)state;
	uint8_t x[48], y[48], r[48], sg[48], digest[48];
	size_t rep_len = 0, n = 0;
	uint8_t *rep = fixture_read("genoa-report.bin", &rep_len), *der = fixture_read("genoa-vcek.der", &n);
	assert_non_null(rep);
	assert_non_null(der);
	assert_int_equal(rep_len, 0x4A0);
	const unsigned char *q = der;
	X509 *vcek = d2i_X509(NULL, &q, (long)n);
	assert_non_null(vcek);
	BIGNUM *bx = NULL, *by = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(X509_get0_pubkey(vcek), OSSL_PKEY_PARAM_EC_PUB_X, &bx), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(X509_get0_pubkey(vcek), OSSL_PKEY_PARAM_EC_PUB_Y, &by), 1);
	BN_bn2binpad(bx, x, 48);
	BN_bn2binpad(by, y, 48);
	BN_free(bx);
	BN_free(by);
	X509_free(vcek);
	for (int i = 0; i < 48; i++) {
		r[i] = rep[0x2A0 + 47 - i];
		sg[i] = rep[0x2E8 + 47 - i];
	}
	assert_int_equal(fw_sha384(rep, 0x2A0, digest), 0);
	assert_int_equal(fw_ecdsa_p384_verify(x, y, digest, r, sg), 0);
	digest[0] ^= 1;
	assert_int_equal(fw_ecdsa_p384_verify(x, y, digest, r, sg), -EBADMSG);
	x[5] ^= 1; /* not a point on the curve */
	assert_int_equal(fw_ecdsa_p384_verify(x, y, digest, r, sg), -EINVAL);
	free(rep);
	free(der);
}

static void test_vmpl_and_key_selection(void **state)
{
	(void)state;
	uint8_t rep[0x4A0];
	assert_int_equal(get_report(&fx, 1, 0, 0, rep), SEV_RET_INVALID_PARAM); /* VMPL < VMPCK */
	assert_true(zero(rep, sizeof(rep)));
	assert_int_equal(get_report(&fx, 0, 4, 0, rep), SEV_RET_INVALID_PARAM);
	assert_int_equal(get_report(&fx, 1, 3, 0, rep), 0);
	assert_int_equal(le32_load(rep + 0x30), 3);
	assert_int_equal(get_report(&fx, 0, 0, 1, rep), 0);			/* VCEK explicitly */
	assert_int_equal(get_report(&fx, 0, 0, 2, rep), SEV_RET_INVALID_KEY);	/* no VLEK */
	assert_int_equal(get_report(&fx, 0, 0, 3, rep), SEV_RET_INVALID_KEY);	/* reserved */
	assert_int_equal(get_report(&fx, 0, 0, 4, rep), SEV_RET_INVALID_PARAM); /* reserved bits */
	/* reserved request bytes */
	uint8_t req[0x60] = {0}, rsp[4000];
	size_t len;
	req[0x50] = 1;
	assert_int_equal(fixture_call(&fx, 0, SNP_MSG_REPORT_REQ, req, sizeof(req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(le32_load(rsp), SEV_RET_INVALID_PARAM);
	/* the direct API refuses a VMPL above 3 too */
	assert_int_equal(fw_guest_report(fx.g, req, 4, 0, rep), SEV_RET_INVALID_PARAM);
}

static void test_vlek_and_v2(void **state)
{
	(void)state;
	struct fw_platform_config cfg;
	struct fixture f;
	uint8_t rep[0x4A0];
	fw_platform_config_default(&cfg, FW_PRODUCT_MILAN);
	fw_platform_config_seed(&cfg, (const uint8_t *)"v2", 2);
	cfg.vlek = true;
	cfg.report_version = 2;
	assert_int_equal(fixture_start(&f, &cfg), 0);
	assert_int_equal(get_report(&f, 0, 0, 0, rep), 0);
	assert_int_equal(le32_load(rep), 2);
	assert_int_equal(snp_signer_signing_key(le32_load(rep + 0x48)), SNP_SIGNING_KEY_VLEK);
	assert_true(zero(rep + 0x188, 24)); /* v2: no CPUID fields */
	assert_int_equal(get_report(&f, 0, 0, 1, rep), 0);
	assert_int_equal(snp_signer_signing_key(le32_load(rep + 0x48)), SNP_SIGNING_KEY_VCEK);
	assert_int_equal(get_report(&f, 0, 0, 2, rep), 0);
	assert_int_equal(snp_signer_signing_key(le32_load(rep + 0x48)), SNP_SIGNING_KEY_VLEK);
	fixture_stop(&f);
}

/* Report versions 2, 3 and 5 from the firmware model: each with its field set (v3 adds the CPUID bytes, v5 the
 * mitigation vectors), each verifying completely, and each judged by its own reserved-byte rules. */
static void test_report_versions(void **state)
{
	(void)state;
	static const uint32_t versions[] = {2, 3, 5};
	const uint64_t mit = 0x0000000000000D05ull;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		const uint32_t v = versions[i];
		struct fw_platform_config cfg;
		struct fixture f;
		uint8_t rep[0x4A0];
		fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
		fw_platform_config_seed(&cfg, (const uint8_t *)"versions", 8);
		cfg.report_version = v;
		cfg.current_mit_vector = mit;
		assert_int_equal(fixture_start(&f, &cfg), 0);
		assert_int_equal(get_report(&f, 0, 0, 0, rep), 0);
		assert_int_equal(le32_load(rep), v);
		assert_int_equal(rep[0x188] != 0, v >= 3); /* CPUID_FAM_ID from v3 */
		assert_int_equal(le64_load(rep + 0x1F8), v >= 5 ? mit : 0);
		assert_int_equal(le64_load(rep + 0x200), v >= 5 ? mit : 0);

		struct attest_report r;
		assert_int_equal(attest_report_parse(rep, sizeof(rep), &r), ATTEST_PARSE_OK);
		assert_int_equal(r.version, v);
		assert_int_equal(r.launch_mit_vector, v >= 5 ? mit : 0);
		assert_int_equal(r.current_mit_vector, v >= 5 ? mit : 0);
		assert_int_equal(r.product, v >= 3 ? ATTEST_PRODUCT_GENOA : ATTEST_PRODUCT_UNKNOWN);
		struct attest_verify_certs certs = {0};
		assert_int_equal(fw_platform_cert(f.p, FW_CERT_ARK, &certs.ark, &certs.ark_len), 0);
		certs.trusted_ark = certs.ark, certs.trusted_ark_len = certs.ark_len; /* snpemu's root, given */
		assert_int_equal(fw_platform_cert(f.p, FW_CERT_ASK, &certs.ask, &certs.ask_len), 0);
		assert_int_equal(fw_platform_cert(f.p, FW_CERT_VCEK, &certs.vcek, &certs.vcek_len), 0);
		struct attest_verify_policy pol;
		struct attest_verify_result res;
		attest_verify_policy_default(&pol);
		pol.has_version = true;
		pol.version = v;
		assert_int_equal(attest_verify(&r, &certs, &pol, &res), 0);

		/* A set bit at 0x1F8 is LAUNCH_MIT_VECTOR in v5 and a reserved byte before; 0x208 is reserved in all.
		 */
		static const struct {
			uint16_t off;
			uint32_t reserved_in; /* bit v: reserved in version v */
		} probes[] = {{0x1F8, 1u << 2 | 1u << 3},
			      {0x200, 1u << 2 | 1u << 3},
			      {0x208, 0x2C},
			      {0x18B, 0x2C},
			      {0x188, 1u << 2}};
		for (size_t j = 0; j < sizeof(probes) / sizeof(probes[0]); j++) {
			uint8_t bad[0x4A0];
			memcpy(bad, rep, sizeof(bad));
			bad[probes[j].off] ^= 0x10;
			assert_int_equal(attest_report_parse(bad, sizeof(bad), &r), ATTEST_PARSE_OK);
			assert_int_equal(attest_verify(&r, &certs, &pol, &res), 1); /* the signature breaks */
			const bool reserved = (probes[j].reserved_in >> v) & 1u;
			assert_int_equal(res.checks[ATTEST_CHECK_REPORT_FORMAT].status,
					 reserved ? ATTEST_CHECK_FAIL : ATTEST_CHECK_PASS);
		}
		fixture_stop(&f);
	}
	/* The firmware emits no version 4 (nor anything else outside 2, 3, 5). */
	struct fw_platform_config cfg;
	struct fw_platform *p;
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	for (uint32_t v = 0; v < 8; v++) {
		cfg.report_version = v;
		int rc = fw_platform_create(&cfg, &p);
		assert_int_equal(rc, fw_report_version_supported(v) ? 0 : -EINVAL);
		if (!rc)
			fw_platform_destroy(p);
	}
}

static void test_turin_report(void **state)
{
	(void)state;
	struct fw_platform_config cfg;
	struct fixture f;
	uint8_t rep[0x4A0];
	fw_platform_config_default(&cfg, FW_PRODUCT_TURIN);
	fw_platform_config_seed(&cfg, (const uint8_t *)"turin", 5);
	cfg.reported_tcb = (struct snp_tcb){.fmc = 2, .bootloader = 3, .tee = 4, .snp = 5, .microcode = 0x66};
	assert_int_equal(fixture_start(&f, &cfg), 0);
	assert_int_equal(fw_product_tcb_layout(FW_PRODUCT_TURIN), SNP_TCB_LAYOUT_TURIN);
	assert_int_equal(get_report(&f, 0, 0, 0, rep), 0);
	/* Turin TCB layout: fmc, bl, tee, snp, 3 reserved, ucode */
	static const uint8_t tcb[8] = {2, 3, 4, 5, 0, 0, 0, 0x66};
	assert_memory_equal(rep + 0x180, tcb, 8);
	assert_int_equal(rep[0x188], 0x1A); /* family 0xF + 0xB */
	assert_int_equal(rep[0x189], 0x02);
	assert_int_equal(rep[0x18A], 0x01);
	assert_false(zero(rep + 0x1A0, 8));
	assert_true(zero(rep + 0x1A8, 56)); /* only CHIP_ID[0..7] on Turin */
	fixture_stop(&f);
}

static uint32_t get_key(struct fixture *f, unsigned v, uint32_t flags, uint64_t gfs, uint32_t vmpl, uint32_t svn,
			uint64_t tcb, uint8_t key[32])
{
	uint8_t req[0x20] = {0}, rsp[64];
	size_t len;
	le32_store(req, flags);
	le64_store(req + 8, gfs);
	le32_store(req + 0x10, vmpl);
	le32_store(req + 0x14, svn);
	le64_store(req + 0x18, tcb);
	assert_int_equal(fixture_call(f, v, SNP_MSG_KEY_REQ, req, sizeof(req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(len, 0x40);
	memcpy(key, rsp + 0x20, 32);
	assert_true(zero(rsp + 4, 28));
	return le32_load(rsp);
}

static void test_derived_keys(void **state)
{
	(void)state;
	uint8_t a[32], b[32], c[32];
	uint64_t tcb = fw_platform_tcb(fx.p, FW_TCB_COMMITTED);
	assert_int_equal(get_key(&fx, 0, 0, 0x3F, 0, 0, tcb, a), 0);
	assert_int_equal(get_key(&fx, 0, 0, 0x3F, 0, 0, tcb, b), 0);
	assert_memory_equal(a, b, 32); /* deterministic */
	assert_false(zero(a, 32));
	assert_int_equal(get_key(&fx, 0, 0, 0x1F, 0, 0, tcb, c), 0);
	assert_memory_not_equal(a, c, 32); /* the field selection is mixed in */
	assert_int_equal(get_key(&fx, 0, 0, 0x3F, 1, 0, tcb, c), 0);
	assert_memory_not_equal(a, c, 32); /* VMPL always mixed in */
	/* a lower TCB gives another key; without the TCB bit the TCB field is ignored */
	assert_int_equal(get_key(&fx, 0, 0, 0x3F, 0, 0, tcb - 1, c), 0);
	assert_memory_not_equal(a, c, 32);
	assert_int_equal(get_key(&fx, 0, 0, 0x1F, 0, 0, 0, b), 0);
	assert_int_equal(get_key(&fx, 0, 0, 0x1F, 0, 0, 0x1234, c), 0);
	assert_memory_equal(b, c, 32);

	static const struct {
		uint32_t flags;
		uint64_t gfs;
		uint32_t vmpl, svn;
		uint64_t tcb;
		unsigned v;
		uint32_t status;
	} bad[] = {
	    {1u << 3, 0, 0, 0, 0, 0, SEV_RET_INVALID_PARAM},	       /* flags MBZ */
	    {0, 1u << 6, 0, 0, 0, 0, SEV_RET_INVALID_PARAM},	       /* unknown field-select bit */
	    {0, 0, 4, 0, 0, 0, SEV_RET_INVALID_PARAM},		       /* VMPL > 3 */
	    {0, 0, 0, 0, 0, 1, SEV_RET_INVALID_PARAM},		       /* VMPL < VMPCK */
	    {0, SNP_GFS_GUEST_SVN, 0, 1, 0, 0, SEV_RET_INVALID_PARAM}, /* SVN above the ID block's */
	    {0, SNP_GFS_TCB_VERSION, 0, 0, 0x0100000000000000ull + 0x5500000000000000ull, 0,
	     SEV_RET_INVALID_PARAM},					       /* microcode above committed */
	    {0, SNP_GFS_TCB_VERSION, 0, 0, 0x10000, 0, SEV_RET_INVALID_PARAM}, /* reserved TCB byte */
	    {3u << 1, 0, 0, 0, 0, 0, SEV_RET_INVALID_KEY},		       /* reserved key selection */
	    {2u << 1, 0, 0, 0, 0, 0, SEV_RET_INVALID_KEY},		       /* VLEK absent */
	    {SNP_KEY_ROOT_VMRK, 0, 0, 0, 0, 0, SEV_RET_INVALID_KEY},	       /* no VMRK without a MA */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    get_key(&fx, bad[i].v, bad[i].flags, bad[i].gfs, bad[i].vmpl, bad[i].svn, bad[i].tcb, c),
		    bad[i].status);
		assert_true(zero(c, 32));
	}
	/* reserved word at 0x04 */
	uint8_t req[0x20] = {0}, rsp[64];
	size_t len;
	req[4] = 1;
	assert_int_equal(fixture_call(&fx, 0, SNP_MSG_KEY_REQ, req, sizeof(req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(le32_load(rsp), SEV_RET_INVALID_PARAM);
}

static void test_tsc_info(void **state)
{
	(void)state;
	uint8_t req[0x80] = {0}, rsp[0x80];
	size_t len;
	fw_guest_set_tsc(fx.g, 0x100000000ull, 0x1234);
	assert_int_equal(fixture_call(&fx, 0, SNP_MSG_TSC_INFO_REQ, req, sizeof(req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(len, 0x80);
	assert_int_equal(le32_load(rsp), 0);
	assert_int_equal(le64_load(rsp + 8), 0x100000000ull);
	assert_int_equal(le64_load(rsp + 0x10), 0x1234);
	assert_int_equal(le32_load(rsp + 0x18), 200);
	req[0x7F] = 1;
	assert_int_equal(fixture_call(&fx, 0, SNP_MSG_TSC_INFO_REQ, req, sizeof(req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(le32_load(rsp), SEV_RET_INVALID_PARAM);
}

static void test_cpuid_message(void **state)
{
	(void)state;
	static uint8_t req[3088], rsp[4000];
	size_t len;
	le32_store(req, 2);
	le32_store(req + 16, 1);		     /* leaf 1 */
	le32_store(req + 16 + 0x18, 0x00A10F10);     /* wrong stepping */
	le32_store(req + 16 + 0x20, 0x80000020 | 1); /* VMX set */
	le32_store(req + 64, 0x80000000);	     /* leaf 0x8000_0000: passed through */
	le32_store(req + 64 + 0x18, 0x80000028);
	assert_int_equal(fixture_call(&fx, 0, SNP_MSG_CPUID_REQ, req, sizeof(req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(len, 3088);
	assert_int_equal(le32_load(rsp), 0);
	assert_int_equal(le32_load(rsp + 4), 2);
	assert_int_equal(le32_load(rsp + 16 + 0x18), 0x00A10F11);
	assert_int_equal(le32_load(rsp + 16 + 0x20), 0x80000001);
	assert_int_equal(le32_load(rsp + 64 + 0x18), 0x80000028);
	le32_store(req, 65);
	assert_int_equal(fixture_call(&fx, 0, SNP_MSG_CPUID_REQ, req, sizeof(req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(le32_load(rsp), SEV_RET_INVALID_PARAM);
}

static void test_reproducible(void **state)
{
	(void)state;
	struct fixture a, b;
	uint8_t ra[0x4A0], rb[0x4A0], ka[32], kb[32];
	assert_int_equal(fixture_start(&a, NULL), 0);
	assert_int_equal(fixture_start(&b, NULL), 0);
	assert_memory_equal(a.secrets, b.secrets, 4096); /* same VMPCKs */
	assert_int_equal(get_report(&a, 0, 0, 0, ra), 0);
	assert_int_equal(get_report(&b, 0, 0, 0, rb), 0);
	assert_memory_equal(ra, rb, sizeof(ra)); /* signature included */
	assert_int_equal(get_key(&a, 0, 0, 0x3F, 0, 0, 0, ka), 0);
	assert_int_equal(get_key(&b, 0, 0, 0x3F, 0, 0, 0, kb), 0);
	assert_memory_equal(ka, kb, 32);
	/* the platform's own earlier guest (index 0) had the same VMPCKs as these */
	assert_memory_equal(a.secrets + 0x20, fx.secrets + 0x20, 128);
	fixture_stop(&a);
	fixture_stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_fields),	   cmocka_unit_test(test_matches_genuine_report),
	    cmocka_unit_test(test_vmpl_and_key_selection), cmocka_unit_test(test_vlek_and_v2),
	    cmocka_unit_test(test_derived_keys),	   cmocka_unit_test(test_tsc_info),
	    cmocka_unit_test(test_cpuid_message),	   cmocka_unit_test(test_verify_genuine_signature),
	    cmocka_unit_test(test_reproducible),	   cmocka_unit_test(test_turin_report),
	    cmocka_unit_test(test_report_versions),
	};
	return cmocka_run_group_tests_name("fw/report", tests, setup, teardown);
}

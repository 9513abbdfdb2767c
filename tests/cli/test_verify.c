/* SPDX-License-Identifier: MIT */
/*
 * The verification library against the genuine Genoa artefacts: the untouched report and chain verify; every
 * single-byte corruption of the report, of its signature and of each certificate fails with the right check first;
 * each policy option has a passing and a failing case; trusted root and validity dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../common/fixture.h"

static struct fixture fx;

static int setup(void **state)
{
	(void)state;
	return fixture_load(&fx);
}

static int teardown(void **state)
{
	(void)state;
	fixture_free(&fx);
	return 0;
}

/* Verify `report` (0x4A0 bytes) with the fixture chain under `pol`; returns attest_verify's result. */
static int verify_bytes(const uint8_t *report, const struct attest_verify_certs *certs,
			const struct attest_verify_policy *pol, struct attest_verify_result *res)
{
	struct attest_report r;
	assert_int_equal(attest_report_parse(report, SNP_REPORT_SIZE, &r), ATTEST_PARSE_OK);
	return attest_verify(&r, certs, pol, res);
}

static void default_policy(struct attest_verify_policy *p)
{
	attest_verify_policy_default(p);
	p->now = FIXTURE_NOW;
}

static void test_genuine_report_verifies(void **state)
{
	(void)state;
	struct attest_verify_certs certs = fixture_certs(&fx);
	struct attest_verify_policy pol;
	struct attest_verify_result res;
	default_policy(&pol);
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 0);
	assert_int_equal(res.first_failure, -1);
	static const enum attest_check_id must_pass[] = {
	    ATTEST_CHECK_ARK_SIGNATURE, ATTEST_CHECK_ASK_SIGNATURE,  ATTEST_CHECK_VCEK_SIGNATURE,
	    ATTEST_CHECK_CERT_VALIDITY, ATTEST_CHECK_SIGNATURE_ALGO, ATTEST_CHECK_REPORT_SIGNATURE,
	    ATTEST_CHECK_VCEK_HWID,	ATTEST_CHECK_VCEK_TCB,	     ATTEST_CHECK_VCEK_PRODUCT,
	    ATTEST_CHECK_REPORT_FORMAT, ATTEST_CHECK_POLICY_DEBUG,   ATTEST_CHECK_POLICY_MIGRATE_MA};
	for (size_t i = 0; i < sizeof(must_pass) / sizeof(must_pass[0]); i++) {
		if (res.checks[must_pass[i]].status != ATTEST_CHECK_PASS)
			fail_msg("%s: %s", attest_check_name(must_pass[i]), res.checks[must_pass[i]].detail);
	}
	/* Every check has a result; none is left unrun. */
	for (int i = 0; i < ATTEST_CHECK_COUNT; i++)
		assert_int_not_equal(res.checks[i].status, ATTEST_CHECK_NOT_RUN);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_VCEK_PRODUCT].detail, "Genoa"));
	/* The genuine Genoa chain given with the ARK as trusted root and no ARK in the chain. */
	certs.trusted_ark = fx.ark, certs.trusted_ark_len = fx.ark_len;
	certs.ark = NULL, certs.ark_len = 0;
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 0);
	assert_int_equal(res.checks[ATTEST_CHECK_ARK_TRUSTED].status, ATTEST_CHECK_PASS);
}

/* The check that must fail first when the report byte at `off` is XORed with `mask` (see attest.h's order). */
static int expected_report_failure(unsigned int off, uint8_t mask, uint8_t orig)
{
	if (off >= SNP_REPORT_OFF_SIGNATURE + 0x90) /* the reserved part of the signature field is not signed */
		return ATTEST_CHECK_REPORT_FORMAT;
	if (off >= SNP_REPORT_OFF_SIG_ALGO && off < SNP_REPORT_OFF_SIG_ALGO + 4)
		return ATTEST_CHECK_SIGNATURE_ALGO;
	if (off == SNP_REPORT_OFF_SIGNER_INFO && ((orig ^ mask) >> 2 & 7) == SNP_SIGNING_KEY_VLEK)
		return ATTEST_CHECK_VCEK_SIGNATURE; /* the report now names a VLEK, and none is given */
	if (off == SNP_REPORT_OFF_SIGNER_INFO && ((orig ^ mask) >> 2 & 7) != SNP_SIGNING_KEY_VCEK)
		return ATTEST_CHECK_SIGNATURE_ALGO;
	return ATTEST_CHECK_REPORT_SIGNATURE; /* everything else is covered by the signature, R and S included */
}

static void corrupt_report_and_check(const struct attest_verify_certs *certs, unsigned int off, uint8_t mask)
{
	uint8_t bad[SNP_REPORT_SIZE];
	struct attest_report r;
	struct attest_verify_policy pol;
	struct attest_verify_result res;
	default_policy(&pol);
	memcpy(bad, fx.report, sizeof(bad));
	bad[off] ^= mask;
	if (attest_report_parse(bad, sizeof(bad), &r) != ATTEST_PARSE_OK) {
		/* only a VERSION outside 2..5 makes the bytes unparseable */
		if (off >= 4)
			fail_msg("offset 0x%x mask 0x%x: unexpected parse failure", off, mask);
		return;
	}
	assert_int_equal(attest_verify(&r, certs, &pol, &res), 1);
	int want = expected_report_failure(off, mask, fx.report[off]);
	if (res.first_failure != want)
		fail_msg("offset 0x%x mask 0x%02x: first failure %s (%s), expected %s", off, mask,
			 attest_check_name((enum attest_check_id)res.first_failure),
			 res.checks[res.first_failure].detail, attest_check_name((enum attest_check_id)want));
}

/* Every byte of the report, low bit flipped; plus a table of other corruption classes. */
static void test_report_corruption_every_byte(void **state)
{
	(void)state;
	struct attest_verify_certs certs = fixture_certs(&fx);
	for (unsigned int off = 0; off < SNP_REPORT_SIZE; off++)
		corrupt_report_and_check(&certs, off, 0x01);
	static const struct {
		unsigned int off;
		uint8_t mask;
	} classes[] = {
	    {0x000, 0x06}, /* version 3 -> 5 */
	    {0x00A, 0x08}, /* policy DEBUG set */
	    {0x00A, 0x04}, /* policy MIGRATE_MA set */
	    {0x034, 0x03}, /* signature algo 1 -> 2 */
	    {0x048, 0x04}, /* signing key VCEK -> VLEK */
	    {0x048, 0x1C}, /* signing key -> NONE */
	    {0x048, 0x80}, /* signer-info MBZ */
	    {0x090, 0xFF}, /* measurement */
	    {0x1A0, 0x80}, /* chip id */
	    {0x180, 0x01}, /* reported TCB bootloader */
	    {0x187, 0x80}, /* reported TCB microcode */
	    {0x2CF, 0x80}, /* R top significant byte */
	    {0x2D0, 0x01}, /* R padding above 48 bytes */
	    {0x2E8, 0xFF}, /* S low byte */
	    {0x32F, 0x01}, /* S padding */
	    {0x330, 0xFF}, /* reserved signature bytes */
	    {0x49F, 0x80},
	};
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		corrupt_report_and_check(&certs, classes[i].off, classes[i].mask);
}

/* Every 5th byte of each certificate: the certificate's own signature check fails first. */
static void test_certificate_corruption(void **state)
{
	(void)state;
	struct attest_verify_policy pol;
	struct attest_verify_result res;
	default_policy(&pol);
	struct {
		uint8_t *der;
		size_t len;
		enum attest_check_id want;
	} certs_under_test[] = {
	    {fx.ark, fx.ark_len, ATTEST_CHECK_ARK_SIGNATURE},
	    {fx.ask, fx.ask_len, ATTEST_CHECK_ASK_SIGNATURE},
	    {fx.vcek, fx.vcek_len, ATTEST_CHECK_VCEK_SIGNATURE},
	};
	for (size_t c = 0; c < 3; c++) {
		uint8_t *copy = malloc(certs_under_test[c].len);
		assert_non_null(copy);
		for (size_t off = 0; off < certs_under_test[c].len; off += 5) {
			memcpy(copy, certs_under_test[c].der, certs_under_test[c].len);
			copy[off] ^= (uint8_t)(0x01 << (off % 8));
			struct attest_verify_certs certs = fixture_certs(&fx);
			if (c == 0)
				certs.ark = copy;
			else if (c == 1)
				certs.ask = copy;
			else
				certs.vcek = copy;
			assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
			if (res.first_failure != (int)certs_under_test[c].want)
				fail_msg("cert %zu offset %zu: first failure %s (%s)", c, off,
					 attest_check_name((enum attest_check_id)res.first_failure),
					 res.checks[res.first_failure].detail);
		}
		free(copy);
	}
}

static void test_chain_errors(void **state)
{
	(void)state;
	struct attest_verify_policy pol;
	struct attest_verify_result res;
	default_policy(&pol);
	struct attest_verify_certs certs = fixture_certs(&fx);

	certs.vcek = NULL, certs.vcek_len = 0; /* no VCEK */
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_VCEK_SIGNATURE);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_VCEK_SIGNATURE].detail, "not given"));
	assert_int_equal(res.checks[ATTEST_CHECK_REPORT_SIGNATURE].status, ATTEST_CHECK_FAIL);

	certs = fixture_certs(&fx); /* the ASK in the VCEK's place: not issued by the ASK */
	certs.vcek = fx.ask, certs.vcek_len = fx.ask_len;
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_VCEK_SIGNATURE);

	certs = fixture_certs(&fx); /* ARK and ASK swapped */
	certs.ark = fx.ask, certs.ark_len = fx.ask_len;
	certs.ask = fx.ark, certs.ask_len = fx.ark_len;
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_ARK_SIGNATURE);

	certs = fixture_certs(&fx); /* a trusted root that is not the chain's ARK */
	certs.trusted_ark = fx.ask, certs.trusted_ark_len = fx.ask_len;
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_ARK_TRUSTED);

	certs = fixture_certs(&fx); /* garbage as the trusted root */
	certs.trusted_ark = fx.report, certs.trusted_ark_len = 100;
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_ARK_TRUSTED);
}

static void test_validity_dates(void **state)
{
	(void)state;
	struct attest_verify_policy pol;
	struct attest_verify_result res;
	struct attest_verify_certs certs = fixture_certs(&fx);
	default_policy(&pol);
	pol.now = 2000000000; /* 2033-05-18: the VCEK expired on 2033-01-11 */
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_CERT_VALIDITY);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_CERT_VALIDITY].detail, "VCEK"));
	pol.now = 1609459200; /* 2021-01-01: before the ARK */
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_CERT_VALIDITY);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_CERT_VALIDITY].detail, "ARK"));
	pol.now = 1768150000; /* 2026-01-11 16:46: just after the VCEK's notBefore */
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 0);
}

/* Run a policy on the genuine report (or one with `policy_or` ORed into POLICY) and return one check's status. */
static enum attest_check_status policy_status(const struct attest_verify_policy *pol, uint64_t policy_or,
					      enum attest_check_id id)
{
	uint8_t rep[SNP_REPORT_SIZE];
	struct attest_verify_result res;
	struct attest_verify_certs certs = fixture_certs(&fx);
	memcpy(rep, fx.report, sizeof(rep));
	le64_store(rep + SNP_REPORT_OFF_POLICY, le64_load(rep + SNP_REPORT_OFF_POLICY) | policy_or);
	int rc = verify_bytes(rep, &certs, pol, &res);
	if (!policy_or && res.checks[id].status != ATTEST_CHECK_FAIL)
		assert_int_equal(rc, 0); /* the genuine report fails nothing else */
	return res.checks[id].status;
}

static void test_policy_options(void **state)
{
	(void)state;
	struct attest_verify_policy p;
	/* debug: not allowed by default; the check is skipped when permitted */
	default_policy(&p);
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_POLICY_DEBUG), ATTEST_CHECK_PASS);
	assert_int_equal(policy_status(&p, SNP_POLICY_DEBUG, ATTEST_CHECK_POLICY_DEBUG), ATTEST_CHECK_FAIL);
	p.allow_debug = true;
	assert_int_equal(policy_status(&p, SNP_POLICY_DEBUG, ATTEST_CHECK_POLICY_DEBUG), ATTEST_CHECK_SKIP);
	/* migration agent */
	default_policy(&p);
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_POLICY_MIGRATE_MA), ATTEST_CHECK_PASS);
	assert_int_equal(policy_status(&p, SNP_POLICY_MIGRATE_MA, ATTEST_CHECK_POLICY_MIGRATE_MA), ATTEST_CHECK_FAIL);
	p.allow_migrate_ma = true;
	assert_int_equal(policy_status(&p, SNP_POLICY_MIGRATE_MA, ATTEST_CHECK_POLICY_MIGRATE_MA), ATTEST_CHECK_SKIP);
	/* SMT: the genuine guest allows SMT */
	default_policy(&p);
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_POLICY_SMT), ATTEST_CHECK_SKIP);
	p.deny_smt = true;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_POLICY_SMT), ATTEST_CHECK_FAIL);
	{
		uint8_t rep[SNP_REPORT_SIZE];
		struct attest_verify_result res;
		struct attest_verify_certs certs = fixture_certs(&fx);
		memcpy(rep, fx.report, sizeof(rep));
		rep[SNP_REPORT_OFF_POLICY + 2] &= (uint8_t)~1u; /* SMT off */
		verify_bytes(rep, &certs, &p, &res);
		assert_int_equal(res.checks[ATTEST_CHECK_POLICY_SMT].status, ATTEST_CHECK_PASS);
	}
	/* minimum TCB: the fixture is bl=10 tee=0 snp=23 ucode=84 */
	default_policy(&p);
	p.has_min_tcb = true;
	p.min_tcb = (struct snp_tcb){.bootloader = 10, .tee = 0, .snp = 23, .microcode = 84};
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_MIN_TCB), ATTEST_CHECK_PASS);
	p.min_tcb.microcode = 85;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_MIN_TCB), ATTEST_CHECK_FAIL);
	p.min_tcb = (struct snp_tcb){.bootloader = 11};
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_MIN_TCB), ATTEST_CHECK_FAIL);
	/* minimum firmware: the fixture runs 1.55.40 */
	default_policy(&p);
	p.has_min_fw = true, p.min_fw_major = 1, p.min_fw_minor = 55, p.min_fw_build = 40;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_MIN_FW_VERSION), ATTEST_CHECK_PASS);
	p.min_fw_build = 41;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_MIN_FW_VERSION), ATTEST_CHECK_FAIL);
	p.min_fw_minor = 54, p.min_fw_build = 99;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_MIN_FW_VERSION), ATTEST_CHECK_PASS);
	p.min_fw_major = 2, p.min_fw_minor = 0, p.min_fw_build = 0;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_MIN_FW_VERSION), ATTEST_CHECK_FAIL);
	/* expected values */
	struct {
		enum attest_check_id id;
		bool *has;
		uint8_t *want;
		size_t off, n;
	} exp[] = {
	    {ATTEST_CHECK_MEASUREMENT, &p.has_measurement, p.measurement, SNP_REPORT_OFF_MEASUREMENT, 48},
	    {ATTEST_CHECK_REPORT_DATA, &p.has_report_data, p.report_data, SNP_REPORT_OFF_REPORT_DATA, 64},
	    {ATTEST_CHECK_HOST_DATA, &p.has_host_data, p.host_data, SNP_REPORT_OFF_HOST_DATA, 32},
	    {ATTEST_CHECK_ID_KEY_DIGEST, &p.has_id_key_digest, p.id_key_digest, SNP_REPORT_OFF_ID_KEY_DIGEST, 48},
	};
	for (size_t i = 0; i < sizeof(exp) / sizeof(exp[0]); i++) {
		default_policy(&p);
		assert_int_equal(policy_status(&p, 0, exp[i].id), ATTEST_CHECK_SKIP);
		*exp[i].has = true;
		memcpy(exp[i].want, fx.report + exp[i].off, exp[i].n);
		assert_int_equal(policy_status(&p, 0, exp[i].id), ATTEST_CHECK_PASS);
		exp[i].want[exp[i].n - 1] ^= 1;
		assert_int_equal(policy_status(&p, 0, exp[i].id), ATTEST_CHECK_FAIL);
	}
	/* VMPL 0 and report version 3 */
	default_policy(&p);
	p.has_vmpl = true, p.vmpl = 0;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_VMPL), ATTEST_CHECK_PASS);
	p.vmpl = 1;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_VMPL), ATTEST_CHECK_FAIL);
	default_policy(&p);
	p.has_version = true, p.version = 3;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_REPORT_VERSION), ATTEST_CHECK_PASS);
	p.version = 5;
	assert_int_equal(policy_status(&p, 0, ATTEST_CHECK_REPORT_VERSION), ATTEST_CHECK_FAIL);
}

static void test_result_json(void **state)
{
	(void)state;
	struct attest_verify_certs certs = fixture_certs(&fx);
	struct attest_verify_policy pol;
	struct attest_verify_result res;
	default_policy(&pol);
	pol.has_vmpl = true, pol.vmpl = 2;
	assert_int_equal(verify_bytes(fx.report, &certs, &pol, &res), 1);
	char *s = attest_verify_result_json(&res);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"first_failure\":\"vmpl\""));
	assert_non_null(strstr(s, "\"ok\":false"));
	assert_non_null(strstr(s, "\"name\":\"report_signature\""));
	free(s);
	for (int i = 0; i < ATTEST_CHECK_COUNT; i++)
		assert_string_not_equal(attest_check_name((enum attest_check_id)i), "unknown");
	assert_string_equal(attest_check_name(ATTEST_CHECK_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_genuine_report_verifies),
	    cmocka_unit_test(test_report_corruption_every_byte),
	    cmocka_unit_test(test_certificate_corruption),
	    cmocka_unit_test(test_chain_errors),
	    cmocka_unit_test(test_validity_dates),
	    cmocka_unit_test(test_policy_options),
	    cmocka_unit_test(test_result_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

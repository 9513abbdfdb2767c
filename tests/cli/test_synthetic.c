/* SPDX-License-Identifier: MIT */
/*
 * The verifier on the test-only AMD-shaped "Turin" chain of tests/fixtures/synthetic (made by make_synthetic.sh):
 * the Turin TCB layout with fmcSPL, a hwID extension in its DER OCTET STRING form, VLEK chains through an ASVK,
 * policy violations under valid signatures, and certificates mixed across product lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../common/fixture.h"

struct synthetic {
	uint8_t *ark, *ask, *asvk, *vcek, *vlek;
	size_t ark_len, ask_len, asvk_len, vcek_len, vlek_len;
};

static struct synthetic sy;
static struct fixture genoa;

static int setup(void **state)
{
	(void)state;
	sy.ark = fixture_read_pem("synthetic/ark.pem", &sy.ark_len);
	sy.ask = fixture_read_pem("synthetic/ask.pem", &sy.ask_len);
	sy.asvk = fixture_read_pem("synthetic/asvk.pem", &sy.asvk_len);
	sy.vcek = fixture_read("synthetic/vcek.der", &sy.vcek_len);
	sy.vlek = fixture_read("synthetic/vlek.der", &sy.vlek_len);
	return sy.ark && sy.ask && sy.asvk && sy.vcek && sy.vlek ? fixture_load(&genoa) : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(sy.ark), free(sy.ask), free(sy.asvk), free(sy.vcek), free(sy.vlek);
	fixture_free(&genoa);
	return 0;
}

static struct attest_verify_certs vcek_chain(void)
{
	struct attest_verify_certs c = {0};
	c.ark = sy.ark, c.ark_len = sy.ark_len;
	c.trusted_ark = sy.ark, c.trusted_ark_len = sy.ark_len; /* the synthetic root, trusted explicitly */
	c.ask = sy.ask, c.ask_len = sy.ask_len;
	c.vcek = sy.vcek, c.vcek_len = sy.vcek_len;
	return c;
}

static struct attest_verify_certs vlek_chain(void)
{
	struct attest_verify_certs c = {0};
	c.ark = sy.ark, c.ark_len = sy.ark_len;
	c.trusted_ark = sy.ark, c.trusted_ark_len = sy.ark_len;
	c.ask = sy.asvk, c.ask_len = sy.asvk_len;
	c.vlek = sy.vlek, c.vlek_len = sy.vlek_len;
	return c;
}

/* Verify a synthetic report file (optionally with one byte XORed) and return attest_verify's result. */
static int verify_file(const char *name, const struct attest_verify_certs *certs,
		       const struct attest_verify_policy *pol, struct attest_verify_result *res, int off, uint8_t mask)
{
	size_t len = 0;
	uint8_t *b = fixture_read(name, &len);
	assert_non_null(b);
	if (off >= 0)
		b[off] ^= mask;
	struct attest_report r;
	assert_int_equal(attest_report_parse(b, len, &r), ATTEST_PARSE_OK);
	free(b);
	return attest_verify(&r, certs, pol, res);
}

static void policy(struct attest_verify_policy *p)
{
	attest_verify_policy_default(p);
	p->now = FIXTURE_NOW;
}

static void test_turin_vcek_report(void **state)
{
	(void)state;
	struct attest_verify_certs c = vcek_chain();
	struct attest_verify_policy p;
	struct attest_verify_result res;
	policy(&p);
	int rc = verify_file("synthetic/turin-report.bin", &c, &p, &res, -1, 0);
	if (rc)
		fail_msg("%s: %s", attest_check_name((enum attest_check_id)res.first_failure),
			 res.checks[res.first_failure].detail);
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_HWID].status, ATTEST_CHECK_PASS); /* hwID as 04 40 <64 bytes> */
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_TCB].status, ATTEST_CHECK_PASS);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_VCEK_PRODUCT].detail, "Turin-B0"));
	/* minimum TCB on the Turin layout, fmc included: the report has fmc=1 bl=3 tee=0 snp=25 ucode=72 */
	p.has_min_tcb = true;
	p.min_tcb = (struct snp_tcb){.fmc = 1, .bootloader = 3, .tee = 0, .snp = 25, .microcode = 72};
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, -1, 0), 0);
	p.min_tcb.fmc = 2;
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_MIN_TCB);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_MIN_TCB].detail, "fmc"));
}

static void test_turin_extension_binding(void **state)
{
	(void)state;
	struct attest_verify_certs c = vcek_chain();
	struct attest_verify_policy p;
	struct attest_verify_result res;
	policy(&p);
	/* REPORTED_TCB's FMC byte (byte 0 on Turin) no longer matches fmcSPL */
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, SNP_REPORT_OFF_REPORTED_TCB, 0x02), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_REPORT_SIGNATURE);
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_TCB].status, ATTEST_CHECK_FAIL);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_VCEK_TCB].detail, "fmcSPL"));
	/* SNP SPL at byte 3 on Turin */
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, SNP_REPORT_OFF_REPORTED_TCB + 3, 1),
			 1);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_VCEK_TCB].detail, "snpSPL"));
	/* CHIP_ID */
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, SNP_REPORT_OFF_CHIP_ID + 7, 1), 1);
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_HWID].status, ATTEST_CHECK_FAIL);
	/* a Milan CPUID (family 0x19, model 0x02) in a report bound to a Turin VCEK */
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, SNP_REPORT_OFF_CPUID_FAM_ID, 0x03), 1);
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_PRODUCT].status, ATTEST_CHECK_FAIL);
}

static void test_vlek_chain(void **state)
{
	(void)state;
	struct attest_verify_certs c = vlek_chain();
	struct attest_verify_policy p;
	struct attest_verify_result res;
	policy(&p);
	assert_int_equal(verify_file("synthetic/turin-vlek-report.bin", &c, &p, &res, -1, 0), 0);
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_HWID].status, ATTEST_CHECK_SKIP);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_VCEK_SIGNATURE].detail, "VLEK"));
	assert_non_null(strstr(res.checks[ATTEST_CHECK_ASK_SIGNATURE].detail, "ASVK (CN=SEV-VLEK-Turin)"));
	/* the VLEK under the ASK instead of the ASVK: issued by someone else */
	c.ask = sy.ask, c.ask_len = sy.ask_len;
	assert_int_equal(verify_file("synthetic/turin-vlek-report.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_VCEK_SIGNATURE);
	/* a VLEK-signed report with only a VCEK chain */
	c = vcek_chain();
	assert_int_equal(verify_file("synthetic/turin-vlek-report.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_VCEK_SIGNATURE);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_VCEK_SIGNATURE].detail, "not given"));
	/* a VCEK-signed report verified with the VLEK in the VCEK's place */
	c = vcek_chain();
	c.vcek = sy.vlek, c.vcek_len = sy.vlek_len;
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_VCEK_SIGNATURE);
}

/* Policy violations with valid signatures: the policy check is the first failure. */
static void test_policy_violations(void **state)
{
	(void)state;
	struct attest_verify_certs c = vcek_chain();
	struct attest_verify_policy p;
	struct attest_verify_result res;
	policy(&p);
	assert_int_equal(verify_file("synthetic/turin-debug.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_POLICY_DEBUG);
	p.allow_debug = true;
	assert_int_equal(verify_file("synthetic/turin-debug.bin", &c, &p, &res, -1, 0), 0);

	policy(&p);
	assert_int_equal(verify_file("synthetic/turin-migrate-ma.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_POLICY_MIGRATE_MA);
	p.allow_migrate_ma = true;
	assert_int_equal(verify_file("synthetic/turin-migrate-ma.bin", &c, &p, &res, -1, 0), 0);

	policy(&p);
	p.deny_smt = true;
	assert_int_equal(verify_file("synthetic/turin-no-smt.bin", &c, &p, &res, -1, 0), 0);
	assert_int_equal(res.checks[ATTEST_CHECK_POLICY_SMT].status, ATTEST_CHECK_PASS);
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_POLICY_SMT);
}

static void test_mixed_product_lines(void **state)
{
	(void)state;
	struct attest_verify_policy p;
	struct attest_verify_result res;
	policy(&p);
	/* the Turin VCEK under the Genoa ASK */
	struct attest_verify_certs c = vcek_chain();
	c.ark = genoa.ark, c.ark_len = genoa.ark_len;
	c.ask = genoa.ask, c.ask_len = genoa.ask_len;
	c.trusted_ark = NULL, c.trusted_ark_len = 0; /* the genuine Genoa ARK: the built-in root */
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_VCEK_SIGNATURE);
	/* the genuine Genoa report with the Turin chain: the VCEK is not the signer, and its product differs */
	c = vcek_chain();
	struct attest_report r;
	assert_int_equal(attest_report_parse(genoa.report, genoa.report_len, &r), ATTEST_PARSE_OK);
	assert_int_equal(attest_verify(&r, &c, &p, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_REPORT_SIGNATURE);
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_PRODUCT].status, ATTEST_CHECK_FAIL);
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_HWID].status, ATTEST_CHECK_FAIL);
	/* a trusted Genoa root for the Turin chain */
	c.trusted_ark = genoa.ark, c.trusted_ark_len = genoa.ark_len;
	assert_int_equal(verify_file("synthetic/turin-report.bin", &c, &p, &res, -1, 0), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_ARK_TRUSTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_turin_vcek_report),	cmocka_unit_test(test_turin_extension_binding),
	    cmocka_unit_test(test_vlek_chain),		cmocka_unit_test(test_policy_violations),
	    cmocka_unit_test(test_mixed_product_lines),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

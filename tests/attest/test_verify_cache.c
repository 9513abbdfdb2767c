/* SPDX-License-Identifier: MIT */
/*
 * The cache of verified chains (attest_verify_cached): the same results as attest_verify for passing and
 * failing chains, one chain verification per distinct set of certificate bytes (hits and misses counted), keyed by
 * content (a certificate changed in place is a new chain), and the oldest chain replaced when the cache is full.
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

/* Verify the fixture report with and without `cache`; the two results must be identical.  Returns the result. */
static int verify_both(struct attest_verify_cache *cache, const struct attest_verify_certs *certs,
		       struct attest_verify_result *res)
{
	struct attest_report r;
	struct attest_verify_policy pol;
	struct attest_verify_result plain;
	attest_verify_policy_default(&pol);
	pol.now = FIXTURE_NOW;
	assert_int_equal(attest_report_parse(fx.report, fx.report_len, &r), ATTEST_PARSE_OK);
	int rc = attest_verify_cached(cache, &r, certs, &pol, res);
	assert_int_equal(attest_verify(&r, certs, &pol, &plain), rc);
	assert_memory_equal(res, &plain, sizeof(plain));
	return rc;
}

static void assert_stats(const struct attest_verify_cache *c, uint64_t hits, uint64_t misses)
{
	uint64_t h, m;
	attest_verify_cache_stats(c, &h, &m);
	assert_int_equal(h, hits);
	assert_int_equal(m, misses);
}

static void test_one_chain_many_reports(void **state)
{
	(void)state;
	struct attest_verify_cache *cache;
	struct attest_verify_result res;
	assert_int_equal(attest_verify_cache_new(&cache), 0);
	struct attest_verify_certs certs = fixture_certs(&fx);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(verify_both(cache, &certs, &res), 0);
		assert_int_equal(res.checks[ATTEST_CHECK_ASK_SIGNATURE].status, ATTEST_CHECK_PASS);
		assert_int_equal(res.checks[ATTEST_CHECK_REPORT_SIGNATURE].status, ATTEST_CHECK_PASS);
	}
	assert_stats(cache, 4, 1);
	/* The same bytes in other buffers: the same chain. */
	uint8_t *ask = malloc(fx.ask_len);
	assert_non_null(ask);
	memcpy(ask, fx.ask, fx.ask_len);
	certs.ask = ask;
	assert_int_equal(verify_both(cache, &certs, &res), 0);
	assert_stats(cache, 5, 1);
	/* A byte of the ASK's signature changed in place: a new chain, whose ASK no longer verifies. */
	ask[fx.ask_len - 10] ^= 1;
	assert_int_equal(verify_both(cache, &certs, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_ASK_SIGNATURE);
	assert_stats(cache, 5, 2);
	/* And that failing chain is cached with its failure. */
	assert_int_equal(verify_both(cache, &certs, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_ASK_SIGNATURE);
	assert_stats(cache, 6, 2);
	/* The ARK given as the trusted root too: another chain (ark_trusted runs). */
	certs.ask = fx.ask;
	certs.trusted_ark = fx.ark;
	certs.trusted_ark_len = fx.ark_len;
	assert_int_equal(verify_both(cache, &certs, &res), 0);
	assert_int_equal(res.checks[ATTEST_CHECK_ARK_TRUSTED].status, ATTEST_CHECK_PASS);
	assert_stats(cache, 6, 3);
	free(ask);
	attest_verify_cache_free(cache);
	attest_verify_cache_free(NULL);
}

static void test_oldest_chain_replaced(void **state)
{
	(void)state;
	struct attest_verify_cache *cache;
	struct attest_verify_result res;
	assert_int_equal(attest_verify_cache_new(&cache), 0);
	/* Nine distinct chains: a truncated copy of the ARK as the trusted root (1..9 bytes: not a certificate). */
	struct attest_verify_certs certs = fixture_certs(&fx);
	for (size_t n = 1; n <= 9; n++) {
		certs.trusted_ark = fx.ark;
		certs.trusted_ark_len = n;
		assert_int_equal(verify_both(cache, &certs, &res), 1);
		assert_int_equal(res.first_failure, ATTEST_CHECK_ARK_TRUSTED);
	}
	assert_stats(cache, 0, 9);
	certs.trusted_ark_len = 9; /* still cached */
	assert_int_equal(verify_both(cache, &certs, &res), 1);
	assert_stats(cache, 1, 9);
	certs.trusted_ark_len = 1; /* replaced by the ninth */
	assert_int_equal(verify_both(cache, &certs, &res), 1);
	assert_stats(cache, 1, 10);
	attest_verify_cache_free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_one_chain_many_reports),
					   cmocka_unit_test(test_oldest_chain_replaced)};
	return cmocka_run_group_tests_name("attest/verify_cache", tests, setup, teardown);
}

/* SPDX-License-Identifier: MIT */
/*
 * The built-in roots of trust (src/attest/trust_anchors.c), checked again with OpenSSL alone: each is AMD's ARK of
 * its product line (subject, self-signature with RSASSA-PSS SHA-384, RSA-4096, SHA-256 fingerprint as published),
 * the Genoa one is byte for byte the genuine fixture, and the verifier anchors the genuine chain at it without --ark.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <snpemu/attest.h>

#include "../common/fixture.h"

static const struct {
	const char *cn;
	const char *sha256; /* fingerprint, as `openssl x509 -fingerprint -sha256` prints it without colons */
} anchors[] = {
    {"ARK-Milan", "69D063B45344D26A2E94E1F4210DE49EF555308287D4C174445C95639A540BCD"},
    {"ARK-Genoa", "4C6598D19C18719C5DFD4A7D335F674E5BFE1D8F800CEA2CF270C10D103DB2F1"},
    {"ARK-Turin", "1F084161A44BB6D93778A904877D4819CAFA5D05EF4193B2DED9DD9C73DD3F6A"},
};

static void test_anchors(void **state)
{
	for (size_t i = 0; i < sizeof(anchors) / sizeof(anchors[0]); i++) {
		const uint8_t *der;
		size_t len;
		assert_int_equal(attest_builtin_ark(anchors[i].cn, &der, &len), 0);
		const unsigned char *q = der;
		X509 *x = d2i_X509(NULL, &q, (long)len);
		assert_non_null(x);
		assert_ptr_equal(q, der + len);
		char text[256];
		X509_NAME_oneline(X509_get_subject_name(x), text, sizeof(text));
		char want[256];
		snprintf(want, sizeof(want), "/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=Advanced Micro Devices/CN=%s",
			 anchors[i].cn);
		assert_string_equal(text, want);
		assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
		assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
		assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 4096);
		assert_int_equal(X509_get_signature_nid(x), NID_rsassaPss);
		uint8_t md[32];
		unsigned md_len;
		assert_int_equal(X509_digest(x, EVP_sha256(), md, &md_len), 1);
		char hex[65];
		for (unsigned j = 0; j < md_len; j++)
			snprintf(hex + 2 * j, 3, "%02X", md[j]);
		assert_string_equal(hex, anchors[i].sha256);
		X509_free(x);
	}
	const uint8_t *der;
	size_t len;
	assert_int_equal(attest_builtin_ark("ARK-Venice", &der, &len), -ENOENT);
	assert_int_equal(attest_builtin_ark("SEV-Genoa", &der, &len), -ENOENT);
}

/* The genuine Genoa chain and report verify with no --ark: the built-in root anchors them. */
static void test_genuine_without_ark(void **state)
{
	struct fixture fx;
	assert_int_equal(fixture_load(&fx), 0);
	const uint8_t *builtin;
	size_t builtin_len;
	assert_int_equal(attest_builtin_ark("ARK-Genoa", &builtin, &builtin_len), 0);
	assert_int_equal(builtin_len, fx.ark_len);
	assert_memory_equal(builtin, fx.ark, fx.ark_len);
	struct attest_report r;
	assert_int_equal(attest_report_parse(fx.report, fx.report_len, &r), ATTEST_PARSE_OK);
	struct attest_verify_certs c = fixture_certs(&fx);
	struct attest_verify_policy p;
	struct attest_verify_result res;
	attest_verify_policy_default(&p);
	p.now = FIXTURE_NOW;
	if (attest_verify(&r, &c, &p, &res))
		fail_msg("%s: %s", attest_check_name((enum attest_check_id)res.first_failure),
			 res.checks[res.first_failure].detail);
	assert_int_equal(res.checks[ATTEST_CHECK_ARK_TRUSTED].status, ATTEST_CHECK_PASS);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_ARK_TRUSTED].detail, "built-in"));
	fixture_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_anchors),
	    cmocka_unit_test(test_genuine_without_ark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

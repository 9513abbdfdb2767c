/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the attestation report parser and everything built on a parsed report without certificates: the text and
 * JSON descriptions, the signature-to-DER conversion and the verification checks, with and without the chain
 * cache.  Inputs shorter than a report
 * are also tried zero-padded, so most inputs reach the decoders.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/attest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const uint8_t *buf, size_t len, int with_json)
{
	static struct attest_report r;
	static char text[65536];
	struct snpemu_text t;
	enum attest_parse_status st = attest_report_parse(buf, len, &r);
	if ((len < SNP_REPORT_SIZE) != (st == ATTEST_PARSE_TRUNCATED))
		abort();
	if (st != ATTEST_PARSE_OK)
		return;
	if (memcmp(r.raw, buf, SNP_REPORT_SIZE) || r.version < 2 || r.version > 5)
		abort();
	snpemu_text_init(&t, text, sizeof(text));
	attest_report_describe(&r, &t);
	if (t.len >= sizeof(text) || text[t.len] != '\0' || t.truncated)
		abort();
	/* The JSON form branches little on content: build it for whole-report inputs only, which keeps a smoke run
	 * short (its validity is checked in tests/cli). */
	if (with_json) {
		char *js = attest_report_json(&r);
		if (js && js[0] != '{')
			abort();
		free(js);
	}
	uint8_t der[ATTEST_SIG_DER_MAX];
	int n = attest_sig_to_der(r.sig_r, r.sig_s, der);
	if (n > ATTEST_SIG_DER_MAX || (n > 0 && (der[0] != 0x30 || der[1] != n - 2)))
		abort();
	struct attest_verify_certs none = {0};
	struct attest_verify_policy pol;
	struct attest_verify_result res;
	attest_verify_policy_default(&pol);
	pol.now = 1798761600;
	/* Without certificates the chain and the signature cannot pass. */
	if (attest_verify(&r, &none, &pol, &res) != 1 || res.first_failure != ATTEST_CHECK_ARK_SIGNATURE)
		abort();
	/* Through the chain cache (its chain entry reused across inputs): the same result. */
	static struct attest_verify_cache *cache;
	static struct attest_verify_result cached;
	if (!cache && attest_verify_cache_new(&cache))
		abort();
	if (attest_verify_cached(cache, &r, &none, &pol, &cached) != 1 || memcmp(&cached, &res, sizeof(res)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t padded[SNP_REPORT_SIZE];
	exercise(data, size, 1);
	if (size < SNP_REPORT_SIZE) {
		memset(padded, 0, sizeof(padded));
		memcpy(padded, data, size);
		exercise(padded, sizeof(padded), 0);
	}
	return 0;
}

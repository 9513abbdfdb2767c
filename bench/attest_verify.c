/* SPDX-License-Identifier: MIT */
/*
 * `snpemu verify` throughput: complete verifications of the genuine Genoa report and chain per second (report
 * parsing, three certificate parses and RSASSA-PSS checks, the ECDSA report signature, extensions and policy),
 * printed against the cost of one bare ECDSA P-384/SHA-384 verification by OpenSSL measured in the same run; and a
 * batch of reports against one chain through the chain cache (issue 12 item 15: the chain verified once, so a batch
 * verification should cost about one ECDSA verification; target >= 90 % of OpenSSL's rate).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/attest.h>

#include "bench.h"
#include "common/crypto.h"

#define FIXTURES SNPEMU_SRCDIR "/tests/fixtures/"

static uint8_t *read_all(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	if (!f)
		return NULL;
	uint8_t *b = malloc(65536);
	*len = b ? fread(b, 1, 65536, f) : 0;
	fclose(f);
	return b;
}

static uint8_t *read_pem(const char *name, size_t *len)
{
	size_t n;
	uint8_t *pem = read_all(name, &n), *der = NULL;
	if (!pem || attest_pem_to_der(pem, n, &der, len))
		der = NULL;
	free(pem);
	return der;
}

/* Microseconds per complete verification from the report bytes (through `cache`, or uncached when NULL), over
 * at least one second; negative if a verification failed. */
static double verify_us(const uint8_t *report, size_t rlen, const struct attest_verify_certs *certs,
			const struct attest_verify_policy *pol, struct attest_verify_cache *cache)
{
	struct attest_verify_result res;
	unsigned long n = 0;
	double t, t0 = bench_now_s();
	do {
		for (int i = 0; i < 20; i++) {
			struct attest_report rr;
			if (attest_report_parse(report, rlen, &rr) != ATTEST_PARSE_OK ||
			    attest_verify_cached(cache, &rr, certs, pol, &res) != 0)
				return -1;
		}
		n += 20;
	} while ((t = bench_now_s() - t0) < 1.0);
	return t / (double)n * 1e6;
}

int bench_attest_verify(struct bench_report *r)
{
	int rc = -EIO;
	size_t rlen, vlen, alen, slen;
	uint8_t *report = read_all(FIXTURES "genoa-report.bin", &rlen),
		*vcek = read_all(FIXTURES "genoa-vcek.der", &vlen);
	uint8_t *ark = read_pem(FIXTURES "amd-genoa-ark.pem", &alen),
		*ask = read_pem(FIXTURES "amd-genoa-ask.pem", &slen);
	if (!report || !vcek || !ark || !ask) {
		fprintf(stderr, "bench attest_verify: cannot read the fixtures in %s\n", FIXTURES);
		rc = -ENOENT;
		goto out;
	}
	struct attest_report rep;
	if (attest_report_parse(report, rlen, &rep) != ATTEST_PARSE_OK)
		goto out;

	/* The baseline: one ECDSA P-384 verification of the report signature with the VCEK's key. */
	struct attest_cv_cert *cert;
	struct attest_cv_cert_info info;
	uint8_t der[ATTEST_SIG_DER_MAX];
	int dlen = attest_sig_to_der(rep.sig_r, rep.sig_s, der);
	if (attest_cv_cert_load(vcek, vlen, &cert, &info) || dlen < 0)
		goto out;
	unsigned long n_ecdsa = 0;
	double t0 = bench_now_s(), t_ecdsa;
	do {
		for (int i = 0; i < 50; i++)
			if (attest_cv_ecdsa_p384_verify(cert, report, SNP_REPORT_SIGNED_SIZE, der, (size_t)dlen)) {
				attest_cv_cert_free(cert);
				goto out;
			}
		n_ecdsa += 50;
	} while ((t_ecdsa = bench_now_s() - t0) < 1.0);
	attest_cv_cert_free(cert);
	double ecdsa_us = t_ecdsa / (double)n_ecdsa * 1e6;

	/* Complete verifications, from the report bytes and the DER certificates. */
	struct attest_verify_certs certs = {
	    .ark = ark, .ark_len = alen, .ask = ask, .ask_len = slen, .vcek = vcek, .vcek_len = vlen};
	struct attest_verify_policy pol;
	attest_verify_policy_default(&pol);
	pol.now = 1798761600; /* 2027-01-01, inside the fixtures' validity (the VCEK expires in 2033) */
	double full_us = verify_us(report, rlen, &certs, &pol, NULL);
	/* A batch: many reports against one chain, which the cache verifies once. */
	struct attest_verify_cache *cache = NULL;
	if (full_us < 0 || attest_verify_cache_new(&cache))
		goto out;
	double batch_us = verify_us(report, rlen, &certs, &pol, cache);
	uint64_t hits, misses;
	attest_verify_cache_stats(cache, &hits, &misses);
	attest_verify_cache_free(cache);
	if (batch_us < 0 || misses != 1) {
		fprintf(stderr, "bench attest_verify: the batch verified the chain %llu times\n",
			(unsigned long long)misses);
		goto out;
	}
	bench_add_rate(r, 1e6 / full_us, "verifies/s", 1e6 / ecdsa_us, "OpenSSL P-384 verifies/s", 0,
		       "report + chain verification (genuine Genoa)");
	bench_add_rate(r, 1e6 / batch_us, "verifies/s", 1e6 / ecdsa_us, "OpenSSL P-384 verifies/s", 0.9,
		       "batch verification, one chain (chain cache)");
	rc = 0;
out:
	free(report);
	free(vcek);
	free(ark);
	free(ask);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * `snpemu verify` throughput (issue 12 item 15): batch verifications of the genuine Genoa report against one chain
 * (the chain cache verifies the chain once) per second, against bare OpenSSL ECDSA P-384/SHA-384 verifications of
 * the same signature measured in the same run (target >= 90 %), and the single uncached verification beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/attest.h>

#include "common/crypto.h"

#define FIXTURES SNPEMU_SRCDIR "/tests/fixtures/"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

/* Seconds per call of `fn` (run in rounds of `batch` for at least one second); negative if a call failed. */
struct bench_ctx {
	const uint8_t *report, *vcek, *der;
	size_t rlen, vlen, dlen;
	const struct attest_verify_certs *certs;
	const struct attest_verify_policy *pol;
	struct attest_verify_cache *cache;
};

static int one_openssl(const struct bench_ctx *c, unsigned n)
{
	return fw_bench_openssl_ecdsa_verify(c->vcek, c->vlen, c->report, SNP_REPORT_SIGNED_SIZE, c->der, c->dlen, n);
}

/* A complete verification from the report bytes, through the cache (NULL: uncached, the chain every time). */
static int one_verification(const struct bench_ctx *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct attest_report r;
		struct attest_verify_result res;
		if (attest_report_parse(c->report, c->rlen, &r) != ATTEST_PARSE_OK ||
		    attest_verify_cached(c->cache, &r, c->certs, c->pol, &res) != 0)
			return -1;
	}
	return 0;
}

static double per_call(int (*fn)(const struct bench_ctx *, unsigned), const struct bench_ctx *c, unsigned batch)
{
	unsigned long n = 0;
	double t0 = now_s(), t;
	do {
		if (fn(c, batch))
			return -1;
		n += batch;
	} while ((t = now_s() - t0) < 1.0);
	return t / (double)n;
}

int main(void)
{
	size_t rlen, vlen, alen, slen;
	uint8_t *report = read_all(FIXTURES "genoa-report.bin", &rlen),
		*vcek = read_all(FIXTURES "genoa-vcek.der", &vlen);
	uint8_t *ark = read_pem(FIXTURES "amd-genoa-ark.pem", &alen),
		*ask = read_pem(FIXTURES "amd-genoa-ask.pem", &slen);
	if (!report || !vcek || !ark || !ask) {
		fprintf(stderr, "attest_verify: cannot read the fixtures in %s\n", FIXTURES);
		return 1;
	}
	struct attest_report r;
	uint8_t der[ATTEST_SIG_DER_MAX];
	int dlen;
	if (attest_report_parse(report, rlen, &r) != ATTEST_PARSE_OK ||
	    (dlen = attest_sig_to_der(r.sig_r, r.sig_s, der)) < 0)
		return 1;
	struct attest_verify_certs certs = {
	    .ark = ark, .ark_len = alen, .ask = ask, .ask_len = slen, .vcek = vcek, .vcek_len = vlen};
	struct attest_verify_policy pol;
	attest_verify_policy_default(&pol);
	pol.now = 1798761600; /* 2027-01-01, inside the fixtures' validity (the VCEK expires in 2033) */
	struct bench_ctx c = {.report = report,
			      .vcek = vcek,
			      .der = der,
			      .rlen = rlen,
			      .vlen = vlen,
			      .dlen = (size_t)dlen,
			      .certs = &certs,
			      .pol = &pol};

	/* The baseline: bare OpenSSL ECDSA P-384/SHA-384 verification of the report signature with the VCEK's key. */
	double t_ossl = per_call(one_openssl, &c, 50);
	/* One report, chain and all (report parsing, three certificate parses and RSASSA-PSS checks, the ECDSA report
	 * signature, extensions and policy). */
	double t_full = per_call(one_verification, &c, 20);
	/* A batch: many reports against one chain, which the cache verifies once. */
	if (attest_verify_cache_new(&c.cache))
		return 1;
	double t_batch = per_call(one_verification, &c, 50);
	uint64_t hits, misses;
	attest_verify_cache_stats(c.cache, &hits, &misses);
	attest_verify_cache_free(c.cache);
	if (t_ossl < 0 || t_full < 0 || t_batch < 0 || misses != 1) {
		fprintf(stderr, "attest_verify: a verification failed\n");
		return 1;
	}
	printf("attest_verify: OpenSSL ECDSA P-384 verify %.0f/s (%.1f us); single verification (chain each time) "
	       "%.0f/s (%.1f us)\n",
	       1 / t_ossl, t_ossl * 1e6, 1 / t_full, t_full * 1e6);
	printf("attest_verify: batch verification (one chain, %llu reports) %.0f/s, OpenSSL P-384 verify %.0f/s: "
	       "%.1f %% (target >= 90 %%) %s\n",
	       (unsigned long long)(hits + misses), 1 / t_batch, 1 / t_ossl, 100 * t_ossl / t_batch,
	       t_ossl >= 0.9 * t_batch ? "met" : "MISSED");
	free(report);
	free(vcek);
	free(ark);
	free(ask);
	return 0;
}

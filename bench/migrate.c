/* SPDX-License-Identifier: MIT */
/*
 * Live migration, firmware side (issue 15): private-page export + import throughput against plain OpenSSL
 * AES-256-GCM sealing and opening the same buffers in the same process (target: at least 50 %), for 4 KiB and
 * 2 MiB records, and the cost of the trust exchange (offer, accept, complete: certificate chains both ways, ECDH,
 * HKDF).  Best of ROUNDS interleaved runs.  usage: migrate [MiB of private memory, default 16]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/fw.h>

#include "bench.h"
#include "common/crypto.h"

#define ROUNDS	 3u
#define DATA_GPA (1ull << 30)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct fw_platform *platform(const char *seed)
{
	struct fw_platform_config cfg;
	struct fw_platform *p = NULL;
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	fw_platform_config_seed(&cfg, (const uint8_t *)seed, strlen(seed));
	fw_platform_config_amd_seed(&cfg, (const uint8_t *)"bench-amd", 9);
	return fw_platform_create(&cfg, &p) ? NULL : p;
}

struct setup {
	struct fw_platform *a, *b;
	struct fw_guest *src, *dst;
	struct fw_migrate_session *s, *d;
};

/* A running guest on A with `bytes` of private validated memory at DATA_GPA, and a keyed session to B.  Returns
 * the seconds the trust exchange took, or a negative value. */
static double setup(struct setup *st, size_t bytes)
{
	static uint8_t offer[FW_MIGRATE_MSG_MAX], accept[FW_MIGRATE_MSG_MAX], page[4096];
	size_t olen, alen;
	if (!(st->a = platform("bench-A")) || !(st->b = platform("bench-B")) ||
	    fw_guest_create(st->a, DATA_GPA + bytes, &st->src) || fw_guest_create(st->b, DATA_GPA + bytes, &st->dst) ||
	    fw_launch_start(st->src, 0x70000, NULL) || fw_launch_update(st->src, SNP_PAGE_TYPE_NORMAL, 0, page, NULL) ||
	    fw_launch_finish(st->src, NULL) || fw_rmp_set_private(fw_guest_rmp(st->src), DATA_GPA, bytes / 4096, true))
		return -1;
	for (uint64_t gpa = DATA_GPA; gpa < DATA_GPA + bytes; gpa += 2u << 20)
		if (fw_rmp_pvalidate(fw_guest_rmp(st->src), gpa, true, true))
			return -1;
	/* Certificates are built on first use (RSA key derivation): not part of the exchange's cost. */
	const uint8_t *der;
	size_t len;
	if (fw_platform_cert(st->a, FW_CERT_VCEK, &der, &len) || fw_platform_cert(st->b, FW_CERT_VCEK, &der, &len))
		return -1;
	double t0 = now_s();
	if (fw_migrate_offer(st->b, offer, sizeof(offer), &olen, &st->d) ||
	    fw_migrate_accept(st->src, offer, olen, accept, sizeof(accept), &alen, &st->s) ||
	    fw_migrate_complete(st->d, accept, alen))
		return -1;
	return now_s() - t0;
}

/* Export and import every `size`-byte page of `mem`; seconds, or negative on failure. */
static double ours(struct setup *st, uint8_t *mem, uint8_t *out, size_t bytes, size_t size, uint8_t *rec)
{
	double t0 = now_s();
	for (size_t off = 0; off < bytes; off += size) {
		size_t len;
		if (fw_migrate_page_export(st->s, DATA_GPA + off, size, mem + off, rec, FW_MIGRATE_RECORD_HDR + size,
					   &len) ||
		    fw_migrate_page_import(st->d, st->dst, rec, len, out + off, size))
			return -1;
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	static struct bench_report r;
	static struct setup st;
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 16, bytes = (mib ? mib : 16) << 20;
	uint8_t *mem = malloc(bytes), *out = malloc(bytes), *rec = malloc(FW_MIGRATE_RECORD_HDR + FW_MIGRATE_PAGE_2M),
		*scratch = malloc(FW_MIGRATE_PAGE_2M + 16), key[32];
	if (!mem || !out || !rec || !scratch)
		return 1;
	for (size_t i = 0; i < bytes; i++)
		mem[i] = (uint8_t)(i * 2654435761u >> 13) | 1; /* no zero pages: every page is encrypted */
	memset(key, 0x42, sizeof(key));
	double hs = setup(&st, bytes);
	if (hs < 0) {
		fprintf(stderr, "migrate: setup failed\n");
		return 1;
	}
	static const size_t sizes[] = {FW_MIGRATE_PAGE_4K, FW_MIGRATE_PAGE_2M};
	for (size_t k = 0; k < 2; k++) {
		double best_ours = 1e9, best_ssl = 1e9;
		for (unsigned round = 0; round < ROUNDS; round++) {
			double t = ours(&st, mem, out, bytes, sizes[k], rec);
			if (t < 0 || memcmp(mem, out, bytes)) {
				fprintf(stderr, "migrate: export/import failed\n");
				return 1;
			}
			best_ours = t < best_ours ? t : best_ours;
			double t0 = now_s();
			if (fw_bench_openssl_gcm_pages(key, mem, scratch, sizes[k], bytes / sizes[k], 1))
				return 1;
			t = now_s() - t0;
			best_ssl = t < best_ssl ? t : best_ssl;
		}
		double mbs = (double)bytes / 1e6 / best_ours, base = (double)bytes / 1e6 / best_ssl;
		bench_add_rate(&r, mbs, "MB/s", base, "OpenSSL AES-256-GCM seal+open MB/s", 0.5,
			       "private pages export+import (%s records)", k ? "2 MiB" : "4 KiB");
	}
	bench_add(&r, hs * 1e3, "ms", 0, NULL, 0, "trust exchange (offer, accept, complete)");
	bench_print(&r, "migrate", stdout);
	fw_migrate_session_free(st.s);
	fw_migrate_session_free(st.d);
	fw_guest_destroy(st.src);
	fw_guest_destroy(st.dst);
	fw_platform_destroy(st.a);
	fw_platform_destroy(st.b);
	free(mem);
	free(out);
	free(rec);
	free(scratch);
	return 0;
}

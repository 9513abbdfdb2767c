/* SPDX-License-Identifier: MIT */
/*
 * Firmware model throughput against OpenSSL measured in the same run:
 *   - report requests per second (decrypt, checks, report, ECDSA P-384 signature, encrypt) against bare OpenSSL
 *     ECDSA P-384/SHA-384 signatures per second over the same 672 bytes; issue 4 target >= 90 %;
 *   - launch measurement (LAUNCH_UPDATE of NORMAL pages) MB/s against OpenSSL SHA-384 over 4 KiB pieces;
 *     target >= 80 %.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/le.h>
#include <snpemu/fw.h>

#include "bench.h"
#include "common/crypto.h"

static struct fw_guest *running_guest(struct fw_platform *p, uint64_t limit, uint8_t secrets[4096])
{
	struct fw_guest *g;
	if (fw_guest_create(p, limit, &g) || fw_launch_start(g, 0x30000, NULL) ||
	    fw_launch_update(g, SNP_PAGE_TYPE_SECRETS, 0, secrets, NULL))
		return NULL;
	return g;
}

static int bench_reports(struct bench_report *r, struct fw_platform *p)
{
	enum { N = 1500 };
	static uint8_t secrets[4096], resp[4096];
	struct fw_guest *g = running_guest(p, 1 << 20, secrets);
	uint8_t *reqs = malloc((size_t)N * 4096);
	if (!g || !reqs || fw_launch_finish(g, NULL))
		return 1;
	/* pre-encrypted requests at sequence numbers 1, 3, 5, ... (the guest's work is not timed) */
	for (unsigned i = 0; i < N; i++) {
		uint8_t *q = reqs + (size_t)i * 4096, iv[12] = {0}, pt[0x60] = {0};
		memset(q, 0, 4096);
		le64_store(q + 0x20, 2ull * i + 1);
		q[0x30] = 1;
		q[0x31] = 1;
		q[0x32] = 0x60;
		q[0x34] = SNP_MSG_REPORT_REQ;
		q[0x35] = 1;
		q[0x36] = 0x60;
		pt[0] = (uint8_t)i;
		le64_store(iv, 2ull * i + 1);
		if (fw_aes256gcm_seal(secrets + 0x20, iv, q + 0x30, 48, pt, sizeof(pt), q + 0x60, q))
			return 1;
	}
	/* Interleaved rounds, so that load from other processes hits both sides alike. */
	enum { ROUNDS = 6 };
	uint8_t msg[0x2A0];
	memset(msg, 0x3C, sizeof(msg));
	double t_ours = 0, t_base = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		double t0 = bench_now_s();
		for (unsigned i = round * (N / ROUNDS); i < (round + 1) * (N / ROUNDS); i++)
			if (fw_guest_request(g, reqs + (size_t)i * 4096, resp))
				return 1;
		double t1 = bench_now_s();
		if (fw_bench_openssl_ecdsa_sign(msg, sizeof(msg), N / ROUNDS))
			return 1;
		t_ours += t1 - t0;
		t_base += bench_now_s() - t1;
	}
	double ours = (N / ROUNDS) * ROUNDS / t_ours, base = (N / ROUNDS) * ROUNDS / t_base;
	bench_add_rate(r, ours, "reports/s", base, "OpenSSL P-384 signs/s", 0.9, "report requests (sign, encrypt)");
	free(reqs);
	fw_guest_destroy(g);
	return 0;
}

static int bench_measure(struct bench_report *r, struct fw_platform *p)
{
	enum { PAGES = 16384 }; /* 64 MiB */
	static uint8_t secrets[4096], digest[48];
	uint8_t *mem = malloc((size_t)PAGES * 4096);
	struct fw_guest *g = running_guest(p, (uint64_t)(PAGES + 16) << 12, secrets);
	if (!mem || !g)
		return 1;
	for (size_t i = 0; i < (size_t)PAGES * 4096; i++)
		mem[i] = (uint8_t)(i * 31 + (i >> 12));
	enum { ROUNDS = 8, PER = PAGES / ROUNDS };
	double t_ours = 0, t_base = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		double t0 = bench_now_s();
		for (unsigned i = round * PER; i < (round + 1) * PER; i++)
			if (fw_launch_update(g, SNP_PAGE_TYPE_NORMAL, (uint64_t)(i + 1) << 12, mem + (size_t)i * 4096,
					     NULL))
				return 1;
		double t1 = bench_now_s();
		if (fw_bench_openssl_sha384(mem + (size_t)round * PER * 4096, (size_t)PER * 4096, 4096, digest))
			return 1;
		t_ours += t1 - t0;
		t_base += bench_now_s() - t1;
	}
	double ours = PAGES * 4096.0 / t_ours / 1e6, base = PAGES * 4096.0 / t_base / 1e6;
	bench_add_rate(r, ours, "MB/s", base, "OpenSSL SHA-384 MB/s", 0.8, "launch measurement (LAUNCH_UPDATE)");
	free(mem);
	fw_guest_destroy(g);
	return 0;
}

int bench_fw(struct bench_report *r)
{
	struct fw_platform_config cfg;
	struct fw_platform *p;
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	fw_platform_config_seed(&cfg, (const uint8_t *)"bench", 5);
	if (fw_platform_create(&cfg, &p)) {
		fprintf(stderr, "bench fw: cannot create the platform\n");
		return -ENOMEM;
	}
	int rc = bench_reports(r, p) || bench_measure(r, p);
	fw_platform_destroy(p);
	if (rc)
		fprintf(stderr, "bench fw: a firmware command failed\n");
	return rc ? -EIO : 0;
}

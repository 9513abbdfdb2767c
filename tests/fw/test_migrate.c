/* SPDX-License-Identifier: MIT */
/*
 * Live migration in the firmware model, in process: platforms A and B (different chip seeds, one AMD root) and C
 * (its own root).  The trust exchange and its refusals, private-page records and their refusals (replay, gap,
 * tampering, wrong key), and a guest launched on A, used, moved to B, that keeps its identity and its message
 * sequence and attests with B's chain.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>
#include <snpemu/attest.h>
#include <snpemu/fw.h>
#include <snpemu/migrate.h>

#include "fw_fixture.h"

#define POLICY_MIGRATE (FIX_POLICY | SNP_POLICY_MIGRATE_MA)
#define GPA_LIMIT      (64ull << 20)
#define DATA_GPA       0x200000ull /* a 2 MiB-aligned private range */

static struct fw_platform *pa, *pb, *pc, *pd, *pe;

static struct fw_platform *platform(const char *seed, const char *amd, unsigned sockets)
{
	struct fw_platform_config cfg;
	struct fw_platform *p = NULL;
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	cfg.sockets = sockets;
	if (sockets == 0) { /* a platform whose VCEK expired in 2017 */
		cfg.sockets = 1;
		cfg.vcek_not_before = 1262304000;
	}
	fw_platform_config_seed(&cfg, (const uint8_t *)seed, strlen(seed));
	if (amd)
		fw_platform_config_amd_seed(&cfg, (const uint8_t *)amd, strlen(amd));
	return fw_platform_create(&cfg, &p) ? NULL : p;
}

static int group_setup(void **state)
{
	pa = platform("platform-A", "amd-root", 1);
	pb = platform("platform-B", "amd-root", 1);
	pc = platform("platform-C", NULL, 1);
	pd = platform("platform-D", "amd-root", 2); /* cannot honour SINGLE_SOCKET */
	pe = platform("platform-E", "amd-root", 0); /* expired VCEK */
	return pa && pb && pc && pd && pe ? 0 : -1;
}

static int group_teardown(void **state)
{
	fw_platform_destroy(pa);
	fw_platform_destroy(pb);
	fw_platform_destroy(pc);
	fw_platform_destroy(pd);
	fw_platform_destroy(pe);
	return 0;
}

/* A running guest on `p` with `policy`: secrets page, one measured page, and 2 MiB of private validated memory
 * at DATA_GPA (made private and validated as a guest would, after launch). */
static void launch(struct fixture *f, struct fw_platform *p, uint64_t policy)
{
	static uint8_t page[4096];
	memset(f, 0, sizeof(*f));
	f->p = p;
	assert_int_equal(fw_guest_create(p, GPA_LIMIT, &f->g), 0);
	assert_int_equal(fw_launch_start(f->g, policy, NULL), 0);
	memset(page, 0x5A, sizeof(page));
	assert_int_equal(fw_launch_update(f->g, SNP_PAGE_TYPE_NORMAL, 0x1000, page, NULL), 0);
	assert_int_equal(fw_launch_update(f->g, SNP_PAGE_TYPE_SECRETS, FIX_SECRETS, f->secrets, NULL), 0);
	struct fw_launch_finish_params fin = {.host_data = f->host_data};
	memset(f->host_data, 0xAB, sizeof(f->host_data));
	assert_int_equal(fw_launch_finish(f->g, &fin), 0);
	assert_int_equal(fw_rmp_set_private(fw_guest_rmp(f->g), DATA_GPA, 512, true), 0);
	assert_int_equal(fw_rmp_pvalidate(fw_guest_rmp(f->g), DATA_GPA, true, true), FW_PVALIDATE_SUCCESS);
	th_guest_init(&f->t, f->secrets);
}

/* A keyed pair of sessions: source on guest `src`, destination on platform `dst`. */
struct pair {
	struct fw_migrate_session *src, *dst;
};

static int handshake(struct fw_guest *src, struct fw_platform *dst, struct pair *out)
{
	static uint8_t offer[FW_MIGRATE_MSG_MAX], accept[FW_MIGRATE_MSG_MAX];
	size_t olen, alen;
	memset(out, 0, sizeof(*out));
	assert_int_equal(fw_migrate_offer(dst, offer, sizeof(offer), &olen, &out->dst), 0);
	int rc = fw_migrate_accept(src, offer, olen, accept, sizeof(accept), &alen, &out->src);
	if (rc)
		return rc;
	return fw_migrate_complete(out->dst, accept, alen);
}

static void pair_free(struct pair *p)
{
	fw_migrate_session_free(p->src);
	fw_migrate_session_free(p->dst);
}

static uint32_t report(struct fixture *f, uint8_t rep[SNP_REPORT_SIZE])
{
	uint8_t req[0x60] = {0}, rsp[4000];
	size_t len = 0;
	memset(req, 0x11, 64);
	uint32_t st = fixture_call(f, 0, SNP_MSG_REPORT_REQ, req, sizeof(req), rsp, sizeof(rsp), &len);
	if (!st)
		memcpy(rep, rsp + 0x20, SNP_REPORT_SIZE);
	return st;
}

/* A key derived from the VCEK (ROOT_KEY_SELECT 0) with POLICY|MEASUREMENT mixed in: the chip's, so another one
 * after a move; the migrated guest re-derives, as on hardware. */
static uint32_t vcek_key(struct fixture *f, uint8_t key[32])
{
	uint8_t req[SNP_KEY_REQ_SIZE] = {0}, rsp[SNP_KEY_RSP_SIZE];
	size_t len = 0;
	le64_store(req + SNP_KEY_REQ_OFF_GFS, SNP_GFS_POLICY | SNP_GFS_MEASUREMENT);
	uint32_t st = fixture_call(f, 0, SNP_MSG_KEY_REQ, req, sizeof(req), rsp, sizeof(rsp), &len);
	if (!st)
		st = le32_load(rsp + SNP_KEY_RSP_OFF_STATUS);
	if (!st)
		memcpy(key, rsp + SNP_KEY_RSP_OFF_KEY, 32);
	return st;
}

static void test_trust_same_root(void **state)
{
	struct fixture f;
	struct pair p;
	launch(&f, pa, POLICY_MIGRATE);
	assert_int_equal(handshake(f.g, pb, &p), 0);
	assert_int_equal(fw_migrate_epoch(p.src), 1);
	assert_int_equal(fw_migrate_epoch(p.dst), 1);
	pair_free(&p);
	fw_guest_destroy(f.g);
}

static void test_trust_refusals(void **state)
{
	static uint8_t offer[FW_MIGRATE_MSG_MAX], accept[FW_MIGRATE_MSG_MAX];
	struct fw_migrate_session *d, *s = NULL;
	struct fixture f, fc, fno;
	size_t olen, alen;
	launch(&f, pa, POLICY_MIGRATE);

	/* A destination from another AMD root: refused before anything is derived. */
	assert_int_equal(fw_migrate_offer(pc, offer, sizeof(offer), &olen, &d), 0);
	assert_int_equal(fw_migrate_accept(f.g, offer, olen, accept, sizeof(accept), &alen, &s), -EACCES);
	assert_null(s);
	fw_migrate_session_free(d);

	/* A destination of the right root whose VCEK has expired. */
	assert_int_equal(fw_migrate_offer(pe, offer, sizeof(offer), &olen, &d), 0);
	assert_int_equal(fw_migrate_accept(f.g, offer, olen, accept, sizeof(accept), &alen, &s), -EACCES);
	fw_migrate_session_free(d);

	/* A credential whose migration key was swapped (VCEK signature no longer matches). */
	assert_int_equal(fw_migrate_offer(pb, offer, sizeof(offer), &olen, &d), 0);
	offer[36 + 0x20] ^= 1;
	assert_int_equal(fw_migrate_accept(f.g, offer, olen, accept, sizeof(accept), &alen, &s), -EACCES);
	offer[36 + 0x20] ^= 1;
	/* Truncated and garbage offers. */
	assert_int_equal(fw_migrate_accept(f.g, offer, olen - 1, accept, sizeof(accept), &alen, &s), -EINVAL);
	assert_int_equal(fw_migrate_accept(f.g, offer, 3, accept, sizeof(accept), &alen, &s), -EINVAL);

	/* A guest whose policy does not allow migration. */
	launch(&fno, pa, FIX_POLICY);
	assert_int_equal(fw_migrate_accept(fno.g, offer, olen, accept, sizeof(accept), &alen, &s), -EPERM);
	fw_guest_destroy(fno.g);

	/* The destination refuses a source from another root, and a bad key confirmation. */
	launch(&fc, pc, POLICY_MIGRATE);
	struct fw_migrate_session *dc, *sc;
	uint8_t offer_c[FW_MIGRATE_MSG_MAX];
	size_t olen_c;
	assert_int_equal(fw_migrate_offer(pc, offer_c, sizeof(offer_c), &olen_c, &dc), 0);
	assert_int_equal(fw_migrate_accept(fc.g, offer_c, olen_c, accept, sizeof(accept), &alen, &sc), 0);
	assert_int_equal(fw_migrate_complete(d, accept, alen), -EACCES);
	fw_migrate_session_free(sc);
	fw_migrate_session_free(dc);
	fw_guest_destroy(fc.g);

	assert_int_equal(fw_migrate_accept(f.g, offer, olen, accept, sizeof(accept), &alen, &s), 0);
	accept[44] ^= 0x80; /* confirm[0] */
	assert_int_equal(fw_migrate_complete(d, accept, alen), -EBADMSG);
	fw_migrate_session_free(s);
	fw_migrate_session_free(d);
	fw_guest_destroy(f.g);
}

static uint8_t rec[FW_MIGRATE_RECORD_HDR + FW_MIGRATE_PAGE_2M], rec2[FW_MIGRATE_RECORD_HDR + FW_MIGRATE_PAGE_4K];
static uint8_t plain[FW_MIGRATE_PAGE_2M], out[FW_MIGRATE_PAGE_2M];

static void test_pages(void **state)
{
	struct fixture f;
	struct fw_guest *gb;
	struct pair p;
	size_t len, len2;
	struct fw_migrate_record_info info;
	launch(&f, pa, POLICY_MIGRATE);
	assert_int_equal(fw_guest_create(pb, GPA_LIMIT, &gb), 0);
	assert_int_equal(handshake(f.g, pb, &p), 0);
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7 + 3);

	/* 4 KiB page: ciphertext differs from the plaintext; imported bytes and RMP state match. */
	assert_int_equal(fw_migrate_page_export(p.src, DATA_GPA, 4096, plain, rec, sizeof(rec), &len), 0);
	assert_int_equal(len, FW_MIGRATE_RECORD_HDR + 4096);
	assert_memory_not_equal(rec + FW_MIGRATE_RECORD_HDR, plain, 4096);
	assert_int_equal(fw_migrate_record_info(rec, len, &info), 0);
	assert_int_equal(info.gpa, DATA_GPA);
	assert_int_equal(info.seq, 1);
	assert_int_equal(info.state, FW_PAGE_VALIDATED);
	/* Tampered ciphertext, header (GPA) and tag: refused, nothing written, the session still at seq 0. */
	memset(out, 0xEE, 4096);
	size_t spots[] = {FW_MIGRATE_RECORD_HDR + 100, 2, 0x18}; /* ciphertext, GPA, tag */
	for (size_t i = 0; i < 3; i++) {
		rec[spots[i]] ^= 0x01;
		assert_int_equal(fw_migrate_page_import(p.dst, gb, rec, len, out, 4096), -EBADMSG);
		rec[spots[i]] ^= 0x01;
		assert_int_equal(out[0], 0xEE);
		assert_int_equal(out[4095], 0xEE);
	}
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec, len, out, 4095), -EINVAL);
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec, len, out, 4096), 0);
	assert_memory_equal(out, plain, 4096);
	assert_int_equal(fw_rmp_get(fw_guest_rmp(gb), DATA_GPA), FW_PAGE_VALIDATED);
	/* Replay of the same record. */
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec, len, out, 4096), -ESTALE);

	/* A zero page travels as a flag; a missing record (seq 3 after 1) is a gap. */
	memset(plain, 0, 4096);
	assert_int_equal(fw_migrate_page_export(p.src, DATA_GPA + 4096, 4096, plain, rec2, sizeof(rec2), &len2), 0);
	assert_int_equal(len2, FW_MIGRATE_RECORD_HDR);
	assert_int_equal(fw_migrate_record_info(rec2, len2, &info), 0);
	assert_true(info.flags & FW_MIGRATE_FLAG_ZERO);
	plain[0] = 1;
	assert_int_equal(fw_migrate_page_export(p.src, DATA_GPA + 8192, 4096, plain, rec, sizeof(rec), &len), 0);
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec, len, out, 4096), -EPROTO);
	/* A zero record whose flag is cleared does not verify either. */
	rec2[0x13] = 0;
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec2, len2, out, 4096), -EINVAL); /* no ciphertext */
	rec2[0x13] = FW_MIGRATE_FLAG_ZERO;
	memset(out, 0xEE, 4096);
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec2, len2, out, 4096), 0);
	assert_true(out[0] == 0 && out[4095] == 0);
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec, len, out, 4096), 0);
	assert_int_equal(out[0], 1);

	/* A 2 MiB record needs one state over 512 pages; a shared page is not exported at all. */
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i >> 12);
	assert_int_equal(fw_migrate_page_export(p.src, DATA_GPA, FW_MIGRATE_PAGE_2M, plain, rec, sizeof(rec), &len), 0);
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec, len, out, FW_MIGRATE_PAGE_2M), 0);
	assert_memory_equal(out, plain, FW_MIGRATE_PAGE_2M);
	assert_int_equal(fw_migrate_page_export(p.src, 0x400000, 4096, plain, rec, sizeof(rec), &len), -EINVAL);
	assert_int_equal(
	    fw_migrate_page_export(p.src, DATA_GPA + 4096, FW_MIGRATE_PAGE_2M, plain, rec, sizeof(rec), &len),
	    -EINVAL); /* unaligned */
	assert_int_equal(fw_migrate_page_export(p.src, DATA_GPA, 4096, plain + 4096, rec, 100, &len), -ENOSPC);

	/* The same record under another session's key. */
	struct pair q;
	struct fw_guest *gq;
	assert_int_equal(fw_guest_create(pb, GPA_LIMIT, &gq), 0);
	assert_int_equal(handshake(f.g, pb, &q), 0);
	assert_int_equal(fw_migrate_page_export(p.src, DATA_GPA, 4096, plain, rec, sizeof(rec), &len), 0);
	assert_int_equal(fw_migrate_record_info(rec, len, &info), 0);
	le64_store(rec + 8, 1); /* the first sequence number of q, so only the key differs */
	assert_int_equal(fw_migrate_page_import(q.dst, gq, rec, len, out, 4096), -EBADMSG);
	pair_free(&q);
	fw_guest_destroy(gq);

	pair_free(&p);
	fw_guest_destroy(gb);
	fw_guest_destroy(f.g);
}

/* Send every private page of `f` (the launched page, the secrets page, the 2 MiB range) from p.src to `gb`. */
static void send_pages(struct fixture *f, struct pair *p, struct fw_guest *gb, bool skip_one)
{
	static const uint64_t gpas[] = {0x1000, FIX_SECRETS};
	size_t len;
	for (size_t i = 0; i < 2; i++) {
		memset(plain, (int)i + 1, 4096);
		assert_int_equal(fw_migrate_page_export(p->src, gpas[i], 4096, plain, rec, sizeof(rec), &len), 0);
		if (!(skip_one && i == 1))
			assert_int_equal(fw_migrate_page_import(p->dst, gb, rec, len, out, 4096), 0);
	}
	memset(plain, 0, FW_MIGRATE_PAGE_2M);
	assert_int_equal(fw_migrate_page_export(p->src, DATA_GPA, FW_MIGRATE_PAGE_2M, plain, rec, sizeof(rec), &len),
			 0);
	if (!skip_one)
		assert_int_equal(fw_migrate_page_import(p->dst, gb, rec, len, out, FW_MIGRATE_PAGE_2M), 0);
}

static void test_guest_moves(void **state)
{
	struct fixture f, fb;
	struct fw_guest *gb;
	struct pair p;
	uint8_t ra[SNP_REPORT_SIZE], rb[SNP_REPORT_SIZE], ctx[FW_MIGRATE_CONTEXT_RECORD];
	size_t len;
	launch(&f, pa, POLICY_MIGRATE);
	uint8_t ka[32], ka2[32], kb[32];
	for (int i = 0; i < 2; i++) /* some requests: the sequence numbers move to 6 */
		assert_int_equal(report(&f, ra), 0);
	assert_int_equal(vcek_key(&f, ka), 0);
	assert_int_equal(f.t.seqno[0], 6);

	assert_int_equal(fw_guest_create(pb, GPA_LIMIT, &gb), 0);
	assert_int_equal(handshake(f.g, pb, &p), 0);
	send_pages(&f, &p, gb, false);
	assert_int_equal(fw_migrate_context_export(p.src, ctx, sizeof(ctx), &len), 0);
	assert_int_equal(len, FW_MIGRATE_CONTEXT_RECORD);
	/* Paused at the source: no request until the migration ends one way or the other. */
	uint8_t tmp[SNP_REPORT_SIZE];
	assert_int_equal(report(&f, tmp), SEV_RET_INVALID_GUEST_STATE);
	/* A replayed page record in front of the context is refused; the context then imports. */
	assert_int_equal(fw_migrate_page_import(p.dst, gb, rec, FW_MIGRATE_RECORD_HDR, out, FW_MIGRATE_PAGE_2M),
			 -ESTALE);
	ctx[FW_MIGRATE_RECORD_HDR + 5] ^= 1;
	assert_int_equal(fw_migrate_context_import(p.dst, gb, ctx, len), -EBADMSG);
	ctx[FW_MIGRATE_RECORD_HDR + 5] ^= 1;
	assert_int_equal(fw_migrate_context_import(p.dst, gb, ctx, len), 0);
	assert_int_equal(fw_migrate_source_finish(p.src), 0);
	assert_int_equal(report(&f, tmp), SEV_RET_INVALID_GUEST_STATE);

	/* The guest on B: the next sequence number works; same identity, B's signature. */
	fb = f;
	fb.p = pb;
	fb.g = gb;
	assert_int_equal(report(&fb, rb), 0);
	assert_int_equal(fb.t.seqno[0], 8);
	/* The chip's key is B's now: the same request gives another key on B, and the same one again there. */
	assert_int_equal(vcek_key(&fb, kb), 0);
	assert_memory_not_equal(ka, kb, sizeof(kb));
	assert_int_equal(vcek_key(&fb, ka2), 0);
	assert_memory_equal(ka2, kb, sizeof(kb));
	struct attest_report a, b;
	assert_int_equal(attest_report_parse(ra, sizeof(ra), &a), ATTEST_PARSE_OK);
	assert_int_equal(attest_report_parse(rb, sizeof(rb), &b), ATTEST_PARSE_OK);
	assert_memory_equal(a.measurement, b.measurement, sizeof(a.measurement));
	assert_memory_equal(a.report_id, b.report_id, sizeof(a.report_id));
	assert_memory_equal(a.host_data, b.host_data, sizeof(a.host_data));
	assert_int_equal(a.policy, b.policy);
	assert_memory_not_equal(a.chip_id, b.chip_id, sizeof(a.chip_id));
	struct attest_verify_certs certs = {0};
	struct attest_verify_policy pol;
	struct attest_verify_result res;
	assert_int_equal(fw_platform_cert(pb, FW_CERT_ARK, &certs.ark, &certs.ark_len), 0);
	assert_int_equal(fw_platform_cert(pb, FW_CERT_ASK, &certs.ask, &certs.ask_len), 0);
	assert_int_equal(fw_platform_cert(pb, FW_CERT_VCEK, &certs.vcek, &certs.vcek_len), 0);
	attest_verify_policy_default(&pol);
	pol.allow_migrate_ma = true;
	certs.trusted_ark = certs.ark; /* the model's AMD root, trusted explicitly (it is not AMD's genuine ARK) */
	certs.trusted_ark_len = certs.ark_len;
	assert_int_equal(attest_verify(&b, &certs, &pol, &res), 0);
	assert_int_equal(attest_verify(&a, &certs, &pol, &res), 1); /* A's report is not B's signature */
	assert_int_equal(res.first_failure, ATTEST_CHECK_REPORT_SIGNATURE);
	/* The context is the last record. */
	assert_int_equal(fw_migrate_context_import(p.dst, gb, ctx, len), -EINVAL);
	pair_free(&p);
	/* Moving on from B is this guest's second migration; the guest left behind on A can no longer move. */
	struct pair q;
	assert_int_equal(handshake(gb, pa, &q), 0);
	assert_int_equal(fw_migrate_epoch(q.src), 2);
	pair_free(&q);
	assert_int_equal(handshake(f.g, pb, &q), -EINVAL);
	pair_free(&q);
	fw_guest_destroy(gb);
	fw_guest_destroy(f.g);
}

static void test_context_refusals(void **state)
{
	struct fixture f;
	struct fw_guest *gb;
	struct pair p;
	uint8_t ctx[FW_MIGRATE_CONTEXT_RECORD], tmp[SNP_REPORT_SIZE];
	size_t len;
	launch(&f, pa, POLICY_MIGRATE);

	/* A page record the destination never saw: the context does not follow on from the last record. */
	assert_int_equal(fw_guest_create(pb, GPA_LIMIT, &gb), 0);
	assert_int_equal(handshake(f.g, pb, &p), 0);
	send_pages(&f, &p, gb, true);
	assert_int_equal(fw_migrate_context_export(p.src, ctx, sizeof(ctx), &len), 0);
	assert_int_equal(fw_migrate_context_import(p.dst, gb, ctx, len), -EPROTO);
	/* Abort: freeing the unfinished source session resumes the guest at the source. */
	pair_free(&p);
	assert_int_equal(report(&f, tmp), 0);
	fw_guest_destroy(gb);

	/* Every record arrived, but the destination RMP differs from the source's. */
	assert_int_equal(fw_guest_create(pb, GPA_LIMIT, &gb), 0);
	assert_int_equal(handshake(f.g, pb, &p), 0);
	assert_int_equal(fw_migrate_epoch(p.src), 1); /* the aborted migration did not count */
	send_pages(&f, &p, gb, false);
	assert_int_equal(fw_rmp_set_private(fw_guest_rmp(gb), DATA_GPA + 4096, 1, false), 0);
	assert_int_equal(fw_migrate_context_export(p.src, ctx, sizeof(ctx), &len), 0);
	assert_int_equal(fw_migrate_context_import(p.dst, gb, ctx, len), -EPROTO);
	pair_free(&p);
	fw_guest_destroy(gb);

	assert_int_equal(report(&f, tmp), 0); /* still running at the source */
	fw_guest_destroy(f.g);

	/* A destination platform that cannot honour the policy (single socket on a two-socket machine). */
	launch(&f, pa, POLICY_MIGRATE | SNP_POLICY_SINGLE_SOCKET);
	assert_int_equal(fw_guest_create(pd, GPA_LIMIT, &gb), 0);
	assert_int_equal(handshake(f.g, pd, &p), 0);
	send_pages(&f, &p, gb, false);
	assert_int_equal(fw_migrate_context_export(p.src, ctx, sizeof(ctx), &len), 0);
	assert_int_equal(fw_migrate_context_import(p.dst, gb, ctx, len), -EPERM);
	pair_free(&p);
	fw_guest_destroy(gb);
	assert_int_equal(report(&f, tmp), 0);
	fw_guest_destroy(f.g);
}

struct requester {
	struct fixture *f;
	unsigned done;
	uint32_t last;
};

static void *request_loop(void *arg)
{
	struct requester *q = arg;
	uint8_t rep[SNP_REPORT_SIZE];
	while ((q->last = report(q->f, rep)) == 0)
		q->done++;
	return NULL;
}

/* The context export is atomic against guest requests in flight on another thread: whatever the interleaving, the
 * counters sent are the counters the guest last used, and the guest continues on B without a sequence desync. */
static void test_export_while_requesting(void **state)
{
	struct fixture f, fb;
	struct fw_guest *gb;
	struct pair p;
	uint8_t ctx[FW_MIGRATE_CONTEXT_RECORD], rep[SNP_REPORT_SIZE];
	size_t len;
	pthread_t th;
	launch(&f, pa, POLICY_MIGRATE);
	assert_int_equal(fw_guest_create(pb, GPA_LIMIT, &gb), 0);
	assert_int_equal(handshake(f.g, pb, &p), 0);
	send_pages(&f, &p, gb, false);
	struct requester q = {.f = &f};
	assert_int_equal(pthread_create(&th, NULL, request_loop, &q), 0);
	assert_int_equal(fw_migrate_context_export(p.src, ctx, sizeof(ctx), &len), 0);
	pthread_join(th, NULL);
	assert_int_equal(q.last, SEV_RET_INVALID_GUEST_STATE);
	assert_int_equal(f.t.seqno[0], 2ull * q.done);
	assert_int_equal(fw_migrate_context_import(p.dst, gb, ctx, len), 0);
	assert_int_equal(fw_migrate_source_finish(p.src), 0);
	fb = f;
	fb.p = pb;
	fb.g = gb;
	assert_int_equal(report(&fb, rep), 0);
	pair_free(&p);
	fw_guest_destroy(gb);
	fw_guest_destroy(f.g);
}

struct membuf {
	uint8_t *data;
	size_t len;
};

static int mem_sink(void *opaque, const void *buf, size_t len)
{
	struct membuf *m = opaque;
	m->data = realloc(m->data, m->len + len);
	assert_non_null(m->data);
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return 0;
}

/* The firmware's messages and records inside the stream: the accept in TRUST, pages in PRIVATE_PAGE, the context in
 * FW_CONTEXT; the destination reads it in 1000-byte pieces and the guest continues on B. */
static void test_over_stream(void **state)
{
	static uint8_t offer[FW_MIGRATE_MSG_MAX], accept[FW_MIGRATE_MSG_MAX], ctx[FW_MIGRATE_CONTEXT_RECORD];
	struct fixture f, fb;
	struct fw_guest *gb;
	struct fw_migrate_session *s, *d;
	struct membuf m = {0};
	struct mig_writer w;
	size_t olen, alen, len;
	uint8_t rep[SNP_REPORT_SIZE];
	launch(&f, pa, POLICY_MIGRATE);
	assert_int_equal(report(&f, rep), 0);
	assert_int_equal(fw_guest_create(pb, GPA_LIMIT, &gb), 0);
	assert_int_equal(fw_migrate_offer(pb, offer, sizeof(offer), &olen, &d), 0); /* the back channel */
	assert_int_equal(fw_migrate_accept(f.g, offer, olen, accept, sizeof(accept), &alen, &s), 0);

	assert_int_equal(mig_writer_begin(&w, mem_sink, &m), 0);
	struct mig_piece piece = {accept, alen};
	assert_int_equal(mig_writer_section(&w, MIG_SEC_TRUST, &piece, 1), 0);
	static const uint64_t gpas[] = {0x1000, FIX_SECRETS};
	for (size_t i = 0; i < 2; i++) {
		memset(plain, 0x30 + (int)i, 4096);
		assert_int_equal(fw_migrate_page_export(s, gpas[i], 4096, plain, rec, sizeof(rec), &len), 0);
		piece = (struct mig_piece){rec, len};
		assert_int_equal(mig_writer_section(&w, MIG_SEC_PRIVATE_PAGE, &piece, 1), 0);
	}
	memset(plain, 0, FW_MIGRATE_PAGE_2M);
	assert_int_equal(fw_migrate_page_export(s, DATA_GPA, FW_MIGRATE_PAGE_2M, plain, rec, sizeof(rec), &len), 0);
	piece = (struct mig_piece){rec, len};
	assert_int_equal(mig_writer_section(&w, MIG_SEC_PRIVATE_PAGE, &piece, 1), 0);
	assert_int_equal(fw_migrate_context_export(s, ctx, sizeof(ctx), &len), 0);
	piece = (struct mig_piece){ctx, len};
	assert_int_equal(mig_writer_section(&w, MIG_SEC_FW_CONTEXT, &piece, 1), 0);
	assert_int_equal(mig_writer_end(&w), 0);

	struct mig_reader r;
	struct mig_section sec;
	struct fw_migrate_record_info info;
	size_t start = 0, have = 0, used, need;
	unsigned pages = 0, contexts = 0;
	int rc = MIG_MORE;
	assert_int_equal(mig_reader_init(&r), 0);
	while (rc != MIG_DONE) {
		have = m.len - start < have + 1000 ? m.len - start : have + 1000;
		while ((rc = mig_reader_next(&r, m.data + start, have, &used, &need, &sec)) == MIG_SECTION) {
			start += used;
			have -= used;
			if (sec.id == MIG_SEC_TRUST) {
				assert_int_equal(fw_migrate_complete(d, sec.payload, sec.len), 0);
			} else if (sec.id == MIG_SEC_PRIVATE_PAGE) {
				assert_int_equal(fw_migrate_record_info(sec.payload, sec.len, &info), 0);
				assert_int_equal(fw_migrate_page_import(d, gb, sec.payload, sec.len, out, info.size),
						 0);
				pages++;
			} else {
				assert_int_equal(sec.id, MIG_SEC_FW_CONTEXT);
				assert_int_equal(fw_migrate_context_import(d, gb, sec.payload, sec.len), 0);
				contexts++;
			}
		}
		assert_true(rc == MIG_MORE || rc == MIG_DONE);
		start += used;
		have -= used;
	}
	assert_int_equal(mig_reader_finish(&r), 0);
	mig_reader_release(&r);
	assert_int_equal(pages, 3);
	assert_int_equal(contexts, 1);
	assert_int_equal(fw_migrate_source_finish(s), 0);
	fb = f;
	fb.p = pb;
	fb.g = gb;
	assert_int_equal(report(&fb, rep), 0);
	fw_migrate_session_free(s);
	fw_migrate_session_free(d);
	free(m.data);
	fw_guest_destroy(gb);
	fw_guest_destroy(f.g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trust_same_root),
	    cmocka_unit_test(test_trust_refusals),
	    cmocka_unit_test(test_pages),
	    cmocka_unit_test(test_guest_moves),
	    cmocka_unit_test(test_context_refusals),
	    cmocka_unit_test(test_export_while_requesting),
	    cmocka_unit_test(test_over_stream),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

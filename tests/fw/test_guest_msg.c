/* SPDX-License-Identifier: MIT */
/*
 * Guest messages through fw_guest_request against the independent guest helper: AEAD known answers (vectors from
 * Python's cryptography package, i.e. OpenSSL, see below), every command status, sequence-number rules, per-VMPCK
 * counters, error injection and request statistics, concurrent guests.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>
#include <snpemu/fw.h>

#include "common/crypto.h"
#include "common/hex.h"
#include "fw_fixture.h"

static struct fixture fx;

static int setup(void **state)
{
	(void)state;
	return fixture_start(&fx, NULL);
}

static int teardown(void **state)
{
	(void)state;
	fixture_stop(&fx);
	return 0;
}

static uint64_t fw_count(unsigned v)
{
	struct fw_guest_context c;
	fw_guest_export(fx.g, &c);
	return c.msg_count[v];
}

static uint8_t report_req[0x60];

static void ok_round_trip(unsigned v)
{
	uint8_t rsp[4000];
	size_t len = 0;
	memset(report_req, 0, sizeof(report_req));
	le32_store(report_req + 0x40, v); /* VMPL = VMPCK */
	assert_int_equal(
	    fixture_call(&fx, v, SNP_MSG_REPORT_REQ, report_req, sizeof(report_req), rsp, sizeof(rsp), &len), 0);
	assert_int_equal(len, 0x4C0);
	assert_int_equal(le32_load(rsp), 0);
}

/*
 * Known answer, computed once with OpenSSL through Python's cryptography 48.0.0:
 *   AESGCM(bytes(range(32))).encrypt(le64(1) + 4*b"\0", bytes((i*3)&0xff for i in range(0x60)), aad)
 * where aad is the 48-byte header of a REPORT_REQ (algo 1, hdr version 1, hdr size 0x60, type 5, version 1,
 * size 0x60, vmpck 0).
 */
static const char vec_ct[] =
    "e22f8436a8a0fe12521f1be218e6a2e6fc52f91740972957065413af4971dd2d8c9f96a04ccddcbaa0a66352ca8e8a"
    "056046581d79eff8322b234ec3a30392fa7c6c625bdf0f2091889f13a95a7317b345001e4e9d170a93fb58164a"
    "5eaa6e10";
static const char vec_tag[] = "f5b84830babd60e322efd076d541c1f4";

static void test_aead_known_answer(void **state)
{
	(void)state;
	uint8_t key[32], pt[0x60], ct[0x60], tag[16], want_ct[0x60], want_tag[16], hdr[48], iv[12] = {1};
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 0x60; i++)
		pt[i] = (uint8_t)(i * 3);
	assert_int_equal(snpemu_hex_decode(vec_ct, sizeof(want_ct), want_ct), 0);
	assert_int_equal(snpemu_hex_decode(vec_tag, sizeof(want_tag), want_tag), 0);
	th_header(hdr, 0, SNP_MSG_REPORT_REQ, 0x60);

	/* the firmware's AEAD primitive */
	assert_int_equal(fw_aes256gcm_seal(key, iv, hdr, 48, pt, sizeof(pt), ct, tag), 0);
	assert_memory_equal(ct, want_ct, sizeof(ct));
	assert_memory_equal(tag, want_tag, sizeof(tag));
	/* the independent helper */
	struct th_guest t = {0};
	uint8_t page[4096];
	memcpy(t.vmpck[0], key, 32);
	assert_int_equal(th_encrypt(&t, 0, SNP_MSG_REPORT_REQ, pt, sizeof(pt), page), 0);
	assert_memory_equal(page + 0x60, want_ct, sizeof(want_ct));
	assert_memory_equal(page, want_tag, 16);

	/* the firmware accepts the vector as a request once the guest holds that VMPCK */
	struct fw_guest *g;
	assert_int_equal(fw_guest_create(fx.p, 1 << 20, &g), 0);
	struct fw_guest_context c;
	fw_guest_export(fx.g, &c);
	memcpy(c.vmpck[0], key, 32);
	c.msg_count[0] = 0;
	assert_int_equal(fw_guest_import(g, &c), 0);
	memset(page, 0, sizeof(page));
	memcpy(page, want_tag, 16);
	page[0x20] = 1;
	memcpy(page + 0x30, hdr, 48);
	memcpy(page + 0x60, want_ct, sizeof(want_ct));
	uint8_t resp[4096], rsp[4000];
	size_t len;
	const char *why;
	/* the vector's payload has non-zero reserved bytes: the firmware answers INVALID_PARAM in STATUS */
	assert_int_equal(fw_guest_request(g, page, resp), 0);
	assert_int_equal(th_decrypt(&t, 0, SNP_MSG_REPORT_REQ, resp, rsp, sizeof(rsp), &len, &why), 0);
	assert_int_equal(le32_load(rsp), SEV_RET_INVALID_PARAM);
	fw_guest_destroy(g);
}

static void test_round_trip_and_counters(void **state)
{
	(void)state;
	uint64_t c0 = fw_count(0), c2 = fw_count(2);
	ok_round_trip(0);
	assert_int_equal(fw_count(0), c0 + 2);
	ok_round_trip(2); /* per-VMPCK counters */
	assert_int_equal(fw_count(2), c2 + 2);
	assert_int_equal(fw_count(0), c0 + 2);
	assert_int_equal(fx.t.seqno[0], fw_count(0));
	assert_int_equal(fx.t.seqno[2], fw_count(2));
}

/* A request whose header is patched: expect `status`, nothing written, the counter unchanged. */
static void expect_rejected(const uint8_t page[4096], uint32_t status)
{
	static uint8_t resp[4096], sentinel[4096];
	uint64_t before = fw_count(0);
	memset(resp, 0xAA, sizeof(resp));
	memset(sentinel, 0xAA, sizeof(sentinel));
	assert_int_equal(fw_guest_request(fx.g, page, resp), status);
	assert_memory_equal(resp, sentinel, sizeof(resp));
	assert_int_equal(fw_count(0), before);
}

static void test_header_checks(void **state)
{
	(void)state;
	static const struct {
		uint8_t off, value;
		const char *what;
	} patches[] = {
	    {0x30, 0, "algo 0"},	 {0x30, 2, "algo 2"},	      {0x31, 2, "header version 2"},
	    {0x32, 0x50, "header size"}, {0x36, 0, "payload size 0"}, {0x36, 0x61, "size not a multiple of 16"},
	    {0x3C, 4, "VMPCK 4"},
	};
	uint8_t page[4096];
	for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
		assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
		page[patches[i].off] = patches[i].value;
		if (patches[i].off == 0x36)
			page[0x37] = 0;
		expect_rejected(page, SEV_RET_INVALID_PARAM);
	}
	/* payload past the page: 4016 bytes */
	assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
	le16_store(page + 0x36, 4016);
	expect_rejected(page, SEV_RET_INVALID_PARAM);

	/* message version 0 and 2, unknown and unsupported types, short payloads: authentic but refused */
	static const struct {
		uint8_t type, version;
		uint16_t size;
	} authentic[] = {
	    {SNP_MSG_REPORT_REQ, 0, 0x60},   {SNP_MSG_REPORT_REQ, 2, 0x60}, {0x40, 1, 0x60},
	    {SNP_MSG_TYPE_INVALID, 1, 0x60}, {SNP_MSG_CPUID_REQ, 1, 0x60},  {SNP_MSG_EXPORT_REQ, 1, 0x60},
	    {SNP_MSG_KEY_RSP, 1, 0x60},	     {SNP_MSG_KEY_REQ, 1, 0x10},    {SNP_MSG_TSC_INFO_REQ, 1, 0x70}};
	for (size_t i = 0; i < sizeof(authentic) / sizeof(authentic[0]); i++) {
		uint8_t hdr[48], payload[0x80] = {0};
		th_header(hdr, 0, authentic[i].type, authentic[i].size);
		hdr[5] = authentic[i].version;
		assert_int_equal(th_encrypt_hdr(&fx.t, 0, fx.t.seqno[0] + 1, hdr, payload, authentic[i].size, page), 0);
		expect_rejected(page, SEV_RET_INVALID_PARAM);
	}
	ok_round_trip(0); /* the sequence is intact */
}

static void test_bad_tag(void **state)
{
	(void)state;
	uint8_t page[4096];
	assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
	page[0x60] ^= 1; /* ciphertext */
	expect_rejected(page, SEV_RET_BAD_MEASUREMENT);
	assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
	page[0x40] = 1; /* a reserved header byte: part of the AAD */
	expect_rejected(page, SEV_RET_BAD_MEASUREMENT);
	assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
	page[5] ^= 0x80; /* tag */
	expect_rejected(page, SEV_RET_BAD_MEASUREMENT);
	/* encrypted with VMPCK1 but the header names VMPCK0 */
	uint8_t hdr[48];
	th_header(hdr, 0, SNP_MSG_REPORT_REQ, 0x60);
	assert_int_equal(th_encrypt_hdr(&fx.t, 1, fx.t.seqno[0] + 1, hdr, report_req, 0x60, page), 0);
	expect_rejected(page, SEV_RET_BAD_MEASUREMENT);
	/* the seqno is bound through the IV: patching it breaks the tag */
	assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
	le64_store(page + 0x20, fx.t.seqno[0] + 3);
	expect_rejected(page, SEV_RET_BAD_MEASUREMENT);
	ok_round_trip(0);
}

static void test_sequence_rules(void **state)
{
	(void)state;
	uint8_t page[4096], replay[4096], resp[4096];
	/* replay of an answered request */
	assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, replay), 0);
	assert_int_equal(fw_guest_request(fx.g, replay, resp), 0);
	fx.t.seqno[0] += 2;
	expect_rejected(replay, SEV_RET_AEAD_OFLOW);
	/* skipping ahead, an even (response) number, zero */
	const uint64_t bad[] = {fx.t.seqno[0] + 3, fx.t.seqno[0] + 2, 0, fx.t.seqno[0] - 1};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(th_encrypt_seq(&fx.t, 0, bad[i], SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
		expect_rejected(page, SEV_RET_AEAD_OFLOW);
	}
	ok_round_trip(0);
}

static void test_sequence_wrap(void **state)
{
	(void)state;
	struct fw_guest *g;
	struct fw_guest_context c;
	uint8_t page[4096], resp[4096], rsp[4000];
	size_t len;
	const char *why;
	struct th_guest t = fx.t;
	assert_int_equal(fw_guest_create(fx.p, 1 << 20, &g), 0);
	fw_guest_export(fx.g, &c);
	c.msg_count[1] = UINT64_MAX - 3;
	assert_int_equal(fw_guest_import(g, &c), 0);
	t.seqno[1] = UINT64_MAX - 3;
	memset(report_req, 0, sizeof(report_req));
	le32_store(report_req + 0x40, 1);
	/* the last usable request: seqno 2^64 - 2, response 2^64 - 1 */
	assert_int_equal(th_encrypt(&t, 1, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
	assert_int_equal(fw_guest_request(g, page, resp), 0);
	assert_int_equal(th_decrypt(&t, 1, SNP_MSG_REPORT_REQ, resp, rsp, sizeof(rsp), &len, &why), 0);
	assert_int_equal(le64_load(resp + 0x20), UINT64_MAX - 1);
	fw_guest_export(g, &c);
	assert_int_equal(c.msg_count[1], UINT64_MAX - 1);
	/* counter == UINT64_MAX - 1: every further request is AEAD_OFLOW, whatever its seqno */
	const uint64_t next[] = {UINT64_MAX, 0, 1};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(th_encrypt_seq(&t, 1, next[i], SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
		assert_int_equal(fw_guest_request(g, page, resp), SEV_RET_AEAD_OFLOW);
	}
	fw_guest_destroy(g);
}

static void test_not_running(void **state)
{
	(void)state;
	struct fw_guest *g;
	uint8_t page[4096], resp[4096];
	assert_int_equal(fw_guest_create(fx.p, 1 << 20, &g), 0);
	assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
	assert_int_equal(fw_guest_request(g, page, resp), SEV_RET_INVALID_GUEST_STATE);
	assert_int_equal(fw_launch_start(g, FIX_POLICY, NULL), 0);
	assert_int_equal(fw_guest_request(g, page, resp), SEV_RET_INVALID_GUEST_STATE);
	fw_guest_destroy(g);
}

static void test_injection_and_stats(void **state)
{
	(void)state;
	struct fw_guest_stats s0, s1;
	uint8_t page[4096], rsp[4000];
	size_t len;
	fw_guest_stats(fx.g, &s0);
	struct fw_inject inj = {.status = SEV_RET_INVALID_GUEST_STATE, .count = 2};
	fw_guest_inject(fx.g, &inj);
	assert_int_equal(th_encrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, page), 0);
	expect_rejected(page, SEV_RET_INVALID_GUEST_STATE);
	expect_rejected(page, SEV_RET_INVALID_GUEST_STATE);
	ok_round_trip(0); /* count exhausted */
	fw_guest_stats(fx.g, &s1);
	assert_int_equal(s1.received - s0.received, 3);
	assert_int_equal(s1.processed - s0.processed, 1);
	assert_int_equal(s1.rejected - s0.rejected, 2);

	/* a wrong response type is caught by the guest, and the firmware still consumed the sequence number */
	inj = (struct fw_inject){.resp_type = SNP_MSG_KEY_RSP, .delay_us = 1000};
	fw_guest_inject(fx.g, &inj);
	memset(report_req, 0, sizeof(report_req));
	assert_int_equal(fixture_call(&fx, 0, SNP_MSG_REPORT_REQ, report_req, 0x60, rsp, sizeof(rsp), &len), 0xBAD);
	assert_int_equal(fw_count(0), fx.t.seqno[0] + 2);
	fx.t.seqno[0] += 2;
	inj = (struct fw_inject){0};
	fw_guest_inject(fx.g, &inj);
	ok_round_trip(0);
}

struct worker {
	struct fixture f;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint8_t req[0x60] = {0}, rsp[4000];
	size_t len;
	for (int i = 0; i < 40; i++) {
		req[0] = (uint8_t)i;
		if (fixture_call(&w->f, 0, SNP_MSG_REPORT_REQ, req, sizeof(req), rsp, sizeof(rsp), &len) ||
		    le32_load(rsp) != 0 || rsp[0x20 + 0x50] != (uint8_t)i)
			w->failures++;
	}
	return NULL;
}

static void test_concurrent_guests(void **state)
{
	(void)state;
	enum { N = 4 };
	static struct worker w[N];
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		/* each guest on the shared platform */
		w[i].f.p = fx.p;
		assert_int_equal(fw_guest_create(fx.p, 1 << 20, &w[i].f.g), 0);
		assert_int_equal(fw_launch_start(w[i].f.g, FIX_POLICY, NULL), 0);
		assert_int_equal(fw_launch_update(w[i].f.g, SNP_PAGE_TYPE_SECRETS, 0, w[i].f.secrets, NULL), 0);
		assert_int_equal(fw_launch_finish(w[i].f.g, NULL), 0);
		th_guest_init(&w[i].f.t, w[i].f.secrets);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failures, 0);
		struct fw_guest_stats s;
		fw_guest_stats(w[i].f.g, &s);
		assert_int_equal(s.processed, 40);
		fw_guest_destroy(w[i].f.g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aead_known_answer), cmocka_unit_test(test_round_trip_and_counters),
	    cmocka_unit_test(test_header_checks),     cmocka_unit_test(test_bad_tag),
	    cmocka_unit_test(test_sequence_rules),    cmocka_unit_test(test_sequence_wrap),
	    cmocka_unit_test(test_not_running),	      cmocka_unit_test(test_injection_and_stats),
	    cmocka_unit_test(test_concurrent_guests),
	};
	return cmocka_run_group_tests_name("fw/guest_msg", tests, setup, teardown);
}

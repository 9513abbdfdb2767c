/* SPDX-License-Identifier: MIT */
/*
 * Guest-request driver against the fake hypervisor + firmware (OpenSSL AES-GCM on the firmware side): sequence
 * numbers in the secrets page, BUSY resends byte-identical within the budget, INVALID_LEN falls back to a plain
 * request and reports the pages, and every other failure or bad response wipes the VMPCK for good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/secrets.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>

#include "fake_hv.h"

#define BUSY	  SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_BUSY)
#define INVAL_LEN SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN)

struct fx {
	struct fake_hv *h;
	struct gst_ctx c;
	struct gst_greq g;
	struct gst_report_req rq;
	uint8_t report[SNP_REPORT_SIZE];
};

static struct fx *fx_new(bool clock)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->h = fh_new();
	f->h->with_clock = clock;
	fh_setup(f->h, &f->c, true);
	fh_greq(f->h, &f->c, &f->g, 0);
	for (unsigned int i = 0; i < 64; i++)
		f->rq.user_data[i] = (uint8_t)(0xC0 + i);
	return f;
}

static int setup(void **state)
{
	*state = fx_new(false);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fh_free(f->h);
	free(f);
	return 0;
}

static uint32_t seqno_field(struct fx *f, unsigned int id)
{
	return le32_load(f->h->mem + FH_SECRETS + SNP_SECRETS_OFF_MSG_SEQNO(id));
}

static bool vmpck_wiped(struct fx *f, unsigned int id)
{
	static const uint8_t zero[32];
	return memcmp(f->h->mem + FH_SECRETS + SNP_SECRETS_OFF_VMPCK(id), zero, 32) == 0;
}

/* The key is gone and stays gone: the next request is refused without a VMGEXIT. */
static void assert_wiped_for_good(struct fx *f)
{
	assert_true(vmpck_wiped(f, f->g.cfg.vmpck_id));
	assert_true(f->g.disabled);
	unsigned int n = f->h->nexits;
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_EKEY);
	assert_int_equal(f->h->nexits, n);
}

static void test_init_makes_pages_shared(void **state)
{
	(void)state;
	struct fake_hv *h = fh_new();
	struct gst_ctx c;
	struct gst_greq g;
	fh_setup(h, &c, true);
	fh_greq(h, &c, &g, 0);
	assert_int_equal(h->page_private[FH_REQ_GPA >> 12], 0);
	assert_int_equal(h->page_private[FH_RESP_GPA >> 12], 0);
	assert_int_equal(h->page_valid[FH_REQ_GPA >> 12], 0);
	fh_free(h);
}

static void test_report(void **state)
{
	struct fx *f = *state;
	f->rq.vmpl = 1;
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_OK);
	assert_memory_equal(f->report + 0x50, f->rq.user_data, 64);
	assert_int_equal(le32_load(f->report + SNP_REPORT_OFF_VMPL), 1);
	assert_int_equal(seqno_field(f, 0), 2);
	/* what the host saw: header in clear, payload encrypted, seqno 1 */
	const uint8_t *q = f->h->last_req_page;
	assert_int_equal(le64_load(q + SNP_MSG_OFF_SEQNO), 1);
	assert_int_equal(q[SNP_MSG_OFF_TYPE], SNP_MSG_REPORT_REQ);
	assert_int_equal(q[SNP_MSG_OFF_VERSION], 1);
	assert_int_equal(q[SNP_MSG_OFF_ALGO], 1);
	assert_int_equal(le16_load(q + SNP_MSG_OFF_SIZE), SNP_REPORT_REQ_SIZE);
	assert_int_equal(q[SNP_MSG_OFF_VMPCK], 0);
	assert_true(memcmp(q + SNP_MSG_HDR_SIZE, f->rq.user_data, 64) != 0);
	assert_int_equal(f->h->exits[f->h->nexits - 1].code, SVM_VMGEXIT_GUEST_REQUEST);
	assert_int_equal(f->h->exits[f->h->nexits - 1].info1, FH_REQ_GPA);
	assert_int_equal(f->h->exits[f->h->nexits - 1].info2, FH_RESP_GPA);
	/* the second request uses seqno 3 */
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_OK);
	assert_int_equal(le64_load(f->h->last_req_page + SNP_MSG_OFF_SEQNO), 3);
	assert_int_equal(seqno_field(f, 0), 4);
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, SNP_REPORT_SIZE - 1), GST_EINVAL);
}

static void test_derived_key_and_tsc(void **state)
{
	struct fx *f = *state;
	struct gst_key_req kr = {.guest_field_select = SNP_GFS_MEASUREMENT, .vmpl = 0};
	uint8_t key[32];
	assert_int_equal(gst_get_derived_key(&f->c, &f->g, &kr, key), GST_OK);
	for (int i = 0; i < 32; i++)
		assert_int_equal(key[i], (uint8_t)(0x40 + i + SNP_GFS_MEASUREMENT));
	struct gst_tsc_info ti;
	assert_int_equal(gst_get_tsc_info(&f->c, &f->g, &ti), GST_OK);
	assert_int_equal(ti.guest_tsc_scale, 1234);
	assert_int_equal(ti.guest_tsc_offset, 5678);
	assert_int_equal(ti.tsc_factor, 200);
	assert_int_equal(seqno_field(f, 0), 4);
	kr.guest_field_select = 1u << 6;
	assert_int_equal(gst_get_derived_key(&f->c, &f->g, &kr, key), GST_EINVAL);
}

static void test_other_vmpck(void **state)
{
	struct fx *f = *state;
	struct gst_greq g2;
	fh_greq(f->h, &f->c, &g2, 2);
	f->rq.vmpl = 2;
	assert_int_equal(gst_get_report(&f->c, &g2, &f->rq, f->report, sizeof(f->report)), GST_OK);
	assert_int_equal(f->h->last_req_page[SNP_MSG_OFF_VMPCK], 2);
	assert_int_equal(seqno_field(f, 2), 2);
	assert_int_equal(seqno_field(f, 0), 0);
}

static void test_ext_report(void **state)
{
	struct fx *f = *state;
	uint32_t pages = 2;
	assert_int_equal(gst_get_ext_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report), FH_CERTS_GPA, &pages),
			 GST_OK);
	const struct fh_exit *e = &f->h->exits[f->h->nexits - 1];
	assert_int_equal(e->code, SVM_VMGEXIT_EXT_GUEST_REQUEST);
	assert_int_equal(e->rax, FH_CERTS_GPA);
	assert_int_equal(e->rbx, 2);
	static const uint8_t vcek[16] = SNP_GUID_VCEK;
	assert_memory_equal(f->h->mem + FH_CERTS_GPA, vcek, 16);
	assert_memory_equal(f->report + 0x50, f->rq.user_data, 64);
	assert_int_equal(gst_get_ext_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report), 0, &pages), GST_EINVAL);
}

static void test_ext_invalid_len(void **state)
{
	struct fx *f = *state;
	f->h->certs_pages_needed = 3;
	uint32_t pages = 1;
	assert_int_equal(gst_get_ext_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report), FH_CERTS_GPA, &pages),
			 GST_ENOSPC);
	assert_int_equal(pages, 3);
	assert_int_equal(f->h->greq_exits, 2);
	assert_int_equal(f->h->exits[f->h->nexits - 2].code, SVM_VMGEXIT_EXT_GUEST_REQUEST);
	assert_int_equal(f->h->exits[f->h->nexits - 1].code, SVM_VMGEXIT_GUEST_REQUEST);
	/* the same bytes went out twice, the firmware answered the plain retry, the seqno is consumed, no wipe */
	assert_memory_equal(f->h->req_copy[0], f->h->req_copy[1], 4096);
	assert_true(f->h->fw_processed);
	assert_int_equal(seqno_field(f, 0), 2);
	assert_false(vmpck_wiped(f, 0));
	assert_false(f->g.disabled);
	/* and the next request is in sequence with the firmware */
	pages = 3;
	assert_int_equal(gst_get_ext_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report), FH_CERTS_GPA, &pages),
			 GST_OK);
	assert_int_equal(le64_load(f->h->last_req_page + SNP_MSG_OFF_SEQNO), 3);
}

static void test_busy_then_ok(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 3; i++)
		fh_push(f->h,
			(struct fh_step){.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = BUSY});
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_OK);
	assert_int_equal(f->h->greq_exits, 4);
	for (int i = 1; i < 4; i++)
		assert_memory_equal(f->h->req_copy[0], f->h->req_copy[i], 4096);
	assert_int_equal(f->h->delays, 3);
	assert_int_equal(f->h->delay_us, 3000);
	assert_int_equal(seqno_field(f, 0), 2);
	assert_memory_equal(f->report + 0x50, f->rq.user_data, 64);
}

static void scribble_request(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	memset(h->mem + FH_REQ_GPA, 0x77, 4096);
}

static void test_busy_resend_survives_scribbles(void **state)
{
	struct fx *f = *state;
	/* the host overwrites the shared request page while answering BUSY: the resend is still the original */
	fh_push(
	    f->h,
	    (struct fh_step){
		.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = BUSY, .mutate = scribble_request});
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_OK);
	assert_memory_equal(f->h->req_copy[0], f->h->req_copy[1], 4096);
}

static void test_busy_budget_count(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 10; i++)
		fh_push(f->h,
			(struct fh_step){.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = BUSY});
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_EBUSY);
	assert_int_equal(f->h->greq_exits, 6); /* first try + 5 retries */
	assert_int_equal(f->h->delays, 5);
	assert_int_equal(seqno_field(f, 0), 2);
	assert_true(f->h->log_len > 0);
	assert_wiped_for_good(f);
}

static void test_busy_budget_time(void **state)
{
	(void)state;
	struct fx *f = fx_new(true);
	f->g.cfg.busy_retries = 100;
	f->g.cfg.busy_delay_us = 1000;
	f->g.cfg.busy_budget_us = 3500;
	for (int i = 0; i < 10; i++)
		fh_push(f->h,
			(struct fh_step){.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = BUSY});
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_EBUSY);
	assert_int_equal(f->h->delays, 3);
	assert_int_equal(f->h->greq_exits, 4);
	assert_wiped_for_good(f);
	fh_free(f->h);
	free(f);
}

/* Failures of the exchange itself: each wipes the key. */
static void test_exchange_failures_wipe(void **state)
{
	(void)state;
	const struct fh_step cases[] = {
	    {.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = SEV_RET_AEAD_OFLOW},
	    {.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = SNP_GUEST_VMM_ERR(0xFFFFFFFFu)},
	    {.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = INVAL_LEN}, /* on a plain request */
	    {.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = BUSY | 1},  /* BUSY with fw status */
	    {.no_default = true, .set_info1 = true, .info1 = 2, .set_info2 = true, .info2 = GHCB_ERR_INVALID_INPUT},
	    {.no_default = true, .set_info1 = true, .info1 = 1, .set_info2 = true, .info2 = GHCB_EXCEPTION_GP},
	    {.no_default = true, .set_info1 = true, .info1 = 1ull << 32, .set_info2 = true},
	    {.drop = {GHCB_OFF_SW_EXIT_INFO_2}},
	    {.drop = {GHCB_OFF_SW_EXIT_INFO_1}},
	};
	const int want[] = {GST_ESTATUS,    GST_ESTATUS, GST_ESTATUS, GST_ESTATUS, GST_EMALFORMED,
			    GST_EEXCEPTION, GST_EHVRESP, GST_EPROTO,  GST_EPROTO};
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new(false);
		fh_push(f->h, cases[i]);
		assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), want[i]);
		assert_int_equal(seqno_field(f, 0), 2);
		assert_wiped_for_good(f);
		fh_free(f->h);
		free(f);
	}
}

static void test_ext_invalid_len_bad_rbx(void **state)
{
	(void)state;
	/* INVALID_LEN without a valid RBX, or with RBX not above what was offered */
	const struct fh_step cases[] = {
	    {.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = INVAL_LEN},
	    {.no_default = true, .set_info1 = true, .set_info2 = true, .info2 = INVAL_LEN, .set_rbx = true, .rbx = 2},
	    {.no_default = true,
	     .set_info1 = true,
	     .set_info2 = true,
	     .info2 = INVAL_LEN,
	     .set_rbx = true,
	     .rbx = 1ull << 32},
	};
	for (unsigned int i = 0; i < 3; i++) {
		struct fx *f = fx_new(false);
		uint32_t pages = 2;
		fh_push(f->h, cases[i]);
		assert_int_equal(
		    gst_get_ext_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report), FH_CERTS_GPA, &pages),
		    GST_EPROTO);
		assert_int_equal(pages, 2);
		assert_wiped_for_good(f);
		fh_free(f->h);
		free(f);
	}
}

/* Response tampering: decrypt the firmware's answer, change one thing, re-encrypt it properly (so that each
 * check is hit on its own, not only the tag), or break the tag/ciphertext. */
enum tamper {
	T_SEQNO_PLUS2,
	T_SEQNO_SAME,
	T_TYPE_REQ,
	T_TYPE_PLUS2,
	T_MSG_VERSION,
	T_HDR_VERSION,
	T_HDR_SIZE,
	T_ALGO,
	T_VMPCK,
	T_SIZE_BIG,
	T_WRONG_KEY,
	T_TAG,
	T_CIPHERTEXT,
	T_AAD,
	T_COUNT
};

static void tamper(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	uint8_t *p = h->mem + FH_RESP_GPA;
	uint64_t seq = le64_load(p + SNP_MSG_OFF_SEQNO);
	size_t sz = le16_load(p + SNP_MSG_OFF_SIZE);
	if (h->user == T_TAG) {
		p[3] ^= 1;
		return;
	}
	if (h->user == T_CIPHERTEXT) {
		p[SNP_MSG_HDR_SIZE + 100] ^= 1;
		return;
	}
	if (h->user == T_AAD) { /* a header byte changed without re-encrypting */
		p[0x40] ^= 1;
		return;
	}
	if (!fh_gcm_open(h->vmpck[0], seq, p, sz))
		abort();
	const uint8_t *key = h->vmpck[0];
	switch (h->user) {
	case T_SEQNO_PLUS2:
		seq += 2;
		break;
	case T_SEQNO_SAME:
		seq -= 1;
		break;
	case T_TYPE_REQ:
		p[SNP_MSG_OFF_TYPE] -= 1;
		break;
	case T_TYPE_PLUS2:
		p[SNP_MSG_OFF_TYPE] += 1;
		break;
	case T_MSG_VERSION:
		p[SNP_MSG_OFF_VERSION] = 2;
		break;
	case T_HDR_VERSION:
		p[SNP_MSG_OFF_HDR_VERSION] = 2;
		break;
	case T_HDR_SIZE:
		le16_store(p + SNP_MSG_OFF_HDR_SIZE, 0x70);
		break;
	case T_ALGO:
		p[SNP_MSG_OFF_ALGO] = 2;
		break;
	case T_VMPCK:
		p[SNP_MSG_OFF_VMPCK] = 1;
		break;
	case T_SIZE_BIG:
		sz += 16;
		le16_store(p + SNP_MSG_OFF_SIZE, (uint16_t)sz);
		break;
	case T_WRONG_KEY:
		key = h->vmpck[1];
		break;
	default:
		abort();
	}
	le64_store(p + SNP_MSG_OFF_SEQNO, seq);
	fh_gcm_seal(key, seq, p, sz);
}

static void test_bad_responses_wipe(void **state)
{
	(void)state;
	for (int t = 0; t < T_COUNT; t++) {
		struct fx *f = fx_new(false);
		f->h->user = t;
		fh_push(f->h, (struct fh_step){.mutate = tamper});
		memset(f->report, 0xEE, sizeof(f->report));
		assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_EBADMSG);
		/* nothing of the response reaches the caller */
		for (unsigned int i = 0; i < sizeof(f->report); i++)
			assert_int_equal(f->report[i], 0xEE);
		assert_int_equal(seqno_field(f, 0), 2);
		assert_wiped_for_good(f);
		fh_free(f->h);
		free(f);
	}
}

static void test_replayed_or_missing_response(void **state)
{
	struct fx *f = *state;
	/* the host claims success but writes no response: the page was zeroed before sending */
	fh_push(f->h, (struct fh_step){.no_default = true, .set_info1 = true, .set_info2 = true});
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_EBADMSG);
	assert_wiped_for_good(f);
}

static uint8_t saved_resp[4096];

static void replay(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	memcpy(h->mem + FH_RESP_GPA, saved_resp, 4096);
}

static void test_replay_old_response(void **state)
{
	struct fx *f = *state;
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_OK);
	memcpy(saved_resp, f->h->mem + FH_RESP_GPA, 4096);
	fh_push(f->h, (struct fh_step){.no_default = true, .set_info1 = true, .set_info2 = true, .mutate = replay});
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_EBADMSG);
	assert_wiped_for_good(f);
}

static void bad_status(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	uint8_t *p = h->mem + FH_RESP_GPA;
	uint64_t seq = le64_load(p + SNP_MSG_OFF_SEQNO);
	size_t sz = le16_load(p + SNP_MSG_OFF_SIZE);
	if (!fh_gcm_open(h->vmpck[0], seq, p, sz))
		abort();
	le32_store(p + SNP_MSG_HDR_SIZE, SEV_RET_INVALID_PARAM);
	fh_gcm_seal(h->vmpck[0], seq, p, sz);
}

static void test_payload_status_no_wipe(void **state)
{
	struct fx *f = *state;
	fh_push(f->h, (struct fh_step){.mutate = bad_status});
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_ESTATUS);
	assert_int_equal(f->c.fault.info2, SEV_RET_INVALID_PARAM);
	assert_false(vmpck_wiped(f, 0));
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_OK);
}

static void test_empty_vmpck_and_overflow(void **state)
{
	struct fx *f = *state;
	struct gst_greq g3;
	struct gst_greq_config cfg = {.secrets = f->h->mem + FH_SECRETS,
				      .vmpck_id = 3,
				      .req_gpa = FH_REQ_GPA,
				      .resp_gpa = FH_RESP_GPA,
				      .pages_shared = true};
	memset(f->h->mem + FH_SECRETS + SNP_SECRETS_OFF_VMPCK(3), 0, 32);
	assert_int_equal(gst_greq_init(&f->c, &g3, &cfg), GST_EKEY);
	/* the counter at its limit: refused, nothing sent, nothing wiped */
	le32_store(f->h->mem + FH_SECRETS + SNP_SECRETS_OFF_MSG_SEQNO(0), 0xFFFFFFFEu);
	unsigned int n = f->h->nexits;
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_ESEQ);
	assert_int_equal(f->h->nexits, n);
	assert_false(vmpck_wiped(f, 0));
	assert_int_equal(seqno_field(f, 0), 0xFFFFFFFEu);
}

static void test_invalid_args(void **state)
{
	struct fx *f = *state;
	struct gst_greq g2;
	struct gst_greq_config cfg = {
	    .secrets = f->h->mem + FH_SECRETS, .vmpck_id = 4, .req_gpa = FH_REQ_GPA, .resp_gpa = FH_RESP_GPA};
	assert_int_equal(gst_greq_init(&f->c, &g2, &cfg), GST_EINVAL);
	cfg.vmpck_id = 0;
	cfg.resp_gpa = FH_REQ_GPA;
	assert_int_equal(gst_greq_init(&f->c, &g2, &cfg), GST_EINVAL);
	cfg.resp_gpa = FH_RESP_GPA + 8;
	assert_int_equal(gst_greq_init(&f->c, &g2, &cfg), GST_EINVAL);
	uint8_t big[4000], out[16];
	size_t len;
	memset(big, 0, sizeof(big));
	assert_int_equal(gst_greq_send(&f->c, &f->g, SNP_MSG_KEY_REQ, big, 3985, out, sizeof(out), &len, 0, NULL),
			 GST_EINVAL);
	assert_int_equal(gst_greq_send(&f->c, &f->g, 0, big, 16, out, sizeof(out), &len, 0, NULL), GST_EINVAL);
	assert_int_equal(gst_greq_send(&f->c, &f->g, 5, big, 0, out, sizeof(out), &len, 0, NULL), GST_EINVAL);
	assert_int_equal(gst_greq_send(&f->c, &f->g, 5, big, 16, out, sizeof(out), &len, 0x1001, NULL), GST_EINVAL);
	assert_int_equal(f->h->nexits, 0);
	/* an SEV-ES context cannot send guest requests */
	f->c.snp = false;
	assert_int_equal(gst_get_report(&f->c, &f->g, &f->rq, f->report, sizeof(f->report)), GST_ENOTSUP);
	assert_false(vmpck_wiped(f, 0));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_makes_pages_shared),
	    T(test_report),
	    T(test_derived_key_and_tsc),
	    T(test_other_vmpck),
	    T(test_ext_report),
	    T(test_ext_invalid_len),
	    T(test_busy_then_ok),
	    T(test_busy_resend_survives_scribbles),
	    T(test_busy_budget_count),
	    cmocka_unit_test(test_busy_budget_time),
	    cmocka_unit_test(test_exchange_failures_wipe),
	    cmocka_unit_test(test_ext_invalid_len_bad_rbx),
	    cmocka_unit_test(test_bad_responses_wipe),
	    T(test_replayed_or_missing_response),
	    T(test_replay_old_response),
	    T(test_payload_status_no_wipe),
	    T(test_empty_vmpck_and_overflow),
	    T(test_invalid_args),
	};
	return cmocka_run_group_tests_name("guest_req", tests, NULL, NULL);
}

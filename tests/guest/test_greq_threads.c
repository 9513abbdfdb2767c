/* SPDX-License-Identifier: MIT */
/*
 * Several vCPUs (host threads, each with its own gst_ctx, GHCB and GHCB MSR) share one guest-request channel, as
 * the `storm` guest does: the channel's lock must serialise them so that every request is in sequence with the
 * firmware, BUSY resends stay byte-identical and nothing is wiped.  Run under TSan too (TSAN_TESTS).
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/secrets.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>

#include "fake_hv.h"

#define VCPUS	 4
#define PER_VCPU 25
#define MEM	 (1u << 20)
#define SECRETS	 0x1000u
#define REQ	 0x2000u
#define RESP	 0x3000u
#define GHCB0	 0x10000u /* vCPU i: GHCB0 + i pages */

struct world {
	uint8_t *mem;
	uint8_t vmpck[32];
	pthread_mutex_t fw_lock; /* the firmware and the hypervisor's request handling: one request at a time */
	uint64_t fw_count;
	unsigned int requests, busy_sent, errors;
	uint8_t busy_page[4096]; /* the page answered BUSY, to check the resend */
	bool busy_pending;
};

struct vcpu {
	struct world *w;
	uint64_t msr;
	struct gst_ctx c;
	struct gst_greq *g;
	int rc;
	unsigned int id;
};

static uint64_t t_msr_read(void *ctx)
{
	return ((struct vcpu *)ctx)->msr;
}

static void t_msr_write(void *ctx, uint64_t v)
{
	((struct vcpu *)ctx)->msr = v;
}

static void *t_gpa_to_ptr(void *ctx, uint64_t gpa, size_t len)
{
	struct vcpu *v = ctx;
	return gpa < MEM && len <= MEM - gpa ? v->w->mem + gpa : NULL;
}

static bool t_ptr_to_gpa(void *ctx, const void *p, uint64_t *gpa)
{
	struct vcpu *v = ctx;
	*gpa = (uint64_t)((const uint8_t *)p - v->w->mem);
	return true;
}

static void t_delay(void *ctx, uint64_t us)
{
	(void)ctx;
	(void)us;
	sched_yield();
}

static void t_guest_request(struct world *w, struct ghcb *g)
{
	uint8_t *req = w->mem + ghcb_get_sw_exit_info_1(g), *resp = w->mem + ghcb_get_sw_exit_info_2(g);
	pthread_mutex_lock(&w->fw_lock);
	w->requests++;
	if (w->busy_pending) { /* the resend of a BUSY message must be the same bytes */
		if (memcmp(w->busy_page, req, 4096) != 0)
			w->errors++;
		w->busy_pending = false;
	} else if (w->requests % 3 == 0) { /* throttle every third request once */
		memcpy(w->busy_page, req, 4096);
		w->busy_pending = true;
		w->busy_sent++;
		ghcb_set_sw_exit_info_1(g, 0);
		ghcb_set_sw_exit_info_2(g, SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_BUSY));
		pthread_mutex_unlock(&w->fw_lock);
		return;
	}
	uint8_t page[4096], out[4096] = {0};
	memcpy(page, req, sizeof(page));
	uint64_t seqno = le64_load(page + SNP_MSG_OFF_SEQNO);
	size_t sz = le16_load(page + SNP_MSG_OFF_SIZE);
	uint64_t status = 0;
	if (sz > SNP_MSG_PAYLOAD_MAX || !fh_gcm_open(w->vmpck, seqno, page, sz))
		status = SEV_RET_BAD_MEASUREMENT;
	else if (seqno != w->fw_count + 1)
		status = SEV_RET_AEAD_OFLOW;
	if (!status) {
		le32_store(out + SNP_MSG_HDR_SIZE + SNP_REPORT_RSP_OFF_SIZE, SNP_REPORT_SIZE);
		memcpy(out + SNP_MSG_HDR_SIZE + SNP_REPORT_RSP_OFF_REPORT + 0x50, page + SNP_MSG_HDR_SIZE, 64);
		le64_store(out + SNP_MSG_OFF_SEQNO, seqno + 1);
		out[SNP_MSG_OFF_ALGO] = 1;
		out[SNP_MSG_OFF_HDR_VERSION] = 1;
		le16_store(out + SNP_MSG_OFF_HDR_SIZE, SNP_MSG_HDR_SIZE);
		out[SNP_MSG_OFF_TYPE] = (uint8_t)(page[SNP_MSG_OFF_TYPE] + 1);
		out[SNP_MSG_OFF_VERSION] = 1;
		le16_store(out + SNP_MSG_OFF_SIZE, SNP_REPORT_RSP_SIZE);
		fh_gcm_seal(w->vmpck, seqno + 1, out, SNP_REPORT_RSP_SIZE);
		memcpy(resp, out, sizeof(out));
		w->fw_count += 2;
	} else {
		w->errors++;
	}
	pthread_mutex_unlock(&w->fw_lock);
	ghcb_set_sw_exit_info_1(g, 0);
	ghcb_set_sw_exit_info_2(g, status);
}

static void t_vmgexit(void *ctx)
{
	struct vcpu *v = ctx;
	uint64_t m = v->msr;
	switch (GHCB_MSR_INFO(m)) {
	case GHCB_MSR_SEV_INFO_REQ:
		v->msr = ghcb_msr_sev_info(2, 1, 51);
		return;
	case GHCB_MSR_HV_FT_REQ:
		v->msr = ghcb_msr_hv_ft_resp(GHCB_HV_FT_SUPPORTED);
		return;
	case GHCB_MSR_REG_GPA_REQ:
		v->msr = ghcb_msr_reg_gpa_resp(ghcb_msr_gfn(m));
		return;
	case 0:
		break;
	default:
		return;
	}
	struct ghcb *g = (struct ghcb *)(v->w->mem + m);
	uint64_t code = ghcb_get_sw_exit_code(g);
	ghcb_clear_valid_bitmap(g);
	if (code == SVM_VMGEXIT_GUEST_REQUEST) {
		t_guest_request(v->w, g);
	} else {
		ghcb_set_sw_exit_info_1(g, GHCB_HV_RESP_MALFORMED_INPUT);
		ghcb_set_sw_exit_info_2(g, GHCB_ERR_INVALID_EVENT);
	}
}

static const struct gst_platform_ops t_ops = {
    .vmgexit = t_vmgexit,
    .ghcb_msr_read = t_msr_read,
    .ghcb_msr_write = t_msr_write,
    .gpa_to_ptr = t_gpa_to_ptr,
    .ptr_to_gpa = t_ptr_to_gpa,
    .delay_us = t_delay,
};

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;
	struct gst_report_req rq = {.vmpl = 0};
	uint8_t report[SNP_REPORT_SIZE];
	for (unsigned int i = 0; i < PER_VCPU && v->rc == GST_OK; i++) {
		rq.user_data[0] = (uint8_t)v->id;
		rq.user_data[1] = (uint8_t)i;
		v->rc = gst_get_report(&v->c, v->g, &rq, report, sizeof(report));
		if (v->rc == GST_OK && (report[0x50] != v->id || report[0x51] != i))
			v->rc = -100; /* someone else's report */
	}
	return NULL;
}

static void test_shared_channel(void **state)
{
	(void)state;
	struct world w = {0};
	w.mem = aligned_alloc(4096, MEM);
	assert_non_null(w.mem);
	memset(w.mem, 0, MEM);
	pthread_mutex_init(&w.fw_lock, NULL);
	for (unsigned int i = 0; i < 32; i++)
		w.vmpck[i] = (uint8_t)(7 * i + 1);
	memcpy(w.mem + SECRETS + SNP_SECRETS_OFF_VMPCK(0), w.vmpck, 32);

	static struct vcpu v[VCPUS];
	static struct gst_greq g;
	for (unsigned int i = 0; i < VCPUS; i++) {
		v[i] = (struct vcpu){.w = &w, .g = &g, .id = i};
		struct gst_platform p = {.ops = &t_ops, .ctx = &v[i]};
		assert_int_equal(gst_init(&v[i].c, &p, true), GST_OK);
		assert_int_equal(gst_ghcb_setup(&v[i].c, GHCB0 + 0x1000u * i, GST_GHCB_ALREADY_SHARED), GST_OK);
	}
	struct gst_greq_config cfg = {
	    .secrets = w.mem + SECRETS, .req_gpa = REQ, .resp_gpa = RESP, .pages_shared = true, .busy_delay_us = 1};
	assert_int_equal(gst_greq_init(&v[0].c, &g, &cfg), GST_OK);

	pthread_t th[VCPUS];
	for (unsigned int i = 0; i < VCPUS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, vcpu_main, &v[i]), 0);
	for (unsigned int i = 0; i < VCPUS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);

	for (unsigned int i = 0; i < VCPUS; i++)
		assert_int_equal(v[i].rc, GST_OK);
	assert_int_equal(w.errors, 0);
	assert_true(w.busy_sent > 0);
	assert_int_equal(w.fw_count, 2ull * VCPUS * PER_VCPU);
	assert_int_equal(le32_load(w.mem + SECRETS + SNP_SECRETS_OFF_MSG_SEQNO(0)), 2u * VCPUS * PER_VCPU);
	assert_false(g.disabled);
	pthread_mutex_destroy(&w.fw_lock);
	free(w.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared_channel),
	};
	return cmocka_run_group_tests_name("guest_req_threads", tests, NULL, NULL);
}

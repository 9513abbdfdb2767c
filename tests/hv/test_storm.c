/* SPDX-License-Identifier: MIT */
/*
 * Guest-request storm (docs/architecture.md rule 6): 16 vCPU threads send 200 report requests each through the engine
 * against a limit of 50/s with a burst of 5.  The limiter runs on a controlled clock that advances 1 ms per rate-limit
 * check, so the admitted count must equal rate x elapsed + burst (within 10 %) whatever the scheduling.  Every refused
 * request is answered BUSY without reaching the firmware (its own counter proves it) and is resent identically;
 * every admitted one decrypts with the independent test helper and carries its report data; afterwards the guest's
 * and the firmware's sequence numbers agree.  Half the threads use EXT_GUEST_REQUEST and answer the certificate
 * exit.  Run under TSan by `make tsan`.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/fw.h>
#include <snpemu/hv.h>

#include "../fw/fw_fixture.h"

#define NTHREADS 16
#define ATTEMPTS 200
#define RATE	 50u
#define BURST	 5u
#define TICK_NS	 1000000ull /* the clock advances 1 ms per check */
#define MEM_SIZE (1u << 20)

struct storm {
	struct fixture fx;
	struct hv_vm *vm;
	uint8_t *mem;
	_Atomic uint64_t clock_ns;
	pthread_mutex_t vmpck_lock[4]; /* the guest driver's lock: one message in flight per VMPCK */
	atomic_int errors;
	_Atomic uint64_t admitted, busy;
};

struct worker {
	struct storm *st;
	struct hv_vcpu *vcpu;
	uint32_t id;
};

static uint64_t storm_clock(void *ctx)
{
	struct storm *st = ctx;
	return atomic_fetch_add(&st->clock_ns, TICK_NS) + TICK_NS;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct storm *st = w->st;
	struct hv_vcpu *v = w->vcpu;
	struct snpemu_run *run = hv_vcpu_run(v);
	const uint64_t ghcb_gpa = 0x10000 + 0x4000ull * w->id, req = ghcb_gpa + 0x1000, resp = ghcb_gpa + 0x2000,
		       certs = ghcb_gpa + 0x3000;
	const unsigned vmpck = w->id % 4;
	const bool ext = w->id & 1;
	struct ghcb *g = (struct ghcb *)(st->mem + ghcb_gpa);
	int err = 0;
	hv_vcpu_set_ghcb_msr(v, ghcb_msr_reg_gpa_req(ghcb_gpa >> 12));
	err += hv_vcpu_vmgexit(v) != 1;
	hv_vcpu_set_ghcb_msr(v, ghcb_gpa);

	static _Thread_local uint8_t msg[4096], out[2048];
	uint8_t report_data[64];
	bool pending = false;
	uint32_t sent = 0;
	for (int i = 0; i < ATTEMPTS && !err; i++) {
		/* As the Linux driver: the VMPCK's lock is held from encryption until the message is answered, BUSY
		 * resends included, so no other message can take its sequence number. */
		if (!pending) {
			pthread_mutex_lock(&st->vmpck_lock[vmpck]);
			uint8_t payload[SNP_REPORT_REQ_SIZE] = {0};
			for (unsigned int b = 0; b < 64; b++)
				payload[b] = report_data[b] = (uint8_t)(w->id * 31 + sent * 7 + b);
			/* A report request at the VMPL of the VMPCK it is sent with (VMPCK n belongs to VMPL n). */
			le32_store(payload + SNP_REPORT_REQ_OFF_VMPL, vmpck);
			err += th_encrypt(&st->fx.t, vmpck, SNP_MSG_REPORT_REQ, payload, sizeof(payload), msg) != 0;
			pending = true;
		}
		memcpy(st->mem + req, msg, sizeof(msg)); /* a resend is the identical message */
		memset(g, 0, sizeof(*g));
		ghcb_set_sw_exit_code(g, ext ? SVM_VMGEXIT_EXT_GUEST_REQUEST : SVM_VMGEXIT_GUEST_REQUEST);
		ghcb_set_sw_exit_info_1(g, req);
		ghcb_set_sw_exit_info_2(g, resp);
		if (ext) {
			ghcb_set_rax(g, certs);
			ghcb_set_rbx(g, 1);
		}
		int r = hv_vcpu_vmgexit(v);
		if (r == 0 && run->exit_reason == SNPEMU_EXIT_SNP_REQ_CERTS) {
			/* The VMM: an empty certificate table fits in the one page. */
			err += run->snp_req_certs.gpa != certs || run->snp_req_certs.npages != 1;
			memset(st->mem + certs, 0, 24);
			run->snp_req_certs.ret = 0;
			r = hv_vcpu_vmgexit(v);
		}
		err += r != 1 || ghcb_get_sw_exit_info_1(g) != 0;
		uint64_t i2 = ghcb_get_sw_exit_info_2(g);
		if (i2 == SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0)) {
			atomic_fetch_add(&st->busy, 1);
		} else if (i2 == 0) {
			size_t n = 0;
			const char *why = NULL;
			if (th_decrypt(&st->fx.t, vmpck, SNP_MSG_REPORT_REQ, st->mem + resp, out, sizeof(out), &n,
				       &why)) {
				print_message("thread %u: response: %s\n", w->id, why);
				err++;
			} else if (n != SNP_REPORT_RSP_SIZE || le32_load(out) != 0 ||
				   memcmp(out + SNP_REPORT_RSP_OFF_REPORT + 0x50, report_data, 64) != 0) {
				print_message("thread %u: report status %#x size %zu\n", w->id, le32_load(out), n);
				err++;
			}
			atomic_fetch_add(&st->admitted, 1);
			pending = false;
			sent++;
			pthread_mutex_unlock(&st->vmpck_lock[vmpck]);
		} else {
			print_message("thread %u: SW_EXITINFO2 %#llx\n", w->id, (unsigned long long)i2);
			err++;
		}
	}
	if (pending)
		pthread_mutex_unlock(&st->vmpck_lock[vmpck]);
	atomic_fetch_add(&st->errors, err);
	return NULL;
}

static void test_storm(void **state)
{
	(void)state;
	static struct storm st;
	memset(&st, 0, sizeof(st));
	assert_int_equal(fixture_start(&st.fx, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_mutex_init(&st.vmpck_lock[i], NULL);
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SNP, .cbit = 51};
	assert_int_equal(hv_vm_create(&cfg, &st.vm), 0);
	st.mem = aligned_alloc(4096, MEM_SIZE);
	assert_non_null(st.mem);
	memset(st.mem, 0, MEM_SIZE);
	assert_int_equal(hv_vm_add_memslot(st.vm, 0, 0, MEM_SIZE, st.mem), 0);
	assert_int_equal(hv_vm_set_firmware(st.vm, st.fx.g), 0);
	assert_int_equal(hv_vm_enable_req_certs(st.vm, 1), 0);
	assert_int_equal(hv_vm_set_clock(st.vm, storm_clock, &st), 0);
	assert_int_equal(hv_vm_set_guest_req_limit(st.vm, RATE, BURST), 0);
	const uint64_t t0 = atomic_load(&st.clock_ns);
	struct fw_guest_stats fs0, fs1;
	fw_guest_stats(st.fx.g, &fs0);

	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	for (uint32_t i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.st = &st, .id = i};
		assert_int_equal(hv_vcpu_create(st.vm, i, &w[i].vcpu), 0);
	}
	for (uint32_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	for (uint32_t i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&st.errors), 0);

	uint64_t admitted = atomic_load(&st.admitted), busy = atomic_load(&st.busy);
	assert_int_equal(admitted + busy, (uint64_t)NTHREADS * ATTEMPTS);
	/* Admitted rate: rate x elapsed + burst on the limiter's clock, within 10 %. */
	double elapsed = (double)(atomic_load(&st.clock_ns) - t0) / 1e9;
	double expect = RATE * elapsed + BURST;
	print_message("storm: %llu admitted, %llu busy over %.3f s: expected %.1f (ratio %.3f)\n",
		      (unsigned long long)admitted, (unsigned long long)busy, elapsed, expect, admitted / expect);
	assert_true(admitted >= 0.9 * expect && admitted <= 1.1 * expect);
	assert_true(busy > 0);
	/* The firmware saw exactly the admitted requests, and processed each. */
	fw_guest_stats(st.fx.g, &fs1);
	assert_int_equal(fs1.received - fs0.received, admitted);
	assert_int_equal(fs1.processed - fs0.processed, admitted);
	/* No sequence number out of step: the guest's counters are the firmware's. */
	struct fw_guest_context ctx;
	fw_guest_export(st.fx.g, &ctx);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ctx.msg_count[i], st.fx.t.seqno[i]);
	memset(&ctx, 0, sizeof(ctx));

	for (uint32_t i = 0; i < NTHREADS; i++)
		hv_vcpu_destroy(w[i].vcpu);
	assert_int_equal(hv_vm_destroy(st.vm), 0);
	free(st.mem);
	for (int i = 0; i < 4; i++)
		pthread_mutex_destroy(&st.vmpck_lock[i]);
	fixture_stop(&st.fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_storm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The host service channel (vmm.h vmm_service_*, abi/runtime.h) with the tsmd program (abi/tsm.h), without FUSE,
 * on sim and (where built) tcg: a VM runs on its own thread while the test submits requests from others.  Plain and
 * extended reports carry the REPORT_DATA and VMPL asked for; the first extended request grows the certificate buffer
 * once (the Linux driver's too-small-buffer retry) and the next needs no retry; a malformed request is answered
 * INVALID; concurrent callers are served one at a time with their own answers; BUSY beyond the budget fails the
 * request and disables the VMPCK, so every later request fails too; closing ends the run with status 0 and every
 * later call fails -EPIPE.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/le.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/tsm.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#define CALL_TIMEOUT_MS 60000

struct served_vm {
	struct vmm_config cfg;
	struct vmm_result res;
	struct vmm_service *svc;
	pthread_t thread;
	int rc;
	char *out;
	size_t out_len;
	FILE *console;
	const char *args[2];
};

static void *vm_thread(void *arg)
{
	struct served_vm *vm = arg;
	vm->rc = vmm_run(&vm->cfg, &vm->res);
	return NULL;
}

static struct served_vm *start_vm(enum vmm_backend_kind backend, const char *program, double rate, const char *busy_ms)
{
	struct served_vm *vm = calloc(1, sizeof(*vm));
	assert_non_null(vm);
	assert_int_equal(vmm_service_new(&vm->svc), 0);
	vmm_config_default(&vm->cfg);
	vm->cfg.program = snpemu_program_find(program);
	assert_non_null(vm->cfg.program);
	vm->cfg.backend = backend;
	vm->cfg.service = vm->svc;
	vm->cfg.rate = rate;
	vm->cfg.burst = rate > 0 ? 1 : 0;
	if (busy_ms) {
		vm->args[0] = "--busy-timeout-ms";
		vm->args[1] = busy_ms;
		vm->cfg.args = vm->args;
		vm->cfg.nargs = 2;
	}
	vm->console = open_memstream(&vm->out, &vm->out_len);
	assert_non_null(vm->console);
	vm->cfg.out = vm->cfg.err = vm->console;
	assert_int_equal(pthread_create(&vm->thread, NULL, vm_thread, vm), 0);
	return vm;
}

/* Close the channel, join the run and check it ended as the program says it does. */
static void stop_vm(struct served_vm *vm)
{
	vmm_service_close(vm->svc);
	pthread_join(vm->thread, NULL);
	fclose(vm->console);
	if (vm->rc || vm->res.status)
		fprintf(stderr, "%s", vm->out);
	assert_int_equal(vm->rc, 0);
	assert_int_equal(vm->res.status, 0);
	assert_non_null(strstr(vm->out, "tsmd: channel closed after"));
	uint8_t reply[64];
	size_t len;
	struct snpemu_tsm_req req = {.op = SNPEMU_TSM_OP_REPORT};
	assert_int_equal(vmm_service_call(vm->svc, &req, sizeof(req), reply, sizeof(reply), &len, 1000), -EPIPE);
	vmm_service_free(vm->svc);
	free(vm->out);
	free(vm);
}

struct answer {
	struct snpemu_tsm_reply hdr;
	uint8_t body[SNPEMU_SERVICE_REPLY_MAX];
	size_t len;
};

static int ask(struct served_vm *vm, uint32_t privlevel, uint32_t flags, uint8_t fill, struct answer *a)
{
	struct snpemu_tsm_req req = {.op = SNPEMU_TSM_OP_REPORT, .privlevel = privlevel, .flags = flags};
	memset(req.report_data, fill, sizeof(req.report_data));
	uint8_t *buf = malloc(SNPEMU_SERVICE_REPLY_MAX);
	assert_non_null(buf);
	int rc = vmm_service_call(vm->svc, &req, sizeof(req), buf, SNPEMU_SERVICE_REPLY_MAX, &a->len, CALL_TIMEOUT_MS);
	if (!rc) {
		assert_true(a->len >= sizeof(a->hdr));
		memcpy(&a->hdr, buf, sizeof(a->hdr));
		memcpy(a->body, buf + sizeof(a->hdr), a->len - sizeof(a->hdr));
		assert_int_equal(a->len, sizeof(a->hdr) + a->hdr.report_len + a->hdr.certs_len);
	}
	free(buf);
	return rc;
}

static void check_report(const struct answer *a, uint32_t vmpl, uint8_t fill)
{
	assert_int_equal(a->hdr.result, SNPEMU_TSM_OK);
	assert_int_equal(a->hdr.report_len, SNP_REPORT_SIZE);
	assert_int_equal(le32_load(a->body + SNP_REPORT_OFF_VMPL), vmpl);
	for (int i = 0; i < 64; i++)
		assert_int_equal(a->body[SNP_REPORT_OFF_REPORT_DATA + i], fill);
}

static void reports_on(enum vmm_backend_kind backend)
{
	struct served_vm *vm = start_vm(backend, "tsmd", 0, NULL);
	struct answer *a = calloc(1, sizeof(*a));
	assert_non_null(a);
	assert_int_equal(vmm_service_wait_ready(vm->svc, CALL_TIMEOUT_MS), 0);

	assert_int_equal(ask(vm, 2, 0, 0x5a, a), 0);
	check_report(a, 2, 0x5a);
	assert_int_equal(a->hdr.certs_len, 0);

	/* Extended: the first one finds the one-page buffer too small and retries once with the size asked for. */
	assert_int_equal(ask(vm, 0, SNPEMU_TSM_REQ_CERTS, 0x11, a), 0);
	check_report(a, 0, 0x11);
	assert_int_equal(a->hdr.cert_retries, 1);
	assert_true(a->hdr.certs_len > 4096);
	/* A table of the platform's certificates, trimmed to its last blob: its first entry is a known GUID. */
	const uint8_t vcek[] = SNP_GUID_VCEK, ask_guid[] = SNP_GUID_ASK, ark[] = SNP_GUID_ARK;
	const uint8_t *t = a->body + SNP_REPORT_SIZE;
	assert_true(!memcmp(t, vcek, 16) || !memcmp(t, ask_guid, 16) || !memcmp(t, ark, 16));
	uint32_t end = 0;
	for (uint32_t off = 0; off + SNP_CERT_ENTRY_SIZE <= a->hdr.certs_len; off += SNP_CERT_ENTRY_SIZE) {
		uint32_t e =
		    le32_load(t + off + SNP_CERT_ENTRY_OFF_OFFSET) + le32_load(t + off + SNP_CERT_ENTRY_OFF_LENGTH);
		if (le32_load(t + off + SNP_CERT_ENTRY_OFF_LENGTH) == 0)
			break;
		end = e > end ? e : end;
	}
	assert_int_equal(end, a->hdr.certs_len);
	uint32_t requests = a->hdr.requests;

	assert_int_equal(ask(vm, 3, SNPEMU_TSM_REQ_CERTS, 0x22, a), 0);
	check_report(a, 3, 0x22);
	assert_int_equal(a->hdr.cert_retries, 0);
	assert_int_equal(a->hdr.requests, requests + 1);

	/* Malformed requests are answered, not fatal. */
	assert_int_equal(ask(vm, 4, 0, 0, a), 0);
	assert_int_equal(a->hdr.result, SNPEMU_TSM_INVALID);
	uint8_t junk[3] = {1, 2, 3}, reply[64];
	size_t len;
	assert_int_equal(vmm_service_call(vm->svc, junk, sizeof(junk), reply, sizeof(reply), &len, CALL_TIMEOUT_MS), 0);
	assert_int_equal(len, sizeof(struct snpemu_tsm_reply));
	assert_int_equal(((struct snpemu_tsm_reply *)(void *)reply)->result, SNPEMU_TSM_INVALID);
	/* A reply larger than the caller's buffer, and lengths the channel refuses. */
	struct snpemu_tsm_req req = {.op = SNPEMU_TSM_OP_REPORT};
	assert_int_equal(vmm_service_call(vm->svc, &req, sizeof(req), reply, sizeof(reply), &len, CALL_TIMEOUT_MS),
			 -EMSGSIZE);
	assert_int_equal(vmm_service_call(vm->svc, &req, 0, reply, sizeof(reply), &len, 10), -EINVAL);
	assert_int_equal(vmm_service_call(vm->svc, &req, SNPEMU_SERVICE_REQ_MAX + 1, reply, sizeof(reply), &len, 10),
			 -EINVAL);
	assert_true(vmm_service_answered(vm->svc) >= 6);
	free(a);
	stop_vm(vm);
}

static void test_service_reports_sim(void **state)
{
	(void)state;
	reports_on(VMM_BACKEND_SIM);
}

#ifdef SNPEMU_HAVE_TCG
static void test_service_reports_tcg(void **state)
{
	(void)state;
	reports_on(VMM_BACKEND_TCG);
}
#endif

/* kvm where /dev/kvm runs guests (skipped elsewhere, as every kvm test). */
static void test_service_reports_kvm(void **state)
{
	(void)state;
	enum vmm_backend_kind kind;
	bool elf;
	FILE *quiet = fopen("/dev/null", "w");
	int rc = vmm_backend_resolve(VMM_BACKEND_KVM, quiet, &kind, &elf);
	if (quiet)
		fclose(quiet);
	if (rc) {
		fprintf(stderr, "skip kvm: /dev/kvm does not run guests here\n");
		skip();
	}
	reports_on(VMM_BACKEND_KVM);
}

struct caller {
	struct served_vm *vm;
	uint8_t fill;
	int failures;
};

static void *caller_thread(void *arg)
{
	struct caller *c = arg;
	struct answer *a = malloc(sizeof(*a));
	for (int i = 0; a && i < 5; i++) {
		if (ask(c->vm, i % 4, 0, c->fill, a) || a->hdr.result != SNPEMU_TSM_OK ||
		    a->body[SNP_REPORT_OFF_REPORT_DATA] != c->fill || a->body[SNP_REPORT_OFF_VMPL] != i % 4)
			c->failures++;
	}
	free(a);
	return NULL;
}

/* Four threads at once: every one gets its own report back. */
static void test_service_concurrent_callers(void **state)
{
	(void)state;
	struct served_vm *vm = start_vm(VMM_BACKEND_SIM, "tsmd", 0, NULL);
	struct caller c[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (struct caller){.vm = vm, .fill = (uint8_t)(0x40 + i)};
		assert_int_equal(pthread_create(&t[i], NULL, caller_thread, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(c[i].failures, 0);
	}
	assert_int_equal(vmm_service_answered(vm->svc), 20);
	stop_vm(vm);
}

/* The rate limit answers BUSY past one request per 1000 s: the guest resends for its 300 ms budget, then fails the
 * request and disables the VMPCK, as Linux does; later requests fail at once, without a guest request. */
static void busy_disables_vmpck_on(enum vmm_backend_kind backend)
{
	struct served_vm *vm = start_vm(backend, "tsmd", 0.001, "300");
	struct answer *a = calloc(1, sizeof(*a));
	assert_non_null(a);
	assert_int_equal(ask(vm, 0, 0, 1, a), 0);
	check_report(a, 0, 1);
	assert_int_equal(ask(vm, 0, 0, 2, a), 0);
	assert_int_equal(a->hdr.result, SNPEMU_TSM_FAILED);
	uint32_t requests = a->hdr.requests;
	assert_int_equal(ask(vm, 0, SNPEMU_TSM_REQ_CERTS, 3, a), 0);
	assert_int_equal(a->hdr.result, SNPEMU_TSM_DISABLED);
	assert_int_equal(a->hdr.report_len, 0);
	assert_int_equal(ask(vm, 0, 0, 3, a), 0);
	assert_int_equal(a->hdr.result, SNPEMU_TSM_DISABLED);
	assert_int_equal(a->hdr.requests, requests); /* refused without a guest request */
	free(a);
	stop_vm(vm);
}

static void test_service_busy_disables_vmpck(void **state)
{
	(void)state;
	busy_disables_vmpck_on(VMM_BACKEND_SIM);
#ifdef SNPEMU_HAVE_TCG
	busy_disables_vmpck_on(VMM_BACKEND_TCG);
#endif
}

/* A call that times out before the program takes it is withdrawn; the channel then serves the next one. */
static void test_service_timeout_and_end(void **state)
{
	(void)state;
	struct vmm_service *svc;
	assert_int_equal(vmm_service_new(&svc), 0);
	uint8_t req[4] = {0}, reply[8];
	size_t len;
	assert_int_equal(vmm_service_call(svc, req, sizeof(req), reply, sizeof(reply), &len, 30), -ETIMEDOUT);
	assert_int_equal(vmm_service_call(svc, req, sizeof(req), reply, sizeof(reply), &len, 30), -ETIMEDOUT);
	vmm_service_close(svc);
	assert_int_equal(vmm_service_call(svc, req, sizeof(req), reply, sizeof(reply), &len, 30), -EPIPE);
	vmm_service_free(svc);

	/* A program that does not serve (hello) ends its run: a call waiting then, or made after, fails -EPIPE. */
	struct served_vm *vm = start_vm(VMM_BACKEND_SIM, "hello", 0, NULL);
	assert_int_equal(vmm_service_wait_ready(vm->svc, CALL_TIMEOUT_MS), -EPIPE);
	assert_int_equal(vmm_service_call(vm->svc, req, sizeof(req), reply, sizeof(reply), &len, CALL_TIMEOUT_MS),
			 -EPIPE);
	pthread_join(vm->thread, NULL);
	fclose(vm->console);
	assert_int_equal(vm->rc, 0);
	assert_int_equal(vm->res.status, 0);
	vmm_service_free(vm->svc);
	free(vm->out);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_service_reports_sim),
#ifdef SNPEMU_HAVE_TCG
	    cmocka_unit_test(test_service_reports_tcg),
#endif
	    cmocka_unit_test(test_service_reports_kvm),		cmocka_unit_test(test_service_concurrent_callers),
	    cmocka_unit_test(test_service_busy_disables_vmpck), cmocka_unit_test(test_service_timeout_and_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

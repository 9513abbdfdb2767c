/* SPDX-License-Identifier: MIT */
/*
 * The guest-program cases the x86 backends (kvm, tcg) share: one table, one runner.  Each row is a program run (or
 * a whole check) with the outcome every x86 backend must give: exit status, console lines, result fields.  A
 * suite turns the table into cmocka tests on its backend with program_case_tests(); the kvm rows skip with one line
 * where /dev/kvm cannot run guests.  What only one backend has stays in its suite (test_programs_kvm.c,
 * test_programs_tcg.c).
 */
#include <assert.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/hv.h>
#include <snpemu/vmm.h>

#include "vmm/kvm.h"

#include "program_run.h"

/* Under TSan the storm's vCPU threads write the one shared response page in turn, serialised by the guest's own
 * lock, which on kvm runs inside KVM where TSan cannot see it: a race to TSan, not to the guest. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#endif

#define CASE_LINES 5

struct program_case {
	const char *name;
	/* a program run ... */
	const char *program;
	uint32_t vm_type, vcpus;
	void (*tweak)(struct vmm_config *);
	int status;			   /* the run's exit status */
	const char *lines[CASE_LINES];	   /* console lines it must print */
	bool no_fail;			   /* and no "FAIL" anywhere */
	void (*check)(const struct run *); /* further checks on the result, or NULL */
	bool kvm_tsan_blind;		   /* skipped on kvm under TSan (see UNDER_TSAN) */
	/* ... or a check of its own (program NULL) */
	void (*body)(enum vmm_backend_kind backend);
};

static void check_not_launched(const struct run *r)
{
	assert_false(r->res.launched);
	assert_true(r->res.vmgexits >= 15);
}

/* The image is the program's ELF, measured page by page: not the sim's one-page image, and the same ELF gives the
 * same measurement again. */
static void hello_snp_measured(enum vmm_backend_kind backend)
{
	struct run *r = run_program("hello", backend, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "hello from a SEV-SNP guest");
	expect_line(r, "SEV_STATUS 0x7\n");
	expect_line(r, "launch measurement: ");
	expect_line(r, "hello: all checks passed");
	assert_true(r->res.launched);
	struct run *s = run_program("hello", VMM_BACKEND_SIM, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(s->res.status, 0);
	assert_memory_not_equal(r->res.measurement, s->res.measurement, 48);
	free_run(s);
	struct run *again = run_program("hello", backend, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(again->rc, 0);
	assert_memory_equal(r->res.measurement, again->res.measurement, 48);
	free_run(again);
	free_run(r);
}

static void check_attest(const struct run *r)
{
	check_report_data(r); /* the launch measurement and our REPORT_DATA */
	assert_true(r->res.fw_requests >= 4);
}

/* attest's four requests (report, the key twice, TSC info) under 2 per second: the guest library's BUSY back-off
 * (20 ms here) waits in host time (the runtime idles through SNPEMU_PORT_IDLE; on tcg a TSC spin would pass in
 * virtual time, 1 ms per RDTSC, and the guest would give up after its 500 retries in a few ms).  About 1.5 s:
 * some 75 BUSY answers, far fewer than the 500 a spin would burn through. */
static void check_rate_limited(const struct run *r)
{
	assert_int_equal(r->res.fw_requests, 4);
	assert_true(r->res.busy_answers >= 1 && r->res.busy_answers < 300);
}

static void check_storm(const struct run *r)
{
	assert_int_equal(r->res.fw_requests, 40);
}

/* Every vCPU terminates at once: the status matches the winner's reason. */
static void check_terminate(const struct run *r)
{
	assert_true(r->res.terminated);
	assert_int_equal(r->res.term_set, r->res.term_code & 1);
	assert_int_equal(r->res.status, 64 + (int)(r->res.term_set << 4 | r->res.term_code));
}

/* error 0x6: a write (bit 1) at CPL 3 (bit 2, the programs run there) to a page not present (bit 0 clear), at a
 * RIP inside the image. */
static void check_fault_rip(const struct run *r)
{
	assert_null(strstr(r->out, "did not fault"));
	const char *at = strstr(r->out, "at rip 0x");
	assert_non_null(at);
	unsigned long long rip = strtoull(at + strlen("at rip 0x"), NULL, 16);
	assert_in_range(rip, 0x100000, 0x1000000 - 1);
}

static void check_failed(const struct run *r)
{
	assert_int_not_equal(r->res.status, 0);
}

static void check_memory_fault(const struct run *r)
{
	assert_true(r->res.memory_fault);
}

static void big_mem(struct vmm_config *cfg)
{
	cfg->mem_size = 8ull << 30;
}

/* RAM beyond what the x86 backends map (four page directories of 2 MiB pages) is refused before anything runs. */
static void too_much_ram(enum vmm_backend_kind backend)
{
	char want[96];
	snprintf(want, sizeof(want), "the %s backend supports at most 4096 MiB of RAM", vmm_backend_name(backend));
	struct run *r = run_program("hello", backend, HV_VM_TYPE_SNP, 1, big_mem);
	assert_int_equal(r->rc, -22); /* -EINVAL */
	expect_line(r, want);
	free_run(r);
}

#define ES  HV_VM_TYPE_SEV_ES
#define SNP HV_VM_TYPE_SNP

static const struct program_case cases[] = {
    {.name = "hello_sev_es",
     .program = "hello",
     .vm_type = ES,
     .lines = {"hello from a SEV-ES guest: GHCB protocol 2", "vendor AuthenticAMD", "SEV_STATUS 0x3\n",
	       "hello: all checks passed"},
     .check = check_not_launched},
    {.name = "hello_snp", .body = hello_snp_measured},
    {.name = "hostile", .program = "hostile", .vm_type = SNP, .lines = {"ok   the guest still runs"}, .no_fail = true},
    {.name = "hostile_sev_es", .program = "hostile", .vm_type = ES, .lines = {"hostile: 16/16 malformed requests"}},
    {.name = "hostile_ghcb_msr", .body = check_hostile_ghcb_msrs},
    {.name = "attest",
     .program = "attest",
     .vm_type = SNP,
     .tweak = tweak_report_data,
     .lines = {"attest: done"},
     .check = check_attest},
    {.name = "attest_ext",
     .program = "attest",
     .vm_type = SNP,
     .tweak = tweak_attest_ext,
     .lines = {"certificates: 3 in the table"}},
    {.name = "attest_rate_limited",
     .program = "attest",
     .vm_type = SNP,
     .tweak = tweak_rate_2_per_s,
     .lines = {"attest: done"},
     .no_fail = true,
     .check = check_rate_limited},
    /* PVALIDATE of the whole RAM at boot, then the page-state changes */
    {.name = "psc",
     .program = "psc",
     .vm_type = SNP,
     .lines = {"2 MiB entries: 1024 pages", "4 KiB entries: 300 pages",
	       "MAP_GPA_RANGE: one page shared and back to private", "psc: all checks passed"}},
    /* The APs start from the VMSAs the runtime builds (RIP, RDI = the AP's index, RSI = the boot argument): an AP
     * started with the wrong index would run the BSP's program and the join would fail. */
    {.name = "smp",
     .program = "smp",
     .vm_type = SNP,
     .vcpus = 4,
     .lines = {"BSP started 3 APs", "AP 3 running", "smp: 4 vCPUs did their work and joined"}},
    /* Four vCPUs hammer the rate limit. */
    {.name = "storm",
     .program = "storm",
     .vm_type = SNP,
     .vcpus = 4,
     .tweak = tweak_storm_limited,
     .lines = {"storm: 4 vCPUs sent 40 report requests, 40 answered with a valid report"},
     .check = check_storm,
     .kvm_tsan_blind = true},
    {.name = "terminate", .program = "terminate", .vm_type = SNP, .vcpus = 4, .status = -1, .check = check_terminate},
    /* A null write: #PF with vector, error code, RIP and CR2. */
    {.name = "fault",
     .program = "fault",
     .vm_type = SNP,
     .status = 128 + 14,
     .lines = {"fault: writing through a null pointer",
	       "guest exception on vCPU 0: exception #PF (14) error 0x6 at rip 0x", "cr2 0x0;"},
     .check = check_fault_rip},
    {.name = "fault_sev_es",
     .program = "fault",
     .vm_type = ES,
     .status = -1,
     .lines = {"exception #PF (14)"},
     .check = check_failed},
    {.name = "memfault",
     .program = "memfault",
     .vm_type = SNP,
     .status = 126,
     .lines = {"memory fault on vCPU 0: gpa 0x1020000 size 0x1000 flags 0x8 (private); stopping the VM"},
     .no_fail = true,
     .check = check_memory_fault},
    {.name = "too_much_ram", .body = too_much_ram},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))
_Static_assert(NCASES <= PROGRAM_CASES_MAX, "program_run.h: PROGRAM_CASES_MAX");

void require_backend(enum vmm_backend_kind backend)
{
	if (backend != VMM_BACKEND_KVM)
		return;
	static int probed = -1; /* one probe per process */
	static char why[VMM_KVM_REASON_LEN];
	if (probed < 0)
		probed = vmm_kvm_probe(why, sizeof(why)) == 0;
	if (!probed) {
		print_message("[ SKIP     ] %s\n", why);
		skip();
	}
}

struct case_state {
	const struct program_case *c;
	enum vmm_backend_kind backend;
};

static void run_case(void **state)
{
	const struct case_state *cs = *state;
	const struct program_case *c = cs->c;
	require_backend(cs->backend);
#ifdef UNDER_TSAN
	if (c->kvm_tsan_blind && cs->backend == VMM_BACKEND_KVM) {
		print_message(
		    "[ SKIP     ] under TSan: the guest's lock serialising the shared request pages is invisible "
		    "to it\n");
		skip();
	}
#endif
	if (c->body) {
		c->body(cs->backend);
		return;
	}
	struct run *r = run_program(c->program, cs->backend, c->vm_type, c->vcpus ? c->vcpus : 1, c->tweak);
	if (r->rc)
		fprintf(stderr, "%s", r->out);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.backend, cs->backend);
	char banner[32];
	snprintf(banner, sizeof(banner), "backend %s", vmm_backend_name(cs->backend));
	expect_line(r, banner);
	if (c->status >= 0)
		assert_int_equal(r->res.status, c->status);
	for (size_t i = 0; i < CASE_LINES && c->lines[i]; i++)
		expect_line(r, c->lines[i]);
	if (c->no_fail)
		assert_null(strstr(r->out, "FAIL"));
	if (c->check)
		c->check(r);
	free_run(r);
}

size_t program_case_tests(enum vmm_backend_kind backend, struct CMUnitTest *tests, size_t cap)
{
	static struct case_state states[2][NCASES];
	static char names[2][NCASES][48];
	const unsigned int b = backend == VMM_BACKEND_KVM ? 0 : 1;
	size_t n = 0;
	for (; n < NCASES && n < cap; n++) {
		states[b][n] = (struct case_state){&cases[n], backend};
		snprintf(names[b][n], sizeof(names[b][n]), "test_%s_%s", vmm_backend_name(backend), cases[n].name);
		tests[n] =
		    (struct CMUnitTest){.name = names[b][n], .test_func = run_case, .initial_state = &states[b][n]};
	}
	assert(n == NCASES); /* the caller's array holds the table */
	return n;
}

/* SPDX-License-Identifier: MIT */
/*
 * Every guest program on the tcg backend (Unicorn) through vmm_run(), with the outcomes the sim and kvm suites
 * assert: exit status, console lines, the report against the launch measurement.  The programs run the guest
 * library's `snp` platform here, the real SNP instructions (rep vmmcall, pvalidate, the GHCB MSR by rdmsr/wrmsr), so
 * these tests are the ones that run that platform.  Plus: faults reported with vector, error code and RIP; `auto`
 * picking tcg where /dev/kvm cannot run guests; two runs with one vCPU giving the same console, counts and report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/report.h>
#include <snpemu/hv.h>
#include <snpemu/vmm.h>

#include "vmm/kvm.h"

#include "program_run.h"

static struct run *run_tcg(const char *program, uint32_t vm_type, uint32_t vcpus, void (*tweak)(struct vmm_config *))
{
	struct run *r = run_program(program, VMM_BACKEND_TCG, vm_type, vcpus, tweak);
	if (r->rc)
		fprintf(stderr, "%s", r->out);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.backend, VMM_BACKEND_TCG);
	return r;
}

static void test_tcg_hello(void **state)
{
	(void)state;
	struct run *r = run_tcg("hello", HV_VM_TYPE_SEV_ES, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "backend tcg");
	expect_line(r, "hello from a SEV-ES guest: GHCB protocol 2");
	expect_line(r, "SEV_STATUS 0x3\n");
	expect_line(r, "hello: all checks passed");
	free_run(r);
	r = run_tcg("hello", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "hello from a SEV-SNP guest");
	expect_line(r, "SEV_STATUS 0x7\n");
	expect_line(r, "hello: all checks passed");
	assert_true(r->res.launched);
	/* the GHCB MSR is written with real WRMSRs, each trapped and served */
	assert_true(r->res.ghcb_msr_writes >= r->res.vmgexits);
	free_run(r);
}

static void test_tcg_hostile(void **state)
{
	(void)state;
	struct run *r = run_tcg("hostile", HV_VM_TYPE_SNP, 1, NULL);
	expect_line(r, "ok   the guest still runs");
	assert_null(strstr(r->out, "FAIL"));
	assert_int_equal(r->res.status, 0);
	free_run(r);
	check_hostile_ghcb_msrs(VMM_BACKEND_TCG);
}

/* A guest on the real-instruction platform attests end to end: the report carries the launch measurement and the
 * REPORT_DATA it asked for. */
static void test_tcg_attest(void **state)
{
	(void)state;
	struct run *r = run_tcg("attest", HV_VM_TYPE_SNP, 1, tweak_report_data);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "attest: done");
	check_report_data(r);
	assert_true(r->res.fw_requests >= 4);
	free_run(r);
}

static void test_tcg_attest_ext(void **state)
{
	(void)state;
	struct run *r = run_tcg("attest", HV_VM_TYPE_SNP, 1, tweak_attest_ext);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "certificates: 3 in the table");
	free_run(r);
}

/* PVALIDATE as the instruction: the whole RAM validated at boot, then the page-state changes. */
static void test_tcg_psc(void **state)
{
	(void)state;
	struct run *r = run_tcg("psc", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "2 MiB entries: 1024 pages");
	expect_line(r, "4 KiB entries: 300 pages");
	expect_line(r, "psc: all checks passed");
	free_run(r);
}

/* The APs start from the VMSAs the runtime builds (RIP, RDI = the AP's index, RSI = the boot argument): an AP
 * started with the wrong index would run the BSP's program and the join would fail. */
static void test_tcg_smp(void **state)
{
	(void)state;
	struct run *r = run_tcg("smp", HV_VM_TYPE_SNP, 4, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "BSP started 3 APs");
	expect_line(r, "smp: 4 vCPUs did their work and joined");
	free_run(r);
}

/* Four vCPUs hammer the rate limit: BUSY back-off runs on the virtual TSC. */
static void test_tcg_storm(void **state)
{
	(void)state;
	struct run *r = run_tcg("storm", HV_VM_TYPE_SNP, 4, tweak_storm_limited);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "storm: 4 vCPUs sent 40 report requests, 40 answered with a valid report");
	assert_int_equal(r->res.fw_requests, 40);
	free_run(r);
}

/* Every vCPU terminates at once after spinning on a shared counter without exits: the CPU lock's time slices let
 * the spinners through, and the status matches the winner's reason. */
static void test_tcg_terminate(void **state)
{
	(void)state;
	struct run *r = run_tcg("terminate", HV_VM_TYPE_SNP, 4, NULL);
	assert_true(r->res.terminated);
	assert_int_equal(r->res.term_set, r->res.term_code & 1);
	assert_int_equal(r->res.status, 64 + (int)(r->res.term_set << 4 | r->res.term_code));
	free_run(r);
}

/* A null write: #PF with vector, error code (write, user, not present) and RIP, as the kvm backend reports it. */
static void test_tcg_fault(void **state)
{
	(void)state;
	struct run *r = run_tcg("fault", HV_VM_TYPE_SNP, 1, NULL);
	expect_line(r, "fault: writing through a null pointer");
	expect_line(r, "guest exception on vCPU 0: exception #PF (14) error 0x6 at rip 0x");
	expect_line(r, "cr2 0x0;");
	const char *at = strstr(r->out, "at rip 0x");
	assert_non_null(at);
	unsigned long long rip = strtoull(at + strlen("at rip 0x"), NULL, 16);
	assert_in_range(rip, 0x100000, 0x1000000 - 1);
	assert_int_equal(r->res.status, 128 + 14);
	free_run(r);
}

static void test_tcg_memfault(void **state)
{
	(void)state;
	struct run *r = run_tcg("memfault", HV_VM_TYPE_SNP, 1, NULL);
	assert_true(r->res.memory_fault);
	assert_int_equal(r->res.status, 126);
	expect_line(r, "memory fault on vCPU 0: gpa 0x1020000 size 0x1000 flags 0x8 (private); stopping the VM");
	free_run(r);
}

/* auto: kvm where it runs guests, else tcg (never sim while tcg is built), saying which in one line. */
static void test_tcg_auto(void **state)
{
	(void)state;
	char reason[VMM_KVM_REASON_LEN];
	bool kvm = vmm_kvm_probe(reason, sizeof(reason)) == 0;
	struct run *r = run_program("hello", VMM_BACKEND_AUTO, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.status, 0);
	assert_int_not_equal(r->res.backend, VMM_BACKEND_SIM);
	if (!kvm) {
		assert_int_equal(r->res.backend, VMM_BACKEND_TCG);
		expect_line(r, "snpemu: backend auto: tcg (kvm: ");
	}
	free_run(r);
}

static void big_mem(struct vmm_config *cfg)
{
	cfg->mem_size = 8ull << 30;
}

static void test_tcg_errors(void **state)
{
	(void)state;
	struct run *r = run_program("hello", VMM_BACKEND_TCG, HV_VM_TYPE_SNP, 1, big_mem);
	assert_int_equal(r->rc, -22); /* -EINVAL */
	expect_line(r, "the tcg backend supports at most 4096 MiB of RAM");
	free_run(r);
}

static void vc_mode(struct vmm_config *cfg)
{
	cfg->vc = true;
}

static void vc_no_handler(struct vmm_config *cfg)
{
	static const char *const args[] = {"nohandler"};
	cfg->vc = true;
	cfg->args = args;
	cfg->nargs = 1;
}

/* --vc: CPUID, port IO and MSRs raise #VC in the guest, whose library handler serves them (guests/vc.c checks each
 * class); the string OUTs' bytes reach the export port in order. */
static void test_tcg_vc(void **state)
{
	(void)state;
	static const char exported[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ01";
	const uint32_t types[] = {HV_VM_TYPE_SNP, HV_VM_TYPE_SEV_ES};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct run *r = run_tcg("vc", types[i], 1, vc_mode);
		expect_line(r, "vc: CPUID ok (5 #VCs)");
		expect_line(r, "vc: console through OUT\n");
		expect_line(r, "vc: MSR ok (4 #VCs)");
		expect_line(r, "vc: all classes passed");
		assert_int_equal(r->res.status, 0);
		assert_int_equal(r->res.exported_len, sizeof(exported) - 1);
		assert_memory_equal(r->res.exported, exported, sizeof(exported) - 1);
		free_run(r);
	}
	/* without --vc the program says so and fails: the checks above ran through #VC */
	struct run *r = run_tcg("vc", HV_VM_TYPE_SNP, 1, NULL);
	expect_line(r, "vc: run me with --vc");
	assert_int_equal(r->res.status, 2);
	free_run(r);
}

/* A #VC with no handler (an IDT without vector 29) ends the run with the #VC, its exit code and RIP named. */
static void test_tcg_vc_no_handler(void **state)
{
	(void)state;
	struct run *r = run_tcg("vc", HV_VM_TYPE_SNP, 1, vc_no_handler);
	expect_line(r, "vc: no #VC handler; CPUID must end the run");
	expect_line(r, "guest exception on vCPU 0: exception #VC (29) error 0x72 at rip 0x");
	assert_null(strstr(r->out, "FAIL"));
	assert_int_equal(r->res.status, 128 + 29);
	free_run(r);
}

/* --vc exists only where #VC can be raised: refused with a reason on sim (and kvm). */
static void test_tcg_vc_refused(void **state)
{
	(void)state;
	struct run *r = run_program("hello", VMM_BACKEND_SIM, HV_VM_TYPE_SNP, 1, vc_mode);
	assert_int_equal(r->rc, -22); /* -EINVAL */
	expect_line(r, "snpemu: --vc needs the tcg backend (it raises #VC in guest code), not sim");
	free_run(r);
}

/* What two runs must share: the console without the summary line's wall-clock seconds. */
static void strip_times(char *out)
{
	char *s;
	while ((s = strstr(out, " s\n")) != NULL) {
		char *b = s;
		while (b > out && b[-1] != ' ')
			b--;
		memset(b, '_', (size_t)(s - b));
		s[1] = '_';
	}
}

/* Determinism: one vCPU, the same seed: the same console, exit counts and report bytes (the report is signed with
 * the seeded platform's key and carries the guest's own nonces and sequence numbers). */
static void test_tcg_deterministic(void **state)
{
	(void)state;
	struct run *a = run_tcg("attest", HV_VM_TYPE_SNP, 1, tweak_report_data);
	struct run *b = run_tcg("attest", HV_VM_TYPE_SNP, 1, tweak_report_data);
	assert_int_equal(a->res.status, 0);
	strip_times(a->out);
	strip_times(b->out);
	assert_string_equal(a->out, b->out);
	assert_int_equal(a->res.vmgexits, b->res.vmgexits);
	assert_int_equal(a->res.exits_to_vmm, b->res.exits_to_vmm);
	assert_int_equal(a->res.ghcb_msr_writes, b->res.ghcb_msr_writes);
	assert_int_equal(a->res.exported_len, b->res.exported_len);
	assert_memory_equal(a->res.exported, b->res.exported, a->res.exported_len);
	free_run(a);
	free_run(b);
}

/* The migrate program without a migration: its checks pass, and a page made stale behind its back fails them. */
static void test_tcg_migrate(void **state)
{
	(void)state;
	check_migrate(run_tcg("migrate", HV_VM_TYPE_SNP, 1, tweak_migrate));
	check_migrate_tamper(run_tcg("migrate", HV_VM_TYPE_SNP, 1, tweak_migrate_tamper));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcg_migrate),	   cmocka_unit_test(test_tcg_hello),
	    cmocka_unit_test(test_tcg_hostile),	   cmocka_unit_test(test_tcg_attest),
	    cmocka_unit_test(test_tcg_attest_ext), cmocka_unit_test(test_tcg_psc),
	    cmocka_unit_test(test_tcg_smp),	   cmocka_unit_test(test_tcg_storm),
	    cmocka_unit_test(test_tcg_terminate),  cmocka_unit_test(test_tcg_fault),
	    cmocka_unit_test(test_tcg_memfault),   cmocka_unit_test(test_tcg_auto),
	    cmocka_unit_test(test_tcg_errors),	   cmocka_unit_test(test_tcg_deterministic),
	    cmocka_unit_test(test_tcg_vc),	   cmocka_unit_test(test_tcg_vc_no_handler),
	    cmocka_unit_test(test_tcg_vc_refused),
	};
	return cmocka_run_group_tests_name("vmm/programs_tcg", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Every guest program runs on the sim backend through vmm_run(), with its outcome asserted: exit status, console
 * lines, exit counts, the report against the launch measurement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/report.h>
#include <snpemu/hv.h>
#include <snpemu/vmm.h>

#include <snpemu/programs.h>

#include "program_run.h"

static struct run *run_sim(const char *program, uint32_t vm_type, uint32_t vcpus, void (*tweak)(struct vmm_config *))
{
	return run_program(program, VMM_BACKEND_SIM, vm_type, vcpus, tweak);
}

static void test_hello_sev_es(void **state)
{
	(void)state;
	struct run *r = run_sim("hello", HV_VM_TYPE_SEV_ES, 1, NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "hello from a SEV-ES guest: GHCB protocol 2");
	expect_line(r, "vendor AuthenticAMD");
	expect_line(r, "SEV_STATUS 0x3\n");
	expect_line(r, "hello: all checks passed");
	assert_false(r->res.launched); /* SEV-ES: no SNP launch */
	assert_true(r->res.vmgexits >= 15);
	free_run(r);
}

static void test_hello_snp(void **state)
{
	(void)state;
	struct run *r = run_sim("hello", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "hello from a SEV-SNP guest");
	expect_line(r, "SEV_STATUS 0x7\n");
	expect_line(r, "launch measurement: ");
	assert_true(r->res.launched);
	free_run(r);
}

static void test_hostile(void **state)
{
	(void)state;
	struct run *r = run_sim("hostile", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, 0);
	expect_line(r, "ok   the guest still runs");
	assert_null(strstr(r->out, "FAIL"));
	assert_int_equal(r->res.status, 0);
	free_run(r);
	r = run_sim("hostile", HV_VM_TYPE_SEV_ES, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "hostile: 16/16 malformed requests");
	free_run(r);
}

/* Wrapping and out-of-range GHCB MSR values (issue 11): the engine's answer, and a VMM that stays up. */
static void test_hostile_ghcb_msr(void **state)
{
	(void)state;
	check_hostile_ghcb_msrs(VMM_BACKEND_SIM);
}

static void test_attest(void **state)
{
	(void)state;
	struct run *r = run_sim("attest", HV_VM_TYPE_SNP, 1, tweak_report_data);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "attest: done");
	/* The report carries the launch measurement and our REPORT_DATA. */
	check_report_data(r);
	assert_true(r->res.fw_requests >= 4); /* report, two keys, TSC info */
	free_run(r);
}

static void test_attest_ext(void **state)
{
	(void)state;
	struct run *r = run_sim("attest", HV_VM_TYPE_SNP, 1, tweak_attest_ext);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "certificates: 3 in the table");
	free_run(r);
}

static void test_psc(void **state)
{
	(void)state;
	struct run *r = run_sim("psc", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "2 MiB entries: 1024 pages");
	expect_line(r, "4 KiB entries: 300 pages");
	expect_line(r, "MAP_GPA_RANGE: one page shared and back to private");
	expect_line(r, "psc: all checks passed");
	/* Page state at the end: only the GHCB page is shared; every converted range came back private and
	 * validated.  Never validated: below the image, between the image page and the boot pages, and between the
	 * BSP VMSA and the first GHCB (the runtime validates from there up). */
	assert_int_equal(r->res.pages_shared, 1);
	assert_int_equal(r->res.pages_private,
			 (0x100000 + (0x1000000 - 0x101000) + (SNPEMU_GHCB_GPA(0) - SNPEMU_BSP_VMSA_GPA - 0x1000)) /
			     4096);
	assert_int_equal(r->res.pages_validated + r->res.pages_private + r->res.pages_shared + 1, (64u << 20) / 4096);
	assert_true(r->res.exits_to_vmm >= 6); /* at least the PSC HYPERCALL exits of three round trips */
	free_run(r);
}

static void test_smp(void **state)
{
	(void)state;
	struct run *r = run_sim("smp", HV_VM_TYPE_SNP, 4, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "BSP started 3 APs");
	expect_line(r, "AP 3 running");
	expect_line(r, "smp: 4 vCPUs did their work and joined");
	free_run(r);
}

static void test_storm(void **state)
{
	(void)state;
	struct run *r = run_sim("storm", HV_VM_TYPE_SNP, 4, tweak_storm_limited);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "storm: 4 vCPUs sent 40 report requests, 40 answered with a valid report");
	assert_int_equal(r->res.fw_requests, 40);
	free_run(r);
}

static void test_memfault(void **state)
{
	(void)state;
	struct run *r = run_sim("memfault", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, 0);
	assert_true(r->res.memory_fault);
	assert_int_equal(r->res.status, 126);
	expect_line(r, "memory fault on vCPU 0: gpa 0x1020000 size 0x1000 flags 0x8 (private); stopping the VM");
	assert_null(strstr(r->out, "FAIL"));
	free_run(r);
}

/* Several vCPUs terminate at once, each with its own reason: whichever wins, the status is the one its reason
 * gives and the console names it (the result is one record, set under the VM lock; run under TSan too). */
static void test_terminate_race(void **state)
{
	(void)state;
	uint32_t winners = 0;
	for (int round = 0; round < 12; round++) {
		struct run *r = run_sim("terminate", HV_VM_TYPE_SNP, 8, NULL);
		assert_int_equal(r->rc, 0);
		assert_true(r->res.terminated);
		assert_false(r->res.memory_fault);
		assert_in_range(r->res.term_code, 0, 7);
		assert_int_equal(r->res.term_set, r->res.term_code & 1);
		assert_int_equal(r->res.status, 64 + (int)(r->res.term_set << 4 | r->res.term_code));
		char line[96];
		snprintf(line, sizeof(line), "guest requested termination: set %u (%s), code %u", r->res.term_set,
			 r->res.term_set ? "Linux" : "general", r->res.term_code);
		expect_line(r, line);
		winners |= 1u << r->res.term_code;
		free_run(r);
	}
	print_message("terminate: vCPUs that won a round: 0x%x\n", winners);
}

static char trace_path[64];

static void traced(struct vmm_config *cfg)
{
	cfg->trace_file = trace_path;
	cfg->stats = true;
}

static void test_trace_and_stats(void **state)
{
	(void)state;
	snprintf(trace_path, sizeof(trace_path), "/tmp/snpemu-trace-%d.json", (int)getpid());
	struct run *r = run_sim("smp", HV_VM_TYPE_SNP, 3, traced);
	assert_int_equal(r->res.status, 0);
	/* --stats: one line per event kind with count and mean latency. */
	expect_line(r, "event                             count      mean ns");
	expect_line(r, "AP_CREATION");
	expect_line(r, "CPUID");
	/* --trace: Chrome trace-event JSON, a thread_name per vCPU and one X slice per VMGEXIT named by its code. */
	json_object *root = json_object_from_file(trace_path);
	assert_non_null(root);
	json_object *events;
	assert_true(json_object_object_get_ex(root, "traceEvents", &events));
	size_t n = json_object_array_length(events), slices = 0, names = 0, ap_creation = 0;
	uint64_t tids = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(events, i), *ph, *name, *tid;
		assert_true(json_object_object_get_ex(e, "ph", &ph) && json_object_object_get_ex(e, "name", &name) &&
			    json_object_object_get_ex(e, "tid", &tid));
		if (!strcmp(json_object_get_string(ph), "M")) {
			names++;
			continue;
		}
		slices++;
		tids |= 1ull << json_object_get_int(tid);
		ap_creation += !strcmp(json_object_get_string(name), "AP_CREATION");
	}
	assert_int_equal(names, 3);
	assert_int_equal(tids, 0x7); /* every vCPU has slices */
	assert_int_equal(ap_creation, 2);
	assert_int_equal(slices, r->res.vmgexits);
	json_object_put(root);
	remove(trace_path);
	free_run(r);
}

static void test_unknown_and_bad_config(void **state)
{
	(void)state;
	assert_null(snpemu_program_find("nosuch"));
	struct run *r = run_sim("nosuch", HV_VM_TYPE_SNP, 1, NULL); /* no program */
	assert_int_equal(r->rc, -22);
	expect_line(r, "no guest program to run");
	free_run(r);
	r = run_sim("hello", HV_VM_TYPE_SNP, 17, NULL);
	assert_int_equal(r->rc, -22);
	free_run(r);
}

/* The migrate program without a migration: its checks pass, and a page made stale behind its back fails them. */
static void test_migrate(void **state)
{
	(void)state;
	check_migrate(run_sim("migrate", HV_VM_TYPE_SNP, 1, tweak_migrate));
	check_migrate_tamper(run_sim("migrate", HV_VM_TYPE_SNP, 1, tweak_migrate_tamper));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migrate),
	    cmocka_unit_test(test_hello_sev_es),
	    cmocka_unit_test(test_hello_snp),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_hostile_ghcb_msr),
	    cmocka_unit_test(test_attest),
	    cmocka_unit_test(test_attest_ext),
	    cmocka_unit_test(test_psc),
	    cmocka_unit_test(test_smp),
	    cmocka_unit_test(test_storm),
	    cmocka_unit_test(test_unknown_and_bad_config),
	    cmocka_unit_test(test_trace_and_stats),
	    cmocka_unit_test(test_memfault),
	    cmocka_unit_test(test_terminate_race),
	};
	return cmocka_run_group_tests_name("vmm/programs", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Every guest program on the tcg backend (Unicorn) through vmm_run(): the cases every x86 backend shares
 * (program_cases.c: exit status, console lines, the report against the launch measurement, faults with vector,
 * error code and RIP), which here run the guest library's `snp` platform, the real SNP instructions (rep vmmcall,
 * pvalidate, the GHCB MSR by rdmsr/wrmsr).  Plus what only tcg has: the GHCB MSR by real WRMSRs; `auto` picking
 * tcg where /dev/kvm cannot run guests; two runs with one vCPU giving the same console, counts and report; #VC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* The snp platform writes the GHCB MSR with real WRMSRs, each trapped and served: at least one per VMGEXIT. */
static void test_tcg_ghcb_msr_wrmsr(void **state)
{
	(void)state;
	struct run *r = run_tcg("hello", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "hello: all checks passed");
	assert_true(r->res.ghcb_msr_writes >= r->res.vmgexits);
	free_run(r);
}

/* auto: kvm where it runs guests (saying so in one line), else tcg (never sim while tcg is built). */
static void test_tcg_auto(void **state)
{
	(void)state;
	char reason[VMM_KVM_REASON_LEN];
	bool kvm = vmm_kvm_probe(reason, sizeof(reason)) == 0;
	struct run *r = run_program("hello", VMM_BACKEND_AUTO, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.status, 0);
	assert_int_equal(r->res.backend, kvm ? VMM_BACKEND_KVM : VMM_BACKEND_TCG);
	expect_line(r, kvm ? "snpemu: backend auto: kvm" : "snpemu: backend auto: tcg (kvm: ");
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
 * class, a #VC with the GHCB in use, and with 3 vCPUs every AP's own #VCs); the string OUTs' bytes reach the export
 * port in order. */
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
		expect_line(r, "vc: nested #VC ok (GHCB kept)");
		expect_line(r, "vc: all classes passed");
		assert_int_equal(r->res.status, 0);
		assert_int_equal(r->res.exported_len, sizeof(exported) - 1);
		assert_memory_equal(r->res.exported, exported, sizeof(exported) - 1);
		free_run(r);
	}
	/* every AP takes its own #VCs on its own GHCB and handler context (SNP: AP creation) */
	struct run *smp = run_tcg("vc", HV_VM_TYPE_SNP, 3, vc_mode);
	expect_line(smp, "vc: 2 APs served their own #VCs");
	expect_line(smp, "vc: all classes passed");
	assert_int_equal(smp->res.status, 0);
	free_run(smp);
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

/* Two trace files, one per run of the determinism test. */
static char trace_paths[2][64];
static unsigned int trace_next;

static void tweak_report_data_traced(struct vmm_config *cfg)
{
	tweak_report_data(cfg);
	cfg->trace_file = trace_paths[trace_next++ % 2];
}

/* The bytes of a file (NUL-terminated; *len without the NUL), or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	if (f && fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = calloc(1, (size_t)n + 1)) &&
		    fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n > 0 ? (size_t)n : 0;
	}
	if (f)
		fclose(f);
	return buf;
}

/* Determinism: one vCPU, the same seed: the same console, exit counts, report bytes (the report is signed with the
 * seeded platform's key and carries the guest's own nonces and sequence numbers) and --trace bytes (tcg traces run
 * on the virtual TSC, and say so). */
static void test_tcg_deterministic(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		snprintf(trace_paths[i], sizeof(trace_paths[i]), "/tmp/snpemu_tcg_trace_XXXXXX");
		int fd = mkstemp(trace_paths[i]);
		assert_true(fd >= 0);
		close(fd);
	}
	trace_next = 0;
	struct run *a = run_tcg("attest", HV_VM_TYPE_SNP, 1, tweak_report_data_traced);
	struct run *b = run_tcg("attest", HV_VM_TYPE_SNP, 1, tweak_report_data_traced);
	size_t la = 0, lb = 0;
	char *ta = slurp(trace_paths[0], &la), *tb = slurp(trace_paths[1], &lb);
	unlink(trace_paths[0]);
	unlink(trace_paths[1]);
	assert_non_null(ta);
	assert_non_null(tb);
	assert_non_null(strstr(ta, "\"GUEST_REQUEST\""));
	assert_non_null(strstr(ta, "\"clock\":\"virtual\""));
	assert_int_equal(la, lb);
	assert_memory_equal(ta, tb, la);
	free(ta);
	free(tb);
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

static void tweak_migrate_wall_clock(struct vmm_config *cfg)
{
	static const char *const args[] = {"--ms", "300", "--mem", "4M", "--dirty-mbps", "16", "--wall-clock"};
	cfg->args = args;
	cfg->nargs = 7;
}

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --wall-clock paces the migrate program by the VMM's TSC MSR, so its 300 ms are at least 300 ms of wall time
 * (tcg's own clock would end them as soon as 300 reads were made), and 16 MiB/s of it rewrite 4.8 MiB. */
static void test_tcg_migrate_wall_clock(void **state)
{
	(void)state;
	double t0 = monotonic_s();
	struct run *r = run_tcg("migrate", HV_VM_TYPE_SNP, 1, tweak_migrate_wall_clock);
	double wall = monotonic_s() - t0;
	assert_int_equal(r->res.status, 0);
	assert_true(wall >= 0.3);
	/* At least the 4.8 MiB of 300 ms; the last step may write more, up to its own clock reading (a slow step
	 * under a sanitizer on a loaded machine overshoots): bounded by 1 s of the rate. */
	const char *ok = strstr(r->out, "migrate: ok: ");
	assert_non_null(ok);
	unsigned long mib = strtoul(ok + strlen("migrate: ok: "), NULL, 10);
	if (mib < 4 || mib > 16)
		fail_msg("%lu MiB rewritten for 300 ms at 16 MiB/s", mib);
	expect_line(r, "reports before and after agree");
	free_run(r);
}

int main(void)
{
	const struct CMUnitTest own[] = {
	    cmocka_unit_test(test_tcg_ghcb_msr_wrmsr), cmocka_unit_test(test_tcg_auto),
	    cmocka_unit_test(test_tcg_deterministic),  cmocka_unit_test(test_tcg_vc),
	    cmocka_unit_test(test_tcg_vc_no_handler),  cmocka_unit_test(test_tcg_vc_refused),
	    cmocka_unit_test(test_tcg_migrate),	       cmocka_unit_test(test_tcg_migrate_wall_clock),
	};
	struct CMUnitTest tests[PROGRAM_CASES_MAX + sizeof(own) / sizeof(own[0])];
	size_t n = program_case_tests(VMM_BACKEND_TCG, tests, PROGRAM_CASES_MAX);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		tests[n++] = own[i];
	return _cmocka_run_group_tests("vmm/programs_tcg", tests, n, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Every guest program on the kvm backend through vmm_run(), with the outcomes test_programs.c asserts on sim: exit
 * status, console lines, the report against the launch measurement.  Plus what only kvm has: a guest that faults
 * is reported with its vector and RIP and ends with a non-zero status; `auto` picks kvm where it works.
 *
 * Where /dev/kvm cannot run guests, every test prints one skip line (cmocka skip()).  Guest code uses general
 * registers only (the guest library's AES-GCM included), so every program runs wherever the probe guest does.
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
#include "vmm/vmm_internal.h"

#include "guest_test.h"
#include <snpemu/programs.h>

#include "program_run.h"

struct kvm_host {
	bool usable;
	char reason[VMM_KVM_REASON_LEN];
};

static int setup(void **state)
{
	struct kvm_host *h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	h->usable = vmm_kvm_probe(h->reason, sizeof(h->reason)) == 0;
	print_message("kvm backend: %s\n", h->usable ? "usable" : h->reason);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

#define REQUIRE_KVM(state)                                              \
	do {                                                            \
		const struct kvm_host *h_ = *(state);                   \
		if (!h_->usable) {                                      \
			print_message("[ SKIP     ] %s\n", h_->reason); \
			skip();                                         \
		}                                                       \
	} while (0)

static struct run *run_kvm(const char *program, uint32_t vm_type, uint32_t vcpus, void (*tweak)(struct vmm_config *))
{
	struct run *r = run_program(program, VMM_BACKEND_KVM, vm_type, vcpus, tweak);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.backend, VMM_BACKEND_KVM);
	return r;
}

static void test_kvm_hello_sev_es(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("hello", HV_VM_TYPE_SEV_ES, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "backend kvm");
	expect_line(r, "hello from a SEV-ES guest: GHCB protocol 2");
	expect_line(r, "vendor AuthenticAMD");
	expect_line(r, "SEV_STATUS 0x3\n");
	expect_line(r, "hello: all checks passed");
	assert_false(r->res.launched);
	assert_true(r->res.vmgexits >= 15);
	free_run(r);
}

static void test_kvm_hello_snp(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("hello", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "hello from a SEV-SNP guest");
	expect_line(r, "SEV_STATUS 0x7\n");
	expect_line(r, "launch measurement: ");
	assert_true(r->res.launched);
	/* The kvm image is the program's ELF, measured page by page: not the sim's one-page image. */
	struct run *s = run_program("hello", VMM_BACKEND_SIM, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(s->res.status, 0);
	assert_memory_not_equal(r->res.measurement, s->res.measurement, 48);
	free_run(s);
	/* ... and the same ELF gives the same measurement again. */
	struct run *again = run_kvm("hello", HV_VM_TYPE_SNP, 1, NULL);
	assert_memory_equal(r->res.measurement, again->res.measurement, 48);
	free_run(again);
	free_run(r);
}

static void test_kvm_hostile(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("hostile", HV_VM_TYPE_SNP, 1, NULL);
	expect_line(r, "ok   the guest still runs");
	assert_null(strstr(r->out, "FAIL"));
	assert_int_equal(r->res.status, 0);
	free_run(r);
	r = run_kvm("hostile", HV_VM_TYPE_SEV_ES, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "hostile: 16/16 malformed requests");
	free_run(r);
}

static void test_kvm_hostile_ghcb_msr(void **state)
{
	REQUIRE_KVM(state);
	check_hostile_ghcb_msrs(VMM_BACKEND_KVM);
}

static void test_kvm_attest(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("attest", HV_VM_TYPE_SNP, 1, tweak_report_data);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "attest: done");
	/* The report carries the launch measurement and our REPORT_DATA. */
	check_report_data(r);
	assert_true(r->res.fw_requests >= 4);
	free_run(r);
}

static void test_kvm_attest_ext(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("attest", HV_VM_TYPE_SNP, 1, tweak_attest_ext);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "certificates: 3 in the table");
	free_run(r);
}

static void test_kvm_psc(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("psc", HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "2 MiB entries: 1024 pages");
	expect_line(r, "4 KiB entries: 300 pages");
	expect_line(r, "MAP_GPA_RANGE: one page shared and back to private");
	expect_line(r, "psc: all checks passed");
	free_run(r);
}

static void test_kvm_smp(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("smp", HV_VM_TYPE_SNP, 4, NULL);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "BSP started 3 APs");
	expect_line(r, "AP 3 running");
	expect_line(r, "smp: 4 vCPUs did their work and joined");
	free_run(r);
}

/* Under TSan the storm's vCPU threads write the one shared response page in turn, serialised by the guest's own
 * lock, which runs inside KVM where TSan cannot see it: a race to TSan, not to the guest. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#endif

static void test_kvm_storm(void **state)
{
	REQUIRE_KVM(state);
#ifdef UNDER_TSAN
	print_message(
	    "[ SKIP     ] under TSan: the guest's lock serialising the shared request pages is invisible to it\n");
	skip();
#endif
	struct run *r = run_kvm("storm", HV_VM_TYPE_SNP, 4, tweak_storm_limited);
	assert_int_equal(r->res.status, 0);
	expect_line(r, "storm: 4 vCPUs sent 40 report requests, 40 answered with a valid report");
	assert_int_equal(r->res.fw_requests, 40);
	free_run(r);
}

/*
 * The kvm platform writes the GHCB MSR only when its value changes (guest.h, struct gst_kvm_platform): `bench`
 * runs BENCH_WARMUP rounds of NAE CPUID + MSR-protocol CPUID, then 500 NAE CPUIDs in a row, then 500 MSR-protocol
 * CPUIDs.  The 500 NAEs in a row cost one WRMSR (the first; the MSR still holds the GHCB GPA for the other 499),
 * where the sim platform, which writes before every VMGEXIT as Linux does, issues 500; each MSR-protocol request
 * is still written (the hypervisor's answer replaced the last value) and its response read correctly, or the
 * program would fail (gst_msr_exchange checks every response code).
 */
#define BENCH_ROUNDS 500u /* guests/bench.c */

static void test_kvm_ghcb_msr_cache(void **state)
{
	REQUIRE_KVM(state);
	struct run *k = run_kvm("bench", HV_VM_TYPE_SNP, 1, NULL);
	struct run *s = run_program("bench", VMM_BACKEND_SIM, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(k->res.status, 0);
	assert_int_equal(s->res.status, 0);
	expect_line(k, "bench: NAE CPUID ");
	print_message("GHCB MSR writes: kvm %llu, sim %llu\n", (unsigned long long)k->res.ghcb_msr_writes,
		      (unsigned long long)s->res.ghcb_msr_writes);
	assert_true(k->res.ghcb_msr_writes >= BENCH_ROUNDS); /* every MSR-protocol request */
	assert_true(s->res.ghcb_msr_writes >= 2 * BENCH_ROUNDS);
	assert_true(k->res.ghcb_msr_writes <= s->res.ghcb_msr_writes - (BENCH_ROUNDS - 1));
	free_run(k);
	free_run(s);
}

/* A null dereference: #PF reported with its vector, error code, RIP in the image and CR2 0; status non-zero. */
static void test_kvm_fault(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("fault", HV_VM_TYPE_SNP, 1, NULL);
	expect_line(r, "fault: writing through a null pointer");
	/* error 0x6: a write (bit 1) at CPL 3 (bit 2, the programs run there) to a page not present (bit 0 clear) */
	expect_line(r, "guest exception on vCPU 0: exception #PF (14) error 0x6 at rip 0x");
	expect_line(r, "cr2 0x0;");
	assert_null(strstr(r->out, "did not fault"));
	const char *at = strstr(r->out, "at rip 0x");
	assert_non_null(at);
	unsigned long long rip = strtoull(at + strlen("at rip 0x"), NULL, 16);
	assert_in_range(rip, 0x100000, 0x1000000 - 1);
	assert_int_equal(r->res.status, 128 + 14);
	free_run(r);
	/* SEV-ES too (no launch). */
	r = run_kvm("fault", HV_VM_TYPE_SEV_ES, 1, NULL);
	expect_line(r, "exception #PF (14)");
	assert_int_not_equal(r->res.status, 0);
	free_run(r);
}

static void test_kvm_memfault(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_kvm("memfault", HV_VM_TYPE_SNP, 1, NULL);
	assert_true(r->res.memory_fault);
	assert_int_equal(r->res.status, 126);
	expect_line(r, "memory fault on vCPU 0: gpa 0x1020000 size 0x1000 flags 0x8 (private); stopping the VM");
	assert_null(strstr(r->out, "FAIL"));
	free_run(r);
}

/* auto picks kvm where the probe works, and says so in one line. */
static void test_kvm_auto(void **state)
{
	REQUIRE_KVM(state);
	struct run *r = run_program("hello", VMM_BACKEND_AUTO, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.status, 0);
	assert_int_equal(r->res.backend, VMM_BACKEND_KVM);
	expect_line(r, "snpemu: backend auto: kvm");
	free_run(r);
}

/* Errors: RAM beyond what the kvm backend maps; a kvm-only program on sim. */
static void big_mem(struct vmm_config *cfg)
{
	cfg->mem_size = 8ull << 30;
}

static void test_kvm_errors(void **state)
{
	struct run *r = run_program("fault", VMM_BACKEND_SIM, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, -19); /* -ENODEV */
	expect_line(r, "guest program 'fault' runs only on the kvm backend");
	free_run(r);
	REQUIRE_KVM(state);
	r = run_program("hello", VMM_BACKEND_KVM, HV_VM_TYPE_SNP, 1, big_mem);
	assert_int_equal(r->rc, -22); /* -EINVAL */
	expect_line(r, "the kvm backend supports at most 4096 MiB of RAM");
	free_run(r);
}

/* Every program of the registry has a kvm image that the loader accepts, linked at SNPEMU_IMAGE_GPA, below the boot
 * pages (no /dev/kvm needed). */
static void test_kvm_images(void **state)
{
	(void)state;
	unsigned int n = 0;
	for (const struct vmm_program *const *p = snpemu_programs(); *p; p++, n++) {
		size_t len = (*p)->elf_len;
		const uint8_t *image = (*p)->elf;
		if (!image)
			fprintf(stderr, "no kvm image for '%s' (guests/guests.mk GUEST_PROGRAMS)\n", (*p)->name);
		assert_non_null(image);
		struct vmm_kvm_elf_info info;
		assert_int_equal(vmm_kvm_elf_check(image, len, SNPEMU_IMAGE_GPA, SNPEMU_BOOT_INFO_GPA, &info),
				 VMM_KVM_ELF_OK);
		assert_int_equal(info.lowest, SNPEMU_IMAGE_GPA);
		assert_true(info.highest <= SNPEMU_BOOT_INFO_GPA);
	}
	assert_true(n >= 8);
	assert_null(snpemu_program_find("nosuch"));
}

/* The migrate program without a migration: its checks pass, and a page made stale behind its back fails them. */
static void test_kvm_migrate(void **state)
{
	REQUIRE_KVM(state);
	check_migrate(run_kvm("migrate", HV_VM_TYPE_SNP, 1, tweak_migrate));
	check_migrate_tamper(run_kvm("migrate", HV_VM_TYPE_SNP, 1, tweak_migrate_tamper));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kvm_migrate),
	    cmocka_unit_test(test_kvm_hello_sev_es),
	    cmocka_unit_test(test_kvm_hello_snp),
	    cmocka_unit_test(test_kvm_hostile),
	    cmocka_unit_test(test_kvm_hostile_ghcb_msr),
	    cmocka_unit_test(test_kvm_attest),
	    cmocka_unit_test(test_kvm_attest_ext),
	    cmocka_unit_test(test_kvm_psc),
	    cmocka_unit_test(test_kvm_smp),
	    cmocka_unit_test(test_kvm_storm),
	    cmocka_unit_test(test_kvm_fault),
	    cmocka_unit_test(test_kvm_memfault),
	    cmocka_unit_test(test_kvm_auto),
	    cmocka_unit_test(test_kvm_errors),
	    cmocka_unit_test(test_kvm_images),
	    cmocka_unit_test(test_kvm_ghcb_msr_cache),
	};
	return cmocka_run_group_tests_name("vmm/programs_kvm", tests, setup, teardown);
}

/* SPDX-License-Identifier: MIT */
/*
 * Every guest program on the kvm backend through vmm_run(): the cases every x86 backend shares (program_cases.c:
 * exit status, console lines, the report against the launch measurement, faults with vector, error code and RIP).
 * Plus what only kvm has: the kvm platform's GHCB MSR cache, every program's kvm image, and programs that need it.
 * (`auto` picking kvm is checked in test_programs_tcg.c, with its other branch.)
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

#define REQUIRE_KVM(state) ((void)(state), require_backend(VMM_BACKEND_KVM))

static struct run *run_kvm(const char *program, uint32_t vm_type, uint32_t vcpus, void (*tweak)(struct vmm_config *))
{
	struct run *r = run_program(program, VMM_BACKEND_KVM, vm_type, vcpus, tweak);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.backend, VMM_BACKEND_KVM);
	return r;
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

/* A program that needs the kvm backend's exceptions is refused on sim, naming the backend it needs. */
static void test_kvm_only_program_on_sim(void **state)
{
	(void)state;
	struct run *r = run_program("fault", VMM_BACKEND_SIM, HV_VM_TYPE_SNP, 1, NULL);
	assert_int_equal(r->rc, -19); /* -ENODEV */
	expect_line(r, "guest program 'fault' runs only on the kvm backend");
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
	const struct CMUnitTest own[] = {
	    cmocka_unit_test(test_kvm_only_program_on_sim),
	    cmocka_unit_test(test_kvm_migrate),
	    cmocka_unit_test(test_kvm_images),
	    cmocka_unit_test(test_kvm_ghcb_msr_cache),
	};
	struct CMUnitTest tests[PROGRAM_CASES_MAX + sizeof(own) / sizeof(own[0])];
	size_t n = program_case_tests(VMM_BACKEND_KVM, tests, PROGRAM_CASES_MAX);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		tests[n++] = own[i];
	char reason[VMM_KVM_REASON_LEN];
	print_message("kvm backend: %s\n", vmm_kvm_probe(reason, sizeof(reason)) == 0 ? "usable" : reason);
	return _cmocka_run_group_tests("vmm/programs_kvm", tests, n, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Running a guest program through vmm_run() in a test, with its console captured (shared by the sim and kvm
 * program suites). */
#ifndef SNPEMU_TESTS_PROGRAM_RUN_H
#define SNPEMU_TESTS_PROGRAM_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <snpemu/vmm.h>

struct run {
	struct vmm_result res;
	char *out; /* everything the VMM and the guest printed */
	size_t out_len;
	int rc; /* vmm_run's return value */
};

/* Run `program` on `backend` with a VM of `vm_type` and `vcpus`; `tweak` (may be NULL) edits the configuration. */
struct run *run_program(const char *program, enum vmm_backend_kind backend, uint32_t vm_type, uint32_t vcpus,
			void (*tweak)(struct vmm_config *));
void free_run(struct run *r);
/* Fail the test, showing the console, unless it holds `text`. */
void expect_line(const struct run *r, const char *text);

/* Configuration tweaks the program suites share: the attest program with REPORT_DATA a0 a1 ... df
 * (tweak_report_data; check_report_data asserts the exported report carries it and the launch measurement, which
 * the console names), the
 * attest program's extended request (tweak_attest_ext), the storm program under a 200/s rate limit with burst 2,
 * 10 requests per vCPU (tweak_storm_limited). */
void tweak_report_data(struct vmm_config *cfg);
/* A guest-request rate limit of 2 per second, burst 1 (tweak_rate_2_per_s). */
void tweak_rate_2_per_s(struct vmm_config *cfg);
void check_report_data(const struct run *r);
void tweak_attest_ext(struct vmm_config *cfg);
void tweak_storm_limited(struct vmm_config *cfg);
/* The migrate program, unmigrated: 300 ms over a 4 MiB region (tweak_migrate; check_migrate asserts its success
 * lines and the page state it leaves, and frees the run), and with --tamper, which must fail
 * (check_migrate_tamper). */
void tweak_migrate(struct vmm_config *cfg);
void check_migrate(struct run *r);
void tweak_migrate_tamper(struct vmm_config *cfg);
void check_migrate_tamper(struct run *r);

/* The ghcbmsr program with hostile GHCB MSR values on `backend` (SNP, 64 MiB): each run must end as the engine
 * documents (a MEMORY_FAULT stop naming the value, or the guest resuming) with the VMM alive. */
void check_hostile_ghcb_msrs(enum vmm_backend_kind backend);

/* The cases every x86 backend (kvm, tcg) must pass (program_cases.c): fills tests[0..] with one cmocka test per
 * case on `backend` (named test_<backend>_<case>; on kvm each skips with one line where /dev/kvm cannot run guests)
 * and returns how many; `cap` must hold PROGRAM_CASES_MAX.  Run them with _cmocka_run_group_tests(). */
#define PROGRAM_CASES_MAX 24
/* In a test: skip it with one line naming the reason where `backend` cannot run guests here (kvm without a usable
 * /dev/kvm). */
void require_backend(enum vmm_backend_kind backend);
struct CMUnitTest;
size_t program_case_tests(enum vmm_backend_kind backend, struct CMUnitTest *tests, size_t cap);

#endif

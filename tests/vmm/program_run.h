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

/* The ghcbmsr program with hostile GHCB MSR values on `backend` (SNP, 64 MiB): each run must end as the engine
 * documents (a MEMORY_FAULT stop naming the value, or the guest resuming) with the VMM alive. */
void check_hostile_ghcb_msrs(enum vmm_backend_kind backend);

#endif

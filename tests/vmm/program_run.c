/* SPDX-License-Identifier: MIT */
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
#include <snpemu/programs.h>

#include "program_run.h"

struct run *run_program(const char *program, enum vmm_backend_kind backend, uint32_t vm_type, uint32_t vcpus,
			void (*tweak)(struct vmm_config *))
{
	struct run *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	struct vmm_config cfg;
	vmm_config_default(&cfg);
	cfg.program = snpemu_program_find(program); /* NULL for an unknown name: vmm_run refuses it */
	cfg.backend = backend;
	cfg.vm_type = vm_type;
	cfg.vcpus = vcpus;
	FILE *out = open_memstream(&r->out, &r->out_len);
	assert_non_null(out);
	cfg.out = out;
	cfg.err = out;
	if (tweak)
		tweak(&cfg);
	r->rc = vmm_run(&cfg, &r->res);
	fclose(out);
	return r;
}

void free_run(struct run *r)
{
	free(r->out);
	free(r);
}

void expect_line(const struct run *r, const char *text)
{
	if (!strstr(r->out, text)) {
		fprintf(stderr, "--- console ---\n%s--- missing: %s\n", r->out, text);
		fail();
	}
}

static const char *ghcb_msr_arg;

static void ghcb_msr_value(struct vmm_config *cfg)
{
	cfg->args = &ghcb_msr_arg;
	cfg->nargs = 1;
}

void check_hostile_ghcb_msrs(enum vmm_backend_kind backend)
{
	static const struct {
		const char *value;
		int status;	  /* 0: the guest resumed and finished; SNPEMU_STATUS_MEMORY_FAULT: the VM stopped */
		const char *line; /* what the console must hold */
	} rows[] = {
	    /* Page-aligned, no RAM behind it: wraps to 0 / to the page before it, or lies at the end of RAM. */
	    {"0xFFFFFFFFFFFFF000", 126, "memory fault on vCPU 0: gpa 0xfffffffffffff000 size 0x1000 flags 0x0;"},
	    {"0xFFFFFFFFFFFFE000", 126, "memory fault on vCPU 0: gpa 0xffffffffffffe000 size 0x1000 flags 0x0;"},
	    {"0x4000000", 126, "memory fault on vCPU 0: gpa 0x4000000 size 0x1000 flags 0x0;"},
	    /* RAM, but the guest's private pages: the host may not read them. */
	    {"0x3FFF000", 126, "memory fault on vCPU 0: gpa 0x3fff000 size 0x1000 flags 0x8 (private)"},
	    {"0x1000", 126, "memory fault on vCPU 0: gpa 0x1000 size 0x1000 flags 0x8 (private)"},
	    /* Unaligned: an MSR-protocol request (GHCBInfo 0x800) the engine does not know: the guest resumes. */
	    {"0x3FFF800", 0, "ghcbmsr: resumed; the guest still runs"},
	    {"0xFFFFFFFFFFFFFFFF", 0, "ghcbmsr: resumed; the guest still runs"},
	    /* 0: no GHCB; ignored (KVM logs and resumes). */
	    {"0", 0, "ghcbmsr: resumed; the guest still runs"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ghcb_msr_arg = rows[i].value;
		struct run *r = run_program("ghcbmsr", backend, HV_VM_TYPE_SNP, 1, ghcb_msr_value);
		if (r->rc != 0 || r->res.status != rows[i].status)
			fprintf(stderr, "GHCB MSR %s: rc %d status %d\n%s", rows[i].value, r->rc, r->res.status,
				r->out);
		assert_int_equal(r->rc, 0);
		assert_int_equal(r->res.status, rows[i].status);
		assert_int_equal(r->res.memory_fault, rows[i].status == SNPEMU_STATUS_MEMORY_FAULT);
		expect_line(r, rows[i].line);
		free_run(r);
	}
}

static const char *const attest_args[] = {"--report-data",
					  "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5"
					  "c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"};

void tweak_report_data(struct vmm_config *cfg)
{
	cfg->args = attest_args;
	cfg->nargs = 2;
}

void check_report_data(const struct run *r)
{
	assert_true(r->res.exported_len >= SNP_REPORT_SIZE);
	assert_memory_equal(r->res.exported + SNP_REPORT_OFF_MEASUREMENT, r->res.measurement, 48);
	for (int i = 0; i < 64; i++)
		assert_int_equal(r->res.exported[SNP_REPORT_OFF_REPORT_DATA + i], 0xA0 + i);
	char hex[97];
	for (int i = 0; i < 48; i++)
		sprintf(hex + 2 * i, "%02x", r->res.measurement[i]);
	char line[160];
	snprintf(line, sizeof(line), "report measurement: %s", hex);
	expect_line(r, line);
}

void tweak_attest_ext(struct vmm_config *cfg)
{
	static const char *const ext_args[] = {"--ext"};
	cfg->args = ext_args;
	cfg->nargs = 1;
}

void tweak_rate_2_per_s(struct vmm_config *cfg)
{
	cfg->rate = 2;
	cfg->burst = 1;
}

void tweak_storm_limited(struct vmm_config *cfg)
{
	static const char *const storm_args[] = {"--requests", "10"};
	cfg->rate = 200;
	cfg->burst = 2;
	cfg->args = storm_args;
	cfg->nargs = 2;
}

void tweak_migrate(struct vmm_config *cfg)
{
	static const char *const args[] = {"--ms", "300", "--mem", "4M", "--psc-ms", "20"};
	cfg->args = args;
	cfg->nargs = 6;
}

void tweak_migrate_tamper(struct vmm_config *cfg)
{
	static const char *const args[] = {"--ms", "100", "--mem", "4M", "--tamper"};
	cfg->args = args;
	cfg->nargs = 5;
}

void check_migrate(struct run *r)
{
	assert_int_equal(r->res.status, 0);
	expect_line(r, "migrate: running 300 ms over 4 MiB (50% shared), dirtying 16 MiB/s");
	expect_line(r, "migrate: chip ID unchanged");
	expect_line(r, "migrate: ok: 4 MiB rewritten in ");
	expect_line(r, "reports before and after agree");
	/* Half the 4 MiB region (1024 pages) is shared at the end too: every flip moves one chunk each way. */
	assert_true(r->res.pages_shared >= 512 && r->res.pages_shared < 600);
	free_run(r);
}

void check_migrate_tamper(struct run *r)
{
	assert_int_equal(r->res.status, 1);
	expect_line(r, "FAIL: chunk ");
	expect_line(r, "migrate: FAILED: ");
	free_run(r);
}

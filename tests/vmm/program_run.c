/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

/* SPDX-License-Identifier: MIT */
/* The guest programs built into this binary (the files in guests/), for the sim backend. */
#include <string.h>

#include "../guests/program.h"
#include "vmm/vmm_internal.h"

extern const struct guest_program guest_program_hello, guest_program_attest, guest_program_psc, guest_program_smp,
    guest_program_hostile, guest_program_storm, guest_program_fault, guest_program_bench, guest_program_memfault;

static const struct guest_program *const programs[] = {
    &guest_program_hello, &guest_program_attest, &guest_program_psc,   &guest_program_smp,	&guest_program_hostile,
    &guest_program_storm, &guest_program_fault,	 &guest_program_bench, &guest_program_memfault,
};
#define NPROGRAMS (sizeof(programs) / sizeof(programs[0]))

const struct guest_program *vmm_program_find(const char *name)
{
	for (size_t i = 0; i < NPROGRAMS; i++)
		if (!strcmp(programs[i]->name, name))
			return programs[i];
	return NULL;
}

const char *const *vmm_program_names(void)
{
	static const char *const names[] = {"hello", "attest", "psc",	"smp",	    "hostile",
					    "storm", "fault",  "bench", "memfault", NULL};
	_Static_assert(sizeof(names) / sizeof(names[0]) == NPROGRAMS + 1, "one name per program");
	return names;
}

const char *vmm_program_summary(const char *name)
{
	const struct guest_program *p = vmm_program_find(name);
	return p ? p->summary : NULL;
}

bool vmm_program_kvm_only(const char *name)
{
	const struct guest_program *p = vmm_program_find(name);
	return p && p->kvm_only;
}

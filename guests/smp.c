/* SPDX-License-Identifier: MIT */
#include "program.h"

static int smp_main(struct guest *g)
{
	guest_printf(g, "smp: not written yet\n");
	return 1;
}

GUEST_PROGRAM(smp, "(being written)", smp_main, NULL);

/* SPDX-License-Identifier: MIT */
#include "program.h"

static int psc_main(struct guest *g)
{
	guest_printf(g, "psc: not written yet\n");
	return 1;
}

GUEST_PROGRAM(psc, "(being written)", psc_main, NULL);

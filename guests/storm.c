/* SPDX-License-Identifier: MIT */
#include "program.h"

static int storm_main(struct guest *g)
{
	guest_printf(g, "storm: not written yet\n");
	return 1;
}

GUEST_PROGRAM(storm, "(being written)", storm_main, NULL);

/* SPDX-License-Identifier: MIT */
#include "program.h"

static int hostile_main(struct guest *g)
{
	guest_printf(g, "hostile: not written yet\n");
	return 1;
}

GUEST_PROGRAM(hostile, "(being written)", hostile_main, NULL);

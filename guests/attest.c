/* SPDX-License-Identifier: MIT */
#include "program.h"

static int attest_main(struct guest *g)
{
	guest_printf(g, "attest: not written yet\n");
	return 1;
}

GUEST_PROGRAM(attest, "(being written)", attest_main, NULL);

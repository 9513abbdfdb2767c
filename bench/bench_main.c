/* SPDX-License-Identifier: MIT */
/* The program of one benchmark suite (bench/bench.mk builds it once per suite with -DBENCH_SUITE=bench_<name>). */
#include <stdio.h>

#include "bench.h"

#ifndef BENCH_SUITE
#error "BENCH_SUITE (the suite function) is defined by bench/bench.mk"
#endif
#define STR_(x) #x
#define STR(x)	STR_(x)

int main(void)
{
	static struct bench_report r;
	if (BENCH_SUITE(&r))
		return 1;
	bench_print(&r, &STR(BENCH_SUITE)[sizeof("bench_") - 1], stdout); /* the suite's name without "bench_" */
	return 0;
}

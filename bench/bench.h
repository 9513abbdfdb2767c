/* SPDX-License-Identifier: MIT */
/*
 * The in-process benchmarks as library functions: each suite measures in this process and records its figures,
 * each against the limit its issue names; `bench/<suite>` (bench/bench_main.c) and `snpemu bench` print them.
 *
 * A figure is `value unit` against a `limit` (a constant, or a baseline measured in the same run such as OpenSSL's
 * rate for the same operation): ratio = value / limit, met when the ratio is at most `target` (lower is better:
 * times, memory) or at least `target` (higher is better: rates).  A figure without a limit has ratio 0 and is
 * printed for information; so is a ratio without a target (target 0).
 */
#ifndef SNPEMU_BENCH_H
#define SNPEMU_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#define BENCH_FIGURES_MAX 32

struct bench_figure {
	char name[80];
	double value;
	const char *unit;
	double limit;
	const char *limit_what; /* what the limit is ("3.2 us hardware round trip", "OpenSSL P-384 sign") */
	double target;		/* bound on the ratio */
	bool higher_is_better;
};

struct bench_report {
	unsigned int count;
	struct bench_figure figures[BENCH_FIGURES_MAX];
};

/* A suite: fills `r`; 0, or -errno when it could not measure (a message on stderr). */
typedef int (*bench_suite_fn)(struct bench_report *r);

struct bench_suite {
	const char *name;    /* "engine" */
	const char *summary; /* what it measures */
	bench_suite_fn run;
};

/* The suites (one file each in bench/). */
int bench_hv_vmgexit(struct bench_report *r);	 /* engine NAE and MSR-protocol round trips */
int bench_hv_psc(struct bench_report *r);	 /* page-state changes of a 1 TiB guest */
int bench_fw(struct bench_report *r);		 /* report signing and launch measurement */
int bench_attest_verify(struct bench_report *r); /* report and chain verification */

/* Record one figure (printf-style name).  Figures beyond BENCH_FIGURES_MAX are dropped. */
__attribute__((format(printf, 7, 8))) void bench_add(struct bench_report *r, double value, const char *unit,
						     double limit, const char *limit_what, double target,
						     const char *name_fmt, ...);
/* As bench_add, for a rate whose ratio to the limit must be at least `target`. */
__attribute__((format(printf, 7, 8))) void bench_add_rate(struct bench_report *r, double value, const char *unit,
							  double limit, const char *limit_what, double target,
							  const char *name_fmt, ...);
double bench_ratio(const struct bench_figure *f);
bool bench_met(const struct bench_figure *f);
/* One line per figure: name, value, ratio to the limit, and whether the target is met. */
void bench_print(const struct bench_report *r, const char *suite, FILE *out);
/* Monotonic seconds. */
double bench_now_s(void);

#endif

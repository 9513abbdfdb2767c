/* SPDX-License-Identifier: MIT */
/* Recording and printing benchmark figures (bench/bench.h), shared by the bench programs and `snpemu bench`. */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add(struct bench_report *r, double value, const char *unit, double limit, const char *limit_what,
		double target, bool higher, const char *fmt, va_list ap)
{
	if (r->count == BENCH_FIGURES_MAX)
		return;
	struct bench_figure *f = &r->figures[r->count++];
	vsnprintf(f->name, sizeof(f->name), fmt, ap);
	f->value = value;
	f->unit = unit;
	f->limit = limit;
	f->limit_what = limit_what;
	f->target = target;
	f->higher_is_better = higher;
}

void bench_add(struct bench_report *r, double value, const char *unit, double limit, const char *limit_what,
	       double target, const char *name_fmt, ...)
{
	va_list ap;
	va_start(ap, name_fmt);
	add(r, value, unit, limit, limit_what, target, false, name_fmt, ap);
	va_end(ap);
}

void bench_add_rate(struct bench_report *r, double value, const char *unit, double limit, const char *limit_what,
		    double target, const char *name_fmt, ...)
{
	va_list ap;
	va_start(ap, name_fmt);
	add(r, value, unit, limit, limit_what, target, true, name_fmt, ap);
	va_end(ap);
}

double bench_ratio(const struct bench_figure *f)
{
	return f->limit > 0 ? f->value / f->limit : 0;
}

bool bench_met(const struct bench_figure *f)
{
	double q = bench_ratio(f);
	return f->limit <= 0 || f->target <= 0 || (f->higher_is_better ? q >= f->target : q <= f->target);
}

void bench_print(const struct bench_report *r, const char *suite, FILE *out)
{
	for (unsigned int i = 0; i < r->count; i++) {
		const struct bench_figure *f = &r->figures[i];
		fprintf(out, "%-9s %-44s %12.4g %-10s", suite, f->name, f->value, f->unit);
		if (f->limit > 0)
			fprintf(out, " ratio %.4f vs %.4g %s", bench_ratio(f), f->limit, f->limit_what);
		if (f->limit > 0 && f->target > 0)
			fprintf(out, " (%s %g): %s", f->higher_is_better ? "target >=" : "limit <=", f->target,
				bench_met(f) ? "met" : "MISSED");
		fputc('\n', out);
	}
}

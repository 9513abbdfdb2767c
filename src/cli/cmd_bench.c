/* SPDX-License-Identifier: MIT */
/*
 * snpemu bench [--only SUITE] [--json]: the in-process benchmarks of bench/ (engine round trips, page-state
 * changes, report signing, launch measurement, verification), each figure printed with its ratio to its limit,
 * as `openssl speed` prints its rates.  The figures come from the same functions as the bench/ programs.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "../bench/bench.h"
#include "cli/cli.h"

/* The suites, in the order they run. */
static const struct bench_suite bench_suites[] = {
    {"engine", "VMGEXIT round trips through the engine: CPUID NAE, MSR-protocol CPUID, IOIO", bench_hv_vmgexit},
    {"psc", "page-state changes of a 1 TiB guest through the PSC NAE and the RMP model", bench_hv_psc},
    {"firmware", "report requests (signing) and launch measurement against OpenSSL", bench_fw},
    {"verify", "report and certificate-chain verification against OpenSSL's ECDSA verify", bench_attest_verify},
    {NULL, NULL, NULL},
};

enum { OPT_ONLY = 'o', OPT_JSON = 'j' };

static const struct cli_option bench_options[] = {
    {"only", OPT_ONLY, "SUITE", "run one suite (engine, psc, firmware or verify)", "all"},
    {"json", OPT_JSON, NULL, "print a JSON object instead of text", "text"},
    {NULL, 0, NULL, NULL, NULL},
};

static void bench_suites_help(FILE *out)
{
	fprintf(out, "\nsuites:\n");
	for (const struct bench_suite *s = bench_suites; s->name; s++)
		fprintf(out, "  %-9s %s\n", s->name, s->summary);
}

static const struct cli_spec bench_spec = {
    .cmd = "bench",
    .synopsis = "[--only SUITE] [--json]",
    .description = "Run the benchmarks in this process and print each figure with its ratio to its limit (a "
		   "constant, or\nOpenSSL's rate for the same operation measured in the same run).  Takes about "
		   "ten seconds.",
    .opts = bench_options,
    .epilog = "\nexit status: 0 measured (limits missed are reported, not failures), 1 a suite could not run, "
	      "2 usage error\n",
    .usage_status = CLI_EXIT_USAGE,
    .extra_help = bench_suites_help,
};

struct bench_args {
	const char *only;
	int json;
};

static int bench_option(void *ctx, int key, const char *v)
{
	struct bench_args *a = ctx;
	if (key == OPT_JSON) {
		a->json = 1;
		return 0;
	}
	for (const struct bench_suite *s = bench_suites; key == OPT_ONLY && s->name; s++)
		if (!strcmp(s->name, v)) {
			a->only = v;
			return 0;
		}
	return cli_usage_error(&bench_spec, v, "no such suite (engine, psc, firmware or verify)");
}

static json_object *figure_json(const struct bench_figure *f)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "value", json_object_new_double(f->value));
	json_object_object_add(o, "unit", json_object_new_string(f->unit));
	if (f->limit > 0) {
		json_object_object_add(o, "limit", json_object_new_double(f->limit));
		json_object_object_add(o, "limit_is", json_object_new_string(f->limit_what));
		json_object_object_add(o, "ratio", json_object_new_double(bench_ratio(f)));
	}
	if (f->limit > 0 && f->target > 0) {
		json_object_object_add(o, f->higher_is_better ? "target_min_ratio" : "max_ratio",
				       json_object_new_double(f->target));
		json_object_object_add(o, "met", json_object_new_boolean(bench_met(f)));
	}
	return o;
}

int cli_cmd_bench(int argc, char **argv)
{
	struct bench_args a = {0};
	int operands;
	int rc = cli_parse_options(&bench_spec, argc, argv, bench_option, &a, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (operands < argc)
		return cli_usage_error(&bench_spec, argv[operands], "unexpected argument");
	json_object *root = a.json ? json_object_new_object() : NULL;
	json_object *suites = a.json ? json_object_new_array() : NULL;
	if (a.json && (!root || !suites)) {
		cli_error("bench", NULL, "out of memory");
		return CLI_EXIT_FAILURE;
	}
	if (root) {
		json_object_object_add(root, "version", json_object_new_string(SNPEMU_VERSION));
		json_object_object_add(root, "suites", suites);
	}
	int status = CLI_EXIT_OK;
	for (const struct bench_suite *s = bench_suites; s->name; s++) {
		static struct bench_report r;
		if (a.only && strcmp(a.only, s->name))
			continue;
		memset(&r, 0, sizeof(r));
		int err = s->run(&r);
		if (err == -ENOENT) {
			/* The verification suite reads the genuine AMD artefacts from the source tree. */
			cli_error("bench", s->name, "skipped: its input files are not here (run from a build tree)");
			continue;
		}
		if (err) {
			cli_error("bench", s->name, "the suite could not run: %s", strerror(-err));
			status = CLI_EXIT_FAILURE;
			continue;
		}
		if (!root) {
			bench_print(&r, s->name, stdout);
			fflush(stdout);
			continue;
		}
		json_object *js = json_object_new_object(), *figs = json_object_new_array();
		json_object_object_add(js, "name", json_object_new_string(s->name));
		json_object_object_add(js, "figures", figs);
		for (unsigned int i = 0; i < r.count; i++)
			json_object_array_add(figs, figure_json(&r.figures[i]));
		json_object_array_add(suites, js);
	}
	if (root) {
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
	}
	return status;
}

/* SPDX-License-Identifier: MIT */
/*
 * The one option parser of the subcommands: getopt_long driven by each command's option table, the help
 * generated from the same table (so no option goes undocumented), one message shape for every error, and the
 * option values several commands share.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/fw.h>
#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

#define OPTS_MAX 48

void cli_error(const char *cmd, const char *what, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "snpemu %s: ", cmd);
	if (what)
		fprintf(stderr, "%s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct cli_spec *spec, const char *what, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "snpemu %s: ", spec->cmd);
	if (what)
		fprintf(stderr, "%s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see snpemu %s --help)\n", spec->cmd);
	return spec->usage_status;
}

void cli_print_help(const struct cli_spec *spec, FILE *out)
{
	fprintf(out, "usage: snpemu %s %s\n\n%s\n\noptions:\n", spec->cmd, spec->synopsis, spec->description);
	for (const struct cli_option *o = spec->opts; o->name; o++) {
		char left[64];
		int n = o->key < 256 ? snprintf(left, sizeof(left), "-%c, --%s", o->key, o->name)
				     : snprintf(left, sizeof(left), "    --%s", o->name);
		if (o->arg && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
		fprintf(out, "  %-28s %s", left, o->help);
		if (o->def)
			fprintf(out, " (default: %s)", o->def);
		fputc('\n', out);
	}
	fprintf(out, "  %-28s %s\n", "-h, --help", "print this help and exit");
	if (spec->extra_help)
		spec->extra_help(out);
	if (spec->epilog)
		fprintf(out, "%s", spec->epilog);
}

const char *cli_option_name(const struct cli_spec *spec, int key)
{
	for (const struct cli_option *o = spec->opts; o->name; o++)
		if (o->key == key)
			return o->name;
	return "?";
}

int cli_parse_options(const struct cli_spec *spec, int argc, char **argv, cli_option_fn fn, void *ctx, int *operands)
{
	struct option longopts[OPTS_MAX + 2];
	char shortopts[3 * OPTS_MAX + 4] = "+:h";
	int seen[OPTS_MAX], nseen = 0;
	size_t n = 0, s = strlen(shortopts);
	for (const struct cli_option *o = spec->opts; o->name; o++, n++) {
		if (n == OPTS_MAX)
			return cli_usage_error(spec, NULL, "internal: too many options");
		longopts[n] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
		if (o->key < 256) {
			shortopts[s++] = (char)o->key;
			if (o->arg)
				shortopts[s++] = ':';
		}
	}
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	shortopts[s] = '\0';

	/* Options may follow operands (GNU style) until "--": the "+" above makes getopt stop at each operand, which
	 * is set aside here, so that argv is never reordered behind the caller's back until the end. */
	char **ops = malloc((size_t)argc * sizeof(*ops));
	if (!ops)
		return cli_usage_error(spec, NULL, "out of memory");
	int nops = 0, rc = CLI_CONTINUE;
	optind = 0; /* glibc: a full re-initialisation, since a process may parse several argument vectors (tests) */
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c == -1) {
			const char *a = optind < argc ? argv[optind] : NULL;
			if (a && !spec->options_end_at_operand && strcmp(argv[optind - 1], "--") &&
			    (a[0] != '-' || !strcmp(a, "-"))) {
				ops[nops++] = argv[optind++];
				continue;
			}
			break;
		}
		if (c == 'h') {
			cli_print_help(spec, stdout);
			rc = CLI_EXIT_OK;
		} else if (c == ':') {
			rc = cli_usage_error(spec, argv[optind - 1], "option needs a value");
		} else if (c == '?') {
			rc = cli_usage_error(spec, argv[optind - 1], "unknown option");
		}
		for (const int(*x)[2] = spec->exclusive; rc == CLI_CONTINUE && x && (*x)[0]; x++) {
			int other = (*x)[0] == c ? (*x)[1] : (*x)[1] == c ? (*x)[0] : 0;
			for (int i = 0; other && i < nseen; i++)
				if (seen[i] == other) {
					rc = cli_usage_error(spec, NULL, "--%s and --%s cannot be given together",
							     cli_option_name(spec, other), cli_option_name(spec, c));
					break;
				}
		}
		if (rc != CLI_CONTINUE)
			break;
		if (nseen < OPTS_MAX)
			seen[nseen++] = c;
		int r = fn(ctx, c, optarg);
		if (r) {
			rc = r;
			break;
		}
	}
	if (rc == CLI_CONTINUE) {
		/* The operands in order at the end of argv: those set aside, then those after the last option. */
		int tail = argc - optind;
		for (int i = 0; i < tail; i++)
			ops[nops + i] = argv[optind + i];
		*operands = argc - nops - tail;
		memcpy(&argv[*operands], ops, (size_t)(nops + tail) * sizeof(*ops));
	}
	free(ops);
	return rc;
}

int cli_vm_option(const struct cli_spec *spec, struct vmm_config *cfg, int key, const char *v)
{
	switch (key) {
	case CLI_OPT_BACKEND:
		return cli_parse_backend(v, &cfg->backend) ? cli_usage_error(spec, v, "not one of " CLI_BACKEND_NAMES)
							   : 0;
	case CLI_OPT_PRODUCT:
		return fw_product_parse(v, &cfg->product)
			   ? cli_usage_error(spec, v, "unknown product (genoa, milan or turin)")
			   : 0;
	case CLI_OPT_SEED:
		return cli_parse_seed(v, cfg->seed, &cfg->seed_len)
			   ? cli_usage_error(spec, v, "--seed wants 1 to 64 bytes of hex")
			   : 0;
	case CLI_OPT_STATS:
		cfg->stats = true;
		return 0;
	case CLI_OPT_QUIET:
		cfg->quiet = true;
		return 0;
	case CLI_OPT_REPORT_VERSION: {
		uint64_t n;
		if (cli_parse_u64(v, 5, &n) || !fw_report_version_supported((uint32_t)n))
			return cli_usage_error(spec, v, "--report-version wants 2, 3 or 5");
		cfg->report_version = (uint32_t)n;
		return 0;
	}
	case CLI_OPT_POLICY:
		return cli_parse_policy(v, &cfg->policy)
			   ? cli_usage_error(spec, v,
					     "not a valid SNP guest policy (bit 17 must be set, bits 63:26 clear)")
			   : 0;
	case CLI_OPT_RATE:
		return cli_parse_rate(v, &cfg->rate, &cfg->burst)
			   ? cli_usage_error(spec, v,
					     "--rate wants R[/BURST], 0.001 <= R <= 1000000, 1 <= BURST <= 1000000")
			   : 0;
	}
	return CLI_CONTINUE;
}

int cli_parse_backend(const char *s, enum vmm_backend_kind *out)
{
	static const struct {
		const char *name;
		enum vmm_backend_kind b;
	} names[] = {
	    {"sim", VMM_BACKEND_SIM},
	    {"kvm", VMM_BACKEND_KVM},
#ifdef SNPEMU_HAVE_TCG
	    {"tcg", VMM_BACKEND_TCG},
#endif
	    {"auto", VMM_BACKEND_AUTO},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].b;
			return 0;
		}
	}
	return -1;
}

int cli_parse_seed(const char *s, uint8_t seed[FW_SEED_MAX], size_t *len)
{
	size_t digits = strlen(s) - (strncmp(s, "0x", 2) && strncmp(s, "0X", 2) ? 0 : 2);
	if (!digits || digits % 2 || digits / 2 > FW_SEED_MAX || cli_parse_hex(s, seed, digits / 2, 0))
		return -1;
	*len = digits / 2;
	return 0;
}

int cli_parse_policy(const char *s, uint64_t *policy)
{
	const uint64_t reserved_one = 1ull << 17, mbz = ~((1ull << 26) - 1);
	uint64_t v;
	if (cli_parse_u64(s, UINT64_MAX, &v) || !(v & reserved_one) || (v & mbz))
		return -1;
	*policy = v;
	return 0;
}

int cli_parse_rate(const char *s, double *rate, uint32_t *burst)
{
	char *end;
	uint64_t b = 0;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	double r = strtod(s, &end);
	if (errno || end == s || !isfinite(r) || r < 0.001 || r > 1e6)
		return -1;
	if (*end == '/') {
		if (cli_parse_u64(end + 1, 1000000, &b) || !b)
			return -1;
	} else if (*end) {
		return -1;
	}
	*rate = r;
	*burst = (uint32_t)b;
	return 0;
}

int cli_parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"min", 60000000000}};
	const uint64_t max_ns = 24ull * 3600 * 1000000000;
	uint64_t whole = 0, frac = 0, frac_scale = 1;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > max_ns)
			return -1;
	}
	if (p == s)
		return -1;
	if (*p == '.') {
		const char *f = ++p;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (p - f == 6) /* frac * unit stays below 2^64 */
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_scale *= 10;
		}
		if (p == f)
			return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit))
			continue;
		if (whole > max_ns / units[i].ns)
			return -1;
		uint64_t v = whole * units[i].ns + frac * units[i].ns / frac_scale;
		if (v > max_ns)
			return -1;
		*ns = v;
		return 0;
	}
	return -1;
}

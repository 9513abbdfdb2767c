/* SPDX-License-Identifier: MIT */
/*
 * snpemu run: launch a guest program, run it, exit with its status.  The guest's status owns the exit codes
 * 0..124, so run's own usage and setup errors exit 125 (as `docker run` and `env` do); a guest status that would
 * read as 0 or as 125 and above is reported as 1 (the exact status is in the summary line).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/hv.h>
#include <snpemu/attest.h>
#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

#define RUN_MEM_MAX (64ull << 30) /* the VMM's limit (src/vmm/vm.c) */

enum {
	OPT_VCPUS = 'n',
	OPT_MEM = 'm',
	OPT_VM_TYPE = 256,
	OPT_RATE,
	OPT_CERTS,
	OPT_POLICY,
	OPT_REQUESTS,
	OPT_TRACE,
};

static const struct cli_option run_options[] = {
    CLI_OPTION_BACKEND,
    {"vcpus", OPT_VCPUS, "N", "vCPUs, 1..16", "1"},
    {"mem", OPT_MEM, "SIZE", "guest RAM with K/M/G suffix, 32M..64G in 2M steps", "64M"},
    {"vm-type", OPT_VM_TYPE, "snp|sev-es", "VM type", "snp"},
    {"rate", OPT_RATE, "R[/BURST]", "guest-request rate limit: R per second (fractions allowed), burst", "none"},
    {"certs", OPT_CERTS, "FILE", "certificate table (cert_table.bin) served to extended requests",
     "the platform's chain"},
    CLI_OPTION_SEED,
    CLI_OPTION_PRODUCT,
    {"policy", OPT_POLICY, "HEX", "SNP guest policy: bit 17 set, bits 63:26 clear", "0x30000"},
    CLI_OPTION_REPORT_DATA,
    CLI_OPTION_EXT,
    CLI_OPTION_REPORT_VERSION,
    {"requests", OPT_REQUESTS, "N", "storm: guest requests per vCPU, 1..100000", "20"},
    {"trace", OPT_TRACE, "FILE", "write a Chrome trace-event JSON of the exits, one track per vCPU", "none"},
    CLI_OPTION_STATS,
    CLI_OPTION_QUIET,
    {NULL, 0, NULL, NULL, NULL},
};

static void run_programs_help(FILE *f)
{
	fprintf(f, "\nguest programs:\n");
	for (const char *const *n = vmm_program_names(); *n; n++) {
		const char *summary = vmm_program_summary(*n);
		bool marked = summary && strstr(summary, "kvm only");
		fprintf(f, "  %-10s %s%s\n", *n, summary ? summary : "",
			vmm_program_kvm_only(*n) && !marked ? " (kvm backend only)" : "");
	}
}

static const struct cli_spec run_spec = {
    .cmd = "run",
    .synopsis = "[options] GUEST",
    .description = "Launch a guest program through the firmware model on a backend, handle its exits until it "
		   "ends, and exit\nwith its status.  The guest's console goes to stdout, the VMM's messages "
		   "to stderr.",
    .opts = run_options,
    .epilog = "\nexit status: the guest's status (0 success, 1..124); 1 also for a guest status of 125 or more "
	      "or whose\nlow byte is 0; 125 for run's own errors (usage, setup, a --trace that could not be "
	      "written)\n",
    .usage_status = CLI_EXIT_RUN_INTERNAL,
    .extra_help = run_programs_help,
};

static int run_option(void *ctx, int key, const char *v)
{
	struct vmm_config *cfg = ctx;
	uint64_t n;
	switch (key) {
	case OPT_VCPUS:
		if (cli_parse_u64(v, SNPEMU_MAX_VCPUS, &n) || !n)
			return cli_usage_error(&run_spec, v, "--vcpus wants 1..%u", SNPEMU_MAX_VCPUS);
		cfg->vcpus = (uint32_t)n;
		return 0;
	case OPT_MEM:
		if (vmm_parse_size(v, &cfg->mem_size) || cfg->mem_size < SNPEMU_MIN_MEM ||
		    cfg->mem_size % (2ull << 20) || cfg->mem_size > RUN_MEM_MAX)
			return cli_usage_error(&run_spec, v, "--mem wants 32M..64G, a multiple of 2M");
		return 0;
	case OPT_VM_TYPE:
		if (!strcmp(v, "snp"))
			cfg->vm_type = HV_VM_TYPE_SNP;
		else if (!strcmp(v, "sev-es"))
			cfg->vm_type = HV_VM_TYPE_SEV_ES;
		else
			return cli_usage_error(&run_spec, v, "--vm-type wants snp or sev-es");
		return 0;
	case OPT_RATE:
		return cli_parse_rate(v, &cfg->rate, &cfg->burst)
			   ? cli_usage_error(&run_spec, v,
					     "--rate wants R[/BURST], 0.001 <= R <= 1000000, "
					     "1 <= BURST <= 1000000")
			   : 0;
	case OPT_CERTS:
		cfg->certs_file = v;
		return 0;
	case OPT_POLICY:
		return cli_parse_policy(v, &cfg->policy)
			   ? cli_usage_error(&run_spec, v,
					     "not a valid SNP guest policy (bit 17 must be set, bits 63:26 clear)")
			   : 0;
	case OPT_REQUESTS:
		if (cli_parse_u64(v, 100000, &n) || !n)
			return cli_usage_error(&run_spec, v, "--requests wants 1..100000");
		cfg->storm_requests = (uint32_t)n;
		return 0;
	case OPT_TRACE:
		cfg->trace_file = v;
		return 0;
	}
	int rc = cli_vm_option(&run_spec, cfg, key, v);
	return rc != CLI_CONTINUE ? rc : cli_usage_error(&run_spec, NULL, "internal: unhandled option");
}

/* --certs must be a certificate table the VMM can serve: checked before the guest launches, since a failure
 * inside the guest's extended request would cost it its VMPCK. */
static int check_certs_file(const char *path)
{
	uint8_t *buf;
	size_t len;
	int rc = cli_read_file(path, &buf, &len);
	if (rc) {
		cli_error("run", path, "cannot read: %s", strerror(-rc));
		return -1;
	}
	struct attest_cert_table *t = malloc(sizeof(*t));
	rc = !t ? -ENOMEM : attest_cert_table_parse(buf, len, t) ? -EINVAL : 0;
	if (rc == -EINVAL)
		cli_error("run", path, "not a certificate table: %s", t->error);
	else if (rc)
		cli_error("run", path, "%s", strerror(-rc));
	free(t);
	free(buf);
	return rc;
}

/* The guest's status as a process exit status that cannot be mistaken for success or for run's own 125. */
static int guest_exit_status(int status)
{
	int low = status & 0xFF;
	if (!status)
		return CLI_EXIT_OK;
	return low == 0 || low >= CLI_EXIT_RUN_INTERNAL ? CLI_EXIT_FAILURE : low;
}

int cli_cmd_run(int argc, char **argv)
{
	struct vmm_config cfg;
	int operands;
	vmm_config_default(&cfg);
	int rc = cli_parse_options(&run_spec, argc, argv, run_option, &cfg, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (operands != argc - 1)
		return cli_usage_error(&run_spec, NULL, "expected exactly one GUEST");
	cfg.program = argv[operands];
	cfg.msg = stderr; /* the VMM's messages are diagnostics: stdout is the guest's console */
	if (!vmm_program_summary(cfg.program))
		return cli_usage_error(&run_spec, cfg.program, "no such guest program");
	if (cfg.certs_file && check_certs_file(cfg.certs_file))
		return CLI_EXIT_RUN_INTERNAL;

	struct cli_output out;
	cli_output_init(&out, "run");
	const char *trace_path = cfg.trace_file;
	struct vmm_result *res = NULL;
	int status = CLI_EXIT_RUN_INTERNAL;
	if (trace_path && !(cfg.trace_file = cli_output_reserve(&out, trace_path)))
		goto out;
	res = calloc(1, sizeof(*res));
	if (!res) {
		cli_error("run", NULL, "out of memory");
		goto out;
	}
	if (vmm_run(&cfg, res))
		goto out; /* the VMM printed why */
	if (res->trace_error) {
		cli_error("run", trace_path, "cannot write the trace: %s", strerror(-res->trace_error));
		goto out;
	}
	if (cli_output_commit(&out, false))
		goto out;
	status = guest_exit_status(res->status);
out:
	cli_output_abort(&out);
	free(res);
	return status;
}

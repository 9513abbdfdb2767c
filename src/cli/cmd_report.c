/* SPDX-License-Identifier: MIT */
/*
 * snpemu report: launch the attest guest through the whole stack (launch and measurement, GHCB, guest request
 * through the rate limit, certificates) and write what an attestation verifier needs: report.bin (the raw
 * 0x4A0-byte ATTESTATION_REPORT as snpguest and go-sev-guest read it), the certificate chain (ark/ask/vcek as PEM
 * and DER, cert_table.bin) and report.json.  The output directory is checked before the guest launches, and the
 * files appear only all together.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/report.h>
#include <snpemu/fw.h>
#include <snpemu/hv.h>
#include <snpemu/attest.h>
#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

enum { OPT_OUT = 'o', OPT_REPORT_DATA_FILE = 256, OPT_VMPL };

static const struct cli_option report_options[] = {
    {"out", OPT_OUT, "DIR", "directory for report.bin, report.json and the chain (created)", NULL},
    CLI_OPTION_BACKEND,
    CLI_OPTION_REPORT_DATA,
    {"report-data-file", OPT_REPORT_DATA_FILE, "FILE", "REPORT_DATA from a file of up to 64 bytes (- for stdin)", NULL},
    {"vmpl", OPT_VMPL, "N", "VMPL the report is requested for, 0..3", "0"},
    CLI_OPTION_EXT,
    CLI_OPTION_REPORT_VERSION,
    CLI_OPTION_PRODUCT,
    CLI_OPTION_SEED,
    CLI_OPTION_STATS,
    CLI_OPTION_QUIET,
    {NULL, 0, NULL, NULL, NULL},
};

static const int report_exclusive[][2] = {{CLI_OPT_REPORT_DATA, OPT_REPORT_DATA_FILE}, {0, 0}};

static const struct cli_spec report_spec = {
    .cmd = "report",
    .synopsis = "--out DIR [options]",
    .description = "Launch the attest guest, have it request a signed attestation report from the firmware "
		   "model, and write\nreport.bin, report.json and the certificate chain (ark/ask/vcek .pem and "
		   ".der, cert_table.bin).\nAll files are written, or none.",
    .opts = report_options,
    .exclusive = report_exclusive,
    .epilog = "\nexit status: 0 written, 1 the guest, the platform or a write failed, 2 usage error\n",
    .usage_status = CLI_EXIT_USAGE,
};

static int report_data_file(struct vmm_config *cfg, const char *path)
{
	uint8_t *buf;
	size_t len;
	int rc = cli_read_file(path, &buf, &len);
	if (rc)
		return cli_usage_error(&report_spec, path, "cannot read: %s", strerror(-rc));
	if (len > sizeof(cfg->report_data)) {
		free(buf);
		return cli_usage_error(&report_spec, path, "holds %zu bytes, REPORT_DATA is at most 64", len);
	}
	memset(cfg->report_data, 0, sizeof(cfg->report_data));
	memcpy(cfg->report_data, buf, len);
	free(buf);
	return 0;
}

struct report_args {
	struct vmm_config cfg;
	const char *out;
};

static int report_option(void *ctx, int key, const char *v)
{
	struct report_args *a = ctx;
	struct vmm_config *cfg = &a->cfg;
	uint64_t n;
	switch (key) {
	case OPT_OUT:
		a->out = v;
		return 0;
	case OPT_REPORT_DATA_FILE:
		return report_data_file(cfg, v);
	case OPT_VMPL:
		if (cli_parse_u64(v, 3, &n))
			return cli_usage_error(&report_spec, v, "--vmpl wants 0..3");
		cfg->vmpl = (uint32_t)n;
		return 0;
	}
	int rc = cli_vm_option(&report_spec, cfg, key, v);
	return rc != CLI_CONTINUE ? rc : cli_usage_error(&report_spec, NULL, "internal: unhandled option");
}

/* The files of a completed run, into `out`. */
static int write_outputs(struct cli_output *out, const char *dir, const struct vmm_config *cfg,
			 const struct vmm_result *res)
{
	struct fw_platform *p = NULL;
	struct fw_platform_config pc;
	struct attest_report parsed;
	char *json = NULL;
	int rc = -1;
	if (cli_output_write(out, dir, "report.bin", res->report, SNP_REPORT_SIZE))
		goto out;
	/* The platform is re-created from the same configuration: its keys and certificates are those that signed. */
	int err;
	if ((err = vmm_platform_config(cfg, &pc)) || (err = fw_platform_create(&pc, &p))) {
		cli_error("report", NULL, "cannot re-create the platform: %s", strerror(-err));
		goto out;
	}
	if (cli_output_platform_certs(out, dir, p))
		goto out;
	enum attest_parse_status ps = attest_report_parse(res->report, SNP_REPORT_SIZE, &parsed);
	if (ps != ATTEST_PARSE_OK || !(json = attest_report_json(&parsed))) {
		cli_error("report", NULL, "cannot describe the report: %s", attest_parse_status_str(ps));
		goto out;
	}
	rc = cli_output_write(out, dir, "report.json", json, strlen(json));
out:
	free(json);
	fw_platform_destroy(p);
	return rc;
}

int cli_cmd_report(int argc, char **argv)
{
	struct report_args a;
	int operands;
	vmm_config_default(&a.cfg);
	a.cfg.program = "attest";
	a.cfg.msg = stderr; /* stdout: the guest's console and the files written */
	a.out = NULL;
	int rc = cli_parse_options(&report_spec, argc, argv, report_option, &a, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (operands < argc)
		return cli_usage_error(&report_spec, argv[operands], "unexpected argument");
	if (!a.out)
		return cli_usage_error(&report_spec, NULL, "--out DIR is required");

	struct cli_output out;
	cli_output_init(&out, "report");
	struct vmm_result *res = NULL;
	int status = CLI_EXIT_FAILURE;
	if (cli_output_dir(&out, a.out))
		goto out;
	res = calloc(1, sizeof(*res));
	if (!res) {
		cli_error("report", NULL, "out of memory");
		goto out;
	}
	rc = vmm_run(&a.cfg, res);
	if (rc) {
		status = rc == -ENOENT || rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
		goto out;
	}
	if (res->status || !res->have_report) {
		cli_error("report", NULL, "the attest guest failed (status %d); no report written", res->status);
		goto out;
	}
	if (memcmp(res->report + SNP_REPORT_OFF_MEASUREMENT, res->measurement, 48)) {
		cli_error("report", NULL, "the report's measurement differs from the launch measurement");
		goto out;
	}
	if (write_outputs(&out, a.out, &a.cfg, res) || cli_output_commit(&out, true))
		goto out;
	status = CLI_EXIT_OK;
out:
	cli_output_abort(&out);
	free(res);
	return status;
}

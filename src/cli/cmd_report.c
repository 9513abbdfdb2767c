/* SPDX-License-Identifier: MIT */
/*
 * snpemu report: launch the attest guest through the whole stack (launch and measurement, GHCB, guest request
 * through the rate limit, certificates) and write what an attestation verifier needs: report.bin (the raw
 * 0x4A0-byte ATTESTATION_REPORT as snpguest and go-sev-guest read it), the certificate chain (ark/ask/vcek as PEM
 * and DER, cert_table.bin) and report.json.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <snpemu/abi/report.h>
#include <snpemu/programs.h>
#include <snpemu/fw.h>
#include <snpemu/hv.h>
#include <snpemu/verify.h>
#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "snpemu report: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	return CLI_EXIT_USAGE;
}

static void report_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: snpemu report --out DIR [--backend sim|kvm|auto] [--report-data HEX | --report-data-file F]\n"
	    "                     [--vmpl N] [--ext] [--product genoa|milan|turin] [--seed HEX] [--stats] [--quiet]\n");
}

int cli_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, 0, 'o'},
	    {"backend", required_argument, 0, 'b'},
	    {"report-data", required_argument, 0, 'd'},
	    {"report-data-file", required_argument, 0, 'D'},
	    {"vmpl", required_argument, 0, 'v'},
	    {"ext", no_argument, 0, 'e'},
	    {"product", required_argument, 0, 'p'},
	    {"seed", required_argument, 0, 's'},
	    {"stats", no_argument, 0, 'S'},
	    {"quiet", no_argument, 0, 'q'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	struct vmm_config cfg;
	vmm_config_default(&cfg);
	cfg.program = snpemu_program_find("attest");
	/* The attest program's arguments (its argument block): --report-data HEX --vmpl N [--ext]. */
	uint8_t report_data[64] = {0};
	uint32_t vmpl = 0;
	bool ext = false;
	const char *out = NULL;
	uint64_t v;
	size_t len;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'b':
			if (cli_parse_backend(optarg, &cfg.backend))
				return usage_error("--backend wants sim, kvm or auto", optarg);
			break;
		case 'd':
			if (cli_parse_hex(optarg, report_data, sizeof(report_data), 1))
				return usage_error("--report-data wants up to 64 bytes of hex", optarg);
			break;
		case 'D': {
			uint8_t *buf;
			int rc = cli_read_file(optarg, &buf, &len);
			if (rc)
				return usage_error(rc == -ENOENT ? "cannot read --report-data-file"
								 : "bad --report-data-file",
						   optarg);
			if (len > sizeof(report_data)) {
				free(buf);
				return usage_error("--report-data-file holds more than 64 bytes", optarg);
			}
			memset(report_data, 0, sizeof(report_data));
			memcpy(report_data, buf, len);
			free(buf);
			break;
		}
		case 'v':
			if (cli_parse_u64(optarg, 3, &v))
				return usage_error("--vmpl wants 0..3", optarg);
			vmpl = (uint32_t)v;
			break;
		case 'e':
			ext = true;
			break;
		case 'p':
			if (fw_product_parse(optarg, &cfg.product))
				return usage_error("unknown product (genoa, milan or turin)", optarg);
			break;
		case 's':
			if (cli_parse_seed(optarg, cfg.seed, &cfg.seed_len))
				return usage_error("--seed wants 1 to 64 bytes of hex", optarg);
			break;
		case 'S':
			cfg.stats = true;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'h':
			report_usage(stdout);
			return CLI_EXIT_OK;
		case ':':
			return usage_error("option needs an argument", argv[optind - 1]);
		default:
			report_usage(stderr);
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!out)
		return usage_error("--out DIR is required", NULL);
	struct stat st;
	if (mkdir(out, 0755) && errno != EEXIST)
		return usage_error("cannot create the output directory", out);
	if (stat(out, &st) || !S_ISDIR(st.st_mode))
		return usage_error("not a directory", out);

	char data_hex[2 * sizeof(report_data) + 1], vmpl_str[4];
	for (size_t i = 0; i < sizeof(report_data); i++)
		snprintf(data_hex + 2 * i, 3, "%02x", report_data[i]);
	snprintf(vmpl_str, sizeof(vmpl_str), "%u", vmpl);
	const char *args[] = {"--report-data", data_hex, "--vmpl", vmpl_str, "--ext"};
	cfg.args = args;
	cfg.nargs = ext ? 5 : 4;

	struct vmm_result *res = calloc(1, sizeof(*res));
	if (!res)
		return CLI_EXIT_FAILURE;
	int status = CLI_EXIT_FAILURE;
	struct fw_platform *p = NULL;
	char *json = NULL;
	int rc = vmm_run(&cfg, res);
	if (rc) {
		status = rc == -ENOENT || rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
		goto out;
	}
	const uint8_t *report = res->exported; /* the attest program exports its report first */
	if (res->status || res->exported_len < SNP_REPORT_SIZE) {
		fprintf(stderr, "snpemu report: the attest guest failed (status %d); no report written\n", res->status);
		goto out;
	}
	if (memcmp(report + SNP_REPORT_OFF_MEASUREMENT, res->measurement, 48)) {
		fprintf(stderr, "snpemu report: the report's measurement differs from the launch measurement\n");
		goto out;
	}
	if (cli_write_file("report", out, "report.bin", report, SNP_REPORT_SIZE))
		goto out;
	/* The platform is re-created from the same configuration: its keys and certificates are those that signed. */
	struct fw_platform_config pc;
	if ((rc = vmm_platform_config(&cfg, &pc)) || (rc = fw_platform_create(&pc, &p))) {
		fprintf(stderr, "snpemu report: cannot re-create the platform: %s\n", strerror(-rc));
		goto out;
	}
	if (cli_write_platform_certs("report", out, p))
		goto out;
	struct fw_attest_report parsed;
	enum fw_attest_parse_status ps = fw_attest_report_parse(report, SNP_REPORT_SIZE, &parsed);
	if (ps != FW_ATTEST_PARSE_OK || !(json = fw_attest_report_json(&parsed))) {
		fprintf(stderr, "snpemu report: cannot describe the report: %s\n", fw_attest_parse_status_str(ps));
		goto out;
	}
	if (cli_write_file("report", out, "report.json", json, strlen(json)))
		goto out;
	status = CLI_EXIT_OK;
out:
	free(json);
	fw_platform_destroy(p);
	free(res);
	return status;
}

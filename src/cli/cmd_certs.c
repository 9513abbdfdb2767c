/* SPDX-License-Identifier: MIT */
/*
 * snpemu certs --out DIR [--product genoa|milan|turin] [--seed HEX]: the platform's ARK, ASK and VCEK as PEM and
 * DER, and the extended-request certificate table (cert_table.bin), as a VMM would serve them.  The platform is
 * the one `snpemu report` and `snpemu run` use for the same --product and --seed (vmm_platform_config), so a
 * chain written here verifies their reports.
 */
#include <stdio.h>
#include <string.h>

#include <snpemu/fw.h>
#include <snpemu/vmm.h>

#include "cli/cli.h"

struct certs_args {
	const char *out;
	struct vmm_config cfg; /* only product and seed: the platform's identity */
};

enum { OPT_OUT = 'o' };

static const struct cli_option certs_options[] = {
    {"out", OPT_OUT, "DIR", "directory to write ark/ask/vcek .pem and .der and cert_table.bin into (created)", NULL},
    CLI_OPTION_PRODUCT,
    CLI_OPTION_SEED,
    {NULL, 0, NULL, NULL, NULL},
};

static const struct cli_spec certs_spec = {
    .cmd = "certs",
    .synopsis = "--out DIR [--product P] [--seed HEX]",
    .description = "Write the platform's certificate chain (ARK, ASK, VCEK) as PEM and DER, and the certificate "
		   "table an\nextended guest request returns, as AMD's KDS and a VMM serve them.  All files are "
		   "written, or none.",
    .opts = certs_options,
    .epilog = "\nexit status: 0 written, 1 the platform or a file could not be made, 2 usage error\n",
    .usage_status = CLI_EXIT_USAGE,
};

static int certs_option(void *ctx, int key, const char *v)
{
	struct certs_args *a = ctx;
	if (key == OPT_OUT) {
		a->out = v;
		return 0;
	}
	int rc =
	    key == CLI_OPT_PRODUCT || key == CLI_OPT_SEED ? cli_vm_option(&certs_spec, &a->cfg, key, v) : CLI_CONTINUE;
	return rc != CLI_CONTINUE ? rc : cli_usage_error(&certs_spec, NULL, "internal: unhandled option");
}

int cli_cmd_certs(int argc, char **argv)
{
	struct certs_args a = {0};
	int operands;
	vmm_config_default(&a.cfg);
	int rc = cli_parse_options(&certs_spec, argc, argv, certs_option, &a, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (operands < argc)
		return cli_usage_error(&certs_spec, argv[operands], "unexpected argument");
	if (!a.out)
		return cli_usage_error(&certs_spec, NULL, "--out DIR is required");

	struct fw_platform_config pc;
	struct fw_platform *p = NULL;
	struct cli_output out;
	cli_output_init(&out, "certs");
	if ((rc = vmm_platform_config(&a.cfg, &pc)) || (rc = fw_platform_create(&pc, &p))) {
		cli_error("certs", NULL, "cannot create the platform: %s", strerror(-rc));
		return CLI_EXIT_FAILURE;
	}
	int status = CLI_EXIT_FAILURE;
	if (cli_output_dir(&out, a.out) || cli_output_platform_certs(&out, a.out, p) || cli_output_commit(&out, true))
		goto out;
	printf("product %s, chip ID ", fw_product_name(a.cfg.product));
	for (int i = 0; i < 64; i++)
		printf("%02x", fw_platform_chip_id(p)[i]);
	printf("\n");
	status = CLI_EXIT_OK;
out:
	cli_output_abort(&out);
	fw_platform_destroy(p);
	return status;
}

/* SPDX-License-Identifier: MIT */
/* snpemu: the command table and dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_command commands[] = {
    {"run", "launch a guest program and run it to completion", cli_cmd_run},
    {"certs", "write the platform's ARK, ASK, VCEK and certificate table", cli_cmd_certs},
    {"report", "launch the attest guest and write its signed report, certificates and report.json", cli_cmd_report},
    {"verify", "verify a report and its certificate chain against a policy", cli_cmd_verify},
    {"measure", "compute the expected SNP launch digest of a QEMU/OVMF launch", cli_cmd_measure},
    {"kds", "serve AMD's Key Distribution Service (VCEKs, chains, CRLs) for the platform", cli_cmd_kds},
#ifdef SNPEMU_HAVE_FUSE
    {"tsm", "serve a guest's reports as the Linux configfs-tsm interface (FUSE) to attestation clients", cli_cmd_tsm},
#endif
    {"decode", "decode GHCB, report, MSR, PSC and certificate-table data", cli_cmd_decode},
    {"bench", "run the in-process benchmarks and print each figure against its limit", cli_cmd_bench},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: snpemu [-h|--help] [-V|--version] COMMAND [OPTIONS] [ARGS]\n\n"
		     "The AMD SEV-ES / SEV-SNP guest-hypervisor interface, emulated.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'snpemu COMMAND --help' lists a command's options with their defaults.\n"
		     "exit status: 0 success, 1 failure, 2 usage error; run: the guest's status, 125 for its own "
		     "errors\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("snpemu %s\n", SNPEMU_VERSION);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "snpemu: %s: unknown command (see snpemu --help)\n", argv[1]);
	return CLI_EXIT_USAGE;
}

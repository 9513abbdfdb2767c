/* SPDX-License-Identifier: MIT */
/* snpemu: the command table and dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_command commands[] = {
    {"run", "[--backend sim|kvm|auto] [--vcpus N] [--mem SIZE] [--rate R[/BURST]] GUEST",
     "launch a guest program and run it to completion", cli_cmd_run},
    {"certs", "--out DIR [--product genoa|milan|turin] [--seed HEX]", "write ARK, ASK, VCEK and the cert table",
     cli_cmd_certs},
    {"report", "--out DIR [--backend B] [--report-data HEX] [--vmpl N] [--ext] [--seed HEX]",
     "launch the attest guest and write its signed report, certificates and report.json", cli_cmd_report},
    {"verify", "--report FILE --certs DIR [--ark FILE] [policy options, see --help] [--json]",
     "verify a report and its certificate chain", cli_cmd_verify},
    {"measure", "--ovmf FILE --vcpus N --vcpu-type T [--kernel F] [--vmm-type qemu|ec2|gce] [--dump-vmsa DIR]",
     "compute the expected SNP launch digest of a QEMU/OVMF launch", cli_cmd_measure},
    {"decode", "ghcb|report|msr|psc|certs FILE|VALUE [--json]",
     "decode GHCB, report, MSR, PSC and certificate-table data", cli_cmd_decode},
    {"bench", "", "run the benchmarks", NULL},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: snpemu [--help] [--version] COMMAND [ARGS]\n\n"
		     "The AMD SEV-ES / SEV-SNP guest-hypervisor interface, emulated.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s%s\n           %s %s\n", commands[i].name, commands[i].summary,
			commands[i].run ? "" : " (not built yet)", commands[i].name, commands[i].usage);
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
	if (!strcmp(argv[1], "--version")) {
		printf("snpemu %s\n", SNPEMU_VERSION);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (!commands[i].run) {
			fprintf(stderr, "snpemu: '%s' is not built yet in this version (%s)\n", argv[1],
				SNPEMU_VERSION);
			return CLI_EXIT_USAGE;
		}
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "snpemu: unknown command '%s' (see snpemu --help)\n", argv[1]);
	return CLI_EXIT_USAGE;
}

/* SPDX-License-Identifier: MIT */
/*
 * The snpemu command-line tool: one file per subcommand, each exporting one `cli_cmd_<name>` function that
 * main.c lists in its command table.  Subcommands return the process exit status; only main() exits.
 */
#ifndef SNPEMU_CLI_H
#define SNPEMU_CLI_H

#include <stddef.h>
#include <stdint.h>

struct cli_command {
	const char *name;
	const char *usage;		   /* one line: arguments */
	const char *summary;		   /* one line: what it does */
	int (*run)(int argc, char **argv); /* NULL: not built yet; argv[0] is the subcommand name */
};

/* Exit statuses shared by the subcommands. */
#define CLI_EXIT_OK	 0
#define CLI_EXIT_FAILURE 1   /* the operation ran and failed (a check failed, the guest failed) */
#define CLI_EXIT_USAGE	 2   /* bad command line or input file */
#define CLI_EXIT_SETUP	 125 /* snpemu run: the guest program file cannot be run (as `docker run` uses 125) */

/* Subcommands (one file each: src/cli/cmd_<name>.c). */
int cli_cmd_verify(int argc, char **argv);
int cli_cmd_decode(int argc, char **argv);
int cli_cmd_certs(int argc, char **argv); /* src/cli/cmd_certs.c */
int cli_cmd_report(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);
int cli_cmd_measure(int argc, char **argv);

struct fw_platform;
enum vmm_backend_kind;
/* cli_opts.c: "sim" | "kvm" | "auto" -> *out; 0 or -1. */
int cli_parse_backend(const char *s, enum vmm_backend_kind *out);
/* cli_opts.c: 1..64 bytes of hex (optional 0x) -> seed[*len]; 0 or -1. */
int cli_parse_seed(const char *s, uint8_t seed[64], size_t *len);
/* cmd_certs.c: write `data` to DIR/NAME (prints the path); 0 or -1 with a message naming `cmd`. */
int cli_write_file(const char *cmd, const char *dir, const char *name, const void *data, size_t len);
/* cmd_certs.c: write ark/ask/vcek as .der and .pem and cert_table.bin of platform `p` into DIR. 0 or -1. */
int cli_write_platform_certs(const char *cmd, const char *dir, struct fw_platform *p);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The snpemu command-line tool: one file per subcommand, each exporting one `cli_cmd_<name>` function that
 * main.c lists in its command table.  Subcommands return the process exit status; only main() exits.
 *
 * Conventions every subcommand follows (docs/cli.md):
 *   - exit status 0 success, 1 the operation ran and failed, 2 bad command line or unusable input; `run` exits
 *     with the guest's status and uses 125 for its own usage and setup errors;
 *   - options are parsed by cli_parse_options() from one table per command, so `--opt=value` and `--opt value`
 *     both work and `--help` lists every option with its meaning and default;
 *   - messages go to stderr in one shape, "snpemu CMD: [FILE: ]reason" (cli_error); results and the guest's
 *     console go to stdout;
 *   - `-` names stdin where a file is read (cli_read_file);
 *   - files are written all-or-nothing (struct cli_output): to a temporary name in the target directory, renamed
 *     when every file is complete, removed on failure.
 */
#ifndef SNPEMU_CLI_H
#define SNPEMU_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cli_command {
	const char *name;
	const char *summary;		   /* one line: what it does */
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

/* Exit statuses shared by the subcommands. */
#define CLI_EXIT_OK	      0
#define CLI_EXIT_FAILURE      1	  /* the operation ran and failed (a check failed, a write failed) */
#define CLI_EXIT_USAGE	      2	  /* bad command line or unusable input file */
#define CLI_EXIT_RUN_INTERNAL 125 /* `run`: its own usage or setup error (as `docker run` and `env`) */

/* Subcommands (one file each: src/cli/cmd_<name>.c). */
int cli_cmd_verify(int argc, char **argv);
int cli_cmd_decode(int argc, char **argv);
int cli_cmd_certs(int argc, char **argv);
int cli_cmd_report(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);
int cli_cmd_measure(int argc, char **argv);
int cli_cmd_bench(int argc, char **argv);
int cli_cmd_kds(int argc, char **argv);
int cli_cmd_tsm(int argc, char **argv); /* where libfuse3 is (SNPEMU_HAVE_FUSE) */

/* ---- Option tables (cli_opts.c) ---------------------------------------------------------------------------- */

/* One option of a command.  `key` is what the command's handler receives: a short letter (then `-k` works too)
 * or a value >= 256.  `arg` is the value's name for the help (NULL: a flag without value).  `help` says what it
 * means and `def` its default (NULL: none to show). */
struct cli_option {
	const char *name;
	int key;
	const char *arg;
	const char *help;
	const char *def;
};

struct cli_spec {
	const char *cmd;	       /* "run" */
	const char *synopsis;	       /* what follows "snpemu CMD " in the usage line */
	bool options_end_at_operand;   /* options stop at the first operand, which with what follows it is the
					  command's (run: GUEST [--] ARGS...); else options may follow operands */
	const char *description;       /* one paragraph */
	const struct cli_option *opts; /* terminated by {NULL} */
	const int (*exclusive)[2];     /* pairs of keys that cannot be given together, terminated by {0, 0} */
	const char *epilog;	       /* printed after the options (lists, exit statuses), or NULL */
	int usage_status;	       /* status of a usage error: CLI_EXIT_USAGE or, for run, 125 */
	void (*extra_help)(FILE *out); /* prints generated lists (guest programs, vCPU types), or NULL */
};

/* Called for each option in command-line order; returns 0, or an exit status after printing (cli_usage_error). */
typedef int (*cli_option_fn)(void *ctx, int key, const char *value);

#define CLI_CONTINUE (-1)
/* Parse argv (argv[0] is the command) against `spec`: --help prints the help and returns CLI_EXIT_OK; unknown
 * options, missing values and exclusive pairs return spec->usage_status after one message.  Returns CLI_CONTINUE
 * when the command should go on, with *operands set to the index of the first operand in argv. */
int cli_parse_options(const struct cli_spec *spec, int argc, char **argv, cli_option_fn fn, void *ctx, int *operands);
/* The long name of option `key` of `spec` ("?" if none). */
const char *cli_option_name(const struct cli_spec *spec, int key);
/* Print the help generated from `spec`. */
void cli_print_help(const struct cli_spec *spec, FILE *out);

/* "snpemu CMD: [WHAT: ]reason" on stderr.  `what` (a file, an option) may be NULL. */
__attribute__((format(printf, 3, 4))) void cli_error(const char *cmd, const char *what, const char *fmt, ...);
/* cli_error, then "(see snpemu CMD --help)"; returns spec->usage_status. */
__attribute__((format(printf, 3, 4))) int cli_usage_error(const struct cli_spec *spec, const char *what,
							  const char *fmt, ...);

/* Options shared by the subcommands that run a VM or create a platform (run, report, certs): one key, one table
 * row and one handler each, so they read and behave the same everywhere. */
enum {
	CLI_OPT_BACKEND = 'b',
	CLI_OPT_QUIET = 'q',
	CLI_OPT_PRODUCT = 512,
	CLI_OPT_SEED,
	CLI_OPT_STATS,
	CLI_OPT_REPORT_VERSION,
	CLI_OPT_POLICY,
	CLI_OPT_RATE,
};
#ifdef SNPEMU_HAVE_TCG
#define CLI_BACKEND_NAMES "sim|kvm|tcg|auto"
#define CLI_BACKEND_AUTO  "where the guest runs (auto: kvm where /dev/kvm runs guests, else tcg)"
#else
#define CLI_BACKEND_NAMES "sim|kvm|auto"
#define CLI_BACKEND_AUTO  "where the guest runs (auto: kvm where /dev/kvm runs guests, else sim)"
#endif
#define CLI_OPTION_BACKEND                                                              \
	{                                                                               \
		"backend", CLI_OPT_BACKEND, CLI_BACKEND_NAMES, CLI_BACKEND_AUTO, "auto" \
	}
#define CLI_OPTION_PRODUCT                                                                              \
	{                                                                                               \
		"product", CLI_OPT_PRODUCT, "genoa|milan|turin", "the platform's product line", "genoa" \
	}
#define CLI_OPTION_SEED                                                                             \
	{                                                                                           \
		"seed", CLI_OPT_SEED, "HEX", "platform seed, 1 to 64 bytes of hex (keys, chip ID)", \
		    "one fixed seed, the same for certs, report and run"                            \
	}
#define CLI_OPTION_STATS                                                                      \
	{                                                                                     \
		"stats", CLI_OPT_STATS, NULL, "print per-exit counts and mean latency", "off" \
	}
#define CLI_OPTION_REPORT_VERSION                                                                                   \
	{                                                                                                           \
		"report-version", CLI_OPT_REPORT_VERSION, "2|3|5", "attestation report version the firmware emits", \
		    "5"                                                                                             \
	}
#define CLI_OPTION_POLICY                                                                                    \
	{                                                                                                    \
		"policy", CLI_OPT_POLICY, "HEX", "SNP guest policy: bit 17 set, bits 63:26 clear", "0x30000" \
	}
#define CLI_OPTION_RATE                                                                         \
	{                                                                                       \
		"rate", CLI_OPT_RATE, "R[/BURST]",                                              \
		    "guest-request rate limit: R per second (fractions allowed), burst", "none" \
	}
#define CLI_OPTION_QUIET                                                                                    \
	{                                                                                                   \
		"quiet", CLI_OPT_QUIET, NULL, "no banner or summary lines, only the guest's console", "off" \
	}

struct vmm_config;
/* Apply one of the CLI_OPT_* keys above to `cfg`: 0, spec->usage_status after a message, or CLI_CONTINUE when
 * `key` is not one of them. */
int cli_vm_option(const struct cli_spec *spec, struct vmm_config *cfg, int key, const char *value);

/* Option values. */
enum vmm_backend_kind;
/* "sim" | "kvm" | "auto" -> *out; 0 or -1. */
int cli_parse_backend(const char *s, enum vmm_backend_kind *out);
/* 1..64 bytes of hex (optional 0x) -> seed[*len]; 0 or -1. */
int cli_parse_seed(const char *s, uint8_t seed[64], size_t *len);
/* An SNP guest policy (spec/snp-firmware-abi.md §3.3 "Guest POLICY bits"): reserved bit 17 set, bits 63:26 zero.
 * 0 or -1. */
int cli_parse_policy(const char *s, uint64_t *policy);
/* A rate limit "R[/BURST]": R > 0 requests per second (fractional allowed, at least 0.001), BURST 1..1000000.
 * 0 or -1. */
int cli_parse_rate(const char *s, double *rate, uint32_t *burst);

/* A duration: a decimal number with up to 6 fraction digits and a unit, one of ns, us, ms, s, min ("50ms", "2s",
 * "1.5s"), at most 24 hours -> *ns.  0 or -1. */
int cli_parse_duration(const char *s, uint64_t *ns);

/* ---- Live migration around `run` (cli_migrate.c) ------------------------------------------------------------ */

/* A stream address "tcp:HOST:PORT": HOST a literal IPv4 address, `localhost`, or a literal IPv6 address in
 * brackets; PORT 0..65535. */
struct cli_tcp_addr {
	char host[64];
	int family; /* AF_INET or AF_INET6 */
	uint16_t port;
};
/* 0, or -1 when `s` is not of that form. */
int cli_parse_tcp_addr(const char *s, struct cli_tcp_addr *a);
/* A listening socket on `a` (port 0: a free port): its fd with the port bound in *bound_port, or -errno
 * (-EADDRINUSE: the port is taken, -EADDRNOTAVAIL: not an address of this host). */
int cli_tcp_listen(const struct cli_tcp_addr *a, uint16_t *bound_port);
/* One connection from `listen_fd`: its fd, or -errno. */
int cli_tcp_accept(int listen_fd);
/* A connection to `a`, tried `attempts` times `delay_ms` apart while nobody listens there (ECONNREFUSED): its fd,
 * or the last -errno. */
int cli_tcp_connect(const struct cli_tcp_addr *a, unsigned int attempts, unsigned int delay_ms);

/* Where progress goes: `out` (stderr), rewriting one line when it is a terminal (`tty`). */
struct cli_migrate_view {
	FILE *out;
	bool tty;
};
struct vmm_migration_progress;
struct vmm_migration_summary;
/* vmm_migration.progress with a struct cli_migrate_view as opaque: one line per pass (pass, pages, MB/s, dirty
 * rate, estimated downtime). */
void cli_migrate_progress(const struct vmm_migration_progress *p, void *opaque);
/* The summary line of a completed migration (source: "completed", destination: "received"): total time,
 * downtime, bytes on the wire, pages shared / private / zero, passes. */
void cli_migrate_summary(const struct cli_migrate_view *v, bool incoming, const struct vmm_migration_summary *s);

/* ---- All-or-nothing output files (cli_output.c) ------------------------------------------------------------ */

struct cli_output_file {
	char *tmp, *path;
};

struct cli_output {
	const char *cmd;
	char *dir_created; /* the directory cli_output_dir created (removed again on abort), or NULL */
	unsigned int count, cap;
	struct cli_output_file *files;
};

void cli_output_init(struct cli_output *o, const char *cmd);
/* Make sure DIR exists (created if missing) and is a writable directory.  0, or -errno after a message. */
int cli_output_dir(struct cli_output *o, const char *dir);
/* Reserve PATH: an empty temporary file in PATH's directory (proving it writable) whose name is returned for a
 * writer (e.g. the VMM's trace).  NULL after a message. */
const char *cli_output_reserve(struct cli_output *o, const char *path);
/* Write DIR/NAME (dir NULL: NAME is the path) under a temporary name.  0, or -errno after a message. */
int cli_output_write(struct cli_output *o, const char *dir, const char *name, const void *data, size_t len);
/* Rename every file to its name and print each path on stdout (if `list`).  0, or -errno after a message (then
 * the files not yet renamed are removed). */
int cli_output_commit(struct cli_output *o, bool list);
/* Remove every temporary file, and the directory if cli_output_dir created it and it is empty.  Idempotent. */
void cli_output_abort(struct cli_output *o);

struct fw_platform;
/* ark/ask/vcek as .der and .pem and cert_table.bin of platform `p`, into `o` under DIR.  0 or -1 after a
 * message. */
int cli_output_platform_certs(struct cli_output *o, const char *dir, struct fw_platform *p);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * snpemu run: launch a guest program, run it, exit with its status.  The guest's status owns the exit codes
 * 0..124, so run's own usage and setup errors exit 125 (as `docker run` and `env` do); a guest status that would
 * read as 0 or as 125 and above is reported as 1 (the exact status is in the summary line).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/hv.h>
#include <snpemu/attest.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

#define RUN_MEM_MAX (64ull << 30) /* the VMM's limit (src/vmm/vm.c) */

enum {
	OPT_VCPUS = 'n',
	OPT_MEM = 'm',
	OPT_VM_TYPE = 256,
	OPT_CERTS,
	OPT_TRACE,
	OPT_EXPORT,
	OPT_VC,
	OPT_INCOMING,
	OPT_MIGRATE_TO,
	OPT_MIGRATE_AFTER,
	OPT_AMD_SEED,
	OPT_MEM_PREALLOC,
};

/* The source finds a destination started just before it: CONNECT_ATTEMPTS tries CONNECT_DELAY_MS apart (5 s). */
#define CONNECT_ATTEMPTS  50u
#define CONNECT_DELAY_MS  100u
/* MIGRATE_MA (snp-firmware-abi.md §3.3, bit 18): the firmware lets a guest leave only with it (docs/migration.md),
 * so --migrate-to without --policy launches with the default policy plus this bit. */
#define POLICY_DEFAULT	  0x30000ull
#define POLICY_MIGRATE_MA (1ull << 18)

static const struct cli_option run_options[] = {
    CLI_OPTION_BACKEND,
    {"vcpus", OPT_VCPUS, "N", "vCPUs, 1..16", "1"},
    {"mem", OPT_MEM, "SIZE", "guest RAM with K/M/G suffix, 32M..64G in 2M steps", "64M"},
    {"mem-prealloc", OPT_MEM_PREALLOC, NULL,
     "touch all guest RAM before the guest runs (with --incoming: while the source's guest still runs), so no "
     "first write faults later",
     "off"},
    {"vm-type", OPT_VM_TYPE, "snp|sev-es", "VM type", "snp"},
    CLI_OPTION_RATE,
    {"certs", OPT_CERTS, "FILE", "certificate table (cert_table.bin) served to extended requests",
     "the platform's chain"},
    CLI_OPTION_SEED,
    CLI_OPTION_PRODUCT,
    {"amd-seed", OPT_AMD_SEED, "HEX",
     "AMD root seed, 1 to 64 bytes of hex: platforms with the same one share an ARK and ASK (migration needs that)",
     "the root derives from --seed"},
    {"policy", CLI_OPT_POLICY, "HEX", "SNP guest policy: bit 17 set, bits 63:26 clear",
     "0x30000; 0x70000 (MIGRATE_MA) with --migrate-to"},
    CLI_OPTION_REPORT_VERSION,
    {"trace", OPT_TRACE, "FILE",
     "write a Chrome trace-event JSON of the exits, one track per vCPU (tcg: virtual-TSC times)", "none"},
    {"export", OPT_EXPORT, "FILE", "write what the guest exported (gst_export) to FILE", "none"},
#ifdef SNPEMU_HAVE_TCG
    {"vc", OPT_VC, NULL, "tcg only: CPUID, port IO and MSRs raise #VC, served by the guest's own #VC handler", "off"},
#endif
    {"migrate-to", OPT_MIGRATE_TO, "tcp:HOST:PORT",
     "migrate the running guest to a destination (`run --incoming`); HOST a literal IP or localhost", "none"},
    {"migrate-after", OPT_MIGRATE_AFTER, "DURATION",
     "with --migrate-to: start migrating after DURATION (50ms, 2s, 1.5s)", "0s"},
    {"incoming", OPT_INCOMING, "tcp:HOST:PORT",
     "be the destination: listen (port 0: any free port, printed), take one guest, run it (no GUEST)", "none"},
    CLI_OPTION_STATS,
    CLI_OPTION_QUIET,
    {NULL, 0, NULL, NULL, NULL},
};

/* The guest's shape comes with it on the stream: --incoming takes none of these. */
static const int run_exclusive[][2] = {
    {OPT_INCOMING, OPT_MIGRATE_TO},
    {OPT_INCOMING, OPT_MIGRATE_AFTER},
    {OPT_INCOMING, OPT_VCPUS},
    {OPT_INCOMING, OPT_MEM},
    {OPT_INCOMING, OPT_VM_TYPE},
    {OPT_INCOMING, CLI_OPT_POLICY},
    {0, 0},
};

static void run_programs_help(FILE *f)
{
	fprintf(f, "\nGUEST is a built-in program (below) or a program file built with the guest SDK (pkg-config "
		   "snpemu-guest):\n./NAME runs NAME.so on the sim backend and NAME.elf on the others; NAME.so or "
		   "NAME.elf names one.\n");
	fprintf(f, "\nguest programs (ARGS after GUEST go to the program's argument block):\n");
	for (const struct vmm_program *const *p = snpemu_programs(); *p; p++) {
		bool marked = strstr((*p)->summary, "kvm only") != NULL;
		fprintf(f, "  %-10s %s%s\n", (*p)->name, (*p)->summary,
			!(*p)->sim_run && !marked ? " (kvm and tcg backends only)" : "");
	}
}

static const struct cli_spec run_spec = {
    .cmd = "run",
    .synopsis = "[options] GUEST [--] [ARGS...]\n       snpemu run --incoming tcp:HOST:PORT [options]",
    .options_end_at_operand = true,
    .description = "Launch a guest program through the firmware model on a backend, handle its exits until it "
		   "ends, and exit\nwith its status.  The guest's console goes to stdout, the VMM's messages "
		   "to stderr.",
    .opts = run_options,
    .exclusive = run_exclusive,
    .epilog = "\nexit status: the guest's status (0 success, 1..124); 1 also for a guest status of 125 or more "
	      "or whose\nlow byte is 0; 125 for run's own errors (usage, setup, a --trace that could not be "
	      "written, a stream\naddress that cannot be listened on or connected to, a guest that did not arrive)\n",
    .usage_status = CLI_EXIT_RUN_INTERNAL,
    .extra_help = run_programs_help,
};

struct run_args {
	struct vmm_config cfg;
	const char *export_file;
	const char *incoming, *migrate_to; /* as given */
	struct cli_tcp_addr incoming_addr, migrate_to_addr;
	uint64_t migrate_after_ns;
	bool migrate_after, policy;
};

static int run_option(void *ctx, int key, const char *v)
{
	struct run_args *a = ctx;
	struct vmm_config *cfg = &a->cfg;
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
	case OPT_CERTS:
		cfg->certs_file = v;
		return 0;
	case CLI_OPT_POLICY:
		a->policy = true; /* --migrate-to defaults to MIGRATE_MA only when no policy was given */
		break;		  /* parsed by cli_vm_option */
	case OPT_TRACE:
		cfg->trace_file = v;
		return 0;
	case OPT_EXPORT:
		a->export_file = v;
		return 0;
	case OPT_VC:
		cfg->vc = true;
		return 0;
	case OPT_MEM_PREALLOC:
		cfg->mem_prealloc = true;
		return 0;
	case OPT_AMD_SEED:
		return cli_parse_seed(v, cfg->amd_seed, &cfg->amd_seed_len)
			   ? cli_usage_error(&run_spec, v, "--amd-seed wants 1 to 64 bytes of hex")
			   : 0;
	case OPT_INCOMING:
	case OPT_MIGRATE_TO:
		if (cli_parse_tcp_addr(v, key == OPT_INCOMING ? &a->incoming_addr : &a->migrate_to_addr))
			return cli_usage_error(&run_spec, v,
					       "--%s wants tcp:HOST:PORT (HOST a literal IPv4 address, localhost or "
					       "[IPv6]; PORT 0..65535)",
					       cli_option_name(&run_spec, key));
		*(key == OPT_INCOMING ? &a->incoming : &a->migrate_to) = v;
		return 0;
	case OPT_MIGRATE_AFTER:
		a->migrate_after = true;
		return cli_parse_duration(v, &a->migrate_after_ns)
			   ? cli_usage_error(&run_spec, v,
					     "--migrate-after wants a duration such as 50ms, 2s or 1.5s (units ns, "
					     "us, ms, s, min; at most 24 hours)")
			   : 0;
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

/* A program file rather than a built-in name: anything with a slash, or a NAME.elf / NAME.so. */
static bool is_path(const char *guest)
{
	size_t n = strlen(guest);
	return strchr(guest, '/') || (n > 4 && !strcmp(guest + n - 4, ".elf")) ||
	       (n > 3 && !strcmp(guest + n - 3, ".so"));
}

/* Opens the file the chosen backend needs (an `auto` choice is made here, so that the file matches it) and says
 * which.  0, or -1 after a message naming the file and its problem. */
static int open_file(const char *path, struct vmm_config *cfg, struct vmm_program_file **file)
{
	enum vmm_backend_kind kind;
	bool runs_elf;
	char why[1024];
	if (vmm_backend_resolve(cfg->backend, stderr, &kind, &runs_elf))
		return -1;
	if (vmm_program_file_open(path, runs_elf, file, why, sizeof(why))) {
		cli_error("run", NULL, "%s", why);
		return -1;
	}
	cfg->backend = kind;
	cfg->program = vmm_program_file_program(*file);
	if (!cfg->quiet)
		fprintf(stderr, "snpemu: guest program %s ('%s') on the %s backend\n", vmm_program_file_path(*file),
			cfg->program->name, vmm_backend_name(kind));
	return 0;
}

/* --export: the bytes the guest exported, exactly (possibly none), to the reserved temporary file. */
static int write_export(const char *tmp, const char *path, const struct vmm_result *res)
{
	errno = 0;
	FILE *f = fopen(tmp, "wb");
	bool written = f && fwrite(res->exported, 1, res->exported_len, f) == res->exported_len;
	/* Closed exactly once, whether or not the write went through (a failed fclose must not be retried). */
	if (!f || fclose(f) || !written) {
		cli_error("run", path, "cannot write: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

/* The guest's status as a process exit status that cannot be mistaken for success or for run's own 125. */
static int guest_exit_status(int status)
{
	int low = status & 0xFF;
	if (!status)
		return CLI_EXIT_OK;
	return low == 0 || low >= CLI_EXIT_RUN_INTERNAL ? CLI_EXIT_FAILURE : low;
}

/* Migration needs a backend whose vCPUs can leave the process: refused here with the reason rather than after
 * the guest launched. */
static int check_migration_backend(const struct vmm_config *cfg)
{
	enum vmm_backend_kind kind;
	bool runs_elf;
	if (vmm_backend_resolve(cfg->backend, stderr, &kind, &runs_elf))
		return -1;
	if (kind == VMM_BACKEND_SIM) {
		cli_error(
		    "run", NULL,
		    "the sim backend cannot migrate a guest (its vCPUs are host threads): use --backend tcg or kvm");
		return -1;
	}
	return 0;
}

/* The stream: the destination listens and takes one connection, the source connects (retrying while nobody
 * listens yet).  0, or -1 after a message naming the address. */
static int open_stream(const struct run_args *a, struct vmm_migration *m)
{
	int fd;
	if (a->incoming) {
		const struct cli_tcp_addr *ad = &a->incoming_addr;
		uint16_t port;
		int lfd = cli_tcp_listen(ad, &port);
		if (lfd < 0) {
			cli_error("run", a->incoming, "cannot listen: %s",
				  lfd == -EADDRINUSE	  ? "the port is in use"
				  : lfd == -EADDRNOTAVAIL ? "not an address of this host"
							  : strerror(-lfd));
			return -1;
		}
		bool v6 = ad->family == AF_INET6;
		fprintf(stderr, "snpemu: waiting for a guest on tcp:%s%s%s:%u\n", v6 ? "[" : "", ad->host,
			v6 ? "]" : "", port);
		fd = cli_tcp_accept(lfd);
		close(lfd);
		if (fd < 0) {
			cli_error("run", a->incoming, "cannot accept a connection: %s", strerror(-fd));
			return -1;
		}
	} else {
		fd = cli_tcp_connect(&a->migrate_to_addr, CONNECT_ATTEMPTS, CONNECT_DELAY_MS);
		if (fd < 0) {
			cli_error("run", a->migrate_to, "cannot connect: %s", strerror(-fd));
			return -1;
		}
	}
	m->fd = fd;
	m->incoming = a->incoming != NULL;
	m->after_ns = a->migrate_after_ns;
	return 0;
}

/* After the run: the summary of a migration that completed, or why it did not (the guest then ran on here). */
static void report_migration(const struct run_args *a, const struct vmm_result *res,
			     const struct cli_migrate_view *view)
{
	if (res->migrated_out || res->migrated_in) {
		if (!a->cfg.quiet)
			cli_migrate_summary(view, res->migrated_in, &res->migration);
	} else if (res->migrate_error) {
		cli_error("run", a->migrate_to,
			  "migration failed (%s): the guest ran on here and finished with status %d",
			  strerror(-res->migrate_error), res->status);
	} else if (a->migrate_to) {
		cli_error("run", a->migrate_to, "the guest ended (status %d) before the migration began", res->status);
	}
}

int cli_cmd_run(int argc, char **argv)
{
	struct run_args a = {0};
	struct vmm_config *cfg = &a.cfg;
	struct vmm_migration mig = {.fd = -1, .progress = cli_migrate_progress};
	struct cli_migrate_view view = {.out = stderr, .tty = isatty(STDERR_FILENO) == 1};
	int operands;
	vmm_config_default(cfg);
	int rc = cli_parse_options(&run_spec, argc, argv, run_option, &a, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (a.incoming && operands < argc)
		return cli_usage_error(&run_spec, argv[operands],
				       "--incoming takes no GUEST: the guest arrives on the stream");
	if (!a.incoming && operands >= argc)
		return cli_usage_error(&run_spec, NULL, "expected a GUEST");
	if (a.migrate_after && !a.migrate_to)
		return cli_usage_error(&run_spec, NULL, "--migrate-after needs --migrate-to");
	cfg->msg = stderr; /* the VMM's messages are diagnostics: stdout is the guest's console */
	if (cfg->certs_file && check_certs_file(cfg->certs_file))
		return CLI_EXIT_RUN_INTERNAL;
	if ((a.incoming || a.migrate_to) && check_migration_backend(cfg))
		return CLI_EXIT_RUN_INTERNAL;
	if (a.migrate_to && !a.policy)
		cfg->policy = POLICY_DEFAULT | POLICY_MIGRATE_MA;
	mig.opaque = cfg->quiet ? NULL : &view;
	if (cfg->quiet)
		mig.progress = NULL;

	struct cli_output out;
	cli_output_init(&out, "run");
	const char *trace_path = cfg->trace_file, *export_tmp = NULL;
	struct vmm_program_file *file = NULL;
	struct vmm_result *res = NULL;
	int status = CLI_EXIT_RUN_INTERNAL;
	if (a.incoming) {
		/* no program: it arrives with the guest */
	} else if (is_path(argv[operands])) {
		if (open_file(argv[operands], cfg, &file))
			goto out;
	} else if (!(cfg->program = snpemu_program_find(argv[operands]))) {
		status = cli_usage_error(&run_spec, argv[operands],
					 "no such guest program (a program file is a path: ./NAME)");
		goto out;
	}
	if (!a.incoming) {
		/* What follows GUEST (after an optional "--") is the program's argument block. */
		int first = operands + 1 + (operands + 1 < argc && !strcmp(argv[operands + 1], "--"));
		cfg->args = (const char *const *)(argv + first);
		cfg->nargs = (uint32_t)(argc - first);
	}
	if (trace_path && !(cfg->trace_file = cli_output_reserve(&out, trace_path)))
		goto out;
	if (a.export_file && !(export_tmp = cli_output_reserve(&out, a.export_file)))
		goto out;
	res = calloc(1, sizeof(*res));
	if (!res) {
		cli_error("run", NULL, "out of memory");
		goto out;
	}
	if (a.incoming || a.migrate_to) {
		/* A peer that goes away must be an error on the stream (EPIPE), not a signal that ends the source. */
		signal(SIGPIPE, SIG_IGN);
		if (open_stream(&a, &mig))
			goto out;
		cfg->migration = &mig;
	}
	if (vmm_run(cfg, res))
		goto out; /* the VMM printed why */
	report_migration(&a, res, &view);
	if (res->trace_error) {
		cli_error("run", trace_path, "cannot write the trace: %s", strerror(-res->trace_error));
		goto out;
	}
	if (export_tmp && write_export(export_tmp, a.export_file, res))
		goto out;
	if (cli_output_commit(&out, false))
		goto out;
	status = guest_exit_status(res->status);
out:
	cli_output_abort(&out);
	free(res);
	vmm_program_file_close(file);
	if (mig.fd >= 0)
		close(mig.fd);
	return status;
}

/* SPDX-License-Identifier: MIT */
/* snpemu run: launch a guest program, run it, exit with its status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/hv.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#include "cli/cli.h"
#include "cli/attest_io.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: snpemu run [options] GUEST [--] [ARGS...]   (ARGS go to the guest program)\n"
		"  GUEST is a built-in program (below) or a path: ./NAME runs NAME.so on the sim backend and\n"
		"  NAME.elf on kvm (built from one source with pkg-config snpemu-guest); NAME.elf / NAME.so name one\n"
		"  --backend sim|kvm|auto   where the guest runs (default auto)\n"
		"  --vcpus N                vCPUs (1..16, default 1)\n"
		"  --mem SIZE               guest RAM, e.g. 64M (default 64M)\n"
		"  --vm-type snp|sev-es     VM type (default snp)\n"
		"  --rate R[/BURST]         guest-request rate limit per second (default unlimited)\n"
		"  --certs FILE             certificate table served to extended requests\n"
		"  --seed HEX               platform seed (keys, chip ID)\n"
		"  --product genoa|milan|turin\n"
		"  --policy HEX             SNP guest policy (default 0x30000)\n"
		"  --trace FILE.json        Chrome trace-event JSON, one track per vCPU\n"
		"  --stats                  per-exit-code counts and mean latency\n"
		"  --quiet                  only the guest's console\n"
		"  --export FILE            write what the guest exported (gst_export) to FILE\n"
		"guests:\n");
	for (const struct vmm_program *const *p = snpemu_programs(); *p; p++)
		fprintf(f, "  %-10s %s\n", (*p)->name, (*p)->summary);
}

/* A program file rather than a built-in name: anything with a slash, or a NAME.elf / NAME.so. */
static bool is_path(const char *guest)
{
	size_t n = strlen(guest);
	return strchr(guest, '/') || (n > 4 && !strcmp(guest + n - 4, ".elf")) ||
	       (n > 3 && !strcmp(guest + n - 3, ".so"));
}

/* Opens the file the chosen backend needs (an `auto` choice is made here, so that the file matches it) and says
 * which.  0, or the exit code of a file that cannot run (its problem printed). */
static int open_file(const char *path, struct vmm_config *cfg, struct vmm_program_file **file)
{
	enum vmm_backend_kind kind;
	bool runs_elf;
	char why[1024];
	if (vmm_backend_resolve(cfg->backend, stderr, &kind, &runs_elf))
		return CLI_EXIT_SETUP;
	if (vmm_program_file_open(path, runs_elf, file, why, sizeof(why))) {
		fprintf(stderr, "snpemu run: %s\n", why);
		return CLI_EXIT_SETUP;
	}
	cfg->backend = kind;
	cfg->program = vmm_program_file_program(*file);
	if (!cfg->quiet)
		printf("snpemu: guest program %s ('%s') on the %s backend\n", vmm_program_file_path(*file),
		       cfg->program->name, vmm_backend_name(kind));
	return 0;
}

/* --export: the bytes the guest exported, exactly (possibly none). */
static int write_export(const char *path, const struct vmm_result *res)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(res->exported, 1, res->exported_len, f) != res->exported_len || fclose(f)) {
		fprintf(stderr, "snpemu run: --export %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return 0;
}

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, "snpemu run: invalid %s '%s'\n", opt, val ? val : "");
	return CLI_EXIT_USAGE;
}

int cli_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"backend", required_argument, 0, 'b'},
	    {"vcpus", required_argument, 0, 'n'},
	    {"mem", required_argument, 0, 'm'},
	    {"vm-type", required_argument, 0, 't'},
	    {"rate", required_argument, 0, 'r'},
	    {"certs", required_argument, 0, 'c'},
	    {"seed", required_argument, 0, 's'},
	    {"product", required_argument, 0, 'p'},
	    {"policy", required_argument, 0, 'P'},
	    {"trace", required_argument, 0, 'T'},
	    {"stats", no_argument, 0, 'S'},
	    {"quiet", no_argument, 0, 'q'},
	    {"help", no_argument, 0, 'h'},
	    {"export", required_argument, 0, 'E'},
	    {0, 0, 0, 0},
	};
	struct vmm_config cfg;
	const char *export_file = NULL;
	vmm_config_default(&cfg);
	uint64_t v;
	int opt;
	optind = 1;
	/* "+": options stop at GUEST; what follows it (after an optional "--") is the program's. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			if (cli_parse_backend(optarg, &cfg.backend))
				return bad("--backend", optarg);
			break;
		case 'n':
			if (cli_parse_u64(optarg, 16, &v) || !v)
				return bad("--vcpus (1..16)", optarg);
			cfg.vcpus = (uint32_t)v;
			break;
		case 'm':
			if (vmm_parse_size(optarg, &cfg.mem_size))
				return bad("--mem", optarg);
			break;
		case 't':
			if (!strcmp(optarg, "snp"))
				cfg.vm_type = HV_VM_TYPE_SNP;
			else if (!strcmp(optarg, "sev-es"))
				cfg.vm_type = HV_VM_TYPE_SEV_ES;
			else
				return bad("--vm-type", optarg);
			break;
		case 'r': {
			char *end;
			double rate = strtod(optarg, &end);
			if (end == optarg || rate <= 0 || rate > 1e9)
				return bad("--rate", optarg);
			cfg.rate = rate;
			if (*end == '/') {
				if (cli_parse_u64(end + 1, 1000000, &v) || !v)
					return bad("--rate burst", optarg);
				cfg.burst = (uint32_t)v;
			} else if (*end) {
				return bad("--rate", optarg);
			}
			break;
		}
		case 'c':
			cfg.certs_file = optarg;
			break;
		case 's':
			if (cli_parse_seed(optarg, cfg.seed, &cfg.seed_len))
				return bad("--seed (hex, 1 to 64 bytes)", optarg);
			break;
		case 'p':
			if (fw_product_parse(optarg, &cfg.product))
				return bad("--product", optarg);
			break;
		case 'P':
			if (cli_parse_u64(optarg, ~0ull, &cfg.policy))
				return bad("--policy", optarg);
			break;
		case 'T':
			cfg.trace_file = optarg;
			break;
		case 'S':
			cfg.stats = true;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'E':
			export_file = optarg;
			break;
		case 'h':
			run_usage(stdout);
			return CLI_EXIT_OK;
		default:
			run_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "snpemu run: expected a GUEST\n");
		run_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	struct vmm_program_file *file = NULL;
	if (is_path(argv[optind])) {
		int rc = open_file(argv[optind], &cfg, &file);
		if (rc)
			return rc;
	} else if (!(cfg.program = snpemu_program_find(argv[optind]))) {
		fprintf(stderr, "snpemu run: unknown guest program '%s' (a program file is a path: ./NAME)\n",
			argv[optind]);
		run_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	int first = optind + 1 + (optind + 1 < argc && !strcmp(argv[optind + 1], "--"));
	cfg.args = (const char *const *)(argv + first);
	cfg.nargs = (uint32_t)(argc - first);
	struct vmm_result *res = calloc(1, sizeof(*res));
	if (!res) {
		vmm_program_file_close(file);
		return CLI_EXIT_FAILURE;
	}
	int rc = vmm_run(&cfg, res);
	int status = rc ? CLI_EXIT_FAILURE : res->status & 0xFF;
	if (!rc && res->status && !status)
		status = CLI_EXIT_FAILURE; /* a status whose low byte is 0 must not read as success */
	if (!rc && export_file && write_export(export_file, res))
		status = status ? status : CLI_EXIT_FAILURE;
	free(res);
	vmm_program_file_close(file);
	return status;
}

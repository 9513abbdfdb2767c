/* SPDX-License-Identifier: MIT */
/*
 * snpemu tsm (--mount DIR | --exec -- CMD ARGS...) [launch options]: launches the tsmd guest (guests/tsmd.c) and
 * serves its reports as the Linux configfs-tsm report interface over FUSE (include/snpemu/tsm.h,
 * src/tsm/fuse_fs.h), so that unmodified attestation clients get real SNP reports from snpemu.  --mount serves at
 * DIR until SIGINT/SIGTERM/SIGHUP; --exec runs CMD in a private mount namespace where the tree is at
 * /sys/kernel/config/tsm (go-configfs-tsm's hard-coded path) and returns CMD's exit status.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <snpemu/programs.h>
#include <snpemu/tsm.h>
#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"
#include "tsm/fuse_fs.h"

#define TSM_PATH	 "/sys/kernel/config/tsm"
#define TSM_READY_MS	 120000ull /* launch until tsmd waits for requests (tcg under sanitizers is slow) */
#define TSM_SLACK_MS	 30000ull  /* a request's bound beyond the guest's BUSY budget */
#define TSM_BUSY_DEFAULT 60000ull  /* Linux SNP_REQ_MAX_RETRY_DURATION */

enum {
	OPT_MOUNT = 256,
	OPT_EXEC,
	OPT_BUSY_TIMEOUT,
};

static const struct cli_option tsm_options[] = {
    {"mount", OPT_MOUNT, "DIR", "serve the configfs-tsm tree at DIR until SIGINT/SIGTERM", NULL},
    {"exec", OPT_EXEC, NULL,
     "run CMD ARGS... in a private mount namespace with the tree at " TSM_PATH ", then stop (needs root)", NULL},
    CLI_OPTION_BACKEND,
    CLI_OPTION_PRODUCT,
    CLI_OPTION_SEED,
    CLI_OPTION_REPORT_VERSION,
    CLI_OPTION_POLICY,
    CLI_OPTION_RATE,
    {"busy-timeout-ms", OPT_BUSY_TIMEOUT, "N",
     "how long the guest resends a request the host answers BUSY before it fails it and disables its VMPCK "
     "(1..3600000)",
     "60000 (Linux)"},
    {NULL, 0, NULL, NULL, NULL},
};

static const int tsm_exclusive[][2] = {{OPT_MOUNT, OPT_EXEC}, {0, 0}};

static const struct cli_spec tsm_spec = {
    .cmd = "tsm",
    .synopsis = "(--mount DIR | --exec [--] CMD [ARGS...]) [launch options]",
    .options_end_at_operand = true,
    .description =
	"Launch the tsmd guest and serve its attestation reports as the Linux configfs-tsm report interface\n"
	"(FUSE): mkdir report/NAME; write REPORT_DATA (at most 64 bytes) to inblob and optionally a VMPL to\n"
	"privlevel; read outblob (the report from a real SNP guest request), auxblob (the certificate table),\n"
	"provider, generation and privlevel_floor.  The kernel's errors: EINVAL (empty inblob, privlevel out of\n"
	"range), EFBIG (inblob over 64 bytes), ENXIO (the guest's request failed; after any failure other than a\n"
	"firmware refusal the guest's VMPCK is disabled and every later report fails), EBUSY (generation would wrap).",
    .opts = tsm_options,
    .exclusive = tsm_exclusive,
    .epilog = "\nexit status: --exec: CMD's status (128 + N when a signal N ended it); --mount: 0 when stopped by a\n"
	      "signal, 1 when the guest stopped; 125 usage or setup error (no FUSE, no namespace, not permitted)\n",
    .usage_status = CLI_EXIT_RUN_INTERNAL,
};

struct tsm_args {
	const char *mount_dir;
	bool exec;
	uint64_t busy_ms;
	char busy_arg[24];
	const char *guest_args[2];
	struct vmm_config cfg;
};

static int tsm_option(void *ctx, int key, const char *v)
{
	struct tsm_args *a = ctx;
	uint64_t n;
	switch (key) {
	case OPT_MOUNT:
		a->mount_dir = v;
		return 0;
	case OPT_EXEC:
		a->exec = true;
		return 0;
	case OPT_BUSY_TIMEOUT:
		if (cli_parse_u64(v, 3600000, &n) || n == 0)
			return cli_usage_error(&tsm_spec, v, "--busy-timeout-ms wants 1..3600000");
		a->busy_ms = n;
		return 0;
	default: {
		int rc = cli_vm_option(&tsm_spec, &a->cfg, key, v);
		return rc != CLI_CONTINUE ? rc : cli_usage_error(&tsm_spec, NULL, "internal: unhandled option");
	}
	}
}

/* The VM, on a thread of its own while the filesystem serves. */
struct tsm_vm {
	struct vmm_config cfg;
	struct vmm_result res;
	pthread_t thread;
	int rc;
};

static void *vm_thread(void *arg)
{
	struct tsm_vm *vm = arg;
	vm->rc = vmm_run(&vm->cfg, &vm->res);
	return NULL;
}

/* A private mount namespace where TSM_PATH is an empty directory on a tmpfs: over /sys/kernel/config when it
 * exists (configfs without the tsm directory, or read-only), else over /sys/kernel.  0 or -1 after a message. */
static int private_tsm_dir(void)
{
	if (unshare(CLONE_NEWNS)) {
		cli_error("tsm", NULL, "cannot create a mount namespace: %s%s", strerror(errno),
			  errno == EPERM ? " (--exec needs root, CAP_SYS_ADMIN)" : "");
		return -1;
	}
	/* Nothing we mount may propagate back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		cli_error("tsm", "/", "cannot make the mounts private: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (!stat(TSM_PATH, &st) && S_ISDIR(st.st_mode))
		return 0;
	const char *base =
	    !stat("/sys/kernel/config", &st) && S_ISDIR(st.st_mode) ? "/sys/kernel/config" : "/sys/kernel";
	if (mount("snpemu-tsm", base, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k")) {
		cli_error("tsm", base, "cannot mount a tmpfs: %s", strerror(errno));
		return -1;
	}
	if ((mkdir("/sys/kernel/config", 0755) && errno != EEXIST) || mkdir(TSM_PATH, 0755)) {
		cli_error("tsm", TSM_PATH, "cannot create: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Run CMD with the signals we wait for unblocked; forward SIGINT/SIGTERM/SIGHUP to it; its exit status. */
static int run_command(char **cmd, const sigset_t *waited)
{
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("tsm", cmd[0], "cannot fork: %s", strerror(errno));
		return CLI_EXIT_RUN_INTERNAL;
	}
	if (pid == 0) {
		pthread_sigmask(SIG_UNBLOCK, waited, NULL);
		execvp(cmd[0], cmd);
		fprintf(stderr, "snpemu tsm: %s: %s\n", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		int sig, status;
		sigwait(waited, &sig);
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

int cli_cmd_tsm(int argc, char **argv)
{
	struct tsm_args a = {.busy_ms = TSM_BUSY_DEFAULT};
	int operands;
	vmm_config_default(&a.cfg);
	int rc = cli_parse_options(&tsm_spec, argc, argv, tsm_option, &a, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (!a.mount_dir && !a.exec)
		return cli_usage_error(&tsm_spec, NULL, "say where: --mount DIR or --exec CMD");
	if (a.exec && operands >= argc)
		return cli_usage_error(&tsm_spec, NULL, "--exec needs a command");
	if (a.mount_dir && operands < argc)
		return cli_usage_error(&tsm_spec, argv[operands], "unexpected argument");

	/* Signals are taken with sigwait: block them before any thread starts (threads inherit the mask). */
	sigset_t waited;
	sigemptyset(&waited);
	sigaddset(&waited, SIGINT);
	sigaddset(&waited, SIGTERM);
	sigaddset(&waited, SIGHUP);
	if (a.exec)
		sigaddset(&waited, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &waited, NULL);
	/* The namespace first, while this process has one thread: every thread after it shares it. */
	if (a.exec && private_tsm_dir())
		return CLI_EXIT_RUN_INTERNAL;

	struct vmm_service *svc = NULL;
	struct tsm_reports *reports = NULL;
	struct tsm_fs *fs = NULL;
	struct tsm_vm *vm = calloc(1, sizeof(*vm));
	int status = CLI_EXIT_RUN_INTERNAL;
	bool vm_started = false;
	if (!vm || vmm_service_new(&svc)) {
		cli_error("tsm", NULL, "out of memory");
		goto out;
	}
	/* The filesystem before the guest: a missing /dev/fuse or mount permission fails before anything launches.
	 * A client that comes early waits in vmm_service_call until the guest takes its request. */
	struct tsm_guest_source src = {.svc = svc, .timeout_ms = a.busy_ms + TSM_SLACK_MS};
	struct tsm_provider prov;
	tsm_guest_provider(&prov, &src);
	char why[256];
	const char *dir = a.exec ? TSM_PATH : a.mount_dir;
	if (tsm_reports_new(&prov, &reports) || (rc = tsm_fs_mount(reports, dir, &fs, why, sizeof(why)))) {
		cli_error("tsm", NULL, "%s", reports ? why : "out of memory");
		goto out;
	}
	snprintf(a.busy_arg, sizeof(a.busy_arg), "%llu", (unsigned long long)a.busy_ms);
	a.guest_args[0] = "--busy-timeout-ms";
	a.guest_args[1] = a.busy_arg;
	vm->cfg = a.cfg;
	vm->cfg.program = snpemu_program_find("tsmd");
	vm->cfg.args = a.guest_args;
	vm->cfg.nargs = 2;
	vm->cfg.service = svc;
	vm->cfg.quiet = true;
	vm->cfg.out = vm->cfg.msg = stderr; /* stdout belongs to CMD */
	if (pthread_create(&vm->thread, NULL, vm_thread, vm)) {
		cli_error("tsm", NULL, "cannot start the VM thread");
		goto out;
	}
	vm_started = true;
	if ((rc = vmm_service_wait_ready(svc, TSM_READY_MS))) {
		cli_error("tsm", NULL, "the tsmd guest did not start: %s",
			  rc == -EPIPE ? "its run ended" : strerror(-rc));
		goto out;
	}
	if (a.exec) {
		status = run_command(argv + operands, &waited);
	} else {
		enum vmm_backend_kind kind = vm->cfg.backend;
		bool elf;
		if (vmm_backend_resolve(vm->cfg.backend, NULL, &kind, &elf))
			kind = vm->cfg.backend;
		fprintf(stderr, "snpemu tsm: serving configfs-tsm reports at %s (backend %s)\n", dir,
			vmm_backend_name(kind));
		int sig;
		sigwait(&waited, &sig);
		status = CLI_EXIT_OK;
	}
out:
	tsm_fs_unmount(fs);
	if (vm_started) {
		vmm_service_close(svc);
		pthread_join(vm->thread, NULL);
		if (status == CLI_EXIT_OK && !a.exec && (vm->rc || vm->res.status))
			status = CLI_EXIT_FAILURE;
	}
	tsm_reports_free(reports);
	vmm_service_free(svc);
	free(vm);
	pthread_sigmask(SIG_UNBLOCK, &waited, NULL);
	return status;
}

/* SPDX-License-Identifier: MIT */
/*
 * `snpemu tsm` throughput (issue 16): reports/s a configfs-tsm client gets through the FUSE filesystem (a loop of
 * write inblob + read outblob, so each report is a new generation: an extended SNP guest request made by the tsmd
 * guest), against the firmware model's direct rate (bench_fw: the same report request handed to fw_guest_request
 * with no guest, VMM or filesystem around it).  Also the rate of the same requests through the host service channel
 * without FUSE, so the two costs are told apart.  On sim, and tcg where built.  Needs root and /dev/fuse for the
 * mount (a private mount namespace); says so and skips otherwise.  No limit is set by the issue: ratios are reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snpemu/abi/tsm.h>
#include <snpemu/programs.h>
#include <snpemu/tsm.h>
#include <snpemu/vmm.h>

#include "bench.h"
#include "tsm/fuse_fs.h"

#define SECONDS 2.0

struct vm {
	struct vmm_config cfg;
	struct vmm_result res;
	struct vmm_service *svc;
	pthread_t thread;
	int rc;
};

static void *run(void *arg)
{
	struct vm *v = arg;
	v->rc = vmm_run(&v->cfg, &v->res);
	return NULL;
}

static int vm_start(struct vm *v, enum vmm_backend_kind backend)
{
	memset(v, 0, sizeof(*v));
	if (vmm_service_new(&v->svc))
		return -ENOMEM;
	vmm_config_default(&v->cfg);
	v->cfg.program = snpemu_program_find("tsmd");
	v->cfg.backend = backend;
	v->cfg.service = v->svc;
	v->cfg.quiet = true;
	v->cfg.out = v->cfg.err = stderr;
	if (pthread_create(&v->thread, NULL, run, v))
		return -EAGAIN;
	return vmm_service_wait_ready(v->svc, 120000);
}

static void vm_stop(struct vm *v)
{
	vmm_service_close(v->svc);
	pthread_join(v->thread, NULL);
	vmm_service_free(v->svc);
}

/* Extended report requests straight through the channel. */
static double channel_rate(struct vm *v)
{
	static uint8_t reply[SNPEMU_SERVICE_REPLY_MAX];
	struct snpemu_tsm_req req = {.op = SNPEMU_TSM_OP_REPORT, .flags = SNPEMU_TSM_REQ_CERTS};
	unsigned n = 0;
	double t0 = bench_now_s(), t;
	do {
		size_t len;
		req.report_data[0] = (uint8_t)n;
		if (vmm_service_call(v->svc, &req, sizeof(req), reply, sizeof(reply), &len, 60000) ||
		    ((struct snpemu_tsm_reply *)(void *)reply)->result != SNPEMU_TSM_OK)
			return 0;
		n++;
	} while ((t = bench_now_s() - t0) < SECONDS);
	return n / t;
}

/* A client's loop: write inblob, read outblob (new generation each time: one report per iteration). */
static double fs_rate(const char *dir)
{
	char entry[256], in[300], out[300];
	snprintf(entry, sizeof(entry), "%s/report/b", dir);
	snprintf(in, sizeof(in), "%s/inblob", entry);
	snprintf(out, sizeof(out), "%s/outblob", entry);
	if (mkdir(entry, 0755))
		return 0;
	unsigned n = 0;
	double t0 = bench_now_s(), t;
	do {
		uint8_t data[64] = {(uint8_t)n, (uint8_t)(n >> 8)}, report[4096];
		int fd = open(in, O_WRONLY | O_TRUNC);
		if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data) || close(fd))
			return 0;
		fd = open(out, O_RDONLY);
		if (fd < 0 || read(fd, report, sizeof(report)) != 1184 || close(fd))
			return 0;
		n++;
	} while ((t = bench_now_s() - t0) < SECONDS);
	rmdir(entry);
	return n / t;
}

static int measure(struct bench_report *r, enum vmm_backend_kind backend, const char *dir, double direct)
{
	struct vm v;
	int rc = vm_start(&v, backend);
	if (rc) {
		fprintf(stderr, "bench tsm: the tsmd guest did not start on %s: %s\n", vmm_backend_name(backend),
			strerror(-rc));
		return rc;
	}
	double ch = channel_rate(&v);
	struct tsm_guest_source src = {.svc = v.svc, .timeout_ms = 60000};
	struct tsm_provider p;
	tsm_guest_provider(&p, &src);
	struct tsm_reports *reports = NULL;
	struct tsm_fs *fs = NULL;
	char why[256];
	double fsr = 0;
	if (!tsm_reports_new(&p, &reports) && !(rc = tsm_fs_mount(reports, dir, &fs, why, sizeof(why))))
		fsr = fs_rate(dir);
	else
		fprintf(stderr, "bench tsm: %s\n", why);
	tsm_fs_unmount(fs);
	tsm_reports_free(reports);
	vm_stop(&v);
	const char *b = vmm_backend_name(backend);
	bench_add_rate(r, ch, "reports/s", direct, "firmware model's direct reports/s", 0,
		       "%s: extended reports through the host service channel", b);
	bench_add_rate(r, fsr, "reports/s", direct, "firmware model's direct reports/s", 0,
		       "%s: write inblob + read outblob through the tsm filesystem", b);
	return fsr > 0 && ch > 0 ? 0 : -EIO;
}

int main(void)
{
	if (access("/dev/fuse", R_OK | W_OK) || geteuid() != 0) {
		printf("bench tsm: skipped (needs root and /dev/fuse for the FUSE mount)\n");
		return 0;
	}
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		printf("bench tsm: skipped (no private mount namespace: %s)\n", strerror(errno));
		return 0;
	}
	char dir[] = "/tmp/snpemu-bench-tsm-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	struct bench_report fw = {0}, r = {0};
	if (bench_fw(&fw) || fw.count == 0) {
		rmdir(dir);
		return 1;
	}
	double direct = fw.figures[0].value; /* "report requests (sign, encrypt)" */
	bench_add_rate(&r, direct, "reports/s", 0, NULL, 0, "firmware model: report requests, direct");
	int rc = measure(&r, VMM_BACKEND_SIM, dir, direct);
#ifdef SNPEMU_HAVE_TCG
	if (!rc)
		rc = measure(&r, VMM_BACKEND_TCG, dir, direct);
#endif
	rmdir(dir);
	bench_print(&r, "tsm", stdout);
	return rc ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Live migration of a running VM (issue 15), end to end in one process: the migrate program on tcg with a 1 GiB
 * working region, half of it private, dirtying 50 MB/s, moved over loopback TCP from one vmm_run thread to another.
 * Figures against the targets: downtime (at most 30 ms), bytes on the wire over the memory the guest touched
 * (the region it wrote; at most 1.05), and the private-page throughput: the CPU time the migrating threads
 * spent in the firmware exporting (source) and importing (destination) the private records that sealed page
 * bytes, against the CPU time plain OpenSSL AES-256-GCM takes sealing and opening as many bytes in records of the
 * same sizes in this process (at least 0.5; the baseline is bench/migrate.c's helper, fw_bench_openssl_gcm_pages).
 * CPU time, because the guest's vCPU thread and the other side of the move share the cores with each side: wall
 * time would count their turns.  Total time and the whole stream's page rate are printed for information.
 *
 * The destination preallocates its RAM (vmm_config.mem_prealloc, `run --incoming --mem-prealloc`) while the
 * source's guest fills its region: on a virtualised host the first write to a fresh page costs more than the
 * page's decryption (about 7 us a page measured here), which would set the pace of the first pass.
 *
 * The guest first writes its whole region (the touched memory), which takes tcg a while: migration starts
 * AFTER_S seconds in, once that is done.  tcg's own clock is virtual (every read 1 ms), so the guest paces its
 * writes by the VMM's TSC MSR instead (--wall-clock: wall-clock time) and dirties DIRTY_MIBPS of wall time, and
 * flips a pair of chunks shared <-> private once a wall-clock second; the rate the VMM's dirty log saw during the
 * pre-copy passes is printed beside it.
 *   usage: migrate_vm [MiB of working region, default 1024] [seconds of guest run time before migrating,
 *          default 2 + 0.02/MiB]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <snpemu/hv.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#include "bench.h"
#include "common/crypto.h"

#define DIRTY_MIBPS  48u /* the guest's rate in MiB/s of wall-clock time: 50.3 MB/s, the 50 */
#define GUEST_PAST_S 30.0
#define PAGE	     4096u
#define SAMPLE_MAX   (256u << 20)

struct side {
	struct vmm_config cfg;
	struct vmm_migration mig;
	struct vmm_result res;
	int rc;
};

static void *run_side(void *arg)
{
	struct side *s = arg;
	s->rc = vmm_run(&s->cfg, &s->res);
	return NULL;
}

/* A connected loopback TCP pair: *src connects, *dst is the accepted end. */
static int loopback_pair(int *src, int *dst)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, len) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
		return -errno;
	*src = socket(AF_INET, SOCK_STREAM, 0);
	if (*src < 0 || connect(*src, (struct sockaddr *)&a, len) || (*dst = accept(l, NULL, NULL)) < 0)
		return -errno;
	setsockopt(*src, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*dst, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
	return 0;
}

struct seen {
	double dirty_pages_per_s; /* the highest a pre-copy pass measured */
};

static void progress(const struct vmm_migration_progress *p, void *opaque)
{
	struct seen *seen = opaque;
	if (!p->stop_and_copy && p->dirty_pages_per_s > seen->dirty_pages_per_s)
		seen->dirty_pages_per_s = p->dirty_pages_per_s;
	fprintf(stderr, "  pass %u%s: %llu pages sent, %llu dirty, %.0f MB/s, est. downtime %.1f ms\n", p->pass,
		p->stop_and_copy ? " (stop-and-copy)" : "", (unsigned long long)p->pages_sent,
		(unsigned long long)p->pages_dirty, p->mb_per_s, p->est_downtime_us / 1000.0);
}

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds plain OpenSSL AES-256-GCM takes to seal and open `bytes` in records of `rec` bytes (4 KiB or 2 MiB, as
 * the firmware's records): timed over at most SAMPLE_MAX of buffers, best of three, scaled to `bytes`; negative on
 * failure. */
static double openssl_gcm_s(size_t rec, uint64_t bytes)
{
	size_t n = bytes < SAMPLE_MAX ? (size_t)bytes : SAMPLE_MAX;
	uint8_t key[32], *buf = malloc(n + rec), *scratch = malloc(rec + 16);
	double best = -1;
	memset(key, 0x42, sizeof(key));
	n -= n % rec;
	if (!bytes)
		best = 0;
	else if (buf && scratch && n) {
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(i * 2654435761u >> 13) | 1;
		for (int round = 0; round < 3; round++) {
			double t0 = thread_cpu_s();
			if (fw_bench_openssl_gcm_pages(key, buf, scratch, rec, n / rec, 1))
				break;
			double t = thread_cpu_s() - t0;
			best = best < 0 || t < best ? t : best;
		}
		best = best < 0 ? best : best * (double)bytes / (double)n;
	}
	free(buf);
	free(scratch);
	return best;
}

int main(int argc, char **argv)
{
	static struct side src, dst;
	static struct bench_report r;
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	double after_s = argc > 2 ? strtod(argv[2], NULL) : 2 + 0.02 * (double)mib;
	char region[32], duration[32], rate[32];
	struct seen seen = {0};
	if (!mib || mib > 16384 || after_s < 0 || after_s > 3600) {
		fprintf(stderr, "usage: migrate_vm [MiB 1..16384] [seconds before migrating, 0..3600]\n");
		return 2;
	}
	snprintf(region, sizeof(region), "%luM", mib);
	/* Paced by wall-clock time (--wall-clock); the guest runs GUEST_PAST_S past the migration point (the
	 * pre-copy has that long to converge), flipping a pair of 2 MiB chunks once a second (each flip marks
	 * 4 MiB for resending). */
	snprintf(duration, sizeof(duration), "%.0f", (after_s + GUEST_PAST_S) * 1000);
	snprintf(rate, sizeof(rate), "%u", DIRTY_MIBPS);
	const char *args[] = {"--ms",	  duration, "--mem",	region, "--dirty-mbps", rate,
			      "--shared", "50",	    "--psc-ms", "1000", "--wall-clock"};

	signal(SIGPIPE, SIG_IGN); /* a failed peer is an error on the stream */
	int sfd = -1, dfd = -1, rc = loopback_pair(&sfd, &dfd);
	if (rc) {
		fprintf(stderr, "migrate_vm: loopback TCP: %s\n", strerror(-rc));
		return 1;
	}
	vmm_config_default(&src.cfg);
	src.cfg.program = snpemu_program_find("migrate");
	src.cfg.backend = VMM_BACKEND_TCG;
	src.cfg.mem_size = ((uint64_t)mib + 64) << 20; /* the region, the program's data area and the boot pages */
	src.cfg.policy = 0x70000;		       /* MIGRATE_MA */
	src.cfg.args = args;
	src.cfg.nargs = sizeof(args) / sizeof(args[0]);
	src.cfg.quiet = true;
	src.mig = (struct vmm_migration){
	    .fd = sfd, .after_ns = (uint64_t)(after_s * 1e9), .progress = progress, .opaque = &seen};
	src.cfg.migration = &src.mig;
	dst.cfg = src.cfg;
	dst.cfg.program = NULL;
	dst.cfg.args = NULL;
	dst.cfg.nargs = 0;
	dst.cfg.mem_prealloc = true;
	dst.mig = (struct vmm_migration){.fd = dfd, .incoming = true};

	dst.cfg.migration = &dst.mig;

	fprintf(stderr,
		"migrate_vm: %lu MiB guest region on tcg, dirtying %u MiB/s (%.1f MB/s) of wall time, migrating "
		"after %.1f s\n",
		mib, DIRTY_MIBPS, DIRTY_MIBPS * 1.048576, after_s);
	pthread_t t;
	if (pthread_create(&t, NULL, run_side, &dst))
		return 1;
	run_side(&src);
	/* A source that did not hand the guest over leaves the destination waiting: end its stream. */
	if (!src.res.migrated_out)
		shutdown(sfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(sfd);
	close(dfd);
	if (src.rc || dst.rc || !src.res.migrated_out || !dst.res.migrated_in || dst.res.status) {
		fprintf(stderr,
			"migrate_vm: the migration did not complete (source rc %d, migrated %d, error %d; "
			"destination rc %d, status %d)\n",
			src.rc, src.res.migrated_out, src.res.migrate_error, dst.rc, dst.res.status);
		return 1;
	}
	const struct vmm_migration_summary *s = &src.res.migration, *d = &dst.res.migration;
	double touched = (double)((uint64_t)mib << 20);
	double pages = (double)(s->pages_shared + s->pages_private);
	double stream_mbs = pages * PAGE / 1e6 / (s->total_us / 1e6);
	/* Private pages through the firmware: the time in export (source) and import (destination) of every
	 * record that sealed page bytes, against OpenSSL sealing and opening as many bytes in records of the same
	 * sizes. */
	uint64_t b4k = s->private_records_4k * PAGE, b2m = s->private_records_2m * (2u << 20);
	double ssl_s = openssl_gcm_s(PAGE, b4k) + openssl_gcm_s(2u << 20, b2m);
	double fw_s = (double)(s->private_crypto_ns + d->private_crypto_ns) / 1e9;
	if (ssl_s < 0 || fw_s <= 0 || s->private_records_4k != d->private_records_4k ||
	    s->private_records_2m != d->private_records_2m) {
		fprintf(stderr, "migrate_vm: no private-page figure (OpenSSL baseline failed or the sides disagree)\n");
		return 1;
	}
	bench_add(&r, s->total_us / 1e3, "ms", 0, NULL, 0, "total time (%u passes)", s->passes);
	bench_add(&r, s->downtime_us / 1e3, "ms", 30, "30 ms", 1, "downtime");
	bench_add(&r, (double)s->wire_bytes / touched, "x", 1, "the touched memory", 1.05,
		  "bytes on the wire / touched memory (%.0f MiB / %lu MiB: the region the guest wrote)",
		  (double)s->wire_bytes / (1 << 20), mib);
	bench_add_rate(&r, (double)(b4k + b2m) / 1e6 / fw_s, "MB/s", (double)(b4k + b2m) / 1e6 / ssl_s,
		       "OpenSSL AES-256-GCM seal+open MB/s", 0.5,
		       "private-page throughput, firmware export+import (%llu 4 KiB + %llu 2 MiB records)",
		       (unsigned long long)s->private_records_4k, (unsigned long long)s->private_records_2m);
	bench_add(&r, stream_mbs, "MB/s", 0, NULL, 0,
		  "whole-stream page rate, for information (%llu shared, %llu private pages over the total time)",
		  (unsigned long long)s->pages_shared, (unsigned long long)s->pages_private);
	bench_add(&r, seen.dirty_pages_per_s * PAGE / 1e6, "MB/s", 0, NULL, 0,
		  "guest dirty rate, highest a pre-copy pass saw (wall clock; asked: %.1f)", DIRTY_MIBPS * 1.048576);
	bench_print(&r, "migrate_vm", stdout);
	return 0;
}

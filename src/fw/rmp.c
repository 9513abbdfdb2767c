/* SPDX-License-Identifier: MIT */
/*
 * Page ownership, the RMP model (AMD APM vol. 2 §15.36.3; docs/architecture.md "Engine model"): 2 bits per 4 KiB page -
 * shared, private, validated, or "special" - kept per 2 MiB range (a "leaf", the RMP's large-page size) in three
 * levels: a table of 1 GiB chunks (8 KiB for a 1 TiB guest, allocated up front), per chunk a table of 512 leaf
 * pointers (4 KiB, on the first non-shared write in the chunk), per leaf either
 *   - NULL: all 512 pages shared (the default of every page),
 *   - one of the model's two uniform leaves: all private, or all validated - what a 2 MiB PSC entry, a coalesced
 *     page-state change covering whole 2 MiB ranges, or a 2 MiB PVALIDATE makes, at no per-page cost,
 *   - its own 128-byte bitmap, once its pages differ (copied from the uniform pattern on the first such write).
 * So a 1 TiB guest converted in 2 MiB ranges costs the chunk and leaf tables only (0.125 bit per page), and one
 * whose every 2 MiB range is mixed 2.125 bits per page (issue 5's limit is 2 bits per page for the former; the
 * fixed 1 GiB bitmaps this replaces cost 2.0002 bits per page in both cases).
 * The rare firmware-owned and VMSA pages are "special" and their exact state is in a small sorted table.
 *
 * Concurrency: readers take no lock.  Per-page updates are a compare-and-swap on the 64-bit word holding 32 pages;
 * table and leaf allocation, and switching a leaf between NULL and a uniform leaf, are a compare-and-swap on its
 * pointer.  A bitmap leaf is never freed before fw_rmp_destroy (a lock-free reader may hold it), so a range once
 * mixed keeps its bitmap; the special table has a mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/fw.h>

#define PAGE_SHIFT     12u
#define LEAF_SHIFT     9u /* pages per leaf: 2^9 = 2 MiB */
#define LEAF_PAGES     (1ull << LEAF_SHIFT)
#define CHUNK_SHIFT    18u /* pages per chunk: 2^18 = 1 GiB */
#define CHUNK_PAGES    (1ull << CHUNK_SHIFT)
#define CHUNK_LEAVES   (CHUNK_PAGES / LEAF_PAGES)
#define PAGES_PER_WORD 32u
#define LEAF_WORDS     (LEAF_PAGES / PAGES_PER_WORD)
#define BITS_SHARED    0u
#define BITS_PRIVATE   1u
#define BITS_VALIDATED 2u
#define BITS_SPECIAL   3u
#define GPA_LIMIT_MAX  (1ull << 52)

typedef _Atomic uint64_t rmp_word; /* 32 pages */
typedef _Atomic(rmp_word *) leaf_slot;
typedef _Atomic(leaf_slot *) chunk_slot;

struct special {
	uint64_t gfn;
	enum fw_page_state state;
};

struct fw_rmp {
	uint64_t pages, nchunks;
	chunk_slot *chunks;
	/* The uniform leaves, written once at creation: [BITS_PRIVATE] and [BITS_VALIDATED] ([0] unused: NULL). */
	rmp_word uniform[3][LEAF_WORDS];
	atomic_size_t chunks_allocated, leaves_allocated;
	pthread_mutex_t special_lock;
	struct special *special;
	size_t nspecial, special_cap;
};

static uint64_t pattern_of(unsigned bits)
{
	return bits * 0x5555555555555555ull;
}

int fw_rmp_create(uint64_t gpa_limit, struct fw_rmp **out)
{
	if (gpa_limit == 0 || (gpa_limit & 0xFFFu) || gpa_limit > GPA_LIMIT_MAX)
		return -EINVAL;
	struct fw_rmp *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->pages = gpa_limit >> PAGE_SHIFT;
	r->nchunks = (r->pages + CHUNK_PAGES - 1) >> CHUNK_SHIFT;
	r->chunks = calloc(r->nchunks, sizeof(*r->chunks));
	if (!r->chunks) {
		free(r);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < LEAF_WORDS; i++) {
		atomic_init(&r->uniform[BITS_PRIVATE][i], pattern_of(BITS_PRIVATE));
		atomic_init(&r->uniform[BITS_VALIDATED][i], pattern_of(BITS_VALIDATED));
	}
	pthread_mutex_init(&r->special_lock, NULL);
	*out = r;
	return 0;
}

static bool is_uniform(const struct fw_rmp *r, const rmp_word *leaf)
{
	return leaf == r->uniform[BITS_PRIVATE] || leaf == r->uniform[BITS_VALIDATED];
}

/* The state of every page of a NULL or uniform leaf. */
static unsigned uniform_bits(const struct fw_rmp *r, const rmp_word *leaf)
{
	return !leaf ? BITS_SHARED : leaf == r->uniform[BITS_PRIVATE] ? BITS_PRIVATE : BITS_VALIDATED;
}

/* The leaf pointer that stands for "all pages `bits`" (shared, private or validated). */
static rmp_word *uniform_leaf(struct fw_rmp *r, unsigned bits)
{
	return bits == BITS_SHARED ? NULL : r->uniform[bits];
}

void fw_rmp_destroy(struct fw_rmp *r)
{
	if (!r)
		return;
	for (uint64_t i = 0; i < r->nchunks; i++) {
		leaf_slot *c = atomic_load(&r->chunks[i]);
		if (!c)
			continue;
		for (uint64_t j = 0; j < CHUNK_LEAVES; j++) {
			rmp_word *leaf = atomic_load(&c[j]);
			if (leaf && !is_uniform(r, leaf))
				free((void *)leaf);
		}
		free((void *)c);
	}
	free(r->chunks);
	free(r->special);
	pthread_mutex_destroy(&r->special_lock);
	free(r);
}

/* The slot of gfn's leaf; NULL if its chunk has no leaf table (all shared) and `alloc` is false, or on ENOMEM. */
static leaf_slot *slot_get(struct fw_rmp *r, uint64_t gfn, bool alloc)
{
	chunk_slot *cs = &r->chunks[gfn >> CHUNK_SHIFT];
	leaf_slot *c = atomic_load_explicit(cs, memory_order_acquire);
	if (!c && alloc) {
		leaf_slot *fresh = calloc(CHUNK_LEAVES, sizeof(*fresh));
		if (!fresh)
			return NULL;
		if (atomic_compare_exchange_strong_explicit(cs, &c, fresh, memory_order_acq_rel,
							    memory_order_acquire)) {
			atomic_fetch_add(&r->chunks_allocated, 1);
			c = fresh;
		} else {
			free((void *)fresh); /* another thread won: c is its table */
		}
	}
	return c ? &c[(gfn >> LEAF_SHIFT) & (CHUNK_LEAVES - 1)] : NULL;
}

static rmp_word *leaf_get(struct fw_rmp *r, uint64_t gfn)
{
	leaf_slot *s = slot_get(r, gfn, false);
	return s ? atomic_load_explicit(s, memory_order_acquire) : NULL;
}

/* Replace the NULL or uniform leaf `*seen` in `slot` by a bitmap of the same states.  Returns 0 with *seen the
 * slot's leaf now (the new bitmap, or whatever another thread put there first: the caller looks again), -ENOMEM. */
static int leaf_split(struct fw_rmp *r, leaf_slot *slot, rmp_word **seen)
{
	rmp_word *fresh = malloc(LEAF_WORDS * sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	for (unsigned i = 0; i < LEAF_WORDS; i++)
		atomic_init(&fresh[i], pattern_of(uniform_bits(r, *seen)));
	if (atomic_compare_exchange_strong_explicit(slot, seen, fresh, memory_order_acq_rel, memory_order_acquire)) {
		atomic_fetch_add(&r->leaves_allocated, 1);
		*seen = fresh;
	} else {
		free((void *)fresh);
	}
	return 0;
}

/* The first gfn after `gfn` that may differ from it when its leaf (or chunk) is NULL or uniform. */
static uint64_t next_leaf(uint64_t gfn)
{
	return (gfn | (LEAF_PAGES - 1)) + 1;
}

static uint64_t next_chunk(uint64_t gfn)
{
	return (gfn | (CHUNK_PAGES - 1)) + 1;
}

static unsigned word_bits(rmp_word *leaf, uint64_t gfn)
{
	uint64_t i = gfn & (LEAF_PAGES - 1);
	return (unsigned)(atomic_load_explicit(&leaf[i / PAGES_PER_WORD], memory_order_acquire) >>
			  ((i % PAGES_PER_WORD) * 2)) &
	       3u;
}

static unsigned bits_get(struct fw_rmp *r, uint64_t gfn)
{
	rmp_word *leaf = leaf_get(r, gfn);
	return !leaf || is_uniform(r, leaf) ? uniform_bits(r, leaf) : word_bits(leaf, gfn);
}

/* Set the page's bits to `to` if they are `from` (or any value when from < 0).  Returns 0, -EAGAIN (bits
 * differ: *seen holds them), -ENOMEM. */
static int bits_cas(struct fw_rmp *r, uint64_t gfn, int from, unsigned to, unsigned *seen)
{
	leaf_slot *slot = slot_get(r, gfn, to != BITS_SHARED);
	if (!slot) {
		if (to != BITS_SHARED)
			return -ENOMEM;
		*seen = BITS_SHARED; /* a chunk without a leaf table is all shared */
		return from < 0 || from == BITS_SHARED ? 0 : -EAGAIN;
	}
	rmp_word *leaf = atomic_load_explicit(slot, memory_order_acquire);
	while (!leaf || is_uniform(r, leaf)) {
		*seen = uniform_bits(r, leaf);
		if (from >= 0 && *seen != (unsigned)from)
			return -EAGAIN;
		if (*seen == to)
			return 0;
		if (leaf_split(r, slot, &leaf))
			return -ENOMEM;
	}
	uint64_t i = gfn & (LEAF_PAGES - 1), shift = (i % PAGES_PER_WORD) * 2;
	rmp_word *w = &leaf[i / PAGES_PER_WORD];
	uint64_t old = atomic_load_explicit(w, memory_order_acquire), nw;
	do {
		*seen = (unsigned)(old >> shift) & 3u;
		if (from >= 0 && *seen != (unsigned)from)
			return -EAGAIN;
		nw = (old & ~(3ull << shift)) | ((uint64_t)to << shift);
	} while (!atomic_compare_exchange_weak_explicit(w, &old, nw, memory_order_acq_rel, memory_order_acquire));
	return 0;
}

/* Special table (caller holds special_lock). */
static size_t special_find(struct fw_rmp *r, uint64_t gfn, bool *found)
{
	size_t lo = 0, hi = r->nspecial;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->special[mid].gfn < gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < r->nspecial && r->special[lo].gfn == gfn;
	return lo;
}

static int special_put(struct fw_rmp *r, uint64_t gfn, enum fw_page_state st)
{
	bool found;
	size_t at = special_find(r, gfn, &found);
	if (found) {
		r->special[at].state = st;
		return 0;
	}
	if (r->nspecial == r->special_cap) {
		size_t cap = r->special_cap ? r->special_cap * 2 : 16;
		struct special *n = realloc(r->special, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->special = n;
		r->special_cap = cap;
	}
	memmove(&r->special[at + 1], &r->special[at], (r->nspecial - at) * sizeof(*r->special));
	r->special[at] = (struct special){gfn, st};
	r->nspecial++;
	return 0;
}

static void special_drop(struct fw_rmp *r, uint64_t gfn)
{
	bool found;
	size_t at = special_find(r, gfn, &found);
	if (!found)
		return;
	memmove(&r->special[at], &r->special[at + 1], (r->nspecial - at - 1) * sizeof(*r->special));
	r->nspecial--;
}

static enum fw_page_state bits_state(struct fw_rmp *r, uint64_t gfn, unsigned bits)
{
	if (bits != BITS_SPECIAL)
		return (enum fw_page_state)bits;
	pthread_mutex_lock(&r->special_lock);
	bool found;
	size_t at = special_find(r, gfn, &found);
	enum fw_page_state st = found ? r->special[at].state : FW_PAGE_FIRMWARE;
	pthread_mutex_unlock(&r->special_lock);
	return st;
}

enum fw_page_state fw_rmp_get(struct fw_rmp *r, uint64_t gpa)
{
	uint64_t gfn = gpa >> PAGE_SHIFT;
	if (gfn >= r->pages)
		return FW_PAGE_SHARED;
	return bits_state(r, gfn, bits_get(r, gfn));
}

static bool range_ok(struct fw_rmp *r, uint64_t gpa, uint64_t npages)
{
	uint64_t gfn = gpa >> PAGE_SHIFT;
	return !(gpa & 0xFFFu) && npages <= r->pages && gfn <= r->pages - npages;
}

bool fw_rmp_host_may_access(struct fw_rmp *r, uint64_t gpa, uint64_t len, uint64_t *fault_gpa)
{
	uint64_t limit = r->pages << PAGE_SHIFT;
	if (len == 0)
		return true;
	if (gpa >= limit || len > limit - gpa) {
		if (fault_gpa)
			*fault_gpa = gpa >= limit ? gpa : limit;
		return false;
	}
	uint64_t first = gpa >> PAGE_SHIFT, last = (gpa + len - 1) >> PAGE_SHIFT;
	for (uint64_t gfn = first; gfn <= last;) {
		leaf_slot *slot = slot_get(r, gfn, false);
		rmp_word *leaf = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
		if (!leaf) { /* a whole chunk or leaf that is all shared */
			gfn = slot ? next_leaf(gfn) : next_chunk(gfn);
			continue;
		}
		if (is_uniform(r, leaf) || word_bits(leaf, gfn) != BITS_SHARED) {
			if (fault_gpa)
				*fault_gpa = gfn == first ? gpa : gfn << PAGE_SHIFT;
			return false;
		}
		gfn++;
	}
	return true;
}

int fw_rmp_set(struct fw_rmp *r, uint64_t gpa, enum fw_page_state st)
{
	uint64_t gfn = gpa >> PAGE_SHIFT;
	unsigned seen;
	int rc;
	if (!range_ok(r, gpa, 1) || (unsigned)st > FW_PAGE_VMSA)
		return -EINVAL;
	pthread_mutex_lock(&r->special_lock);
	if (st == FW_PAGE_FIRMWARE || st == FW_PAGE_VMSA) {
		rc = special_put(r, gfn, st);
		if (!rc && (rc = bits_cas(r, gfn, -1, BITS_SPECIAL, &seen)))
			special_drop(r, gfn);
	} else {
		rc = bits_cas(r, gfn, -1, (unsigned)st, &seen);
		if (!rc && seen == BITS_SPECIAL)
			special_drop(r, gfn);
	}
	pthread_mutex_unlock(&r->special_lock);
	return rc;
}

/* The page pairs of a word whose bits are "special" (11), as a mask over both bits. */
static uint64_t special_mask(uint64_t w)
{
	uint64_t s = w & (w >> 1) & 0x5555555555555555ull;
	return s | (s << 1);
}

/* Mask of `n` pages (1..32) from page `first` of a word. */
static uint64_t word_mask(unsigned first, uint64_t n)
{
	return (n >= PAGES_PER_WORD ? ~0ull : ((1ull << (2 * n)) - 1)) << (2 * first);
}

/* Pages of [gfn, end) inside gfn's word. */
static uint64_t word_span(uint64_t gfn, uint64_t end)
{
	uint64_t left = PAGES_PER_WORD - (gfn % PAGES_PER_WORD);
	return end - gfn < left ? end - gfn : left;
}

/* Pages of [gfn, end) inside gfn's leaf. */
static uint64_t leaf_span(uint64_t gfn, uint64_t end)
{
	uint64_t left = LEAF_PAGES - (gfn % LEAF_PAGES);
	return end - gfn < left ? end - gfn : left;
}

/* Set [gfn, gfn + n) of one bitmap leaf to `pattern`, a word at a time, leaving special pages alone (one that
 * became special after fw_rmp_set_private's check keeps its state). */
static void leaf_fill(rmp_word *leaf, uint64_t gfn, uint64_t n, uint64_t pattern)
{
	for (uint64_t end = gfn + n; gfn < end;) {
		uint64_t i = gfn & (LEAF_PAGES - 1), wn = word_span(gfn, end);
		const uint64_t mask = word_mask((unsigned)(i % PAGES_PER_WORD), wn);
		rmp_word *w = &leaf[i / PAGES_PER_WORD];
		uint64_t old = atomic_load_explicit(w, memory_order_acquire), nw;
		do {
			uint64_t m = mask & ~special_mask(old);
			nw = (old & ~m) | (pattern & m);
		} while (nw != old && !atomic_compare_exchange_weak_explicit(w, &old, nw, memory_order_acq_rel,
									     memory_order_acquire));
		gfn += wn;
	}
}

/* Whether a bitmap leaf has a special page in [gfn, gfn + n). */
static bool leaf_has_special(rmp_word *leaf, uint64_t gfn, uint64_t n)
{
	for (uint64_t end = gfn + n; gfn < end;) {
		uint64_t i = gfn & (LEAF_PAGES - 1), wn = word_span(gfn, end);
		if (special_mask(atomic_load_explicit(&leaf[i / PAGES_PER_WORD], memory_order_acquire)) &
		    word_mask((unsigned)(i % PAGES_PER_WORD), wn))
			return true;
		gfn += wn;
	}
	return false;
}

/* Set [gfn, gfn + n), inside the leaf `leaf` seen in `slot`, to `to`: a whole NULL or uniform leaf as one pointer,
 * a part of one by splitting it first, a bitmap leaf in place. */
static int leaf_set(struct fw_rmp *r, leaf_slot *slot, rmp_word *leaf, uint64_t gfn, uint64_t n, unsigned to)
{
	while (!leaf || is_uniform(r, leaf)) {
		if (leaf == uniform_leaf(r, to))
			return 0; /* already so */
		if (n == LEAF_PAGES) {
			if (atomic_compare_exchange_strong_explicit(slot, &leaf, uniform_leaf(r, to),
								    memory_order_acq_rel, memory_order_acquire))
				return 0;
			continue; /* another thread changed the leaf: look again */
		}
		if (leaf_split(r, slot, &leaf))
			return -ENOMEM;
	}
	leaf_fill(leaf, gfn, n, pattern_of(to));
	return 0;
}

/* A leaf at a time, and a whole 2 MiB leaf as one pointer, so that converting a 1 TiB guest stays well under a
 * second per direction and costs no per-page memory (issue 5 benchmark); per page the result is the same as one
 * RMPUPDATE each.  RMPUPDATE always clears Validated, so private means private-unvalidated. */
int fw_rmp_set_private(struct fw_rmp *r, uint64_t gpa, uint64_t npages, bool private_)
{
	if (!range_ok(r, gpa, npages))
		return -EINVAL;
	const uint64_t gfn0 = gpa >> PAGE_SHIFT, end = gfn0 + npages;
	const unsigned to = private_ ? BITS_PRIVATE : BITS_SHARED;
	if (npages && gfn0 >> LEAF_SHIFT == (end - 1) >> LEAF_SHIFT) { /* one leaf (a 4 KiB PSC): one look */
		leaf_slot *slot = slot_get(r, gfn0, private_);
		if (!slot)
			return private_ ? -ENOMEM : 0; /* shared: a chunk without a leaf table is all shared */
		rmp_word *leaf = atomic_load_explicit(slot, memory_order_acquire);
		if (leaf && !is_uniform(r, leaf) && leaf_has_special(leaf, gfn0, npages))
			return -EBUSY;
		return leaf_set(r, slot, leaf, gfn0, npages, to);
	}
	/* VMSA and firmware pages are not the hypervisor's to convert: refuse before changing anything.  Only a
	 * bitmap leaf can hold one. */
	for (uint64_t gfn = gfn0; gfn < end;) {
		leaf_slot *slot = slot_get(r, gfn, false);
		rmp_word *leaf = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
		uint64_t n = leaf_span(gfn, end);
		if (leaf && !is_uniform(r, leaf) && leaf_has_special(leaf, gfn, n))
			return -EBUSY;
		gfn = slot ? gfn + n : next_chunk(gfn);
	}
	for (uint64_t gfn = gfn0; gfn < end;) {
		leaf_slot *slot = slot_get(r, gfn, private_);
		if (!slot) {
			if (private_)
				return -ENOMEM;
			gfn = next_chunk(gfn); /* already all shared */
			continue;
		}
		const uint64_t n = leaf_span(gfn, end);
		int rc = leaf_set(r, slot, atomic_load_explicit(slot, memory_order_acquire), gfn, n, to);
		if (rc)
			return rc;
		gfn += n;
	}
	return 0;
}

enum fw_pvalidate_rc fw_rmp_pvalidate(struct fw_rmp *r, uint64_t gpa, bool huge, bool validate)
{
	uint64_t n = huge ? 512 : 1, gfn0 = gpa >> PAGE_SHIFT;
	if ((gpa & (huge ? 0x1FFFFFull : 0xFFFull)) || !range_ok(r, gpa, n))
		return FW_PVALIDATE_FAIL_INPUT;
	unsigned want = validate ? BITS_VALIDATED : BITS_PRIVATE, from = validate ? BITS_PRIVATE : BITS_VALIDATED;
	if (huge) { /* a uniform 2 MiB range is one RMP entry: one pointer changes */
		leaf_slot *slot = slot_get(r, gfn0, false);
		rmp_word *leaf = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
		if (is_uniform(r, leaf)) {
			if (uniform_bits(r, leaf) == want)
				return FW_PVALIDATE_FAIL_NOCHANGE;
			if (atomic_compare_exchange_strong_explicit(slot, &leaf, r->uniform[want], memory_order_acq_rel,
								    memory_order_acquire))
				return FW_PVALIDATE_SUCCESS;
			/* changed meanwhile: the page-by-page path below decides */
		}
	}
	uint64_t already = 0;
	for (uint64_t i = 0; i < n; i++) {
		unsigned b = bits_get(r, gfn0 + i);
		if (b == BITS_SHARED || b == BITS_SPECIAL)
			return FW_PVALIDATE_RMP_FAULT; /* not a guest-owned page: #NPF on hardware */
		already += b == want;
	}
	if (already == n)
		return FW_PVALIDATE_FAIL_NOCHANGE;
	if (already != 0)
		return FW_PVALIDATE_FAIL_SIZEMISMATCH; /* a 2 MiB range whose 4 KiB pages disagree */
	for (uint64_t i = 0; i < n; i++) {
		unsigned seen;
		int rc = bits_cas(r, gfn0 + i, (int)from, want, &seen);
		if (rc == -EAGAIN) /* a concurrent page-state change won the race; hardware would fault too */
			return seen == want ? FW_PVALIDATE_FAIL_NOCHANGE : FW_PVALIDATE_RMP_FAULT;
		if (rc)
			return FW_PVALIDATE_FAIL_INPUT;
	}
	return FW_PVALIDATE_SUCCESS;
}

/* Pages in [leaf_start, leaf_start + n) of a bitmap leaf whose bits are `bits`. */
static uint64_t leaf_count(rmp_word *leaf, uint64_t n, unsigned bits)
{
	uint64_t count = 0;
	for (uint64_t i = 0; i < n; i++)
		count += ((atomic_load_explicit(&leaf[i / PAGES_PER_WORD], memory_order_relaxed) >>
			   ((i % PAGES_PER_WORD) * 2)) &
			  3u) == bits;
	return count;
}

uint64_t fw_rmp_count(struct fw_rmp *r, enum fw_page_state st)
{
	uint64_t n = 0;
	if (st == FW_PAGE_FIRMWARE || st == FW_PAGE_VMSA) {
		pthread_mutex_lock(&r->special_lock);
		for (size_t i = 0; i < r->nspecial; i++)
			n += r->special[i].state == st;
		pthread_mutex_unlock(&r->special_lock);
		return n;
	}
	for (uint64_t gfn = 0; gfn < r->pages;) {
		leaf_slot *slot = slot_get(r, gfn, false);
		uint64_t span = slot ? LEAF_PAGES : CHUNK_PAGES;
		if (span > r->pages - gfn)
			span = r->pages - gfn;
		rmp_word *leaf = slot ? atomic_load(slot) : NULL;
		if (!leaf || is_uniform(r, leaf))
			n += uniform_bits(r, leaf) == (unsigned)st ? span : 0;
		else
			n += leaf_count(leaf, span, (unsigned)st);
		gfn += span;
	}
	return n;
}

size_t fw_rmp_memory_bytes(struct fw_rmp *r)
{
	pthread_mutex_lock(&r->special_lock);
	size_t special = r->special_cap * sizeof(struct special);
	pthread_mutex_unlock(&r->special_lock);
	return sizeof(*r) + r->nchunks * sizeof(*r->chunks) +
	       atomic_load(&r->chunks_allocated) * CHUNK_LEAVES * sizeof(leaf_slot) +
	       atomic_load(&r->leaves_allocated) * LEAF_WORDS * sizeof(rmp_word) + special;
}

double fw_rmp_bytes_per_page(struct fw_rmp *r)
{
	return (double)fw_rmp_memory_bytes(r) / (double)r->pages;
}

uint64_t fw_rmp_gpa_limit(struct fw_rmp *r)
{
	return r->pages << PAGE_SHIFT;
}

uint64_t fw_rmp_next_owned(struct fw_rmp *r, uint64_t gpa)
{
	/* Skip chunks without a leaf table, NULL leaves and all-shared words, so a sparse 1 TiB model is walked in
	 * microseconds. */
	for (uint64_t gfn = gpa >> PAGE_SHIFT; gfn < r->pages;) {
		leaf_slot *slot = slot_get(r, gfn, false);
		rmp_word *leaf = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
		if (!leaf) {
			gfn = slot ? next_leaf(gfn) : next_chunk(gfn);
			continue;
		}
		if (is_uniform(r, leaf))
			return gfn << PAGE_SHIFT;
		uint64_t i = gfn & (LEAF_PAGES - 1);
		uint64_t w =
		    atomic_load_explicit(&leaf[i / PAGES_PER_WORD], memory_order_acquire) >> ((i % PAGES_PER_WORD) * 2);
		if (!w) {
			gfn += PAGES_PER_WORD - i % PAGES_PER_WORD;
			continue;
		}
		gfn += (uint64_t)__builtin_ctzll(w) / 2;
		return gfn < r->pages ? gfn << PAGE_SHIFT : r->pages << PAGE_SHIFT;
	}
	return r->pages << PAGE_SHIFT;
}

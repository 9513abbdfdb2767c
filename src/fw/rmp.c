/* SPDX-License-Identifier: MIT */
/*
 * Page ownership, the RMP model (AMD APM vol. 2 §15.36.3; docs/architecture.md "Engine model"): 2 bits per 4 KiB page -
 * shared, private, validated, or "special" - in 1 GiB chunks (64 KiB each) allocated on the first non-shared
 * write, so a 1 TiB guest costs an 8 KiB chunk table up front and at most 0.25 byte per page.  The rare
 * firmware-owned and VMSA pages are "special" and their exact state is in a small sorted table.
 * Per-page updates are lock-free (compare-and-swap on the 64-bit word holding 32 pages); chunk allocation is a
 * compare-and-swap on the chunk pointer; the special table has a mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/fw.h>

#define PAGE_SHIFT     12u
#define CHUNK_SHIFT    18u /* pages per chunk: 2^18 = 1 GiB */
#define CHUNK_PAGES    (1ull << CHUNK_SHIFT)
#define PAGES_PER_WORD 32u
#define CHUNK_WORDS    (CHUNK_PAGES / PAGES_PER_WORD)
#define BITS_SHARED    0u
#define BITS_PRIVATE   1u
#define BITS_VALIDATED 2u
#define BITS_SPECIAL   3u
#define GPA_LIMIT_MAX  (1ull << 52)

struct special {
	uint64_t gfn;
	enum fw_page_state state;
};

struct fw_rmp {
	uint64_t pages, nchunks;
	_Atomic(_Atomic uint64_t *) *chunks;
	atomic_size_t chunks_allocated;
	pthread_mutex_t special_lock;
	struct special *special;
	size_t nspecial, special_cap;
};

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
	pthread_mutex_init(&r->special_lock, NULL);
	*out = r;
	return 0;
}

void fw_rmp_destroy(struct fw_rmp *r)
{
	if (!r)
		return;
	for (uint64_t i = 0; i < r->nchunks; i++)
		free((void *)atomic_load(&r->chunks[i]));
	free(r->chunks);
	free(r->special);
	pthread_mutex_destroy(&r->special_lock);
	free(r);
}

static _Atomic uint64_t *chunk_get(struct fw_rmp *r, uint64_t gfn, bool alloc)
{
	uint64_t ci = gfn >> CHUNK_SHIFT;
	_Atomic uint64_t *c = atomic_load_explicit(&r->chunks[ci], memory_order_acquire);
	if (c || !alloc)
		return c;
	_Atomic uint64_t *fresh = calloc(CHUNK_WORDS, sizeof(uint64_t));
	if (!fresh)
		return NULL;
	_Atomic uint64_t *expected = NULL;
	if (atomic_compare_exchange_strong_explicit(&r->chunks[ci], &expected, fresh, memory_order_acq_rel,
						    memory_order_acquire)) {
		atomic_fetch_add(&r->chunks_allocated, 1);
		return fresh;
	}
	free((void *)fresh); /* another thread won */
	return expected;
}

static unsigned bits_get(struct fw_rmp *r, uint64_t gfn)
{
	_Atomic uint64_t *c = chunk_get(r, gfn, false);
	if (!c)
		return BITS_SHARED;
	uint64_t i = gfn & (CHUNK_PAGES - 1);
	return (unsigned)(atomic_load_explicit(&c[i / PAGES_PER_WORD], memory_order_acquire) >>
			  ((i % PAGES_PER_WORD) * 2)) &
	       3u;
}

/* Set the page's bits to `to` if they are `from` (or any value when from < 0).  Returns 0, -EAGAIN (bits
 * differ: *seen holds them), -ENOMEM. */
static int bits_cas(struct fw_rmp *r, uint64_t gfn, int from, unsigned to, unsigned *seen)
{
	_Atomic uint64_t *c = chunk_get(r, gfn, to != BITS_SHARED);
	if (!c) {
		if (to != BITS_SHARED)
			return -ENOMEM;
		*seen = BITS_SHARED; /* an unallocated chunk is all shared */
		return from < 0 || from == BITS_SHARED ? 0 : -EAGAIN;
	}
	uint64_t i = gfn & (CHUNK_PAGES - 1), shift = (i % PAGES_PER_WORD) * 2;
	_Atomic uint64_t *w = &c[i / PAGES_PER_WORD];
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
		if (!chunk_get(r, gfn, false)) { /* a whole unallocated chunk is shared */
			gfn = (gfn | (CHUNK_PAGES - 1)) + 1;
			continue;
		}
		if (bits_get(r, gfn) != BITS_SHARED) {
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

/* A word (32 pages) at a time, so that converting a 1 TiB guest stays well under a second per direction (issue 5
 * benchmark); per page the result is the same as one RMPUPDATE each. */
int fw_rmp_set_private(struct fw_rmp *r, uint64_t gpa, uint64_t npages, bool private_)
{
	if (!range_ok(r, gpa, npages))
		return -EINVAL;
	const uint64_t gfn0 = gpa >> PAGE_SHIFT, end = gfn0 + npages;
	/* VMSA and firmware pages are not the hypervisor's to convert: refuse before changing anything. */
	for (uint64_t gfn = gfn0; gfn < end;) {
		_Atomic uint64_t *c = chunk_get(r, gfn, false);
		if (!c) { /* an unallocated chunk is all shared */
			gfn = (gfn | (CHUNK_PAGES - 1)) + 1;
			continue;
		}
		uint64_t i = gfn & (CHUNK_PAGES - 1), n = word_span(gfn, end);
		if (special_mask(atomic_load_explicit(&c[i / PAGES_PER_WORD], memory_order_acquire)) &
		    word_mask((unsigned)(i % PAGES_PER_WORD), n))
			return -EBUSY;
		gfn += n;
	}
	/* RMPUPDATE always clears Validated, so private means private-unvalidated (01 in every pair).  A page that
	 * became special meanwhile is left alone. */
	const uint64_t pattern = private_ ? 0x5555555555555555ull : 0;
	for (uint64_t gfn = gfn0; gfn < end;) {
		_Atomic uint64_t *c = chunk_get(r, gfn, private_);
		if (!c) {
			if (private_)
				return -ENOMEM;
			gfn = (gfn | (CHUNK_PAGES - 1)) + 1; /* already all shared */
			continue;
		}
		uint64_t i = gfn & (CHUNK_PAGES - 1), n = word_span(gfn, end);
		const uint64_t mask = word_mask((unsigned)(i % PAGES_PER_WORD), n);
		_Atomic uint64_t *w = &c[i / PAGES_PER_WORD];
		uint64_t old = atomic_load_explicit(w, memory_order_acquire), nw;
		do {
			uint64_t m = mask & ~special_mask(old);
			nw = (old & ~m) | (pattern & m);
		} while (nw != old && !atomic_compare_exchange_weak_explicit(w, &old, nw, memory_order_acq_rel,
									     memory_order_acquire));
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

uint64_t fw_rmp_count(struct fw_rmp *r, enum fw_page_state st)
{
	uint64_t n = 0, allocated_pages = 0;
	if (st == FW_PAGE_FIRMWARE || st == FW_PAGE_VMSA) {
		pthread_mutex_lock(&r->special_lock);
		for (size_t i = 0; i < r->nspecial; i++)
			n += r->special[i].state == st;
		pthread_mutex_unlock(&r->special_lock);
		return n;
	}
	for (uint64_t ci = 0; ci < r->nchunks; ci++) {
		_Atomic uint64_t *c = atomic_load(&r->chunks[ci]);
		uint64_t cp = ci == r->nchunks - 1 ? r->pages - (ci << CHUNK_SHIFT) : CHUNK_PAGES;
		if (!c)
			continue;
		allocated_pages += cp;
		for (uint64_t i = 0; i < cp; i++)
			n += ((atomic_load_explicit(&c[i / PAGES_PER_WORD], memory_order_relaxed) >>
			       ((i % PAGES_PER_WORD) * 2)) &
			      3u) == (unsigned)st;
	}
	if (st == FW_PAGE_SHARED) /* unallocated chunks are all shared */
		n += r->pages - allocated_pages;
	return n;
}

size_t fw_rmp_memory_bytes(struct fw_rmp *r)
{
	pthread_mutex_lock(&r->special_lock);
	size_t special = r->special_cap * sizeof(struct special);
	pthread_mutex_unlock(&r->special_lock);
	return sizeof(*r) + r->nchunks * sizeof(*r->chunks) +
	       atomic_load(&r->chunks_allocated) * CHUNK_WORDS * sizeof(uint64_t) + special;
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
	/* Skip unallocated chunks and all-shared words, so a sparse 1 TiB model is walked in microseconds. */
	for (uint64_t gfn = gpa >> PAGE_SHIFT; gfn < r->pages;) {
		_Atomic uint64_t *c = chunk_get(r, gfn, false);
		if (!c) {
			gfn = ((gfn >> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;
			continue;
		}
		uint64_t i = gfn & (CHUNK_PAGES - 1);
		uint64_t w =
		    atomic_load_explicit(&c[i / PAGES_PER_WORD], memory_order_acquire) >> ((i % PAGES_PER_WORD) * 2);
		if (!w) {
			gfn += PAGES_PER_WORD - i % PAGES_PER_WORD;
			continue;
		}
		gfn += (uint64_t)__builtin_ctzll(w) / 2;
		return gfn < r->pages ? gfn << PAGE_SHIFT : r->pages << PAGE_SHIFT;
	}
	return r->pages << PAGE_SHIFT;
}

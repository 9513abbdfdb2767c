/* SPDX-License-Identifier: MIT */
/*
 * Report entries with the kernel's semantics (drivers/virt/coco/guest/report.c; contract include/snpemu/tsm.h).
 * One reader/writer lock over every entry, as report.c's tsm_rwsem: attribute writes take it for writing; a read
 * of outblob/auxblob first tries the cached blobs under the read lock (read_cached_report) and, when the
 * generation moved, retakes it for writing, checks again and asks the provider (tsm_report_read), so concurrent
 * readers of one entry never see blobs of two generations and one report is generated per generation.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/tsm.h>

struct tsm_entry {
	char name[TSM_NAME_MAX + 1];
	uint8_t inblob[TSM_INBLOB_MAX];
	size_t inblob_len;
	uint32_t privlevel;
	unsigned long write_gen, read_gen;
	struct tsm_blobs blobs; /* of read_gen, once generated */
	bool have_blobs;
};

struct tsm_reports {
	pthread_rwlock_t lock;
	struct tsm_provider provider;
	struct tsm_entry *entries[TSM_ENTRIES_MAX];
	size_t count;
	uint64_t generated;
};

int tsm_reports_new(const struct tsm_provider *p, struct tsm_reports **out)
{
	struct tsm_reports *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	pthread_rwlock_init(&r->lock, NULL);
	r->provider = *p;
	*out = r;
	return 0;
}

static void blobs_free(struct tsm_blobs *b)
{
	free(b->outblob);
	free(b->auxblob);
	*b = (struct tsm_blobs){0};
}

static void entry_free(struct tsm_entry *e)
{
	blobs_free(&e->blobs);
	free(e);
}

void tsm_reports_free(struct tsm_reports *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		entry_free(r->entries[i]);
	pthread_rwlock_destroy(&r->lock);
	free(r);
}

/* The index of entry `name`, or -1.  Under the lock. */
static long find(const struct tsm_reports *r, const char *name)
{
	for (size_t i = 0; i < r->count; i++)
		if (!strcmp(r->entries[i]->name, name))
			return (long)i;
	return -1;
}

static int check_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return n > TSM_NAME_MAX ? -ENAMETOOLONG : 0;
}

int tsm_entry_create(struct tsm_reports *r, const char *name)
{
	int rc = check_name(name);
	if (rc)
		return rc;
	struct tsm_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e->name, name, strlen(name) + 1);
	/* tsm_report_group_make_item: a new entry starts at the provider's floor */
	e->privlevel = r->provider.privlevel_floor;
	pthread_rwlock_wrlock(&r->lock);
	if (find(r, name) >= 0)
		rc = -EEXIST;
	else if (r->count == TSM_ENTRIES_MAX)
		rc = -ENOSPC;
	else
		r->entries[r->count++] = e;
	pthread_rwlock_unlock(&r->lock);
	if (rc)
		free(e);
	return rc;
}

int tsm_entry_remove(struct tsm_reports *r, const char *name)
{
	pthread_rwlock_wrlock(&r->lock);
	long i = find(r, name);
	struct tsm_entry *e = NULL;
	if (i >= 0) {
		e = r->entries[i];
		r->entries[i] = r->entries[--r->count];
	}
	pthread_rwlock_unlock(&r->lock);
	if (!e)
		return -ENOENT;
	entry_free(e);
	return 0;
}

bool tsm_entry_exists(struct tsm_reports *r, const char *name)
{
	pthread_rwlock_rdlock(&r->lock);
	bool found = find(r, name) >= 0;
	pthread_rwlock_unlock(&r->lock);
	return found;
}

size_t tsm_entry_list(struct tsm_reports *r, void (*fn)(void *ctx, const char *name), void *ctx)
{
	pthread_rwlock_rdlock(&r->lock);
	size_t n = r->count;
	for (size_t i = 0; i < n; i++)
		fn(ctx, r->entries[i]->name);
	pthread_rwlock_unlock(&r->lock);
	return n;
}

int tsm_entry_write(struct tsm_reports *r, const char *name, enum tsm_attr attr, const uint8_t *buf, size_t len)
{
	uint32_t value = 0;
	pthread_rwlock_rdlock(&r->lock);
	uint32_t floor = r->provider.privlevel_floor;
	pthread_rwlock_unlock(&r->lock);
	int rc = tsm_attr_commit_check(attr, buf, len, floor, &value);
	if (rc)
		return rc;
	pthread_rwlock_wrlock(&r->lock);
	long i = find(r, name);
	if (i < 0) {
		rc = -ENOENT;
	} else {
		struct tsm_entry *e = r->entries[i];
		rc = tsm_generation_advance(&e->write_gen, e->read_gen);
		if (!rc && attr == TSM_ATTR_INBLOB) {
			memcpy(e->inblob, buf, len);
			e->inblob_len = len;
		} else if (!rc) {
			e->privlevel = value;
		}
	}
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

/* A copy of the cached blob `attr` of e if it is of the current generation: 0, -EWOULDBLOCK (stale or none), or
 * -ENOMEM / -EFBIG.  Under the lock (read or write). */
static int read_cached(const struct tsm_entry *e, enum tsm_attr attr, uint8_t **buf, size_t *len)
{
	if (!e->have_blobs || e->read_gen != e->write_gen)
		return -EWOULDBLOCK;
	const uint8_t *src = attr == TSM_ATTR_OUTBLOB ? e->blobs.outblob : e->blobs.auxblob;
	size_t n = attr == TSM_ATTR_OUTBLOB ? e->blobs.outblob_len : e->blobs.auxblob_len;
	if (n > TSM_OUTBLOB_MAX)
		return -EFBIG;
	*buf = malloc(n ? n : 1);
	if (!*buf)
		return -ENOMEM;
	if (n)
		memcpy(*buf, src, n);
	*len = n;
	return 0;
}

static int read_blob(struct tsm_reports *r, const char *name, enum tsm_attr attr, uint8_t **buf, size_t *len)
{
	pthread_rwlock_rdlock(&r->lock);
	long i = find(r, name);
	int rc = i < 0 ? -ENOENT : read_cached(r->entries[i], attr, buf, len);
	pthread_rwlock_unlock(&r->lock);
	if (rc != -EWOULDBLOCK)
		return rc;
	/* Slow path: another reader may have generated it meanwhile; else generate it for this generation. */
	pthread_rwlock_wrlock(&r->lock);
	i = find(r, name);
	rc = i < 0 ? -ENOENT : read_cached(r->entries[i], attr, buf, len);
	if (rc == -EWOULDBLOCK) {
		struct tsm_entry *e = r->entries[i];
		struct tsm_blobs fresh = {0};
		if (!e->inblob_len) {
			rc = -EINVAL; /* no REPORT_DATA was ever committed */
		} else if (!(rc = r->provider.report_new(r->provider.opaque, e->inblob, e->inblob_len, e->privlevel,
							 &fresh))) {
			blobs_free(&e->blobs);
			e->blobs = fresh;
			e->have_blobs = true;
			e->read_gen = e->write_gen;
			r->generated++;
			rc = read_cached(e, attr, buf, len);
		}
	}
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

static int format_text(char *out, size_t cap, struct tsm_reports *r, const char *name, enum tsm_attr attr)
{
	pthread_rwlock_rdlock(&r->lock);
	long i = find(r, name);
	int n = -ENOENT;
	if (i >= 0) {
		const struct tsm_entry *e = r->entries[i];
		if (attr == TSM_ATTR_PROVIDER)
			n = snprintf(out, cap, "%s\n", r->provider.name);
		else if (attr == TSM_ATTR_GENERATION)
			n = snprintf(out, cap, "%lu\n", e->write_gen);
		else
			n = snprintf(out, cap, "%u\n", r->provider.privlevel_floor);
	}
	pthread_rwlock_unlock(&r->lock);
	return n;
}

int tsm_entry_read(struct tsm_reports *r, const char *name, enum tsm_attr attr, uint8_t **buf, size_t *len)
{
	if ((unsigned)attr >= TSM_ATTR_COUNT || !tsm_attr_rules[attr].readable)
		return -EACCES;
	if (attr == TSM_ATTR_OUTBLOB || attr == TSM_ATTR_AUXBLOB)
		return read_blob(r, name, attr, buf, len);
	char text[64];
	int n = format_text(text, sizeof(text), r, name, attr);
	if (n < 0)
		return n;
	if (!(*buf = malloc((size_t)n)))
		return -ENOMEM;
	memcpy(*buf, text, (size_t)n);
	*len = (size_t)n;
	return 0;
}

uint64_t tsm_reports_generated(struct tsm_reports *r)
{
	pthread_rwlock_rdlock(&r->lock);
	uint64_t n = r->generated;
	pthread_rwlock_unlock(&r->lock);
	return n;
}

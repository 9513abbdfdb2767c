/* SPDX-License-Identifier: MIT */
/*
 * snpemu tsm (`tsm_`): the Linux configfs-tsm report interface (Documentation/ABI/testing/configfs-tsm-report,
 * drivers/virt/coco/guest/report.c) for unmodified attestation clients.  Three layers:
 *   - attribute rules and parsers (src/tsm/attr.c): which files an entry has, what a write to each may hold (a
 *     data table), the kernel's kstrtouint for privlevel, the generation rule; pure, fuzzed (fuzz/tsm_attr.c);
 *   - the report entries (src/tsm/reports.c): `mkdir report/NAME` state, the kernel's locking and generation
 *     semantics, blobs fetched from a provider when the generation changed since the last fetch;
 *   - providers: the tsmd guest program over the VMM's host service channel (src/tsm/guest_provider.c); the FUSE
 *     filesystem that exposes the entries is part of the CLI (src/tsm/fuse_fs.c, `snpemu tsm`, where libfuse3 is).
 * Errors are the kernel's errno values, negative.
 */
#ifndef SNPEMU_TSM_H
#define SNPEMU_TSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmm_service;

/* ---- Attributes of a report entry ---- */
enum tsm_attr {
	TSM_ATTR_INBLOB,	  /* write-only, binary, 1..64 bytes: REPORT_DATA */
	TSM_ATTR_OUTBLOB,	  /* read-only, binary: the attestation report */
	TSM_ATTR_AUXBLOB,	  /* read-only, binary: the certificate table */
	TSM_ATTR_PROVIDER,	  /* read-only: "sev_guest\n" */
	TSM_ATTR_GENERATION,	  /* read-only: "%lu\n", writes to inblob and privlevel */
	TSM_ATTR_PRIVLEVEL,	  /* write-only text: floor <= value <= 3 */
	TSM_ATTR_PRIVLEVEL_FLOOR, /* read-only: "%u\n" */
	TSM_ATTR_COUNT
};

#define TSM_INBLOB_MAX	  64u	       /* report.c TSM_INBLOB_MAX */
#define TSM_PRIVLEVEL_MAX 3u	       /* report.c TSM_PRIVLEVEL_MAX (VMPL3) */
#define TSM_TEXT_MAX	  4095u	       /* configfs: a text attribute write keeps at most PAGE_SIZE - 1 bytes */
#define TSM_OUTBLOB_MAX	  (32u * 1024) /* report.c TSM_OUTBLOB_MAX (SZ_32K; newer kernels SZ_16M) */
#define TSM_PROVIDER_NAME "sev_guest"

/* How a write to an attribute is checked (one row per attribute; tsm_attr_rules[]): the bytes one open file may
 * hold, the error past that (configfs: EFBIG for binary attributes), what an empty commit gives, and for text
 * attributes the number parser. */
struct tsm_attr_rule {
	const char *name;
	bool readable, writable, binary;
	uint32_t max_len; /* bytes a write may reach (offset + length) */
	int too_long;	  /* -errno when a write goes past max_len */
	int empty;	  /* -errno when a commit holds no bytes */
	bool number;	  /* text parsed with tsm_parse_uint, then bounded by [floor, max_value] */
	uint32_t max_value;
};
extern const struct tsm_attr_rule tsm_attr_rules[TSM_ATTR_COUNT];

/* The attribute called `name`, or -ENOENT. */
int tsm_attr_lookup(const char *name);
/* Whether a write of `len` bytes at `offset` may go into an open file of `attr`: 0 or the rule's -errno
 * (-EACCES for a read-only attribute). */
int tsm_attr_write_check(enum tsm_attr attr, uint64_t offset, size_t len);
/* The kernel's kstrtouint(buf, 0, ...) on len bytes (no NUL needed): optional '+', "0x" hex / "0" octal / decimal,
 * one optional trailing '\n'.  0, -EINVAL (not a number), -ERANGE (does not fit 32 bits). */
int tsm_parse_uint(const char *buf, size_t len, uint32_t *out);
/* Check the bytes committed to a writable attribute (the rule's empty/length checks; privlevel parsed and
 * bounded by `floor`): 0 with *value set for a number, or -errno. */
int tsm_attr_commit_check(enum tsm_attr attr, const uint8_t *buf, size_t len, uint32_t floor, uint32_t *value);

/* report.c try_advance_write_generation: a write advances *write_gen unless that would make it equal read_gen
 * again without a read in between (the counter wrapped): then -EBUSY and nothing changes. */
int tsm_generation_advance(unsigned long *write_gen, unsigned long read_gen);

/* ---- Providers: where reports come from ---- */
struct tsm_blobs {
	uint8_t *outblob; /* malloc'd by the provider, freed by the entry store */
	size_t outblob_len;
	uint8_t *auxblob; /* may be NULL */
	size_t auxblob_len;
};

struct tsm_provider {
	const char *name;	  /* "sev_guest" */
	uint32_t privlevel_floor; /* lowest privlevel (the VMPCK in use) */
	/* Generate a report for REPORT_DATA inblob[len] (zero-padded by the provider) at `privlevel`: 0 and *out, or
	 * -EINVAL / -ENXIO / -errno (sev_report_new). */
	int (*report_new)(void *opaque, const uint8_t *inblob, size_t len, uint32_t privlevel, struct tsm_blobs *out);
	void *opaque;
};

/* The tsmd guest behind `svc` (vmm.h host service channel) as the sev_guest provider; `timeout_ms` bounds one
 * request (it must cover the guest's BUSY budget).  Its errors: firmware refusals -EINVAL; other failures, a
 * disabled VMPCK, a guest that stopped or did not answer in time -ENXIO; -ENOMEM.  `src` must outlive `p`. */
struct tsm_guest_source {
	struct vmm_service *svc;
	uint64_t timeout_ms;
};
void tsm_guest_provider(struct tsm_provider *p, struct tsm_guest_source *src);

/* ---- Report entries (report/NAME) ---- */
#define TSM_ENTRIES_MAX 1024u
#define TSM_NAME_MAX	255u

struct tsm_reports;
int tsm_reports_new(const struct tsm_provider *p, struct tsm_reports **out); /* 0 or -ENOMEM */
void tsm_reports_free(struct tsm_reports *r);				     /* NULL-safe */

/* mkdir / rmdir report/NAME: 0, -EEXIST, -ENOENT, -EINVAL (empty, '/', "." or ".."), -ENAMETOOLONG, -ENOSPC. */
int tsm_entry_create(struct tsm_reports *r, const char *name);
int tsm_entry_remove(struct tsm_reports *r, const char *name);
bool tsm_entry_exists(struct tsm_reports *r, const char *name);
/* Call fn for each entry name (under the read lock: fn must not call back into r).  Returns the count. */
size_t tsm_entry_list(struct tsm_reports *r, void (*fn)(void *ctx, const char *name), void *ctx);

/* Commit what was written to a writable attribute of entry `name` (checks as tsm_attr_commit_check, then the
 * generation rule): 0, -ENOENT, or the check's -errno (-EBUSY when the generation would wrap). */
int tsm_entry_write(struct tsm_reports *r, const char *name, enum tsm_attr attr, const uint8_t *buf, size_t len);
/* The whole content of a readable attribute, malloc'd into *buf / *len (the caller frees): outblob and auxblob are
 * (re)generated through the provider when the generation changed since the last generation; text attributes are
 * formatted.  Both blobs of one read come from one generation.  0, -ENOENT, -EINVAL (inblob never written), the
 * provider's -errno, -ENOMEM. */
int tsm_entry_read(struct tsm_reports *r, const char *name, enum tsm_attr attr, uint8_t **buf, size_t *len);
/* Reports the provider generated so far. */
uint64_t tsm_reports_generated(struct tsm_reports *r);

#endif

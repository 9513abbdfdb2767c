/* SPDX-License-Identifier: MIT */
/*
 * The live-migration stream (docs/migration.md): a versioned, self-describing byte stream from the source VMM to
 * the destination.  A 16-byte header, then sections, each an 8-byte header {u32 id, u32 length} and `length`
 * payload bytes, then the end section whose payload is the XXH3-128 digest (xxhash) of every stream byte before
 * that payload but the ciphertext of private page records (their tags bind it; mig_section_info.hashed).  The
 * digest catches damage in transit, not an attacker, who could recompute any unkeyed digest.
 * All integers little-endian.  The payloads' meaning belongs to their producers (firmware records: fw.h; vCPU
 * and engine state: the VMM); this library only frames, bounds and checks.
 *
 * The reader is picohttpparser-style: the caller passes the unparsed bytes it holds, (buf, len); a complete section
 * comes back as a view into `buf`, an incomplete one as MIG_MORE with the byte count needed.  The reader never
 * allocates after mig_reader_init, and a caller never needs to hold more than MIG_SECTION_BYTES_MAX bytes: the
 * section header is checked (known id, length within that id's bounds) before its payload is waited for.
 */
#ifndef SNPEMU_MIGRATE_H
#define SNPEMU_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#define MIG_MAGIC	     "SNPM" /* bytes 0..3 of the stream */
#define MIG_VERSION	     2u	    /* bytes 4..7; bytes 8..15 (flags) must be zero */
#define MIG_HEADER_SIZE	     16u
#define MIG_SECTION_HDR_SIZE 8u
#define MIG_DIGEST_SIZE	     16u

/* Section ids.  Bounds (payload bytes) are in the table of migrate_stream.c; mig_section_find() exposes them. */
enum mig_section_id {
	MIG_SEC_CONFIG = 0x01,	     /* VM configuration (VMM) */
	MIG_SEC_TRUST = 0x02,	     /* the source firmware's key-agreement message (fw_migrate_accept) */
	MIG_SEC_SHARED_PAGE = 0x10,  /* u64 GPA, 4096 plaintext bytes (a shared page) */
	MIG_SEC_ZERO_PAGES = 0x11,   /* u64 GPA, u64 page count: shared pages that are all zero */
	MIG_SEC_PRIVATE_PAGE = 0x12, /* a firmware page record (fw_migrate_page_export) */
	MIG_SEC_PASS_END = 0x13,     /* u32 pass number, u32 reserved: the end of one pre-copy pass */
	MIG_SEC_VCPU = 0x20,	     /* one vCPU's state (VMM) */
	MIG_SEC_ENGINE = 0x21,	     /* the engine's per-VM state (VMM) */
	MIG_SEC_FW_CONTEXT = 0x22,   /* the sealed firmware guest context (fw_migrate_context_export) */
	MIG_SEC_END = 0xFFFFFFFFu,   /* XXH3-128 of the stream so far (less what the table's `hashed` leaves out) */
};

/* One row of the section table. */
struct mig_section_info {
	uint32_t id;
	const char *name; /* "PRIVATE_PAGE" */
	uint32_t min_len, max_len;
	/* Payload bytes the stream digest covers; the rest of a longer payload is bound by other means (a private
	 * page record's ciphertext by its GCM tag, which lies in its first 40 bytes: hashing the ciphertext as well
	 * would double the cost of a private page for no check the tag does not already make). */
	uint32_t hashed;
};
/* The row of `id`, or NULL for an id this version does not know. */
const struct mig_section_info *mig_section_find(uint32_t id);

/* The largest payload any section may have, and the most bytes a reader's caller must buffer at once. */
#define MIG_SECTION_PAYLOAD_MAX (2u * 1024 * 1024 + 64)
#define MIG_SECTION_BYTES_MAX	(MIG_SECTION_HDR_SIZE + MIG_SECTION_PAYLOAD_MAX)

/* Distinct reasons a stream is refused (returned negated). */
enum mig_error {
	MIG_ERR_MAGIC = 1, /* not a migration stream */
	MIG_ERR_VERSION,   /* a version this reader does not know */
	MIG_ERR_FLAGS,	   /* header flags not zero */
	MIG_ERR_SECTION,   /* unknown section id */
	MIG_ERR_LENGTH,	   /* section length outside its id's bounds */
	MIG_ERR_DIGEST,	   /* end marker digest does not match */
	MIG_ERR_TRAILING,  /* bytes after the end marker */
	MIG_ERR_TRUNCATED, /* the input ended before the end marker */
	MIG_ERR_NOMEM,	   /* the digest context could not be allocated */
	MIG_ERR_STATE,	   /* the reader/writer was used after an error or after the end */
	MIG_ERR_SINK,	   /* the writer's output callback failed */
	MIG_ERR_COUNT
};
/* A short description of a (positive) mig_error, e.g. "unknown section id"; never NULL. */
const char *mig_strerror(int err);

/* ---- Reader ---- */

struct mig_reader {
	int state;	   /* private */
	int error;	   /* sticky: the first error (positive), 0 while fine */
	uint64_t offset;   /* stream bytes consumed so far */
	uint64_t sections; /* sections returned so far */
	void *hash;	   /* private: the running digest */
};

/* A complete section: a view into the caller's buffer. */
struct mig_section {
	uint32_t id;
	uint32_t len;
	const uint8_t *payload;
};

enum mig_read_status {
	MIG_SECTION = 0, /* *sec holds a section; *used bytes were consumed */
	MIG_MORE = 1,	 /* *need: the bytes needed after the *used consumed ones (the stream header) to progress */
	MIG_DONE = 2,	 /* the end marker was read and its digest verified; *used bytes were consumed */
};

/* Prepare `r`.  0 or -MIG_ERR_NOMEM. */
int mig_reader_init(struct mig_reader *r);
void mig_reader_release(struct mig_reader *r);
/* Parse the next item from `buf` (the bytes after everything consumed so far).  The stream header is consumed
 * silently with the first section.  Returns enum mig_read_status or -enum mig_error (sticky: every later call
 * returns it too).  After MIG_DONE any further byte is MIG_ERR_TRAILING. */
int mig_reader_next(struct mig_reader *r, const uint8_t *buf, size_t len, size_t *used, size_t *need,
		    struct mig_section *sec);
/* The input ended: 0 if the end marker was verified, else -MIG_ERR_TRUNCATED (or the sticky error). */
int mig_reader_finish(struct mig_reader *r);

/* ---- Writer ---- */

/* Output callback: write all `len` bytes; return 0 or a negative errno. */
typedef int (*mig_sink_fn)(void *opaque, const void *buf, size_t len);

struct mig_writer {
	mig_sink_fn sink;
	void *opaque;
	int state; /* private */
	int error; /* sticky (positive mig_error) */
	uint64_t bytes;
	void *hash; /* private: the running digest */
};

/* Start a stream: writes the header.  0, -MIG_ERR_NOMEM, -MIG_ERR_SINK. */
int mig_writer_begin(struct mig_writer *w, mig_sink_fn sink, void *opaque);
/* Write one section whose payload is the concatenation of `n` pieces (total within the id's bounds; the end
 * section is written by mig_writer_end only).  0, -MIG_ERR_SECTION, -MIG_ERR_LENGTH, -MIG_ERR_SINK, -MIG_ERR_STATE. */
struct mig_piece {
	const void *base;
	size_t len;
};
int mig_writer_section(struct mig_writer *w, uint32_t id, const struct mig_piece *pieces, size_t n);
/* Write the end marker and release the writer's resources (also on error). */
int mig_writer_end(struct mig_writer *w);
/* Release without ending (an abandoned stream). */
void mig_writer_release(struct mig_writer *w);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The migration stream's framing (include/snpemu/migrate.h, docs/migration.md): the section table, the writer and
 * the incremental reader.  Every length is checked against its id's bounds from the 8-byte section header alone, so
 * a hostile stream cannot make the reader's caller buffer more than MIG_SECTION_BYTES_MAX bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/migrate.h>

#include <xxhash.h>

#define ALL	   UINT32_MAX /* the digest covers the whole payload */
#define RECORD_HDR 40u	      /* a firmware record's header, its tag included (fw.h FW_MIGRATE_RECORD_HDR) */

/* Payload bounds per section, and how much of it the digest covers.  The private-page bound is a 2 MiB record plus
 * the firmware's record header (checked in fw/migrate.c); the trust message carries three DER certificates. */
static const struct mig_section_info sections[] = {
    {MIG_SEC_CONFIG, "CONFIG", 1, 64 * 1024, ALL},
    {MIG_SEC_TRUST, "TRUST", 1, 32 * 1024, ALL},
    {MIG_SEC_SHARED_PAGE, "SHARED_PAGE", 8 + 4096, 8 + 4096, ALL},
    {MIG_SEC_ZERO_PAGES, "ZERO_PAGES", 16, 16, ALL},
    {MIG_SEC_PRIVATE_PAGE, "PRIVATE_PAGE", RECORD_HDR, MIG_SECTION_PAYLOAD_MAX, RECORD_HDR},
    {MIG_SEC_PASS_END, "PASS_END", 8, 8, ALL},
    {MIG_SEC_VCPU, "VCPU", 1, 64 * 1024, ALL},
    {MIG_SEC_ENGINE, "ENGINE", 1, 64 * 1024, ALL},
    {MIG_SEC_FW_CONTEXT, "FW_CONTEXT", RECORD_HDR, 4096, ALL},
    {MIG_SEC_END, "END", MIG_DIGEST_SIZE, MIG_DIGEST_SIZE, 0},
};

const struct mig_section_info *mig_section_find(uint32_t id)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (sections[i].id == id)
			return &sections[i];
	return NULL;
}

static const char *const error_text[MIG_ERR_COUNT] = {
    [MIG_ERR_MAGIC] = "not a migration stream (bad magic)",
    [MIG_ERR_VERSION] = "unsupported stream version",
    [MIG_ERR_FLAGS] = "stream header flags not zero",
    [MIG_ERR_SECTION] = "unknown section id",
    [MIG_ERR_LENGTH] = "section length out of bounds",
    [MIG_ERR_DIGEST] = "stream digest mismatch",
    [MIG_ERR_TRAILING] = "data after the end marker",
    [MIG_ERR_TRUNCATED] = "stream truncated before the end marker",
    [MIG_ERR_NOMEM] = "out of memory",
    [MIG_ERR_STATE] = "stream used after an error or its end",
    [MIG_ERR_SINK] = "stream output failed",
};

const char *mig_strerror(int err)
{
	if (err < 0)
		err = -err;
	return err > 0 && err < MIG_ERR_COUNT && error_text[err] ? error_text[err] : "unknown migration stream error";
}

/* The running digest: XXH3-128 (xxhash), state kept by the reader and writer as an opaque pointer. */
static void *hash_new(void)
{
	XXH3_state_t *h = XXH3_createState();
	if (h && XXH3_128bits_reset(h) != XXH_OK) {
		XXH3_freeState(h);
		h = NULL;
	}
	return h;
}

static void hash_free(void *h)
{
	XXH3_freeState(h);
}

static int hash_update(void *h, const void *p, size_t len)
{
	return XXH3_128bits_update(h, p, len) == XXH_OK ? 0 : -1;
}

/* The digest of what was hashed so far, in XXH128's canonical (big-endian) form; hashing may go on. */
static void hash_peek(const void *h, uint8_t out[MIG_DIGEST_SIZE])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
	_Static_assert(sizeof(c.digest) == MIG_DIGEST_SIZE, "digest size");
	memcpy(out, c.digest, MIG_DIGEST_SIZE);
}

/* Payload bytes of a section of `id` and length `len` (checked) that the digest covers. */
static size_t hashed_len(uint32_t id, size_t len)
{
	const struct mig_section_info *info = mig_section_find(id);
	return len < info->hashed ? len : info->hashed;
}

/* Header and section-header checks shared by reader and writer. */
static int section_check(uint32_t id, uint64_t len)
{
	const struct mig_section_info *info = mig_section_find(id);
	if (!info)
		return MIG_ERR_SECTION;
	return len < info->min_len || len > info->max_len ? MIG_ERR_LENGTH : 0;
}

static bool digest_equal(const uint8_t *a, const uint8_t *b)
{
	/* Constant time, although the digest is no secret: one idiom for every comparison of checks. */
	uint8_t d = 0;
	for (unsigned i = 0; i < MIG_DIGEST_SIZE; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

/* ---- reader ---- */

enum { RD_HEADER = 0, RD_SECTIONS, RD_DONE };

int mig_reader_init(struct mig_reader *r)
{
	memset(r, 0, sizeof(*r));
	if (!(r->hash = hash_new())) {
		r->error = MIG_ERR_NOMEM;
		return -MIG_ERR_NOMEM;
	}
	return 0;
}

void mig_reader_release(struct mig_reader *r)
{
	hash_free(r->hash);
	r->hash = NULL;
}

static int reader_fail(struct mig_reader *r, int err)
{
	r->error = err;
	return -err;
}

static int reader_header(struct mig_reader *r, const uint8_t *buf)
{
	if (memcmp(buf, MIG_MAGIC, 4))
		return MIG_ERR_MAGIC;
	if (le32_load(buf + 4) != MIG_VERSION)
		return MIG_ERR_VERSION;
	if (le64_load(buf + 8))
		return MIG_ERR_FLAGS;
	if (hash_update(r->hash, buf, MIG_HEADER_SIZE))
		return MIG_ERR_NOMEM;
	r->offset = MIG_HEADER_SIZE;
	r->state = RD_SECTIONS;
	return 0;
}

int mig_reader_next(struct mig_reader *r, const uint8_t *buf, size_t len, size_t *used, size_t *need,
		    struct mig_section *sec)
{
	size_t base = 0;
	int err;
	*used = 0;
	*need = 0;
	if (r->error)
		return -r->error;
	if (!r->hash)
		return reader_fail(r, MIG_ERR_STATE);
	if (r->state == RD_DONE)
		return len ? reader_fail(r, MIG_ERR_TRAILING) : MIG_DONE;
	if (r->state == RD_HEADER) {
		if (len < MIG_HEADER_SIZE) {
			/* Refuse a wrong magic as soon as its bytes are in. */
			if (memcmp(buf, MIG_MAGIC, len < 4 ? len : 4))
				return reader_fail(r, MIG_ERR_MAGIC);
			*need = MIG_HEADER_SIZE;
			return MIG_MORE;
		}
		if ((err = reader_header(r, buf)))
			return reader_fail(r, err);
		base = MIG_HEADER_SIZE;
	}
	const uint8_t *p = buf + base;
	size_t avail = len - base;
	if (avail < MIG_SECTION_HDR_SIZE) {
		*used = base;
		*need = MIG_SECTION_HDR_SIZE;
		return MIG_MORE;
	}
	uint32_t id = le32_load(p), slen = le32_load(p + 4);
	if ((err = section_check(id, slen)))
		return reader_fail(r, err);
	if (avail - MIG_SECTION_HDR_SIZE < slen) {
		*used = base;
		*need = MIG_SECTION_HDR_SIZE + (size_t)slen;
		return MIG_MORE;
	}
	size_t total = MIG_SECTION_HDR_SIZE + (size_t)slen;
	if (id == MIG_SEC_END) {
		uint8_t digest[MIG_DIGEST_SIZE];
		if (hash_update(r->hash, p, MIG_SECTION_HDR_SIZE))
			return reader_fail(r, MIG_ERR_NOMEM);
		hash_peek(r->hash, digest);
		if (!digest_equal(digest, p + MIG_SECTION_HDR_SIZE))
			return reader_fail(r, MIG_ERR_DIGEST);
		r->state = RD_DONE;
		r->offset += total;
		*used = base + total;
		if (len > *used) /* bytes after the end in the same buffer */
			return reader_fail(r, MIG_ERR_TRAILING);
		return MIG_DONE;
	}
	if (hash_update(r->hash, p, MIG_SECTION_HDR_SIZE + hashed_len(id, slen)))
		return reader_fail(r, MIG_ERR_NOMEM);
	sec->id = id;
	sec->len = slen;
	sec->payload = p + MIG_SECTION_HDR_SIZE;
	r->offset += total;
	r->sections++;
	*used = base + total;
	return MIG_SECTION;
}

int mig_reader_finish(struct mig_reader *r)
{
	if (r->error)
		return -r->error;
	return r->state == RD_DONE ? 0 : reader_fail(r, MIG_ERR_TRUNCATED);
}

/* ---- writer ---- */

enum { WR_IDLE = 0, WR_OPEN, WR_CLOSED };

/* `len` bytes out, the first `hashed` of them into the digest. */
static int writer_out(struct mig_writer *w, const void *buf, size_t len, size_t hashed)
{
	if (hashed && hash_update(w->hash, buf, hashed < len ? hashed : len))
		return MIG_ERR_NOMEM;
	if (w->sink(w->opaque, buf, len))
		return MIG_ERR_SINK;
	w->bytes += len;
	return 0;
}

static int writer_fail(struct mig_writer *w, int err)
{
	w->error = err;
	return -err;
}

int mig_writer_begin(struct mig_writer *w, mig_sink_fn sink, void *opaque)
{
	uint8_t hdr[MIG_HEADER_SIZE] = {0};
	memset(w, 0, sizeof(*w));
	w->sink = sink;
	w->opaque = opaque;
	if (!(w->hash = hash_new()))
		return writer_fail(w, MIG_ERR_NOMEM);
	memcpy(hdr, MIG_MAGIC, 4);
	le32_store(hdr + 4, MIG_VERSION);
	w->state = WR_OPEN;
	int err = writer_out(w, hdr, sizeof(hdr), sizeof(hdr));
	return err ? writer_fail(w, err) : 0;
}

int mig_writer_section(struct mig_writer *w, uint32_t id, const struct mig_piece *pieces, size_t n)
{
	uint64_t total = 0;
	uint8_t hdr[MIG_SECTION_HDR_SIZE];
	int err;
	if (w->error)
		return -w->error;
	if (w->state != WR_OPEN)
		return writer_fail(w, MIG_ERR_STATE);
	for (size_t i = 0; i < n; i++)
		total += pieces[i].len;
	if (id == MIG_SEC_END)
		return -MIG_ERR_SECTION; /* not sticky: a caller mistake that wrote nothing */
	if ((err = section_check(id, total)))
		return -err;
	le32_store(hdr, id);
	le32_store(hdr + 4, (uint32_t)total);
	if ((err = writer_out(w, hdr, sizeof(hdr), sizeof(hdr))))
		return writer_fail(w, err);
	size_t hashed = hashed_len(id, (size_t)total);
	for (size_t i = 0; i < n; i++) {
		if (pieces[i].len && (err = writer_out(w, pieces[i].base, pieces[i].len, hashed)))
			return writer_fail(w, err);
		hashed -= hashed < pieces[i].len ? hashed : pieces[i].len;
	}
	return 0;
}

int mig_writer_end(struct mig_writer *w)
{
	uint8_t hdr[MIG_SECTION_HDR_SIZE], digest[MIG_DIGEST_SIZE];
	int err = w->error;
	if (!err && w->state != WR_OPEN)
		err = MIG_ERR_STATE;
	if (!err) {
		le32_store(hdr, MIG_SEC_END);
		le32_store(hdr + 4, MIG_DIGEST_SIZE);
		if (!(err = writer_out(w, hdr, sizeof(hdr), sizeof(hdr)))) {
			hash_peek(w->hash, digest);
			if (w->sink(w->opaque, digest, sizeof(digest)))
				err = MIG_ERR_SINK;
			else
				w->bytes += sizeof(digest);
		}
	}
	mig_writer_release(w);
	w->state = WR_CLOSED;
	if (err)
		w->error = err;
	return err ? -err : 0;
}

void mig_writer_release(struct mig_writer *w)
{
	hash_free(w->hash);
	w->hash = NULL;
	w->state = WR_CLOSED;
}

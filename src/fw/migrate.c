/* SPDX-License-Identifier: MIT */
/*
 * Live migration, records: private pages and the guest context sealed under the session's transport key
 * (AES-256-GCM; record format in include/snpemu/fw.h), imported strictly in order so that a replayed, dropped or
 * reordered record is refused, with plaintext released only after its tag verified.  The guest context is one
 * field walk (ctx_walk) used for both directions, so export and import cannot disagree on the layout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/le.h>

#include "fw/fw_internal.h"
#include "common/zero.h"

#define HDR_OFF_GPA	0x00u
#define HDR_OFF_SEQ	0x08u
#define HDR_OFF_KIND	0x10u
#define HDR_OFF_SIZE	0x11u
#define HDR_OFF_STATE	0x12u
#define HDR_OFF_FLAGS	0x13u
#define HDR_OFF_LEN	0x14u
#define HDR_OFF_TAG	0x18u
#define HDR_AAD		0x18u /* header bytes under the tag; the epoch follows them in the AAD */
#define CONTEXT_PLAIN	(FW_MIGRATE_CONTEXT_RECORD - FW_MIGRATE_RECORD_HDR)
#define CONTEXT_VERSION 1u

_Static_assert(FW_MIGRATE_RECORD_HDR == HDR_OFF_TAG + 16, "record header layout");

void fw_migrate_session_free(struct fw_migrate_session *s)
{
	if (!s)
		return;
	if (s->source && s->context_exported && s->guest) {
		/* Not finished: the destination did not take the guest, so it runs on here. */
		pthread_mutex_lock(&s->guest->lock);
		if (s->guest->ctx.state == FW_GUEST_SENDING)
			s->guest->ctx.state = FW_GUEST_RUNNING;
		pthread_mutex_unlock(&s->guest->lock);
	}
	fw_gcm_free(s->gcm);
	free(s->bounce);
	memset(s, 0, sizeof(*s));
	free(s);
}

static void record_iv(uint8_t iv[12], uint64_t seq)
{
	memcpy(iv, "SNPM", 4);
	for (unsigned i = 0; i < 8; i++)
		iv[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

static void record_aad(uint8_t aad[HDR_AAD + 8], const uint8_t *hdr, uint64_t epoch)
{
	memcpy(aad, hdr, HDR_AAD);
	le64_store(aad + HDR_AAD, epoch);
}

static bool state_exportable(enum fw_page_state st)
{
	return st == FW_PAGE_PRIVATE || st == FW_PAGE_VALIDATED || st == FW_PAGE_VMSA;
}

static size_t size_of_code(uint8_t code)
{
	return code == 0 ? FW_MIGRATE_PAGE_4K : code == 1 ? FW_MIGRATE_PAGE_2M : 0;
}

int fw_migrate_record_info(const uint8_t *rec, size_t len, struct fw_migrate_record_info *out)
{
	if (len < FW_MIGRATE_RECORD_HDR)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->gpa = le64_load(rec + HDR_OFF_GPA);
	out->seq = le64_load(rec + HDR_OFF_SEQ);
	out->kind = rec[HDR_OFF_KIND];
	out->state = rec[HDR_OFF_STATE];
	out->flags = rec[HDR_OFF_FLAGS];
	uint32_t ct_len = le32_load(rec + HDR_OFF_LEN);
	if (len - FW_MIGRATE_RECORD_HDR != ct_len || out->seq == 0)
		return -EINVAL;
	if (out->kind == FW_MIGRATE_KIND_CONTEXT)
		return out->gpa || rec[HDR_OFF_SIZE] || out->state || out->flags || ct_len != CONTEXT_PLAIN ? -EINVAL
													    : 0;
	if (out->kind != FW_MIGRATE_KIND_PAGE || !(out->size = size_of_code(rec[HDR_OFF_SIZE])) ||
	    (out->gpa & (out->size - 1)) || !state_exportable((enum fw_page_state)out->state) ||
	    (out->flags & ~FW_MIGRATE_FLAG_ZERO))
		return -EINVAL;
	return ct_len == ((out->flags & FW_MIGRATE_FLAG_ZERO) ? 0 : out->size) ? 0 : -EINVAL;
}

/* ---- source ---- */

/* The common state of the range: one exportable state for every page, else -EINVAL. */
static int range_state(struct fw_rmp *rmp, uint64_t gpa, size_t size, enum fw_page_state *out)
{
	if (gpa & (size - 1) || gpa >= fw_rmp_gpa_limit(rmp) || fw_rmp_gpa_limit(rmp) - gpa < size)
		return -EINVAL;
	enum fw_page_state st = fw_rmp_get(rmp, gpa);
	for (size_t off = FW_MIGRATE_PAGE_4K; off < size; off += FW_MIGRATE_PAGE_4K)
		if (fw_rmp_get(rmp, gpa + off) != st)
			return -EINVAL;
	*out = st;
	return state_exportable(st) ? 0 : -EINVAL;
}

static bool source_ready(struct fw_migrate_session *s)
{
	return s->source && s->phase == FW_MIG_KEYED && !s->context_exported;
}

/* Seal `len` bytes of `pt` behind a header already holding GPA, kind, size, state, flags. */
static int seal(struct fw_migrate_session *s, uint8_t *rec, const uint8_t *pt, size_t len)
{
	uint8_t iv[12], aad[HDR_AAD + 8];
	if (s->seq == UINT64_MAX)
		return -EOVERFLOW;
	uint64_t seq = s->seq + 1;
	le64_store(rec + HDR_OFF_SEQ, seq);
	le32_store(rec + HDR_OFF_LEN, (uint32_t)len);
	record_iv(iv, seq);
	record_aad(aad, rec, s->epoch);
	int rc = fw_gcm_seal(s->gcm, iv, aad, sizeof(aad), pt, len, rec + FW_MIGRATE_RECORD_HDR, rec + HDR_OFF_TAG);
	if (!rc)
		s->seq = seq; /* consumed only when used: a failed seal reuses nothing */
	return rc;
}

int fw_migrate_page_export(struct fw_migrate_session *s, uint64_t gpa, size_t size, const uint8_t *plain, uint8_t *rec,
			   size_t cap, size_t *len)
{
	enum fw_page_state st;
	if (!source_ready(s) || (size != FW_MIGRATE_PAGE_4K && size != FW_MIGRATE_PAGE_2M))
		return -EINVAL;
	pthread_mutex_lock(&s->guest->lock);
	bool running = s->guest->ctx.state == FW_GUEST_RUNNING;
	pthread_mutex_unlock(&s->guest->lock);
	int rc;
	if (!running || (rc = range_state(s->guest->rmp, gpa, size, &st)))
		return -EINVAL;
	bool zero = mem_is_zero(plain, size);
	size_t total = FW_MIGRATE_RECORD_HDR + (zero ? 0 : size);
	if (cap < total)
		return -ENOSPC;
	memset(rec, 0, FW_MIGRATE_RECORD_HDR);
	le64_store(rec + HDR_OFF_GPA, gpa);
	rec[HDR_OFF_KIND] = FW_MIGRATE_KIND_PAGE;
	rec[HDR_OFF_SIZE] = size == FW_MIGRATE_PAGE_2M;
	rec[HDR_OFF_STATE] = (uint8_t)st;
	rec[HDR_OFF_FLAGS] = zero ? FW_MIGRATE_FLAG_ZERO : 0;
	if ((rc = seal(s, rec, plain, zero ? 0 : size)))
		return rc;
	s->page_records++;
	*len = total;
	return 0;
}

/* ---- destination ---- */

/* Check a record's framing, binding and order, then open it into `pt`.  Nothing of the session changes unless the
 * tag verified. */
static int open_record(struct fw_migrate_session *s, struct fw_guest *dst, const uint8_t *rec, size_t len, uint8_t kind,
		       struct fw_migrate_record_info *info, uint8_t *pt)
{
	uint8_t iv[12], aad[HDR_AAD + 8];
	if (s->source || s->phase != FW_MIG_KEYED || (s->guest && s->guest != dst) || dst->platform != s->platform)
		return -EINVAL;
	if (fw_migrate_record_info(rec, len, info) || info->kind != kind)
		return -EINVAL;
	pthread_mutex_lock(&dst->lock);
	bool fresh = dst->ctx.state == FW_GUEST_INIT;
	pthread_mutex_unlock(&dst->lock);
	if (!fresh)
		return -EINVAL;
	if (info->seq <= s->seq)
		return -ESTALE; /* replayed */
	if (info->seq != s->seq + 1)
		return -EPROTO; /* a record is missing */
	record_iv(iv, info->seq);
	record_aad(aad, rec, s->epoch);
	int rc = fw_gcm_open(s->gcm, iv, aad, sizeof(aad), rec + FW_MIGRATE_RECORD_HDR, len - FW_MIGRATE_RECORD_HDR, pt,
			     rec + HDR_OFF_TAG);
	if (rc)
		return rc == -EBADMSG ? rc : -EIO;
	s->seq = info->seq;
	s->guest = dst;
	return 0;
}

int fw_migrate_page_import(struct fw_migrate_session *s, struct fw_guest *dst, const uint8_t *rec, size_t len,
			   uint8_t *out, size_t out_len)
{
	struct fw_migrate_record_info info;
	if (fw_migrate_record_info(rec, len, &info) || info.kind != FW_MIGRATE_KIND_PAGE || out_len != info.size ||
	    info.gpa >= fw_rmp_gpa_limit(dst->rmp) || fw_rmp_gpa_limit(dst->rmp) - info.gpa < info.size)
		return -EINVAL;
	if (!s->bounce && !(s->bounce = malloc(FW_MIGRATE_PAGE_2M)))
		return -ENOMEM;
	int rc = open_record(s, dst, rec, len, FW_MIGRATE_KIND_PAGE, &info, s->bounce);
	if (rc)
		return rc;
	if (info.flags & FW_MIGRATE_FLAG_ZERO)
		memset(out, 0, info.size);
	else
		memcpy(out, s->bounce, info.size);
	for (size_t off = 0; off < info.size; off += FW_MIGRATE_PAGE_4K)
		if ((rc = fw_rmp_set(dst->rmp, info.gpa + off, (enum fw_page_state)info.state)))
			return rc; /* -ENOMEM: the model could not grow; the session is past this record */
	s->page_records++;
	return 0;
}

/* ---- the guest context ---- */

/* Everything a context record carries besides struct fw_guest_context. */
struct ctx_extra {
	uint64_t page_records, gpa_limit;
	uint8_t rmp_digest[48];
};

struct codec {
	uint8_t *buf;
	size_t off;
	bool decode;
};

static void field(struct codec *c, void *v, size_t len)
{
	if (c->decode)
		memcpy(v, c->buf + c->off, len);
	else
		memcpy(c->buf + c->off, v, len);
	c->off += len;
}

static void field64(struct codec *c, uint64_t *v)
{
	if (c->decode)
		*v = le64_load(c->buf + c->off);
	else
		le64_store(c->buf + c->off, *v);
	c->off += 8;
}

static void field32(struct codec *c, uint32_t *v)
{
	if (c->decode)
		*v = le32_load(c->buf + c->off);
	else
		le32_store(c->buf + c->off, *v);
	c->off += 4;
}

#define CTX_ID_BLOCK   1u
#define CTX_AUTHOR_KEY 2u
#define CTX_IMI	       4u
#define CTX_VMRK       8u

/* One walk over the context layout (docs/migration.md), for both directions.  On decode, the version and the
 * flags' reserved bits are returned for the caller to check. */
static void ctx_walk(struct codec *c, struct fw_guest_context *g, struct ctx_extra *x, uint32_t *version)
{
	uint32_t flags = (g->id_block_en ? CTX_ID_BLOCK : 0) | (g->author_key_en ? CTX_AUTHOR_KEY : 0) |
			 (g->imi_en ? CTX_IMI : 0) | (g->vmrk_valid ? CTX_VMRK : 0),
		 reserved = 0;
	field32(c, version);
	field32(c, &flags);
	field64(c, &g->policy);
	field(c, g->vmpck, sizeof(g->vmpck));
	for (unsigned i = 0; i < SNP_VMPCK_COUNT; i++)
		field64(c, &g->msg_count[i]);
	field(c, g->vmrk, sizeof(g->vmrk));
	field(c, g->ld.digest, sizeof(g->ld.digest));
	field64(c, &g->ld.pages);
	field(c, g->host_data, sizeof(g->host_data));
	field(c, g->family_id, sizeof(g->family_id));
	field(c, g->image_id, sizeof(g->image_id));
	field32(c, &g->guest_svn);
	field32(c, &reserved);
	field(c, g->id_key_digest, sizeof(g->id_key_digest));
	field(c, g->author_key_digest, sizeof(g->author_key_digest));
	field(c, g->report_id, sizeof(g->report_id));
	field(c, g->report_id_ma, sizeof(g->report_id_ma));
	field(c, g->gosvw, sizeof(g->gosvw));
	field64(c, &g->guest_tsc_scale);
	field64(c, &g->guest_tsc_offset);
	field64(c, &g->launch_tcb);
	field64(c, &g->launch_mit_vector);
	field64(c, &g->migrate_epoch);
	field64(c, &x->page_records);
	field64(c, &x->gpa_limit);
	field(c, x->rmp_digest, sizeof(x->rmp_digest));
	if (c->decode) {
		g->id_block_en = flags & CTX_ID_BLOCK;
		g->author_key_en = flags & CTX_AUTHOR_KEY;
		g->imi_en = flags & CTX_IMI;
		g->vmrk_valid = flags & CTX_VMRK;
		if ((flags & ~(CTX_ID_BLOCK | CTX_AUTHOR_KEY | CTX_IMI | CTX_VMRK)) || reserved)
			*version = 0; /* refused like an unknown version */
	}
}

/* SHA-384 over the runs {u64 first GPA, u64 pages, u8 state} of every non-shared page: equal digests mean equal
 * RMPs.  -EBUSY if a page is firmware-owned (a request in flight: not a state to migrate). */
static int rmp_digest(struct fw_rmp *rmp, uint8_t out[48])
{
	struct fw_sha384_inc *h;
	uint64_t limit = fw_rmp_gpa_limit(rmp), gpa = fw_rmp_next_owned(rmp, 0);
	int rc = fw_sha384_inc_new(&h);
	while (!rc && gpa < limit) {
		enum fw_page_state st = fw_rmp_get(rmp, gpa);
		uint64_t end = gpa + FW_MIGRATE_PAGE_4K;
		if (st == FW_PAGE_FIRMWARE) {
			rc = -EBUSY;
			break;
		}
		while (end < limit && fw_rmp_get(rmp, end) == st)
			end += FW_MIGRATE_PAGE_4K;
		uint8_t run[17];
		le64_store(run, gpa);
		le64_store(run + 8, (end - gpa) / FW_MIGRATE_PAGE_4K);
		run[16] = (uint8_t)st;
		rc = fw_sha384_inc_update(h, run, sizeof(run));
		gpa = fw_rmp_next_owned(rmp, end);
	}
	if (!rc)
		rc = fw_sha384_inc_peek(h, out);
	fw_sha384_inc_free(h);
	return rc;
}

int fw_migrate_context_export(struct fw_migrate_session *s, uint8_t *rec, size_t cap, size_t *len)
{
	struct fw_guest_context ctx;
	struct ctx_extra x = {.page_records = s->page_records};
	uint8_t plain[CONTEXT_PLAIN];
	uint32_t version = CONTEXT_VERSION;
	if (!source_ready(s))
		return -EINVAL;
	if (cap < FW_MIGRATE_CONTEXT_RECORD)
		return -ENOSPC;
	struct fw_guest *g = s->guest;
	pthread_mutex_lock(&g->lock);
	if (g->ctx.state != FW_GUEST_RUNNING) {
		pthread_mutex_unlock(&g->lock);
		return -EINVAL;
	}
	g->ctx.state = FW_GUEST_SENDING; /* from here on no request moves the counters we are about to send */
	ctx = g->ctx;
	pthread_mutex_unlock(&g->lock);
	s->context_exported = true; /* an error below leaves it to session_free to resume the guest */
	ctx.migrate_epoch = s->epoch;
	x.gpa_limit = fw_rmp_gpa_limit(g->rmp);
	int rc = rmp_digest(g->rmp, x.rmp_digest);
	if (!rc) {
		struct codec c = {.buf = plain};
		ctx_walk(&c, &ctx, &x, &version);
		memset(rec, 0, FW_MIGRATE_RECORD_HDR);
		rec[HDR_OFF_KIND] = FW_MIGRATE_KIND_CONTEXT;
		rc = seal(s, rec, plain, sizeof(plain));
	}
	memset(plain, 0, sizeof(plain));
	memset(&ctx, 0, sizeof(ctx));
	if (rc) {
		pthread_mutex_lock(&g->lock);
		g->ctx.state = FW_GUEST_RUNNING;
		pthread_mutex_unlock(&g->lock);
		s->context_exported = false;
		return rc;
	}
	s->phase = FW_MIG_CLOSED;
	*len = FW_MIGRATE_CONTEXT_RECORD;
	return 0;
}

int fw_migrate_context_import(struct fw_migrate_session *s, struct fw_guest *dst, const uint8_t *rec, size_t len)
{
	struct fw_migrate_record_info info;
	struct fw_guest_context ctx = {0};
	struct ctx_extra x;
	uint8_t plain[CONTEXT_PLAIN], digest[48];
	uint32_t version = 0;
	int rc = open_record(s, dst, rec, len, FW_MIGRATE_KIND_CONTEXT, &info, plain);
	if (rc)
		return rc;
	struct codec c = {.buf = plain, .decode = true};
	ctx_walk(&c, &ctx, &x, &version);
	memset(plain, 0, sizeof(plain));
	s->phase = FW_MIG_CLOSED; /* the context is the last record, whatever happens now */
	if (version != CONTEXT_VERSION || ctx.migrate_epoch != s->epoch)
		rc = -EINVAL;
	else if (x.page_records != s->page_records || x.gpa_limit != fw_rmp_gpa_limit(dst->rmp))
		rc = -EPROTO;
	else if (!(ctx.policy & SNP_POLICY_MIGRATE_MA) || fw_policy_check(&dst->platform->cfg, ctx.policy))
		rc = -EPERM;
	else if ((rc = rmp_digest(dst->rmp, digest)) == 0 && memcmp(digest, x.rmp_digest, sizeof(digest)))
		rc = -EPROTO;
	if (!rc) {
		ctx.state = FW_GUEST_RUNNING;
		pthread_mutex_lock(&dst->lock);
		dst->ctx = ctx;
		pthread_mutex_unlock(&dst->lock);
	}
	memset(&ctx, 0, sizeof(ctx));
	return rc;
}

int fw_migrate_source_finish(struct fw_migrate_session *s)
{
	if (!s->source || !s->context_exported)
		return -EINVAL;
	struct fw_guest *g = s->guest;
	pthread_mutex_lock(&g->lock);
	enum fw_guest_state prior = g->ctx.state;
	if (prior == FW_GUEST_SENDING) {
		memset(g->ctx.vmpck, 0, sizeof(g->ctx.vmpck)); /* the guest lives on at the destination only */
		memset(g->ctx.vmrk, 0, sizeof(g->ctx.vmrk));
		memset(g->secret, 0, sizeof(g->secret));
		g->ctx.state = FW_GUEST_SENT;
	}
	pthread_mutex_unlock(&g->lock);
	s->context_exported = false;
	return prior == FW_GUEST_SENDING ? 0 : -EINVAL;
}

/* SPDX-License-Identifier: MIT */
/*
 * One field walk for both directions of a fixed binary layout (the pattern of ctx_walk in src/fw/migrate.c): a
 * function that names every field once, in order, and a codec that either stores the value (encode) or loads it
 * (decode).  Encoding and decoding then cannot disagree on the layout.  All integers little-endian.  Bounds are
 * checked on every field: running past `cap` sets `overflow` and stops moving bytes, so a walk over a short buffer
 * is harmless and the caller refuses the result.  Used for the engine's state (src/hv/migrate.c) and the VMM's
 * stream sections (src/vmm/migrate_state.c).
 */
#ifndef SNPEMU_COMMON_FIELD_WALK_H
#define SNPEMU_COMMON_FIELD_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <snpemu/abi/le.h>

struct field_walk {
	uint8_t *buf; /* encode: written; decode: read (never written) */
	size_t cap;
	size_t off;
	bool decode;
	bool overflow; /* a field did not fit in cap */
};

static inline bool field_walk_room(struct field_walk *w, size_t n)
{
	if (w->overflow || n > w->cap - w->off) {
		w->overflow = true;
		return false;
	}
	return true;
}

static inline void field_walk_bytes(struct field_walk *w, void *v, size_t n)
{
	if (!field_walk_room(w, n))
		return;
	if (w->decode)
		memcpy(v, w->buf + w->off, n);
	else
		memcpy(w->buf + w->off, v, n);
	w->off += n;
}

static inline void field_walk_u64(struct field_walk *w, uint64_t *v)
{
	if (!field_walk_room(w, 8))
		return;
	if (w->decode)
		*v = le64_load(w->buf + w->off);
	else
		le64_store(w->buf + w->off, *v);
	w->off += 8;
}

static inline void field_walk_u32(struct field_walk *w, uint32_t *v)
{
	if (!field_walk_room(w, 4))
		return;
	if (w->decode)
		*v = le32_load(w->buf + w->off);
	else
		le32_store(w->buf + w->off, *v);
	w->off += 4;
}

/* Encode: start a walk writing into buf[cap].  Decode: reading buf[len]. */
static inline struct field_walk field_walk_encoder(uint8_t *buf, size_t cap)
{
	return (struct field_walk){.buf = buf, .cap = cap};
}

static inline struct field_walk field_walk_decoder(const uint8_t *buf, size_t len)
{
	return (struct field_walk){.buf = (uint8_t *)(uintptr_t)buf, .cap = len, .decode = true};
}

/* A decode consumed exactly the input: no overflow and no bytes left over. */
static inline bool field_walk_exact(const struct field_walk *w)
{
	return !w->overflow && w->off == w->cap;
}

#endif

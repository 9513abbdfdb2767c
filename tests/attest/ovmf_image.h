/* SPDX-License-Identifier: MIT */
/*
 * Synthetic OVMF images for the measurement tests, laid out as edk2's ResetVectorVtf0.asm and
 * OvmfSevMetadata.asm lay out a real one: [ ... "ASEV" metadata ... | table entries | footer entry | 32 bytes ].
 * GUIDs are written from their text form here, independently of the byte arrays in src/fw.
 */
#ifndef SNPEMU_TESTS_OVMF_IMAGE_H
#define SNPEMU_TESTS_OVMF_IMAGE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_GUID_FOOTER	  "96b582de-1fb2-45f7-baea-a366c55a082d"
#define T_GUID_HASHES	  "7255371f-3a3b-4b04-927b-1da6efa8d454"
#define T_GUID_RESET	  "00f771de-1a7e-4fcb-890e-68c77e2fb44e"
#define T_GUID_METADATA	  "dc886566-984a-4798-a75e-5585a7bf67cc"
#define T_GUID_UNKNOWN	  "11111111-2222-3333-4444-555555555555"
#define T_GUID_HT_HEADER  "9438d606-4f22-4cc9-b479-a793d411fd21"
#define T_GUID_HT_CMDLINE "97d02dd8-bd20-4c94-aa78-e7714d36ab2a"
#define T_GUID_HT_INITRD  "44baf731-3a2f-4bd7-9af1-41e29169781d"
#define T_GUID_HT_KERNEL  "4de79437-abd2-427f-b835-d5b172d2045b"

/* EFI GUID byte order: the first three groups little-endian, the last two as written. */
static inline void t_guid(const char *text, uint8_t out[16])
{
	unsigned v[16];
	int n = sscanf(text, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x", &v[0], &v[1], &v[2], &v[3], &v[4],
		       &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]);
	if (n != 16)
		abort();
	static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)v[order[i]];
}

static inline void t_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void t_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

struct t_section {
	uint32_t gpa, size, type;
};

/* What to put in an image.  Entries with has_* = 0 are left out. */
struct t_image_spec {
	size_t len;		   /* image length */
	int has_reset, has_hashes; /* table entries */
	uint32_t reset_eip, hashes_gpa;
	int has_metadata;
	size_t metadata_pos; /* "ASEV" header offset from the image start */
	unsigned n_sections;
	struct t_section sections[8];
	uint8_t fill; /* byte value of the image body */
};

/* Offsets of what t_image_build wrote, for tests that corrupt them. */
struct t_image_layout {
	size_t footer;					  /* footer entry {u16 len, GUID} */
	size_t table_start;				  /* first byte of the entries */
	size_t entry_reset, entry_hashes, entry_metadata; /* each entry's u16 length field */
};

/* One entry {data, u16 length, GUID} ending at `end`; returns its start. */
static inline size_t t_put_entry(uint8_t *img, size_t end, const char *guid, const uint8_t *data, size_t data_len,
				 size_t *len_field)
{
	size_t start = end - data_len - 18;
	memcpy(img + start, data, data_len);
	t_put16(img + end - 18, (unsigned)(data_len + 18));
	t_guid(guid, img + end - 16);
	if (len_field)
		*len_field = end - 18;
	return start;
}

static inline void t_image_build(uint8_t *img, const struct t_image_spec *s, struct t_image_layout *lay)
{
	memset(img, s->fill, s->len);
	memset(lay, 0, sizeof(*lay));
	size_t footer = s->len - 32 - 18, end = footer;
	uint8_t data[8] = {0};
	/* edk2 order from the footer down: metadata, reset block, hashes table, plus an entry we do not know. */
	t_put32(data, 0xAABBCCDD);
	end = t_put_entry(img, end, T_GUID_UNKNOWN, data, 6, NULL);
	if (s->has_metadata) {
		t_put32(data, (uint32_t)(s->len - s->metadata_pos));
		end = t_put_entry(img, end, T_GUID_METADATA, data, 4, &lay->entry_metadata);
	}
	if (s->has_reset) {
		t_put32(data, s->reset_eip);
		end = t_put_entry(img, end, T_GUID_RESET, data, 4, &lay->entry_reset);
	}
	if (s->has_hashes) {
		t_put32(data, s->hashes_gpa);
		t_put32(data + 4, 0x400); /* the table size, unused by the measurement */
		end = t_put_entry(img, end, T_GUID_HASHES, data, 8, &lay->entry_hashes);
	}
	t_put16(img + footer, (unsigned)(footer - end + 18));
	t_guid(T_GUID_FOOTER, img + footer + 2);
	lay->footer = footer;
	lay->table_start = end;
	if (s->has_metadata) {
		uint8_t *m = img + s->metadata_pos;
		memcpy(m, "ASEV", 4);
		t_put32(m + 4, 16 + 12 * s->n_sections);
		t_put32(m + 8, 1);
		t_put32(m + 12, s->n_sections);
		for (unsigned i = 0; i < s->n_sections; i++) {
			t_put32(m + 16 + 12 * i, s->sections[i].gpa);
			t_put32(m + 20 + 12 * i, s->sections[i].size);
			t_put32(m + 24 + 12 * i, s->sections[i].type);
		}
	}
}

/* A spec shaped like OvmfPkg/AmdSev (the section list of edk2's OvmfSevMetadata.asm) in `len` bytes. */
static inline struct t_image_spec t_amdsev_spec(size_t len)
{
	struct t_image_spec s = {
	    .len = len,
	    .has_reset = 1,
	    .reset_eip = 0x80B004,
	    .has_hashes = 1,
	    .hashes_gpa = 0x80F400,
	    .has_metadata = 1,
	    .metadata_pos = len - 0x800,
	    .n_sections = 6,
	    .sections = {{0x800000, 0x9000, 1},
			 {0x80A000, 0x3000, 1},
			 {0x80D000, 0x1000, 2},
			 {0x80E000, 0x1000, 3},
			 {0x80F000, 0x1000, 0x10},
			 {0x810000, 0x2000, 4}},
	    .fill = 0xC3,
	};
	return s;
}

#endif

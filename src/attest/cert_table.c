/* SPDX-License-Identifier: MIT */
/*
 * The extended guest request certificate table (snp-firmware-abi.md §4.1; GHCB spec 56421 Table 10), parsed the
 * way Linux (sev_report_new) and go-sev-guest (ParseSnpCertTableHeader) read it, and described for
 * `snpemu decode certs`.  Pure: bytes in, a caller-owned table out, no allocation except for the JSON text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <snpemu/abi/le.h>
#include <snpemu/attest.h>

static const struct {
	uint8_t guid[SNP_GUID_SIZE];
	enum attest_cert_kind kind;
} known_guids[] = {
    {SNP_GUID_ARK, ATTEST_CERT_ARK},   {SNP_GUID_ASK, ATTEST_CERT_ASK}, {SNP_GUID_VCEK, ATTEST_CERT_VCEK},
    {SNP_GUID_VLEK, ATTEST_CERT_VLEK}, {SNP_GUID_CRL, ATTEST_CERT_CRL},
};

const char *attest_cert_kind_name(enum attest_cert_kind kind)
{
	static const char *const names[] = {"ARK", "ASK", "VCEK", "VLEK", "CRL", "other"};
	return (unsigned int)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "other";
}

void attest_guid_str(const uint8_t g[SNP_GUID_SIZE], char out[37])
{
	/* RFC 4122 byte order: the bytes print in storage order (§4.1). */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[0], g[1], g[2],
		 g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static enum attest_cert_kind kind_of(const uint8_t guid[SNP_GUID_SIZE])
{
	for (size_t i = 0; i < sizeof(known_guids) / sizeof(known_guids[0]); i++)
		if (!memcmp(guid, known_guids[i].guid, SNP_GUID_SIZE))
			return known_guids[i].kind;
	return ATTEST_CERT_OTHER;
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

__attribute__((format(printf, 2, 3))) static int fail(struct attest_cert_table *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int attest_cert_table_parse(const uint8_t *buf, size_t len, struct attest_cert_table *t)
{
	memset(t, 0, sizeof(*t));
	if (!buf || len < SNP_CERT_ENTRY_SIZE)
		return fail(t, "a certificate table is at least one 24-byte entry, got %zu bytes", len);
	/* Find the terminator: the all-zero entry (GUID, offset and length; a zero GUID alone is not one). */
	size_t n = 0;
	for (;; n++) {
		size_t off = n * SNP_CERT_ENTRY_SIZE;
		if (off + SNP_CERT_ENTRY_SIZE > len)
			return fail(t, "no all-zero terminator entry within %zu bytes", len);
		if (zero(buf + off, SNP_CERT_ENTRY_SIZE))
			break;
		if (n == ATTEST_CERT_TABLE_MAX_ENTRIES)
			return fail(t, "more than %u entries", ATTEST_CERT_TABLE_MAX_ENTRIES);
	}
	t->table_size = (n + 1) * SNP_CERT_ENTRY_SIZE;
	t->blob_end = t->table_size;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = buf + i * SNP_CERT_ENTRY_SIZE;
		struct attest_cert_entry *ent = &t->entries[i];
		memcpy(ent->guid, e + SNP_CERT_ENTRY_OFF_GUID, SNP_GUID_SIZE);
		ent->offset = le32_load(e + SNP_CERT_ENTRY_OFF_OFFSET);
		ent->length = le32_load(e + SNP_CERT_ENTRY_OFF_LENGTH);
		ent->kind = kind_of(ent->guid);
		char g[37];
		attest_guid_str(ent->guid, g);
		/* go-sev-guest: a blob may not overlap the table, and must end inside the buffer. */
		if (ent->offset < t->table_size)
			return fail(t, "entry %zu (%s): offset %u is inside the %zu-byte table", i, g, ent->offset,
				    t->table_size);
		if ((uint64_t)ent->offset + ent->length > len)
			return fail(t, "entry %zu (%s): offset %u + length %u is beyond the %zu-byte buffer", i, g,
				    ent->offset, ent->length, len);
		if (ent->length == 0)
			return fail(t, "entry %zu (%s): zero length", i, g);
		for (size_t j = 0; j < i; j++)
			if (!memcmp(t->entries[j].guid, ent->guid, SNP_GUID_SIZE))
				return fail(t, "entry %zu: GUID %s appears twice", i, g);
		if ((size_t)ent->offset + ent->length > t->blob_end)
			t->blob_end = (size_t)ent->offset + ent->length;
	}
	t->count = (unsigned int)n;
	return 0;
}

const struct attest_cert_entry *attest_cert_table_find(const struct attest_cert_table *t, enum attest_cert_kind kind)
{
	for (unsigned int i = 0; i < t->count; i++)
		if (t->entries[i].kind == kind)
			return &t->entries[i];
	return NULL;
}

size_t attest_cert_table_describe(const struct attest_cert_table *t, struct snpemu_text *out)
{
	size_t start = out->len;
	snpemu_text_printf(out, "certificate table: %u entries, table %zu bytes, blobs end at %zu\n", t->count,
			   t->table_size, t->blob_end);
	for (unsigned int i = 0; i < t->count; i++) {
		const struct attest_cert_entry *e = &t->entries[i];
		char g[37];
		attest_guid_str(e->guid, g);
		snpemu_text_printf(out, "  %u: %-5s %s offset 0x%x length %u\n", i, attest_cert_kind_name(e->kind), g,
				   e->offset, e->length);
	}
	return out->len - start;
}

char *attest_cert_table_json(const struct attest_cert_table *t)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	if (!root || !arr) {
		json_object_put(root);
		json_object_put(arr);
		return NULL;
	}
	json_object_object_add(root, "table_size", json_object_new_int64((int64_t)t->table_size));
	json_object_object_add(root, "blob_end", json_object_new_int64((int64_t)t->blob_end));
	for (unsigned int i = 0; i < t->count; i++) {
		const struct attest_cert_entry *e = &t->entries[i];
		char g[37];
		attest_guid_str(e->guid, g);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(attest_cert_kind_name(e->kind)));
		json_object_object_add(o, "guid", json_object_new_string(g));
		json_object_object_add(o, "offset", json_object_new_int64(e->offset));
		json_object_object_add(o, "length", json_object_new_int64(e->length));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "entries", arr);
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = s ? strdup(s) : NULL;
	json_object_put(root);
	return copy;
}

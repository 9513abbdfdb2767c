/* SPDX-License-Identifier: MIT */
/*
 * JSON forms of the GHCB and MSR decoders, and the PSC descriptor decoder (GHCB spec 56421 §4.1.6; Linux struct
 * psc_desc), for `snpemu decode` and its fuzz targets.  Every function accepts any bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/names.h>

static char *json_text(json_object *root)
{
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = s ? strdup(s) : NULL;
	json_object_put(root);
	return copy;
}

static json_object *u64_hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

char *snpemu_decode_ghcb_json(const uint8_t *page, size_t len)
{
	if (!page || len != GHCB_PAGE_SIZE)
		return NULL;
	const struct ghcb *g = (const struct ghcb *)(const void *)page;
	json_object *root = json_object_new_object(), *fields = json_object_new_array();
	if (!root || !fields) {
		json_object_put(root);
		json_object_put(fields);
		return NULL;
	}
	json_object_object_add(root, "protocol_version", json_object_new_int(ghcb_get_protocol_version(g)));
	json_object_object_add(root, "usage", json_object_new_int64(ghcb_get_usage(g)));
	unsigned int off, size;
	const char *name;
	for (size_t i = 0; (name = snpemu_ghcb_field(i, &off, &size)); i++) {
		uint64_t v = size == 1 ? page[off] : le64_load(page + off);
		bool valid = ghcb_offset_is_valid(g, off);
		if (!valid && !v)
			continue;
		json_object *f = json_object_new_object();
		json_object_object_add(f, "name", json_object_new_string(name));
		json_object_object_add(f, "offset", json_object_new_int((int)off));
		json_object_object_add(f, "value", u64_hex(v));
		json_object_object_add(f, "valid", json_object_new_boolean(valid));
		if (off == GHCB_OFF_SW_EXIT_CODE) {
			const char *n = snpemu_exit_code_name(v);
			json_object_object_add(f, "exit_code_name", n ? json_object_new_string(n) : NULL);
		}
		json_object_array_add(fields, f);
	}
	json_object_object_add(root, "fields", fields);
	unsigned int last = 0;
	for (unsigned int i = 0; i < GHCB_SHARED_BUFFER_SIZE; i++)
		if (page[GHCB_OFF_SHARED_BUFFER + i])
			last = i + 1;
	char *hex = malloc(2 * (size_t)last + 1);
	if (!hex) {
		json_object_put(root);
		return NULL;
	}
	for (unsigned int i = 0; i < last; i++)
		snprintf(hex + 2 * i, 3, "%02x", page[GHCB_OFF_SHARED_BUFFER + i]);
	hex[2 * last] = '\0';
	json_object_object_add(root, "shared_buffer", json_object_new_string(hex));
	free(hex);
	return json_text(root);
}

char *snpemu_decode_msr_json(uint64_t value)
{
	char text[256];
	struct snpemu_text t;
	snpemu_text_init(&t, text, sizeof(text));
	snpemu_decode_msr(value, &t);
	json_object *root = json_object_new_object();
	if (!root)
		return NULL;
	const char *name = snpemu_msr_info_name(GHCB_MSR_INFO(value));
	json_object_object_add(root, "value", u64_hex(value));
	json_object_object_add(root, "info", json_object_new_int((int)GHCB_MSR_INFO(value)));
	json_object_object_add(root, "name", name ? json_object_new_string(name) : NULL);
	json_object_object_add(root, "text", json_object_new_string(text));
	return json_text(root);
}

int snpemu_psc_validate(const uint8_t *buf, size_t len, char *why, size_t cap)
{
	if (!buf || len < PSC_HDR_SIZE) {
		snprintf(why, cap, "a PSC descriptor has an 8-byte header, got %zu bytes", len);
		return -EINVAL;
	}
	if (len > PSC_DESC_SIZE) {
		snprintf(why, cap, "%zu bytes: larger than the %u-byte GHCB shared buffer", len, PSC_DESC_SIZE);
		return -EINVAL;
	}
	if ((len - PSC_HDR_SIZE) % PSC_ENTRY_SIZE) {
		snprintf(why, cap, "%zu bytes: the header is not followed by whole 8-byte entries", len);
		return -EINVAL;
	}
	size_t count = (len - PSC_HDR_SIZE) / PSC_ENTRY_SIZE;
	unsigned int end = psc_hdr_end_entry(buf);
	/* KVM: end_entry >= VMGEXIT_PSC_MAX_COUNT is an invalid header. */
	if (end >= VMGEXIT_PSC_MAX_ENTRY) {
		snprintf(why, cap, "end_entry %u: at most %u entries", end, VMGEXIT_PSC_MAX_ENTRY);
		return -EINVAL;
	}
	if (end >= count) {
		snprintf(why, cap, "end_entry %u but the descriptor holds %zu entries", end, count);
		return -EINVAL;
	}
	return 0;
}

static const char *psc_op_name(unsigned int op)
{
	switch (op) {
	case SNP_PAGE_STATE_PRIVATE:
		return "private";
	case SNP_PAGE_STATE_SHARED:
		return "shared";
	case SNP_PAGE_STATE_PSMASH:
		return "psmash";
	case SNP_PAGE_STATE_UNSMASH:
		return "unsmash";
	default:
		return "invalid";
	}
}

size_t snpemu_decode_psc(const uint8_t *buf, size_t len, struct snpemu_text *out)
{
	size_t start = out->len;
	char why[128];
	if (snpemu_psc_validate(buf, len, why, sizeof(why))) {
		snpemu_text_printf(out, "error: %s\n", why);
		return out->len - start;
	}
	unsigned int cur = psc_hdr_cur_entry(buf), end = psc_hdr_end_entry(buf);
	uint32_t rsvd = le32_load(buf + PSC_OFF_RESERVED);
	snpemu_text_printf(out, "PSC descriptor: cur_entry %u, end_entry %u, reserved 0x%x%s%s\n", cur, end, rsvd,
			   cur > end ? " (INVALID header: cur_entry > end_entry)" : "",
			   rsvd ? " (reserved not zero)" : "");
	for (unsigned int i = 0; i <= end; i++) {
		uint64_t e = psc_entry_load(buf, i);
		unsigned int op = psc_entry_op(e);
		snpemu_text_printf(out, "  %3u: 0x%016llx gfn 0x%llx op %u (%s) %s cur_page %u %s%s\n", i,
				   (unsigned long long)e, (unsigned long long)psc_entry_gfn(e), op, psc_op_name(op),
				   psc_entry_pagesize(e) ? "2M" : "4K", psc_entry_cur_page(e),
				   i < cur ? "processed" : "pending",
				   psc_entry_reserved(e) ? " RESERVED-BITS-SET" : "");
	}
	return out->len - start;
}

char *snpemu_decode_psc_json(const uint8_t *buf, size_t len)
{
	char why[128];
	if (snpemu_psc_validate(buf, len, why, sizeof(why)))
		return NULL;
	json_object *root = json_object_new_object(), *entries = json_object_new_array();
	if (!root || !entries) {
		json_object_put(root);
		json_object_put(entries);
		return NULL;
	}
	unsigned int cur = psc_hdr_cur_entry(buf), end = psc_hdr_end_entry(buf);
	json_object_object_add(root, "cur_entry", json_object_new_int((int)cur));
	json_object_object_add(root, "end_entry", json_object_new_int((int)end));
	json_object_object_add(root, "reserved", json_object_new_int64(le32_load(buf + PSC_OFF_RESERVED)));
	json_object_object_add(root, "header_valid", json_object_new_boolean(cur <= end));
	for (unsigned int i = 0; i <= end; i++) {
		uint64_t e = psc_entry_load(buf, i);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "raw", u64_hex(e));
		json_object_object_add(o, "gfn", json_object_new_int64((int64_t)psc_entry_gfn(e)));
		json_object_object_add(o, "operation", json_object_new_string(psc_op_name(psc_entry_op(e))));
		json_object_object_add(o, "page_size", json_object_new_string(psc_entry_pagesize(e) ? "2M" : "4K"));
		json_object_object_add(o, "cur_page", json_object_new_int((int)psc_entry_cur_page(e)));
		json_object_object_add(o, "reserved", json_object_new_int((int)psc_entry_reserved(e)));
		json_object_object_add(o, "processed", json_object_new_boolean(i < cur));
		json_object_array_add(entries, o);
	}
	json_object_object_add(root, "entries", entries);
	return json_text(root);
}

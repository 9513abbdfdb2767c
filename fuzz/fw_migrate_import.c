/* SPDX-License-Identifier: MIT */
/*
 * Fuzz private-page and guest-context import.  Two platforms of one AMD root agree a key once; the first input byte
 * picks what the rest is: 0, a record as is; 1 and 2, a mask XORed over a genuine page record or context record.
 * A record the source did not produce must be refused with a documented error and nothing written to the target,
 * and a changed genuine record must never import (every byte is under the tag).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/fw.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GPA_LIMIT (16ull << 20)

static struct fw_migrate_session *dst_session;
static struct fw_guest *src, *dst;
static uint8_t page_rec[FW_MIGRATE_RECORD_HDR + 4096], ctx_rec[FW_MIGRATE_CONTEXT_RECORD];
static size_t page_len, ctx_len;

static struct fw_platform *platform(const char *seed)
{
	struct fw_platform_config cfg;
	struct fw_platform *p;
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	fw_platform_config_seed(&cfg, (const uint8_t *)seed, strlen(seed));
	fw_platform_config_amd_seed(&cfg, (const uint8_t *)"fuzz-amd", 8);
	if (fw_platform_create(&cfg, &p))
		abort();
	return p;
}

static void setup(void)
{
	static uint8_t offer[FW_MIGRATE_MSG_MAX], accept[FW_MIGRATE_MSG_MAX], page[4096];
	struct fw_migrate_session *s;
	size_t olen, alen;
	struct fw_platform *a = platform("fuzz-a"), *b = platform("fuzz-b");
	if (fw_guest_create(a, GPA_LIMIT, &src) || fw_guest_create(b, GPA_LIMIT, &dst) ||
	    fw_launch_start(src, 0x70000, NULL) || fw_launch_update(src, SNP_PAGE_TYPE_NORMAL, 0x1000, page, NULL) ||
	    fw_launch_finish(src, NULL))
		abort();
	memset(page, 0x3C, sizeof(page));
	if (fw_migrate_offer(b, offer, sizeof(offer), &olen, &dst_session) ||
	    fw_migrate_accept(src, offer, olen, accept, sizeof(accept), &alen, &s) ||
	    fw_migrate_complete(dst_session, accept, alen) ||
	    fw_migrate_page_export(s, 0x1000, 4096, page, page_rec, sizeof(page_rec), &page_len) ||
	    fw_migrate_context_export(s, ctx_rec, sizeof(ctx_rec), &ctx_len))
		abort();
	fw_migrate_session_free(s); /* the source keeps running; the records stay valid for the destination */
}

static bool documented(int rc)
{
	return rc == -EINVAL || rc == -ESTALE || rc == -EPROTO || rc == -EBADMSG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rec[FW_MIGRATE_RECORD_HDR + 2 * 4096], out[4096];
	if (!dst_session)
		setup();
	if (size < 1 || size - 1 > sizeof(rec))
		return 0;
	uint8_t mode = data[0] % 3;
	const uint8_t *genuine = mode == 1 ? page_rec : ctx_rec;
	size_t len = mode == 0 ? size - 1 : mode == 1 ? page_len : ctx_len;
	bool changed = false;
	if (mode == 0) {
		memcpy(rec, data + 1, len);
	} else {
		memcpy(rec, genuine, len);
		for (size_t i = 0; i + 1 < size && i < len; i++) {
			rec[i] ^= data[1 + i];
			changed |= data[1 + i] != 0;
		}
		if (!changed)
			return 0; /* the genuine record would import once and change the session */
	}
	struct fw_migrate_record_info info;
	memset(out, 0xA5, sizeof(out));
	int rc = fw_migrate_record_info(rec, len, &info) == 0 && info.kind == FW_MIGRATE_KIND_CONTEXT
		     ? fw_migrate_context_import(dst_session, dst, rec, len)
		     : fw_migrate_page_import(dst_session, dst, rec, len, out, sizeof(out));
	if (!documented(rc))
		abort();
	for (size_t i = 0; i < sizeof(out); i++)
		if (out[i] != 0xA5)
			abort();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The certificate table of extended guest requests (GHCB 56421 §4.1.8.1 Table 10; snp-firmware-abi.md §4.1):
 * 24-byte entries {GUID (RFC 4122 byte order), u32 offset, u32 length}, an all-zero terminator, then the DER blobs
 * packed from (n + 1) * 24 as virtee and go-sev-guest write them.  The parser takes untrusted bytes.
 */
#include <errno.h>
#include <string.h>

#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/le.h>

#include "fw/fw_internal.h"

static const struct {
	uint8_t guid[16];
	enum fw_cert_kind kind;
} guid_kinds[] = {
    {SNP_GUID_ARK, FW_CERT_ARK},
    {SNP_GUID_ASK, FW_CERT_ASK},
    {SNP_GUID_VCEK, FW_CERT_VCEK},
    {SNP_GUID_VLEK, FW_CERT_VLEK},
};

int fw_cert_guid_kind(const uint8_t guid[16])
{
	for (size_t i = 0; i < sizeof(guid_kinds) / sizeof(guid_kinds[0]); i++)
		if (!memcmp(guid, guid_kinds[i].guid, 16))
			return (int)guid_kinds[i].kind;
	return -1;
}

int fw_cert_table_build(struct fw_platform *p, uint8_t *buf, size_t cap, size_t *needed)
{
	/* Order as KDS chains read: ARK, ASK, VCEK; with a VLEK also the ASVK (under the ASK GUID, §4.1) and VLEK. */
	static const uint8_t g_ark[16] = SNP_GUID_ARK, g_ask[16] = SNP_GUID_ASK, g_vcek[16] = SNP_GUID_VCEK,
			     g_vlek[16] = SNP_GUID_VLEK;
	struct {
		const uint8_t *guid;
		enum fw_cert_kind kind;
	} rows[5] = {{g_ark, FW_CERT_ARK}, {g_ask, FW_CERT_ASK}, {g_vcek, FW_CERT_VCEK}};
	size_t n = 3;
	if (fw_platform_config(p)->vlek) {
		rows[n].guid = g_ask;
		rows[n++].kind = FW_CERT_ASVK;
		rows[n].guid = g_vlek;
		rows[n++].kind = FW_CERT_VLEK;
	}
	const uint8_t *der[5];
	size_t len[5], total = (n + 1) * SNP_CERT_ENTRY_SIZE;
	for (size_t i = 0; i < n; i++) {
		int rc = fw_platform_cert(p, rows[i].kind, &der[i], &len[i]);
		if (rc)
			return rc;
		total += len[i];
	}
	*needed = total;
	if (cap < total)
		return -ENOSPC;
	memset(buf, 0, (n + 1) * SNP_CERT_ENTRY_SIZE);
	size_t off = (n + 1) * SNP_CERT_ENTRY_SIZE;
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = buf + i * SNP_CERT_ENTRY_SIZE;
		memcpy(e + SNP_CERT_ENTRY_OFF_GUID, rows[i].guid, 16);
		le32_store(e + SNP_CERT_ENTRY_OFF_OFFSET, (uint32_t)off);
		le32_store(e + SNP_CERT_ENTRY_OFF_LENGTH, (uint32_t)len[i]);
		memcpy(buf + off, der[i], len[i]);
		off += len[i];
	}
	return 0;
}

int fw_cert_table_parse(const uint8_t *buf, size_t len, struct fw_cert_entry *out, size_t max, size_t *count)
{
	static const uint8_t zero[SNP_CERT_ENTRY_SIZE];
	size_t n = 0;
	*count = 0;
	/* Find the terminator first: Linux and go-sev-guest need GUID, offset and length all zero. */
	for (;; n++) {
		if ((n + 1) * SNP_CERT_ENTRY_SIZE > len)
			return -EINVAL;
		if (!memcmp(buf + n * SNP_CERT_ENTRY_SIZE, zero, SNP_CERT_ENTRY_SIZE))
			break;
	}
	size_t table_end = (n + 1) * SNP_CERT_ENTRY_SIZE;
	if (n > max)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = buf + i * SNP_CERT_ENTRY_SIZE;
		uint32_t off = le32_load(e + SNP_CERT_ENTRY_OFF_OFFSET), l = le32_load(e + SNP_CERT_ENTRY_OFF_LENGTH);
		/* go-sev-guest ParseSnpCertTableHeader: blobs lie after the table and inside the buffer. */
		if (off < table_end || (uint64_t)off + l > len)
			return -EINVAL;
		memcpy(out[i].guid, e + SNP_CERT_ENTRY_OFF_GUID, 16);
		out[i].offset = off;
		out[i].length = l;
		out[i].data = buf + off;
	}
	*count = n;
	return 0;
}

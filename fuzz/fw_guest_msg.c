/* SPDX-License-Identifier: MIT */
/*
 * Fuzz guest-message processing: byte 0 picks the mode.  Mode 0: the rest is a raw request page (zero-padded).
 * Mode 1: byte 1 is the message type, byte 2 the VMPCK, byte 3 the message version, the rest the payload, sealed
 * with the guest's real VMPCK at the expected sequence number so the payload handlers are reached.  Every call
 * must return a firmware status from the documented set, and on failure leave the response page untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/fw.h>

#include "common/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fw_platform *platform;
static struct fw_guest *guest;

static void init(void)
{
	struct fw_platform_config cfg;
	static uint8_t secrets[4096];
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	fw_platform_config_seed(&cfg, (const uint8_t *)"fuzz", 4);
	if (fw_platform_create(&cfg, &platform) || fw_guest_create(platform, 1 << 20, &guest) ||
	    fw_launch_start(guest, 0x30000, NULL) || fw_launch_update(guest, SNP_PAGE_TYPE_SECRETS, 0, secrets, NULL) ||
	    fw_launch_finish(guest, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t req[4096], resp[4096], before[4096];
	if (!guest)
		init();
	if (size < 1)
		return 0;
	memset(req, 0, sizeof(req));
	if (data[0] & 1 && size >= 4) {
		struct fw_guest_context c;
		uint8_t v = data[2] & 3, iv[12] = {0};
		size_t len = (size - 4 + 15) & ~(size_t)15;
		if (len > 4000)
			len = 4000;
		fw_guest_export(guest, &c);
		le64_store(req + 0x20, c.msg_count[v] + 1);
		req[0x30] = 1;
		req[0x31] = 1;
		req[0x32] = 0x60;
		req[0x34] = data[1];
		req[0x35] = data[3];
		le16_store(req + 0x36, (uint16_t)len);
		req[0x3C] = v;
		uint8_t pt[4000] = {0};
		memcpy(pt, data + 4, size - 4 < len ? size - 4 : len);
		le64_store(iv, c.msg_count[v] + 1);
		if (len == 0 || fw_aes256gcm_seal(c.vmpck[v], iv, req + 0x30, 48, pt, len, req + 0x60, req))
			return 0;
	} else {
		memcpy(req, data + 1, size - 1 < sizeof(req) ? size - 1 : sizeof(req));
	}
	memset(resp, 0x5A, sizeof(resp));
	memcpy(before, resp, sizeof(resp));
	uint32_t st = fw_guest_request(guest, req, resp);
	switch (st) {
	case SEV_RET_SUCCESS:
		if (resp[0x34] != (uint8_t)(req[0x34] + 1) || le64_load(resp + 0x20) != le64_load(req + 0x20) + 1)
			abort();
		break;
	case SEV_RET_INVALID_PARAM:
	case SEV_RET_BAD_MEASUREMENT:
	case SEV_RET_AEAD_OFLOW:
		if (memcmp(resp, before, sizeof(resp)))
			abort(); /* nothing written on failure */
		break;
	default:
		abort();
	}
	return 0;
}

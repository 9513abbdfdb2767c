/* SPDX-License-Identifier: MIT */
/* A launched, running guest on a seeded Genoa platform, for the firmware tests. */
#ifndef SNPEMU_TESTS_FW_FIXTURE_H
#define SNPEMU_TESTS_FW_FIXTURE_H

#include <snpemu/fw.h>

#include "guest_helper.h"

#define FIX_POLICY    0x30000ull /* SMT + reserved bit 17, as the genuine report */
#define FIX_SECRETS   0x2000u
#define FIX_GPA_LIMIT (1ull << 30)

struct fixture {
	struct fw_platform *p;
	struct fw_guest *g;
	struct th_guest t;
	uint8_t secrets[4096];
	uint8_t host_data[32];
};

/* Build `f` from a platform configuration (seeded with "fixture" unless cfg says otherwise).  Returns 0. */
int fixture_start(struct fixture *f, const struct fw_platform_config *cfg);
void fixture_stop(struct fixture *f);
/* One round trip through fw_guest_request with the helper; returns the firmware status, and on success the
 * decrypted payload (helper checks passed, else -1 is returned in *helper_rc). */
uint32_t fixture_call(struct fixture *f, unsigned v, uint8_t type, const void *req, size_t len, uint8_t *rsp,
		      size_t cap, size_t *rsp_len);

#endif

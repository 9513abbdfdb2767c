/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "fw_fixture.h"

int fixture_start(struct fixture *f, const struct fw_platform_config *cfg_in)
{
	struct fw_platform_config cfg;
	static uint8_t page[4096];
	memset(f, 0, sizeof(*f));
	if (cfg_in) {
		cfg = *cfg_in;
	} else {
		fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
		fw_platform_config_seed(&cfg, (const uint8_t *)"fixture", 7);
	}
	if (fw_platform_create(&cfg, &f->p) || fw_guest_create(f->p, FIX_GPA_LIMIT, &f->g))
		return -1;
	if (fw_launch_start(f->g, FIX_POLICY, NULL))
		return -2;
	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 13);
	if (fw_launch_update(f->g, SNP_PAGE_TYPE_NORMAL, 0x1000, page, NULL) ||
	    fw_launch_update(f->g, SNP_PAGE_TYPE_SECRETS, FIX_SECRETS, f->secrets, NULL))
		return -3;
	for (int i = 0; i < 32; i++)
		f->host_data[i] = (uint8_t)(0xA0 + i);
	struct fw_launch_finish_params fin = {.host_data = f->host_data};
	if (fw_launch_finish(f->g, &fin))
		return -4;
	th_guest_init(&f->t, f->secrets);
	return 0;
}

void fixture_stop(struct fixture *f)
{
	fw_guest_destroy(f->g);
	fw_platform_destroy(f->p);
	memset(f, 0, sizeof(*f));
}

uint32_t fixture_call(struct fixture *f, unsigned v, uint8_t type, const void *req, size_t len, uint8_t *rsp,
		      size_t cap, size_t *rsp_len)
{
	static _Thread_local uint8_t in[4096], out[4096];
	const char *why;
	if (th_encrypt(&f->t, v, type, req, len, in))
		return 0xDEAD;
	uint32_t st = fw_guest_request(f->g, in, out);
	if (st)
		return st;
	if (th_decrypt(&f->t, v, type, out, rsp, cap, rsp_len, &why))
		return 0xBAD;
	return 0;
}

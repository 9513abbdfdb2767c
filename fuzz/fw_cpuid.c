/* SPDX-License-Identifier: MIT */
/*
 * Fuzz CPUID page validation: the input (zero-padded) is the page.  A malformed page must come back unchanged; a
 * corrected page must validate cleanly the second time (the VMM's retry).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/fw.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fw_platform *platform;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t page[4096], copy[4096];
	if (!platform) {
		struct fw_platform_config cfg;
		fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
		fw_platform_config_seed(&cfg, (const uint8_t *)"fuzz", 4);
		if (fw_platform_create(&cfg, &platform))
			abort();
	}
	memset(page, 0, sizeof(page));
	memcpy(page, data, size < sizeof(page) ? size : sizeof(page));
	memcpy(copy, page, sizeof(page));
	uint32_t st = fw_cpuid_page_validate(platform, page);
	if (st == SEV_RET_SUCCESS) {
		if (memcmp(page, copy, sizeof(page)))
			abort();
	} else if (st == SEV_RET_INVALID_PARAM) {
		if (memcmp(page, copy, sizeof(page)) && fw_cpuid_page_validate(platform, page) != SEV_RET_SUCCESS)
			abort();
	} else {
		abort();
	}
	return 0;
}

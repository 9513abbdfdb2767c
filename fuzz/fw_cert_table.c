/* SPDX-License-Identifier: MIT */
/* Fuzz the certificate-table parser: every entry it returns lies inside the buffer and after the table. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <snpemu/fw.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_cert_entry e[16];
	size_t n = 99;
	int rc = fw_cert_table_parse(data, size, e, 16, &n);
	if (rc == 0) {
		for (size_t i = 0; i < n; i++) {
			if (e[i].offset < (n + 1) * 24 || (uint64_t)e[i].offset + e[i].length > size ||
			    e[i].data != data + e[i].offset)
				abort();
			(void)fw_cert_guid_kind(e[i].guid);
		}
	} else if (rc != -EINVAL && rc != -E2BIG) {
		abort();
	}
	return 0;
}

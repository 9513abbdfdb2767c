/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the KDS request target parser with untrusted bytes (what any client of `snpemu kds` sends).  The input is
 * copied to a buffer of exactly its size so that ASan catches any read past `len`.  Invariants: the status is one of
 * KDS's three; a failure says why; a parsed VCEK request has the product's hwID length and, off Turin, no FMC SPL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/kds.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct kds_request req;
	enum kds_url_status st = kds_url_parse(copy, size, &req);
	switch (st) {
	case KDS_URL_OK:
		if (req.route == KDS_ROUTE_VCEK && (req.hwid_len != (req.product == FW_PRODUCT_TURIN ? 8u : 64u) ||
						    (req.product != FW_PRODUCT_TURIN && req.tcb.fmc)))
			abort();
		if (req.route > KDS_ROUTE_VLEK_CRL || (unsigned)req.product >= FW_PRODUCT_COUNT)
			abort();
		break;
	case KDS_URL_BAD_REQUEST:
	case KDS_URL_NOT_FOUND:
		if (!req.why)
			abort();
		break;
	default:
		abort();
	}
	free(copy);
	return 0;
}

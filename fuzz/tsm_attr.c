/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the configfs-tsm attribute writes (include/snpemu/tsm.h) with untrusted bytes: what any process writes into
 * report/NAME/inblob or privlevel.  Input: one byte choosing the attribute (low 3 bits) and the privlevel floor
 * (next 2 bits), then the written bytes, copied to a buffer of exactly their size so that ASan catches a read past
 * them.  Invariants: the write check and the commit check agree on sizes; errors are the kernel's few; an accepted
 * privlevel lies in [floor, 3] and reads back as the value of its digits; an entry's generation advances exactly on
 * accepted commits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/tsm.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int no_report(void *opaque, const uint8_t *inblob, size_t len, uint32_t privlevel, struct tsm_blobs *out)
{
	(void)opaque, (void)inblob, (void)len, (void)privlevel, (void)out;
	return -ENXIO;
}

/* The generation of entry "f" as a number. */
static unsigned long generation(struct tsm_reports *r)
{
	uint8_t *buf;
	size_t len;
	if (tsm_entry_read(r, "f", TSM_ATTR_GENERATION, &buf, &len))
		abort();
	unsigned long g = strtoul((const char *)buf, NULL, 10);
	if (len < 2 || buf[len - 1] != '\n')
		abort();
	free(buf);
	return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	enum tsm_attr attr = (enum tsm_attr)(data[0] & 7);
	uint32_t floor = (data[0] >> 3) & 3;
	size_t n = size - 1;
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, n);

	int wc = tsm_attr_write_check(attr, 0, n);
	uint32_t value = 0xFFFFFFFF;
	int cc = tsm_attr_commit_check(attr, copy, n, floor, &value);
	if (attr >= TSM_ATTR_COUNT) {
		if (wc != -EACCES || cc != -EACCES)
			abort();
		free(copy);
		return 0;
	}
	if (wc && cc != wc)
		abort(); /* what cannot be written cannot be committed, with the same error */
	if (cc != 0 && cc != -EINVAL && cc != -EFBIG && cc != -ERANGE && cc != -EACCES)
		abort();
	if (!cc && attr == TSM_ATTR_PRIVLEVEL && (value < floor || value > TSM_PRIVLEVEL_MAX))
		abort();
	if (!cc && attr == TSM_ATTR_INBLOB && (n == 0 || n > TSM_INBLOB_MAX))
		abort();

	/* Through an entry: the same verdict, and the generation moves exactly on success (floor 0 there). */
	struct tsm_provider p = {.name = TSM_PROVIDER_NAME, .report_new = no_report};
	struct tsm_reports *r;
	if (tsm_reports_new(&p, &r)) {
		free(copy);
		return 0;
	}
	if (tsm_entry_create(r, "f"))
		abort();
	uint32_t v0;
	int expect = tsm_attr_commit_check(attr, copy, n, 0, &v0);
	int got = tsm_entry_write(r, "f", attr, copy, n);
	if (got != expect || generation(r) != (got == 0 ? 1ul : 0ul))
		abort();
	tsm_reports_free(r);
	free(copy);
	return 0;
}

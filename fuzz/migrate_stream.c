/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the migration stream reader: the input is a stream, fed in pieces whose sizes come from its first byte.
 * The reader must never ask its caller to buffer more than MIG_SECTION_BYTES_MAX, every section it returns must lie
 * inside the bytes given and within its id's bounds, and it must end in MIG_DONE or one of its own errors.
 */
#include <stdint.h>
#include <stdlib.h>

#include <snpemu/migrate.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] % 64 + 1, start = 0, have = 0, used, need;
	data++;
	size--;
	struct mig_reader r;
	struct mig_section sec;
	if (mig_reader_init(&r))
		return 0;
	int rc = MIG_MORE;
	while (rc >= 0) {
		if (rc == MIG_MORE || rc == MIG_DONE) {
			if (start + have == size) {
				rc = mig_reader_finish(&r);
				break;
			}
			have += size - start - have < step ? size - start - have : step;
		}
		rc = mig_reader_next(&r, data + start, have, &used, &need, &sec);
		if (used > have)
			abort();
		if (rc == MIG_SECTION) {
			const struct mig_section_info *info = mig_section_find(sec.id);
			if (!info || sec.len < info->min_len || sec.len > info->max_len || sec.payload < data + start ||
			    sec.payload + sec.len > data + start + used)
				abort();
		} else if (rc == MIG_MORE && (need <= have - used || need > MIG_SECTION_BYTES_MAX)) {
			abort();
		}
		start += used;
		have -= used;
	}
	if (rc > 0 || (rc < 0 && -rc >= MIG_ERR_COUNT))
		abort();
	mig_reader_release(&r);
	return 0;
}

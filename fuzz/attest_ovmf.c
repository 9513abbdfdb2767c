/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the OVMF footer-table / SEV-metadata parser and the launch sequence behind it with untrusted image bytes.
 * The input is copied to a buffer of exactly its size so that ASan catches any read past it.  Invariants checked:
 * a result is always one of the defined codes, and whatever parses is measurable or refused with a defined code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/attest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct attest_ovmf_info info;
	int err = attest_ovmf_parse(copy, size, &info);
	if (err > 0 || err < ATTEST_OVMF_E_SECTION_OVERLAP)
		abort();
	if (!err) {
		if (info.n_sections > ATTEST_OVMF_MAX_SECTIONS)
			abort();
		for (uint32_t i = 0; i < info.n_sections; i++)
			if (info.sections[i].gpa % ATTEST_PAGE_SIZE || !info.sections[i].size)
				abort();
		/* Measure from a seed (the image pages are not hashed) and only small section sets, to keep runs fast.
		 */
		uint64_t pages = 0;
		for (uint32_t i = 0; i < info.n_sections; i++)
			pages += info.sections[i].size / ATTEST_PAGE_SIZE;
		struct attest_kernel_hashes hashes;
		memset(&hashes, 0x11, sizeof(hashes));
		static const uint8_t seed[ATTEST_MEASURE_DIGEST_LEN];
		struct attest_measure_input in = {
		    .ovmf = copy,
		    .ovmf_len = size,
		    .ovmf_hash = seed,
		    .vcpus = 2,
		    .vmsa = {.vmm = (enum attest_vmm_type)(1 + size % 3), .vcpu_sig = 0x800F12, .guest_features = 1},
		    .kernel_hashes = size & 1 ? &hashes : NULL,
		};
		uint8_t digest[ATTEST_MEASURE_DIGEST_LEN];
		err = pages > 256 ? 0 : attest_measure_snp(&in, digest, NULL);
		if (err > 0 || (err < ATTEST_OVMF_E_SECTION_OVERLAP &&
				(err > ATTEST_MEASURE_E_IMAGE_SIZE || err < ATTEST_MEASURE_E_VMM)))
			abort();
	}
	if (attest_measure_strerror(err) == NULL)
		abort();
	free(copy);
	return 0;
}

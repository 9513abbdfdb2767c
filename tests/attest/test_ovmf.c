/* SPDX-License-Identifier: MIT */
/* OVMF footer table and SEV metadata parser: valid images, every error, and reads bounded by a guard page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/attest.h>

#include "ovmf_image.h"

#define IMG_LEN 0x4000u

static uint8_t img[IMG_LEN];
static struct t_image_layout lay;

static void build(const struct t_image_spec *s)
{
	t_image_build(img, s, &lay);
}

static int parse(size_t len, struct attest_ovmf_info *info)
{
	return attest_ovmf_parse(img, len, info);
}

static void test_valid_image(void **state)
{
	(void)state;
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	build(&s);
	struct attest_ovmf_info info;
	assert_int_equal(parse(IMG_LEN, &info), ATTEST_OVMF_OK);
	assert_true(info.has_reset_block);
	assert_int_equal(info.reset_eip, 0x80B004);
	assert_true(info.has_hashes_table);
	assert_int_equal(info.hashes_table_gpa, 0x80F400);
	assert_true(info.has_metadata);
	assert_int_equal(info.metadata_offset, 0x800);
	assert_int_equal(info.n_sections, 6);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(info.sections[i].gpa, s.sections[i].gpa);
		assert_int_equal(info.sections[i].size, s.sections[i].size);
		assert_int_equal(info.sections[i].type, s.sections[i].type);
	}
}

static void test_tail_of_image_parses(void **state)
{
	(void)state;
	/* Like sev-snp-measure's fixtures: only the last pages, everything the table declares inside them. */
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	build(&s);
	struct attest_ovmf_info info;
	assert_int_equal(attest_ovmf_parse(img + IMG_LEN - 0x1000, 0x1000, &info), ATTEST_OVMF_OK);
	assert_int_equal(info.n_sections, 6);
	assert_int_equal(info.reset_eip, 0x80B004);
}

static void test_optional_entries(void **state)
{
	(void)state;
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	s.has_metadata = 0;
	s.has_hashes = 0;
	s.has_reset = 0;
	build(&s);
	struct attest_ovmf_info info;
	assert_int_equal(parse(IMG_LEN, &info), ATTEST_OVMF_OK);
	assert_false(info.has_metadata);
	assert_false(info.has_reset_block);
	assert_false(info.has_hashes_table);
	assert_int_equal(info.n_sections, 0);

	s = t_amdsev_spec(IMG_LEN);
	s.n_sections = 0;
	build(&s);
	assert_int_equal(parse(IMG_LEN, &info), ATTEST_OVMF_OK);
	assert_true(info.has_metadata);
	assert_int_equal(info.n_sections, 0);
}

static void expect_error(size_t len, int err)
{
	struct attest_ovmf_info info;
	memset(&info, 0x5A, sizeof(info));
	assert_int_equal(parse(len, &info), err);
	/* Nothing half-parsed is left behind. */
	assert_false(info.has_reset_block);
	assert_int_equal(info.n_sections, 0);
	assert_int_equal(attest_ovmf_error_is_truncation(err), err == ATTEST_OVMF_E_TRUNCATED_FOOTER ||
								   err == ATTEST_OVMF_E_TRUNCATED_TABLE ||
								   err == ATTEST_OVMF_E_TRUNCATED_METADATA);
	assert_string_not_equal(attest_measure_strerror(err), "unknown measurement error");
}

static void test_footer_errors(void **state)
{
	(void)state;
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	build(&s);
	expect_error(0, ATTEST_OVMF_E_TRUNCATED_FOOTER);
	expect_error(49, ATTEST_OVMF_E_TRUNCATED_FOOTER);
	/* Cut the end off: the footer GUID is no longer 32 bytes before the end. */
	expect_error(IMG_LEN - 1, ATTEST_OVMF_E_NO_FOOTER);
	img[lay.footer + 2] ^= 1;
	expect_error(IMG_LEN, ATTEST_OVMF_E_NO_FOOTER);

	build(&s);
	t_put16(img + lay.footer, 17);
	expect_error(IMG_LEN, ATTEST_OVMF_E_TABLE_LENGTH);
}

static void test_table_errors(void **state)
{
	(void)state;
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	build(&s);
	size_t table_len = lay.footer - lay.table_start + 18;
	/* The last bytes only: the table begins before the start of the buffer. */
	struct attest_ovmf_info info;
	assert_int_equal(attest_ovmf_parse(img + lay.table_start + 1, IMG_LEN - lay.table_start - 1, &info),
			 ATTEST_OVMF_E_TRUNCATED_TABLE);
	assert_true(attest_ovmf_error_is_truncation(ATTEST_OVMF_E_TRUNCATED_TABLE));

	t_put16(img + lay.footer, 0xFFFF);
	expect_error(IMG_LEN, ATTEST_OVMF_E_TRUNCATED_TABLE);

	build(&s);
	t_put16(img + lay.entry_reset, 17);
	expect_error(IMG_LEN, ATTEST_OVMF_E_ENTRY_LENGTH);
	build(&s);
	/* An entry reaching past the start of the table. */
	t_put16(img + lay.entry_hashes, 8 + 18 + 1);
	expect_error(IMG_LEN, ATTEST_OVMF_E_ENTRY_LENGTH);
	build(&s);
	/* The footer length cuts the table inside an entry. */
	t_put16(img + lay.footer, (unsigned)table_len - 3);
	expect_error(IMG_LEN, ATTEST_OVMF_E_ENTRY_LENGTH);

	/* A reset-block entry with 3 data bytes (and the table shrunk to match). */
	build(&s);
	uint8_t three[3] = {1, 2, 3};
	size_t end = lay.entry_reset + 18;
	t_put_entry(img, end, T_GUID_RESET, three, 3, NULL);
	size_t new_start = end - 21;
	/* The hashes entry above it is dropped: the table now starts at the shortened reset entry. */
	t_put16(img + lay.footer, (unsigned)(lay.footer - new_start + 18));
	expect_error(IMG_LEN, ATTEST_OVMF_E_ENTRY_DATA);
}

static void test_metadata_errors(void **state)
{
	(void)state;
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	build(&s);
	size_t meta = s.metadata_pos, mentry = lay.entry_metadata - 4;

	t_put32(img + mentry, IMG_LEN + 1); /* header before the start of the image */
	expect_error(IMG_LEN, ATTEST_OVMF_E_TRUNCATED_METADATA);
	t_put32(img + mentry, 15); /* header past the end of the image */
	expect_error(IMG_LEN, ATTEST_OVMF_E_TRUNCATED_METADATA);

	build(&s);
	img[meta] = 'B';
	expect_error(IMG_LEN, ATTEST_OVMF_E_METADATA_SIGNATURE);
	build(&s);
	t_put32(img + meta + 8, 2);
	expect_error(IMG_LEN, ATTEST_OVMF_E_METADATA_VERSION);
	build(&s);
	t_put32(img + meta + 4, 15);
	expect_error(IMG_LEN, ATTEST_OVMF_E_METADATA_LENGTH);
	build(&s);
	t_put32(img + meta + 4, 16 + 12 * 6 - 1); /* one byte short of the descriptors */
	expect_error(IMG_LEN, ATTEST_OVMF_E_METADATA_LENGTH);
	build(&s);
	t_put32(img + meta + 4, 0x801); /* extends past the end of the image */
	expect_error(IMG_LEN, ATTEST_OVMF_E_TRUNCATED_METADATA);
	build(&s);
	t_put32(img + meta + 4, 0x800);
	t_put32(img + meta + 12, ATTEST_OVMF_MAX_SECTIONS + 1);
	expect_error(IMG_LEN, ATTEST_OVMF_E_TOO_MANY_SECTIONS);
	build(&s);
	t_put32(img + meta + 12, 0xFFFFFFFF); /* no overflow in 16 + 12 * count */
	expect_error(IMG_LEN, ATTEST_OVMF_E_TOO_MANY_SECTIONS);
}

/* One descriptor replaced by a bad one. */
static void expect_section_error(unsigned index, struct t_section bad, int err)
{
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	s.sections[index] = bad;
	build(&s);
	expect_error(IMG_LEN, err);
}

static void test_section_errors(void **state)
{
	(void)state;
	expect_section_error(0, (struct t_section){0x800000, 0x9000, 5}, ATTEST_OVMF_E_SECTION_TYPE);
	expect_section_error(0, (struct t_section){0x800000, 0x9000, 0}, ATTEST_OVMF_E_SECTION_TYPE);
	expect_section_error(1, (struct t_section){0x80A800, 0x1000, 1}, ATTEST_OVMF_E_SECTION_ALIGN);
	expect_section_error(1, (struct t_section){0x80A000, 0x1800, 1}, ATTEST_OVMF_E_SECTION_ALIGN);
	expect_section_error(1, (struct t_section){0x80A000, 0, 1}, ATTEST_OVMF_E_SECTION_ALIGN);
	expect_section_error(5, (struct t_section){0xFFFFF000, 0x2000, 4}, ATTEST_OVMF_E_SECTION_RANGE);
	expect_section_error(2, (struct t_section){0x80D000, 0x2000, 2}, ATTEST_OVMF_E_SECTION_SIZE);
	expect_section_error(3, (struct t_section){0x80E000, 0x2000, 3}, ATTEST_OVMF_E_SECTION_SIZE);
	/* Overlaps: a page shared with an earlier section, and one section inside another. */
	expect_section_error(1, (struct t_section){0x808000, 0x1000, 1}, ATTEST_OVMF_E_SECTION_OVERLAP);
	expect_section_error(5, (struct t_section){0x7FF000, 0x20000, 4}, ATTEST_OVMF_E_SECTION_OVERLAP);

	/* The last page below 4 GiB and adjacent sections are fine. */
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	s.sections[5] = (struct t_section){0xFFFFF000, 0x1000, 4};
	s.sections[1] = (struct t_section){0x809000, 0x4000, 1};
	build(&s);
	struct attest_ovmf_info info;
	assert_int_equal(parse(IMG_LEN, &info), ATTEST_OVMF_OK);
}

/* Every prefix and suffix of a valid image, each ending at a PROT_NONE page: an over-read faults. */
static void test_guard_page(void **state)
{
	(void)state;
	long pg = sysconf(_SC_PAGESIZE);
	size_t span = (IMG_LEN + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
	uint8_t *map = mmap(NULL, span + (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + span, (size_t)pg, PROT_NONE), 0);
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	build(&s);
	struct attest_ovmf_info info;
	unsigned ok = 0;
	for (size_t cut = 0; cut <= IMG_LEN; cut += 7) {
		/* suffix of length cut */
		uint8_t *p = map + span - cut;
		memcpy(p, img + IMG_LEN - cut, cut);
		int err = attest_ovmf_parse(p, cut, &info);
		ok += err == ATTEST_OVMF_OK;
		if (cut < 50)
			assert_int_equal(err, ATTEST_OVMF_E_TRUNCATED_FOOTER);
		/* prefix of length cut */
		memcpy(map + span - cut, img, cut);
		err = attest_ovmf_parse(map + span - cut, cut, &info);
		assert_true(err <= 0 && err >= ATTEST_OVMF_E_SECTION_OVERLAP);
	}
	/* Suffixes long enough to hold the metadata (0x800 bytes from the end) parse. */
	assert_true(ok >= (IMG_LEN - 0x800) / 7);
	munmap(map, span + (size_t)pg);
}

/* Debian's ovmf package, when installed: real edk2 builds carry the footer table (not required by the suite). */
static void test_debian_ovmf(void **state)
{
	(void)state;
	static const char *paths[] = {"/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF_CODE_4M.fd"};
	int found = 0;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		FILE *f = fopen(paths[i], "rb");
		if (!f)
			continue;
		static uint8_t buf[8 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		struct attest_ovmf_info info;
		assert_int_equal(attest_ovmf_parse(buf, n, &info), ATTEST_OVMF_OK);
		assert_true(info.has_reset_block);
		assert_int_not_equal(info.reset_eip, 0);
		for (uint32_t k = 0; k < info.n_sections; k++)
			assert_int_equal(info.sections[k].gpa % 4096, 0);
		found++;
	}
	if (!found)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_image),	     cmocka_unit_test(test_tail_of_image_parses),
	    cmocka_unit_test(test_optional_entries), cmocka_unit_test(test_footer_errors),
	    cmocka_unit_test(test_table_errors),     cmocka_unit_test(test_metadata_errors),
	    cmocka_unit_test(test_section_errors),   cmocka_unit_test(test_guard_page),
	    cmocka_unit_test(test_debian_ovmf),
	};
	return cmocka_run_group_tests_name("attest/ovmf", tests, NULL, NULL);
}

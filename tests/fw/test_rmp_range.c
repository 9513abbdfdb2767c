/* SPDX-License-Identifier: MIT */
/*
 * fw_rmp_set_private over ranges (the word-at-a-time path): every page of the range and none outside changes,
 * across word and 1 GiB chunk boundaries; conversion drops validation; VMSA/firmware pages refuse the whole range
 * with nothing changed; bad ranges are -EINVAL.  Checked page by page against fw_rmp_get.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <snpemu/fw.h>

#define GIB	(1ull << 30)
#define LIMIT	(4 * GIB)
#define PG	4096ull
#define CHUNK_G (GIB / PG) /* pages per 1 GiB chunk */

static void expect_range(struct fw_rmp *r, uint64_t gfn0, uint64_t n, enum fw_page_state st)
{
	for (uint64_t g = gfn0; g < gfn0 + n; g++)
		assert_int_equal(fw_rmp_get(r, g * PG), st);
}

static void test_partial_words_and_chunks(void **state)
{
	(void)state;
	struct fw_rmp *r;
	assert_int_equal(fw_rmp_create(LIMIT, &r), 0);
	/* 3 pages inside one word, then a range spanning a chunk boundary with ragged ends. */
	assert_int_equal(fw_rmp_set_private(r, 5 * PG, 3, true), 0);
	expect_range(r, 0, 5, FW_PAGE_SHARED);
	expect_range(r, 5, 3, FW_PAGE_PRIVATE);
	expect_range(r, 8, 40, FW_PAGE_SHARED);
	const uint64_t s = CHUNK_G - 37, n = 101;
	assert_int_equal(fw_rmp_set_private(r, s * PG, n, true), 0);
	expect_range(r, s - 40, 40, FW_PAGE_SHARED);
	expect_range(r, s, n, FW_PAGE_PRIVATE);
	expect_range(r, s + n, 40, FW_PAGE_SHARED);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_PRIVATE), 3 + n);
	/* Back to shared in the middle only. */
	assert_int_equal(fw_rmp_set_private(r, (s + 10) * PG, 50, false), 0);
	expect_range(r, s, 10, FW_PAGE_PRIVATE);
	expect_range(r, s + 10, 50, FW_PAGE_SHARED);
	expect_range(r, s + 60, n - 60, FW_PAGE_PRIVATE);
	/* Shared over never-allocated chunks is a no-op that succeeds. */
	assert_int_equal(fw_rmp_set_private(r, 2 * GIB, 2 * CHUNK_G, false), 0);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_PRIVATE), 3 + n - 50);
	/* A whole chunk and more. */
	assert_int_equal(fw_rmp_set_private(r, 2 * GIB, CHUNK_G + 64, true), 0);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_PRIVATE), 3 + n - 50 + CHUNK_G + 64);
	fw_rmp_destroy(r);
}

static void test_validation_dropped(void **state)
{
	(void)state;
	struct fw_rmp *r;
	assert_int_equal(fw_rmp_create(LIMIT, &r), 0);
	assert_int_equal(fw_rmp_set_private(r, 0x200000, 512, true), 0);
	assert_int_equal(fw_rmp_pvalidate(r, 0x200000, true, true), FW_PVALIDATE_SUCCESS);
	expect_range(r, 0x200, 512, FW_PAGE_VALIDATED);
	/* Converting again (private -> private) clears Validated, as RMPUPDATE does. */
	assert_int_equal(fw_rmp_set_private(r, 0x201000, 2, true), 0);
	expect_range(r, 0x201, 2, FW_PAGE_PRIVATE);
	expect_range(r, 0x200, 1, FW_PAGE_VALIDATED);
	expect_range(r, 0x203, 509, FW_PAGE_VALIDATED);
	fw_rmp_destroy(r);
}

static void test_special_pages_refuse(void **state)
{
	(void)state;
	struct fw_rmp *r;
	assert_int_equal(fw_rmp_create(LIMIT, &r), 0);
	assert_int_equal(fw_rmp_set(r, 0x40000, FW_PAGE_VMSA), 0);
	assert_int_equal(fw_rmp_set(r, 0x80000, FW_PAGE_FIRMWARE), 0);
	assert_int_equal(fw_rmp_set_private(r, 0x30000, 32, true), -EBUSY);
	expect_range(r, 0x30, 16, FW_PAGE_SHARED); /* nothing changed around the VMSA page at gfn 0x40 */
	expect_range(r, 0x41, 15, FW_PAGE_SHARED);
	assert_int_equal(fw_rmp_set_private(r, 0x7F000, 2, false), -EBUSY);
	assert_int_equal(fw_rmp_get(r, 0x40000), FW_PAGE_VMSA);
	assert_int_equal(fw_rmp_get(r, 0x80000), FW_PAGE_FIRMWARE);
	/* Ranges next to them are fine. */
	assert_int_equal(fw_rmp_set_private(r, 0x41000, 63, true), 0);
	expect_range(r, 0x41, 63, FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_get(r, 0x40000), FW_PAGE_VMSA);
	fw_rmp_destroy(r);
}

static void test_bad_ranges(void **state)
{
	(void)state;
	struct fw_rmp *r;
	assert_int_equal(fw_rmp_create(LIMIT, &r), 0);
	assert_int_equal(fw_rmp_set_private(r, 0x1008, 1, true), -EINVAL);
	assert_int_equal(fw_rmp_set_private(r, LIMIT - PG, 2, true), -EINVAL);
	assert_int_equal(fw_rmp_set_private(r, 0, (LIMIT / PG) + 1, true), -EINVAL);
	assert_int_equal(fw_rmp_set_private(r, PG, ~0ull, true), -EINVAL);
	assert_int_equal(fw_rmp_set_private(r, LIMIT - PG, 1, true), 0);
	assert_int_equal(fw_rmp_get(r, LIMIT - PG), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_set_private(r, 0, 0, true), 0); /* empty range */
	assert_int_equal(fw_rmp_count(r, FW_PAGE_PRIVATE), 1);
	fw_rmp_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_partial_words_and_chunks),
	    cmocka_unit_test(test_validation_dropped),
	    cmocka_unit_test(test_special_pages_refuse),
	    cmocka_unit_test(test_bad_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

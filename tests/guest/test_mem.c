/* SPDX-License-Identifier: MIT */
/* The library's own byte helpers against libc's, over every alignment and length up to 40 bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/guest.h>

static void fill(uint8_t *b, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 31u + i * 7u + 1u);
}

static void test_memcpy_memset(void **state)
{
	(void)state;
	_Alignas(8) uint8_t src[64], a[64], b[64];
	for (size_t so = 0; so < 9; so++)
		for (size_t doff = 0; doff < 9; doff++)
			for (size_t n = 0; n <= 40; n++) {
				fill(src, sizeof(src), (unsigned int)(so + n));
				memset(a, 0xEE, sizeof(a));
				memset(b, 0xEE, sizeof(b));
				gst_memcpy(a + doff, src + so, n);
				memcpy(b + doff, src + so, n);
				assert_memory_equal(a, b, sizeof(a)); /* nothing outside [doff, doff+n) touched */
				gst_memset(a + doff, 0x5C, n);
				memset(b + doff, 0x5C, n);
				assert_memory_equal(a, b, sizeof(a));
			}
}

static void test_compare_and_wipe(void **state)
{
	(void)state;
	uint8_t x[32], y[32];
	fill(x, 32, 3);
	memcpy(y, x, 32);
	assert_int_equal(gst_memcmp(x, y, 32), 0);
	assert_true(gst_memeq_ct(x, y, 32));
	for (size_t i = 0; i < 32; i++) {
		y[i] ^= 0x80;
		assert_false(gst_memeq_ct(x, y, 32));
		assert_int_equal(gst_memcmp(x, y, 32), x[i] < y[i] ? -1 : 1);
		y[i] ^= 0x80;
	}
	assert_true(gst_memeq_ct(x, y, 0));
	gst_wipe(x + 1, 30);
	assert_int_not_equal(x[0], 0);
	assert_int_not_equal(x[31], 0);
	for (size_t i = 1; i < 31; i++)
		assert_int_equal(x[i], 0);
	assert_int_equal(gst_strlen(""), 0);
	assert_int_equal(gst_strlen("ghcb"), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memcpy_memset),
	    cmocka_unit_test(test_compare_and_wipe),
	};
	return cmocka_run_group_tests_name("guest_mem", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* The shared hexadecimal decoder (src/common/hex.h): every digit class, every non-digit neighbour, and where a
 * decode stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"

static void test_every_character(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9'	  ? c - '0'
			   : c >= 'a' && c <= 'f' ? c - 'a' + 10
			   : c >= 'A' && c <= 'F' ? c - 'A' + 10
						  : -1;
		assert_int_equal(snpemu_hex_digit((char)c), want);
	}
	/* the neighbours of each range */
	assert_int_equal(snpemu_hex_digit('/'), -1);
	assert_int_equal(snpemu_hex_digit(':'), -1);
	assert_int_equal(snpemu_hex_digit('`'), -1);
	assert_int_equal(snpemu_hex_digit('g'), -1);
	assert_int_equal(snpemu_hex_digit('@'), -1);
	assert_int_equal(snpemu_hex_digit('G'), -1);
}

static void test_decode(void **state)
{
	(void)state;
	uint8_t out[8];
	memset(out, 0xEE, sizeof(out));
	assert_int_equal(snpemu_hex_decode("00ff7Fa9C3", 5, out), 0);
	const uint8_t want[] = {0x00, 0xFF, 0x7F, 0xA9, 0xC3};
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(out[5], 0xEE); /* nothing beyond nbytes */
	/* only 2 * nbytes characters are read: the rest may be anything */
	assert_int_equal(snpemu_hex_decode("12zz", 1, out), 0);
	assert_int_equal(out[0], 0x12);
	assert_int_equal(snpemu_hex_decode("", 0, out), 0);
}

static void test_decode_refuses(void **state)
{
	(void)state;
	uint8_t out[4] = {0};
	assert_int_equal(snpemu_hex_decode("12g4", 2, out), -1); /* high digit */
	assert_int_equal(out[0], 0x12);				 /* the bytes before it are decoded */
	assert_int_equal(snpemu_hex_decode("123g", 2, out), -1); /* low digit */
	assert_int_equal(snpemu_hex_decode("0x12", 2, out), -1); /* no prefix here */
	assert_int_equal(snpemu_hex_decode(" 1", 1, out), -1);
	assert_int_equal(snpemu_hex_decode("-1", 1, out), -1);
	assert_int_equal(snpemu_hex_decode("1", 1, out), -1); /* odd: the terminator is not a digit */
	/* a terminator in the high position stops before the low one is read */
	char odd[3] = {'a', 'b', '\0'};
	assert_int_equal(snpemu_hex_decode(odd, 2, out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_character), cmocka_unit_test(test_decode),
					   cmocka_unit_test(test_decode_refuses)};
	return cmocka_run_group_tests_name("abi/hex", tests, NULL, NULL);
}

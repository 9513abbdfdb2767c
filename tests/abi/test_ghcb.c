/* SPDX-License-Identifier: MIT */
/* GHCB page layout and accessors against the spec notes (ghcb-hypervisor-kvm.md §2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/ghcb.h>

/* The table of §2.1: field, offset, valid bit. */
static const struct {
	const char *name;
	unsigned int off;
	unsigned int bit;
} spec_fields[] = {
    {"cpl", 0x0CB, 25},
    {"xss", 0x140, 40},
    {"dr7", 0x160, 44},
    {"rip", 0x178, 47},
    {"rsp", 0x1D8, 59},
    {"rax", 0x1F8, 63},
    {"rcx", 0x308, 97},
    {"rdx", 0x310, 98},
    {"rbx", 0x318, 99},
    {"rbp", 0x328, 101},
    {"rsi", 0x330, 102},
    {"rdi", 0x338, 103},
    {"r15", 0x378, 111},
    {"sw_exit_code", 0x390, 114},
    {"sw_exit_info_1", 0x398, 115},
    {"sw_exit_info_2", 0x3A0, 116},
    {"sw_scratch", 0x3A8, 117},
    {"xcr0", 0x3E8, 125},
};

static const unsigned int header_offsets[] = {
    GHCB_OFF_CPL,
    GHCB_OFF_XSS,
    GHCB_OFF_DR7,
    GHCB_OFF_RIP,
    GHCB_OFF_RSP,
    GHCB_OFF_RAX,
    GHCB_OFF_RCX,
    GHCB_OFF_RDX,
    GHCB_OFF_RBX,
    GHCB_OFF_RBP,
    GHCB_OFF_RSI,
    GHCB_OFF_RDI,
    GHCB_OFF_R15,
    GHCB_OFF_SW_EXIT_CODE,
    GHCB_OFF_SW_EXIT_INFO_1,
    GHCB_OFF_SW_EXIT_INFO_2,
    GHCB_OFF_SW_SCRATCH,
    GHCB_OFF_XCR0,
};

static void test_offsets_match_spec(void **state)
{
	(void)state;
	assert_int_equal(sizeof(spec_fields) / sizeof(spec_fields[0]),
			 sizeof(header_offsets) / sizeof(header_offsets[0]));
	for (size_t i = 0; i < sizeof(spec_fields) / sizeof(spec_fields[0]); i++) {
		assert_int_equal(header_offsets[i], spec_fields[i].off);
		assert_int_equal(GHCB_BITMAP_IDX(header_offsets[i]), spec_fields[i].bit);
	}
	assert_int_equal(GHCB_OFF_VALID_BITMAP, 0x3F0);
	assert_int_equal(GHCB_SAVE_AREA_SIZE, 1032);
	assert_int_equal(GHCB_OFF_SHARED_BUFFER, 0x800);
	assert_int_equal(GHCB_OFF_SHARED_BUFFER + GHCB_SHARED_BUFFER_SIZE, 0xFF0);
	assert_int_equal(GHCB_OFF_PROTOCOL_VERSION, 0xFFA);
	assert_int_equal(GHCB_OFF_USAGE, 0xFFC);
	assert_int_equal(sizeof(struct ghcb), 4096);
}

static void test_set_marks_valid_little_endian(void **state)
{
	(void)state;
	static struct ghcb g;
	memset(&g, 0, sizeof(g));
	assert_false(ghcb_rax_is_valid(&g));
	ghcb_set_rax(&g, 0x0102030405060708ull);
	assert_true(ghcb_rax_is_valid(&g));
	assert_int_equal(g.bytes[0x1F8], 0x08);
	assert_int_equal(g.bytes[0x1FF], 0x01);
	/* bit 63 is bit 7 of bitmap byte 7 */
	assert_int_equal(g.bytes[GHCB_OFF_VALID_BITMAP + 7], 0x80);
	assert_int_equal(ghcb_get_rax(&g), 0x0102030405060708ull);

	ghcb_set_cpl(&g, 3);
	assert_true(ghcb_cpl_is_valid(&g));
	assert_int_equal(g.bytes[GHCB_OFF_VALID_BITMAP + 3], 0x02); /* bit 25 */
	ghcb_set_sw_exit_info_2(&g, 7);
	assert_true(ghcb_sw_exit_info_2_is_valid(&g));
	assert_false(ghcb_sw_exit_info_1_is_valid(&g));

	ghcb_clear_valid_bitmap(&g);
	assert_false(ghcb_rax_is_valid(&g));
	assert_false(ghcb_cpl_is_valid(&g));
	assert_int_equal(ghcb_get_rax(&g), 0x0102030405060708ull); /* values stay */
}

static void test_version_usage(void **state)
{
	(void)state;
	static struct ghcb g;
	memset(&g, 0, sizeof(g));
	ghcb_set_protocol_version(&g, 2);
	ghcb_set_usage(&g, 0xA5A5A5A5u);
	assert_int_equal(g.bytes[0xFFA], 2);
	assert_int_equal(g.bytes[0xFFB], 0);
	assert_int_equal(ghcb_get_usage(&g), 0xA5A5A5A5u);
	assert_int_equal(ghcb_get_protocol_version(&g), 2);
}

static void test_bitmap_bounds(void **state)
{
	(void)state;
	uint8_t bm[16] = {0};
	ghcb_bitmap_set(bm, 128); /* out of range: ignored */
	ghcb_bitmap_set(bm, 1000);
	for (int i = 0; i < 16; i++)
		assert_int_equal(bm[i], 0);
	assert_false(ghcb_bitmap_test(bm, 128));
	ghcb_bitmap_set(bm, 127);
	assert_int_equal(bm[15], 0x80);
	assert_true(ghcb_bitmap_test(bm, 127));
}

static void test_shared_buffer_range(void **state)
{
	(void)state;
	assert_true(ghcb_range_in_shared_buffer(0x800, 2032));
	assert_true(ghcb_range_in_shared_buffer(0x800, 0));
	assert_true(ghcb_range_in_shared_buffer(0xFEF, 1));
	assert_false(ghcb_range_in_shared_buffer(0xFEF, 2));
	assert_false(ghcb_range_in_shared_buffer(0x7FF, 1));
	assert_false(ghcb_range_in_shared_buffer(0x800, 2033));
	assert_false(ghcb_range_in_shared_buffer(0x801, UINT64_MAX));
	assert_false(ghcb_range_in_shared_buffer(UINT64_MAX, 1));
}

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(GHCB_HV_RESP_MALFORMED_INPUT, 2);
	assert_int_equal(GHCB_ERR_NOT_REGISTERED, 1);
	assert_int_equal(GHCB_ERR_INVALID_EVENT, 6);
	assert_int_equal(GHCB_EXCEPTION_GP, 0x8000030Du);
	assert_int_equal(GHCB_HV_FT_SUPPORTED, 0x3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_offsets_match_spec),	cmocka_unit_test(test_set_marks_valid_little_endian),
	    cmocka_unit_test(test_version_usage),	cmocka_unit_test(test_bitmap_bounds),
	    cmocka_unit_test(test_shared_buffer_range), cmocka_unit_test(test_constants),
	};
	return cmocka_run_group_tests_name("abi/ghcb", tests, NULL, NULL);
}

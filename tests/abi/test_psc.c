/* SPDX-License-Identifier: MIT */
/* PSC descriptor fields (ghcb-hypervisor-kvm.md §8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/psc.h>

static void test_entry_fields(void **state)
{
	(void)state;
	uint64_t e = psc_entry_make(0xFFFFFFFFFFull, SNP_PAGE_STATE_PRIVATE, RMP_PG_SIZE_2M, 0x1FF);
	assert_int_equal(psc_entry_cur_page(e), 0x1FF);
	assert_int_equal(psc_entry_gfn(e), 0xFFFFFFFFFFull);
	assert_int_equal(psc_entry_op(e), 1);
	assert_int_equal(psc_entry_pagesize(e), 1);
	assert_int_equal(psc_entry_reserved(e), 0);
	/* bit layout: cur_page [11:0], gfn [51:12], op [55:52], pagesize [56] */
	assert_int_equal(psc_entry_make(1, 2, 0, 3), (2ull << 52) | (1ull << 12) | 3);
	assert_int_equal(psc_entry_make(0, 0, 1, 0), 1ull << 56);
	assert_int_equal(psc_entry_reserved(1ull << 57), 1);
	assert_int_equal(psc_entry_reserved(~0ull), 0x7F);
	uint64_t f = psc_entry_set_cur_page(e, 5);
	assert_int_equal(psc_entry_cur_page(f), 5);
	assert_int_equal(psc_entry_gfn(f), 0xFFFFFFFFFFull);
}

static void test_descriptor(void **state)
{
	(void)state;
	uint8_t d[PSC_DESC_SIZE];
	memset(d, 0xEE, sizeof(d));
	psc_hdr_set(d, 3, 252);
	assert_int_equal(d[0], 3);
	assert_int_equal(d[2], 252);
	assert_int_equal(d[4] | d[5] | d[6] | d[7], 0);
	assert_int_equal(psc_hdr_cur_entry(d), 3);
	assert_int_equal(psc_hdr_end_entry(d), 252);
	psc_entry_store(d, 252, 0x1122334455667788ull);
	assert_int_equal(psc_entry_load(d, 252), 0x1122334455667788ull);
	assert_int_equal(d[PSC_DESC_SIZE - 1], 0x11);
	assert_int_equal(VMGEXIT_PSC_ERROR_INVALID_HDR, 0x100000001ull);
	assert_int_equal(VMGEXIT_PSC_ERROR_INVALID_ENTRY, 0x100000002ull);
	assert_int_equal(VMGEXIT_PSC_ERROR_GENERIC, 0x10000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_entry_fields), cmocka_unit_test(test_descriptor)};
	return cmocka_run_group_tests_name("abi/psc", tests, NULL, NULL);
}

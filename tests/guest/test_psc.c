/* SPDX-License-Identifier: MIT */
/*
 * PSC batching and PVALIDATE against the fake hypervisor: descriptor layout, 2 MiB entries, 253-entry batches,
 * order of PVALIDATE and PSC, resubmission on partial progress, no-progress and backwards answers, status errors,
 * the 2M -> 4K PVALIDATE fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/psc.h>
#include <snpemu/abi/svm_exit.h>

#include "fake_hv.h"

#define MB2 0x200000ull

static unsigned int psc_exits(struct fake_hv *h)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < h->nexits; i++)
		n += h->exits[i].code == SVM_VMGEXIT_PSC;
	return n;
}

static void assert_pages(struct fake_hv *h, uint64_t gpa, uint64_t n, int priv, int valid)
{
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(h->page_private[(gpa >> 12) + i], priv);
		assert_int_equal(h->page_valid[(gpa >> 12) + i], valid);
	}
}

static void test_shared_4k(void **state)
{
	struct fh_fixture *f = *state;
	assert_int_equal(gst_psc(&f->c, 0x100000, 3, SNP_PAGE_STATE_SHARED, false), GST_OK);
	assert_int_equal(f->h->nexits, 1);
	const struct fh_exit *e = &f->h->exits[0];
	assert_int_equal(e->code, SVM_VMGEXIT_PSC);
	assert_int_equal(e->scratch, FH_GHCB_GPA + GHCB_OFF_SHARED_BUFFER);
	assert_int_equal(e->info1, 0);
	assert_int_equal(e->info2, 0);
	assert_int_equal(e->psc_cur, 0);
	assert_int_equal(e->psc_end, 2);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(psc_entry_gfn(e->psc_entries[i]), 0x100 + i);
		assert_int_equal(psc_entry_op(e->psc_entries[i]), SNP_PAGE_STATE_SHARED);
		assert_int_equal(psc_entry_pagesize(e->psc_entries[i]), 0);
		assert_int_equal(psc_entry_cur_page(e->psc_entries[i]), 0);
	}
	/* shared: all three rescinds happen before the PSC request */
	assert_int_equal(f->h->npv, 3);
	assert_int_equal(f->h->pv_before_psc, 3);
	assert_false(f->h->pv[0].validate);
	assert_pages(f->h, 0x100000, 3, 0, 0);
}

static void test_private_2m(void **state)
{
	struct fh_fixture *f = *state;
	/* 4 KiB head, one 2 MiB page, 4 KiB tail */
	assert_int_equal(gst_psc(&f->c, 2 * MB2 - 0x2000, 2 + 512 + 1, SNP_PAGE_STATE_SHARED, false), GST_OK);
	fh_clear_record(f->h);
	assert_int_equal(gst_psc(&f->c, 2 * MB2 - 0x2000, 2 + 512 + 1, SNP_PAGE_STATE_PRIVATE, false), GST_OK);
	const struct fh_exit *e = &f->h->exits[0];
	assert_int_equal(e->psc_end, 3);
	assert_int_equal(psc_entry_pagesize(e->psc_entries[0]), 0);
	assert_int_equal(psc_entry_pagesize(e->psc_entries[1]), 0);
	assert_int_equal(psc_entry_pagesize(e->psc_entries[2]), 1);
	assert_int_equal(psc_entry_gfn(e->psc_entries[2]), (2 * MB2) >> 12);
	assert_int_equal(psc_entry_pagesize(e->psc_entries[3]), 0);
	/* private: validation only after the PSC */
	assert_int_equal(f->h->pv_before_psc, 0);
	assert_int_equal(f->h->npv, 4);
	assert_true(f->h->pv[2].size2m);
	assert_true(f->h->pv[2].validate);
	assert_pages(f->h, 2 * MB2 - 0x2000, 515, 1, 1);
	/* no_2m forces 4 KiB entries */
	fh_clear_record(f->h);
	assert_int_equal(gst_psc(&f->c, 2 * MB2, 512, SNP_PAGE_STATE_SHARED, true), GST_OK);
	assert_int_equal(psc_entry_pagesize(f->h->exits[0].psc_entries[0]), 0);
	assert_int_equal(f->h->exits[0].psc_end, 252);
	assert_int_equal(psc_exits(f->h), 3); /* 512 = 253 + 253 + 6 */
}

static void test_batches_of_253(void **state)
{
	struct fh_fixture *f = *state;
	assert_int_equal(gst_psc(&f->c, 0x400000, 600, SNP_PAGE_STATE_SHARED, true), GST_OK);
	assert_int_equal(psc_exits(f->h), 3);
	assert_int_equal(f->h->exits[0].psc_end, 252);
	assert_int_equal(f->h->exits[1].psc_end, 252);
	assert_int_equal(f->h->exits[2].psc_end, 600 - 506 - 1);
	assert_int_equal(psc_entry_gfn(f->h->exits[1].psc_entries[0]), (0x400000 >> 12) + 253);
	assert_pages(f->h, 0x400000, 600, 0, 0);
}

static void test_partial_progress(void **state)
{
	struct fh_fixture *f = *state;
	/* the hypervisor handles 2 entries per exit: 5 entries need 3 exits, each resubmitted from cur_entry */
	for (int i = 0; i < 3; i++)
		fh_push(f->h, (struct fh_step){.psc_limit = 2});
	assert_int_equal(gst_psc(&f->c, 0x100000, 5, SNP_PAGE_STATE_SHARED, true), GST_OK);
	assert_int_equal(psc_exits(f->h), 3);
	assert_int_equal(f->h->exits[1].psc_cur, 2);
	assert_int_equal(f->h->exits[2].psc_cur, 4);
	/* done entries are marked done in the resubmission */
	assert_int_equal(psc_entry_cur_page(f->h->exits[2].psc_entries[0]), 1);
	assert_pages(f->h, 0x100000, 5, 0, 0);
}

static void test_partial_inside_2m(void **state)
{
	struct fh_fixture *f = *state;
	/* 100 pages of a 2 MiB entry per exit: progress is in cur_page */
	for (int i = 0; i < 6; i++)
		fh_push(f->h, (struct fh_step){.psc_pages = 100});
	assert_int_equal(gst_psc(&f->c, 4 * MB2, 512, SNP_PAGE_STATE_SHARED, false), GST_OK);
	assert_int_equal(psc_exits(f->h), 6);
	assert_int_equal(psc_entry_cur_page(f->h->exits[1].psc_entries[0]), 100);
	assert_int_equal(psc_entry_cur_page(f->h->exits[5].psc_entries[0]), 500);
	assert_pages(f->h, 4 * MB2, 512, 0, 0);
}

static void no_progress(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	(void)h;
}

static void test_no_progress(void **state)
{
	struct fh_fixture *f = *state;
	/* success without touching the descriptor, forever */
	for (int i = 0; i < 20; i++)
		fh_push(f->h, (struct fh_step){
				  .no_default = true, .set_info1 = true, .set_info2 = true, .mutate = no_progress});
	assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_SHARED, true), GST_ENOPROGRESS);
	assert_int_equal(psc_exits(f->h), GST_PSC_MAX_STALLS);
	/* a few stalls followed by progress are fine */
	fh_clear_record(f->h);
	f->h->nsteps = f->h->step = 0;
	for (int i = 0; i < 3; i++)
		fh_push(f->h, (struct fh_step){.no_default = true, .set_info1 = true, .set_info2 = true});
	assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_SHARED, true), GST_OK);
	assert_int_equal(psc_exits(f->h), 4);
}

static void set_cur_backwards(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	le16_store(h->mem + FH_GHCB_GPA + GHCB_OFF_SHARED_BUFFER + PSC_OFF_CUR_ENTRY, 0);
}

static void set_end_smaller(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	le16_store(h->mem + FH_GHCB_GPA + GHCB_OFF_SHARED_BUFFER + PSC_OFF_END_ENTRY, 1);
}

static void set_reserved(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	le32_store(h->mem + FH_GHCB_GPA + GHCB_OFF_SHARED_BUFFER + PSC_OFF_RESERVED, 1);
}

static void set_cur_beyond(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	le16_store(h->mem + FH_GHCB_GPA + GHCB_OFF_SHARED_BUFFER + PSC_OFF_CUR_ENTRY, 200);
}

static void set_cur_page_too_big(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	uint8_t *d = h->mem + FH_GHCB_GPA + GHCB_OFF_SHARED_BUFFER;
	le16_store(d + PSC_OFF_CUR_ENTRY, 1);
	psc_entry_store(d, 1, psc_entry_set_cur_page(psc_entry_load(d, 1), 2)); /* 4 KiB entry: at most 1 */
}

static void test_hostile_headers(void **state)
{
	struct fh_fixture *f = *state;
	void (*bad[])(struct fake_hv *, struct ghcb *) = {set_end_smaller, set_reserved, set_cur_beyond,
							  set_cur_page_too_big};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fh_push(f->h, (struct fh_step){.mutate = bad[i]});
		assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_SHARED, true), GST_EPROTO);
	}
	/* going backwards after progress */
	fh_push(f->h, (struct fh_step){.psc_limit = 2});
	fh_push(f->h, (struct fh_step){
			  .no_default = true, .set_info1 = true, .set_info2 = true, .mutate = set_cur_backwards});
	assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_SHARED, true), GST_EPROTO);
	assert_int_equal(f->c.fault.event, SVM_VMGEXIT_PSC);
}

static void test_status_errors(void **state)
{
	struct fh_fixture *f = *state;
	static const uint64_t st[] = {VMGEXIT_PSC_ERROR_GENERIC, VMGEXIT_PSC_ERROR_INVALID_ENTRY, 1};
	for (unsigned int i = 0; i < 3; i++) {
		fh_clear_record(f->h);
		fh_push(f->h, (struct fh_step){.set_info2 = true, .info2 = st[i]});
		/* private: the PSC fails, so nothing may be validated */
		assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_PRIVATE, true), GST_ESTATUS);
		assert_int_equal(f->c.fault.info2, st[i]);
		assert_int_equal(f->h->npv, 0);
	}
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_SW_EXIT_INFO_2}});
	assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_SHARED, true), GST_EPROTO);
	fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = 2, .set_info2 = true, .info2 = 3});
	assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_SHARED, true), GST_EMALFORMED);
}

static void scribble_entries(struct fake_hv *h, struct ghcb *g)
{
	(void)g;
	uint8_t *d = h->mem + FH_GHCB_GPA + GHCB_OFF_SHARED_BUFFER;
	for (unsigned int i = 0; i < 4; i++)
		psc_entry_store(d, i, psc_entry_make(0x999, 1, 1, 0));
}

static void test_pvalidate_uses_private_list(void **state)
{
	struct fh_fixture *f = *state;
	assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_SHARED, true), GST_OK);
	fh_clear_record(f->h);
	fh_push(f->h, (struct fh_step){.mutate = scribble_entries});
	assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_PRIVATE, true), GST_OK);
	assert_int_equal(f->h->npv, 4);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(f->h->pv[i].gpa, 0x100000 + i * 0x1000ull);
}

static void test_pvalidate_fallback_and_failure(void **state)
{
	struct fh_fixture *f = *state;
	f->h->pv_2m_result = GST_PVALIDATE_FAIL_SIZEMISMATCH;
	assert_int_equal(gst_psc(&f->c, 4 * MB2, 512, SNP_PAGE_STATE_SHARED, false), GST_OK);
	assert_int_equal(f->h->npv, 1 + 512);
	assert_false(f->h->pv[1].size2m);
	assert_int_equal(f->h->pv[512].gpa, 4 * MB2 + 511 * 0x1000ull);
	assert_pages(f->h, 4 * MB2, 512, 0, 0);
	/* other 2M failures are failures */
	f->h->pv_2m_result = GST_PVALIDATE_FAIL_NOUPDATE;
	assert_int_equal(gst_psc(&f->c, 4 * MB2, 512, SNP_PAGE_STATE_PRIVATE, false), GST_EPVALIDATE);
	assert_int_equal(f->c.fault.info2, GST_PVALIDATE_FAIL_NOUPDATE);
	f->h->pv_2m_result = 0;
	/* a 4 KiB failure in the middle of a shared conversion stops before the PSC */
	fh_clear_record(f->h);
	f->h->pv_fail_gpa = 0x102000;
	assert_int_equal(gst_psc(&f->c, 0x100000, 4, SNP_PAGE_STATE_SHARED, true), GST_EPVALIDATE);
	assert_int_equal(psc_exits(f->h), 0);
	assert_int_equal(f->c.fault.info1, 0x102000);
	/* the range helper alone */
	f->h->pv_fail_gpa = 0;
	fh_clear_record(f->h);
	assert_int_equal(gst_pvalidate_range(&f->c, 2 * MB2 - 0x1000, 514, true, false), GST_OK);
	assert_int_equal(f->h->npv, 3);
	assert_true(f->h->pv[1].size2m);
	assert_int_equal(gst_pvalidate_range(&f->c, 0x1001, 1, true, false), GST_EINVAL);
}

static void test_invalid_args(void **state)
{
	struct fh_fixture *f = *state;
	assert_int_equal(gst_psc(&f->c, 0x100001, 1, SNP_PAGE_STATE_SHARED, false), GST_EINVAL);
	assert_int_equal(gst_psc(&f->c, 0x100000, 0, SNP_PAGE_STATE_SHARED, false), GST_EINVAL);
	assert_int_equal(gst_psc(&f->c, 0x100000, 1, SNP_PAGE_STATE_PSMASH, false), GST_EINVAL);
	assert_int_equal(gst_psc(&f->c, 0xFFFFFFFFFF000ull, 2, SNP_PAGE_STATE_SHARED, false),
			 GST_EINVAL); /* wraps GFN */
	assert_int_equal(gst_psc(&f->c, FH_MEM_SIZE, 1, SNP_PAGE_STATE_SHARED, false), GST_EFAULT);
	assert_int_equal(f->h->nexits, 0);
	f->c.snp = false;
	assert_int_equal(gst_psc(&f->c, 0x100000, 1, SNP_PAGE_STATE_SHARED, false), GST_ENOTSUP);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fh_fixture_setup, fh_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_shared_4k),
	    T(test_private_2m),
	    T(test_batches_of_253),
	    T(test_partial_progress),
	    T(test_partial_inside_2m),
	    T(test_no_progress),
	    T(test_hostile_headers),
	    T(test_status_errors),
	    T(test_pvalidate_uses_private_list),
	    T(test_pvalidate_fallback_and_failure),
	    T(test_invalid_args),
	};
	return cmocka_run_group_tests_name("guest_psc", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Page-state changes (SNP): the PSC NAE with descriptors in the GHCB shared buffer (GHCB spec 56421 §4.1.6,
 * ghcb-hypervisor-kvm.md §8) and the PVALIDATE step (Linux __set_pages_state / vmgexit_psc / pvalidate_pages).
 *
 * The entries of a batch are kept privately; the shared copy is rebuilt from them on every (re)submission, so a
 * hypervisor that scribbles over the shared descriptor changes nothing but its own view, and PVALIDATE always
 * works from the private list.  Progress is read back from the header (cur_entry) and from the current entry's
 * cur_page only, each once, and must move forward; the end must not move.  Order matters for safety: a page
 * becoming shared is rescinded before the hypervisor is asked, a page becoming private is validated only after.
 */
#include "internal.h"

#include <snpemu/abi/psc.h>
#include <snpemu/abi/svm_exit.h>

#define GST_2M_BYTES (GST_2M_PAGES * GST_PAGE_SIZE)

static int gst_pvalidate_one(struct gst_ctx *c, uint64_t gpa, bool size2m, bool validate)
{
	void *va = gst_map(c, gpa, size2m ? GST_2M_BYTES : GST_PAGE_SIZE);
	if (!va)
		return gst_fail(c, GST_EFAULT, 0, gpa);
	int pv = c->plat.ops->pvalidate(c->plat.ctx, gpa, va, size2m, validate);
	if (pv == GST_PVALIDATE_FAIL_SIZEMISMATCH && size2m) {
		/* The RMP holds this range as 4 KiB pages: validate them one by one (Linux pvalidate_pages). */
		for (uint64_t i = 0; i < GST_2M_PAGES; i++) {
			int rc = gst_pvalidate_one(c, gpa + i * GST_PAGE_SIZE, false, validate);
			if (rc)
				return rc;
		}
		return GST_OK;
	}
	if (pv != GST_PVALIDATE_OK) {
		gst_fail(c, GST_EPVALIDATE, 0, (uint64_t)(unsigned int)pv);
		c->fault.info1 = gpa;
		return GST_EPVALIDATE;
	}
	return GST_OK;
}

static bool gst_range_ok(uint64_t gpa, uint64_t npages)
{
	/* Page-aligned, non-empty, no wrap, and every GFN fits the 40-bit PSC field. */
	if (gpa & GST_PAGE_MASK || npages == 0 || npages > (PSC_ENTRY_GFN_MASK + 1))
		return false;
	uint64_t gfn = gpa >> 12;
	return gfn <= PSC_ENTRY_GFN_MASK && npages - 1 <= PSC_ENTRY_GFN_MASK - gfn;
}

int gst_pvalidate_range(struct gst_ctx *c, uint64_t gpa, uint64_t npages, bool validate, bool no_2m)
{
	if (!c->snp || !c->plat.ops->pvalidate)
		return gst_fail(c, GST_ENOTSUP, 0, 0);
	if (!gst_range_ok(gpa, npages))
		return gst_fail(c, GST_EINVAL, 0, gpa);
	while (npages) {
		bool big = !no_2m && !(gpa & (GST_2M_BYTES - 1)) && npages >= GST_2M_PAGES;
		int rc = gst_pvalidate_one(c, gpa, big, validate);
		if (rc)
			return rc;
		gpa += big ? GST_2M_BYTES : GST_PAGE_SIZE;
		npages -= big ? GST_2M_PAGES : 1;
	}
	return GST_OK;
}

static unsigned int gst_entry_pages(uint64_t e)
{
	return psc_entry_pagesize(e) ? (unsigned int)GST_2M_PAGES : 1u;
}

static int gst_psc_protocol_error(struct gst_ctx *c, uint64_t detail)
{
	gst_fail(c, GST_EPROTO, SVM_VMGEXIT_PSC, detail);
	c->fault.info1_valid = true;
	return GST_EPROTO;
}

/* Submit entries[0..n) until the hypervisor reports them all done. */
static int gst_psc_submit(struct gst_ctx *c, const uint64_t *entries, unsigned int n)
{
	unsigned int cur = 0, cur_page = 0, stalls = 0;
	uint8_t *d = gst_shared_buf(c);
	for (;;) {
		gst_ghcb_begin(c);
		psc_hdr_set(d, (uint16_t)cur, (uint16_t)(n - 1));
		for (unsigned int i = 0; i < n; i++) {
			unsigned int done = i < cur ? gst_entry_pages(entries[i]) : i == cur ? cur_page : 0;
			psc_entry_store(d, i, psc_entry_set_cur_page(entries[i], done));
		}
		ghcb_set_sw_scratch(c->ghcb, gst_shared_buf_gpa(c));
		uint64_t status;
		int rc = gst_nae(c, SVM_VMGEXIT_PSC, 0, 0, &status);
		if (rc)
			return rc;
		if (status) /* VMGEXIT_PSC_ERROR_* or anything else: the request failed */
			return gst_fail(c, GST_ESTATUS, SVM_VMGEXIT_PSC, status);

		/* Read the progress once each. */
		unsigned int ncur = psc_hdr_cur_entry(d), nend = psc_hdr_end_entry(d);
		uint32_t reserved = le32_load(d + PSC_OFF_RESERVED);
		if (reserved || nend != n - 1 || ncur < cur || ncur > n)
			return gst_psc_protocol_error(c, (uint64_t)ncur << 16 | nend);
		unsigned int ncp = 0;
		if (ncur < n) {
			unsigned int np = gst_entry_pages(entries[ncur]);
			ncp = psc_entry_cur_page(psc_entry_load(d, ncur));
			if (ncp > np || (ncur == cur && ncp < cur_page))
				return gst_psc_protocol_error(c, (uint64_t)ncur << 16 | ncp);
			if (ncp == np) { /* the entry is done even if the header lags behind */
				ncur++;
				ncp = 0;
			}
		}
		if (ncur == n)
			return GST_OK;
		if (ncur == cur && ncp == cur_page) {
			/* Success without progress: resubmit a few times, then give up rather than spin forever. */
			if (++stalls >= GST_PSC_MAX_STALLS)
				return gst_fail(c, GST_ENOPROGRESS, SVM_VMGEXIT_PSC, (uint64_t)ncur << 16 | ncp);
		} else {
			stalls = 0;
		}
		cur = ncur;
		cur_page = ncp;
	}
}

static int gst_pvalidate_entries(struct gst_ctx *c, const uint64_t *entries, unsigned int n, bool validate)
{
	for (unsigned int i = 0; i < n; i++) {
		int rc =
		    gst_pvalidate_one(c, psc_entry_gfn(entries[i]) << 12, psc_entry_pagesize(entries[i]), validate);
		if (rc)
			return rc;
	}
	return GST_OK;
}

int gst_psc(struct gst_ctx *c, uint64_t gpa, uint64_t npages, unsigned int op, bool no_2m)
{
	int rc = gst_need(c, SVM_VMGEXIT_PSC, 2, true);
	if (rc)
		return rc;
	if ((op != SNP_PAGE_STATE_PRIVATE && op != SNP_PAGE_STATE_SHARED) || !gst_range_ok(gpa, npages))
		return gst_fail(c, GST_EINVAL, SVM_VMGEXIT_PSC, gpa);
	if (!c->plat.ops->pvalidate)
		return gst_fail(c, GST_ENOTSUP, SVM_VMGEXIT_PSC, 0);
	uint64_t entries[VMGEXIT_PSC_MAX_ENTRY];
	while (npages) {
		unsigned int n = 0;
		while (npages && n < VMGEXIT_PSC_MAX_ENTRY) {
			bool big = !no_2m && !(gpa & (GST_2M_BYTES - 1)) && npages >= GST_2M_PAGES;
			entries[n++] = psc_entry_make(gpa >> 12, op, big ? RMP_PG_SIZE_2M : RMP_PG_SIZE_4K, 0);
			gpa += big ? GST_2M_BYTES : GST_PAGE_SIZE;
			npages -= big ? GST_2M_PAGES : 1;
		}
		if (op == SNP_PAGE_STATE_SHARED) {
			rc = gst_pvalidate_entries(c, entries, n, false);
			if (rc)
				return rc;
		}
		rc = gst_psc_submit(c, entries, n);
		if (rc)
			return rc;
		if (op == SNP_PAGE_STATE_PRIVATE) {
			rc = gst_pvalidate_entries(c, entries, n, true);
			if (rc)
				return rc;
		}
	}
	return GST_OK;
}

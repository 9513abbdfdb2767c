/* SPDX-License-Identifier: MIT */
/*
 * Context set-up, GHCB set-up and the one NAE exchange every wrapper goes through (GHCB spec 56421 §2.3, §4.1;
 * ghcb-hypervisor-kvm.md §1-§4).  The GHCB is shared with the hypervisor and may change under us at any time, so
 * the response is snapshotted: the valid bitmap is copied once and each field read once, and a field is used only
 * if its bit is in the snapshot.  SW_EXITINFO1 must be valid and 0; unlike Linux's verify_exception_info (which
 * looks at bits 31:0 only and treated every value but 1 as success in older kernels), any non-zero 64-bit value is
 * a failure here.
 */
#include "internal.h"

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/svm_exit.h>

int gst_init(struct gst_ctx *c, const struct gst_platform *plat, bool snp)
{
	if (!c || !plat || !plat->ops)
		return GST_EINVAL;
	const struct gst_platform_ops *o = plat->ops;
	if (!o->vmgexit || !o->ghcb_msr_read || !o->ghcb_msr_write || !o->gpa_to_ptr || !o->ptr_to_gpa || !o->delay_us)
		return GST_EINVAL;
	gst_memset(c, 0, sizeof(*c));
	gst_memcpy(&c->plat, plat, sizeof(c->plat));
	c->snp = snp;
	c->xcr0 = 1; /* x87 only until the caller says otherwise */
	return GST_OK;
}

int gst_ghcb_setup(struct gst_ctx *c, uint64_t ghcb_gpa, unsigned int flags)
{
	if (ghcb_gpa & GST_PAGE_MASK || flags & ~(GST_GHCB_ALREADY_SHARED | GST_GHCB_NO_REGISTER))
		return gst_fail(c, GST_EINVAL, 0, ghcb_gpa);
	int rc = gst_msr_negotiate(c);
	if (rc)
		return rc;
	if (c->version >= 2) {
		rc = gst_msr_hv_features(c, NULL);
		if (rc)
			return rc;
	}
	/* Linux terminates with GHCB_SNP_UNSUPPORTED when an SNP guest's hypervisor lacks the SNP feature. */
	if (c->snp && !(c->hv_features & GHCB_HV_FT_SNP))
		return gst_fail(c, GST_ENOTSUP, GHCB_MSR_HV_FT_REQ, c->hv_features);
	uint8_t *page = gst_map(c, ghcb_gpa, GST_PAGE_SIZE);
	if (!page)
		return gst_fail(c, GST_EFAULT, 0, ghcb_gpa);
	if (c->snp && !(flags & GST_GHCB_ALREADY_SHARED)) {
		if (!c->plat.ops->pvalidate)
			return gst_fail(c, GST_ENOTSUP, 0, ghcb_gpa);
		/* Private -> shared: rescind validation before the RMP change, so that the page can never be
		 * validated and hypervisor-owned at once (Linux __page_state_change). */
		int pv = c->plat.ops->pvalidate(c->plat.ctx, ghcb_gpa, page, false, false);
		if (pv != GST_PVALIDATE_OK)
			return gst_fail(c, GST_EPVALIDATE, 0, (uint64_t)(unsigned int)pv);
		rc = gst_msr_psc_page(c, ghcb_gpa, SNP_PAGE_STATE_SHARED);
		if (rc)
			return rc;
	}
	gst_memset(page, 0, GST_PAGE_SIZE);
	if (c->snp && !(flags & GST_GHCB_NO_REGISTER)) {
		rc = gst_msr_register_gpa(c, ghcb_gpa);
		if (rc)
			return rc;
	}
	c->ghcb = (struct ghcb *)page;
	c->ghcb_gpa = ghcb_gpa;
	return GST_OK;
}

void gst_ghcb_begin(struct gst_ctx *c)
{
	/* Clear the valid bitmap, as Linux's vc_ghcb_invalidate() does: a field is input only when its bit is set (the
	 * engine reads no other), so no stale input (or a previous answer) can pass for a fresh field.  Not the whole
	 * 1 KiB save area: that memset was most of a NAE round trip under emulation, where every guest store is dear
	 * (bench/tcg_nae); the stale values it would zero were all sent to the hypervisor before. */
	if (c->ghcb)
		gst_memset(c->ghcb->bytes + GHCB_OFF_VALID_BITMAP, 0, 16);
}

int gst_need(struct gst_ctx *c, uint64_t exit_code, uint16_t min_version, bool snp_only)
{
	if (!c->ghcb)
		return gst_fail(c, GST_EINVAL, exit_code, 0);
	if (c->version < min_version || (snp_only && !c->snp))
		return gst_fail(c, GST_ENOTSUP, exit_code, c->version);
	return GST_OK;
}

static bool gst_bit(const uint8_t bitmap[16], unsigned int off)
{
	return ghcb_bitmap_test(bitmap, GHCB_BITMAP_IDX(off));
}

/* VMGEXIT with the GHCB as it is, then the response checks; `exit_code` only names the event in c->fault. */
static int gst_exchange(struct gst_ctx *c, uint64_t exit_code, struct gst_resp *r)
{
	struct ghcb *g = c->ghcb;
	c->plat.ops->ghcb_msr_write(c->plat.ctx, c->ghcb_gpa);
	c->plat.ops->vmgexit(c->plat.ctx);

	/* Snapshot: one copy of the bitmap, one read of each exit-info field. */
	const volatile uint8_t *vb = g->bytes + GHCB_OFF_VALID_BITMAP;
	for (unsigned int i = 0; i < 16u; i++)
		r->bitmap[i] = vb[i];
	bool i1v = gst_bit(r->bitmap, GHCB_OFF_SW_EXIT_INFO_1);
	uint64_t i1 = i1v ? gst_shared_le(g->bytes + GHCB_OFF_SW_EXIT_INFO_1, 8) : 0;
	r->info2_valid = gst_bit(r->bitmap, GHCB_OFF_SW_EXIT_INFO_2);
	r->info2 = r->info2_valid ? gst_shared_le(g->bytes + GHCB_OFF_SW_EXIT_INFO_2, 8) : 0;

	int err = GST_OK;
	if (!i1v)
		err = GST_EPROTO;
	else if (i1 == GHCB_HV_RESP_ISSUE_EXCEPTION) {
		/* The event must be a valid exception (SVM EVENTINJ, type 3); anything else is not an answer. */
		bool ok =
		    r->info2_valid && (r->info2 & SVM_EVTINJ_VALID) && (r->info2 & 0x700u) == SVM_EVTINJ_TYPE_EXEPT;
		err = ok ? GST_EEXCEPTION : GST_EPROTO;
	} else if (i1 == GHCB_HV_RESP_MALFORMED_INPUT)
		err = r->info2_valid ? GST_EMALFORMED : GST_EPROTO;
	else if (i1 != GHCB_HV_RESP_NO_ACTION)
		err = GST_EHVRESP;
	if (err) {
		gst_fail(c, err, exit_code, r->info2);
		c->fault.info1 = i1;
		c->fault.info1_valid = i1v;
		c->fault.info2_valid = r->info2_valid;
	}
	return err;
}

int gst_nae_resp(struct gst_ctx *c, uint64_t exit_code, uint64_t info1, uint64_t info2_in, struct gst_resp *r)
{
	int rc = gst_need(c, exit_code, 1, false);
	if (rc)
		return rc;
	struct ghcb *g = c->ghcb;
	ghcb_set_sw_exit_code(g, exit_code);
	ghcb_set_sw_exit_info_1(g, info1);
	ghcb_set_sw_exit_info_2(g, info2_in);
	ghcb_set_protocol_version(g, c->version);
	ghcb_set_usage(g, GHCB_USAGE_DEFAULT);
	return gst_exchange(c, exit_code, r);
}

int gst_nae_raw(struct gst_ctx *c, uint64_t *info2)
{
	if (!c->ghcb)
		return gst_fail(c, GST_EINVAL, 0, 0);
	struct gst_resp r;
	int rc = gst_exchange(c, ghcb_get_sw_exit_code(c->ghcb), &r);
	if (!rc && info2)
		*info2 = r.info2;
	return rc;
}

int gst_resp_u64(struct gst_ctx *c, const struct gst_resp *r, uint64_t exit_code, unsigned int off, uint64_t *v)
{
	if (!gst_bit(r->bitmap, off)) {
		gst_fail(c, GST_EPROTO, exit_code, r->info2);
		c->fault.info1_valid = true;
		c->fault.info2_valid = r->info2_valid;
		return GST_EPROTO;
	}
	*v = gst_shared_le(c->ghcb->bytes + off, 8);
	return GST_OK;
}

int gst_nae(struct gst_ctx *c, uint64_t exit_code, uint64_t info1, uint64_t info2_in, uint64_t *info2)
{
	struct gst_resp r;
	int rc = gst_nae_resp(c, exit_code, info1, info2_in, &r);
	if (rc)
		return rc;
	if (info2) {
		if (!r.info2_valid)
			return gst_fail(c, GST_EPROTO, exit_code, 0);
		*info2 = r.info2;
	}
	return GST_OK;
}

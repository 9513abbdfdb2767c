/* SPDX-License-Identifier: MIT */
/*
 * GHCB MSR protocol (GHCB spec 56421 §2.3.1; ghcb-hypervisor-kvm.md §7).  Every answer is checked for its
 * response code, and for the fields the spec says are echoed (REG_GPA), as Linux does in
 * snp_register_ghcb_early / __page_state_change / sev_es_negotiate_protocol, and for the reserved error field of
 * a PSC answer.  A wrong code is GST_EPROTO: the hypervisor is not speaking the protocol.
 */
#include "internal.h"

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/svm_exit.h>

int gst_msr_exchange(struct gst_ctx *c, uint64_t req, unsigned int resp_code, uint64_t *resp)
{
	const struct gst_platform_ops *ops = c->plat.ops;
	ops->ghcb_msr_write(c->plat.ctx, req);
	ops->vmgexit(c->plat.ctx);
	uint64_t v = ops->ghcb_msr_read(c->plat.ctx);
	if (GHCB_MSR_INFO(v) != resp_code) {
		gst_fail(c, GST_EPROTO, GHCB_MSR_INFO(req), 0);
		c->fault.msr = v;
		return GST_EPROTO;
	}
	*resp = v;
	return GST_OK;
}

int gst_msr_sev_info(struct gst_ctx *c)
{
	uint64_t v;
	int rc = gst_msr_exchange(c, GHCB_MSR_SEV_INFO_REQ, GHCB_MSR_SEV_INFO_RESP, &v);
	if (rc)
		return rc;
	uint16_t max = ghcb_msr_sev_info_max(v), min = ghcb_msr_sev_info_min(v);
	if (min > max || max == 0) {
		gst_fail(c, GST_EPROTO, GHCB_MSR_SEV_INFO_REQ, 0);
		c->fault.msr = v;
		return GST_EPROTO;
	}
	c->hv_min = min;
	c->hv_max = max;
	c->cbit = ghcb_msr_sev_info_cbit(v);
	return GST_OK;
}

int gst_msr_negotiate(struct gst_ctx *c)
{
	int rc = gst_msr_sev_info(c);
	if (rc)
		return rc;
	/* Linux sev_es_negotiate_protocol: the highest common version; SNP needs version 2 (GHCB spec §2.2). */
	uint16_t lo = c->hv_min > GST_PROTOCOL_MIN ? c->hv_min : GST_PROTOCOL_MIN;
	uint16_t hi = c->hv_max < GST_PROTOCOL_MAX ? c->hv_max : GST_PROTOCOL_MAX;
	if (c->snp && lo < 2)
		lo = 2;
	if (lo > hi)
		return gst_fail(c, GST_ENOTSUP, GHCB_MSR_SEV_INFO_REQ, ((uint64_t)c->hv_max << 16) | c->hv_min);
	c->version = hi;
	return GST_OK;
}

int gst_msr_cpuid(struct gst_ctx *c, uint32_t fn, unsigned int reg, uint32_t *value)
{
	if (reg > GHCB_CPUID_REG_EDX || !value)
		return gst_fail(c, GST_EINVAL, GHCB_MSR_CPUID_REQ, reg);
	uint64_t v;
	int rc = gst_msr_exchange(c, ghcb_msr_cpuid_req(fn, reg), GHCB_MSR_CPUID_RESP, &v);
	if (rc)
		return rc;
	*value = ghcb_msr_cpuid_value(v);
	return GST_OK;
}

int gst_msr_cpuid_all(struct gst_ctx *c, uint32_t fn, uint32_t out[4])
{
	uint32_t tmp[4];
	for (unsigned int r = 0; r < 4; r++) {
		int rc = gst_msr_cpuid(c, fn, r, &tmp[r]);
		if (rc)
			return rc;
	}
	gst_memcpy(out, tmp, sizeof(tmp));
	return GST_OK;
}

int gst_msr_hv_features(struct gst_ctx *c, uint64_t *features)
{
	if (c->version < 2)
		return gst_fail(c, GST_ENOTSUP, GHCB_MSR_HV_FT_REQ, c->version);
	uint64_t v;
	int rc = gst_msr_exchange(c, GHCB_MSR_HV_FT_REQ, GHCB_MSR_HV_FT_RESP, &v);
	if (rc)
		return rc;
	c->hv_features = ghcb_msr_hv_ft_features(v);
	if (features)
		*features = c->hv_features;
	return GST_OK;
}

int gst_msr_pref_gpa(struct gst_ctx *c, uint64_t *gpa)
{
	if (!c->snp)
		return gst_fail(c, GST_ENOTSUP, GHCB_MSR_PREF_GPA_REQ, 0);
	uint64_t v;
	int rc = gst_msr_exchange(c, GHCB_MSR_PREF_GPA_REQ, GHCB_MSR_PREF_GPA_RESP, &v);
	if (rc)
		return rc;
	uint64_t gfn = ghcb_msr_gfn(v);
	*gpa = gfn == GHCB_MSR_PREF_GPA_NONE ? UINT64_MAX : gfn << 12;
	return GST_OK;
}

int gst_msr_register_gpa(struct gst_ctx *c, uint64_t gpa)
{
	if (!c->snp)
		return gst_fail(c, GST_ENOTSUP, GHCB_MSR_REG_GPA_REQ, 0);
	if (gpa & GST_PAGE_MASK || (gpa >> 12) > GHCB_MSR_GPA_VALUE_MASK)
		return gst_fail(c, GST_EINVAL, GHCB_MSR_REG_GPA_REQ, gpa);
	uint64_t v;
	int rc = gst_msr_exchange(c, ghcb_msr_reg_gpa_req(gpa >> 12), GHCB_MSR_REG_GPA_RESP, &v);
	if (rc)
		return rc;
	/* The hypervisor must echo the GFN (Linux snp_register_ghcb_early, GHCB_TERM_REGISTER otherwise). */
	if (ghcb_msr_gfn(v) != gpa >> 12) {
		gst_fail(c, GST_EPROTO, GHCB_MSR_REG_GPA_REQ, 0);
		c->fault.msr = v;
		return GST_EPROTO;
	}
	return GST_OK;
}

int gst_msr_psc_page(struct gst_ctx *c, uint64_t gpa, unsigned int op)
{
	if (!c->snp)
		return gst_fail(c, GST_ENOTSUP, GHCB_MSR_PSC_REQ, 0);
	if (gpa & GST_PAGE_MASK || (gpa >> 12) > GHCB_MSR_PSC_GFN_MASK ||
	    (op != SNP_PAGE_STATE_PRIVATE && op != SNP_PAGE_STATE_SHARED))
		return gst_fail(c, GST_EINVAL, GHCB_MSR_PSC_REQ, gpa);
	uint64_t v;
	int rc = gst_msr_exchange(c, ghcb_msr_psc_req(gpa >> 12, op), GHCB_MSR_PSC_RESP, &v);
	if (rc)
		return rc;
	/* Error code in [63:32]; 0 = success (Linux: GHCB_MSR_PSC_RESP_VAL(val) != 0 terminates). */
	if (ghcb_msr_psc_resp_error(v)) {
		gst_fail(c, GST_ESTATUS, GHCB_MSR_PSC_REQ, ghcb_msr_psc_resp_error(v));
		c->fault.msr = v;
		return GST_ESTATUS;
	}
	return GST_OK;
}

int gst_msr_ap_reset_hold(struct gst_ctx *c, uint64_t *woken)
{
	uint64_t v;
	int rc = gst_msr_exchange(c, GHCB_MSR_AP_RESET_HOLD_REQ, GHCB_MSR_AP_RESET_HOLD_RESP, &v);
	if (rc)
		return rc;
	*woken = ghcb_msr_ap_reset_hold_result(v);
	return GST_OK;
}

int gst_msr_terminate(struct gst_ctx *c, unsigned int set, unsigned int code)
{
	const struct gst_platform_ops *ops = c->plat.ops;
	ops->ghcb_msr_write(c->plat.ctx, ghcb_msr_term_req(set, code));
	ops->vmgexit(c->plat.ctx);
	/* A conforming hypervisor never resumes us; the caller must halt. */
	return gst_fail(c, GST_ETERM, GHCB_MSR_TERM_REQ, ghcb_msr_term_req(set, code));
}

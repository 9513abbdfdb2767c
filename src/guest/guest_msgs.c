/* SPDX-License-Identifier: MIT */
/*
 * Typed guest messages (snp-firmware-abi.md §2): attestation report (plain and extended), derived key, TSC info.
 * Payloads are built and parsed with explicit little-endian accesses; plaintext responses held on the stack are
 * wiped before returning (the derived key especially).
 */
#include "internal.h"

#include <snpemu/abi/report.h>
#include <snpemu/abi/snp_msg.h>

static int gst_report(struct gst_ctx *c, struct gst_greq *g, const struct gst_report_req *req, uint8_t *report,
		      size_t report_cap, uint64_t certs_gpa, uint32_t *cert_pages)
{
	if (!req || !report || report_cap < SNP_REPORT_SIZE || req->key_sel > SNP_KEY_SEL_VLEK)
		return gst_fail(c, GST_EINVAL, 0, 0);
	uint8_t q[SNP_REPORT_REQ_SIZE];
	gst_memset(q, 0, sizeof(q));
	gst_memcpy(q + SNP_REPORT_REQ_OFF_DATA, req->user_data, SNP_REPORT_DATA_SIZE);
	le32_store(q + SNP_REPORT_REQ_OFF_VMPL, req->vmpl);
	le32_store(q + SNP_REPORT_REQ_OFF_KEY_SEL, req->key_sel);
	uint8_t rsp[SNP_REPORT_RSP_SIZE];
	size_t len = 0;
	int rc = gst_greq_send(c, g, SNP_MSG_REPORT_REQ, q, sizeof(q), rsp, sizeof(rsp), &len, certs_gpa, cert_pages);
	if (rc)
		return rc;
	uint32_t status = len >= SNP_REPORT_RSP_OFF_REPORT ? le32_load(rsp + SNP_REPORT_RSP_OFF_STATUS) : 0;
	uint32_t size = len >= SNP_REPORT_RSP_OFF_REPORT ? le32_load(rsp + SNP_REPORT_RSP_OFF_SIZE) : 0;
	if (len < SNP_REPORT_RSP_OFF_REPORT)
		rc = gst_fail(c, GST_EPROTO, SNP_MSG_REPORT_RSP, len);
	else if (status)
		rc = gst_fail(c, GST_ESTATUS, SNP_MSG_REPORT_RSP, status);
	else if (size != SNP_REPORT_SIZE || len - SNP_REPORT_RSP_OFF_REPORT < size)
		rc = gst_fail(c, GST_EPROTO, SNP_MSG_REPORT_RSP, size);
	else
		gst_memcpy(report, rsp + SNP_REPORT_RSP_OFF_REPORT, SNP_REPORT_SIZE);
	gst_wipe(rsp, sizeof(rsp));
	return rc;
}

int gst_get_report(struct gst_ctx *c, struct gst_greq *g, const struct gst_report_req *req, uint8_t *report,
		   size_t report_cap)
{
	return gst_report(c, g, req, report, report_cap, 0, NULL);
}

int gst_get_ext_report(struct gst_ctx *c, struct gst_greq *g, const struct gst_report_req *req, uint8_t *report,
		       size_t report_cap, uint64_t certs_gpa, uint32_t *cert_pages)
{
	if (!certs_gpa || !cert_pages)
		return gst_fail(c, GST_EINVAL, 0, 0);
	return gst_report(c, g, req, report, report_cap, certs_gpa, cert_pages);
}

int gst_get_derived_key(struct gst_ctx *c, struct gst_greq *g, const struct gst_key_req *req, uint8_t key[32])
{
	if (!req || !key || req->root_key_select > 1 || req->key_sel > SNP_KEY_SEL_VLEK ||
	    req->guest_field_select & ~SNP_GFS_VALID_MASK)
		return gst_fail(c, GST_EINVAL, 0, 0);
	uint8_t q[SNP_KEY_REQ_SIZE];
	gst_memset(q, 0, sizeof(q));
	le32_store(q + SNP_KEY_REQ_OFF_FLAGS, req->root_key_select | req->key_sel << 1);
	le64_store(q + SNP_KEY_REQ_OFF_GFS, req->guest_field_select);
	le32_store(q + SNP_KEY_REQ_OFF_VMPL, req->vmpl);
	le32_store(q + SNP_KEY_REQ_OFF_GUEST_SVN, req->guest_svn);
	le64_store(q + SNP_KEY_REQ_OFF_TCB, req->tcb_version);
	uint8_t rsp[SNP_KEY_RSP_SIZE];
	size_t len = 0;
	int rc = gst_greq_send(c, g, SNP_MSG_KEY_REQ, q, sizeof(q), rsp, sizeof(rsp), &len, 0, NULL);
	if (rc)
		return rc;
	if (len != SNP_KEY_RSP_SIZE)
		rc = gst_fail(c, GST_EPROTO, SNP_MSG_KEY_RSP, len);
	else if (le32_load(rsp + SNP_KEY_RSP_OFF_STATUS))
		rc = gst_fail(c, GST_ESTATUS, SNP_MSG_KEY_RSP, le32_load(rsp + SNP_KEY_RSP_OFF_STATUS));
	else
		gst_memcpy(key, rsp + SNP_KEY_RSP_OFF_KEY, SNP_DERIVED_KEY_SIZE);
	gst_wipe(rsp, sizeof(rsp));
	return rc;
}

int gst_get_tsc_info(struct gst_ctx *c, struct gst_greq *g, struct gst_tsc_info *out)
{
	if (!out)
		return gst_fail(c, GST_EINVAL, 0, 0);
	uint8_t q[SNP_TSC_INFO_REQ_SIZE];
	gst_memset(q, 0, sizeof(q));
	uint8_t rsp[SNP_TSC_INFO_RSP_SIZE];
	size_t len = 0;
	int rc = gst_greq_send(c, g, SNP_MSG_TSC_INFO_REQ, q, sizeof(q), rsp, sizeof(rsp), &len, 0, NULL);
	if (rc)
		return rc;
	if (len != SNP_TSC_INFO_RSP_SIZE)
		return gst_fail(c, GST_EPROTO, SNP_MSG_TSC_INFO_RSP, len);
	if (le32_load(rsp + SNP_TSC_INFO_OFF_STATUS))
		return gst_fail(c, GST_ESTATUS, SNP_MSG_TSC_INFO_RSP, le32_load(rsp + SNP_TSC_INFO_OFF_STATUS));
	out->guest_tsc_scale = le64_load(rsp + SNP_TSC_INFO_OFF_SCALE);
	out->guest_tsc_offset = le64_load(rsp + SNP_TSC_INFO_OFF_OFFSET);
	out->tsc_factor = le32_load(rsp + SNP_TSC_INFO_OFF_FACTOR);
	return GST_OK;
}

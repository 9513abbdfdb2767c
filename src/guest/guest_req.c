/* SPDX-License-Identifier: MIT */
/*
 * SNP guest requests with the Linux guest's semantics (snp-firmware-abi.md §1.5, §5.3; Linux sev-guest.c
 * snp_send_guest_request / __handle_guest_request / verify_and_dec_payload, core.c snp_issue_guest_request).
 *
 * The IV is the sequence number, so a ciphertext the host has seen is either resent byte-identical (BUSY,
 * INVALID_LEN) or the key is destroyed: any other failure, and any response that does not validate, wipes the
 * VMPCK in the secrets page and refuses every later request.  The per-VMPCK counter lives in the secrets page OS
 * area (u32 msg_seqno_n at 0xA0): request = counter + 1, response = request + 1, counter += 2 once sent.
 * Messages are built and decrypted in private buffers; the shared pages only carry ciphertext, and the response is
 * copied out of its shared page once before it is looked at.
 */
#include "internal.h"

#include <snpemu/abi/psc.h>
#include <snpemu/abi/secrets.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>

#define GST_BUSY_RETRIES_DEFAULT 30u	       /* 60 s / 2 s, as Linux */
#define GST_BUSY_DELAY_DEFAULT	 2000000ull    /* SNP_REQ_RETRY_DELAY */
#define GST_BUSY_BUDGET_DEFAULT	 60000000ull   /* SNP_REQ_MAX_RETRY_DURATION */
#define GST_SEQNO_LIMIT		 0xFFFFFFFFull /* Linux: the counter is a u32 (GHCB v2 stores it in 32 bits) */

static uint8_t *gst_vmpck(struct gst_greq *g)
{
	return g->cfg.secrets + SNP_SECRETS_OFF_VMPCK(g->cfg.vmpck_id);
}

static bool gst_key_empty(const uint8_t *key)
{
	uint8_t zero[SNP_VMPCK_SIZE];
	gst_memset(zero, 0, sizeof(zero));
	return gst_memeq_ct(key, zero, sizeof(zero));
}

void gst_greq_wipe(struct gst_greq *g)
{
	gst_wipe(gst_vmpck(g), SNP_VMPCK_SIZE);
	g->disabled = true;
}

int gst_greq_init(struct gst_ctx *c, struct gst_greq *g, const struct gst_greq_config *cfg)
{
	int rc = gst_need(c, SVM_VMGEXIT_GUEST_REQUEST, 2, true);
	if (rc)
		return rc;
	if (!g || !cfg || !cfg->secrets || cfg->vmpck_id >= SNP_VMPCK_COUNT || cfg->req_gpa & GST_PAGE_MASK ||
	    cfg->resp_gpa & GST_PAGE_MASK || cfg->req_gpa == cfg->resp_gpa)
		return gst_fail(c, GST_EINVAL, SVM_VMGEXIT_GUEST_REQUEST, 0);
	gst_memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	if (!g->cfg.busy_retries)
		g->cfg.busy_retries = GST_BUSY_RETRIES_DEFAULT;
	if (!g->cfg.busy_delay_us)
		g->cfg.busy_delay_us = GST_BUSY_DELAY_DEFAULT;
	if (!g->cfg.busy_budget_us)
		g->cfg.busy_budget_us = GST_BUSY_BUDGET_DEFAULT;
	if (gst_key_empty(gst_vmpck(g))) { /* Linux: "Empty VMPCK" at probe */
		g->disabled = true;
		return gst_fail(c, GST_EKEY, SVM_VMGEXIT_GUEST_REQUEST, cfg->vmpck_id);
	}
	g->req_page = gst_map(c, cfg->req_gpa, GST_PAGE_SIZE);
	g->resp_page = gst_map(c, cfg->resp_gpa, GST_PAGE_SIZE);
	if (!g->req_page || !g->resp_page)
		return gst_fail(c, GST_EFAULT, SVM_VMGEXIT_GUEST_REQUEST, 0);
	if (!cfg->pages_shared) {
		rc = gst_psc(c, cfg->req_gpa, 1, SNP_PAGE_STATE_SHARED, true);
		if (!rc)
			rc = gst_psc(c, cfg->resp_gpa, 1, SNP_PAGE_STATE_SHARED, true);
		if (rc)
			return rc;
	}
	return GST_OK;
}

static void gst_greq_lock(struct gst_ctx *c, struct gst_greq *g)
{
	while (__atomic_exchange_n(&g->lock, 1, __ATOMIC_ACQUIRE))
		c->plat.ops->delay_us(c->plat.ctx, 0);
}

static void gst_greq_unlock(struct gst_greq *g)
{
	__atomic_store_n(&g->lock, 0, __ATOMIC_RELEASE);
}

struct gst_issue {
	uint64_t exit_code;
	uint64_t certs_gpa;
	uint32_t cert_pages;
	bool invalid_len; /* INVALID_LEN seen: resent as a plain request */
	uint32_t pages_needed;
};

/* VMGEXIT until the request is answered: BUSY resends the same bytes within the budget, INVALID_LEN on an
 * extended request turns it into a plain one.  Returns GST_OK only for SW_EXITINFO2 == 0. */
static int gst_greq_issue(struct gst_ctx *c, struct gst_greq *g, struct gst_issue *is)
{
	const struct gst_platform_ops *ops = c->plat.ops;
	uint32_t busy = 0;
	uint64_t start = ops->now_us ? ops->now_us(c->plat.ctx) : 0;
	for (;;) {
		gst_memcpy(g->req_page, g->req_priv, GST_PAGE_SIZE);
		gst_ghcb_begin(c);
		if (is->exit_code == SVM_VMGEXIT_EXT_GUEST_REQUEST) {
			ghcb_set_rax(c->ghcb, is->certs_gpa);
			ghcb_set_rbx(c->ghcb, is->cert_pages);
		}
		struct gst_resp r;
		int rc = gst_nae_resp(c, is->exit_code, g->cfg.req_gpa, g->cfg.resp_gpa, &r);
		if (rc)
			return rc;
		if (!r.info2_valid)
			return gst_fail(c, GST_EPROTO, is->exit_code, 0);
		g->last_exitinfo2 = r.info2;
		if (r.info2 == 0)
			return GST_OK;
		if (r.info2 == SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_BUSY)) {
			bool out_of_time = ops->now_us && ops->now_us(c->plat.ctx) - start + g->cfg.busy_delay_us >
							      g->cfg.busy_budget_us;
			if (busy >= g->cfg.busy_retries || out_of_time)
				return gst_fail(c, GST_EBUSY, is->exit_code, r.info2);
			busy++;
			ops->delay_us(c->plat.ctx, g->cfg.busy_delay_us);
			continue;
		}
		if (r.info2 == SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN) &&
		    is->exit_code == SVM_VMGEXIT_EXT_GUEST_REQUEST) {
			uint64_t need;
			rc = gst_resp_u64(c, &r, is->exit_code, GHCB_OFF_RBX, &need);
			if (rc)
				return rc;
			if (need <= is->cert_pages || need > UINT32_MAX) /* "too small" must mean more pages */
				return gst_fail(c, GST_EPROTO, is->exit_code, need);
			is->pages_needed = (uint32_t)need;
			is->invalid_len = true;
			is->exit_code = SVM_VMGEXIT_GUEST_REQUEST; /* same bytes, no certificates: no IV reuse */
			continue;
		}
		return gst_fail(c, GST_ESTATUS, is->exit_code, r.info2);
	}
}

/* The response checks of verify_and_dec_payload plus the header fields SVSM checks; decrypts in resp_priv. */
static bool gst_greq_verify(struct gst_greq *g, uint8_t type, uint64_t seqno, size_t cap, size_t *len)
{
	const uint8_t *h = g->resp_priv;
	size_t sz = le16_load(h + SNP_MSG_OFF_SIZE);
	if (h[SNP_MSG_OFF_ALGO] != SNP_AEAD_AES_256_GCM || h[SNP_MSG_OFF_HDR_VERSION] != SNP_MSG_HDR_VERSION ||
	    le16_load(h + SNP_MSG_OFF_HDR_SIZE) != SNP_MSG_HDR_SIZE || h[SNP_MSG_OFF_TYPE] != type + 1u ||
	    h[SNP_MSG_OFF_VERSION] != SNP_MSG_VERSION || h[SNP_MSG_OFF_VMPCK] != g->cfg.vmpck_id ||
	    le64_load(h + SNP_MSG_OFF_SEQNO) != seqno + 1 || sz > SNP_MSG_PAYLOAD_MAX || sz > cap)
		return false;
	/* As Linux: the IV is the response header's seqno, which was just checked to be request + 1. */
	if (!gst_msg_open(gst_vmpck(g), le64_load(h + SNP_MSG_OFF_SEQNO), g->resp_priv, sz))
		return false;
	*len = sz;
	return true;
}

static int gst_greq_send_locked(struct gst_ctx *c, struct gst_greq *g, uint8_t type, const void *req, size_t req_len,
				void *resp, size_t resp_cap, size_t *resp_len, uint64_t certs_gpa, uint32_t *cert_pages)
{
	uint64_t exit_code = certs_gpa ? SVM_VMGEXIT_EXT_GUEST_REQUEST : SVM_VMGEXIT_GUEST_REQUEST;
	if (g->disabled || gst_key_empty(gst_vmpck(g))) {
		g->disabled = true;
		return gst_fail(c, GST_EKEY, exit_code, g->cfg.vmpck_id);
	}
	uint8_t *seq_field = g->cfg.secrets + SNP_SECRETS_OFF_MSG_SEQNO(g->cfg.vmpck_id);
	uint64_t seqno = (uint64_t)le32_load(seq_field) + 1;
	if (seqno >= GST_SEQNO_LIMIT) /* Linux: refuse, nothing sent, nothing wiped */
		return gst_fail(c, GST_ESEQ, exit_code, seqno);

	uint8_t *p = g->req_priv;
	gst_memset(p, 0, GST_PAGE_SIZE);
	le64_store(p + SNP_MSG_OFF_SEQNO, seqno);
	p[SNP_MSG_OFF_ALGO] = SNP_AEAD_AES_256_GCM;
	p[SNP_MSG_OFF_HDR_VERSION] = SNP_MSG_HDR_VERSION;
	le16_store(p + SNP_MSG_OFF_HDR_SIZE, SNP_MSG_HDR_SIZE);
	p[SNP_MSG_OFF_TYPE] = type;
	p[SNP_MSG_OFF_VERSION] = SNP_MSG_VERSION;
	le16_store(p + SNP_MSG_OFF_SIZE, (uint16_t)req_len);
	p[SNP_MSG_OFF_VMPCK] = (uint8_t)g->cfg.vmpck_id;
	gst_memcpy(p + SNP_MSG_HDR_SIZE, req, req_len);
	gst_msg_seal(gst_vmpck(g), seqno, p, req_len);
	gst_memset(g->resp_page, 0, GST_PAGE_SIZE);

	struct gst_issue is = {
	    .exit_code = exit_code, .certs_gpa = certs_gpa, .cert_pages = certs_gpa ? *cert_pages : 0};
	int rc = gst_greq_issue(c, g, &is);
	/* The host has seen this seqno: it is consumed whatever happened (Linux snp_inc_msg_seqno). */
	le32_store(seq_field, (uint32_t)(seqno + 1));
	if (rc) {
		gst_log(c, "gst: guest request failed, wiping the VMPCK\n");
		gst_greq_wipe(g);
		return rc;
	}
	gst_memcpy(g->resp_priv, g->resp_page, GST_PAGE_SIZE);
	size_t len = 0;
	if (!gst_greq_verify(g, type, seqno, is.invalid_len ? SNP_MSG_PAYLOAD_MAX : resp_cap, &len)) {
		gst_log(c, "gst: bad guest-request response, wiping the VMPCK\n");
		gst_wipe(g->resp_priv, GST_PAGE_SIZE);
		gst_greq_wipe(g);
		return gst_fail(c, GST_EBADMSG, exit_code, g->last_exitinfo2);
	}
	if (is.invalid_len) {
		/* The plain retry went through: report the size needed, drop the response (Linux returns -EIO). */
		gst_wipe(g->resp_priv, GST_PAGE_SIZE);
		*cert_pages = is.pages_needed;
		return gst_fail(c, GST_ENOSPC, exit_code, is.pages_needed);
	}
	gst_memcpy(resp, g->resp_priv + SNP_MSG_HDR_SIZE, len);
	*resp_len = len;
	gst_wipe(g->resp_priv, GST_PAGE_SIZE);
	return GST_OK;
}

int gst_greq_send(struct gst_ctx *c, struct gst_greq *g, uint8_t type, const void *req, size_t req_len, void *resp,
		  size_t resp_cap, size_t *resp_len, uint64_t certs_gpa, uint32_t *cert_pages)
{
	uint64_t exit_code = certs_gpa ? SVM_VMGEXIT_EXT_GUEST_REQUEST : SVM_VMGEXIT_GUEST_REQUEST;
	int rc = gst_need(c, exit_code, 2, true);
	if (rc)
		return rc;
	/* Linux: req_sz + authsize must fit the payload area. */
	if (!g || type == 0 || type == 0xFF || !req || req_len == 0 ||
	    req_len + SNP_MSG_AUTHTAG_LEN > SNP_MSG_PAYLOAD_MAX || !resp || !resp_len ||
	    (certs_gpa && (!cert_pages || certs_gpa & GST_PAGE_MASK)))
		return gst_fail(c, GST_EINVAL, exit_code, 0);
	gst_greq_lock(c, g);
	rc = gst_greq_send_locked(c, g, type, req, req_len, resp, resp_cap, resp_len, certs_gpa, cert_pages);
	gst_greq_unlock(g);
	return rc;
}

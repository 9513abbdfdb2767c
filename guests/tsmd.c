/* SPDX-License-Identifier: MIT */
/*
 * tsmd: a long-running guest that serves attestation-report requests from the host over the host service channel
 * (<snpemu/abi/runtime.h>; messages <snpemu/abi/tsm.h>), for the configfs-tsm front end (`snpemu tsm`).  Each
 * request becomes a real SNP guest request through the guest library with the Linux sev-guest driver's semantics
 * (drivers/virt/coco/sev-guest/sev-guest.c): BUSY is resent within a time budget; a certificate buffer that is too
 * small is grown to the size the host asks for and the request re-issued; any other failure disables the VMPCK, so
 * every later request fails and no IV is ever reused.  Ends (status 0) when the host closes the channel.
 *
 * Arguments: [--busy-timeout-ms N] (the BUSY budget; default 60000, Linux's SNP_REQ_MAX_RETRY_DURATION).
 */
#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/tsm.h>

#include <snpemu/guest_program.h>

#define TSMD_BUSY_DELAY_US   10000ull	  /* between BUSY resends (Linux: 2 s; shorter keeps tests quick) */
#define TSMD_CERTS_OFF	     (64u * 1024) /* the certificate buffer's place in the program data area */
#define TSMD_CERT_PAGES_MAX  (SNPEMU_TSM_CERTS_MAX / 4096u)
#define TSMD_CERT_PAGES_INIT 1u /* grown on the host's INVALID_LEN answer and kept for the next requests */

/* Program state in its data area (programs keep no statics: sim runs many guests in one process). */
struct tsmd {
	struct gst_greq greq;
	uint32_t cert_pages;   /* pages of the certificate buffer handed to the next extended request */
	uint32_t shared_pages; /* pages of it made shared so far */
	uint32_t requests;     /* guest requests sent */
	uint8_t report[SNP_REPORT_SIZE];
	uint8_t req_bytes[SNPEMU_SERVICE_REQ_MAX];
};

/* The table's size as the kernel trims auxblob: the end of the blob that ends last, capped at the buffer. */
static uint32_t cert_table_len(const uint8_t *t, uint32_t cap)
{
	uint32_t end = 0;
	for (uint32_t off = 0; off + SNP_CERT_ENTRY_SIZE <= cap; off += SNP_CERT_ENTRY_SIZE) {
		uint8_t any = 0;
		for (uint32_t i = 0; i < SNP_GUID_SIZE; i++)
			any |= t[off + i];
		if (!any)
			break;
		uint64_t e = (uint64_t)le32_load(t + off + SNP_CERT_ENTRY_OFF_OFFSET) +
			     le32_load(t + off + SNP_CERT_ENTRY_OFF_LENGTH);
		if (e > end)
			end = e > cap ? cap : (uint32_t)e;
	}
	return end;
}

/* Make the first `pages` pages of the certificate buffer shared (once each). */
static int share_cert_pages(struct gst_guest *g, struct tsmd *t, uint32_t pages)
{
	if (pages <= t->shared_pages)
		return GST_OK;
	uint64_t gpa = g->boot->free_gpa + TSMD_CERTS_OFF + t->shared_pages * 4096ull;
	int rc = gst_psc(&g->c, gpa, pages - t->shared_pages, SNP_PAGE_STATE_SHARED, true);
	if (!rc)
		t->shared_pages = pages;
	return rc;
}

/* Map the outcome of a guest request to a reply result (abi/tsm.h) the way sev_report_new does. */
static uint32_t result_of(struct gst_guest *g, const struct tsmd *t, int rc, uint32_t *fw_status)
{
	if (rc == GST_OK)
		return SNPEMU_TSM_OK;
	if (rc == GST_EKEY)
		return SNPEMU_TSM_DISABLED;
	if (rc == GST_ESTATUS && !t->greq.disabled) {
		/* The firmware's own STATUS in an authenticated response: the request was refused, the key is fine. */
		*fw_status = (uint32_t)g->c.fault.info2;
		return *fw_status == SEV_RET_INVALID_PARAM || *fw_status == SEV_RET_INVALID_KEY ? SNPEMU_TSM_INVALID
												: SNPEMU_TSM_FAILED;
	}
	*fw_status = (uint32_t)t->greq.last_exitinfo2;
	return SNPEMU_TSM_FAILED;
}

/* One report request; fills the reply header, the report in t->report and the certificates in the buffer. */
static void serve_report(struct gst_guest *g, struct tsmd *t, const struct snpemu_tsm_req *req,
			 struct snpemu_tsm_reply *rep)
{
	struct gst_report_req rr = {.vmpl = req->privlevel, .key_sel = SNP_KEY_SEL_DEFAULT};
	gst_memcpy(rr.user_data, req->report_data, sizeof(rr.user_data));
	uint64_t certs_gpa = g->boot->free_gpa + TSMD_CERTS_OFF;
	int rc;
	if (t->greq.disabled) {
		/* Linux: once the VMPCK is gone every request fails without touching the host (ENOTTY there). */
		rep->guest_error = GST_EKEY;
		rep->result = SNPEMU_TSM_DISABLED;
		return;
	}
	if (req->flags & SNPEMU_TSM_REQ_CERTS) {
		for (;;) {
			uint32_t pages = t->cert_pages;
			if ((rc = share_cert_pages(g, t, pages)))
				break;
			t->requests++;
			rc = gst_get_ext_report(&g->c, &t->greq, &rr, t->report, sizeof(t->report), certs_gpa, &pages);
			if (rc != GST_ENOSPC)
				break;
			/* The plain resend consumed the sequence number; grow the buffer and ask again (a larger
			 * table than we accept fails the request but keeps the key: the host, not the guest, erred). */
			if (pages <= t->cert_pages || pages > TSMD_CERT_PAGES_MAX)
				break;
			t->cert_pages = pages;
			rep->cert_retries++;
		}
	} else {
		t->requests++;
		rc = gst_get_report(&g->c, &t->greq, &rr, t->report, sizeof(t->report));
	}
	rep->guest_error = rc;
	rep->result = result_of(g, t, rc, &rep->fw_status);
	if (rep->result != SNPEMU_TSM_OK)
		return;
	rep->report_len = SNP_REPORT_SIZE;
	if (req->flags & SNPEMU_TSM_REQ_CERTS) {
		const uint8_t *table = gst_guest_map(g, certs_gpa, t->cert_pages * 4096u);
		rep->certs_len = table ? cert_table_len(table, t->cert_pages * 4096u) : 0;
	}
}

static bool valid_request(const struct snpemu_tsm_req *req, uint32_t len)
{
	return len == sizeof(*req) && req->op == SNPEMU_TSM_OP_REPORT && req->privlevel <= SNPEMU_TSM_PRIVLEVEL_MAX &&
	       !(req->flags & ~SNPEMU_TSM_REQ_CERTS) && req->reserved == 0;
}

/* Wait for a request, serve it, reply.  Returns 1 to go on, 0 when the host closed the channel, < 0 on failure. */
static int serve_one(struct gst_guest *g, struct tsmd *t)
{
	uint32_t len = 0;
	int rc = gst_io_in(&g->c, SNPEMU_PORT_SERVICE_CTL, 4, &len);
	if (rc)
		return rc;
	if (len == 0)
		return 0;
	if (len > sizeof(t->req_bytes))
		len = sizeof(t->req_bytes);
	if ((rc = gst_io_ins(&g->c, SNPEMU_PORT_SERVICE_DATA, 1, t->req_bytes, len)))
		return rc;
	struct snpemu_tsm_req req;
	struct snpemu_tsm_reply rep = {.result = SNPEMU_TSM_INVALID};
	if (len >= sizeof(req))
		gst_memcpy(&req, t->req_bytes, sizeof(req));
	if (len >= sizeof(req) && valid_request(&req, len))
		serve_report(g, t, &req, &rep);
	rep.requests = t->requests;
	if ((rc = gst_io_outs(&g->c, SNPEMU_PORT_SERVICE_DATA, 1, &rep, sizeof(rep))))
		return rc;
	if (rep.report_len && (rc = gst_io_outs(&g->c, SNPEMU_PORT_SERVICE_DATA, 1, t->report, rep.report_len)))
		return rc;
	if (rep.certs_len) {
		const uint8_t *table = gst_guest_map(g, g->boot->free_gpa + TSMD_CERTS_OFF, rep.certs_len);
		if (!table || (rc = gst_io_outs(&g->c, SNPEMU_PORT_SERVICE_DATA, 1, table, rep.certs_len)))
			return table ? rc : GST_EFAULT;
	}
	gst_wipe(t->report, sizeof(t->report));
	if ((rc = gst_io_out(&g->c, SNPEMU_PORT_SERVICE_CTL, 4, 0)))
		return rc;
	return 1;
}

static int tsmd_main(struct gst_guest *g)
{
	uint64_t budget_ms = 60000, n;
	for (uint32_t i = 0; i < gst_argc(g); i++) {
		if (gst_arg_is(gst_arg(g, i), "--busy-timeout-ms") && gst_arg_u64(gst_arg(g, i + 1), &n) && n &&
		    n <= 3600000) {
			budget_ms = n;
			i++;
		} else {
			gst_printf(g, "tsmd: bad argument '%s' (usage: [--busy-timeout-ms 1..3600000])\n",
				   gst_arg(g, i));
			return 2;
		}
	}
	if (!g->snp) {
		gst_printf(g, "tsmd: needs an SEV-SNP VM\n");
		return 2;
	}
	struct tsmd *t = gst_guest_data(g, 0, sizeof(*t));
	if (!t || sizeof(*t) > TSMD_CERTS_OFF)
		return gst_report_fail(g, "program data area", GST_EFAULT);
	gst_memset(t, 0, sizeof(*t));
	t->cert_pages = TSMD_CERT_PAGES_INIT;
	struct gst_greq_config cfg = {
	    .secrets = g->secrets,
	    .vmpck_id = 0,
	    .req_gpa = SNPEMU_GREQ_REQ_GPA,
	    .resp_gpa = SNPEMU_GREQ_RESP_GPA,
	    .busy_delay_us = TSMD_BUSY_DELAY_US,
	    .busy_retries = (uint32_t)(budget_ms * 1000 / TSMD_BUSY_DELAY_US + 1),
	    .busy_budget_us = budget_ms * 1000,
	};
	int rc = gst_greq_init(&g->c, &t->greq, &cfg);
	if (rc)
		return gst_report_fail(g, "guest-request channel", rc);
	gst_printf(g, "tsmd: serving report requests\n");
	while ((rc = serve_one(g, t)) > 0)
		;
	if (rc < 0)
		return gst_report_fail(g, "host service channel", rc);
	gst_printf(g, "tsmd: channel closed after %u guest requests\n", t->requests);
	return 0;
}

GST_PROGRAM(tsmd, "serve configfs-tsm report requests from the host (snpemu tsm); args: [--busy-timeout-ms N]",
	    tsmd_main, NULL);

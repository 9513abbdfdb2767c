/* SPDX-License-Identifier: MIT */
/*
 * The sev_guest provider of configfs-tsm reports backed by the tsmd guest program (guests/tsmd.c) over the VMM's
 * host service channel (vmm.h): each report is a real SNP guest request made inside the guest, as Linux's
 * sev_report_new makes it (always the extended request, so auxblob holds the certificate table).  The reply's
 * result becomes the kernel's errno: firmware refusals of the parameters EINVAL, every other failure ENXIO (a
 * guest that stopped or does not answer included).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/tsm.h>
#include <snpemu/tsm.h>
#include <snpemu/vmm.h>

static int errno_of(uint32_t result)
{
	switch (result) {
	case SNPEMU_TSM_OK:
		return 0;
	case SNPEMU_TSM_INVALID:
		return -EINVAL;
	default:
		return -ENXIO;
	}
}

static int guest_report_new(void *opaque, const uint8_t *inblob, size_t len, uint32_t privlevel, struct tsm_blobs *out)
{
	const struct tsm_guest_source *gp = opaque;
	struct snpemu_tsm_req req = {.op = SNPEMU_TSM_OP_REPORT, .privlevel = privlevel, .flags = SNPEMU_TSM_REQ_CERTS};
	if (len > sizeof(req.report_data))
		return -EINVAL;
	memcpy(req.report_data, inblob, len);
	uint8_t *reply = malloc(SNPEMU_SERVICE_REPLY_MAX);
	if (!reply)
		return -ENOMEM;
	size_t n = 0;
	struct snpemu_tsm_reply hdr;
	int rc = vmm_service_call(gp->svc, &req, sizeof(req), reply, SNPEMU_SERVICE_REPLY_MAX, &n, gp->timeout_ms);
	if (!rc && n < sizeof(hdr))
		rc = -EPROTO;
	if (!rc) {
		memcpy(&hdr, reply, sizeof(hdr));
		if (!(rc = errno_of(hdr.result)) &&
		    ((uint64_t)hdr.report_len + hdr.certs_len != n - sizeof(hdr) || hdr.report_len != SNP_REPORT_SIZE))
			rc = -EPROTO;
	}
	if (!rc) {
		out->outblob = malloc(hdr.report_len);
		out->auxblob = hdr.certs_len ? malloc(hdr.certs_len) : NULL;
		if (!out->outblob || (hdr.certs_len && !out->auxblob)) {
			free(out->outblob);
			free(out->auxblob);
			rc = -ENOMEM;
		} else {
			memcpy(out->outblob, reply + sizeof(hdr), hdr.report_len);
			out->outblob_len = hdr.report_len;
			if (hdr.certs_len)
				memcpy(out->auxblob, reply + sizeof(hdr) + hdr.report_len, hdr.certs_len);
			out->auxblob_len = hdr.certs_len;
		}
	}
	free(reply);
	/* The kernel has no errno for a guest that is gone or silent: its request failed, as any other (ENXIO). */
	return rc == -EPIPE || rc == -ETIMEDOUT || rc == -EPROTO || rc == -EMSGSIZE ? -ENXIO : rc;
}

void tsm_guest_provider(struct tsm_provider *p, struct tsm_guest_source *src)
{
	/* VMPCK0: the guest is at VMPL0, so every VMPL may be asked for (privlevel_floor 0). */
	*p = (struct tsm_provider){
	    .name = TSM_PROVIDER_NAME, .privlevel_floor = 0, .report_new = guest_report_new, .opaque = src};
}

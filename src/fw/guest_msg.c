/* SPDX-License-Identifier: MIT */
/*
 * SNP_GUEST_REQUEST as the firmware processes it (snp-firmware-abi.md §1.4; ASPFW snp_mcmd_guest_request):
 * header checks, AES-256-GCM with the VMPCK the header names (IV = le64 seqno || 0^4, AAD = header 0x30..0x5F),
 * the per-VMPCK sequence counter, dispatch by message type, and the encrypted response.  Command-level failures
 * write nothing and leave the counter alone; payload-level failures are in the response's STATUS.
 */
#include <string.h>
#include <time.h>

#include <snpemu/abi/cpuid_page.h>
#include <snpemu/abi/le.h>

#include "fw/fw_internal.h"

/* Message types the firmware answers, with their request size and handler (§2). */
static const struct msg_handler {
	uint8_t type;
	uint16_t req_size;
	size_t (*handle)(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp);
} handlers[] = {
    {SNP_MSG_CPUID_REQ, SNP_CPUID_TABLE_SIZE, fw_msg_cpuid},
    {SNP_MSG_KEY_REQ, SNP_KEY_REQ_SIZE, fw_msg_key},
    {SNP_MSG_REPORT_REQ, SNP_REPORT_REQ_SIZE, fw_msg_report},
    {SNP_MSG_TSC_INFO_REQ, SNP_TSC_INFO_REQ_SIZE, fw_msg_tsc_info},
};

static void gcm_iv(uint8_t iv[SNP_MSG_IV_LEN], uint64_t seqno)
{
	memset(iv, 0, SNP_MSG_IV_LEN);
	le64_store(iv, seqno);
}

/* Header checks of §1.4 step 2. */
static bool header_ok(const uint8_t *req)
{
	uint16_t size = le16_load(req + SNP_MSG_OFF_SIZE);
	return req[SNP_MSG_OFF_ALGO] == SNP_AEAD_AES_256_GCM && req[SNP_MSG_OFF_HDR_VERSION] == SNP_MSG_HDR_VERSION &&
	       le16_load(req + SNP_MSG_OFF_HDR_SIZE) == SNP_MSG_HDR_SIZE && size != 0 && size % 16 == 0 &&
	       size <= SNP_MSG_PAYLOAD_MAX && req[SNP_MSG_OFF_VMPCK] < SNP_VMPCK_COUNT;
}

static uint32_t process(struct fw_guest *g, const uint8_t *req, uint8_t *resp)
{
	uint8_t pt[SNP_MSG_PAYLOAD_MAX], rsp_pt[SNP_MSG_PAYLOAD_MAX], out[SNP_MSG_PAGE_SIZE], iv[SNP_MSG_IV_LEN];
	uint32_t st = SEV_RET_SUCCESS;

	if (g->ctx.state != FW_GUEST_RUNNING)
		return SEV_RET_INVALID_GUEST_STATE;
	if (!header_ok(req))
		return SEV_RET_INVALID_PARAM;
	uint8_t vmpck = req[SNP_MSG_OFF_VMPCK], type = req[SNP_MSG_OFF_TYPE];
	uint16_t size = le16_load(req + SNP_MSG_OFF_SIZE);
	uint64_t seqno = le64_load(req + SNP_MSG_OFF_SEQNO);

	gcm_iv(iv, seqno);
	if (fw_aes256gcm_open(g->ctx.vmpck[vmpck], iv, req + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN, req + SNP_MSG_HDR_SIZE,
			      size, pt, req + SNP_MSG_OFF_AUTHTAG))
		return SEV_RET_BAD_MEASUREMENT; /* tag mismatch (ASPFW aes256gcm_authenticated_decrypt) */
	uint64_t count = g->ctx.msg_count[vmpck];
	if (count == UINT64_MAX - 1 || seqno != count + 1) {
		st = SEV_RET_AEAD_OFLOW;
		goto out;
	}
	const struct msg_handler *h = NULL;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].type == type)
			h = &handlers[i];
	if (!h || req[SNP_MSG_OFF_VERSION] == 0 || req[SNP_MSG_OFF_VERSION] > SNP_MSG_VERSION || size < h->req_size) {
		st = SEV_RET_INVALID_PARAM;
		goto out;
	}
	memset(rsp_pt, 0, sizeof(rsp_pt));
	size_t rsp_len = h->handle(g, vmpck, pt, size, rsp_pt);

	/* Response header (§1.4 step 7), then encrypt with the response's own seqno and AAD. */
	memset(out, 0, sizeof(out));
	le64_store(out + SNP_MSG_OFF_SEQNO, seqno + 1);
	out[SNP_MSG_OFF_ALGO] = SNP_AEAD_AES_256_GCM;
	out[SNP_MSG_OFF_HDR_VERSION] = SNP_MSG_HDR_VERSION;
	le16_store(out + SNP_MSG_OFF_HDR_SIZE, SNP_MSG_HDR_SIZE);
	out[SNP_MSG_OFF_TYPE] = g->inject.resp_type ? (uint8_t)g->inject.resp_type : (uint8_t)(type + 1);
	out[SNP_MSG_OFF_VERSION] = SNP_MSG_VERSION;
	le16_store(out + SNP_MSG_OFF_SIZE, (uint16_t)rsp_len);
	out[SNP_MSG_OFF_VMPCK] = vmpck;
	gcm_iv(iv, seqno + 1);
	if (fw_aes256gcm_seal(g->ctx.vmpck[vmpck], iv, out + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN, rsp_pt, rsp_len,
			      out + SNP_MSG_HDR_SIZE, out + SNP_MSG_OFF_AUTHTAG)) {
		st = SEV_RET_HWSEV_RET_PLATFORM;
		goto out;
	}
	g->ctx.msg_count[vmpck] = count + 2; /* the request and the response */
	memcpy(resp, out, sizeof(out));
out:
	memset(pt, 0, sizeof(pt));
	memset(rsp_pt, 0, sizeof(rsp_pt));
	return st;
}

uint32_t fw_guest_request(struct fw_guest *g, const uint8_t req[SNP_MSG_PAGE_SIZE], uint8_t resp[SNP_MSG_PAGE_SIZE])
{
	uint32_t st;
	atomic_fetch_add(&g->received, 1);
	pthread_mutex_lock(&g->lock);
	if (g->inject.delay_us) {
		struct timespec ts = {g->inject.delay_us / 1000000u, (long)(g->inject.delay_us % 1000000u) * 1000};
		nanosleep(&ts, NULL);
	}
	if (g->inject.status && (g->inject.count == 0 || g->inject_done < g->inject.count)) {
		g->inject_done++;
		st = g->inject.status;
	} else {
		st = process(g, req, resp);
	}
	pthread_mutex_unlock(&g->lock);
	atomic_fetch_add(st == SEV_RET_SUCCESS ? &g->processed : &g->rejected, 1);
	return st;
}

void fw_guest_inject(struct fw_guest *g, const struct fw_inject *inj)
{
	pthread_mutex_lock(&g->lock);
	g->inject = *inj;
	g->inject_done = 0;
	pthread_mutex_unlock(&g->lock);
}

void fw_guest_stats(struct fw_guest *g, struct fw_guest_stats *out)
{
	out->received = atomic_load(&g->received);
	out->processed = atomic_load(&g->processed);
	out->rejected = atomic_load(&g->rejected);
}

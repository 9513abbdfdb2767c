/* SPDX-License-Identifier: MIT */
/*
 * A hostile hypervisor for the guest library.  The fuzz input holds two byte streams (byte 0 says where the first
 * ends): the library calls to make (an op byte and its arguments), and, for every VMGEXIT, how the "hypervisor"
 * answers: correctly, correctly minus a valid bit, with random SW_EXITINFO1/2, with a random save area, with random
 * PSC progress, with a tampered or replayed guest-message response, or not at all.  Invariants (abort() on violation):
 *   - an NAE call that reports GST_OK saw SW_EXITINFO1 valid and 0 and the valid bits of every output it returns;
 *   - an MSR-protocol call that reports GST_OK saw the right response code (and the REG_GPA echo, PSC error 0);
 *   - a guest request that reports GST_OK got a response that an independent AES-GCM (OpenSSL) decrypts under the
 *     VMPCK with IV = request seqno + 1, with the right header, and the payload returned is that plaintext;
 *   - a sequence number is never sent with two different ciphertexts, and the counter in the secrets page moves
 *     by exactly 2 per request that reached the hypervisor;
 *   - once the VMPCK is wiped, no request reaches the hypervisor again; termination calls never return GST_OK.
 * Memory errors are ASan/UBSan's to find.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/secrets.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/guest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_SIZE  (4u << 20)
#define GHCB_GPA  0x1000u
#define SECRETS	  0x2000u
#define REQ_GPA	  0x3000u
#define RESP_GPA  0x4000u
#define CERTS_GPA 0x5000u
#define CHECK(x)  ((x) ? (void)0 : abort())

struct hv {
	uint8_t *mem;
	const uint8_t *in; /* the hypervisor's stream */
	size_t len, pos;
	const uint8_t *ops; /* the guest's stream: calls and arguments */
	size_t ops_len, ops_pos;
	uint64_t msr;
	uint64_t clock;
	uint8_t vmpck[32];
	/* what the last exit looked like after the hypervisor answered */
	bool last_nae;
	uint64_t last_msr_req, last_msr_resp;
	uint8_t last_bitmap[16];
	uint64_t last_info1, last_info2, last_code;
	/* guest requests */
	unsigned int greq_exits;
	bool seen_any;
	uint64_t max_seqno;
	uint8_t max_seqno_page[4096];
	uint8_t last_resp[4096];
	uint64_t last_req_seqno;
	uint8_t last_req_type;
};

static uint8_t get8(struct hv *h)
{
	return h->pos < h->len ? h->in[h->pos++] : 0;
}

static uint64_t get64(struct hv *h)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)get8(h) << (8 * i);
	return v;
}

static uint8_t arg8(struct hv *h)
{
	return h->ops_pos < h->ops_len ? h->ops[h->ops_pos++] : 0;
}

static uint64_t arg64(struct hv *h)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)arg8(h) << (8 * i);
	return v;
}

static bool gcm(const uint8_t *key, uint64_t seqno, uint8_t *page, size_t len, bool enc)
{
	uint8_t iv[12] = {0}, fin[16];
	for (int i = 0; i < 8; i++)
		iv[i] = (uint8_t)(seqno >> (8 * i));
	static EVP_CIPHER *aes_gcm; /* fetched once: the implicit fetch costs more than the cipher */
	if (!aes_gcm)
		aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	CHECK(x != NULL && aes_gcm != NULL);
	int outl = 0, ok = 1;
	if (enc) {
		ok &= EVP_EncryptInit_ex(x, aes_gcm, NULL, key, iv);
		ok &= EVP_EncryptUpdate(x, NULL, &outl, page + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN);
		ok &= EVP_EncryptUpdate(x, page + SNP_MSG_HDR_SIZE, &outl, page + SNP_MSG_HDR_SIZE, (int)len);
		ok &= EVP_EncryptFinal_ex(x, fin, &outl);
		ok &= EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, page);
	} else {
		ok &= EVP_DecryptInit_ex(x, aes_gcm, NULL, key, iv);
		ok &= EVP_DecryptUpdate(x, NULL, &outl, page + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN);
		ok &= EVP_DecryptUpdate(x, page + SNP_MSG_HDR_SIZE, &outl, page + SNP_MSG_HDR_SIZE, (int)len);
		ok &= EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, page);
		ok = ok == 1 && EVP_DecryptFinal_ex(x, fin, &outl) == 1;
	}
	EVP_CIPHER_CTX_free(x);
	return ok == 1;
}

/* ---- platform ---- */

static uint64_t p_msr_read(void *ctx)
{
	return ((struct hv *)ctx)->msr;
}

static void p_msr_write(void *ctx, uint64_t v)
{
	((struct hv *)ctx)->msr = v;
}

static int p_pvalidate(void *ctx, uint64_t gpa, void *va, bool size2m, bool validate)
{
	struct hv *h = ctx;
	CHECK(va == h->mem + gpa);
	CHECK(gpa + (size2m ? 0x200000u : 0x1000u) <= MEM_SIZE);
	uint8_t b = get8(h);
	static const int rcs[] = {GST_PVALIDATE_FAIL_INPUT, GST_PVALIDATE_FAIL_SIZEMISMATCH,
				  GST_PVALIDATE_FAIL_NOUPDATE, 7};
	return b < 0xF0 ? GST_PVALIDATE_OK : rcs[b & 3];
}

static void *p_gpa_to_ptr(void *ctx, uint64_t gpa, size_t len)
{
	struct hv *h = ctx;
	return gpa < MEM_SIZE && len <= MEM_SIZE - gpa ? h->mem + gpa : NULL;
}

static bool p_ptr_to_gpa(void *ctx, const void *p, uint64_t *gpa)
{
	struct hv *h = ctx;
	const uint8_t *b = p;
	if (b < h->mem || b >= h->mem + MEM_SIZE)
		return false;
	*gpa = (uint64_t)(b - h->mem);
	return true;
}

static void p_delay(void *ctx, uint64_t us)
{
	((struct hv *)ctx)->clock += us;
}

static uint64_t p_now(void *ctx)
{
	return ((struct hv *)ctx)->clock;
}

/* ---- the hostile answers ---- */

static void msr_answer(struct hv *h)
{
	uint64_t v = h->msr;
	uint8_t mode = get8(h);
	uint64_t good;
	switch (GHCB_MSR_INFO(v)) {
	case GHCB_MSR_SEV_INFO_REQ:
		good = ghcb_msr_sev_info(2, 1, 51);
		break;
	case GHCB_MSR_CPUID_REQ:
		good = ghcb_msr_cpuid_resp(v, 0x1234);
		break;
	case GHCB_MSR_HV_FT_REQ:
		good = ghcb_msr_hv_ft_resp(GHCB_HV_FT_SUPPORTED);
		break;
	case GHCB_MSR_PREF_GPA_REQ:
		good = ghcb_msr_pref_gpa_resp(GHCB_MSR_PREF_GPA_NONE);
		break;
	case GHCB_MSR_REG_GPA_REQ:
		good = ghcb_msr_reg_gpa_resp(ghcb_msr_gfn(v));
		break;
	case GHCB_MSR_PSC_REQ:
		good = ghcb_msr_psc_resp(0);
		break;
	case GHCB_MSR_AP_RESET_HOLD_REQ:
		good = ghcb_msr_ap_reset_hold_resp(1);
		break;
	default:
		good = v;
		break;
	}
	switch (mode & 3) {
	case 0:
		h->msr = good;
		break;
	case 1: /* right code, random data */
		h->msr = (get64(h) & ~GHCB_MSR_INFO_MASK) | (good & GHCB_MSR_INFO_MASK);
		break;
	case 2:
		h->msr = get64(h);
		break;
	default: /* untouched */
		break;
	}
	h->last_nae = false;
	h->last_msr_req = v;
	h->last_msr_resp = h->msr;
}

static void psc_answer(struct hv *h, uint8_t *d, uint8_t mode)
{
	unsigned int end = psc_hdr_end_entry(d);
	if (mode & 0x10) { /* random progress */
		le16_store(d + PSC_OFF_CUR_ENTRY, (uint16_t)get64(h));
		if (mode & 0x20)
			le16_store(d + PSC_OFF_END_ENTRY, (uint16_t)get64(h));
		if (mode & 0x40)
			le32_store(d + PSC_OFF_RESERVED, (uint32_t)get64(h));
		unsigned int i = get8(h) % VMGEXIT_PSC_MAX_ENTRY;
		psc_entry_store(d, i, psc_entry_set_cur_page(psc_entry_load(d, i), (unsigned int)get64(h)));
	} else if (end < VMGEXIT_PSC_MAX_ENTRY) {
		unsigned int stop = (mode & 0x20) ? psc_hdr_cur_entry(d) + get8(h) % 4 : end + 1;
		unsigned int cur = psc_hdr_cur_entry(d);
		for (; cur < stop && cur <= end; cur++) {
			uint64_t e = psc_entry_load(d, cur);
			psc_entry_store(d, cur, psc_entry_set_cur_page(e, psc_entry_pagesize(e) ? 512 : 1));
		}
		le16_store(d + PSC_OFF_CUR_ENTRY, (uint16_t)cur);
	}
}

/* Every guest request the library sends, whatever the answer will be. */
static void greq_record(struct hv *h, uint64_t req_gpa, uint64_t resp_gpa)
{
	CHECK(req_gpa == REQ_GPA && resp_gpa == RESP_GPA);
	const uint8_t *req = h->mem + req_gpa;
	uint64_t seqno = le64_load(req + SNP_MSG_OFF_SEQNO);
	/* IV reuse: a seqno is only ever resent byte-identical, and never goes back. */
	if (h->seen_any && seqno == h->max_seqno)
		CHECK(memcmp(req, h->max_seqno_page, 4096) == 0);
	CHECK(!h->seen_any || seqno >= h->max_seqno);
	h->seen_any = true;
	h->max_seqno = seqno;
	memcpy(h->max_seqno_page, req, 4096);
	h->greq_exits++;
	h->last_req_seqno = seqno;
	h->last_req_type = req[SNP_MSG_OFF_TYPE];
}

static void greq_answer(struct hv *h, struct ghcb *g, uint64_t req_gpa, uint64_t resp_gpa, uint8_t mode)
{
	CHECK(req_gpa == REQ_GPA && resp_gpa == RESP_GPA);
	uint8_t *req = h->mem + req_gpa, *resp = h->mem + resp_gpa;
	uint64_t seqno = le64_load(req + SNP_MSG_OFF_SEQNO);

	/* a firmware that answers correctly */
	uint8_t page[4096];
	memcpy(page, req, sizeof(page));
	size_t sz = le16_load(page + SNP_MSG_OFF_SIZE);
	CHECK(sz <= SNP_MSG_PAYLOAD_MAX);
	CHECK(gcm(h->vmpck, seqno, page, sz, false)); /* the library's request decrypts independently */
	uint8_t out[4096] = {0};
	size_t osz = page[SNP_MSG_OFF_TYPE] == SNP_MSG_REPORT_REQ ? SNP_REPORT_RSP_SIZE
		     : page[SNP_MSG_OFF_TYPE] == SNP_MSG_KEY_REQ  ? SNP_KEY_RSP_SIZE
								  : SNP_TSC_INFO_RSP_SIZE;
	for (size_t i = 0; i < osz; i++)
		out[SNP_MSG_HDR_SIZE + i] = get8(h);
	if (!(mode & 0x40)) { /* well-formed payload: status 0, right report size */
		le32_store(out + SNP_MSG_HDR_SIZE, 0);
		if (page[SNP_MSG_OFF_TYPE] == SNP_MSG_REPORT_REQ)
			le32_store(out + SNP_MSG_HDR_SIZE + 4, SNP_REPORT_SIZE);
	}
	uint64_t rseq = seqno + 1;
	if (mode & 0x80)
		rseq += get8(h) % 3;
	le64_store(out + SNP_MSG_OFF_SEQNO, rseq);
	out[SNP_MSG_OFF_ALGO] = 1;
	out[SNP_MSG_OFF_HDR_VERSION] = 1;
	le16_store(out + SNP_MSG_OFF_HDR_SIZE, SNP_MSG_HDR_SIZE);
	out[SNP_MSG_OFF_TYPE] = (uint8_t)(page[SNP_MSG_OFF_TYPE] + 1);
	out[SNP_MSG_OFF_VERSION] = 1;
	le16_store(out + SNP_MSG_OFF_SIZE, (uint16_t)osz);
	out[SNP_MSG_OFF_VMPCK] = page[SNP_MSG_OFF_VMPCK];
	if (mode & 0x20) { /* a header byte changed before sealing: validly sealed, wrong content */
		unsigned int off = 0x20 + get8(h) % 0x40;
		out[off] ^= (uint8_t)(get8(h) | 1);
	}
	gcm(h->vmpck, rseq, out, osz, true);
	if (mode & 0x10) { /* a byte changed after sealing */
		unsigned int off = (get8(h) | (unsigned int)get8(h) << 8) % 4096;
		out[off] ^= (uint8_t)(get8(h) | 1);
	}
	memcpy(resp, out, sizeof(out));
	ghcb_set_sw_exit_info_1(g, 0);
	static const uint64_t st[] = {0, SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_BUSY),
				      SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN), SEV_RET_AEAD_OFLOW};
	uint8_t s = get8(h);
	ghcb_set_sw_exit_info_2(g, s < 0xC0 ? 0 : st[s & 3]);
	if (s >= 0xC0 && (s & 4))
		ghcb_set_rbx(g, get8(h));
}

static void nae_answer(struct hv *h)
{
	CHECK(h->msr == GHCB_GPA);
	struct ghcb *g = (struct ghcb *)(h->mem + GHCB_GPA);
	uint64_t code = ghcb_get_sw_exit_code(g);
	uint64_t in1 = ghcb_get_sw_exit_info_1(g), in2 = ghcb_get_sw_exit_info_2(g);
	uint8_t mode = get8(h);
	if (code == SVM_VMGEXIT_GUEST_REQUEST || code == SVM_VMGEXIT_EXT_GUEST_REQUEST)
		greq_record(h, in1, in2);
	if (!(mode & 8))
		ghcb_clear_valid_bitmap(g);
	switch (mode & 7) {
	case 0:
	case 1:
	case 4:
	case 5: { /* a plausible answer */
		ghcb_set_sw_exit_info_1(g, 0);
		ghcb_set_sw_exit_info_2(g, (mode & 7) == 4 ? get64(h) : 0);
		uint64_t rax = get64(h);
		ghcb_set_rax(g, rax);
		ghcb_set_rbx(g, rax * 3);
		ghcb_set_rcx(g, rax ^ 0x55);
		ghcb_set_rdx(g, rax >> 7);
		if (code == SVM_VMGEXIT_PSC)
			psc_answer(h, h->mem + ghcb_get_sw_scratch(g), mode);
		if (code == SVM_VMGEXIT_GUEST_REQUEST || code == SVM_VMGEXIT_EXT_GUEST_REQUEST)
			greq_answer(h, g, in1, in2, mode);
		if ((mode & 7) == 1) { /* minus one valid bit */
			unsigned int bit = get8(h) & 127;
			g->bytes[GHCB_OFF_VALID_BITMAP + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
		}
		if ((mode & 7) == 5 && code == SVM_VMGEXIT_PSC) { /* status, not an exception */
			ghcb_set_sw_exit_info_2(g, get64(h));
		}
		break;
	}
	case 2: /* random exit info */
		ghcb_set_sw_exit_info_1(g, get8(h) & 1 ? get8(h) % 4 : get64(h));
		ghcb_set_sw_exit_info_2(g, get64(h));
		break;
	case 3: /* a random save area */
		for (unsigned int i = 0; i < 16; i++)
			g->bytes[GHCB_OFF_VALID_BITMAP + i] = get8(h);
		for (unsigned int off = GHCB_OFF_RAX; off < GHCB_OFF_RAX + 8; off++)
			g->bytes[off] = get8(h);
		for (unsigned int off = GHCB_OFF_RCX; off < GHCB_OFF_SW_SCRATCH + 8; off++)
			g->bytes[off] = get8(h);
		break;
	case 6: /* replay: the last response page again, claims success */
		memcpy(h->mem + RESP_GPA, h->last_resp, 4096);
		ghcb_set_sw_exit_info_1(g, 0);
		ghcb_set_sw_exit_info_2(g, 0);
		break;
	default: /* nothing */
		break;
	}
	memcpy(h->last_resp, h->mem + RESP_GPA, 4096);
	h->last_nae = true;
	h->last_code = code;
	memcpy(h->last_bitmap, g->bytes + GHCB_OFF_VALID_BITMAP, 16);
	h->last_info1 = ghcb_get_sw_exit_info_1(g);
	h->last_info2 = ghcb_get_sw_exit_info_2(g);
}

static void p_vmgexit(void *ctx)
{
	struct hv *h = ctx;
	if (h->msr & GHCB_MSR_INFO_MASK)
		msr_answer(h);
	else
		nae_answer(h);
}

static const struct gst_platform_ops ops = {
    .vmgexit = p_vmgexit,
    .ghcb_msr_read = p_msr_read,
    .ghcb_msr_write = p_msr_write,
    .pvalidate = p_pvalidate,
    .gpa_to_ptr = p_gpa_to_ptr,
    .ptr_to_gpa = p_ptr_to_gpa,
    .delay_us = p_delay,
    .now_us = p_now,
};

/* ---- invariants ---- */

static bool bit(const struct hv *h, unsigned int off)
{
	return ghcb_bitmap_test(h->last_bitmap, GHCB_BITMAP_IDX(off));
}

static void check_nae_ok(const struct hv *h, const unsigned int *outs, unsigned int n)
{
	CHECK(h->last_nae);
	CHECK(bit(h, GHCB_OFF_SW_EXIT_INFO_1) && h->last_info1 == 0);
	for (unsigned int i = 0; i < n; i++)
		CHECK(bit(h, outs[i]));
}

static void check_msr_ok(const struct hv *h, unsigned int resp_code)
{
	CHECK(!h->last_nae && GHCB_MSR_INFO(h->last_msr_resp) == resp_code);
}

/* The response the library accepted must decrypt independently, with the right header, to what it returned. */
static void check_greq_ok(struct hv *h, const uint8_t *got, size_t off, size_t len)
{
	CHECK(h->last_nae && bit(h, GHCB_OFF_SW_EXIT_INFO_1) && h->last_info1 == 0);
	CHECK(bit(h, GHCB_OFF_SW_EXIT_INFO_2) && h->last_info2 == 0);
	uint8_t page[4096];
	memcpy(page, h->last_resp, sizeof(page));
	size_t sz = le16_load(page + SNP_MSG_OFF_SIZE);
	CHECK(le64_load(page + SNP_MSG_OFF_SEQNO) == h->last_req_seqno + 1);
	CHECK(page[SNP_MSG_OFF_TYPE] == h->last_req_type + 1);
	CHECK(page[SNP_MSG_OFF_ALGO] == 1 && page[SNP_MSG_OFF_HDR_VERSION] == 1 && page[SNP_MSG_OFF_VERSION] == 1);
	CHECK(le16_load(page + SNP_MSG_OFF_HDR_SIZE) == SNP_MSG_HDR_SIZE && page[SNP_MSG_OFF_VMPCK] == 0);
	CHECK(sz <= SNP_MSG_PAYLOAD_MAX && off + len <= sz);
	CHECK(gcm(h->vmpck, h->last_req_seqno + 1, page, sz, false));
	CHECK(memcmp(page + SNP_MSG_HDR_SIZE + off, got, len) == 0);
}

static uint32_t seq_counter(const struct hv *h)
{
	return le32_load(h->mem + SECRETS + SNP_SECRETS_OFF_MSG_SEQNO(0));
}

static bool wiped(const struct hv *h)
{
	static const uint8_t zero[32];
	return memcmp(h->mem + SECRETS + SNP_SECRETS_OFF_VMPCK(0), zero, 32) == 0;
}

static const unsigned int OUT4[] = {GHCB_OFF_RAX, GHCB_OFF_RBX, GHCB_OFF_RCX, GHCB_OFF_RDX};
static const unsigned int OUT_RAX_RDX[] = {GHCB_OFF_RAX, GHCB_OFF_RDX};
static const unsigned int OUT_INFO2[] = {GHCB_OFF_SW_EXIT_INFO_2};

static void run_greq(struct hv *h, struct gst_ctx *c, struct gst_greq *g, uint8_t which)
{
	bool was_wiped = wiped(h);
	unsigned int exits = h->greq_exits;
	uint32_t seq = seq_counter(h);
	int rc;
	if (which % 4 < 2) {
		struct gst_report_req rq = {.vmpl = arg8(h) % 2};
		uint8_t report[SNP_REPORT_SIZE];
		uint32_t pages = arg8(h) % 4;
		rc = which % 4 == 0 ? gst_get_report(c, g, &rq, report, sizeof(report))
				    : gst_get_ext_report(c, g, &rq, report, sizeof(report), CERTS_GPA, &pages);
		if (rc == GST_OK)
			check_greq_ok(h, report, SNP_REPORT_RSP_OFF_REPORT, SNP_REPORT_SIZE);
	} else if (which % 4 == 2) {
		struct gst_key_req kr = {.guest_field_select = arg8(h) & 0x3F};
		uint8_t key[32];
		rc = gst_get_derived_key(c, g, &kr, key);
		if (rc == GST_OK)
			check_greq_ok(h, key, SNP_KEY_RSP_OFF_KEY, 32);
	} else {
		struct gst_tsc_info ti;
		rc = gst_get_tsc_info(c, g, &ti);
		if (rc == GST_OK) {
			uint8_t v[8];
			le64_store(v, ti.guest_tsc_scale);
			check_greq_ok(h, v, SNP_TSC_INFO_OFF_SCALE, 8);
		}
	}
	if (was_wiped)
		CHECK(rc == GST_EKEY && h->greq_exits == exits);
	if (h->greq_exits != exits)
		CHECK(seq_counter(h) == seq + 2);
	else
		CHECK(seq_counter(h) == seq);
	/* only these outcomes leave the key in place */
	if (!wiped(h))
		CHECK(rc == GST_OK || rc == GST_ENOSPC || rc == GST_ESTATUS || rc == GST_EPROTO || rc == GST_EKEY ||
		      rc == GST_EINVAL);
}

/* The #VC handler (gst_vc_handle) on fuzzed instruction bytes, exit code and registers: it either refuses, leaving
 * the registers as they were, or completes one instruction of at most 15 bytes.  String IO stays inside sbuf (at
 * most 8 elements of 4 bytes from the middle, either direction). */
static void run_vc(struct hv *h, struct gst_ctx *c)
{
	static const uint64_t codes[] = {SVM_EXIT_CPUID, SVM_EXIT_IOIO, SVM_EXIT_MSR, 0x78};
	static uint8_t sbuf[64];
	uint8_t insn[16];
	for (unsigned int i = 0; i < sizeof(insn); i++)
		insn[i] = arg8(h);
	struct gst_vc_regs r = {.error_code = codes[arg8(h) % 4],
				.rip = (uint64_t)(uintptr_t)insn,
				.rax = arg64(h),
				.rcx = arg8(h) % 9,
				.rdx = arg64(h),
				.rflags = 2 | (arg8(h) & 1u) << 10,
				.rsi = (uint64_t)(uintptr_t)(sbuf + 32),
				.rdi = (uint64_t)(uintptr_t)(sbuf + 32)};
	struct gst_vc_regs before = r;
	if (gst_vc_handle(c, 0, &r) == GST_OK)
		CHECK(r.rip > before.rip && r.rip <= before.rip + 15);
	else
		CHECK(r.rip == before.rip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *mem;
	if (!mem) {
		mem = aligned_alloc(0x200000, MEM_SIZE);
		CHECK(mem != NULL);
	}
	static struct hv h;
	memset(&h, 0, sizeof(h));
	memset(mem, 0, 0x10000);
	h.mem = mem;
	/* byte 0 splits the rest: the guest's calls first, then the hypervisor's answers */
	size_t split = size ? (size_t)data[0] * (size - 1) / 255 : 0;
	h.ops = data + (size ? 1 : 0);
	h.ops_len = split;
	h.in = h.ops + split;
	h.len = size ? size - 1 - split : 0;
	for (unsigned int i = 0; i < 32; i++)
		h.vmpck[i] = (uint8_t)(0xA0 + i);
	memcpy(mem + SECRETS + SNP_SECRETS_OFF_VMPCK(0), h.vmpck, 32);

	struct gst_platform plat = {.ops = &ops, .ctx = &h};
	static struct gst_ctx c;
	static struct gst_greq g;
	CHECK(gst_init(&c, &plat, true) == GST_OK);
	if (gst_ghcb_setup(&c, GHCB_GPA, arg8(&h) & 3) == GST_OK) {
		CHECK(c.version == 2 && (c.hv_features & GHCB_HV_FT_SNP));
	} else { /* keep fuzzing the NAE paths anyway */
		c.ghcb = (struct ghcb *)(mem + GHCB_GPA);
		c.ghcb_gpa = GHCB_GPA;
		c.version = 2;
		c.hv_features = GHCB_HV_FT_SUPPORTED;
	}
	struct gst_greq_config cfg = {.secrets = mem + SECRETS,
				      .req_gpa = REQ_GPA,
				      .resp_gpa = RESP_GPA,
				      .pages_shared = true,
				      .busy_retries = 3,
				      .busy_delay_us = 10};
	CHECK(gst_greq_init(&c, &g, &cfg) == GST_OK);

	for (unsigned int steps = 0; steps < 32 && h.ops_pos < h.ops_len; steps++) {
		uint8_t op = arg8(&h);
		uint32_t v32 = 0, out[4];
		uint64_t v = 0;
		uint8_t buf[64];
		int rc;
		switch (op % 24) {
		case 0:
			if (gst_cpuid(&c, (uint32_t)arg64(&h), arg8(&h), out) == GST_OK)
				check_nae_ok(&h, OUT4, 4);
			break;
		case 1:
			if (gst_rdmsr(&c, (uint32_t)arg64(&h), &v) == GST_OK)
				check_nae_ok(&h, OUT_RAX_RDX, 2);
			break;
		case 2:
			if (gst_wrmsr(&c, (uint32_t)arg64(&h), arg64(&h)) == GST_OK)
				check_nae_ok(&h, NULL, 0);
			break;
		case 3:
			if (gst_io_in(&c, (uint16_t)arg64(&h), 1u << (arg8(&h) % 3), &v32) == GST_OK) {
				static const unsigned int rax[] = {GHCB_OFF_RAX};
				check_nae_ok(&h, rax, 1);
			}
			break;
		case 4:
			if (gst_io_out(&c, (uint16_t)arg64(&h), 1u << (arg8(&h) % 3), (uint32_t)arg64(&h)) == GST_OK)
				check_nae_ok(&h, NULL, 0);
			break;
		case 5: {
			size_t n = arg8(&h) * 20u;
			static uint8_t s[5200];
			if (gst_io_outs(&c, GST_CONSOLE_PORT, 1, s, n) == GST_OK && n)
				check_nae_ok(&h, NULL, 0);
			if (gst_io_ins(&c, 0x60, 2, s, n / 2) == GST_OK && n / 2)
				check_nae_ok(&h, NULL, 0);
			break;
		}
		case 6: {
			size_t n = 1 + arg8(&h) % 64;
			if (gst_mmio_read(&c, arg64(&h), buf, n) == GST_OK)
				check_nae_ok(&h, NULL, 0);
			if (gst_mmio_write(&c, arg64(&h), buf, n) == GST_OK)
				check_nae_ok(&h, NULL, 0);
			break;
		}
		case 7: {
			static const unsigned int rax[] = {GHCB_OFF_RAX};
			if (gst_hypercall(&c, arg8(&h), arg64(&h), 0, 0, 0, &v) == GST_OK)
				check_nae_ok(&h, rax, 1);
			rc = gst_map_gpa_range(&c, (arg64(&h) & 0xFFFF) << 12, 1 + arg8(&h), 0x10);
			if (rc == GST_OK)
				check_nae_ok(&h, rax, 1);
			break;
		}
		case 8:
			if (gst_hv_features(&c, &v) == GST_OK)
				check_nae_ok(&h, OUT_INFO2, 1);
			break;
		case 9:
			if (gst_ap_jump_table_get(&c, &v) == GST_OK)
				check_nae_ok(&h, OUT_INFO2, 1);
			if (gst_ap_jump_table_set(&c, arg64(&h)) == GST_OK)
				check_nae_ok(&h, NULL, 0);
			break;
		case 10:
			if (gst_ap_create(&c, arg8(&h) % 4, arg8(&h), arg64(&h) & 0xFFFFFF000ull, 1) == GST_OK)
				check_nae_ok(&h, NULL, 0);
			if (gst_ap_hlt_loop(&c, &v) == GST_OK)
				check_nae_ok(&h, OUT_INFO2, 1);
			if (gst_nmi_complete(&c) == GST_OK)
				check_nae_ok(&h, NULL, 0);
			break;
		case 11:
			CHECK(gst_terminate(&c, arg8(&h), arg8(&h)) != GST_OK);
			CHECK(gst_msr_terminate(&c, arg8(&h), arg8(&h)) != GST_OK);
			break;
		case 12: {
			uint64_t gpa = (0x10 + arg8(&h) % 0x300) << 12;
			uint64_t n = 1 + (arg8(&h) | (uint64_t)(arg8(&h) & 1) << 8);
			if (gpa + n * 4096 > MEM_SIZE)
				n = (MEM_SIZE - gpa) / 4096;
			uint8_t flags = arg8(&h);
			rc = gst_psc(&c, gpa, n, 1 + (flags & 1), flags & 2);
			if (rc == GST_OK) {
				CHECK(h.last_code == SVM_VMGEXIT_PSC);
				check_nae_ok(&h, OUT_INFO2, 1);
				CHECK(h.last_info2 == 0);
			}
			break;
		}
		case 13:
			if (gst_msr_negotiate(&c) == GST_OK) {
				check_msr_ok(&h, GHCB_MSR_SEV_INFO_RESP);
				CHECK(c.version >= 1 && c.version <= 2 && c.hv_min <= c.hv_max);
			}
			c.version = 2; /* keep the rest of the run on version 2 */
			break;
		case 14:
			if (gst_msr_cpuid(&c, (uint32_t)arg64(&h), arg8(&h) % 4, &v32) == GST_OK)
				check_msr_ok(&h, GHCB_MSR_CPUID_RESP);
			break;
		case 15: {
			uint64_t gpa = (arg64(&h) & 0xFFFFF) << 12;
			if (gst_msr_register_gpa(&c, gpa) == GST_OK) {
				check_msr_ok(&h, GHCB_MSR_REG_GPA_RESP);
				CHECK(ghcb_msr_gfn(h.last_msr_resp) == gpa >> 12);
			}
			break;
		}
		case 16:
			if (gst_msr_psc_page(&c, (arg64(&h) & 0x3FF) << 12, 1 + arg8(&h) % 2) == GST_OK) {
				check_msr_ok(&h, GHCB_MSR_PSC_RESP);
				CHECK(ghcb_msr_psc_resp_error(h.last_msr_resp) == 0);
			}
			break;
		case 17:
			if (gst_msr_ap_reset_hold(&c, &v) == GST_OK)
				check_msr_ok(&h, GHCB_MSR_AP_RESET_HOLD_RESP);
			if (gst_msr_pref_gpa(&c, &v) == GST_OK)
				check_msr_ok(&h, GHCB_MSR_PREF_GPA_RESP);
			if (gst_msr_hv_features(&c, &v) == GST_OK)
				check_msr_ok(&h, GHCB_MSR_HV_FT_RESP);
			break;
		case 18:
			rc = gst_pvalidate_range(&c, (0x10 + arg8(&h) % 0x200) << 12, 1 + arg8(&h), arg8(&h) & 1,
						 arg8(&h) & 1);
			(void)rc;
			break;
		case 19:
			run_vc(&h, &c);
			break;
		default:
			run_greq(&h, &c, &g, op);
			break;
		}
	}
	return 0;
}

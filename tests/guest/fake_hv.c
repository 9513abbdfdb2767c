/* SPDX-License-Identifier: MIT */
/* The scripted fake hypervisor (see fake_hv.h).  Its default answers follow ghcb-hypervisor-kvm.md §3-§12. */
#include "fake_hv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/secrets.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>

static void fh_abort_if(bool bad)
{
	if (bad)
		abort(); /* test infrastructure failure */
}

/* ---- independent AES-256-GCM ---- */

static bool fh_gcm(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len, bool enc)
{
	uint8_t iv[12] = {0};
	for (int i = 0; i < 8; i++)
		iv[i] = (uint8_t)(seqno >> (8 * i));
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	fh_abort_if(!x);
	int outl = 0, ok = 1;
	uint8_t fin[16];
	if (enc) {
		ok &= EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL);
		ok &= EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
		ok &= EVP_EncryptInit_ex(x, NULL, NULL, key, iv);
		ok &= EVP_EncryptUpdate(x, NULL, &outl, page + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN);
		ok &= EVP_EncryptUpdate(x, page + SNP_MSG_HDR_SIZE, &outl, page + SNP_MSG_HDR_SIZE, (int)len);
		ok &= EVP_EncryptFinal_ex(x, fin, &outl);
		ok &= EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, page);
		fh_abort_if(ok != 1);
	} else {
		ok &= EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL);
		ok &= EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
		ok &= EVP_DecryptInit_ex(x, NULL, NULL, key, iv);
		ok &= EVP_DecryptUpdate(x, NULL, &outl, page + SNP_MSG_AAD_OFF, SNP_MSG_AAD_LEN);
		ok &= EVP_DecryptUpdate(x, page + SNP_MSG_HDR_SIZE, &outl, page + SNP_MSG_HDR_SIZE, (int)len);
		ok &= EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, page);
		ok = ok == 1 && EVP_DecryptFinal_ex(x, fin, &outl) == 1;
	}
	EVP_CIPHER_CTX_free(x);
	return ok;
}

bool fh_gcm_open(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len)
{
	return fh_gcm(key, seqno, page, len, false);
}

void fh_gcm_seal(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len)
{
	fh_gcm(key, seqno, page, len, true);
}

/* ---- platform ops ---- */

static uint64_t fh_msr_read(void *ctx)
{
	return ((struct fake_hv *)ctx)->msr;
}

static void fh_msr_write(void *ctx, uint64_t v)
{
	((struct fake_hv *)ctx)->msr = v;
}

static unsigned int fh_count_psc_exits(struct fake_hv *h)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < h->nexits; i++)
		n += !h->exits[i].msr_proto && h->exits[i].code == SVM_VMGEXIT_PSC;
	return n;
}

static int fh_pvalidate(void *ctx, uint64_t gpa, void *va, bool size2m, bool validate)
{
	struct fake_hv *h = ctx;
	fh_abort_if(va != h->mem + gpa);
	if (h->npv < sizeof(h->pv) / sizeof(h->pv[0]))
		h->pv[h->npv++] = (struct fh_pv){gpa, size2m, validate};
	if (fh_count_psc_exits(h) == 0)
		h->pv_before_psc++;
	if (size2m && h->pv_2m_result)
		return h->pv_2m_result;
	if (h->pv_fail_gpa && gpa == h->pv_fail_gpa)
		return GST_PVALIDATE_FAIL_INPUT;
	uint64_t n = size2m ? 512 : 1;
	for (uint64_t i = 0; i < n; i++)
		h->page_valid[(gpa >> 12) + i] = validate;
	return GST_PVALIDATE_OK;
}

static void *fh_gpa_to_ptr(void *ctx, uint64_t gpa, size_t len)
{
	struct fake_hv *h = ctx;
	if (gpa >= FH_MEM_SIZE || len > FH_MEM_SIZE - gpa)
		return NULL;
	return h->mem + gpa;
}

static bool fh_ptr_to_gpa(void *ctx, const void *p, uint64_t *gpa)
{
	struct fake_hv *h = ctx;
	const uint8_t *b = p;
	if (b < h->mem || b >= h->mem + FH_MEM_SIZE)
		return false;
	*gpa = (uint64_t)(b - h->mem);
	return true;
}

static void fh_delay(void *ctx, uint64_t us)
{
	struct fake_hv *h = ctx;
	h->delays++;
	h->delay_us += us;
	h->clock_us += us;
}

static uint64_t fh_now(void *ctx)
{
	return ((struct fake_hv *)ctx)->clock_us;
}

static void fh_log(void *ctx, const char *msg, size_t len)
{
	struct fake_hv *h = ctx;
	size_t room = sizeof(h->log) - 1 - h->log_len;
	size_t n = len < room ? len : room;
	memcpy(h->log + h->log_len, msg, n);
	h->log_len += n;
}

static int fh_rmpadjust(void *ctx, uint64_t gpa, void *va, uint64_t attrs)
{
	struct fake_hv *h = ctx;
	fh_abort_if(va != h->mem + gpa);
	h->rmpadjust_gpa = gpa;
	h->rmpadjust_attrs = attrs;
	return h->rmpadjust_rc;
}

static void fh_vmgexit(void *ctx);

static const struct gst_platform_ops fh_ops = {
    .vmgexit = fh_vmgexit,
    .ghcb_msr_read = fh_msr_read,
    .ghcb_msr_write = fh_msr_write,
    .pvalidate = fh_pvalidate,
    .gpa_to_ptr = fh_gpa_to_ptr,
    .ptr_to_gpa = fh_ptr_to_gpa,
    .delay_us = fh_delay,
    .log = fh_log,
    .rmpadjust = fh_rmpadjust,
};

static const struct gst_platform_ops fh_ops_clock = {
    .vmgexit = fh_vmgexit,
    .ghcb_msr_read = fh_msr_read,
    .ghcb_msr_write = fh_msr_write,
    .pvalidate = fh_pvalidate,
    .gpa_to_ptr = fh_gpa_to_ptr,
    .ptr_to_gpa = fh_ptr_to_gpa,
    .delay_us = fh_delay,
    .now_us = fh_now,
    .log = fh_log,
    .rmpadjust = fh_rmpadjust,
};

struct gst_platform fh_platform(struct fake_hv *h)
{
	return (struct gst_platform){.ops = h->with_clock ? &fh_ops_clock : &fh_ops, .ctx = h};
}

/* ---- default MSR protocol ---- */

static void fh_set_pages(struct fake_hv *h, uint64_t gfn, uint64_t n, unsigned int op)
{
	for (uint64_t i = 0; i < n && gfn + i < (FH_MEM_SIZE >> 12); i++)
		h->page_private[gfn + i] = op == SNP_PAGE_STATE_PRIVATE;
}

static void fh_msr_default(struct fake_hv *h)
{
	uint64_t v = h->msr;
	switch (GHCB_MSR_INFO(v)) {
	case GHCB_MSR_SEV_INFO_REQ:
		h->msr = ghcb_msr_sev_info(h->ver_max, h->ver_min, 51);
		break;
	case GHCB_MSR_CPUID_REQ:
		h->msr = ghcb_msr_cpuid_resp(v, ghcb_msr_cpuid_fn(v) + 0x100u * ghcb_msr_cpuid_reg(v));
		break;
	case GHCB_MSR_HV_FT_REQ:
		h->msr = ghcb_msr_hv_ft_resp(h->features);
		break;
	case GHCB_MSR_PREF_GPA_REQ:
		h->msr = ghcb_msr_pref_gpa_resp(GHCB_MSR_PREF_GPA_NONE);
		break;
	case GHCB_MSR_REG_GPA_REQ:
		h->registered_gpa = ghcb_msr_gfn(v) << 12;
		h->msr = ghcb_msr_reg_gpa_resp(ghcb_msr_gfn(v));
		break;
	case GHCB_MSR_PSC_REQ:
		fh_set_pages(h, ghcb_msr_psc_gfn(v), 1, ghcb_msr_psc_op(v));
		h->msr = ghcb_msr_psc_resp(0);
		break;
	case GHCB_MSR_AP_RESET_HOLD_REQ:
		h->msr = ghcb_msr_ap_reset_hold_resp(1);
		break;
	case GHCB_MSR_TERM_REQ:
		h->terminated = true;
		break;
	default:
		break;
	}
}

/* ---- default NAE ---- */

static bool fh_valid(const struct fh_exit *r, unsigned int off)
{
	return ghcb_bitmap_test(r->bitmap, GHCB_BITMAP_IDX(off));
}

static void fh_bad_input(struct ghcb *g, uint64_t reason)
{
	ghcb_set_sw_exit_info_1(g, GHCB_HV_RESP_MALFORMED_INPUT);
	ghcb_set_sw_exit_info_2(g, reason);
}

/* KVM's per-event input requirements (ghcb-hypervisor-kvm.md §3), so that tests catch a missing input. */
static bool fh_inputs_ok(const struct fh_exit *r)
{
	if (!fh_valid(r, GHCB_OFF_SW_EXIT_CODE) || !fh_valid(r, GHCB_OFF_SW_EXIT_INFO_1) ||
	    !fh_valid(r, GHCB_OFF_SW_EXIT_INFO_2))
		return false;
	switch (r->code) {
	case SVM_EXIT_CPUID:
		return fh_valid(r, GHCB_OFF_RAX) && fh_valid(r, GHCB_OFF_RCX) &&
		       ((uint32_t)r->rax != 0xD || fh_valid(r, GHCB_OFF_XCR0));
	case SVM_EXIT_IOIO:
		if (r->info1 & SVM_IOIO_STR_MASK)
			return fh_valid(r, GHCB_OFF_SW_SCRATCH);
		return (r->info1 & SVM_IOIO_TYPE_MASK) || fh_valid(r, GHCB_OFF_RAX);
	case SVM_EXIT_MSR:
		return fh_valid(r, GHCB_OFF_RCX) &&
		       (!r->info1 || (fh_valid(r, GHCB_OFF_RAX) && fh_valid(r, GHCB_OFF_RDX)));
	case SVM_EXIT_VMMCALL:
		return fh_valid(r, GHCB_OFF_RAX) && fh_valid(r, GHCB_OFF_CPL);
	case SVM_VMGEXIT_MMIO_READ:
	case SVM_VMGEXIT_MMIO_WRITE:
	case SVM_VMGEXIT_PSC:
		return fh_valid(r, GHCB_OFF_SW_SCRATCH);
	case SVM_VMGEXIT_AP_CREATION:
		return (uint32_t)r->info1 == SVM_VMGEXIT_AP_DESTROY || fh_valid(r, GHCB_OFF_RAX);
	default:
		return true;
	}
}

static void fh_psc(struct fake_hv *h, struct ghcb *g, const struct fh_step *s)
{
	uint8_t *d = h->mem + ghcb_get_sw_scratch(g);
	unsigned int cur = psc_hdr_cur_entry(d), end = psc_hdr_end_entry(d);
	if (end >= VMGEXIT_PSC_MAX_ENTRY) {
		ghcb_set_sw_exit_info_2(g, VMGEXIT_PSC_ERROR_INVALID_HDR);
		return;
	}
	unsigned int limit = s && s->psc_limit ? s->psc_limit : ~0u;
	unsigned int page_budget = s && s->psc_pages ? s->psc_pages : ~0u;
	for (unsigned int done = 0; cur <= end && done < limit; done++) {
		uint64_t e = psc_entry_load(d, cur);
		unsigned int np = psc_entry_pagesize(e) ? 512 : 1, cp = psc_entry_cur_page(e);
		if (cp > np) {
			ghcb_set_sw_exit_info_2(g, VMGEXIT_PSC_ERROR_INVALID_ENTRY);
			return;
		}
		while (cp < np && page_budget) {
			fh_set_pages(h, psc_entry_gfn(e) + cp, 1, psc_entry_op(e));
			cp++;
			page_budget--;
		}
		psc_entry_store(d, cur, psc_entry_set_cur_page(e, cp));
		if (cp < np)
			break;
		cur++;
	}
	le16_store(d + PSC_OFF_CUR_ENTRY, (uint16_t)cur);
}

static void fh_certs(struct fake_hv *h, uint64_t gpa)
{
	static const uint8_t vcek[16] = SNP_GUID_VCEK;
	uint8_t *t = h->mem + gpa;
	memset(t, 0, 4096);
	memcpy(t, vcek, 16);
	le32_store(t + SNP_CERT_ENTRY_OFF_OFFSET, 2 * SNP_CERT_ENTRY_SIZE);
	le32_store(t + SNP_CERT_ENTRY_OFF_LENGTH, 8);
	memcpy(t + 2 * SNP_CERT_ENTRY_SIZE, "VCEKCERT", 8);
}

/* The firmware (snp-firmware-abi.md §1.4): decrypt, check the sequence, answer type + 1 with seqno + 1. */
static void fh_guest_request(struct fake_hv *h, struct ghcb *g, const struct fh_exit *r)
{
	uint8_t *req = h->mem + r->info1, *resp = h->mem + r->info2;
	h->fw_processed = false;
	if (r->code == SVM_VMGEXIT_EXT_GUEST_REQUEST && req[SNP_MSG_OFF_TYPE] == SNP_MSG_REPORT_REQ) {
		if (!fh_valid(r, GHCB_OFF_RAX) || !fh_valid(r, GHCB_OFF_RBX) || r->rax & 0xFFF) {
			fh_bad_input(g, GHCB_ERR_INVALID_INPUT);
			return;
		}
		if (r->rbx < h->certs_pages_needed) {
			ghcb_set_rbx(g, h->certs_pages_needed);
			ghcb_set_sw_exit_info_2(g, SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN));
			return;
		}
		fh_certs(h, r->rax);
	}
	uint8_t page[4096];
	memcpy(page, req, sizeof(page));
	unsigned int id = page[SNP_MSG_OFF_VMPCK];
	size_t sz = le16_load(page + SNP_MSG_OFF_SIZE);
	uint64_t seqno = le64_load(page + SNP_MSG_OFF_SEQNO);
	if (id > 3 || sz == 0 || sz > SNP_MSG_PAYLOAD_MAX || page[SNP_MSG_OFF_ALGO] != 1 ||
	    page[SNP_MSG_OFF_HDR_VERSION] != 1 || le16_load(page + SNP_MSG_OFF_HDR_SIZE) != SNP_MSG_HDR_SIZE) {
		ghcb_set_sw_exit_info_2(g, SEV_RET_INVALID_PARAM);
		return;
	}
	if (!fh_gcm_open(h->vmpck[id], seqno, page, sz)) {
		ghcb_set_sw_exit_info_2(g, SEV_RET_BAD_MEASUREMENT);
		return;
	}
	if (seqno != h->fw_msg_count[id] + 1) {
		ghcb_set_sw_exit_info_2(g, SEV_RET_AEAD_OFLOW);
		return;
	}
	uint8_t out[4096] = {0};
	uint8_t *p = out + SNP_MSG_HDR_SIZE;
	size_t osz;
	switch (page[SNP_MSG_OFF_TYPE]) {
	case SNP_MSG_REPORT_REQ:
		osz = SNP_REPORT_RSP_SIZE;
		le32_store(p + SNP_REPORT_RSP_OFF_SIZE, SNP_REPORT_SIZE);
		le32_store(p + SNP_REPORT_RSP_OFF_REPORT + SNP_REPORT_OFF_VERSION, 2);
		le32_store(p + SNP_REPORT_RSP_OFF_REPORT + SNP_REPORT_OFF_VMPL,
			   le32_load(page + SNP_MSG_HDR_SIZE + SNP_REPORT_REQ_OFF_VMPL));
		memcpy(p + SNP_REPORT_RSP_OFF_REPORT + 0x50, page + SNP_MSG_HDR_SIZE, 64);
		break;
	case SNP_MSG_KEY_REQ:
		osz = SNP_KEY_RSP_SIZE;
		for (int i = 0; i < 32; i++)
			p[SNP_KEY_RSP_OFF_KEY + i] = (uint8_t)(0x40 + i + page[SNP_MSG_HDR_SIZE + SNP_KEY_REQ_OFF_GFS]);
		break;
	case SNP_MSG_TSC_INFO_REQ:
		osz = SNP_TSC_INFO_RSP_SIZE;
		le64_store(p + SNP_TSC_INFO_OFF_SCALE, 1234);
		le64_store(p + SNP_TSC_INFO_OFF_OFFSET, 5678);
		le32_store(p + SNP_TSC_INFO_OFF_FACTOR, 200);
		break;
	default:
		ghcb_set_sw_exit_info_2(g, SEV_RET_INVALID_PARAM);
		return;
	}
	le64_store(out + SNP_MSG_OFF_SEQNO, seqno + 1);
	out[SNP_MSG_OFF_ALGO] = 1;
	out[SNP_MSG_OFF_HDR_VERSION] = 1;
	le16_store(out + SNP_MSG_OFF_HDR_SIZE, SNP_MSG_HDR_SIZE);
	out[SNP_MSG_OFF_TYPE] = (uint8_t)(page[SNP_MSG_OFF_TYPE] + 1);
	out[SNP_MSG_OFF_VERSION] = 1;
	le16_store(out + SNP_MSG_OFF_SIZE, (uint16_t)osz);
	out[SNP_MSG_OFF_VMPCK] = (uint8_t)id;
	fh_gcm_seal(h->vmpck[id], seqno + 1, out, osz);
	h->fw_msg_count[id] += 2;
	memcpy(resp, out, sizeof(out));
	h->fw_processed = true;
}

static void fh_nae_default(struct fake_hv *h, struct ghcb *g, const struct fh_exit *r, const struct fh_step *s)
{
	if (ghcb_get_usage(g) != 0) {
		fh_bad_input(g, GHCB_ERR_INVALID_USAGE);
		return;
	}
	if (!fh_inputs_ok(r)) {
		fh_bad_input(g, GHCB_ERR_MISSING_INPUT);
		return;
	}
	ghcb_set_sw_exit_info_1(g, 0);
	ghcb_set_sw_exit_info_2(g, 0);
	switch (r->code) {
	case SVM_EXIT_CPUID:
		ghcb_set_rax(g, 0x1000u + (uint32_t)r->rax);
		ghcb_set_rbx(g, 0x2000u + (uint32_t)r->rcx);
		ghcb_set_rcx(g, 0x3000u);
		ghcb_set_rdx(g, 0x4000u);
		break;
	case SVM_EXIT_MSR:
		if ((uint32_t)r->rcx == 0xBAD) {
			ghcb_set_sw_exit_info_1(g, GHCB_HV_RESP_ISSUE_EXCEPTION);
			ghcb_set_sw_exit_info_2(g, GHCB_EXCEPTION_GP);
		} else if (r->info1) {
			h->msr_store = r->rdx << 32 | (uint32_t)r->rax;
		} else {
			uint64_t v = h->msr_store ^ r->rcx;
			ghcb_set_rax(g, (uint32_t)v);
			ghcb_set_rdx(g, v >> 32);
		}
		break;
	case SVM_EXIT_IOIO: {
		unsigned int size = svm_ioio_size(r->info1);
		bool in = r->info1 & SVM_IOIO_TYPE_MASK;
		if (r->info1 & SVM_IOIO_STR_MASK) {
			uint8_t *buf = h->mem + r->scratch;
			size_t bytes = r->info2 * size;
			if (in)
				memset(buf, 0x5A, bytes);
			else if (svm_ioio_port(r->info1) == GST_CONSOLE_PORT)
				for (size_t i = 0; i < bytes && h->console_len < FH_CONSOLE_SZ - 1; i++)
					h->console[h->console_len++] = (char)buf[i];
		} else if (in) {
			ghcb_set_rax(g, 0xFFFFFFFF12345678ull);
		} else {
			h->hc_args[4] = r->rax;
		}
		break;
	}
	case SVM_VMGEXIT_MMIO_READ:
		for (uint64_t i = 0; i < r->info2; i++)
			h->mem[r->scratch + i] = (uint8_t)(r->info1 + i);
		break;
	case SVM_VMGEXIT_MMIO_WRITE:
		h->hc_args[4] = le64_load(h->mem + r->scratch);
		break;
	case SVM_EXIT_VMMCALL:
		h->hc_args[0] = r->rax;
		h->hc_args[1] = r->rbx;
		h->hc_args[2] = r->rcx;
		h->hc_args[3] = r->rdx;
		h->hc_args[4] = r->rsi;
		ghcb_set_rax(g, h->hc_ret);
		break;
	case SVM_VMGEXIT_HV_FEATURES:
		ghcb_set_sw_exit_info_2(g, h->features);
		break;
	case SVM_VMGEXIT_AP_JUMP_TABLE:
		if (r->info1 == SVM_VMGEXIT_SET_AP_JUMP_TABLE)
			h->jump_table = r->info2;
		else if (r->info1 == SVM_VMGEXIT_GET_AP_JUMP_TABLE)
			ghcb_set_sw_exit_info_2(g, h->jump_table);
		else
			fh_bad_input(g, GHCB_ERR_INVALID_INPUT);
		break;
	case SVM_VMGEXIT_AP_HLT_LOOP:
		ghcb_set_sw_exit_info_2(g, 1);
		break;
	case SVM_VMGEXIT_TERM_REQUEST:
		h->terminated = true;
		h->term_info1 = r->info1;
		break;
	case SVM_VMGEXIT_PSC:
		fh_psc(h, g, s);
		break;
	case SVM_VMGEXIT_GUEST_REQUEST:
	case SVM_VMGEXIT_EXT_GUEST_REQUEST:
		fh_guest_request(h, g, r);
		break;
	case SVM_VMGEXIT_AP_CREATION:
	case SVM_VMGEXIT_NMI_COMPLETE:
		break;
	default:
		fh_bad_input(g, GHCB_ERR_INVALID_EVENT);
		break;
	}
}

static void fh_vmgexit(void *ctx)
{
	struct fake_hv *h = ctx;
	const struct fh_step *s = h->step < h->nsteps ? &h->steps[h->step++] : NULL;
	struct fh_exit *r = &h->exits[h->nexits < FH_MAX_EXITS ? h->nexits++ : FH_MAX_EXITS - 1];
	memset(r, 0, sizeof(*r));
	r->msr = h->msr;
	if (h->msr & GHCB_MSR_INFO_MASK) {
		r->msr_proto = true;
		if (!s || !s->no_default)
			fh_msr_default(h);
		if (s && s->set_msr)
			h->msr = s->msr;
		if (s && s->mutate)
			s->mutate(h, NULL);
		return;
	}
	fh_abort_if(h->msr + 4096 > FH_MEM_SIZE);
	struct ghcb *g = (struct ghcb *)(h->mem + h->msr);
	r->code = ghcb_get_sw_exit_code(g);
	r->info1 = ghcb_get_sw_exit_info_1(g);
	r->info2 = ghcb_get_sw_exit_info_2(g);
	r->rax = ghcb_get_rax(g);
	r->rbx = ghcb_get_rbx(g);
	r->rcx = ghcb_get_rcx(g);
	r->rdx = ghcb_get_rdx(g);
	r->rsi = ghcb_get_rsi(g);
	r->scratch = ghcb_get_sw_scratch(g);
	memcpy(r->bitmap, g->bytes + GHCB_OFF_VALID_BITMAP, 16);
	if (r->code == SVM_VMGEXIT_PSC && r->scratch + PSC_DESC_SIZE <= FH_MEM_SIZE) {
		const uint8_t *d = h->mem + r->scratch;
		r->psc_cur = psc_hdr_cur_entry(d);
		r->psc_end = psc_hdr_end_entry(d);
		for (unsigned int i = 0; i < VMGEXIT_PSC_MAX_ENTRY; i++)
			r->psc_entries[i] = psc_entry_load(d, i);
	}
	if ((r->code == SVM_VMGEXIT_GUEST_REQUEST || r->code == SVM_VMGEXIT_EXT_GUEST_REQUEST) &&
	    r->info1 + 4096 <= FH_MEM_SIZE) {
		memcpy(h->last_req_page, h->mem + r->info1, 4096);
		if (h->greq_exits < 8)
			memcpy(h->req_copy[h->greq_exits], h->mem + r->info1, 4096);
		h->greq_exits++;
	}
	ghcb_clear_valid_bitmap(g); /* as KVM: the answer's bits are only what it sets */
	if (!s || !s->no_default)
		fh_nae_default(h, g, r, s);
	if (s) {
		if (s->set_info1)
			ghcb_set_sw_exit_info_1(g, s->info1);
		if (s->set_info2)
			ghcb_set_sw_exit_info_2(g, s->info2);
		if (s->set_rbx)
			ghcb_set_rbx(g, s->rbx);
		for (unsigned int i = 0; i < 4; i++) {
			unsigned int bit = GHCB_BITMAP_IDX(s->drop[i]);
			if (s->drop[i])
				g->bytes[GHCB_OFF_VALID_BITMAP + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
		}
		if (s->mutate)
			s->mutate(h, g);
	}
}

/* ---- set-up ---- */

struct fake_hv *fh_new(void)
{
	struct fake_hv *h = calloc(1, sizeof(*h));
	fh_abort_if(!h);
	h->mem = aligned_alloc(2u << 20, FH_MEM_SIZE);
	fh_abort_if(!h->mem);
	memset(h->mem, 0, FH_MEM_SIZE);
	h->ver_min = 1;
	h->ver_max = 2;
	h->features = GHCB_HV_FT_SUPPORTED;
	memset(h->page_private, 1, sizeof(h->page_private));
	memset(h->page_valid, 1, sizeof(h->page_valid));
	for (unsigned int i = 0; i < 4; i++) {
		for (unsigned int j = 0; j < 32; j++)
			h->vmpck[i][j] = (uint8_t)(0x11 * (i + 1) + j);
		memcpy(h->mem + FH_SECRETS + SNP_SECRETS_OFF_VMPCK(i), h->vmpck[i], 32);
	}
	h->certs_pages_needed = 1;
	return h;
}

void fh_free(struct fake_hv *h)
{
	free(h->mem);
	free(h);
}

void fh_push(struct fake_hv *h, struct fh_step s)
{
	fh_abort_if(h->nsteps >= FH_MAX_STEPS);
	h->steps[h->nsteps++] = s;
}

void fh_clear_record(struct fake_hv *h)
{
	h->nexits = 0;
	h->npv = 0;
	h->pv_before_psc = 0;
	h->delays = 0;
	h->delay_us = 0;
	h->greq_exits = 0;
}

void fh_setup(struct fake_hv *h, struct gst_ctx *c, bool snp)
{
	struct gst_platform p = fh_platform(h);
	fh_abort_if(gst_init(c, &p, snp) != GST_OK);
	fh_abort_if(gst_ghcb_setup(c, FH_GHCB_GPA, 0) != GST_OK);
	fh_clear_record(h);
}

void fh_greq(struct fake_hv *h, struct gst_ctx *c, struct gst_greq *g, unsigned int id)
{
	struct gst_greq_config cfg = {
	    .secrets = h->mem + FH_SECRETS,
	    .vmpck_id = id,
	    .req_gpa = FH_REQ_GPA,
	    .resp_gpa = FH_RESP_GPA,
	    .busy_retries = 5,
	    .busy_delay_us = 1000,
	};
	fh_abort_if(gst_greq_init(c, g, &cfg) != GST_OK);
	fh_clear_record(h);
}

int fh_fixture_setup(void **state)
{
	struct fh_fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->h = fh_new();
	fh_setup(f->h, &f->c, true);
	*state = f;
	return 0;
}

int fh_fixture_teardown(void **state)
{
	struct fh_fixture *f = *state;
	fh_free(f->h);
	free(f);
	return 0;
}

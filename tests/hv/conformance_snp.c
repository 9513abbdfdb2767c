/* SPDX-License-Identifier: MIT */
/*
 * SNP rows of the engine's conformance suite (spec §7, §8, §10, §12; docs/architecture.md rules 1, 5, 6): GHCB
 * registration, page-state changes (MSR and NAE), AP creation, guest requests with the rate limit and certificates.
 * Each row sets up a fresh SNP VM (tests/hv/env.c) with its own page-state hook, runs one VMGEXIT, walks a script of
 * the exits it must produce (checking their data and answering as the VMM), then checks the GHCB response, the exact
 * set of valid bits, and row-specific effects.  Guest messages are encrypted and checked by the independent test
 * helper of tests/fw against one seeded firmware guest, so every admitted request must keep the sequence numbers in
 * step for the following rows to pass.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/fw.h>

#include "../fw/fw_fixture.h"

#include "conformance_snp.h"

static char why[256];
#define FAIL(...) (snprintf(why, sizeof(why), __VA_ARGS__), why)

static struct fixture fx;
static bool fx_ready;
static uint8_t high_mem[2 * 4096] __attribute__((aligned(4096)));

static int snp_hook(void *ctx, uint64_t gpa, uint64_t len)
{
	const struct senv *s = ctx;
	for (unsigned int i = 0; i < s->npriv; i++)
		if (gpa < s->priv[i][1] && s->priv[i][0] < gpa + len)
			return -EACCES;
	return 0;
}

static void make_private(struct senv *s, uint64_t gpa, uint64_t len)
{
	s->priv[s->npriv][0] = gpa;
	s->priv[s->npriv][1] = gpa + len;
	s->npriv++;
}

static uint64_t test_clock(void *ctx)
{
	return ((struct senv *)ctx)->clock_ns;
}

static int ap_handler(void *ctx, const struct hv_ap_request *req)
{
	struct senv *s = ctx;
	s->ap.calls++;
	s->ap.req = *req;
	if (s->ap.create_target && !req->target && !s->extra)
		return hv_vcpu_create(s->e.vm, req->apic_id, &s->extra);
	return s->ap.answer;
}

/* ---- guest-message helpers (the independent test helper of tests/fw) ---- */
static void put_msg(struct senv *s, uint8_t type, uint64_t seq_delta)
{
	uint8_t payload[SNP_REPORT_REQ_SIZE] = {0};
	size_t len = type == SNP_MSG_KEY_REQ ? SNP_KEY_REQ_SIZE : SNP_REPORT_REQ_SIZE;
	for (unsigned int i = 0; i < 64 && type == SNP_MSG_REPORT_REQ; i++)
		payload[i] = (uint8_t)(i ^ 0x5A);
	th_encrypt_seq(&fx.t, 0, fx.t.seqno[0] + 1 + seq_delta, type, payload, len, s->e.mem + REQ_GPA);
}
static void prep_report(struct senv *s)
{
	put_msg(s, SNP_MSG_REPORT_REQ, 0);
}
static void prep_key(struct senv *s)
{
	put_msg(s, SNP_MSG_KEY_REQ, 0);
}
static void prep_report_badtag(struct senv *s)
{
	put_msg(s, SNP_MSG_REPORT_REQ, 0);
	s->e.mem[REQ_GPA + 0x70] ^= 1; /* a ciphertext byte */
}
static void prep_report_replay(struct senv *s)
{
	put_msg(s, SNP_MSG_REPORT_REQ, (uint64_t)-2); /* the previous request's sequence number */
}
static void prep_report_req_private(struct senv *s)
{
	prep_report(s);
	make_private(s, REQ_GPA, 4096);
}
static void prep_report_resp_private(struct senv *s)
{
	prep_report(s);
	memset(s->e.mem + RESP_GPA, 0xEE, 4096);
	make_private(s, RESP_GPA, 4096);
}
static void prep_report_certs_fill(struct senv *s)
{
	prep_report(s);
	memset(s->e.mem + CERTS_GPA, 0xCC, 2 * 4096);
}
static void prep_busy(struct senv *s)
{
	/* The bucket (burst 1) is emptied by one request the firmware answers; the row's request is then refused. */
	prep_report(s);
	struct ghcb *g = env_ghcb(&s->e);
	uint8_t save[4096];
	memcpy(save, g, 4096);
	env_nae(&s->e, SVM_VMGEXIT_GUEST_REQUEST, REQ_GPA, RESP_GPA);
	int r = hv_vcpu_vmgexit(s->e.vcpu);
	uint64_t i2 = ghcb_get_sw_exit_info_2(g);
	memcpy(g, save, 4096);
	if (r != 1 || i2 != 0)
		return;
	uint8_t out[2048];
	size_t n;
	const char *w;
	th_decrypt(&fx.t, 0, SNP_MSG_REPORT_REQ, s->e.mem + RESP_GPA, out, sizeof(out), &n, &w);
	fw_guest_stats(fx.g, &s->st0);
	prep_report(s);
}
static void prep_busy_ext(struct senv *s)
{
	prep_busy(s);
	hv_vm_enable_req_certs(s->e.vm, 1);
}
static void prep_inject(struct senv *s)
{
	prep_report(s);
	memset(s->e.mem + RESP_GPA, 0xEE, 4096);
	const struct fw_inject inj = {.status = SEV_RET_INVALID_GUEST_STATE, .count = 1};
	fw_guest_inject(fx.g, &inj);
}

/* ---- VMM actions inside scripts ---- */
void snp_act_unprivate(struct senv *s)
{
	s->npriv = 0;
}
static void act_write_certs(struct senv *s)
{
	memset(s->e.mem + CERTS_GPA, 0xAB, 100);
}

/* ---- checks ---- */
static const char *fw_delta(struct senv *s, uint64_t want)
{
	struct fw_guest_stats st;
	fw_guest_stats(fx.g, &st);
	if (st.received - s->st0.received != want)
		return FAIL("firmware received %llu requests, want %llu",
			    (unsigned long long)(st.received - s->st0.received), (unsigned long long)want);
	return NULL;
}
static const char *c_fw_none(struct senv *s)
{
	return fw_delta(s, 0);
}
static const char *c_resp_ok(struct senv *s, uint8_t type)
{
	uint8_t out[2048];
	size_t n = 0;
	const char *w = "";
	if (th_decrypt(&fx.t, 0, type, s->e.mem + RESP_GPA, out, sizeof(out), &n, &w))
		return FAIL("response does not decrypt: %s", w);
	if (le32_load(out) != 0)
		return FAIL("payload status %#x", le32_load(out));
	if (type == SNP_MSG_REPORT_REQ && (n != SNP_REPORT_RSP_SIZE || out[SNP_REPORT_RSP_OFF_REPORT + 0x50] != 0x5A))
		return FAIL("report: size %zu or report data wrong", n);
	return fw_delta(s, 1);
}
static const char *c_report_ok(struct senv *s)
{
	return c_resp_ok(s, SNP_MSG_REPORT_REQ);
}
static const char *c_key_ok(struct senv *s)
{
	return c_resp_ok(s, SNP_MSG_KEY_REQ);
}
static const char *c_fw_rejected(struct senv *s)
{
	/* The firmware saw it, failed it, and left the response bounce page clear: zeros written back. */
	for (unsigned int i = 0; i < 4096; i++)
		if (s->e.mem[RESP_GPA + i])
			return FAIL("response byte %u = %#x", i, s->e.mem[RESP_GPA + i]);
	return fw_delta(s, 1);
}
static const char *c_report_ok_certs_zeroed(struct senv *s)
{
	for (unsigned int i = 0; i < 2 * 4096; i++)
		if (s->e.mem[CERTS_GPA + i] != (i < 24 ? 0 : 0xCC))
			return FAIL("cert page byte %u = %#x", i, s->e.mem[CERTS_GPA + i]);
	return c_report_ok(s);
}
static const char *c_report_ok_certs_untouched(struct senv *s)
{
	for (unsigned int i = 0; i < 2 * 4096; i++)
		if (s->e.mem[CERTS_GPA + i] != 0xCC)
			return FAIL("cert page byte %u = %#x", i, s->e.mem[CERTS_GPA + i]);
	return c_report_ok(s);
}
static const char *c_resp_untouched(struct senv *s)
{
	for (unsigned int i = 0; i < 4096; i++)
		if (s->e.mem[RESP_GPA + i] != 0xEE)
			return FAIL("response page written");
	return c_fw_none(s);
}
static const char *c_other_page_answered(struct senv *s)
{
	/* The NOT_REGISTERED answer is in the page the guest used, not the registered one. */
	const struct ghcb *g = (const struct ghcb *)(s->e.mem + 0x5000);
	if (ghcb_get_sw_exit_info_1(g) != 2 || ghcb_get_sw_exit_info_2(g) != GHCB_ERR_NOT_REGISTERED)
		return FAIL("answer not in the used page");
	return NULL;
}
static const char *c_target_vmsa(struct senv *s, int want_valid, uint64_t want_gpa, uint32_t want_req)
{
	uint64_t gpa = 0;
	int valid = hv_vcpu_snp_vmsa(s->target, &gpa);
	if (valid != want_valid || (valid && gpa != want_gpa))
		return FAIL("target VMSA valid %d gpa %#llx", valid, (unsigned long long)gpa);
	struct hv_ap_update u;
	if (hv_vcpu_ap_take_update(s->target, &u) != 1 || u.request != want_req || u.vmsa_gpa != want_gpa ||
	    u.creator_id != 0)
		return FAIL("pending update missing or wrong");
	if (hv_vcpu_ap_take_update(s->target, &u) != 0)
		return FAIL("update not cleared");
	return NULL;
}
static const char *c_ap_create(struct senv *s)
{
	return c_target_vmsa(s, 1, VMSA_GPA, SVM_VMGEXIT_AP_CREATE);
}
static const char *c_ap_create_on_init(struct senv *s)
{
	return c_target_vmsa(s, 1, VMSA_GPA, SVM_VMGEXIT_AP_CREATE_ON_INIT);
}
static const char *c_ap_destroy(struct senv *s)
{
	return c_target_vmsa(s, 0, 0, SVM_VMGEXIT_AP_DESTROY);
}
static const char *c_ap_untouched(struct senv *s)
{
	struct hv_ap_update u;
	if (hv_vcpu_snp_vmsa(s->target, NULL) != 0 || hv_vcpu_ap_take_update(s->target, &u) != 0)
		return FAIL("target changed by a refused request");
	return s->ap.calls ? FAIL("handler called") : NULL;
}
static const char *c_ap_handler_saw(struct senv *s)
{
	const struct hv_ap_request *r = &s->ap.req;
	if (s->ap.calls != 1 || r->apic_id != 7 || r->request != SVM_VMGEXIT_AP_CREATE || r->vmsa_gpa != VMSA_GPA ||
	    r->target != NULL)
		return FAIL("handler calls %d apic %u req %u", s->ap.calls, r->apic_id, r->request);
	return NULL;
}
static const char *c_ap_handler_target(struct senv *s)
{
	if (s->ap.calls != 1 || s->ap.req.target != s->target)
		return FAIL("handler did not get the existing target");
	return c_ap_create(s);
}
static const char *c_ap_on_demand(struct senv *s)
{
	if (!s->extra || s->ap.calls != 1)
		return FAIL("handler did not create the vCPU");
	return NULL;
}
static const char *c_new_page_works(struct senv *s)
{
	const struct ghcb *g = (const struct ghcb *)(s->e.mem + 0x5000);
	if (ghcb_get_sw_exit_info_1(g) != 0 || ghcb_get_sw_exit_info_2(g) != GHCB_HV_FT_SUPPORTED)
		return FAIL("re-registered page not answered");
	return NULL;
}
static const char *c_hold_msr_pending(struct senv *s)
{
	if (hv_vcpu_get_ghcb_msr(s->e.vcpu) != GHCB_MSR_AP_RESET_HOLD_RESP)
		return FAIL("GHCB MSR while held %#llx", (unsigned long long)hv_vcpu_get_ghcb_msr(s->e.vcpu));
	hv_vcpu_reset(s->e.vcpu); /* an INIT ends the hold instead of a SIPI */
	return hv_vcpu_exit_pending(s->e.vcpu) ? FAIL("hold survives reset") : NULL;
}

/* ---- preparations ---- */
static void prep_reg_other(struct senv *s)
{
	/* Register another page, then send the NAE through the formerly registered GHCB_GPA. */
	hv_vcpu_set_ghcb_msr(s->e.vcpu, ghcb_msr_reg_gpa_req(0x6000 >> 12));
	hv_vcpu_vmgexit(s->e.vcpu);
	hv_vcpu_set_ghcb_msr(s->e.vcpu, GHCB_GPA);
}
static void prep_use_other_page(struct senv *s)
{
	memcpy(s->e.mem + 0x5000, env_ghcb(&s->e), 4096);
	hv_vcpu_set_ghcb_msr(s->e.vcpu, 0x5000);
}
static void prep_reregister(struct senv *s)
{
	hv_vcpu_set_ghcb_msr(s->e.vcpu, ghcb_msr_reg_gpa_req(0x5000 >> 12));
	hv_vcpu_vmgexit(s->e.vcpu);
	memcpy(s->e.mem + 0x5000, env_ghcb(&s->e), 4096);
	hv_vcpu_set_ghcb_msr(s->e.vcpu, 0x5000);
}
static void prep_ghcb_private(struct senv *s)
{
	make_private(s, GHCB_GPA, 4096);
}
void snp_prep_out_desc_private(struct senv *s)
{
	make_private(s, OUT_DESC, 4096);
}
static void prep_vmsa_2m(struct senv *s)
{
	make_private(s, HIGH_GPA, 4096);
}
static void prep_vmsa_high(struct senv *s)
{
	make_private(s, HIGH_GPA + 4096, 4096);
}
static void prep_vmsa_shared(struct senv *s)
{
	s->npriv = 0;
}
static void prep_handler_reject(struct senv *s)
{
	s->ap.answer = -1;
}
static void prep_handler_create(struct senv *s)
{
	s->ap.create_target = true;
}
static void prep_busy_then_refill(struct senv *s)
{
	/* Refused once through the engine, then a second later the guest's identical resend is admitted. */
	prep_busy(s);
	uint8_t save[4096];
	memcpy(save, env_ghcb(&s->e), 4096);
	if (hv_vcpu_vmgexit(s->e.vcpu) != 1 ||
	    ghcb_get_sw_exit_info_2(env_ghcb(&s->e)) != SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0))
		return;
	memcpy(env_ghcb(&s->e), save, 4096);
	s->clock_ns += 1000000000ull;
}

/* ---- the table ---- */
static const struct srow rows[] = {
    /* GHCB registration (spec §1 step 5, §7; docs/architecture.md rule 1). */
    {"SNP NAE without REG_GPA -> NOT_REGISTERED", .opts = S_NOREG, .code = SVM_VMGEXIT_HV_FEATURES,
     MALF(GHCB_ERR_NOT_REGISTERED)},
    {"SNP NAE through another page than the registered one -> NOT_REGISTERED", .code = SVM_VMGEXIT_HV_FEATURES,
     .prep = prep_reg_other, MALF(GHCB_ERR_NOT_REGISTERED)},
    {"NOT_REGISTERED is written into the page the guest used", .code = SVM_VMGEXIT_HV_FEATURES,
     .prep = prep_use_other_page, .no_check = true, .check = c_other_page_answered},
    {"re-registering moves the GHCB: the new page works", .code = SVM_VMGEXIT_HV_FEATURES, .prep = prep_reregister,
     .no_check = true, .check = c_new_page_works},
    {"registered GHCB: HV_FEATURES -> SNP | AP_CREATION", .code = SVM_VMGEXIT_HV_FEATURES,
     .e2 = GHCB_HV_FT_SNP | GHCB_HV_FT_SNP_AP_CREATION},
    {"registration checked before validation (unknown code)", .opts = S_NOREG, .code = 0x3FF,
     MALF(GHCB_ERR_NOT_REGISTERED)},
    {"registered GHCB in a private page -> MEMORY_FAULT PRIVATE", .code = SVM_VMGEXIT_HV_FEATURES,
     .prep = prep_ghcb_private,
     .steps = {{SNPEMU_EXIT_MEMORY_FAULT, {SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, GHCB_GPA, 4096}, 0, 0, snp_act_unprivate}},
     .e2 = GHCB_HV_FT_SUPPORTED},
    {"MSR REG_GPA high gfn echoed", .msr = 0xFFFFFFFFFF012ull, .emsr = 0xFFFFFFFFFF013ull},
    {"MSR HV_FT on SNP advertises SNP and AP creation", .msr = GHCB_MSR_HV_FT_REQ, .emsr = 0x3081},
    /* AP creation (spec §12). */
    {"AP CREATE valid -> target VMSA set, update pending", .opts = S_PRIV, AP(1, 1), .info2 = VMSA_GPA,
     .rax_valid = true, .rax = SEV_FEAT, .check = c_ap_create},
    {"AP CREATE_ON_INIT valid -> pending until INIT", .opts = S_PRIV, AP(0, 1), .info2 = VMSA_GPA, .rax_valid = true,
     .rax = SEV_FEAT, .check = c_ap_create_on_init},
    {"AP DESTROY -> VMSA cleared, update pending", .opts = S_PRIV, AP(2, 1), .check = c_ap_destroy},
    {"AP CREATE with RAX != sev_features -> INVALID_INPUT", .opts = S_PRIV, AP(1, 1), .info2 = VMSA_GPA,
     .rax_valid = true, .rax = SEV_FEAT | 4, MALF(GHCB_ERR_INVALID_INPUT), .check = c_ap_untouched},
    {"AP CREATE VMSA 2 MiB-aligned (erratum) -> INVALID_INPUT", .opts = S_PRIV, AP(1, 1), .info2 = HIGH_GPA,
     .rax_valid = true, .rax = SEV_FEAT, .prep = prep_vmsa_2m, MALF(GHCB_ERR_INVALID_INPUT), .check = c_ap_untouched},
    {"AP CREATE VMSA one page past 2 MiB (private) -> accepted", .opts = S_PRIV, AP(1, 1), .info2 = HIGH_GPA + 4096,
     .rax_valid = true, .rax = SEV_FEAT, .prep = prep_vmsa_high},
    {"AP CREATE VMSA not page-aligned -> INVALID_INPUT", .opts = S_PRIV, AP(1, 1), .info2 = VMSA_GPA + 8,
     .rax_valid = true, .rax = SEV_FEAT, MALF(GHCB_ERR_INVALID_INPUT)},
    {"AP CREATE VMSA shared -> INVALID_INPUT", .opts = S_PRIV, AP(1, 1), .info2 = VMSA_GPA, .rax_valid = true,
     .rax = SEV_FEAT, .prep = prep_vmsa_shared, MALF(GHCB_ERR_INVALID_INPUT)},
    {"AP CREATE VMSA no slot backs -> INVALID_INPUT", .opts = S_PRIV, AP(1, 1), .info2 = UNBACKED_GPA + 0x1000,
     .rax_valid = true, .rax = SEV_FEAT, MALF(GHCB_ERR_INVALID_INPUT)},
    {"AP CREATE VMSA above MAXPHYADDR -> INVALID_INPUT", .opts = S_PRIV, AP(1, 1), .info2 = 1ull << 52 | VMSA_GPA,
     .rax_valid = true, .rax = SEV_FEAT, MALF(GHCB_ERR_INVALID_INPUT)},
    {"AP request 3 -> INVALID_INPUT", .opts = S_PRIV, AP(3, 1), .info2 = VMSA_GPA, .rax_valid = true, .rax = SEV_FEAT,
     MALF(GHCB_ERR_INVALID_INPUT)},
    {"AP unknown APIC ID, no handler -> INVALID_INPUT", .opts = S_PRIV, AP(1, 7), .info2 = VMSA_GPA, .rax_valid = true,
     .rax = SEV_FEAT, MALF(GHCB_ERR_INVALID_INPUT)},
    {"AP unknown APIC ID, handler accepts -> success, handler saw the request", .opts = S_PRIV | S_HANDLER, AP(1, 7),
     .info2 = VMSA_GPA, .rax_valid = true, .rax = SEV_FEAT, .check = c_ap_handler_saw},
    {"AP handler gets the existing target", .opts = S_PRIV | S_HANDLER, AP(1, 1), .info2 = VMSA_GPA, .rax_valid = true,
     .rax = SEV_FEAT, .check = c_ap_handler_target},
    {"AP handler rejects -> INVALID_INPUT", .opts = S_PRIV | S_HANDLER, AP(1, 7), .info2 = VMSA_GPA, .rax_valid = true,
     .rax = SEV_FEAT, .prep = prep_handler_reject, MALF(GHCB_ERR_INVALID_INPUT)},
    {"AP handler creates the vCPU on demand", .opts = S_PRIV | S_HANDLER, AP(1, 9), .info2 = VMSA_GPA,
     .rax_valid = true, .rax = SEV_FEAT, .prep = prep_handler_create, .check = c_ap_on_demand},
    {"AP checks run before the handler (bad RAX, handler not called)", .opts = S_PRIV | S_HANDLER, AP(1, 7),
     .info2 = VMSA_GPA, .rax_valid = true, .rax = 0, MALF(GHCB_ERR_INVALID_INPUT), .check = c_ap_untouched},
    {"MSR AP reset hold: MSR reads 0x007 while held, INIT drops it", .msr = GHCB_MSR_AP_RESET_HOLD_REQ,
     .steps = {{SNPEMU_EXIT_AP_RESET_HOLD, {0}, 0, 0, NULL}}, .no_check = true, .check = c_hold_msr_pending},
    /* Guest requests (spec §10; docs/architecture.md rule 6). */
    {"GUEST_REQUEST report -> firmware status 0, response decrypts", .opts = S_FW, SNP_GR(SVM_VMGEXIT_GUEST_REQUEST),
     .prep = prep_report, OK_GR, .check = c_report_ok},
    {"GUEST_REQUEST key -> success", .opts = S_FW, SNP_GR(SVM_VMGEXIT_GUEST_REQUEST), .prep = prep_key, OK_GR,
     .check = c_key_ok},
    {"GUEST_REQUEST bad tag -> SNP_GUEST_ERR(0, BAD_MEASUREMENT)", .opts = S_FW, SNP_GR(SVM_VMGEXIT_GUEST_REQUEST),
     .prep = prep_report_badtag, GR_ERR(0, SEV_RET_BAD_MEASUREMENT), .check = c_fw_rejected},
    {"GUEST_REQUEST replayed sequence number -> AEAD_OFLOW", .opts = S_FW, SNP_GR(SVM_VMGEXIT_GUEST_REQUEST),
     .prep = prep_report_replay, GR_ERR(0, SEV_RET_AEAD_OFLOW), .check = c_fw_rejected},
    {"GUEST_REQUEST firmware status passes through", .opts = S_FW, SNP_GR(SVM_VMGEXIT_GUEST_REQUEST),
     .prep = prep_inject, GR_ERR(0, SEV_RET_INVALID_GUEST_STATE), .check = c_fw_rejected},
    {"GUEST_REQUEST request page private -> MEMORY_FAULT PRIVATE, firmware not reached", .opts = S_FW,
     SNP_GR(SVM_VMGEXIT_GUEST_REQUEST), .prep = prep_report_req_private,
     .steps = {{SNPEMU_EXIT_MEMORY_FAULT, {SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, REQ_GPA, 4096}, 0, 0, NULL}},
     .no_check = true, .check = c_fw_none},
    {"GUEST_REQUEST response page private -> MEMORY_FAULT before the firmware", .opts = S_FW,
     SNP_GR(SVM_VMGEXIT_GUEST_REQUEST), .prep = prep_report_resp_private,
     .steps = {{SNPEMU_EXIT_MEMORY_FAULT, {SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, RESP_GPA, 4096}, 0, 0, NULL}},
     .no_check = true, .check = c_resp_untouched},
    {"GUEST_REQUEST private page converted -> retried -> success", .opts = S_FW, SNP_GR(SVM_VMGEXIT_GUEST_REQUEST),
     .prep = prep_report_resp_private,
     .steps = {{SNPEMU_EXIT_MEMORY_FAULT, {SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, RESP_GPA, 4096}, 0, 0, snp_act_unprivate}},
     OK_GR, .check = c_report_ok},
    {"GUEST_REQUEST request page unbacked -> MEMORY_FAULT", .opts = S_FW, .code = SVM_VMGEXIT_GUEST_REQUEST,
     .info1 = UNBACKED_GPA, .info2 = RESP_GPA,
     .steps = {{SNPEMU_EXIT_MEMORY_FAULT, {0, UNBACKED_GPA, 4096}, 0, 0, NULL}}, .no_check = true, .check = c_fw_none},
    {"GUEST_REQUEST over the rate limit -> BUSY, firmware not reached", .opts = S_FW | S_LIMIT1,
     SNP_GR(SVM_VMGEXIT_GUEST_REQUEST), .prep = prep_busy, GR_ERR(SNP_GUEST_VMM_ERR_BUSY, 0), .check = c_fw_none},
    {"EXT non-report request without RAX/RBX behaves like GUEST_REQUEST", .opts = S_FW | S_CERTS,
     SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .prep = prep_key, OK_GR, .check = c_key_ok},
    {"EXT report without RAX valid -> INVALID_INPUT", .opts = S_FW, SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST),
     .rbx_valid = true, .rbx = 1, .prep = prep_report, MALF(GHCB_ERR_INVALID_INPUT), .check = c_fw_none},
    {"EXT report without RBX valid -> INVALID_INPUT", .opts = S_FW, SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST),
     .rax_valid = true, .rax = CERTS_GPA, .prep = prep_report, MALF(GHCB_ERR_INVALID_INPUT), .check = c_fw_none},
    {"EXT report RAX not page-aligned -> INVALID_INPUT", .opts = S_FW, SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST),
     .rax_valid = true, .rbx_valid = true, .rax = CERTS_GPA + 8, .rbx = 1, .prep = prep_report,
     MALF(GHCB_ERR_INVALID_INPUT), .check = c_fw_none},
    {"EXT report, certificates off, RBX 0 -> success, pages untouched", .opts = S_FW,
     SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .rax_valid = true, .rbx_valid = true, .rax = CERTS_GPA, .rbx = 0,
     .prep = prep_report_certs_fill, OK_GR, .check = c_report_ok_certs_untouched},
    {"EXT report, certificates off, RBX 2 -> empty table (24 zero bytes)", .opts = S_FW,
     SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .rax_valid = true, .rbx_valid = true, .rax = CERTS_GPA, .rbx = 2,
     .prep = prep_report_certs_fill, OK_GR, .check = c_report_ok_certs_zeroed},
    {"EXT report -> SNP_REQ_CERTS {RAX, RBX}; ret 0 -> firmware", .opts = S_FW | S_CERTS,
     SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .rax_valid = true, .rbx_valid = true, .rax = CERTS_GPA, .rbx = 2,
     .prep = prep_report, .steps = {{SNPEMU_EXIT_SNP_REQ_CERTS, {CERTS_GPA, 2}, 0, 0, act_write_certs}}, OK_GR,
     .check = c_report_ok},
    {"SNP_REQ_CERTS ENOSPC -> INVALID_LEN, RBX = pages needed", .opts = S_FW | S_CERTS,
     SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .rax_valid = true, .rbx_valid = true, .rax = CERTS_GPA, .rbx = 1,
     .prep = prep_report, .steps = {{SNPEMU_EXIT_SNP_REQ_CERTS, {CERTS_GPA, 1}, ENOSPC, 4, NULL}},
     GR_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN, 0), .evalid = R_I1 | R_I2 | R_RBX, .check = c_fw_none},
    {"SNP_REQ_CERTS EAGAIN -> BUSY", .opts = S_FW | S_CERTS, SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .rax_valid = true,
     .rbx_valid = true, .rax = CERTS_GPA, .rbx = 1, .prep = prep_report,
     .steps = {{SNPEMU_EXIT_SNP_REQ_CERTS, {CERTS_GPA, 1}, EAGAIN, 0, NULL}}, GR_ERR(SNP_GUEST_VMM_ERR_BUSY, 0),
     .check = c_fw_none},
    {"SNP_REQ_CERTS EIO -> GENERIC", .opts = S_FW | S_CERTS, SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .rax_valid = true,
     .rbx_valid = true, .rax = CERTS_GPA, .rbx = 1, .prep = prep_report,
     .steps = {{SNPEMU_EXIT_SNP_REQ_CERTS, {CERTS_GPA, 1}, EIO, 0, NULL}}, GR_ERR(SNP_GUEST_VMM_ERR_GENERIC, 0),
     .check = c_fw_none},
    {"SNP_REQ_CERTS ret 99 -> INTERNAL_ERROR, then re-delivered, ret 0 -> success", .opts = S_FW | S_CERTS,
     SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .rax_valid = true, .rbx_valid = true, .rax = CERTS_GPA, .rbx = 3,
     .prep = prep_report,
     .steps =
	 {{SNPEMU_EXIT_SNP_REQ_CERTS, {CERTS_GPA, 3}, 99, 0, NULL},
	  {SNPEMU_EXIT_INTERNAL_ERROR, {HV_INTERNAL_ERROR_BAD_COMPLETION, SNPEMU_EXIT_SNP_REQ_CERTS, 99}, 0, 0, NULL},
	  {SNPEMU_EXIT_SNP_REQ_CERTS, {CERTS_GPA, 3}, 0, 0, NULL}},
     OK_GR, .check = c_report_ok},
    {"EXT report over the rate limit -> BUSY before the certificate exit", .opts = S_FW | S_LIMIT1,
     SNP_GR(SVM_VMGEXIT_EXT_GUEST_REQUEST), .rax_valid = true, .rbx_valid = true, .rax = CERTS_GPA, .rbx = 1,
     .prep = prep_busy_ext, GR_ERR(SNP_GUEST_VMM_ERR_BUSY, 0), .check = c_fw_none},
    {"BUSY, then a second later the identical resend is admitted (sequence in step)", .opts = S_FW | S_LIMIT1,
     SNP_GR(SVM_VMGEXIT_GUEST_REQUEST), .prep = prep_busy_then_refill, OK_GR, .check = c_report_ok},
};

static void write_psc(struct senv *s, const struct srow *r, uint64_t at)
{
	uint8_t *d = s->e.mem + at;
	if (!r->psc) { /* the full descriptor: 253 contiguous private 4K pages from gfn 0x1000 */
		psc_hdr_set(d, 0, VMGEXIT_PSC_MAX_ENTRY - 1);
		for (unsigned int i = 0; i < VMGEXIT_PSC_MAX_ENTRY; i++)
			psc_entry_store(d, i, PE(0x1000 + i, 1, 0, 0));
		return;
	}
	le64_store(d, r->psc[0]);
	for (unsigned int i = 1; i < r->npsc; i++)
		psc_entry_store(d, i - 1, r->psc[i]);
}

static const char *check_step(struct senv *s, const struct step *st)
{
	const struct snpemu_run *run = s->e.run;
	const uint64_t *a = st->a;
	switch (st->exit) {
	case SNPEMU_EXIT_HYPERCALL:
		if (run->hypercall.nr != 12 || run->hypercall.args[0] != a[0] || run->hypercall.args[1] != a[1] ||
		    run->hypercall.args[2] != a[2] || run->hypercall.ret != 0 || run->hypercall.flags != 0)
			return FAIL("hypercall nr %llu args %#llx %llu %#llx", (unsigned long long)run->hypercall.nr,
				    (unsigned long long)run->hypercall.args[0],
				    (unsigned long long)run->hypercall.args[1],
				    (unsigned long long)run->hypercall.args[2]);
		return NULL;
	case SNPEMU_EXIT_SNP_REQ_CERTS:
		if (run->snp_req_certs.gpa != a[0] || run->snp_req_certs.npages != a[1] || run->snp_req_certs.ret != 0)
			return FAIL("certs exit gpa %#llx npages %llu", (unsigned long long)run->snp_req_certs.gpa,
				    (unsigned long long)run->snp_req_certs.npages);
		return NULL;
	case SNPEMU_EXIT_MEMORY_FAULT:
		if (run->memory_fault.flags != a[0] || run->memory_fault.gpa != a[1] || run->memory_fault.size != a[2])
			return FAIL("memory fault %#llx %#llx %#llx", (unsigned long long)run->memory_fault.flags,
				    (unsigned long long)run->memory_fault.gpa,
				    (unsigned long long)run->memory_fault.size);
		return NULL;
	case SNPEMU_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror != a[0] || run->internal.ndata != 2 || run->internal.data[0] != a[1] ||
		    run->internal.data[1] != a[2])
			return FAIL("internal error %u", run->internal.suberror);
		return NULL;
	default:
		return NULL;
	}
}

static void answer_step(struct senv *s, const struct step *st)
{
	struct snpemu_run *run = s->e.run;
	if (st->exit == SNPEMU_EXIT_HYPERCALL)
		run->hypercall.ret = st->ret;
	if (st->exit == SNPEMU_EXIT_SNP_REQ_CERTS) {
		run->snp_req_certs.ret = st->ret;
		if (st->npages)
			run->snp_req_certs.npages = st->npages;
	}
	if (st->act)
		st->act(s);
}

static void setup_nae(struct senv *s, const struct srow *r)
{
	struct ghcb *g = env_ghcb(&s->e);
	env_nae(&s->e, r->code, r->info1, r->info2);
	if (r->rax_valid)
		ghcb_set_rax(g, r->rax);
	if (r->rbx_valid)
		ghcb_set_rbx(g, r->rbx);
	if (r->code == SVM_VMGEXIT_PSC) {
		uint64_t at = r->scratch ? r->scratch : SHBUF_GPA;
		ghcb_set_sw_scratch(g, at);
		write_psc(s, r, at);
	}
}

static const char *run_row(const struct srow *r)
{
	static struct senv s;
	memset(&s, 0, sizeof(s));
	if (env_init(&s.e, HV_VM_TYPE_SNP, 0, ENV_SEV_FEATURES | ((r->opts & S_HC) ? ENV_HC_ENABLE : 0)))
		return FAIL("env_init");
	const char *w = NULL;
	struct hv_vm *vm = s.e.vm;
	/* Its own page-state hook, a second slot at 2 MiB, a second vCPU (APIC ID 1). */
	if (hv_vm_set_host_access(vm, snp_hook, &s) || hv_vm_add_memslot(vm, 1, HIGH_GPA, sizeof(high_mem), high_mem) ||
	    hv_vcpu_create(vm, 1, &s.target)) {
		w = FAIL("setup");
		goto out;
	}
	if (r->opts & S_FW)
		hv_vm_set_firmware(vm, fx.g);
	if (r->opts & S_CERTS)
		hv_vm_enable_req_certs(vm, 1);
	if (r->opts & S_LIMIT1) {
		hv_vm_set_clock(vm, test_clock, &s);
		hv_vm_set_guest_req_limit(vm, 1, 1);
	}
	if (r->opts & S_PRIV)
		make_private(&s, VMSA_GPA, 4096);
	if (r->opts & S_HANDLER)
		hv_vm_set_ap_handler(vm, ap_handler, &s);
	if (r->opts & S_NOREG)
		hv_vcpu_reset(s.e.vcpu);
	if (r->msr) {
		hv_vcpu_set_ghcb_msr(s.e.vcpu, r->msr);
	} else {
		hv_vcpu_set_ghcb_msr(s.e.vcpu, GHCB_GPA);
		setup_nae(&s, r);
	}
	if (r->prep)
		r->prep(&s);
	fw_guest_stats(fx.g, &s.st0);
	int ret = hv_vcpu_vmgexit(s.e.vcpu);
	for (unsigned int i = 0; i < 4 && r->steps[i].exit; i++) {
		const struct step *st = &r->steps[i];
		if (ret != 0 || s.e.run->exit_reason != st->exit) {
			w = FAIL("step %u: ret %d exit %u, want exit %u", i, ret, s.e.run->exit_reason, st->exit);
			goto out;
		}
		if ((w = check_step(&s, st)))
			goto out;
		if (i + 1 < 4 && !r->steps[i + 1].exit && r->no_check && r->check) {
			/* A script that ends in an exit: check its state without resuming. */
			w = r->check(&s);
			goto out;
		}
		answer_step(&s, st);
		ret = hv_vcpu_vmgexit(s.e.vcpu);
	}
	if (ret != 1) {
		w = FAIL("ret %d exit %u, want resume", ret, s.e.run->exit_reason);
		goto out;
	}
	if (r->msr) {
		uint64_t m = hv_vcpu_get_ghcb_msr(s.e.vcpu);
		if (!r->no_check && m != r->emsr)
			w = FAIL("GHCB MSR %#llx want %#llx", (unsigned long long)m, (unsigned long long)r->emsr);
	} else if (!r->no_check) {
		struct ghcb *g = env_ghcb(&s.e);
		uint64_t i1 = ghcb_get_sw_exit_info_1(g), i2 = ghcb_get_sw_exit_info_2(g);
		if (i1 != r->e1 || i2 != r->e2) {
			w = FAIL("SW_EXITINFO1/2 = %#llx/%#llx want %#llx/%#llx", (unsigned long long)i1,
				 (unsigned long long)i2, (unsigned long long)r->e1, (unsigned long long)r->e2);
			goto out;
		}
		uint32_t want = r->evalid ? r->evalid : R_I1 | R_I2;
		uint32_t got = (ghcb_sw_exit_info_1_is_valid(g) ? R_I1 : 0) |
			       (ghcb_sw_exit_info_2_is_valid(g) ? R_I2 : 0) | (ghcb_rax_is_valid(g) ? R_RAX : 0) |
			       (ghcb_rbx_is_valid(g) ? R_RBX : 0);
		if (got != want || ghcb_rcx_is_valid(g) || ghcb_rdx_is_valid(g)) {
			w = FAIL("valid fields %#x want %#x", got, want);
			goto out;
		}
		if ((want & R_RBX) && ghcb_get_rbx(g) != r->steps[0].npages) {
			w = FAIL("RBX %llu", (unsigned long long)ghcb_get_rbx(g));
			goto out;
		}
		if (r->epsc) {
			const uint8_t *d = s.e.mem + (r->scratch ? r->scratch : SHBUF_GPA);
			if (le64_load(d) != r->epsc[0]) {
				w = FAIL("header %#llx want %#llx", (unsigned long long)le64_load(d),
					 (unsigned long long)r->epsc[0]);
				goto out;
			}
			for (unsigned int i = 1; i < r->npsc; i++)
				if (psc_entry_load(d, i - 1) != r->epsc[i]) {
					w = FAIL("entry %u %#llx", i - 1, (unsigned long long)psc_entry_load(d, i - 1));
					goto out;
				}
		}
	}
	if (r->check)
		w = r->check(&s);
out:
	fw_guest_inject(fx.g, &(struct fw_inject){0});
	hv_vcpu_destroy(s.target);
	hv_vcpu_destroy(s.extra);
	env_fini(&s.e);
	return w;
}

void conformance_snp_run(unsigned int *pass, unsigned int *fail)
{
	if (!fx_ready) {
		if (fixture_start(&fx, NULL)) {
			printf("FAIL SNP rows: firmware fixture\n");
			(*fail)++;
			return;
		}
		fx_ready = true;
	}
	const struct {
		const struct srow *rows;
		unsigned int n;
	} tables[] = {{rows, sizeof(rows) / sizeof(rows[0])}, {snp_psc_rows, snp_psc_row_count}};
	for (unsigned int t = 0; t < 2; t++) {
		for (unsigned int i = 0; i < tables[t].n; i++) {
			const struct srow *r = &tables[t].rows[i];
			const char *w = run_row(r);
			if (w) {
				printf("FAIL %s: %s\n", r->name, w);
				(*fail)++;
			} else {
				printf("PASS %s\n", r->name);
				(*pass)++;
			}
		}
	}
	fixture_stop(&fx);
	fx_ready = false;
}

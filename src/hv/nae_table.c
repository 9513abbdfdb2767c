/* SPDX-License-Identifier: MIT */
/*
 * NAE events: the validation table (KVM sev_es_validate_vmgexit, spec §3/§4), the GHCB snapshot (KVM
 * sev_es_sync_from_ghcb, spec §2.3) and the response commit.  A row per exit code the engine accepts, sorted by
 * code; anything else is GHCB_ERR_INVALID_EVENT.
 */
#include <errno.h>

#include <snpemu/abi/svm_exit.h>

#include "hv_internal.h"

const uint16_t hv_field_offset[HV_F_COUNT] = {
    [HV_F_CPL] = GHCB_OFF_CPL,
    [HV_F_XSS] = GHCB_OFF_XSS,
    [HV_F_RAX] = GHCB_OFF_RAX,
    [HV_F_RBX] = GHCB_OFF_RBX,
    [HV_F_RCX] = GHCB_OFF_RCX,
    [HV_F_RDX] = GHCB_OFF_RDX,
    [HV_F_RSI] = GHCB_OFF_RSI,
    [HV_F_EXIT_CODE] = GHCB_OFF_SW_EXIT_CODE,
    [HV_F_INFO1] = GHCB_OFF_SW_EXIT_INFO_1,
    [HV_F_INFO2] = GHCB_OFF_SW_EXIT_INFO_2,
    [HV_F_SCRATCH] = GHCB_OFF_SW_SCRATCH,
    [HV_F_XCR0] = GHCB_OFF_XCR0,
};

#define F(x) HV_FB(HV_F_##x)

/* CPUID: XCR0 is needed when RAX == 0xD, compared as KVM does on the whole 64-bit RAX. */
static uint32_t cpuid_cond(const struct hv_snapshot *s)
{
	return s->rax == 0xD ? F(XCR0) : 0;
}

/* IOIO: string forms need sw_scratch; a non-string OUT needs RAX. */
static uint32_t ioio_cond(const struct hv_snapshot *s)
{
	if (s->info1 & SVM_IOIO_STR_MASK)
		return F(SCRATCH);
	return (s->info1 & SVM_IOIO_TYPE_MASK) ? 0 : F(RAX);
}

/* MSR: a write (EXITINFO1 != 0) needs RAX and RDX. */
static uint32_t msr_cond(const struct hv_snapshot *s)
{
	return s->info1 ? F(RAX) | F(RDX) : 0;
}

/* AP creation: RAX (SEV_FEATURES) unless the request is AP_DESTROY. */
static uint32_t ap_creation_cond(const struct hv_snapshot *s)
{
	return SVM_VMGEXIT_AP_REQUEST(s->info1) == SVM_VMGEXIT_AP_DESTROY ? 0 : F(RAX);
}

/* Guest requests: request and response GPAs page-aligned and different. */
static bool guest_request_ok(const struct hv_snapshot *s)
{
	return !(s->info1 & ~HV_PAGE_MASK) && !(s->info2 & ~HV_PAGE_MASK) && s->info1 != s->info2;
}

const struct hv_nae_row hv_nae_rows[] = {
    {SVM_EXIT_READ_DR7, "READ_DR7", 0, 0, NULL, NULL, hv_nae_dr7_read},
    {SVM_EXIT_WRITE_DR7, "WRITE_DR7", F(RAX), 0, NULL, NULL, hv_nae_dr7_write},
    {SVM_EXIT_RDTSC, "RDTSC", 0, 0, NULL, NULL, hv_nae_rdtsc},
    {SVM_EXIT_RDPMC, "RDPMC", F(RCX), 0, NULL, NULL, hv_nae_rdpmc},
    {SVM_EXIT_CPUID, "CPUID", F(RAX) | F(RCX), 0, cpuid_cond, NULL, hv_nae_cpuid},
    {SVM_EXIT_INVD, "INVD", 0, 0, NULL, NULL, hv_nae_no_action},
    {SVM_EXIT_IOIO, "IOIO", 0, 0, ioio_cond, NULL, hv_nae_ioio},
    {SVM_EXIT_MSR, "MSR", F(RCX), 0, msr_cond, NULL, hv_nae_msr},
    {SVM_EXIT_VMMCALL, "VMMCALL", F(RAX) | F(CPL), 0, NULL, NULL, hv_nae_vmmcall},
    {SVM_EXIT_RDTSCP, "RDTSCP", 0, 0, NULL, NULL, hv_nae_rdtscp},
    {SVM_EXIT_WBINVD, "WBINVD", 0, 0, NULL, NULL, hv_nae_no_action},
    {SVM_EXIT_MONITOR, "MONITOR", F(RAX) | F(RCX) | F(RDX), 0, NULL, NULL, hv_nae_no_action},
    {SVM_EXIT_MWAIT, "MWAIT", F(RAX) | F(RCX), 0, NULL, NULL, hv_nae_no_action},
    {SVM_VMGEXIT_MMIO_READ, "MMIO_READ", F(SCRATCH), 0, NULL, NULL, hv_nae_mmio},
    {SVM_VMGEXIT_MMIO_WRITE, "MMIO_WRITE", F(SCRATCH), 0, NULL, NULL, hv_nae_mmio},
    {SVM_VMGEXIT_NMI_COMPLETE, "NMI_COMPLETE", 0, 0, NULL, NULL, hv_nae_no_action},
    {SVM_VMGEXIT_AP_HLT_LOOP, "AP_HLT_LOOP", 0, 0, NULL, NULL, hv_nae_ap_hlt_loop},
    {SVM_VMGEXIT_AP_JUMP_TABLE, "AP_JUMP_TABLE", 0, 0, NULL, NULL, hv_nae_ap_jump_table},
    {SVM_VMGEXIT_PSC, "PSC", F(SCRATCH), HV_ROW_SNP_ONLY, NULL, NULL, hv_nae_psc},
    {SVM_VMGEXIT_GUEST_REQUEST, "GUEST_REQUEST", 0, HV_ROW_SNP_ONLY, NULL, guest_request_ok, hv_nae_guest_request},
    /* RAX/RBX of the extended request are checked by its handler (INVALID_INPUT), spec §10. */
    {SVM_VMGEXIT_EXT_GUEST_REQUEST, "EXT_GUEST_REQUEST", 0, HV_ROW_SNP_ONLY, NULL, guest_request_ok,
     hv_nae_guest_request},
    {SVM_VMGEXIT_AP_CREATION, "AP_CREATION", 0, HV_ROW_SNP_ONLY, ap_creation_cond, NULL, hv_nae_ap_creation},
    {SVM_VMGEXIT_HV_FEATURES, "HV_FEATURES", 0, 0, NULL, NULL, hv_nae_hv_features},
    {SVM_VMGEXIT_TERM_REQUEST, "TERM_REQUEST", 0, 0, NULL, NULL, hv_nae_term_request},
    {SVM_VMGEXIT_UNSUPPORTED_EVENT, "UNSUPPORTED_EVENT", 0, 0, NULL, NULL, hv_nae_unsupported_event},
};
const unsigned int hv_nae_row_count = sizeof(hv_nae_rows) / sizeof(hv_nae_rows[0]);
_Static_assert(sizeof(hv_nae_rows) / sizeof(hv_nae_rows[0]) + 16 <= HV_STAT_SLOTS_MAX, "stats slots");

const struct hv_nae_row *hv_nae_lookup(uint64_t code)
{
	unsigned int lo = 0, hi = hv_nae_row_count;
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		if (hv_nae_rows[mid].code == code)
			return &hv_nae_rows[mid];
		if (hv_nae_rows[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void snapshot(struct hv_vcpu *v, struct ghcb *g)
{
	struct hv_snapshot *s = &v->snap;
	uint8_t bitmap[16];
	for (unsigned int i = 0; i < 16; i++)
		bitmap[i] = g->bytes[GHCB_OFF_VALID_BITMAP + i];
	uint32_t valid = 0;
	for (unsigned int f = 0; f < HV_F_COUNT; f++)
		if (ghcb_bitmap_test(bitmap, GHCB_BITMAP_IDX(hv_field_offset[f])))
			valid |= HV_FB(f);
	s->valid = valid;
	s->usage = ghcb_get_usage(g);
	/* KVM copies the exit code and infos unconditionally, the rest only if valid (else 0). */
	s->exit_code = ghcb_get_sw_exit_code(g);
	s->info1 = ghcb_get_sw_exit_info_1(g);
	s->info2 = ghcb_get_sw_exit_info_2(g);
	s->cpl = (valid & F(CPL)) ? ghcb_get_cpl(g) : 0;
	s->rax = (valid & F(RAX)) ? ghcb_get_rax(g) : 0;
	s->rbx = (valid & F(RBX)) ? ghcb_get_rbx(g) : 0;
	s->rcx = (valid & F(RCX)) ? ghcb_get_rcx(g) : 0;
	s->rdx = (valid & F(RDX)) ? ghcb_get_rdx(g) : 0;
	s->rsi = (valid & F(RSI)) ? ghcb_get_rsi(g) : 0;
	s->xcr0 = (valid & F(XCR0)) ? ghcb_get_xcr0(g) : 0;
	s->xss = (valid & F(XSS)) ? ghcb_get_xss(g) : 0;
	s->scratch = (valid & F(SCRATCH)) ? ghcb_get_sw_scratch(g) : 0;
	ghcb_clear_valid_bitmap(g);

	/* KVM 6.18+: XCR0 goes through __kvm_set_xcr (invalid values ignored), XSS through the MSR path. */
	if ((valid & F(XCR0)) && hv_xcr0_acceptable(v, s->xcr0))
		v->xcr0 = s->xcr0;
	if (valid & F(XSS))
		v->xss = s->xss;
}

/* sev_es_validate_vmgexit: 0 or the GHCB_ERR_* reason. */
static uint64_t validate(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	if (s->usage != GHCB_USAGE_DEFAULT)
		return GHCB_ERR_INVALID_USAGE;
	const uint32_t base = F(EXIT_CODE) | F(INFO1) | F(INFO2);
	if ((s->valid & base) != base)
		return GHCB_ERR_MISSING_INPUT;
	const struct hv_nae_row *row = hv_nae_lookup(s->exit_code);
	if (!row)
		return GHCB_ERR_INVALID_EVENT;
	v->row = row;
	v->stat_slot = (unsigned int)(row - hv_nae_rows);
	/* Every per-code failure is MISSING_INPUT: KVM presets the reason before its switch (spec §4). */
	if ((row->flags & HV_ROW_SNP_ONLY) && !hv_vm_is_snp(v->vm))
		return GHCB_ERR_MISSING_INPUT;
	uint32_t need = row->required | (row->cond_required ? row->cond_required(s) : 0);
	if ((s->valid & need) != need)
		return GHCB_ERR_MISSING_INPUT;
	if (row->cond_ok && !row->cond_ok(s))
		return GHCB_ERR_MISSING_INPUT;
	return 0;
}

int hv_nae_begin(struct hv_vcpu *v)
{
	v->stat_slot = hv_stat_slot_other();
	v->row = NULL;
	v->scratch.active = false;
	uint8_t *page = hv_mem_map(v, v->snap.ghcb_gpa, GHCB_PAGE_SIZE);
	if (!page) /* KVM resumes silently here; DESIGN rule 3 asks for a MEMORY_FAULT exit. */
		return hv_exit_memory_fault(v, hv_nae_begin);
	snapshot(v, (struct ghcb *)page);
	/* svm_vmgexit_success(svm, 0): SW_EXITINFO1 = SW_EXITINFO2 = 0 preset (spec §1 step 7). */
	v->resp = (struct hv_resp){.fields = F(INFO1) | F(INFO2)};
	/* SNP: only the GHCB registered with REG_GPA may carry NAEs (spec §1 step 5, after the snapshot).  KVM fails
	 * KVM_RUN with -EINVAL; we answer the guest in the page it used (DESIGN rule 1). */
	if (hv_vm_is_snp(v->vm) && (!v->ghcb_registered || v->registered_ghcb_gpa != v->snap.ghcb_gpa))
		return hv_nae_error(v, GHCB_ERR_NOT_REGISTERED);
	uint64_t reason = validate(v);
	if (reason)
		return hv_nae_error(v, reason);
	return v->row->handler(v);
}

void hv_resp_set(struct hv_vcpu *v, enum hv_field f, uint64_t value)
{
	struct hv_resp *r = &v->resp;
	r->fields |= HV_FB(f);
	switch (f) {
	case HV_F_INFO1:
		r->info1 = value;
		break;
	case HV_F_INFO2:
		r->info2 = value;
		break;
	case HV_F_RAX:
		r->rax = value;
		break;
	case HV_F_RBX:
		r->rbx = value;
		break;
	case HV_F_RCX:
		r->rcx = value;
		break;
	case HV_F_RDX:
		r->rdx = value;
		break;
	default:
		r->fields &= ~HV_FB(f); /* not a response field */
		break;
	}
}

int hv_nae_finish(struct hv_vcpu *v)
{
	struct hv_scratch *sc = &v->scratch;
	if (sc->active && sc->sync && sc->len) {
		/* KVM writes the buffer back at the next VMRUN (sev_es_unmap_ghcb); a failure is the host's. */
		if (hv_mem_write(v, sc->gpa, sc->buf, sc->len))
			return hv_exit_memory_fault(v, hv_nae_finish);
	}
	uint8_t *page = hv_mem_map(v, v->snap.ghcb_gpa, GHCB_PAGE_SIZE);
	if (!page)
		return hv_exit_memory_fault(v, hv_nae_finish);
	sc->active = false;
	struct ghcb *g = (struct ghcb *)page;
	const struct hv_resp *r = &v->resp;
	ghcb_set_sw_exit_info_1(g, r->info1);
	ghcb_set_sw_exit_info_2(g, r->info2);
	if (r->fields & F(RAX))
		ghcb_set_rax(g, r->rax);
	if (r->fields & F(RBX))
		ghcb_set_rbx(g, r->rbx);
	if (r->fields & F(RCX))
		ghcb_set_rcx(g, r->rcx);
	if (r->fields & F(RDX))
		ghcb_set_rdx(g, r->rdx);
	return 1;
}

int hv_nae_error(struct hv_vcpu *v, uint64_t reason)
{
	/* svm_vmgexit_bad_input: only the two info fields (registers produced so far are dropped). */
	v->resp =
	    (struct hv_resp){.fields = F(INFO1) | F(INFO2), .info1 = GHCB_HV_RESP_MALFORMED_INPUT, .info2 = reason};
	v->scratch.sync = false;
	return hv_nae_finish(v);
}

int hv_nae_exception(struct hv_vcpu *v, uint64_t evtinj)
{
	v->resp =
	    (struct hv_resp){.fields = F(INFO1) | F(INFO2), .info1 = GHCB_HV_RESP_ISSUE_EXCEPTION, .info2 = evtinj};
	v->scratch.sync = false;
	return hv_nae_finish(v);
}

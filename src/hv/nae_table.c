/* SPDX-License-Identifier: MIT */
/*
 * NAE events: the validation table (KVM sev_es_validate_vmgexit, spec §3/§4), the GHCB snapshot (KVM
 * sev_es_sync_from_ghcb, spec §2.3) and the response commit.  A row per exit code the engine accepts, sorted by
 * code; anything else is GHCB_ERR_INVALID_EVENT.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

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

/* One row per exit code the engine accepts, sorted by code (hv_nae_index_build checks it).  A new NAE event is one
 * row here; its index entry and its statistics slot follow from the table. */
const struct hv_nae_row hv_nae_rows[] = {
    {.code = SVM_EXIT_READ_DR7, .name = "READ_DR7", .handler = hv_nae_dr7_read},
    {.code = SVM_EXIT_WRITE_DR7, .name = "WRITE_DR7", .required = F(RAX), .handler = hv_nae_dr7_write},
    {.code = SVM_EXIT_RDTSC, .name = "RDTSC", .handler = hv_nae_rdtsc},
    {.code = SVM_EXIT_RDPMC, .name = "RDPMC", .required = F(RCX), .handler = hv_nae_rdpmc},
    {.code = SVM_EXIT_CPUID,
     .name = "CPUID",
     .required = F(RAX) | F(RCX),
     .cond_required = cpuid_cond,
     .handler = hv_nae_cpuid},
    {.code = SVM_EXIT_INVD, .name = "INVD", .handler = hv_nae_no_action},
    {.code = SVM_EXIT_IOIO, .name = "IOIO", .cond_required = ioio_cond, .handler = hv_nae_ioio},
    {.code = SVM_EXIT_MSR, .name = "MSR", .required = F(RCX), .cond_required = msr_cond, .handler = hv_nae_msr},
    {.code = SVM_EXIT_VMMCALL, .name = "VMMCALL", .required = F(RAX) | F(CPL), .handler = hv_nae_vmmcall},
    {.code = SVM_EXIT_RDTSCP, .name = "RDTSCP", .handler = hv_nae_rdtscp},
    {.code = SVM_EXIT_WBINVD, .name = "WBINVD", .handler = hv_nae_no_action},
    {.code = SVM_EXIT_MONITOR, .name = "MONITOR", .required = F(RAX) | F(RCX) | F(RDX), .handler = hv_nae_no_action},
    {.code = SVM_EXIT_MWAIT, .name = "MWAIT", .required = F(RAX) | F(RCX), .handler = hv_nae_no_action},
    {.code = SVM_VMGEXIT_MMIO_READ, .name = "MMIO_READ", .required = F(SCRATCH), .handler = hv_nae_mmio},
    {.code = SVM_VMGEXIT_MMIO_WRITE, .name = "MMIO_WRITE", .required = F(SCRATCH), .handler = hv_nae_mmio},
    {.code = SVM_VMGEXIT_NMI_COMPLETE, .name = "NMI_COMPLETE", .handler = hv_nae_no_action},
    {.code = SVM_VMGEXIT_AP_HLT_LOOP, .name = "AP_HLT_LOOP", .handler = hv_nae_ap_hlt_loop},
    {.code = SVM_VMGEXIT_AP_JUMP_TABLE, .name = "AP_JUMP_TABLE", .handler = hv_nae_ap_jump_table},
    {.code = SVM_VMGEXIT_PSC, .name = "PSC", .required = F(SCRATCH), .flags = HV_ROW_SNP_ONLY, .handler = hv_nae_psc},
    {.code = SVM_VMGEXIT_GUEST_REQUEST,
     .name = "GUEST_REQUEST",
     .flags = HV_ROW_SNP_ONLY,
     .cond_ok = guest_request_ok,
     .handler = hv_nae_guest_request},
    /* RAX/RBX of the extended request are checked by its handler (INVALID_INPUT), spec §10. */
    {.code = SVM_VMGEXIT_EXT_GUEST_REQUEST,
     .name = "EXT_GUEST_REQUEST",
     .flags = HV_ROW_SNP_ONLY,
     .cond_ok = guest_request_ok,
     .handler = hv_nae_guest_request},
    {.code = SVM_VMGEXIT_AP_CREATION,
     .name = "AP_CREATION",
     .flags = HV_ROW_SNP_ONLY,
     .cond_required = ap_creation_cond,
     .handler = hv_nae_ap_creation},
    {.code = SVM_VMGEXIT_HV_FEATURES, .name = "HV_FEATURES", .handler = hv_nae_hv_features},
    {.code = SVM_VMGEXIT_TERM_REQUEST, .name = "TERM_REQUEST", .handler = hv_nae_term_request},
    {.code = SVM_VMGEXIT_UNSUPPORTED_EVENT, .name = "UNSUPPORTED_EVENT", .handler = hv_nae_unsupported_event},
};
#define ROW_COUNT (sizeof(hv_nae_rows) / sizeof(hv_nae_rows[0]))
const unsigned int hv_nae_row_count = ROW_COUNT;
_Static_assert(ROW_COUNT + 16 <= HV_STAT_SLOTS_MAX, "stats slots");
_Static_assert(ROW_COUNT < 255, "index entries are uint8_t row + 1");

/* The index slot of an exit code: the codes fall in three dense ranges (architectural exits, VMGEXIT events at
 * 0x80000000, the GHCB-spec events ending at 0x8000FFFF), so a VMGEXIT finds its row with one load instead of a
 * search.  -1 for a code outside the ranges. */
static long index_slot(uint64_t code)
{
	if (code < HV_NAE_INDEX_ARCH)
		return (long)code;
	if (code >= 0x80000000ull && code < 0x80000000ull + HV_NAE_INDEX_VMGEXIT)
		return (long)(HV_NAE_INDEX_ARCH + (code - 0x80000000ull));
	if (code >= 0x80010000ull - HV_NAE_INDEX_HIGH && code <= 0x8000FFFFull)
		return (long)(HV_NAE_INDEX_ARCH + HV_NAE_INDEX_VMGEXIT + (code - (0x80010000ull - HV_NAE_INDEX_HIGH)));
	return -1;
}

void hv_nae_index_build(struct hv_nae_index *ix)
{
	memset(ix, 0, sizeof(*ix));
	for (unsigned int i = 0; i < ROW_COUNT; i++) {
		long slot = index_slot(hv_nae_rows[i].code);
		/* Internal invariants of the table above, not guest input. */
		assert(slot >= 0 && !ix->row[slot]);
		assert(i == 0 || hv_nae_rows[i - 1].code < hv_nae_rows[i].code);
		ix->row[slot] = (uint8_t)(i + 1);
	}
}

const struct hv_nae_row *hv_nae_lookup(const struct hv_nae_index *ix, uint64_t code)
{
	long slot = index_slot(code);
	unsigned int id = slot < 0 ? 0 : ix->row[slot];
	return id ? &hv_nae_rows[id - 1] : NULL;
}

static void snapshot(struct hv_vcpu *v, struct ghcb *g)
{
	struct hv_snapshot *s = &v->snap;
	/* The 128-bit valid bitmap as two little-endian words; each field's bit is its offset / 8. */
	const uint64_t lo = le64_load(g->bytes + GHCB_OFF_VALID_BITMAP);
	const uint64_t hi = le64_load(g->bytes + GHCB_OFF_VALID_BITMAP + 8);
	/* Constant shifts per field (no loop): this runs on every NAE. */
#define TAKE(f, off)                                                                  \
	((uint32_t)((GHCB_BITMAP_IDX(off) < 64 ? lo >> (GHCB_BITMAP_IDX(off) & 63)    \
					       : hi >> (GHCB_BITMAP_IDX(off) & 63)) & \
		    1u)                                                               \
	 << (f))
	const uint32_t valid = TAKE(HV_F_CPL, GHCB_OFF_CPL) | TAKE(HV_F_XSS, GHCB_OFF_XSS) |
			       TAKE(HV_F_RAX, GHCB_OFF_RAX) | TAKE(HV_F_RBX, GHCB_OFF_RBX) |
			       TAKE(HV_F_RCX, GHCB_OFF_RCX) | TAKE(HV_F_RDX, GHCB_OFF_RDX) |
			       TAKE(HV_F_RSI, GHCB_OFF_RSI) | TAKE(HV_F_EXIT_CODE, GHCB_OFF_SW_EXIT_CODE) |
			       TAKE(HV_F_INFO1, GHCB_OFF_SW_EXIT_INFO_1) | TAKE(HV_F_INFO2, GHCB_OFF_SW_EXIT_INFO_2) |
			       TAKE(HV_F_SCRATCH, GHCB_OFF_SW_SCRATCH) | TAKE(HV_F_XCR0, GHCB_OFF_XCR0);
#undef TAKE
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
	const struct hv_nae_row *row = hv_nae_lookup(&v->vm->nae_index, s->exit_code);
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
	if (!page) /* KVM resumes silently here; docs/architecture.md rule 3 asks for a MEMORY_FAULT exit. */
		return hv_exit_memory_fault(v, hv_nae_begin);
	v->ghcb_page = page;
	snapshot(v, (struct ghcb *)page);
	/* svm_vmgexit_success(svm, 0): SW_EXITINFO1 = SW_EXITINFO2 = 0 preset (spec §1 step 7). */
	v->resp = (struct hv_resp){.fields = F(INFO1) | F(INFO2)};
	/* SNP: only the GHCB registered with REG_GPA may carry NAEs (spec §1 step 5, after the snapshot).  KVM fails
	 * KVM_RUN with -EINVAL; we answer the guest in the page it used (docs/architecture.md rule 1). */
	if (hv_vm_is_snp(v->vm) && (!v->ghcb_registered || v->registered_ghcb_gpa != v->snap.ghcb_gpa))
		return hv_nae_error(v, GHCB_ERR_NOT_REGISTERED);
	uint64_t reason = validate(v);
	if (reason)
		return hv_nae_error(v, reason);
	return v->row->handler(v);
}

int hv_nae_finish(struct hv_vcpu *v)
{
	struct hv_scratch *sc = &v->scratch;
	if (sc->active && sc->sync && sc->len) {
		/* KVM writes the buffer back at the next VMRUN (sev_es_unmap_ghcb); a failure is the host's. */
		if (hv_mem_write(v, sc->gpa, sc->buf, sc->len))
			return hv_exit_memory_fault(v, hv_nae_finish);
	}
	/* The mapping of this call's hv_nae_begin is still good (slots cannot change under cfg_lock); after an
	 * exit the page is mapped again. */
	uint8_t *page = v->ghcb_page ? v->ghcb_page : hv_mem_map(v, v->snap.ghcb_gpa, GHCB_PAGE_SIZE);
	if (!page)
		return hv_exit_memory_fault(v, hv_nae_finish);
	sc->active = false;
	/* Only produced fields are written and marked valid; KVM writes RAX..RDX back on every NAE (spec §2.3),
	 * stale or not, which the GHCB spec does not ask for. */
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

/* SPDX-License-Identifier: MIT */
/*
 * SNP page-state changes (spec §8; KVM snp_begin_psc_msr, snp_begin_psc, snp_complete_one_psc): the MSR-protocol
 * request and the NAE descriptor walk, both turned into KVM_HC_MAP_GPA_RANGE HYPERCALL exits.  The engine never
 * changes page ownership itself: the VMM converts the range and answers in hypercall.ret (hv.h).
 */
#include <errno.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/fw.h>

#include "hv_internal.h"

static bool psc_exits_enabled(const struct hv_vcpu *v)
{
	/* user_exit_on_hypercall(kvm, KVM_HC_MAP_GPA_RANGE) */
	return (v->vm->hypercall_exits & (1ull << SNPEMU_HC_MAP_GPA_RANGE)) != 0;
}

/* KVM leaves hypercall.flags unwritten on both PSC paths; we clear it so no stale LONG_MODE bit remains. */
static void exit_map_gpa_range(struct hv_vcpu *v, uint64_t gpa, uint64_t npages, uint64_t attrs)
{
	hv_exit_map_gpa_range(v, gpa, npages, attrs, 0);
}

/* ---- MSR protocol (snp_begin_psc_msr / snp_complete_psc_msr) ---- */

static int msr_psc_complete(struct hv_vcpu *v)
{
	v->ghcb_msr = v->run->hypercall.ret ? (GHCB_MSR_PSC_RESP_ERROR | GHCB_MSR_PSC_RESP) : GHCB_MSR_PSC_RESP;
	return 1;
}

int hv_msr_psc(struct hv_vcpu *v, uint64_t msr)
{
	unsigned int op = ghcb_msr_psc_op(msr);
	if (!psc_exits_enabled(v) || (op != GHCB_MSR_PSC_OP_PRIVATE && op != GHCB_MSR_PSC_OP_SHARED)) {
		v->ghcb_msr = GHCB_MSR_PSC_RESP_ERROR | GHCB_MSR_PSC_RESP;
		return 1;
	}
	uint64_t attrs =
	    op == GHCB_MSR_PSC_OP_PRIVATE ? SNPEMU_MAP_GPA_RANGE_ENCRYPTED : SNPEMU_MAP_GPA_RANGE_DECRYPTED;
	exit_map_gpa_range(v, ghcb_msr_psc_gfn(msr) << 12, 1, attrs | SNPEMU_MAP_GPA_RANGE_PAGE_SZ_4K);
	v->complete = msr_psc_complete;
	return 0;
}

/* ---- NAE (snp_begin_psc and friends) ---- */

/* snp_complete_psc: SW_EXITINFO1 = 0, the status in SW_EXITINFO2; the descriptor copy is written back (sync). */
static int psc_finish(struct hv_vcpu *v, uint64_t status)
{
	v->ev.psc.inflight = 0;
	hv_resp_set(v, HV_F_INFO1, 0);
	hv_resp_set(v, HV_F_INFO2, status);
	return hv_nae_finish(v);
}

/* __snp_complete_one_psc: the entries in flight are done. */
static void psc_complete_inflight(struct hv_vcpu *v)
{
	uint8_t *d = v->scratch.buf;
	unsigned int idx = v->ev.psc.idx;
	for (unsigned int n = v->ev.psc.inflight; n; n--, idx++) {
		uint64_t e = psc_entry_load(d, idx);
		psc_entry_store(d, idx, psc_entry_set_cur_page(e, psc_entry_pagesize(e) ? 512u : 1u));
	}
	v->ev.psc.inflight = 0;
	le16_store(d + PSC_OFF_CUR_ENTRY, (uint16_t)idx);
}

static int psc_next_range(struct hv_vcpu *v);

static int psc_complete_one(struct hv_vcpu *v)
{
	if (v->run->hypercall.ret)
		return psc_finish(v, VMGEXIT_PSC_ERROR_GENERIC);
	psc_complete_inflight(v);
	return psc_next_range(v);
}

static int psc_next_range(struct hv_vcpu *v)
{
	uint8_t *d = v->scratch.buf;
	/* A loop instead of KVM's goto: each pass completes at least one entry or exits, so it ends. */
	for (;;) {
		unsigned int idx = psc_hdr_cur_entry(d);
		unsigned int end = psc_hdr_end_entry(d);
		/* The copy holds max_entries entries (sized by the header read first); a larger end_entry in the
		 * copy can only come from a guest rewriting the header between the two reads. */
		if (end >= VMGEXIT_PSC_MAX_ENTRY || end >= v->ev.psc.max_entries)
			return psc_finish(v, VMGEXIT_PSC_ERROR_INVALID_HDR);

		uint64_t gfn = 0, npages = 0, first = 0;
		bool huge = false;
		for (; idx <= end; idx++, le16_store(d + PSC_OFF_CUR_ENTRY, (uint16_t)(psc_hdr_cur_entry(d) + 1))) {
			first = psc_entry_load(d, idx);
			gfn = psc_entry_gfn(first);
			huge = psc_entry_pagesize(first);
			npages = huge ? 512 : 1;
			unsigned int cur = psc_entry_cur_page(first);
			if (cur > npages || (gfn & (npages - 1)))
				return psc_finish(v, VMGEXIT_PSC_ERROR_INVALID_ENTRY);
			if (cur) {
				/* A partly done 2 MiB entry goes on as 4 KiB pages (it is split from here on). */
				npages -= cur;
				gfn += cur;
				huge = false;
			}
			if (npages)
				break;
		}
		if (idx > end)
			return psc_finish(v, 0);

		v->ev.psc.idx = (uint16_t)idx;
		v->ev.psc.inflight = 1;
		unsigned int op = psc_entry_op(first);
		/* Coalesce following entries with the same operation and page size, not started, contiguous with the
		 * range so far.  KVM compares with the first entry's unadjusted gfn, which merges a non-adjacent entry
		 * after a partly done one; we compare with the range actually covered. */
		while (++idx <= end) {
			uint64_t e = psc_entry_load(d, idx);
			if (psc_entry_op(e) != op || psc_entry_gfn(e) != gfn + npages || psc_entry_cur_page(e) ||
			    (psc_entry_pagesize(e) != 0) != huge)
				break;
			v->ev.psc.inflight++;
			npages += huge ? 512 : 1;
		}

		if (op == SNP_PAGE_STATE_PRIVATE || op == SNP_PAGE_STATE_SHARED) {
			uint64_t attrs = op == SNP_PAGE_STATE_PRIVATE ? SNPEMU_MAP_GPA_RANGE_ENCRYPTED
								      : SNPEMU_MAP_GPA_RANGE_DECRYPTED;
			/* KVM takes the page size from the first entry's bit; a partly done 2 MiB entry is being
			 * handled as 4 KiB pages here, so we report the size actually used. */
			attrs |= huge ? SNPEMU_MAP_GPA_RANGE_PAGE_SZ_2M : SNPEMU_MAP_GPA_RANGE_PAGE_SZ_4K;
			exit_map_gpa_range(v, gfn << 12, npages, attrs);
			v->complete = psc_complete_one;
			return 0;
		}
		/* PSMASH, UNSMASH and anything else: nothing for the hypervisor to convert; complete them (KVM). */
		psc_complete_inflight(v);
	}
}

static int psc_begin_walk(struct hv_vcpu *v)
{
	/* First the header alone, to learn how many entries to copy. */
	int r = hv_scratch_setup(v, PSC_HDR_SIZE, true);
	if (r != HV_CONTINUE)
		return r;
	if (!psc_exits_enabled(v))
		return psc_finish(v, VMGEXIT_PSC_ERROR_GENERIC);
	unsigned int end = psc_hdr_end_entry(v->scratch.buf);
	if (end >= VMGEXIT_PSC_MAX_ENTRY)
		return psc_finish(v, VMGEXIT_PSC_ERROR_INVALID_HDR);
	/* KVM sizes the scratch area with SW_EXITINFO2 (0 for Linux guests) and indexes entries without checking
	 * them against it; we copy exactly the header and entries 0..end_entry through the scratch rules. */
	uint64_t len = PSC_OFF_ENTRY(end + 1);
	r = hv_scratch_setup(v, len, true);
	if (r != HV_CONTINUE)
		return r;
	v->ev.psc.max_entries = (uint16_t)(end + 1);
	v->ev.psc.inflight = 0;
	return psc_next_range(v);
}

int hv_nae_psc(struct hv_vcpu *v)
{
	return psc_begin_walk(v);
}

/* ---- helpers for a VMM whose page-state map is the firmware RMP (hv.h) ---- */

int hv_fw_rmp_host_access(void *rmp, uint64_t gpa, uint64_t len)
{
	return fw_rmp_host_may_access(rmp, gpa, len, NULL) ? 0 : -EACCES;
}

int hv_map_gpa_range_apply(struct fw_rmp *rmp, const struct snpemu_run *run)
{
	if (!rmp || !run || run->exit_reason != SNPEMU_EXIT_HYPERCALL || run->hypercall.nr != SNPEMU_HC_MAP_GPA_RANGE)
		return -EINVAL;
	bool private_ = (run->hypercall.args[2] & SNPEMU_MAP_GPA_RANGE_ENCRYPTED) != 0;
	return fw_rmp_set_private(rmp, run->hypercall.args[0], run->hypercall.args[1], private_);
}

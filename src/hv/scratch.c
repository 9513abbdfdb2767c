/* SPDX-License-Identifier: MIT */
/*
 * Scratch area (KVM setup_vmgexit_scratch, spec §5).  Guest mistakes are answered INVALID_SCRATCH_AREA; a GPA no
 * slot backs or a private page becomes a MEMORY_FAULT exit, where KVM fails KVM_RUN with -EFAULT (docs/architecture.md
 * rule 3); a failed allocation returns -ENOMEM as KVM does, retried by the next hv_vcpu_vmgexit.  Unlike KVM, an area
 * inside the GHCB is copied too, so handlers never read guest memory twice.
 */
#include "hv_internal.h"

static int retry_handler(struct hv_vcpu *v)
{
	return v->row->handler(v);
}

int hv_scratch_setup(struct hv_vcpu *v, uint64_t len, bool sync)
{
	struct hv_scratch *sc = &v->scratch;
	const uint64_t scratch = v->snap.scratch;
	const uint64_t ghcb = v->snap.ghcb_gpa;
	sc->active = false;
	if (!scratch || scratch + len < scratch)
		return hv_nae_error(v, GHCB_ERR_INVALID_SCRATCH_AREA);
	if ((scratch & HV_PAGE_MASK) == ghcb) {
		/* Inside the GHCB: [scratch, scratch+len) must lie in the shared buffer 0x800..0xFEF. */
		if (!ghcb_range_in_shared_buffer(scratch - ghcb, len))
			return hv_nae_error(v, GHCB_ERR_INVALID_SCRATCH_AREA);
	} else if (len > v->vm->cfg.scratch_limit) {
		return hv_nae_error(v, GHCB_ERR_INVALID_SCRATCH_AREA);
	}
	if (len > sc->cap) {
		uint64_t cap = (len + HV_PAGE_SIZE - 1) & HV_PAGE_MASK;
		uint8_t *buf = hv_host_realloc(v, sc->buf, cap);
		if (!buf)
			return hv_exit_enomem(v, retry_handler);
		sc->buf = buf;
		sc->cap = cap;
	}
	if (len && hv_mem_read(v, scratch, sc->buf, len))
		return hv_exit_memory_fault(v, retry_handler);
	sc->gpa = scratch;
	sc->len = len;
	sc->sync = sync;
	sc->active = true;
	return HV_CONTINUE;
}

void hv_scratch_release(struct hv_vcpu *v)
{
	v->scratch.active = false;
}

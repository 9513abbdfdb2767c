/* SPDX-License-Identifier: MIT */
/*
 * MMIO read/write NAE (spec §6): GPA in SW_EXITINFO1, length in SW_EXITINFO2, data in the scratch area; exits of
 * at most 8 bytes each, looped as KVM's complete_sev_es_emulated_mmio.
 */
#include <string.h>

#include <snpemu/abi/svm_exit.h>

#include "hv_internal.h"

static int mmio_next(struct hv_vcpu *v);

static int mmio_complete(struct hv_vcpu *v)
{
	struct hv_mmio_state *m = &v->ev.mmio;
	if (!m->write)
		memcpy(v->scratch.buf + m->done, v->run->mmio.data, m->chunk);
	m->done += m->chunk;
	return mmio_next(v);
}

static int mmio_next(struct hv_vcpu *v)
{
	struct hv_mmio_state *m = &v->ev.mmio;
	if (m->done == m->len)
		return hv_nae_finish(v);
	uint64_t left = m->len - m->done;
	m->chunk = left < 8 ? (uint32_t)left : 8u;
	struct snpemu_run *run = v->run;
	run->exit_reason = SNPEMU_EXIT_MMIO;
	run->mmio.phys_addr = m->gpa + m->done;
	run->mmio.len = m->chunk;
	run->mmio.is_write = m->write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (m->write)
		memcpy(run->mmio.data, v->scratch.buf + m->done, m->chunk);
	v->complete = mmio_complete;
	return 0;
}

int hv_nae_mmio(struct hv_vcpu *v)
{
	const struct hv_snapshot *s = &v->snap;
	bool write = s->exit_code == SVM_VMGEXIT_MMIO_WRITE;
	int r = hv_scratch_setup(v, s->info2, !write);
	if (r != HV_CONTINUE)
		return r;
	v->ev.mmio = (struct hv_mmio_state){.gpa = s->info1, .len = s->info2, .write = write};
	return mmio_next(v);
}

/* SPDX-License-Identifier: MIT */
/*
 * The VMM's own section payloads of the migration stream (docs/migration.md, "The VMM stream") and the back
 * channel's message header.  Each layout is one field walk (common/field_walk.h) used for both directions.  These
 * are parsers of bytes from the peer: decode never trusts a value it has not checked (fuzz/vmm_migrate_state.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/field_walk.h"
#include "vmm/migrate_internal.h"

static int refuse(char *why, size_t why_len, const char *what)
{
	if (why && why_len)
		snprintf(why, why_len, "%s", what);
	return -EPROTO;
}

static void config_walk(struct field_walk *w, struct vmm_mig_config *c, uint32_t *version)
{
	uint32_t reserved = 0;
	field_walk_u32(w, version);
	field_walk_u32(w, &c->vm_type);
	field_walk_u32(w, &c->vcpus);
	field_walk_u32(w, &c->flags);
	field_walk_u32(w, &c->product);
	field_walk_u32(w, &reserved);
	field_walk_u64(w, &c->mem_size);
	if (w->decode && reserved)
		w->overflow = true; /* reserved bytes must be zero: refused like a wrong length */
}

int vmm_mig_config_encode(const struct vmm_mig_config *c, uint8_t *buf, size_t cap, size_t *len)
{
	struct vmm_mig_config copy = *c;
	uint32_t version = VMM_MIG_STATE_VERSION;
	struct field_walk w = field_walk_encoder(buf, cap);
	config_walk(&w, &copy, &version);
	if (w.overflow)
		return -ENOSPC;
	*len = w.off;
	return 0;
}

int vmm_mig_config_decode(const uint8_t *buf, size_t len, struct vmm_mig_config *c, char *why, size_t why_len)
{
	uint32_t version = 0;
	memset(c, 0, sizeof(*c));
	struct field_walk w = field_walk_decoder(buf, len);
	config_walk(&w, c, &version);
	if (!field_walk_exact(&w))
		return refuse(why, why_len, "CONFIG section: wrong length or reserved bytes set");
	if (version != VMM_MIG_STATE_VERSION)
		return refuse(why, why_len, "CONFIG section: unknown version");
	if (c->vm_type != HV_VM_TYPE_SNP)
		return refuse(why, why_len, "CONFIG section: not an SEV-SNP VM");
	if (!c->vcpus || c->vcpus > SNPEMU_MAX_VCPUS)
		return refuse(why, why_len, "CONFIG section: vCPU count out of range");
	if (c->flags & ~VMM_MIG_CONFIG_VC)
		return refuse(why, why_len, "CONFIG section: unknown flags");
	if (c->mem_size < SNPEMU_MIN_MEM || c->mem_size % (2ull << 20) || c->mem_size > (64ull << 30))
		return refuse(why, why_len, "CONFIG section: memory size out of range");
	if (c->product >= FW_PRODUCT_COUNT)
		return refuse(why, why_len, "CONFIG section: unknown product line");
	return 0;
}

static void segment_walk(struct field_walk *w, struct vmm_segment *s)
{
	uint32_t sel = s->selector, attrib = s->attrib, reserved = 0;
	field_walk_u32(w, &sel);
	field_walk_u32(w, &attrib);
	field_walk_u32(w, &s->limit);
	field_walk_u32(w, &reserved);
	field_walk_u64(w, &s->base);
	if (w->decode) {
		/* Out-of-range values are refused, never truncated into something else. */
		if (sel > 0xFFFF || attrib > 0xFFFF || reserved)
			w->overflow = true;
		s->selector = (uint16_t)sel;
		s->attrib = (uint16_t)attrib;
	}
}

static void dtable_walk(struct field_walk *w, struct vmm_dtable *d)
{
	uint32_t limit = d->limit, reserved = 0;
	field_walk_u64(w, &d->base);
	field_walk_u32(w, &limit);
	field_walk_u32(w, &reserved);
	if (w->decode) {
		if (limit > 0xFFFF || reserved)
			w->overflow = true;
		d->limit = (uint16_t)limit;
	}
}

/* x87/SSE state: u32 FCW, FSW, abridged tag, last opcode; u64 last IP, last DP; ST0-7 as 16-byte slots (80 bits
 * used); XMM0-15; u32 MXCSR, u32 0.  Values wider than their register, MXCSR's reserved bits 31:16 and the
 * unused bytes of an ST slot are refused (FXRSTOR would #GP on such an MXCSR). */
static void fpu_walk(struct field_walk *w, struct vmm_fpu *f)
{
	uint32_t fcw = f->fcw, fsw = f->fsw, ftwx = f->ftwx, fop = f->last_opcode, reserved = 0;
	field_walk_u32(w, &fcw);
	field_walk_u32(w, &fsw);
	field_walk_u32(w, &ftwx);
	field_walk_u32(w, &fop);
	field_walk_u64(w, &f->last_ip);
	field_walk_u64(w, &f->last_dp);
	field_walk_bytes(w, f->fpr, sizeof(f->fpr));
	field_walk_bytes(w, f->xmm, sizeof(f->xmm));
	field_walk_u32(w, &f->mxcsr);
	field_walk_u32(w, &reserved);
	if (w->decode) {
		if (fcw > 0xFFFF || fsw > 0xFFFF || ftwx > 0xFF || fop > 0x7FF || (f->mxcsr >> 16) || reserved)
			w->overflow = true;
		for (unsigned i = 0; i < 8; i++)
			for (unsigned b = 10; b < 16; b++)
				if (f->fpr[i][b])
					w->overflow = true;
		f->fcw = (uint16_t)fcw;
		f->fsw = (uint16_t)fsw;
		f->ftwx = (uint8_t)ftwx;
		f->last_opcode = (uint16_t)fop;
	}
}

static void vcpu_walk(struct field_walk *w, struct vmm_vcpu_state *st, uint32_t *version)
{
	field_walk_u32(w, version);
	field_walk_u32(w, &st->valid);
	field_walk_u32(w, &st->id);
	field_walk_u32(w, &st->ap_state);
	uint64_t *r = &st->regs.rax;
	_Static_assert(sizeof(struct vmm_regs) == 18 * sizeof(uint64_t), "vmm_regs is 18 registers");
	for (unsigned i = 0; i < 18; i++)
		field_walk_u64(w, &r[i]);
	struct vmm_segment *segs[] = {&st->sregs.cs, &st->sregs.ds, &st->sregs.es, &st->sregs.fs,
				      &st->sregs.gs, &st->sregs.ss, &st->sregs.tr, &st->sregs.ldtr};
	for (unsigned i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		segment_walk(w, segs[i]);
	dtable_walk(w, &st->sregs.gdtr);
	dtable_walk(w, &st->sregs.idtr);
	field_walk_u64(w, &st->sregs.cr0);
	field_walk_u64(w, &st->sregs.cr2);
	field_walk_u64(w, &st->sregs.cr3);
	field_walk_u64(w, &st->sregs.cr4);
	field_walk_u64(w, &st->sregs.efer);
	field_walk_u64(w, &st->ghcb_msr);
	field_walk_u64(w, &st->tsc);
	fpu_walk(w, &st->fpu);
}

int vmm_mig_vcpu_encode(const struct vmm_vcpu_state *st, const uint8_t *engine, size_t engine_len, uint8_t *buf,
			size_t cap, size_t *len)
{
	struct vmm_vcpu_state copy = *st;
	uint32_t version = VMM_MIG_STATE_VERSION;
	struct field_walk w = field_walk_encoder(buf, cap);
	vcpu_walk(&w, &copy, &version);
	field_walk_bytes(&w, (void *)(uintptr_t)engine, engine_len);
	if (w.overflow)
		return -ENOSPC;
	*len = w.off;
	return 0;
}

#define CR0_PE	 (1ull << 0)
#define CR0_PG	 (1ull << 31)
#define EFER_LMA (1ull << 10)

int vmm_mig_vcpu_decode(const uint8_t *buf, size_t len, uint32_t nvcpus, struct vmm_vcpu_state *st,
			const uint8_t **engine, char *why, size_t why_len)
{
	uint32_t version = 0;
	memset(st, 0, sizeof(*st));
	if (len != VMM_MIG_VCPU_SIZE)
		return refuse(why, why_len, "VCPU section: wrong length");
	struct field_walk w = field_walk_decoder(buf, VMM_MIG_VCPU_REGS_SIZE);
	vcpu_walk(&w, st, &version);
	if (!field_walk_exact(&w))
		return refuse(why, why_len, "VCPU section: a selector, limit or reserved field out of range");
	if (version != VMM_MIG_STATE_VERSION)
		return refuse(why, why_len, "VCPU section: unknown version");
	if (st->valid & ~VMM_VCPU_STATE_KNOWN)
		return refuse(why, why_len, "VCPU section: unknown state parts");
	if (st->id >= nvcpus)
		return refuse(why, why_len, "VCPU section: vCPU id out of range");
	if (st->ap_state > VMM_AP_ENDED)
		return refuse(why, why_len, "VCPU section: unknown AP state");
	const uint32_t cpu = VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS | VMM_VCPU_STATE_FPU;
	if (st->ap_state == VMM_AP_RUNNING &&
	    ((st->valid & cpu) != cpu || (st->sregs.cs.selector & 3u) != 3u || (st->sregs.ss.selector & 3u) != 3u ||
	     (st->sregs.cr0 & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG) || !(st->sregs.efer & EFER_LMA)))
		return refuse(why, why_len, "VCPU section: a running vCPU without a complete 64-bit CPL-3 CPU state");
	*engine = buf + VMM_MIG_VCPU_REGS_SIZE;
	return 0;
}

int vmm_mig_msg_check(const uint8_t hdr[VMM_MIG_MSG_HDR_SIZE], uint32_t want_type, uint32_t *len)
{
	uint32_t type = le32_load(hdr), n = le32_load(hdr + 4);
	if (type != want_type)
		return -EPROTO;
	if (type == VMM_MIG_MSG_OFFER ? n == 0 || n > FW_MIGRATE_MSG_MAX : n != 4)
		return -EPROTO;
	*len = n;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Live migration of the engine's state (contract: hv.h, "Live migration"): what a guest can observe of the
 * engine, per VM and per vCPU, as a versioned byte string.  Each direction captures the state into a plain
 * structure under the engine's locks, and one field walk per structure (vm_walk, vcpu_walk) encodes or decodes it,
 * so the two directions cannot disagree on the layout.  Import checks the whole decoded structure before it
 * touches the engine: a refused import changes nothing.
 */
#include <errno.h>
#include <string.h>

#include "common/field_walk.h"
#include "hv_internal.h"

#define PICO 1000000000000ull /* rate_limit.c: pico-tokens per token */

struct vm_state {
	uint32_t version, type;
	uint64_t sev_features;
	uint64_t hypercall_exits;
	uint32_t req_certs;
	uint32_t rl_burst;
	uint64_t rl_millirate, rl_level, rl_since_ns;
	uint64_t ap_jump_table;
	uint64_t tsc_ns;
	uint32_t nslots;
	uint64_t counts[HV_STAT_SLOTS_MAX];
};

static void vm_walk(struct field_walk *w, struct vm_state *s)
{
	field_walk_u32(w, &s->version);
	field_walk_u32(w, &s->type);
	field_walk_u64(w, &s->sev_features);
	field_walk_u64(w, &s->hypercall_exits);
	field_walk_u32(w, &s->req_certs);
	field_walk_u32(w, &s->rl_burst);
	field_walk_u64(w, &s->rl_millirate);
	field_walk_u64(w, &s->rl_level);
	field_walk_u64(w, &s->rl_since_ns);
	field_walk_u64(w, &s->ap_jump_table);
	field_walk_u64(w, &s->tsc_ns);
	field_walk_u32(w, &s->nslots);
	/* The count is checked before the array is walked: a decoded nslots never indexes past counts[]. */
	if (s->nslots > HV_STAT_SLOTS_MAX) {
		w->overflow = true;
		return;
	}
	for (uint32_t i = 0; i < s->nslots; i++)
		field_walk_u64(w, &s->counts[i]);
}

static unsigned int stat_slots(void)
{
	return hv_nae_row_count + hv_msr_proto_row_count + 1;
}

int hv_vm_state_export(struct hv_vm *vm, uint8_t *buf, size_t cap, size_t *len)
{
	if (!vm || !buf || !len)
		return -EINVAL;
	struct vm_state s = {.version = HV_STATE_VERSION, .type = vm->cfg.type, .sev_features = vm->cfg.sev_features};
	pthread_rwlock_rdlock(&vm->cfg_lock);
	s.hypercall_exits = vm->hypercall_exits;
	s.req_certs = vm->req_certs;
	pthread_rwlock_unlock(&vm->cfg_lock);
	pthread_mutex_lock(&vm->rl.lock);
	s.rl_millirate = vm->rl.millirate;
	s.rl_burst = vm->rl.burst;
	s.rl_level = vm->rl.level;
	if (vm->rl.millirate) {
		uint64_t now = vm->rl.clock(vm->rl.clock_ctx);
		s.rl_since_ns = now > vm->rl.last_ns ? now - vm->rl.last_ns : 0;
	}
	pthread_mutex_unlock(&vm->rl.lock);
	s.ap_jump_table = atomic_load(&vm->ap_jump_table);
	s.tsc_ns = hv_now_ns() - vm->tsc_epoch_ns + vm->tsc_carry_ns;
	s.nslots = stat_slots();
	struct hv_exit_stat st[HV_STAT_SLOTS_MAX];
	size_t n = hv_vm_get_stats(vm, st, HV_STAT_SLOTS_MAX);
	for (size_t i = 0; i < n && i < HV_STAT_SLOTS_MAX; i++)
		s.counts[i] = st[i].count;
	struct field_walk w = field_walk_encoder(buf, cap);
	vm_walk(&w, &s);
	if (w.overflow)
		return -ENOSPC;
	*len = w.off;
	return 0;
}

int hv_vm_state_import(struct hv_vm *vm, const uint8_t *buf, size_t len)
{
	if (!vm || (!buf && len))
		return -EINVAL;
	struct vm_state s;
	memset(&s, 0, sizeof(s));
	struct field_walk w = field_walk_decoder(buf, len);
	vm_walk(&w, &s);
	if (!field_walk_exact(&w) || s.version != HV_STATE_VERSION || s.type != vm->cfg.type ||
	    s.sev_features != vm->cfg.sev_features || s.nslots != stat_slots() ||
	    (s.hypercall_exits & ~HV_HYPERCALL_EXIT_VALID_MASK) || s.req_certs > 1 ||
	    s.rl_millirate > 1000ull * HV_GUEST_REQ_LIMIT_MAX || s.rl_burst > HV_GUEST_REQ_LIMIT_MAX ||
	    (s.rl_millirate && !s.rl_burst) || s.rl_level > (uint64_t)s.rl_burst * PICO)
		return -EPROTO;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	vm->hypercall_exits = s.hypercall_exits;
	vm->req_certs = s.req_certs != 0;
	pthread_rwlock_unlock(&vm->cfg_lock);
	pthread_mutex_lock(&vm->rl.lock);
	vm->rl.millirate = s.rl_millirate;
	vm->rl.burst = s.rl_burst;
	vm->rl.level = s.rl_level;
	/* The bucket refills from where it was: its last refill lies as far back as it did at the source. */
	vm->rl.last_ns = s.rl_millirate ? vm->rl.clock(vm->rl.clock_ctx) - s.rl_since_ns : 0;
	pthread_mutex_unlock(&vm->rl.lock);
	atomic_store(&vm->ap_jump_table, s.ap_jump_table);
	/* RDTSC: hv_now_ns() - tsc_epoch_ns + tsc_carry_ns continues at s.tsc_ns. */
	vm->tsc_carry_ns = s.tsc_ns - (hv_now_ns() - vm->tsc_epoch_ns);
	pthread_mutex_lock(&vm->vcpus_lock);
	for (uint32_t i = 0; i < s.nslots; i++)
		vm->retired_count[i] += s.counts[i];
	pthread_mutex_unlock(&vm->vcpus_lock);
	return 0;
}

#define VCPU_REGISTERED	 (1u << 0)
#define VCPU_VMSA_VALID	 (1u << 1)
#define VCPU_AP_PENDING	 (1u << 2)
#define VCPU_TERMINATED	 (1u << 3)
#define VCPU_RESET_HOLD	 (1u << 4)
#define VCPU_FLAGS_KNOWN 0x1Fu

struct vcpu_state {
	uint32_t version, id;
	uint64_t ghcb_msr;
	uint32_t flags, reserved;
	uint64_t registered_gpa, vmsa_gpa;
	uint32_t ap_request, ap_creator;
	uint64_t ap_vmsa_gpa;
	uint64_t xcr0, xss;
};

static void vcpu_walk(struct field_walk *w, struct vcpu_state *s)
{
	field_walk_u32(w, &s->version);
	field_walk_u32(w, &s->id);
	field_walk_u64(w, &s->ghcb_msr);
	field_walk_u32(w, &s->flags);
	field_walk_u32(w, &s->reserved);
	field_walk_u64(w, &s->registered_gpa);
	field_walk_u64(w, &s->vmsa_gpa);
	field_walk_u32(w, &s->ap_request);
	field_walk_u32(w, &s->ap_creator);
	field_walk_u64(w, &s->ap_vmsa_gpa);
	field_walk_u64(w, &s->xcr0);
	field_walk_u64(w, &s->xss);
}

int hv_vcpu_state_export(struct hv_vcpu *v, uint8_t *buf, size_t cap, size_t *len)
{
	if (!v || !buf || !len)
		return -EINVAL;
	bool held = v->complete && v->run->exit_reason == SNPEMU_EXIT_AP_RESET_HOLD;
	if (v->complete && !held)
		return -EBUSY; /* an exit in flight: the vCPU is not at a pause point */
	struct vcpu_state s = {.version = HV_STATE_VERSION,
			       .id = v->id,
			       .ghcb_msr = v->ghcb_msr,
			       .registered_gpa = v->registered_ghcb_gpa,
			       .xcr0 = v->xcr0,
			       .xss = v->xss};
	s.flags = (v->ghcb_registered ? VCPU_REGISTERED : 0) | (v->terminated ? VCPU_TERMINATED : 0) |
		  (held ? VCPU_RESET_HOLD : 0);
	pthread_mutex_lock(&v->ap_lock);
	s.flags |= (v->vmsa_valid ? VCPU_VMSA_VALID : 0) | (v->ap_pending ? VCPU_AP_PENDING : 0);
	s.vmsa_gpa = v->vmsa_gpa;
	s.ap_request = v->ap_update.request;
	s.ap_creator = v->ap_update.creator_id;
	s.ap_vmsa_gpa = v->ap_update.vmsa_gpa;
	pthread_mutex_unlock(&v->ap_lock);
	struct field_walk w = field_walk_encoder(buf, cap);
	vcpu_walk(&w, &s);
	if (w.overflow)
		return -ENOSPC;
	*len = w.off;
	return 0;
}

int hv_vcpu_state_import(struct hv_vcpu *v, const uint8_t *buf, size_t len)
{
	if (!v || (!buf && len))
		return -EINVAL;
	struct vcpu_state s;
	memset(&s, 0, sizeof(s));
	struct field_walk w = field_walk_decoder(buf, len);
	vcpu_walk(&w, &s);
	if (!field_walk_exact(&w) || s.version != HV_STATE_VERSION || (s.flags & ~VCPU_FLAGS_KNOWN) || s.reserved ||
	    (s.registered_gpa & 0xFFF) || (s.vmsa_gpa & 0xFFF) || (s.ap_vmsa_gpa & 0xFFF) ||
	    ((s.flags & VCPU_TERMINATED) && (s.flags & VCPU_RESET_HOLD)))
		return -EPROTO;
	if (s.id != v->id)
		return -EINVAL;
	if (v->complete)
		return -EBUSY;
	v->ghcb_msr = s.ghcb_msr;
	v->ghcb_registered = s.flags & VCPU_REGISTERED;
	v->registered_ghcb_gpa = s.registered_gpa;
	v->terminated = s.flags & VCPU_TERMINATED;
	v->xcr0 = s.xcr0;
	v->xss = s.xss;
	if (s.flags & VCPU_RESET_HOLD)
		v->run->exit_reason = SNPEMU_EXIT_AP_RESET_HOLD; /* held; no continuation (hv.h) */
	pthread_mutex_lock(&v->ap_lock);
	v->vmsa_valid = s.flags & VCPU_VMSA_VALID;
	v->vmsa_gpa = s.vmsa_gpa;
	v->ap_pending = s.flags & VCPU_AP_PENDING;
	v->ap_update = (struct hv_ap_update){s.ap_request, s.ap_creator, s.ap_vmsa_gpa};
	pthread_mutex_unlock(&v->ap_lock);
	return 0;
}

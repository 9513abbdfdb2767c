/* SPDX-License-Identifier: MIT */
/* vCPU object and the VMGEXIT entry point (hv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/msr_proto.h>

#include "hv_internal.h"

static uint64_t reset_ghcb_msr(const struct hv_vm *vm)
{
	/* KVM loads the SEV_INFO response into the GHCB MSR at vCPU RESET (spec §7). */
	return ghcb_msr_sev_info(vm->cfg.ghcb_version, GHCB_PROTOCOL_MIN, vm->cfg.cbit);
}

int hv_vcpu_create(struct hv_vm *vm, uint32_t id, struct hv_vcpu **out)
{
	if (!vm || !out)
		return -EINVAL;
	*out = NULL;
	struct hv_vcpu *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->run = aligned_alloc(4096, sizeof(struct snpemu_run));
	if (!v->run) {
		free(v);
		return -ENOMEM;
	}
	memset(v->run, 0, sizeof(*v->run));
	if (pthread_mutex_init(&v->ap_lock, NULL)) {
		free(v->run);
		free(v);
		return -ENOMEM;
	}
	v->vm = vm;
	v->id = id;
	v->ghcb_msr = reset_ghcb_msr(vm);
	v->xcr0 = 1; /* x87 only, the architectural reset value */

	pthread_mutex_lock(&vm->vcpus_lock);
	for (struct hv_vcpu *o = vm->vcpus; o; o = o->next) {
		if (o->id == id) {
			pthread_mutex_unlock(&vm->vcpus_lock);
			pthread_mutex_destroy(&v->ap_lock);
			free(v->run);
			free(v);
			return -EEXIST;
		}
	}
	v->next = vm->vcpus;
	vm->vcpus = v;
	vm->nr_vcpus++;
	pthread_mutex_unlock(&vm->vcpus_lock);
	*out = v;
	return 0;
}

void hv_vcpu_destroy(struct hv_vcpu *v)
{
	if (!v)
		return;
	struct hv_vm *vm = v->vm;
	pthread_mutex_lock(&vm->vcpus_lock);
	for (struct hv_vcpu **pp = &vm->vcpus; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	vm->nr_vcpus--;
	for (unsigned int i = 0; i < HV_STAT_SLOTS_MAX; i++) {
		vm->retired_count[i] += atomic_load_explicit(&v->stats[i].count, memory_order_relaxed);
		vm->retired_ticks[i] += atomic_load_explicit(&v->stats[i].ticks, memory_order_relaxed);
	}
	pthread_mutex_unlock(&vm->vcpus_lock);
	free(v->scratch.buf);
	free(v->gr_req);
	free(v->gr_resp);
	pthread_mutex_destroy(&v->ap_lock);
	free(v->run);
	free(v);
}

struct snpemu_run *hv_vcpu_run(struct hv_vcpu *v)
{
	return v ? v->run : NULL;
}

uint64_t hv_vcpu_get_ghcb_msr(const struct hv_vcpu *v)
{
	return v ? v->ghcb_msr : 0;
}

int hv_vcpu_set_ghcb_msr(struct hv_vcpu *v, uint64_t value)
{
	if (!v)
		return -EINVAL;
	if (v->complete)
		return -EBUSY;
	v->ghcb_msr = value;
	return 0;
}

int hv_vcpu_exit_pending(const struct hv_vcpu *v)
{
	return v && v->complete != NULL;
}

void hv_vcpu_reset(struct hv_vcpu *v)
{
	if (!v)
		return;
	v->complete = NULL;
	v->terminated = false;
	v->scratch.active = false;
	v->ghcb_registered = false;
	v->registered_ghcb_gpa = 0;
	v->xcr0 = 1;
	v->xss = 0;
	v->ghcb_msr = reset_ghcb_msr(v->vm);
}

static int vmgexit_begin(struct hv_vcpu *v)
{
	uint64_t msr = v->ghcb_msr;
	v->event_is_nae = false;
	v->event = msr & GHCB_MSR_INFO_MASK ? HV_EVENT_MSR_PROTOCOL | (msr & GHCB_MSR_INFO_MASK) : HV_EVENT_NONE;
	if (msr & GHCB_MSR_INFO_MASK)
		return hv_msr_protocol(v, msr);
	if (!msr) {
		/* KVM logs and resumes: there is no page to answer in (spec §1 step 2). */
		v->stat_slot = hv_stat_slot_other();
		return 1;
	}
	v->snap.ghcb_gpa = msr;
	v->snap.exit_code = HV_EVENT_NONE; /* until the snapshot is taken */
	v->event_is_nae = true;
	return hv_nae_begin(v);
}

uint64_t hv_vcpu_last_event(const struct hv_vcpu *v)
{
	return v->event_is_nae ? v->snap.exit_code : v->event;
}

int hv_vcpu_vmgexit(struct hv_vcpu *v)
{
	if (!v)
		return -EINVAL;
	const bool timed = !(v->vm->cfg.flags & HV_VM_FLAG_NO_EXIT_TIMING);
	uint64_t t0 = timed ? hv_stat_ticks() : 0;
	int ret;
	bool first = false;
	pthread_rwlock_rdlock(&v->vm->cfg_lock);
	if (v->complete) {
		hv_step_fn fn = v->complete;
		v->complete = NULL;
		ret = fn(v);
	} else {
		first = true;
		ret = vmgexit_begin(v);
	}
	v->ghcb_page = NULL;
	pthread_rwlock_unlock(&v->vm->cfg_lock);
	/* Only this thread writes its counters; atomics let the VMM read them concurrently. */
	struct hv_stat_counter *c = &v->stats[v->stat_slot];
	if (first)
		atomic_store_explicit(&c->count, atomic_load_explicit(&c->count, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	if (timed)
		atomic_store_explicit(&c->ticks,
				      atomic_load_explicit(&c->ticks, memory_order_relaxed) + (hv_stat_ticks() - t0),
				      memory_order_relaxed);
	return ret;
}

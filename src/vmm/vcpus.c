/* SPDX-License-Identifier: MIT */
/*
 * The vCPU threads every backend shares (src/vmm/backend.h): start (the BSP at run time, an AP on AP creation),
 * the run until the VM stops, kick-and-join, pause points and pause_all / resume_all, and the part of a vCPU's
 * state the VMM itself holds.  The backend only makes code run (start_vcpu, run_vcpu, kick).
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "vmm/vmm_internal.h"

#define JOIN_RETRY_NS	 (50 * 1000 * 1000)	     /* kick again while a vCPU thread has not returned */
#define PAUSE_TIMEOUT_NS (2ull * 1000 * 1000 * 1000) /* pause_all gives up after this */
#define PAUSE_RETRY_NS	 (1000 * 1000)

struct timespec vmm_deadline_in(uint64_t ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ns += (uint64_t)ts.tv_nsec;
	ts.tv_sec += (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	return ts;
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	v->vm->backend->run_vcpu(v);
	atomic_store(&v->ap_state, VMM_AP_ENDED);
	/* A pause_all waiting for this vCPU counts it as held now. */
	pthread_mutex_lock(&v->vm->lock);
	pthread_cond_broadcast(&v->vm->cond);
	pthread_mutex_unlock(&v->vm->lock);
	return NULL;
}

int vmm_vcpu_start(struct vmm_vm *vm, uint32_t id)
{
	if (id >= vm->nvcpus)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&vm->lock);
	struct vmm_vcpu *v = &vm->vcpus[id];
	if (atomic_load(&vm->stopping)) {
		rc = -ECANCELED; /* the run may already be collecting threads to join */
	} else if (!v->started) {
		rc = vm->backend->start_vcpu(v);
		if (!rc) {
			atomic_store(&v->ap_state, VMM_AP_RUNNING);
			rc = -pthread_create(&v->thread, NULL, vcpu_thread, v);
		}
		v->started = rc == 0;
	}
	pthread_mutex_unlock(&vm->lock);
	return rc;
}

/* Kicks v out of its run until its thread returns, then joins it. */
static void kick_and_join(struct vmm_vm *vm, struct vmm_vcpu *v)
{
	for (;;) {
		if (vm->backend->kick && v->backend_vcpu) /* a parked vCPU (migrated in held) has none */
			vm->backend->kick(v);
		pthread_mutex_lock(&vm->lock);
		pthread_cond_broadcast(&vm->cond); /* a vCPU in AP reset hold or at a pause point waits on it */
		pthread_mutex_unlock(&vm->lock);
		struct timespec ts = vmm_deadline_in(JOIN_RETRY_NS);
		if (pthread_timedjoin_np(v->thread, NULL, &ts) == 0)
			return;
	}
}

int vmm_vcpus_create(struct vmm_vm *vm)
{
	/* The engine needs every vCPU to exist before AP creation names it (KVM: kvm_get_vcpu_by_id). */
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vmm_vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		int rc = v->hv ? 0 : hv_vcpu_create(vm->hv, i, &v->hv);
		if (rc)
			return rc;
	}
	return 0;
}

/* A migrated vCPU that was not running code: parked in AP reset hold until the VM stops, or already ended. */
static void *parked_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	struct vmm_vm *vm = v->vm;
	pthread_mutex_lock(&vm->lock);
	while (atomic_load(&v->ap_state) == VMM_AP_RESET_HOLD && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->cond, &vm->lock);
	atomic_store(&v->ap_state, VMM_AP_ENDED);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

int vmm_vcpu_start_saved(struct vmm_vm *vm, const struct vmm_vcpu_state *st)
{
	if (st->id >= vm->nvcpus)
		return -EINVAL;
	struct vmm_vcpu *v = &vm->vcpus[st->id];
	switch (st->ap_state) {
	case VMM_AP_NOT_STARTED:
		return 0; /* an AP creation may start it later, as at the source */
	case VMM_AP_RUNNING: {
		v->resume = st;
		int rc = vmm_vcpu_start(vm, st->id);
		v->resume = NULL;
		return rc;
	}
	case VMM_AP_RESET_HOLD:
	case VMM_AP_ENDED: {
		/* Started at the source, so started here too (an AP creation does not start it again), on a thread
		 * that runs no guest code. */
		int rc = 0;
		pthread_mutex_lock(&vm->lock);
		if (!v->started) {
			atomic_store(&v->ap_state, (int)st->ap_state);
			rc = -pthread_create(&v->thread, NULL, parked_thread, v);
			v->started = rc == 0;
		}
		pthread_mutex_unlock(&vm->lock);
		return rc;
	}
	default:
		return -EINVAL;
	}
}

int vmm_vcpus_start(struct vmm_vm *vm)
{
	int rc = vmm_vcpus_create(vm);
	if (rc)
		return rc;
	rc = vmm_vcpu_start(vm, 0);
	if (rc) {
		fprintf(vm->err, "snpemu: cannot start the BSP on the %s backend: %s\n", vm->backend->name,
			strerror(-rc));
		return rc;
	}
	return 0;
}

void vmm_vcpus_join(struct vmm_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	/* No vCPU starts once `stopping` is set (vmm_vcpu_start checks it under the lock). */
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].started)
			kick_and_join(vm, &vm->vcpus[i]);
}

int vmm_vcpus_run(struct vmm_vm *vm)
{
	int rc = vmm_vcpus_start(vm);
	if (!rc)
		vmm_vcpus_join(vm);
	return rc;
}

bool vmm_vcpu_pause_point(struct vmm_vcpu *v)
{
	struct vmm_vm *vm = v->vm;
	if (atomic_load_explicit(&vm->pausing, memory_order_acquire)) {
		pthread_mutex_lock(&vm->lock);
		atomic_store(&v->paused, true);
		pthread_cond_broadcast(&vm->cond);
		while (atomic_load(&vm->pausing) && !atomic_load(&vm->stopping))
			pthread_cond_wait(&vm->cond, &vm->lock);
		atomic_store(&v->paused, false);
		pthread_mutex_unlock(&vm->lock);
	}
	return !atomic_load(&vm->stopping);
}

/* Whether every started vCPU is held: at a pause point, in AP reset hold, or ended.  Under vm->lock. */
static bool all_held(struct vmm_vm *vm)
{
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vmm_vcpu *v = &vm->vcpus[i];
		int st = atomic_load(&v->ap_state);
		if (v->started && st == VMM_AP_RUNNING && !atomic_load(&v->paused))
			return false;
	}
	return true;
}

int vmm_vcpus_pause(struct vmm_vm *vm)
{
	atomic_store_explicit(&vm->pausing, true, memory_order_release);
	uint64_t waited = 0;
	int rc = 0;
	pthread_mutex_lock(&vm->lock);
	pthread_cond_broadcast(&vm->cond); /* an idle vCPU (SNPEMU_PORT_IDLE) comes back to its pause point */
	for (;;) {
		/* Stopping wins over held: a VM whose program ended is not a VM to save (migration). */
		if (atomic_load(&vm->stopping)) {
			rc = -ECANCELED;
			break;
		}
		if (all_held(vm))
			break;
		if (waited >= PAUSE_TIMEOUT_NS) {
			rc = -ETIMEDOUT;
			break;
		}
		/* Which vCPUs to kick is read under the lock (an AP may be starting); a parked one has no backend vCPU.
		 */
		bool kick[SNPEMU_MAX_VCPUS];
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			kick[i] = vm->backend->kick && vm->vcpus[i].started && vm->vcpus[i].backend_vcpu;
		pthread_mutex_unlock(&vm->lock);
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			if (kick[i])
				vm->backend->kick(&vm->vcpus[i]);
		pthread_mutex_lock(&vm->lock);
		struct timespec ts = vmm_deadline_in(PAUSE_RETRY_NS);
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
		waited += PAUSE_RETRY_NS;
	}
	pthread_mutex_unlock(&vm->lock);
	if (rc)
		vmm_vcpus_resume(vm);
	return rc;
}

void vmm_vcpus_resume(struct vmm_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->pausing, false);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void vmm_vcpu_save_common(struct vmm_vcpu *v, struct vmm_vcpu_state *st)
{
	st->id = v->id;
	st->ghcb_msr = v->hv ? hv_vcpu_get_ghcb_msr(v->hv) : 0;
	st->ap_state = (uint32_t)atomic_load(&v->ap_state);
	st->valid |= VMM_VCPU_STATE_GHCB_MSR | VMM_VCPU_STATE_AP;
}

int vmm_vcpu_restore_common(struct vmm_vcpu *v, const struct vmm_vcpu_state *st)
{
	if (st->id != v->id || st->ap_state > VMM_AP_ENDED)
		return -EINVAL;
	if (st->valid & VMM_VCPU_STATE_GHCB_MSR) {
		if (!v->hv)
			return -EINVAL;
		int rc = hv_vcpu_set_ghcb_msr(v->hv, st->ghcb_msr);
		if (rc)
			return rc;
	}
	/* The AP state is where the vCPU's thread is; it is loaded by starting (or not) the vCPU, which the
	 * caller does after restoring: here it is only checked. */
	return 0;
}

int vmm_vcpu_ids_init(struct vmm_vcpu_ids *ids)
{
	ids->held = 0;
	return -pthread_mutex_init(&ids->lock, NULL);
}

int vmm_vcpu_ids_fini(struct vmm_vcpu_ids *ids)
{
	pthread_mutex_lock(&ids->lock);
	uint64_t held = ids->held;
	pthread_mutex_unlock(&ids->lock);
	if (held)
		return -EBUSY;
	pthread_mutex_destroy(&ids->lock);
	return 0;
}

int vmm_vcpu_id_claim(struct vmm_vcpu_ids *ids, uint32_t id)
{
	if (id >= SNPEMU_MAX_VCPUS)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&ids->lock);
	if (ids->held & (1ull << id))
		rc = -EEXIST;
	else
		ids->held |= 1ull << id;
	pthread_mutex_unlock(&ids->lock);
	return rc;
}

void vmm_vcpu_id_release(struct vmm_vcpu_ids *ids, uint32_t id)
{
	pthread_mutex_lock(&ids->lock);
	assert(ids->held & (1ull << id)); /* only the vCPU object that claimed it releases it */
	ids->held &= ~(1ull << id);
	pthread_mutex_unlock(&ids->lock);
}

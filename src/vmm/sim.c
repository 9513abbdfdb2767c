/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: each vCPU is a host thread running the guest program compiled into this process.  Its platform
 * (struct gst_platform) makes VMGEXIT a synchronous call into the engine (the world switch), keeps the GHCB MSR in
 * the engine's vCPU, serves PVALIDATE from the firmware model's RMP, and converts GPAs against the one host mapping
 * of guest RAM.  When the VM stops, every vCPU thread unwinds at its next VMGEXIT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/ghcb.h>

#include "../guests/program.h"
#include "vmm/vmm_internal.h"

static void sim_vmgexit(void *ctx)
{
	struct vmm_vcpu *v = ctx;
	/* The world switch: the engine and the exit handler run here, on the vCPU's thread (exits.c). */
	if (!vmm_vcpu_vmgexit(v))
		longjmp(v->stop_jmp, 1);
}

static uint64_t sim_msr_read(void *ctx)
{
	return hv_vcpu_get_ghcb_msr(((struct vmm_vcpu *)ctx)->hv);
}

static void sim_msr_write(void *ctx, uint64_t value)
{
	struct vmm_vcpu *v = ctx;
	atomic_fetch_add(&v->vm->ghcb_msr_writes, 1);
	hv_vcpu_set_ghcb_msr(v->hv, value);
}

static int sim_pvalidate(void *ctx, uint64_t gpa, void *va, bool size2m, bool validate)
{
	struct vmm_vcpu *v = ctx;
	(void)va;
	enum fw_pvalidate_rc rc = fw_rmp_pvalidate(fw_guest_rmp(v->vm->fw_guest), gpa, size2m, validate);
	switch (rc) {
	case FW_PVALIDATE_SUCCESS:
		return GST_PVALIDATE_OK;
	case FW_PVALIDATE_FAIL_NOCHANGE:
		return GST_PVALIDATE_FAIL_NOUPDATE;
	case FW_PVALIDATE_FAIL_SIZEMISMATCH:
		return GST_PVALIDATE_FAIL_SIZEMISMATCH;
	case FW_PVALIDATE_FAIL_INPUT:
		return GST_PVALIDATE_FAIL_INPUT;
	case FW_PVALIDATE_RMP_FAULT:
	default:
		/* Hardware raises #NPF (RMP violation) here; the VMM reports it and stops the VM. */
		fprintf(v->vm->msg, "guest fault on vCPU %u: PVALIDATE of a hypervisor-owned page at gpa 0x%llx\n",
			v->id, (unsigned long long)gpa);
		vmm_vm_stop(v->vm, 126);
		longjmp(v->stop_jmp, 1);
	}
}

static void *sim_gpa_to_ptr(void *ctx, uint64_t gpa, size_t len)
{
	struct vmm_vm *vm = ((struct vmm_vcpu *)ctx)->vm;
	if (gpa > vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return vm->mem + gpa;
}

static bool sim_ptr_to_gpa(void *ctx, const void *p, uint64_t *gpa)
{
	struct vmm_vm *vm = ((struct vmm_vcpu *)ctx)->vm;
	const uint8_t *b = p;
	if (b < vm->mem || b >= vm->mem + vm->mem_size)
		return false;
	*gpa = (uint64_t)(b - vm->mem);
	return true;
}

static void sim_delay_us(void *ctx, uint64_t us)
{
	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
	(void)ctx;
	nanosleep(&ts, NULL);
}

static uint64_t sim_now_us(void *ctx)
{
	(void)ctx;
	return vmm_now_ns() / 1000;
}

static void sim_log(void *ctx, const char *msg, size_t len)
{
	struct vmm_vcpu *v = ctx;
	fprintf(v->vm->err, "guest log (vCPU %u): %.*s\n", v->id, (int)len, msg);
}

static const struct gst_platform_ops sim_ops = {
    .vmgexit = sim_vmgexit,
    .ghcb_msr_read = sim_msr_read,
    .ghcb_msr_write = sim_msr_write,
    .pvalidate = sim_pvalidate,
    .gpa_to_ptr = sim_gpa_to_ptr,
    .ptr_to_gpa = sim_ptr_to_gpa,
    .delay_us = sim_delay_us,
    .now_us = sim_now_us,
    .log = sim_log,
};

static const struct gst_platform_ops sim_ops_sev_es = {
    .vmgexit = sim_vmgexit,
    .ghcb_msr_read = sim_msr_read,
    .ghcb_msr_write = sim_msr_write,
    .gpa_to_ptr = sim_gpa_to_ptr,
    .ptr_to_gpa = sim_ptr_to_gpa,
    .delay_us = sim_delay_us,
    .now_us = sim_now_us,
    .log = sim_log,
};

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	struct vmm_vm *vm = v->vm;
	const struct snpemu_boot_info *boot = (const void *)(vm->mem + SNPEMU_BOOT_INFO_GPA);
	if (!setjmp(v->stop_jmp)) {
		int status = guest_run(vm->program, &v->plat, v->id, boot);
		/* The program returned without using the exit port: its status ends the VM (the BSP), an AP just stops.
		 */
		if (v->id == 0)
			vmm_vm_stop(vm, status);
	}
	return NULL;
}

static int vcpu_create(struct vmm_vm *vm, uint32_t id)
{
	struct vmm_vcpu *v = &vm->vcpus[id];
	v->vm = vm;
	v->id = id;
	int rc = hv_vcpu_create(vm->hv, id, &v->hv);
	if (rc)
		return rc;
	v->plat.ops = vm->snp ? &sim_ops : &sim_ops_sev_es;
	v->plat.ctx = v;
	return 0;
}

/* Start vCPU `id` (the BSP at launch, an AP on AP creation). */
int vmm_sim_start_vcpu(struct vmm_vm *vm, uint32_t id)
{
	int rc = 0;
	pthread_mutex_lock(&vm->lock);
	struct vmm_vcpu *v = &vm->vcpus[id];
	if (id >= vm->nvcpus)
		rc = -EINVAL;
	else if (!v->started) {
		rc = v->hv ? 0 : vcpu_create(vm, id);
		if (!rc)
			rc = -pthread_create(&v->thread, NULL, vcpu_thread, v);
		v->started = rc == 0;
	}
	pthread_mutex_unlock(&vm->lock);
	return rc;
}

int vmm_sim_run(struct vmm_vm *vm)
{
	/* The engine needs every vCPU to exist before AP creation names it (KVM: kvm_get_vcpu_by_id). */
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		int rc = vcpu_create(vm, i);
		if (rc)
			return rc;
	}
	int rc = vmm_sim_start_vcpu(vm, 0);
	if (rc)
		return rc;
	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		/* Threads blocked inside the guest (an AP spinning without VMGEXIT) would never join; programs in
		 * guests/ always VMGEXIT in their waits, so a plain join is enough. */
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
	}
	return 0;
}

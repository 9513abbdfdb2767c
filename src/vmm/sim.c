/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: each vCPU is a host thread running the guest program's sim build (vmm_program.sim_run).  Its
 * platform (struct gst_platform) makes VMGEXIT a synchronous call into the engine (the world switch), keeps the GHCB
 * MSR in the engine's vCPU, serves PVALIDATE from the firmware model's RMP, and converts GPAs against the one host
 * mapping of guest RAM.  When the VM stops, every vCPU thread unwinds at its next VMGEXIT.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/ghcb.h>

#include "vmm/vmm_internal.h"

/* The sim backend's vCPU: its platform (the guest library's view of the CPU) and where its thread unwinds to. */
struct sim_vcpu {
	struct vmm_vcpu *v;
	jmp_buf stop_jmp;
	struct gst_platform plat;
};

static struct sim_vcpu *sim_of(void *ctx)
{
	return ((struct vmm_vcpu *)ctx)->backend_vcpu;
}

static void sim_vmgexit(void *ctx)
{
	struct vmm_vcpu *v = ctx;
	/* The world switch: the engine and the exit handler run here, on the vCPU's thread (exits.c). */
	if (!vmm_vcpu_vmgexit(v))
		longjmp(sim_of(v)->stop_jmp, 1);
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
	uint32_t rc;
	bool no_update;
	(void)va;
	if (!vmm_vcpu_pvalidate(v, gpa, size2m, validate, &rc, &no_update))
		longjmp(sim_of(v)->stop_jmp, 1);
	/* The guest library's codes are the instruction's, plus its own for a set carry flag. */
	return no_update ? GST_PVALIDATE_FAIL_NOUPDATE : (int)rc;
}

static void *sim_gpa_to_ptr(void *ctx, uint64_t gpa, size_t len)
{
	/* The guest's own access: every page of its RAM, private or not. */
	return vmm_guest_ptr(((struct vmm_vcpu *)ctx)->vm, gpa, len, VMM_ACCESS_GUEST, NULL);
}

static bool sim_ptr_to_gpa(void *ctx, const void *p, uint64_t *gpa)
{
	return vmm_guest_gpa(((struct vmm_vcpu *)ctx)->vm, p, gpa);
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

/* The image the launch measures: one page naming the program (its code lives in the VMM process). */
static int sim_create(struct vmm_vm *vm, uint64_t *image_len)
{
	char *image = vmm_guest_ptr(vm, SNPEMU_IMAGE_GPA, 4096, VMM_ACCESS_LAUNCH, NULL);
	snprintf(image, 4096, "snpemu sim guest image: %s\n", vm->program->name);
	*image_len = 4096;
	return 0;
}

static void sim_destroy(struct vmm_vm *vm)
{
	vmm_uffd_dirty_log_stop(vm);
	for (uint32_t i = 0; i < SNPEMU_MAX_VCPUS; i++) {
		free(vm->vcpus[i].backend_vcpu);
		vm->vcpus[i].backend_vcpu = NULL;
	}
}

static int sim_start_vcpu(struct vmm_vcpu *v)
{
	struct sim_vcpu *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->v = v;
	s->plat.ops = v->vm->snp ? &sim_ops : &sim_ops_sev_es;
	s->plat.ctx = v;
	v->backend_vcpu = s;
	return 0;
}

static void sim_run_vcpu(struct vmm_vcpu *v)
{
	struct vmm_vm *vm = v->vm;
	struct sim_vcpu *s = v->backend_vcpu;
	const struct snpemu_boot_info *boot =
	    vmm_guest_ptr(vm, SNPEMU_BOOT_INFO_GPA, sizeof(struct snpemu_boot_info), VMM_ACCESS_GUEST, NULL);
	if (!setjmp(s->stop_jmp)) {
		int status = vm->program->sim_run(vm->program->sim_program, &s->plat, v->id, boot);
		/* The program returned without using the exit port: its status ends the VM (the BSP), an AP just stops.
		 */
		if (v->id == 0)
			vmm_vm_stop(vm, status);
	}
}

static int sim_save_vcpu(struct vmm_vcpu *v, struct vmm_vcpu_state *st)
{
	/* The registers are the host thread's: the VMM holds only the GHCB MSR and the AP state. */
	memset(st, 0, sizeof(*st));
	vmm_vcpu_save_common(v, st);
	return 0;
}

static int sim_restore_vcpu(struct vmm_vcpu *v, const struct vmm_vcpu_state *st)
{
	if (st->valid & (VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS))
		return -ENOTSUP;
	return vmm_vcpu_restore_common(v, st);
}

const struct vmm_backend vmm_backend_sim = {
    .name = "sim",
    .kind = VMM_BACKEND_SIM,
    .in_auto = true,
    .auto_reason = "in-process",
    .runs_elf = false,
    .migrates = false,
    .create = sim_create,
    .start_vcpu = sim_start_vcpu,
    .run_vcpu = sim_run_vcpu,
    .destroy = sim_destroy,
    .pause_all = vmm_vcpus_pause,
    .resume_all = vmm_vcpus_resume,
    .save_vcpu = sim_save_vcpu,
    .restore_vcpu = sim_restore_vcpu,
    .dirty_log_start = vmm_uffd_dirty_log_start,
    .dirty_log_get = vmm_uffd_dirty_log_get,
    .dirty_log_stop = vmm_uffd_dirty_log_stop,
    .dirty_log_peek = vmm_uffd_dirty_log_peek,
    .dirty_log_sees_vmm_writes = true,
};

/* SPDX-License-Identifier: MIT */
/*
 * The VMM's tcg backend: the program's freestanding ELF (the same image as on kvm) runs on the Unicorn CPU emulator
 * (src/vmm/tcg.h) over the VMM's guest memory, on any machine.  The guest uses the guest library's `snp` platform
 * (boot argument bit KVM_ARG_SNP_INSNS, guests/kvm_main.c): the real SNP instructions, which the lower layer turns
 * into VMGEXIT / PVALIDATE / RMPADJUST exits, and the GHCB MSR through real RDMSR/WRMSR, which trap at CPL 3.  Every
 * exit goes to the handler the kvm backend uses (x86_exits.c): one copy of the exit and trap-and-emulate code.
 * Port IO is served synchronously from the lower layer's io callback (tcg.h says why).
 *
 * Time: the virtual TSC (tcg.h) at VMM_TCG_TSC_KHZ, passed to the guest as its TSC frequency; a run never reads the
 * host clock from guest code, so with one vCPU and a --seed two runs execute the same instructions.  --trace times
 * are that virtual TSC too (trace_clock_ns), so their traces are byte-identical.
 *
 * vCPUs: the BSP at the ELF entry with RDI = 0; an AP on AP creation from the registers of its VMSA
 * (vmm_x86_entry_state).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/boot_info.h>

#include "vmm/tcg.h"
#include "vmm/vmm_internal.h"
#include "vmm/x86_exits.h"

#define TCG_ARG_SNP_INSNS    0x1u /* boot argument bit 0: use the SNP instructions (guests/kvm_main.c) */
#define TCG_INSN_LEN_VMGEXIT 4u	  /* rep vmmcall, F3 0F 01 D9 (tcg_vcpu.c) */

struct tcg_backend_vm {
	struct vmm_tcg_vm *tcg;
	uint64_t entry; /* the program ELF's entry point */
	uint64_t arg;	/* every vCPU's boot argument (RSI) */
};

static struct vmm_tcg_vcpu *tcpu(struct vmm_vcpu *v)
{
	return v->backend_vcpu;
}

/* Port IO of a vCPU, from inside the instruction (tcg.h): counted and served as the kvm backend's IO exits. */
static bool tcg_port_io(void *ctx, uint32_t vcpu_id, uint16_t port, bool in, uint8_t *data, uint32_t size)
{
	struct vmm_vm *vm = ctx;
	atomic_fetch_add(&vm->exits_to_vmm, 1);
	return vmm_handle_port(vm, &vm->vcpus[vcpu_id], port, in, data, size, 1);
}

/* RDMSR/WRMSR of a vCPU, from inside its #GP (tcg.h): served as the kvm backend's MSR exits, and counted so. */
static bool tcg_msr(void *ctx, uint32_t vcpu_id, uint32_t index, bool write, uint64_t *value)
{
	struct vmm_vm *vm = ctx;
	if (vmm_x86_msr(&vm->vcpus[vcpu_id], index, write, value))
		return false;
	atomic_fetch_add(&vm->exits_to_vmm, 1);
	return true;
}

static int tcg_create(struct vmm_vm *vm, uint64_t *image_len)
{
	char reason[VMM_TCG_REASON_LEN];
	int rc = vmm_x86_check_ram(vm, "tcg");
	if (rc)
		return rc;
	struct tcg_backend_vm *tb = calloc(1, sizeof(*tb));
	if (!tb)
		return -ENOMEM;
	vm->backend_vm = tb;
	struct vmm_tcg_vm_config tc = {.ram_size = vm->mem_size,
				       .ram = vm->mem,
				       .deterministic = true,
				       .vc = vm->cfg.vc,
				       .io = tcg_port_io,
				       .msr = tcg_msr,
				       .io_ctx = vm};
	rc = vmm_tcg_vm_create(&tc, &tb->tcg, reason, sizeof(reason));
	if (rc) {
		tb->tcg = NULL;
		fprintf(vm->err, "snpemu: %s\n", reason);
		return rc;
	}
	tb->arg = SNPEMU_BOOT_INFO_GPA | TCG_ARG_SNP_INSNS | (uint64_t)VMM_TCG_TSC_KHZ << 32;
	*image_len = 0;
	if (vm->incoming)
		return 0; /* guest RAM and every vCPU's state come from the migration stream */
	return vmm_x86_load_image(vm, &tb->entry, image_len);
}

static void tcg_destroy(struct vmm_vm *vm)
{
	struct tcg_backend_vm *tb = vm->backend_vm;
	vmm_uffd_dirty_log_stop(vm);
	for (uint32_t i = 0; i < SNPEMU_MAX_VCPUS; i++) {
		vmm_tcg_vcpu_destroy(vm->vcpus[i].backend_vcpu);
		vm->vcpus[i].backend_vcpu = NULL;
	}
	if (tb && vmm_tcg_vm_destroy(tb->tcg) == 0) {
		free(tb);
		vm->backend_vm = NULL;
	}
}

/* The tcg vCPU as the shared exit handler sees it. */
static int tc_get_regs(void *cpu, struct vmm_regs *regs)
{
	return vmm_tcg_vcpu_get_regs(cpu, regs);
}

static int tc_set_regs(void *cpu, const struct vmm_regs *regs)
{
	return vmm_tcg_vcpu_set_regs(cpu, regs);
}

static int tc_get_sregs(void *cpu, struct vmm_sregs *sregs)
{
	return vmm_tcg_vcpu_get_sregs(cpu, sregs);
}

static int tc_set_sregs(void *cpu, const struct vmm_sregs *sregs)
{
	return vmm_tcg_vcpu_set_sregs(cpu, sregs);
}

static int tc_get_fpu(void *cpu, struct vmm_fpu *fpu)
{
	return vmm_tcg_vcpu_get_fpu(cpu, fpu);
}

static int tc_set_fpu(void *cpu, const struct vmm_fpu *fpu)
{
	return vmm_tcg_vcpu_set_fpu(cpu, fpu);
}

static int tc_exception_regs(void *cpu, const struct vmm_kvm_exit *exit, struct vmm_regs *regs)
{
	return vmm_tcg_exception_regs(cpu, exit, regs);
}

static int tc_none_msr(void *cpu, uint64_t value)
{
	(void)cpu, (void)value;
	return -EINVAL; /* MSR accesses trap at CPL 3: no RDMSR exit on tcg */
}

static int tc_none(void *cpu)
{
	(void)cpu;
	return -EINVAL; /* no WRMSR exit on tcg */
}

static int tc_none_in(void *cpu, const void *data, size_t len)
{
	(void)cpu, (void)data, (void)len;
	return -EINVAL; /* port IO is served in the io callback */
}

static int tc_complete_pvalidate(void *cpu, uint32_t rc, bool no_update)
{
	return vmm_tcg_complete_pvalidate(cpu, rc, no_update);
}

static int tc_complete_rmpadjust(void *cpu, uint32_t rc)
{
	return vmm_tcg_complete_rmpadjust(cpu, rc);
}

static void tc_clear_stop(void *cpu)
{
	vmm_tcg_vcpu_clear_stop(cpu);
}

static const struct vmm_x86_cpu_ops tcg_cpu_ops = {
    .get_regs = tc_get_regs,
    .set_regs = tc_set_regs,
    .get_sregs = tc_get_sregs,
    .set_sregs = tc_set_sregs,
    .get_fpu = tc_get_fpu,
    .set_fpu = tc_set_fpu,
    .exception_regs = tc_exception_regs,
    .complete_rdmsr = tc_none_msr,
    .complete_wrmsr = tc_none,
    .complete_in = tc_none_in,
    .complete_pvalidate = tc_complete_pvalidate,
    .complete_rmpadjust = tc_complete_rmpadjust,
    .clear_stop = tc_clear_stop,
};

static void tcg_run_vcpu(struct vmm_vcpu *v)
{
	struct vmm_vm *vm = v->vm;
	struct vmm_kvm_exit e;
	const struct vmm_x86_cpu cpu = {&tcg_cpu_ops, tcpu(v)};
	while (!atomic_load(&vm->stopping)) {
		int rc = vmm_tcg_vcpu_run(tcpu(v), &e);
		if (rc < 0) {
			vmm_say(vm, "vCPU %u: the emulator failed: %s; stopping the VM\n", v->id, strerror(-rc));
			vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
			break;
		}
		if (!vmm_x86_handle_exit(&cpu, v, &e))
			break;
	}
}

static int tcg_start_vcpu(struct vmm_vcpu *v)
{
	struct tcg_backend_vm *tb = v->vm->backend_vm;
	struct vmm_regs regs;
	struct vmm_sregs sregs;
	bool have_sregs;
	if (v->backend_vcpu)
		return 0;
	const struct vmm_vcpu_state *st = v->resume;
	int rc = 0;
	if (st &&
	    (st->valid & (VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS)) != (VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS))
		return -EINVAL; /* a migrated vCPU needs its whole CPU state */
	if (st) {
		regs = st->regs;
		sregs = st->sregs;
		have_sregs = true;
	} else if ((rc = vmm_x86_entry_state(v, tb->entry, tb->arg, &regs, &sregs, &have_sregs))) {
		return rc;
	}
	struct vmm_tcg_vcpu *tv;
	/* without the VMSA's segments: the CPL-3 set (NULL); with them, entered at CPL 3 all the same (tcg.h) */
	rc = vmm_tcg_vcpu_create(tb->tcg, v->id, &regs, have_sregs ? &sregs : NULL, &tv);
	if (rc)
		return rc;
	if (st && (st->valid & VMM_VCPU_STATE_TSC))
		vmm_tcg_vcpu_set_tsc(tv, st->tsc);
	if (st && (st->valid & VMM_VCPU_STATE_FPU) && (rc = vmm_tcg_vcpu_set_fpu(tv, &st->fpu))) {
		vmm_tcg_vcpu_destroy(tv);
		return rc;
	}
	v->backend_vcpu = tv;
	return 0;
}

/* Trace times on tcg: the vCPU's virtual TSC (tcg.h), so that a deterministic run writes a deterministic trace. */
static uint64_t tcg_trace_clock_ns(struct vmm_vcpu *v)
{
	return tcpu(v) ? vmm_tcg_vcpu_clock(tcpu(v)) : 0;
}

static void tcg_idle_begin(struct vmm_vcpu *v, uint64_t ns)
{
	vmm_tcg_vcpu_idle_begin(tcpu(v), ns);
}

static void tcg_idle_end(struct vmm_vcpu *v)
{
	vmm_tcg_vcpu_idle_end(tcpu(v));
}

static void tcg_kick(struct vmm_vcpu *v)
{
	vmm_tcg_vcpu_request_stop(tcpu(v));
}

static int tcg_save_vcpu(struct vmm_vcpu *v, struct vmm_vcpu_state *st)
{
	const struct vmm_x86_cpu cpu = {&tcg_cpu_ops, tcpu(v)};
	int rc = vmm_x86_save_vcpu(&cpu, v, st);
	if (rc || !tcpu(v))
		return rc;
	/* Held at a VMGEXIT's pause point: saved before the instruction, which the destination runs again (backend.h).
	 */
	if (atomic_load(&v->at_vmgexit))
		st->regs.rip -= TCG_INSN_LEN_VMGEXIT;
	st->tsc = vmm_tcg_vcpu_tsc(tcpu(v));
	st->valid |= VMM_VCPU_STATE_TSC;
	return 0;
}

static int tcg_restore_vcpu(struct vmm_vcpu *v, const struct vmm_vcpu_state *st)
{
	const struct vmm_x86_cpu cpu = {&tcg_cpu_ops, tcpu(v)};
	/* The converse of tcg_save_vcpu: a vCPU held at a VMGEXIT's pause point will still serve that exit and go on
	 * after the instruction, so a state saved before the instruction is loaded after it (save then restore of one
	 * held vCPU changes nothing).  A vCPU started from a saved state (the destination) is not held there: it runs
	 * the VMGEXIT again. */
	struct vmm_vcpu_state held;
	if ((st->valid & VMM_VCPU_STATE_REGS) && atomic_load(&v->at_vmgexit)) {
		held = *st;
		held.regs.rip += TCG_INSN_LEN_VMGEXIT;
		st = &held;
	}
	int rc = vmm_x86_restore_vcpu(&cpu, v, st);
	if (!rc && tcpu(v) && (st->valid & VMM_VCPU_STATE_TSC))
		vmm_tcg_vcpu_set_tsc(tcpu(v), st->tsc);
	return rc;
}

const struct vmm_backend vmm_backend_tcg = {
    .name = "tcg",
    .kind = VMM_BACKEND_TCG,
    .in_auto = true,
    .auto_reason = "the Unicorn CPU emulator runs the program's x86-64 code",
    .runs_elf = true,
    .migrates = true,
    .probe = vmm_tcg_probe,
    .create = tcg_create,
    .start_vcpu = tcg_start_vcpu,
    .run_vcpu = tcg_run_vcpu,
    .kick = tcg_kick,
    .destroy = tcg_destroy,
    .pause_all = vmm_vcpus_pause,
    .resume_all = vmm_vcpus_resume,
    .save_vcpu = tcg_save_vcpu,
    .restore_vcpu = tcg_restore_vcpu,
    /* Every Unicorn instance writes through the VMM's one mapping of guest RAM: the sim log sees it all. */
    .dirty_log_start = vmm_uffd_dirty_log_start,
    .dirty_log_get = vmm_uffd_dirty_log_get,
    .dirty_log_stop = vmm_uffd_dirty_log_stop,
    .dirty_log_peek = vmm_uffd_dirty_log_peek,
    .dirty_log_sees_vmm_writes = true,
    .trace_clock_ns = tcg_trace_clock_ns,
    .idle_begin = tcg_idle_begin,
    .idle_end = tcg_idle_end,
};

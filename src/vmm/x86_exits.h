/* SPDX-License-Identifier: MIT */
/*
 * The VMM side of the x86 lower layers (kvm.h, tcg.h): one handler of their typed exits for both backends, over a
 * small table of the vCPU operations it needs, and the rest both backends do alike (a vCPU's start state, the
 * program image, vCPU save/restore).  Each backend wraps its own vCPU in a struct vmm_x86_cpu.
 */
#ifndef SNPEMU_VMM_X86_EXITS_H
#define SNPEMU_VMM_X86_EXITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/backend.h"
#include "vmm/kvm.h"

/* What the exit handler asks of a lower layer's vCPU (each as the kvm.h function of the same name; a completion a
 * lower layer never needs, because it produces no such exit, returns -EINVAL). */
struct vmm_x86_cpu_ops {
	int (*get_regs)(void *cpu, struct vmm_regs *regs);
	int (*set_regs)(void *cpu, const struct vmm_regs *regs);
	int (*get_sregs)(void *cpu, struct vmm_sregs *sregs);
	int (*set_sregs)(void *cpu, const struct vmm_sregs *sregs);
	int (*get_fpu)(void *cpu, struct vmm_fpu *fpu);
	int (*set_fpu)(void *cpu, const struct vmm_fpu *fpu);
	/* the registers of the code an exception exit interrupted */
	int (*exception_regs)(void *cpu, const struct vmm_kvm_exit *exit, struct vmm_regs *regs);
	int (*complete_rdmsr)(void *cpu, uint64_t value);
	int (*complete_wrmsr)(void *cpu);
	int (*complete_in)(void *cpu, const void *data, size_t len);
	int (*complete_pvalidate)(void *cpu, uint32_t rc, bool no_update);
	int (*complete_rmpadjust)(void *cpu, uint32_t rc);
	void (*clear_stop)(void *cpu);
};

struct vmm_x86_cpu {
	const struct vmm_x86_cpu_ops *ops;
	void *cpu; /* struct vmm_kvm_vcpu or struct vmm_tcg_vcpu */
};

/* Handles one exit of vCPU v (whose lower-layer vCPU is c): serves it through the engine, the firmware model and the
 * VMM's port handler, emulating the privileged instructions of CPL-3 code.  Returns false when the vCPU's thread
 * ends (the VM stops, or an AP's program returned). */
bool vmm_x86_handle_exit(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, const struct vmm_kvm_exit *e);

/* RDMSR (write false: *value filled) or WRMSR (write true: *value written) of MSR index by vCPU v, as SEV-ES hardware
 * lets it reach the hypervisor: the GHCB MSR (the engine vCPU's, hv_vcpu_get/set_ghcb_msr) and SEV_STATUS (read-only:
 * SEV | SEV-ES, | SNP as the VM type says).  Returns 0, or -EPERM for an MSR or access the VMM does not serve and
 * -EINVAL for a GHCB MSR value the engine refuses: the instruction then #GPs. */
int vmm_x86_msr(struct vmm_vcpu *v, uint32_t index, bool write, uint64_t *value);

/* The state vCPU v starts in on kvm and tcg.  The BSP, or an AP without a VMSA: RIP = entry, RDI = its index,
 * RSI = arg (the entry protocol of guests/kvm_main.c), the backend's long-mode system registers (*have_sregs false).
 * An AP created with a VMSA (v->ap_vmsa_gpa): the general registers, RIP and RFLAGS of that VMSA, as hardware
 * starts it, and its segments, descriptor tables, control registers and EFER when it carries them (a present CS:
 * *have_sregs true); a VMSA without segment state keeps the backend's.  Returns 0, or -EFAULT when the VMSA is not
 * in guest RAM. */
int vmm_x86_entry_state(struct vmm_vcpu *v, uint64_t entry, uint64_t arg, struct vmm_regs *regs,
			struct vmm_sregs *sregs, bool *have_sregs);

/* What both backends' create does with the program (`backend` names the backend in messages):
 * vmm_x86_check_ram() before the lower layer's VM exists: 0, or -EINVAL (said on vm->err) for more RAM than the
 * x86 backends map (VMM_KVM_RAM_MAX); vmm_x86_load_image() once it does: the program's ELF loaded at its link
 * address below the boot information page, *entry and *image_len set; -ENOENT (no x86-64 image) or -ENOEXEC (not
 * loadable), said on vm->err. */
int vmm_x86_check_ram(struct vmm_vm *vm, const char *backend);
int vmm_x86_load_image(struct vmm_vm *vm, uint64_t *entry, uint64_t *image_len);

/* save_vcpu / restore_vcpu of both backends: the VMM's part (vmm_vcpu_save/restore_common) and the lower layer's
 * registers and system registers through c (c->cpu NULL: the vCPU has not started; restoring registers into it is
 * -EINVAL). */
int vmm_x86_save_vcpu(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, struct vmm_vcpu_state *st);
int vmm_x86_restore_vcpu(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, const struct vmm_vcpu_state *st);

#endif

/* SPDX-License-Identifier: MIT */
/* Private to the tcg backend (src/vmm/tcg_*.c): the VM and vCPU objects.  The VMM uses only src/vmm/tcg.h. */
#ifndef SNPEMU_VMM_TCG_INTERNAL_H
#define SNPEMU_VMM_TCG_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <unicorn/unicorn.h>

#include "vmm/kvm_internal.h"
#include "vmm/tcg.h"

struct vmm_tcg_vm {
	uint8_t *ram;
	bool ram_owned;
	uint64_t ram_size;
	bool deterministic;
	bool vc; /* #VC mode (tcg_vc.c) */
	vmm_tcg_io_fn io;
	vmm_tcg_msr_fn msr;
	void *io_ctx;
	struct vmm_vcpu_ids ids;
	pthread_mutex_t lock; /* guards the CPU lock's fields */
	pthread_cond_t cpu_free;
	struct vmm_tcg_vcpu *cpu_owner; /* the vCPU running guest code, or NULL */
	uint64_t cpu_next_ticket, cpu_serving;
	size_t old_exception_offset; /* of CPUX86State.old_exception in a uc_context (vmm_tcg_find_old_exception) */
};

enum vmm_tcg_pending {
	VMM_TCG_PENDING_NONE = 0,
	VMM_TCG_PENDING_PVALIDATE,
	VMM_TCG_PENDING_RMPADJUST,
};

struct vmm_tcg_vcpu {
	struct vmm_tcg_vm *vm;
	uint32_t id;
	uc_engine *uc;
	uc_hook hooks[7];
	unsigned int nhooks;
	struct vmm_kvm_exit *exit; /* where the hooks put the exit of the current run */
	bool exited;		   /* a hook filled *exit and stopped emulation */
	bool rdtsc;		   /* deterministic mode: the #GP was an RDTSC this layer answers */
	bool vc_gp;		   /* #VC mode: the #GP was an intercepted RDMSR/WRMSR or an LIDT (tcg_vc.c) */
	enum vmm_tcg_pending pending;
	uint32_t pv_rc;
	bool pv_no_update;
	uint64_t tsc;	 /* the virtual TSC (deterministic mode) */
	bool faulted;	 /* an exception went through hook_intr since the last reset_exception_state() */
	uc_context *ctx; /* scratch for reset_exception_state() */
	uint64_t entries;
	uint64_t vc_delivered; /* #VCs delivered through the guest's IDT */
	atomic_bool stop;
	atomic_bool yield;  /* leave guest code at the next translation block (hook_block) */
	bool idle_released; /* vmm_tcg_vcpu_idle_begin gave the CPU up; idle_end takes it back */
};

/* tcg_vm.c */
struct vmm_tcg_walk {
	bool present, writable, user;
	uint64_t gpa;
};
/* Translates va through the 4-level page tables at cr3 (the guest's, read from RAM).  Returns 0 with w filled
 * (present false for a not-present entry), or -EFAULT when a table lies outside RAM. */
int vmm_tcg_walk(struct vmm_tcg_vm *vm, uint64_t cr3, uint64_t va, struct vmm_tcg_walk *w);
void vmm_tcg_cpu_acquire(struct vmm_tcg_vcpu *vcpu);
/* Finds where a uc_context holds QEMU's CPUX86State.old_exception (see tcg_vm.c): 0 and *offset, or -ENOTSUP. */
int vmm_tcg_find_old_exception(size_t *offset);
void vmm_tcg_cpu_release(struct vmm_tcg_vcpu *vcpu);

/* tcg_vcpu.c: register access and what the hooks share. */
uint64_t vmm_tcg_reg(struct vmm_tcg_vcpu *vcpu, int id);
void vmm_tcg_set_reg(struct vmm_tcg_vcpu *vcpu, int id, uint64_t v);
/* Reads up to n bytes of code at virtual address va through the guest's page tables; returns the bytes read. */
unsigned int vmm_tcg_read_code(struct vmm_tcg_vcpu *vcpu, uint64_t va, uint8_t *out, unsigned int n);
/* Ends the current run with the exception exit of vector (error code, CR2) at the CPU's RIP. */
void vmm_tcg_exception(struct vmm_tcg_vcpu *vcpu, uint32_t vector, uint64_t error_code, uint64_t cr2);

/* tcg_vc.c: #VC mode (contract at the top of tcg_vc.c). */
/* Delivers #VC with error code exit_code through the guest's IDT (true), or ends the run with the exception exit of
 * vector 29 (false). */
bool vmm_tcg_vc_deliver(struct vmm_tcg_vcpu *vcpu, uint32_t exit_code);
/* UC_HOOK_CODE: a #VC before an intercepted CPUID or IN/OUT/INS/OUTS. */
void vmm_tcg_vc_hook_code(uc_engine *uc, uint64_t address, uint32_t size, void *user);
/* A #GP at CPL 3 in #VC mode (in the interrupt hook): true if it is an RDMSR/WRMSR of an intercepted MSR (a #VC)
 * or an LIDT (emulated), which vmm_tcg_vc_serve_gp() serves once emulation stopped; false if it stays a #GP. */
bool vmm_tcg_vc_gp_ours(struct vmm_tcg_vcpu *vcpu);
/* Serves that #GP: true if the run ended (the exit is filled), false to resume at the new RIP. */
bool vmm_tcg_vc_serve_gp(struct vmm_tcg_vcpu *vcpu);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The tcg backend's internal contract: x86-64 guest code on the Unicorn CPU emulator (QEMU's TCG as a library,
 * Debian libunicorn-dev 2.0.1), one Unicorn instance per vCPU over the ONE host mapping of guest RAM
 * (uc_mem_map_ptr: shared, never copied), entered in long mode with the same page tables, GDT, TSS and IDT the
 * kvm backend builds (kvm_x86.c), and producing the kvm lower layer's typed exits (struct vmm_kvm_exit, kvm.h), so
 * the VMM serves both backends with one copy of its exit and trap-and-emulate code.
 *
 * What this layer catches, and how (facts about Unicorn 2.0.1 in /work/shared/spec/outside-interfaces.md, verified
 * with probes):
 *   - the SNP instructions: `rep vmmcall` (VMGEXIT, F3 0F 01 D9), PVALIDATE (F2 0F 01 FF) and RMPADJUST
 *     (F3 0F 01 FE) are undefined opcodes to TCG, so they reach UC_HOOK_INSN_INVALID; the hook decodes them into
 *     VMM_KVM_EXIT_VMGEXIT / _PVALIDATE / _RMPADJUST with RIP already past the instruction.  Any other undefined
 *     opcode is a #UD exception exit at its RIP.
 *   - RDMSR/WRMSR: UC_HOOK_INSN refuses them (UC_ERR_HOOK) and TCG ignores unknown MSRs at CPL 0 (WRMSR dropped,
 *     RDMSR reads 0), so no hook would see a CPL-0 GHCB MSR access.  Every vCPU therefore runs its code at CPL 3,
 *     where RDMSR/WRMSR, HLT, CLI/STI and IN/OUT to ports the TSS I/O bitmap keeps closed raise #GP: an exception
 *     exit the VMM emulates (x86_exits.c, the same code as for the kvm backend, which runs programs at CPL 3 for
 *     other reasons).  Nothing the guest does to an MSR can escape that.  The #GP of an RDMSR/WRMSR is first
 *     offered to the VM's msr callback inside the interrupt hook: an access it serves (the GHCB MSR, SEV_STATUS)
 *     completes there and the guest resumes after the instruction without leaving the emulator (half of each NAE's
 *     round trip: the GHCB MSR write before `rep vmmcall`); one it refuses stays the #GP exception exit.
 *   - exceptions: Unicorn does not deliver exceptions through the guest's IDT; UC_HOOK_INTR sees the vector and
 *     this layer reports VMM_KVM_EXIT_EXCEPTION with the vector, RIP, CS, RFLAGS, RSP and CR2 the CPU holds at the
 *     faulting instruction (nothing was pushed: vmm_tcg_exception_regs() gives the registers unchanged).  Unicorn
 *     does not expose the error code: #PF's is rebuilt from a walk of the guest's page tables (P, W, U, I/D bits),
 *     the others report 0 (what TCG raises for privileged instructions).  An access whose address the page tables
 *     do not map is a #PF; one they map outside RAM is an MMIO exit.
 *   - IN/OUT: Unicorn checks no I/O permission (an OUT at CPL 3 runs whatever the TSS bitmap says) and a
 *     UC_HOOK_INSN for IN/OUT cannot stop emulation at the instruction (the rest of its translation block runs
 *     first), so port IO is served synchronously inside the hook by the VM's io callback (the console, exit,
 *     debug and export ports of guests/rt: no exit needed); when the callback says stop, the vCPU leaves
 *     vmm_tcg_vcpu_run() with VMM_KVM_EXIT_INTR.  The kvm platform's doorbell ports have no meaning here: tcg
 *     guests use the real instructions.
 *
 * vCPUs run one at a time: Unicorn instances do not make `lock`-prefixed instructions atomic with respect to each
 * other (measured: two instances doing `lock inc` on shared RAM lose about half the increments), so a VM-wide CPU
 * lock serialises guest code as single-threaded TCG does, with time slices (tcg_vm.c).  The VMM's work on exits
 * runs outside the lock, in parallel.
 *
 * Determinism: with `deterministic` set, RDTSC (which TCG answers from the host clock) is made to #GP (CR4.TSD)
 * and answered inside this layer from a virtual TSC that advances by a fixed step per read and per exit the caller
 * served (the exit's virtual cost); with one vCPU, two runs then execute the same instructions and produce the same
 * exits at the same virtual times (vmm_tcg_vcpu_clock: the VMM's trace clock on tcg).
 *
 * #VC mode (`vc`, tcg_vc.c): as an SEV-ES guest lives it, CPUID, IN/OUT/INS/OUTS and RDMSR/WRMSR of an MSR other
 * than the GHCB MSR and SEV_STATUS raise #VC (vector 29, error code = SVM exit code 0x72/0x7B/0x7C) delivered through
 * the IDT the guest loaded with LIDT (emulated), with a 64-bit exception frame and no ring change (all guest code is
 * CPL 3 here); a #VC with no guest handler ends the run as the exception exit of vector 29.
 *
 * Errors: host failures and invalid arguments return -errno (never exit).  Threads: as kvm.h.
 */
#ifndef SNPEMU_VMM_TCG_H
#define SNPEMU_VMM_TCG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/kvm.h"

#define VMM_TCG_TSC_KHZ	   1000000u /* the virtual TSC's rate in deterministic mode (1 GHz) */
#define VMM_TCG_TSC_STEP   1000000u /* virtual TSC ticks per RDTSC (1 ms: a back-off loop costs few traps) */
#define VMM_TCG_EXIT_STEP  1000u    /* virtual TSC ticks each exit the caller serves takes (1 us; Milan: 3.2 us) */
#define VMM_TCG_SLICE_NS   2000000u /* a vCPU waiting this long for the CPU makes the running one yield */
#define VMM_TCG_REASON_LEN VMM_KVM_REASON_LEN

struct vmm_tcg_vm;
struct vmm_tcg_vcpu;

/* Port IO of vCPU vcpu_id, served synchronously: OUT data[size], or IN filling data[size] (preset to all-ones).
 * Returns false when the vCPU must stop (the VM ends). */
typedef bool (*vmm_tcg_io_fn)(void *ctx, uint32_t vcpu_id, uint16_t port, bool in, uint8_t *data, uint32_t size);

/* RDMSR (write false: *value to fill) or WRMSR (write true: *value the EDX:EAX written) of MSR index by vCPU
 * vcpu_id, served synchronously from the #GP the instruction raises at CPL 3.  Returns true when served, false to
 * leave it a #GP exception exit. */
typedef bool (*vmm_tcg_msr_fn)(void *ctx, uint32_t vcpu_id, uint32_t index, bool write, uint64_t *value);

/* VM creation parameters; a zeroed structure asks for the defaults. */
struct vmm_tcg_vm_config {
	vmm_tcg_io_fn io; /* NULL: OUTs are dropped and INs read all-ones */
	void *io_ctx;
	vmm_tcg_msr_fn msr; /* NULL: every RDMSR/WRMSR is a #GP exception exit; called with io_ctx */
	uint64_t ram_size;  /* bytes; 0 = VMM_KVM_RAM_DEFAULT; a multiple of 2 MiB in [RAM_MIN, RAM_MAX] (as kvm) */
	void *ram;	    /* NULL = the VM maps its own RAM; else the caller's mapping, as vmm_kvm_vm_config.ram */
	bool deterministic; /* virtual TSC (see above) */
	bool vc;	    /* #VC mode: CPUID, port IO and intercepted MSRs raise #VC in the guest (see below) */
};

/* Can this host run the tcg backend?  Opens a Unicorn x86-64 instance and checks the library is 2.x.  Returns 0,
 * or -errno with a one-line reason in reason[len]. */
int vmm_tcg_probe(char *reason, size_t len);

/* Creates a VM: checks the configuration, maps RAM (or takes the caller's) and builds the kvm backend's system area
 * in it (page tables, GDT, IDT, exception stubs, TSSs, I/O bitmap).  Returns 0 and *out, or -errno (-EINVAL for a
 * bad config) with a reason in reason[len] if reason is not NULL. */
int vmm_tcg_vm_create(const struct vmm_tcg_vm_config *cfg, struct vmm_tcg_vm **out, char *reason, size_t len);

/* Destroys a VM whose vCPUs have all been destroyed (else -EBUSY).  NULL is a no-op. */
int vmm_tcg_vm_destroy(struct vmm_tcg_vm *vm);

/* Host pointer to guest-physical [gpa, gpa + len), or NULL if any byte lies outside RAM (the checked translator). */
void *vmm_tcg_gpa(struct vmm_tcg_vm *vm, uint64_t gpa, uint64_t len);

/* Creates vCPU index id (< VMM_KVM_MAX_VCPUS, each once) with the given registers; sregs NULL = the kvm backend's
 * CPL-3 set (vmm_kvm_user_sregs()).  Code segments of DPL 0 are entered as the VMM's CPL-3 segments (the layer runs
 * all guest code at CPL 3, see above).  Returns 0 and *out, or -errno (-EEXIST for a used id, -EINVAL for a state
 * Unicorn refuses). */
int vmm_tcg_vcpu_create(struct vmm_tcg_vm *vm, uint32_t id, const struct vmm_regs *regs, const struct vmm_sregs *sregs,
			struct vmm_tcg_vcpu **out);

/* Destroys a vCPU (its thread must have left vmm_tcg_vcpu_run()).  NULL is a no-op. */
void vmm_tcg_vcpu_destroy(struct vmm_tcg_vcpu *vcpu);

/* Runs the vCPU until the next exit the caller must see, applying the completion of the previous exit first.
 * Exit kinds: VMGEXIT, PVALIDATE, RMPADJUST, MMIO, EXCEPTION, INTR (stop requested), INTERNAL_ERROR (Unicorn
 * failed: internal.suberror = the uc_err).  Returns 0 with *exit filled, or -errno for a host failure. */
int vmm_tcg_vcpu_run(struct vmm_tcg_vcpu *vcpu, struct vmm_kvm_exit *exit);

/* Completions, as the kvm ones: the PVALIDATE result (RAX = rc, RFLAGS.CF = no_update; unanswered:
 * SNPEMU_PVALIDATE_FAIL_INPUT) and the RMPADJUST result (RAX = rc; unanswered: SNPEMU_PVALIDATE_FAIL_INPUT).  -EINVAL
 * if the last exit was not of that kind. */
int vmm_tcg_complete_pvalidate(struct vmm_tcg_vcpu *vcpu, uint32_t rc, bool no_update);
int vmm_tcg_complete_rmpadjust(struct vmm_tcg_vcpu *vcpu, uint32_t rc);

/* The registers of the code an exception exit interrupted (the CPU's own: nothing was pushed). */
int vmm_tcg_exception_regs(struct vmm_tcg_vcpu *vcpu, const struct vmm_kvm_exit *exit, struct vmm_regs *regs);

/* Register access.  set_sregs loads the segment registers by selector from the guest's GDT where they change
 * (within CPL 3), then FS/GS bases, control registers, EFER, descriptor tables. */
int vmm_tcg_vcpu_get_regs(struct vmm_tcg_vcpu *vcpu, struct vmm_regs *regs);
int vmm_tcg_vcpu_set_regs(struct vmm_tcg_vcpu *vcpu, const struct vmm_regs *regs);
int vmm_tcg_vcpu_get_sregs(struct vmm_tcg_vcpu *vcpu, struct vmm_sregs *sregs);
int vmm_tcg_vcpu_set_sregs(struct vmm_tcg_vcpu *vcpu, const struct vmm_sregs *sregs);
/* x87/SSE state (struct vmm_fpu, KVM_GET_FPU's layout) from and into the emulated CPU.  0 or -EIO. */
int vmm_tcg_vcpu_get_fpu(struct vmm_tcg_vcpu *vcpu, struct vmm_fpu *fpu);
int vmm_tcg_vcpu_set_fpu(struct vmm_tcg_vcpu *vcpu, const struct vmm_fpu *fpu);

/* From any thread: the vCPU leaves vmm_tcg_vcpu_run() with VMM_KVM_EXIT_INTR soon (it stops emulation if running).
 * Sticky until vmm_tcg_vcpu_clear_stop(). */
void vmm_tcg_vcpu_request_stop(struct vmm_tcg_vcpu *vcpu);
void vmm_tcg_vcpu_clear_stop(struct vmm_tcg_vcpu *vcpu);

/* The vCPU's virtual TSC in ns (VMM_TCG_TSC_KHZ is 1 GHz: a tick is a ns); deterministic mode only, else 0.  Call
 * on the vCPU's thread, between runs. */
uint64_t vmm_tcg_vcpu_clock(const struct vmm_tcg_vcpu *vcpu);

/* The vCPU idles for ns (an idle port its io callback serves, on the vCPU's thread): begin moves the virtual TSC
 * by ns (deterministic mode) and gives up the CPU if this vCPU holds it, so that the others run while it sleeps;
 * end takes the CPU back.  Without this, a vCPU sleeping inside its io callback would stop every other one. */
void vmm_tcg_vcpu_idle_begin(struct vmm_tcg_vcpu *vcpu, uint64_t ns);
void vmm_tcg_vcpu_idle_end(struct vmm_tcg_vcpu *vcpu);

/* Guest instructions are not counted by Unicorn cheaply; this counts emulation entries (uc_emu_start calls). */
uint64_t vmm_tcg_vcpu_entries(const struct vmm_tcg_vcpu *vcpu);
/* The vCPU's virtual TSC (deterministic mode), for live migration: read, and set on a vCPU that is not running. */
uint64_t vmm_tcg_vcpu_tsc(const struct vmm_tcg_vcpu *vcpu);
void vmm_tcg_vcpu_set_tsc(struct vmm_tcg_vcpu *vcpu, uint64_t tsc);

#endif

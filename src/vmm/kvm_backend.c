/* SPDX-License-Identifier: MIT */
/*
 * The VMM's kvm backend: the guest program runs as real x86-64 code in a KVM VM (src/vmm/kvm.h) whose RAM is the
 * VMM's guest memory (vm->mem: the memory the engine and the firmware model see).  Every exit goes to the handler
 * it shares with the tcg backend (x86_exits.c: the map of exits, and the trap-and-emulate of CPL-3 code).
 *
 * CPL 3: the programs run at CPL 3 and the VMM emulates their privileged instructions: hosts whose KVM emulates
 * ring-0 guest code (PVM: ~1 us per instruction, no SSE) run CPL-3 code natively.  The ports the programs talk to
 * the VMM through (the doorbells, console, exit, debug) are open in the TSS I/O permission bitmap (kvm_x86.c), so
 * their IN/OUT exits directly as an IO exit (about half the cost of the #GP trap on PVM); they land in the same
 * handlers as the emulated instructions, and count alike in exits_to_vmm.  Any other port #GPs.
 *
 * vCPUs: the BSP at the ELF entry; an AP on AP creation (the engine's AP handler, vm_snp.c) from its VMSA
 * (vmm_x86_entry_state; a VMSA's segments are used where they are CPL 3).  Entry registers (the protocol of
 * guests/kvm_main.c): RDI = vCPU index, RSI = SNPEMU_BOOT_INFO_GPA | guest TSC kHz << 32.
 *
 * The backend interface (src/vmm/backend.h): create = the KVM VM over vm->mem and the program's ELF loaded at its
 * link address; start_vcpu = a KVM vCPU at the entry; run_vcpu = the KVM_RUN loop below; kick = a sticky stop
 * request (vmm_kvm_vcpu_request_stop) plus a no-op signal that interrupts KVM_RUN, after which the vCPU stops at
 * its pause point (vmm_vcpu_pause_point) or ends when the VM stops; save/restore_vcpu = KVM's registers plus the
 * engine's GHCB MSR; the dirty log = KVM_GET_DIRTY_LOG (kvm_dirty.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/msr_proto.h>

#include "vmm/kvm.h"
#include "vmm/vmm_internal.h"
#include "vmm/x86_exits.h"

#define KVM_TSC_CALIBRATE_NS (2 * 1000 * 1000)

/* The kvm backend's VM: the KVM VM over the VMM's guest RAM, and what every vCPU starts with. */
struct kvm_backend_vm {
	struct vmm_kvm_vm *kvm;
	uint64_t entry; /* the program ELF's entry point */
	uint64_t arg;	/* every vCPU's boot argument (RSI): SNPEMU_BOOT_INFO_GPA | guest TSC kHz << 32 */
};

static struct vmm_kvm_vm *kvm_of(struct vmm_vm *vm)
{
	return ((struct kvm_backend_vm *)vm->backend_vm)->kvm;
}

static struct vmm_kvm_vcpu *kvcpu(struct vmm_vcpu *v)
{
	return v->backend_vcpu;
}

/* The signal that interrupts a vCPU thread in KVM_RUN; its handler does nothing (installed without SA_RESTART). */
static int kick_signal(void)
{
	return SIGRTMIN + 1;
}

static void kick_handler(int sig)
{
	(void)sig;
}

static int install_kick_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(kick_signal(), &sa, NULL) ? -errno : 0;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The guest's TSC runs at the host's rate (KVM's default without KVM_SET_TSC_KHZ): measured against
 * CLOCK_MONOTONIC over 2 ms, which is ample for back-off delays. */
static uint64_t tsc_khz(void)
{
	uint64_t t0 = vmm_now_ns(), c0 = rdtsc(), t1;
	while ((t1 = vmm_now_ns()) - t0 < KVM_TSC_CALIBRATE_NS)
		;
	uint64_t c1 = rdtsc();
	uint64_t khz = (c1 - c0) * 1000000ull / (t1 - t0);
	return khz < 0xFFFFFFFFull ? khz : 0;
}

/* Usable here: KVM runs a probe guest.  (Guest code uses general registers only, so nothing else is needed.) */
static int kvm_probe(char *reason, size_t len)
{
	return vmm_kvm_probe(reason, len);
}

static int kvm_create(struct vmm_vm *vm, uint64_t *image_len)
{
	char reason[VMM_KVM_REASON_LEN];
	int rc = vmm_x86_check_ram(vm, "kvm");
	if (rc)
		return rc;
	struct kvm_backend_vm *kb = calloc(1, sizeof(*kb));
	if (!kb)
		return -ENOMEM;
	vm->backend_vm = kb;
	rc = install_kick_handler();
	if (rc)
		return rc;
	struct vmm_kvm_vm_config kc = {.ram_size = vm->mem_size, .ram = vm->mem};
	rc = vmm_kvm_vm_create(&kc, &kb->kvm, reason, sizeof(reason));
	if (rc) {
		kb->kvm = NULL;
		fprintf(vm->err, "snpemu: %s\n", reason);
		return rc;
	}
	kb->arg = SNPEMU_BOOT_INFO_GPA | tsc_khz() << 32;
	*image_len = 0;
	if (vm->incoming)
		return 0; /* guest RAM and every vCPU's state come from the migration stream */
	return vmm_x86_load_image(vm, &kb->entry, image_len);
}

static void kvm_destroy(struct vmm_vm *vm)
{
	struct kvm_backend_vm *kb = vm->backend_vm;
	for (uint32_t i = 0; i < SNPEMU_MAX_VCPUS; i++) {
		vmm_kvm_vcpu_destroy(vm->vcpus[i].backend_vcpu);
		vm->vcpus[i].backend_vcpu = NULL;
	}
	if (!kb)
		return;
	if (vmm_kvm_vm_destroy(kb->kvm) == 0) {
		free(kb);
		vm->backend_vm = NULL;
	}
}

/* The kvm vCPU as the shared exit handler sees it. */
static int kc_get_regs(void *cpu, struct vmm_regs *regs)
{
	return vmm_kvm_vcpu_get_regs(cpu, regs);
}

static int kc_set_regs(void *cpu, const struct vmm_regs *regs)
{
	return vmm_kvm_vcpu_set_regs(cpu, regs);
}

static int kc_get_sregs(void *cpu, struct vmm_sregs *sregs)
{
	return vmm_kvm_vcpu_get_sregs(cpu, sregs);
}

static int kc_set_sregs(void *cpu, const struct vmm_sregs *sregs)
{
	return vmm_kvm_vcpu_set_sregs(cpu, sregs);
}

static int kc_get_fpu(void *cpu, struct vmm_fpu *fpu)
{
	return vmm_kvm_vcpu_get_fpu(cpu, fpu);
}

static int kc_set_fpu(void *cpu, const struct vmm_fpu *fpu)
{
	return vmm_kvm_vcpu_set_fpu(cpu, fpu);
}

static int kc_exception_regs(void *cpu, const struct vmm_kvm_exit *exit, struct vmm_regs *regs)
{
	return vmm_kvm_exception_regs(cpu, exit, regs);
}

static int kc_complete_rdmsr(void *cpu, uint64_t value)
{
	return vmm_kvm_complete_rdmsr(cpu, value);
}

static int kc_complete_wrmsr(void *cpu)
{
	return vmm_kvm_complete_wrmsr(cpu);
}

static int kc_complete_in(void *cpu, const void *data, size_t len)
{
	return vmm_kvm_complete_in(cpu, data, len);
}

static int kc_complete_pvalidate(void *cpu, uint32_t rc, bool no_update)
{
	return vmm_kvm_complete_pvalidate(cpu, rc, no_update);
}

static int kc_no_rmpadjust(void *cpu, uint32_t rc)
{
	(void)cpu, (void)rc;
	return -EINVAL; /* kvm produces no RMPADJUST exit */
}

static void kc_clear_stop(void *cpu)
{
	vmm_kvm_vcpu_clear_stop(cpu);
}

static const struct vmm_x86_cpu_ops kvm_cpu_ops = {
    .get_regs = kc_get_regs,
    .set_regs = kc_set_regs,
    .get_sregs = kc_get_sregs,
    .set_sregs = kc_set_sregs,
    .get_fpu = kc_get_fpu,
    .set_fpu = kc_set_fpu,
    .exception_regs = kc_exception_regs,
    .complete_rdmsr = kc_complete_rdmsr,
    .complete_wrmsr = kc_complete_wrmsr,
    .complete_in = kc_complete_in,
    .complete_pvalidate = kc_complete_pvalidate,
    .complete_rmpadjust = kc_no_rmpadjust,
    .clear_stop = kc_clear_stop,
};

static void kvm_run_vcpu(struct vmm_vcpu *v)
{
	struct vmm_vm *vm = v->vm;
	struct vmm_kvm_exit e;
	const struct vmm_x86_cpu cpu = {&kvm_cpu_ops, kvcpu(v)};
	while (!atomic_load(&vm->stopping)) {
		int rc = vmm_kvm_vcpu_run(kvcpu(v), &e);
		if (rc < 0) {
			vmm_say(vm, "vCPU %u: KVM_RUN failed: %s; stopping the VM\n", v->id, strerror(-rc));
			vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
			break;
		}
		if (!vmm_x86_handle_exit(&cpu, v, &e))
			break;
	}
}

static int kvm_restore_vcpu(struct vmm_vcpu *v, const struct vmm_vcpu_state *st);

static int kvm_start_vcpu(struct vmm_vcpu *v)
{
	struct kvm_backend_vm *kb = v->vm->backend_vm;
	struct vmm_regs regs;
	struct vmm_sregs vmsa_sregs, sregs;
	bool have_sregs;
	int rc = vmm_x86_entry_state(v, kb->entry, kb->arg, &regs, &vmsa_sregs, &have_sregs);
	if (rc)
		return rc;
	/* At CPL 3 (x86_exits.c, emulate_privileged(), says why): a VMSA's own segments only where they are CPL 3. */
	rc = vmm_kvm_user_sregs(kb->kvm, v->id, &sregs);
	if (!rc && have_sregs && (vmsa_sregs.cs.attrib >> 5 & 3u) == 3u)
		sregs = vmsa_sregs;
	if (!rc && !v->backend_vcpu) {
		struct vmm_kvm_vcpu *kv;
		rc = vmm_kvm_vcpu_create(kb->kvm, v->id, &regs, &sregs, &kv);
		if (!rc)
			v->backend_vcpu = kv;
		/* A migrated vCPU: created as above, then loaded with its saved state (KVM sets every register). */
		if (!rc && v->resume)
			rc = kvm_restore_vcpu(v, v->resume);
	}
	return rc;
}

/* Out of KVM_RUN: a sticky stop request for the next entry, and a signal for an entry in progress. */
static void kvm_kick(struct vmm_vcpu *v)
{
	vmm_kvm_vcpu_request_stop(kvcpu(v));
	pthread_kill(v->thread, kick_signal());
}

static int kvm_save_vcpu(struct vmm_vcpu *v, struct vmm_vcpu_state *st)
{
	const struct vmm_x86_cpu cpu = {&kvm_cpu_ops, kvcpu(v)};
	return vmm_x86_save_vcpu(&cpu, v, st);
}

static int kvm_restore_vcpu(struct vmm_vcpu *v, const struct vmm_vcpu_state *st)
{
	const struct vmm_x86_cpu cpu = {&kvm_cpu_ops, kvcpu(v)};
	return vmm_x86_restore_vcpu(&cpu, v, st);
}

/* KVM's dirty log (kvm_dirty.c): the guest's writes; the VMM's and the engine's own writes through vm->mem are not
 * in it: those are in the VMM's log (dirty_vmm.c), which vmm_dirty_log_get ORs into this one. */
static int kvm_dirty_log_start(struct vmm_vm *vm)
{
	return vmm_kvm_dirty_log(kvm_of(vm), true);
}

static int kvm_dirty_log_get(struct vmm_vm *vm, uint64_t *bitmap, size_t words)
{
	return vmm_kvm_dirty_log_get(kvm_of(vm), bitmap, words);
}

static void kvm_dirty_log_stop(struct vmm_vm *vm)
{
	vmm_kvm_dirty_log(kvm_of(vm), false);
}

const struct vmm_backend vmm_backend_kvm = {
    .name = "kvm",
    .kind = VMM_BACKEND_KVM,
    .in_auto = true,
    .auto_reason = "/dev/kvm runs guests",
    .runs_elf = true,
    .migrates = true,
    .probe = kvm_probe,
    .create = kvm_create,
    .start_vcpu = kvm_start_vcpu,
    .run_vcpu = kvm_run_vcpu,
    .kick = kvm_kick,
    .destroy = kvm_destroy,
    .pause_all = vmm_vcpus_pause,
    .resume_all = vmm_vcpus_resume,
    .save_vcpu = kvm_save_vcpu,
    .restore_vcpu = kvm_restore_vcpu,
    .dirty_log_start = kvm_dirty_log_start,
    .dirty_log_get = kvm_dirty_log_get,
    .dirty_log_stop = kvm_dirty_log_stop,
};

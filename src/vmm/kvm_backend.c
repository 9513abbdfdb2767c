/* SPDX-License-Identifier: MIT */
/*
 * The VMM's kvm backend: the guest program runs as real x86-64 code in a KVM VM (src/vmm/kvm.h) whose RAM is the
 * VMM's guest memory (vm->mem: the memory the engine and the firmware model see), and every exit goes where it
 * goes on sim:
 *   VMGEXIT doorbell      -> vmm_vcpu_vmgexit(): the engine + the one exit handler (exits.c), as sim does
 *   RDMSR/WRMSR GHCB MSR  -> the engine vCPU's GHCB MSR (hv_vcpu_get/set_ghcb_msr): the engine keeps the only copy
 *   RDMSR SEV status MSR  -> SEV | SEV-ES (| SNP) as the VM type says (APM vol 2, SEV_STATUS 0xC0010131)
 *   PVALIDATE doorbell    -> vmm_vcpu_pvalidate(): the firmware RMP, as on sim
 *   console/exit/debug/export port IO -> vmm_handle_port(), the engine's IO exits' handler
 *   exception report      -> "guest exception on vCPU n: <vector, error code, RIP>", the VM stops
 *                            (SNPEMU_STATUS_EXCEPTION + vector; statuses: <snpemu/abi/runtime.h>)
 *   SHUTDOWN, INTERNAL_ERROR, FAIL_ENTRY, others -> a message and a stop with SNPEMU_STATUS_HOST_ERROR
 *   HLT                   -> an AP whose program returned stops (as on sim); the BSP halting stops the VM
 *                            (SNPEMU_STATUS_HALTED)
 *
 * CPL 3: the programs run at CPL 3 and the VMM emulates their privileged instructions (emulate_privileged()):
 * hosts whose KVM emulates ring-0 guest code (PVM: ~1 us per instruction, no SSE) run CPL-3 code natively.  The
 * ports the programs talk to the VMM through (the doorbells, console, exit, debug) are open in the TSS I/O
 * permission bitmap (kvm_x86.c), so their IN/OUT exits directly as an IO exit (about half the cost of the #GP trap
 * on PVM); they land in the same handlers as the emulated instructions: the VMGEXIT doorbell in
 * vmm_vcpu_vmgexit(), PVALIDATE in pvalidate() (RAX/RCX/RDX in, RAX and RFLAGS.CF out: the low level writes them,
 * vmm_kvm_complete_pvalidate()), port IO in vmm_handle_port(); and count alike in exits_to_vmm (the VMGEXIT
 * doorbell as on sim, where the engine counts the exits it hands the VMM).  Any other port #GPs as before.
 *
 * vCPUs: the BSP at the ELF entry; an AP on AP creation (the engine's AP handler, vm_snp.c) at the same entry with
 * RDI = its APIC ID.  The VMSA the guest wrote is validated by the engine but its registers are not loaded: the
 * programs' VMSAs carry no runnable state (storm leaves RIP 0, none sets RSP, CR3 or segments) and guests/rt's
 * entry protocol gives every vCPU its stack from its index, which a VMSA cannot express.  Entry registers (the
 * protocol of guests/rt/rt_abi.h and guests/kvm_main.c): RDI = vCPU index, RSI = SNPEMU_BOOT_INFO_GPA | guest TSC
 * kHz << 32.
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

#define KVM_IO_MAX	     4096u /* bytes of one IN/OUT exit the VMM serves (rep ins/outs of a page) */
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
	if (vm->mem_size > VMM_KVM_RAM_MAX) {
		fprintf(vm->err, "snpemu: the kvm backend supports at most %llu MiB of RAM\n",
			(unsigned long long)(VMM_KVM_RAM_MAX >> 20));
		return -EINVAL;
	}
	struct kvm_backend_vm *kb = calloc(1, sizeof(*kb));
	if (!kb)
		return -ENOMEM;
	vm->backend_vm = kb;
	int rc = install_kick_handler();
	if (rc)
		return rc;
	struct vmm_kvm_vm_config kc = {.ram_size = vm->mem_size, .ram = vm->mem};
	rc = vmm_kvm_vm_create(&kc, &kb->kvm, reason, sizeof(reason));
	if (rc) {
		kb->kvm = NULL;
		fprintf(vm->err, "snpemu: %s\n", reason);
		return rc;
	}
	size_t len = vm->program->elf_len;
	const uint8_t *image = vm->program->elf;
	if (!image) {
		fprintf(vm->err, "snpemu: guest program '%s' has no kvm image\n", vm->program->name);
		return -ENOENT;
	}
	/* The image lives below the boot information page: that is the end of the range it may occupy. */
	struct vmm_kvm_elf_info info;
	enum vmm_kvm_elf_error err =
	    vmm_kvm_elf_load(image, len, vm->mem, SNPEMU_IMAGE_GPA, SNPEMU_BOOT_INFO_GPA, &info);
	if (err != VMM_KVM_ELF_OK || info.lowest != SNPEMU_IMAGE_GPA) {
		fprintf(vm->err, "snpemu: the kvm image of '%s' is not loadable: %s\n", vm->program->name,
			err != VMM_KVM_ELF_OK ? vmm_kvm_elf_strerror(err) : "it does not start at its link address");
		return -ENOEXEC;
	}
	kb->entry = info.entry;
	kb->arg = SNPEMU_BOOT_INFO_GPA | tsc_khz() << 32;
	*image_len = info.highest - SNPEMU_IMAGE_GPA;
	return 0;
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

/* PVALIDATE with the doorbell's registers (RAX/RCX/RDX, unchecked): what the VMM's RMP decides.  Returns false
 * when the VM stops. */
static bool pvalidate(struct vmm_vcpu *v, uint64_t gpa, uint64_t size, uint64_t validate, uint32_t *rc_out,
		      bool *no_update)
{
	if (v->vm->fw_guest && (size > SNPEMU_PVALIDATE_SIZE_2M || validate > 1)) {
		*rc_out = SNPEMU_PVALIDATE_FAIL_INPUT;
		*no_update = false;
		return true;
	}
	return vmm_vcpu_pvalidate(v, gpa, size == SNPEMU_PVALIDATE_SIZE_2M, validate != 0, rc_out, no_update);
}

static bool do_pvalidate(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	uint32_t rc;
	bool no_update;
	/* identity-mapped: the virtual address is the GPA */
	if (!pvalidate(v, e->pvalidate.vaddr, e->pvalidate.page_size, e->pvalidate.validate, &rc, &no_update))
		return false;
	return vmm_kvm_complete_pvalidate(kvcpu(v), rc, no_update) == 0;
}

static bool do_rdmsr(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	if (e->msr.index == MSR_AMD64_SEV_ES_GHCB)
		return vmm_kvm_complete_rdmsr(kvcpu(v), hv_vcpu_get_ghcb_msr(v->hv)) == 0;
	if (e->msr.index == MSR_AMD64_SEV) {
		uint64_t st =
		    MSR_AMD64_SEV_ENABLED | MSR_AMD64_SEV_ES_ENABLED | (vm->snp ? MSR_AMD64_SEV_SNP_ENABLED : 0);
		return vmm_kvm_complete_rdmsr(kvcpu(v), st) == 0;
	}
	return true; /* unanswered: #GP */
}

static bool do_wrmsr(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	/* Only the GHCB MSR is writable; SEV status is read-only (#GP, the unanswered default). */
	if (e->msr.index == MSR_AMD64_SEV_ES_GHCB && hv_vcpu_set_ghcb_msr(v->hv, e->msr.value) == 0) {
		atomic_fetch_add(&vm->ghcb_msr_writes, 1);
		return vmm_kvm_complete_wrmsr(kvcpu(v)) == 0;
	}
	return true;
}

static bool do_io(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	uint64_t bytes = (uint64_t)e->io.size * e->io.count;
	if (bytes > KVM_IO_MAX) {
		vmm_say(vm, "vCPU %u: port 0x%x access of %llu bytes is more than the VMM serves; stopping the VM\n",
			v->id, e->io.port, (unsigned long long)bytes);
		vmm_vm_stop(vm, SNPEMU_STATUS_UNSERVED);
		return false;
	}
	uint8_t buf[KVM_IO_MAX];
	if (!e->io.out) {
		vmm_handle_port(vm, v, e->io.port, true, buf, e->io.size, e->io.count);
		return vmm_kvm_complete_in(kvcpu(v), buf, bytes) == 0;
	}
	memcpy(buf, e->io.data, bytes);
	return vmm_handle_port(vm, v, e->io.port, false, buf, e->io.size, e->io.count);
}

/*
 * The programs run at CPL 3 (where hosts that emulate ring-0 guest code, PVM, run them natively and with SSE), so
 * their privileged instructions (the doorbell and console OUTs, RDMSR/WRMSR of the GHCB and SEV status MSRs, HLT,
 * CLI) raise #GP.  The VMM emulates them as a trap-and-emulate hypervisor does: it decodes the
 * instruction at the reported RIP, performs it exactly as the exit of the CPL-0 instruction would be served, and
 * resumes after it with the registers the exception stub saved.  Returns 1 (resume), 0 (not an instruction the
 * VMM emulates: report the #GP), -1 (the vCPU's thread ends).
 */
enum priv_op { OP_OUT, OP_IN, OP_RDMSR, OP_WRMSR, OP_HLT, OP_NOP };

static int emulate_privileged(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	struct vmm_regs r;
	struct vmm_sregs sr;
	if ((e->exception.cs & 3) != 3 || vmm_kvm_exception_regs(kvcpu(v), e, &r))
		return 0;
	const uint8_t *ip = vmm_guest_ptr(vm, r.rip, 3, VMM_ACCESS_GUEST, NULL); /* identity-mapped: RIP is the GPA */
	if (!ip)
		return 0;
	unsigned int i = ip[0] == 0x66 ? 1 : 0, len = i + 1, size = i ? 2 : 4;
	uint16_t port = (uint16_t)r.rdx;
	enum priv_op op;
	switch (ip[i]) {
	case 0xE6: /* out imm8, al */
	case 0xE4: /* in al, imm8 */
		op = ip[i] == 0xE6 ? OP_OUT : OP_IN, port = ip[i + 1], size = 1, len = i + 2;
		break;
	case 0xE7: /* out imm8, (e)ax */
	case 0xE5:
		op = ip[i] == 0xE7 ? OP_OUT : OP_IN, port = ip[i + 1], len = i + 2;
		break;
	case 0xEE: /* out dx, al */
	case 0xEC:
		op = ip[i] == 0xEE ? OP_OUT : OP_IN, size = 1;
		break;
	case 0xEF: /* out dx, (e)ax */
	case 0xED:
		op = ip[i] == 0xEF ? OP_OUT : OP_IN;
		break;
	case 0xF4:
		op = OP_HLT;
		break;
	case 0xFA: /* cli, sti: nothing to do, the VM takes no interrupts */
	case 0xFB:
		op = OP_NOP;
		break;
	case 0x0F:
		if (i || (ip[1] != 0x30 && ip[1] != 0x32))
			return 0;
		op = ip[1] == 0x30 ? OP_WRMSR : OP_RDMSR, len = 2;
		break;
	default:
		return 0;
	}
	if (vmm_kvm_vcpu_get_sregs(kvcpu(v), &sr))
		return 0;
	/* Counted as handle() counts the direct exit of the same instruction. */
	atomic_fetch_add(&vm->exits_to_vmm, op == OP_OUT && port == SNPEMU_PORT_VMGEXIT ? 0 : 1);
	uint32_t msr = (uint32_t)r.rcx;
	uint64_t value = (r.rdx & 0xFFFFFFFFull) << 32 | (r.rax & 0xFFFFFFFFull);
	uint8_t data[4];
	switch (op) {
	case OP_OUT:
		if (port == SNPEMU_PORT_VMGEXIT) {
			if (!vmm_vcpu_vmgexit(v))
				return -1;
		} else if (port == SNPEMU_PORT_PVALIDATE) {
			uint32_t rc;
			bool no_update;
			if (!pvalidate(v, r.rax, r.rcx, r.rdx, &rc, &no_update))
				return -1;
			r.rax = rc;
			r.rflags = no_update ? r.rflags | 1u : r.rflags & ~1ull;
		} else {
			for (unsigned int b = 0; b < size; b++)
				data[b] = (uint8_t)(r.rax >> (8 * b));
			if (!vmm_handle_port(vm, v, port, false, data, size, 1))
				return -1;
		}
		break;
	case OP_IN:
		vmm_handle_port(vm, v, port, true, data, size, 1);
		for (unsigned int b = 0; b < size; b++)
			r.rax = (r.rax & ~(0xFFull << (8 * b))) | (uint64_t)data[b] << (8 * b);
		break;
	case OP_RDMSR:
		if (msr == MSR_AMD64_SEV_ES_GHCB)
			value = hv_vcpu_get_ghcb_msr(v->hv);
		else if (msr == MSR_AMD64_SEV)
			value = MSR_AMD64_SEV_ENABLED | MSR_AMD64_SEV_ES_ENABLED |
				(vm->snp ? MSR_AMD64_SEV_SNP_ENABLED : 0);
		else
			return 0;
		r.rax = value & 0xFFFFFFFFu;
		r.rdx = value >> 32;
		break;
	case OP_WRMSR:
		if (msr == MSR_AMD64_SEV_ES_GHCB) {
			if (hv_vcpu_set_ghcb_msr(v->hv, value))
				return 0;
			atomic_fetch_add(&vm->ghcb_msr_writes, 1);
		} else {
			return 0;
		}
		break;
	case OP_HLT:
		if (v->id != 0)
			return -1; /* an AP whose program returned: it just stops, as on sim */
		vmm_say(vm, "vCPU 0 halted; stopping the VM\n");
		vmm_vm_stop(vm, SNPEMU_STATUS_HALTED);
		return -1;
	case OP_NOP:
		break;
	}
	/* Back to CPL 3 after the instruction, with the registers the stub saved. */
	struct vmm_sregs user;
	if (vmm_kvm_user_sregs(kvm_of(vm), v->id, &user))
		return 0;
	sr.cs = user.cs;
	sr.ss = user.ss;
	r.rip += len;
	if (vmm_kvm_vcpu_set_sregs(kvcpu(v), &sr) || vmm_kvm_vcpu_set_regs(kvcpu(v), &r)) {
		vmm_say(vm, "vCPU %u: cannot resume the guest after emulating an instruction; stopping the VM\n",
			v->id);
		vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
		return -1;
	}
	return 1;
}

/* Handles one exit; false ends the vCPU's thread. */
static bool handle(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	char what[VMM_KVM_REASON_LEN + 64];
	atomic_fetch_add(&vm->exits_to_vmm, e->kind == VMM_KVM_EXIT_VMGEXIT ? 0 : 1);
	switch (e->kind) {
	case VMM_KVM_EXIT_VMGEXIT:
		return vmm_vcpu_vmgexit(v);
	case VMM_KVM_EXIT_PVALIDATE:
		return do_pvalidate(vm, v, e);
	case VMM_KVM_EXIT_RDMSR:
		return do_rdmsr(vm, v, e);
	case VMM_KVM_EXIT_WRMSR:
		return do_wrmsr(vm, v, e);
	case VMM_KVM_EXIT_IO:
		return do_io(vm, v, e);
	case VMM_KVM_EXIT_INTR:
		/* A kick: the VM is stopping or pausing (the loop checks the former). */
		vmm_kvm_vcpu_clear_stop(kvcpu(v));
		return vmm_vcpu_pause_point(v);
	case VMM_KVM_EXIT_HLT:
		if (v->id != 0)
			return false; /* an AP whose program returned: it just stops, as on sim */
		vmm_say(vm, "vCPU 0 halted; stopping the VM\n");
		vmm_vm_stop(vm, SNPEMU_STATUS_HALTED);
		return false;
	case VMM_KVM_EXIT_EXCEPTION:
		if (e->exception.vector == 13) {
			int emulated = emulate_privileged(vm, v, e);
			if (emulated)
				return emulated > 0;
		}
		vmm_kvm_exit_describe(e, what, sizeof(what));
		vmm_say(vm, "guest exception on vCPU %u: %s; stopping the VM\n", v->id, what);
		vmm_vm_stop(vm, SNPEMU_STATUS_EXCEPTION + (int)e->exception.vector);
		return false;
	case VMM_KVM_EXIT_MMIO:
		vmm_kvm_exit_describe(e, what, sizeof(what));
		vmm_say(vm, "vCPU %u: %s outside RAM (SEV-ES guests reach MMIO through the GHCB); stopping the VM\n",
			v->id, what);
		vmm_vm_stop(vm, SNPEMU_STATUS_UNSERVED);
		return false;
	case VMM_KVM_EXIT_SHUTDOWN:
		vmm_say(vm, "vCPU %u: shutdown (triple fault); stopping the VM\n", v->id);
		vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
		return false;
	default: {
		/* INTERNAL_ERROR (KVM could not emulate an instruction), FAIL_ENTRY, anything else. */
		struct vmm_regs r;
		uint64_t rip = vmm_kvm_vcpu_get_regs(kvcpu(v), &r) == 0 ? r.rip : 0;
		vmm_kvm_exit_describe(e, what, sizeof(what));
		vmm_say(vm, "vCPU %u: KVM stopped the guest: %s at rip 0x%llx; stopping the VM\n", v->id, what,
			(unsigned long long)rip);
		vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
		return false;
	}
	}
}

static void kvm_run_vcpu(struct vmm_vcpu *v)
{
	struct vmm_vm *vm = v->vm;
	struct vmm_kvm_exit e;
	while (!atomic_load(&vm->stopping)) {
		int rc = vmm_kvm_vcpu_run(kvcpu(v), &e);
		if (rc < 0) {
			vmm_say(vm, "vCPU %u: KVM_RUN failed: %s; stopping the VM\n", v->id, strerror(-rc));
			vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
			break;
		}
		if (!handle(vm, v, &e))
			break;
	}
}

static int kvm_start_vcpu(struct vmm_vcpu *v)
{
	struct kvm_backend_vm *kb = v->vm->backend_vm;
	const struct vmm_regs regs = {.rip = kb->entry, .rdi = v->id, .rsi = kb->arg, .rflags = 2};
	/* At CPL 3 (emulate_privileged() says why). */
	struct vmm_sregs sregs;
	int rc = vmm_kvm_user_sregs(kb->kvm, v->id, &sregs);
	if (!rc && !v->backend_vcpu) {
		struct vmm_kvm_vcpu *kv;
		rc = vmm_kvm_vcpu_create(kb->kvm, v->id, &regs, &sregs, &kv);
		if (!rc)
			v->backend_vcpu = kv;
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
	memset(st, 0, sizeof(*st));
	vmm_vcpu_save_common(v, st);
	if (!kvcpu(v))
		return 0; /* not started: only the VMM's part */
	int rc = vmm_kvm_vcpu_get_regs(kvcpu(v), &st->regs);
	if (!rc)
		rc = vmm_kvm_vcpu_get_sregs(kvcpu(v), &st->sregs);
	if (!rc)
		st->valid |= VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS;
	return rc;
}

static int kvm_restore_vcpu(struct vmm_vcpu *v, const struct vmm_vcpu_state *st)
{
	int rc = vmm_vcpu_restore_common(v, st);
	if (rc)
		return rc;
	if (!(st->valid & (VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS)))
		return 0;
	if (!kvcpu(v))
		return -EINVAL;
	if (st->valid & VMM_VCPU_STATE_SREGS && (rc = vmm_kvm_vcpu_set_sregs(kvcpu(v), &st->sregs)))
		return rc;
	if (st->valid & VMM_VCPU_STATE_REGS)
		rc = vmm_kvm_vcpu_set_regs(kvcpu(v), &st->regs);
	return rc;
}

/* KVM's dirty log (kvm_dirty.c): the guest's writes; the VMM's own writes through vm->mem are not in it. */
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

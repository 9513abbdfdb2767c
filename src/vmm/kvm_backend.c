/* SPDX-License-Identifier: MIT */
/*
 * The VMM's kvm backend: the guest program runs as real x86-64 code in a KVM VM (src/vmm/kvm.h) whose RAM is the
 * VMM's guest memory (vm->mem: the memory the engine and the firmware model see), and every exit goes where it
 * goes on sim:
 *   VMGEXIT doorbell      -> vmm_vcpu_vmgexit(): the engine + the one exit handler (exits.c), as sim does
 *   RDMSR/WRMSR GHCB MSR  -> the engine vCPU's GHCB MSR (hv_vcpu_get/set_ghcb_msr): the engine keeps the only copy
 *   RDMSR SEV status MSR  -> SEV | SEV-ES (| SNP) as the VM type says (APM vol 2, SEV_STATUS 0xC0010131)
 *   PVALIDATE doorbell    -> fw_rmp_pvalidate(), with sim's mapping of its results
 *   console/exit/debug/export port IO -> vmm_handle_port(), the engine's IO exits' handler
 *   exception report      -> "guest exception on vCPU n: <vector, error code, RIP>", the VM stops (128 + vector)
 *   SHUTDOWN, INTERNAL_ERROR, FAIL_ENTRY, others -> a message and a stop with status 127
 *   HLT                   -> an AP whose program returned stops (as on sim); the BSP halting stops the VM (123)
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
 * Stopping: vmm_vm_stop() wakes the run loop, which asks every started vCPU to stop
 * (vmm_kvm_vcpu_request_stop + a no-op signal that interrupts KVM_RUN; parked APs wake on the VM's condition)
 * and joins every thread before returning.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/msr_proto.h>

#include "../guests/program.h"
#include "vmm/kvm.h"
#include "vmm/vmm_internal.h"

#define KVM_IO_MAX	     4096u /* bytes of one IN/OUT exit the VMM serves (rep ins/outs of a page) */
#define KVM_STATUS_HALTED    123
#define KVM_STATUS_MMIO	     125
#define KVM_STATUS_RMP_FAULT 126
#define KVM_STATUS_HOST	     127
#define KVM_STATUS_EXCEPTION 128 /* + vector */
#define KVM_JOIN_RETRY_NS    (50 * 1000 * 1000)
#define KVM_TSC_CALIBRATE_NS (2 * 1000 * 1000)

_Static_assert(GST_KVM_PORT_VMGEXIT == RT_PORT_VMGEXIT && GST_KVM_PORT_PVALIDATE == RT_PORT_PVALIDATE &&
		   GST_KVM_PORT_CONSOLE == RT_PORT_CONSOLE && GST_KVM_NULL_GUARD == RT_NULL_GUARD_SIZE &&
		   SNPEMU_PORT_EXIT == RT_PORT_EXIT && SNPEMU_PORT_CONSOLE == RT_PORT_CONSOLE,
	       "the guest library's kvm platform and guests/rt agree with the backend");

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

/*
 * What `auto` needs beyond vmm_kvm_probe(): SSE in the programs' code at CPL 3.  The guest library's AES-GCM
 * (Debian's libbearssl.a, compiled for the x86-64 baseline) uses SSE2; a host whose KVM could not run it would stop
 * the VM at every guest request.  The probe guest doubles RAX with SSE2 (movq, paddq, movq) at CPL 3 and then
 * executes an OUT, whose #GP report carries RAX back (the stub saves no SSE state and leaves RAX alone).
 */
int vmm_kvm_probe_sse(char *reason, size_t len)
{
	static const uint8_t code[] = {
	    0x66, 0x48, 0x0F, 0x6E, 0xC0, /* movq %rax, %xmm0 */
	    0x66, 0x0F, 0xD4, 0xC0,	  /* paddq %xmm0, %xmm0 */
	    0x66, 0x48, 0x0F, 0x7E, 0xC0, /* movq %xmm0, %rax */
	    0xE6, 0x80,			  /* out %al, $0x80: #GP at CPL 3 */
	    0xEB, 0xFE,			  /* jmp . */
	};
	const uint64_t in = 0x1234;
	struct vmm_kvm_vm_config cfg = {.ram_size = VMM_KVM_RAM_MIN};
	struct vmm_kvm_vm *kvm;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_exit e;
	struct vmm_kvm_sregs sregs;
	struct vmm_kvm_regs out;
	char what[VMM_KVM_REASON_LEN];
	int rc = vmm_kvm_vm_create(&cfg, &kvm, reason, len);
	if (rc)
		return rc;
	memcpy(vmm_kvm_gpa(kvm, RT_IMAGE_BASE, sizeof(code)), code, sizeof(code));
	const struct vmm_kvm_regs regs = {.rip = RT_IMAGE_BASE, .rax = in, .rsp = RT_IMAGE_BASE + 0x1000, .rflags = 2};
	rc = vmm_kvm_user_sregs(kvm, 0, &sregs);
	if (!rc)
		rc = vmm_kvm_vcpu_create(kvm, 0, &regs, &sregs, &vcpu);
	if (rc) {
		snprintf(reason, len, "kvm: creating the SSE probe's vCPU: %s", strerror(-rc));
	} else {
		rc = vmm_kvm_vcpu_run(vcpu, &e);
		bool ok = rc == 0 && e.kind == VMM_KVM_EXIT_EXCEPTION && e.exception.vector == 13 &&
			  e.exception.rip == RT_IMAGE_BASE + 14 && vmm_kvm_exception_regs(vcpu, &e, &out) == 0 &&
			  out.rax == 2 * in;
		if (rc == 0 && !ok) {
			vmm_kvm_exit_describe(&e, what, sizeof(what));
			snprintf(reason, len, "kvm: guest code cannot use SSE here (%s), the guest's AES-GCM needs it",
				 what);
			rc = -ENOTSUP;
		} else if (rc) {
			snprintf(reason, len, "kvm: KVM_RUN: %s", strerror(-rc));
		}
		vmm_kvm_vcpu_destroy(vcpu);
	}
	vmm_kvm_vm_destroy(kvm);
	return rc;
}

int vmm_kvm_prepare(struct vmm_vm *vm, uint64_t *image_len)
{
	char reason[VMM_KVM_REASON_LEN];
	if (vm->mem_size > VMM_KVM_RAM_MAX) {
		fprintf(vm->err, "snpemu: the kvm backend supports at most %llu MiB of RAM\n",
			(unsigned long long)(VMM_KVM_RAM_MAX >> 20));
		return -EINVAL;
	}
	struct vmm_kvm_vm_config kc = {.ram_size = vm->mem_size, .ram = vm->mem};
	int rc = vmm_kvm_vm_create(&kc, &vm->kvm, reason, sizeof(reason));
	if (rc) {
		vm->kvm = NULL;
		fprintf(vm->err, "snpemu: %s\n", reason);
		return rc;
	}
	size_t len;
	const uint8_t *image = vmm_kvm_program_image(vm->program->name, &len);
	if (!image) {
		fprintf(vm->err, "snpemu: guest program '%s' has no kvm image\n", vm->program->name);
		return -ENOENT;
	}
	/* The image lives below the boot information page: that is the end of the range it may occupy. */
	struct vmm_kvm_elf_info info;
	enum vmm_kvm_elf_error err = vmm_kvm_elf_load(image, len, vm->mem, RT_IMAGE_BASE, SNPEMU_BOOT_INFO_GPA, &info);
	if (err != VMM_KVM_ELF_OK || info.lowest != RT_IMAGE_BASE) {
		fprintf(vm->err, "snpemu: the kvm image of '%s' is not loadable: %s\n", vm->program->name,
			err != VMM_KVM_ELF_OK ? vmm_kvm_elf_strerror(err) : "it does not start at its link address");
		return -ENOEXEC;
	}
	vm->kvm_entry = info.entry;
	vm->kvm_arg = SNPEMU_BOOT_INFO_GPA | tsc_khz() << 32;
	*image_len = info.highest - RT_IMAGE_BASE;
	return 0;
}

void vmm_kvm_backend_fini(struct vmm_vm *vm)
{
	for (uint32_t i = 0; i < SNPEMU_MAX_VCPUS; i++) {
		vmm_kvm_vcpu_destroy(vm->vcpus[i].kvm);
		vm->vcpus[i].kvm = NULL;
	}
	if (vm->kvm && vmm_kvm_vm_destroy(vm->kvm) == 0)
		vm->kvm = NULL;
}

static void say(struct vmm_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct vmm_vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&vm->lock);
	vfprintf(vm->msg, fmt, ap);
	fflush(vm->msg);
	pthread_mutex_unlock(&vm->lock);
	va_end(ap);
}

/* PVALIDATE of the page at `gpa` (RAX/RCX/RDX of the doorbell): the firmware model's RMP decides, mapped as sim.c
 * maps it.  Returns false when the VM stops (an RMP fault, or PVALIDATE in an SEV-ES VM). */
static bool pvalidate(struct vmm_vm *vm, struct vmm_vcpu *v, uint64_t gpa, uint64_t size, uint64_t validate,
		      uint32_t *rc_out, bool *no_update)
{
	*no_update = false;
	*rc_out = RT_PVALIDATE_FAIL_INPUT;
	if (!vm->fw_guest) {
		/* SEV-ES has no PVALIDATE: the instruction would #UD. */
		say(vm, "guest exception on vCPU %u: PVALIDATE in an SEV-ES VM (#UD)\n", v->id);
		vmm_vm_stop(vm, KVM_STATUS_EXCEPTION + 6);
		return false;
	}
	if (size > RT_PVALIDATE_SIZE_2M || validate > 1)
		return true;
	enum fw_pvalidate_rc rc =
	    fw_rmp_pvalidate(fw_guest_rmp(vm->fw_guest), gpa, size == RT_PVALIDATE_SIZE_2M, validate != 0);
	switch (rc) {
	case FW_PVALIDATE_SUCCESS:
		*rc_out = RT_PVALIDATE_SUCCESS;
		return true;
	case FW_PVALIDATE_FAIL_NOCHANGE:
		*rc_out = RT_PVALIDATE_SUCCESS;
		*no_update = true;
		return true;
	case FW_PVALIDATE_FAIL_SIZEMISMATCH:
		*rc_out = RT_PVALIDATE_FAIL_SIZEMISMATCH;
		return true;
	case FW_PVALIDATE_FAIL_INPUT:
		return true;
	case FW_PVALIDATE_RMP_FAULT:
	default:
		/* Hardware raises #NPF (RMP violation) here; the VMM reports it and stops the VM. */
		say(vm, "guest fault on vCPU %u: PVALIDATE of a hypervisor-owned page at gpa 0x%llx\n", v->id,
		    (unsigned long long)gpa);
		vmm_vm_stop(vm, KVM_STATUS_RMP_FAULT);
		return false;
	}
}

static bool do_pvalidate(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	uint32_t rc;
	bool no_update;
	/* identity-mapped: the virtual address is the GPA */
	if (!pvalidate(vm, v, e->pvalidate.vaddr, e->pvalidate.page_size, e->pvalidate.validate, &rc, &no_update))
		return false;
	return vmm_kvm_complete_pvalidate(v->kvm, rc, no_update) == 0;
}

static bool do_rdmsr(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	if (e->msr.index == RT_MSR_GHCB)
		return vmm_kvm_complete_rdmsr(v->kvm, hv_vcpu_get_ghcb_msr(v->hv)) == 0;
	if (e->msr.index == RT_MSR_SEV_STATUS) {
		uint64_t st =
		    MSR_AMD64_SEV_ENABLED | MSR_AMD64_SEV_ES_ENABLED | (vm->snp ? MSR_AMD64_SEV_SNP_ENABLED : 0);
		return vmm_kvm_complete_rdmsr(v->kvm, st) == 0;
	}
	return true; /* unanswered: #GP */
}

static bool do_wrmsr(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	/* Only the GHCB MSR is writable; SEV status is read-only (#GP, the unanswered default). */
	if (e->msr.index == RT_MSR_GHCB && hv_vcpu_set_ghcb_msr(v->hv, e->msr.value) == 0) {
		atomic_fetch_add(&vm->ghcb_msr_writes, 1);
		return vmm_kvm_complete_wrmsr(v->kvm) == 0;
	}
	return true;
}

static bool do_io(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	uint64_t bytes = (uint64_t)e->io.size * e->io.count;
	if (bytes > KVM_IO_MAX) {
		say(vm, "vCPU %u: port 0x%x access of %llu bytes is more than the VMM serves; stopping the VM\n", v->id,
		    e->io.port, (unsigned long long)bytes);
		vmm_vm_stop(vm, KVM_STATUS_MMIO);
		return false;
	}
	uint8_t buf[KVM_IO_MAX];
	if (!e->io.out) {
		vmm_handle_port(vm, v, e->io.port, true, buf, e->io.size, e->io.count);
		return vmm_kvm_complete_in(v->kvm, buf, bytes) == 0;
	}
	memcpy(buf, e->io.data, bytes);
	return vmm_handle_port(vm, v, e->io.port, false, buf, e->io.size, e->io.count);
}

/*
 * The programs run at CPL 3 (where hosts that emulate ring-0 guest code, PVM, run them natively and with SSE), so
 * their privileged instructions (the doorbell and console OUTs, RDMSR/WRMSR of the GHCB, SEV status and FS.base
 * MSRs, HLT, CLI) raise #GP.  The VMM emulates them as a trap-and-emulate hypervisor does: it decodes the
 * instruction at the reported RIP, performs it exactly as the exit of the CPL-0 instruction would be served, and
 * resumes after it with the registers the exception stub saved.  Returns 1 (resume), 0 (not an instruction the
 * VMM emulates: report the #GP), -1 (the vCPU's thread ends).
 */
#define MSR_FS_BASE 0xC0000100u /* AMD APM vol 2: FS.base */

enum priv_op { OP_OUT, OP_IN, OP_RDMSR, OP_WRMSR, OP_HLT, OP_NOP };

static int emulate_privileged(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	struct vmm_kvm_regs r;
	struct vmm_kvm_sregs sr;
	if ((e->exception.cs & 3) != 3 || vmm_kvm_exception_regs(v->kvm, e, &r))
		return 0;
	const uint8_t *ip = vmm_kvm_gpa(vm->kvm, r.rip, 3);
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
	if (vmm_kvm_vcpu_get_sregs(v->kvm, &sr))
		return 0;
	/* Counted as handle() counts the direct exit of the same instruction. */
	atomic_fetch_add(&vm->exits_to_vmm, op == OP_OUT && port == RT_PORT_VMGEXIT ? 0 : 1);
	uint32_t msr = (uint32_t)r.rcx;
	uint64_t value = (r.rdx & 0xFFFFFFFFull) << 32 | (r.rax & 0xFFFFFFFFull);
	uint8_t data[4];
	switch (op) {
	case OP_OUT:
		if (port == RT_PORT_VMGEXIT) {
			if (!vmm_vcpu_vmgexit(v))
				return -1;
		} else if (port == RT_PORT_PVALIDATE) {
			uint32_t rc;
			bool no_update;
			if (!pvalidate(vm, v, r.rax, r.rcx, r.rdx, &rc, &no_update))
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
		if (msr == RT_MSR_GHCB)
			value = hv_vcpu_get_ghcb_msr(v->hv);
		else if (msr == RT_MSR_SEV_STATUS)
			value = MSR_AMD64_SEV_ENABLED | MSR_AMD64_SEV_ES_ENABLED |
				(vm->snp ? MSR_AMD64_SEV_SNP_ENABLED : 0);
		else if (msr == MSR_FS_BASE)
			value = sr.fs.base;
		else
			return 0;
		r.rax = value & 0xFFFFFFFFu;
		r.rdx = value >> 32;
		break;
	case OP_WRMSR:
		if (msr == RT_MSR_GHCB) {
			if (hv_vcpu_set_ghcb_msr(v->hv, value))
				return 0;
			atomic_fetch_add(&vm->ghcb_msr_writes, 1);
		} else if (msr == MSR_FS_BASE) {
			sr.fs.base = value;
		} else {
			return 0;
		}
		break;
	case OP_HLT:
		if (v->id != 0)
			return -1; /* an AP whose program returned: it just stops, as on sim */
		say(vm, "vCPU 0 halted; stopping the VM\n");
		vmm_vm_stop(vm, KVM_STATUS_HALTED);
		return -1;
	case OP_NOP:
		break;
	}
	/* Back to CPL 3 after the instruction, with the registers the stub saved. */
	struct vmm_kvm_sregs user;
	if (vmm_kvm_user_sregs(vm->kvm, v->id, &user))
		return 0;
	sr.cs = user.cs;
	sr.ss = user.ss;
	r.rip += len;
	if (vmm_kvm_vcpu_set_sregs(v->kvm, &sr) || vmm_kvm_vcpu_set_regs(v->kvm, &r)) {
		say(vm, "vCPU %u: cannot resume the guest after emulating an instruction; stopping the VM\n", v->id);
		vmm_vm_stop(vm, KVM_STATUS_HOST);
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
		return true; /* the loop checks whether the VM stops */
	case VMM_KVM_EXIT_HLT:
		if (v->id != 0)
			return false; /* an AP whose program returned: it just stops, as on sim */
		say(vm, "vCPU 0 halted; stopping the VM\n");
		vmm_vm_stop(vm, KVM_STATUS_HALTED);
		return false;
	case VMM_KVM_EXIT_EXCEPTION:
		if (e->exception.vector == 13) {
			int emulated = emulate_privileged(vm, v, e);
			if (emulated)
				return emulated > 0;
		}
		vmm_kvm_exit_describe(e, what, sizeof(what));
		say(vm, "guest exception on vCPU %u: %s; stopping the VM\n", v->id, what);
		vmm_vm_stop(vm, KVM_STATUS_EXCEPTION + (int)e->exception.vector);
		return false;
	case VMM_KVM_EXIT_MMIO:
		vmm_kvm_exit_describe(e, what, sizeof(what));
		say(vm, "vCPU %u: %s outside RAM (SEV-ES guests reach MMIO through the GHCB); stopping the VM\n", v->id,
		    what);
		vmm_vm_stop(vm, KVM_STATUS_MMIO);
		return false;
	case VMM_KVM_EXIT_SHUTDOWN:
		say(vm, "vCPU %u: shutdown (triple fault); stopping the VM\n", v->id);
		vmm_vm_stop(vm, KVM_STATUS_HOST);
		return false;
	default: {
		/* INTERNAL_ERROR (KVM could not emulate an instruction), FAIL_ENTRY, anything else. */
		struct vmm_kvm_regs r;
		uint64_t rip = vmm_kvm_vcpu_get_regs(v->kvm, &r) == 0 ? r.rip : 0;
		vmm_kvm_exit_describe(e, what, sizeof(what));
		say(vm, "vCPU %u: KVM stopped the guest: %s at rip 0x%llx; stopping the VM\n", v->id, what,
		    (unsigned long long)rip);
		vmm_vm_stop(vm, KVM_STATUS_HOST);
		return false;
	}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	struct vmm_vm *vm = v->vm;
	struct vmm_kvm_exit e;
	while (!atomic_load(&vm->stopping)) {
		int rc = vmm_kvm_vcpu_run(v->kvm, &e);
		if (rc < 0) {
			say(vm, "vCPU %u: KVM_RUN failed: %s; stopping the VM\n", v->id, strerror(-rc));
			vmm_vm_stop(vm, KVM_STATUS_HOST);
			break;
		}
		if (!handle(vm, v, &e))
			break;
	}
	return NULL;
}

int vmm_kvm_start_vcpu(struct vmm_vm *vm, uint32_t id)
{
	int rc = 0;
	if (id >= vm->nvcpus)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	struct vmm_vcpu *v = &vm->vcpus[id];
	if (atomic_load(&vm->stopping)) {
		rc = -ECANCELED; /* the run loop may already be collecting threads to join */
	} else if (!v->started) {
		const struct vmm_kvm_regs regs = {.rip = vm->kvm_entry, .rdi = id, .rsi = vm->kvm_arg, .rflags = 2};
		/* At CPL 3 (emulate_privileged() says why). */
		struct vmm_kvm_sregs sregs;
		rc = vmm_kvm_user_sregs(vm->kvm, id, &sregs);
		if (!rc && !v->kvm)
			rc = vmm_kvm_vcpu_create(vm->kvm, id, &regs, &sregs, &v->kvm);
		if (!rc)
			rc = -pthread_create(&v->thread, NULL, vcpu_thread, v);
		v->started = rc == 0;
	}
	pthread_mutex_unlock(&vm->lock);
	return rc;
}

/* Kicks vCPU thread v out of KVM_RUN until it ends, then joins it. */
static void stop_and_join(struct vmm_vm *vm, struct vmm_vcpu *v)
{
	for (;;) {
		vmm_kvm_vcpu_request_stop(v->kvm);
		pthread_kill(v->thread, kick_signal());
		pthread_mutex_lock(&vm->lock);
		pthread_cond_broadcast(&vm->cond); /* a parked AP (AP reset hold) waits on it */
		pthread_mutex_unlock(&vm->lock);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + KVM_JOIN_RETRY_NS;
		ts.tv_sec += (time_t)(ns / 1000000000u);
		ts.tv_nsec = (long)(ns % 1000000000u);
		if (pthread_timedjoin_np(v->thread, NULL, &ts) == 0)
			return;
	}
}

int vmm_kvm_backend_run(struct vmm_vm *vm)
{
	int rc = install_kick_handler();
	if (rc)
		return rc;
	/* The engine needs every vCPU to exist before AP creation names it (as sim.c). */
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vmm_vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		if (!v->hv && (rc = hv_vcpu_create(vm->hv, i, &v->hv)))
			return rc;
	}
	rc = vmm_kvm_start_vcpu(vm, 0);
	if (rc) {
		fprintf(vm->err, "snpemu: cannot start the kvm BSP: %s\n", strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	/* No vCPU starts once `stopping` is set (vmm_kvm_start_vcpu checks it under the lock). */
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].started)
			stop_and_join(vm, &vm->vcpus[i]);
	return 0;
}

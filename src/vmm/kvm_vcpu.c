/* SPDX-License-Identifier: MIT */
/*
 * The kvm backend's vCPUs: creation from a general register set, the run loop that turns KVM exits into the
 * backend's typed exits (doorbells, filtered MSRs, exception reports), and the completions of those exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <snpemu/abi/le.h>

#include "vmm/kvm_internal.h"

#define RFLAGS_CF (1ull << 0)

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* Merges our system registers into KVM's current set, keeping its APIC base and pending-interrupt bitmap. */
static int set_sregs(struct vmm_kvm_vcpu *vcpu, const struct vmm_sregs *sregs)
{
	struct kvm_sregs cur, next;
	int r = xioctl(vcpu->fd, KVM_GET_SREGS, &cur);
	if (r < 0)
		return r;
	vmm_kvm_x86_sregs_to_kvm(sregs, &next);
	next.apic_base = cur.apic_base;
	memcpy(next.interrupt_bitmap, cur.interrupt_bitmap, sizeof(next.interrupt_bitmap));
	return xioctl(vcpu->fd, KVM_SET_SREGS, &next);
}

static int vcpu_setup(struct vmm_kvm_vcpu *vcpu, const struct vmm_regs *regs, const struct vmm_sregs *sregs)
{
	struct vmm_kvm_vm *vm = vcpu->vm;
	struct vmm_sregs defaults;
	struct kvm_regs kregs;

	int r = xioctl(vm->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)vcpu->id);
	if (r < 0)
		return r;
	vcpu->fd = r;
	void *run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED)
		return -errno;
	vcpu->run = run;

	struct kvm_cpuid2 *cpuid = vmm_kvm_x86_cpuid_for(vm->cpuid, vcpu->id);
	if (!cpuid)
		return -ENOMEM;
	r = xioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	if (r < 0)
		return r;

	if (!sregs) {
		vmm_kvm_x86_default_sregs(vcpu->id, &defaults);
		sregs = &defaults;
	}
	r = set_sregs(vcpu, sregs);
	if (r < 0)
		return r;
	vmm_kvm_x86_regs_to_kvm(regs, &kregs);
	return xioctl(vcpu->fd, KVM_SET_REGS, &kregs);
}

int vmm_kvm_vcpu_create(struct vmm_kvm_vm *vm, uint32_t id, const struct vmm_regs *regs, const struct vmm_sregs *sregs,
			struct vmm_kvm_vcpu **out)
{
	if (id >= VMM_KVM_MAX_VCPUS || !regs)
		return -EINVAL;
	int r = vmm_vcpu_id_claim(&vm->ids, id);
	if (r < 0)
		return r;
	struct vmm_kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu) {
		vmm_vcpu_id_release(&vm->ids, id);
		return -ENOMEM;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = -1;
	r = vcpu_setup(vcpu, regs, sregs);
	if (r < 0) {
		vmm_kvm_vcpu_destroy(vcpu);
		return r;
	}
	*out = vcpu;
	return 0;
}

int vmm_kvm_vcpu_create_at(struct vmm_kvm_vm *vm, uint32_t id, uint64_t entry, uint64_t arg, struct vmm_kvm_vcpu **out)
{
	const struct vmm_regs regs = {.rip = entry, .rdi = id, .rsi = arg, .rflags = 2};
	return vmm_kvm_vcpu_create(vm, id, &regs, NULL, out);
}

void vmm_kvm_vcpu_destroy(struct vmm_kvm_vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vmm_vcpu_id_release(&vcpu->vm->ids, vcpu->id);
	free(vcpu);
}

uint32_t vmm_kvm_vcpu_id(const struct vmm_kvm_vcpu *vcpu)
{
	return vcpu->id;
}

static int apply_pvalidate(struct vmm_kvm_vcpu *vcpu);

/*
 * KVM finishes an IO or MSR exit (writes AL/EAX or RDX:RAX, advances RIP) only on the next KVM_RUN, so register
 * writes made before it can be overwritten (Documentation/virt/kvm/api.rst, KVM_RUN: "the corresponding operations
 * are complete ... only after userspace has re-entered the kernel").  Before the caller writes registers, settle a
 * pending exit: enter with immediate_exit set, which completes it and returns -EINTR without running the guest.
 */
static int settle(struct vmm_kvm_vcpu *vcpu)
{
	int r = 0;

	if (vcpu->pending == VMM_KVM_PENDING_NONE && !vcpu->pv_dirty)
		return 0;
	if (vcpu->pv_dirty) {
		r = apply_pvalidate(vcpu);
		if (r < 0)
			return r;
		vcpu->pv_dirty = false;
	}
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (ioctl(vcpu->fd, KVM_RUN, 0) == 0)
		r = -EPROTO; /* the guest ran: an exit would be lost */
	else if (errno != EINTR)
		r = -errno;
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (atomic_load(&vcpu->stop))
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	vcpu->pending = VMM_KVM_PENDING_NONE;
	vcpu->regs_synced = false;
	return r;
}

int vmm_kvm_vcpu_get_regs(struct vmm_kvm_vcpu *vcpu, struct vmm_regs *regs)
{
	struct kvm_regs kregs;

	if (vcpu->regs_synced) {
		vmm_kvm_x86_regs_from_kvm(&vcpu->run->s.regs.regs, regs);
		return 0;
	}
	int r = xioctl(vcpu->fd, KVM_GET_REGS, &kregs);
	if (r < 0)
		return r;
	vmm_kvm_x86_regs_from_kvm(&kregs, regs);
	return 0;
}

int vmm_kvm_vcpu_set_regs(struct vmm_kvm_vcpu *vcpu, const struct vmm_regs *regs)
{
	struct kvm_regs kregs;

	int r = settle(vcpu);
	if (r < 0)
		return r;
	vmm_kvm_x86_regs_to_kvm(regs, &kregs);
	r = xioctl(vcpu->fd, KVM_SET_REGS, &kregs);
	vcpu->regs_synced = false; /* the run area's copy is stale now */
	return r;
}

int vmm_kvm_vcpu_get_sregs(struct vmm_kvm_vcpu *vcpu, struct vmm_sregs *sregs)
{
	struct kvm_sregs k;
	int r = xioctl(vcpu->fd, KVM_GET_SREGS, &k);
	if (r < 0)
		return r;
	vmm_kvm_x86_sregs_from_kvm(&k, sregs);
	return 0;
}

int vmm_kvm_vcpu_set_sregs(struct vmm_kvm_vcpu *vcpu, const struct vmm_sregs *sregs)
{
	int r = settle(vcpu);
	return r < 0 ? r : set_sregs(vcpu, sregs);
}

int vmm_kvm_vcpu_get_fpu(struct vmm_kvm_vcpu *vcpu, struct vmm_fpu *fpu)
{
	struct kvm_fpu k;
	int r = xioctl(vcpu->fd, KVM_GET_FPU, &k);
	if (r < 0)
		return r;
	memcpy(fpu->fpr, k.fpr, sizeof(fpu->fpr));
	for (int i = 0; i < 8; i++)
		memset(fpu->fpr[i] + 10, 0, 6); /* 80 bits per register; FXSAVE's padding is not state */
	fpu->fcw = k.fcw;
	fpu->fsw = k.fsw;
	fpu->ftwx = k.ftwx;
	fpu->last_opcode = k.last_opcode;
	fpu->last_ip = k.last_ip;
	fpu->last_dp = k.last_dp;
	memcpy(fpu->xmm, k.xmm, sizeof(fpu->xmm));
	fpu->mxcsr = k.mxcsr;
	return 0;
}

int vmm_kvm_vcpu_set_fpu(struct vmm_kvm_vcpu *vcpu, const struct vmm_fpu *fpu)
{
	struct kvm_fpu k;
	memset(&k, 0, sizeof(k));
	memcpy(k.fpr, fpu->fpr, sizeof(k.fpr));
	k.fcw = fpu->fcw;
	k.fsw = fpu->fsw;
	k.ftwx = fpu->ftwx;
	k.last_opcode = fpu->last_opcode;
	k.last_ip = fpu->last_ip;
	k.last_dp = fpu->last_dp;
	memcpy(k.xmm, fpu->xmm, sizeof(k.xmm));
	k.mxcsr = fpu->mxcsr;
	return xioctl(vcpu->fd, KVM_SET_FPU, &k);
}

void vmm_kvm_vcpu_request_stop(struct vmm_kvm_vcpu *vcpu)
{
	/* KVM reads immediate_exit at entry (KVM_CAP_IMMEDIATE_EXIT); set before the caller's kick signal.  The flag
	 * first, so that settle() restoring immediate_exit cannot lose this request. */
	atomic_store(&vcpu->stop, true);
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

void vmm_kvm_vcpu_clear_stop(struct vmm_kvm_vcpu *vcpu)
{
	atomic_store(&vcpu->stop, false);
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

/* Writes the pending PVALIDATE answer into RAX and RFLAGS.CF: through the synced run area when it is current
 * (KVM loads it at entry, kvm_dirty_regs), else with KVM_GET_REGS/KVM_SET_REGS. */
static int apply_pvalidate(struct vmm_kvm_vcpu *vcpu)
{
	struct kvm_regs tmp, *k = &tmp;

	if (vcpu->regs_synced) {
		k = &vcpu->run->s.regs.regs;
	} else {
		int r = xioctl(vcpu->fd, KVM_GET_REGS, k);
		if (r < 0)
			return r;
	}
	k->rax = vcpu->pv_rc;
	k->rflags = vcpu->pv_no_update ? k->rflags | RFLAGS_CF : k->rflags & ~RFLAGS_CF;
	if (vcpu->regs_synced) {
		vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	return xioctl(vcpu->fd, KVM_SET_REGS, k);
}

static int read_regs(struct vmm_kvm_vcpu *vcpu, struct kvm_regs *k)
{
	if (vcpu->regs_synced) {
		*k = vcpu->run->s.regs.regs;
		return 0;
	}
	return xioctl(vcpu->fd, KVM_GET_REGS, k);
}

static int decode_io(struct vmm_kvm_vcpu *vcpu, struct vmm_kvm_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	struct kvm_regs k;

	if (run->io.data_offset > vcpu->vm->run_size || bytes > vcpu->vm->run_size - run->io.data_offset ||
	    run->io.size == 0 || run->io.size > 8)
		return -EPROTO; /* KVM broke its own contract */
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	if (out && (run->io.port == SNPEMU_PORT_VMGEXIT || run->io.port == SNPEMU_PORT_PVALIDATE ||
		    run->io.port == SNPEMU_PORT_EXCEPTION)) {
		int r = read_regs(vcpu, &k);
		if (r < 0)
			return r;
		if (run->io.port == SNPEMU_PORT_VMGEXIT) {
			exit->kind = VMM_KVM_EXIT_VMGEXIT;
			return 0;
		}
		if (run->io.port == SNPEMU_PORT_PVALIDATE) {
			exit->kind = VMM_KVM_EXIT_PVALIDATE;
			exit->pvalidate.vaddr = k.rax;
			exit->pvalidate.page_size = k.rcx;
			exit->pvalidate.validate = k.rdx;
			vcpu->pending = VMM_KVM_PENDING_PVALIDATE;
			vcpu->pv_rc = SNPEMU_PVALIDATE_FAIL_INPUT;
			vcpu->pv_no_update = false;
			vcpu->pv_dirty = true;
			return 0;
		}
		/* A report from the IDT stubs (guests/rt/rt_abi.h); a guest writing the port itself with a
		 * vector no stub has is an ordinary IO exit. */
		if (k.rsi < VMM_KVM_EXC_VECTORS) {
			exit->kind = VMM_KVM_EXIT_EXCEPTION;
			exit->exception.vector = (uint32_t)k.rsi;
			exit->exception.error_code = k.rdi;
			exit->exception.rip = k.r8;
			exit->exception.cs = k.r9;
			exit->exception.rflags = k.r10;
			exit->exception.rsp = k.r11;
			exit->exception.cr2 = k.r12;
			vcpu->pending = VMM_KVM_PENDING_REPORT;
			return 0;
		}
	}
	exit->kind = VMM_KVM_EXIT_IO;
	exit->io.port = run->io.port;
	exit->io.size = run->io.size;
	exit->io.out = out;
	exit->io.count = run->io.count;
	exit->io.data = data;
	exit->io.value = 0;
	if (out) {
		for (unsigned int i = 0; i < run->io.size; i++)
			exit->io.value |= (uint64_t)data[i] << (8 * i);
	} else {
		memset(data, 0xFF, bytes); /* unanswered IN: an absent device */
		vcpu->pending = VMM_KVM_PENDING_IN;
	}
	return 0;
}

static int decode(struct vmm_kvm_vcpu *vcpu, struct vmm_kvm_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	exit->kvm_reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return decode_io(vcpu, exit);
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		exit->kind = run->exit_reason == KVM_EXIT_X86_RDMSR ? VMM_KVM_EXIT_RDMSR : VMM_KVM_EXIT_WRMSR;
		exit->msr.index = run->msr.index;
		exit->msr.value = run->exit_reason == KVM_EXIT_X86_WRMSR ? run->msr.data : 0;
		run->msr.error = 1; /* #GP unless the caller answers */
		vcpu->pending = exit->kind == VMM_KVM_EXIT_RDMSR ? VMM_KVM_PENDING_RDMSR : VMM_KVM_PENDING_WRMSR;
		return 0;
	case KVM_EXIT_MMIO:
		exit->kind = VMM_KVM_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.len = run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		memcpy(exit->mmio.data, run->mmio.data, sizeof(exit->mmio.data));
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xFF, sizeof(run->mmio.data));
		return 0;
	case KVM_EXIT_HLT:
		exit->kind = VMM_KVM_EXIT_HLT;
		return 0;
	case KVM_EXIT_SHUTDOWN:
		exit->kind = VMM_KVM_EXIT_SHUTDOWN;
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->kind = VMM_KVM_EXIT_INTERNAL_ERROR;
		exit->internal.suberror = run->internal.suberror;
		exit->internal.ndata = run->internal.ndata < 16 ? run->internal.ndata : 16;
		memcpy(exit->internal.data, run->internal.data, exit->internal.ndata * sizeof(uint64_t));
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		exit->kind = VMM_KVM_EXIT_FAIL_ENTRY;
		exit->fail_entry.hardware_reason = run->fail_entry.hardware_entry_failure_reason;
		exit->fail_entry.cpu = run->fail_entry.cpu;
		return 0;
	default:
		exit->kind = VMM_KVM_EXIT_OTHER;
		return 0;
	}
}

int vmm_kvm_vcpu_run(struct vmm_kvm_vcpu *vcpu, struct vmm_kvm_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	int r;

	if (vcpu->pv_dirty) {
		r = apply_pvalidate(vcpu);
		if (r < 0)
			return r;
		vcpu->pv_dirty = false;
	}
	vcpu->pending = VMM_KVM_PENDING_NONE;
	vcpu->regs_synced = false;
	memset(exit, 0, sizeof(*exit));
	run->kvm_valid_regs = vcpu->vm->sync_regs ? KVM_SYNC_X86_REGS : 0;
	for (;;) {
		r = ioctl(vcpu->fd, KVM_RUN, 0);
		if (r == 0)
			break;
		if (errno == EINTR) {
			/* a signal or immediate_exit: hand control back to the caller */
			exit->kind = VMM_KVM_EXIT_INTR;
			return 0;
		}
		if (errno != EAGAIN)
			return -errno;
	}
	vcpu->regs_synced = vcpu->vm->sync_regs;
	return decode(vcpu, exit);
}

int vmm_kvm_complete_rdmsr(struct vmm_kvm_vcpu *vcpu, uint64_t value)
{
	if (vcpu->pending != VMM_KVM_PENDING_RDMSR)
		return -EINVAL;
	vcpu->run->msr.data = value;
	vcpu->run->msr.error = 0;
	return 0;
}

int vmm_kvm_complete_wrmsr(struct vmm_kvm_vcpu *vcpu)
{
	if (vcpu->pending != VMM_KVM_PENDING_WRMSR)
		return -EINVAL;
	vcpu->run->msr.error = 0;
	return 0;
}

int vmm_kvm_complete_msr_gp(struct vmm_kvm_vcpu *vcpu)
{
	if (vcpu->pending != VMM_KVM_PENDING_RDMSR && vcpu->pending != VMM_KVM_PENDING_WRMSR)
		return -EINVAL;
	vcpu->run->msr.error = 1;
	return 0;
}

int vmm_kvm_complete_in(struct vmm_kvm_vcpu *vcpu, const void *data, size_t len)
{
	struct kvm_run *run = vcpu->run;

	if (vcpu->pending != VMM_KVM_PENDING_IN || !data || len != (size_t)run->io.size * run->io.count)
		return -EINVAL;
	memcpy((uint8_t *)run + run->io.data_offset, data, len);
	return 0;
}

int vmm_kvm_complete_pvalidate(struct vmm_kvm_vcpu *vcpu, uint32_t rc, bool no_update)
{
	if (vcpu->pending != VMM_KVM_PENDING_PVALIDATE)
		return -EINVAL;
	vcpu->pv_rc = rc;
	vcpu->pv_no_update = no_update;
	return 0;
}

int vmm_kvm_exception_regs(struct vmm_kvm_vcpu *vcpu, const struct vmm_kvm_exit *exit, struct vmm_regs *regs)
{
	int r = vmm_kvm_vcpu_get_regs(vcpu, regs);
	if (r < 0)
		return r;
	/* The stub's stack (kvm_x86.c): R12, R11, R10, R9, R8, RDI, RSI, RDX, then vector, error code, frame. */
	const uint8_t *p = vmm_kvm_gpa(vcpu->vm, regs->rsp, 8 * VMM_KVM_EXC_SAVED);
	if (!p)
		return -EFAULT;
	regs->r12 = le64_load(p);
	regs->r11 = le64_load(p + 8);
	regs->r10 = le64_load(p + 16);
	regs->r9 = le64_load(p + 24);
	regs->r8 = le64_load(p + 32);
	regs->rdi = le64_load(p + 40);
	regs->rsi = le64_load(p + 48);
	regs->rdx = le64_load(p + 56);
	regs->rip = exit->exception.rip;
	regs->rsp = exit->exception.rsp;
	regs->rflags = exit->exception.rflags;
	return 0;
}

static const char *const exit_names[] = {
    [VMM_KVM_EXIT_VMGEXIT] = "VMGEXIT",
    [VMM_KVM_EXIT_PVALIDATE] = "PVALIDATE",
    [VMM_KVM_EXIT_RDMSR] = "RDMSR",
    [VMM_KVM_EXIT_WRMSR] = "WRMSR",
    [VMM_KVM_EXIT_IO] = "IO",
    [VMM_KVM_EXIT_MMIO] = "MMIO",
    [VMM_KVM_EXIT_EXCEPTION] = "EXCEPTION",
    [VMM_KVM_EXIT_HLT] = "HLT",
    [VMM_KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
    [VMM_KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
    [VMM_KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
    [VMM_KVM_EXIT_INTR] = "INTR",
    [VMM_KVM_EXIT_OTHER] = "OTHER",
    [VMM_KVM_EXIT_RMPADJUST] = "RMPADJUST",
};

const char *vmm_kvm_exit_name(enum vmm_kvm_exit_kind kind)
{
	if ((unsigned int)kind >= sizeof(exit_names) / sizeof(exit_names[0]) || !exit_names[kind])
		return "?";
	return exit_names[kind];
}

/* Mnemonics of the exception vectors (Intel SDM vol 3 table 6-1, APM vol 2 table 8-1). */
static const char *const vector_names[VMM_KVM_EXC_VECTORS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25",  "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

void vmm_kvm_exit_describe(const struct vmm_kvm_exit *e, char *buf, size_t len)
{
	const char *name = vmm_kvm_exit_name(e->kind);

	switch (e->kind) {
	case VMM_KVM_EXIT_PVALIDATE:
		snprintf(buf, len, "PVALIDATE vaddr 0x%llx size %llu validate %llu",
			 (unsigned long long)e->pvalidate.vaddr, (unsigned long long)e->pvalidate.page_size,
			 (unsigned long long)e->pvalidate.validate);
		break;
	case VMM_KVM_EXIT_RDMSR:
		snprintf(buf, len, "RDMSR 0x%x", e->msr.index);
		break;
	case VMM_KVM_EXIT_WRMSR:
		snprintf(buf, len, "WRMSR 0x%x value 0x%llx", e->msr.index, (unsigned long long)e->msr.value);
		break;
	case VMM_KVM_EXIT_IO:
		snprintf(buf, len, "IO %s port 0x%x size %u count %u value 0x%llx", e->io.out ? "out" : "in",
			 e->io.port, e->io.size, e->io.count, (unsigned long long)e->io.value);
		break;
	case VMM_KVM_EXIT_MMIO:
		snprintf(buf, len, "MMIO %s gpa 0x%llx len %u", e->mmio.write ? "write" : "read",
			 (unsigned long long)e->mmio.gpa, e->mmio.len);
		break;
	case VMM_KVM_EXIT_EXCEPTION:
		snprintf(buf, len, "exception %s (%u) error 0x%llx at rip 0x%llx rsp 0x%llx cr2 0x%llx",
			 e->exception.vector < VMM_KVM_EXC_VECTORS ? vector_names[e->exception.vector] : "?",
			 e->exception.vector, (unsigned long long)e->exception.error_code,
			 (unsigned long long)e->exception.rip, (unsigned long long)e->exception.rsp,
			 (unsigned long long)e->exception.cr2);
		break;
	case VMM_KVM_EXIT_INTERNAL_ERROR:
		snprintf(buf, len, "INTERNAL_ERROR suberror %u ndata %u data0 0x%llx", e->internal.suberror,
			 e->internal.ndata, (unsigned long long)(e->internal.ndata ? e->internal.data[0] : 0));
		break;
	case VMM_KVM_EXIT_FAIL_ENTRY:
		snprintf(buf, len, "FAIL_ENTRY hardware reason 0x%llx cpu %u",
			 (unsigned long long)e->fail_entry.hardware_reason, e->fail_entry.cpu);
		break;
	case VMM_KVM_EXIT_OTHER:
		snprintf(buf, len, "OTHER kvm exit reason %u", e->kvm_reason);
		break;
	default:
		snprintf(buf, len, "%s", name);
		break;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * The VMM's handling of the x86 lower layers' typed exits (struct vmm_kvm_exit, kvm.h), shared by the kvm and tcg
 * backends (contract: x86_exits.h): VMGEXIT, PVALIDATE, RMPADJUST, filtered MSRs, port IO, the trap-and-emulate of the
 * privileged instructions of CPL-3 programs, exceptions and the other ways a vCPU ends.  The map of exits:
 *   VMGEXIT (doorbell or rep vmmcall) -> vmm_vcpu_vmgexit(): the engine + the one exit handler (exits.c)
 *   RDMSR/WRMSR GHCB MSR  -> the engine vCPU's GHCB MSR (hv_vcpu_get/set_ghcb_msr): the engine keeps the only copy
 *   RDMSR SEV status MSR  -> SEV | SEV-ES (| SNP) as the VM type says (APM vol 2, SEV_STATUS 0xC0010131)
 *   PVALIDATE             -> vmm_vcpu_pvalidate(), the firmware model's RMP
 *   RMPADJUST             -> do_rmpadjust() below
 *   port IO               -> vmm_handle_port(), the engine's IO exits' handler
 *   exception             -> #GP of a privileged instruction at CPL 3: emulated (emulate_privileged()); any other:
 *                            "guest exception on vCPU n: <vector, error code, RIP>", the VM stops
 *                            (SNPEMU_STATUS_EXCEPTION + vector; statuses: <snpemu/abi/runtime.h>)
 *   SHUTDOWN, INTERNAL_ERROR, FAIL_ENTRY, others -> a message and a stop with SNPEMU_STATUS_HOST_ERROR
 *   HLT                   -> an AP whose program returned stops (as on sim); the BSP halting stops the VM
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/msr_proto.h>

#include "vmm/kvm_internal.h"
#include "vmm/vmm_internal.h"
#include "vmm/x86_exits.h"

#define KVM_IO_MAX 4096u /* bytes of one IN/OUT exit the VMM serves (rep ins/outs of a page) */

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

static bool do_pvalidate(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	uint32_t rc;
	bool no_update;
	/* identity-mapped: the virtual address is the GPA */
	if (!pvalidate(v, e->pvalidate.vaddr, e->pvalidate.page_size, e->pvalidate.validate, &rc, &no_update))
		return false;
	return c->ops->complete_pvalidate(c->cpu, rc, no_update) == 0;
}

int vmm_x86_msr(struct vmm_vcpu *v, uint32_t index, bool write, uint64_t *value)
{
	if (index == MSR_AMD64_SEV_ES_GHCB && !write) {
		*value = hv_vcpu_get_ghcb_msr(v->hv);
		return 0;
	}
	if (index == MSR_AMD64_SEV_ES_GHCB) {
		if (hv_vcpu_set_ghcb_msr(v->hv, *value))
			return -EINVAL;
		atomic_fetch_add(&v->vm->ghcb_msr_writes, 1);
		return 0;
	}
	/* SEV status is read-only (a write #GPs, the unanswered default). */
	if (index == MSR_AMD64_SEV && !write) {
		*value =
		    MSR_AMD64_SEV_ENABLED | MSR_AMD64_SEV_ES_ENABLED | (v->vm->snp ? MSR_AMD64_SEV_SNP_ENABLED : 0);
		return 0;
	}
	return -EPERM;
}

static bool do_rdmsr(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	uint64_t value;
	if (vmm_x86_msr(v, e->msr.index, false, &value))
		return true; /* unanswered: #GP */
	return c->ops->complete_rdmsr(c->cpu, value) == 0;
}

static bool do_wrmsr(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	uint64_t value = e->msr.value;
	if (vmm_x86_msr(v, e->msr.index, true, &value))
		return true;
	return c->ops->complete_wrmsr(c->cpu) == 0;
}

static bool do_io(const struct vmm_x86_cpu *c, struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
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
		return c->ops->complete_in(c->cpu, buf, bytes) == 0;
	}
	memcpy(buf, e->io.data, bytes);
	return vmm_handle_port(vm, v, e->io.port, false, buf, e->io.size, e->io.count);
}

/*
 * RMPADJUST (tcg: the real instruction, rAX = the page's address, identity-mapped; RCX page size; RDX attributes).
 * The RMP model has no VMPL permission masks, so the VMM checks what it can: a 4 KiB page (RCX 0) that the guest owns
 * and has validated succeeds, anything else is FAIL_INPUT (APM vol 3, RMPADJUST: 1).  In an SEV-ES VM the
 * instruction does not exist (#UD, as PVALIDATE).
 */
#define RMPADJUST_SUCCESS    0u
#define RMPADJUST_FAIL_INPUT 1u

static bool do_rmpadjust(const struct vmm_x86_cpu *c, struct vmm_vm *vm, struct vmm_vcpu *v,
			 const struct vmm_kvm_exit *e)
{
	if (!vm->fw_guest) {
		vmm_say(vm, "guest exception on vCPU %u: RMPADJUST in an SEV-ES VM (#UD); stopping the VM\n", v->id);
		vmm_vm_stop(vm, SNPEMU_STATUS_EXCEPTION + 6);
		return false;
	}
	bool ok = e->rmpadjust.page_size == 0 && e->rmpadjust.vaddr % 4096u == 0 &&
		  fw_rmp_get(fw_guest_rmp(vm->fw_guest), e->rmpadjust.vaddr) == FW_PAGE_VALIDATED;
	return c->ops->complete_rmpadjust(c->cpu, ok ? RMPADJUST_SUCCESS : RMPADJUST_FAIL_INPUT) == 0;
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

static int emulate_privileged(const struct vmm_x86_cpu *c, struct vmm_vm *vm, struct vmm_vcpu *v,
			      const struct vmm_kvm_exit *e)
{
	struct vmm_regs r;
	struct vmm_sregs sr;
	if ((e->exception.cs & 3) != 3 || c->ops->exception_regs(c->cpu, e, &r))
		return 0;
	const uint8_t *ip = vmm_guest_ptr(vm, r.rip, 3, VMM_ACCESS_GUEST, NULL); /* identity-mapped */
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
	if (c->ops->get_sregs(c->cpu, &sr))
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
		if (vmm_x86_msr(v, msr, false, &value))
			return 0;
		r.rax = value & 0xFFFFFFFFu;
		r.rdx = value >> 32;
		break;
	case OP_WRMSR:
		if (vmm_x86_msr(v, msr, true, &value))
			return 0;
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
	vmm_kvm_x86_default_sregs(v->id, &user);
	vmm_kvm_x86_user_segments(&user);
	sr.cs = user.cs;
	sr.ss = user.ss;
	r.rip += len;
	if (c->ops->set_sregs(c->cpu, &sr) || c->ops->set_regs(c->cpu, &r)) {
		vmm_say(vm, "vCPU %u: cannot resume the guest after emulating an instruction; stopping the VM\n",
			v->id);
		vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
		return -1;
	}
	return 1;
}

bool vmm_x86_handle_exit(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	struct vmm_vm *vm = v->vm;
	char what[VMM_KVM_REASON_LEN + 64];
	atomic_fetch_add(&vm->exits_to_vmm, e->kind == VMM_KVM_EXIT_VMGEXIT ? 0 : 1);
	switch (e->kind) {
	case VMM_KVM_EXIT_VMGEXIT:
		return vmm_vcpu_vmgexit(v);
	case VMM_KVM_EXIT_PVALIDATE:
		return do_pvalidate(c, v, e);
	case VMM_KVM_EXIT_RDMSR:
		return do_rdmsr(c, v, e);
	case VMM_KVM_EXIT_WRMSR:
		return do_wrmsr(c, v, e);
	case VMM_KVM_EXIT_IO:
		return do_io(c, vm, v, e);
	case VMM_KVM_EXIT_RMPADJUST:
		return do_rmpadjust(c, vm, v, e);
	case VMM_KVM_EXIT_INTR:
		/* A kick: the VM is stopping or pausing (the loop checks the former). */
		c->ops->clear_stop(c->cpu);
		return vmm_vcpu_pause_point(v);
	case VMM_KVM_EXIT_HLT:
		if (v->id != 0)
			return false; /* an AP whose program returned: it just stops, as on sim */
		vmm_say(vm, "vCPU 0 halted; stopping the VM\n");
		vmm_vm_stop(vm, SNPEMU_STATUS_HALTED);
		return false;
	case VMM_KVM_EXIT_EXCEPTION:
		if (e->exception.vector == 13) {
			int emulated = emulate_privileged(c, vm, v, e);
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
		uint64_t rip = c->ops->get_regs(c->cpu, &r) == 0 ? r.rip : 0;
		vmm_kvm_exit_describe(e, what, sizeof(what));
		vmm_say(vm, "vCPU %u: KVM stopped the guest: %s at rip 0x%llx; stopping the VM\n", v->id, what,
			(unsigned long long)rip);
		vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
		return false;
	}
	}
}

#define SEG_PRESENT (1u << 7) /* VMCB segment attribute P (struct vmm_segment) */

int vmm_x86_entry_state(struct vmm_vcpu *v, uint64_t entry, uint64_t arg, struct vmm_regs *regs,
			struct vmm_sregs *sregs, bool *have_sregs)
{
	*have_sregs = false;
	if (v->id == 0 || !v->ap_vmsa_gpa) {
		*regs = (struct vmm_regs){.rip = entry, .rdi = v->id, .rsi = arg, .rflags = 2};
		return 0;
	}
	/* The VMSA is the guest's page; the VMM reads it as the firmware does when it runs the vCPU. */
	const uint8_t *vmsa = vmm_guest_ptr(v->vm, v->ap_vmsa_gpa, VMM_KVM_VMSA_SIZE, VMM_ACCESS_GUEST, NULL);
	if (!vmsa)
		return -EFAULT;
	vmm_kvm_regs_from_vmsa(vmsa, regs, sregs);
	*have_sregs = (sregs->cs.attrib & SEG_PRESENT) != 0;
	return 0;
}

int vmm_x86_check_ram(struct vmm_vm *vm, const char *backend)
{
	if (vm->mem_size <= VMM_KVM_RAM_MAX)
		return 0;
	fprintf(vm->err, "snpemu: the %s backend supports at most %llu MiB of RAM\n", backend,
		(unsigned long long)(VMM_KVM_RAM_MAX >> 20));
	return -EINVAL;
}

int vmm_x86_load_image(struct vmm_vm *vm, uint64_t *entry, uint64_t *image_len)
{
	const struct vmm_program *p = vm->program;
	if (!p->elf) {
		fprintf(vm->err, "snpemu: guest program '%s' has no x86-64 image\n", p->name);
		return -ENOENT;
	}
	/* The image lives below the boot information page: that is the end of the range it may occupy. */
	struct vmm_kvm_elf_info info;
	enum vmm_kvm_elf_error err =
	    vmm_kvm_elf_load(p->elf, p->elf_len, vm->mem, SNPEMU_IMAGE_GPA, SNPEMU_BOOT_INFO_GPA, &info);
	if (err != VMM_KVM_ELF_OK || info.lowest != SNPEMU_IMAGE_GPA) {
		fprintf(vm->err, "snpemu: the x86-64 image of '%s' is not loadable: %s\n", p->name,
			err != VMM_KVM_ELF_OK ? vmm_kvm_elf_strerror(err) : "it does not start at its link address");
		return -ENOEXEC;
	}
	*entry = info.entry;
	*image_len = info.highest - SNPEMU_IMAGE_GPA;
	return 0;
}

int vmm_x86_save_vcpu(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, struct vmm_vcpu_state *st)
{
	memset(st, 0, sizeof(*st));
	vmm_vcpu_save_common(v, st);
	if (!c->cpu)
		return 0; /* not started: only the VMM's part */
	int rc = c->ops->get_regs(c->cpu, &st->regs);
	if (!rc)
		rc = c->ops->get_sregs(c->cpu, &st->sregs);
	if (!rc)
		rc = c->ops->get_fpu(c->cpu, &st->fpu);
	if (!rc)
		st->valid |= VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS | VMM_VCPU_STATE_FPU;
	return rc;
}

int vmm_x86_restore_vcpu(const struct vmm_x86_cpu *c, struct vmm_vcpu *v, const struct vmm_vcpu_state *st)
{
	int rc = vmm_vcpu_restore_common(v, st);
	if (rc || !(st->valid & (VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS)))
		return rc;
	if (!c->cpu)
		return -EINVAL;
	if (st->valid & VMM_VCPU_STATE_SREGS && (rc = c->ops->set_sregs(c->cpu, &st->sregs)))
		return rc;
	if (st->valid & VMM_VCPU_STATE_FPU && (rc = c->ops->set_fpu(c->cpu, &st->fpu)))
		return rc;
	return st->valid & VMM_VCPU_STATE_REGS ? c->ops->set_regs(c->cpu, &st->regs) : 0;
}

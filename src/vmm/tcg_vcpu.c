/* SPDX-License-Identifier: MIT */
/*
 * The tcg backend's vCPUs (contract and mechanisms: tcg.h): a Unicorn x86-64 instance over the VM's RAM, entered
 * at CPL 3, whose hooks turn the SNP instructions, port IO, faults and unmapped accesses into the kvm lower layer's
 * typed exits; the completions of those exits; register access.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/le.h>

#include "vmm/tcg_internal.h"

#define RFLAGS_CF     (1ull << 0)
#define CR4_TSD	      (1ull << 2)
#define MSR_EFER      0xC0000080u
#define VEC_UD	      6u
#define VEC_GP	      13u
#define VEC_PF	      14u
#define PF_P	      (1ull << 0) /* #PF error code bits (APM vol 2 §8.4.2) */
#define PF_W	      (1ull << 1)
#define PF_U	      (1ull << 2)
#define PF_I	      (1ull << 4)
/* Where uc_emu_start stops: the null page, never present in the VMM's tables (a jump there is reported as the #PF
 * it is).  Measured: with any other `until` (non-canonical, or a high canonical page) Unicorn 2.0.1 stops calling
 * UC_HOOK_INSN_INVALID from the third restart on. */
#define EMU_UNTIL     0ull
#define INSN_LEN_SNP  4u
#define INSN_READ_MAX 4u

/* The SNP instructions TCG does not know (AMD APM vol 3): decoded in hook_invalid(). */
static const uint8_t insn_vmgexit[INSN_LEN_SNP] = {0xF3, 0x0F, 0x01, 0xD9};   /* rep vmmcall */
static const uint8_t insn_pvalidate[INSN_LEN_SNP] = {0xF2, 0x0F, 0x01, 0xFF}; /* pvalidate */
static const uint8_t insn_rmpadjust[INSN_LEN_SNP] = {0xF3, 0x0F, 0x01, 0xFE}; /* rmpadjust */
static const uint8_t insn_rdtsc[2] = {0x0F, 0x31};
static const uint8_t insn_wrmsr[2] = {0x0F, 0x30};
static const uint8_t insn_rdmsr[2] = {0x0F, 0x32};

uint64_t vmm_tcg_reg(struct vmm_tcg_vcpu *vcpu, int id)
{
	uint64_t v = 0;
	uc_reg_read(vcpu->uc, id, &v);
	return v;
}

void vmm_tcg_set_reg(struct vmm_tcg_vcpu *vcpu, int id, uint64_t v)
{
	uc_reg_write(vcpu->uc, id, &v);
}

/* Reads up to n bytes of code at virtual address va through the guest's page tables; returns the bytes read. */
unsigned int vmm_tcg_read_code(struct vmm_tcg_vcpu *vcpu, uint64_t va, uint8_t *out, unsigned int n)
{
	uint64_t cr3 = vmm_tcg_reg(vcpu, UC_X86_REG_CR3);
	for (unsigned int i = 0; i < n; i++) {
		struct vmm_tcg_walk w;
		const uint8_t *p;
		if (vmm_tcg_walk(vcpu->vm, cr3, va + i, &w) || !w.present || !(p = vmm_tcg_gpa(vcpu->vm, w.gpa, 1)))
			return i;
		out[i] = *p;
	}
	return n;
}

static void stop_with(struct vmm_tcg_vcpu *vcpu, enum vmm_kvm_exit_kind kind)
{
	vcpu->exit->kind = kind;
	vcpu->exited = true;
	uc_emu_stop(vcpu->uc);
}

static unsigned int cpl(struct vmm_tcg_vcpu *vcpu)
{
	return (unsigned int)(vmm_tcg_reg(vcpu, UC_X86_REG_CS) & 3u);
}

void vmm_tcg_exception(struct vmm_tcg_vcpu *vcpu, uint32_t vector, uint64_t error_code, uint64_t cr2)
{
	struct vmm_kvm_exit *e = vcpu->exit;
	e->exception.vector = vector;
	e->exception.error_code = error_code;
	e->exception.rip = vmm_tcg_reg(vcpu, UC_X86_REG_RIP);
	e->exception.cs = vmm_tcg_reg(vcpu, UC_X86_REG_CS);
	e->exception.rflags = vmm_tcg_reg(vcpu, UC_X86_REG_RFLAGS);
	e->exception.rsp = vmm_tcg_reg(vcpu, UC_X86_REG_RSP);
	e->exception.cr2 = cr2;
	stop_with(vcpu, VMM_KVM_EXIT_EXCEPTION);
}

/* Whether the instruction at rip stores to its memory operand: the store forms of MOV (88/89 r/m,reg; C6/C7 r/m,imm;
 * 0F 11 / 0F 29 / 0F 7F / 66 0F D6 SSE stores), after legacy and REX prefixes.  Used for a not-present #PF, whose
 * W bit Unicorn does not report; other instructions count as reads. */
static bool stores_to_memory(struct vmm_tcg_vcpu *vcpu, uint64_t rip)
{
	uint8_t b[16];
	unsigned int n = vmm_tcg_read_code(vcpu, rip, b, sizeof(b)), i = 0;
	while (i < n &&
	       (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xF2 || b[i] == 0xF3 || b[i] == 0xF0 || (b[i] & 0xF0) == 0x40))
		i++;
	if (i >= n)
		return false;
	if (b[i] == 0x88 || b[i] == 0x89 || b[i] == 0xC6 || b[i] == 0xC7)
		return true;
	return b[i] == 0x0F && i + 1 < n &&
	       (b[i + 1] == 0x11 || b[i + 1] == 0x29 || b[i + 1] == 0x7F || b[i + 1] == 0xD6);
}

/* The #PF error code for an access to va, rebuilt from the page tables (Unicorn does not expose the CPU's): P when
 * the translation exists (then the fault was a permission one: W if the page is read-only, as a read would not have
 * faulted), W for a store to a page not present, U at CPL 3, I/D when va is the instruction pointer. */
static uint64_t pf_error_code(struct vmm_tcg_vcpu *vcpu, uint64_t va, bool write, bool fetch)
{
	struct vmm_tcg_walk w;
	uint64_t rip = vmm_tcg_reg(vcpu, UC_X86_REG_RIP);
	uint64_t code = cpl(vcpu) == 3 ? PF_U : 0;
	bool present = vmm_tcg_walk(vcpu->vm, vmm_tcg_reg(vcpu, UC_X86_REG_CR3), va, &w) == 0 && w.present;
	fetch = fetch || va == rip;
	if (present)
		code |= PF_P | (!w.writable && (!(code & PF_U) || w.user) ? PF_W : 0);
	else if (write || (!fetch && stores_to_memory(vcpu, rip)))
		code |= PF_W;
	if (fetch)
		code |= PF_I;
	return code;
}

static bool hook_invalid(uc_engine *uc, void *user)
{
	struct vmm_tcg_vcpu *vcpu = user;
	struct vmm_kvm_exit *e = vcpu->exit;
	uint8_t b[INSN_READ_MAX];
	uint64_t rip = vmm_tcg_reg(vcpu, UC_X86_REG_RIP);
	unsigned int n = vmm_tcg_read_code(vcpu, rip, b, INSN_LEN_SNP);
	(void)uc;

	if (n == INSN_LEN_SNP && !memcmp(b, insn_vmgexit, INSN_LEN_SNP)) {
		vmm_tcg_set_reg(vcpu, UC_X86_REG_RIP, rip + INSN_LEN_SNP);
		stop_with(vcpu, VMM_KVM_EXIT_VMGEXIT);
	} else if (n == INSN_LEN_SNP && !memcmp(b, insn_pvalidate, INSN_LEN_SNP)) {
		/* rAX = virtual address, ECX = page size, EDX = validate (APM vol 3, PVALIDATE) */
		e->pvalidate.vaddr = vmm_tcg_reg(vcpu, UC_X86_REG_RAX);
		e->pvalidate.page_size = (uint32_t)vmm_tcg_reg(vcpu, UC_X86_REG_RCX);
		e->pvalidate.validate = (uint32_t)vmm_tcg_reg(vcpu, UC_X86_REG_RDX);
		vcpu->pending = VMM_TCG_PENDING_PVALIDATE;
		vcpu->pv_rc = SNPEMU_PVALIDATE_FAIL_INPUT;
		vcpu->pv_no_update = false;
		vmm_tcg_set_reg(vcpu, UC_X86_REG_RIP, rip + INSN_LEN_SNP);
		stop_with(vcpu, VMM_KVM_EXIT_PVALIDATE);
	} else if (n == INSN_LEN_SNP && !memcmp(b, insn_rmpadjust, INSN_LEN_SNP)) {
		e->rmpadjust.vaddr = vmm_tcg_reg(vcpu, UC_X86_REG_RAX);
		e->rmpadjust.page_size = vmm_tcg_reg(vcpu, UC_X86_REG_RCX);
		e->rmpadjust.attrs = vmm_tcg_reg(vcpu, UC_X86_REG_RDX);
		vcpu->pending = VMM_TCG_PENDING_RMPADJUST;
		vcpu->pv_rc = SNPEMU_PVALIDATE_FAIL_INPUT;
		vmm_tcg_set_reg(vcpu, UC_X86_REG_RIP, rip + INSN_LEN_SNP);
		stop_with(vcpu, VMM_KVM_EXIT_RMPADJUST);
	} else {
		vmm_tcg_exception(vcpu, VEC_UD, 0, vmm_tcg_reg(vcpu, UC_X86_REG_CR2));
	}
	return true;
}

static int reset_exception_state(struct vmm_tcg_vcpu *vcpu);

/*
 * The #GP of an RDMSR/WRMSR the VM's msr callback serves, completed here in the interrupt hook (tcg.h): QEMU's
 * exception state goes back to "none" first (tcg_vm.c says why; the hook is where a delivery would do it), then the
 * result and RIP past the instruction, and the guest resumes without leaving uc_emu_start.  (A RIP written in this
 * hook is where QEMU's loop resumes.)  Returns false, with nothing changed but the exception state, if the
 * instruction is not one the callback serves.
 */
static bool serve_msr(struct vmm_tcg_vcpu *vcpu)
{
	uint8_t b[2];
	uint64_t rip = vmm_tcg_reg(vcpu, UC_X86_REG_RIP);
	if (!vcpu->vm->msr || vmm_tcg_read_code(vcpu, rip, b, sizeof(b)) != sizeof(b) || b[0] != 0x0F ||
	    (b[1] != insn_wrmsr[1] && b[1] != insn_rdmsr[1]) || reset_exception_state(vcpu))
		return false;
	bool write = b[1] == insn_wrmsr[1];
	uint32_t index = (uint32_t)vmm_tcg_reg(vcpu, UC_X86_REG_RCX);
	uint64_t value = write ? (vmm_tcg_reg(vcpu, UC_X86_REG_RDX) & 0xFFFFFFFFu) << 32 |
				     (vmm_tcg_reg(vcpu, UC_X86_REG_RAX) & 0xFFFFFFFFu)
			       : 0;
	if (!vcpu->vm->msr(vcpu->vm->io_ctx, vcpu->id, index, write, &value)) {
		vcpu->faulted = true; /* the #GP stands: the run loop resets the state again after the exit */
		return false;
	}
	if (!write) {
		vmm_tcg_set_reg(vcpu, UC_X86_REG_RAX, value & 0xFFFFFFFFu);
		vmm_tcg_set_reg(vcpu, UC_X86_REG_RDX, value >> 32);
	}
	vmm_tcg_set_reg(vcpu, UC_X86_REG_RIP, rip + sizeof(insn_wrmsr));
	return true;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
	struct vmm_tcg_vcpu *vcpu = user;
	uint64_t cr2 = vmm_tcg_reg(vcpu, UC_X86_REG_CR2);
	(void)uc;

	vcpu->faulted = true;
	if (intno == VEC_GP && serve_msr(vcpu))
		return;
	if (intno == VEC_GP && vcpu->vm->vc && vmm_tcg_vc_gp_ours(vcpu)) {
		/* served by vmm_tcg_vcpu_run() once emulation stopped: a RIP written in a hook resumes emulation at
		 * once, before the exception state is reset (a later #GP would then be a #DF) */
		vcpu->vc_gp = true;
		uc_emu_stop(vcpu->uc);
		return;
	}
	if (intno == VEC_GP && vcpu->vm->deterministic) {
		uint8_t b[2];
		if (vmm_tcg_read_code(vcpu, vmm_tcg_reg(vcpu, UC_X86_REG_RIP), b, 2) == 2 &&
		    !memcmp(b, insn_rdtsc, 2)) {
			vcpu->rdtsc = true; /* answered by vmm_tcg_vcpu_run() */
			uc_emu_stop(vcpu->uc);
			return;
		}
	}
	vmm_tcg_exception(vcpu, intno, intno == VEC_PF ? pf_error_code(vcpu, cr2, false, false) : 0, cr2);
}

/* Port IO, served here and now (tcg.h says why): the hook cannot stop emulation at the instruction. */
static uint32_t port_io(struct vmm_tcg_vcpu *vcpu, uint16_t port, bool in, int size, uint32_t value)
{
	uint8_t data[4];
	uint32_t n = size == 1 || size == 2 ? (uint32_t)size : 4u;
	le32_store(data, in ? 0xFFFFFFFFu : value);
	if (vcpu->vm->io && !vcpu->vm->io(vcpu->vm->io_ctx, vcpu->id, port, in, data, n))
		stop_with(vcpu, VMM_KVM_EXIT_INTR); /* the VM ends: where exactly emulation stops no longer matters */
	return le32_load(data) & (n == 4 ? 0xFFFFFFFFu : (1u << (8 * n)) - 1u);
}

static void hook_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
	(void)uc;
	port_io(user, (uint16_t)port, false, size, value);
}

static uint32_t hook_in(uc_engine *uc, uint32_t port, int size, void *user)
{
	(void)uc;
	return port_io(user, (uint16_t)port, true, size, 0);
}

/* An access Unicorn found no RAM for: a #PF if the guest's page tables do not map the address (ours map RAM only),
 * else the guest's own tables point outside RAM: an MMIO exit, as KVM gives for a GPA no slot backs. */
static bool hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
	struct vmm_tcg_vcpu *vcpu = user;
	struct vmm_kvm_exit *e = vcpu->exit;
	struct vmm_tcg_walk w;
	bool write = type == UC_MEM_WRITE_UNMAPPED, fetch = type == UC_MEM_FETCH_UNMAPPED;
	(void)uc;

	if (vmm_tcg_walk(vcpu->vm, vmm_tcg_reg(vcpu, UC_X86_REG_CR3), address, &w) == 0 && w.present && !fetch) {
		e->mmio.gpa = w.gpa;
		e->mmio.len = size > 0 && size <= 8 ? (uint32_t)size : 8u;
		e->mmio.write = write;
		if (write)
			le64_store(e->mmio.data, (uint64_t)value);
		stop_with(vcpu, VMM_KVM_EXIT_MMIO);
		return false;
	}
	vmm_tcg_exception(vcpu, VEC_PF, pf_error_code(vcpu, address, write, fetch), address);
	e->exception.cr2 = address;
	return false;
}

/* At the start of every translation block: leave guest code when asked to (the CPU lock's slice, a stop request). */
static void hook_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct vmm_tcg_vcpu *vcpu = user;
	(void)address, (void)size;
	if (atomic_load_explicit(&vcpu->yield, memory_order_relaxed) && atomic_exchange(&vcpu->yield, false))
		uc_emu_stop(uc);
}

static int uc_to_errno(uc_err e)
{
	return e == UC_ERR_OK ? 0 : e == UC_ERR_NOMEM ? -ENOMEM : -EINVAL;
}

static int add_hooks(struct vmm_tcg_vcpu *vcpu)
{
	uc_engine *uc = vcpu->uc;
	uc_err e =
	    uc_hook_add(uc, &vcpu->hooks[vcpu->nhooks++], UC_HOOK_INSN_INVALID, (void *)hook_invalid, vcpu, 1, 0);
	if (!e)
		e = uc_hook_add(uc, &vcpu->hooks[vcpu->nhooks++], UC_HOOK_INTR, (void *)hook_intr, vcpu, 1, 0);
	if (!e)
		e = uc_hook_add(uc, &vcpu->hooks[vcpu->nhooks++], UC_HOOK_INSN, (void *)hook_out, vcpu, 1, 0,
				UC_X86_INS_OUT);
	if (!e)
		e = uc_hook_add(uc, &vcpu->hooks[vcpu->nhooks++], UC_HOOK_INSN, (void *)hook_in, vcpu, 1, 0,
				UC_X86_INS_IN);
	if (!e)
		e = uc_hook_add(uc, &vcpu->hooks[vcpu->nhooks++], UC_HOOK_BLOCK, (void *)hook_block, vcpu, 1, 0);
	if (!e)
		e = uc_hook_add(uc, &vcpu->hooks[vcpu->nhooks++], UC_HOOK_MEM_UNMAPPED, (void *)hook_unmapped, vcpu, 1,
				0);
	if (!e && vcpu->vm->vc)
		e = uc_hook_add(uc, &vcpu->hooks[vcpu->nhooks++], UC_HOOK_CODE, (void *)vmm_tcg_vc_hook_code, vcpu, 1,
				0);
	return uc_to_errno(e);
}

/* After an exception Unicorn reported instead of delivering: QEMU's double-fault tracking back to "none" (tcg_vm.c
 * says why and how). */
static int reset_exception_state(struct vmm_tcg_vcpu *vcpu)
{
	static const int32_t none = -1;
	vcpu->faulted = false;
	if (uc_context_save(vcpu->uc, vcpu->ctx))
		return -EIO;
	memcpy((uint8_t *)vcpu->ctx + vcpu->vm->old_exception_offset, &none, sizeof(none));
	return uc_context_restore(vcpu->uc, vcpu->ctx) ? -EIO : 0;
}

/* The VMCB attribute word of a segment (kvm.h) as QEMU's descriptor flags (bits 8..23 of the high dword). */
static uint32_t attrib_to_flags(uint16_t attrib)
{
	return (uint32_t)(attrib & 0xFFu) << 8 | (uint32_t)((attrib >> 8) & 0xFu) << 20;
}

/* A segment as the guest's GDT describes selector sel (what Unicorn loaded; it exposes only the selector). */
static void segment_from_gdt(struct vmm_tcg_vcpu *vcpu, uint64_t gdt, uint16_t sel, struct vmm_segment *s)
{
	struct vmm_tcg_walk w;
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	if (!(sel & ~7u) || vmm_tcg_walk(vcpu->vm, vmm_tcg_reg(vcpu, UC_X86_REG_CR3), gdt + (sel & ~7u), &w) ||
	    !w.present)
		return;
	const uint8_t *p = vmm_tcg_gpa(vcpu->vm, w.gpa, 8);
	if (!p)
		return;
	uint64_t d = le64_load(p);
	uint32_t limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
	s->attrib = (uint16_t)(((d >> 40) & 0xFF) | ((d >> 52) & 0xF) << 8);
	s->limit = (s->attrib & (1u << 11)) ? limit << 12 | 0xFFF : limit;
	s->base = ((d >> 16) & 0xFFFFFF) | ((d >> 56) & 0xFF) << 24;
}

static const int gpr_ids[] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI, UC_X86_REG_RDI,
    UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_RFLAGS,
};
_Static_assert(sizeof(gpr_ids) / sizeof(gpr_ids[0]) * 8 == sizeof(struct vmm_regs), "one id per register");

int vmm_tcg_vcpu_get_regs(struct vmm_tcg_vcpu *vcpu, struct vmm_regs *regs)
{
	uint64_t *v = (uint64_t *)regs;
	void *ptrs[sizeof(gpr_ids) / sizeof(gpr_ids[0])];
	for (size_t i = 0; i < sizeof(gpr_ids) / sizeof(gpr_ids[0]); i++)
		ptrs[i] = &v[i];
	return uc_to_errno(
	    uc_reg_read_batch(vcpu->uc, (int *)gpr_ids, ptrs, (int)(sizeof(gpr_ids) / sizeof(gpr_ids[0]))));
}

int vmm_tcg_vcpu_set_regs(struct vmm_tcg_vcpu *vcpu, const struct vmm_regs *regs)
{
	struct vmm_regs r = *regs;
	uint64_t *v = (uint64_t *)&r;
	void *ptrs[sizeof(gpr_ids) / sizeof(gpr_ids[0])];
	r.rflags |= 2u; /* bit 1 is reserved, always one */
	for (size_t i = 0; i < sizeof(gpr_ids) / sizeof(gpr_ids[0]); i++)
		ptrs[i] = &v[i];
	vcpu->pending = VMM_TCG_PENDING_NONE; /* the caller's registers win over an unapplied completion */
	return uc_to_errno(
	    uc_reg_write_batch(vcpu->uc, (int *)gpr_ids, ptrs, (int)(sizeof(gpr_ids) / sizeof(gpr_ids[0]))));
}

/*
 * x87/SSE state.  Unicorn's UC_X86_REG_ST0..7 are ST(i), relative to TOP, as FXSAVE and KVM_GET_FPU order them;
 * FPSW carries TOP (bits 13:11), so it is written before the ST registers.  FPTAG is the full tag word (2 bits per
 * physical register, 11 = empty); the abridged tag keeps one bit per register (1 = in use).  Values are read into
 * zeroed 16-byte buffers: Unicorn writes 2, 4, 8, 10 or 16 bytes depending on the register.
 */
static int fpu_read(struct vmm_tcg_vcpu *vcpu, int id, void *out, size_t n)
{
	uint8_t buf[16] = {0};
	if (uc_reg_read(vcpu->uc, id, buf) != UC_ERR_OK)
		return -EIO;
	memcpy(out, buf, n);
	return 0;
}

static int fpu_write(struct vmm_tcg_vcpu *vcpu, int id, const void *in, size_t n)
{
	uint8_t buf[16] = {0};
	memcpy(buf, in, n);
	return uc_reg_write(vcpu->uc, id, buf) == UC_ERR_OK ? 0 : -EIO;
}

/* The fields that map one to one onto a Unicorn register (FSW and the tag word need more, see above). */
static const struct {
	int id;
	size_t off, n;
} fpu_scalars[] = {
    {UC_X86_REG_FPCW, offsetof(struct vmm_fpu, fcw), 2},    {UC_X86_REG_FOP, offsetof(struct vmm_fpu, last_opcode), 2},
    {UC_X86_REG_FIP, offsetof(struct vmm_fpu, last_ip), 8}, {UC_X86_REG_FDP, offsetof(struct vmm_fpu, last_dp), 8},
    {UC_X86_REG_MXCSR, offsetof(struct vmm_fpu, mxcsr), 4},
};

static int xmm_id(int i)
{
	return i < 8 ? UC_X86_REG_XMM0 + i : UC_X86_REG_XMM8 + (i - 8);
}

int vmm_tcg_vcpu_get_fpu(struct vmm_tcg_vcpu *vcpu, struct vmm_fpu *f)
{
	uint16_t tag = 0;
	memset(f, 0, sizeof(*f));
	int rc = fpu_read(vcpu, UC_X86_REG_FPSW, &f->fsw, 2);
	if (!rc)
		rc = fpu_read(vcpu, UC_X86_REG_FPTAG, &tag, 2);
	for (int i = 0; i < 8 && !rc; i++)
		rc = fpu_read(vcpu, UC_X86_REG_ST0 + i, f->fpr[i], 10);
	for (int i = 0; i < 16 && !rc; i++)
		rc = fpu_read(vcpu, xmm_id(i), f->xmm[i], 16);
	for (size_t i = 0; i < sizeof(fpu_scalars) / sizeof(fpu_scalars[0]) && !rc; i++)
		rc = fpu_read(vcpu, fpu_scalars[i].id, (uint8_t *)f + fpu_scalars[i].off, fpu_scalars[i].n);
	for (int i = 0; i < 8; i++)
		f->ftwx |= (uint8_t)(((tag >> (2 * i)) & 3u) != 3u) << i;
	f->last_opcode &= 0x7FFu;
	return rc;
}

int vmm_tcg_vcpu_set_fpu(struct vmm_tcg_vcpu *vcpu, const struct vmm_fpu *f)
{
	uint16_t tag = 0;
	for (int i = 0; i < 8; i++)
		tag |= (uint16_t)((f->ftwx >> i) & 1u ? 0u : 3u) << (2 * i);
	int rc = fpu_write(vcpu, UC_X86_REG_FPSW, &f->fsw, 2); /* TOP first: ST(i) is relative to it */
	if (!rc)
		rc = fpu_write(vcpu, UC_X86_REG_FPTAG, &tag, 2);
	for (int i = 0; i < 8 && !rc; i++)
		rc = fpu_write(vcpu, UC_X86_REG_ST0 + i, f->fpr[i], 10);
	for (int i = 0; i < 16 && !rc; i++)
		rc = fpu_write(vcpu, xmm_id(i), f->xmm[i], 16);
	for (size_t i = 0; i < sizeof(fpu_scalars) / sizeof(fpu_scalars[0]) && !rc; i++)
		rc = fpu_write(vcpu, fpu_scalars[i].id, (const uint8_t *)f + fpu_scalars[i].off, fpu_scalars[i].n);
	return rc;
}

int vmm_tcg_vcpu_get_sregs(struct vmm_tcg_vcpu *vcpu, struct vmm_sregs *s)
{
	uc_x86_mmr gdtr = {0}, idtr = {0}, tr = {0}, ldtr = {0};
	uc_reg_read(vcpu->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_read(vcpu->uc, UC_X86_REG_IDTR, &idtr);
	uc_reg_read(vcpu->uc, UC_X86_REG_TR, &tr);
	uc_reg_read(vcpu->uc, UC_X86_REG_LDTR, &ldtr);
	memset(s, 0, sizeof(*s));
	segment_from_gdt(vcpu, gdtr.base, (uint16_t)vmm_tcg_reg(vcpu, UC_X86_REG_CS), &s->cs);
	segment_from_gdt(vcpu, gdtr.base, (uint16_t)vmm_tcg_reg(vcpu, UC_X86_REG_SS), &s->ss);
	segment_from_gdt(vcpu, gdtr.base, (uint16_t)vmm_tcg_reg(vcpu, UC_X86_REG_DS), &s->ds);
	segment_from_gdt(vcpu, gdtr.base, (uint16_t)vmm_tcg_reg(vcpu, UC_X86_REG_ES), &s->es);
	segment_from_gdt(vcpu, gdtr.base, (uint16_t)vmm_tcg_reg(vcpu, UC_X86_REG_FS), &s->fs);
	segment_from_gdt(vcpu, gdtr.base, (uint16_t)vmm_tcg_reg(vcpu, UC_X86_REG_GS), &s->gs);
	s->fs.base = vmm_tcg_reg(vcpu, UC_X86_REG_FS_BASE);
	s->gs.base = vmm_tcg_reg(vcpu, UC_X86_REG_GS_BASE);
	s->tr = (struct vmm_segment){tr.selector, (uint16_t)(((tr.flags >> 8) & 0xFF) | ((tr.flags >> 20) & 0xF) << 8),
				     tr.limit, tr.base};
	s->ldtr = (struct vmm_segment){ldtr.selector, 0, ldtr.limit, ldtr.base};
	s->gdtr = (struct vmm_dtable){gdtr.base, (uint16_t)gdtr.limit};
	s->idtr = (struct vmm_dtable){idtr.base, (uint16_t)idtr.limit};
	s->cr0 = vmm_tcg_reg(vcpu, UC_X86_REG_CR0);
	s->cr2 = vmm_tcg_reg(vcpu, UC_X86_REG_CR2);
	s->cr3 = vmm_tcg_reg(vcpu, UC_X86_REG_CR3);
	s->cr4 = vmm_tcg_reg(vcpu, UC_X86_REG_CR4);
	uc_x86_msr efer = {MSR_EFER, 0};
	uc_reg_read(vcpu->uc, UC_X86_REG_MSR, &efer);
	s->efer = efer.value;
	return 0;
}

/* The data segment registers, by selector where they change, then the bases (a selector load resets them). */
static int load_data_segments(struct vmm_tcg_vcpu *vcpu, const struct vmm_sregs *s)
{
	static const int ids[] = {UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS};
	const struct vmm_segment *segs[] = {&s->ds, &s->es, &s->fs, &s->gs};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (vmm_tcg_reg(vcpu, ids[i]) == segs[i]->selector)
			continue;
		uint64_t sel = segs[i]->selector;
		uc_err e = uc_reg_write(vcpu->uc, ids[i], &sel);
		if (e)
			return uc_to_errno(e);
	}
	vmm_tcg_set_reg(vcpu, UC_X86_REG_FS_BASE, s->fs.base);
	vmm_tcg_set_reg(vcpu, UC_X86_REG_GS_BASE, s->gs.base);
	return 0;
}

/*
 * The first load, at CPL 0 (a new Unicorn instance): descriptor tables, control registers, TR, then CS and SS.
 * Unicorn loads CS/SS only through an instruction, so the vCPU executes the `iretq` of the system area
 * (VMM_KVM_IRET_GPA) with a frame on its exception stack that names them: the way an OS enters user mode.  Code
 * segments of DPL 0 become the VMM's CPL-3 segments (tcg.h: all guest code runs at CPL 3).
 */
static int load_initial_sregs(struct vmm_tcg_vcpu *vcpu, const struct vmm_sregs *in)
{
	struct vmm_sregs s = *in;
	if ((s.cs.attrib >> 5 & 3u) != 3u) {
		uint64_t fs_base = s.fs.base, gs_base = s.gs.base;
		vmm_kvm_x86_user_segments(&s);
		s.fs.base = fs_base;
		s.gs.base = gs_base;
	}
	uc_x86_mmr gdtr = {0, s.gdtr.base, s.gdtr.limit, 0}, idtr = {0, s.idtr.base, s.idtr.limit, 0};
	uc_x86_mmr tr = {s.tr.selector, s.tr.base, s.tr.limit, attrib_to_flags(s.tr.attrib)};
	uc_x86_msr efer = {MSR_EFER, s.efer};
	uint64_t cr4 = s.cr4 | (vcpu->vm->deterministic ? CR4_TSD : 0);
	uc_err e = uc_reg_write(vcpu->uc, UC_X86_REG_GDTR, &gdtr);
	if (!e)
		e = uc_reg_write(vcpu->uc, UC_X86_REG_IDTR, &idtr);
	if (!e)
		e = uc_reg_write(vcpu->uc, UC_X86_REG_MSR, &efer);
	if (!e)
		e = uc_reg_write(vcpu->uc, UC_X86_REG_CR3, &s.cr3);
	if (!e)
		e = uc_reg_write(vcpu->uc, UC_X86_REG_CR4, &cr4);
	if (!e)
		e = uc_reg_write(vcpu->uc, UC_X86_REG_CR0, &s.cr0);
	if (!e)
		e = uc_reg_write(vcpu->uc, UC_X86_REG_TR, &tr);
	if (!e)
		e = uc_reg_write(vcpu->uc, UC_X86_REG_CR2, &s.cr2);
	if (e)
		return uc_to_errno(e);
	/* At CPL 0 on the VMM's kernel code segment, then iretq to s.cs (RIP: the caller's comes afterwards). */
	uint64_t kcs = VMM_KVM_SEL_CODE, kss = VMM_KVM_SEL_DATA;
	uc_reg_write(vcpu->uc, UC_X86_REG_CS, &kcs);
	uc_reg_write(vcpu->uc, UC_X86_REG_SS, &kss);
	uint64_t frame = VMM_KVM_IST_GPA + (uint64_t)(vcpu->id + 1) * VMM_KVM_IST_SIZE - 64;
	uint8_t *f = vmm_tcg_gpa(vcpu->vm, frame, 40);
	if (!f)
		return -EFAULT;
	uint64_t target = VMM_KVM_IRET_GPA + 2;
	le64_store(f, target);
	le64_store(f + 8, s.cs.selector);
	le64_store(f + 16, 2);
	le64_store(f + 24, frame + 64);
	le64_store(f + 32, s.ss.selector);
	vmm_tcg_set_reg(vcpu, UC_X86_REG_RSP, frame);
	/* The return lands at CPL 3 on the supervisor-only page after the iretq: the fetch there faults (#PF, which
	 * hook_intr turns into an exit that stops emulation), so the iretq is the only instruction that runs.
	 * (Unicorn's own ways to run one instruction, a count or an `until` address, leave blocks behind whose removal
	 * flushes the whole translation cache: seconds per vCPU.) */
	e = uc_emu_start(vcpu->uc, VMM_KVM_IRET_GPA, EMU_UNTIL, 0, 0);
	if (e || vmm_tcg_reg(vcpu, UC_X86_REG_RIP) != target || vmm_tcg_reg(vcpu, UC_X86_REG_CS) != s.cs.selector)
		return -EINVAL;
	int r = reset_exception_state(vcpu);
	return r ? r : load_data_segments(vcpu, &s);
}

int vmm_tcg_vcpu_set_sregs(struct vmm_tcg_vcpu *vcpu, const struct vmm_sregs *s)
{
	/* Within CPL 3 only (tcg.h): CS and SS stay; what the VMM changes is FS/GS (base) and data selectors. */
	if (vmm_tcg_reg(vcpu, UC_X86_REG_CS) != s->cs.selector || vmm_tcg_reg(vcpu, UC_X86_REG_SS) != s->ss.selector)
		return -ENOTSUP;
	return load_data_segments(vcpu, s);
}

int vmm_tcg_vcpu_create(struct vmm_tcg_vm *vm, uint32_t id, const struct vmm_regs *regs, const struct vmm_sregs *sregs,
			struct vmm_tcg_vcpu **out)
{
	if (id >= VMM_KVM_MAX_VCPUS || !regs)
		return -EINVAL;
	int claimed = vmm_vcpu_id_claim(&vm->ids, id);
	if (claimed < 0)
		return claimed;
	struct vmm_tcg_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu) {
		vmm_vcpu_id_release(&vm->ids, id);
		return -ENOMEM;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	struct vmm_sregs defaults;
	if (!sregs) {
		vmm_kvm_x86_default_sregs(id, &defaults);
		vmm_kvm_x86_user_segments(&defaults);
		sregs = &defaults;
	}
	struct vmm_kvm_exit scratch;
	vcpu->exit = &scratch;
	int r = uc_to_errno(uc_open(UC_ARCH_X86, UC_MODE_64, &vcpu->uc));
	if (!r)
		r = uc_to_errno(uc_context_alloc(vcpu->uc, &vcpu->ctx));
	if (!r)
		r = uc_to_errno(uc_mem_map_ptr(vcpu->uc, 0, vm->ram_size, UC_PROT_ALL, vm->ram));
	if (!r)
		r = add_hooks(vcpu);
	if (!r)
		r = load_initial_sregs(vcpu, sregs);
	if (!r)
		r = vmm_tcg_vcpu_set_regs(vcpu, regs);
	if (!r) {
		/* x87/SSE at their reset values (FNINIT's FCW 0x37F, tags empty; MXCSR 0x1F80, every exception masked),
		 * as KVM's vCPU starts: Unicorn leaves both zero, which unmasks every x87 and SIMD exception. */
		const struct vmm_fpu reset = {.fcw = 0x37F, .mxcsr = 0x1F80};
		r = vmm_tcg_vcpu_set_fpu(vcpu, &reset);
	}
	vcpu->exit = NULL;
	if (r) {
		vmm_tcg_vcpu_destroy(vcpu);
		return r;
	}
	*out = vcpu;
	return 0;
}

void vmm_tcg_vcpu_destroy(struct vmm_tcg_vcpu *vcpu)
{
	if (!vcpu)
		return;
	struct vmm_tcg_vm *vm = vcpu->vm;
	uc_context_free(vcpu->ctx);
	if (vcpu->uc)
		uc_close(vcpu->uc);
	vmm_vcpu_id_release(&vm->ids, vcpu->id);
	free(vcpu);
}

/* Writes the answer of the previous exit into the registers before the guest runs again. */
static void apply_pending(struct vmm_tcg_vcpu *vcpu)
{
	switch (vcpu->pending) {
	case VMM_TCG_PENDING_PVALIDATE:
		vmm_tcg_set_reg(vcpu, UC_X86_REG_RAX, vcpu->pv_rc);
		uint64_t fl = vmm_tcg_reg(vcpu, UC_X86_REG_RFLAGS);
		vmm_tcg_set_reg(vcpu, UC_X86_REG_RFLAGS, vcpu->pv_no_update ? fl | RFLAGS_CF : fl & ~RFLAGS_CF);
		break;
	case VMM_TCG_PENDING_RMPADJUST:
		vmm_tcg_set_reg(vcpu, UC_X86_REG_RAX, vcpu->pv_rc);
		break;
	case VMM_TCG_PENDING_NONE:
		break;
	}
	vcpu->pending = VMM_TCG_PENDING_NONE;
}

int vmm_tcg_vcpu_run(struct vmm_tcg_vcpu *vcpu, struct vmm_kvm_exit *exit)
{
	apply_pending(vcpu);
	if (vcpu->vm->deterministic && vcpu->entries)
		vcpu->tsc += VMM_TCG_EXIT_STEP; /* the exit the caller just served (tcg.h, determinism) */
	memset(exit, 0, sizeof(*exit));
	for (;;) {
		if (atomic_load(&vcpu->stop)) {
			exit->kind = VMM_KVM_EXIT_INTR;
			return 0;
		}
		vmm_tcg_cpu_acquire(vcpu);
		vcpu->exit = exit;
		vcpu->exited = false;
		vcpu->rdtsc = false;
		uc_err e = uc_emu_start(vcpu->uc, vmm_tcg_reg(vcpu, UC_X86_REG_RIP), EMU_UNTIL, 0, 0);
		vcpu->entries++;
		vmm_tcg_cpu_release(vcpu);
		if (vcpu->faulted && reset_exception_state(vcpu))
			return -EIO;
		if (vcpu->exited)
			return 0;
		if (vcpu->vc_gp) {
			vcpu->vc_gp = false;
			if (vmm_tcg_vc_serve_gp(vcpu))
				return 0;
			continue;
		}
		if (vcpu->rdtsc) {
			vmm_tcg_set_reg(vcpu, UC_X86_REG_RAX, vcpu->tsc & 0xFFFFFFFFu);
			vmm_tcg_set_reg(vcpu, UC_X86_REG_RDX, vcpu->tsc >> 32);
			vmm_tcg_set_reg(vcpu, UC_X86_REG_RIP, vmm_tcg_reg(vcpu, UC_X86_REG_RIP) + sizeof(insn_rdtsc));
			vcpu->tsc += VMM_TCG_TSC_STEP;
			continue;
		}
		if (e == UC_ERR_OK && vmm_tcg_reg(vcpu, UC_X86_REG_RIP) == EMU_UNTIL) {
			vmm_tcg_exception(vcpu, VEC_PF, pf_error_code(vcpu, EMU_UNTIL, false, true), EMU_UNTIL);
			return 0;
		}
		if (e != UC_ERR_OK) {
			exit->kind = VMM_KVM_EXIT_INTERNAL_ERROR;
			exit->internal.suberror = (uint32_t)e;
			exit->internal.ndata = 1;
			exit->internal.data[0] = vmm_tcg_reg(vcpu, UC_X86_REG_RIP);
			return 0;
		}
		/* yielded (the CPU lock's slice) or stopped: go round */
	}
}

int vmm_tcg_complete_pvalidate(struct vmm_tcg_vcpu *vcpu, uint32_t rc, bool no_update)
{
	if (vcpu->pending != VMM_TCG_PENDING_PVALIDATE)
		return -EINVAL;
	vcpu->pv_rc = rc;
	vcpu->pv_no_update = no_update;
	return 0;
}

int vmm_tcg_complete_rmpadjust(struct vmm_tcg_vcpu *vcpu, uint32_t rc)
{
	if (vcpu->pending != VMM_TCG_PENDING_RMPADJUST)
		return -EINVAL;
	vcpu->pv_rc = rc;
	return 0;
}

int vmm_tcg_exception_regs(struct vmm_tcg_vcpu *vcpu, const struct vmm_kvm_exit *exit, struct vmm_regs *regs)
{
	(void)exit;
	return vmm_tcg_vcpu_get_regs(vcpu, regs);
}

uint64_t vmm_tcg_vcpu_clock(const struct vmm_tcg_vcpu *vcpu)
{
	return vcpu->tsc;
}

uint64_t vmm_tcg_vcpu_entries(const struct vmm_tcg_vcpu *vcpu)
{
	return vcpu->entries;
}

uint64_t vmm_tcg_vcpu_tsc(const struct vmm_tcg_vcpu *vcpu)
{
	return vcpu->tsc;
}

void vmm_tcg_vcpu_set_tsc(struct vmm_tcg_vcpu *vcpu, uint64_t tsc)
{
	vcpu->tsc = tsc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The tcg backend's #VC mode (tcg.h, "#VC"): CPUID, IN/OUT/INS/OUTS and RDMSR/WRMSR of intercepted MSRs raise the
 * VMM Communication exception (vector 29, error code = the SVM exit code; AMD APM vol 2 §15.35.5) delivered through
 * the guest's IDT, as on SEV-ES hardware, instead of reaching the VMM.
 *
 * Why a code hook: Unicorn's UC_HOOK_INSN for CPUID and IN/OUT runs mid-block and cannot stop the instruction from
 * completing nor the rest of its translation block from running (probed: a RIP written there is ignored until the
 * block ends), while a UC_HOOK_CODE runs before each instruction and a RIP written there redirects execution at once.
 * The hook exists only in #VC mode, so other runs pay nothing.  RDMSR/WRMSR already #GP at CPL 3 (tcg.h); in #VC mode
 * that #GP becomes a #VC unless ECX names an MSR SEV-ES hardware does not intercept (the GHCB MSR, SEV_STATUS),
 * which still reach the VMM.
 *
 * Delivery (APM vol 2 §8.9.3, long-mode interrupt control transfer), with no ring change: all guest code runs at
 * CPL 3 on tcg (tcg.h), the handler too.  The gate must be a present 64-bit interrupt or trap gate; its IST index
 * selects the stack (TSS.IST[n] of the vCPU's TSS), else the current RSP is used; RSP is aligned down to 16 bytes
 * and SS, RSP, RFLAGS, CS, RIP (of the faulting instruction) and the error code are pushed; TF, NT, RF (and IF for an
 * interrupt gate) are cleared; RIP = the gate's offset.  The handler returns with IRETQ (CPL 3 to CPL 3).
 * The guest installs its IDT with LIDT, which #GPs at CPL 3 and which this file emulates in #VC mode (the register
 * indirect form, `lidt (%reg)`).  A #VC the guest has no handler for (the VMM's own IDT still loaded, a gate that is
 * not present, a frame that cannot be pushed) ends the run as the exception exit of vector 29 at the instruction:
 * hardware would escalate to #DF and a shutdown, and the report names the #VC that started it.
 */
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/abi/msr_proto.h>

#include "vmm/tcg_internal.h"

#define VEC_GP		 13u
#define VEC_VC		 29u
#define SVM_EXIT_CPUID	 0x72u /* APM vol 2 appendix C, the exit codes #VC reports */
#define SVM_EXIT_IOIO	 0x7Bu
#define SVM_EXIT_MSR	 0x7Cu
#define GATE_INTR	 0xEu
#define GATE_TRAP	 0xFu
#define TSS_IST1	 0x24u /* 64-bit TSS (APM vol 2 §12.2.5) */
#define FRAME_QWORDS	 6u
#define RFLAGS_TF	 (1ull << 8)
#define RFLAGS_IF	 (1ull << 9)
#define RFLAGS_NT	 (1ull << 14)
#define RFLAGS_RF	 (1ull << 16)
#define INSN_PEEK	 16u
#define IDTR_OPERAND_LEN 10u

/* Copies n bytes between guest virtual memory at va and buf through the guest's page tables.  A write needs a
 * user-writable page (the handler runs at CPL 3).  Returns false if any byte is not mapped so. */
static bool guest_copy(struct vmm_tcg_vcpu *vcpu, uint64_t va, void *buf, size_t n, bool write)
{
	uint64_t cr3 = vmm_tcg_reg(vcpu, UC_X86_REG_CR3);
	uint8_t *b = buf;
	for (size_t i = 0; i < n; i++) {
		struct vmm_tcg_walk w;
		uint8_t *p;
		if (vmm_tcg_walk(vcpu->vm, cr3, va + i, &w) || !w.present || (write && (!w.writable || !w.user)) ||
		    !(p = vmm_tcg_gpa(vcpu->vm, w.gpa, 1)))
			return false;
		if (write)
			*p = b[i];
		else
			b[i] = *p;
	}
	return true;
}

/* The SVM exit code of the instruction in b[n] if #VC mode intercepts it (after legacy and REX prefixes), else 0. */
static uint32_t intercepted(const uint8_t *b, unsigned int n)
{
	unsigned int i = 0;
	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xF2 || b[i] == 0xF3 || b[i] == 0x2E || b[i] == 0x36 ||
			 b[i] == 0x3E || b[i] == 0x26 || b[i] == 0x64 || b[i] == 0x65 || (b[i] & 0xF0) == 0x40))
		i++;
	if (i >= n)
		return 0;
	uint8_t op = b[i];
	if ((op >= 0x6C && op <= 0x6F) || (op >= 0xE4 && op <= 0xE7) || (op >= 0xEC && op <= 0xEF))
		return SVM_EXIT_IOIO; /* INS/OUTS, IN/OUT imm8, IN/OUT DX */
	if (op == 0x0F && i + 1 < n && b[i + 1] == 0xA2)
		return SVM_EXIT_CPUID;
	return 0;
}

bool vmm_tcg_vc_deliver(struct vmm_tcg_vcpu *vcpu, uint32_t exit_code)
{
	uc_x86_mmr idtr = {0}, tr = {0};
	uint8_t gate[16], frame[FRAME_QWORDS * 8];
	uc_reg_read(vcpu->uc, UC_X86_REG_IDTR, &idtr);
	uc_reg_read(vcpu->uc, UC_X86_REG_TR, &tr);
	if (idtr.base == VMM_KVM_IDT_GPA || VEC_VC * 16u + 15u > idtr.limit ||
	    !guest_copy(vcpu, idtr.base + VEC_VC * 16u, gate, sizeof(gate), false))
		goto undeliverable;
	uint64_t lo = le64_load(gate), hi = le64_load(gate + 8);
	unsigned int type = (unsigned int)(lo >> 40) & 0xFu, ist = (unsigned int)(lo >> 32) & 7u;
	if (!(lo >> 47 & 1u) || (type != GATE_INTR && type != GATE_TRAP))
		goto undeliverable;
	uint64_t handler = (lo & 0xFFFFu) | ((lo >> 48) & 0xFFFFu) << 16 | (hi & 0xFFFFFFFFu) << 32;
	uint64_t rsp = vmm_tcg_reg(vcpu, UC_X86_REG_RSP), rflags = vmm_tcg_reg(vcpu, UC_X86_REG_RFLAGS);
	uint64_t sp = rsp;
	if (ist) {
		uint8_t v[8];
		if (!guest_copy(vcpu, tr.base + TSS_IST1 + 8u * (ist - 1u), v, sizeof(v), false))
			goto undeliverable;
		sp = le64_load(v);
	}
	sp = (sp & ~0xFull) - sizeof(frame);
	le64_store(frame, exit_code);
	le64_store(frame + 8, vmm_tcg_reg(vcpu, UC_X86_REG_RIP));
	le64_store(frame + 16, vmm_tcg_reg(vcpu, UC_X86_REG_CS));
	le64_store(frame + 24, rflags);
	le64_store(frame + 32, rsp);
	le64_store(frame + 40, vmm_tcg_reg(vcpu, UC_X86_REG_SS));
	if (!guest_copy(vcpu, sp, frame, sizeof(frame), true))
		goto undeliverable;
	rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | (type == GATE_INTR ? RFLAGS_IF : 0));
	vmm_tcg_set_reg(vcpu, UC_X86_REG_RSP, sp);
	vmm_tcg_set_reg(vcpu, UC_X86_REG_RFLAGS, rflags);
	vmm_tcg_set_reg(vcpu, UC_X86_REG_RIP, handler);
	vcpu->vc_delivered++;
	return true;
undeliverable:
	vmm_tcg_exception(vcpu, VEC_VC, exit_code, vmm_tcg_reg(vcpu, UC_X86_REG_CR2));
	return false;
}

void vmm_tcg_vc_hook_code(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct vmm_tcg_vcpu *vcpu = user;
	uint8_t b[INSN_PEEK];
	(void)uc;
	unsigned int n = vmm_tcg_read_code(vcpu, address, b, size < INSN_PEEK ? size : INSN_PEEK);
	uint32_t code = intercepted(b, n);
	if (code)
		vmm_tcg_vc_deliver(vcpu, code); /* RIP written here redirects at once (see the top of the file) */
}

#define LIDT_BAD 0u

/* `lidt (%reg)`: [REX] 0F 01 /3 with mod 00 and a base register (rm not 100/101).  Returns its length and the
 * register's Unicorn id in *base, or LIDT_BAD. */
static unsigned int decode_lidt(struct vmm_tcg_vcpu *vcpu, uint64_t rip, int *base)
{
	static const int base_regs[16] = {
	    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP, UC_X86_REG_RBP,
	    UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
	    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
	};
	uint8_t b[4];
	unsigned int n = vmm_tcg_read_code(vcpu, rip, b, sizeof(b)), i = 0, rex_b = 0;
	if (n >= 1 && (b[0] & 0xF0) == 0x40) {
		rex_b = b[0] & 1u;
		i = 1;
	}
	if (n < i + 3 || b[i] != 0x0F || b[i + 1] != 0x01)
		return LIDT_BAD;
	uint8_t modrm = b[i + 2];
	unsigned int mod = modrm >> 6, regf = (modrm >> 3) & 7u, rm = modrm & 7u;
	if (mod != 0 || regf != 3 || rm == 4 || rm == 5)
		return LIDT_BAD;
	*base = base_regs[rm | rex_b << 3];
	return i + 3;
}

/* RDMSR/WRMSR of an MSR SEV-ES intercepts: 0F 32 / 0F 30 with ECX other than the GHCB MSR and SEV_STATUS, which
 * hardware does not intercept (the VMM serves them, x86_exits.c). */
static bool intercepted_msr(struct vmm_tcg_vcpu *vcpu, uint64_t rip)
{
	uint8_t b[2];
	if (vmm_tcg_read_code(vcpu, rip, b, 2) != 2 || b[0] != 0x0F || (b[1] != 0x30 && b[1] != 0x32))
		return false;
	uint32_t msr = (uint32_t)vmm_tcg_reg(vcpu, UC_X86_REG_RCX);
	return msr != MSR_AMD64_SEV_ES_GHCB && msr != MSR_AMD64_SEV;
}

bool vmm_tcg_vc_gp_ours(struct vmm_tcg_vcpu *vcpu)
{
	uint64_t rip = vmm_tcg_reg(vcpu, UC_X86_REG_RIP);
	int base;
	return intercepted_msr(vcpu, rip) || decode_lidt(vcpu, rip, &base) != LIDT_BAD;
}

bool vmm_tcg_vc_serve_gp(struct vmm_tcg_vcpu *vcpu)
{
	uint64_t rip = vmm_tcg_reg(vcpu, UC_X86_REG_RIP);
	uint8_t op[IDTR_OPERAND_LEN];
	int base;
	if (intercepted_msr(vcpu, rip))
		return !vmm_tcg_vc_deliver(vcpu, SVM_EXIT_MSR);
	unsigned int len = decode_lidt(vcpu, rip, &base);
	if (len == LIDT_BAD || !guest_copy(vcpu, vmm_tcg_reg(vcpu, base), op, sizeof(op), false)) {
		vmm_tcg_exception(vcpu, VEC_GP, 0, vmm_tcg_reg(vcpu, UC_X86_REG_CR2));
		return true;
	}
	uc_x86_mmr idtr = {0, le64_load(op + 2), (uint32_t)(op[0] | op[1] << 8), 0};
	if (uc_reg_write(vcpu->uc, UC_X86_REG_IDTR, &idtr)) {
		vmm_tcg_exception(vcpu, VEC_GP, 0, vmm_tcg_reg(vcpu, UC_X86_REG_CR2));
		return true;
	}
	vmm_tcg_set_reg(vcpu, UC_X86_REG_RIP, rip + len);
	return false;
}

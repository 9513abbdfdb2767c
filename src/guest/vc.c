/* SPDX-License-Identifier: MIT */
/*
 * The #VC handler (contract in <snpemu/guest.h>, "#VC"): the instruction that raised the VMM Communication
 * exception becomes the GHCB NAE event of its exit code, as Linux's vc_handle_exitcode() does (arch/x86/coco/sev/
 * vc-handle.c: vc_handle_cpuid, vc_handle_ioio, vc_handle_msr), through the library's NAE wrappers, which validate
 * the hypervisor's response.  Freestanding.
 */
#include <snpemu/abi/svm_exit.h>
#include <snpemu/guest.h>

#define RFLAGS_DF      (1ull << 10)
#define INSN_MAX       15u /* x86 instruction length limit */
#define VC_IDT_VECTORS 32u
#define VC_VECTOR      29u
#define GATE_INTR_P    0x8Eull /* present 64-bit interrupt gate, DPL 0 (APM vol 2 §4.8.4) */
#define VEC_GP	       13u

static struct {
	struct gst_ctx *c; /* &ctx once installed */
	struct gst_ctx ctx;
	uint64_t count[3]; /* CPUID, IOIO, MSR */
	bool gp_allowed, gp_seen;
} vc_state;

struct vc_insn {
	unsigned int len;
	bool opsize, rep, addr32;
	uint8_t op, op2;
};

/* Prefixes, then the opcode (and the second byte of a 0F opcode).  FS/GS overrides would need the segment bases
 * for string IO: refused, as are lengths beyond the architectural limit. */
static int decode(const uint8_t *p, struct vc_insn *in)
{
	unsigned int i = 0;
	*in = (struct vc_insn){0};
	for (; i < INSN_MAX; i++) {
		uint8_t b = p[i];
		if (b == 0x66)
			in->opsize = true;
		else if (b == 0xF3 || b == 0xF2)
			in->rep = true;
		else if (b == 0x67)
			in->addr32 = true;
		else if (b == 0x64 || b == 0x65)
			return GST_ENOTSUP;
		else if (b != 0x2E && b != 0x36 && b != 0x3E && b != 0x26 && (b & 0xF0) != 0x40)
			break;
	}
	if (i >= INSN_MAX)
		return GST_EINVAL;
	in->op = p[i];
	in->len = i + 1;
	/* a second byte only where there is one: the 0F map, IN/OUT's imm8 */
	if (in->op == 0x0F || (in->op >= 0xE4 && in->op <= 0xE7)) {
		if (i + 2 > INSN_MAX)
			return GST_EINVAL;
		in->op2 = p[i + 1];
	}
	return GST_OK;
}

static uint64_t merge(uint64_t old, uint32_t v, unsigned int size)
{
	/* a 32-bit register write zero-extends; 8- and 16-bit writes keep the rest */
	if (size == 4)
		return v;
	uint64_t mask = size == 1 ? 0xFFull : 0xFFFFull;
	return (old & ~mask) | (v & mask);
}

static int vc_ioio(struct gst_ctx *c, struct gst_vc_regs *r, const struct vc_insn *in)
{
	uint8_t op = in->op;
	unsigned int size = (op & 1u) ? (in->opsize ? 2u : 4u) : 1u;
	uint16_t port = (uint16_t)r->rdx;
	unsigned int len = in->len;
	int rc;
	if (op >= 0xE4 && op <= 0xE7) {
		port = in->op2; /* imm8 */
		len++;
	} else if (!(op >= 0xEC && op <= 0xEF) && !(op >= 0x6C && op <= 0x6F)) {
		return GST_EINVAL;
	}
	if (op >= 0x6C && op <= 0x6F) {
		if (in->addr32)
			return GST_ENOTSUP;
		bool out = op >= 0x6E, down = r->rflags & RFLAGS_DF;
		uint64_t count = in->rep ? r->rcx : 1u;
		uint64_t *ptr = out ? &r->rsi : &r->rdi;
		/* forwards in one call (chunked by the library); backwards element by element */
		for (uint64_t done = 0; done < count; done += down ? 1u : count) {
			uint64_t n = down ? 1u : count;
			void *buf = (void *)(uintptr_t)*ptr;
			rc = out ? gst_io_outs(c, port, size, buf, n) : gst_io_ins(c, port, size, buf, n);
			if (rc)
				return rc;
			*ptr = down ? *ptr - size : *ptr + n * size;
		}
		if (in->rep)
			r->rcx = 0;
	} else if (op & 2u) { /* E6/E7/EE/EF: OUT */
		rc = gst_io_out(c, port, size, (uint32_t)r->rax);
		if (rc)
			return rc;
	} else {
		uint32_t v;
		rc = gst_io_in(c, port, size, &v);
		if (rc)
			return rc;
		r->rax = merge(r->rax, v, size);
	}
	r->rip += len;
	return GST_OK;
}

static int vc_msr(struct gst_ctx *c, struct gst_vc_regs *r, const struct vc_insn *in)
{
	int rc;
	if (in->op != 0x0F || (in->op2 != 0x30 && in->op2 != 0x32))
		return GST_EINVAL;
	if (in->op2 == 0x32) {
		uint64_t v;
		rc = gst_rdmsr(c, (uint32_t)r->rcx, &v);
		if (!rc) {
			r->rax = (uint32_t)v;
			r->rdx = v >> 32;
		}
	} else {
		rc = gst_wrmsr(c, (uint32_t)r->rcx, r->rdx << 32 | (uint32_t)r->rax);
	}
	/* A #GP the hypervisor asks to inject: only where the program said it expects one (gst_vc_allow_gp). */
	if (rc == GST_EEXCEPTION && (c->fault.info2 & 0xFFu) == VEC_GP && vc_state.gp_allowed) {
		vc_state.gp_allowed = false;
		vc_state.gp_seen = true;
		rc = GST_OK;
	}
	if (!rc)
		r->rip += in->len + 1u;
	return rc;
}

int gst_vc_handle(struct gst_ctx *c, struct gst_vc_regs *r)
{
	struct vc_insn in;
	int rc = decode((const uint8_t *)(uintptr_t)r->rip, &in);
	if (rc)
		return rc;
	switch (r->error_code) {
	case SVM_EXIT_CPUID: {
		uint32_t out[4];
		if (in.op != 0x0F || in.op2 != 0xA2)
			return GST_EINVAL;
		rc = gst_cpuid(c, (uint32_t)r->rax, (uint32_t)r->rcx, out);
		if (rc)
			return rc;
		r->rax = out[0];
		r->rbx = out[1];
		r->rcx = out[2];
		r->rdx = out[3];
		r->rip += in.len + 1u;
		vc_state.count[0]++;
		return GST_OK;
	}
	case SVM_EXIT_IOIO:
		rc = vc_ioio(c, r, &in);
		vc_state.count[1] += !rc;
		return rc;
	case SVM_EXIT_MSR:
		rc = vc_msr(c, r, &in);
		vc_state.count[2] += !rc;
		return rc;
	default:
		return GST_ENOTSUP;
	}
}

void gst_vc_allow_gp(void)
{
	vc_state.gp_allowed = true;
	vc_state.gp_seen = false;
}

bool gst_vc_gp_seen(void)
{
	bool seen = vc_state.gp_seen;
	vc_state.gp_seen = false;
	vc_state.gp_allowed = false;
	return seen;
}

uint64_t gst_vc_count(uint32_t exit_code)
{
	return exit_code == SVM_EXIT_CPUID  ? vc_state.count[0]
	       : exit_code == SVM_EXIT_IOIO ? vc_state.count[1]
	       : exit_code == SVM_EXIT_MSR  ? vc_state.count[2]
					    : 0;
}

#if defined(__x86_64__)
__attribute__((visibility("hidden"))) void gst_vc_dispatch(struct gst_vc_regs *r);
__attribute__((visibility("hidden"))) void gst_vc_entry(void);

/* Called by gst_vc_entry with the interrupted registers.  A #VC that cannot be served ends the guest with a
 * termination request (Linux: sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ)) rather than returning to
 * the instruction, which would raise it again forever. */
void gst_vc_dispatch(struct gst_vc_regs *r)
{
	struct gst_ctx *c = vc_state.c;
	if (c && gst_vc_handle(c, r) == GST_OK)
		return;
	if (c) {
		gst_terminate(c, SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
		gst_msr_terminate(c, SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
	}
	for (;;)
		__asm__ volatile("hlt" ::: "memory");
}

/* The entry: the CPU pushed SS, RSP, RFLAGS, CS, RIP and the error code; the general registers complete a struct
 * gst_vc_regs, the C part runs on a 16-byte aligned stack, IRETQ returns to the (updated) RIP. */
__asm__(".text\n"
	".globl gst_vc_entry\n"
	".hidden gst_vc_entry\n"
	".type gst_vc_entry, @function\n"
	"gst_vc_entry:\n"
	"	pushq %rax\n	pushq %rbx\n	pushq %rcx\n	pushq %rdx\n"
	"	pushq %rsi\n	pushq %rdi\n	pushq %rbp\n	pushq %r8\n"
	"	pushq %r9\n	pushq %r10\n	pushq %r11\n	pushq %r12\n"
	"	pushq %r13\n	pushq %r14\n	pushq %r15\n"
	"	movq %rsp, %rdi\n"
	"	movq %rsp, %rbx\n"
	"	andq $-16, %rsp\n"
	"	cld\n"
	"	call gst_vc_dispatch\n"
	"	movq %rbx, %rsp\n"
	"	popq %r15\n	popq %r14\n	popq %r13\n	popq %r12\n"
	"	popq %r11\n	popq %r10\n	popq %r9\n	popq %r8\n"
	"	popq %rbp\n	popq %rdi\n	popq %rsi\n	popq %rdx\n"
	"	popq %rcx\n	popq %rbx\n	popq %rax\n"
	"	addq $8, %rsp\n" /* the error code */
	"	iretq\n"
	".size gst_vc_entry, . - gst_vc_entry\n");

static uint64_t vc_idt[2 * VC_IDT_VECTORS] __attribute__((aligned(16)));

int gst_vc_install(struct gst_ctx *c)
{
	if (!c)
		return GST_EINVAL;
	if (vc_state.c)
		return GST_ENOTSUP; /* one handler context: the BSP's (see guest.h) */
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	uint64_t h = (uint64_t)(uintptr_t)gst_vc_entry;
	vc_idt[2 * VC_VECTOR] = (h & 0xFFFFu) | (uint64_t)cs << 16 | GATE_INTR_P << 40 | ((h >> 16) & 0xFFFFu) << 48;
	vc_idt[2 * VC_VECTOR + 1] = h >> 32;
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = {(uint16_t)(sizeof(vc_idt) - 1), (uint64_t)(uintptr_t)vc_idt};
	/* A copy: #VCs outlive the caller's frame (the runtime's exit OUT comes after the program's context is gone).
	 */
	vc_state.ctx = *c;
	vc_state.c = &vc_state.ctx;
	__asm__ volatile("lidt (%0)" : : "a"(&idtr) : "memory");
	return GST_OK;
}
#else
int gst_vc_install(struct gst_ctx *c)
{
	(void)c;
	return GST_ENOTSUP;
}
#endif

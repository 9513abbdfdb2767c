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

/* Per vCPU (index < GST_VC_MAX_CPUS): the handler's copy of the vCPU's context, its counts, and the GHCB's use as
 * Linux tracks it (arch/x86/coco/sev: struct sev_es_runtime_data ghcb_active / backup_ghcb_active). */
struct vc_cpu {
	struct gst_ctx ctx;
	bool installed;
	bool ghcb_active;   /* the GHCB is in use (by the handler, or by code that holds it) */
	bool backup_active; /* a #VC came while it was: its contents wait in backup */
	bool gp_allowed, gp_seen;
	uint64_t count[3]; /* CPUID, IOIO, MSR */
	uint64_t nested;
	uint8_t backup[GHCB_PAGE_SIZE] __attribute__((aligned(8)));
};

static struct vc_cpu vc_cpus[GST_VC_MAX_CPUS];

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

static int vc_msr(struct gst_ctx *c, struct vc_cpu *s, struct gst_vc_regs *r, const struct vc_insn *in)
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
	if (rc == GST_EEXCEPTION && (c->fault.info2 & 0xFFu) == VEC_GP && s->gp_allowed) {
		s->gp_allowed = false;
		s->gp_seen = true;
		rc = GST_OK;
	}
	if (!rc)
		r->rip += in->len + 1u;
	return rc;
}

/*
 * The GHCB's use, as Linux's __sev_get_ghcb()/__sev_put_ghcb(): a #VC that finds the GHCB in use (the handler
 * interrupted, or code holding it with gst_vc_ghcb_hold) saves its page into the vCPU's backup and puts it back
 * when done, so the interrupted user finds its request as it left it.  A #VC while the backup is in use too cannot
 * be served (Linux panics: "GHCB and Backup GHCB are already in use").
 */
static int ghcb_get(struct vc_cpu *s, const struct gst_ctx *c)
{
	if (!s->ghcb_active) {
		s->ghcb_active = true;
		return GST_OK;
	}
	if (s->backup_active || !c->ghcb)
		return GST_EBUSY;
	s->backup_active = true;
	s->nested++;
	gst_memcpy(s->backup, c->ghcb, GHCB_PAGE_SIZE);
	return GST_OK;
}

static void ghcb_put(struct vc_cpu *s, const struct gst_ctx *c)
{
	if (s->backup_active) {
		gst_memcpy(c->ghcb, s->backup, GHCB_PAGE_SIZE);
		s->backup_active = false;
	} else {
		s->ghcb_active = false;
	}
}

static int vc_serve(struct gst_ctx *c, struct vc_cpu *s, struct gst_vc_regs *r)
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
		s->count[0]++;
		return GST_OK;
	}
	case SVM_EXIT_IOIO:
		rc = vc_ioio(c, r, &in);
		s->count[1] += !rc;
		return rc;
	case SVM_EXIT_MSR:
		rc = vc_msr(c, s, r, &in);
		s->count[2] += !rc;
		return rc;
	default:
		return GST_ENOTSUP;
	}
}

int gst_vc_handle(struct gst_ctx *c, uint32_t cpu, struct gst_vc_regs *r)
{
	if (!c || cpu >= GST_VC_MAX_CPUS)
		return GST_EINVAL;
	struct vc_cpu *s = &vc_cpus[cpu];
	int rc = ghcb_get(s, c);
	if (rc)
		return rc;
	rc = vc_serve(c, s, r);
	ghcb_put(s, c);
	return rc;
}

int gst_vc_ghcb_hold(uint32_t cpu)
{
	if (cpu >= GST_VC_MAX_CPUS || vc_cpus[cpu].ghcb_active)
		return GST_EBUSY;
	vc_cpus[cpu].ghcb_active = true;
	return GST_OK;
}

void gst_vc_ghcb_release(uint32_t cpu)
{
	if (cpu < GST_VC_MAX_CPUS)
		vc_cpus[cpu].ghcb_active = false;
}

void gst_vc_allow_gp(uint32_t cpu)
{
	if (cpu < GST_VC_MAX_CPUS) {
		vc_cpus[cpu].gp_allowed = true;
		vc_cpus[cpu].gp_seen = false;
	}
}

bool gst_vc_gp_seen(uint32_t cpu)
{
	if (cpu >= GST_VC_MAX_CPUS)
		return false;
	bool seen = vc_cpus[cpu].gp_seen;
	vc_cpus[cpu].gp_seen = false;
	vc_cpus[cpu].gp_allowed = false;
	return seen;
}

uint64_t gst_vc_count(uint32_t cpu, uint32_t exit_code)
{
	if (cpu >= GST_VC_MAX_CPUS)
		return 0;
	const uint64_t *n = vc_cpus[cpu].count;
	return exit_code == SVM_EXIT_CPUID  ? n[0]
	       : exit_code == SVM_EXIT_IOIO ? n[1]
	       : exit_code == SVM_EXIT_MSR  ? n[2]
					    : 0;
}

uint64_t gst_vc_nested(uint32_t cpu)
{
	return cpu < GST_VC_MAX_CPUS ? vc_cpus[cpu].nested : 0;
}

#if defined(__x86_64__)
__attribute__((visibility("hidden"))) void gst_vc_dispatch(struct gst_vc_regs *r, uint32_t cpu);
__attribute__((visibility("hidden"))) extern const uint8_t gst_vc_entries[];

/* Called by the entry of vCPU `cpu` with the interrupted registers.  A #VC that cannot be served ends the guest with
 * a termination request (Linux: sev_es_terminate(SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ)) rather than returning to
 * the instruction, which would raise it again forever. */
void gst_vc_dispatch(struct gst_vc_regs *r, uint32_t cpu)
{
	struct gst_ctx *c = cpu < GST_VC_MAX_CPUS && vc_cpus[cpu].installed ? &vc_cpus[cpu].ctx : NULL;
	if (c && gst_vc_handle(c, cpu, r) == GST_OK)
		return;
	if (c) {
		gst_terminate(c, SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
		gst_msr_terminate(c, SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
	}
	for (;;)
		__asm__ volatile("hlt" ::: "memory");
}

/* The entries: one 16-byte stub per vCPU (each vCPU's IDT points at its own, which is how the handler knows the
 * vCPU without per-CPU segment bases): it saves RAX, loads its index into EAX and joins the common part.  The CPU
 * pushed SS, RSP, RFLAGS, CS, RIP and the error code; the general registers complete a struct gst_vc_regs, the C
 * part runs on a 16-byte aligned stack, IRETQ returns to the (updated) RIP. */
#define VC_STUB_SIZE 16u
__asm__(".text\n"
	".balign 16\n"
	".globl gst_vc_entries\n"
	".hidden gst_vc_entries\n"
	"gst_vc_entries:\n"
	"	.set vc_cpu, 0\n"
	"	.rept 16\n" /* GST_VC_MAX_CPUS */
	"	.balign 16\n"
	"	pushq %rax\n"
	"	movl $vc_cpu, %eax\n"
	"	jmp gst_vc_common\n"
	"	.set vc_cpu, vc_cpu + 1\n"
	"	.endr\n"
	"gst_vc_common:\n"
	"	pushq %rbx\n	pushq %rcx\n	pushq %rdx\n"
	"	pushq %rsi\n	pushq %rdi\n	pushq %rbp\n	pushq %r8\n"
	"	pushq %r9\n	pushq %r10\n	pushq %r11\n	pushq %r12\n"
	"	pushq %r13\n	pushq %r14\n	pushq %r15\n"
	"	movq %rsp, %rdi\n"
	"	movl %eax, %esi\n"
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
	"	iretq\n");
_Static_assert(GST_VC_MAX_CPUS == 16, "the .rept count above");

static uint64_t vc_idt[GST_VC_MAX_CPUS][2 * VC_IDT_VECTORS] __attribute__((aligned(16)));

int gst_vc_install(struct gst_ctx *c, uint32_t cpu)
{
	if (!c || cpu >= GST_VC_MAX_CPUS)
		return GST_EINVAL;
	struct vc_cpu *s = &vc_cpus[cpu];
	if (s->installed)
		return GST_ENOTSUP; /* once per vCPU (see guest.h) */
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	uint64_t h = (uint64_t)(uintptr_t)(gst_vc_entries + VC_STUB_SIZE * cpu);
	uint64_t *idt = vc_idt[cpu];
	idt[2 * VC_VECTOR] = (h & 0xFFFFu) | (uint64_t)cs << 16 | GATE_INTR_P << 40 | ((h >> 16) & 0xFFFFu) << 48;
	idt[2 * VC_VECTOR + 1] = h >> 32;
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = {(uint16_t)(sizeof(vc_idt[cpu]) - 1), (uint64_t)(uintptr_t)idt};
	/* A copy: #VCs outlive the caller's frame (the runtime's exit OUT comes after the program's context is gone).
	 */
	s->ctx = *c;
	s->installed = true;
	__asm__ volatile("lidt (%0)" : : "a"(&idtr) : "memory");
	return GST_OK;
}
#else
int gst_vc_install(struct gst_ctx *c, uint32_t cpu)
{
	(void)c;
	(void)cpu;
	return GST_ENOTSUP;
}
#endif

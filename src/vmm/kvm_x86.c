/* SPDX-License-Identifier: MIT */
/*
 * Long-mode setup of the kvm backend: identity page tables, GDT with one TSS per vCPU, an IDT whose exception stubs
 * report to the VMM through SNPEMU_PORT_EXCEPTION, the initial system registers and the per-vCPU CPUID.  Layout:
 * kvm_internal.h; guest-visible protocol: guests/rt/rt_abi.h.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/le.h>

#include "vmm/kvm_internal.h"

#define STR(x)	str_(x)
#define str_(x) #x

/* Page-table entry bits (APM vol 2 §5.3, Intel SDM vol 3 §4.5). */
#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2) /* user: RAM from SNPEMU_IMAGE_GPA, for code at CPL 3 */
#define PTE_A  (1ull << 5) /* pre-set so the walker need not write the read-only tables */
#define PTE_D  (1ull << 6)
#define PTE_PS (1ull << 7)

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)

#define CR4_PAE	       (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* Segment attributes in the VMCB layout (struct vmm_segment). */
#define SEG_TYPE(a) ((a)&0xFu)
#define SEG_S	    (1u << 4)
#define SEG_P	    (1u << 7)
#define SEG_AVL	    (1u << 8)
#define SEG_L	    (1u << 9)
#define SEG_DB	    (1u << 10)
#define SEG_G	    (1u << 11)

#define SEG_DPL3	(3u << 5)
#define SEG_CODE64_ATTR (0xBu | SEG_S | SEG_P | SEG_L | SEG_G)	/* execute/read, accessed */
#define SEG_DATA_ATTR	(0x3u | SEG_S | SEG_P | SEG_DB | SEG_G) /* read/write, accessed */
#define SEG_TSS_ATTR	(0xBu | SEG_P)				/* 64-bit TSS, busy (loaded via sregs) */

#define TSS_IST1_OFFSET	 0x24u /* 64-bit TSS layout (APM vol 2 §12.2.5) */
#define TSS_IOPB_OFFSET	 0x66u
#define IDT_GATE_INTR64	 0xEu
#define IDT_GATE_PRESENT 0x80u
#define IDT_IST_INDEX	 1u

/*
 * The exception stubs, assembled by the host toolchain into .rodata and copied into the guest's system area: a
 * 16-byte stub per vector 0..31 pushes the vector (and a zero error code where the CPU pushes none), then the
 * common tail moves vector, error code and the interrupt frame into registers for the VMM and does an OUT to
 * SNPEMU_PORT_EXCEPTION.  Only relative jumps, so the copy runs at any address.  The vectors with an error code are
 * those of Intel SDM vol 3 §6.3.1 / APM vol 2 §8.2 (#DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17,
 * #CP 21, #VC 29, #SX 30).
 */
__asm__(".pushsection .rodata\n"
	".balign 16\n"
	".globl vmm_kvm_exc_stubs\n"
	".hidden vmm_kvm_exc_stubs\n"
	".globl vmm_kvm_exc_stubs_end\n"
	".hidden vmm_kvm_exc_stubs_end\n"
	".macro VMM_KVM_STUB v\n"
	"  .balign 16\n"
	"  .if (\\v == 8) || (\\v >= 10 && \\v <= 14) || (\\v == 17) || (\\v == 21) || (\\v == 29) || (\\v == 30)\n"
	"  .else\n"
	"  pushq $0\n"
	"  .endif\n"
	"  pushq $\\v\n"
	"  jmp .Lvmm_kvm_exc_common\n"
	".endm\n"
	"vmm_kvm_exc_stubs:\n"
	".irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"  VMM_KVM_STUB \\v\n"
	".endr\n"
	".balign 16\n"
	".Lvmm_kvm_exc_common:\n"
	/* The registers the report overwrites, saved for the VMM (vmm_kvm_exception_regs): it may resume the
	 * interrupted code after emulating the faulting instruction. */
	"  pushq %rdx\n"
	"  pushq %rsi\n"
	"  pushq %rdi\n"
	"  pushq %r8\n"
	"  pushq %r9\n"
	"  pushq %r10\n"
	"  pushq %r11\n"
	"  pushq %r12\n"
	"  movq 64(%rsp), %rsi\n"  /* vector */
	"  movq 72(%rsp), %rdi\n"  /* error code */
	"  movq 80(%rsp), %r8\n"   /* RIP */
	"  movq 88(%rsp), %r9\n"   /* CS */
	"  movq 96(%rsp), %r10\n"  /* RFLAGS */
	"  movq 104(%rsp), %r11\n" /* RSP */
	"  movq %cr2, %r12\n"
	"  movl $" STR(SNPEMU_PORT_EXCEPTION) ", %edx\n"
					      "  outb %al, %dx\n"
					      "1:cli\n"
					      "  hlt\n"
					      "  jmp 1b\n"
					      "vmm_kvm_exc_stubs_end:\n"
					      ".popsection\n");

/* The probe guest: reads the SEV status MSR (which the filter sends to the VMM), reports EAX on SNPEMU_PORT_EXIT. */
__asm__(".pushsection .rodata\n"
	".globl vmm_kvm_probe_code\n"
	".hidden vmm_kvm_probe_code\n"
	".globl vmm_kvm_probe_code_end\n"
	".hidden vmm_kvm_probe_code_end\n"
	"vmm_kvm_probe_code:\n"
	"  movl $0xC0010131, %ecx\n" /* MSR_AMD64_SEV (asserted below) */
	"  rdmsr\n"
	"  movl $" STR(SNPEMU_PORT_EXIT) ", %edx\n"
					 "  outl %eax, %dx\n"
					 "1:hlt\n"
					 "  jmp 1b\n"
					 "vmm_kvm_probe_code_end:\n"
					 ".popsection\n");
_Static_assert(MSR_AMD64_SEV == 0xC0010131u, "the probe reads the SEV status MSR");

extern const uint8_t vmm_kvm_exc_stubs[], vmm_kvm_exc_stubs_end[];
extern const uint8_t vmm_kvm_probe_code[], vmm_kvm_probe_code_end[];

const uint8_t *vmm_kvm_x86_probe_code(size_t *len)
{
	*len = (size_t)(vmm_kvm_probe_code_end - vmm_kvm_probe_code);
	return vmm_kvm_probe_code;
}

static void build_page_tables(uint8_t *ram, uint64_t ram_size)
{
	uint64_t pds = (ram_size + (1ull << 30) - 1) >> 30;

	memset(ram + VMM_KVM_PML4_GPA, 0, 0x1000);
	memset(ram + VMM_KVM_PDPT_GPA, 0, 0x1000);
	memset(ram + VMM_KVM_PD_GPA, 0, VMM_KVM_PD_COUNT * 0x1000);
	memset(ram + VMM_KVM_PT0_GPA, 0, 0x1000);

	le64_store(ram + VMM_KVM_PML4_GPA, VMM_KVM_PDPT_GPA | PTE_P | PTE_RW | PTE_US | PTE_A);
	for (uint64_t i = 0; i < pds; i++)
		le64_store(ram + VMM_KVM_PDPT_GPA + 8 * i,
			   (VMM_KVM_PD_GPA + 0x1000 * i) | PTE_P | PTE_RW | PTE_US | PTE_A);

	/* 2 MiB pages for all RAM but the first 2 MiB; RAM is a whole number of them (checked config). */
	for (uint64_t gpa = 2 * VMM_KVM_MiB; gpa < ram_size; gpa += 2 * VMM_KVM_MiB)
		le64_store(ram + VMM_KVM_PD_GPA + 8 * (gpa >> 21),
			   gpa | PTE_P | PTE_RW | PTE_US | PTE_PS | PTE_A | PTE_D);

	/* The first 2 MiB in 4 KiB pages: page 0 and the gaps absent, the tables read-only, the IST stacks and
	 * everything from SNPEMU_IMAGE_GPA writable. */
	le64_store(ram + VMM_KVM_PD_GPA, VMM_KVM_PT0_GPA | PTE_P | PTE_RW | PTE_US | PTE_A);
	for (uint64_t gpa = 0x1000; gpa < 2 * VMM_KVM_MiB; gpa += 0x1000) {
		uint64_t pte = 0;
		if (gpa >= VMM_KVM_PML4_GPA && gpa < VMM_KVM_SYS_RO_END)
			pte = gpa | PTE_P | PTE_A;
		else if (gpa >= VMM_KVM_IST_GPA && gpa < VMM_KVM_IST_END)
			pte = gpa | PTE_P | PTE_RW | PTE_A | PTE_D;
		else if (gpa >= SNPEMU_IMAGE_GPA)
			pte = gpa | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
		le64_store(ram + VMM_KVM_PT0_GPA + 8 * (gpa >> 12), pte);
	}
}

static void store_system_descriptor(uint8_t *p, uint64_t base, uint32_t limit, uint16_t attrib)
{
	uint64_t lo = (limit & 0xFFFFull) | (base & 0xFFFFFFull) << 16 | (uint64_t)(attrib & 0xFFu) << 40 |
		      (uint64_t)((limit >> 16) & 0xFu) << 48 | (uint64_t)((attrib >> 8) & 0xFu) << 52 |
		      ((base >> 24) & 0xFFull) << 56;
	le64_store(p, lo);
	le64_store(p + 8, base >> 32);
}

static uint64_t code_data_descriptor(uint16_t attrib)
{
	/* base 0, limit 0xFFFFF pages: the 8-byte form of store_system_descriptor() */
	return 0xFFFFull | (uint64_t)(attrib & 0xFFu) << 40 | 0xFull << 48 | (uint64_t)((attrib >> 8) & 0xFu) << 52;
}

/*
 * The I/O permission bitmap (APM vol 2 §13.2.4, Intel SDM vol 1 §19.5.2): at CPL 3 with IOPL 0, an IN/OUT whose
 * every port byte has a clear bit here exits to the VMM directly as an IO exit, instead of raising #GP for the VMM
 * to emulate (about half the cost on PVM hosts).  Open are the guest->VMM ports of guests/rt/rt_abi.h the programs
 * use: the doorbells (1 byte), the console (1 byte), and the exit and debug reports (4 bytes from 0x5E2 and 0x5E3,
 * so bytes 0x5E2..0x5E6).  The VMM serves the direct exit exactly as the emulated instruction (kvm_backend.c).
 * Every other port stays closed (#GP, as before), ports from VMM_KVM_IOPB_PORTS on by the TSS limit.  All TSSs
 * share the one bitmap: each points at it with its own offset and ends its limit at the bitmap's last byte.
 */
static const struct {
	uint16_t first, last;
} iopb_open[] = {
    {SNPEMU_PORT_VMGEXIT, SNPEMU_PORT_VMGEXIT},
    {SNPEMU_PORT_PVALIDATE, SNPEMU_PORT_PVALIDATE},
    {SNPEMU_PORT_CONSOLE, SNPEMU_PORT_CONSOLE},
    {SNPEMU_PORT_EXIT, SNPEMU_PORT_DEBUG + 3}, /* outl to SNPEMU_PORT_EXIT and to SNPEMU_PORT_DEBUG */
};
_Static_assert(SNPEMU_PORT_DEBUG == SNPEMU_PORT_EXIT + 1 && SNPEMU_PORT_DEBUG + 3 < SNPEMU_PORT_EXCEPTION &&
		   SNPEMU_PORT_CONSOLE < VMM_KVM_IOPB_PORTS && SNPEMU_PORT_EXCEPTION < VMM_KVM_IOPB_PORTS,
	       "the open ports are the reports' bytes, the exception report port stays closed");

#define IOPB_BYTES (VMM_KVM_IOPB_PORTS / 8u)

static uint32_t tss_limit(uint32_t id)
{
	/* the bitmap and the all-ones byte that must follow it (the CPU reads two bytes per check) */
	return (uint32_t)(VMM_KVM_IOPB_GPA - VMM_KVM_TSS_GPA) - id * VMM_KVM_TSS_STRIDE + IOPB_BYTES;
}

static void build_iopb(uint8_t *ram)
{
	uint8_t *map = ram + VMM_KVM_IOPB_GPA;
	memset(map, 0xFF, IOPB_BYTES + 1);
	for (size_t i = 0; i < sizeof(iopb_open) / sizeof(iopb_open[0]); i++)
		for (uint32_t p = iopb_open[i].first; p <= iopb_open[i].last; p++)
			map[p / 8] &= (uint8_t) ~(1u << (p % 8));
}

static void build_gdt_tss(uint8_t *ram)
{
	uint8_t *gdt = ram + VMM_KVM_GDT_GPA;

	memset(gdt, 0, 0x1000);
	le64_store(gdt + VMM_KVM_SEL_CODE, code_data_descriptor(SEG_CODE64_ATTR));
	le64_store(gdt + VMM_KVM_SEL_DATA, code_data_descriptor(SEG_DATA_ATTR));
	le64_store(gdt + VMM_KVM_SEL_UCODE, code_data_descriptor(SEG_CODE64_ATTR | SEG_DPL3));
	le64_store(gdt + VMM_KVM_SEL_UDATA, code_data_descriptor(SEG_DATA_ATTR | SEG_DPL3));
	memset(ram + VMM_KVM_TSS_GPA, 0, VMM_KVM_MAX_VCPUS * VMM_KVM_TSS_STRIDE);
	for (uint32_t id = 0; id < VMM_KVM_MAX_VCPUS; id++) {
		uint64_t tss = VMM_KVM_TSS_GPA + (uint64_t)id * VMM_KVM_TSS_STRIDE;
		uint64_t ist_top = VMM_KVM_IST_GPA + (uint64_t)(id + 1) * VMM_KVM_IST_SIZE;
		le64_store(ram + tss + TSS_IST1_OFFSET, ist_top);
		le16_store(ram + tss + TSS_IOPB_OFFSET, (uint16_t)(VMM_KVM_IOPB_GPA - tss));
		store_system_descriptor(gdt + VMM_KVM_SEL_TSS0 + 16 * id, tss, tss_limit(id), SEG_TSS_ATTR);
	}
}

static void build_idt(uint8_t *ram)
{
	size_t stubs_len = (size_t)(vmm_kvm_exc_stubs_end - vmm_kvm_exc_stubs);

	memset(ram + VMM_KVM_STUBS_GPA, 0xCC, 0x1000); /* int3 filler */
	memcpy(ram + VMM_KVM_STUBS_GPA, vmm_kvm_exc_stubs, stubs_len);
	memset(ram + VMM_KVM_IDT_GPA, 0, 0x1000);
	for (uint32_t v = 0; v < VMM_KVM_EXC_VECTORS; v++) {
		uint64_t handler = VMM_KVM_STUBS_GPA + (uint64_t)v * VMM_KVM_STUB_SIZE;
		uint8_t *gate = ram + VMM_KVM_IDT_GPA + 16 * v;
		uint64_t lo = (handler & 0xFFFFull) | (uint64_t)VMM_KVM_SEL_CODE << 16 | (uint64_t)IDT_IST_INDEX << 32 |
			      (uint64_t)(IDT_GATE_INTR64 | IDT_GATE_PRESENT) << 40 |
			      ((handler >> 16) & 0xFFFFull) << 48;
		le64_store(gate, lo);
		le64_store(gate + 8, handler >> 32);
	}
}

void vmm_kvm_x86_build_system_area(uint8_t *ram, uint64_t ram_size)
{
	build_page_tables(ram, ram_size);
	build_iopb(ram);
	build_gdt_tss(ram);
	build_idt(ram);
}

void vmm_kvm_x86_default_sregs(uint32_t id, struct vmm_sregs *s)
{
	const struct vmm_segment data = {VMM_KVM_SEL_DATA, SEG_DATA_ATTR, 0xFFFFFFFFu, 0};

	memset(s, 0, sizeof(*s));
	s->cs = (struct vmm_segment){VMM_KVM_SEL_CODE, SEG_CODE64_ATTR, 0xFFFFFFFFu, 0};
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct vmm_segment){(uint16_t)(VMM_KVM_SEL_TSS0 + 16 * id), SEG_TSS_ATTR, tss_limit(id),
				     VMM_KVM_TSS_GPA + (uint64_t)id * VMM_KVM_TSS_STRIDE};
	s->ldtr = (struct vmm_segment){0, 0, 0, 0}; /* not present: unusable */
	s->gdtr = (struct vmm_dtable){VMM_KVM_GDT_GPA, VMM_KVM_GDT_LIMIT};
	s->idtr = (struct vmm_dtable){VMM_KVM_IDT_GPA, VMM_KVM_EXC_VECTORS * 16 - 1};
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s->cr3 = VMM_KVM_PML4_GPA;
	s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s->efer = EFER_LME | EFER_LMA;
}

void vmm_kvm_x86_user_segments(struct vmm_sregs *s)
{
	const struct vmm_segment data = {VMM_KVM_SEL_UDATA | 3u, SEG_DATA_ATTR | SEG_DPL3, 0xFFFFFFFFu, 0};
	s->cs = (struct vmm_segment){VMM_KVM_SEL_UCODE | 3u, SEG_CODE64_ATTR | SEG_DPL3, 0xFFFFFFFFu, 0};
	s->ds = s->es = s->fs = s->gs = s->ss = data;
}

static void segment_to_kvm(const struct vmm_segment *in, struct kvm_segment *out)
{
	memset(out, 0, sizeof(*out));
	out->base = in->base;
	out->limit = in->limit;
	out->selector = in->selector;
	out->type = (uint8_t)SEG_TYPE(in->attrib);
	out->s = (in->attrib & SEG_S) != 0;
	out->dpl = (uint8_t)((in->attrib >> 5) & 3u);
	out->present = (in->attrib & SEG_P) != 0;
	out->avl = (in->attrib & SEG_AVL) != 0;
	out->l = (in->attrib & SEG_L) != 0;
	out->db = (in->attrib & SEG_DB) != 0;
	out->g = (in->attrib & SEG_G) != 0;
	out->unusable = !out->present; /* as KVM's SVM code derives it */
}

static void segment_from_kvm(const struct kvm_segment *in, struct vmm_segment *out)
{
	out->base = in->base;
	out->limit = in->limit;
	out->selector = in->selector;
	out->attrib = (uint16_t)((in->type & 0xFu) | (in->s ? SEG_S : 0) | (uint16_t)((in->dpl & 3u) << 5) |
				 (in->present && !in->unusable ? SEG_P : 0) | (in->avl ? SEG_AVL : 0) |
				 (in->l ? SEG_L : 0) | (in->db ? SEG_DB : 0) | (in->g ? SEG_G : 0));
}

void vmm_kvm_x86_sregs_to_kvm(const struct vmm_sregs *in, struct kvm_sregs *out)
{
	memset(out, 0, sizeof(*out));
	segment_to_kvm(&in->cs, &out->cs);
	segment_to_kvm(&in->ds, &out->ds);
	segment_to_kvm(&in->es, &out->es);
	segment_to_kvm(&in->fs, &out->fs);
	segment_to_kvm(&in->gs, &out->gs);
	segment_to_kvm(&in->ss, &out->ss);
	segment_to_kvm(&in->tr, &out->tr);
	segment_to_kvm(&in->ldtr, &out->ldt);
	out->gdt.base = in->gdtr.base;
	out->gdt.limit = in->gdtr.limit;
	out->idt.base = in->idtr.base;
	out->idt.limit = in->idtr.limit;
	out->cr0 = in->cr0;
	out->cr2 = in->cr2;
	out->cr3 = in->cr3;
	out->cr4 = in->cr4;
	out->efer = in->efer;
	/* No in-kernel APIC: apic_base stays 0 and no interrupt is pending (interrupt_bitmap zero). */
}

void vmm_kvm_x86_sregs_from_kvm(const struct kvm_sregs *in, struct vmm_sregs *out)
{
	segment_from_kvm(&in->cs, &out->cs);
	segment_from_kvm(&in->ds, &out->ds);
	segment_from_kvm(&in->es, &out->es);
	segment_from_kvm(&in->fs, &out->fs);
	segment_from_kvm(&in->gs, &out->gs);
	segment_from_kvm(&in->ss, &out->ss);
	segment_from_kvm(&in->tr, &out->tr);
	segment_from_kvm(&in->ldt, &out->ldtr);
	out->gdtr = (struct vmm_dtable){in->gdt.base, in->gdt.limit};
	out->idtr = (struct vmm_dtable){in->idt.base, in->idt.limit};
	out->cr0 = in->cr0;
	out->cr2 = in->cr2;
	out->cr3 = in->cr3;
	out->cr4 = in->cr4;
	out->efer = in->efer;
}

void vmm_kvm_x86_regs_to_kvm(const struct vmm_regs *in, struct kvm_regs *out)
{
	*out = (struct kvm_regs){
	    .rax = in->rax,
	    .rbx = in->rbx,
	    .rcx = in->rcx,
	    .rdx = in->rdx,
	    .rsi = in->rsi,
	    .rdi = in->rdi,
	    .rsp = in->rsp,
	    .rbp = in->rbp,
	    .r8 = in->r8,
	    .r9 = in->r9,
	    .r10 = in->r10,
	    .r11 = in->r11,
	    .r12 = in->r12,
	    .r13 = in->r13,
	    .r14 = in->r14,
	    .r15 = in->r15,
	    .rip = in->rip,
	    .rflags = in->rflags | 2u, /* bit 1 is reserved, always one */
	};
}

void vmm_kvm_x86_regs_from_kvm(const struct kvm_regs *in, struct vmm_regs *out)
{
	*out = (struct vmm_regs){
	    .rax = in->rax,
	    .rbx = in->rbx,
	    .rcx = in->rcx,
	    .rdx = in->rdx,
	    .rsi = in->rsi,
	    .rdi = in->rdi,
	    .rsp = in->rsp,
	    .rbp = in->rbp,
	    .r8 = in->r8,
	    .r9 = in->r9,
	    .r10 = in->r10,
	    .r11 = in->r11,
	    .r12 = in->r12,
	    .r13 = in->r13,
	    .r14 = in->r14,
	    .r15 = in->r15,
	    .rip = in->rip,
	    .rflags = in->rflags,
	};
}

struct kvm_cpuid2 *vmm_kvm_x86_cpuid_for(const struct kvm_cpuid2 *supported, uint32_t id)
{
	size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);

	if (!c)
		return NULL;
	memcpy(c, supported, size);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		/* Initial APIC ID (CPUID Fn0000_0001 EBX[31:24]) and x2APIC ID (Fn0000_000B/1F EDX). */
		if (e->function == 1)
			e->ebx = (e->ebx & 0x00FFFFFFu) | (id & 0xFFu) << 24;
		else if (e->function == 0xB || e->function == 0x1F)
			e->edx = id;
	}
	return c;
}

/* SEV-ES save area (VMSA) offsets: APM vol 2 table B-4, Linux arch/x86/include/asm/svm.h struct sev_es_save_area
 * (SNP_VMSA_OFF_SEV_FEATURES 0x3B0 in <snpemu/abi/page_info.h> is the same layout). */
#define VMSA_ES	    0x000u
#define VMSA_CS	    0x010u
#define VMSA_SS	    0x020u
#define VMSA_DS	    0x030u
#define VMSA_FS	    0x040u
#define VMSA_GS	    0x050u
#define VMSA_GDTR   0x060u
#define VMSA_LDTR   0x070u
#define VMSA_IDTR   0x080u
#define VMSA_TR	    0x090u
#define VMSA_EFER   0x0D0u
#define VMSA_CR4    0x148u
#define VMSA_CR3    0x150u
#define VMSA_CR0    0x158u
#define VMSA_RFLAGS 0x170u
#define VMSA_RIP    0x178u
#define VMSA_RSP    0x1D8u
#define VMSA_RAX    0x1F8u
#define VMSA_CR2    0x240u

static const struct {
	uint16_t vmsa;
	uint16_t field; /* offsetof(struct vmm_regs, ...) */
} vmsa_gprs[] = {
    {VMSA_RAX, offsetof(struct vmm_regs, rax)}, {0x308, offsetof(struct vmm_regs, rcx)},
    {0x310, offsetof(struct vmm_regs, rdx)},	{0x318, offsetof(struct vmm_regs, rbx)},
    {VMSA_RSP, offsetof(struct vmm_regs, rsp)}, {0x328, offsetof(struct vmm_regs, rbp)},
    {0x330, offsetof(struct vmm_regs, rsi)},	{0x338, offsetof(struct vmm_regs, rdi)},
    {0x340, offsetof(struct vmm_regs, r8)},	{0x348, offsetof(struct vmm_regs, r9)},
    {0x350, offsetof(struct vmm_regs, r10)},	{0x358, offsetof(struct vmm_regs, r11)},
    {0x360, offsetof(struct vmm_regs, r12)},	{0x368, offsetof(struct vmm_regs, r13)},
    {0x370, offsetof(struct vmm_regs, r14)},	{0x378, offsetof(struct vmm_regs, r15)},
    {VMSA_RIP, offsetof(struct vmm_regs, rip)}, {VMSA_RFLAGS, offsetof(struct vmm_regs, rflags)},
};

static const struct {
	uint16_t vmsa;
	uint16_t field; /* offsetof(struct vmm_sregs, ...) */
} vmsa_segments[] = {
    {VMSA_ES, offsetof(struct vmm_sregs, es)},	   {VMSA_CS, offsetof(struct vmm_sregs, cs)},
    {VMSA_SS, offsetof(struct vmm_sregs, ss)},	   {VMSA_DS, offsetof(struct vmm_sregs, ds)},
    {VMSA_FS, offsetof(struct vmm_sregs, fs)},	   {VMSA_GS, offsetof(struct vmm_sregs, gs)},
    {VMSA_LDTR, offsetof(struct vmm_sregs, ldtr)}, {VMSA_TR, offsetof(struct vmm_sregs, tr)},
};

/* A VMCB segment (selector u16, attrib u16, limit u32, base u64), as in struct vmm_segment. */
static void vmsa_segment(const uint8_t *p, struct vmm_segment *seg)
{
	seg->selector = le16_load(p);
	seg->attrib = le16_load(p + 2);
	seg->limit = le32_load(p + 4);
	seg->base = le64_load(p + 8);
}

void vmm_kvm_regs_from_vmsa(const uint8_t *vmsa, struct vmm_regs *regs, struct vmm_sregs *sregs)
{
	struct vmm_segment dt;

	memset(regs, 0, sizeof(*regs));
	memset(sregs, 0, sizeof(*sregs));
	for (size_t i = 0; i < sizeof(vmsa_gprs) / sizeof(vmsa_gprs[0]); i++)
		*(uint64_t *)((uint8_t *)regs + vmsa_gprs[i].field) = le64_load(vmsa + vmsa_gprs[i].vmsa);
	for (size_t i = 0; i < sizeof(vmsa_segments) / sizeof(vmsa_segments[0]); i++)
		vmsa_segment(vmsa + vmsa_segments[i].vmsa,
			     (struct vmm_segment *)((uint8_t *)sregs + vmsa_segments[i].field));
	vmsa_segment(vmsa + VMSA_GDTR, &dt);
	sregs->gdtr = (struct vmm_dtable){dt.base, (uint16_t)dt.limit};
	vmsa_segment(vmsa + VMSA_IDTR, &dt);
	sregs->idtr = (struct vmm_dtable){dt.base, (uint16_t)dt.limit};
	sregs->efer = le64_load(vmsa + VMSA_EFER);
	sregs->cr0 = le64_load(vmsa + VMSA_CR0);
	sregs->cr2 = le64_load(vmsa + VMSA_CR2);
	sregs->cr3 = le64_load(vmsa + VMSA_CR3);
	sregs->cr4 = le64_load(vmsa + VMSA_CR4);
}

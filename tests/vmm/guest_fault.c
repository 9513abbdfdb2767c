/* SPDX-License-Identifier: MIT */
/*
 * kvm test guest: one exception per scenario (boot argument, enum gt_fault).  Each scenario first tells the host,
 * on SNPEMU_PORT_DEBUG, the address of the function that faults, so the host can check the reported RIP.
 */
#include "rt.h"

#include "guest_test.h"

#define NOINLINE __attribute__((noinline))

static NOINLINE uint64_t unmapped_read(void)
{
	return *(volatile uint64_t *)(uintptr_t)GT_FAULT_ADDR;
}

static NOINLINE void null_write(void)
{
	volatile uint32_t *p;
	__asm__ volatile("xorl %k0, %k0" : "=r"(p)); /* a null the compiler cannot see */
	*p = 1;
}

static NOINLINE void undefined_opcode(void)
{
	__asm__ volatile("ud2");
}

static NOINLINE void write_page_table(void)
{
	*(volatile uint64_t *)(uintptr_t)0x1000 = 0; /* the PML4, mapped read-only */
}

static NOINLINE void stack_overflow(void)
{
	__asm__ volatile("movq %0, %%rsp\n\tpushq $0" : : "r"(GT_FAULT_ADDR) : "memory");
}

static NOINLINE void breakpoint(void)
{
	__asm__ volatile("int3");
}

static NOINLINE uint32_t divide(uint32_t d)
{
	uint32_t q;
	__asm__ volatile("xorl %%edx, %%edx\n\tdivl %1" : "=a"(q) : "r"(d), "a"(100u) : "rdx");
	return q;
}

/* Guests are built without SSE code generation (guests.mk); this checks that the VM enables SSE. */
static NOINLINE uint32_t sse_add(void)
{
	uint64_t bits = 0x3FF4000000000000ull, out; /* 1.25 + 1.25 = 2.5 */
	/* xmm0 is not declared clobbered: with -mgeneral-regs-only the compiler keeps nothing in it */
	__asm__ volatile("movq %1, %%xmm0\n\taddsd %%xmm0, %%xmm0\n\tmovq %%xmm0, %0" : "=r"(out) : "r"(bits));
	return out == 0x4004000000000000ull ? GT_SSE_OK : 1;
}

static NOINLINE void triple_fault(void)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} empty = {0, 0};
	__asm__ volatile("lidt %0\n\tud2" : : "m"(empty));
}

static NOINLINE void fake_report(void)
{
	__asm__ volatile("outb %%al, %%dx" : : "S"((uint64_t)GT_FAKE_VECTOR), "d"((uint16_t)SNPEMU_PORT_EXCEPTION));
}

static void report(void *fn)
{
	rt_debug((uint32_t)(uintptr_t)fn);
}

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	switch (arg) {
	case GT_FAULT_UNMAPPED_READ:
		report((void *)unmapped_read);
		return (int)unmapped_read();
	case GT_FAULT_NULL_WRITE:
		report((void *)null_write);
		null_write();
		break;
	case GT_FAULT_UD2:
		report((void *)undefined_opcode);
		undefined_opcode();
		break;
	case GT_FAULT_WRITE_PAGE_TABLE:
		report((void *)write_page_table);
		write_page_table();
		break;
	case GT_FAULT_STACK_OVERFLOW:
		report((void *)stack_overflow);
		stack_overflow();
		break;
	case GT_FAULT_INT3:
		report((void *)breakpoint);
		breakpoint();
		break;
	case GT_FAULT_DIVIDE:
		report((void *)divide);
		return (int)divide((uint32_t)(arg - GT_FAULT_DIVIDE));
	case GT_FAULT_TRIPLE:
		report((void *)triple_fault);
		triple_fault();
		break;
	case GT_FAKE_REPORT:
		report((void *)fake_report);
		fake_report();
		break;
	case GT_SSE:
		report((void *)sse_add);
		return (int)sse_add();
	}
	return 0; /* no fault: the host test fails on this exit */
}

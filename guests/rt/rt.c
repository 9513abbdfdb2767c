/* SPDX-License-Identifier: MIT */
/*
 * Guest runtime primitives: each is one privileged instruction or a doorbell port write (rt_abi.h).  Out of line
 * on purpose: a fault report's RIP then names the primitive, and platform layers can take their addresses.
 */
#include "rt.h"

void rt_vmgexit(void)
{
	/* The VMM reads and writes guest memory (the GHCB page) meanwhile: a compiler barrier. */
	__asm__ volatile("outb %%al, %%dx" : : "a"(0), "d"((uint16_t)RT_PORT_VMGEXIT) : "memory");
}

uint32_t rt_pvalidate(uint64_t vaddr, uint32_t page_size, bool validate, bool *no_update)
{
	uint64_t rax = vaddr;
	uint8_t cf;

	/* RDX carries the port, so the validate flag travels in RSI (rt_abi.h). */
	__asm__ volatile("outb %%al, %%dx\n\tsetc %1"
			 : "+a"(rax), "=qm"(cf)
			 : "c"((uint64_t)page_size), "S"((uint64_t)validate), "d"((uint16_t)RT_PORT_PVALIDATE)
			 : "memory", "cc");
	if (no_update)
		*no_update = cf != 0;
	return (uint32_t)rax;
}

uint64_t rt_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

void rt_wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
}

void rt_outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

void rt_outw(uint16_t port, uint16_t value)
{
	__asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

void rt_outl(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

uint8_t rt_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

uint16_t rt_inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

uint32_t rt_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

void rt_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	__asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "a"(leaf), "c"(subleaf));
}

uint64_t rt_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

void rt_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

void rt_putc(char c)
{
	rt_outb(RT_PORT_CONSOLE, (uint8_t)c);
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

void rt_put_hex(uint64_t value)
{
	static const char digits[] = "0123456789abcdef";

	rt_putc('0');
	rt_putc('x');
	for (int shift = 60; shift >= 0; shift -= 4)
		rt_putc(digits[(value >> shift) & 0xF]);
}

void rt_debug(uint32_t value)
{
	rt_outl(RT_PORT_DEBUG, value);
}

_Noreturn void rt_exit(uint32_t status)
{
	rt_outl(RT_PORT_EXIT, status);
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

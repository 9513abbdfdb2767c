/* SPDX-License-Identifier: MIT */
/*
 * Guest runtime primitives that are not hot (the doorbells and MSR accesses are inline in rt.h): port I/O, CPUID,
 * console and exit.  Out of line: a fault report's RIP then names the primitive.
 */
#include "rt.h"

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
	rt_outb(SNPEMU_PORT_CONSOLE, (uint8_t)c);
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
	rt_outl(SNPEMU_PORT_DEBUG, value);
}

_Noreturn void rt_exit(uint32_t status)
{
	rt_outl(SNPEMU_PORT_EXIT, status);
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

/* SPDX-License-Identifier: MIT */
/*
 * The guest runtime of freestanding guest programs on the kvm backend: entry, port I/O, MSRs, the VMGEXIT and
 * PVALIDATE doorbells, console and exit, and the four memory functions the compiler may call.  The VMM side of
 * every call is described in rt_abi.h.  Freestanding C11: only <stdbool.h>, <stddef.h>, <stdint.h>.
 */
#ifndef SNPEMU_GUESTS_RT_H
#define SNPEMU_GUESTS_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/abi/msr_proto.h>

#include "rt_abi.h"

/* Provided by the guest program: runs on every vCPU the VMM starts, with the vCPU index and the VMM's boot
 * argument, on a stack of RT_STACK_SIZE bytes.  Its return value ends the program through rt_exit(). */
int gst_rt_main(uint32_t cpu_id, uint64_t arg);

/* Runs guest program p (struct gst_program, <snpemu/guest_program.h>) on this vCPU as gst_rt_main's body:
 * guests/rt/program_main.c. */
struct gst_program;
int gst_rt_program_main(const struct gst_program *p, uint32_t cpu_id, uint64_t arg);

/* First and one-past-last byte of the loaded image (linker script); free RAM starts at rt_image_end. */
extern char rt_image_start[], rt_image_end[];

/* The hot primitives are inline: one instruction each, no call around it (every guest instruction counts on hosts
 * that emulate ring-0 code, see rt_abi.h).  A fault report's RIP is then the caller's. */

/* VMGEXIT doorbell: the VMM handles the vCPU's GHCB MSR / GHCB page, then resumes.  A compiler barrier: the VMM
 * reads and writes guest memory (the GHCB page) meanwhile. */
static inline void rt_vmgexit(void)
{
	__asm__ volatile("outb %%al, %0" : : "i"(SNPEMU_PORT_VMGEXIT) : "memory");
}

/* PVALIDATE doorbell: returns the PVALIDATE return code (SNPEMU_PVALIDATE_*); *no_update (may be NULL) receives
 * RFLAGS.CF, set when the page's validated state did not change. */
static inline uint32_t rt_pvalidate(uint64_t vaddr, uint32_t page_size, bool validate, bool *no_update)
{
	uint64_t rax = vaddr;
	uint8_t cf;

	__asm__ volatile("outb %%al, %2\n\tsetc %1"
			 : "+a"(rax), "=qm"(cf)
			 : "i"(SNPEMU_PORT_PVALIDATE), "c"((uint64_t)page_size), "d"((uint64_t)validate)
			 : "memory", "cc");
	if (no_update)
		*no_update = cf != 0;
	return (uint32_t)rax;
}

/* RDMSR / WRMSR.  The GHCB and SEV status MSRs exit to the VMM, which may answer with #GP. */
static inline uint64_t rt_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void rt_wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
}

/* Port I/O. */
void rt_outb(uint16_t port, uint8_t value);
void rt_outw(uint16_t port, uint16_t value);
void rt_outl(uint16_t port, uint32_t value);
uint8_t rt_inb(uint16_t port);
uint16_t rt_inw(uint16_t port);
uint32_t rt_inl(uint16_t port);

/* CPUID leaf/subleaf into out[0..3] = EAX, EBX, ECX, EDX (a real CPUID: the VMM's KVM answers it). */
void rt_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* Time-stamp counter and spin-wait hint. */
uint64_t rt_rdtsc(void);
void rt_pause(void);

/* Console on SNPEMU_PORT_CONSOLE. */
void rt_putc(char c);
void rt_puts(const char *s);
void rt_put_hex(uint64_t value); /* "0x" and 16 hex digits */

/* A diagnostic value for the VMM (SNPEMU_PORT_DEBUG). */
void rt_debug(uint32_t value);

/* Ends the program with status (SNPEMU_PORT_EXIT); never returns, even if the VMM resumes the vCPU. */
_Noreturn void rt_exit(uint32_t status);

/* The memory functions freestanding code and the compiler rely on (ISO C semantics). */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif

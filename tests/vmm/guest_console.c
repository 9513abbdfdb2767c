/* SPDX-License-Identifier: MIT */
/*
 * kvm test guest: console output, an IN answered by the host, the runtime's memory functions and (boot
 * argument != 0) a memory range across a memory-slot boundary at that address.  Exit status: the IN value, or
 * GT_FAIL_BASE | failure bits.
 */
#include "rt.h"

#include "guest_test.h"

static uint32_t check_memory_functions(void)
{
	static uint8_t a[300], b[300];
	uint32_t fails = 0;

	for (unsigned int i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i * 7 + 1);
	memcpy(b, a, sizeof(a));
	for (unsigned int i = 0; i < sizeof(a); i++)
		if (b[i] != a[i])
			fails |= GT_FAIL_MEMCPY;
	memmove(b + 10, b, 200); /* overlapping, forward: must copy backwards */
	for (unsigned int i = 0; i < 200; i++)
		if (b[10 + i] != a[i])
			fails |= GT_FAIL_MEMMOVE;
	memcpy(b, a, sizeof(a));
	memmove(b, b + 10, 200); /* overlapping, backward */
	for (unsigned int i = 0; i < 200; i++)
		if (b[i] != a[10 + i])
			fails |= GT_FAIL_MEMMOVE;
	memset(b, 0xA5, 123);
	for (unsigned int i = 0; i < 123; i++)
		if (b[i] != 0xA5)
			fails |= GT_FAIL_MEMSET;
	if (b[123] != a[10 + 123])
		fails |= GT_FAIL_MEMSET;
	memcpy(b, a, sizeof(a));
	if (memcmp(a, b, sizeof(a)) != 0)
		fails |= GT_FAIL_MEMCMP;
	b[77]++;
	if (memcmp(a, b, sizeof(a)) >= 0 || memcmp(b, a, sizeof(a)) <= 0 || memcmp(a, b, 77) != 0)
		fails |= GT_FAIL_MEMCMP;
	return fails;
}

static uint32_t check_slot_boundary(uint64_t boundary)
{
	uint8_t *p = (uint8_t *)(uintptr_t)(boundary - 2048);
	uint8_t pattern[4096];

	for (unsigned int i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i ^ (i >> 8));
	memcpy(p, pattern, sizeof(pattern));
	return memcmp(p, pattern, sizeof(pattern)) == 0 ? 0 : GT_FAIL_SLOTS;
}

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	uint32_t fails = check_memory_functions();

	if (arg)
		fails |= check_slot_boundary(arg);
	rt_puts("hello from kvm ");
	rt_put_hex(0x1234);
	rt_putc('\n');
	uint8_t lsr = rt_inb(GT_CONSOLE_LSR_PORT);
	return fails ? (int)(GT_FAIL_BASE | fails) : lsr;
}

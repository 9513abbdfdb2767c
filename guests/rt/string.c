/* SPDX-License-Identifier: MIT */
/*
 * memcpy, memmove, memset, memcmp for freestanding guests.  The copies and the fill are `rep movsb` / `rep stosb`
 * (fast strings on every x86-64 the kvm backend runs on) rather than C loops, which an optimising compiler may
 * turn back into calls to these very functions.  DF is clear on entry (SysV ABI), set only around a backward copy.
 */
#include "rt.h"

static void copy_forward(void *dst, const void *src, size_t n)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	if (d - s >= n) { /* dst below src, or no overlap: a forward copy never reads a byte it wrote */
		copy_forward(dst, src, n);
		return dst;
	}
	void *dl = (char *)dst + n - 1;
	const void *sl = (const char *)src + n - 1;
	__asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(dl), "+S"(sl), "+c"(n) : : "memory", "cc");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * fault: a guest that dereferences a null pointer after printing one line.  kvm only (on sim the write would hit
 * the VMM process itself): the VMM must report the page fault with its vector and RIP and stop the VM with a
 * non-zero status.
 */
#include <snpemu/guest_program.h>

static int fault_main(struct gst_guest *g)
{
	gst_printf(g, "fault: writing through a null pointer\n");
	volatile uint32_t *p;
	__asm__ volatile("xorl %k0, %k0" : "=r"(p)); /* a null the compiler cannot see */
	*p = 0x5A;
	gst_printf(g, "FAIL: the null write did not fault\n");
	return 1;
}

GST_PROGRAM_ELF_ONLY(fault, "a null dereference (kvm only): reported with its vector and RIP", fault_main, NULL);

/* SPDX-License-Identifier: MIT */
/*
 * The entry of a program built with the installed SDK (libsnpemu-guest.a): its one program is the image
 * descriptor that GST_PROGRAM defines under SNPEMU_GUEST_SDK (<snpemu/guest_program.h>).
 */
#include <snpemu/guest_program.h>

#include "rt.h"

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	return gst_rt_program_main(snpemu_guest_program.program, cpu_id, arg);
}

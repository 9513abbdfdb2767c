/* SPDX-License-Identifier: MIT */
/*
 * The kvm entry of every built-in guest program: one source for all, the program picked per ELF by
 * -DKVM_PROGRAM=<name> (guests/guests.mk); the entry itself is the runtime's (guests/rt/program_main.c).
 */
#include <snpemu/guest_program.h>
#include "rt.h"

#ifndef KVM_PROGRAM
#error "build with -DKVM_PROGRAM=<program name>"
#endif
#define KVM_CAT2(a, b)	a##b
#define KVM_CAT(a, b)	KVM_CAT2(a, b)
#define KVM_THE_PROGRAM KVM_CAT(gst_program_, KVM_PROGRAM)

extern const struct gst_program KVM_THE_PROGRAM;

int gst_rt_main(uint32_t cpu_id, uint64_t arg)
{
	return gst_rt_program_main(&KVM_THE_PROGRAM, cpu_id, arg);
}

/* SPDX-License-Identifier: MIT */
/*
 * The built-in guest programs (guests/NAME.c, written against <snpemu/guest_program.h> like any user's program) and
 * their registry.  They are not part of libsnpemu: they live in libsnpemu_programs.a, which the snpemu CLI and the
 * tests link beside it.  Each entry carries the program's sim build and its kvm ELF image (struct vmm_program).
 * Adding a program is its file plus one word in GUEST_PROGRAMS (guests/guests.mk).
 */
#ifndef SNPEMU_PROGRAMS_H
#define SNPEMU_PROGRAMS_H

#include <snpemu/vmm.h>

/* The built-in program called `name`, or NULL. */
const struct vmm_program *snpemu_program_find(const char *name);

/* NULL-terminated list of the built-in programs, in registration order. */
const struct vmm_program *const *snpemu_programs(void);

#endif

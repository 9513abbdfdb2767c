/* SPDX-License-Identifier: MIT */
/*
 * The registry of the built-in guest programs: for each name of GUEST_PROGRAMS (guests/guests.mk, passed as the
 * generated SNPEMU_PROGRAM_LIST of SNPEMU_PROGRAM(name) lines), its sim build (the program's struct gst_program,
 * run by gst_program_run on a sim vCPU thread) and its kvm ELF image, carried in .rodata so that the CLI runs kvm
 * guests from anywhere.  The image bytes are still an untrusted ELF to the VMM's loader.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <snpemu/guest_program.h>
#include <snpemu/programs.h>

#if !defined(SNPEMU_PROGRAM_DIR) || !defined(SNPEMU_PROGRAM_LIST)
#error "SNPEMU_PROGRAM_DIR names the directory of the program ELFs, SNPEMU_PROGRAM_LIST their list (guests/guests.mk)"
#endif

/* Each program's sim build, and one .incbin per ELF image with start and end symbols. */
#define SNPEMU_PROGRAM(name)                                                                                           \
	extern const struct gst_program gst_program_##name;                                                            \
	__asm__(".pushsection .rodata\n\t.balign 16\n\t.globl snpemu_image_" #name "_start\n"                          \
		".hidden snpemu_image_" #name "_start\nsnpemu_image_" #name "_start:\n\t.incbin \"" SNPEMU_PROGRAM_DIR \
		"/" #name ".elf\"\n\t.globl snpemu_image_" #name "_end\n.hidden snpemu_image_" #name "_end\n"          \
		"snpemu_image_" #name "_end:\n\t.popsection");                                                         \
	extern const uint8_t snpemu_image_##name##_start[], snpemu_image_##name##_end[];
#include SNPEMU_PROGRAM_LIST
#undef SNPEMU_PROGRAM

#define SNPEMU_PROGRAM(name) {&gst_program_##name, snpemu_image_##name##_start, snpemu_image_##name##_end},
static const struct {
	const struct gst_program *program;
	const uint8_t *start, *end;
} built_in[] = {
#include SNPEMU_PROGRAM_LIST
};
#undef SNPEMU_PROGRAM
#define NPROGRAMS (sizeof(built_in) / sizeof(built_in[0]))

static struct vmm_program programs[NPROGRAMS];
static const struct vmm_program *list[NPROGRAMS + 1];
static pthread_once_t filled = PTHREAD_ONCE_INIT;

/* The entries point into other objects (names, summaries): filled once, at the first look-up. */
static void fill(void)
{
	for (size_t i = 0; i < NPROGRAMS; i++) {
		const struct gst_program *p = built_in[i].program;
		programs[i] = (struct vmm_program){
		    .name = p->name,
		    .summary = p->summary,
		    .sim_run = p->elf_only ? NULL : gst_program_image_run,
		    .sim_program = p,
		    .elf = built_in[i].start,
		    .elf_len = (size_t)(built_in[i].end - built_in[i].start),
		};
		list[i] = &programs[i];
	}
}

const struct vmm_program *const *snpemu_programs(void)
{
	pthread_once(&filled, fill);
	return list;
}

const struct vmm_program *snpemu_program_find(const char *name)
{
	for (const struct vmm_program *const *p = snpemu_programs(); name && *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}

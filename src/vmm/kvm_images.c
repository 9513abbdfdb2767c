/* SPDX-License-Identifier: MIT */
/*
 * The kvm guest program images (guests/kvm_main.c + each program, built by guests/guests.mk), carried inside the
 * VMM so that the kvm backend needs no file at run time.  The bytes are still an untrusted ELF to the loader
 * (vmm_kvm_elf_load validates every rule).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmm/vmm_internal.h"

#ifndef KVM_PROGRAM_DIR
#error "KVM_PROGRAM_DIR names the directory of the guest program ELFs (guests/guests.mk)"
#endif

/* One .incbin per program: start and end symbols in .rodata. */
#define KVM_IMAGE(name)                                                                               \
	__asm__(".pushsection .rodata\n\t.balign 16\n\t.globl vmm_kvm_image_" #name "_start\n"        \
		"vmm_kvm_image_" #name "_start:\n\t.incbin \"" KVM_PROGRAM_DIR "/" #name ".elf\"\n\t" \
		".globl vmm_kvm_image_" #name "_end\nvmm_kvm_image_" #name "_end:\n\t.popsection");   \
	extern const uint8_t vmm_kvm_image_##name##_start[], vmm_kvm_image_##name##_end[]

KVM_IMAGE(hello);
KVM_IMAGE(attest);
KVM_IMAGE(psc);
KVM_IMAGE(smp);
KVM_IMAGE(hostile);
KVM_IMAGE(storm);
KVM_IMAGE(fault);
KVM_IMAGE(bench);

#define ENTRY(name)                                                             \
	{                                                                       \
#name, vmm_kvm_image_##name##_start, vmm_kvm_image_##name##_end \
	}
static const struct {
	const char *name;
	const uint8_t *start, *end;
} images[] = {
    ENTRY(hello), ENTRY(attest), ENTRY(psc), ENTRY(smp), ENTRY(hostile), ENTRY(storm), ENTRY(fault), ENTRY(bench),
};

const uint8_t *vmm_kvm_program_image(const char *name, size_t *len)
{
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		if (!strcmp(images[i].name, name)) {
			*len = (size_t)(images[i].end - images[i].start);
			return images[i].start;
		}
	}
	*len = 0;
	return NULL;
}

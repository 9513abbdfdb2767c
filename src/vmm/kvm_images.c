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

#if !defined(KVM_PROGRAM_DIR) || !defined(KVM_IMAGE_LIST)
#error "KVM_PROGRAM_DIR names the directory of the guest program ELFs, KVM_IMAGE_LIST their list (guests/guests.mk)"
#endif

/* One .incbin per program (KVM_IMAGE_LIST holds a KVM_IMAGE(name) line each): start and end symbols in .rodata. */
#define KVM_IMAGE(name)                                                                               \
	__asm__(".pushsection .rodata\n\t.balign 16\n\t.globl vmm_kvm_image_" #name "_start\n"        \
		"vmm_kvm_image_" #name "_start:\n\t.incbin \"" KVM_PROGRAM_DIR "/" #name ".elf\"\n\t" \
		".globl vmm_kvm_image_" #name "_end\nvmm_kvm_image_" #name "_end:\n\t.popsection");   \
	extern const uint8_t vmm_kvm_image_##name##_start[], vmm_kvm_image_##name##_end[];
#include KVM_IMAGE_LIST
#undef KVM_IMAGE

#define KVM_IMAGE(name) {#name, vmm_kvm_image_##name##_start, vmm_kvm_image_##name##_end},
static const struct {
	const char *name;
	const uint8_t *start, *end;
} images[] = {
#include KVM_IMAGE_LIST
};
#undef KVM_IMAGE

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

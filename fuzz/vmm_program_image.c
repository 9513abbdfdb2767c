/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the checks of `snpemu run PATH` on a program file's bytes (vmm_program_image_check, src/vmm/program_file.c)
 * as an ELF image and as a shared object: the answer is 0 or -ENOEXEC, a refusal always says why in a
 * NUL-terminated line that fits the buffer, and an accepted ELF image is one the kvm loader accepts too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/vmm.h>

#include "vmm/kvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int kind = VMM_PROGRAM_IMAGE_ELF; kind <= VMM_PROGRAM_IMAGE_SO; kind++) {
		char why[96];
		memset(why, 0x55, sizeof(why));
		int rc = vmm_program_image_check(data, size, (enum vmm_program_image_kind)kind, why, sizeof(why));
		if (rc != 0 && rc != -ENOEXEC)
			abort();
		if (rc && (!memchr(why, '\0', sizeof(why)) || !why[0]))
			abort(); /* a refusal without a reason */
		struct vmm_kvm_elf_info info;
		if (!rc && kind == VMM_PROGRAM_IMAGE_ELF &&
		    vmm_kvm_elf_check(data, size, SNPEMU_IMAGE_GPA, SNPEMU_BOOT_INFO_GPA, &info) != VMM_KVM_ELF_OK)
			abort();
	}
	return 0;
}

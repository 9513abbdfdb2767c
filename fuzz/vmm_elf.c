/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the kvm backend's ELF64 loader (src/vmm/kvm_elf.c) with untrusted files: check and load into a 2 MiB RAM
 * with the 1 MiB floor of guest images, then verify what a valid result promises: the reported range inside the
 * load area, the entry inside it, every PT_LOAD segment's bytes copied and its tail zeroed, nothing else written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/le.h>

#include "vmm/kvm.h"

#define RAM_SIZE (2 * VMM_KVM_MiB)
#define FLOOR	 SNPEMU_IMAGE_GPA
#define FILL	 0xA5u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void verify_segments(const uint8_t *data, size_t size, const uint8_t *ram)
{
	uint64_t phoff = le64_load(data + 32);
	uint16_t phnum = le16_load(data + 56);
	for (uint16_t i = 0; i < phnum; i++) {
		const uint8_t *ph = data + phoff + (size_t)i * 56;
		if (le32_load(ph) != 1 /* PT_LOAD */)
			continue;
		uint64_t off = le64_load(ph + 8), addr = le64_load(ph + 24);
		uint64_t filesz = le64_load(ph + 32), memsz = le64_load(ph + 40);
		if (off + filesz > size || addr + memsz > RAM_SIZE || addr < FLOOR)
			abort(); /* accepted out of bounds */
		if (memcmp(ram + addr, data + off, filesz) != 0)
			abort();
		for (uint64_t j = filesz; j < memsz; j++)
			if (ram[addr + j] != 0)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm_kvm_elf_info info;

	enum vmm_kvm_elf_error err = vmm_kvm_elf_check(data, size, FLOOR, RAM_SIZE, &info);
	if ((unsigned int)err >= VMM_KVM_ELF_ERROR_COUNT || !vmm_kvm_elf_strerror(err))
		abort();
	uint8_t *ram = malloc(RAM_SIZE);
	if (!ram)
		return 0;
	memset(ram, FILL, RAM_SIZE);
	enum vmm_kvm_elf_error loaded = vmm_kvm_elf_load(data, size, ram, FLOOR, RAM_SIZE, &info);
	if (loaded != err)
		abort(); /* load validates exactly as check */
	if (err == VMM_KVM_ELF_OK) {
		if (info.lowest < FLOOR || info.highest > RAM_SIZE || info.lowest >= info.highest ||
		    info.entry < info.lowest || info.entry >= info.highest || info.load_segments == 0)
			abort();
		verify_segments(data, size, ram);
		for (uint64_t a = 0; a < FLOOR; a += 4096)
			if (ram[a] != FILL)
				abort(); /* wrote below the floor */
	} else {
		for (uint64_t a = 0; a < RAM_SIZE; a += 512)
			if (ram[a] != FILL)
				abort(); /* a rejected image wrote */
	}
	free(ram);
	return 0;
}

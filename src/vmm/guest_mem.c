/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM as the VMM holds it: one anonymous mapping with PROT_NONE guard regions before and after it (a stray
 * host access near guest RAM faults instead of reading a neighbour), and the one checked accessor through which
 * every host access to guest memory goes (Solo5's HVT_CHECKED_GPA_P): overflow, bounds, and - for the VMM's own
 * accesses to an SNP guest - page ownership in the firmware model's RMP, where a private page is the MEMORY_FAULT
 * the engine would give (docs/architecture.md rule 3).
 */
#include <errno.h>
#include <sys/mman.h>

#include "vmm/vmm_internal.h"

int vmm_mem_map(struct vmm_vm *vm)
{
	size_t total = (size_t)vm->mem_size + 2 * VMM_GUARD_SIZE;
	uint8_t *base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -ENOMEM;
	if (mprotect(base + VMM_GUARD_SIZE, (size_t)vm->mem_size, PROT_READ | PROT_WRITE)) {
		int rc = -errno;
		munmap(base, total);
		return rc;
	}
	vm->mem = base + VMM_GUARD_SIZE;
	return 0;
}

void vmm_mem_unmap(struct vmm_vm *vm)
{
	if (vm->mem)
		munmap(vm->mem - VMM_GUARD_SIZE, (size_t)vm->mem_size + 2 * VMM_GUARD_SIZE);
	vm->mem = NULL;
}

void *vmm_guest_ptr(struct vmm_vm *vm, uint64_t gpa, uint64_t len, enum vmm_access access, struct vmm_mem_fault *fault)
{
	if (gpa > vm->mem_size || len > vm->mem_size - gpa) {
		if (fault)
			*fault = (struct vmm_mem_fault){0, gpa, len};
		return NULL;
	}
	if (access >= VMM_ACCESS_HOST_READ && vm->fw_guest && len &&
	    !fw_rmp_host_may_access(fw_guest_rmp(vm->fw_guest), gpa, len, NULL)) {
		if (fault)
			*fault = (struct vmm_mem_fault){SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, gpa, len};
		return NULL;
	}
	if (access == VMM_ACCESS_HOST_WRITE)
		vmm_dirty_mark(vm, gpa, len); /* KVM's log misses the VMM's writes (dirty_vmm.c) */
	return vm->mem + gpa;
}

bool vmm_guest_gpa(const struct vmm_vm *vm, const void *p, uint64_t *gpa)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)vm->mem;
	if (a < base || a - base >= vm->mem_size)
		return false;
	*gpa = a - base;
	return true;
}

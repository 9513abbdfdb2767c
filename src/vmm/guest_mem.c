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

void vmm_mem_prealloc(struct vmm_vm *vm)
{
	/* A write per page, as QEMU's touch_all_pages: the kernel's MADV_POPULATE_WRITE allocates the pages but, on a
	 * virtualised host, may leave the first user write to each of them a fault as costly as allocating it
	 * (measured: bench/migrate_vm).  Rewriting a byte with its own value keeps pages that hold data as they were.
	 */
	const uint64_t chunk = 2ull << 20;
	for (uint64_t gpa = 0; gpa < vm->mem_size; gpa += chunk) {
		uint64_t len = vm->mem_size - gpa < chunk ? vm->mem_size - gpa : chunk;
		volatile uint8_t *p = vmm_guest_ptr(vm, gpa, len, VMM_ACCESS_GUEST, NULL);
		for (uint64_t off = 0; p && off < len; off += 4096)
			p[off] = p[off];
	}
}

bool vmm_guest_gpa(const struct vmm_vm *vm, const void *p, uint64_t *gpa)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)vm->mem;
	if (a < base || a - base >= vm->mem_size)
		return false;
	*gpa = a - base;
	return true;
}

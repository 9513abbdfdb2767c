/* SPDX-License-Identifier: MIT */
/*
 * Dirty-page logging of the kvm backend's RAM: KVM_MEM_LOG_DIRTY_PAGES on every memory slot, and KVM_GET_DIRTY_LOG,
 * which returns a slot's pages written since the previous call and write-protects them again (without
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 the get also clears).  KVM sees the guest's writes; writes of the VMM through
 * its own mapping are not in the log (as with QEMU, whose migration tracks those itself).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/kvm_internal.h"

#define PAGE 4096ull

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* The slots of vmm_kvm_vm_create(): slot_size bytes each from GPA 0, the last one shorter. */
static uint64_t slot_bytes(const struct vmm_kvm_vm *vm, unsigned int slot)
{
	uint64_t gpa = (uint64_t)slot * vm->slot_size;
	return vm->ram_size - gpa < vm->slot_size ? vm->ram_size - gpa : vm->slot_size;
}

int vmm_kvm_dirty_log(struct vmm_kvm_vm *vm, bool enable)
{
	for (unsigned int slot = 0; slot < vm->slots; slot++) {
		uint64_t gpa = (uint64_t)slot * vm->slot_size;
		struct kvm_userspace_memory_region region = {
		    .slot = slot,
		    .flags = enable ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		    .guest_phys_addr = gpa,
		    .memory_size = slot_bytes(vm, slot),
		    .userspace_addr = (uint64_t)(uintptr_t)(vm->ram + gpa),
		};
		int r = xioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
		if (r < 0)
			return r;
	}
	return 0;
}

int vmm_kvm_dirty_log_get(struct vmm_kvm_vm *vm, uint64_t *bitmap, size_t words)
{
	if (words < (size_t)((vm->ram_size / PAGE + 63) / 64))
		return -ENOSPC;
	memset(bitmap, 0, words * sizeof(*bitmap));
	for (unsigned int slot = 0; slot < vm->slots; slot++) {
		/* Slots are whole 2 MiB pages (512 bits), so each slot's bitmap starts on a word of ours. */
		uint64_t first_page = (uint64_t)slot * vm->slot_size / PAGE;
		struct kvm_dirty_log log = {.slot = slot, .dirty_bitmap = bitmap + first_page / 64};
		int r = xioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log);
		if (r < 0)
			return r;
	}
	return 0;
}

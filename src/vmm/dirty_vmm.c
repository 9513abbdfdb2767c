/* SPDX-License-Identifier: MIT */
/*
 * The VMM's own dirty log (vmm_internal.h): pages the VMM or the page-state model changed behind the backend's
 * mechanism.  KVM_GET_DIRTY_LOG sees only the guest's writes through KVM's page tables, not the VMM's writes
 * through its own mapping (QEMU tracks those itself for the same reason); and no backend's log sees a page-state
 * change (PSC, MAP_GPA_RANGE, PVALIDATE, RMPADJUST), which writes no byte of the page yet changes whether it travels
 * as plaintext or as a firmware record.  Both mark here; migration takes the union with the backend's log.
 *
 * The bitmap is allocated once and kept until the VM is freed, so a marking thread never sees it go away; `on`
 * says whether marks are recorded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vmm_internal.h"

int vmm_dirty_log_start(struct vmm_vm *vm)
{
	size_t words = VMM_DIRTY_WORDS(vm->mem_size);
	if (!vm->vmm_dirty && !(vm->vmm_dirty = calloc(words, sizeof(*vm->vmm_dirty))))
		return -ENOMEM;
	for (size_t i = 0; i < words; i++)
		atomic_store_explicit(&vm->vmm_dirty[i], 0, memory_order_relaxed);
	int rc = vm->backend->dirty_log_start(vm);
	if (!rc)
		atomic_store(&vm->vmm_dirty_on, true);
	return rc;
}

void vmm_dirty_mark(struct vmm_vm *vm, uint64_t gpa, uint64_t len)
{
	if (!atomic_load_explicit(&vm->vmm_dirty_on, memory_order_acquire) || !len || gpa >= vm->mem_size)
		return;
	uint64_t end = len > vm->mem_size - gpa ? vm->mem_size : gpa + len;
	for (uint64_t p = gpa / 4096; p < (end + 4095) / 4096; p++)
		atomic_fetch_or_explicit(&vm->vmm_dirty[p / 64], 1ull << (p % 64), memory_order_relaxed);
}

int vmm_dirty_log_get(struct vmm_vm *vm, uint64_t *bitmap, size_t words, uint64_t *marked)
{
	int rc = vm->backend->dirty_log_get(vm, bitmap, words);
	if (rc)
		return rc;
	/* Taken after the backend's get: a mark made in between is in this round or the next, never lost. */
	size_t n = VMM_DIRTY_WORDS(vm->mem_size);
	for (size_t i = 0; i < n && vm->vmm_dirty; i++) {
		uint64_t m = atomic_exchange_explicit(&vm->vmm_dirty[i], 0, memory_order_relaxed);
		bitmap[i] |= m;
		if (marked)
			marked[i] |= m;
	}
	return 0;
}

int vmm_dirty_log_peek(struct vmm_vm *vm, uint64_t gpa, uint64_t len, uint64_t *bitmap)
{
	if (!vm->backend->dirty_log_peek)
		return -ENOTSUP;
	int rc = vm->backend->dirty_log_peek(vm, gpa, len, bitmap);
	for (uint64_t p = gpa / 4096; !rc && vm->vmm_dirty && p < (gpa + len) / 4096; p++)
		if (atomic_load_explicit(&vm->vmm_dirty[p / 64], memory_order_relaxed) >> (p % 64) & 1)
			bitmap[p / 64] |= 1ull << (p % 64);
	return rc;
}

void vmm_dirty_log_stop(struct vmm_vm *vm)
{
	atomic_store(&vm->vmm_dirty_on, false);
	vm->backend->dirty_log_stop(vm);
}

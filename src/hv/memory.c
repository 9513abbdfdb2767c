/* SPDX-License-Identifier: MIT */
/*
 * The one checked accessor for host access to guest memory (docs/architecture.md "Engine model"): overflow, slot
 * lookup and the page-state hook.  Every failure is recorded in vcpu->fault for a MEMORY_FAULT exit; none is blamed on
 * the guest. The caller holds vm->cfg_lock (read) for the whole VMGEXIT, so slots cannot change under it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"

void hv_fault_set(struct hv_vcpu *v, uint64_t flags, uint64_t gpa, uint64_t size)
{
	v->fault.flags = flags;
	v->fault.gpa = gpa;
	v->fault.size = size;
}

int hv_exit_memory_fault(struct hv_vcpu *v, hv_step_fn retry)
{
	struct snpemu_run *run = v->run;
	run->exit_reason = SNPEMU_EXIT_MEMORY_FAULT;
	run->memory_fault.flags = v->fault.flags;
	run->memory_fault.gpa = v->fault.gpa;
	run->memory_fault.size = v->fault.size;
	v->complete = retry;
	return 0;
}

void *hv_host_realloc(struct hv_vcpu *v, void *ptr, size_t size)
{
	struct hv_vm *vm = v->vm;
	const uint32_t nth = vm->cfg.alloc_fail_nth;
	if (nth && atomic_fetch_add_explicit(&vm->host_allocs, 1, memory_order_relaxed) + 1 == nth)
		return NULL;
	return realloc(ptr, size);
}

int hv_exit_enomem(struct hv_vcpu *v, hv_step_fn retry)
{
	/* KVM fails KVM_RUN with -ENOMEM here.  Not a MEMORY_FAULT: that exit names a GPA the VMM must act on, and a
	 * KVM-style VMM reads one without the PRIVATE flag as "convert this page to shared". */
	v->complete = retry;
	return -ENOMEM;
}

static const struct hv_memslot *slot_for(const struct hv_vm *vm, uint64_t gpa)
{
	for (unsigned int i = 0; i < HV_MAX_MEMSLOTS; i++) {
		const struct hv_memslot *s = &vm->slots[i];
		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			return s;
	}
	return NULL;
}

/* Resolve the part of [gpa, gpa+len) that one slot backs: host pointer and length (<= len), or NULL (fault set). */
static uint8_t *resolve(struct hv_vcpu *v, uint64_t gpa, uint64_t len, uint64_t *got)
{
	const struct hv_vm *vm = v->vm;
	if (!len || gpa + len < gpa) {
		hv_fault_set(v, 0, gpa, len);
		return NULL;
	}
	const struct hv_memslot *s = slot_for(vm, gpa);
	if (!s) {
		hv_fault_set(v, 0, gpa, len);
		return NULL;
	}
	uint64_t off = gpa - s->gpa;
	uint64_t n = s->size - off < len ? s->size - off : len;
	if (vm->host_access && vm->host_access(vm->host_access_ctx, gpa, n) != 0) {
		hv_fault_set(v, SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, gpa, n);
		return NULL;
	}
	*got = n;
	return s->host + off;
}

uint8_t *hv_mem_map(struct hv_vcpu *v, uint64_t gpa, uint64_t len)
{
	uint64_t got = 0;
	uint8_t *p = resolve(v, gpa, len, &got);
	if (p && got != len) {
		/* The rest lies outside this slot: report the first byte no single mapping covers. */
		hv_fault_set(v, 0, gpa + got, len - got);
		return NULL;
	}
	return p;
}

int hv_mem_read(struct hv_vcpu *v, uint64_t gpa, void *dst, uint64_t len)
{
	uint8_t *d = dst;
	while (len) {
		uint64_t got = 0;
		const uint8_t *p = resolve(v, gpa, len, &got);
		if (!p)
			return -EFAULT;
		memcpy(d, p, got);
		d += got;
		gpa += got;
		len -= got;
	}
	return 0;
}

int hv_mem_write(struct hv_vcpu *v, uint64_t gpa, const void *src, uint64_t len)
{
	const uint8_t *s = src;
	while (len) {
		uint64_t got = 0;
		uint8_t *p = resolve(v, gpa, len, &got);
		if (!p)
			return -EFAULT;
		memcpy(p, s, got);
		s += got;
		gpa += got;
		len -= got;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* VM object: configuration, memory slots, CPUID table, MSR policy and capabilities (hv.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv_internal.h"

int hv_vm_create(const struct hv_vm_config *cfg, struct hv_vm **out)
{
	if (!cfg || !out)
		return -EINVAL;
	*out = NULL;
	/* KVM_SEV_INIT2: ghcb_version above 2 is -EINVAL, 0 means 2 (spec §2.4). */
	if ((cfg->type != HV_VM_TYPE_SEV_ES && cfg->type != HV_VM_TYPE_SNP) || cfg->ghcb_version > GHCB_PROTOCOL_MAX ||
	    cfg->cbit > 63 || (cfg->flags & ~(HV_VM_FLAG_NO_EXIT_TIMING | HV_VM_FLAG_MAP_GPA_RANGE_UNGATED)) ||
	    cfg->scratch_limit > HV_SCRATCH_LIMIT_MAX)
		return -EINVAL;
	struct hv_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->cfg = *cfg;
	if (!vm->cfg.ghcb_version)
		vm->cfg.ghcb_version = GHCB_PROTOCOL_MAX;
	if (!vm->cfg.scratch_limit)
		vm->cfg.scratch_limit = HV_SCRATCH_LIMIT_DEFAULT;
	/* Writers (VMM reconfiguration) must not starve behind vCPUs that VMGEXIT back to back; vCPUs never take
	 * the lock recursively, so glibc's writer-preferring kind is safe. */
	pthread_rwlockattr_t attr;
	int err = pthread_rwlockattr_init(&attr);
#if defined(__GLIBC__)
	if (!err)
		pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	if (err || pthread_rwlock_init(&vm->cfg_lock, &attr)) {
		if (!err)
			pthread_rwlockattr_destroy(&attr);
		free(vm);
		return -ENOMEM;
	}
	pthread_rwlockattr_destroy(&attr);
	if (pthread_mutex_init(&vm->vcpus_lock, NULL)) {
		pthread_rwlock_destroy(&vm->cfg_lock);
		free(vm);
		return -ENOMEM;
	}
	if (pthread_mutex_init(&vm->guest_req_lock, NULL)) {
		pthread_mutex_destroy(&vm->vcpus_lock);
		pthread_rwlock_destroy(&vm->cfg_lock);
		free(vm);
		return -ENOMEM;
	}
	if (hv_rate_limit_init(&vm->rl)) {
		pthread_mutex_destroy(&vm->guest_req_lock);
		pthread_mutex_destroy(&vm->vcpus_lock);
		pthread_rwlock_destroy(&vm->cfg_lock);
		free(vm);
		return -ENOMEM;
	}
	vm->msr_default = HV_MSR_EXIT;
	hv_nae_index_build(&vm->nae_index);
	vm->tsc_epoch_ns = hv_now_ns();
	vm->ticks_epoch = hv_stat_ticks();
	*out = vm;
	return 0;
}

int hv_vm_destroy(struct hv_vm *vm)
{
	if (!vm)
		return 0;
	pthread_mutex_lock(&vm->vcpus_lock);
	unsigned int n = vm->nr_vcpus;
	pthread_mutex_unlock(&vm->vcpus_lock);
	if (n)
		return -EBUSY;
	hv_rate_limit_fini(&vm->rl);
	pthread_mutex_destroy(&vm->guest_req_lock);
	pthread_mutex_destroy(&vm->vcpus_lock);
	pthread_rwlock_destroy(&vm->cfg_lock);
	free(vm->cpuid);
	free(vm);
	return 0;
}

const struct hv_vm_config *hv_vm_config(const struct hv_vm *vm)
{
	return vm ? &vm->cfg : NULL;
}

int hv_vm_add_memslot(struct hv_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	if (!vm || !host || !size || (gpa | size) & (HV_PAGE_SIZE - 1) || gpa + size < gpa)
		return -EINVAL;
	int ret = 0;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	struct hv_memslot *free_slot = NULL;
	for (unsigned int i = 0; i < HV_MAX_MEMSLOTS; i++) {
		struct hv_memslot *s = &vm->slots[i];
		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		/* Overlap test on half-open ranges; neither end overflows (checked above and at insertion). */
		if (s->id == slot || (gpa < s->gpa + s->size && s->gpa < gpa + size)) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (!free_slot) {
		ret = -ENOSPC;
		goto out;
	}
	*free_slot = (struct hv_memslot){.used = true, .id = slot, .gpa = gpa, .size = size, .host = host};
out:
	pthread_rwlock_unlock(&vm->cfg_lock);
	return ret;
}

int hv_vm_remove_memslot(struct hv_vm *vm, uint32_t slot)
{
	if (!vm)
		return -EINVAL;
	int ret = -ENOENT;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	for (unsigned int i = 0; i < HV_MAX_MEMSLOTS; i++) {
		if (vm->slots[i].used && vm->slots[i].id == slot) {
			vm->slots[i] = (struct hv_memslot){0};
			ret = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&vm->cfg_lock);
	return ret;
}

int hv_vm_set_host_access(struct hv_vm *vm, hv_host_access_fn fn, void *ctx)
{
	if (!vm)
		return -EINVAL;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	vm->host_access = fn;
	vm->host_access_ctx = fn ? ctx : NULL;
	pthread_rwlock_unlock(&vm->cfg_lock);
	return 0;
}

static bool cpuid_same_key(const struct hv_cpuid_entry *a, const struct hv_cpuid_entry *b)
{
	if (a->function != b->function || a->flags != b->flags)
		return false;
	if ((a->flags & HV_CPUID_FLAG_SIGNIFICANT_INDEX) && a->index != b->index)
		return false;
	if ((a->flags & HV_CPUID_FLAG_XSTATE_VARIANT) && (a->xcr0 != b->xcr0 || a->xss != b->xss))
		return false;
	return true;
}

int hv_vm_set_cpuid(struct hv_vm *vm, const struct hv_cpuid_entry *entries, size_t n)
{
	if (!vm || (n && !entries))
		return -EINVAL;
	if (n > HV_MAX_CPUID_ENTRIES)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (entries[i].flags & ~(HV_CPUID_FLAG_SIGNIFICANT_INDEX | HV_CPUID_FLAG_XSTATE_VARIANT))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (cpuid_same_key(&entries[i], &entries[j]))
				return -EINVAL;
	}
	struct hv_cpuid_entry *copy = NULL;
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, entries, n * sizeof(*copy));
	}
	pthread_rwlock_wrlock(&vm->cfg_lock);
	free(vm->cpuid);
	vm->cpuid = copy;
	vm->cpuid_n = n;
	vm->kvm_cpuid_base = hv_cpuid_kvm_base(copy, n);
	vm->cpuid_variants = false;
	for (size_t i = 0; i < n; i++)
		if (copy[i].flags & HV_CPUID_FLAG_XSTATE_VARIANT)
			vm->cpuid_variants = true;
	pthread_rwlock_unlock(&vm->cfg_lock);
	return 0;
}

int hv_vm_set_msr_policy(struct hv_vm *vm, const struct hv_msr_rule *rules, size_t n, uint32_t default_action)
{
	if (!vm || (n && !rules) || default_action > HV_MSR_GP)
		return -EINVAL;
	if (n > HV_MAX_MSR_RULES)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (rules[i].action > HV_MSR_GP || rules[i].first > rules[i].last)
			return -EINVAL;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	if (n)
		memcpy(vm->msr_rules, rules, n * sizeof(*rules));
	vm->msr_rules_n = n;
	vm->msr_default = default_action;
	pthread_rwlock_unlock(&vm->cfg_lock);
	return 0;
}

uint64_t hv_check_extension(uint32_t cap)
{
	switch (cap) {
	case HV_CAP_EXIT_HYPERCALL: /* KVM: KVM_EXIT_HYPERCALL_VALID_MASK (spec §9) */
		return HV_HYPERCALL_EXIT_VALID_MASK;
	default:
		return 0;
	}
}

int hv_vm_enable_hypercall_exits(struct hv_vm *vm, uint64_t mask)
{
	/* KVM_CAP_EXIT_HYPERCALL: args[0] must be a subset of KVM_EXIT_HYPERCALL_VALID_MASK (spec §9). */
	if (!vm || (mask & ~hv_check_extension(HV_CAP_EXIT_HYPERCALL)))
		return -EINVAL;
	pthread_rwlock_wrlock(&vm->cfg_lock);
	vm->hypercall_exits = mask;
	pthread_rwlock_unlock(&vm->cfg_lock);
	return 0;
}

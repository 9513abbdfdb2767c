/* SPDX-License-Identifier: MIT */
/*
 * The tcg backend's VM (contract: tcg.h): RAM and its system area, the probe, the checked GPA translator, a walk of
 * the guest's page tables (for the real instructions' operands and for #PF error codes), and the CPU lock that runs
 * one vCPU's guest code at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <snpemu/abi/le.h>

#include "vmm/tcg_internal.h"

int vmm_tcg_probe(char *reason, size_t len)
{
	unsigned int major = 0, minor = 0;
	uc_engine *uc;

	uc_version(&major, &minor);
	if (major != 2) {
		vmm_x86_reason(reason, len, "tcg: libunicorn %u.%u, need 2.x", major, minor);
		return -ENOTSUP;
	}
	uc_err e = uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
	if (e != UC_ERR_OK) {
		vmm_x86_reason(reason, len, "tcg: uc_open(x86-64): %s", uc_strerror(e));
		return e == UC_ERR_NOMEM ? -ENOMEM : -ENOTSUP;
	}
	uc_close(uc);
	return 0;
}

/*
 * QEMU's x86 CPU remembers the last contributory exception or #PF in env->old_exception, to turn a second one into
 * #DF and a third into a triple-fault reset (Intel SDM vol 3 table 6-5, target/i386 check_exception()); only
 * delivering the exception through the IDT clears it.  Unicorn never delivers (UC_HOOK_INTR replaces the delivery),
 * so after one #GP the next #GP becomes #DF and the one after silently halts the CPU: every CPL-3 trap after the first
 * would be lost.  The API has no register for it, but a saved uc_context holds the whole CPUX86State; this finds the
 * field's offset in it once per VM (a #DE flips it from -1 to 0 and nothing else does so), and the vCPU resets it to
 * -1 after each exception (tcg_vcpu.c), as the delivery would.  Without exactly one such field the backend refuses
 * to run rather than lose traps.
 */
static void find_hook(uc_engine *uc, uint32_t intno, void *user)
{
	*(uint32_t *)user = intno;
	uc_emu_stop(uc);
}

int vmm_tcg_find_old_exception(size_t *offset)
{
	static uint8_t code[4096] __attribute__((aligned(4096)));
	static const uint8_t divide_by_zero[] = {0x31, 0xC9, 0xF7, 0xF1}; /* xor %ecx, %ecx; div %ecx */
	uc_engine *uc;
	uc_context *before = NULL, *after = NULL;
	uc_hook h;
	uint32_t vector = UINT32_MAX;
	int found = 0;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc))
		return -ENOTSUP;
	memcpy(code, divide_by_zero, sizeof(divide_by_zero));
	size_t size = uc_context_size(uc);
	if (!uc_mem_map_ptr(uc, 0x1000, sizeof(code), UC_PROT_READ | UC_PROT_EXEC, code) &&
	    !uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)find_hook, &vector, 1, 0) && !uc_context_alloc(uc, &before) &&
	    !uc_context_alloc(uc, &after) && !uc_context_save(uc, before) &&
	    !uc_emu_start(uc, 0x1000, 0x1000 + sizeof(divide_by_zero), 0, 0) && vector == 0 &&
	    !uc_context_save(uc, after)) {
		for (size_t i = 0; i + 4 <= size; i += 4) {
			int32_t b, a;
			memcpy(&b, (const uint8_t *)before + i, 4);
			memcpy(&a, (const uint8_t *)after + i, 4);
			if (b == -1 && a == 0) {
				*offset = i;
				found++;
			}
		}
	}
	uc_context_free(before);
	uc_context_free(after);
	uc_close(uc);
	return found == 1 ? 0 : -ENOTSUP;
}

int vmm_tcg_vm_create(const struct vmm_tcg_vm_config *cfg, struct vmm_tcg_vm **out, char *reason, size_t len)
{
	uint64_t ram_size = cfg && cfg->ram_size ? cfg->ram_size : VMM_KVM_RAM_DEFAULT;
	if (ram_size < VMM_KVM_RAM_MIN || ram_size > VMM_KVM_RAM_MAX || ram_size % VMM_KVM_RAM_ALIGN) {
		vmm_x86_reason(reason, len, "tcg: RAM size %llu is not a multiple of 2 MiB in [4 MiB, 4 GiB]",
			       (unsigned long long)ram_size);
		return -EINVAL;
	}
	struct vmm_tcg_vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		vmm_x86_reason(reason, len, "tcg: out of memory");
		return -ENOMEM;
	}
	if (vmm_tcg_find_old_exception(&vm->old_exception_offset)) {
		vmm_x86_reason(reason, len,
			       "tcg: cannot locate the CPU's exception state in this libunicorn's context layout");
		free(vm);
		return -ENOTSUP;
	}
	vm->ram_size = ram_size;
	vm->deterministic = cfg && cfg->deterministic;
	vm->vc = cfg && cfg->vc;
	vm->io = cfg ? cfg->io : NULL;
	vm->msr = cfg ? cfg->msr : NULL;
	vm->io_ctx = cfg ? cfg->io_ctx : NULL;
	vm->ram = cfg ? cfg->ram : NULL;
	if (!vm->ram) {
		void *ram =
		    mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (ram == MAP_FAILED) {
			int e = errno;
			vmm_x86_reason(reason, len, "tcg: cannot map %llu bytes of guest RAM: %s",
				       (unsigned long long)ram_size, strerror(e));
			free(vm);
			return -e;
		}
		vm->ram = ram;
		vm->ram_owned = true;
	}
	vmm_vcpu_ids_init(&vm->ids);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cpu_free, NULL);
	vmm_kvm_x86_build_system_area(vm->ram, ram_size);

	*out = vm;
	return 0;
}

int vmm_tcg_vm_destroy(struct vmm_tcg_vm *vm)
{
	if (!vm)
		return 0;
	int r = vmm_vcpu_ids_fini(&vm->ids);
	if (r < 0)
		return r;
	if (vm->ram_owned)
		munmap(vm->ram, vm->ram_size);
	pthread_cond_destroy(&vm->cpu_free);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	return 0;
}

void *vmm_tcg_gpa(struct vmm_tcg_vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

/* Page-table entry bits (APM vol 2 §5.3). */
#define PTE_P	 (1ull << 0)
#define PTE_RW	 (1ull << 1)
#define PTE_US	 (1ull << 2)
#define PTE_PS	 (1ull << 7)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

int vmm_tcg_walk(struct vmm_tcg_vm *vm, uint64_t cr3, uint64_t va, struct vmm_tcg_walk *w)
{
	uint64_t table = cr3 & PTE_ADDR;
	memset(w, 0, sizeof(*w));
	w->writable = w->user = true;
	/* 4-level paging: PML4 (bits 47:39), PDPT (38:30, 1 GiB leaves), PD (29:21, 2 MiB leaves), PT (20:12). */
	for (int level = 3; level >= 0; level--) {
		unsigned int shift = 12u + 9u * (unsigned int)level;
		const uint8_t *p = vmm_tcg_gpa(vm, table + 8 * ((va >> shift) & 0x1FF), 8);
		if (!p)
			return -EFAULT; /* a table outside RAM: the guest broke its own paging */
		uint64_t e = le64_load(p);
		if (!(e & PTE_P))
			return 0;
		w->writable &= (e & PTE_RW) != 0;
		w->user &= (e & PTE_US) != 0;
		if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS))) {
			uint64_t page = 1ull << shift;
			w->gpa = (e & PTE_ADDR & ~(page - 1)) | (va & (page - 1));
			w->present = true;
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return 0;
}

/*
 * The CPU lock.  vm->cpu_owner runs guest code; the tickets hand the CPU to the vCPUs in the order they asked for it.
 * A vCPU that has waited VMM_TCG_SLICE_NS asks the owner to yield: the owner's UC_HOOK_BLOCK hook (tcg_vcpu.c) stops
 * emulation at the start of its next translation block, where the PC is exact.  (uc_emu_stop from another thread
 * is not: Unicorn resumes from the start of the interrupted block, so instructions run twice, measured with `lock
 * inc` counts.)  So a vCPU spinning in guest code without exits cannot starve the one it waits for.
 */
void vmm_tcg_cpu_acquire(struct vmm_tcg_vcpu *vcpu)
{
	struct vmm_tcg_vm *vm = vcpu->vm;
	pthread_mutex_lock(&vm->lock);
	uint64_t ticket = vm->cpu_next_ticket++;
	while (vm->cpu_owner || vm->cpu_serving != ticket) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + VMM_TCG_SLICE_NS;
		ts.tv_sec += (time_t)(ns / 1000000000u);
		ts.tv_nsec = (long)(ns % 1000000000u);
		if (pthread_cond_timedwait(&vm->cpu_free, &vm->lock, &ts) == ETIMEDOUT && vm->cpu_owner &&
		    vm->cpu_serving == ticket)
			atomic_store(&vm->cpu_owner->yield, true);
	}
	vm->cpu_serving++;
	vm->cpu_owner = vcpu;
	pthread_mutex_unlock(&vm->lock);
}

void vmm_tcg_cpu_release(struct vmm_tcg_vcpu *vcpu)
{
	struct vmm_tcg_vm *vm = vcpu->vm;
	pthread_mutex_lock(&vm->lock);
	vm->cpu_owner = NULL;
	pthread_cond_broadcast(&vm->cpu_free);
	pthread_mutex_unlock(&vm->lock);
}

void vmm_tcg_vcpu_idle_begin(struct vmm_tcg_vcpu *vcpu, uint64_t ns)
{
	struct vmm_tcg_vm *vm = vcpu->vm;
	if (vm->deterministic)
		vcpu->tsc += ns;
	pthread_mutex_lock(&vm->lock);
	bool held = vm->cpu_owner == vcpu;
	pthread_mutex_unlock(&vm->lock);
	if (held)
		vmm_tcg_cpu_release(vcpu);
	vcpu->idle_released = held;
}

void vmm_tcg_vcpu_idle_end(struct vmm_tcg_vcpu *vcpu)
{
	if (vcpu->idle_released)
		vmm_tcg_cpu_acquire(vcpu);
	vcpu->idle_released = false;
}

void vmm_tcg_vcpu_request_stop(struct vmm_tcg_vcpu *vcpu)
{
	atomic_store(&vcpu->stop, true);
	atomic_store(&vcpu->yield, true); /* out of guest code at the next block (see the CPU lock) */
}

void vmm_tcg_vcpu_clear_stop(struct vmm_tcg_vcpu *vcpu)
{
	atomic_store(&vcpu->stop, false);
}

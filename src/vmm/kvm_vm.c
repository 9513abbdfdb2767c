/* SPDX-License-Identifier: MIT */
/*
 * The kvm backend's VM: /dev/kvm checks, RAM in memory slots, the MSR filter that sends the GHCB and SEV status
 * MSRs to userspace, the supported CPUID, and the probe that `--backend auto` uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/kvm_internal.h"

#define KVM_API_VERSION_EXPECTED 12 /* KVM_GET_API_VERSION has returned 12 since Linux 2.6.22 */
#define CPUID_MAX_ENTRIES	 1024u

void vmm_x86_reason(char *reason, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!reason || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, len, fmt, ap);
	va_end(ap);
}

/* ioctl that retries when a signal arrives before the kernel did anything. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static int check_config(const struct vmm_kvm_vm_config *cfg, uint64_t *ram, uint64_t *slot, char *reason, size_t len)
{
	*ram = cfg && cfg->ram_size ? cfg->ram_size : VMM_KVM_RAM_DEFAULT;
	*slot = cfg && cfg->slot_size ? cfg->slot_size : *ram;
	if (*ram < VMM_KVM_RAM_MIN || *ram > VMM_KVM_RAM_MAX || *ram % VMM_KVM_RAM_ALIGN) {
		vmm_x86_reason(reason, len, "kvm: RAM size %llu is not a multiple of 2 MiB in [4 MiB, 4 GiB]",
			       (unsigned long long)*ram);
		return -EINVAL;
	}
	if (*slot % VMM_KVM_RAM_ALIGN || *slot > *ram || (*ram + *slot - 1) / *slot > VMM_KVM_MAX_SLOTS) {
		vmm_x86_reason(reason, len, "kvm: slot size %llu is not a multiple of 2 MiB giving 1..%u slots",
			       (unsigned long long)*slot, VMM_KVM_MAX_SLOTS);
		return -EINVAL;
	}
	return 0;
}

/* Each capability the backend cannot run without, with what it is for. */
static const struct {
	long cap;
	const char *name;
} required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR (GHCB/SEV status MSR exits)"},
    {KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER (GHCB/SEV status MSR exits)"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT (stopping vCPUs)"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID (KVM_GET_SUPPORTED_CPUID)"},
};

static int open_kvm(const char *path, int *out, bool *sync_regs, char *reason, size_t len)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;
		vmm_x86_reason(reason, len, "kvm: cannot open %s: %s", path, strerror(e));
		return e == ENOENT ? -ENODEV : -e;
	}
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION_EXPECTED) {
		vmm_x86_reason(reason, len, "kvm: %s: KVM_GET_API_VERSION gives %d, need %d", path, v,
			       KVM_API_VERSION_EXPECTED);
		close(fd);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			vmm_x86_reason(reason, len, "kvm: /dev/kvm lacks %s", required_caps[i].name);
			close(fd);
			return -ENOTSUP;
		}
	}
	int sync = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	*sync_regs = sync > 0 && (sync & KVM_SYNC_X86_REGS);
	*out = fd;
	return 0;
}

static int set_memory(struct vmm_kvm_vm *vm, void *caller_ram, uint64_t slot_size, char *reason, size_t len)
{
	void *ram = caller_ram;
	if (!ram) {
		ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			   0);
		if (ram == MAP_FAILED) {
			int e = errno;
			vmm_x86_reason(reason, len, "kvm: cannot map %llu bytes of guest RAM: %s",
				       (unsigned long long)vm->ram_size, strerror(e));
			return -e;
		}
		vm->ram_owned = true;
	}
	vm->ram = ram;
	vm->slot_size = slot_size;
	for (uint64_t gpa = 0; gpa < vm->ram_size; gpa += slot_size) {
		uint64_t size = vm->ram_size - gpa < slot_size ? vm->ram_size - gpa : slot_size;
		struct kvm_userspace_memory_region region = {
		    .slot = vm->slots,
		    .guest_phys_addr = gpa,
		    .memory_size = size,
		    .userspace_addr = (uint64_t)(uintptr_t)(vm->ram + gpa),
		};
		int r = xioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
		if (r < 0) {
			vmm_x86_reason(reason, len, "kvm: KVM_SET_USER_MEMORY_REGION slot %u: %s", vm->slots,
				       strerror(-r));
			return r;
		}
		vm->slots++;
	}
	return 0;
}

/*
 * RDMSR/WRMSR of the GHCB MSR and the SEV status MSR exit to userspace: a filter range whose bitmap denies both
 * (bit clear = deny, KVM_X86_SET_MSR_FILTER) with KVM_MSR_EXIT_REASON_FILTER enabled turns the denial into
 * KVM_EXIT_X86_RDMSR/WRMSR instead of a #GP.  Every other MSR keeps KVM's handling.
 */
static int set_msr_filter(struct vmm_kvm_vm *vm, char *reason, size_t len)
{
	struct kvm_enable_cap cap = {.cap = KVM_CAP_X86_USER_SPACE_MSR, .args = {KVM_MSR_EXIT_REASON_FILTER}};
	int r = xioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap);
	if (r < 0) {
		vmm_x86_reason(reason, len, "kvm: enabling KVM_CAP_X86_USER_SPACE_MSR: %s", strerror(-r));
		return r;
	}
	uint8_t deny = 0;
	struct kvm_msr_filter filter = {.flags = KVM_MSR_FILTER_DEFAULT_ALLOW};
	_Static_assert(MSR_AMD64_SEV == MSR_AMD64_SEV_ES_GHCB + 1, "one range of two MSRs");
	filter.ranges[0] = (struct kvm_msr_filter_range){
	    .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
	    .nmsrs = 2,
	    .base = MSR_AMD64_SEV_ES_GHCB,
	    .bitmap = &deny,
	};
	r = xioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &filter);
	if (r < 0)
		vmm_x86_reason(reason, len, "kvm: KVM_X86_SET_MSR_FILTER: %s", strerror(-r));
	return r;
}

static int get_supported_cpuid(struct vmm_kvm_vm *vm, char *reason, size_t len)
{
	for (uint32_t n = 64; n <= CPUID_MAX_ENTRIES; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		int r = xioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (r == 0) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (r != -E2BIG) {
			vmm_x86_reason(reason, len, "kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(-r));
			return r;
		}
	}
	vmm_x86_reason(reason, len, "kvm: KVM_GET_SUPPORTED_CPUID needs more than %u entries", CPUID_MAX_ENTRIES);
	return -E2BIG;
}

static void vm_free(struct vmm_kvm_vm *vm)
{
	free(vm->cpuid);
	if (vm->ram && vm->ram_owned)
		munmap(vm->ram, vm->ram_size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm);
}

int vmm_kvm_vm_create(const struct vmm_kvm_vm_config *cfg, struct vmm_kvm_vm **out, char *reason, size_t len)
{
	uint64_t ram_size, slot_size;
	int r = check_config(cfg, &ram_size, &slot_size, reason, len);
	if (r < 0)
		return r;

	struct vmm_kvm_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->ram_size = ram_size;
	r = open_kvm(cfg && cfg->dev_path ? cfg->dev_path : "/dev/kvm", &vm->kvm_fd, &vm->sync_regs, reason, len);
	if (r < 0)
		goto fail;
	r = xioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (r < 0) {
		vmm_x86_reason(reason, len, "kvm: KVM_CREATE_VM: %s", strerror(-r));
		goto fail;
	}
	vm->vm_fd = r;
	r = set_memory(vm, cfg ? cfg->ram : NULL, slot_size, reason, len);
	if (r < 0)
		goto fail;
	r = set_msr_filter(vm, reason, len);
	if (r < 0)
		goto fail;
	r = xioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (r < (int)sizeof(struct kvm_run)) {
		vmm_x86_reason(reason, len, "kvm: KVM_GET_VCPU_MMAP_SIZE: %d", r);
		r = r < 0 ? r : -EINVAL;
		goto fail;
	}
	vm->run_size = (size_t)r;
	r = get_supported_cpuid(vm, reason, len);
	if (r < 0)
		goto fail;
	r = vmm_vcpu_ids_init(&vm->ids);
	if (r < 0)
		goto fail;
	vmm_kvm_x86_build_system_area(vm->ram, vm->ram_size);
	*out = vm;
	return 0;
fail:
	vm_free(vm);
	return r;
}

int vmm_kvm_vm_destroy(struct vmm_kvm_vm *vm)
{
	if (!vm)
		return 0;
	int r = vmm_vcpu_ids_fini(&vm->ids);
	if (r < 0)
		return r;
	vm_free(vm);
	return 0;
}

uint64_t vmm_kvm_ram_size(const struct vmm_kvm_vm *vm)
{
	return vm->ram_size;
}

unsigned int vmm_kvm_slot_count(const struct vmm_kvm_vm *vm)
{
	return vm->slots;
}

void *vmm_kvm_gpa(struct vmm_kvm_vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

int vmm_kvm_default_sregs(const struct vmm_kvm_vm *vm, uint32_t id, struct vmm_sregs *sregs)
{
	(void)vm;
	if (id >= VMM_KVM_MAX_VCPUS)
		return -EINVAL;
	vmm_kvm_x86_default_sregs(id, sregs);
	return 0;
}

int vmm_kvm_user_sregs(const struct vmm_kvm_vm *vm, uint32_t id, struct vmm_sregs *sregs)
{
	int r = vmm_kvm_default_sregs(vm, id, sregs);
	if (r == 0)
		vmm_kvm_x86_user_segments(sregs);
	return r;
}

/* Runs the probe guest on vcpu: expects the SEV status RDMSR, answers it, expects the value back on the exit port. */
static int probe_run(struct vmm_kvm_vcpu *vcpu, char *reason, size_t len)
{
	const uint32_t answer = 0x5A5A0007u;
	struct vmm_kvm_exit exit;
	char what[VMM_KVM_REASON_LEN];

	int r = vmm_kvm_vcpu_run(vcpu, &exit);
	if (r < 0) {
		vmm_x86_reason(reason, len, "kvm: KVM_RUN: %s", strerror(-r));
		return r;
	}
	if (exit.kind != VMM_KVM_EXIT_RDMSR || exit.msr.index != MSR_AMD64_SEV) {
		vmm_kvm_exit_describe(&exit, what, sizeof(what));
		vmm_x86_reason(reason, len, "kvm: probe guest: expected the SEV status RDMSR exit, got %s", what);
		return -ENOTSUP;
	}
	vmm_kvm_complete_rdmsr(vcpu, answer);
	r = vmm_kvm_vcpu_run(vcpu, &exit);
	if (r < 0) {
		vmm_x86_reason(reason, len, "kvm: KVM_RUN: %s", strerror(-r));
		return r;
	}
	if (exit.kind != VMM_KVM_EXIT_IO || exit.io.port != SNPEMU_PORT_EXIT || exit.io.value != answer) {
		vmm_kvm_exit_describe(&exit, what, sizeof(what));
		vmm_x86_reason(reason, len, "kvm: probe guest: expected OUT 0x%x to port 0x%x, got %s", answer,
			       SNPEMU_PORT_EXIT, what);
		return -ENOTSUP;
	}
	return 0;
}

int vmm_kvm_probe(char *reason, size_t len)
{
	struct vmm_kvm_vm_config cfg = {.ram_size = VMM_KVM_RAM_MIN};
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_vcpu *vcpu;
	size_t code_len;
	const uint8_t *code = vmm_kvm_x86_probe_code(&code_len);

	vmm_x86_reason(reason, len, "kvm: usable");
	int r = vmm_kvm_vm_create(&cfg, &vm, reason, len);
	if (r < 0)
		return r;
	memcpy(vmm_kvm_gpa(vm, VMM_KVM_PROBE_GPA, code_len), code, code_len);
	r = vmm_kvm_vcpu_create_at(vm, 0, VMM_KVM_PROBE_GPA, 0, &vcpu);
	if (r < 0) {
		vmm_x86_reason(reason, len, "kvm: creating a vCPU: %s", strerror(-r));
	} else {
		r = probe_run(vcpu, reason, len);
		vmm_kvm_vcpu_destroy(vcpu);
	}
	vmm_kvm_vm_destroy(vm);
	return r;
}

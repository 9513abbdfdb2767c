/* SPDX-License-Identifier: MIT */
/* VM set-up and tear-down: guest RAM, firmware platform and guest context, the engine VM and its policy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/run.h>

#include "vmm/vmm_internal.h"

uint64_t vmm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vmm_thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The engine asks whether the host may touch guest memory: only shared pages (rule 3). */
static int host_access(void *ctx, uint64_t gpa, uint64_t len)
{
	struct vmm_vm *vm = ctx;
	if (!fw_rmp_host_may_access(fw_guest_rmp(vm->fw_guest), gpa, len, NULL))
		return -EACCES;
	/* The engine writes guest memory through its own slot mapping (GHCB responses, scratch areas, guest-request
	 * responses), which KVM's dirty log does not see: every range it may touch counts as written (dirty_vmm.c). */
	vmm_dirty_mark(vm, gpa, len);
	return 0;
}

/* MSRs the VMM lets the engine answer; everything else exits to the VMM (exits.c). */
static const struct hv_msr_rule msr_rules[] = {
    {0x00000010, 0x00000010, HV_MSR_EXIT, 0},  /* TSC */
    {0xC0000103, 0xC0000103, HV_MSR_CONST, 0}, /* TSC_AUX: reads 0, writes #GP */
};

int vmm_platform_config(const struct vmm_config *cfg, struct fw_platform_config *pc)
{
	static const uint8_t default_seed[] = "snpemu default platform seed";
	fw_platform_config_default(pc, cfg->product);
	if (cfg->report_version)
		pc->report_version = cfg->report_version;
	int rc = cfg->seed_len ? fw_platform_config_seed(pc, cfg->seed, cfg->seed_len)
			       : fw_platform_config_seed(pc, default_seed, sizeof(default_seed) - 1);
	if (!rc && cfg->amd_seed_len)
		rc = fw_platform_config_amd_seed(pc, cfg->amd_seed, cfg->amd_seed_len);
	return rc;
}

int vmm_vm_init(struct vmm_vm *vm, const struct vmm_config *cfg, struct vmm_result *res)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->res = res;
	vm->out = cfg->out ? cfg->out : stdout;
	vm->msg = cfg->msg ? cfg->msg : vm->out;
	vm->err = cfg->err ? cfg->err : stderr;
	vm->mem_size = cfg->mem_size ? cfg->mem_size : 64ull << 20;
	vm->nvcpus = cfg->vcpus ? cfg->vcpus : 1;
	vm->snp = cfg->vm_type != HV_VM_TYPE_SEV_ES;
	if (!vm->cfg.policy)
		vm->cfg.policy = 0x30000;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);

	if (!(vm->program = cfg->program) || !vm->program->name) {
		fprintf(vm->err, "snpemu: no guest program to run\n");
		return -EINVAL;
	}
	if (vm->nvcpus > SNPEMU_MAX_VCPUS) {
		fprintf(vm->err, "snpemu: --vcpus %u is more than %u\n", vm->nvcpus, SNPEMU_MAX_VCPUS);
		return -EINVAL;
	}
	if (vm->mem_size < SNPEMU_MIN_MEM || vm->mem_size % (2ull << 20) || vm->mem_size > (64ull << 30)) {
		fprintf(vm->err, "snpemu: memory size %llu must be a multiple of 2 MiB between 32 MiB and 64 GiB\n",
			(unsigned long long)vm->mem_size);
		return -EINVAL;
	}
	if (cfg->vm_type && cfg->vm_type != HV_VM_TYPE_SNP && cfg->vm_type != HV_VM_TYPE_SEV_ES)
		return -EINVAL;

	if (vmm_mem_map(vm)) {
		fprintf(vm->err, "snpemu: cannot reserve %llu bytes of guest memory\n",
			(unsigned long long)vm->mem_size);
		return -ENOMEM;
	}

	struct hv_vm_config hc = {
	    .type = vm->snp ? HV_VM_TYPE_SNP : HV_VM_TYPE_SEV_ES,
	    .ghcb_version = 2,
	    .cbit = 51,
	    .sev_features = vm->snp ? 0x1 : 0,
	};
	int rc = hv_vm_create(&hc, &vm->hv);
	if (rc)
		return rc;
	rc = hv_vm_add_memslot(vm->hv, 0, 0, vm->mem_size, vm->mem);
	if (rc)
		return rc;
	if ((rc = hv_vm_set_msr_policy(vm->hv, msr_rules, sizeof(msr_rules) / sizeof(msr_rules[0]), HV_MSR_EXIT)) ||
	    (rc = hv_vm_enable_hypercall_exits(vm->hv, hv_check_extension(HV_CAP_EXIT_HYPERCALL))))
		return rc;

	if (vm->snp) {
		struct fw_platform_config pc;
		rc = vmm_platform_config(cfg, &pc);
		if (rc)
			return rc;
		if ((rc = fw_platform_create(&pc, &vm->fw_platform)) ||
		    (rc = fw_guest_create(vm->fw_platform, vm->mem_size, &vm->fw_guest)))
			return rc;
		if ((rc = hv_vm_set_host_access(vm->hv, host_access, vm)))
			return rc;
		if ((rc = vmm_vm_init_snp(vm)))
			return rc;
	}
	struct hv_cpuid_entry t[64];
	size_t n = vmm_cpuid_table(t, 64, vm->snp, vm->nvcpus, vmm_cpuid_fms(vm));
	return hv_vm_set_cpuid(vm->hv, t, n);
}

uint32_t vmm_cpuid_fms(const struct vmm_vm *vm)
{
	return vm->fw_platform ? fw_platform_config(vm->fw_platform)->cpuid_fms : SNP_CPUID_GENOA | 1;
}

void vmm_vm_stop(struct vmm_vm *vm, int status)
{
	vmm_vm_stop_for(vm, &(struct vmm_stop){.status = status});
}

void vmm_vm_stop_for(struct vmm_vm *vm, const struct vmm_stop *why)
{
	pthread_mutex_lock(&vm->lock);
	/* The first stop wins, with all of its reason: status and reason are one record. */
	if (!vm->stopped) {
		vm->stop = *why;
		vm->stopped = true;
	}
	atomic_store(&vm->stopping, true);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void vmm_vm_fini(struct vmm_vm *vm)
{
	vmm_vm_fini_snp(vm);
	for (uint32_t i = 0; i < SNPEMU_MAX_VCPUS; i++) {
		hv_vcpu_destroy(vm->vcpus[i].hv);
		free(vm->vcpus[i].trace);
	}
	hv_vm_destroy(vm->hv);
	fw_guest_destroy(vm->fw_guest);
	fw_platform_destroy(vm->fw_platform);
	vmm_mem_unmap(vm);
	free(vm->vmm_dirty);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
}

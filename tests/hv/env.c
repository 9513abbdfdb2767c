/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/msr_proto.h>

#include "env.h"

static int env_host_access(void *ctx, uint64_t gpa, uint64_t len)
{
	struct env *e = ctx;
	if (e->priv_on && gpa < PRIV_GPA + 4096 && PRIV_GPA < gpa + len)
		return -EACCES;
	return 0;
}

int env_init(struct env *e, uint32_t type, uint16_t ghcb_version, unsigned int opts)
{
	memset(e, 0, sizeof(*e));
	struct hv_vm_config cfg = {.type = type,
				   .ghcb_version = ghcb_version,
				   .cbit = 51,
				   .flags = (opts & ENV_UNGATED) ? HV_VM_FLAG_MAP_GPA_RANGE_UNGATED : 0,
				   .sev_features = (opts & ENV_SEV_FEATURES) ? ENV_SEV_FEATURES_VALUE : 0};
	int r = hv_vm_create(&cfg, &e->vm);
	if (r)
		return r;
	e->mem = aligned_alloc(4096, ENV_MEM_SIZE);
	if (!e->mem)
		return -ENOMEM;
	memset(e->mem, 0, ENV_MEM_SIZE);
	if ((r = hv_vm_add_memslot(e->vm, 0, 0, ENV_MEM_SIZE, e->mem)))
		return r;
	if ((r = hv_vm_set_host_access(e->vm, env_host_access, e)))
		return r;
	const struct hv_cpuid_entry cpuid[] = {
	    {.function = 0, .eax = 0xD, .ebx = 0x68747541, .ecx = 0x444D4163, .edx = 0x69746E65},
	    {.function = 1, .eax = 0x00A10F11, .ebx = 0x00010800, .ecx = 0x76F8320B, .edx = 0x178BFBFF},
	    {.function = 0xD,
	     .index = 0,
	     .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX,
	     .eax = 0xE7,
	     .ebx = 0x240,
	     .ecx = 0xA88},
	    {.function = 0xD, .index = 1, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 0xF, .ebx = 0x240},
	    {.function = 0xD, .index = 2, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 256, .ebx = 576},
	    {.function = 0xD, .index = 5, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 64, .ebx = 832, .ecx = 2},
	    {.function = 0xD, .index = 6, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 512, .ebx = 896, .ecx = 2},
	    {.function = 0xD, .index = 7, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 1024, .ebx = 1408, .ecx = 2},
	    {.function = 0xD, .index = 11, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 16, .ecx = 1},
	    {.function = 0x40000000, .eax = 0x40000001, .ebx = 0x4B4D564B, .ecx = 0x564B4D56, .edx = 0x4D},
	    {.function = 0x40000001, .eax = (opts & ENV_CPUID_PV) ? (1u << 16) : 0},
	    {.function = 0x8000001F, .eax = 0x1B, .ebx = 0x33},
	};
	if ((r = hv_vm_set_cpuid(e->vm, cpuid, sizeof(cpuid) / sizeof(cpuid[0]))))
		return r;
	if ((opts & ENV_HC_ENABLE) && (r = hv_vm_enable_hypercall_exits(e->vm, HV_HYPERCALL_EXIT_VALID_MASK)))
		return r;
	if ((r = hv_vcpu_create(e->vm, 0, &e->vcpu)))
		return r;
	e->run = hv_vcpu_run(e->vcpu);
	if (type == HV_VM_TYPE_SNP) {
		/* An SNP guest registers its GHCB before its first NAE (GHCB spec §2.3.2; spec §1 step 5). */
		if ((r = hv_vcpu_set_ghcb_msr(e->vcpu, ghcb_msr_reg_gpa_req(GHCB_GPA >> 12))))
			return r;
		if (hv_vcpu_vmgexit(e->vcpu) != 1 ||
		    hv_vcpu_get_ghcb_msr(e->vcpu) != ghcb_msr_reg_gpa_resp(GHCB_GPA >> 12))
			return -EPROTO;
	}
	return hv_vcpu_set_ghcb_msr(e->vcpu, GHCB_GPA);
}

void env_fini(struct env *e)
{
	hv_vcpu_destroy(e->vcpu);
	hv_vm_destroy(e->vm);
	free(e->mem);
	memset(e, 0, sizeof(*e));
}

struct ghcb *env_ghcb(struct env *e)
{
	return (struct ghcb *)(e->mem + GHCB_GPA);
}

void env_nae(struct env *e, uint64_t code, uint64_t info1, uint64_t info2)
{
	struct ghcb *g = env_ghcb(e);
	memset(g, 0, sizeof(*g));
	ghcb_set_sw_exit_code(g, code);
	ghcb_set_sw_exit_info_1(g, info1);
	ghcb_set_sw_exit_info_2(g, info2);
}

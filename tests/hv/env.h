/* SPDX-License-Identifier: MIT */
/* Test environment for the engine: one VM, one vCPU, 1 MiB of guest memory at GPA 0, a GHCB at GHCB_GPA. */
#ifndef SNPEMU_TESTS_HV_ENV_H
#define SNPEMU_TESTS_HV_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/hv.h>

#define ENV_MEM_SIZE	       (1u << 20)
#define GHCB_GPA	       0x1000ull
#define SHBUF_GPA	       (GHCB_GPA + GHCB_OFF_SHARED_BUFFER)
#define OUT_GPA		       0x10000ull    /* scratch outside the GHCB */
#define PRIV_GPA	       0x80000ull    /* private while env.priv_on */
#define UNBACKED_GPA	       0x40000000ull /* no slot */
#define ENV_CPUID_PV	       (1u << 0)     /* advertise KVM_FEATURE_HC_MAP_GPA_RANGE */
#define ENV_HC_ENABLE	       (1u << 1)     /* enable HYPERCALL exits for nr 12 */
#define ENV_SEV_FEATURES       (1u << 2)     /* create the VM with sev_features = ENV_SEV_FEATURES_VALUE */
#define ENV_SEV_FEATURES_VALUE 0x1ull	     /* SEV_FEATURES.SNPActive */
#define ENV_UNGATED	       (1u << 3)     /* HV_VM_FLAG_MAP_GPA_RANGE_UNGATED: no PV CPUID gate (mainline KVM) */

struct env {
	struct hv_vm *vm;
	struct hv_vcpu *vcpu;
	struct snpemu_run *run;
	uint8_t *mem;
	bool priv_on;
};

/* Create VM (type, ghcb_version, cbit 51), slot 0 = mem, CPUID table, hook; vCPU 0 with the GHCB MSR at GHCB_GPA
 * (registered with REG_GPA on SNP VMs). */
int env_init(struct env *e, uint32_t type, uint16_t ghcb_version, unsigned int opts);
void env_fini(struct env *e);
struct ghcb *env_ghcb(struct env *e);
/* Reset the GHCB page and fill the exit code and infos (all three marked valid). */
void env_nae(struct env *e, uint64_t code, uint64_t info1, uint64_t info2);

#endif

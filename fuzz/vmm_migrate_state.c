/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the parsers of the migration stream's VMM and engine sections, every one fed bytes from the peer: CONFIG
 * and VCPU (src/vmm/migrate_state.c), the back channel's message header, and the engine's VM and vCPU state
 * (hv_vm_state_import / hv_vcpu_state_import into a live engine VM).  The first byte picks the parser.  A decode
 * that succeeds must re-encode to the same bytes (one field walk for both directions), and a refused import must
 * leave the engine as it was: its export is compared before and after.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/hv.h>

#include "vmm/migrate_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hv_vm *vm;
static struct hv_vcpu *vcpu;

static void engine(void)
{
	if (vm)
		return;
	struct hv_vm_config c = {.type = HV_VM_TYPE_SNP, .ghcb_version = 2, .cbit = 51, .sev_features = 1};
	if (hv_vm_create(&c, &vm) || hv_vcpu_create(vm, 0, &vcpu))
		abort();
}

static void config(const uint8_t *data, size_t size)
{
	struct vmm_mig_config c;
	uint8_t out[VMM_MIG_CONFIG_SIZE];
	size_t len = 0;
	char why[128];
	if (vmm_mig_config_decode(data, size, &c, why, sizeof(why)))
		return;
	if (vmm_mig_config_encode(&c, out, sizeof(out), &len) || len != size || memcmp(out, data, size))
		abort();
}

static void vcpu_section(const uint8_t *data, size_t size)
{
	struct vmm_vcpu_state st;
	const uint8_t *eng = NULL;
	uint8_t out[VMM_MIG_VCPU_SIZE];
	size_t len = 0;
	char why[128];
	if (vmm_mig_vcpu_decode(data, size, SNPEMU_MAX_VCPUS, &st, &eng, why, sizeof(why)))
		return;
	if (eng != data + VMM_MIG_VCPU_REGS_SIZE || st.id >= SNPEMU_MAX_VCPUS ||
	    vmm_mig_vcpu_encode(&st, eng, HV_VCPU_STATE_SIZE, out, sizeof(out), &len) || len != size ||
	    memcmp(out, data, size))
		abort();
}

/* A refused import changes nothing: the vCPU state exports the same bytes before and after. */
static void engine_vcpu(const uint8_t *data, size_t size)
{
	uint8_t before[HV_VCPU_STATE_SIZE], after[HV_VCPU_STATE_SIZE];
	size_t a = 0, b = 0;
	engine();
	if (hv_vcpu_state_export(vcpu, before, sizeof(before), &a))
		abort();
	int rc = hv_vcpu_state_import(vcpu, data, size);
	if (hv_vcpu_state_export(vcpu, after, sizeof(after), &b) || a != b)
		abort();
	if (rc && memcmp(before, after, a))
		abort();
	hv_vcpu_reset(vcpu);
}

static void engine_vm(const uint8_t *data, size_t size)
{
	uint8_t out[HV_VM_STATE_MAX];
	size_t len = 0;
	engine();
	if (hv_vm_state_import(vm, data, size) == 0 && hv_vm_state_export(vm, out, sizeof(out), &len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t len = 0;
	switch (data[0] % 5) {
	case 0:
		config(data + 1, size - 1);
		break;
	case 1:
		vcpu_section(data + 1, size - 1);
		break;
	case 2:
		if (size - 1 >= VMM_MIG_MSG_HDR_SIZE &&
		    vmm_mig_msg_check(data + 1, data[0] & 8 ? VMM_MIG_MSG_OFFER : VMM_MIG_MSG_RESULT, &len) == 0 &&
		    (len == 0 || len > FW_MIGRATE_MSG_MAX))
			abort();
		break;
	case 3:
		engine_vcpu(data + 1, size - 1);
		break;
	default:
		engine_vm(data + 1, size - 1);
		break;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The engine's state for live migration (hv.h, "Live migration"): what one engine exports another imports and
 * then behaves alike (the registered GHCB, the rate-limit bucket with its level, the AP state, the statistics);
 * the checks of an import (version, length, VM type, SEV features, flags) refuse with -EPROTO and change
 * nothing; a vCPU with an exit in flight cannot be exported, one held in AP reset hold can.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>

#include "env.h"

#define GR_GENERIC SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_GENERIC, 0)
#define GR_BUSY	   SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0)

static uint64_t fake_ns = 1000000000ull;
static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_ns;
}

static uint64_t request(struct env *e)
{
	env_nae(e, SVM_VMGEXIT_GUEST_REQUEST, 0x2000, 0x3000);
	assert_int_equal(hv_vcpu_vmgexit(e->vcpu), 1);
	return ghcb_get_sw_exit_info_2(env_ghcb(e));
}

static void reg_gpa(struct env *e)
{
	assert_int_equal(hv_vcpu_set_ghcb_msr(e->vcpu, ghcb_msr_reg_gpa_req(GHCB_GPA >> 12)), 0);
	assert_int_equal(hv_vcpu_vmgexit(e->vcpu), 1);
	assert_int_equal(hv_vcpu_set_ghcb_msr(e->vcpu, GHCB_GPA), 0);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct env a, b;
	uint8_t vm_state[HV_VM_STATE_MAX], vcpu_state[HV_VCPU_STATE_SIZE], again[HV_VCPU_STATE_SIZE];
	size_t vm_len = 0, vcpu_len = 0, len = 0;
	assert_int_equal(env_init(&a, HV_VM_TYPE_SNP, 2, ENV_SEV_FEATURES | ENV_HC_ENABLE), 0);
	assert_int_equal(env_init(&b, HV_VM_TYPE_SNP, 2, ENV_SEV_FEATURES), 0);
	assert_int_equal(hv_vm_set_clock(a.vm, fake_clock, NULL), 0);
	assert_int_equal(hv_vm_set_clock(b.vm, fake_clock, NULL), 0);
	/* A: the GHCB registered, a bucket of 2 at 1 request/s with one token left. */
	reg_gpa(&a);
	assert_int_equal(hv_vm_set_guest_req_limit(a.vm, 1, 2), 0);
	assert_int_equal(request(&a), GR_GENERIC);
	assert_int_equal(hv_vm_state_export(a.vm, vm_state, sizeof(vm_state), &vm_len), 0);
	assert_int_equal(hv_vcpu_state_export(a.vcpu, vcpu_state, sizeof(vcpu_state), &vcpu_len), 0);
	assert_int_equal(vcpu_len, HV_VCPU_STATE_SIZE);
	assert_int_equal(hv_vm_state_export(a.vm, vm_state, 8, &len), -ENOSPC);

	/* B before: its GHCB not registered, so a NAE is refused; after: it goes through, as on A. */
	assert_int_equal(hv_vm_state_import(b.vm, vm_state, vm_len), 0);
	assert_int_equal(hv_vcpu_state_import(b.vcpu, vcpu_state, vcpu_len), 0);
	assert_int_equal(hv_vcpu_get_ghcb_msr(b.vcpu), GHCB_GPA);
	assert_int_equal(hv_vcpu_state_export(b.vcpu, again, sizeof(again), &len), 0);
	assert_memory_equal(again, vcpu_state, HV_VCPU_STATE_SIZE);
	/* The bucket came with its level: one request admitted, then BUSY, until a second has passed. */
	assert_int_equal(request(&b), GR_GENERIC);
	assert_int_equal(request(&b), GR_BUSY);
	fake_ns += 1000000000ull;
	assert_int_equal(request(&b), GR_GENERIC);
	/* The statistics went along: B counts A's request and its own. */
	struct hv_exit_stat st[64];
	size_t n = hv_vm_get_stats(b.vm, st, 64);
	uint64_t total = 0;
	for (size_t i = 0; i < n && i < 64; i++)
		total += st[i].count;
	assert_true(total >= 5); /* A: REG_GPA, a request; B: three requests */
	env_fini(&a);
	env_fini(&b);
}

static void test_refused(void **state)
{
	(void)state;
	struct env snp, es;
	uint8_t vm_state[HV_VM_STATE_MAX], vcpu_state[HV_VCPU_STATE_SIZE], bad[HV_VM_STATE_MAX];
	size_t vm_len = 0, vcpu_len = 0;
	assert_int_equal(env_init(&snp, HV_VM_TYPE_SNP, 2, ENV_SEV_FEATURES), 0);
	assert_int_equal(env_init(&es, HV_VM_TYPE_SEV_ES, 2, 0), 0);
	assert_int_equal(hv_vm_state_export(snp.vm, vm_state, sizeof(vm_state), &vm_len), 0);
	assert_int_equal(hv_vcpu_state_export(snp.vcpu, vcpu_state, sizeof(vcpu_state), &vcpu_len), 0);
	/* another VM type */
	assert_int_equal(hv_vm_state_import(es.vm, vm_state, vm_len), -EPROTO);
	/* truncated, too long, another version */
	assert_int_equal(hv_vm_state_import(snp.vm, vm_state, vm_len - 1), -EPROTO);
	memcpy(bad, vm_state, vm_len);
	bad[vm_len] = 0;
	assert_int_equal(hv_vm_state_import(snp.vm, bad, vm_len + 1), -EPROTO);
	bad[0] = 2;
	assert_int_equal(hv_vm_state_import(snp.vm, bad, vm_len), -EPROTO);
	assert_int_equal(hv_vcpu_state_import(snp.vcpu, vcpu_state, vcpu_len - 1), -EPROTO);
	memcpy(bad, vcpu_state, vcpu_len);
	bad[16] |= 0x80; /* an unknown flag */
	assert_int_equal(hv_vcpu_state_import(snp.vcpu, bad, vcpu_len), -EPROTO);
	memcpy(bad, vcpu_state, vcpu_len);
	bad[4] = 7; /* another vCPU's state */
	assert_int_equal(hv_vcpu_state_import(snp.vcpu, bad, vcpu_len), -EINVAL);
	/* A vCPU with an exit in flight is not at a pause point; one held in AP reset hold is. */
	assert_int_equal(hv_vcpu_set_ghcb_msr(snp.vcpu, GHCB_MSR_AP_RESET_HOLD_REQ), 0);
	assert_int_equal(hv_vcpu_vmgexit(snp.vcpu), 0);
	assert_int_equal(hv_vcpu_state_export(snp.vcpu, vcpu_state, sizeof(vcpu_state), &vcpu_len), 0);
	assert_int_equal(hv_vcpu_state_import(es.vcpu, vcpu_state, vcpu_len), 0);
	assert_int_equal(hv_vcpu_run(es.vcpu)->exit_reason, SNPEMU_EXIT_AP_RESET_HOLD);
	hv_vcpu_reset(snp.vcpu);
	/* an RDMSR the engine has no rule for: an exit to the VMM, in flight */
	reg_gpa(&snp);
	env_nae(&snp, SVM_EXIT_MSR, 0, 0);
	ghcb_set_rcx(env_ghcb(&snp), 0x1234);
	assert_int_equal(hv_vcpu_vmgexit(snp.vcpu), 0);
	assert_int_equal(hv_vcpu_state_export(snp.vcpu, vcpu_state, sizeof(vcpu_state), &vcpu_len), -EBUSY);
	env_fini(&snp);
	env_fini(&es);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("hv/state", tests, NULL, NULL);
}

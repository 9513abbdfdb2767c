/* SPDX-License-Identifier: MIT */
/*
 * SNP parts of the engine's API (hv.h): argument checks, the token bucket's exact arithmetic on a controlled clock
 * (admission seen through guest requests with no firmware attached: admitted = GENERIC, refused = BUSY), the
 * page-state helpers for a VMM whose map is the firmware RMP (PSC and MAP_GPA_RANGE exits applied, then the
 * engine's host access follows), and the AP-creation state accessors.
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
#include <snpemu/fw.h>

#include "env.h"

#define GR_GENERIC SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_GENERIC, 0)
#define GR_BUSY	   SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0)

static uint64_t fake_ns;
static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_ns;
}

/* One GUEST_REQUEST with no firmware: GENERIC if admitted, BUSY if refused by the rate limit. */
static uint64_t request(struct env *e)
{
	env_nae(e, SVM_VMGEXIT_GUEST_REQUEST, 0x2000, 0x3000);
	assert_int_equal(hv_vcpu_vmgexit(e->vcpu), 1);
	assert_int_equal(ghcb_get_sw_exit_info_1(env_ghcb(e)), 0);
	return ghcb_get_sw_exit_info_2(env_ghcb(e));
}

static void test_config_checks(void **state)
{
	(void)state;
	struct env e;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SEV_ES, 0, 0), 0);
	assert_int_equal(hv_vm_set_firmware(e.vm, NULL), -EINVAL); /* SEV-ES VM */
	env_fini(&e);
	assert_int_equal(env_init(&e, HV_VM_TYPE_SNP, 0, 0), 0);
	assert_int_equal(hv_vm_set_firmware(NULL, NULL), -EINVAL);
	assert_int_equal(hv_vm_set_firmware(e.vm, NULL), 0);
	assert_int_equal(hv_vm_set_guest_req_limit(e.vm, 10, 0), -EINVAL);
	assert_int_equal(hv_vm_set_guest_req_limit(e.vm, HV_GUEST_REQ_LIMIT_MAX + 1, 1), -EINVAL);
	assert_int_equal(hv_vm_set_guest_req_limit(e.vm, 1, HV_GUEST_REQ_LIMIT_MAX + 1), -EINVAL);
	assert_int_equal(hv_vm_set_guest_req_limit(NULL, 0, 0), -EINVAL);
	assert_int_equal(hv_vm_set_guest_req_limit(e.vm, 0, 0), 0);
	assert_int_equal(hv_vm_set_clock(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(hv_vm_enable_req_certs(NULL, 1), -EINVAL);
	assert_int_equal(hv_vm_set_ap_handler(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(hv_vcpu_ap_take_update(NULL, &(struct hv_ap_update){0}), -EINVAL);
	assert_int_equal(hv_vcpu_ap_take_update(e.vcpu, NULL), -EINVAL);
	assert_int_equal(hv_vcpu_snp_vmsa(NULL, NULL), -EINVAL);
	assert_int_equal(hv_vcpu_snp_vmsa(e.vcpu, NULL), 0);
	/* The default is unlimited (as KVM): a burst of requests is never BUSY. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(request(&e), GR_GENERIC);
	env_fini(&e);
}

static void test_token_bucket(void **state)
{
	(void)state;
	struct env e;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SNP, 0, 0), 0);
	fake_ns = 10000000000ull; /* 10 s */
	assert_int_equal(hv_vm_set_clock(e.vm, fake_clock, NULL), 0);
	assert_int_equal(hv_vm_set_guest_req_limit(e.vm, 10, 3), 0);
	/* Starts full: the burst passes, then refused. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(request(&e), GR_GENERIC);
	assert_int_equal(request(&e), GR_BUSY);
	/* 10/s: one token per 100 ms, not before. */
	fake_ns += 99999999;
	assert_int_equal(request(&e), GR_BUSY);
	fake_ns += 1;
	assert_int_equal(request(&e), GR_GENERIC);
	assert_int_equal(request(&e), GR_BUSY);
	/* Refused attempts do not cost tokens: 250 ms later, two pass. */
	fake_ns += 250000000;
	assert_int_equal(request(&e), GR_GENERIC);
	assert_int_equal(request(&e), GR_GENERIC);
	assert_int_equal(request(&e), GR_BUSY);
	/* A clock stepping back adds nothing (and does not wrap). */
	fake_ns -= 500000000;
	assert_int_equal(request(&e), GR_BUSY);
	assert_int_equal(hv_vm_guest_req_refused(e.vm), 5); /* every BUSY answer so far */
	/* A very long idle time fills the bucket to the burst, no more, without overflow. */
	fake_ns = ~0ull - 5;
	for (int i = 0; i < 3; i++)
		assert_int_equal(request(&e), GR_GENERIC);
	assert_int_equal(request(&e), GR_BUSY);
	/* Reconfiguring refills; rate 0 removes the limit. */
	assert_int_equal(hv_vm_set_guest_req_limit(e.vm, 1, 1), 0);
	assert_int_equal(request(&e), GR_GENERIC);
	assert_int_equal(request(&e), GR_BUSY);
	assert_int_equal(hv_vm_set_guest_req_limit(e.vm, 0, 0), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(request(&e), GR_GENERIC);
	/* Back to the real clock. */
	assert_int_equal(hv_vm_set_clock(e.vm, NULL, NULL), 0);
	env_fini(&e);
}

/* A fractional rate (0.5/s: one request every 2 s) is honoured exactly, including across many short refills. */
static void test_token_bucket_fractional(void **state)
{
	(void)state;
	struct env e;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SNP, 0, 0), 0);
	fake_ns = 10000000000ull;
	assert_int_equal(hv_vm_set_clock(e.vm, fake_clock, NULL), 0);
	assert_int_equal(hv_vm_set_guest_req_limit_milli(e.vm, 500, 1), 0);
	assert_int_equal(request(&e), GR_GENERIC);
	assert_int_equal(request(&e), GR_BUSY);
	/* 1 s later: half a token, still refused (a 1/s bucket would admit here). */
	fake_ns += 1000000000ull;
	assert_int_equal(request(&e), GR_BUSY);
	/* Refills of 1 ns each add up to the same 2 s, with nothing lost to rounding. */
	for (int i = 0; i < 999; i++) {
		fake_ns += 1000000ull - 1;
		assert_int_equal(request(&e), GR_BUSY);
	}
	fake_ns += 1000000000ull - 999ull * (1000000ull - 1) - 1;
	assert_int_equal(request(&e), GR_BUSY);
	fake_ns += 1;
	assert_int_equal(request(&e), GR_GENERIC);
	assert_int_equal(request(&e), GR_BUSY);
	/* Limits: above 1000 x HV_GUEST_REQ_LIMIT_MAX or without a burst. */
	assert_int_equal(hv_vm_set_guest_req_limit_milli(e.vm, 1000ull * HV_GUEST_REQ_LIMIT_MAX + 1, 1), -EINVAL);
	assert_int_equal(hv_vm_set_guest_req_limit_milli(e.vm, 1, 0), -EINVAL);
	assert_int_equal(hv_vm_set_clock(e.vm, NULL, NULL), 0);
	env_fini(&e);
}

/* PSC and MAP_GPA_RANGE exits applied to a firmware RMP that is also the engine's page-state hook. */
static void test_rmp_helpers(void **state)
{
	(void)state;
	struct env e;
	struct fw_rmp *rmp;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SNP, 0, ENV_HC_ENABLE | ENV_CPUID_PV), 0);
	assert_int_equal(fw_rmp_create(ENV_MEM_SIZE, &rmp), 0);
	assert_int_equal(hv_vm_set_host_access(e.vm, hv_fw_rmp_host_access, rmp), 0);
	/* MSR PSC: page 0x10 private. */
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, ghcb_msr_psc_req(0x10, GHCB_MSR_PSC_OP_PRIVATE)), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	assert_int_equal(hv_map_gpa_range_apply(rmp, e.run), 0);
	e.run->hypercall.ret = 0;
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(hv_vcpu_get_ghcb_msr(e.vcpu), GHCB_MSR_PSC_RESP);
	assert_int_equal(fw_rmp_get(rmp, 0x10000), FW_PAGE_PRIVATE);
	assert_int_equal(hv_fw_rmp_host_access(rmp, 0x10000, 1), -EACCES);
	assert_int_equal(hv_fw_rmp_host_access(rmp, 0x11000, 4096), 0);
	/* The engine now refuses host access to it: an MMIO scratch area there is a PRIVATE memory fault. */
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, GHCB_GPA), 0);
	env_nae(&e, SVM_VMGEXIT_MMIO_WRITE, 0xFED00000, 8);
	ghcb_set_sw_scratch(env_ghcb(&e), 0x10000);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	assert_int_equal(e.run->exit_reason, SNPEMU_EXIT_MEMORY_FAULT);
	assert_int_equal(e.run->memory_fault.flags, SNPEMU_MEMORY_EXIT_FLAG_PRIVATE);
	hv_vcpu_reset(e.vcpu);
	/* KVM_HC_MAP_GPA_RANGE (VMMCALL) makes it shared again through the same helper. */
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, ghcb_msr_reg_gpa_req(GHCB_GPA >> 12)), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, GHCB_GPA), 0);
	env_nae(&e, SVM_EXIT_VMMCALL, 0, 0);
	struct ghcb *g = env_ghcb(&e);
	ghcb_set_rax(g, SNPEMU_HC_MAP_GPA_RANGE);
	ghcb_set_cpl(g, 0);
	ghcb_set_rbx(g, 0x10000);
	ghcb_set_rcx(g, 1);
	ghcb_set_rdx(g, SNPEMU_MAP_GPA_RANGE_DECRYPTED);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	assert_int_equal(hv_map_gpa_range_apply(rmp, e.run), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(fw_rmp_get(rmp, 0x10000), FW_PAGE_SHARED);
	/* Ranges the RMP refuses, and runs that are not such an exit. */
	e.run->exit_reason = SNPEMU_EXIT_HYPERCALL;
	e.run->hypercall.nr = SNPEMU_HC_MAP_GPA_RANGE;
	e.run->hypercall.args[0] = ENV_MEM_SIZE;
	e.run->hypercall.args[1] = 1;
	e.run->hypercall.args[2] = SNPEMU_MAP_GPA_RANGE_ENCRYPTED;
	assert_int_equal(hv_map_gpa_range_apply(rmp, e.run), -EINVAL);
	assert_int_equal(fw_rmp_set(rmp, 0x20000, FW_PAGE_VMSA), 0);
	e.run->hypercall.args[0] = 0x1F000;
	e.run->hypercall.args[1] = 2;
	assert_int_equal(hv_map_gpa_range_apply(rmp, e.run), -EBUSY);
	e.run->hypercall.nr = 1;
	assert_int_equal(hv_map_gpa_range_apply(rmp, e.run), -EINVAL);
	e.run->exit_reason = SNPEMU_EXIT_IO;
	assert_int_equal(hv_map_gpa_range_apply(rmp, e.run), -EINVAL);
	assert_int_equal(hv_map_gpa_range_apply(NULL, e.run), -EINVAL);
	hv_vm_set_host_access(e.vm, NULL, NULL);
	fw_rmp_destroy(rmp);
	env_fini(&e);
}

static int vmsa_private(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	return gpa < 0x81000 + 4096 && 0x81000 < gpa + len ? -EACCES : 0;
}

/* The VMSA GPA survives a vCPU reset (INIT), as KVM keeps snp_vmsa_gpa. */
static void test_vmsa_kept_across_reset(void **state)
{
	(void)state;
	struct env e;
	struct hv_vcpu *ap;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SNP, 0, ENV_SEV_FEATURES), 0);
	assert_int_equal(hv_vm_set_host_access(e.vm, vmsa_private, NULL), 0);
	assert_int_equal(hv_vcpu_create(e.vm, 3, &ap), 0);
	env_nae(&e, SVM_VMGEXIT_AP_CREATION, SVM_VMGEXIT_AP_INFO1(SVM_VMGEXIT_AP_CREATE_ON_INIT, 3), 0x81000);
	ghcb_set_rax(env_ghcb(&e), ENV_SEV_FEATURES_VALUE);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(ghcb_get_sw_exit_info_1(env_ghcb(&e)), 0);
	hv_vcpu_reset(ap);
	uint64_t gpa = 0;
	assert_int_equal(hv_vcpu_snp_vmsa(ap, &gpa), 1);
	assert_int_equal(gpa, 0x81000);
	struct hv_ap_update u;
	assert_int_equal(hv_vcpu_ap_take_update(ap, &u), 1);
	assert_int_equal(u.request, SVM_VMGEXIT_AP_CREATE_ON_INIT);
	hv_vcpu_destroy(ap);
	env_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_checks),	    cmocka_unit_test(test_token_bucket),
	    cmocka_unit_test(test_token_bucket_fractional), cmocka_unit_test(test_rmp_helpers),
	    cmocka_unit_test(test_vmsa_kept_across_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

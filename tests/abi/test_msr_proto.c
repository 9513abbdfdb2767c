/* SPDX-License-Identifier: MIT */
/* MSR-protocol encode/decode round trips against ghcb-hypervisor-kvm.md §7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <snpemu/abi/msr_proto.h>

static void test_sev_info(void **state)
{
	(void)state;
	/* §7 example: v2, C-bit 51 = 0x0002000133000001 */
	uint64_t v = ghcb_msr_sev_info(2, 1, 51);
	assert_int_equal(v, 0x0002000133000001ull);
	assert_int_equal(GHCB_MSR_INFO(v), GHCB_MSR_SEV_INFO_RESP);
	assert_int_equal(ghcb_msr_sev_info_max(v), 2);
	assert_int_equal(ghcb_msr_sev_info_min(v), 1);
	assert_int_equal(ghcb_msr_sev_info_cbit(v), 51);
}

static void test_cpuid(void **state)
{
	(void)state;
	for (unsigned int reg = 0; reg < 4; reg++) {
		uint64_t req = ghcb_msr_cpuid_req(0x8000001F, reg);
		assert_int_equal(GHCB_MSR_INFO(req), GHCB_MSR_CPUID_REQ);
		assert_int_equal(ghcb_msr_cpuid_fn(req), 0x8000001F);
		assert_int_equal(ghcb_msr_cpuid_reg(req), reg);
		uint64_t resp = ghcb_msr_cpuid_resp(req, 0xDEADBEEF);
		assert_int_equal(GHCB_MSR_INFO(resp), GHCB_MSR_CPUID_RESP);
		assert_int_equal(ghcb_msr_cpuid_value(resp), 0xDEADBEEF);
		assert_int_equal(ghcb_msr_cpuid_reg(resp), reg); /* bits [31:12] kept from the request */
	}
	assert_int_equal(ghcb_msr_cpuid_req(1, GHCB_CPUID_REG_EDX), 0x00000001C0000004ull);
}

static void test_ap_reset_hold(void **state)
{
	(void)state;
	assert_int_equal(ghcb_msr_ap_reset_hold_resp(0), 0x007);
	assert_int_equal(ghcb_msr_ap_reset_hold_resp(1), 0x1007); /* KVM after a SIPI: 1<<12 | 0x007 */
	assert_int_equal(ghcb_msr_ap_reset_hold_result(0x1007), 1);
}

static void test_gpa(void **state)
{
	(void)state;
	assert_int_equal(ghcb_msr_pref_gpa_resp(GHCB_MSR_PREF_GPA_NONE), 0xFFFFFFFFFFFFF011ull);
	uint64_t req = ghcb_msr_reg_gpa_req(0x12345);
	assert_int_equal(req, 0x12345012ull);
	assert_int_equal(ghcb_msr_gfn(req), 0x12345);
	assert_int_equal(ghcb_msr_reg_gpa_resp(0x12345), 0x12345013ull);
	/* the GFN is 52 bits: the top bits of a larger value are dropped */
	assert_int_equal(ghcb_msr_gfn(ghcb_msr_reg_gpa_req(~0ull)), GHCB_MSR_GPA_VALUE_MASK);
}

static void test_psc(void **state)
{
	(void)state;
	uint64_t req = ghcb_msr_psc_req(0xABCDE, GHCB_MSR_PSC_OP_SHARED);
	assert_int_equal(req, (2ull << 52) | (0xABCDEull << 12) | 0x014);
	assert_int_equal(ghcb_msr_psc_gfn(req), 0xABCDE);
	assert_int_equal(ghcb_msr_psc_op(req), GHCB_MSR_PSC_OP_SHARED);
	assert_int_equal(ghcb_msr_psc_gfn(ghcb_msr_psc_req(~0ull, 1)), 0xFFFFFFFFFFull);
	assert_int_equal(ghcb_msr_psc_resp(0), 0x015);
	assert_int_equal(ghcb_msr_psc_resp_error(ghcb_msr_psc_resp(7)), 7);
	assert_int_equal(GHCB_MSR_PSC_RESP_ERROR | GHCB_MSR_PSC_RESP, 0x8000000000000015ull);
}

static void test_hv_features_and_term(void **state)
{
	(void)state;
	assert_int_equal(ghcb_msr_hv_ft_resp(0x3), 0x3081); /* §7: KVM's answer */
	assert_int_equal(ghcb_msr_hv_ft_features(0x3081), 0x3);
	assert_int_equal(ghcb_msr_term_req(0, 0), 0x100); /* sev_smoke_test's value */
	uint64_t t = ghcb_msr_term_req(1, 4);
	assert_int_equal(t, 0x100 | 1 << 12 | 4 << 16);
	assert_int_equal(ghcb_msr_term_set(t), 1);
	assert_int_equal(ghcb_msr_term_code(t), 4);
	assert_int_equal(ghcb_msr_vmpl_req(2), 0x200000016ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sev_info), cmocka_unit_test(test_cpuid), cmocka_unit_test(test_ap_reset_hold),
	    cmocka_unit_test(test_gpa),	     cmocka_unit_test(test_psc),   cmocka_unit_test(test_hv_features_and_term),
	};
	return cmocka_run_group_tests_name("abi/msr_proto", tests, NULL, NULL);
}

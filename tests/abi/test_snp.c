/* SPDX-License-Identifier: MIT */
/* SNP ABI: guest-message header, SNP_GUEST_ERR, report offsets and TCB layouts (snp-firmware-abi.md §1-§5),
 * checked against the genuine Genoa report in tests/fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/snp.h>

#include "../common/fixture_file.h"

static void test_guest_err(void **state)
{
	(void)state;
	assert_int_equal(SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN, 0), 0x100000000ull);
	assert_int_equal(SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0), 0x200000000ull);
	assert_int_equal(SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_GENERIC, 0), 0xFFFFFFFF00000000ull);
	assert_int_equal(SNP_GUEST_ERR(0, SEV_RET_INVALID_PARAM), 0x16);
	/* firmware status is masked to 32 bits */
	assert_int_equal(SNP_GUEST_ERR(1, 0x1FFFFFFFFull), 0x1FFFFFFFFull);
	assert_int_equal(snp_guest_err_vmm(0x2000000AAull), 2);
	assert_int_equal(snp_guest_err_fw(0x2000000AAull), 0xAA);
}

static void test_msg_header(void **state)
{
	(void)state;
	assert_int_equal(SNP_MSG_HDR_SIZE, 0x60);
	assert_int_equal(SNP_MSG_OFF_TYPE, 52); /* KVM reads msg_type at req_gpa + 52 */
	assert_int_equal(SNP_MSG_AAD_OFF + SNP_MSG_AAD_LEN, SNP_MSG_HDR_SIZE);
	assert_int_equal(SNP_MSG_PAYLOAD_MAX, 4000);
	assert_int_equal(SNP_MSG_REPORT_REQ + 1, SNP_MSG_REPORT_RSP);
	assert_int_equal(SNP_MSG_TSC_INFO_REQ, 17);
	assert_int_equal(SNP_REPORT_RSP_SIZE, 0x20 + SNP_REPORT_SIZE);
	assert_int_equal(SEV_RET_AEAD_OFLOW, 0x1D);
	assert_int_equal(SEV_RET_BAD_MEASUREMENT, 0x0B);
	assert_int_equal(SEV_RET_INVALID_KEY, 0x27);
}

static void test_layout_tables(void **state)
{
	(void)state;
	assert_int_equal(SNP_SECRETS_OFF_VMPCK(0), 0x20);
	assert_int_equal(SNP_SECRETS_OFF_VMPCK(3), 0x80);
	assert_int_equal(SNP_SECRETS_OFF_MSG_SEQNO(3), 0xAC);
	assert_int_equal(SNP_SECRETS_OFF_TSC_FACTOR, 0x160);
	assert_int_equal(SNP_CPUID_OFF_ENTRY(63) + SNP_CPUID_ENTRY_SIZE, 3088);
	assert_int_equal(SNP_PAGE_INFO_OFF_GPA + 8, SNP_PAGE_INFO_SIZE);
	assert_int_equal(SNP_CERT_ENTRY_SIZE, 24);
	const uint8_t vcek[16] = SNP_GUID_VCEK;
	assert_int_equal(vcek[0], 0x63);
	assert_int_equal(vcek[15], 0xcd);
}

static void test_tcb_layouts(void **state)
{
	(void)state;
	struct snp_tcb t = {.fmc = 0, .bootloader = 0x0a, .tee = 0, .snp = 0x17, .microcode = 0x54};
	assert_int_equal(snp_tcb_encode(&t, SNP_TCB_LAYOUT_LEGACY), 0x541700000000000aull);
	struct snp_tcb u = snp_tcb_decode(0x541700000000000aull, SNP_TCB_LAYOUT_LEGACY);
	assert_int_equal(u.bootloader, 0x0a);
	assert_int_equal(u.snp, 0x17);
	assert_int_equal(u.microcode, 0x54);
	struct snp_tcb turin = {.fmc = 1, .bootloader = 2, .tee = 3, .snp = 4, .microcode = 5};
	uint64_t v = snp_tcb_encode(&turin, SNP_TCB_LAYOUT_TURIN);
	assert_int_equal(v, 0x0500000004030201ull);
	struct snp_tcb w = snp_tcb_decode(v, SNP_TCB_LAYOUT_TURIN);
	assert_memory_equal(&w, &turin, sizeof(w));
	assert_int_equal(snp_tcb_reserved_bits(0x541700000000000aull, SNP_TCB_LAYOUT_LEGACY), 0);
	assert_int_not_equal(snp_tcb_reserved_bits(1ull << 16, SNP_TCB_LAYOUT_LEGACY), 0);
	assert_int_not_equal(snp_tcb_reserved_bits(1ull << 32, SNP_TCB_LAYOUT_TURIN), 0);
}

static void test_genoa_fixture(void **state)
{
	(void)state;
	size_t n;
	uint8_t *r = fixture_read("genoa-report.bin", &n);
	assert_non_null(r);
	assert_int_equal(n, SNP_REPORT_SIZE);
	assert_int_equal(le32_load(r + SNP_REPORT_OFF_VERSION), 3);
	uint64_t policy = le64_load(r + SNP_REPORT_OFF_POLICY);
	assert_true(policy & SNP_POLICY_RSVD_MBO);
	assert_true(policy & SNP_POLICY_SMT);
	assert_false(policy & SNP_POLICY_DEBUG);
	assert_int_equal(policy & SNP_POLICY_MBZ_MASK, 0);
	assert_int_equal(le32_load(r + SNP_REPORT_OFF_SIG_ALGO), SNP_SIG_ALGO_ECDSA_P384_SHA384);
	struct snp_tcb t = snp_tcb_decode(le64_load(r + SNP_REPORT_OFF_REPORTED_TCB), SNP_TCB_LAYOUT_LEGACY);
	assert_int_equal(t.bootloader, 10);
	assert_int_equal(t.snp, 0x17);
	assert_int_equal(t.microcode, 0x54);
	/* Genoa: family 0x19, model 0x11 (CPUID 0x00A10F11), stepping 1 */
	assert_int_equal(r[SNP_REPORT_OFF_CPUID_FAM_ID], snp_cpuid_family(SNP_CPUID_GENOA));
	assert_int_equal(r[SNP_REPORT_OFF_CPUID_MOD_ID], 0x11);
	assert_int_equal(r[SNP_REPORT_OFF_CPUID_STEP], 1);
	assert_int_equal(snp_signer_signing_key(le32_load(r + SNP_REPORT_OFF_SIGNER_INFO)), SNP_SIGNING_KEY_VCEK);
	assert_int_equal(r[SNP_REPORT_OFF_CURRENT_MAJOR], 1);
	assert_int_equal(r[SNP_REPORT_OFF_CURRENT_MINOR], 0x37);
	uint64_t pinfo = le64_load(r + SNP_REPORT_OFF_PLATFORM_INFO);
	assert_true(pinfo & SNP_PLATFORM_INFO_SMT_EN);
	/* the signature's reserved tail is zero */
	for (unsigned int i = SNP_REPORT_OFF_SIGNATURE + 0x90; i < SNP_REPORT_SIZE; i++)
		assert_int_equal(r[i], 0);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_guest_err),	  cmocka_unit_test(test_msg_header),
	    cmocka_unit_test(test_layout_tables), cmocka_unit_test(test_tcb_layouts),
	    cmocka_unit_test(test_genoa_fixture),
	};
	return cmocka_run_group_tests_name("abi/snp", tests, NULL, NULL);
}

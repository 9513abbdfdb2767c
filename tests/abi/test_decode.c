/* SPDX-License-Identifier: MIT */
/* Names and text decoders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/names.h>

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(snpemu_exit_code_name(SVM_EXIT_CPUID), "CPUID");
	assert_string_equal(snpemu_exit_code_name(SVM_VMGEXIT_EXT_GUEST_REQUEST), "EXT_GUEST_REQUEST");
	assert_null(snpemu_exit_code_name(0x3FF));
	assert_string_equal(snpemu_ghcb_err_name(GHCB_ERR_INVALID_SCRATCH_AREA), "INVALID_SCRATCH_AREA");
	assert_null(snpemu_ghcb_err_name(0));
	assert_string_equal(snpemu_fw_status_name(0x1D), "AEAD_OFLOW");
	assert_string_equal(snpemu_exit_reason_name(42), "SNP_REQ_CERTS");
	assert_string_equal(snpemu_msr_info_name(0x100), "TERM_REQ");
}

static void test_decode_msr(void **state)
{
	(void)state;
	char buf[256];
	struct snpemu_text t;
	snpemu_text_init(&t, buf, sizeof(buf));
	snpemu_decode_msr(ghcb_msr_cpuid_req(0x8000001F, GHCB_CPUID_REG_EBX), &t);
	assert_non_null(strstr(buf, "CPUID_REQ fn=0x8000001f reg=EBX"));
	snpemu_text_init(&t, buf, sizeof(buf));
	snpemu_decode_msr(ghcb_msr_term_req(1, 4), &t);
	assert_non_null(strstr(buf, "TERM_REQ set=1 code=4"));
	snpemu_text_init(&t, buf, sizeof(buf));
	snpemu_decode_msr(0x0002000133000001ull, &t);
	assert_non_null(strstr(buf, "max=2 min=1 cbit=51"));
	snpemu_text_init(&t, buf, sizeof(buf));
	snpemu_decode_msr(0x7FE, &t);
	assert_non_null(strstr(buf, "UNKNOWN"));
}

static void test_decode_ghcb(void **state)
{
	(void)state;
	static struct ghcb g;
	static char buf[16384];
	struct snpemu_text t;
	memset(&g, 0, sizeof(g));
	ghcb_set_sw_exit_code(&g, SVM_VMGEXIT_PSC);
	ghcb_set_rax(&g, 0x1234);
	ghcb_set_protocol_version(&g, 2);
	g.bytes[0x800] = 0xAB;
	g.bytes[GHCB_OFF_VALID_BITMAP + 0] |= 1; /* bit 0: offset 0, no field */
	snpemu_text_init(&t, buf, sizeof(buf));
	snpemu_decode_ghcb(g.bytes, sizeof(g), &t);
	assert_non_null(strstr(buf, "PSC"));
	assert_non_null(strstr(buf, "rax             0x0000000000001234 valid"));
	assert_non_null(strstr(buf, "protocol_version 2"));
	assert_non_null(strstr(buf, "valid bit 0 set for offset 0x0"));
	assert_non_null(strstr(buf, "800: ab"));
	snpemu_text_init(&t, buf, sizeof(buf));
	snpemu_decode_ghcb(g.bytes, 100, &t);
	assert_non_null(strstr(buf, "error"));
}

static void test_text_truncates(void **state)
{
	(void)state;
	char buf[8];
	struct snpemu_text t;
	snpemu_text_init(&t, buf, sizeof(buf));
	snpemu_text_printf(&t, "%s", "0123456789");
	assert_true(t.truncated);
	assert_int_equal(t.len, 7);
	assert_string_equal(buf, "0123456");
	snpemu_text_printf(&t, "x");
	assert_int_equal(t.len, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_names), cmocka_unit_test(test_decode_msr),
					   cmocka_unit_test(test_decode_ghcb), cmocka_unit_test(test_text_truncates)};
	return cmocka_run_group_tests_name("abi/decode", tests, NULL, NULL);
}

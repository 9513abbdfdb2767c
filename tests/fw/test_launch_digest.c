/* SPDX-License-Identifier: MIT */
/* Launch digest: the PAGE_INFO chain checked against an independent computation with the openssl command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>
#include <snpemu/fw.h>

/* SHA-384 through the openssl CLI: an implementation independent of the code under test. */
static void openssl_sha384(const uint8_t *data, size_t len, uint8_t out[48])
{
	char path[] = "/tmp/snpemu-ld-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "openssl dgst -sha384 -binary %s", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fread(out, 1, 48, p), 48);
	pclose(p);
	remove(path);
}

static void test_chain_matches_openssl(void **state)
{
	(void)state;
	static uint8_t page[4096], vmsa[4096];
	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(vmsa); i++)
		vmsa[i] = (uint8_t)(i ^ 0x5A);

	struct fw_launch_digest ld;
	fw_launch_digest_init(&ld);
	assert_int_equal(fw_launch_digest_update(&ld, SNP_PAGE_TYPE_NORMAL, 0xFFC00000, page, NULL), 0);
	assert_int_equal(fw_launch_digest_update(&ld, SNP_PAGE_TYPE_ZERO, 0x800000, NULL, NULL), 0);
	assert_int_equal(fw_launch_digest_update(&ld, SNP_PAGE_TYPE_SECRETS, 0x801000, NULL, NULL), 0);
	assert_int_equal(fw_launch_digest_update(&ld, SNP_PAGE_TYPE_VMSA, 0x1234000, vmsa, NULL), 0);
	assert_int_equal(ld.pages, 4);

	/* The same chain by hand: PAGE_INFO = LD || contents || le16 0x70 || type || imi || 0 || perms || le64 gpa */
	uint8_t expect[48] = {0}, info[0x70];
	struct {
		int type;
		uint64_t gpa;
		const uint8_t *data;
	} steps[] = {{1, 0xFFC00000, page}, {3, 0x800000, NULL}, {5, 0x801000, NULL}, {2, 0xFFFFFFFFF000ull, vmsa}};
	for (size_t s = 0; s < 4; s++) {
		memset(info, 0, sizeof(info));
		memcpy(info, expect, 48);
		if (steps[s].data) {
			uint8_t copy[4096];
			memcpy(copy, steps[s].data, 4096);
			if (steps[s].type == 2)
				memset(copy + 0x2F0, 0, 16); /* TSC scale and offset zeroed */
			openssl_sha384(copy, 4096, info + 0x30);
		}
		info[0x60] = 0x70;
		info[0x62] = (uint8_t)steps[s].type;
		le64_store(info + 0x68, steps[s].gpa);
		openssl_sha384(info, sizeof(info), expect);
	}
	assert_memory_equal(ld.digest, expect, 48);
}

static void test_vmsa_tsc_fields_not_measured(void **state)
{
	(void)state;
	static uint8_t a[4096], b[4096];
	memset(a, 0x11, sizeof(a));
	memcpy(b, a, sizeof(b));
	memset(b + 0x2F0, 0xFF, 16);
	struct fw_launch_digest la, lb;
	fw_launch_digest_init(&la);
	fw_launch_digest_init(&lb);
	fw_launch_digest_update(&la, SNP_PAGE_TYPE_VMSA, 0, a, NULL);
	fw_launch_digest_update(&lb, SNP_PAGE_TYPE_VMSA, 0x5000, b, NULL);
	assert_memory_equal(la.digest, lb.digest, 48);
	b[0x300] ^= 1; /* anything else is measured */
	fw_launch_digest_init(&lb);
	fw_launch_digest_update(&lb, SNP_PAGE_TYPE_VMSA, 0, b, NULL);
	assert_memory_not_equal(la.digest, lb.digest, 48);
}

static void test_rejects_bad_input(void **state)
{
	(void)state;
	struct fw_launch_digest ld;
	fw_launch_digest_init(&ld);
	assert_int_equal(fw_launch_digest_update(&ld, SNP_PAGE_TYPE_RESERVED, 0, NULL, NULL), -EINVAL);
	assert_int_equal(fw_launch_digest_update(&ld, (enum snp_page_type)7, 0, NULL, NULL), -EINVAL);
	assert_int_equal(fw_launch_digest_update(&ld, SNP_PAGE_TYPE_NORMAL, 0, NULL, NULL), -EINVAL);
	assert_int_equal(fw_launch_digest_update(&ld, SNP_PAGE_TYPE_ZERO, 0x1001, NULL, NULL), -EINVAL);
	uint8_t zero[48] = {0};
	assert_memory_equal(ld.digest, zero, 48);
	assert_int_equal(ld.pages, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_chain_matches_openssl),
					   cmocka_unit_test(test_vmsa_tsc_fields_not_measured),
					   cmocka_unit_test(test_rejects_bad_input)};
	return cmocka_run_group_tests_name("fw/launch_digest", tests, NULL, NULL);
}

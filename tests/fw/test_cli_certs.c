/* SPDX-License-Identifier: MIT */
/* snpemu certs: files written, chain verified by the openssl command, reproducible from --seed, argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/fw.h>

#include "cli/cli.h"

static int run(const char *a0, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;
	va_start(ap, a0);
	for (const char *a = a0; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return cli_cmd_certs(argc, argv);
}

static size_t slurp(const char *dir, const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void test_writes_and_verifies(void **state)
{
	(void)state;
	char a[] = "/tmp/snpemu-certs-XXXXXX", b[] = "/tmp/snpemu-certs-XXXXXX";
	assert_non_null(mkdtemp(a));
	assert_non_null(mkdtemp(b));
	assert_int_equal(run("certs", "--out", a, "--seed", "c0ffee", "--product", "milan", NULL), CLI_EXIT_OK);
	assert_int_equal(run("certs", "--out", b, "--seed", "0xC0FFEE", "--product", "Milan", NULL), CLI_EXIT_OK);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cd %s && openssl verify -CAfile ark.pem -untrusted ask.pem vcek.pem >/dev/null", a);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl x509 -inform DER -in vcek.der -noout -issuer | grep -q SEV-Milan",
		 a);
	assert_int_equal(system(cmd), 0);
	static uint8_t x[16384], y[16384];
	const char *names[] = {"ark.der", "ask.der", "vcek.der", "ark.pem", "vcek.pem", "cert_table.bin"};
	for (size_t i = 0; i < 6; i++) {
		size_t nx = slurp(a, names[i], x, sizeof(x)), ny = slurp(b, names[i], y, sizeof(y));
		assert_true(nx > 0);
		assert_int_equal(nx, ny);
		assert_memory_equal(x, y, nx); /* same seed, same bytes */
	}
	size_t n = slurp(a, "cert_table.bin", x, sizeof(x)), count;
	struct fw_cert_entry e[4];
	assert_int_equal(fw_cert_table_parse(x, n, e, 4, &count), 0);
	assert_int_equal(count, 3);
	size_t nv = slurp(a, "vcek.der", y, sizeof(y));
	assert_int_equal(e[2].length, nv);
	assert_memory_equal(e[2].data, y, nv);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", a, b);
	assert_int_equal(system(cmd), 0);
}

static void test_errors(void **state)
{
	(void)state;
	assert_int_equal(run("certs", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("certs", "--out", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("certs", "--out", "/tmp/x", "--product", "naples", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("certs", "--out", "/tmp/x", "--seed", "abc", NULL), CLI_EXIT_USAGE); /* odd length */
	assert_int_equal(run("certs", "--out", "/tmp/x", "--seed", "zz", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("certs", "--out", "/tmp/x", "--bogus", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("certs", "--out", "/tmp/x", "extra", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("certs", "--out", "/proc/snpemu-no/such", NULL), CLI_EXIT_FAILURE);
	assert_int_equal(run("certs", "--out", "/dev/null", NULL), CLI_EXIT_FAILURE); /* not a directory */
	if (geteuid() != 0)
		assert_int_equal(run("certs", "--out", "/proc", NULL), CLI_EXIT_FAILURE); /* unwritable */
	assert_int_equal(run("certs", "--help", NULL), CLI_EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_writes_and_verifies), cmocka_unit_test(test_errors)};
	return cmocka_run_group_tests_name("fw/cli_certs", tests, NULL, NULL);
}

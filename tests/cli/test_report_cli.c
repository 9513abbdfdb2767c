/* SPDX-License-Identifier: MIT */
/* snpemu report, run and verify as a user calls them: exit statuses, files, messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];
static char out[65536];

/* Run the CLI with `args` through the shell; the combined output goes to `out`; returns the exit status. */
static int cli(const char *fmt, ...)
{
	char args[1024], cmd[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", SNPEMU_CLI, args);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/snpemu-report-%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_report_then_verify(void **state)
{
	(void)state;
	assert_int_equal(cli("report --backend sim --ext --report-data 0xc0ffee --out %s", dir), 0);
	assert_non_null(strstr(out, "certificates: 3 in the table"));
	const char *files[] = {"report.bin", "report.json", "ark.pem",	"ark.der",	 "ask.pem",
			       "ask.der",    "vcek.pem",    "vcek.der", "cert_table.bin"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size > 0);
	}
	struct stat st;
	char path[128];
	snprintf(path, sizeof(path), "%s/report.bin", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0x4A0);

	assert_int_equal(
	    cli("verify --report %s/report.bin --certs %s --ark %s/ark.pem --report-data c0ffee", dir, dir, dir), 0);
	assert_non_null(strstr(out, "report_signature   pass"));
	assert_non_null(strstr(out, "report_data        pass"));
	/* A wrong expectation fails, names the check, exit 1. */
	assert_int_equal(cli("verify --report %s/report.bin --certs %s --report-data c0ffef --json", dir, dir), 1);
	assert_non_null(strstr(out, "\"first_failure\""));
	assert_non_null(strstr(out, "report_data"));
	/* report.json names the fields. */
	assert_int_equal(cli("decode report %s/report.bin --json", dir), 0);
	assert_non_null(strstr(out, "measurement"));
}

static void test_certs_file(void **state)
{
	(void)state;
	/* The VMM serves a certificate table file (read under a shared lock) to extended requests. */
	assert_int_equal(cli("certs --seed 0xabcd --out %s/certs", dir), 0);
	assert_int_equal(cli("run --backend sim --certs %s/certs/cert_table.bin attest -- --ext", dir), 0);
	assert_non_null(strstr(out, "certificates: 3 in the table"));
	/* A malformed table file: the VMM answers the certificate exit with EIO, the guest gets GENERIC and wipes
	 * its VMPCK as Linux does; the run fails. */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "printf 'not a certificate table' > %s/bad.bin", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_not_equal(cli("run --backend sim --certs %s/bad.bin attest -- --ext", dir), 0);
	assert_non_null(strstr(out, "FAIL: extended report"));
}

static void test_bad_arguments(void **state)
{
	(void)state;
	assert_int_equal(cli("report --vmpl 4 --out %s", dir), 2);
	assert_non_null(strstr(out, "--vmpl"));
	assert_int_equal(cli("report --report-data 0x123 --out %s", dir), 2);
	assert_int_equal(cli("report --report-data-file /nonexistent/file --out %s", dir), 2);
	assert_int_equal(cli("report"), 2);
	assert_non_null(strstr(out, "--out DIR is required"));
	assert_int_equal(cli("run nosuchguest"), 2);
	assert_non_null(strstr(out, "unknown guest program 'nosuchguest'"));
	assert_int_equal(cli("run --mem 1M hello"), 1);
	assert_non_null(strstr(out, "multiple of 2 MiB between 32 MiB"));
	assert_int_equal(cli("run --mem 12Q hello"), 2);
	assert_int_equal(cli("run --vcpus 0 hello"), 2);
	assert_int_equal(cli("run --backend qemu hello"), 2);
	assert_int_equal(cli("run --rate 0 hello"), 2);
	assert_int_equal(cli("run --rate 10/x hello"), 2);
	/* What follows GUEST is the program's (its argument block): attest refuses an argument it does not know. */
	assert_int_equal(cli("run --backend sim attest -- --bogus"), 2);
	assert_non_null(strstr(out, "attest: bad argument '--bogus'"));
	assert_int_equal(cli("bench"), 2);
	assert_non_null(strstr(out, "not built yet"));
}

static void test_run_statuses(void **state)
{
	(void)state;
	assert_int_equal(cli("run --backend sim --quiet hello"), 0);
	assert_non_null(strstr(out, "hello: all checks passed"));
	assert_int_equal(cli("run --backend sim --vm-type sev-es hostile"), 0);
	/* attest needs SNP: the program's own status comes back. */
	assert_int_equal(cli("run --backend sim --vm-type sev-es attest"), 2);
	assert_non_null(strstr(out, "attest: needs an SEV-SNP VM"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_report_then_verify), cmocka_unit_test(test_certs_file),
					   cmocka_unit_test(test_bad_arguments), cmocka_unit_test(test_run_statuses)};
	return cmocka_run_group_tests_name("cli/report", tests, setup, teardown);
}

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

/* --report-version 2|3|5 chooses what the firmware model emits (default 5); each verifies and decodes with its
 * own field set. */
static void test_report_versions(void **state)
{
	(void)state;
	static const unsigned versions[] = {2, 3, 5, 0};
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		const unsigned v = versions[i] ? versions[i] : 5;
		char opt[32] = "";
		if (versions[i])
			snprintf(opt, sizeof(opt), "--report-version %u", versions[i]);
		assert_int_equal(cli("report --backend sim %s --quiet --out %s/v%zu", opt, dir, i), 0);
		char path[128];
		snprintf(path, sizeof(path), "%s/v%zu/report.bin", dir, i);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		uint8_t rep[0x4A0];
		assert_int_equal(fread(rep, 1, sizeof(rep), f), sizeof(rep));
		fclose(f);
		assert_int_equal(rep[0] | rep[1] << 8 | rep[2] << 16 | (uint32_t)rep[3] << 24, v);
		assert_int_equal(cli("verify --report %s --certs %s/v%zu --ark %s/v%zu/ark.pem --report-version %u",
				     path, dir, i, dir, i, v),
				 0);
		assert_non_null(strstr(out, "report_format      pass"));
		assert_int_equal(cli("decode report %s", path), 0);
		assert_int_equal(strstr(out, "current_mit_vector") != NULL, v >= 5);
		assert_int_equal(strstr(out, "cpuid_fam_id") != NULL, v >= 3);
	}
	assert_int_equal(cli("report --report-version 4 --out %s/v4", dir), 2);
	assert_non_null(strstr(out, "--report-version"));
	assert_int_equal(cli("run --report-version 6 hello"), 125); /* run: its own usage errors exit 125 */
}

/* Several reports in one verify: each result printed, the chain verified once, the status the first failure. */
static void test_verify_several_reports(void **state)
{
	(void)state;
	assert_int_equal(cli("report --backend sim --quiet --out %s/m1", dir), 0);
	assert_int_equal(cli("report --backend sim --quiet --report-data 0x11 --out %s/m2", dir), 0);
	assert_int_equal(
	    cli("verify --report %s/m1/report.bin --report %s/m2/report.bin --certs %s/m1 --ark %s/m1/ark.pem", dir,
		dir, dir, dir),
	    0);
	const char *second = strstr(out, "m2/report.bin");
	assert_non_null(strstr(out, "m1/report.bin"));
	assert_non_null(second);
	assert_non_null(strstr(second, "OK:"));
	/* REPORT_DATA 0x11... is only the second report's: the run fails (1), naming the first report's check. */
	assert_int_equal(
	    cli("verify --report %s/m1/report.bin --report %s/m2/report.bin --certs %s/m1 --ark %s/m1/ark.pem "
		"--report-data 11",
		dir, dir, dir, dir),
	    1);
	assert_non_null(strstr(out, "first failing check: report_data"));
	second = strstr(out, "m2/report.bin");
	assert_non_null(second);
	assert_non_null(strstr(second, "OK:"));
	/* --json: an array with one result per report. */
	assert_int_equal(
	    cli("verify --report %s/m1/report.bin --report %s/m2/report.bin --certs %s/m1 --ark %s/m1/ark.pem --json",
		dir, dir, dir, dir),
	    0);
	assert_int_equal(out[0], '[');
	const char *ok1 = strstr(out, "\"ok\":true");
	assert_non_null(ok1);
	assert_non_null(strstr(ok1 + 1, "\"ok\":true"));
	/* An unreadable report is a usage error (2). */
	assert_int_equal(cli("verify --report %s/m1/report.bin --report %s/nosuch --certs %s/m1 --ark %s/m1/ark.pem",
			     dir, dir, dir, dir),
			 2);
}

static void test_certs_file(void **state)
{
	(void)state;
	/* The VMM serves a certificate table file (read under a shared lock) to extended requests. */
	assert_int_equal(cli("certs --seed 0xabcd --out %s/certs", dir), 0);
	assert_int_equal(cli("run --backend sim --certs %s/certs/cert_table.bin attest -- --ext", dir), 0);
	assert_non_null(strstr(out, "certificates: 3 in the table"));
	/* A malformed or missing table file is refused before the guest launches (a failure inside the guest's
	 * extended request would cost it its VMPCK): run's own error, 125. */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "printf 'not a certificate table' > %s/bad.bin", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cli("run --backend sim --certs %s/bad.bin attest -- --ext", dir), 125);
	assert_non_null(strstr(out, "bad.bin: not a certificate table"));
	assert_null(strstr(out, "launch measurement"));
	assert_int_equal(cli("run --backend sim --certs %s/nosuch attest -- --ext", dir), 125);
	assert_non_null(strstr(out, "nosuch: cannot read: No such file or directory"));
	assert_null(strstr(out, "launch measurement"));
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
	/* run's own usage errors are 125, a status no guest returns through it. */
	assert_int_equal(cli("run nosuchguest"), 125);
	assert_non_null(strstr(out, "snpemu run: nosuchguest: no such guest program"));
	assert_int_equal(cli("run --mem 1M hello"), 125);
	assert_non_null(strstr(out, "--mem wants 32M..64G, a multiple of 2M"));
	assert_int_equal(cli("run --mem 12Q hello"), 125);
	assert_int_equal(cli("run --vcpus 0 hello"), 125);
	assert_int_equal(cli("run --backend qemu hello"), 125);
	assert_int_equal(cli("run --rate 0 hello"), 125);
	assert_int_equal(cli("run --rate 10/x hello"), 125);
	/* What follows GUEST is the program's (its argument block): attest refuses an argument it does not know. */
	assert_int_equal(cli("run --backend sim attest -- --bogus"), 2);
	assert_non_null(strstr(out, "attest: bad argument '--bogus'"));
	/* Options end at GUEST: what follows is the program's even when it looks like one of run's. */
	assert_int_equal(cli("run --backend sim attest --bogus"), 2);
	assert_non_null(strstr(out, "attest: bad argument '--bogus'"));
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
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_then_verify), cmocka_unit_test(test_certs_file),
	    cmocka_unit_test(test_report_versions),    cmocka_unit_test(test_verify_several_reports),
	    cmocka_unit_test(test_bad_arguments),      cmocka_unit_test(test_run_statuses)};
	return cmocka_run_group_tests_name("cli/report", tests, setup, teardown);
}

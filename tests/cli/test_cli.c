/* SPDX-License-Identifier: MIT */
/*
 * `snpemu verify` and `snpemu decode` as a user runs them: the built binary (SNPEMU_CLI) on the genuine Genoa
 * artefacts, corrupted and truncated copies, each policy option passing and failing, and every decode kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/psc.h>

#include "../common/fixture.h"

#ifndef SNPEMU_CLI
#error "SNPEMU_CLI (the snpemu binary's path) is defined by tests/cli/tests.mk"
#endif

static struct fixture fx;
static char dir[64];	  /* a scratch directory: certs in dir/c, inputs in dir */
static char out[1 << 17]; /* the last command's stdout and stderr */

static void write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void remove_file(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* Run `snpemu ARGS` (%s-expanded: the scratch dir is "$D"), capture its output in `out`, return its exit status. */
__attribute__((format(printf, 1, 2))) static int run(const char *fmt, ...)
{
	char args[1024], cmd[2048], path[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	snprintf(cmd, sizeof(cmd), "D=%s; %s %s >%s 2>&1", dir, SNPEMU_CLI, args, path);
	int st = system(cmd);
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	if (f)
		fclose(f);
	out[n] = '\0';
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void copy_fixture(const char *from, const char *to)
{
	size_t len;
	uint8_t *b = fixture_read(from, &len);
	assert_non_null(b);
	write_file(to, b, len);
	free(b);
}

static int setup(void **state)
{
	(void)state;
	if (fixture_load(&fx))
		return -1;
	strcpy(dir, "/tmp/snpemu-cli-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char c[96];
	snprintf(c, sizeof(c), "%s/c", dir);
	if (mkdir(c, 0700))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	fixture_free(&fx);
	return system(cmd) == 0 ? 0 : -1;
}

/* The standard layout: c/ark.pem, c/ask.pem, c/vcek.der and report.bin. */
static void standard_certs(void)
{
	remove_file("c/cert_table.bin");
	copy_fixture("amd-genoa-ark.pem", "c/ark.pem");
	copy_fixture("amd-genoa-ask.pem", "c/ask.pem");
	copy_fixture("genoa-vcek.der", "c/vcek.der");
	write_file("report.bin", fx.report, fx.report_len);
}

#define VERIFY	   "verify --report $D/report.bin --certs $D/c --time 1798761600"
/* The synthetic chain's root is no AMD ARK: it is trusted explicitly. */
#define VERIFY_SYN VERIFY " --ark $D/c/ark.pem"

static void test_verify_genuine(void **state)
{
	(void)state;
	standard_certs();
	assert_int_equal(run(VERIFY), 0);
	assert_non_null(strstr(out, "report_signature   pass"));
	assert_non_null(strstr(out, "vcek_hwid          pass"));
	assert_non_null(strstr(out, "OK: "));
	/* the same as JSON */
	assert_int_equal(run(VERIFY " --json"), 0);
	json_object *o = json_tokener_parse(out), *v;
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "ok", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "checks", &v));
	assert_int_equal(json_object_array_length(v), ATTEST_CHECK_COUNT);
	json_object_put(o);
	/* with the ARK as trusted root; then with the wrong root */
	assert_int_equal(run(VERIFY " --ark $D/c/ark.pem"), 0);
	assert_non_null(strstr(out, "ark_trusted        pass"));
	assert_int_equal(run(VERIFY " --ark $D/c/ask.pem"), 1);
	assert_non_null(strstr(out, "first failing check: ark_trusted"));
	/* the VCEK as PEM (as snpguest fetch writes it) */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "openssl x509 -inform DER -in %sgenoa-vcek.der -out %s/c/vcek.pem", FIXTURE_DIR,
		 dir);
	assert_int_equal(system(cmd), 0); /* the openssl command is a dependency (scripts/deps.sh) */
	remove_file("c/vcek.der");
	assert_int_equal(run(VERIFY), 0);
	remove_file("c/vcek.pem");
}

static void test_verify_cert_table(void **state)
{
	(void)state;
	standard_certs();
	/* only the ARK as PEM; the ASK and VCEK from a certificate table */
	remove_file("c/ask.pem");
	remove_file("c/vcek.der");
	uint8_t *t = calloc(1, 8192);
	assert_non_null(t);
	static const uint8_t ask[16] = SNP_GUID_ASK, vcek[16] = SNP_GUID_VCEK;
	size_t off = 3 * 24;
	memcpy(t, ask, 16), le32_store(t + 16, (uint32_t)off), le32_store(t + 20, (uint32_t)fx.ask_len);
	memcpy(t + off, fx.ask, fx.ask_len);
	off += fx.ask_len;
	memcpy(t + 24, vcek, 16), le32_store(t + 40, (uint32_t)off), le32_store(t + 44, (uint32_t)fx.vcek_len);
	memcpy(t + off, fx.vcek, fx.vcek_len);
	off += fx.vcek_len;
	write_file("c/cert_table.bin", t, off);
	assert_int_equal(run(VERIFY), 0);
	assert_int_equal(run("decode certs $D/c/cert_table.bin"), 0);
	assert_non_null(strstr(out, "2 entries"));
	assert_non_null(strstr(out, "VCEK  63da758d-e664-4564-adc5-f4b93be8accd"));
	assert_non_null(strstr(out, "1: CN=SEV-VCEK issued by CN=SEV-Genoa, EC P-384 key, product Genoa"));
	assert_non_null(strstr(out, "0: CN=SEV-Genoa issued by CN=ARK-Genoa, RSA-4096 key"));
	assert_int_equal(run("decode certs $D/c/cert_table.bin --json"), 0);
	assert_non_null(strstr(out, "\"kind\":\"ASK\""));
	/* a malformed table: the VCEK blob runs past the end */
	write_file("c/cert_table.bin", t, off - 1);
	assert_int_equal(run(VERIFY), 2);
	assert_non_null(strstr(out, "malformed certificate table"));
	assert_int_equal(run("decode certs $D/c/cert_table.bin"), 2);
	assert_non_null(strstr(out, "beyond"));
	free(t);
	remove_file("c/cert_table.bin");
}

static void test_verify_corrupted_and_malformed(void **state)
{
	(void)state;
	standard_certs();
	uint8_t bad[SNP_REPORT_SIZE];
	memcpy(bad, fx.report, sizeof(bad));
	bad[SNP_REPORT_OFF_MEASUREMENT] ^= 1;
	write_file("report.bin", bad, sizeof(bad));
	assert_int_equal(run(VERIFY), 1);
	assert_non_null(strstr(out, "FAILED: first failing check: report_signature"));
	assert_int_equal(run(VERIFY " --json"), 1);
	assert_non_null(strstr(out, "\"first_failure\":\"report_signature\""));
	/* a certificate whose signature was altered */
	uint8_t *vc = malloc(fx.vcek_len);
	memcpy(vc, fx.vcek, fx.vcek_len);
	vc[fx.vcek_len - 10] ^= 0x40;
	write_file("c/vcek.der", vc, fx.vcek_len);
	write_file("report.bin", fx.report, fx.report_len);
	assert_int_equal(run(VERIFY), 1);
	assert_non_null(strstr(out, "first failing check: vcek_signature"));
	/* truncated and malformed files: exit 2 with a clear message */
	write_file("c/vcek.der", vc, 200);
	assert_int_equal(run(VERIFY), 2);
	assert_non_null(strstr(out, "malformed certificate"));
	free(vc);
	standard_certs();
	write_file("report.bin", fx.report, 1000);
	assert_int_equal(run(VERIFY), 2);
	assert_non_null(strstr(out, "truncated report"));
	memcpy(bad, fx.report, sizeof(bad));
	bad[0] = 9;
	write_file("report.bin", bad, sizeof(bad));
	assert_int_equal(run(VERIFY), 2);
	assert_non_null(strstr(out, "VERSION"));
	assert_int_equal(run("verify --report $D/none.bin --certs $D/c"), 2);
	assert_int_equal(run("verify --report $D/report.bin"), 2);
	assert_int_equal(run("verify --report $D/report.bin --certs $D/c --bogus"), 2);
	assert_int_equal(run("verify --report $D/report.bin --certs $D/c --vmpl"), 2);
	assert_non_null(strstr(out, "snpemu verify: --vmpl: option needs a value"));
}

/* Each option: {arguments, exit status, the text that must appear}. */
static void test_verify_policy_options(void **state)
{
	(void)state;
	standard_certs();
	static const struct {
		const char *args;
		int status;
		const char *want;
	} cases[] = {
	    {"--allow-debug", 0, "policy_debug       skip"},
	    {"", 0, "policy_debug       pass"},
	    {"--deny-smt", 1, "first failing check: policy_smt"},
	    {"", 0, "policy_smt         skip"},
	    {"--allow-migrate-ma", 0, "policy_migrate_ma  skip"},
	    {"", 0, "policy_migrate_ma  pass"},
	    {"--min-tcb bl=10,tee=0,snp=23,ucode=84", 0, "min_tcb            pass"},
	    {"--min-tcb 0x541700000000000a", 0, "min_tcb            pass"},
	    {"--min-tcb bl=10,tee=0,snp=24,ucode=84", 1, "first failing check: min_tcb"},
	    {"--min-tcb 0x551700000000000a", 1, "first failing check: min_tcb"},
	    {"--min-tcb bl=10,tee=0", 2, "--min-tcb"},
	    {"--min-fw 1.55.40", 0, "min_fw_version     pass"},
	    {"--min-fw 1.55", 0, "min_fw_version     pass"},
	    {"--min-fw 1.56", 1, "first failing check: min_fw_version"},
	    {"--min-fw one", 2, "invalid value"},
	    {"--measurement "
	     "09ef32acf90fcfeb6206d1a46c13145cef736ebbb83f18eaff680b686232031546ff5fd39c44599699ee8734cbbeb519",
	     0, "measurement        pass"},
	    {"--measurement "
	     "09ef32acf90fcfeb6206d1a46c13145cef736ebbb83f18eaff680b686232031546ff5fd39c44599699ee8734cbbeb518",
	     1, "first failing check: measurement"},
	    {"--measurement 09ef", 2, "invalid value"},
	    {"--report-data "
	     "71c31f35d2b06077bbae7c1ddf0cc4020408c8f39c68b04cf3d029d40bdd45e73565781f4ee796cfb144df2a31a3ae5e"
	     "87747bb5ba91aafc6b80e2e268b8603d",
	     0, "report_data        pass"},
	    {"--report-data 71c31f35", 1, "first failing check: report_data"},
	    {"--host-data 0000000000000000000000000000000000000000000000000000000000000000", 0,
	     "host_data          pass"},
	    {"--host-data 0000000000000000000000000000000000000000000000000000000000000001", 1,
	     "first failing check: host_data"},
	    {"--id-key-digest "
	     "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
	     0, "id_key_digest      pass"},
	    {"--id-key-digest "
	     "ff0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
	     1, "first failing check: id_key_digest"},
	    {"--vmpl 0", 0, "vmpl               pass"},
	    {"--vmpl 1", 1, "first failing check: vmpl"},
	    {"--report-version 3", 0, "report_version     pass"},
	    {"--report-version 2", 1, "first failing check: report_version"},
	    {"--time 2000000000", 1, "first failing check: cert_validity"},
	    {"--time 0", 2, "invalid value"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = run(VERIFY " %s", cases[i].args);
		if (st != cases[i].status || !strstr(out, cases[i].want))
			fail_msg("'%s': exit %d, expected %d with '%s':\n%s", cases[i].args, st, cases[i].status,
				 cases[i].want, out);
	}
	/* debug and migration agent set in the policy: the report no longer verifies, and the policy check says so */
	uint8_t bad[SNP_REPORT_SIZE];
	memcpy(bad, fx.report, sizeof(bad));
	bad[SNP_REPORT_OFF_POLICY + 2] |= 0x0C; /* bits 18 and 19 */
	write_file("report.bin", bad, sizeof(bad));
	assert_int_equal(run(VERIFY), 1);
	assert_non_null(strstr(out, "policy_debug       FAIL"));
	assert_non_null(strstr(out, "policy_migrate_ma  FAIL"));
	assert_int_equal(run(VERIFY " --allow-debug --allow-migrate-ma"), 1);
	assert_non_null(strstr(out, "policy_debug       skip"));
	assert_non_null(strstr(out, "policy_migrate_ma  skip"));
}

/* The synthetic Turin chain: policy violations under valid signatures, and a VLEK chain through an ASVK. */
static void test_verify_synthetic(void **state)
{
	(void)state;
	remove_file("c/vcek.der");
	copy_fixture("synthetic/ark.pem", "c/ark.pem");
	copy_fixture("synthetic/ask.pem", "c/ask.pem");
	copy_fixture("synthetic/vcek.der", "c/vcek.der");
	copy_fixture("synthetic/turin-debug.bin", "report.bin");
	assert_int_equal(run(VERIFY_SYN), 1);
	assert_non_null(strstr(out, "FAILED: first failing check: policy_debug"));
	assert_int_equal(run(VERIFY_SYN " --allow-debug"), 0);
	copy_fixture("synthetic/turin-migrate-ma.bin", "report.bin");
	assert_int_equal(run(VERIFY_SYN), 1);
	assert_non_null(strstr(out, "FAILED: first failing check: policy_migrate_ma"));
	assert_int_equal(run(VERIFY_SYN " --allow-migrate-ma"), 0);
	copy_fixture("synthetic/turin-no-smt.bin", "report.bin");
	assert_int_equal(run(VERIFY_SYN " --deny-smt --min-tcb fmc=1,bl=3,tee=0,snp=25,ucode=72"), 0);
	assert_int_equal(run(VERIFY_SYN " --min-tcb fmc=2,bl=3,tee=0,snp=25,ucode=72"), 1);
	assert_non_null(strstr(out, "first failing check: min_tcb"));
	/* VLEK: ark.pem, asvk.pem and vlek.der */
	remove_file("c/vcek.der");
	remove_file("c/ask.pem");
	copy_fixture("synthetic/asvk.pem", "c/asvk.pem");
	copy_fixture("synthetic/vlek.der", "c/vlek.der");
	copy_fixture("synthetic/turin-vlek-report.bin", "report.bin");
	assert_int_equal(run(VERIFY_SYN), 0);
	assert_non_null(strstr(out, "vcek_signature     pass  VLEK"));
	remove_file("c/asvk.pem");
	remove_file("c/vlek.der");
}

static void test_decode(void **state)
{
	(void)state;
	write_file("report.bin", fx.report, fx.report_len);
	assert_int_equal(run("decode report $D/report.bin"), 0);
	assert_non_null(strstr(out, "measurement"));
	assert_non_null(strstr(out, "bl=10 tee=0 snp=23 ucode=84"));
	assert_int_equal(run("decode report $D/report.bin --json"), 0);
	json_object *o = json_tokener_parse(out);
	assert_non_null(o);
	json_object_put(o);
	write_file("short.bin", fx.report, 100);
	assert_int_equal(run("decode report $D/short.bin"), 2);
	assert_non_null(strstr(out, "truncated"));

	uint8_t page[GHCB_PAGE_SIZE] = {0};
	ghcb_set_sw_exit_code((struct ghcb *)(void *)page, 0x72);
	write_file("ghcb.bin", page, sizeof(page));
	assert_int_equal(run("decode ghcb $D/ghcb.bin"), 0);
	assert_non_null(strstr(out, "CPUID"));
	assert_int_equal(run("decode ghcb $D/ghcb.bin --json"), 0);
	assert_non_null(strstr(out, "\"exit_code_name\":\"CPUID\""));
	assert_int_equal(run("decode ghcb $D/short.bin"), 2);

	assert_int_equal(run("decode msr 0x0002000133000001"), 0);
	assert_non_null(strstr(out, "SEV_INFO_RESP max=2 min=1 cbit=51"));
	assert_int_equal(run("decode msr 0x0002000133000001 --json"), 0);
	assert_non_null(strstr(out, "\"name\":\"SEV_INFO_RESP\""));
	assert_int_equal(run("decode msr zz"), 2);

	uint8_t psc[8 + 2 * 8];
	psc_hdr_set(psc, 0, 1);
	psc_entry_store(psc, 0, psc_entry_make(0x42, SNP_PAGE_STATE_PRIVATE, 0, 0));
	psc_entry_store(psc, 1, psc_entry_make(0x43, SNP_PAGE_STATE_SHARED, 1, 0));
	write_file("psc.bin", psc, sizeof(psc));
	assert_int_equal(run("decode psc $D/psc.bin"), 0);
	assert_non_null(strstr(out, "gfn 0x43 op 2 (shared) 2M"));
	assert_int_equal(run("decode psc $D/psc.bin --json"), 0);
	assert_non_null(strstr(out, "\"operation\":\"private\""));
	write_file("psc.bin", psc, sizeof(psc) - 3);
	assert_int_equal(run("decode psc $D/psc.bin"), 2);
	assert_non_null(strstr(out, "malformed PSC descriptor"));

	assert_int_equal(run("decode bogus $D/psc.bin"), 2);
	assert_int_equal(run("decode report"), 2);
	assert_int_equal(run("decode report $D/missing.bin"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verify_genuine),
	    cmocka_unit_test(test_verify_cert_table),
	    cmocka_unit_test(test_verify_corrupted_and_malformed),
	    cmocka_unit_test(test_verify_policy_options),
	    cmocka_unit_test(test_verify_synthetic),
	    cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

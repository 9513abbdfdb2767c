/* SPDX-License-Identifier: MIT */
/*
 * report -> verify round trips on our own stack: the attest guest's report (launched, measured, requested through
 * the engine, signed by the firmware model) verifies against the platform's chain; single-byte corruptions of
 * every signed field, of the signature and of each certificate fail with the right check named; policy options
 * pass and fail as they should.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/report.h>
#include <snpemu/fw.h>
#include <snpemu/verify.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

struct fixture {
	struct vmm_result res;
	struct fw_platform *platform;
	const uint8_t *ark, *ask, *vcek;
	size_t ark_len, ask_len, vcek_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vmm_config cfg;
	vmm_config_default(&cfg);
	cfg.program = snpemu_program_find("attest");
	cfg.backend = VMM_BACKEND_SIM;
	cfg.quiet = true;
	cfg.out = fopen("/dev/null", "w");
	cfg.err = cfg.out;
	/* REPORT_DATA 00 01 .. 3f, as the attest program's argument. */
	static char hex[129];
	for (int i = 0; i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", i);
	const char *args[] = {"--report-data", hex};
	cfg.args = args;
	cfg.nargs = 2;
	if (!f || vmm_run(&cfg, &f->res) || f->res.status || f->res.exported_len < SNP_REPORT_SIZE)
		return -1;
	fclose(cfg.out);
	struct fw_platform_config pc;
	if (vmm_platform_config(&cfg, &pc) || fw_platform_create(&pc, &f->platform))
		return -1;
	if (fw_platform_cert(f->platform, FW_CERT_ARK, &f->ark, &f->ark_len) ||
	    fw_platform_cert(f->platform, FW_CERT_ASK, &f->ask, &f->ask_len) ||
	    fw_platform_cert(f->platform, FW_CERT_VCEK, &f->vcek, &f->vcek_len))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fw_platform_destroy(f->platform);
	free(f);
	return 0;
}

/* Verify `report` with the given certificates; returns the first failing check or -1. */
static int verify(const uint8_t *report, const uint8_t *ark, size_t ark_len, const uint8_t *ask, size_t ask_len,
		  const uint8_t *vcek, size_t vcek_len, const struct fw_verify_policy *policy)
{
	struct fw_attest_report r;
	struct fw_verify_result res;
	if (fw_attest_report_parse(report, SNP_REPORT_SIZE, &r) != FW_ATTEST_PARSE_OK)
		return 1000;
	struct fw_verify_certs certs = {.ark = ark,
					.ark_len = ark_len,
					.ask = ask,
					.ask_len = ask_len,
					.vcek = vcek,
					.vcek_len = vcek_len,
					.trusted_ark = ark,
					.trusted_ark_len = ark_len};
	struct fw_verify_policy def;
	fw_verify_policy_default(&def);
	fw_attest_verify(&r, &certs, policy ? policy : &def, &res);
	return res.first_failure;
}

static void test_report_verifies(void **state)
{
	struct fixture *f = *state;
	struct fw_verify_policy p;
	fw_verify_policy_default(&p);
	p.has_measurement = p.has_report_data = p.has_vmpl = p.has_version = true;
	memcpy(p.measurement, f->res.measurement, 48);
	for (int i = 0; i < 64; i++)
		p.report_data[i] = (uint8_t)i;
	p.vmpl = 0;
	p.version = 3;
	assert_int_equal(verify(f->res.exported, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, &p), -1);
}

static void test_signed_bytes_corrupted(void **state)
{
	struct fixture *f = *state;
	uint8_t r[SNP_REPORT_SIZE];
	/* Every signed byte: a flip must break the signature (or, for reserved/format bytes, the format check that
	 * runs first on fields the parser rejects).  Step 3 keeps the run short while touching every field. */
	for (unsigned int off = 0; off < SNP_REPORT_SIGNED_SIZE; off += 3) {
		memcpy(r, f->res.exported, sizeof(r));
		r[off] ^= 0x01;
		int first = verify(r, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, NULL);
		/* VERSION outside 2..5 is refused by the parser (inside it, the signature fails); SIGNATURE_ALGO and
		 * the signing-key bits of the signer info fail signature_algo, which runs first; every other signed
		 * byte fails the signature. */
		bool version = off < 4;
		bool algo = (off >= SNP_REPORT_OFF_SIG_ALGO && off < SNP_REPORT_OFF_SIG_ALGO + 4) ||
			    off == SNP_REPORT_OFF_SIGNER_INFO;
		int want = version ? 1000 : algo ? FW_CHECK_SIGNATURE_ALGO : FW_CHECK_REPORT_SIGNATURE;
		if (first != want && !((algo || version) && first == FW_CHECK_REPORT_SIGNATURE)) {
			fprintf(stderr, "offset 0x%x: first failure %d, expected %d\n", off, first, want);
			fail();
		}
	}
	/* The measurement specifically: signature. */
	memcpy(r, f->res.exported, sizeof(r));
	r[SNP_REPORT_OFF_MEASUREMENT] ^= 0x80;
	assert_int_equal(verify(r, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, NULL),
			 FW_CHECK_REPORT_SIGNATURE);
}

static void test_signature_corrupted(void **state)
{
	struct fixture *f = *state;
	uint8_t r[SNP_REPORT_SIZE];
	for (unsigned int i = 0; i < 48; i += 5) {
		memcpy(r, f->res.exported, sizeof(r));
		r[SNP_REPORT_OFF_SIGNATURE + SNP_SIG_OFF_R + i] ^= 0x10;
		assert_int_equal(verify(r, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, NULL),
				 FW_CHECK_REPORT_SIGNATURE);
		memcpy(r, f->res.exported, sizeof(r));
		r[SNP_REPORT_OFF_SIGNATURE + SNP_SIG_OFF_S + i] ^= 0x10;
		assert_int_equal(verify(r, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, NULL),
				 FW_CHECK_REPORT_SIGNATURE);
	}
}

static void test_certificates_corrupted(void **state)
{
	struct fixture *f = *state;
	const struct {
		const uint8_t *der;
		size_t len;
		int which;
	} certs[] = {{f->ark, f->ark_len, 0}, {f->ask, f->ask_len, 1}, {f->vcek, f->vcek_len, 2}};
	for (size_t c = 0; c < 3; c++) {
		uint8_t *copy = malloc(certs[c].len);
		assert_non_null(copy);
		/* The last bytes are the certificate's signature: a flip there can only break that signature. */
		for (size_t back = 1; back < 40; back += 9) {
			memcpy(copy, certs[c].der, certs[c].len);
			copy[certs[c].len - back] ^= 0x01;
			const uint8_t *a = c == 0 ? copy : f->ark, *k = c == 1 ? copy : f->ask,
				      *v = c == 2 ? copy : f->vcek;
			size_t al = f->ark_len, kl = f->ask_len, vl = f->vcek_len;
			/* A corrupted ARK is also the trusted root here, so its self-signature is what fails. */
			int first = verify(f->res.exported, a, al, k, kl, v, vl, NULL);
			int want = c == 0   ? FW_CHECK_ARK_SIGNATURE
				   : c == 1 ? FW_CHECK_ASK_SIGNATURE
					    : FW_CHECK_VCEK_SIGNATURE;
			assert_int_equal(first, want);
		}
		free(copy);
	}
}

static void test_policy_options(void **state)
{
	struct fixture *f = *state;
	struct fw_verify_policy p;
	fw_verify_policy_default(&p);
	p.has_measurement = true;
	memcpy(p.measurement, f->res.measurement, 48);
	p.measurement[47] ^= 1;
	assert_int_equal(verify(f->res.exported, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, &p),
			 FW_CHECK_MEASUREMENT);
	fw_verify_policy_default(&p);
	p.has_vmpl = true;
	p.vmpl = 1;
	assert_int_equal(verify(f->res.exported, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, &p),
			 FW_CHECK_VMPL);
	fw_verify_policy_default(&p);
	p.deny_smt = true; /* the default policy 0x30000 allows SMT */
	assert_int_equal(verify(f->res.exported, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, &p),
			 FW_CHECK_POLICY_SMT);
	fw_verify_policy_default(&p);
	p.has_min_tcb = true;
	p.min_tcb = (struct snp_tcb){.bootloader = 0x0a, .tee = 0, .snp = 0x17, .microcode = 0x54};
	assert_int_equal(verify(f->res.exported, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, &p), -1);
	p.min_tcb.microcode = 0x55;
	assert_int_equal(verify(f->res.exported, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, &p),
			 FW_CHECK_MIN_TCB);
	fw_verify_policy_default(&p);
	p.has_min_fw = true;
	p.min_fw_major = 1;
	p.min_fw_minor = 0x37;
	assert_int_equal(verify(f->res.exported, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, &p), -1);
	p.min_fw_minor = 0x38;
	assert_int_equal(verify(f->res.exported, f->ark, f->ark_len, f->ask, f->ask_len, f->vcek, f->vcek_len, &p),
			 FW_CHECK_MIN_FW_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_verifies),	cmocka_unit_test(test_signed_bytes_corrupted),
	    cmocka_unit_test(test_signature_corrupted), cmocka_unit_test(test_certificates_corrupted),
	    cmocka_unit_test(test_policy_options),
	};
	return cmocka_run_group_tests_name("cli/roundtrip", tests, setup, teardown);
}

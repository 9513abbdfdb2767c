/* SPDX-License-Identifier: MIT */
/*
 * The attestation parsers: the report (sizes, versions, every field of the genuine Genoa report), the report field
 * table, the signature conversion to DER, product detection, the certificate table, the PSC descriptor decoder and
 * the JSON forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <json-c/json.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/psc.h>

#include "../common/fixture.h"

static struct fixture fx;

static int setup(void **state)
{
	(void)state;
	return fixture_load(&fx);
}

static int teardown(void **state)
{
	(void)state;
	fixture_free(&fx);
	return 0;
}

static void test_report_sizes_and_versions(void **state)
{
	(void)state;
	struct attest_report r;
	uint8_t buf[SNP_REPORT_SIZE + 1];
	memcpy(buf, fx.report, SNP_REPORT_SIZE);
	buf[SNP_REPORT_SIZE] = 0;
	assert_int_equal(attest_report_parse(buf, 0, &r), ATTEST_PARSE_TRUNCATED);
	assert_int_equal(attest_report_parse(buf, SNP_REPORT_SIZE - 1, &r), ATTEST_PARSE_TRUNCATED);
	assert_int_equal(attest_report_parse(buf, SNP_REPORT_SIZE + 1, &r), ATTEST_PARSE_TOO_LONG);
	static const uint32_t bad_versions[] = {0, 1, 6, 0x103, 0xFFFFFFFFu};
	for (size_t i = 0; i < sizeof(bad_versions) / sizeof(bad_versions[0]); i++) {
		le32_store(buf, bad_versions[i]);
		assert_int_equal(attest_report_parse(buf, SNP_REPORT_SIZE, &r), ATTEST_PARSE_VERSION);
	}
	for (uint32_t v = 2; v <= 5; v++) {
		le32_store(buf, v);
		assert_int_equal(attest_report_parse(buf, SNP_REPORT_SIZE, &r), ATTEST_PARSE_OK);
		assert_int_equal(r.version, v);
	}
	assert_non_null(strstr(attest_parse_status_str(ATTEST_PARSE_TRUNCATED), "truncated"));
	assert_non_null(strstr(attest_parse_status_str(ATTEST_PARSE_VERSION), "VERSION"));
}

/* The genuine report's values, read with `xxd tests/fixtures/genoa-report.bin`. */
static void test_report_fields_of_genoa(void **state)
{
	(void)state;
	struct attest_report r;
	assert_int_equal(attest_report_parse(fx.report, fx.report_len, &r), ATTEST_PARSE_OK);
	assert_int_equal(r.version, 3);
	assert_int_equal(r.policy, 0x30000);
	assert_int_equal(r.vmpl, 0);
	assert_int_equal(r.sig_algo, 1);
	assert_int_equal(r.current_tcb, 0x541700000000000aull);
	assert_int_equal(r.reported_tcb, 0x541700000000000aull);
	assert_int_equal(r.platform_info, 0x27);
	assert_int_equal(r.signer_info, 0);
	assert_int_equal(r.cpuid_fam_id, 0x19);
	assert_int_equal(r.cpuid_mod_id, 0x11);
	assert_int_equal(r.cpuid_step, 1);
	assert_int_equal(r.product, ATTEST_PRODUCT_GENOA);
	assert_int_equal(r.tcb_layout, SNP_TCB_LAYOUT_LEGACY);
	assert_int_equal(r.current_major, 1);
	assert_int_equal(r.current_minor, 55);
	assert_int_equal(r.current_build, 40);
	assert_int_equal(r.report_data[0], 0x71);
	assert_int_equal(r.measurement[0], 0x09);
	assert_int_equal(r.chip_id[0], 0x1a);
	assert_int_equal(r.chip_id[63], 0x44);
	assert_int_equal(r.sig_r[0], 0xa0);
	assert_int_equal(r.sig_s[0], 0x58);
	assert_int_equal(r.report_id_ma[31], 0xff);
}

static void test_product_and_layout(void **state)
{
	(void)state;
	assert_int_equal(attest_product_from_cpuid(0x19, 0x01), ATTEST_PRODUCT_MILAN);
	assert_int_equal(attest_product_from_cpuid(0x19, 0x11), ATTEST_PRODUCT_GENOA);
	assert_int_equal(attest_product_from_cpuid(0x19, 0xA0), ATTEST_PRODUCT_GENOA);
	assert_int_equal(attest_product_from_cpuid(0x19, 0x30), ATTEST_PRODUCT_UNKNOWN);
	assert_int_equal(attest_product_from_cpuid(0x1A, 0x02), ATTEST_PRODUCT_TURIN);
	assert_int_equal(attest_product_from_cpuid(0x1A, 0x50), ATTEST_PRODUCT_VENICE);
	assert_int_equal(attest_product_from_cpuid(0, 0), ATTEST_PRODUCT_UNKNOWN);
	assert_string_equal(attest_product_name(ATTEST_PRODUCT_TURIN), "Turin");
	/* A v3 Turin report uses the Turin TCB layout; a v2 report with an 8-byte CHIP_ID too. */
	uint8_t buf[SNP_REPORT_SIZE];
	struct attest_report r;
	memcpy(buf, fx.report, sizeof(buf));
	buf[SNP_REPORT_OFF_CPUID_FAM_ID] = 0x1A, buf[SNP_REPORT_OFF_CPUID_MOD_ID] = 0x02;
	assert_int_equal(attest_report_parse(buf, sizeof(buf), &r), ATTEST_PARSE_OK);
	assert_int_equal(r.tcb_layout, SNP_TCB_LAYOUT_TURIN);
	memcpy(buf, fx.report, sizeof(buf));
	le32_store(buf, 2);
	memset(buf + SNP_REPORT_OFF_CHIP_ID + 8, 0, 56);
	assert_int_equal(attest_report_parse(buf, sizeof(buf), &r), ATTEST_PARSE_OK);
	assert_int_equal(r.product, ATTEST_PRODUCT_UNKNOWN);
	assert_int_equal(r.cpuid_fam_id, 0); /* reserved in v2 */
	assert_int_equal(r.tcb_layout, SNP_TCB_LAYOUT_TURIN);
}

/* Every byte of every version's report is covered by exactly one field of the table. */
static void test_field_table_covers_report(void **state)
{
	(void)state;
	size_t n;
	const struct attest_report_field *f = attest_report_fields(&n);
	assert_true(n > 30);
	for (uint32_t v = 2; v <= 5; v++) {
		uint8_t cover[SNP_REPORT_SIZE] = {0};
		for (size_t i = 0; i < n; i++) {
			if (!attest_report_field_in_version(&f[i], v))
				continue;
			assert_true(f[i].offset + f[i].size <= SNP_REPORT_SIZE);
			for (unsigned int b = f[i].offset; b < f[i].offset + f[i].size; b++)
				cover[b]++;
		}
		for (unsigned int b = 0; b < SNP_REPORT_SIZE; b++)
			if (cover[b] != 1)
				fail_msg("version %u: byte 0x%x covered %u times", v, b, cover[b]);
	}
	assert_false(attest_report_field_in_version(&f[0], 9));
}

static void test_sig_to_der(void **state)
{
	(void)state;
	uint8_t der[ATTEST_SIG_DER_MAX], r[72] = {0}, s[72] = {0};
	/* r = 1, s = 0x80 (needs a leading zero) */
	r[0] = 1;
	s[0] = 0x80;
	static const uint8_t want[] = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80};
	assert_int_equal(attest_sig_to_der(r, s, der), sizeof(want));
	assert_memory_equal(der, want, sizeof(want));
	/* the largest: both 48 bytes with the top bit set */
	memset(r, 0xFF, 48);
	memset(s, 0xFF, 48);
	assert_int_equal(attest_sig_to_der(r, s, der), 2 + 2 * 51);
	assert_int_equal(der[1], 102);
	assert_int_equal(der[3], 49);
	assert_int_equal(der[4], 0);
	/* zero and over-long components are rejected */
	memset(r, 0, sizeof(r));
	assert_int_equal(attest_sig_to_der(r, s, der), -EINVAL);
	r[0] = 1;
	s[48] = 1;
	assert_int_equal(attest_sig_to_der(r, s, der), -EINVAL);
	/* the genuine signature: R's top significant byte is 0xbb, so R gets a leading zero */
	struct attest_report rep;
	assert_int_equal(attest_report_parse(fx.report, fx.report_len, &rep), ATTEST_PARSE_OK);
	int n = attest_sig_to_der(rep.sig_r, rep.sig_s, der);
	assert_true(n > 0);
	assert_int_equal(der[2], 0x02);
	assert_int_equal(der[3], 49);
	assert_int_equal(der[5], 0xbb);
	assert_int_equal(der[5 + 47], 0xa0);
}

static void test_describe_and_json(void **state)
{
	(void)state;
	struct attest_report r;
	assert_int_equal(attest_report_parse(fx.report, fx.report_len, &r), ATTEST_PARSE_OK);
	char *buf = malloc(65536);
	struct snpemu_text t;
	snpemu_text_init(&t, buf, 65536);
	assert_true(attest_report_describe(&r, &t) > 0);
	assert_false(t.truncated);
	size_t n;
	const struct attest_report_field *f = attest_report_fields(&n);
	for (size_t i = 0; i < n; i++)
		if (attest_report_field_in_version(&f[i], 3))
			assert_non_null(strstr(buf, f[i].name));
	assert_non_null(strstr(buf, "bl=10 tee=0 snp=23 ucode=84"));
	assert_non_null(strstr(buf, "smt reserved_must_be_one"));
	assert_non_null(strstr(buf, "signing_key=VCEK"));
	assert_non_null(strstr(buf, "product Genoa"));
	assert_null(strstr(buf, "launch_mit_vector")); /* v5 only */
	free(buf);

	char *js = attest_report_json(&r);
	assert_non_null(js);
	json_object *o = json_tokener_parse(js);
	assert_non_null(o);
	json_object *v, *w;
	assert_true(json_object_object_get_ex(o, "version", &v));
	assert_int_equal(json_object_get_int(v), 3);
	assert_true(json_object_object_get_ex(o, "reported_tcb", &v));
	assert_true(json_object_object_get_ex(v, "microcode", &w));
	assert_int_equal(json_object_get_int(w), 84);
	assert_true(json_object_object_get_ex(o, "policy", &v));
	assert_true(json_object_object_get_ex(v, "debug", &w));
	assert_false(json_object_get_boolean(w));
	assert_true(json_object_object_get_ex(o, "measurement", &v));
	assert_int_equal(strncmp(json_object_get_string(v), "09ef32ac", 8), 0);
	assert_false(json_object_object_get_ex(o, "reserved_330", &v)); /* zero reserved fields are left out */
	json_object_put(o);
	free(js);
}

/* A table of `n` entries with blobs of `len` bytes each, packed after the terminator. */
static size_t build_table(uint8_t *buf, size_t cap, const uint8_t (*guids)[16], size_t n, uint32_t len)
{
	size_t off = (n + 1) * SNP_CERT_ENTRY_SIZE;
	memset(buf, 0, cap);
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + i * 24, guids[i], 16);
		le32_store(buf + i * 24 + 16, (uint32_t)off);
		le32_store(buf + i * 24 + 20, len);
		memset(buf + off, (int)(0xA0 + i), len);
		off += len;
	}
	return off;
}

static void test_cert_table(void **state)
{
	(void)state;
	static const uint8_t guids[][16] = {SNP_GUID_ARK, SNP_GUID_ASK, SNP_GUID_VCEK, SNP_GUID_CRL, {0x11, 0x22}};
	uint8_t buf[1024];
	struct attest_cert_table t;
	size_t len = build_table(buf, sizeof(buf), guids, 5, 40);
	assert_int_equal(attest_cert_table_parse(buf, len, &t), 0);
	assert_int_equal(t.count, 5);
	assert_int_equal(t.table_size, 6 * 24);
	assert_int_equal(t.blob_end, len);
	assert_int_equal(t.entries[0].kind, ATTEST_CERT_ARK);
	assert_int_equal(t.entries[3].kind, ATTEST_CERT_CRL);
	assert_int_equal(t.entries[4].kind, ATTEST_CERT_OTHER);
	const struct attest_cert_entry *e = attest_cert_table_find(&t, ATTEST_CERT_VCEK);
	assert_non_null(e);
	assert_int_equal(buf[e->offset], 0xA2);
	assert_null(attest_cert_table_find(&t, ATTEST_CERT_VLEK));
	char g[37];
	attest_guid_str(guids[2], g);
	assert_string_equal(g, "63da758d-e664-4564-adc5-f4b93be8accd");

	char text[2048];
	struct snpemu_text tx;
	snpemu_text_init(&tx, text, sizeof(text));
	attest_cert_table_describe(&t, &tx);
	assert_non_null(strstr(text, "VCEK  63da758d-e664-4564-adc5-f4b93be8accd"));
	char *js = attest_cert_table_json(&t);
	assert_non_null(js);
	assert_non_null(strstr(js, "\"kind\":\"CRL\""));
	free(js);

	/* empty tables: 24 zero bytes, or a zeroed page */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(attest_cert_table_parse(buf, 24, &t), 0);
	assert_int_equal(t.count, 0);
	assert_int_equal(attest_cert_table_parse(buf, 1024, &t), 0);

	/* go-sev-guest's zero-GUID ASVK placeholder with an offset is an entry, not the terminator */
	static const uint8_t with_zero_guid[][16] = {SNP_GUID_ARK, {0}, SNP_GUID_VCEK};
	len = build_table(buf, sizeof(buf), with_zero_guid, 3, 16);
	assert_int_equal(attest_cert_table_parse(buf, len, &t), 0);
	assert_int_equal(t.count, 3);

	/* errors */
	assert_int_equal(attest_cert_table_parse(buf, 23, &t), -EINVAL);
	len = build_table(buf, sizeof(buf), guids, 3, 40);
	assert_int_equal(attest_cert_table_parse(buf, len - 1, &t), -EINVAL); /* last blob beyond the buffer */
	assert_non_null(strstr(t.error, "beyond"));
	assert_int_equal(attest_cert_table_parse(buf, 3 * 24 + 10, &t), -EINVAL); /* terminator cut off */
	assert_non_null(strstr(t.error, "terminator"));
	le32_store(buf + 16, 24); /* ARK blob inside the table */
	assert_int_equal(attest_cert_table_parse(buf, len, &t), -EINVAL);
	assert_non_null(strstr(t.error, "inside"));
	len = build_table(buf, sizeof(buf), guids, 3, 40);
	le32_store(buf + 24 + 16, 0xFFFFFFF0u); /* offset + length overflows 32 bits */
	assert_int_equal(attest_cert_table_parse(buf, len, &t), -EINVAL);
	len = build_table(buf, sizeof(buf), guids, 3, 40);
	le32_store(buf + 20, 0); /* zero length */
	assert_int_equal(attest_cert_table_parse(buf, len, &t), -EINVAL);
	static const uint8_t dup[][16] = {SNP_GUID_VCEK, SNP_GUID_VCEK};
	len = build_table(buf, sizeof(buf), dup, 2, 8);
	assert_int_equal(attest_cert_table_parse(buf, len, &t), -EINVAL);
	assert_non_null(strstr(t.error, "twice"));
	/* a table of nothing but non-zero entries */
	memset(buf, 0x41, sizeof(buf));
	assert_int_equal(attest_cert_table_parse(buf, sizeof(buf), &t), -EINVAL);
}

static void test_psc_decode(void **state)
{
	(void)state;
	uint8_t d[PSC_DESC_SIZE] = {0};
	char why[128], text[8192];
	struct snpemu_text t;
	psc_hdr_set(d, 1, 2);
	psc_entry_store(d, 0, psc_entry_make(0x1234, SNP_PAGE_STATE_SHARED, RMP_PG_SIZE_4K, 0));
	psc_entry_store(d, 1, psc_entry_make(0x200, SNP_PAGE_STATE_PRIVATE, RMP_PG_SIZE_2M, 5));
	psc_entry_store(d, 2, psc_entry_make(0x400, 9, RMP_PG_SIZE_4K, 0) | 1ull << 60);
	assert_int_equal(snpemu_psc_validate(d, sizeof(d), why, sizeof(why)), 0);
	assert_int_equal(snpemu_psc_validate(d, 8 + 3 * 8, why, sizeof(why)), 0);
	snpemu_text_init(&t, text, sizeof(text));
	snpemu_decode_psc(d, sizeof(d), &t);
	assert_non_null(strstr(text, "cur_entry 1, end_entry 2"));
	assert_non_null(strstr(text, "gfn 0x1234 op 2 (shared) 4K cur_page 0 processed"));
	assert_non_null(strstr(text, "gfn 0x200 op 1 (private) 2M cur_page 5 pending"));
	assert_non_null(strstr(text, "(invalid)"));
	assert_non_null(strstr(text, "RESERVED-BITS-SET"));
	char *js = snpemu_decode_psc_json(d, sizeof(d));
	assert_non_null(js);
	assert_non_null(strstr(js, "\"operation\":\"shared\""));
	free(js);
	/* bad lengths and headers */
	assert_int_equal(snpemu_psc_validate(d, 7, why, sizeof(why)), -EINVAL);
	assert_int_equal(snpemu_psc_validate(d, 8 + 3 * 8 + 4, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "whole"));
	assert_int_equal(snpemu_psc_validate(d, 8 + 2 * 8, why, sizeof(why)), -EINVAL); /* end_entry 2, 2 entries */
	assert_int_equal(snpemu_psc_validate(d, PSC_DESC_SIZE + 8, why, sizeof(why)), -EINVAL);
	psc_hdr_set(d, 0, 253);
	assert_int_equal(snpemu_psc_validate(d, sizeof(d), why, sizeof(why)), -EINVAL);
	assert_null(snpemu_decode_psc_json(d, sizeof(d)));
	snpemu_text_init(&t, text, sizeof(text));
	snpemu_decode_psc(d, sizeof(d), &t);
	assert_non_null(strstr(text, "error: end_entry 253"));
	psc_hdr_set(d, 3, 1); /* cur > end: KVM's invalid header */
	snpemu_text_init(&t, text, sizeof(text));
	snpemu_decode_psc(d, sizeof(d), &t);
	assert_non_null(strstr(text, "INVALID header"));
}

static void test_ghcb_and_msr_json(void **state)
{
	(void)state;
	uint8_t page[GHCB_PAGE_SIZE] = {0};
	struct ghcb *g = (struct ghcb *)(void *)page;
	ghcb_set_sw_exit_code(g, 0x72); /* CPUID */
	ghcb_set_rax(g, 0x8000001f);
	page[GHCB_OFF_SHARED_BUFFER + 3] = 0xAB;
	char *js = snpemu_decode_ghcb_json(page, sizeof(page));
	assert_non_null(js);
	json_object *o = json_tokener_parse(js);
	assert_non_null(o);
	assert_non_null(strstr(js, "\"exit_code_name\":\"CPUID\""));
	assert_non_null(strstr(js, "\"shared_buffer\":\"000000ab\""));
	assert_non_null(strstr(js, "\"value\":\"0x000000008000001f\""));
	json_object_put(o);
	free(js);
	assert_null(snpemu_decode_ghcb_json(page, 100));
	unsigned int off, size;
	assert_string_equal(snpemu_ghcb_field(0, &off, &size), "cpl");
	assert_null(snpemu_ghcb_field(1000, &off, &size));
	js = snpemu_decode_msr_json(0x0002000133000001ull);
	assert_non_null(js);
	assert_non_null(strstr(js, "SEV_INFO_RESP"));
	assert_non_null(strstr(js, "cbit=51"));
	free(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_sizes_and_versions),
	    cmocka_unit_test(test_report_fields_of_genoa),
	    cmocka_unit_test(test_product_and_layout),
	    cmocka_unit_test(test_field_table_covers_report),
	    cmocka_unit_test(test_sig_to_der),
	    cmocka_unit_test(test_describe_and_json),
	    cmocka_unit_test(test_cert_table),
	    cmocka_unit_test(test_psc_decode),
	    cmocka_unit_test(test_ghcb_and_msr_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

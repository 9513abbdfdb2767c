/* SPDX-License-Identifier: MIT */
/*
 * Certificates: the chain verifies with OpenSSL's X509 verification with our ARK as the only trust anchor; names,
 * signature algorithms (PSS parameters byte for byte), key sizes and extensions have the shapes of the genuine
 * Genoa certificates in tests/fixtures; every KDS extension value is checked; same seed -> identical DER; the
 * certificate table round-trips and its parser refuses malformed tables.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/le.h>
#include <snpemu/fw.h>

#include "../common/fixture_file.h"

static X509 *load_fixture(const char *name)
{
	size_t len = 0;
	uint8_t *der = strstr(name, ".pem") ? fixture_read_pem(name, &len) : fixture_read(name, &len);
	assert_non_null(der);
	const uint8_t *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	free(der);
	assert_non_null(x);
	return x;
}

static X509 *cert_of(struct fw_platform *p, enum fw_cert_kind kind)
{
	const uint8_t *der, *q;
	size_t len;
	assert_int_equal(fw_platform_cert(p, kind, &der, &len), 0);
	q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	assert_non_null(x);
	assert_ptr_equal(q, der + len); /* no trailing bytes */
	return x;
}

static struct fw_platform *make_platform(enum fw_product product, const char *seed, bool vlek)
{
	struct fw_platform_config cfg;
	struct fw_platform *p;
	fw_platform_config_default(&cfg, product);
	assert_int_equal(fw_platform_config_seed(&cfg, (const uint8_t *)seed, strlen(seed)), 0);
	cfg.vlek = vlek;
	assert_int_equal(fw_platform_create(&cfg, &p), 0);
	return p;
}

static int verify_chain(X509 *root, X509 *inter, X509 *leaf)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	assert_true(store && ctx && untrusted);
	X509_STORE_add_cert(store, root);
	sk_X509_push(untrusted, inter);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	int ok = X509_verify_cert(ctx);
	if (ok != 1)
		print_error("verify: %s\n", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	return ok;
}

static char *name_str(const X509_NAME *n)
{
	static char buf[4][256];
	static int i;
	char *b = buf[i++ & 3];
	X509_NAME_oneline(n, b, 256);
	return b;
}

/* The DER of the outer signature AlgorithmIdentifier. */
static int sigalg_der(X509 *x, unsigned char **out)
{
	const X509_ALGOR *alg;
	X509_get0_signature(NULL, &alg, x);
	return i2d_X509_ALGOR(alg, out);
}

static void same_shape(X509 *ours, X509 *genuine, bool compare_names)
{
	unsigned char *a = NULL, *b = NULL;
	int la = sigalg_der(ours, &a), lb = sigalg_der(genuine, &b);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, (size_t)la); /* RSASSA-PSS params, trailer field spelled or not, as AMD */
	OPENSSL_free(a);
	OPENSSL_free(b);
	assert_int_equal(X509_get_signature_nid(ours), NID_rsassaPss);
	assert_int_equal(X509_get_version(ours), 2);
	if (compare_names) {
		assert_string_equal(name_str(X509_get_subject_name(ours)), name_str(X509_get_subject_name(genuine)));
		assert_string_equal(name_str(X509_get_issuer_name(ours)), name_str(X509_get_issuer_name(genuine)));
	}
	/* name encodings: every RDN's string type as in the genuine certificate */
	const X509_NAME *no = X509_get_subject_name(ours), *ng = X509_get_subject_name(genuine);
	assert_int_equal(X509_NAME_entry_count(no), X509_NAME_entry_count(ng));
	for (int i = 0; i < X509_NAME_entry_count(ng); i++) {
		const X509_NAME_ENTRY *eo = X509_NAME_get_entry(no, i), *eg = X509_NAME_get_entry(ng, i);
		assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(eo)),
				 OBJ_obj2nid(X509_NAME_ENTRY_get_object(eg)));
		assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(eo)),
				 ASN1_STRING_type(X509_NAME_ENTRY_get_data(eg)));
	}
	/* the same extensions in the same order, same criticality */
	assert_int_equal(X509_get_ext_count(ours), X509_get_ext_count(genuine));
	for (int i = 0; i < X509_get_ext_count(genuine); i++) {
		X509_EXTENSION *eo = X509_get_ext(ours, i), *eg = X509_get_ext(genuine, i);
		char so[80], sg[80];
		OBJ_obj2txt(so, sizeof(so), X509_EXTENSION_get_object(eo), 1);
		OBJ_obj2txt(sg, sizeof(sg), X509_EXTENSION_get_object(eg), 1);
		assert_string_equal(so, sg);
		assert_int_equal(X509_EXTENSION_get_critical(eo), X509_EXTENSION_get_critical(eg));
	}
	EVP_PKEY *ko = X509_get0_pubkey(ours), *kg = X509_get0_pubkey(genuine);
	assert_int_equal(EVP_PKEY_get_base_id(ko), EVP_PKEY_get_base_id(kg));
	assert_int_equal(EVP_PKEY_get_bits(ko), EVP_PKEY_get_bits(kg));
}

static const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int i = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OBJECT_free(obj);
	if (i < 0)
		return NULL;
	return X509_EXTENSION_get_data(X509_get_ext(x, i));
}

static long ext_int(X509 *x, const char *oid)
{
	const ASN1_OCTET_STRING *os = ext_value(x, oid);
	assert_non_null(os);
	const unsigned char *q = ASN1_STRING_get0_data(os);
	ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &q, ASN1_STRING_length(os));
	assert_non_null(ai);
	long v = ASN1_INTEGER_get(ai);
	ASN1_INTEGER_free(ai);
	return v;
}

static void check_kds(X509 *vcek, struct fw_platform *p, const char *product)
{
	const struct snp_tcb *t = &fw_platform_config(p)->reported_tcb;
	assert_int_equal(ext_int(vcek, "1.3.6.1.4.1.3704.1.1"), 0);
	const ASN1_OCTET_STRING *pn = ext_value(vcek, "1.3.6.1.4.1.3704.1.2");
	assert_non_null(pn);
	const unsigned char *q = ASN1_STRING_get0_data(pn);
	ASN1_IA5STRING *ia5 = d2i_ASN1_IA5STRING(NULL, &q, ASN1_STRING_length(pn));
	assert_non_null(ia5);
	assert_int_equal(ASN1_STRING_length(ia5), strlen(product));
	assert_memory_equal(ASN1_STRING_get0_data(ia5), product, strlen(product));
	ASN1_IA5STRING_free(ia5);
	assert_int_equal(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.1"), t->bootloader);
	assert_int_equal(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.2"), t->tee);
	assert_int_equal(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.3"), t->snp);
	for (int i = 4; i <= 7; i++) {
		char oid[48];
		snprintf(oid, sizeof(oid), "1.3.6.1.4.1.3704.1.3.%d", i);
		assert_int_equal(ext_int(vcek, oid), 0);
	}
	assert_int_equal(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.8"), t->microcode);
	const ASN1_OCTET_STRING *hw = ext_value(vcek, "1.3.6.1.4.1.3704.1.4");
	assert_non_null(hw);
	assert_int_equal(ASN1_STRING_length(hw), 64); /* raw 64 bytes, as the genuine VCEK */
	assert_memory_equal(ASN1_STRING_get0_data(hw), fw_platform_chip_id(p), 64);
}

/* The shared platform: Genoa with a VLEK, seed "certs". */
static struct fw_platform *genoa;

static int setup(void **state)
{
	(void)state;
	genoa = make_platform(FW_PRODUCT_GENOA, "certs", true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fw_platform_destroy(genoa);
	return 0;
}

static void test_genoa_chain_and_shapes(void **state)
{
	(void)state;
	struct fw_platform *p = genoa;
	X509 *ark = cert_of(p, FW_CERT_ARK), *ask = cert_of(p, FW_CERT_ASK), *vcek = cert_of(p, FW_CERT_VCEK);
	assert_int_equal(verify_chain(ark, ask, vcek), 1);
	X509 *gark = load_fixture("amd-genoa-ark.pem"), *gask = load_fixture("amd-genoa-ask.pem"),
	     *gvcek = load_fixture("genoa-vcek.der");
	same_shape(ark, gark, true);
	same_shape(ask, gask, true);
	same_shape(vcek, gvcek, true);
	check_kds(vcek, p, "Genoa");
	/* a genuine chain does not verify against our ARK, nor ours against AMD's */
	assert_int_not_equal(verify_chain(gark, ask, vcek), 1);
	assert_int_not_equal(verify_chain(ark, gask, gvcek), 1);
	/* validity covers the present */
	assert_true(X509_cmp_current_time(X509_get0_notBefore(vcek)) < 0);
	assert_true(X509_cmp_current_time(X509_get0_notAfter(vcek)) > 0);
	assert_true(X509_cmp_current_time(X509_get0_notAfter(ark)) > 0);
	X509_free(gark);
	X509_free(gask);
	X509_free(gvcek);
	X509_free(ark);
	X509_free(ask);
	X509_free(vcek);
}

static void test_products(void **state)
{
	(void)state;
	static const struct {
		enum fw_product product;
		const char *line;
	} rows[] = {{FW_PRODUCT_MILAN, "Milan"}, {FW_PRODUCT_TURIN, "Turin"}};
	for (size_t i = 0; i < 2; i++) {
		struct fw_platform *p = make_platform(rows[i].product, "products", false);
		X509 *ark = cert_of(p, FW_CERT_ARK), *ask = cert_of(p, FW_CERT_ASK), *vcek = cert_of(p, FW_CERT_VCEK);
		assert_int_equal(verify_chain(ark, ask, vcek), 1);
		char cn[64];
		X509_NAME_get_text_by_NID(X509_get_subject_name(ark), NID_commonName, cn, sizeof(cn));
		assert_true(!strncmp(cn, "ARK-", 4) && !strcmp(cn + 4, rows[i].line));
		X509_NAME_get_text_by_NID(X509_get_subject_name(ask), NID_commonName, cn, sizeof(cn));
		assert_true(!strncmp(cn, "SEV-", 4) && !strcmp(cn + 4, rows[i].line));
		X509_NAME_get_text_by_NID(X509_get_issuer_name(vcek), NID_commonName, cn, sizeof(cn));
		assert_true(!strncmp(cn, "SEV-", 4) && !strcmp(cn + 4, rows[i].line));
		check_kds(vcek, p, rows[i].line);
		const ASN1_OCTET_STRING *fmc = ext_value(vcek, "1.3.6.1.4.1.3704.1.3.9");
		if (rows[i].product == FW_PRODUCT_TURIN) {
			assert_non_null(fmc);
			assert_int_equal(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.9"),
					 fw_platform_config(p)->reported_tcb.fmc);
			/* Turin: only CHIP_ID[0..7] is non-zero */
			uint8_t zero[56] = {0};
			assert_memory_equal(fw_platform_chip_id(p) + 8, zero, 56);
		} else {
			assert_null(fmc);
		}
		X509_free(ark);
		X509_free(ask);
		X509_free(vcek);
		fw_platform_destroy(p);
	}
}

static void test_deterministic(void **state)
{
	(void)state;
	struct fw_platform *a = genoa, *b = make_platform(FW_PRODUCT_GENOA, "certs", true),
			   *c = make_platform(FW_PRODUCT_GENOA, "other", false);
	assert_memory_equal(fw_platform_chip_id(a), fw_platform_chip_id(b), 64);
	assert_memory_not_equal(fw_platform_chip_id(a), fw_platform_chip_id(c), 64);
	for (int k = FW_CERT_ARK; k < FW_CERT_KIND_COUNT; k++) {
		const uint8_t *da, *db;
		size_t la, lb;
		assert_int_equal(fw_platform_cert(a, k, &da, &la), 0);
		assert_int_equal(fw_platform_cert(b, k, &db, &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(da, db, la);
	}
	/* a different seed gives a different VCEK key (the cheap part; the RSA keys differ the same way) */
	const uint8_t *da, *dc;
	size_t la, lc;
	assert_int_equal(fw_platform_cert(a, FW_CERT_VCEK, &da, &la), 0);
	assert_int_equal(fw_platform_cert(c, FW_CERT_VCEK, &dc, &lc), 0);
	assert_false(la == lc && !memcmp(da, dc, la));
	fw_platform_destroy(b);
	fw_platform_destroy(c);
}

static void test_cert_table(void **state)
{
	(void)state;
	struct fw_platform *p = genoa;
	size_t need = 0;
	assert_int_equal(fw_cert_table_build(p, NULL, 0, &need), -ENOSPC);
	uint8_t *buf = malloc(need);
	assert_non_null(buf);
	assert_int_equal(fw_cert_table_build(p, buf, need, &need), 0);
	struct fw_cert_entry e[8];
	size_t n;
	assert_int_equal(fw_cert_table_parse(buf, need, e, 8, &n), 0);
	assert_int_equal(n, 5);
	static const uint8_t g_ark[16] = SNP_GUID_ARK, g_vcek[16] = SNP_GUID_VCEK;
	assert_memory_equal(e[0].guid, g_ark, 16);
	assert_memory_equal(e[2].guid, g_vcek, 16);
	assert_int_equal(e[0].offset, 6 * 24); /* blobs packed right after the terminator */
	assert_int_equal(fw_cert_guid_kind(e[0].guid), FW_CERT_ARK);
	assert_int_equal(fw_cert_guid_kind(e[1].guid), FW_CERT_ASK);
	assert_int_equal(fw_cert_guid_kind(e[2].guid), FW_CERT_VCEK);
	assert_int_equal(fw_cert_guid_kind(e[4].guid), FW_CERT_VLEK);
	uint8_t zero[24] = {0};
	assert_memory_equal(buf + 5 * 24, zero, 24);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *der;
		size_t len;
		enum fw_cert_kind kinds[] = {FW_CERT_ARK, FW_CERT_ASK, FW_CERT_VCEK, FW_CERT_ASVK, FW_CERT_VLEK};
		assert_int_equal(fw_platform_cert(p, kinds[i], &der, &len), 0);
		assert_int_equal(e[i].length, len);
		assert_memory_equal(e[i].data, der, len);
	}
	/* VLEK chain: ARK -> ASVK -> VLEK */
	X509 *ark = cert_of(p, FW_CERT_ARK), *asvk = cert_of(p, FW_CERT_ASVK), *vlek = cert_of(p, FW_CERT_VLEK);
	assert_int_equal(verify_chain(ark, asvk, vlek), 1);
	X509_free(ark);
	X509_free(asvk);
	X509_free(vlek);
	assert_int_equal(fw_cert_table_build(p, buf, need - 1, &need), -ENOSPC);

	/* malformed tables */
	assert_int_equal(fw_cert_table_parse(buf, 5 * 24, e, 8, &n), -EINVAL); /* no terminator in range */
	assert_int_equal(fw_cert_table_parse(buf, need, e, 4, &n), -E2BIG);
	assert_int_equal(fw_cert_table_parse(buf, need - 1, e, 8, &n), -EINVAL); /* last blob past the end */
	le32_store(buf + 16, 24);						 /* ARK blob overlapping the table */
	assert_int_equal(fw_cert_table_parse(buf, need, e, 8, &n), -EINVAL);
	le32_store(buf + 16, 0xFFFFFFF0u); /* offset + length wraps 32 bits */
	le32_store(buf + 20, 0x20);
	assert_int_equal(fw_cert_table_parse(buf, need, e, 8, &n), -EINVAL);
	/* an all-zero buffer is an empty table */
	memset(buf, 0, 24);
	assert_int_equal(fw_cert_table_parse(buf, 24, e, 8, &n), 0);
	assert_int_equal(n, 0);
	free(buf);

	/* no VLEK installed */
	struct fw_platform *q = make_platform(FW_PRODUCT_GENOA, "x", false);
	const uint8_t *der;
	size_t len;
	assert_int_equal(fw_platform_cert(q, FW_CERT_VLEK, &der, &len), -ENOENT);
	assert_int_equal(fw_platform_cert(q, (enum fw_cert_kind)9, &der, &len), -EINVAL);
	fw_platform_destroy(q);
}

static void test_platform_config(void **state)
{
	(void)state;
	struct fw_platform_config cfg;
	struct fw_platform *p;
	enum fw_product prod;
	assert_int_equal(fw_product_parse("TURIN", &prod), 0);
	assert_int_equal(prod, FW_PRODUCT_TURIN);
	assert_int_equal(fw_product_parse("naples", &prod), -EINVAL);
	assert_null(fw_product_name((enum fw_product)7));
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	assert_int_equal(fw_platform_config_seed(&cfg, NULL, 0), -EINVAL);
	uint8_t big[65] = {0};
	assert_int_equal(fw_platform_config_seed(&cfg, big, sizeof(big)), -EINVAL);
	struct fw_platform_config bad = cfg;
	bad.report_version = 4;
	assert_int_equal(fw_platform_create(&bad, &p), -EINVAL);
	bad = cfg;
	bad.current_tcb.snp = 0x80; /* not encodable in the KDS scheme */
	assert_int_equal(fw_platform_create(&bad, &p), -EINVAL);
	bad = cfg;
	bad.reported_tcb.fmc = 1; /* no FMC before Turin */
	assert_int_equal(fw_platform_create(&bad, &p), -EINVAL);
	bad = cfg;
	bad.product = (enum fw_product)5;
	assert_int_equal(fw_platform_create(&bad, &p), -EINVAL);
	/* unseeded platforms are random */
	struct fw_platform *a, *b;
	assert_int_equal(fw_platform_create(&cfg, &a), 0);
	assert_int_equal(fw_platform_create(&cfg, &b), 0);
	assert_memory_not_equal(fw_platform_chip_id(a), fw_platform_chip_id(b), 64);
	/* defaults of the genuine Genoa report */
	assert_int_equal(fw_platform_tcb(a, FW_TCB_REPORTED), 0x541700000000000aull); /* report bytes 0x180.. */
	assert_int_equal(fw_platform_config(a)->platform_info, 0x27);
	fw_platform_destroy(a);
	fw_platform_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_genoa_chain_and_shapes), cmocka_unit_test(test_products),
	    cmocka_unit_test(test_deterministic),	   cmocka_unit_test(test_cert_table),
	    cmocka_unit_test(test_platform_config),
	};
	return cmocka_run_group_tests_name("fw/certs", tests, setup, teardown);
}

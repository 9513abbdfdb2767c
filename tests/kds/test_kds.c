/* SPDX-License-Identifier: MIT */
/*
 * The local KDS: the request target parser as a table (route, product, status for KDS's URL forms and for
 * malformed ones), then an in-process server on 127.0.0.1 with an ephemeral port, queried with libcurl through the
 * verifier's client: the VCEK of the platform's chip (equal to the firmware's own), a VCEK at another TCB (signed by
 * the ASK, carrying those SPLs), 400 and 404 answers, the PEM chain and the DER CRL checked with OpenSSL directly,
 * and the verifier's round trip for a good, a revoked and an unknown VCEK.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <snpemu/attest.h>
#include <snpemu/kds.h>

#include "../fw/fw_fixture.h"

#define GENOA_HWID_OK                                                      \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
	"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define SPLS "?blSPL=10&teeSPL=0&snpSPL=23&ucodeSPL=84"

/* ---- the parser ---- */

static const struct url_row {
	const char *target;
	enum kds_url_status status;
	enum kds_route route;
	enum fw_product product;
} url_rows[] = {
    {"/vcek/v1/Genoa/" GENOA_HWID_OK SPLS, KDS_URL_OK, KDS_ROUTE_VCEK, FW_PRODUCT_GENOA},
    {"/vcek/v1/Milan/" GENOA_HWID_OK "?ucodeSPL=209&snpSPL=08&teeSPL=00&blSPL=03", KDS_URL_OK, KDS_ROUTE_VCEK,
     FW_PRODUCT_MILAN},
    {"/vcek/v1/Turin/0123456789abcdef?fmcSPL=1&blSPL=1&teeSPL=1&snpSPL=1&ucodeSPL=72", KDS_URL_OK, KDS_ROUTE_VCEK,
     FW_PRODUCT_TURIN},
    {"/vcek/v1/Genoa/cert_chain", KDS_URL_OK, KDS_ROUTE_VCEK_CHAIN, FW_PRODUCT_GENOA},
    {"/vcek/v1/Milan/crl", KDS_URL_OK, KDS_ROUTE_VCEK_CRL, FW_PRODUCT_MILAN},
    {"/vlek/v1/Turin/cert_chain", KDS_URL_OK, KDS_ROUTE_VLEK_CHAIN, FW_PRODUCT_TURIN},
    {"/vlek/v1/Genoa/crl?x=1", KDS_URL_OK, KDS_ROUTE_VLEK_CRL, FW_PRODUCT_GENOA},
    /* 404: not a KDS path */
    {"", KDS_URL_NOT_FOUND, 0, 0},
    {"/", KDS_URL_NOT_FOUND, 0, 0},
    {"/vcek", KDS_URL_NOT_FOUND, 0, 0},
    {"/vcek/v2/Genoa/crl", KDS_URL_NOT_FOUND, 0, 0},
    {"/vcek/v1/Siena/crl", KDS_URL_NOT_FOUND, 0, 0},
    {"/vcek/v1/genoa/crl", KDS_URL_NOT_FOUND, 0, 0},
    {"/vcek/v1/Genoa", KDS_URL_NOT_FOUND, 0, 0},
    {"/vcek/v1/Genoa/", KDS_URL_NOT_FOUND, 0, 0},
    {"/vcek/v1/Genoa/crl/", KDS_URL_NOT_FOUND, 0, 0},
    {"/vcek/v1/Genoa/cert_chain/x", KDS_URL_NOT_FOUND, 0, 0},
    {"/vlek/v1/Genoa/" GENOA_HWID_OK SPLS, KDS_URL_NOT_FOUND, 0, 0},
    {"/sev/v1/Genoa/crl", KDS_URL_NOT_FOUND, 0, 0},
    {"vcek/v1/Genoa/crl", KDS_URL_NOT_FOUND, 0, 0},
    /* 400: a VCEK path with a malformed hwID or SPLs */
    {"/vcek/v1/Genoa/0123" SPLS, KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK "00" SPLS, KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
     "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" SPLS,
     KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Turin/" GENOA_HWID_OK "?fmcSPL=1&blSPL=1&teeSPL=1&snpSPL=1&ucodeSPL=72", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK, KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK "?blSPL=10&teeSPL=0&snpSPL=23", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK SPLS "&blSPL=10", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK SPLS "&fmcSPL=1", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK SPLS "&foo=1", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK "?blSPL=256&teeSPL=0&snpSPL=23&ucodeSPL=84", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK "?blSPL=1000&teeSPL=0&snpSPL=23&ucodeSPL=84", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK "?blSPL=-1&teeSPL=0&snpSPL=23&ucodeSPL=84", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK "?blSPL=&teeSPL=0&snpSPL=23&ucodeSPL=84", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK "?blSPL&teeSPL=0&snpSPL=23&ucodeSPL=84", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Genoa/" GENOA_HWID_OK SPLS "&", KDS_URL_BAD_REQUEST, 0, 0},
    {"/vcek/v1/Turin/0123456789abcdef?blSPL=1&teeSPL=1&snpSPL=1&ucodeSPL=72", KDS_URL_BAD_REQUEST, 0, 0},
};

static void test_url_table(void **state)
{
	for (size_t i = 0; i < sizeof(url_rows) / sizeof(url_rows[0]); i++) {
		const struct url_row *row = &url_rows[i];
		struct kds_request req;
		enum kds_url_status st = kds_url_parse(row->target, strlen(row->target), &req);
		if (st != row->status)
			fail_msg("row %zu %s: status %d, expected %d (%s)", i, row->target, st, row->status,
				 req.why ? req.why : "");
		if (st == KDS_URL_OK) {
			assert_int_equal(req.route, row->route);
			assert_int_equal(req.product, row->product);
		} else {
			assert_non_null(req.why);
		}
	}
}

static void test_url_values(void **state)
{
	struct kds_request req;
	const char *t = "/vcek/v1/Turin/0123456789abcdef?fmcSPL=3&blSPL=04&teeSPL=5&snpSPL=255&ucodeSPL=072";
	assert_int_equal(kds_url_parse(t, strlen(t), &req), KDS_URL_OK);
	assert_int_equal(req.hwid_len, 8);
	static const uint8_t hwid[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	assert_memory_equal(req.hwid, hwid, 8);
	assert_int_equal(req.tcb.fmc, 3);
	assert_int_equal(req.tcb.bootloader, 4);
	assert_int_equal(req.tcb.tee, 5);
	assert_int_equal(req.tcb.snp, 255);
	assert_int_equal(req.tcb.microcode, 72);
	/* The length bounds the parse: the same bytes cut short are another target. */
	assert_int_equal(kds_url_parse(t, 20, &req), KDS_URL_BAD_REQUEST);
	char big[KDS_URL_MAX + 2];
	memset(big, 'a', sizeof(big));
	memcpy(big, "/vcek/v1/Genoa/crl?", 19);
	assert_int_equal(kds_url_parse(big, sizeof(big), &req), KDS_URL_BAD_REQUEST);
	assert_int_equal(kds_url_parse(big, KDS_URL_MAX, &req), KDS_URL_OK);
}

static void test_revoke_parse(void **state)
{
	uint64_t s;
	assert_int_equal(kds_revoke_parse("ask", &s), 0);
	assert_int_equal(s, FW_CERT_SERIAL_ASK);
	assert_int_equal(kds_revoke_parse("VCEK", &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(kds_revoke_parse("0x20003", &s), 0);
	assert_int_equal(s, 0x20003);
	assert_int_equal(kds_revoke_parse("", &s), -EINVAL);
	assert_int_equal(kds_revoke_parse("12z", &s), -EINVAL);
	assert_int_equal(kds_revoke_parse("-1", &s), -EINVAL);
}

/* ---- the server ---- */

struct env {
	struct fixture fx, other; /* the KDS's platform; a platform the KDS does not know */
	struct kds_service *svc, *svc_revoked;
	struct kds_server *srv, *srv_revoked;
	char base[64], base_revoked[64];
	uint8_t report[SNP_REPORT_SIZE], report_other[SNP_REPORT_SIZE];
};

static int start(struct env *e, const uint64_t *revoked, size_t n, struct kds_service **svc, struct kds_server **srv,
		 char *base)
{
	struct kds_service_config sc = {.n_revoked = n};
	if (n)
		memcpy(sc.revoked, revoked, n * sizeof(*revoked));
	struct kds_server_config cfg = {0};
	if (kds_service_new(e->fx.p, &sc, svc) || kds_server_start(*svc, &cfg, srv))
		return -1;
	snprintf(base, 64, "http://127.0.0.1:%u", kds_server_port(*srv));
	return 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct fw_platform_config cfg;
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	fw_platform_config_seed(&cfg, (const uint8_t *)"kds", 3);
	cfg.vlek = true; /* the ASVK chain exists */
	if (!e || fixture_start(&e->fx, &cfg))
		return -1;
	fw_platform_config_seed(&cfg, (const uint8_t *)"elsewhere", 9);
	if (fixture_start(&e->other, &cfg))
		return -1;
	uint8_t rd[64] = {1, 2, 3};
	if (fw_guest_report(e->fx.g, rd, 0, SNP_KEY_SEL_VCEK, e->report) ||
	    fw_guest_report(e->other.g, rd, 0, SNP_KEY_SEL_VCEK, e->report_other))
		return -1;
	const uint64_t vcek_serial = FW_CERT_SERIAL_VCEK;
	if (start(e, NULL, 0, &e->svc, &e->srv, e->base) ||
	    start(e, &vcek_serial, 1, &e->svc_revoked, &e->srv_revoked, e->base_revoked))
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	kds_server_stop(e->srv);
	kds_server_stop(e->srv_revoked);
	kds_service_free(e->svc);
	kds_service_free(e->svc_revoked);
	fixture_stop(&e->fx);
	fixture_stop(&e->other);
	free(e);
	return 0;
}

/* GET base+path; returns the status, the body in *body (caller frees). */
static long get(const struct env *e, const char *path, uint8_t **body, size_t *len)
{
	char url[512], err[200];
	long status = 0;
	snprintf(url, sizeof(url), "%s%s", e->base, path);
	assert_int_equal(attest_kds_get(url, body, len, &status, err, sizeof(err)), 0);
	return status;
}

static long get_status(const struct env *e, const char *path)
{
	uint8_t *body;
	size_t len;
	long st = get(e, path, &body, &len);
	free(body);
	return st;
}

static char *vcek_path(const struct env *e, const uint8_t *report)
{
	static char path[256];
	struct attest_report r;
	assert_int_equal(attest_report_parse(report, SNP_REPORT_SIZE, &r), ATTEST_PARSE_OK);
	assert_true(attest_kds_vcek_path(&r, path, sizeof(path)) > 0);
	return path;
}

static X509 *x509_der(const uint8_t *der, size_t len)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	assert_non_null(x);
	assert_ptr_equal(q, der + len);
	return x;
}

static void test_vcek_good(void **state)
{
	struct env *e = *state;
	uint8_t *body;
	size_t len;
	const uint8_t *own;
	size_t own_len;
	assert_int_equal(get(e, vcek_path(e, e->report), &body, &len), 200);
	assert_int_equal(fw_platform_cert(e->fx.p, FW_CERT_VCEK, &own, &own_len), 0);
	assert_int_equal(len, own_len);
	assert_memory_equal(body, own, len);
	free(body);
}

/* A VCEK of the same chip at another TCB: signed by the ASK, with the requested SPLs and the chip's hwID. */
static void test_vcek_other_tcb(void **state)
{
	struct env *e = *state;
	char path[256];
	const uint8_t *chip = fw_platform_chip_id(e->fx.p);
	int n = snprintf(path, sizeof(path), "/vcek/v1/Genoa/");
	for (int i = 0; i < 64; i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "%02X", chip[i]);
	snprintf(path + n, sizeof(path) - (size_t)n, "?blSPL=7&teeSPL=1&snpSPL=9&ucodeSPL=200");
	uint8_t *body;
	size_t len;
	const uint8_t *ask_der;
	size_t ask_len;
	assert_int_equal(get(e, path, &body, &len), 200);
	assert_int_equal(fw_platform_cert(e->fx.p, FW_CERT_ASK, &ask_der, &ask_len), 0);
	X509 *vcek = x509_der(body, len), *ask = x509_der(ask_der, ask_len);
	assert_int_equal(X509_verify(vcek, X509_get0_pubkey(ask)), 1);
	/* 1.3.6.1.4.1.3704.1.3.8 (ucodeSPL) = INTEGER 200 */
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.3704.1.3.8", 1);
	int idx = X509_get_ext_by_OBJ(vcek, oid, -1);
	assert_true(idx >= 0);
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(vcek, idx));
	static const uint8_t int200[] = {0x02, 0x02, 0x00, 0xC8};
	assert_int_equal(ASN1_STRING_length(v), sizeof(int200));
	assert_memory_equal(ASN1_STRING_get0_data(v), int200, sizeof(int200));
	ASN1_OBJECT_free(oid);
	X509_free(vcek);
	X509_free(ask);
	free(body);
	/* An SPL the certificate cannot carry (bootloader above 127) is the client's error. */
	snprintf(path + n, sizeof(path) - (size_t)n, "?blSPL=200&teeSPL=1&snpSPL=9&ucodeSPL=200");
	assert_int_equal(get_status(e, path), 400);
}

static void test_status_codes(void **state)
{
	struct env *e = *state;
	assert_int_equal(get_status(e, "/vcek/v1/Genoa/0123" SPLS), 400);
	assert_int_equal(get_status(e, "/vcek/v1/Genoa/" GENOA_HWID_OK "?blSPL=x&teeSPL=0&snpSPL=23&ucodeSPL=84"), 400);
	assert_int_equal(get_status(e, "/vcek/v1/Genoa/" GENOA_HWID_OK SPLS), 404); /* a chip this KDS does not know */
	assert_int_equal(get_status(e, "/vcek/v1/Rome/crl"), 404);
	assert_int_equal(get_status(e, "/vcek/v1/Milan/cert_chain"), 404); /* another product line than served */
	assert_int_equal(get_status(e, "/nothing/here"), 404);
	assert_int_equal(get_status(e, "/vcek/v1/Genoa/cert_chain/more"), 404);
}

static void test_chain_and_crl(void **state)
{
	struct env *e = *state;
	uint8_t *body;
	size_t len;
	const char *paths[] = {"/vcek/v1/Genoa/cert_chain", "/vlek/v1/Genoa/cert_chain"};
	const char *mid_cn[] = {"SEV-Genoa", "SEV-VLEK-Genoa"};
	X509 *ark_ref = NULL;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(get(e, paths[i], &body, &len), 200);
		BIO *b = BIO_new_mem_buf(body, (int)len);
		X509 *mid = PEM_read_bio_X509(b, NULL, NULL, NULL), *ark = PEM_read_bio_X509(b, NULL, NULL, NULL);
		assert_non_null(mid);
		assert_non_null(ark);
		assert_int_equal(X509_verify(ark, X509_get0_pubkey(ark)), 1);
		assert_int_equal(X509_verify(mid, X509_get0_pubkey(ark)), 1);
		char cn[64];
		X509_NAME_get_text_by_NID(X509_get_subject_name(mid), NID_commonName, cn, sizeof(cn));
		assert_string_equal(cn, mid_cn[i]);
		if (!ark_ref)
			ark_ref = X509_dup(ark);
		X509_free(mid);
		X509_free(ark);
		BIO_free(b);
		free(body);
	}
	/* The CRLs: DER, issued and signed by the ARK, listing the revoked serials. */
	const char *crls[] = {"/vcek/v1/Genoa/crl", "/vlek/v1/Genoa/crl"};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(get(e, crls[i], &body, &len), 200);
		const unsigned char *q = body;
		X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)len);
		assert_non_null(crl);
		assert_ptr_equal(q, body + len);
		assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ark_ref)), 1);
		assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark_ref)), 0);
		assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) <= 0); /* none revoked (no list at all) */
		X509_CRL_free(crl);
		free(body);
	}
	/* The revoking server's CRL lists exactly serial 0 (every VCEK, as KDS numbers them). */
	char url[128], err[200];
	long status;
	snprintf(url, sizeof(url), "%s/vcek/v1/Genoa/crl", e->base_revoked);
	assert_int_equal(attest_kds_get(url, &body, &len, &status, err, sizeof(err)), 0);
	assert_int_equal(status, 200);
	const unsigned char *q = body;
	X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)len);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ark_ref)), 1);
	STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(rev), 1);
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev, 0))), 0);
	X509_CRL_free(crl);
	free(body);
	X509_free(ark_ref);
}

/* The verifier with everything from the KDS: the ARK it serves is snpemu's, so it is given as the root. */
static int verify_from(const char *base, const uint8_t *report, struct attest_verify_result *res, int *fetch_rc)
{
	struct attest_report r;
	struct attest_kds_fetch f;
	assert_int_equal(attest_report_parse(report, SNP_REPORT_SIZE, &r), ATTEST_PARSE_OK);
	*fetch_rc = attest_kds_fetch(base, &r, &f);
	if (*fetch_rc) {
		attest_kds_fetch_free(&f);
		return -1;
	}
	struct attest_verify_policy pol;
	attest_verify_policy_default(&pol);
	struct attest_verify_certs certs = {.ark = f.ark,
					    .ark_len = f.ark_len,
					    .ask = f.ask,
					    .ask_len = f.ask_len,
					    .vcek = f.vcek,
					    .vcek_len = f.vcek_len,
					    .trusted_ark = f.ark,
					    .trusted_ark_len = f.ark_len,
					    .crl = f.crl,
					    .crl_len = f.crl_len};
	int rc = attest_verify(&r, &certs, &pol, res);
	attest_kds_fetch_free(&f);
	return rc;
}

static void test_verify_round_trips(void **state)
{
	struct env *e = *state;
	struct attest_verify_result res;
	int frc;
	/* good */
	assert_int_equal(verify_from(e->base, e->report, &res, &frc), 0);
	assert_int_equal(res.checks[ATTEST_CHECK_NOT_REVOKED].status, ATTEST_CHECK_PASS);
	assert_int_equal(res.first_failure, -1);
	/* revoked: the second server's CRL lists the VCEK's serial */
	assert_int_equal(verify_from(e->base_revoked, e->report, &res, &frc), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_NOT_REVOKED);
	assert_non_null(strstr(res.checks[ATTEST_CHECK_NOT_REVOKED].detail, "revokes the VCEK"));
	/* unknown: a chip of another platform */
	assert_int_equal(verify_from(e->base, e->report_other, &res, &frc), -1);
	assert_int_equal(frc, -ENOENT);
	/* no server there */
	assert_int_equal(verify_from("http://127.0.0.1:1", e->report, &res, &frc), -1);
	assert_int_equal(frc, -EIO);
}

/* Turin: the hwID is CHIP_ID's first 8 bytes and the query carries fmcSPL; the whole round trip on a Turin platform. */
static void test_turin_round_trip(void **state)
{
	struct fixture t;
	struct fw_platform_config cfg;
	fw_platform_config_default(&cfg, FW_PRODUCT_TURIN);
	fw_platform_config_seed(&cfg, (const uint8_t *)"turin", 5);
	assert_int_equal(fixture_start(&t, &cfg), 0);
	uint8_t rd[64] = {9}, report[SNP_REPORT_SIZE];
	assert_int_equal(fw_guest_report(t.g, rd, 0, SNP_KEY_SEL_VCEK, report), 0);
	struct kds_service *svc;
	struct kds_server *srv;
	struct kds_service_config sc = {0};
	struct kds_server_config cfg_srv = {0};
	assert_int_equal(kds_service_new(t.p, &sc, &svc), 0);
	assert_int_equal(kds_server_start(svc, &cfg_srv, &srv), 0);
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", kds_server_port(srv));
	struct env *e = *state;
	const char *path = vcek_path(e, report);
	assert_non_null(strstr(path, "/vcek/v1/Turin/"));
	assert_non_null(strstr(path, "?fmcSPL="));
	assert_int_equal(strchr(path, '?') - strrchr(path, '/'), 17); /* 16 hex digits */
	struct attest_verify_result res;
	int frc;
	assert_int_equal(verify_from(base, report, &res, &frc), 0);
	assert_int_equal(res.checks[ATTEST_CHECK_VCEK_TCB].status, ATTEST_CHECK_PASS);
	assert_int_equal(res.checks[ATTEST_CHECK_NOT_REVOKED].status, ATTEST_CHECK_PASS);
	kds_server_stop(srv);
	kds_service_free(svc);
	fixture_stop(&t);
}

/* A CRL that the ARK did not sign (another platform's) is refused; without a root, ark_trusted fails unless allowed. */
static void test_crl_and_root(void **state)
{
	struct env *e = *state;
	struct attest_report r;
	assert_int_equal(attest_report_parse(e->report, SNP_REPORT_SIZE, &r), ATTEST_PARSE_OK);
	const uint8_t *ark, *ask, *vcek;
	size_t ark_len, ask_len, vcek_len;
	uint8_t *foreign;
	size_t foreign_len;
	assert_int_equal(fw_platform_cert(e->fx.p, FW_CERT_ARK, &ark, &ark_len), 0);
	assert_int_equal(fw_platform_cert(e->fx.p, FW_CERT_ASK, &ask, &ask_len), 0);
	assert_int_equal(fw_platform_cert(e->fx.p, FW_CERT_VCEK, &vcek, &vcek_len), 0);
	assert_int_equal(fw_platform_crl(e->other.p, NULL, 0, 1767225600, &foreign, &foreign_len), 0);
	struct attest_verify_certs certs = {.ark = ark,
					    .ark_len = ark_len,
					    .ask = ask,
					    .ask_len = ask_len,
					    .vcek = vcek,
					    .vcek_len = vcek_len,
					    .crl = foreign,
					    .crl_len = foreign_len};
	struct attest_verify_policy pol;
	attest_verify_policy_default(&pol);
	struct attest_verify_result res;
	assert_int_equal(attest_verify(&r, &certs, &pol, &res), 1);
	assert_int_equal(res.first_failure, ATTEST_CHECK_ARK_TRUSTED); /* snpemu's ARK is no AMD root */
	assert_int_equal(res.checks[ATTEST_CHECK_NOT_REVOKED].status, ATTEST_CHECK_FAIL);
	pol.insecure_no_root = true;
	assert_int_equal(attest_verify(&r, &certs, &pol, &res), 1);
	assert_int_equal(res.checks[ATTEST_CHECK_ARK_TRUSTED].status, ATTEST_CHECK_SKIP);
	assert_int_equal(res.first_failure, ATTEST_CHECK_NOT_REVOKED);
	certs.crl = NULL;
	certs.crl_len = 0;
	assert_int_equal(attest_verify(&r, &certs, &pol, &res), 0);
	assert_int_equal(res.checks[ATTEST_CHECK_NOT_REVOKED].status, ATTEST_CHECK_SKIP);
	free(foreign);
}

int main(void)
{
	const struct CMUnitTest parser[] = {
	    cmocka_unit_test(test_url_table),
	    cmocka_unit_test(test_url_values),
	    cmocka_unit_test(test_revoke_parse),
	};
	const struct CMUnitTest server[] = {
	    cmocka_unit_test(test_vcek_good),	       cmocka_unit_test(test_vcek_other_tcb),
	    cmocka_unit_test(test_status_codes),       cmocka_unit_test(test_chain_and_crl),
	    cmocka_unit_test(test_verify_round_trips), cmocka_unit_test(test_crl_and_root),
	    cmocka_unit_test(test_turin_round_trip),
	};
	return cmocka_run_group_tests_name("kds_parser", parser, NULL, NULL) |
	       cmocka_run_group_tests_name("kds_server", server, setup, teardown);
}

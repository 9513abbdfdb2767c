/* SPDX-License-Identifier: MIT */
/*
 * X.509 certificates in the shapes AMD's key distribution service issues (compare with tests/fixtures via
 * `openssl asn1parse`): names OU, C, L, ST, O, CN as UTF8String (C PrintableString); RSASSA-PSS SHA-384 with MGF1
 * SHA-384 and salt 48, the ARK and ASK spelling the trailer field out, the VCEK leaving it implicit; ARK/ASK
 * extensions in AMD's order; the VCEK carrying only the KDS extensions 1.3.6.1.4.1.3704.1.* with DER values
 * (INTEGER, IA5String) and the raw 64-byte hwID.  OpenSSL builds the to-be-signed part; the signature and the
 * outer SEQUENCE are assembled here because the PSS parameters must be spelled as AMD does.
 */
#include <errno.h>
#include <stdio.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/fw.h>

#include "common/crypto.h"

/* AlgorithmIdentifier rsassaPss {sha384, mgf1(sha384), salt 48 [, trailer 1]} as in amd-genoa-ark.pem (offset 18)
 * and genoa-vcek.der (offset 16). */
static const uint8_t pss_alg_trailer[] = {
    0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39, 0xa0, 0x0f, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
    0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30, 0xa3, 0x03, 0x02, 0x01, 0x01};
static const uint8_t pss_alg_plain[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f,
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa1, 0x1c,
    0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09,
    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30};

static int add_ext_der(X509 *x, ASN1_OBJECT *obj, int critical, const uint8_t *der, size_t len)
{
	int rc = -ENOMEM;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	if (obj && os && ASN1_OCTET_STRING_set(os, der, (int)len) == 1 &&
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, os)) && X509_add_ext(x, ext, -1) == 1)
		rc = 0;
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	return rc;
}

static int add_ext_nid(X509 *x, int nid, int critical, const uint8_t *der, size_t len)
{
	return add_ext_der(x, OBJ_nid2obj(nid), critical, der, len);
}

static int add_ext_oid(X509 *x, const char *oid, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int rc = add_ext_der(x, obj, 0, der, len);
	ASN1_OBJECT_free(obj);
	return rc;
}

/* DER INTEGER of a small non-negative value. */
static size_t der_small_int(uint8_t out[4], unsigned v)
{
	out[0] = 0x02;
	if (v < 0x80) {
		out[1] = 1;
		out[2] = (uint8_t)v;
		return 3;
	}
	out[1] = 2;
	out[2] = 0;
	out[3] = (uint8_t)v;
	return 4;
}

static int add_kds_int(X509 *x, const char *oid, unsigned v)
{
	uint8_t der[4];
	return add_ext_oid(x, oid, der, der_small_int(der, v));
}

static int add_kds_ia5(X509 *x, const char *oid, const char *s)
{
	uint8_t der[130];
	size_t n = strlen(s);
	if (n > 127)
		return -EINVAL;
	der[0] = 0x16;
	der[1] = (uint8_t)n;
	memcpy(der + 2, s, n);
	return add_ext_oid(x, oid, der, n + 2);
}

/* SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1), as AMD's key identifiers are. */
static int key_id(const struct fw_key *k, uint8_t out[20])
{
	X509_PUBKEY *xpk = NULL;
	const unsigned char *pk;
	int pklen, rc = -EIO;
	if (X509_PUBKEY_set(&xpk, fw_key_evp(k)) == 1 && X509_PUBKEY_get0_param(NULL, &pk, &pklen, NULL, xpk) == 1 &&
	    EVP_Digest(pk, (size_t)pklen, out, NULL, EVP_sha1(), NULL) == 1)
		rc = 0;
	X509_PUBKEY_free(xpk);
	return rc;
}

static X509_NAME *amd_name(const char *cn)
{
	static const struct {
		const char *field, *value;
		int type;
	} rdns[] = {{"OU", "Engineering", V_ASN1_UTF8STRING},
		    {"C", "US", V_ASN1_PRINTABLESTRING},
		    {"L", "Santa Clara", V_ASN1_UTF8STRING},
		    {"ST", "CA", V_ASN1_UTF8STRING},
		    {"O", "Advanced Micro Devices", V_ASN1_UTF8STRING},
		    {"CN", NULL, V_ASN1_UTF8STRING}};
	X509_NAME *n = X509_NAME_new();
	for (size_t i = 0; n && i < sizeof(rdns) / sizeof(rdns[0]); i++) {
		const char *v = rdns[i].value ? rdns[i].value : cn;
		if (X509_NAME_add_entry_by_txt(n, rdns[i].field, rdns[i].type, (const unsigned char *)v, -1, -1, 0) !=
		    1) {
			X509_NAME_free(n);
			return NULL;
		}
	}
	return n;
}

static int add_crl_dp(X509 *x, const char *line)
{
	/* DistributionPoints { DistributionPoint { fullName [0] { uniformResourceIdentifier [6] url } } } */
	char url[96];
	uint8_t der[112];
	int n = snprintf(url, sizeof(url), "https://kdsintf.amd.com/vcek/v1/%s/crl", line);
	if (n <= 0 || n > 90)
		return -EINVAL;
	const uint8_t hdr[] = {0x30, (uint8_t)(n + 8), 0x30, (uint8_t)(n + 6), 0xA0, (uint8_t)(n + 4),
			       0xA0, (uint8_t)(n + 2), 0x86, (uint8_t)n};
	memcpy(der, hdr, sizeof(hdr));
	memcpy(der + sizeof(hdr), url, (size_t)n);
	return add_ext_nid(x, NID_crl_distribution_points, 0, der, sizeof(hdr) + (size_t)n);
}

static int add_extensions(X509 *x, const struct fw_cert_spec *spec, const struct fw_key *subject,
			  const struct fw_key *issuer)
{
	uint8_t ski[22] = {0x04, 0x14}, aki[24] = {0x30, 0x16, 0x80, 0x14};
	static const uint8_t ku_ark[] = {0x03, 0x02, 0x01, 0x06}; /* keyCertSign, cRLSign */
	static const uint8_t ku_ask[] = {0x03, 0x02, 0x01, 0x04}; /* keyCertSign */
	static const uint8_t bc_ca[] = {0x30, 0x03, 0x01, 0x01, 0xFF};
	static const uint8_t bc_ca0[] = {0x30, 0x06, 0x01, 0x01, 0xFF, 0x02, 0x01, 0x00};
	int rc = 0;

	switch (spec->profile) {
	case FW_PROFILE_ARK: /* KU, SKI, BC, CRL DP */
		if ((rc = key_id(subject, ski + 2)) ||
		    (rc = add_ext_nid(x, NID_key_usage, 1, ku_ark, sizeof(ku_ark))) ||
		    (rc = add_ext_nid(x, NID_subject_key_identifier, 0, ski, sizeof(ski))) ||
		    (rc = add_ext_nid(x, NID_basic_constraints, 1, bc_ca, sizeof(bc_ca))))
			return rc;
		return add_crl_dp(x, spec->product_line);
	case FW_PROFILE_ASK: /* SKI, AKI, BC (pathlen 0), KU, CRL DP */
		if ((rc = key_id(subject, ski + 2)) || (rc = key_id(issuer, aki + 4)) ||
		    (rc = add_ext_nid(x, NID_subject_key_identifier, 0, ski, sizeof(ski))) ||
		    (rc = add_ext_nid(x, NID_authority_key_identifier, 0, aki, sizeof(aki))) ||
		    (rc = add_ext_nid(x, NID_basic_constraints, 1, bc_ca0, sizeof(bc_ca0))) ||
		    (rc = add_ext_nid(x, NID_key_usage, 1, ku_ask, sizeof(ku_ask))))
			return rc;
		return add_crl_dp(x, spec->product_line);
	case FW_PROFILE_VCEK:
	case FW_PROFILE_VLEK:
		/* The genuine VCEK's order: 1.1, 1.2, 1.3.1, 1.3.2, 1.3.4-7, 1.3.3, 1.3.8, (1.3.9), 1.4 */
		if ((rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.1", 0)) ||
		    (rc = add_kds_ia5(x, "1.3.6.1.4.1.3704.1.2", spec->product_name)) ||
		    (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.1", spec->bl_spl)) ||
		    (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.2", spec->tee_spl)) ||
		    (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.4", 0)) ||
		    (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.5", 0)) ||
		    (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.6", 0)) ||
		    (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.7", 0)) ||
		    (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.3", spec->snp_spl)) ||
		    (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.8", spec->ucode_spl)))
			return rc;
		if (spec->has_fmc && (rc = add_kds_int(x, "1.3.6.1.4.1.3704.1.3.9", spec->fmc_spl)))
			return rc;
		if (spec->profile == FW_PROFILE_VCEK)
			return add_ext_oid(x, "1.3.6.1.4.1.3704.1.4", spec->hwid, 64);
		return add_kds_ia5(x, "1.3.6.1.4.1.3704.1.5", spec->csp_id ? spec->csp_id : "snpemu");
	}
	return -EINVAL;
}

/* DER header of a SEQUENCE/BIT STRING of `len` content bytes (len < 65536). */
static size_t der_hdr(uint8_t *out, uint8_t tag, size_t len)
{
	out[0] = tag;
	if (len < 0x80) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		out[1] = 0x81;
		out[2] = (uint8_t)len;
		return 3;
	}
	out[1] = 0x82;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return 4;
}

int fw_cert_build(const struct fw_cert_spec *spec, const struct fw_key *subject, const struct fw_key *issuer,
		  uint8_t **der_out, size_t *der_len)
{
	int rc = -ENOMEM;
	X509 *x = X509_new();
	X509_NAME *iname = amd_name(spec->issuer_cn), *sname = amd_name(spec->subject_cn);
	X509_ALGOR *alg = NULL;
	unsigned char *tbs = NULL;
	uint8_t sig[512];
	size_t sig_len = 0;
	bool trailer = spec->profile == FW_PROFILE_ARK || spec->profile == FW_PROFILE_ASK;
	const uint8_t *alg_der = trailer ? pss_alg_trailer : pss_alg_plain;
	size_t alg_len = trailer ? sizeof(pss_alg_trailer) : sizeof(pss_alg_plain);
	const unsigned char *ap = alg_der;

	if (!x || !iname || !sname)
		goto out;
	rc = -EIO;
	if (X509_set_version(x, 2) != 1 || ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), spec->serial) != 1 ||
	    X509_set_issuer_name(x, iname) != 1 || X509_set_subject_name(x, sname) != 1 ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)spec->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)spec->not_after) ||
	    X509_set_pubkey(x, fw_key_evp(subject)) != 1)
		goto out;
	if ((rc = add_extensions(x, spec, subject, issuer)))
		goto out;
	rc = -EIO;
	/* The TBS signature algorithm must equal the outer one; OpenSSL's const view is the only handle to it. */
	alg = d2i_X509_ALGOR(NULL, &ap, (long)alg_len);
	if (!alg || X509_ALGOR_copy((X509_ALGOR *)X509_get0_tbs_sigalg(x), alg) != 1)
		goto out;
	int tbs_len = i2d_re_X509_tbs(x, &tbs);
	if (tbs_len <= 0)
		goto out;
	if ((rc = fw_key_rsa_pss_sign(issuer, tbs, (size_t)tbs_len, sig, sizeof(sig), &sig_len)))
		goto out;

	/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING (0 unused bits) signature } */
	uint8_t bh[4], sh[4];
	size_t bit_len = sig_len + 1, bhl = der_hdr(bh, 0x03, bit_len);
	size_t body = (size_t)tbs_len + alg_len + bhl + bit_len, shl = der_hdr(sh, 0x30, body);
	uint8_t *der = malloc(shl + body), *p = der;
	rc = -ENOMEM;
	if (!der)
		goto out;
	memcpy(p, sh, shl);
	p += shl;
	memcpy(p, tbs, (size_t)tbs_len);
	p += tbs_len;
	memcpy(p, alg_der, alg_len);
	p += alg_len;
	memcpy(p, bh, bhl);
	p += bhl;
	*p++ = 0;
	memcpy(p, sig, sig_len);
	*der_out = der;
	*der_len = shl + body;
	rc = 0;
out:
	OPENSSL_free(tbs);
	X509_ALGOR_free(alg);
	X509_NAME_free(iname);
	X509_NAME_free(sname);
	X509_free(x);
	return rc;
}

int fw_cert_der_to_pem(const uint8_t *der, size_t len, char **pem, size_t *pem_len)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	if (!x || q != der + len) {
		X509_free(x);
		return -EINVAL;
	}
	int rc = -ENOMEM;
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	if (b && PEM_write_bio_X509(b, x) == 1) {
		long n = BIO_get_mem_data(b, &data);
		char *out = n > 0 ? malloc((size_t)n + 1) : NULL;
		if (out) {
			memcpy(out, data, (size_t)n);
			out[n] = 0;
			*pem = out;
			*pem_len = (size_t)n;
			rc = 0;
		}
	}
	BIO_free(b);
	X509_free(x);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * X.509 parsing, RSASSA-PSS chain signatures, ECDSA P-384 report signatures and the AMD KDS extensions, with
 * OpenSSL 3 libcrypto.  The only file of the attestation verifier that calls libcrypto (docs/architecture.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/crypto.h"

struct attest_cv_cert {
	X509 *x509;
};

/* Seconds since the epoch of an ASN1_TIME, or `fallback` if it cannot be read. */
static int64_t asn1_time_to_epoch(const ASN1_TIME *t, int64_t fallback)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return fallback;
	return (int64_t)timegm(&tm);
}

static void name_cn(const X509_NAME *name, char *out, size_t cap)
{
	out[0] = '\0';
	if (name && X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, out, (int)cap) < 0)
		out[0] = '\0';
}

/* AMD signs every chain certificate with RSASSA-PSS: SHA-384, MGF1-SHA-384, salt 48 (KDS spec 57230; the
 * fixtures' "Salt Length: 0x30"). */
static bool sig_alg_is_pss_sha384(const X509 *x)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	X509_get0_signature(&sig, &alg, x);
	if (!alg || OBJ_obj2nid(alg->algorithm) != NID_rsassaPss || !alg->parameter)
		return false;
	RSA_PSS_PARAMS *pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter);
	if (!pss)
		return false;
	bool ok = pss->hashAlgorithm && OBJ_obj2nid(pss->hashAlgorithm->algorithm) == NID_sha384 &&
		  pss->maskGenAlgorithm && OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) == NID_mgf1 &&
		  pss->saltLength && ASN1_INTEGER_get(pss->saltLength) == 48 &&
		  (!pss->trailerField || ASN1_INTEGER_get(pss->trailerField) == 1);
	if (ok) {
		X509_ALGOR *mgf_md =
		    pss->maskGenAlgorithm->parameter
			? ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), pss->maskGenAlgorithm->parameter)
			: NULL;
		ok = mgf_md && OBJ_obj2nid(mgf_md->algorithm) == NID_sha384;
		X509_ALGOR_free(mgf_md);
	}
	RSA_PSS_PARAMS_free(pss);
	return ok;
}

/* The DER value inside extension `oid`, or NULL if absent.  A duplicated extension is reported in info. */
static const ASN1_OCTET_STRING *kds_ext(const X509 *x, const char *oid, struct attest_cv_cert_info *info)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	if (!obj)
		return NULL;
	int pos = X509_get_ext_by_OBJ(x, obj, -1);
	if (pos >= 0 && X509_get_ext_by_OBJ(x, obj, pos) >= 0)
		snprintf(info->ext_error, sizeof(info->ext_error), "extension %s appears twice", oid);
	ASN1_OBJECT_free(obj);
	if (pos < 0)
		return NULL;
	return X509_EXTENSION_get_data(X509_get_ext(x, pos));
}

static void ext_malformed(struct attest_cv_cert_info *info, const char *oid)
{
	if (!info->ext_error[0])
		snprintf(info->ext_error, sizeof(info->ext_error), "extension %s is malformed", oid);
}

/* An extension whose value is a DER INTEGER (structVersion, the SPLs). */
static bool kds_ext_int(const X509 *x, const char *oid, int64_t *v, struct attest_cv_cert_info *info)
{
	const ASN1_OCTET_STRING *os = kds_ext(x, oid, info);
	if (!os)
		return false;
	const unsigned char *p = ASN1_STRING_get0_data(os);
	long n = ASN1_STRING_length(os);
	ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, n);
	bool ok = ai && p == ASN1_STRING_get0_data(os) + n && ASN1_INTEGER_get_int64(v, ai) == 1;
	ASN1_INTEGER_free(ai);
	if (!ok)
		ext_malformed(info, oid);
	return ok;
}

/* An extension whose value is a DER string (productName and cspId are IA5String; tolerate the other text types). */
static bool kds_ext_str(const X509 *x, const char *oid, char *out, size_t cap, struct attest_cv_cert_info *info)
{
	const ASN1_OCTET_STRING *os = kds_ext(x, oid, info);
	if (!os)
		return false;
	const unsigned char *p = ASN1_STRING_get0_data(os);
	long n = ASN1_STRING_length(os);
	ASN1_TYPE *t = d2i_ASN1_TYPE(NULL, &p, n);
	int type = t ? ASN1_TYPE_get(t) : -1;
	bool ok = t && p == ASN1_STRING_get0_data(os) + n &&
		  (type == V_ASN1_IA5STRING || type == V_ASN1_UTF8STRING || type == V_ASN1_PRINTABLESTRING);
	if (ok) {
		const ASN1_STRING *s = t->value.asn1_string;
		int len = ASN1_STRING_length(s);
		ok = len >= 0 && (size_t)len < cap && !memchr(ASN1_STRING_get0_data(s), 0, (size_t)len);
		if (ok) {
			memcpy(out, ASN1_STRING_get0_data(s), (size_t)len);
			out[len] = '\0';
		}
	}
	ASN1_TYPE_free(t);
	if (!ok)
		ext_malformed(info, oid);
	return ok;
}

/* hwID: 64 raw bytes, or a DER OCTET STRING 04 40 <64 bytes>; both are issued (snp-firmware-abi.md §4.3). */
static bool kds_ext_hwid(const X509 *x, uint8_t out[64], struct attest_cv_cert_info *info)
{
	static const char oid[] = "1.3.6.1.4.1.3704.1.4";
	const ASN1_OCTET_STRING *os = kds_ext(x, oid, info);
	if (!os)
		return false;
	const unsigned char *p = ASN1_STRING_get0_data(os);
	int n = ASN1_STRING_length(os);
	/* A Turin hwID may be only CHIP_ID[0..7] (the KDS URL uses 8 bytes; §4.3 caveat): zero-extend it. */
	memset(out, 0, 64);
	if (n == 64 || n == 8) {
		memcpy(out, p, (size_t)n);
		return true;
	}
	if ((n == 66 || n == 10) && p[0] == V_ASN1_OCTET_STRING && p[1] == n - 2) {
		memcpy(out, p + 2, (size_t)n - 2);
		return true;
	}
	ext_malformed(info, oid);
	return false;
}

static void read_kds_extensions(const X509 *x, struct attest_cv_cert_info *info)
{
	char oid[40];
	info->has_struct_version = kds_ext_int(x, "1.3.6.1.4.1.3704.1.1", &info->struct_version, info);
	info->has_product = kds_ext_str(x, "1.3.6.1.4.1.3704.1.2", info->product, sizeof(info->product), info);
	for (int i = 1; i < ATTEST_CV_SPL_MAX; i++) {
		int64_t v;
		snprintf(oid, sizeof(oid), "1.3.6.1.4.1.3704.1.3.%d", i);
		if (!kds_ext_int(x, oid, &v, info))
			continue;
		if (v < 0 || v > 255) { /* an SPL is one byte of a TCB_VERSION */
			ext_malformed(info, oid);
			continue;
		}
		info->has_spl[i] = true;
		info->spl[i] = (uint8_t)v;
	}
	info->has_hwid = kds_ext_hwid(x, info->hwid, info);
	info->has_cspid = kds_ext_str(x, "1.3.6.1.4.1.3704.1.5", info->cspid, sizeof(info->cspid), info);
}

int attest_cv_cert_load(const uint8_t *der, size_t len, struct attest_cv_cert **out, struct attest_cv_cert_info *info)
{
	memset(info, 0, sizeof(*info));
	*out = NULL;
	if (!der || !len || len > (size_t)INT32_MAX)
		return -EINVAL;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x)
		return -EINVAL;
	if (p != der + len) { /* trailing bytes: not one certificate */
		X509_free(x);
		return -EINVAL;
	}
	struct attest_cv_cert *c = calloc(1, sizeof(*c));
	if (!c) {
		X509_free(x);
		return -ENOMEM;
	}
	c->x509 = x;
	name_cn(X509_get_subject_name(x), info->subject_cn, sizeof(info->subject_cn));
	name_cn(X509_get_issuer_name(x), info->issuer_cn, sizeof(info->issuer_cn));
	info->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
	info->not_before = asn1_time_to_epoch(X509_get0_notBefore(x), INT64_MAX);
	info->not_after = asn1_time_to_epoch(X509_get0_notAfter(x), INT64_MIN);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (pk) {
		info->key_bits = EVP_PKEY_get_bits(pk);
		info->key_is_rsa = EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS");
		char group[32] = "";
		size_t glen = 0;
		info->key_is_p384 = EVP_PKEY_is_a(pk, "EC") &&
				    EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1 &&
				    !strcmp(group, "secp384r1");
	}
	info->sig_is_pss_sha384 = sig_alg_is_pss_sha384(x);
	read_kds_extensions(x, info);
	*out = c;
	return 0;
}

void attest_cv_cert_free(struct attest_cv_cert *c)
{
	if (!c)
		return;
	X509_free(c->x509);
	free(c);
}

bool attest_cv_cert_names_issuer(const struct attest_cv_cert *child, const struct attest_cv_cert *issuer)
{
	return X509_NAME_cmp(X509_get_issuer_name(child->x509), X509_get_subject_name(issuer->x509)) == 0;
}

int attest_cv_cert_verify(const struct attest_cv_cert *child, const struct attest_cv_cert *issuer)
{
	EVP_PKEY *pk = X509_get0_pubkey(issuer->x509);
	/* X509_verify also rejects a certificate whose inner and outer signature algorithms differ. */
	int rc = pk ? X509_verify(child->x509, pk) : -1;
	return rc == 1 ? 0 : -EBADMSG;
}

bool attest_cv_cert_same_key(const struct attest_cv_cert *a, const struct attest_cv_cert *b)
{
	EVP_PKEY *ka = X509_get0_pubkey(a->x509), *kb = X509_get0_pubkey(b->x509);
	return ka && kb && EVP_PKEY_eq(ka, kb) == 1;
}

int attest_cv_ecdsa_p384_verify(const struct attest_cv_cert *signer, const uint8_t *msg, size_t len, const uint8_t *sig,
				size_t sig_len)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer->x509);
	char group[32] = "";
	size_t glen = 0;
	if (!pk || !EVP_PKEY_is_a(pk, "EC") || EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "secp384r1"))
		return -EBADMSG;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	int rc = -EBADMSG;
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, pk) == 1 &&
	    EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

int attest_cv_pem_to_der(const uint8_t *pem, size_t pem_len, uint8_t **der, size_t *der_len)
{
	*der = NULL;
	*der_len = 0;
	if (!pem || !pem_len || pem_len > (size_t)INT32_MAX)
		return -EINVAL;
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (!bio)
		return -ENOMEM;
	unsigned char *data = NULL;
	long len = 0;
	char *name = NULL;
	/* The raw decoded bytes of the block, not a re-encoding, so that the signature covers what was given. */
	int ok = PEM_bytes_read_bio(&data, &len, &name, PEM_STRING_X509, bio, NULL, NULL);
	BIO_free(bio);
	OPENSSL_free(name);
	if (ok != 1 || len <= 0) {
		OPENSSL_free(data);
		return -EINVAL;
	}
	*der = malloc((size_t)len);
	if (!*der) {
		OPENSSL_free(data);
		return -ENOMEM;
	}
	memcpy(*der, data, (size_t)len);
	*der_len = (size_t)len;
	OPENSSL_free(data);
	return 0;
}

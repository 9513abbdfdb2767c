/* SPDX-License-Identifier: MIT */
/*
 * Certificate revocation lists as AMD's KDS serves them at /vcek/v1/{product}/crl (RFC 5280 §5): version 2, issued
 * by the ARK, RSASSA-PSS SHA-384 with MGF1 SHA-384 and salt 48 like every other signature of the chain.  OpenSSL
 * builds and signs the list here; its PSS salt is random, so a CRL (unlike the certificates) is not byte-identical
 * between runs — nothing verifies a CRL by its bytes.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

static int add_revoked(X509_CRL *crl, uint64_t serial, const ASN1_TIME *when)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	int rc = -ENOMEM;
	if (rev && sn && ASN1_INTEGER_set_uint64(sn, serial) == 1 && X509_REVOKED_set_serialNumber(rev, sn) == 1 &&
	    X509_REVOKED_set_revocationDate(rev, (ASN1_TIME *)when) == 1 && X509_CRL_add0_revoked(crl, rev) == 1) {
		rev = NULL; /* owned by the CRL now */
		rc = 0;
	}
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(sn);
	return rc;
}

/* Sign with the PSS parameters of AMD's chain (the digest also names MGF1's hash). */
static int sign_pss(X509_CRL *crl, const struct fw_key *issuer)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -EIO;
	if (!md)
		return -ENOMEM;
	if (EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, fw_key_evp(issuer)) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1 &&
	    X509_CRL_sign_ctx(crl, md) > 0)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

int fw_crl_build(const struct fw_key *issuer, const uint8_t *issuer_der, size_t issuer_der_len, const uint64_t *serials,
		 size_t n, int64_t this_update, int64_t next_update, uint8_t **der, size_t *der_len)
{
	const unsigned char *q = issuer_der;
	X509 *ic = d2i_X509(NULL, &q, (long)issuer_der_len);
	if (!ic)
		return -EINVAL;
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *tu = ASN1_TIME_new(), *nu = ASN1_TIME_new();
	unsigned char *out = NULL;
	int rc = -ENOMEM;
	if (!crl || !tu || !nu)
		goto out;
	rc = -EIO;
	if (X509_CRL_set_version(crl, 1) != 1 || X509_CRL_set_issuer_name(crl, X509_get_subject_name(ic)) != 1 ||
	    !ASN1_TIME_set(tu, (time_t)this_update) || !ASN1_TIME_set(nu, (time_t)next_update) ||
	    X509_CRL_set1_lastUpdate(crl, tu) != 1 || X509_CRL_set1_nextUpdate(crl, nu) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((rc = add_revoked(crl, serials[i], tu)))
			goto out;
	if (X509_CRL_sort(crl) != 1 || (rc = sign_pss(crl, issuer)))
		goto out;
	int len = i2d_X509_CRL(crl, &out);
	rc = -ENOMEM;
	if (len <= 0 || !(*der = malloc((size_t)len)))
		goto out;
	memcpy(*der, out, (size_t)len);
	*der_len = (size_t)len;
	rc = 0;
out:
	OPENSSL_free(out);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	X509_CRL_free(crl);
	X509_free(ic);
	return rc;
}

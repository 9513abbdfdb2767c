/* SPDX-License-Identifier: MIT */
/*
 * Revocation (RFC 5280 §6.3, reduced to what AMD's chain needs): the ARK's CRL, as KDS serves it at
 * /vcek/v1/{product}/crl, must name the ARK as its issuer and carry the ARK's signature (RSASSA-PSS SHA-384); a
 * certificate of the chain is revoked when the CRL lists its serial number.  The caller decides which certificates to
 * look up (go-sev-guest checks the ASK; snpemu checks the ASK and the VCEK).
 */
#include <errno.h>
#include <openssl/x509.h>

#include "common/crypto.h"

static bool listed(X509_CRL *crl, const uint8_t *der, size_t len, int *rc)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	X509_REVOKED *entry = NULL;
	if (!x || q != der + len) {
		*rc = -EINVAL;
		X509_free(x);
		return false;
	}
	bool found = X509_CRL_get0_by_serial(crl, &entry, (ASN1_INTEGER *)X509_get0_serialNumber(x)) == 1;
	X509_free(x);
	return found;
}

int attest_cv_crl_check(const uint8_t *crl_der, size_t crl_len, const uint8_t *issuer_der, size_t issuer_len,
			const uint8_t *const *certs, const size_t *cert_lens, size_t n, bool *revoked)
{
	const unsigned char *q = crl_der, *qi = issuer_der;
	X509_CRL *crl = crl_len < (size_t)INT32_MAX ? d2i_X509_CRL(NULL, &q, (long)crl_len) : NULL;
	X509 *issuer = issuer_len < (size_t)INT32_MAX ? d2i_X509(NULL, &qi, (long)issuer_len) : NULL;
	int rc = -EINVAL;
	if (!crl || q != crl_der + crl_len || !issuer)
		goto out;
	EVP_PKEY *key = X509_get0_pubkey(issuer);
	rc = -EBADMSG;
	if (!key || X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) ||
	    X509_CRL_verify(crl, key) != 1)
		goto out;
	rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		revoked[i] = listed(crl, certs[i], cert_lens[i], &rc);
out:
	X509_CRL_free(crl);
	X509_free(issuer);
	return rc;
}

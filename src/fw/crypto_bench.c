/* SPDX-License-Identifier: MIT */
/* Baselines for bench/fw_bench.c: bare OpenSSL operations, so the ratio compares with the library itself. */
#include <errno.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/crypto.h"

int fw_bench_openssl_ecdsa_sign(const uint8_t *msg, size_t len, unsigned n)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[128];
	int rc = k && md ? 0 : -ENOMEM;
	for (unsigned i = 0; !rc && i < n; i++) {
		size_t slen = sizeof(sig);
		if (EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, k) != 1 ||
		    EVP_DigestSign(md, sig, &slen, msg, len) != 1)
			rc = -EIO;
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return rc;
}

int fw_bench_openssl_ecdsa_verify(const uint8_t *cert_der, size_t cert_len, const uint8_t *msg, size_t len,
				  const uint8_t *sig, size_t sig_len, unsigned n)
{
	const unsigned char *p = cert_der;
	X509 *x = d2i_X509(NULL, &p, (long)cert_len);
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = !x || !k ? -EINVAL : md ? 0 : -ENOMEM;
	for (unsigned i = 0; !rc && i < n; i++)
		if (EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, k) != 1 ||
		    EVP_DigestVerify(md, sig, sig_len, msg, len) != 1)
			rc = -EBADMSG;
	EVP_MD_CTX_free(md);
	X509_free(x);
	return rc;
}

int fw_bench_openssl_sha384(const uint8_t *data, size_t len, size_t chunk, uint8_t out[FW_SHA384_SIZE])
{
	/* EVP_Digest fails only when it cannot allocate its context. */
	for (size_t off = 0; off + chunk <= len; off += chunk)
		if (!EVP_Digest(data + off, chunk, out, NULL, EVP_sha384(), NULL))
			return -ENOMEM;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The cryptography of live migration (OpenSSL EVP): ECDH P-384 between the two platforms' migration keys, an
 * incremental SHA-384 for the stream digest, AES-256-GCM with the key schedule done once per session (a page costs
 * one IV set-up, not a context allocation and key expansion), ECDSA signatures in DER for the certificate checks,
 * and the OpenSSL baseline the migration benchmark compares against.
 */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

int fw_ecdh_p384(const struct fw_key *k, const uint8_t peer_x[48], const uint8_t peer_y[48], uint8_t secret[48])
{
	uint8_t pub[97];
	size_t len = 48;
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL), *dctx = NULL, *cctx = NULL;
	int rc = -ENOMEM;
	pub[0] = 4; /* uncompressed point (SEC 1 §2.3.3) */
	memcpy(pub + 1, peer_x, 48);
	memcpy(pub + 49, peer_y, 48);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"secp384r1", 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)),
	    OSSL_PARAM_construct_end(),
	};
	if (!pctx)
		goto out;
	rc = -EINVAL;
	if (EVP_PKEY_fromdata_init(pctx) != 1 || EVP_PKEY_fromdata(pctx, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	/* A point off the curve would leak bits of our scalar (invalid-curve attack): check it first. */
	if (!(cctx = EVP_PKEY_CTX_new(peer, NULL)) || EVP_PKEY_public_check(cctx) != 1)
		goto out;
	rc = -EIO;
	if (!(dctx = EVP_PKEY_CTX_new(fw_key_evp(k), NULL)) || EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, peer) != 1 || EVP_PKEY_derive(dctx, secret, &len) != 1 || len != 48)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(peer);
	return rc;
}

int fw_ecdsa_sig_der(const uint8_t r[48], const uint8_t s[48], uint8_t *der, size_t cap, size_t *len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = BN_bin2bn(r, 48, NULL), *bs = BN_bin2bn(s, 48, NULL);
	unsigned char *out = NULL;
	int rc = -ENOMEM, n;
	if (!sig || !br || !bs || ECDSA_SIG_set0(sig, br, bs) != 1)
		goto out;
	br = bs = NULL;
	if ((n = i2d_ECDSA_SIG(sig, &out)) <= 0)
		goto out;
	rc = -ENOSPC;
	if ((size_t)n > cap)
		goto out;
	memcpy(der, out, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(out);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return rc;
}

struct fw_sha384_inc {
	EVP_MD_CTX *ctx;
};

int fw_sha384_inc_new(struct fw_sha384_inc **out)
{
	struct fw_sha384_inc *h = calloc(1, sizeof(*h));
	if (!h || !(h->ctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex(h->ctx, EVP_sha384(), NULL) != 1) {
		fw_sha384_inc_free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void fw_sha384_inc_free(struct fw_sha384_inc *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int fw_sha384_inc_update(struct fw_sha384_inc *h, const void *data, size_t len)
{
	return EVP_DigestUpdate(h->ctx, data, len) == 1 ? 0 : -ENOMEM;
}

int fw_sha384_inc_peek(const struct fw_sha384_inc *h, uint8_t out[FW_SHA384_SIZE])
{
	/* Finalise a copy so the running hash can go on (the stream digest covers the end marker's header too). */
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok = copy && EVP_MD_CTX_copy_ex(copy, h->ctx) == 1 && EVP_DigestFinal_ex(copy, out, &len) == 1 &&
		 len == FW_SHA384_SIZE;
	EVP_MD_CTX_free(copy);
	return ok ? 0 : -ENOMEM;
}

struct fw_gcm {
	EVP_CIPHER_CTX *enc, *dec;
};

int fw_gcm_new(const uint8_t key[32], struct fw_gcm **out)
{
	struct fw_gcm *g = calloc(1, sizeof(*g));
	if (!g || !(g->enc = EVP_CIPHER_CTX_new()) || !(g->dec = EVP_CIPHER_CTX_new()) ||
	    EVP_EncryptInit_ex(g->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(g->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1) {
		fw_gcm_free(g);
		return -ENOMEM;
	}
	*out = g;
	return 0;
}

void fw_gcm_free(struct fw_gcm *g)
{
	if (!g)
		return;
	EVP_CIPHER_CTX_free(g->enc); /* frees (and cleanses) the key schedule */
	EVP_CIPHER_CTX_free(g->dec);
	free(g);
}

int fw_gcm_seal(struct fw_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len, const uint8_t *pt,
		size_t len, uint8_t *ct, uint8_t tag[16])
{
	int n = 0;
	if (len > INT32_MAX || aad_len > INT32_MAX)
		return -EINVAL;
	if (EVP_EncryptInit_ex(g->enc, NULL, NULL, NULL, iv) != 1 ||
	    (aad_len && EVP_EncryptUpdate(g->enc, NULL, &n, aad, (int)aad_len) != 1) ||
	    (len && EVP_EncryptUpdate(g->enc, ct, &n, pt, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(g->enc, ct + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		return -EIO;
	return 0;
}

int fw_gcm_open(struct fw_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len, const uint8_t *ct,
		size_t len, uint8_t *pt, const uint8_t tag[16])
{
	int n = 0;
	uint8_t t[16];
	if (len > INT32_MAX || aad_len > INT32_MAX)
		return -EINVAL;
	memcpy(t, tag, sizeof(t));
	if (EVP_DecryptInit_ex(g->dec, NULL, NULL, NULL, iv) != 1 ||
	    (aad_len && EVP_DecryptUpdate(g->dec, NULL, &n, aad, (int)aad_len) != 1) ||
	    (len && EVP_DecryptUpdate(g->dec, pt, &n, ct, (int)len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_GCM_SET_TAG, 16, t) != 1) {
		OPENSSL_cleanse(pt, len);
		return -EIO;
	}
	if (EVP_DecryptFinal_ex(g->dec, pt + len, &n) != 1) {
		OPENSSL_cleanse(pt, len);
		return -EBADMSG;
	}
	return 0;
}

int fw_bench_openssl_gcm_pages(const uint8_t key[32], uint8_t *pages, uint8_t *scratch, size_t page_len, size_t n,
			       unsigned rounds)
{
	/* Plain OpenSSL, as an application would write it: one context per direction, the key set once, a fresh IV
	 * and 32 bytes of AAD per page, seal then open every page. */
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new(), *d = EVP_CIPHER_CTX_new();
	uint8_t iv[12] = {0}, aad[32] = {0}, tag[16];
	int rc = -ENOMEM, m;
	if (!e || !d || EVP_EncryptInit_ex(e, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(d, EVP_aes_256_gcm(), NULL, key, NULL) != 1)
		goto out;
	rc = -EIO;
	for (unsigned r = 0; r < rounds; r++) {
		for (size_t i = 0; i < n; i++) {
			uint8_t *p = pages + i * page_len;
			iv[11] = (uint8_t)i;
			iv[10] = (uint8_t)r;
			aad[0] = (uint8_t)i;
			if (EVP_EncryptInit_ex(e, NULL, NULL, NULL, iv) != 1 ||
			    EVP_EncryptUpdate(e, NULL, &m, aad, sizeof(aad)) != 1 ||
			    EVP_EncryptUpdate(e, scratch, &m, p, (int)page_len) != 1 ||
			    EVP_EncryptFinal_ex(e, scratch + page_len, &m) != 1 ||
			    EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
				goto out;
			if (EVP_DecryptInit_ex(d, NULL, NULL, NULL, iv) != 1 ||
			    EVP_DecryptUpdate(d, NULL, &m, aad, sizeof(aad)) != 1 ||
			    EVP_DecryptUpdate(d, p, &m, scratch, (int)page_len) != 1 ||
			    EVP_CIPHER_CTX_ctrl(d, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
			    EVP_DecryptFinal_ex(d, p + page_len, &m) != 1)
				goto out;
		}
	}
	rc = 0;
out:
	EVP_CIPHER_CTX_free(e);
	EVP_CIPHER_CTX_free(d);
	return rc;
}

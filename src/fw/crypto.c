/* SPDX-License-Identifier: MIT */
/* Hashes, MACs, KDFs, randomness and AES-256-GCM for the firmware model (OpenSSL EVP). */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

int fw_sha384_v(const struct fw_iovec *iov, size_t n, uint8_t out[FW_SHA384_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha384(), NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, iov[i].base, iov[i].len);
	ok = ok && EVP_DigestFinal_ex(ctx, out, &len) && len == FW_SHA384_SIZE;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -ENOMEM;
}

int fw_sha384(const void *data, size_t len, uint8_t out[FW_SHA384_SIZE])
{
	/* The one-shot digest avoids a context allocation per page in the launch measurement. */
	return EVP_Digest(data, len, out, NULL, EVP_sha384(), NULL) ? 0 : -ENOMEM;
}

struct fw_sha384_ctx {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

int fw_sha384_ctx_new(struct fw_sha384_ctx **out)
{
	struct fw_sha384_ctx *c = calloc(1, sizeof(*c));
	if (!c || !(c->md = EVP_MD_fetch(NULL, "SHA384", NULL)) || !(c->ctx = EVP_MD_CTX_new())) {
		fw_sha384_ctx_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void fw_sha384_ctx_free(struct fw_sha384_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->ctx);
	EVP_MD_free(c->md);
	free(c);
}

int fw_sha384_with(struct fw_sha384_ctx *c, const void *data, size_t len, uint8_t out[FW_SHA384_SIZE])
{
	unsigned int olen = 0;
	if (!c)
		return fw_sha384(data, len, out);
	if (EVP_DigestInit_ex2(c->ctx, c->md, NULL) != 1 || EVP_DigestUpdate(c->ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(c->ctx, out, &olen) != 1 || olen != FW_SHA384_SIZE)
		return -ENOMEM;
	return 0;
}

int fw_hmac_sha384(const void *key, size_t key_len, const void *data, size_t len, uint8_t out[FW_SHA384_SIZE])
{
	unsigned int olen = 0;
	if (!HMAC(EVP_sha384(), key, (int)key_len, data, len, out, &olen) || olen != FW_SHA384_SIZE)
		return -ENOMEM;
	return 0;
}

static int kdf_run(const char *name, OSSL_PARAM *params, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int rc = kctx && EVP_KDF_derive(kctx, out, out_len, params) == 1 ? 0 : -EIO;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

int fw_hkdf_sha384(const void *ikm, size_t ikm_len, const char *label, const void *ctx, size_t ctx_len, uint8_t *out,
		   size_t out_len)
{
	/* Info = label || context, so distinct labels give independent keys. */
	static const char salt[] = "snpemu-fw";
	uint8_t info[256];
	size_t label_len = strlen(label);
	if (label_len + ctx_len > sizeof(info))
		return -EINVAL;
	memcpy(info, label, label_len);
	if (ctx_len)
		memcpy(info + label_len, ctx, ctx_len);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA384", 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt) - 1),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, label_len + ctx_len),
	    OSSL_PARAM_construct_end(),
	};
	return kdf_run("HKDF", params, out, out_len);
}

int fw_kbkdf_hmac_sha256(const uint8_t *key, size_t key_len, const char *label, const void *ctx, size_t ctx_len,
			 uint8_t *out, size_t out_len)
{
	/* ASPFW nist_kdf.c: SP 800-108 counter mode, PRF HMAC-SHA-256, label and context as given. */
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *)"counter", 0),
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0),
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label, strlen(label)),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)ctx, ctx_len),
	    OSSL_PARAM_construct_end(),
	};
	return kdf_run("KBKDF", params, out, out_len);
}

int fw_random_bytes(void *out, size_t len)
{
	return RAND_bytes(out, (int)len) == 1 ? 0 : -EIO;
}

static int gcm_run(int enc, const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
		   const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, rc = -EIO;
	if (!c)
		return -ENOMEM;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) != 1)
		goto out;
	if (aad_len && EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (len && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + len, &n) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int fw_aes256gcm_seal(const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
		      const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16])
{
	return gcm_run(1, key, iv, aad, aad_len, pt, len, ct, tag);
}

int fw_aes256gcm_open(const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
		      const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[16])
{
	uint8_t t[16];
	memcpy(t, tag, sizeof(t));
	int rc = gcm_run(0, key, iv, aad, aad_len, ct, len, pt, t);
	if (rc)
		OPENSSL_cleanse(pt, len);
	return rc;
}

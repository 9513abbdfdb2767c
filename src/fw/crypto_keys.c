/* SPDX-License-Identifier: MIT */
/*
 * Keys of the firmware model derived from secrets (so a seeded platform is reproducible), ECDSA P-384 and
 * RSASSA-PSS signatures.  OpenSSL 3.0 has neither deterministic ECDSA nor a way to choose the PSS salt, so both
 * nonces are derived here from a per-key secret and the message (the RFC 6979 idea), and the signature arithmetic
 * uses OpenSSL's BIGNUM/EC_POINT primitives and the raw RSA operation.
 */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

struct fw_key {
	EVP_PKEY *pkey;
	bool is_ec;
	EC_GROUP *group; /* EC: P-384 */
	BIGNUM *d;	 /* EC: private scalar */
	uint8_t x[48], y[48];
	size_t rsa_bytes;
	uint8_t nonce_key[48]; /* secret for deterministic nonces and salts */
};

void fw_key_free(struct fw_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	EC_GROUP_free(k->group);
	BN_clear_free(k->d);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

void *fw_key_evp(const struct fw_key *k)
{
	return k->pkey;
}

static int bn_to_be(const BIGNUM *bn, uint8_t *out, size_t len)
{
	return BN_bn2binpad(bn, out, (int)len) == (int)len ? 0 : -EINVAL;
}

int fw_key_derive_p384(const uint8_t seed[48], struct fw_key **out)
{
	uint8_t wide[64], pub[97];
	int rc = -ENOMEM;
	struct fw_key *k = calloc(1, sizeof(*k));
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *nm1 = BN_new(), *t = BN_new(), *x = BN_new(), *y = BN_new();
	EC_POINT *q = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;

	if (!k || !bn || !nm1 || !t || !x || !y || !bld)
		goto out;
	k->is_ec = true;
	k->group = EC_GROUP_new_by_curve_name(NID_secp384r1);
	k->d = BN_secure_new();
	if (!k->group || !k->d)
		goto out;
	rc = -EIO;
	/* d = (64 bytes of HKDF) mod (n - 1) + 1: uniform enough and never zero. */
	if (fw_hkdf_sha384(seed, 48, "p384-scalar", NULL, 0, wide, sizeof(wide)) ||
	    fw_hkdf_sha384(seed, 48, "p384-nonce", NULL, 0, k->nonce_key, sizeof(k->nonce_key)))
		goto out;
	if (!BN_copy(nm1, EC_GROUP_get0_order(k->group)) || !BN_sub_word(nm1, 1) || !BN_bin2bn(wide, sizeof(wide), t) ||
	    !BN_mod(k->d, t, nm1, bn) || !BN_add_word(k->d, 1))
		goto out;
	BN_set_flags(k->d, BN_FLG_CONSTTIME);
	q = EC_POINT_new(k->group);
	if (!q || !EC_POINT_mul(k->group, q, k->d, NULL, NULL, bn) ||
	    !EC_POINT_get_affine_coordinates(k->group, q, x, y, bn) || bn_to_be(x, k->x, 48) || bn_to_be(y, k->y, 48))
		goto out;
	pub[0] = 4; /* uncompressed point */
	memcpy(pub + 1, k->x, 48);
	memcpy(pub + 49, k->y, 48);
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, k->d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !pctx || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &k->pkey, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	*out = k;
	k = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(wide, sizeof(wide));
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(q);
	BN_clear_free(t);
	BN_free(nm1);
	BN_free(x);
	BN_free(y);
	BN_CTX_free(bn);
	fw_key_free(k);
	return rc;
}

/* Miller-Rabin with the fixed bases 2, 3, 5, 7, 11, 13: for random 1024-bit-and-larger candidates the chance
 * of a composite passing is far below 2^-100 (Damgard-Landrock-Pomerance), and fixed bases keep the derivation
 * deterministic. */
static int miller_rabin(const BIGNUM *n, BN_CTX *bn, BN_MONT_CTX *mont)
{
	static const unsigned bases[] = {2, 3, 5, 7, 11, 13};
	int rc = -EIO, s = 0;
	BN_CTX_start(bn);
	BIGNUM *d = BN_CTX_get(bn), *nm1 = BN_CTX_get(bn), *a = BN_CTX_get(bn), *x = BN_CTX_get(bn);
	if (!x || !BN_sub(nm1, n, BN_value_one()) || !BN_copy(d, nm1))
		goto out;
	while (!BN_is_bit_set(d, 0)) {
		if (!BN_rshift1(d, d))
			goto out;
		s++;
	}
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!BN_set_word(a, bases[i]) || !BN_mod_exp_mont(x, a, d, n, bn, mont))
			goto out;
		if (BN_is_one(x) || !BN_cmp(x, nm1))
			continue;
		int j;
		for (j = 1; j < s; j++) {
			if (!BN_mod_mul(x, x, x, n, bn))
				goto out;
			if (!BN_cmp(x, nm1))
				break;
		}
		if (j == s) {
			rc = 0; /* composite */
			goto out;
		}
	}
	rc = 1;
out:
	BN_CTX_end(bn);
	return rc;
}

/* The first probable prime >= an HKDF-derived odd start with its top two bits set (so p*q has all `bits`), with
 * gcd(p - 1, 65537) = 1.  A sieve over the small odd primes skips most composites without big-number work. */
static int derive_prime(const uint8_t seed[48], const char *label, unsigned bits, BIGNUM *p, BN_CTX *bn)
{
	enum { NSMALL = 2048, WINDOW = 4096 };
	uint8_t start[512];
	static const unsigned e = 65537;
	size_t len = bits / 8;
	int rc = -EIO;
	unsigned *small = NULL, *rem = NULL;
	BN_MONT_CTX *mont = BN_MONT_CTX_new();
	if (!mont || len > sizeof(start) || fw_hkdf_sha384(seed, 48, label, NULL, 0, start, len))
		goto out;
	start[0] |= 0xC0;
	start[len - 1] |= 1;
	small = malloc(NSMALL * sizeof(*small));
	rem = malloc(NSMALL * sizeof(*rem));
	if (!small || !rem || !BN_bin2bn(start, (int)len, p))
		goto out;
	/* the first NSMALL odd primes */
	for (unsigned n = 0, c = 3; n < NSMALL; c += 2) {
		bool prime = true;
		for (unsigned i = 0; i < n && small[i] * small[i] <= c; i++)
			if (c % small[i] == 0) {
				prime = false;
				break;
			}
		if (prime)
			small[n++] = c;
	}
	for (;;) {
		for (unsigned i = 0; i < NSMALL; i++) {
			BN_ULONG r = BN_mod_word(p, small[i]);
			if (r == (BN_ULONG)-1)
				goto out;
			rem[i] = (unsigned)r;
		}
		BN_ULONG re = BN_mod_word(p, e);
		for (unsigned delta = 0; delta < 2 * WINDOW; delta += 2) {
			bool composite = (re + delta) % e == 1; /* p - 1 divisible by e */
			for (unsigned i = 0; !composite && i < NSMALL; i++)
				composite = (rem[i] + delta) % small[i] == 0;
			if (composite)
				continue;
			BIGNUM *cand = BN_dup(p);
			if (!cand || !BN_add_word(cand, delta) || !BN_MONT_CTX_set(mont, cand, bn)) {
				BN_free(cand);
				goto out;
			}
			int r = miller_rabin(cand, bn, mont);
			if (r == 1 && !BN_copy(p, cand))
				r = -1;
			BN_free(cand);
			if (r < 0)
				goto out;
			if (r == 1) {
				rc = 0;
				goto out;
			}
		}
		if (!BN_add_word(p, 2 * WINDOW))
			goto out;
	}
out:
	free(small);
	free(rem);
	BN_MONT_CTX_free(mont);
	OPENSSL_cleanse(start, sizeof(start));
	return rc;
}

/*
 * Derived RSA keys, remembered per process.  The derivation is deterministic (the same seed gives the same key)
 * and costs seconds for 4096 bits (two prime searches), while every platform of one AMD root derives the same ARK
 * and ASK: two platforms in one process (live migration between them, its tests) would pay it once per platform.
 * The cache is a memo of a pure function, so it changes no result; it holds at most RSA_CACHE_SLOTS keys (then the
 * oldest is replaced), looked up by SHA-384 of the seed and the size, never by the seed itself.
 */
#define RSA_CACHE_SLOTS 8u
static struct rsa_cache_slot {
	uint8_t id[48];
	unsigned bits;
	EVP_PKEY *pkey;
	uint8_t nonce_key[48];
} rsa_cache[RSA_CACHE_SLOTS];
static unsigned rsa_cache_next;
static pthread_mutex_t rsa_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int rsa_cache_id(const uint8_t seed[48], unsigned bits, uint8_t id[48])
{
	uint8_t b[4] = {(uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16), (uint8_t)(bits >> 24)};
	const struct fw_iovec iov[3] = {{"rsa-cache", 9}, {seed, 48}, {b, sizeof(b)}};
	return fw_sha384_v(iov, 3, id) ? -EIO : 0;
}

/* A copy of the cached key for id, or NULL. */
static struct fw_key *rsa_cache_get(const uint8_t id[48], unsigned bits)
{
	struct fw_key *k = NULL;
	pthread_mutex_lock(&rsa_cache_lock);
	for (unsigned i = 0; i < RSA_CACHE_SLOTS && !k; i++) {
		struct rsa_cache_slot *c = &rsa_cache[i];
		if (c->pkey && c->bits == bits && CRYPTO_memcmp(c->id, id, 48) == 0 && (k = calloc(1, sizeof(*k)))) {
			if (EVP_PKEY_up_ref(c->pkey) != 1) {
				free(k);
				k = NULL;
				break;
			}
			k->pkey = c->pkey;
			k->rsa_bytes = bits / 8;
			memcpy(k->nonce_key, c->nonce_key, sizeof(k->nonce_key));
		}
	}
	pthread_mutex_unlock(&rsa_cache_lock);
	return k;
}

static void rsa_cache_put(const uint8_t id[48], unsigned bits, const struct fw_key *k)
{
	pthread_mutex_lock(&rsa_cache_lock);
	struct rsa_cache_slot *c = &rsa_cache[rsa_cache_next++ % RSA_CACHE_SLOTS];
	if (EVP_PKEY_up_ref(k->pkey) == 1) {
		EVP_PKEY_free(c->pkey);
		memcpy(c->id, id, 48);
		c->bits = bits;
		c->pkey = k->pkey;
		memcpy(c->nonce_key, k->nonce_key, sizeof(c->nonce_key));
	}
	pthread_mutex_unlock(&rsa_cache_lock);
}

static int derive_rsa_uncached(const uint8_t seed[48], unsigned bits, struct fw_key **out);

int fw_key_derive_rsa(const uint8_t seed[48], unsigned bits, struct fw_key **out)
{
	uint8_t id[48];
	if (bits != 2048 && bits != 4096)
		return -EINVAL;
	if (rsa_cache_id(seed, bits, id))
		return -EIO;
	if ((*out = rsa_cache_get(id, bits)))
		return 0;
	int rc = derive_rsa_uncached(seed, bits, out);
	if (!rc)
		rsa_cache_put(id, bits, *out);
	return rc;
}

static int derive_rsa_uncached(const uint8_t seed[48], unsigned bits, struct fw_key **out)
{
	int rc = -ENOMEM;
	struct fw_key *k = calloc(1, sizeof(*k));
	BN_CTX *bn = BN_CTX_secure_new();
	BIGNUM *p = BN_secure_new(), *q = BN_secure_new(), *n = BN_new(), *e = BN_new(), *d = BN_secure_new();
	BIGNUM *p1 = BN_secure_new(), *q1 = BN_secure_new(), *phi = BN_secure_new();
	BIGNUM *dp = BN_secure_new(), *dq = BN_secure_new(), *qinv = BN_secure_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;

	if (!k || !bn || !p || !q || !n || !e || !d || !p1 || !q1 || !phi || !dp || !dq || !qinv || !bld)
		goto out;
	rc = -EINVAL;
	if (bits != 2048 && bits != 4096)
		goto out;
	if ((rc = derive_prime(seed, "rsa-p", bits / 2, p, bn)) || (rc = derive_prime(seed, "rsa-q", bits / 2, q, bn)))
		goto out;
	rc = -EIO;
	if (!BN_cmp(p, q) || fw_hkdf_sha384(seed, 48, "rsa-salt", NULL, 0, k->nonce_key, sizeof(k->nonce_key)))
		goto out;
	if (!BN_set_word(e, 65537) || !BN_mul(n, p, q, bn) || !BN_sub(p1, p, BN_value_one()) ||
	    !BN_sub(q1, q, BN_value_one()) || !BN_mul(phi, p1, q1, bn) || !BN_mod_inverse(d, e, phi, bn) ||
	    !BN_mod(dp, d, p1, bn) || !BN_mod(dq, d, q1, bn) || !BN_mod_inverse(qinv, q, p, bn))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !pctx || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &k->pkey, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	k->rsa_bytes = bits / 8;
	*out = k;
	k = NULL;
	rc = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(p1);
	BN_clear_free(q1);
	BN_clear_free(phi);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qinv);
	BN_CTX_free(bn);
	fw_key_free(k);
	return rc;
}

int fw_key_p384_public(const struct fw_key *k, uint8_t x[48], uint8_t y[48])
{
	if (!k->is_ec)
		return -EINVAL;
	memcpy(x, k->x, 48);
	memcpy(y, k->y, 48);
	return 0;
}

int fw_key_ecdsa_sign(const struct fw_key *k, const uint8_t digest[48], uint8_t r_out[48], uint8_t s_out[48])
{
	if (!k->is_ec)
		return -EINVAL;
	int rc = -ENOMEM;
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *kk = BN_secure_new(), *w = BN_new(), *z = BN_new(), *r = BN_new(), *s = BN_new(), *kinv = BN_new();
	BIGNUM *nm1 = BN_new();
	EC_POINT *R = EC_POINT_new(k->group);
	const BIGNUM *order = EC_GROUP_get0_order(k->group);
	uint8_t wide[96], msg[49];

	if (!bn || !kk || !w || !z || !r || !s || !kinv || !nm1 || !R)
		goto out;
	rc = -EIO;
	if (!BN_bin2bn(digest, 48, z) || !BN_copy(nm1, order) || !BN_sub_word(nm1, 1))
		goto out;
	memcpy(msg, digest, 48);
	for (uint8_t attempt = 0; attempt < 8; attempt++) {
		/* k = HMAC(nonce_key, digest || i) over 64 bytes, mod (n - 1) + 1 */
		msg[48] = (uint8_t)(2 * attempt);
		if (fw_hmac_sha384(k->nonce_key, 48, msg, 49, wide))
			goto out;
		msg[48] = (uint8_t)(2 * attempt + 1);
		if (fw_hmac_sha384(k->nonce_key, 48, msg, 49, wide + 48))
			goto out;
		if (!BN_bin2bn(wide, 64, w) || !BN_mod(kk, w, nm1, bn) || !BN_add_word(kk, 1))
			goto out;
		BN_set_flags(kk, BN_FLG_CONSTTIME);
		/* r = x(kG) mod n; s = k^-1 (z + r d) mod n */
		if (!EC_POINT_mul(k->group, R, kk, NULL, NULL, bn) ||
		    !EC_POINT_get_affine_coordinates(k->group, R, w, NULL, bn) || !BN_nnmod(r, w, order, bn))
			goto out;
		if (BN_is_zero(r))
			continue;
		if (!BN_mod_inverse(kinv, kk, order, bn) || !BN_mod_mul(w, r, k->d, order, bn) ||
		    !BN_mod_add(w, w, z, order, bn) || !BN_mod_mul(s, kinv, w, order, bn))
			goto out;
		if (BN_is_zero(s))
			continue;
		rc = bn_to_be(r, r_out, 48) || bn_to_be(s, s_out, 48) ? -EIO : 0;
		break;
	}
out:
	OPENSSL_cleanse(wide, sizeof(wide));
	EC_POINT_free(R);
	BN_clear_free(kk);
	BN_clear_free(kinv);
	BN_clear_free(w);
	BN_free(z);
	BN_free(r);
	BN_free(s);
	BN_free(nm1);
	BN_CTX_free(bn);
	return rc;
}

int fw_ecdsa_p384_verify(const uint8_t x[48], const uint8_t y[48], const uint8_t digest[48], const uint8_t r[48],
			 const uint8_t s[48])
{
	int rc = -ENOMEM;
	uint8_t pub[97];
	unsigned char *der = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *pctx = NULL, *vctx = NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = BN_bin2bn(r, 48, NULL), *bs = BN_bin2bn(s, 48, NULL);
	OSSL_PARAM params[3];

	if (!sig || !br || !bs)
		goto out;
	if (ECDSA_SIG_set0(sig, br, bs) != 1)
		goto out;
	br = bs = NULL;
	int der_len = i2d_ECDSA_SIG(sig, &der);
	if (der_len <= 0)
		goto out;
	pub[0] = 4;
	memcpy(pub + 1, x, 48);
	memcpy(pub + 49, y, 48);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"secp384r1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
	params[2] = OSSL_PARAM_construct_end();
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	rc = -EINVAL;
	if (!pctx || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	vctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (!vctx || EVP_PKEY_verify_init(vctx) != 1 || EVP_PKEY_public_check(vctx) != 1)
		goto out;
	rc = EVP_PKEY_verify(vctx, der, (size_t)der_len, digest, 48) == 1 ? 0 : -EBADMSG;
out:
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pkey);
	ECDSA_SIG_free(sig);
	BN_free(br);
	BN_free(bs);
	return rc;
}

/* MGF1 with SHA-384 (RFC 8017 B.2.1), XORed into `db`. */
static int mgf1_xor(uint8_t *db, size_t len, const uint8_t seed[48])
{
	uint8_t cnt[4], h[48];
	for (uint32_t c = 0, off = 0; off < len; c++, off += 48) {
		cnt[0] = (uint8_t)(c >> 24);
		cnt[1] = (uint8_t)(c >> 16);
		cnt[2] = (uint8_t)(c >> 8);
		cnt[3] = (uint8_t)c;
		struct fw_iovec v[2] = {{seed, 48}, {cnt, 4}};
		if (fw_sha384_v(v, 2, h))
			return -ENOMEM;
		for (size_t i = 0; i < 48 && off + i < len; i++)
			db[off + i] ^= h[i];
	}
	return 0;
}

int fw_key_rsa_pss_sign(const struct fw_key *k, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
			size_t *sig_len)
{
	/* EMSA-PSS-ENCODE (RFC 8017 §9.1.1), hash and MGF SHA-384, sLen 48, emBits = modBits - 1; salt derived
	 * from the key's secret and the message hash so that signing is reproducible. */
	enum { HLEN = 48, SLEN = 48 };
	uint8_t em[512], mhash[HLEN], salt[SLEN], h[HLEN], zeros[8] = {0};
	size_t em_len = k->rsa_bytes, db_len = em_len - HLEN - 1;
	int rc = -EIO;
	EVP_PKEY_CTX *ctx = NULL;

	if (k->is_ec || em_len > sizeof(em) || cap < em_len)
		return -EINVAL;
	struct fw_iovec mp[3] = {{zeros, 8}, {mhash, HLEN}, {salt, SLEN}};
	if (fw_sha384(msg, len, mhash) ||
	    fw_hmac_sha384(k->nonce_key, sizeof(k->nonce_key), mhash, sizeof(mhash), salt) || fw_sha384_v(mp, 3, h))
		return -ENOMEM;
	memset(em, 0, em_len);
	em[db_len - SLEN - 1] = 0x01;
	memcpy(em + db_len - SLEN, salt, SLEN);
	if (mgf1_xor(em, db_len, h))
		return -ENOMEM;
	em[0] &= 0x7F; /* 8*emLen - emBits = 1 leftmost bit cleared (modulus bits a multiple of 8) */
	memcpy(em + db_len, h, HLEN);
	em[em_len - 1] = 0xBC;

	size_t out_len = cap;
	ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
	if (ctx && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
	    EVP_PKEY_sign(ctx, sig, &out_len, em, em_len) == 1 && out_len == em_len) {
		*sig_len = out_len;
		rc = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

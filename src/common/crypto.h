/* SPDX-License-Identifier: MIT */
/*
 * snpemu's one internal cryptography header: the firmware model's primitives (src/fw/crypto*.c) and the tools'
 * hashing and certificate verification (src/attest/crypto_*.c).  Those files are the only ones that call OpenSSL's
 * libcrypto; everything else in snpemu goes through these functions.  Functions that can fail return 0 or a
 * negative errno (-EINVAL malformed input, -EBADMSG a signature or tag that does not verify, -ENOMEM, -EIO);
 * secrets are wiped by the callee before it returns.
 */
#ifndef SNPEMU_CRYPTO_H
#define SNPEMU_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/attest.h> /* ATTEST_SHA256_LEN */

#define FW_SHA384_SIZE 48u
/* The hashes and MACs return 0, or -ENOMEM when OpenSSL cannot allocate its context (a host failure the caller
 * reports; they cannot fail otherwise). */
#define FW_MUST_CHECK  __attribute__((warn_unused_result))
#define FW_P384_SIZE   48u

/* SHA-384 of one buffer. */
int fw_sha384(const void *data, size_t len, uint8_t out[FW_SHA384_SIZE]) FW_MUST_CHECK;

/* SHA-384 of the concatenation of up to `n` (pointer, length) pieces. */
struct fw_iovec {
	const void *base;
	size_t len;
};
int fw_sha384_v(const struct fw_iovec *iov, size_t n, uint8_t out[FW_SHA384_SIZE]) FW_MUST_CHECK;

/* A reusable SHA-384 context with an explicitly fetched digest: no per-call algorithm lookup (the launch
 * measurement hashes two buffers per page).  Not thread-safe; owned by one guest. */
struct fw_sha384_ctx;
int fw_sha384_ctx_new(struct fw_sha384_ctx **out);
void fw_sha384_ctx_free(struct fw_sha384_ctx *c);
/* SHA-384 through `c`, or fw_sha384() when `c` is NULL. */
int fw_sha384_with(struct fw_sha384_ctx *c, const void *data, size_t len, uint8_t out[FW_SHA384_SIZE]) FW_MUST_CHECK;

/* SHA-256 of one buffer (`data` may be NULL when `len` is 0): the SEV hashes table of the launch measurement holds
 * the SHA-256 of the kernel, initrd and command line (src/attest/crypto_sha256.c). */
int attest_sha256(const void *data, size_t len, uint8_t out[ATTEST_SHA256_LEN]) FW_MUST_CHECK;

/* HMAC-SHA-384. */
int fw_hmac_sha384(const void *key, size_t key_len, const void *data, size_t len,
		   uint8_t out[FW_SHA384_SIZE]) FW_MUST_CHECK;
/* HKDF-SHA-384 (RFC 5869) with a text salt and a text label as info.  Returns 0 or -EIO. */
int fw_hkdf_sha384(const void *ikm, size_t ikm_len, const char *label, const void *ctx, size_t ctx_len, uint8_t *out,
		   size_t out_len);
/* NIST SP 800-108 counter-mode KDF with HMAC-SHA-256 (the firmware's MSG_KEY_REQ derivation).  0 or -EIO. */
int fw_kbkdf_hmac_sha256(const uint8_t *key, size_t key_len, const char *label, const void *ctx, size_t ctx_len,
			 uint8_t *out, size_t out_len);
/* Bytes from the system's random source.  0 or -EIO. */
int fw_random_bytes(void *out, size_t len);

/* AES-256-GCM with a 12-byte IV and a 16-byte tag.  `open` returns -EBADMSG on a tag mismatch and wipes `pt`
 * (callers decrypt into private buffers, never into guest-visible memory).  0 or -EIO. */
int fw_aes256gcm_seal(const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
		      const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16]);
int fw_aes256gcm_open(const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
		      const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[16]);

/* Baselines for the benchmarks (crypto_bench.c): `n` OpenSSL ECDSA P-384/SHA-384 signatures of `msg` with a fresh
 * key; `n` verifications of the DER signature `sig` over `msg` with the key of a DER certificate (-EINVAL not a
 * certificate, -EBADMSG a signature that does not verify); OpenSSL SHA-384 over `data` in `chunk`-byte pieces.
 * 0, -ENOMEM or -EIO otherwise. */
int fw_bench_openssl_ecdsa_sign(const uint8_t *msg, size_t len, unsigned n);
int fw_bench_openssl_ecdsa_verify(const uint8_t *cert_der, size_t cert_len, const uint8_t *msg, size_t len,
				  const uint8_t *sig, size_t sig_len, unsigned n);
int fw_bench_openssl_sha384(const uint8_t *data, size_t len, size_t chunk, uint8_t out[FW_SHA384_SIZE]);

/* ---- Keys (crypto_keys.c) ---- */

/* A private key: RSA (ARK/ASK/ASVK) or EC P-384 (VCEK/VLEK).  Signatures are deterministic (nonces and PSS salts
 * derive from a secret of the key and the message) so that a seeded platform gives byte-identical output. */
struct fw_key;

/* Derive a P-384 key from a 48-byte secret (scalar = HKDF output mod (n-1) + 1). */
int fw_key_derive_p384(const uint8_t seed[48], struct fw_key **out);
/* Derive an RSA key of `bits` (2048 or 4096) with e = 65537 from a 48-byte secret: each prime is the first
 * probable prime at or above an HKDF-derived starting point. */
int fw_key_derive_rsa(const uint8_t seed[48], unsigned bits, struct fw_key **out);
void fw_key_free(struct fw_key *k);
/* The EVP_PKEY behind a key (for crypto_cert.c only). */
void *fw_key_evp(const struct fw_key *k);
/* A P-384 key's public point, big-endian X and Y.  -EINVAL for RSA keys. */
int fw_key_p384_public(const struct fw_key *k, uint8_t x[48], uint8_t y[48]);
/* ECDSA P-384 over a SHA-384 digest; r and s big-endian.  -EINVAL for RSA keys. */
int fw_key_ecdsa_sign(const struct fw_key *k, const uint8_t digest[48], uint8_t r[48], uint8_t s[48]);
/* Verify ECDSA P-384 with a public key given as big-endian X, Y.  0, -EBADMSG (bad signature), -EINVAL (bad
 * point). */
int fw_ecdsa_p384_verify(const uint8_t x[48], const uint8_t y[48], const uint8_t digest[48], const uint8_t r[48],
			 const uint8_t s[48]);
/* RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48) signature of `msg`; `sig` has the modulus size.  Sets *sig_len. */
int fw_key_rsa_pss_sign(const struct fw_key *k, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
			size_t *sig_len);

/* ---- Certificates (crypto_cert.c) ---- */

enum fw_cert_profile { FW_PROFILE_ARK, FW_PROFILE_ASK, FW_PROFILE_VCEK, FW_PROFILE_VLEK };

/* What goes into one certificate. */
struct fw_cert_spec {
	enum fw_cert_profile profile;
	uint64_t serial;
	const char *issuer_cn, *subject_cn;
	const char *product_line; /* "Genoa": the CRL distribution point URL */
	int64_t not_before, not_after;
	/* KDS extensions (VCEK/VLEK) */
	const char *product_name;
	uint8_t bl_spl, tee_spl, snp_spl, ucode_spl, fmc_spl;
	bool has_fmc;
	const uint8_t *hwid; /* 64 bytes (VCEK) */
	const char *csp_id;  /* VLEK */
};

/* Build and sign a DER certificate for `subject` (public key) signed by `issuer`.  *der is malloc'ed. */
int fw_cert_build(const struct fw_cert_spec *spec, const struct fw_key *subject, const struct fw_key *issuer,
		  uint8_t **der, size_t *der_len);

/* Build a DER CRL issued by the certificate `issuer_der` (its subject names the issuer) and signed by `issuer` with
 * RSASSA-PSS SHA-384 (MGF1 SHA-384, salt 48) (crypto_crl.c).  *der is malloc'ed.  0, -EINVAL (issuer_der is no
 * certificate), -ENOMEM or -EIO. */
int fw_crl_build(const struct fw_key *issuer, const uint8_t *issuer_der, size_t issuer_der_len, const uint64_t *serials,
		 size_t n, int64_t this_update, int64_t next_update, uint8_t **der, size_t *der_len);

/* Check a DER CRL against its issuer's certificate (src/attest/crypto_crl.c): the CRL must be one DER object, name
 * the issuer and carry a signature that verifies with the issuer's key.  Then, for each of `n` certificates (DER),
 * sets revoked[i] if the CRL lists its serial number.  Returns 0, -EINVAL (not a CRL, or a certificate that does not
 * parse), -EBADMSG (issuer name or signature wrong), -ENOMEM. */
int attest_cv_crl_check(const uint8_t *crl, size_t crl_len, const uint8_t *issuer_der, size_t issuer_len,
			const uint8_t *const *certs, const size_t *cert_lens, size_t n, bool *revoked);

/* ---- Certificate and signature verification (src/attest/crypto_verify.c, for the verifier) ---- */

/* An X.509 certificate parsed by OpenSSL (opaque). */
struct attest_cv_cert;

/* KDS extension arcs under 1.3.6.1.4.1.3704.1.3 (snp-firmware-abi.md §4.3): index = last arc. */
#define ATTEST_CV_SPL_BL    1
#define ATTEST_CV_SPL_TEE   2
#define ATTEST_CV_SPL_SNP   3
#define ATTEST_CV_SPL_UCODE 8
#define ATTEST_CV_SPL_FMC   9
#define ATTEST_CV_SPL_MAX   10

/* What the verifier needs to know of a certificate, extracted once at load time. */
struct attest_cv_cert_info {
	char subject_cn[64], issuer_cn[64];
	bool self_issued;	       /* subject name = issuer name */
	int64_t not_before, not_after; /* seconds since the epoch */
	bool key_is_rsa, key_is_p384;
	int key_bits;
	bool sig_is_pss_sha384; /* RSASSA-PSS, SHA-384, MGF1 with SHA-384, salt length 48 (AMD's choice) */
	/* AMD KDS extensions (1.3.6.1.4.1.3704.1.*). */
	bool has_struct_version;
	int64_t struct_version;
	bool has_product;
	char product[32];
	bool has_spl[ATTEST_CV_SPL_MAX];
	uint8_t spl[ATTEST_CV_SPL_MAX];
	bool has_hwid;
	uint8_t hwid[64]; /* an 8-byte (Turin) hwID is zero-extended */
	bool has_cspid;
	char cspid[64];
	char ext_error[96]; /* non-empty if a KDS extension is present but malformed or duplicated */
};

/* Parse one DER certificate (every byte must belong to it).  On success *out must be freed with attest_cv_cert_free.
 * Returns 0, -EINVAL (not a certificate, trailing bytes) or -ENOMEM. */
int attest_cv_cert_load(const uint8_t *der, size_t len, struct attest_cv_cert **out, struct attest_cv_cert_info *info);
void attest_cv_cert_free(struct attest_cv_cert *c);

/* True if `child` names `issuer`'s subject as its issuer. */
bool attest_cv_cert_names_issuer(const struct attest_cv_cert *child, const struct attest_cv_cert *issuer);
/* Verify `child`'s signature with `issuer`'s public key (the algorithm and PSS parameters come from the
 * certificate; the caller checks sig_is_pss_sha384).  Returns 0 or -EBADMSG. */
int attest_cv_cert_verify(const struct attest_cv_cert *child, const struct attest_cv_cert *issuer);
/* True if both certificates carry the same public key. */
bool attest_cv_cert_same_key(const struct attest_cv_cert *a, const struct attest_cv_cert *b);

/* ECDSA P-384 with SHA-384 of `msg` under the certificate's key; `sig` is a DER ECDSA-Sig-Value.
 * Returns 0, -EBADMSG (bad signature or not a P-384 key) or -ENOMEM. */
int attest_cv_ecdsa_p384_verify(const struct attest_cv_cert *signer, const uint8_t *msg, size_t len, const uint8_t *sig,
				size_t sig_len);

/* First PEM "CERTIFICATE" block of `pem` as DER in a malloc'd buffer.  Returns 0, -EINVAL or -ENOMEM. */
int attest_cv_pem_to_der(const uint8_t *pem, size_t pem_len, uint8_t **der, size_t *der_len);

/* ---- Live migration (crypto_migrate.c) ---- */

/* ECDH P-384: the X coordinate of k·peer.  The peer point (big-endian X, Y) is checked to be on the curve.
 * 0, -EINVAL (not a valid point), -ENOMEM, -EIO. */
int fw_ecdh_p384(const struct fw_key *k, const uint8_t peer_x[48], const uint8_t peer_y[48], uint8_t secret[48]);
/* An ECDSA signature (r, s big-endian) as a DER ECDSA-Sig-Value.  0, -ENOSPC, -ENOMEM. */
int fw_ecdsa_sig_der(const uint8_t r[48], const uint8_t s[48], uint8_t *der, size_t cap, size_t *len);

/* Incremental SHA-384; peek gives the digest of what was hashed so far and lets hashing continue. */
struct fw_sha384_inc;
int fw_sha384_inc_new(struct fw_sha384_inc **out);
void fw_sha384_inc_free(struct fw_sha384_inc *h);
int fw_sha384_inc_update(struct fw_sha384_inc *h, const void *data, size_t len) FW_MUST_CHECK;
int fw_sha384_inc_peek(const struct fw_sha384_inc *h, uint8_t out[FW_SHA384_SIZE]) FW_MUST_CHECK;

/* AES-256-GCM (12-byte IV, 16-byte tag) with the key expanded once.  Not thread-safe: one user at a time.
 * fw_gcm_open verifies the tag and wipes `pt` when it does not match (-EBADMSG); callers decrypt into private
 * buffers.  0, -EINVAL (over 2 GiB), -EIO, -ENOMEM. */
struct fw_gcm;
int fw_gcm_new(const uint8_t key[32], struct fw_gcm **out);
void fw_gcm_free(struct fw_gcm *g);
int fw_gcm_seal(struct fw_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len, const uint8_t *pt,
		size_t len, uint8_t *ct, uint8_t tag[16]);
int fw_gcm_open(struct fw_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len, const uint8_t *ct,
		size_t len, uint8_t *pt, const uint8_t tag[16]);

/* Benchmark baseline: plain OpenSSL AES-256-GCM sealing then opening each of `n` pages of `page_len` bytes in
 * place (through `scratch`, page_len + 16 bytes), `rounds` times.  0, -ENOMEM, -EIO. */
int fw_bench_openssl_gcm_pages(const uint8_t key[32], uint8_t *pages, uint8_t *scratch, size_t page_len, size_t n,
			       unsigned rounds);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Certificate and signature verification with OpenSSL, internal to the attestation verifier (src/fw/verify.c) and
 * its benchmark.  crypto_verify.c is the only file of the verifier that calls libcrypto.  Functions that can fail
 * return 0 or a negative errno: -EINVAL malformed input, -EBADMSG a signature that does not verify, -ENOMEM.
 */
#ifndef SNPEMU_FW_CRYPTO_VERIFY_H
#define SNPEMU_FW_CRYPTO_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An X.509 certificate parsed by OpenSSL (opaque). */
struct fw_cv_cert;

/* KDS extension arcs under 1.3.6.1.4.1.3704.1.3 (snp-firmware-abi.md §4.3): index = last arc. */
#define FW_CV_SPL_BL	1
#define FW_CV_SPL_TEE	2
#define FW_CV_SPL_SNP	3
#define FW_CV_SPL_UCODE 8
#define FW_CV_SPL_FMC	9
#define FW_CV_SPL_MAX	10

/* What the verifier needs to know of a certificate, extracted once at load time. */
struct fw_cv_cert_info {
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
	bool has_spl[FW_CV_SPL_MAX];
	uint8_t spl[FW_CV_SPL_MAX];
	bool has_hwid;
	uint8_t hwid[64]; /* an 8-byte (Turin) hwID is zero-extended */
	bool has_cspid;
	char cspid[64];
	char ext_error[96]; /* non-empty if a KDS extension is present but malformed or duplicated */
};

/* Parse one DER certificate (every byte must belong to it).  On success *out must be freed with fw_cv_cert_free.
 * Returns 0, -EINVAL (not a certificate, trailing bytes) or -ENOMEM. */
int fw_cv_cert_load(const uint8_t *der, size_t len, struct fw_cv_cert **out, struct fw_cv_cert_info *info);
void fw_cv_cert_free(struct fw_cv_cert *c);

/* True if `child` names `issuer`'s subject as its issuer. */
bool fw_cv_cert_names_issuer(const struct fw_cv_cert *child, const struct fw_cv_cert *issuer);
/* Verify `child`'s signature with `issuer`'s public key (the algorithm and PSS parameters come from the
 * certificate; the caller checks sig_is_pss_sha384).  Returns 0 or -EBADMSG. */
int fw_cv_cert_verify(const struct fw_cv_cert *child, const struct fw_cv_cert *issuer);
/* True if both certificates carry the same public key. */
bool fw_cv_cert_same_key(const struct fw_cv_cert *a, const struct fw_cv_cert *b);

/* ECDSA P-384 with SHA-384 of `msg` under the certificate's key; `sig` is a DER ECDSA-Sig-Value.
 * Returns 0, -EBADMSG (bad signature or not a P-384 key) or -ENOMEM. */
int fw_cv_ecdsa_p384_verify(const struct fw_cv_cert *signer, const uint8_t *msg, size_t len, const uint8_t *sig,
			    size_t sig_len);

/* First PEM "CERTIFICATE" block of `pem` as DER in a malloc'd buffer.  Returns 0, -EINVAL or -ENOMEM. */
int fw_cv_pem_to_der(const uint8_t *pem, size_t pem_len, uint8_t **der, size_t *der_len);

#endif

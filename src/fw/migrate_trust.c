/* SPDX-License-Identifier: MIT */
/*
 * Live migration, trust: each platform's migration key certified by its VCEK, the offer/accept exchange, the chain
 * checks (both sides: a destination must not take a guest context from a platform AMD did not certify, or a host
 * could forge measurements) and the transport key.  The protocol is in include/snpemu/fw.h and docs/migration.md.
 *
 * Credential (all integers little-endian, the public key and signature big-endian as OpenSSL gives them):
 *   0x000 u32 version (1)   0x004 u32 product   0x008 X[48] Y[48]   0x068 CHIP_ID[64]   0x0A8 u64 REPORTED_TCB
 *   0x0B0 r[48] s[48]: ECDSA P-384 / SHA-384 by the VCEK over bytes 0x000..0x0AF
 *   0x110 u32 ARK length, u32 ASK length, u32 VCEK length   0x11C the three DER certificates
 * Offer:  "SMO1", nonce[32], credential.      Accept: "SMA1", u64 epoch, nonce[32], confirm[48], credential.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/le.h>

#include "fw/fw_internal.h"

#define CRED_VERSION	 1u
#define CRED_SIGNED	 0xB0u
#define CRED_CERTS	 0x11Cu
#define OFFER_FIXED	 (4u + 32u)
#define ACCEPT_FIXED	 (4u + 8u + 32u + 48u)
#define ACCEPT_OFF_EPOCH 4u
#define ACCEPT_OFF_NONCE 12u
#define ACCEPT_OFF_CONF	 44u

/* What a verified credential yields. */
struct peer {
	uint8_t x[48], y[48];
};

static int cred_build(struct fw_platform *p, uint8_t *out, size_t cap, size_t *len)
{
	const uint8_t *der[3];
	size_t der_len[3], total = CRED_CERTS;
	static const enum fw_cert_kind kinds[3] = {FW_CERT_ARK, FW_CERT_ASK, FW_CERT_VCEK};
	int rc;
	for (unsigned i = 0; i < 3; i++) {
		if ((rc = fw_platform_cert(p, kinds[i], &der[i], &der_len[i])))
			return rc;
		total += der_len[i];
	}
	if (total > cap)
		return -ENOSPC;
	memset(out, 0, CRED_CERTS);
	le32_store(out, CRED_VERSION);
	le32_store(out + 4, (uint32_t)p->cfg.product);
	if ((rc = fw_key_p384_public(p->migrate_key, out + 0x08, out + 0x38)))
		return rc;
	memcpy(out + 0x68, p->chip_id, 64);
	le64_store(out + 0xA8, fw_platform_tcb(p, FW_TCB_REPORTED));
	uint8_t digest[48];
	if (fw_sha384(out, CRED_SIGNED, digest) || fw_key_ecdsa_sign(p->vcek, digest, out + 0xB0, out + 0xE0))
		return -EIO;
	size_t off = CRED_CERTS;
	for (unsigned i = 0; i < 3; i++) {
		le32_store(out + 0x110 + 4 * i, (uint32_t)der_len[i]);
		memcpy(out + off, der[i], der_len[i]);
		off += der_len[i];
	}
	*len = total;
	return 0;
}

/* Load one certificate; -EACCES for anything that is not one. */
static int load(const uint8_t *der, size_t len, struct attest_cv_cert **c, struct attest_cv_cert_info *info)
{
	int rc = attest_cv_cert_load(der, len, c, info);
	return rc == -ENOMEM ? rc : rc ? -EACCES : 0;
}

static bool valid_now(const struct attest_cv_cert_info *i, int64_t now)
{
	return i->not_before <= now && now <= i->not_after;
}

/* Check a peer credential against this platform: same AMD root (the ARK carries our ARK's key), ASK signed by it,
 * VCEK signed by the ASK and naming the credential's chip, the migration key signed by that VCEK. */
static int cred_verify(struct fw_platform *p, const uint8_t *c, size_t len, struct peer *out)
{
	struct attest_cv_cert *ours = NULL, *ark = NULL, *ask = NULL, *vcek = NULL;
	struct attest_cv_cert_info info_ours, info_ark, info_ask, info_vcek;
	const uint8_t *own_ark;
	size_t own_ark_len, der_len[3], off = CRED_CERTS;
	uint8_t sig[128];
	size_t sig_len;
	int rc;
	if (len < CRED_CERTS || le32_load(c) != CRED_VERSION)
		return -EINVAL;
	for (unsigned i = 0; i < 3; i++) {
		der_len[i] = le32_load(c + 0x110 + 4 * i);
		if (der_len[i] > len - off)
			return -EINVAL;
		off += der_len[i];
	}
	if (off != len)
		return -EINVAL;
	if (le32_load(c + 4) != (uint32_t)p->cfg.product)
		return -EACCES; /* another product line has another ARK */
	if ((rc = fw_platform_cert(p, FW_CERT_ARK, &own_ark, &own_ark_len)) ||
	    (rc = load(own_ark, own_ark_len, &ours, &info_ours)))
		goto out;
	const uint8_t *d = c + CRED_CERTS;
	if ((rc = load(d, der_len[0], &ark, &info_ark)) || (rc = load(d + der_len[0], der_len[1], &ask, &info_ask)) ||
	    (rc = load(d + der_len[0] + der_len[1], der_len[2], &vcek, &info_vcek)))
		goto out;
	rc = -EACCES;
	if (!attest_cv_cert_same_key(ark, ours) || !attest_cv_cert_names_issuer(ask, ark) ||
	    attest_cv_cert_verify(ask, ark) || !attest_cv_cert_names_issuer(vcek, ask) ||
	    attest_cv_cert_verify(vcek, ask) || !info_vcek.key_is_p384 || !info_vcek.has_hwid ||
	    memcmp(info_vcek.hwid, c + 0x68, 64))
		goto out;
	int64_t now = (int64_t)time(NULL); /* an expired (or not yet valid) certificate certifies nothing */
	if (!valid_now(&info_ark, now) || !valid_now(&info_ask, now) || !valid_now(&info_vcek, now))
		goto out;
	if ((rc = fw_ecdsa_sig_der(c + 0xB0, c + 0xE0, sig, sizeof(sig), &sig_len)))
		goto out;
	rc = attest_cv_ecdsa_p384_verify(vcek, c, CRED_SIGNED, sig, sig_len);
	if (rc == -EBADMSG)
		rc = -EACCES;
	if (!rc) {
		memcpy(out->x, c + 0x08, 48);
		memcpy(out->y, c + 0x38, 48);
	}
out:
	attest_cv_cert_free(ours);
	attest_cv_cert_free(ark);
	attest_cv_cert_free(ask);
	attest_cv_cert_free(vcek);
	return rc;
}

/* The transport key and the key-confirmation value, identical on both sides. */
static int derive_keys(struct fw_migrate_session *s, const struct peer *peer, const uint8_t src_nonce[32],
		       uint8_t confirm[48])
{
	uint8_t own[96], peer_pub[96], secret[48], ctx[48], key[32], confirm_key[48], epoch[8];
	memcpy(peer_pub, peer->x, 48);
	memcpy(peer_pub + 48, peer->y, 48);
	const uint8_t *src_pub = s->source ? own : peer_pub, *dst_pub = s->source ? peer_pub : own;
	int rc;
	if ((rc = fw_key_p384_public(s->platform->migrate_key, own, own + 48)) ||
	    (rc = fw_ecdh_p384(s->platform->migrate_key, peer->x, peer->y, secret)))
		return rc;
	le64_store(epoch, s->epoch);
	const struct fw_iovec parts[] = {{src_pub, 96}, {dst_pub, 96}, {epoch, 8}, {s->dst_nonce, 32}, {src_nonce, 32}};
	rc = fw_sha384_v(parts, sizeof(parts) / sizeof(parts[0]), ctx);
	if (!rc)
		rc = fw_hkdf_sha384(secret, sizeof(secret), "migrate-transport", ctx, sizeof(ctx), key, sizeof(key));
	if (!rc)
		rc = fw_hkdf_sha384(secret, sizeof(secret), "migrate-confirm", ctx, sizeof(ctx), confirm_key,
				    sizeof(confirm_key));
	if (!rc)
		rc = fw_hmac_sha384(confirm_key, sizeof(confirm_key), ctx, sizeof(ctx), confirm);
	if (!rc)
		rc = fw_gcm_new(key, &s->gcm);
	memset(secret, 0, sizeof(secret));
	memset(key, 0, sizeof(key));
	memset(confirm_key, 0, sizeof(confirm_key));
	return rc < 0 ? rc : rc ? -EIO : 0;
}

static int session_new(struct fw_platform *p, bool source, struct fw_migrate_session **out)
{
	struct fw_migrate_session *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->platform = p;
	s->source = source;
	*out = s;
	return 0;
}

int fw_migrate_offer(struct fw_platform *dst, uint8_t *offer, size_t cap, size_t *len, struct fw_migrate_session **out)
{
	struct fw_migrate_session *s;
	size_t cred_len;
	int rc;
	if (cap < OFFER_FIXED)
		return -ENOSPC;
	if ((rc = session_new(dst, false, &s)))
		return rc;
	if ((rc = fw_random_bytes(s->dst_nonce, sizeof(s->dst_nonce))) ||
	    (rc = cred_build(dst, offer + OFFER_FIXED, cap - OFFER_FIXED, &cred_len))) {
		fw_migrate_session_free(s);
		return rc;
	}
	memcpy(offer, "SMO1", 4);
	memcpy(offer + 4, s->dst_nonce, 32);
	*len = OFFER_FIXED + cred_len;
	*out = s;
	return 0;
}

int fw_migrate_accept(struct fw_guest *src, const uint8_t *offer, size_t offer_len, uint8_t *accept, size_t cap,
		      size_t *len, struct fw_migrate_session **out)
{
	struct fw_migrate_session *s = NULL;
	struct peer peer;
	uint8_t src_nonce[32];
	size_t cred_len;
	if (offer_len < OFFER_FIXED || memcmp(offer, "SMO1", 4))
		return -EINVAL;
	pthread_mutex_lock(&src->lock);
	enum fw_guest_state state = src->ctx.state;
	uint64_t policy = src->ctx.policy, epoch = src->ctx.migrate_epoch + 1;
	pthread_mutex_unlock(&src->lock);
	if (state != FW_GUEST_RUNNING)
		return -EINVAL;
	if (!(policy & SNP_POLICY_MIGRATE_MA)) /* snp-firmware-abi.md §3.3: bit 18 */
		return -EPERM;
	if (cap < ACCEPT_FIXED)
		return -ENOSPC;
	int rc = cred_verify(src->platform, offer + OFFER_FIXED, offer_len - OFFER_FIXED, &peer);
	if (rc || (rc = session_new(src->platform, true, &s)))
		return rc;
	s->guest = src;
	s->epoch = epoch;
	memcpy(s->dst_nonce, offer + 4, 32);
	if ((rc = fw_random_bytes(src_nonce, sizeof(src_nonce))) ||
	    (rc = derive_keys(s, &peer, src_nonce, accept + ACCEPT_OFF_CONF)) ||
	    (rc = cred_build(src->platform, accept + ACCEPT_FIXED, cap - ACCEPT_FIXED, &cred_len))) {
		fw_migrate_session_free(s);
		return rc;
	}
	memcpy(accept, "SMA1", 4);
	le64_store(accept + ACCEPT_OFF_EPOCH, epoch);
	memcpy(accept + ACCEPT_OFF_NONCE, src_nonce, 32);
	*len = ACCEPT_FIXED + cred_len;
	s->phase = FW_MIG_KEYED;
	*out = s;
	return 0;
}

int fw_migrate_complete(struct fw_migrate_session *s, const uint8_t *accept, size_t len)
{
	struct peer peer;
	uint8_t confirm[48], diff = 0;
	if (s->source || s->phase != FW_MIG_OFFERED || len < ACCEPT_FIXED || memcmp(accept, "SMA1", 4))
		return -EINVAL;
	s->epoch = le64_load(accept + ACCEPT_OFF_EPOCH);
	if (s->epoch == 0)
		return -EINVAL;
	int rc = cred_verify(s->platform, accept + ACCEPT_FIXED, len - ACCEPT_FIXED, &peer);
	if (rc || (rc = derive_keys(s, &peer, accept + ACCEPT_OFF_NONCE, confirm)))
		return rc;
	for (unsigned i = 0; i < sizeof(confirm); i++)
		diff |= (uint8_t)(confirm[i] ^ accept[ACCEPT_OFF_CONF + i]);
	if (diff) {
		fw_gcm_free(s->gcm);
		s->gcm = NULL;
		return -EBADMSG;
	}
	s->phase = FW_MIG_KEYED;
	return 0;
}

uint64_t fw_migrate_epoch(const struct fw_migrate_session *s)
{
	return s->phase == FW_MIG_OFFERED ? 0 : s->epoch;
}

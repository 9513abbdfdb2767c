/* SPDX-License-Identifier: MIT */
/* Structures shared by the firmware model's files (not part of the contract in include/snpemu/fw.h). */
#ifndef SNPEMU_FW_INTERNAL_H
#define SNPEMU_FW_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <snpemu/fw.h>

#include "common/crypto.h"

struct fw_platform {
	struct fw_platform_config cfg;
	enum snp_tcb_layout layout;
	uint8_t root[48];      /* every platform secret derives from this (the seed, or random) */
	uint8_t chip_root[48]; /* the firmware's chip secret behind VCEKs and derived keys */
	uint8_t vlek_root[48];
	uint8_t chip_id[64];
	struct fw_key *vcek, *vlek;
	struct fw_key *migrate_key;	     /* ECDH P-384, certified by the VCEK (migrate.c) */
	atomic_uint_fast64_t guests_created; /* index of per-guest secrets */
	pthread_mutex_t cert_lock;	     /* guards the lazily built certificates below */
	struct fw_key *ark, *ask, *asvk;
	uint8_t *der[FW_CERT_KIND_COUNT];
	size_t der_len[FW_CERT_KIND_COUNT];
};

struct fw_guest {
	struct fw_platform *platform;
	struct fw_rmp *rmp;
	pthread_mutex_t lock; /* serializes launch commands and guest requests */
	struct fw_guest_context ctx;
	struct fw_inject inject;
	uint32_t inject_done;
	uint8_t secret[48];	   /* per-guest secret for VMPCKs and report IDs */
	struct fw_sha384_ctx *sha; /* for the launch measurement */
	atomic_uint_fast64_t received, processed, rejected;
};

/* One side of a live migration (migrate_trust.c sets it up, migrate.c moves the records). */
enum fw_migrate_phase { FW_MIG_OFFERED = 0, FW_MIG_KEYED, FW_MIG_CLOSED };
struct fw_migrate_session {
	bool source;
	enum fw_migrate_phase phase;
	struct fw_platform *platform;
	struct fw_guest *guest; /* source: the guest sent; destination: bound by the first import */
	uint8_t dst_nonce[32];
	uint64_t epoch;
	uint64_t seq;	       /* source: last sequence used; destination: last accepted */
	uint64_t page_records; /* page records sent / accepted */
	bool context_exported;
	struct fw_gcm *gcm;
	uint8_t *bounce; /* destination: plaintext lands here until its tag verified (2 MiB) */
};

/* fw_launch_digest_update through a reusable SHA-384 context (NULL: one-shot hashing). */
int fw_launch_digest_update_with(struct fw_launch_digest *ld, struct fw_sha384_ctx *h, enum snp_page_type type,
				 uint64_t gpa, const uint8_t *page, const struct fw_page_perms *perms);

/* Derive `len` bytes of platform secret material for `label` (and an optional context). */
int fw_platform_derive(const struct fw_platform *p, const char *label, const void *ctx, size_t ctx_len, uint8_t *out,
		       size_t len);
/* The key that signs reports for key selection `key_sel` (SNP_KEY_SEL_*); NULL if that key is absent.  `*which` is
 * SNP_SIGNING_KEY_VCEK or _VLEK. */
const struct fw_key *fw_platform_signing_key(const struct fw_platform *p, uint32_t key_sel, uint32_t *which);

/* LAUNCH_START's policy check against a platform (guest.c): SUCCESS, INVALID_PARAM or POLICY_FAILURE.  Live
 * migration runs it again on the destination. */
uint32_t fw_policy_check(const struct fw_platform_config *c, uint64_t policy);

/* Check and sanitize a CPUID table (SNP_CPUID_TABLE_SIZE bytes, cpuid.c): -1 malformed (table untouched), 0 within
 * the policy, 1 entries corrected in place. */
int fw_cpuid_sanitize(const struct fw_platform *p, uint8_t *table);

/* Guest message handlers (msg_payload.c): build the plaintext response payload for a validated request.  Return
 * the response payload size. */
size_t fw_msg_report(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp);
size_t fw_msg_key(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp);
size_t fw_msg_cpuid(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp);
size_t fw_msg_tsc_info(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp);

#endif

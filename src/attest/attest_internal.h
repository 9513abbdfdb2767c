/* SPDX-License-Identifier: MIT */
/* Structures shared by the verifier's files (not part of the contract in include/snpemu/attest.h). */
#ifndef SNPEMU_ATTEST_INTERNAL_H
#define SNPEMU_ATTEST_INTERNAL_H

#include <snpemu/attest.h>

#include "common/crypto.h"

/* One certificate of a chain, loaded once. */
struct attest_chain_cert {
	const char *role; /* "ARK", "ASK", "VCEK", ... */
	struct attest_cv_cert *cert;
	struct attest_cv_cert_info info;
	int load_rc; /* 0 loaded, -ENOENT absent, -EINVAL malformed, -ENOMEM */
};

/* The chain checks: the first four checks of enum attest_check_id, which depend on the certificates only. */
#define ATTEST_CHAIN_CHECKS (ATTEST_CHECK_VCEK_SIGNATURE + 1)
_Static_assert(ATTEST_CHECK_ARK_SIGNATURE == 0 && ATTEST_CHECK_ARK_TRUSTED == 1 && ATTEST_CHECK_ASK_SIGNATURE == 2,
	       "the chain checks come first");

/* A loaded chain ARK -> ASK/ASVK -> VCEK/VLEK (and the trusted ARK) with the results of its checks. */
struct attest_chain {
	uint8_t key[FW_SHA384_SIZE]; /* digest of the certificates (chain.c chain_key) */
	bool vlek;
	struct attest_chain_cert certs[3]; /* ARK, ASK (ASVK), VCEK (VLEK) */
	struct attest_chain_cert trusted;
	struct attest_check_result checks[ATTEST_CHAIN_CHECKS];
	int rc; /* 0, or -ENOMEM when a certificate could not be loaded for lack of memory */
};

/* The chain for `certs` (the VLEK chain if `vlek`): from `cache` when it holds one with the same certificate
 * digest, else built (loaded and checked) into the cache, or into `scratch` when `cache` is NULL or the chain cannot
 * be cached.  Never NULL; release it with attest_chain_release(scratch, chain). */
const struct attest_chain *attest_chain_acquire(struct attest_verify_cache *cache,
						const struct attest_verify_certs *certs, bool vlek,
						struct attest_chain *scratch);
void attest_chain_release(struct attest_chain *scratch, const struct attest_chain *chain);

/* Record check `id` of `res` (first_failure follows). */
__attribute__((format(printf, 4, 5))) void attest_result_set(struct attest_verify_result *res, enum attest_check_id id,
							     enum attest_check_status st, const char *fmt, ...);
/* Copy a recorded check result into `res` (first_failure follows). */
void attest_result_copy(struct attest_verify_result *res, enum attest_check_id id, const struct attest_check_result *c);
/* Why a certificate of the chain is unusable ("certificate not given", ...). */
const char *attest_load_error(const struct attest_chain_cert *c);

#endif

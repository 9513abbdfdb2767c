/* SPDX-License-Identifier: MIT */
/*
 * The certificate chain ARK -> ASK -> VCEK (ASVK -> VLEK) of a verification (snp-firmware-abi.md §4.3), and the cache
 * of verified chains.  A chain's checks depend on its certificates only, so N reports signed under one chain cost
 * one chain verification (three RSASSA-PSS verifications, four certificate parses) plus N ECDSA verifications:
 * chains are cached under the SHA-384 of their certificates' bytes, as go-sev-guest's verifier keeps its parsed
 * trusted roots.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest_internal.h"

#define CACHE_ENTRIES 8u

struct attest_verify_cache {
	struct attest_chain entries[CACHE_ENTRIES];
	bool used[CACHE_ENTRIES];
	unsigned int next; /* the entry replaced next (round robin) */
	uint64_t hits, misses;
};

const char *attest_load_error(const struct attest_chain_cert *c)
{
	return c->load_rc == -ENOENT ? "certificate not given" : "not a valid X.509 DER certificate";
}

static int cert_load(struct attest_chain_cert *c, const char *role, const uint8_t *der, size_t len)
{
	c->role = role;
	c->cert = NULL;
	if (!der || !len) {
		memset(&c->info, 0, sizeof(c->info));
		return c->load_rc = -ENOENT;
	}
	return c->load_rc = attest_cv_cert_load(der, len, &c->cert, &c->info);
}

/* A certificate `c` signed by `issuer` with AMD's RSASSA-PSS SHA-384 (§4.3). */
static void check_signed_by(struct attest_verify_result *res, enum attest_check_id id,
			    const struct attest_chain_cert *c, const struct attest_chain_cert *issuer)
{
	if (!c->cert) {
		attest_result_set(res, id, ATTEST_CHECK_FAIL, "%s: %s", c->role, attest_load_error(c));
	} else if (!issuer->cert) {
		attest_result_set(res, id, ATTEST_CHECK_FAIL, "%s's issuer %s is missing or invalid", c->role,
				  issuer->role);
	} else if (!attest_cv_cert_names_issuer(c->cert, issuer->cert)) {
		attest_result_set(res, id, ATTEST_CHECK_FAIL, "%s (CN=%s) is issued by CN=%s, not by the %s (CN=%s)",
				  c->role, c->info.subject_cn, c->info.issuer_cn, issuer->role,
				  issuer->info.subject_cn);
	} else if (!c->info.sig_is_pss_sha384) {
		attest_result_set(res, id, ATTEST_CHECK_FAIL,
				  "%s is not signed with RSASSA-PSS SHA-384 (MGF1 SHA-384, salt 48)", c->role);
	} else if (!issuer->info.key_is_rsa) {
		attest_result_set(res, id, ATTEST_CHECK_FAIL, "%s's key is not an RSA key", issuer->role);
	} else if (attest_cv_cert_verify(c->cert, issuer->cert)) {
		attest_result_set(res, id, ATTEST_CHECK_FAIL, "%s's signature does not verify with the %s's key",
				  c->role, issuer->role);
	} else {
		attest_result_set(res, id, ATTEST_CHECK_PASS, "%s (CN=%s) signed by the %s (CN=%s), RSASSA-PSS SHA-384",
				  c->role, c->info.subject_cn, issuer->role, issuer->info.subject_cn);
	}
}

/* ark_trusted without a given root: AMD's genuine ARK of the chain's product line, if the chain's ARK carries its key.
 * SKIP otherwise (attest_verify turns it into a failure unless the policy allows no root). */
static void check_builtin_root(struct attest_verify_result *res, const struct attest_chain_cert *a)
{
	const uint8_t *der;
	size_t len;
	struct attest_cv_cert *anchor = NULL;
	struct attest_cv_cert_info info;
	if (!a->cert || attest_builtin_ark(a->info.subject_cn, &der, &len) ||
	    attest_cv_cert_load(der, len, &anchor, &info)) {
		attest_result_set(res, ATTEST_CHECK_ARK_TRUSTED, ATTEST_CHECK_SKIP,
				  "no trusted ARK given and no built-in root for CN=%s",
				  a->cert ? a->info.subject_cn : "?");
		return;
	}
	if (attest_cv_cert_same_key(a->cert, anchor))
		attest_result_set(res, ATTEST_CHECK_ARK_TRUSTED, ATTEST_CHECK_PASS,
				  "the ARK is AMD's genuine %s (built-in root)", info.subject_cn);
	else
		attest_result_set(res, ATTEST_CHECK_ARK_TRUSTED, ATTEST_CHECK_SKIP,
				  "no trusted ARK given, and the ARK (CN=%s) is not AMD's genuine one",
				  a->info.subject_cn);
	attest_cv_cert_free(anchor);
}

/* Load the certificates into `ch` and run the chain checks. */
static void chain_build(struct attest_chain *ch, const struct attest_verify_certs *certs, bool vlek)
{
	struct attest_verify_result res = {.first_failure = -1};
	const uint8_t *ark = certs->ark ? certs->ark : certs->trusted_ark;
	size_t ark_len = certs->ark ? certs->ark_len : certs->trusted_ark_len;
	int lr[4];
	ch->vlek = vlek;
	ch->rc = 0;
	lr[0] = cert_load(&ch->certs[0], "ARK", ark, ark_len);
	lr[1] = cert_load(&ch->certs[1], vlek ? "ASVK" : "ASK", certs->ask, certs->ask_len);
	lr[2] = cert_load(&ch->certs[2], vlek ? "VLEK" : "VCEK", vlek ? certs->vlek : certs->vcek,
			  vlek ? certs->vlek_len : certs->vcek_len);
	lr[3] = cert_load(&ch->trusted, "trusted ARK", certs->trusted_ark, certs->trusted_ark_len);
	for (int i = 0; i < 4; i++)
		if (lr[i] == -ENOMEM)
			ch->rc = -ENOMEM;

	const struct attest_chain_cert *a = &ch->certs[0], *t = &ch->trusted;
	if (!a->cert)
		attest_result_set(&res, ATTEST_CHECK_ARK_SIGNATURE, ATTEST_CHECK_FAIL, "ARK: %s", attest_load_error(a));
	else if (!a->info.self_issued)
		attest_result_set(&res, ATTEST_CHECK_ARK_SIGNATURE, ATTEST_CHECK_FAIL,
				  "the ARK (CN=%s) is not self-issued (issuer CN=%s)", a->info.subject_cn,
				  a->info.issuer_cn);
	else
		check_signed_by(&res, ATTEST_CHECK_ARK_SIGNATURE, a, a);
	if (t->load_rc == -ENOENT)
		check_builtin_root(&res, a);
	else if (!t->cert)
		attest_result_set(&res, ATTEST_CHECK_ARK_TRUSTED, ATTEST_CHECK_FAIL, "trusted ARK: %s",
				  attest_load_error(t));
	else if (!a->cert || !attest_cv_cert_same_key(a->cert, t->cert))
		attest_result_set(&res, ATTEST_CHECK_ARK_TRUSTED, ATTEST_CHECK_FAIL,
				  "the chain's ARK does not carry the trusted ARK's key");
	else
		attest_result_set(&res, ATTEST_CHECK_ARK_TRUSTED, ATTEST_CHECK_PASS,
				  "the ARK carries the trusted root's key");
	check_signed_by(&res, ATTEST_CHECK_ASK_SIGNATURE, &ch->certs[1], &ch->certs[0]);
	check_signed_by(&res, ATTEST_CHECK_VCEK_SIGNATURE, &ch->certs[2], &ch->certs[1]);
	if (ch->certs[2].cert && !ch->certs[2].info.key_is_p384)
		attest_result_set(&res, ATTEST_CHECK_VCEK_SIGNATURE, ATTEST_CHECK_FAIL,
				  "the %s's key is not an EC P-384 key", ch->certs[2].role);
	memcpy(ch->checks, res.checks, sizeof(ch->checks));
}

static void chain_free(struct attest_chain *ch)
{
	for (int i = 0; i < 3; i++)
		attest_cv_cert_free(ch->certs[i].cert);
	attest_cv_cert_free(ch->trusted.cert);
	memset(ch, 0, sizeof(*ch));
}

/* SHA-384 over the chain kind and every certificate with its length (so no two inputs hash alike). */
static int chain_key(const struct attest_verify_certs *c, bool vlek, uint8_t key[FW_SHA384_SIZE])
{
	const uint8_t kind = vlek;
	const uint64_t lens[] = {c->ark_len, c->ask_len, vlek ? c->vlek_len : c->vcek_len, c->trusted_ark_len};
	const struct fw_iovec iov[] = {
	    {&kind, 1},
	    {lens, sizeof(lens)},
	    {c->ark, c->ark ? c->ark_len : 0},
	    {c->ask, c->ask ? c->ask_len : 0},
	    {vlek ? c->vlek : c->vcek, (vlek ? c->vlek : c->vcek) ? lens[2] : 0},
	    {c->trusted_ark, c->trusted_ark ? c->trusted_ark_len : 0},
	};
	return fw_sha384_v(iov, sizeof(iov) / sizeof(iov[0]), key);
}

const struct attest_chain *attest_chain_acquire(struct attest_verify_cache *cache,
						const struct attest_verify_certs *certs, bool vlek,
						struct attest_chain *scratch)
{
	uint8_t key[FW_SHA384_SIZE];
	if (!cache || chain_key(certs, vlek, key)) {
		chain_build(scratch, certs, vlek);
		return scratch;
	}
	for (unsigned int i = 0; i < CACHE_ENTRIES; i++) {
		if (cache->used[i] && !memcmp(cache->entries[i].key, key, sizeof(key))) {
			cache->hits++;
			return &cache->entries[i];
		}
	}
	cache->misses++;
	chain_build(scratch, certs, vlek);
	if (scratch->rc) /* an incomplete chain (out of memory) is not remembered */
		return scratch;
	unsigned int slot = cache->next;
	cache->next = (slot + 1) % CACHE_ENTRIES;
	if (cache->used[slot])
		chain_free(&cache->entries[slot]);
	cache->entries[slot] = *scratch;
	memcpy(cache->entries[slot].key, key, sizeof(key));
	cache->used[slot] = true;
	memset(scratch, 0, sizeof(*scratch));
	return &cache->entries[slot];
}

void attest_chain_release(struct attest_chain *scratch, const struct attest_chain *chain)
{
	if (chain == scratch)
		chain_free(scratch);
}

int attest_verify_cache_new(struct attest_verify_cache **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void attest_verify_cache_free(struct attest_verify_cache *cache)
{
	if (!cache)
		return;
	for (unsigned int i = 0; i < CACHE_ENTRIES; i++)
		if (cache->used[i])
			chain_free(&cache->entries[i]);
	free(cache);
}

void attest_verify_cache_stats(const struct attest_verify_cache *cache, uint64_t *hits, uint64_t *misses)
{
	*hits = cache->hits;
	*misses = cache->misses;
}

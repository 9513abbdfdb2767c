/* SPDX-License-Identifier: MIT */
/*
 * Guest contexts and the launch commands (SNP firmware ABI 56860 §8.16-8.18; ASPFW snp_mcmd_launch_*): policy
 * checks at LAUNCH_START, the measured LAUNCH_UPDATE page types with the secrets page and CPUID validation, the
 * ID block at LAUNCH_FINISH.  The whole guest context is the plain struct fw_guest_context.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/abi/secrets.h>

#include "fw/fw_internal.h"

int fw_guest_create(struct fw_platform *p, uint64_t gpa_limit, struct fw_guest **out)
{
	struct fw_guest *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	int rc = fw_rmp_create(gpa_limit, &g->rmp);
	if (!rc && (rc = fw_sha384_ctx_new(&g->sha)))
		fw_rmp_destroy(g->rmp);
	if (rc) {
		free(g);
		return rc;
	}
	g->platform = p;
	pthread_mutex_init(&g->lock, NULL);
	*out = g;
	return 0;
}

void fw_guest_destroy(struct fw_guest *g)
{
	if (!g)
		return;
	fw_rmp_destroy(g->rmp);
	fw_sha384_ctx_free(g->sha);
	pthread_mutex_destroy(&g->lock);
	memset(g, 0, sizeof(*g)); /* VMPCKs */
	free(g);
}

struct fw_rmp *fw_guest_rmp(struct fw_guest *g)
{
	return g->rmp;
}

struct fw_platform *fw_guest_platform(struct fw_guest *g)
{
	return g->platform;
}

static bool smt_off(const struct fw_platform_config *c)
{
	return !(c->platform_info & SNP_PLATFORM_INFO_SMT_EN);
}
static bool single_socket(const struct fw_platform_config *c)
{
	return c->sockets == 1;
}
static bool has_aes_256_xts(const struct fw_platform_config *c)
{
	return c->aes_256_xts;
}
static bool rapl_disabled(const struct fw_platform_config *c)
{
	return (c->platform_info & SNP_PLATFORM_INFO_RAPL_DIS) != 0;
}
static bool ciphertext_hiding(const struct fw_platform_config *c)
{
	return (c->platform_info & SNP_PLATFORM_INFO_CIPHERTEXT_HIDING_EN) != 0;
}

/* LAUNCH_START policy requirements the platform must meet, else POLICY_FAILURE (SNP ABI Table 9; ASPFW
 * snp_mcmd_launch_start). */
static const struct policy_rule {
	uint64_t bit;
	bool when_set; /* the rule applies when the bit is set (else when it is clear) */
	bool (*platform_meets)(const struct fw_platform_config *c);
} policy_rules[] = {
    {SNP_POLICY_SMT, false, smt_off},			 /* SMT disallowed but enabled */
    {SNP_POLICY_SINGLE_SOCKET, true, single_socket},	 /* single socket on a multi-socket platform */
    {SNP_POLICY_MEM_AES_256_XTS, true, has_aes_256_xts}, /* AES-256-XTS memory encryption */
    {SNP_POLICY_RAPL_DIS, true, rapl_disabled},		 /* RAPL must be disabled */
    {SNP_POLICY_CIPHERTEXT_HIDING, true, ciphertext_hiding},
};

uint32_t fw_policy_check(const struct fw_platform_config *c, uint64_t policy)
{
	if ((policy & SNP_POLICY_MBZ_MASK) || !(policy & SNP_POLICY_RSVD_MBO))
		return SEV_RET_INVALID_PARAM;
	/* The guest's minimum ABI version must not be newer than the firmware's. */
	uint8_t major = snp_policy_abi_major(policy), minor = snp_policy_abi_minor(policy);
	if (major > c->current_version.major || (major == c->current_version.major && minor > c->current_version.minor))
		return SEV_RET_POLICY_FAILURE;
	for (size_t i = 0; i < sizeof(policy_rules) / sizeof(policy_rules[0]); i++) {
		bool set = (policy & policy_rules[i].bit) != 0;
		if (set == policy_rules[i].when_set && !policy_rules[i].platform_meets(c))
			return SEV_RET_POLICY_FAILURE;
	}
	return SEV_RET_SUCCESS;
}

uint32_t fw_launch_start(struct fw_guest *g, uint64_t policy, const struct fw_launch_start_params *params)
{
	struct fw_platform *p = g->platform;
	uint32_t st;
	pthread_mutex_lock(&g->lock);
	if (g->ctx.state != FW_GUEST_INIT) {
		st = SEV_RET_INVALID_GUEST_STATE;
		goto out;
	}
	if ((st = fw_policy_check(&p->cfg, policy)))
		goto out;
	/* Per-guest secrets: from the seed (guest index as context) or from the RNG. */
	int rc;
	if (p->cfg.seeded) {
		uint8_t idx[8];
		le64_store(idx, atomic_fetch_add(&p->guests_created, 1));
		rc = fw_platform_derive(p, "guest", idx, sizeof(idx), g->secret, sizeof(g->secret));
	} else {
		rc = fw_random_bytes(g->secret, sizeof(g->secret));
	}
	for (unsigned i = 0; !rc && i < SNP_VMPCK_COUNT; i++) {
		uint8_t n = (uint8_t)i;
		rc = fw_hkdf_sha384(g->secret, sizeof(g->secret), "vmpck", &n, 1, g->ctx.vmpck[i], 32);
	}
	if (!rc)
		rc = fw_hkdf_sha384(g->secret, sizeof(g->secret), "report-id", NULL, 0, g->ctx.report_id, 32);
	if (rc) {
		st = SEV_RET_HWSEV_RET_PLATFORM;
		goto out;
	}
	memset(g->ctx.report_id_ma, 0xFF, sizeof(g->ctx.report_id_ma)); /* no migration agent */
	memset(g->ctx.msg_count, 0, sizeof(g->ctx.msg_count));
	g->ctx.policy = policy;
	g->ctx.launch_tcb = fw_platform_tcb(p, FW_TCB_LAUNCH);
	g->ctx.launch_mit_vector = p->cfg.current_mit_vector;
	if (params) {
		memcpy(g->ctx.gosvw, params->gosvw, sizeof(g->ctx.gosvw));
		g->ctx.imi_en = params->imi_en;
	}
	fw_launch_digest_init(&g->ctx.ld);
	g->ctx.state = FW_GUEST_LAUNCH;
out:
	pthread_mutex_unlock(&g->lock);
	return st;
}

static void secrets_fill(struct fw_guest *g, uint8_t page[4096])
{
	const struct fw_platform_config *c = &g->platform->cfg;
	memset(page, 0, SNP_SECRETS_PAGE_SIZE);
	le32_store(page + SNP_SECRETS_OFF_VERSION, SNP_SECRETS_VERSION);
	le32_store(page + SNP_SECRETS_OFF_IMIEN, g->ctx.imi_en ? 1 : 0);
	le32_store(page + SNP_SECRETS_OFF_FMS, c->cpuid_fms);
	memcpy(page + SNP_SECRETS_OFF_GOSVW, g->ctx.gosvw, 16);
	for (unsigned i = 0; i < SNP_VMPCK_COUNT; i++)
		memcpy(page + SNP_SECRETS_OFF_VMPCK(i), g->ctx.vmpck[i], SNP_VMPCK_SIZE);
	le32_store(page + SNP_SECRETS_OFF_TSC_FACTOR, c->tsc_factor);
}

void fw_secrets_page_fill(struct fw_guest *g, uint8_t page[4096])
{
	pthread_mutex_lock(&g->lock);
	secrets_fill(g, page);
	pthread_mutex_unlock(&g->lock);
}

uint32_t fw_launch_update(struct fw_guest *g, enum snp_page_type type, uint64_t gpa, uint8_t page[4096],
			  const struct fw_page_perms *perms)
{
	uint32_t st = SEV_RET_SUCCESS;
	pthread_mutex_lock(&g->lock);
	if (g->ctx.state != FW_GUEST_LAUNCH) {
		st = SEV_RET_INVALID_GUEST_STATE;
		goto out;
	}
	if (type < SNP_PAGE_TYPE_NORMAL || type > SNP_PAGE_TYPE_CPUID || !page) {
		st = SEV_RET_INVALID_PARAM;
		goto out;
	}
	if ((gpa & 0xFFFu) || !fw_rmp_host_may_access(g->rmp, gpa, 1, NULL)) {
		/* distinguish a bad address from a page that is no longer the hypervisor's */
		st = (gpa & 0xFFFu) || fw_rmp_get(g->rmp, gpa) == FW_PAGE_SHARED ? SEV_RET_INVALID_ADDRESS
										 : SEV_RET_INVALID_PAGE_STATE;
		goto out;
	}
	switch (type) {
	case SNP_PAGE_TYPE_ZERO:
		memset(page, 0, 4096);
		break;
	case SNP_PAGE_TYPE_SECRETS:
		secrets_fill(g, page);
		break;
	case SNP_PAGE_TYPE_CPUID:
		if ((st = fw_cpuid_page_validate(g->platform, page)))
			goto out; /* corrected table (if any) written back; not measured */
		break;
	default:
		break;
	}
	if (fw_launch_digest_update_with(&g->ctx.ld, g->sha, type, gpa, page, perms)) {
		st = SEV_RET_INVALID_PARAM;
		goto out;
	}
	if (fw_rmp_set(g->rmp, gpa, type == SNP_PAGE_TYPE_VMSA ? FW_PAGE_VMSA : FW_PAGE_VALIDATED))
		st = SEV_RET_RESOURCE_LIMIT;
out:
	pthread_mutex_unlock(&g->lock);
	return st;
}

/* An AMD-format P-384 signature (§3.6: r, s little-endian in 72-byte fields) of SHA-384(msg) by an AMD-format
 * public key (§3.7: curve 2, QX, QY little-endian in 72-byte fields). */
static bool amd_sig_ok(const uint8_t *pubkey, const uint8_t *sig, const uint8_t *msg, size_t len)
{
	uint8_t x[48], y[48], r[48], s[48], digest[48];
	if (le32_load(pubkey) != 2) /* P-384 */
		return false;
	for (unsigned i = 0; i < 48; i++) {
		x[i] = pubkey[0x04 + 47 - i];
		y[i] = pubkey[0x4C + 47 - i];
		r[i] = sig[47 - i];
		s[i] = sig[0x48 + 47 - i];
	}
	/* A hash that cannot run (no memory) verifies nothing: the block is refused, never accepted. */
	return fw_sha384(msg, len, digest) == 0 && fw_ecdsa_p384_verify(x, y, digest, r, s) == 0;
}

#define ID_BLOCK_SIZE	     0x60u
#define ID_AUTH_OFF_ID_SIG   0x040u
#define ID_AUTH_OFF_ID_KEY   0x240u
#define ID_AUTH_OFF_KEY_SIG  0x680u
#define ID_AUTH_OFF_AUTH_KEY 0x880u
#define AMD_PUBKEY_SIZE	     0x404u

uint32_t fw_launch_finish(struct fw_guest *g, const struct fw_launch_finish_params *params)
{
	uint32_t st = SEV_RET_SUCCESS;
	pthread_mutex_lock(&g->lock);
	if (g->ctx.state != FW_GUEST_LAUNCH) {
		st = SEV_RET_INVALID_GUEST_STATE;
		goto out;
	}
	const uint8_t *ib = params ? params->id_block : NULL, *auth = params ? params->id_auth : NULL;
	if (ib) {
		if (!auth || le32_load(ib + 0x50) != 1 || le32_load(auth) != 1 ||
		    (params->author_key_en && le32_load(auth + 4) != 1)) {
			st = SEV_RET_INVALID_PARAM;
			goto out;
		}
		if (memcmp(ib, g->ctx.ld.digest, 48)) {
			st = SEV_RET_BAD_MEASUREMENT;
			goto out;
		}
		if (le64_load(ib + 0x58) != g->ctx.policy) {
			st = SEV_RET_POLICY_FAILURE;
			goto out;
		}
		if (!amd_sig_ok(auth + ID_AUTH_OFF_ID_KEY, auth + ID_AUTH_OFF_ID_SIG, ib, ID_BLOCK_SIZE) ||
		    (params->author_key_en && !amd_sig_ok(auth + ID_AUTH_OFF_AUTH_KEY, auth + ID_AUTH_OFF_KEY_SIG,
							  auth + ID_AUTH_OFF_ID_KEY, AMD_PUBKEY_SIZE))) {
			st = SEV_RET_BAD_SIGNATURE;
			goto out;
		}
		memcpy(g->ctx.family_id, ib + 0x30, 16);
		memcpy(g->ctx.image_id, ib + 0x40, 16);
		g->ctx.guest_svn = le32_load(ib + 0x54);
		if (fw_sha384(auth + ID_AUTH_OFF_ID_KEY, AMD_PUBKEY_SIZE, g->ctx.id_key_digest) ||
		    (params->author_key_en &&
		     fw_sha384(auth + ID_AUTH_OFF_AUTH_KEY, AMD_PUBKEY_SIZE, g->ctx.author_key_digest))) {
			st = SEV_RET_HWSEV_RET_PLATFORM; /* a host failure, reported as the firmware's own error */
			goto out;
		}
		g->ctx.id_block_en = true;
		g->ctx.author_key_en = params->author_key_en;
	}
	if (params && params->host_data)
		memcpy(g->ctx.host_data, params->host_data, 32);
	g->ctx.state = FW_GUEST_RUNNING;
out:
	pthread_mutex_unlock(&g->lock);
	return st;
}

void fw_guest_export(struct fw_guest *g, struct fw_guest_context *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->ctx;
	pthread_mutex_unlock(&g->lock);
}

int fw_guest_import(struct fw_guest *g, const struct fw_guest_context *in)
{
	if ((unsigned)in->state > FW_GUEST_SENT)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	g->ctx = *in;
	pthread_mutex_unlock(&g->lock);
	return 0;
}

void fw_guest_set_tsc(struct fw_guest *g, uint64_t scale, uint64_t offset)
{
	pthread_mutex_lock(&g->lock);
	g->ctx.guest_tsc_scale = scale;
	g->ctx.guest_tsc_offset = offset;
	pthread_mutex_unlock(&g->lock);
}

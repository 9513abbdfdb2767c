/* SPDX-License-Identifier: MIT */
/*
 * Guest message payloads (snp-firmware-abi.md §2, §3): MSG_REPORT_REQ → the signed ATTESTATION_REPORT,
 * MSG_KEY_REQ → a derived key, MSG_CPUID_REQ → the sanitized CPUID table, MSG_TSC_INFO_REQ.  Parameter errors go in the
 * response's STATUS field.
 */
#include <string.h>

#include <snpemu/abi/cpuid_page.h>
#include <snpemu/abi/le.h>

#include "fw/fw_internal.h"
#include "common/zero.h"

/* Build the report; the caller holds g->lock.  Returns a payload status. */
static uint32_t report_build(struct fw_guest *g, const uint8_t data[64], uint32_t vmpl, uint32_t key_sel,
			     uint8_t r[SNP_REPORT_SIZE])
{
	const struct fw_platform *p = g->platform;
	const struct fw_platform_config *c = &p->cfg;
	const struct fw_guest_context *x = &g->ctx;
	uint32_t which = 0;
	if (key_sel > SNP_KEY_SEL_VLEK)
		return SEV_RET_INVALID_KEY;
	const struct fw_key *key = fw_platform_signing_key(p, key_sel, &which);
	if (!key)
		return SEV_RET_INVALID_KEY;

	memset(r, 0, SNP_REPORT_SIZE);
	le32_store(r + SNP_REPORT_OFF_VERSION, c->report_version);
	le32_store(r + SNP_REPORT_OFF_GUEST_SVN, x->guest_svn);
	le64_store(r + SNP_REPORT_OFF_POLICY, x->policy);
	memcpy(r + SNP_REPORT_OFF_FAMILY_ID, x->family_id, 16);
	memcpy(r + SNP_REPORT_OFF_IMAGE_ID, x->image_id, 16);
	le32_store(r + SNP_REPORT_OFF_VMPL, vmpl);
	le32_store(r + SNP_REPORT_OFF_SIG_ALGO, SNP_SIG_ALGO_ECDSA_P384_SHA384);
	le64_store(r + SNP_REPORT_OFF_CURRENT_TCB, fw_platform_tcb(p, FW_TCB_CURRENT));
	le64_store(r + SNP_REPORT_OFF_PLATFORM_INFO, c->platform_info);
	le32_store(r + SNP_REPORT_OFF_SIGNER_INFO,
		   (x->author_key_en ? SNP_SIGNER_AUTHOR_KEY_EN : 0) | which << SNP_SIGNER_SIGNING_KEY_SHIFT);
	memcpy(r + SNP_REPORT_OFF_REPORT_DATA, data, 64);
	memcpy(r + SNP_REPORT_OFF_MEASUREMENT, x->ld.digest, 48);
	memcpy(r + SNP_REPORT_OFF_HOST_DATA, x->host_data, 32);
	memcpy(r + SNP_REPORT_OFF_ID_KEY_DIGEST, x->id_key_digest, 48);
	memcpy(r + SNP_REPORT_OFF_AUTHOR_KEY_DIGEST, x->author_key_digest, 48);
	memcpy(r + SNP_REPORT_OFF_REPORT_ID, x->report_id, 32);
	memcpy(r + SNP_REPORT_OFF_REPORT_ID_MA, x->report_id_ma, 32);
	le64_store(r + SNP_REPORT_OFF_REPORTED_TCB, fw_platform_tcb(p, FW_TCB_REPORTED));
	if (c->report_version >= 3) {
		r[SNP_REPORT_OFF_CPUID_FAM_ID] = snp_cpuid_family(c->cpuid_fms);
		r[SNP_REPORT_OFF_CPUID_MOD_ID] = snp_cpuid_model(c->cpuid_fms);
		r[SNP_REPORT_OFF_CPUID_STEP] = snp_cpuid_stepping(c->cpuid_fms);
	}
	memcpy(r + SNP_REPORT_OFF_CHIP_ID, p->chip_id, 64);
	le64_store(r + SNP_REPORT_OFF_COMMITTED_TCB, fw_platform_tcb(p, FW_TCB_COMMITTED));
	r[SNP_REPORT_OFF_CURRENT_BUILD] = c->current_version.build;
	r[SNP_REPORT_OFF_CURRENT_MINOR] = c->current_version.minor;
	r[SNP_REPORT_OFF_CURRENT_MAJOR] = c->current_version.major;
	r[SNP_REPORT_OFF_COMMITTED_BUILD] = c->committed_version.build;
	r[SNP_REPORT_OFF_COMMITTED_MINOR] = c->committed_version.minor;
	r[SNP_REPORT_OFF_COMMITTED_MAJOR] = c->committed_version.major;
	le64_store(r + SNP_REPORT_OFF_LAUNCH_TCB, x->launch_tcb);
	if (c->report_version >= 5) { /* reserved (zero) before v5 */
		le64_store(r + SNP_REPORT_OFF_LAUNCH_MIT_VECTOR, x->launch_mit_vector);
		le64_store(r + SNP_REPORT_OFF_CURRENT_MIT_VECTOR, c->current_mit_vector);
	}

	/* ECDSA P-384 over SHA-384(bytes 0..0x29F); r and s little-endian in 72-byte fields (§3.2, §3.6). */
	uint8_t digest[48], rb[48], sb[48];
	if (fw_sha384(r, SNP_REPORT_SIGNED_SIZE, digest) || fw_key_ecdsa_sign(key, digest, rb, sb))
		return SEV_RET_HWSEV_RET_PLATFORM;
	uint8_t *sig = r + SNP_REPORT_OFF_SIGNATURE;
	for (unsigned i = 0; i < 48; i++) {
		sig[SNP_SIG_OFF_R + i] = rb[47 - i];
		sig[SNP_SIG_OFF_S + i] = sb[47 - i];
	}
	return SEV_RET_SUCCESS;
}

uint32_t fw_guest_report(struct fw_guest *g, const uint8_t report_data[64], uint32_t vmpl, uint32_t key_sel,
			 uint8_t report[SNP_REPORT_SIZE])
{
	if (vmpl > 3)
		return SEV_RET_INVALID_PARAM;
	pthread_mutex_lock(&g->lock);
	uint32_t st = report_build(g, report_data, vmpl, key_sel, report);
	pthread_mutex_unlock(&g->lock);
	return st;
}

size_t fw_msg_report(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp)
{
	uint32_t vmpl = le32_load(req + SNP_REPORT_REQ_OFF_VMPL), sel = le32_load(req + SNP_REPORT_REQ_OFF_KEY_SEL);
	uint32_t st;
	/* VMPL in 0..3 and not more privileged than the message's VMPCK (§1.6); reserved bits and bytes zero. */
	if (vmpl > 3 || vmpl < vmpck || (sel & ~3u) || !mem_is_zero(req + 0x48, SNP_REPORT_REQ_SIZE - 0x48))
		st = SEV_RET_INVALID_PARAM;
	else
		st = report_build(g, req + SNP_REPORT_REQ_OFF_DATA, vmpl, sel & 3u, rsp + SNP_REPORT_RSP_OFF_REPORT);
	if (st)
		memset(rsp + SNP_REPORT_RSP_OFF_REPORT, 0, SNP_REPORT_SIZE);
	le32_store(rsp + SNP_REPORT_RSP_OFF_STATUS, st);
	le32_store(rsp + SNP_REPORT_RSP_OFF_SIZE, SNP_REPORT_SIZE);
	return SNP_REPORT_RSP_SIZE; /* always the full response (§2.3) */
}

/* TCB components must not exceed the committed TCB and reserved bits must be zero (§2.4). */
static bool tcb_allowed(const struct fw_platform *p, uint64_t tcb)
{
	if (snp_tcb_reserved_bits(tcb, p->layout))
		return false;
	struct snp_tcb want = snp_tcb_decode(tcb, p->layout), have = p->cfg.committed_tcb;
	return want.fmc <= have.fmc && want.bootloader <= have.bootloader && want.tee <= have.tee &&
	       want.snp <= have.snp && want.microcode <= have.microcode;
}

size_t fw_msg_key(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp)
{
	const struct fw_platform *p = g->platform;
	const struct fw_guest_context *x = &g->ctx;
	uint32_t flags = le32_load(req + SNP_KEY_REQ_OFF_FLAGS), vmpl = le32_load(req + SNP_KEY_REQ_OFF_VMPL);
	uint32_t svn = le32_load(req + SNP_KEY_REQ_OFF_GUEST_SVN), key_sel = SNP_KEY_REQ_KEY_SEL(flags);
	uint64_t gfs = le64_load(req + SNP_KEY_REQ_OFF_GFS), tcb = le64_load(req + SNP_KEY_REQ_OFF_TCB);
	uint32_t st = SEV_RET_SUCCESS;
	const uint8_t *root = p->chip_root;

	if ((flags & ~7u) || le32_load(req + 4) || (gfs & ~SNP_GFS_VALID_MASK) || vmpl > 3 || vmpl < vmpck ||
	    ((gfs & SNP_GFS_GUEST_SVN) && svn > x->guest_svn) || ((gfs & SNP_GFS_TCB_VERSION) && !tcb_allowed(p, tcb)))
		st = SEV_RET_INVALID_PARAM;
	else if (key_sel == SNP_KEY_SEL_RESERVED || (key_sel == SNP_KEY_SEL_VLEK && !p->vlek) ||
		 ((flags & SNP_KEY_ROOT_VMRK) && !x->vmrk_valid))
		st = SEV_RET_INVALID_KEY;
	if (!st) {
		if (flags & SNP_KEY_ROOT_VMRK)
			root = x->vmrk;
		else if (key_sel == SNP_KEY_SEL_VLEK || (key_sel == SNP_KEY_SEL_DEFAULT && p->vlek))
			root = p->vlek_root;
		/* The mix data (ASPFW snp_mix_data_t): VMPL, HOST_DATA and the ID-block key digest always, the other
		 * fields when their GUEST_FIELD_SELECT bit is set. */
		uint8_t mix[0xF8];
		memset(mix, 0, sizeof(mix));
		le32_store(mix + 0x00, (flags & SNP_KEY_ROOT_VMRK) | (x->author_key_en ? 2u
								      : x->id_block_en ? 1u
										       : 0u)
									 << 1);
		le64_store(mix + 0x08, gfs);
		le32_store(mix + 0x10, vmpl);
		if (gfs & SNP_GFS_GUEST_SVN)
			le32_store(mix + 0x14, svn);
		if (gfs & SNP_GFS_TCB_VERSION)
			le64_store(mix + 0x18, tcb);
		if (gfs & SNP_GFS_POLICY)
			le64_store(mix + 0x20, x->policy);
		if (gfs & SNP_GFS_IMAGE_ID)
			memcpy(mix + 0x28, x->image_id, 16);
		if (gfs & SNP_GFS_FAMILY_ID)
			memcpy(mix + 0x38, x->family_id, 16);
		if (gfs & SNP_GFS_MEASUREMENT)
			memcpy(mix + 0x48, x->ld.digest, 48);
		memcpy(mix + 0x78, x->host_data, 32);
		memcpy(mix + 0x98, x->author_key_en ? x->author_key_digest : x->id_key_digest, 48);
		if (fw_kbkdf_hmac_sha256(root, 48, "gmsg-keyreq", mix, 0xC8, rsp + SNP_KEY_RSP_OFF_KEY,
					 SNP_DERIVED_KEY_SIZE))
			st = SEV_RET_HWSEV_RET_PLATFORM;
		memset(mix, 0, sizeof(mix));
	}
	if (st)
		memset(rsp + SNP_KEY_RSP_OFF_KEY, 0, SNP_DERIVED_KEY_SIZE);
	le32_store(rsp + SNP_KEY_RSP_OFF_STATUS, st);
	return SNP_KEY_RSP_SIZE;
}

size_t fw_msg_tsc_info(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp)
{
	if (!mem_is_zero(req, SNP_TSC_INFO_REQ_SIZE)) {
		le32_store(rsp + SNP_TSC_INFO_OFF_STATUS, SEV_RET_INVALID_PARAM);
		return SNP_TSC_INFO_RSP_SIZE;
	}
	le32_store(rsp + SNP_TSC_INFO_OFF_STATUS, SEV_RET_SUCCESS);
	le64_store(rsp + SNP_TSC_INFO_OFF_SCALE, g->ctx.guest_tsc_scale);
	le64_store(rsp + SNP_TSC_INFO_OFF_OFFSET, g->ctx.guest_tsc_offset);
	le32_store(rsp + SNP_TSC_INFO_OFF_FACTOR, g->platform->cfg.tsc_factor);
	return SNP_TSC_INFO_RSP_SIZE;
}

size_t fw_msg_cpuid(struct fw_guest *g, uint8_t vmpck, const uint8_t *req, size_t req_len, uint8_t *rsp)
{
	/* CPUID_REQ {count, rsvd, rsvd, entries[64]} → CPUID_RSP {status, count, rsvd, entries}: the entries as the
	 * platform's policy lets the guest see them (§2.6). */
	uint8_t table[SNP_CPUID_TABLE_SIZE];
	memcpy(table, req, sizeof(table));
	if (fw_cpuid_sanitize(g->platform, table) < 0) {
		le32_store(rsp, SEV_RET_INVALID_PARAM);
		return SNP_CPUID_TABLE_SIZE;
	}
	memcpy(rsp, table, sizeof(table));
	le32_store(rsp + 0, SEV_RET_SUCCESS);
	le32_store(rsp + 4, le32_load(table + SNP_CPUID_OFF_COUNT));
	return SNP_CPUID_TABLE_SIZE;
}

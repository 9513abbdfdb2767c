/* SPDX-License-Identifier: MIT */
/*
 * The SNP platform: product, chip ID, TCBs, firmware version and keys.  Every secret derives from one 48-byte root
 * (the caller's seed, or the system RNG) through HKDF-SHA-384 with distinct labels, so a seeded platform is
 * reproducible byte for byte.  The RSA-4096 ARK/ASK keys cost about a second to derive, so they and the
 * certificates are built on first use.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/le.h>

#include "fw/fw_internal.h"

/* Defaults per product: the genuine Genoa report in tests/fixtures for Genoa (TCB 0x5417000000000a, firmware
 * 1.55.40, platform info 0x27, CPUID 0x00A10F11); Milan and Turin from current production parts. */
static const struct product_info {
	const char *name;
	uint32_t fms;
	struct snp_tcb tcb;
	struct fw_version version;
	bool aes_256_xts;
} products[FW_PRODUCT_COUNT] = {
    [FW_PRODUCT_GENOA] = {"Genoa", 0x00A10F11u, {0, 0x0A, 0x00, 0x17, 0x54}, {1, 0x37, 0x28}, true},
    [FW_PRODUCT_MILAN] = {"Milan", 0x00A00F11u, {0, 0x04, 0x00, 0x18, 0xDB}, {1, 0x37, 0x16}, false},
    [FW_PRODUCT_TURIN] = {"Turin", 0x00B00F21u, {0x01, 0x01, 0x01, 0x01, 0x48}, {1, 0x37, 0x2F}, true},
};

const char *fw_product_name(enum fw_product product)
{
	return (unsigned)product < FW_PRODUCT_COUNT ? products[product].name : NULL;
}

int fw_product_parse(const char *name, enum fw_product *out)
{
	for (unsigned i = 0; name && i < FW_PRODUCT_COUNT; i++) {
		if (!strcasecmp(name, products[i].name)) {
			*out = (enum fw_product)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum snp_tcb_layout fw_product_tcb_layout(enum fw_product product)
{
	return product == FW_PRODUCT_TURIN ? SNP_TCB_LAYOUT_TURIN : SNP_TCB_LAYOUT_LEGACY;
}

void fw_platform_config_default(struct fw_platform_config *cfg, enum fw_product product)
{
	if ((unsigned)product >= FW_PRODUCT_COUNT)
		product = FW_PRODUCT_GENOA;
	const struct product_info *pi = &products[product];
	memset(cfg, 0, sizeof(*cfg));
	cfg->product = product;
	cfg->current_tcb = cfg->committed_tcb = cfg->reported_tcb = cfg->launch_tcb = pi->tcb;
	cfg->current_version = cfg->committed_version = pi->version;
	cfg->platform_info = SNP_PLATFORM_INFO_SMT_EN | SNP_PLATFORM_INFO_TSME_EN | SNP_PLATFORM_INFO_ECC_EN |
			     SNP_PLATFORM_INFO_ALIAS_CHECK_COMPLETE; /* 0x27 as in the genuine report */
	cfg->cpuid_fms = pi->fms;
	cfg->tsc_factor = 200; /* ASPFW Genoa */
	cfg->sockets = 1;
	cfg->aes_256_xts = pi->aes_256_xts;
	cfg->report_version = 5;
	cfg->vcek_not_before = 1735689600; /* 2025-01-01: valid until 2032 */
}

int fw_platform_config_seed(struct fw_platform_config *cfg, const uint8_t *seed, size_t len)
{
	if (!seed || len == 0 || len > FW_SEED_MAX)
		return -EINVAL;
	memset(cfg->seed, 0, sizeof(cfg->seed));
	memcpy(cfg->seed, seed, len);
	cfg->seed_len = len;
	cfg->seeded = true;
	return 0;
}

int fw_platform_config_amd_seed(struct fw_platform_config *cfg, const uint8_t *seed, size_t len)
{
	if (!seed || len == 0 || len > FW_SEED_MAX)
		return -EINVAL;
	memset(cfg->amd_seed, 0, sizeof(cfg->amd_seed));
	memcpy(cfg->amd_seed, seed, len);
	cfg->amd_seed_len = len;
	return 0;
}

int fw_platform_derive(const struct fw_platform *p, const char *label, const void *ctx, size_t ctx_len, uint8_t *out,
		       size_t len)
{
	return fw_hkdf_sha384(p->root, sizeof(p->root), label, ctx, ctx_len, out, len);
}

static bool tcb_ok(const struct snp_tcb *t, enum snp_tcb_layout layout)
{
	/* go-sev-guest ComposeTCBParts: every SPL but microcode must be <= 127; FMC only exists on Turin. */
	return t->bootloader < 0x80 && t->tee < 0x80 && t->snp < 0x80 &&
	       (layout == SNP_TCB_LAYOUT_TURIN ? t->fmc < 0x80 : t->fmc == 0);
}

/* The VCEK of this chip at reported TCB `t`: a VCEK belongs to one chip and one reported TCB (KDS looks it up by
 * hwID and TCB). */
static int derive_vcek_at(const struct fw_platform *p, const struct snp_tcb *t, struct fw_key **out)
{
	uint8_t tcb[8], secret[48];
	le64_store(tcb, snp_tcb_encode(t, p->layout));
	int rc = fw_hkdf_sha384(p->chip_root, sizeof(p->chip_root), "vcek", tcb, sizeof(tcb), secret, sizeof(secret));
	if (!rc)
		rc = fw_key_derive_p384(secret, out);
	memset(secret, 0, sizeof(secret));
	return rc;
}

static int derive_vcek(struct fw_platform *p)
{
	return derive_vcek_at(p, &p->cfg.reported_tcb, &p->vcek);
}

static int derive_migrate_key(struct fw_platform *p)
{
	/* The chip's ECDH key for live migration, certified by its VCEK (migrate.c). */
	uint8_t secret[48];
	int rc = fw_hkdf_sha384(p->chip_root, sizeof(p->chip_root), "migrate-key", NULL, 0, secret, sizeof(secret));
	if (!rc)
		rc = fw_key_derive_p384(secret, &p->migrate_key);
	memset(secret, 0, sizeof(secret));
	return rc;
}

bool fw_report_version_supported(uint32_t version)
{
	/* VERSION 4 exists only between 3 and 5 in virtee's history; no firmware emits it (§3.1). */
	return version == 2 || version == 3 || version == 5;
}

int fw_platform_create(const struct fw_platform_config *cfg, struct fw_platform **out)
{
	if ((unsigned)cfg->product >= FW_PRODUCT_COUNT || !fw_report_version_supported(cfg->report_version) ||
	    (cfg->seeded && (cfg->seed_len == 0 || cfg->seed_len > FW_SEED_MAX)) || cfg->sockets == 0 ||
	    cfg->amd_seed_len > FW_SEED_MAX)
		return -EINVAL;
	enum snp_tcb_layout layout = fw_product_tcb_layout(cfg->product);
	if (!tcb_ok(&cfg->current_tcb, layout) || !tcb_ok(&cfg->committed_tcb, layout) ||
	    !tcb_ok(&cfg->reported_tcb, layout) || !tcb_ok(&cfg->launch_tcb, layout))
		return -EINVAL;

	struct fw_platform *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	p->layout = layout;
	pthread_mutex_init(&p->cert_lock, NULL);
	int rc;
	if (cfg->seeded)
		rc = fw_hkdf_sha384(cfg->seed, cfg->seed_len, "platform-root", NULL, 0, p->root, sizeof(p->root));
	else
		rc = fw_random_bytes(p->root, sizeof(p->root));
	if (rc || (rc = fw_platform_derive(p, "chip-id", NULL, 0, p->chip_id, sizeof(p->chip_id))) ||
	    (rc = fw_platform_derive(p, "chip-root", NULL, 0, p->chip_root, sizeof(p->chip_root))) ||
	    (rc = fw_platform_derive(p, "vlek-root", NULL, 0, p->vlek_root, sizeof(p->vlek_root))))
		goto fail;
	if (layout == SNP_TCB_LAYOUT_TURIN) /* Turin: only CHIP_ID[0..7] is non-zero (§3.1) */
		memset(p->chip_id + 8, 0, sizeof(p->chip_id) - 8);
	if ((rc = derive_vcek(p)) || (rc = derive_migrate_key(p)))
		goto fail;
	if (cfg->vlek && (rc = fw_key_derive_p384(p->vlek_root, &p->vlek)))
		goto fail;
	*out = p;
	return 0;
fail:
	fw_platform_destroy(p);
	return rc;
}

void fw_platform_destroy(struct fw_platform *p)
{
	if (!p)
		return;
	fw_key_free(p->vcek);
	fw_key_free(p->vlek);
	fw_key_free(p->migrate_key);
	fw_key_free(p->ark);
	fw_key_free(p->ask);
	fw_key_free(p->asvk);
	for (unsigned i = 0; i < FW_CERT_KIND_COUNT; i++)
		free(p->der[i]);
	pthread_mutex_destroy(&p->cert_lock);
	memset(p, 0, sizeof(*p));
	free(p);
}

const struct fw_platform_config *fw_platform_config(const struct fw_platform *p)
{
	return &p->cfg;
}

const uint8_t *fw_platform_chip_id(const struct fw_platform *p)
{
	return p->chip_id;
}

uint64_t fw_platform_tcb(const struct fw_platform *p, int which)
{
	const struct snp_tcb *t[] = {&p->cfg.current_tcb, &p->cfg.committed_tcb, &p->cfg.reported_tcb,
				     &p->cfg.launch_tcb};
	if (which < 0 || which > FW_TCB_LAUNCH)
		return 0;
	return snp_tcb_encode(t[which], p->layout);
}

const struct fw_key *fw_platform_signing_key(const struct fw_platform *p, uint32_t key_sel, uint32_t *which)
{
	/* MSG_REPORT_REQ KEY_SEL (§2.2): 0 = VLEK if installed else VCEK, 1 = VCEK, 2 = VLEK, 3 reserved. */
	switch (key_sel) {
	case SNP_KEY_SEL_DEFAULT:
		*which = p->vlek ? SNP_SIGNING_KEY_VLEK : SNP_SIGNING_KEY_VCEK;
		return p->vlek ? p->vlek : p->vcek;
	case SNP_KEY_SEL_VCEK:
		*which = SNP_SIGNING_KEY_VCEK;
		return p->vcek;
	case SNP_KEY_SEL_VLEK:
		*which = SNP_SIGNING_KEY_VLEK;
		return p->vlek;
	default:
		return NULL;
	}
}

/* ---- certificates ---- */

static int derive_rsa(struct fw_platform *p, const char *label, struct fw_key **out)
{
	uint8_t secret[48];
	const char *line = products[p->cfg.product].name;
	/* AMD's keys belong to AMD, not to the chip: with an AMD seed, every platform of the line has the same. */
	int rc = p->cfg.amd_seed_len ? fw_hkdf_sha384(p->cfg.amd_seed, p->cfg.amd_seed_len, label, line, strlen(line),
						      secret, sizeof(secret))
				     : fw_platform_derive(p, label, line, strlen(line), secret, sizeof(secret));
	if (!rc)
		rc = fw_key_derive_rsa(secret, 4096, out);
	memset(secret, 0, sizeof(secret));
	return rc;
}

static int64_t add_years(int64_t t, int years)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return t;
	tm.tm_year += years;
	return (int64_t)timegm(&tm);
}

/* The VCEK certificate of this chip at TCB `t`, issued by the ASK named `ask_cn`.  Serial 0 as KDS issues them. */
static void vcek_spec(const struct fw_platform *p, const struct snp_tcb *t, const char *ask_cn,
		      struct fw_cert_spec *spec)
{
	const char *line = products[p->cfg.product].name;
	*spec = (struct fw_cert_spec){.profile = FW_PROFILE_VCEK,
				      .serial = FW_CERT_SERIAL_VCEK,
				      .issuer_cn = ask_cn,
				      .subject_cn = "SEV-VCEK",
				      .product_line = line,
				      .product_name = line,
				      .not_before = p->cfg.vcek_not_before,
				      .not_after = add_years(p->cfg.vcek_not_before, 7), /* as KDS issues them */
				      .bl_spl = t->bootloader,
				      .tee_spl = t->tee,
				      .snp_spl = t->snp,
				      .ucode_spl = t->microcode,
				      .fmc_spl = t->fmc,
				      .has_fmc = p->layout == SNP_TCB_LAYOUT_TURIN,
				      .hwid = p->chip_id};
}

static int build_certs(struct fw_platform *p)
{
	const char *line = products[p->cfg.product].name;
	char ark_cn[32], ask_cn[32], asvk_cn[32];
	int rc;
	snprintf(ark_cn, sizeof(ark_cn), "ARK-%s", line);
	snprintf(ask_cn, sizeof(ask_cn), "SEV-%s", line);
	snprintf(asvk_cn, sizeof(asvk_cn), "SEV-VLEK-%s", line);
	if ((rc = derive_rsa(p, "ark", &p->ark)) || (rc = derive_rsa(p, "ask", &p->ask)))
		return rc;
	/* Validity and serials of the genuine Genoa ARK and ASK: 25 years from 2022. */
	struct fw_cert_spec ark = {.profile = FW_PROFILE_ARK,
				   .serial = FW_CERT_SERIAL_ARK,
				   .issuer_cn = ark_cn,
				   .subject_cn = ark_cn,
				   .product_line = line,
				   .not_before = 1643211277,
				   .not_after = 2432129677};
	struct fw_cert_spec ask = {.profile = FW_PROFILE_ASK,
				   .serial = FW_CERT_SERIAL_ASK,
				   .issuer_cn = ark_cn,
				   .subject_cn = ask_cn,
				   .product_line = line,
				   .not_before = 1667223228,
				   .not_after = 2456141628};
	struct fw_cert_spec vcek;
	vcek_spec(p, &p->cfg.reported_tcb, ask_cn, &vcek);
	if ((rc = fw_cert_build(&ark, p->ark, p->ark, &p->der[FW_CERT_ARK], &p->der_len[FW_CERT_ARK])) ||
	    (rc = fw_cert_build(&ask, p->ask, p->ark, &p->der[FW_CERT_ASK], &p->der_len[FW_CERT_ASK])) ||
	    (rc = fw_cert_build(&vcek, p->vcek, p->ask, &p->der[FW_CERT_VCEK], &p->der_len[FW_CERT_VCEK])))
		return rc;
	if (!p->vlek)
		return 0;
	/* VLEK chain: ARK -> ASVK (CN SEV-VLEK-<line>) -> VLEK (§4.3). */
	struct fw_cert_spec asvk = ask;
	asvk.subject_cn = asvk_cn;
	asvk.serial = FW_CERT_SERIAL_ASVK;
	struct fw_cert_spec vlek = vcek;
	vlek.profile = FW_PROFILE_VLEK;
	vlek.issuer_cn = asvk_cn;
	vlek.subject_cn = "SEV-VLEK";
	vlek.hwid = NULL;
	vlek.csp_id = "snpemu";
	if ((rc = derive_rsa(p, "asvk", &p->asvk)) ||
	    (rc = fw_cert_build(&asvk, p->asvk, p->ark, &p->der[FW_CERT_ASVK], &p->der_len[FW_CERT_ASVK])) ||
	    (rc = fw_cert_build(&vlek, p->vlek, p->asvk, &p->der[FW_CERT_VLEK], &p->der_len[FW_CERT_VLEK])))
		return rc;
	return 0;
}

int fw_platform_cert(struct fw_platform *p, enum fw_cert_kind kind, const uint8_t **der, size_t *len)
{
	if ((unsigned)kind >= FW_CERT_KIND_COUNT)
		return -EINVAL;
	if ((kind == FW_CERT_VLEK || kind == FW_CERT_ASVK) && !p->vlek)
		return -ENOENT;
	pthread_mutex_lock(&p->cert_lock);
	int rc = 0;
	if (!p->der[FW_CERT_VCEK]) {
		rc = build_certs(p);
		if (rc) { /* leave nothing half-built: the next call starts over */
			for (unsigned i = 0; i < FW_CERT_KIND_COUNT; i++) {
				free(p->der[i]);
				p->der[i] = NULL;
			}
			fw_key_free(p->ark);
			fw_key_free(p->ask);
			fw_key_free(p->asvk);
			p->ark = p->ask = p->asvk = NULL;
		}
	}
	if (!rc) {
		*der = p->der[kind];
		*len = p->der_len[kind];
	}
	pthread_mutex_unlock(&p->cert_lock);
	return rc;
}

int fw_platform_vcek_cert_for_tcb(struct fw_platform *p, const struct snp_tcb *tcb, uint8_t **der, size_t *len)
{
	if (!tcb_ok(tcb, p->layout))
		return -EINVAL;
	const uint8_t *ask_der;
	size_t ask_len;
	int rc = fw_platform_cert(p, FW_CERT_ASK, &ask_der, &ask_len); /* builds the ASK key once */
	if (rc)
		return rc;
	char ask_cn[32];
	snprintf(ask_cn, sizeof(ask_cn), "SEV-%s", products[p->cfg.product].name);
	struct fw_cert_spec spec;
	vcek_spec(p, tcb, ask_cn, &spec);
	struct fw_key *key = NULL;
	if ((rc = derive_vcek_at(p, tcb, &key)))
		return rc;
	rc = fw_cert_build(&spec, key, p->ask, der, len);
	fw_key_free(key);
	return rc;
}

int fw_platform_crl(struct fw_platform *p, const uint64_t *serials, size_t n, int64_t this_update, uint8_t **der,
		    size_t *len)
{
	const uint8_t *ark_der;
	size_t ark_len;
	int rc = fw_platform_cert(p, FW_CERT_ARK, &ark_der, &ark_len);
	if (rc)
		return rc;
	return fw_crl_build(p->ark, ark_der, ark_len, serials, n, this_update, this_update + 7 * 86400, der, len);
}

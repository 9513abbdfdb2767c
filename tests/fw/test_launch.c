/* SPDX-License-Identifier: MIT */
/*
 * Launch commands: LAUNCH_START policy checks (a table, one row per rule), command states, LAUNCH_UPDATE page
 * types with the digest, the RMP states and the secrets page, CPUID page validation with the corrected table
 * written back, LAUNCH_FINISH with ID blocks signed by OpenSSL-generated ID and author keys.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/cpuid_page.h>
#include <snpemu/abi/le.h>
#include <snpemu/abi/secrets.h>
#include <snpemu/fw.h>

static struct fw_platform *new_platform(enum fw_product prod, void (*tweak)(struct fw_platform_config *))
{
	struct fw_platform_config cfg;
	struct fw_platform *p;
	fw_platform_config_default(&cfg, prod);
	fw_platform_config_seed(&cfg, (const uint8_t *)"launch", 6);
	if (tweak)
		tweak(&cfg);
	assert_int_equal(fw_platform_create(&cfg, &p), 0);
	return p;
}

static void no_smt(struct fw_platform_config *c)
{
	c->platform_info &= ~SNP_PLATFORM_INFO_SMT_EN;
}
static void two_sockets(struct fw_platform_config *c)
{
	c->sockets = 2;
}
static void rapl_off(struct fw_platform_config *c)
{
	c->platform_info |= SNP_PLATFORM_INFO_RAPL_DIS;
}
static void ct_hiding(struct fw_platform_config *c)
{
	c->platform_info |= SNP_PLATFORM_INFO_CIPHERTEXT_HIDING_EN;
}

static void test_policy_rules(void **state)
{
	(void)state;
	static const struct {
		uint64_t policy;
		enum fw_product prod;
		void (*tweak)(struct fw_platform_config *);
		uint32_t status;
	} rows[] = {
	    {0x30000, FW_PRODUCT_GENOA, NULL, SEV_RET_SUCCESS},
	    {0x10000, FW_PRODUCT_GENOA, NULL, SEV_RET_INVALID_PARAM},		   /* bit 17 clear */
	    {0x30000 | 1ull << 26, FW_PRODUCT_GENOA, NULL, SEV_RET_INVALID_PARAM}, /* MBZ bit */
	    {0x30000 | 1ull << 63, FW_PRODUCT_GENOA, NULL, SEV_RET_INVALID_PARAM}, /* MBZ bit */
	    {0x20000, FW_PRODUCT_GENOA, NULL, SEV_RET_POLICY_FAILURE},		   /* SMT off, platform SMT */
	    {0x20000, FW_PRODUCT_GENOA, no_smt, SEV_RET_SUCCESS},
	    {0x30000 | 0x0137, FW_PRODUCT_GENOA, NULL, SEV_RET_SUCCESS},	/* ABI 1.55 == firmware */
	    {0x30000 | 0x0138, FW_PRODUCT_GENOA, NULL, SEV_RET_POLICY_FAILURE}, /* ABI 1.56 > 1.55 */
	    {0x30000 | 0x0200, FW_PRODUCT_GENOA, NULL, SEV_RET_POLICY_FAILURE}, /* ABI 2.0 */
	    {0x30000 | SNP_POLICY_SINGLE_SOCKET, FW_PRODUCT_GENOA, NULL, SEV_RET_SUCCESS},
	    {0x30000 | SNP_POLICY_SINGLE_SOCKET, FW_PRODUCT_GENOA, two_sockets, SEV_RET_POLICY_FAILURE},
	    {0x30000 | SNP_POLICY_MEM_AES_256_XTS, FW_PRODUCT_GENOA, NULL, SEV_RET_SUCCESS},
	    {0x30000 | SNP_POLICY_MEM_AES_256_XTS, FW_PRODUCT_MILAN, NULL, SEV_RET_POLICY_FAILURE},
	    {0x30000 | SNP_POLICY_RAPL_DIS, FW_PRODUCT_GENOA, NULL, SEV_RET_POLICY_FAILURE},
	    {0x30000 | SNP_POLICY_RAPL_DIS, FW_PRODUCT_GENOA, rapl_off, SEV_RET_SUCCESS},
	    {0x30000 | SNP_POLICY_CIPHERTEXT_HIDING, FW_PRODUCT_GENOA, NULL, SEV_RET_POLICY_FAILURE},
	    {0x30000 | SNP_POLICY_CIPHERTEXT_HIDING, FW_PRODUCT_GENOA, ct_hiding, SEV_RET_SUCCESS},
	    {0x30000 | SNP_POLICY_DEBUG | SNP_POLICY_MIGRATE_MA | SNP_POLICY_CXL_ALLOW | SNP_POLICY_PAGE_SWAP_DISABLE,
	     FW_PRODUCT_GENOA, NULL, SEV_RET_SUCCESS},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fw_platform *p = new_platform(rows[i].prod, rows[i].tweak);
		struct fw_guest *g;
		assert_int_equal(fw_guest_create(p, 1 << 20, &g), 0);
		assert_int_equal(fw_launch_start(g, rows[i].policy, NULL), rows[i].status);
		struct fw_guest_context c;
		fw_guest_export(g, &c);
		assert_int_equal(c.state, rows[i].status ? FW_GUEST_INIT : FW_GUEST_LAUNCH);
		fw_guest_destroy(g);
		fw_platform_destroy(p);
	}
}

static void test_update_pages(void **state)
{
	(void)state;
	struct fw_platform *p = new_platform(FW_PRODUCT_GENOA, NULL);
	struct fw_guest *g;
	static uint8_t page[4096], secrets[4096], vmsa[4096];
	struct fw_launch_digest ld;
	assert_int_equal(fw_guest_create(p, 1 << 24, &g), 0);
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_NORMAL, 0, page, NULL), SEV_RET_INVALID_GUEST_STATE);
	assert_int_equal(fw_launch_finish(g, NULL), SEV_RET_INVALID_GUEST_STATE);
	struct fw_launch_start_params sp = {.imi_en = true};
	memset(sp.gosvw, 0x5A, sizeof(sp.gosvw));
	assert_int_equal(fw_launch_start(g, 0x30000, &sp), 0);
	assert_int_equal(fw_launch_start(g, 0x30000, &sp), SEV_RET_INVALID_GUEST_STATE);
	fw_launch_digest_init(&ld);

	memset(page, 0x11, sizeof(page));
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_NORMAL, 0x10000, page, NULL), 0);
	fw_launch_digest_update(&ld, SNP_PAGE_TYPE_NORMAL, 0x10000, page, NULL);
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_ZERO, 0x11000, page, NULL), 0);
	uint8_t zero[4096] = {0};
	assert_memory_equal(page, zero, 4096); /* the firmware zero-fills */
	fw_launch_digest_update(&ld, SNP_PAGE_TYPE_ZERO, 0x11000, NULL, NULL);
	memset(page, 0x22, sizeof(page));
	struct fw_page_perms perms = {.vmpl1 = 0xF, .vmpl3 = 1};
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_UNMEASURED, 0x12000, page, &perms), 0);
	fw_launch_digest_update(&ld, SNP_PAGE_TYPE_UNMEASURED, 0x12000, NULL, &perms);
	memset(secrets, 0xEE, sizeof(secrets));
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_SECRETS, 0x13000, secrets, NULL), 0);
	fw_launch_digest_update(&ld, SNP_PAGE_TYPE_SECRETS, 0x13000, NULL, NULL);
	memset(vmsa, 0x33, sizeof(vmsa));
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_VMSA, 0x14000, vmsa, NULL), 0);
	fw_launch_digest_update(&ld, SNP_PAGE_TYPE_VMSA, 0x14000, vmsa, NULL);

	/* errors: wrong type, unaligned, out of range, already the guest's */
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_RESERVED, 0x20000, page, NULL), SEV_RET_INVALID_PARAM);
	assert_int_equal(fw_launch_update(g, (enum snp_page_type)7, 0x20000, page, NULL), SEV_RET_INVALID_PARAM);
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_NORMAL, 0x20010, page, NULL), SEV_RET_INVALID_ADDRESS);
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_NORMAL, 1 << 24, page, NULL), SEV_RET_INVALID_ADDRESS);
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_NORMAL, 0x10000, page, NULL), SEV_RET_INVALID_PAGE_STATE);

	struct fw_guest_context c;
	fw_guest_export(g, &c);
	assert_memory_equal(c.ld.digest, ld.digest, 48);
	assert_int_equal(c.ld.pages, 5);
	struct fw_rmp *r = fw_guest_rmp(g);
	assert_int_equal(fw_rmp_get(r, 0x10000), FW_PAGE_VALIDATED);
	assert_int_equal(fw_rmp_get(r, 0x13000), FW_PAGE_VALIDATED);
	assert_int_equal(fw_rmp_get(r, 0x14000), FW_PAGE_VMSA);
	assert_int_equal(fw_rmp_get(r, 0x15000), FW_PAGE_SHARED);

	/* the secrets page as the firmware fills it */
	assert_int_equal(le32_load(secrets + 0x00), 3);
	assert_int_equal(le32_load(secrets + 0x04), 1);
	assert_int_equal(le32_load(secrets + 0x08), 0x00A10F11);
	assert_int_equal(le32_load(secrets + 0x0C), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(secrets[0x10 + i], 0x5A);
	for (int i = 0; i < 4; i++) {
		assert_memory_equal(secrets + 0x20 + 32 * i, c.vmpck[i], 32);
		assert_memory_not_equal(secrets + 0x20 + 32 * i, zero, 32);
		for (int j = 0; j < i; j++)
			assert_memory_not_equal(secrets + 0x20 + 32 * i, secrets + 0x20 + 32 * j, 32);
	}
	assert_memory_equal(secrets + 0xA0, zero, 0xC0); /* OS area, tweak bitmap, SVSM fields */
	assert_int_equal(le32_load(secrets + 0x160), 200);
	assert_memory_equal(secrets + 0x164, zero, 4096 - 0x164);
	uint8_t again[4096];
	fw_secrets_page_fill(g, again);
	assert_memory_equal(again, secrets, 4096);

	assert_int_equal(fw_launch_finish(g, NULL), 0);
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_NORMAL, 0x30000, page, NULL), SEV_RET_INVALID_GUEST_STATE);
	assert_int_equal(fw_launch_finish(g, NULL), SEV_RET_INVALID_GUEST_STATE);
	fw_guest_destroy(g);
	fw_platform_destroy(p);
}

static void cpuid_entry(uint8_t *page, unsigned i, uint32_t leaf, uint32_t sub, uint32_t eax, uint32_t ebx,
			uint32_t ecx, uint32_t edx)
{
	uint8_t *e = page + SNP_CPUID_OFF_ENTRY(i);
	le32_store(e + SNP_CPUID_ENT_EAX_IN, leaf);
	le32_store(e + SNP_CPUID_ENT_ECX_IN, sub);
	le32_store(e + SNP_CPUID_ENT_EAX, eax);
	le32_store(e + SNP_CPUID_ENT_EBX, ebx);
	le32_store(e + SNP_CPUID_ENT_ECX, ecx);
	le32_store(e + SNP_CPUID_ENT_EDX, edx);
}

static void test_cpuid_page(void **state)
{
	(void)state;
	struct fw_platform *p = new_platform(FW_PRODUCT_GENOA, NULL);
	struct fw_guest *g;
	static uint8_t page[4096], copy[4096];
	assert_int_equal(fw_guest_create(p, 1 << 24, &g), 0);
	assert_int_equal(fw_launch_start(g, 0x30000, NULL), 0);

	/* malformed: refused, page untouched */
	static const struct {
		size_t off;
		uint8_t value;
	} malformed[] = {{0, 65}, {4, 1}, {0x0F, 1}, {SNP_CPUID_OFF_ENTRY(1) + SNP_CPUID_ENT_RSVD + 7, 1}};
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		memset(page, 0, sizeof(page));
		le32_store(page, 2);
		cpuid_entry(page, 0, 0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65);
		page[malformed[i].off] = malformed[i].value;
		memcpy(copy, page, sizeof(copy));
		assert_int_equal(fw_cpuid_page_validate(p, page), SEV_RET_INVALID_PARAM);
		assert_memory_equal(page, copy, sizeof(page));
	}

	/* outside the policy: VMX in leaf 1 ECX, a wrong signature, SVM in 0x80000001 */
	memset(page, 0, sizeof(page));
	le32_store(page, 4);
	cpuid_entry(page, 0, 0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65);
	cpuid_entry(page, 1, 1, 0, 0x00A10F10, 0x800, 0x80000020 | 0x1, 0x178BFBFF);
	cpuid_entry(page, 2, 0x80000001, 0, 0, 0, 0x4 | 0x1, 0);
	cpuid_entry(page, 3, 7, 0, 0, 0x4 | 0x8, 0, 0);
	/* an entry past COUNT is not looked at */
	cpuid_entry(page, 5, 1, 0, 0xBAD, 0, 0x20, 0);
	memcpy(copy, page, sizeof(copy));
	struct fw_guest_context before, after;
	fw_guest_export(g, &before);
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_CPUID, 0x5000, page, NULL), SEV_RET_INVALID_PARAM);
	fw_guest_export(g, &after);
	assert_memory_equal(before.ld.digest, after.ld.digest, 48); /* not measured */
	assert_int_equal(fw_rmp_get(fw_guest_rmp(g), 0x5000), FW_PAGE_SHARED);
	uint8_t *e1 = page + SNP_CPUID_OFF_ENTRY(1), *e2 = page + SNP_CPUID_OFF_ENTRY(2),
		*e3 = page + SNP_CPUID_OFF_ENTRY(3);
	assert_int_equal(le32_load(e1 + SNP_CPUID_ENT_EAX), 0x00A10F11);
	assert_int_equal(le32_load(e1 + SNP_CPUID_ENT_ECX), 0x80000001); /* VMX cleared, the rest kept */
	assert_int_equal(le32_load(e1 + SNP_CPUID_ENT_EDX), 0x178BFBFF);
	assert_int_equal(le32_load(e2 + SNP_CPUID_ENT_ECX), 0x1);
	assert_int_equal(le32_load(e3 + SNP_CPUID_ENT_EBX), 0x8);
	assert_memory_equal(page, copy, SNP_CPUID_OFF_ENTRY(1)); /* header and entry 0 unchanged */
	assert_memory_equal(page + SNP_CPUID_OFF_ENTRY(4), copy + SNP_CPUID_OFF_ENTRY(4),
			    4096 - SNP_CPUID_OFF_ENTRY(4));
	/* the VMM retries with the corrected table */
	memcpy(copy, page, sizeof(copy));
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_CPUID, 0x5000, page, NULL), 0);
	assert_memory_equal(page, copy, sizeof(page));
	fw_guest_export(g, &after);
	struct fw_launch_digest ld = before.ld;
	fw_launch_digest_update(&ld, SNP_PAGE_TYPE_CPUID, 0x5000, NULL, NULL);
	assert_memory_equal(after.ld.digest, ld.digest, 48); /* contents not measured */
	fw_guest_destroy(g);
	fw_platform_destroy(p);
}

/* ---- ID blocks ---- */

static EVP_PKEY *p384_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	assert_non_null(k);
	return k;
}

static void amd_pubkey(EVP_PKEY *k, uint8_t out[0x404])
{
	BIGNUM *x = NULL, *y = NULL;
	uint8_t bx[48], by[48];
	memset(out, 0, 0x404);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
	BN_bn2binpad(x, bx, 48);
	BN_bn2binpad(y, by, 48);
	le32_store(out, 2);
	for (int i = 0; i < 48; i++) {
		out[0x04 + i] = bx[47 - i];
		out[0x4C + i] = by[47 - i];
	}
	BN_free(x);
	BN_free(y);
}

static void amd_sign(EVP_PKEY *k, const uint8_t *msg, size_t len, uint8_t sig[512])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[128];
	size_t dlen = sizeof(der);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, der, &dlen, msg, len), 1);
	EVP_MD_CTX_free(md);
	const unsigned char *q = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &q, (long)dlen);
	uint8_t r[48], ss[48];
	BN_bn2binpad(ECDSA_SIG_get0_r(s), r, 48);
	BN_bn2binpad(ECDSA_SIG_get0_s(s), ss, 48);
	ECDSA_SIG_free(s);
	memset(sig, 0, 512);
	for (int i = 0; i < 48; i++) {
		sig[i] = r[47 - i];
		sig[0x48 + i] = ss[47 - i];
	}
}

struct id_case {
	uint8_t block[0x60];
	uint8_t auth[0x1000];
};

static struct fw_guest *launched(struct fw_platform *p, uint64_t policy, uint8_t ld[48])
{
	struct fw_guest *g;
	static uint8_t page[4096];
	assert_int_equal(fw_guest_create(p, 1 << 20, &g), 0);
	assert_int_equal(fw_launch_start(g, policy, NULL), 0);
	memset(page, 0x42, sizeof(page));
	assert_int_equal(fw_launch_update(g, SNP_PAGE_TYPE_NORMAL, 0, page, NULL), 0);
	struct fw_guest_context c;
	fw_guest_export(g, &c);
	memcpy(ld, c.ld.digest, 48);
	return g;
}

static void test_id_block(void **state)
{
	(void)state;
	struct fw_platform *p = new_platform(FW_PRODUCT_GENOA, NULL);
	EVP_PKEY *idk = p384_key(), *authk = p384_key();
	static struct id_case ok;
	uint8_t ld[48], host[32];
	memset(host, 0x77, sizeof(host));
	struct fw_guest *g = launched(p, 0x30000, ld);
	memcpy(ok.block, ld, 48);
	memset(ok.block + 0x30, 0xF1, 16);
	memset(ok.block + 0x40, 0x1D, 16);
	le32_store(ok.block + 0x50, 1);
	le32_store(ok.block + 0x54, 7);
	le64_store(ok.block + 0x58, 0x30000);
	le32_store(ok.auth, 1);
	le32_store(ok.auth + 4, 1);
	amd_pubkey(idk, ok.auth + 0x240);
	amd_pubkey(authk, ok.auth + 0x880);
	amd_sign(idk, ok.block, 0x60, ok.auth + 0x40);
	amd_sign(authk, ok.auth + 0x240, 0x404, ok.auth + 0x680);

	/* every way to get it wrong, on fresh guests */
	static const struct {
		size_t off; /* in block (< 0x60) or auth (0x1000 + off) */
		uint8_t xor_;
		bool author;
		bool no_auth;
		uint32_t status;
	} bad[] = {
	    {0, 1, false, false, SEV_RET_BAD_MEASUREMENT},	      /* launch digest */
	    {0x58, 1, false, false, SEV_RET_POLICY_FAILURE},	      /* policy */
	    {0x50, 2, false, false, SEV_RET_INVALID_PARAM},	      /* ID block version */
	    {0x30, 1, false, false, SEV_RET_BAD_SIGNATURE},	      /* family ID: signature no longer matches */
	    {0x1000 + 0x40, 1, false, false, SEV_RET_BAD_SIGNATURE},  /* ID block signature */
	    {0x1000 + 0x690, 1, true, false, SEV_RET_BAD_SIGNATURE},  /* ID key signature by the author key */
	    {0x1000 + 0, 2, false, false, SEV_RET_INVALID_PARAM},     /* ID key algorithm */
	    {0x1000 + 0x240, 1, false, false, SEV_RET_BAD_SIGNATURE}, /* ID key curve */
	    {0, 0, false, true, SEV_RET_INVALID_PARAM},		      /* no ID_AUTH */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static struct id_case c;
		uint8_t ld2[48];
		c = ok;
		if (bad[i].off < 0x60)
			c.block[bad[i].off] ^= bad[i].xor_;
		else
			c.auth[bad[i].off - 0x1000] ^= bad[i].xor_;
		struct fw_guest *b = launched(p, 0x30000, ld2);
		struct fw_launch_finish_params fin = {
		    .id_block = c.block, .id_auth = bad[i].no_auth ? NULL : c.auth, .author_key_en = bad[i].author};
		assert_int_equal(fw_launch_finish(b, &fin), bad[i].status);
		fw_guest_destroy(b);
	}

	struct fw_launch_finish_params fin = {
	    .id_block = ok.block, .id_auth = ok.auth, .author_key_en = true, .host_data = host};
	assert_int_equal(fw_launch_finish(g, &fin), 0);
	uint8_t rep[0x4A0], data[64] = {0}, digest[48];
	assert_int_equal(fw_guest_report(g, data, 0, 0, rep), 0);
	assert_int_equal(le32_load(rep + 0x04), 7);
	assert_memory_equal(rep + 0x10, ok.block + 0x30, 32); /* family and image ID */
	assert_int_equal(le32_load(rep + 0x48) & SNP_SIGNER_AUTHOR_KEY_EN, SNP_SIGNER_AUTHOR_KEY_EN);
	assert_memory_equal(rep + 0xC0, host, 32);
	EVP_Digest(ok.auth + 0x240, 0x404, digest, NULL, EVP_sha384(), NULL);
	assert_memory_equal(rep + 0xE0, digest, 48);
	EVP_Digest(ok.auth + 0x880, 0x404, digest, NULL, EVP_sha384(), NULL);
	assert_memory_equal(rep + 0x110, digest, 48);
	fw_guest_destroy(g);
	EVP_PKEY_free(idk);
	EVP_PKEY_free(authk);
	fw_platform_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_rules),
	    cmocka_unit_test(test_update_pages),
	    cmocka_unit_test(test_cpuid_page),
	    cmocka_unit_test(test_id_block),
	};
	return cmocka_run_group_tests_name("fw/launch", tests, NULL, NULL);
}

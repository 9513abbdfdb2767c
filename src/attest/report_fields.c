/* SPDX-License-Identifier: MIT */
/*
 * The ATTESTATION_REPORT as data: one row per field (snp-firmware-abi.md §3.1; SNP ABI 56860 Table 22), and the
 * text and JSON descriptions built from it (`snpemu decode report`, report.json).  The flag tables below decode
 * POLICY (§3.3), PLATFORM_INFO (§3.4) and the signer info at 0x48.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <snpemu/abi/le.h>
#include <snpemu/attest.h>

#include "common/zero.h"

#define V2	 0x04u
#define V3_UP	 0x38u /* 3, 4, 5 */
#define V2_TO_V4 0x1Cu
#define V5	 0x20u
#define ALL	 ATTEST_REPORT_VERSIONS_ALL

static const struct attest_report_field report_fields[] = {
    {"version", 0x000, 4, ATTEST_FIELD_U32, ALL},
    {"guest_svn", 0x004, 4, ATTEST_FIELD_U32, ALL},
    {"policy", 0x008, 8, ATTEST_FIELD_POLICY, ALL},
    {"family_id", 0x010, 16, ATTEST_FIELD_BYTES, ALL},
    {"image_id", 0x020, 16, ATTEST_FIELD_BYTES, ALL},
    {"vmpl", 0x030, 4, ATTEST_FIELD_U32, ALL},
    {"signature_algo", 0x034, 4, ATTEST_FIELD_U32, ALL},
    {"current_tcb", 0x038, 8, ATTEST_FIELD_TCB, ALL},
    {"platform_info", 0x040, 8, ATTEST_FIELD_PLATFORM, ALL},
    {"signer_info", 0x048, 4, ATTEST_FIELD_SIGNER, ALL},
    {"reserved_04c", 0x04C, 4, ATTEST_FIELD_RESERVED, ALL},
    {"report_data", 0x050, 64, ATTEST_FIELD_BYTES, ALL},
    {"measurement", 0x090, 48, ATTEST_FIELD_BYTES, ALL},
    {"host_data", 0x0C0, 32, ATTEST_FIELD_BYTES, ALL},
    {"id_key_digest", 0x0E0, 48, ATTEST_FIELD_BYTES, ALL},
    {"author_key_digest", 0x110, 48, ATTEST_FIELD_BYTES, ALL},
    {"report_id", 0x140, 32, ATTEST_FIELD_BYTES, ALL},
    {"report_id_ma", 0x160, 32, ATTEST_FIELD_BYTES, ALL},
    {"reported_tcb", 0x180, 8, ATTEST_FIELD_TCB, ALL},
    {"reserved_188", 0x188, 24, ATTEST_FIELD_RESERVED, V2}, /* v2: no CPUID fields */
    {"cpuid_fam_id", 0x188, 1, ATTEST_FIELD_U8, V3_UP},
    {"cpuid_mod_id", 0x189, 1, ATTEST_FIELD_U8, V3_UP},
    {"cpuid_step", 0x18A, 1, ATTEST_FIELD_U8, V3_UP},
    {"reserved_18b", 0x18B, 21, ATTEST_FIELD_RESERVED, V3_UP},
    {"chip_id", 0x1A0, 64, ATTEST_FIELD_BYTES, ALL},
    {"committed_tcb", 0x1E0, 8, ATTEST_FIELD_TCB, ALL},
    {"current_build", 0x1E8, 1, ATTEST_FIELD_U8, ALL},
    {"current_minor", 0x1E9, 1, ATTEST_FIELD_U8, ALL},
    {"current_major", 0x1EA, 1, ATTEST_FIELD_U8, ALL},
    {"reserved_1eb", 0x1EB, 1, ATTEST_FIELD_RESERVED, ALL},
    {"committed_build", 0x1EC, 1, ATTEST_FIELD_U8, ALL},
    {"committed_minor", 0x1ED, 1, ATTEST_FIELD_U8, ALL},
    {"committed_major", 0x1EE, 1, ATTEST_FIELD_U8, ALL},
    {"reserved_1ef", 0x1EF, 1, ATTEST_FIELD_RESERVED, ALL},
    {"launch_tcb", 0x1F0, 8, ATTEST_FIELD_TCB, ALL},
    {"reserved_1f8", 0x1F8, 0xA8, ATTEST_FIELD_RESERVED, V2_TO_V4}, /* before v5: reserved up to the signature */
    {"launch_mit_vector", 0x1F8, 8, ATTEST_FIELD_U64, V5},
    {"current_mit_vector", 0x200, 8, ATTEST_FIELD_U64, V5},
    {"reserved_208", 0x208, 0x98, ATTEST_FIELD_RESERVED, V5},
    {"signature_r", 0x2A0, 72, ATTEST_FIELD_BYTES, ALL},
    {"signature_s", 0x2E8, 72, ATTEST_FIELD_BYTES, ALL},
    {"reserved_330", 0x330, 368, ATTEST_FIELD_RESERVED, ALL},
};

const struct attest_report_field *attest_report_fields(size_t *count)
{
	*count = sizeof(report_fields) / sizeof(report_fields[0]);
	return report_fields;
}

bool attest_report_field_in_version(const struct attest_report_field *f, uint32_t version)
{
	return version < 8 && (f->versions >> version) & 1u;
}

struct flag_name {
	unsigned int bit;
	const char *name;
};

static const struct flag_name policy_flags[] = {
    {16, "smt"},
    {17, "reserved_must_be_one"},
    {18, "migrate_ma"},
    {19, "debug"},
    {20, "single_socket"},
    {21, "cxl_allow"},
    {22, "mem_aes_256_xts"},
    {23, "rapl_dis"},
    {24, "ciphertext_hiding"},
    {25, "page_swap_disable"},
};

static const struct flag_name platform_flags[] = {
    {0, "smt_en"},
    {1, "tsme_en"},
    {2, "ecc_en"},
    {3, "rapl_dis"},
    {4, "ciphertext_hiding_en"},
    {5, "alias_check_complete"},
    {7, "tio_en"},
};

static const char *signing_key_name(uint32_t key)
{
	return key == SNP_SIGNING_KEY_VCEK   ? "VCEK"
	       : key == SNP_SIGNING_KEY_VLEK ? "VLEK"
	       : key == SNP_SIGNING_KEY_NONE ? "none"
					     : "reserved";
}

static uint64_t field_uint(const uint8_t *raw, const struct attest_report_field *f)
{
	switch (f->size) {
	case 1:
		return raw[f->offset];
	case 4:
		return le32_load(raw + f->offset);
	default:
		return le64_load(raw + f->offset);
	}
}

#define HEX_MAX 368 /* the largest field (reserved_330) */

/* Lower-case hex of at most HEX_MAX bytes into `out` (2 * n + 1 bytes), without a printf per byte. */
static void hex_string(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	if (n > HEX_MAX)
		n = HEX_MAX;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xF];
	}
	out[2 * n] = '\0';
}

static void hex(struct snpemu_text *t, const uint8_t *p, size_t n)
{
	char buf[2 * HEX_MAX + 1];
	hex_string(p, n, buf);
	snpemu_text_printf(t, "%s", buf);
}

/* Names of the set flags, space-separated, each preceded by `sep` for the first and a space after. */
static void describe_flags(struct snpemu_text *t, uint64_t v, const struct flag_name *flags, size_t n, uint64_t known,
			   const char *sep)
{
	for (size_t i = 0; i < n; i++)
		if (v >> flags[i].bit & 1u) {
			snpemu_text_printf(t, "%s%s", sep, flags[i].name);
			sep = " ";
		}
	if (v & ~known)
		snpemu_text_printf(t, "%sRESERVED-BITS=0x%llx", sep, (unsigned long long)(v & ~known));
}

static uint64_t flags_mask(const struct flag_name *flags, size_t n)
{
	uint64_t m = 0;
	for (size_t i = 0; i < n; i++)
		m |= 1ull << flags[i].bit;
	return m;
}

static void describe_tcb(struct snpemu_text *t, uint64_t v, enum snp_tcb_layout layout)
{
	struct snp_tcb tcb = snp_tcb_decode(v, layout);
	snpemu_text_printf(t, "0x%016llx (", (unsigned long long)v);
	if (layout == SNP_TCB_LAYOUT_TURIN)
		snpemu_text_printf(t, "fmc=%u ", tcb.fmc);
	snpemu_text_printf(t, "bl=%u tee=%u snp=%u ucode=%u", tcb.bootloader, tcb.tee, tcb.snp, tcb.microcode);
	if (snp_tcb_reserved_bits(v, layout))
		snpemu_text_printf(t, " RESERVED-BYTES-NONZERO");
	snpemu_text_printf(t, ")");
}

size_t attest_report_describe(const struct attest_report *r, struct snpemu_text *out)
{
	size_t start = out->len, n;
	const struct attest_report_field *fields = attest_report_fields(&n);
	snpemu_text_printf(out, "ATTESTATION_REPORT version %u, product %s, TCB layout %s\n", r->version,
			   attest_product_name(r->product), snp_tcb_layout_name(r->tcb_layout));
	for (size_t i = 0; i < n; i++) {
		const struct attest_report_field *f = &fields[i];
		if (!attest_report_field_in_version(f, r->version))
			continue;
		const uint8_t *p = r->raw + f->offset;
		uint64_t v =
		    f->kind == ATTEST_FIELD_BYTES || f->kind == ATTEST_FIELD_RESERVED ? 0 : field_uint(r->raw, f);
		snpemu_text_printf(out, "  0x%03x %-19s ", f->offset, f->name);
		switch (f->kind) {
		case ATTEST_FIELD_U8:
		case ATTEST_FIELD_U32:
			snpemu_text_printf(out, "%llu (0x%llx)", (unsigned long long)v, (unsigned long long)v);
			break;
		case ATTEST_FIELD_U64:
			snpemu_text_printf(out, "0x%016llx", (unsigned long long)v);
			break;
		case ATTEST_FIELD_BYTES:
			hex(out, p, f->size);
			break;
		case ATTEST_FIELD_TCB:
			describe_tcb(out, v, r->tcb_layout);
			break;
		case ATTEST_FIELD_POLICY:
			snpemu_text_printf(out, "0x%016llx (abi %u.%u", (unsigned long long)v, snp_policy_abi_major(v),
					   snp_policy_abi_minor(v));
			describe_flags(
			    out, v, policy_flags, sizeof(policy_flags) / sizeof(policy_flags[0]),
			    flags_mask(policy_flags, sizeof(policy_flags) / sizeof(policy_flags[0])) | 0xFFFFu, " ");
			snpemu_text_printf(out, ")");
			break;
		case ATTEST_FIELD_PLATFORM:
			snpemu_text_printf(out, "0x%016llx (", (unsigned long long)v);
			describe_flags(out, v, platform_flags, sizeof(platform_flags) / sizeof(platform_flags[0]),
				       flags_mask(platform_flags, sizeof(platform_flags) / sizeof(platform_flags[0])),
				       "");
			snpemu_text_printf(out, ")");
			break;
		case ATTEST_FIELD_SIGNER:
			snpemu_text_printf(out, "0x%08llx (author_key_en=%u mask_chip_key=%u signing_key=%s%s)",
					   (unsigned long long)v, (unsigned int)(v & 1), (unsigned int)(v >> 1 & 1),
					   signing_key_name(snp_signer_signing_key((uint32_t)v)),
					   v >> 5 ? " RESERVED-BITS-NONZERO" : "");
			break;
		case ATTEST_FIELD_RESERVED:
			if (mem_is_zero(p, f->size)) {
				snpemu_text_printf(out, "zero");
			} else {
				snpemu_text_printf(out, "NON-ZERO ");
				hex(out, p, f->size);
			}
			break;
		}
		snpemu_text_printf(out, "\n");
	}
	return out->len - start;
}

static json_object *hex_json(const uint8_t *p, size_t n)
{
	char buf[2 * HEX_MAX + 1];
	hex_string(p, n, buf);
	return json_object_new_string(buf);
}

static json_object *u64_hex_json(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

static json_object *flags_json(uint64_t v, const struct flag_name *flags, size_t n)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "raw", u64_hex_json(v));
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, flags[i].name, json_object_new_boolean(v >> flags[i].bit & 1u));
	return o;
}

static json_object *tcb_json(uint64_t v, enum snp_tcb_layout layout)
{
	struct snp_tcb tcb = snp_tcb_decode(v, layout);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "raw", u64_hex_json(v));
	if (layout == SNP_TCB_LAYOUT_TURIN)
		json_object_object_add(o, "fmc", json_object_new_int(tcb.fmc));
	json_object_object_add(o, "bootloader", json_object_new_int(tcb.bootloader));
	json_object_object_add(o, "tee", json_object_new_int(tcb.tee));
	json_object_object_add(o, "snp", json_object_new_int(tcb.snp));
	json_object_object_add(o, "microcode", json_object_new_int(tcb.microcode));
	return o;
}

static json_object *field_json(const struct attest_report *r, const struct attest_report_field *f)
{
	const uint8_t *p = r->raw + f->offset;
	uint64_t v = f->kind == ATTEST_FIELD_BYTES || f->kind == ATTEST_FIELD_RESERVED ? 0 : field_uint(r->raw, f);
	json_object *o;
	switch (f->kind) {
	case ATTEST_FIELD_U8:
	case ATTEST_FIELD_U32:
		return json_object_new_int64((int64_t)v);
	case ATTEST_FIELD_U64:
		return u64_hex_json(v);
	case ATTEST_FIELD_TCB:
		return tcb_json(v, r->tcb_layout);
	case ATTEST_FIELD_POLICY:
		o = flags_json(v, policy_flags, sizeof(policy_flags) / sizeof(policy_flags[0]));
		json_object_object_add(o, "abi_major", json_object_new_int(snp_policy_abi_major(v)));
		json_object_object_add(o, "abi_minor", json_object_new_int(snp_policy_abi_minor(v)));
		return o;
	case ATTEST_FIELD_PLATFORM:
		return flags_json(v, platform_flags, sizeof(platform_flags) / sizeof(platform_flags[0]));
	case ATTEST_FIELD_SIGNER:
		o = json_object_new_object();
		json_object_object_add(o, "raw", json_object_new_int64((int64_t)v));
		json_object_object_add(o, "author_key_en", json_object_new_boolean(v & 1));
		json_object_object_add(o, "mask_chip_key", json_object_new_boolean(v >> 1 & 1));
		json_object_object_add(o, "signing_key",
				       json_object_new_string(signing_key_name(snp_signer_signing_key((uint32_t)v))));
		return o;
	case ATTEST_FIELD_BYTES:
	case ATTEST_FIELD_RESERVED:
		break;
	}
	return hex_json(p, f->size);
}

char *attest_report_json(const struct attest_report *r)
{
	size_t n;
	const struct attest_report_field *fields = attest_report_fields(&n);
	json_object *root = json_object_new_object();
	if (!root)
		return NULL;
	json_object_object_add(root, "product", json_object_new_string(attest_product_name(r->product)));
	json_object_object_add(root, "tcb_layout", json_object_new_string(snp_tcb_layout_name(r->tcb_layout)));
	for (size_t i = 0; i < n; i++) {
		const struct attest_report_field *f = &fields[i];
		/* Reserved ranges appear only when they break the rules, so report.json stays readable. */
		if (!attest_report_field_in_version(f, r->version) ||
		    (f->kind == ATTEST_FIELD_RESERVED && mem_is_zero(r->raw + f->offset, f->size)))
			continue;
		json_object_object_add(root, f->name, field_json(r, f));
	}
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = s ? strdup(s) : NULL;
	json_object_put(root);
	return copy;
}

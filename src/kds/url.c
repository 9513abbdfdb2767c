/* SPDX-License-Identifier: MIT */
/*
 * The KDS request target parser: (buf, len) in, route and parameters out, no allocation, every byte read through
 * bounds known from `len`.  The URL forms are AMD KDS's (spec/outside-interfaces.md): 404 for anything that is not
 * one of its paths, 400 once the path names a VCEK but its hwID or SPLs are malformed.
 */
#include <string.h>
#include <stddef.h>

#include <snpemu/abi/hex.h>
#include <snpemu/kds.h>

/* A byte range of the target. */
struct span {
	const char *p;
	size_t n;
};

static bool span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && !memcmp(s.p, lit, n);
}

/* Split `*rest` at the first `sep` (or its end): the part before, `*rest` after the separator. */
static struct span span_next(struct span *rest, char sep, bool *found)
{
	const char *q = rest->n ? memchr(rest->p, sep, rest->n) : NULL;
	struct span head = {rest->p, q ? (size_t)(q - rest->p) : rest->n};
	*found = q != NULL;
	rest->p += head.n + (q ? 1 : 0);
	rest->n -= head.n + (q ? 1 : 0);
	return head;
}

static enum kds_url_status fail(struct kds_request *out, enum kds_url_status st, const char *why)
{
	out->why = why;
	return st;
}

/* Products by the names KDS uses in its paths (case as KDS spells them). */
static const struct {
	const char *name;
	enum fw_product product;
	size_t hwid_len; /* Turin: the first 8 bytes of CHIP_ID */
} products[] = {
    {"Milan", FW_PRODUCT_MILAN, 64},
    {"Genoa", FW_PRODUCT_GENOA, 64},
    {"Turin", FW_PRODUCT_TURIN, 8},
};

/* The VCEK query parameters, as a table: name, where the value goes, and which products take it. */
enum spl_products { SPL_ALL, SPL_TURIN_ONLY };
static const struct {
	const char *name;
	size_t offset; /* in struct snp_tcb */
	enum spl_products who;
} spls[] = {
    {"blSPL", offsetof(struct snp_tcb, bootloader), SPL_ALL},
    {"teeSPL", offsetof(struct snp_tcb, tee), SPL_ALL},
    {"snpSPL", offsetof(struct snp_tcb, snp), SPL_ALL},
    {"ucodeSPL", offsetof(struct snp_tcb, microcode), SPL_ALL},
    {"fmcSPL", offsetof(struct snp_tcb, fmc), SPL_TURIN_ONLY},
};
#define N_SPLS (sizeof(spls) / sizeof(spls[0]))

static enum kds_url_status parse_hwid(struct span s, size_t want, struct kds_request *out)
{
	if (s.n != 2 * want)
		return fail(out, KDS_URL_BAD_REQUEST, "hwid has the wrong length for this product");
	for (size_t i = 0; i < want; i++) {
		int hi = snpemu_hex_digit(s.p[2 * i]), lo = snpemu_hex_digit(s.p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(out, KDS_URL_BAD_REQUEST, "hwid is not hexadecimal");
		out->hwid[i] = (uint8_t)(hi << 4 | lo);
	}
	out->hwid_len = want;
	return KDS_URL_OK;
}

/* A decimal SPL of 1..3 digits, 0..255. */
static bool parse_spl(struct span v, uint8_t *out)
{
	unsigned x = 0;
	if (v.n == 0 || v.n > 3)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		x = x * 10 + (unsigned)(v.p[i] - '0');
	}
	if (x > 255)
		return false;
	*out = (uint8_t)x;
	return true;
}

static enum kds_url_status parse_query(struct span q, bool turin, struct kds_request *out)
{
	bool seen[N_SPLS] = {false};
	bool more = q.n > 0;
	while (more) {
		bool has_eq;
		struct span pair = span_next(&q, '&', &more);
		struct span name = span_next(&pair, '=', &has_eq);
		size_t i = 0;
		while (i < N_SPLS && !span_is(name, spls[i].name))
			i++;
		if (i == N_SPLS || (spls[i].who == SPL_TURIN_ONLY && !turin))
			return fail(out, KDS_URL_BAD_REQUEST, "unknown query parameter");
		if (seen[i])
			return fail(out, KDS_URL_BAD_REQUEST, "query parameter given twice");
		if (!has_eq || !parse_spl(pair, (uint8_t *)&out->tcb + spls[i].offset))
			return fail(out, KDS_URL_BAD_REQUEST, "SPL is not a decimal number 0..255");
		seen[i] = true;
	}
	for (size_t i = 0; i < N_SPLS; i++)
		if (!seen[i] && (spls[i].who == SPL_ALL || turin))
			return fail(out, KDS_URL_BAD_REQUEST, "missing SPL query parameter");
	return KDS_URL_OK;
}

enum kds_url_status kds_url_parse(const char *buf, size_t len, struct kds_request *out)
{
	memset(out, 0, sizeof(*out));
	if (len > KDS_URL_MAX)
		return fail(out, KDS_URL_BAD_REQUEST, "request target too long");
	bool has_query, more;
	struct span rest = {buf, len};
	struct span path = span_next(&rest, '?', &has_query), query = rest;
	if (!path.n || path.p[0] != '/')
		return fail(out, KDS_URL_NOT_FOUND, "not a path");
	path.p++, path.n--;

	struct span service = span_next(&path, '/', &more);
	bool vlek = span_is(service, "vlek");
	if (!more || (!vlek && !span_is(service, "vcek")))
		return fail(out, KDS_URL_NOT_FOUND, "unknown service (vcek, vlek)");
	struct span version = span_next(&path, '/', &more);
	if (!more || !span_is(version, "v1"))
		return fail(out, KDS_URL_NOT_FOUND, "unknown version (v1)");
	struct span name = span_next(&path, '/', &more);
	size_t pi = 0;
	while (pi < sizeof(products) / sizeof(products[0]) && !span_is(name, products[pi].name))
		pi++;
	if (!more || pi == sizeof(products) / sizeof(products[0]))
		return fail(out, KDS_URL_NOT_FOUND, "unknown product (Milan, Genoa, Turin)");
	out->product = products[pi].product;
	struct span leaf = span_next(&path, '/', &more);
	if (more)
		return fail(out, KDS_URL_NOT_FOUND, "unknown path");

	if (span_is(leaf, "cert_chain") || span_is(leaf, "crl")) {
		bool chain = span_is(leaf, "cert_chain");
		out->route = vlek ? (chain ? KDS_ROUTE_VLEK_CHAIN : KDS_ROUTE_VLEK_CRL)
				  : (chain ? KDS_ROUTE_VCEK_CHAIN : KDS_ROUTE_VCEK_CRL);
		return KDS_URL_OK;
	}
	if (vlek || leaf.n == 0)
		return fail(out, KDS_URL_NOT_FOUND, "unknown path");
	out->route = KDS_ROUTE_VCEK;
	enum kds_url_status st = parse_hwid(leaf, products[pi].hwid_len, out);
	if (st != KDS_URL_OK)
		return st;
	if (!has_query)
		return fail(out, KDS_URL_BAD_REQUEST, "missing SPL query parameters");
	return parse_query(query, out->product == FW_PRODUCT_TURIN, out);
}

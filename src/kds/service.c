/* SPDX-License-Identifier: MIT */
/*
 * The answers of a local KDS over one firmware-model platform.  Chains and CRLs do not change while the service runs,
 * so they are built once; VCEKs are built per request (a P-384 key derivation and one RSA-PSS signature) except the
 * platform's own, which the platform caches.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <snpemu/kds.h>

/* The built-once answers of one chain (VCEK or VLEK). */
struct kds_chain_answers {
	char *pem; /* PEM intermediate (ASK or ASVK) then ARK, as KDS's cert_chain */
	size_t pem_len;
	uint8_t *crl;
	size_t crl_len;
	bool present;
};

struct kds_service {
	struct fw_platform *platform;
	enum fw_product product;
	uint8_t chip_id[KDS_HWID_MAX];
	struct kds_chain_answers vcek, vlek;
	atomic_uint_fast64_t requests;
};

int kds_revoke_parse(const char *s, uint64_t *serial)
{
	static const struct {
		const char *name;
		uint64_t serial;
	} names[] = {
	    {"ask", FW_CERT_SERIAL_ASK},
	    {"asvk", FW_CERT_SERIAL_ASVK},
	    {"vcek", FW_CERT_SERIAL_VCEK},
	    {"vlek", FW_CERT_SERIAL_VCEK},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*serial = names[i].serial;
			return 0;
		}
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end || errno || s[0] == '-')
		return -EINVAL;
	*serial = v;
	return 0;
}

/* PEM of two DER certificates, one after the other. */
static int pem_pair(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, char **out, size_t *out_len)
{
	char *pa = NULL, *pb = NULL;
	size_t la, lb;
	int rc = fw_cert_der_to_pem(a, alen, &pa, &la);
	if (!rc)
		rc = fw_cert_der_to_pem(b, blen, &pb, &lb);
	if (!rc) {
		*out = malloc(la + lb + 1);
		if (*out) {
			memcpy(*out, pa, la);
			memcpy(*out + la, pb, lb + 1);
			*out_len = la + lb;
		} else {
			rc = -ENOMEM;
		}
	}
	free(pa);
	free(pb);
	return rc;
}

static int chain_answers(struct fw_platform *p, enum fw_cert_kind intermediate, const struct kds_service_config *cfg,
			 struct kds_chain_answers *out)
{
	const uint8_t *ark, *mid;
	size_t ark_len, mid_len;
	int rc = fw_platform_cert(p, FW_CERT_ARK, &ark, &ark_len);
	if (!rc)
		rc = fw_platform_cert(p, intermediate, &mid, &mid_len);
	if (rc == -ENOENT) /* no VLEK on this platform: its routes answer 404 */
		return 0;
	if (rc || (rc = pem_pair(mid, mid_len, ark, ark_len, &out->pem, &out->pem_len)))
		return rc;
	int64_t now = cfg->now ? cfg->now : (int64_t)time(NULL);
	if ((rc = fw_platform_crl(p, cfg->revoked, cfg->n_revoked, now, &out->crl, &out->crl_len)))
		return rc;
	out->present = true;
	return 0;
}

static void chain_answers_free(struct kds_chain_answers *a)
{
	free(a->pem);
	free(a->crl);
	memset(a, 0, sizeof(*a));
}

int kds_service_new(struct fw_platform *platform, const struct kds_service_config *cfg, struct kds_service **out)
{
	if (cfg->n_revoked > KDS_REVOKED_MAX)
		return -EINVAL;
	struct kds_service *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->platform = platform;
	s->product = fw_platform_config(platform)->product;
	memcpy(s->chip_id, fw_platform_chip_id(platform), sizeof(s->chip_id));
	int rc = chain_answers(platform, FW_CERT_ASK, cfg, &s->vcek);
	if (!rc)
		rc = chain_answers(platform, FW_CERT_ASVK, cfg, &s->vlek);
	if (rc) {
		kds_service_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void kds_service_free(struct kds_service *s)
{
	if (!s)
		return;
	chain_answers_free(&s->vcek);
	chain_answers_free(&s->vlek);
	free(s);
}

uint64_t kds_service_requests(const struct kds_service *s)
{
	return atomic_load(&s->requests);
}

static void text(struct kds_response *rsp, unsigned status, const char *body)
{
	*rsp = (struct kds_response){
	    .status = status, .content_type = "text/plain", .body = (const uint8_t *)body, .len = strlen(body)};
}

static int answer_vcek(struct kds_service *s, const struct kds_request *req, struct kds_response *rsp)
{
	if (req->product != s->product || memcmp(req->hwid, s->chip_id, req->hwid_len)) {
		text(rsp, 404, "unknown hwid\n");
		return 0;
	}
	const struct fw_platform_config *pc = fw_platform_config(s->platform);
	const struct snp_tcb *own = &pc->reported_tcb;
	const uint8_t *der;
	size_t len;
	int rc;
	if (!memcmp(&req->tcb, own, sizeof(*own))) { /* the platform's own VCEK, cached there */
		if ((rc = fw_platform_cert(s->platform, FW_CERT_VCEK, &der, &len)))
			return rc;
		*rsp = (struct kds_response){
		    .status = 200, .content_type = "application/pkix-cert", .body = der, .len = len};
		return 0;
	}
	uint8_t *built;
	rc = fw_platform_vcek_cert_for_tcb(s->platform, &req->tcb, &built, &len);
	if (rc == -EINVAL) {
		text(rsp, 400, "SPL out of range\n");
		return 0;
	}
	if (rc)
		return rc;
	*rsp = (struct kds_response){
	    .status = 200, .content_type = "application/pkix-cert", .body = built, .len = len, .owned = true};
	return 0;
}

int kds_service_answer(struct kds_service *s, const char *target, size_t len, struct kds_response *rsp)
{
	struct kds_request req;
	atomic_fetch_add(&s->requests, 1);
	enum kds_url_status st = kds_url_parse(target, len, &req);
	if (st != KDS_URL_OK) {
		text(rsp, st, st == KDS_URL_NOT_FOUND ? "Not Found\n" : "Bad Request\n");
		return 0;
	}
	if (req.product != s->product) {
		/* This service holds one product line's keys; another product's chain would be a different ARK. */
		text(rsp, 404, "product not served here\n");
		return 0;
	}
	int rc = 0;
	const struct kds_chain_answers *a =
	    req.route == KDS_ROUTE_VLEK_CHAIN || req.route == KDS_ROUTE_VLEK_CRL ? &s->vlek : &s->vcek;
	switch (req.route) {
	case KDS_ROUTE_VCEK:
		rc = answer_vcek(s, &req, rsp);
		break;
	case KDS_ROUTE_VCEK_CHAIN:
	case KDS_ROUTE_VLEK_CHAIN:
		if (!a->present)
			text(rsp, 404, "Not Found\n");
		else
			*rsp = (struct kds_response){.status = 200,
						     .content_type = "application/x-pem-file",
						     .body = (const uint8_t *)a->pem,
						     .len = a->pem_len};
		break;
	case KDS_ROUTE_VCEK_CRL:
	case KDS_ROUTE_VLEK_CRL:
		if (!a->present)
			text(rsp, 404, "Not Found\n");
		else
			*rsp = (struct kds_response){
			    .status = 200, .content_type = "application/pkix-crl", .body = a->crl, .len = a->crl_len};
		break;
	}
	if (rc) { /* a host failure, not the client's */
		text(rsp, 500, "Internal Server Error\n");
		return rc;
	}
	return 0;
}

void kds_response_release(struct kds_response *rsp)
{
	if (rsp->owned)
		free((void *)rsp->body);
	memset(rsp, 0, sizeof(*rsp));
}

/* SPDX-License-Identifier: MIT */
/*
 * snpemu's local AMD Key Distribution Service (`kds` part, src/kds/): the HTTP interface of kdsintf.amd.com over the
 * firmware model's platform, so that unmodified verifiers fetch VCEKs, chains and CRLs from snpemu as from AMD.
 * Facts: ../shared/spec/outside-interfaces.md "AMD Key Distribution Service" (virtee snpguest src/fetch.rs,
 * go-sev-guest kds/kds.go); AMD KDS spec 57230.  Three layers, each usable alone:
 *   - kds_url_parse: a pure, allocation-free parser of the request target (path and query) into a route and its
 *     parameters, answering KDS's status codes: 400 for a malformed hwID or SPL, 404 for an unknown product or path;
 *   - struct kds_service: the answers (DER VCEK, PEM chain, DER CRL) of one platform with a revocation list;
 *   - struct kds_server: a libmicrohttpd server of a service (bounded request size and connection count, loopback
 *     unless another address is given, clean shutdown).
 * Functions return 0 or a negative errno; no state is global.
 */
#ifndef SNPEMU_KDS_H
#define SNPEMU_KDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/abi/report.h>
#include <snpemu/fw.h>

/* ---- The request target parser (url.c) --------------------------------------------------------------------- */

/* Longest request target accepted (the longest valid one, a Turin VCEK URL with five 3-digit SPLs, is ~110 bytes). */
#define KDS_URL_MAX  512u
#define KDS_HWID_MAX 64u

enum kds_route {
	KDS_ROUTE_VCEK,	      /* /vcek/v1/{product}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=[&fmcSPL=] */
	KDS_ROUTE_VCEK_CHAIN, /* /vcek/v1/{product}/cert_chain: PEM ASK then ARK */
	KDS_ROUTE_VCEK_CRL,   /* /vcek/v1/{product}/crl: DER CRL signed by the ARK */
	KDS_ROUTE_VLEK_CHAIN, /* /vlek/v1/{product}/cert_chain: PEM ASVK then ARK */
	KDS_ROUTE_VLEK_CRL,   /* /vlek/v1/{product}/crl */
};

/* Parse results are the HTTP status KDS answers. */
enum kds_url_status {
	KDS_URL_OK = 200,
	KDS_URL_BAD_REQUEST = 400, /* hwID not hex or of the wrong length; SPL missing, repeated, unknown, not 0..255 */
	KDS_URL_NOT_FOUND = 404,   /* unknown service, version, product or path */
};

/* A parsed request.  `hwid` holds hwid_len bytes: 64 (Milan, Genoa) or 8 (Turin). */
struct kds_request {
	enum kds_route route;
	enum fw_product product;
	uint8_t hwid[KDS_HWID_MAX];
	size_t hwid_len;
	struct snp_tcb tcb; /* the SPLs of a VCEK request; fmc only for Turin */
	const char *why;    /* static text: why the status is not KDS_URL_OK */
};

/* Parse the request target `buf` (`len` bytes, not NUL-terminated: "/vcek/v1/Genoa/<hex>?blSPL=10&..."), as sent on
 * the request line.  Products are "Milan", "Genoa", "Turin" (as KDS spells them); SPLs are decimal, zero-padded or
 * not (snpguest pads to two digits, go-sev-guest does not), in any order, each exactly once; Turin requires fmcSPL,
 * the others refuse it; a query on a chain or CRL route is ignored; percent-encoding is not decoded (no valid target
 * needs it).  Targets longer than KDS_URL_MAX are 400.  Fills `out` and returns its status (out->why explains). */
enum kds_url_status kds_url_parse(const char *buf, size_t len, struct kds_request *out);

/* ---- The answers (service.c) ------------------------------------------------------------------------------- */

/* What a service revokes: serial numbers listed in its CRLs (FW_CERT_SERIAL_*, or any). */
#define KDS_REVOKED_MAX 16u

struct kds_service_config {
	uint64_t revoked[KDS_REVOKED_MAX];
	size_t n_revoked;
	int64_t now; /* thisUpdate of the CRLs (Unix time; 0 = the current time) */
};

/* Parse a --revoke value: "ask", "asvk", "vcek" (serial 0: every VCEK), "vlek" (the same serial), or a serial
 * number in hex ("0x20002") or decimal.  Returns 0 or -EINVAL. */
int kds_revoke_parse(const char *s, uint64_t *serial);

/* The answers of one platform.  The platform is borrowed (it must outlive the service); a VCEK is served only for
 * its product and its chip ID: the VCEK key of another chip derives from that chip's secret, which a KDS of this
 * platform does not hold, so another hwID is 404 as KDS answers a chip it does not know.  Any TCB of this chip is
 * served (the VCEK key derives from the chip secret and the TCB, as the firmware's).  The chains and CRLs are built
 * once here (the ARK/ASK keys take about a second the first time).  The VLEK routes need a platform created with
 * cfg.vlek (else 404).  Thread-safe after creation. */
struct kds_service;
int kds_service_new(struct fw_platform *platform, const struct kds_service_config *cfg, struct kds_service **out);
void kds_service_free(struct kds_service *s);

/* One answer: HTTP status, content type and body.  `body` points into the service or, if `owned`, is malloc'd and
 * freed by kds_response_release. */
struct kds_response {
	unsigned status;
	const char *content_type;
	const uint8_t *body;
	size_t len;
	bool owned;
};
/* Answer a request target (kds_url_parse, then the route).  Errors of the request get their status and a short text
 * body and return 0; a host failure is answered 500 and its -errno (-ENOMEM, -EIO) returned for the caller to log. */
int kds_service_answer(struct kds_service *s, const char *target, size_t len, struct kds_response *rsp);
void kds_response_release(struct kds_response *rsp);
/* Requests answered (any status) since creation. */
uint64_t kds_service_requests(const struct kds_service *s);

/* ---- The HTTP server (server.c) ------------------------------------------------------------------------------ */

struct kds_server_config {
	const char *address;	  /* IPv4 address to bind; NULL = "127.0.0.1" (loopback unless told) */
	uint16_t port;		  /* 0 = an ephemeral port (see kds_server_port) */
	unsigned max_connections; /* 0 = 32 */
	unsigned timeout_s;	  /* idle connection timeout; 0 = 10 s */
};

/* Start serving `svc` (borrowed) with GET only (other methods 405, request bodies refused), request targets up to
 * KDS_URL_MAX and header memory bounded per connection, on a thread of libmicrohttpd's.  Returns 0, -EINVAL (not an
 * IPv4 address), -EADDRINUSE/-EACCES/-EIO (could not listen), -ENOMEM. */
struct kds_server;
int kds_server_start(struct kds_service *svc, const struct kds_server_config *cfg, struct kds_server **out);
/* The port the server listens on. */
uint16_t kds_server_port(const struct kds_server *srv);
/* Stop accepting, close every connection, join the thread and free the server (NULL is fine). */
void kds_server_stop(struct kds_server *srv);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * `snpemu kds` throughput on loopback (issue 16): requests/s of one keep-alive libcurl client against the server on
 * 127.0.0.1, per route (the chain and the platform's own VCEK are served from memory; a VCEK at another TCB is
 * derived and signed per request), each beside the rate of the same answers made in-process (kds_service_answer, no
 * HTTP): the ratio is what the HTTP layer keeps of the service's own rate, and the difference the time HTTP on
 * loopback adds to each request.  No limit is set for this rate by the issue; it is reported.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <snpemu/kds.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	*(size_t *)ud += size * n;
	return size * n;
}

/* Requests per second over at least `secs` seconds; 0 on a failed request. */
static double http_rate(CURL *c, const char *url, double secs)
{
	size_t got = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
	unsigned n = 0;
	double t0 = now_s(), t;
	do {
		long status = 0;
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200)
			return 0;
		n++;
	} while ((t = now_s() - t0) < secs);
	return n / t;
}

static double local_rate(struct kds_service *svc, const char *target, double secs)
{
	unsigned n = 0;
	double t0 = now_s(), t;
	do {
		struct kds_response rsp;
		int rc = kds_service_answer(svc, target, strlen(target), &rsp);
		unsigned st = rsp.status;
		kds_response_release(&rsp);
		if (rc || st != 200)
			return 0;
		n++;
	} while ((t = now_s() - t0) < secs);
	return n / t;
}

int main(void)
{
	struct fw_platform_config cfg;
	struct fw_platform *p = NULL;
	struct kds_service *svc = NULL;
	struct kds_server *srv = NULL;
	struct kds_service_config sc = {.n_revoked = 1, .revoked = {FW_CERT_SERIAL_ASK}};
	struct kds_server_config scfg = {0};
	fw_platform_config_default(&cfg, FW_PRODUCT_GENOA);
	fw_platform_config_seed(&cfg, (const uint8_t *)"bench", 5);
	if (fw_platform_create(&cfg, &p) || kds_service_new(p, &sc, &svc) || kds_server_start(svc, &scfg, &srv)) {
		fprintf(stderr, "kds: cannot start the server\n");
		return 1;
	}
	char own[256], other[256], hex[129];
	const uint8_t *chip = fw_platform_chip_id(p);
	for (int i = 0; i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", chip[i]);
	const struct snp_tcb *t = &cfg.reported_tcb;
	snprintf(own, sizeof(own), "/vcek/v1/Genoa/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u", hex, t->bootloader,
		 t->tee, t->snp, t->microcode);
	snprintf(other, sizeof(other), "/vcek/v1/Genoa/%s?blSPL=1&teeSPL=1&snpSPL=1&ucodeSPL=1", hex);
	const struct {
		const char *name, *target;
	} routes[] = {
	    {"cert_chain (PEM ASK+ARK)", "/vcek/v1/Genoa/cert_chain"},
	    {"crl (DER)", "/vcek/v1/Genoa/crl"},
	    {"vcek, the platform's TCB", own},
	    {"vcek, another TCB (derived)", other},
	};
	CURL *c = curl_easy_init();
	int rc = c ? 0 : 1;
	printf("kds on 127.0.0.1:%u, one keep-alive client (libcurl), best of 3\n", kds_server_port(srv));
	for (size_t i = 0; !rc && i < sizeof(routes) / sizeof(routes[0]); i++) {
		char url[512];
		snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", kds_server_port(srv), routes[i].target);
		double h = 0, l = 0;
		for (int round = 0; round < 3; round++) { /* best of three: the machine is shared */
			double hr = http_rate(c, url, 0.5), lr = local_rate(svc, routes[i].target, 0.3);
			h = hr > h ? hr : h;
			l = lr > l ? lr : l;
			if (hr <= 0 || lr <= 0)
				h = l = 0;
			if (h <= 0)
				break;
		}
		if (h <= 0 || l <= 0) {
			fprintf(stderr, "kds: %s failed\n", routes[i].name);
			rc = 1;
			break;
		}
		printf(
		    "  %-28s %8.0f requests/s over HTTP, %10.0f/s in-process: ratio %.3f, HTTP adds %.1f us/request\n",
		    routes[i].name, h, l, h / l, (1 / h - 1 / l) * 1e6);
	}
	curl_easy_cleanup(c);
	kds_server_stop(srv);
	kds_service_free(svc);
	fw_platform_destroy(p);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The verifier's KDS client (libcurl): the URL of a report's VCEK as AMD's KDS forms it, and the fetch of the VCEK, the
 * product's chain and its CRL.  Answers are bounded (ATTEST_KDS_BODY_MAX) and checked for the shape their route
 * serves (one DER certificate; PEM ASK then ARK; a DER CRL) before the verifier sees them.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/attest.h>

int attest_kds_vcek_path(const struct attest_report *r, char *out, size_t cap)
{
	if (r->product != ATTEST_PRODUCT_MILAN && r->product != ATTEST_PRODUCT_GENOA &&
	    r->product != ATTEST_PRODUCT_TURIN)
		return -EINVAL;
	bool turin = r->tcb_layout == SNP_TCB_LAYOUT_TURIN;
	struct snp_tcb t = snp_tcb_decode(r->reported_tcb, r->tcb_layout);
	size_t hwid_len = turin ? 8 : SNP_CHIP_ID_SIZE; /* Turin: the first 8 bytes of CHIP_ID */
	char hex[2 * SNP_CHIP_ID_SIZE + 1];
	for (size_t i = 0; i < hwid_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->chip_id[i]);
	char fmc[16] = "";
	if (turin) /* fmcSPL comes first for Turin, as AMD's documentation and snpguest write it */
		snprintf(fmc, sizeof(fmc), "fmcSPL=%02u&", t.fmc);
	int n = snprintf(out, cap, "/vcek/v1/%s/%s?%sblSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
			 attest_product_name(r->product), hex, fmc, t.bootloader, t.tee, t.snp, t.microcode);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

struct body {
	uint8_t *data;
	size_t len;
	bool too_big, no_memory;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;
	if (b->len + n > ATTEST_KDS_BODY_MAX) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	uint8_t *grown = realloc(b->data, b->len + n + 1);
	if (!grown) {
		b->no_memory = true;
		return 0;
	}
	b->data = grown;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = 0;
	return n;
}

int attest_kds_get(const char *url, uint8_t **body, size_t *len, long *status, char *err, size_t err_cap)
{
	struct body b = {0};
	CURL *c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode cc = curl_easy_perform(c);
	int rc = 0;
	if (b.too_big)
		rc = -EFBIG;
	else if (b.no_memory)
		rc = -ENOMEM;
	else if (cc != CURLE_OK)
		rc = -EIO;
	if (rc && err_cap)
		snprintf(err, err_cap, "%.150s: %s", url,
			 rc == -EFBIG  ? "answer too large"
			 : curl_err[0] ? curl_err
				       : curl_easy_strerror(cc));
	if (!rc) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		if (!b.data && !(b.data = calloc(1, 1)))
			rc = -ENOMEM;
	}
	curl_easy_cleanup(c);
	if (rc) {
		free(b.data);
		return rc;
	}
	*body = b.data;
	*len = b.len;
	return 0;
}

/* GET base + path, expecting 200. */
static int get_ok(const char *base, const char *path, struct attest_kds_fetch *f, uint8_t **body, size_t *len)
{
	char url[1024];
	long status = 0;
	if (snprintf(url, sizeof(url), "%s%s", base, path) >= (int)sizeof(url)) {
		snprintf(f->error, sizeof(f->error), "KDS URL too long");
		return -EINVAL;
	}
	int rc = attest_kds_get(url, body, len, &status, f->error, sizeof(f->error));
	if (rc)
		return rc;
	if (status == 200)
		return 0;
	snprintf(f->error, sizeof(f->error), "%.150s: HTTP %ld", url, status);
	free(*body);
	*body = NULL;
	return status == 404 ? -ENOENT : -EPROTO;
}

/* The chain answer: PEM ASK (ASVK) then ARK. */
static int split_chain(const uint8_t *pem, size_t len, struct attest_kds_fetch *f)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	const uint8_t *second = len > 1 ? memmem(pem + 1, len - 1, begin, sizeof(begin) - 1) : NULL;
	int rc = second ? attest_pem_to_der(pem, (size_t)(second - pem), &f->ask, &f->ask_len) : -EINVAL;
	if (!rc)
		rc = attest_pem_to_der(second, len - (size_t)(second - pem), &f->ark, &f->ark_len);
	if (rc == -EINVAL)
		snprintf(f->error, sizeof(f->error), "cert_chain is not two PEM certificates (ASK, ARK)");
	return rc == -EINVAL ? -EPROTO : rc;
}

int attest_kds_fetch(const char *base_url, const struct attest_report *r, struct attest_kds_fetch *out)
{
	memset(out, 0, sizeof(*out));
	if (snp_signer_signing_key(r->signer_info) != SNP_SIGNING_KEY_VCEK) {
		snprintf(out->error, sizeof(out->error),
			 "the report is not VCEK-signed: a VLEK is not fetched by hwID");
		return -EINVAL;
	}
	char path[256], chain_path[64], crl_path[64];
	if (attest_kds_vcek_path(r, path, sizeof(path)) < 0) {
		snprintf(out->error, sizeof(out->error), "the report does not name its product (v2 report?)");
		return -EINVAL;
	}
	const char *product = attest_product_name(r->product);
	snprintf(chain_path, sizeof(chain_path), "/vcek/v1/%s/cert_chain", product);
	snprintf(crl_path, sizeof(crl_path), "/vcek/v1/%s/crl", product);
	uint8_t *chain = NULL;
	size_t chain_len;
	int rc = get_ok(base_url, path, out, &out->vcek, &out->vcek_len);
	if (rc == -ENOENT)
		snprintf(out->error + strlen(out->error), sizeof(out->error) - strlen(out->error),
			 " (the KDS does not know this chip)");
	if (!rc && (rc = attest_cert_parse_check(out->vcek, out->vcek_len)) == -EINVAL) {
		snprintf(out->error, sizeof(out->error), "the VCEK answer is not one DER certificate");
		rc = -EPROTO;
	}
	if (!rc && !(rc = get_ok(base_url, chain_path, out, &chain, &chain_len)))
		rc = split_chain(chain, chain_len, out);
	free(chain);
	if (!rc)
		rc = get_ok(base_url, crl_path, out, &out->crl, &out->crl_len);
	return rc;
}

void attest_kds_fetch_free(struct attest_kds_fetch *f)
{
	free(f->vcek);
	free(f->ask);
	free(f->ark);
	free(f->crl);
	f->vcek = f->ask = f->ark = f->crl = NULL;
}

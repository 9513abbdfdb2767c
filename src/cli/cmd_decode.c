/* SPDX-License-Identifier: MIT */
/*
 * snpemu decode ghcb|report|psc|certs FILE [--json]      snpemu decode msr VALUE [--json]
 *
 * Human (or JSON) descriptions of a GHCB page dump, an ATTESTATION_REPORT, a PSC descriptor, an extended-request
 * certificate table and a GHCB MSR value.  Exit 0 on success, 2 for a bad command line or a truncated or
 * malformed input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/names.h>
#include <snpemu/attest.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

#define TEXT_CAP (256u * 1024u)

enum { OPT_JSON = 'j' };

static const struct cli_option decode_options[] = {
    {"json", OPT_JSON, NULL, "print a JSON object instead of text", "text"},
    {NULL, 0, NULL, NULL, NULL},
};

static const struct cli_spec decode_spec = {
    .cmd = "decode",
    .synopsis = "ghcb|report|psc|certs FILE [--json]   |   decode msr VALUE [--json]",
    .description = "Name every field of a GHCB page dump (4096 bytes), an ATTESTATION_REPORT, a PSC descriptor, an\n"
		   "extended-request certificate table, or a GHCB MSR value.  FILE - reads stdin.",
    .opts = decode_options,
    .epilog = "\nexit status: 0 decoded, 1 out of memory, 2 usage error or a truncated or malformed input\n",
    .usage_status = CLI_EXIT_USAGE,
};

static int decode_option(void *ctx, int key, const char *v)
{
	(void)v;
	if (key != OPT_JSON)
		return cli_usage_error(&decode_spec, NULL, "internal: unhandled option");
	*(int *)ctx = 1;
	return 0;
}

/* Print a decoder's text, or a JSON text (NULL means the input was rejected or memory ran out). */
static int emit_json(char *s, const char *what)
{
	if (!s) {
		cli_error("decode", what, "cannot describe (malformed input or out of memory)");
		return CLI_EXIT_USAGE;
	}
	printf("%s\n", s);
	free(s);
	return CLI_EXIT_OK;
}

static int emit_text(struct snpemu_text *t)
{
	fputs(t->buf, stdout);
	if (t->truncated)
		printf("... (output truncated)\n");
	return CLI_EXIT_OK;
}

static int decode_ghcb(const char *path, const uint8_t *buf, size_t len, int json, struct snpemu_text *t)
{
	if (len != GHCB_PAGE_SIZE) {
		cli_error("decode", path, "a GHCB page dump is %u bytes, got %zu", GHCB_PAGE_SIZE, len);
		return CLI_EXIT_USAGE;
	}
	if (json)
		return emit_json(snpemu_decode_ghcb_json(buf, len), path);
	snpemu_decode_ghcb(buf, len, t);
	return emit_text(t);
}

static int decode_report(const char *path, const uint8_t *buf, size_t len, int json, struct snpemu_text *t)
{
	struct attest_report *r = malloc(sizeof(*r));
	if (!r)
		return CLI_EXIT_FAILURE;
	enum attest_parse_status st = attest_report_parse(buf, len, r);
	int rc;
	if (st != ATTEST_PARSE_OK) {
		cli_error("decode", path, "%s (got %zu bytes)", attest_parse_status_str(st), len);
		rc = CLI_EXIT_USAGE;
	} else if (json) {
		rc = emit_json(attest_report_json(r), path);
	} else {
		attest_report_describe(r, t);
		rc = emit_text(t);
	}
	free(r);
	return rc;
}

static int decode_psc(const char *path, const uint8_t *buf, size_t len, int json, struct snpemu_text *t)
{
	char why[128];
	if (snpemu_psc_validate(buf, len, why, sizeof(why))) {
		cli_error("decode", path, "malformed PSC descriptor: %s", why);
		return CLI_EXIT_USAGE;
	}
	if (json)
		return emit_json(snpemu_decode_psc_json(buf, len), path);
	snpemu_decode_psc(buf, len, t);
	return emit_text(t);
}

/* Seconds since the epoch as an ISO 8601 UTC date. */
static void utc_date(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

/* The library's table JSON with each entry's certificate summary (dates as epoch seconds and UTC) added. */
static char *certs_json(const struct attest_cert_table *table, const uint8_t *buf)
{
	char *base = attest_cert_table_json(table), *copy = NULL;
	json_object *root = base ? json_tokener_parse(base) : NULL, *entries;
	free(base);
	if (!root || !json_object_object_get_ex(root, "entries", &entries))
		goto out;
	for (unsigned int i = 0; i < table->count && i < json_object_array_length(entries); i++) {
		const struct attest_cert_entry *e = &table->entries[i];
		struct attest_cert_summary c;
		if (attest_cert_summary(buf + e->offset, e->length, &c))
			continue;
		char nb[32], na[32];
		utc_date(c.not_before, nb);
		utc_date(c.not_after, na);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "subject_cn", json_object_new_string(c.subject_cn));
		json_object_object_add(o, "issuer_cn", json_object_new_string(c.issuer_cn));
		json_object_object_add(o, "key", json_object_new_string(c.key));
		if (c.product[0])
			json_object_object_add(o, "product", json_object_new_string(c.product));
		json_object_object_add(o, "not_before", json_object_new_int64(c.not_before));
		json_object_object_add(o, "not_before_utc", json_object_new_string(nb));
		json_object_object_add(o, "not_after", json_object_new_int64(c.not_after));
		json_object_object_add(o, "not_after_utc", json_object_new_string(na));
		json_object_object_add(json_object_array_get_idx(entries, i), "certificate", o);
	}
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	copy = s ? strdup(s) : NULL;
out:
	json_object_put(root);
	return copy;
}

static int decode_certs(const char *path, const uint8_t *buf, size_t len, int json, struct snpemu_text *t)
{
	struct attest_cert_table *table = malloc(sizeof(*table));
	int rc;
	if (!table)
		return CLI_EXIT_FAILURE;
	if (attest_cert_table_parse(buf, len, table)) {
		cli_error("decode", path, "malformed certificate table: %s", table->error);
		rc = CLI_EXIT_USAGE;
	} else if (json) {
		rc = emit_json(certs_json(table, buf), path);
	} else {
		attest_cert_table_describe(table, t);
		for (unsigned int i = 0; i < table->count; i++) {
			const struct attest_cert_entry *e = &table->entries[i];
			struct attest_cert_summary c;
			char nb[32], na[32];
			if (attest_cert_summary(buf + e->offset, e->length, &c)) {
				snpemu_text_printf(t, "  %u: not an X.509 certificate\n", i);
				continue;
			}
			utc_date(c.not_before, nb);
			utc_date(c.not_after, na);
			snpemu_text_printf(t, "  %u: CN=%s issued by CN=%s, %s key%s%s, valid %s .. %s\n", i,
					   c.subject_cn, c.issuer_cn, c.key, c.product[0] ? ", product " : "",
					   c.product, nb, na);
		}
		rc = emit_text(t);
	}
	free(table);
	return rc;
}

static int decode_msr(const char *arg, int json, struct snpemu_text *t)
{
	uint64_t v;
	if (cli_parse_u64(arg, UINT64_MAX, &v)) {
		cli_error("decode", arg, "not a 64-bit number");
		return CLI_EXIT_USAGE;
	}
	if (json)
		return emit_json(snpemu_decode_msr_json(v), arg);
	snpemu_decode_msr(v, t);
	snpemu_text_printf(t, "\n");
	return emit_text(t);
}

static const struct {
	const char *what;
	int (*run)(const char *path, const uint8_t *buf, size_t len, int json, struct snpemu_text *t);
} file_decoders[] = {
    {"ghcb", decode_ghcb},
    {"report", decode_report},
    {"psc", decode_psc},
    {"certs", decode_certs},
};

int cli_cmd_decode(int argc, char **argv)
{
	int json = 0, operands;
	int rc = cli_parse_options(&decode_spec, argc, argv, decode_option, &json, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (argc - operands != 2)
		return cli_usage_error(&decode_spec, NULL, "expected a kind and a FILE or VALUE");
	const char *what = argv[operands], *arg = argv[operands + 1];
	struct snpemu_text t;
	char *text = malloc(TEXT_CAP);
	if (!text)
		return CLI_EXIT_FAILURE;
	snpemu_text_init(&t, text, TEXT_CAP);
	rc = -1;
	if (!strcmp(what, "msr"))
		rc = decode_msr(arg, json, &t);
	for (size_t i = 0; rc < 0 && i < sizeof(file_decoders) / sizeof(file_decoders[0]); i++) {
		if (strcmp(what, file_decoders[i].what))
			continue;
		uint8_t *buf;
		size_t len;
		int err = cli_read_file(arg, &buf, &len);
		if (err) {
			cli_error("decode", arg, "%s", strerror(-err));
			rc = CLI_EXIT_USAGE;
			break;
		}
		rc = file_decoders[i].run(arg, buf, len, json, &t);
		free(buf);
	}
	if (rc < 0)
		rc = cli_usage_error(&decode_spec, what, "unknown kind (ghcb, report, psc, certs or msr)");
	free(text);
	return rc;
}

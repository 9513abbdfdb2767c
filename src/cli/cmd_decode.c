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

#include <snpemu/abi/ghcb.h>
#include <snpemu/names.h>
#include <snpemu/attest.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

#define TEXT_CAP (256u * 1024u)

static void usage(FILE *out)
{
	fprintf(out, "usage: snpemu decode ghcb|report|psc|certs FILE [--json]\n"
		     "       snpemu decode msr VALUE [--json]\n");
}

/* Print a decoder's text, or a JSON text (NULL means the input was rejected or memory ran out). */
static int emit_json(char *s, const char *what)
{
	if (!s) {
		fprintf(stderr, "snpemu decode: %s: cannot describe (malformed input or out of memory)\n", what);
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
		fprintf(stderr, "snpemu decode: %s: a GHCB page dump is %u bytes, got %zu\n", path, GHCB_PAGE_SIZE,
			len);
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
		fprintf(stderr, "snpemu decode: %s: %s (got %zu bytes)\n", path, attest_parse_status_str(st), len);
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
		fprintf(stderr, "snpemu decode: %s: malformed PSC descriptor: %s\n", path, why);
		return CLI_EXIT_USAGE;
	}
	if (json)
		return emit_json(snpemu_decode_psc_json(buf, len), path);
	snpemu_decode_psc(buf, len, t);
	return emit_text(t);
}

static int decode_certs(const char *path, const uint8_t *buf, size_t len, int json, struct snpemu_text *t)
{
	struct attest_cert_table *table = malloc(sizeof(*table));
	int rc;
	if (!table)
		return CLI_EXIT_FAILURE;
	if (attest_cert_table_parse(buf, len, table)) {
		fprintf(stderr, "snpemu decode: %s: malformed certificate table: %s\n", path, table->error);
		rc = CLI_EXIT_USAGE;
	} else if (json) {
		rc = emit_json(attest_cert_table_json(table), path);
	} else {
		attest_cert_table_describe(table, t);
		for (unsigned int i = 0; i < table->count; i++) {
			const struct attest_cert_entry *e = &table->entries[i];
			struct attest_cert_summary c;
			if (attest_cert_summary(buf + e->offset, e->length, &c)) {
				snpemu_text_printf(t, "  %u: not an X.509 certificate\n", i);
				continue;
			}
			snpemu_text_printf(t, "  %u: CN=%s issued by CN=%s, %s key%s%s, valid %lld..%lld\n", i,
					   c.subject_cn, c.issuer_cn, c.key, c.product[0] ? ", product " : "",
					   c.product, (long long)c.not_before, (long long)c.not_after);
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
		fprintf(stderr, "snpemu decode: msr: '%s' is not a 64-bit number\n", arg);
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
	const char *what = NULL, *arg = NULL;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!what) {
			what = argv[i];
		} else if (!arg) {
			arg = argv[i];
		} else {
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!what || !arg) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	struct snpemu_text t;
	char *text = malloc(TEXT_CAP);
	if (!text)
		return CLI_EXIT_FAILURE;
	snpemu_text_init(&t, text, TEXT_CAP);
	int rc = -1;
	if (!strcmp(what, "msr"))
		rc = decode_msr(arg, json, &t);
	for (size_t i = 0; rc < 0 && i < sizeof(file_decoders) / sizeof(file_decoders[0]); i++) {
		if (strcmp(what, file_decoders[i].what))
			continue;
		uint8_t *buf;
		size_t len;
		int err = cli_read_file(arg, &buf, &len);
		if (err) {
			fprintf(stderr, "snpemu decode: %s: %s\n", arg, strerror(-err));
			rc = CLI_EXIT_USAGE;
			break;
		}
		rc = file_decoders[i].run(arg, buf, len, json, &t);
		free(buf);
	}
	if (rc < 0) {
		fprintf(stderr, "snpemu decode: unknown kind '%s'\n", what);
		usage(stderr);
		rc = CLI_EXIT_USAGE;
	}
	free(text);
	return rc;
}

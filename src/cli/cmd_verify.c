/* SPDX-License-Identifier: MIT */
/*
 * snpemu verify --report FILE [--report FILE...] --certs DIR [--ark FILE] [policy options] [--json]
 *
 * Verifies an ATTESTATION_REPORT against AMD's certificate chain and a policy (include/snpemu/attest.h).  The
 * certificates directory holds ark/ask/asvk/vcek/vlek as .pem, .der, .crt or .cer (snpguest's names), and/or a
 * cert_table.bin (the extended-request certificate table).  Exit 0 only if every check passes; 1 if a check
 * fails (the first failing one is named); 2 for a bad command line or an unreadable or malformed file.  With several
 * reports, each is verified against the same certificates (the chain once) and the status is the first non-zero
 * one; --json prints an array of results.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/attest.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

enum { ROLE_ARK, ROLE_ASK, ROLE_ASVK, ROLE_VCEK, ROLE_VLEK, ROLE_COUNT };

struct verify_inputs {
	uint8_t *der[ROLE_COUNT];
	size_t len[ROLE_COUNT];
	uint8_t *trusted;
	size_t trusted_len;
	const char **reports; /* the --report files */
};

static const char *const role_files[ROLE_COUNT] = {"ark", "ask", "asvk", "vcek", "vlek"};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: snpemu verify --report FILE [--report FILE...] --certs DIR [--ark FILE] [options] [--json]\n"
		"  --report FILE          a report to verify; repeat for several (the chain is verified once)\n"
		"  --certs DIR            ark/ask/asvk/vcek/vlek .pem|.der|.crt|.cer and/or cert_table.bin\n"
		"  --ark FILE             trusted AMD root certificate (PEM or DER)\n"
		"  --allow-debug          accept a guest policy with DEBUG set (default: fail)\n"
		"  --deny-smt             fail if the guest policy allows SMT\n"
		"  --allow-migrate-ma     accept a policy allowing a migration agent (default: fail)\n"
		"  --min-tcb SPEC         0xTCB_VERSION or bl=N,tee=N,snp=N,ucode=N[,fmc=N]\n"
		"  --min-fw MAJ.MIN[.BUILD]  minimum firmware version\n"
		"  --measurement HEX      expected MEASUREMENT (48 bytes)\n"
		"  --report-data HEX      expected REPORT_DATA (up to 64 bytes, zero-padded)\n"
		"  --host-data HEX        expected HOST_DATA (32 bytes)\n"
		"  --id-key-digest HEX    expected ID_KEY_DIGEST (48 bytes)\n"
		"  --vmpl N               expected VMPL\n"
		"  --report-version N     expected report VERSION\n"
		"  --time EPOCH           check certificate dates at this time (default: now)\n"
		"  --json                 print the result as a JSON object\n");
}

/* bl=N,tee=N,snp=N,ucode=N[,fmc=N], every SPL 0..255 and bl, tee, snp and ucode required. */
static int parse_tcb_parts(const char *s, struct snp_tcb *t)
{
	char buf[128];
	unsigned int seen = 0;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(t, 0, sizeof(*t));
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		static const char *const names[] = {"bl", "tee", "snp", "ucode", "fmc"};
		uint8_t *dst[] = {&t->bootloader, &t->tee, &t->snp, &t->microcode, &t->fmc};
		char *eq = strchr(tok, '=');
		uint64_t v;
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		unsigned int i = 0;
		while (i < 5 && strcmp(tok, names[i]))
			i++;
		if (i == 5 || (seen & 1u << i) || cli_parse_u64(eq + 1, 255, &v))
			return -EINVAL;
		*dst[i] = (uint8_t)v;
		seen |= 1u << i;
	}
	return (seen & 0xF) == 0xF ? 0 : -EINVAL;
}

static int parse_fw_version(const char *s, struct attest_verify_policy *p)
{
	unsigned int maj, min, build = 0;
	char extra;
	int n = sscanf(s, "%u.%u.%u%c", &maj, &min, &build, &extra);
	if ((n != 2 && n != 3) || maj > 255 || min > 255 || build > 255 || strspn(s, "0123456789.") != strlen(s))
		return -EINVAL;
	p->min_fw_major = (uint8_t)maj;
	p->min_fw_minor = (uint8_t)min;
	p->min_fw_build = (uint8_t)build;
	p->has_min_fw = true;
	return 0;
}

/* Load one role from DIR/<role>.{pem,der,crt,cer}.  0 (found or absent) or an error already printed. */
static int load_role(const char *dir, int role, struct verify_inputs *in)
{
	static const char *const exts[] = {"pem", "der", "crt", "cer"};
	char path[4096];
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.%s", dir, role_files[role], exts[i]);
		int rc = cli_load_cert(path, &in->der[role], &in->len[role]);
		if (rc == -ENOENT)
			continue;
		if (rc) {
			fprintf(stderr, "snpemu verify: %s: %s\n", path,
				rc == -EINVAL ? "malformed certificate (not one X.509 certificate in PEM or DER)"
					      : strerror(-rc));
			return rc;
		}
		return 0;
	}
	return 0;
}

/* Fill the roles still missing from DIR/cert_table.bin, if there is one. */
static int load_cert_table(const char *dir, struct verify_inputs *in)
{
	static const struct {
		enum attest_cert_kind kind;
		int role;
	} map[] = {{ATTEST_CERT_ARK, ROLE_ARK},
		   {ATTEST_CERT_ASK, ROLE_ASK},
		   {ATTEST_CERT_VCEK, ROLE_VCEK},
		   {ATTEST_CERT_VLEK, ROLE_VLEK}};
	char path[4096];
	uint8_t *buf;
	size_t len;
	struct attest_cert_table t;
	snprintf(path, sizeof(path), "%s/cert_table.bin", dir);
	int rc = cli_read_file(path, &buf, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc) {
		fprintf(stderr, "snpemu verify: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	if (attest_cert_table_parse(buf, len, &t)) {
		fprintf(stderr, "snpemu verify: %s: malformed certificate table: %s\n", path, t.error);
		free(buf);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const struct attest_cert_entry *e = attest_cert_table_find(&t, map[i].kind);
		int role = map[i].role;
		if (!e || in->der[role])
			continue;
		if (attest_cert_parse_check(buf + e->offset, e->length)) {
			fprintf(stderr, "snpemu verify: %s: the %s entry is not an X.509 certificate\n", path,
				attest_cert_kind_name(map[i].kind));
			free(buf);
			return -EINVAL;
		}
		in->der[role] = malloc(e->length);
		if (!in->der[role]) {
			free(buf);
			return -ENOMEM;
		}
		memcpy(in->der[role], buf + e->offset, e->length);
		in->len[role] = e->length;
	}
	free(buf);
	return 0;
}

static void print_human(const char *report_path, const struct attest_report *r, const struct attest_verify_result *res)
{
	unsigned int pass = 0, skip = 0;
	printf("report %s: version %u, %s\n", report_path, r->version, attest_product_name(r->product));
	for (int i = 0; i < ATTEST_CHECK_COUNT; i++) {
		const struct attest_check_result *c = &res->checks[i];
		pass += c->status == ATTEST_CHECK_PASS;
		skip += c->status == ATTEST_CHECK_SKIP;
		printf("  %-18s %-5s %s\n", attest_check_name((enum attest_check_id)i),
		       attest_check_status_name(c->status), c->detail);
	}
	if (res->first_failure < 0)
		printf("OK: %u checks passed, %u skipped\n", pass, skip);
	else
		printf("FAILED: first failing check: %s (%s)\n",
		       attest_check_name((enum attest_check_id)res->first_failure),
		       res->checks[res->first_failure].detail);
}

/* Verify one report file against the loaded certificates; prints its result.  A CLI exit status. */
static int verify_one(const char *report_path, const char *min_tcb, const struct attest_verify_policy *policy,
		      const struct verify_inputs *in, struct attest_verify_cache *cache, int json, bool not_first)
{
	uint8_t *buf;
	size_t len;
	struct attest_report report;
	struct attest_verify_policy pol = *policy;
	int rc = cli_read_file(report_path, &buf, &len);
	if (rc) {
		fprintf(stderr, "snpemu verify: %s: %s\n", report_path, strerror(-rc));
		return CLI_EXIT_USAGE;
	}
	enum attest_parse_status ps = attest_report_parse(buf, len, &report);
	free(buf);
	if (ps != ATTEST_PARSE_OK) {
		fprintf(stderr, "snpemu verify: %s: %s (got %zu bytes)\n", report_path, attest_parse_status_str(ps),
			len);
		return CLI_EXIT_USAGE;
	}
	if (min_tcb) {
		uint64_t raw;
		pol.has_min_tcb = true;
		if (!strncmp(min_tcb, "0x", 2) && !cli_parse_u64(min_tcb, UINT64_MAX, &raw)) {
			pol.min_tcb = snp_tcb_decode(raw, report.tcb_layout);
		} else if (parse_tcb_parts(min_tcb, &pol.min_tcb)) {
			fprintf(stderr,
				"snpemu verify: --min-tcb: expected 0xTCB or bl=N,tee=N,snp=N,ucode=N[,fmc=N]\n");
			return CLI_EXIT_USAGE;
		}
	}

	bool vlek = snp_signer_signing_key(report.signer_info) == SNP_SIGNING_KEY_VLEK;
	int ask_role = vlek && in->der[ROLE_ASVK] ? ROLE_ASVK : ROLE_ASK;
	struct attest_verify_certs certs = {
	    .ark = in->der[ROLE_ARK],
	    .ark_len = in->len[ROLE_ARK],
	    .ask = in->der[ask_role],
	    .ask_len = in->len[ask_role],
	    .vcek = in->der[ROLE_VCEK],
	    .vcek_len = in->len[ROLE_VCEK],
	    .vlek = in->der[ROLE_VLEK],
	    .vlek_len = in->len[ROLE_VLEK],
	    .trusted_ark = in->trusted,
	    .trusted_ark_len = in->trusted_len,
	};
	struct attest_verify_result res;
	rc = attest_verify_cached(cache, &report, &certs, &pol, &res);
	if (rc < 0) {
		fprintf(stderr, "snpemu verify: %s\n", strerror(-rc));
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		char *s = attest_verify_result_json(&res);
		if (!s) {
			fprintf(stderr, "snpemu verify: out of memory\n");
			return CLI_EXIT_FAILURE;
		}
		printf("%s%s", not_first ? ",\n" : "", s);
		free(s);
	} else {
		print_human(report_path, &report, &res);
	}
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int run(int argc, char **argv, struct verify_inputs *in)
{
	const char *certs_dir = NULL, *ark_path = NULL, *min_tcb = NULL;
	const char **reports = calloc((size_t)argc, sizeof(*reports)); /* --report, as often as given */
	int n_reports = 0;
	if (!reports) {
		fprintf(stderr, "snpemu verify: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	in->reports = reports;
	int json = 0;
	struct attest_verify_policy pol;
	attest_verify_policy_default(&pol);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		int bad = 0, takes = 1;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(a, "--json")) {
			json = 1, takes = 0;
		} else if (!strcmp(a, "--allow-debug")) {
			pol.allow_debug = true, takes = 0;
		} else if (!strcmp(a, "--deny-smt")) {
			pol.deny_smt = true, takes = 0;
		} else if (!strcmp(a, "--allow-migrate-ma")) {
			pol.allow_migrate_ma = true, takes = 0;
		} else if (!v) {
			bad = 1;
		} else if (!strcmp(a, "--report")) {
			reports[n_reports++] = v;
		} else if (!strcmp(a, "--certs")) {
			certs_dir = v;
		} else if (!strcmp(a, "--ark")) {
			ark_path = v;
		} else if (!strcmp(a, "--min-tcb")) {
			min_tcb = v;
		} else if (!strcmp(a, "--min-fw")) {
			bad = parse_fw_version(v, &pol) != 0;
		} else if (!strcmp(a, "--measurement")) {
			bad = cli_parse_hex(v, pol.measurement, sizeof(pol.measurement), 0) != 0;
			pol.has_measurement = true;
		} else if (!strcmp(a, "--report-data")) {
			bad = cli_parse_hex(v, pol.report_data, sizeof(pol.report_data), 1) != 0;
			pol.has_report_data = true;
		} else if (!strcmp(a, "--host-data")) {
			bad = cli_parse_hex(v, pol.host_data, sizeof(pol.host_data), 0) != 0;
			pol.has_host_data = true;
		} else if (!strcmp(a, "--id-key-digest")) {
			bad = cli_parse_hex(v, pol.id_key_digest, sizeof(pol.id_key_digest), 0) != 0;
			pol.has_id_key_digest = true;
		} else if (!strcmp(a, "--vmpl")) {
			bad = cli_parse_u64(v, UINT32_MAX, &n) != 0;
			pol.vmpl = (uint32_t)n, pol.has_vmpl = true;
		} else if (!strcmp(a, "--report-version")) {
			bad = cli_parse_u64(v, UINT32_MAX, &n) != 0;
			pol.version = (uint32_t)n, pol.has_version = true;
		} else if (!strcmp(a, "--time")) {
			bad = cli_parse_u64(v, INT64_MAX, &n) != 0 || n == 0;
			pol.now = (int64_t)n;
		} else {
			fprintf(stderr, "snpemu verify: unknown option '%s'\n", a);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "snpemu verify: %s: %s\n", a, v ? "invalid value" : "missing value");
			return CLI_EXIT_USAGE;
		}
		i += takes;
	}
	if (!n_reports || !certs_dir) {
		fprintf(stderr, "snpemu verify: --report and --certs are required\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}

	for (int role = 0; role < ROLE_COUNT; role++)
		if (load_role(certs_dir, role, in))
			return CLI_EXIT_USAGE;
	if (load_cert_table(certs_dir, in))
		return CLI_EXIT_USAGE;
	int rc;
	if (ark_path && (rc = cli_load_cert(ark_path, &in->trusted, &in->trusted_len))) {
		fprintf(stderr, "snpemu verify: %s: %s\n", ark_path,
			rc == -EINVAL ? "malformed certificate" : strerror(-rc));
		return CLI_EXIT_USAGE;
	}
	/* Several reports share the chain: each distinct chain is verified once (the library's chain cache). */
	struct attest_verify_cache *cache;
	if (attest_verify_cache_new(&cache)) {
		fprintf(stderr, "snpemu verify: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	int status = CLI_EXIT_OK;
	if (json && n_reports > 1)
		printf("[\n");
	for (int i = 0; i < n_reports; i++) {
		int st = verify_one(reports[i], min_tcb, &pol, in, cache, json, i > 0);
		if (st != CLI_EXIT_OK && status == CLI_EXIT_OK)
			status = st;
		if (st == CLI_EXIT_USAGE) /* an unreadable or malformed report stops the run */
			break;
	}
	if (json && n_reports > 1)
		printf("\n]\n");
	attest_verify_cache_free(cache);
	return status;
}

int cli_cmd_verify(int argc, char **argv)
{
	struct verify_inputs in;
	memset(&in, 0, sizeof(in));
	int rc = run(argc, argv, &in);
	for (int i = 0; i < ROLE_COUNT; i++)
		free(in.der[i]);
	free(in.trusted);
	free(in.reports);
	return rc;
}

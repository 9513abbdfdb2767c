/* SPDX-License-Identifier: MIT */
/*
 * snpemu verify --report FILE [--report FILE...] --certs DIR|--kds URL [--ark FILE] [policy options] [--json]
 *
 * Verifies ATTESTATION_REPORTs against AMD's certificate chain and a policy (include/snpemu/attest.h).  The
 * certificates directory holds ark/ask/asvk/vcek/vlek as .pem, .der, .crt or .cer (snpguest's names), and/or a
 * cert_table.bin (the extended-request certificate table).  Exit 0 only if every check passes; 1 if a check
 * fails (the first failing one is named); 2 for a bad command line or an unreadable or malformed file.  With several
 * reports, each is verified against the same certificates (each distinct chain once, through the library's chain
 * cache) and the status is the first non-zero one; --json prints an array of results.  With --kds URL the certificates
 * come from a Key Distribution Service instead (attest_kds_fetch: each report's VCEK by its CHIP_ID and REPORTED_TCB,
 * the chain and the ARK's CRL, which adds the not_revoked check); a fetch that fails is a failure (1).  The root of
 * trust is --ark, else AMD's genuine ARK of the product built in; without either, ark_trusted fails unless
 * --insecure-no-root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <snpemu/attest.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

enum { ROLE_ARK, ROLE_ASK, ROLE_ASVK, ROLE_VCEK, ROLE_VLEK, ROLE_COUNT };

struct verify_inputs {
	uint8_t *der[ROLE_COUNT];
	size_t len[ROLE_COUNT];
	uint8_t *trusted;
	size_t trusted_len;
	const char **reports; /* the --report files (freed with the inputs) */
};

static const char *const role_files[ROLE_COUNT] = {"ark", "ask", "asvk", "vcek", "vlek"};

enum {
	OPT_REPORT = 'r',
	OPT_CERTS = 'c',
	OPT_ARK = 256,
	OPT_ALLOW_DEBUG,
	OPT_DENY_SMT,
	OPT_ALLOW_MIGRATE_MA,
	OPT_MIN_TCB,
	OPT_MIN_FW,
	OPT_MEASUREMENT,
	OPT_REPORT_DATA,
	OPT_HOST_DATA,
	OPT_ID_KEY_DIGEST,
	OPT_VMPL,
	OPT_REPORT_VERSION,
	OPT_TIME,
	OPT_JSON,
	OPT_KDS,
	OPT_INSECURE_NO_ROOT,
};

static const struct cli_option verify_options[] = {
    {"report", OPT_REPORT, "FILE", "an ATTESTATION_REPORT to verify (- for stdin); repeat for several", NULL},
    {"certs", OPT_CERTS, "DIR", "ark/ask/asvk/vcek/vlek .pem|.der|.crt|.cer and/or cert_table.bin", NULL},
    {"kds", OPT_KDS, "URL", "fetch VCEK, chain and CRL from this Key Distribution Service (http://host:port)", NULL},
    {"ark", OPT_ARK, "FILE", "trusted root certificate (PEM or DER) the chain's ARK must equal",
     "AMD's genuine ARK of the product, built in"},
    {"insecure-no-root", OPT_INSECURE_NO_ROOT, NULL, "accept a chain anchored at an ARK nobody vouched for", "fail"},
    {"allow-debug", OPT_ALLOW_DEBUG, NULL, "accept a guest policy with DEBUG set", "fail"},
    {"deny-smt", OPT_DENY_SMT, NULL, "fail if the guest policy allows SMT", "accept"},
    {"allow-migrate-ma", OPT_ALLOW_MIGRATE_MA, NULL, "accept a policy allowing a migration agent", "fail"},
    {"min-tcb", OPT_MIN_TCB, "SPEC", "minimum TCB: 0xTCB_VERSION or bl=N,tee=N,snp=N,ucode=N[,fmc=N]", "none"},
    {"min-fw", OPT_MIN_FW, "MAJ.MIN[.BUILD]", "minimum firmware version", "none"},
    {"measurement", OPT_MEASUREMENT, "HEX", "expected MEASUREMENT (48 bytes)", "not checked"},
    {"report-data", OPT_REPORT_DATA, "HEX", "expected REPORT_DATA (up to 64 bytes, zero-padded)", "not checked"},
    {"host-data", OPT_HOST_DATA, "HEX", "expected HOST_DATA (32 bytes)", "not checked"},
    {"id-key-digest", OPT_ID_KEY_DIGEST, "HEX", "expected ID_KEY_DIGEST (48 bytes)", "not checked"},
    {"vmpl", OPT_VMPL, "N", "expected VMPL, 0..3", "not checked"},
    {"report-version", OPT_REPORT_VERSION, "N", "expected report VERSION", "not checked"},
    {"time", OPT_TIME, "EPOCH", "check certificate dates at this time (seconds since 1970)", "now"},
    {"json", OPT_JSON, NULL, "print the result as a JSON object", "text"},
    {NULL, 0, NULL, NULL, NULL},
};

static const int verify_exclusive[][2] = {{OPT_KDS, OPT_CERTS}, {0, 0}};

static const struct cli_spec verify_spec = {
    .cmd = "verify",
    .synopsis = "--report FILE [--report FILE...] --certs DIR|--kds URL [options]",
    .exclusive = verify_exclusive,
    .description = "Verify an SNP attestation report: the AMD chain ARK -> ASK -> VCEK (RSASSA-PSS), the report's "
		   "ECDSA P-384\nsignature, the VCEK's extensions against the report, and the policy options "
		   "below.  Every check is\nlisted; the first failing one is named.",
    .opts = verify_options,
    .epilog = "\nexit status: 0 every check passed, 1 a check failed, 2 usage error or an unreadable or "
	      "malformed input\n",
    .usage_status = CLI_EXIT_USAGE,
};

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
			cli_error("verify", path, "%s",
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
		cli_error("verify", path, "%s", strerror(-rc));
		return rc;
	}
	if (attest_cert_table_parse(buf, len, &t)) {
		cli_error("verify", path, "malformed certificate table: %s", t.error);
		free(buf);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const struct attest_cert_entry *e = attest_cert_table_find(&t, map[i].kind);
		int role = map[i].role;
		if (!e || in->der[role])
			continue;
		if (attest_cert_parse_check(buf + e->offset, e->length)) {
			cli_error("verify", path, "the %s entry is not an X.509 certificate",
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

struct verify_args {
	const char **reports; /* --report, as often as given */
	int n_reports;
	const char *certs_dir, *ark_path, *min_tcb, *kds_url;
	int json;
	struct attest_verify_policy pol;
};

static int verify_option(void *ctx, int key, const char *v)
{
	struct verify_args *a = ctx;
	struct attest_verify_policy *pol = &a->pol;
	uint64_t n;
	int bad = 0;
	switch (key) {
	case OPT_REPORT:
		a->reports[a->n_reports++] = v; /* sized for argc: never more than the arguments */
		break;
	case OPT_CERTS:
		a->certs_dir = v;
		break;
	case OPT_ARK:
		a->ark_path = v;
		break;
	case OPT_ALLOW_DEBUG:
		pol->allow_debug = true;
		break;
	case OPT_DENY_SMT:
		pol->deny_smt = true;
		break;
	case OPT_ALLOW_MIGRATE_MA:
		pol->allow_migrate_ma = true;
		break;
	case OPT_MIN_TCB:
		a->min_tcb = v;
		break;
	case OPT_MIN_FW:
		bad = parse_fw_version(v, pol) != 0;
		break;
	case OPT_MEASUREMENT:
		bad = cli_parse_hex(v, pol->measurement, sizeof(pol->measurement), 0) != 0;
		pol->has_measurement = true;
		break;
	case OPT_REPORT_DATA:
		bad = cli_parse_hex(v, pol->report_data, sizeof(pol->report_data), 1) != 0;
		pol->has_report_data = true;
		break;
	case OPT_HOST_DATA:
		bad = cli_parse_hex(v, pol->host_data, sizeof(pol->host_data), 0) != 0;
		pol->has_host_data = true;
		break;
	case OPT_ID_KEY_DIGEST:
		bad = cli_parse_hex(v, pol->id_key_digest, sizeof(pol->id_key_digest), 0) != 0;
		pol->has_id_key_digest = true;
		break;
	case OPT_VMPL:
		bad = cli_parse_u64(v, 3, &n) != 0;
		pol->vmpl = (uint32_t)n, pol->has_vmpl = true;
		break;
	case OPT_REPORT_VERSION:
		bad = cli_parse_u64(v, UINT32_MAX, &n) != 0;
		pol->version = (uint32_t)n, pol->has_version = true;
		break;
	case OPT_TIME:
		bad = cli_parse_u64(v, INT64_MAX, &n) != 0 || n == 0;
		pol->now = (int64_t)n;
		break;
	case OPT_JSON:
		a->json = 1;
		break;
	case OPT_KDS:
		a->kds_url = v;
		break;
	case OPT_INSECURE_NO_ROOT:
		pol->insecure_no_root = true;
		break;
	default:
		return cli_usage_error(&verify_spec, NULL, "internal: unhandled option");
	}
	return bad ? cli_usage_error(&verify_spec, v, "invalid value for --%s", cli_option_name(&verify_spec, key)) : 0;
}

/* Verify one report file against the loaded certificates and print its result.  A CLI exit status. */
static int verify_one(const char *report_path, const struct verify_args *a, const struct verify_inputs *in,
		      struct attest_verify_cache *cache, bool not_first)
{
	uint8_t *buf;
	size_t len;
	struct attest_report report;
	struct attest_verify_policy pol = a->pol;
	int rc = cli_read_file(report_path, &buf, &len);
	if (rc) {
		cli_error("verify", report_path, "%s", strerror(-rc));
		return CLI_EXIT_USAGE;
	}
	enum attest_parse_status ps = attest_report_parse(buf, len, &report);
	free(buf);
	if (ps != ATTEST_PARSE_OK) {
		cli_error("verify", report_path, "%s (got %zu bytes)", attest_parse_status_str(ps), len);
		return CLI_EXIT_USAGE;
	}
	if (a->min_tcb) {
		uint64_t raw;
		pol.has_min_tcb = true;
		if (!strncmp(a->min_tcb, "0x", 2) && !cli_parse_u64(a->min_tcb, UINT64_MAX, &raw)) {
			pol.min_tcb = snp_tcb_decode(raw, report.tcb_layout);
		} else if (parse_tcb_parts(a->min_tcb, &pol.min_tcb)) {
			return cli_usage_error(&verify_spec, a->min_tcb,
					       "--min-tcb wants 0xTCB or bl=N,tee=N,snp=N,ucode=N[,fmc=N]");
		}
	}
	struct attest_kds_fetch fetched = {0};
	if (a->kds_url && (rc = attest_kds_fetch(a->kds_url, &report, &fetched))) {
		cli_error("verify", report_path, "%s", fetched.error);
		attest_kds_fetch_free(&fetched);
		return CLI_EXIT_FAILURE;
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
	if (a->kds_url) {
		certs.ark = fetched.ark, certs.ark_len = fetched.ark_len;
		certs.ask = fetched.ask, certs.ask_len = fetched.ask_len;
		certs.vcek = fetched.vcek, certs.vcek_len = fetched.vcek_len;
		certs.crl = fetched.crl, certs.crl_len = fetched.crl_len;
	}
	struct attest_verify_result res;
	rc = attest_verify_cached(cache, &report, &certs, &pol, &res);
	attest_kds_fetch_free(&fetched);
	if (rc < 0) {
		cli_error("verify", report_path, "%s", strerror(-rc));
		return CLI_EXIT_FAILURE;
	}
	if (a->json) {
		char *s = attest_verify_result_json(&res);
		if (!s) {
			cli_error("verify", NULL, "out of memory");
			return CLI_EXIT_FAILURE;
		}
		printf("%s%s", not_first ? ",\n" : "", s);
		free(s);
	} else {
		print_human(report_path, &report, &res);
	}
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int load_certs_dir(const char *certs_dir, struct verify_inputs *in);
static int verify_all(const struct verify_args *a, const struct verify_inputs *in);

static int run(int argc, char **argv, struct verify_inputs *in)
{
	struct verify_args a = {0};
	int operands;
	a.reports = in->reports = calloc((size_t)argc + 1, sizeof(*a.reports));
	if (!a.reports) {
		cli_error("verify", NULL, "out of memory");
		return CLI_EXIT_FAILURE;
	}
	attest_verify_policy_default(&a.pol);
	int rc = cli_parse_options(&verify_spec, argc, argv, verify_option, &a, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (operands < argc)
		return cli_usage_error(&verify_spec, argv[operands], "unexpected argument");
	if (!a.n_reports || (!a.certs_dir && !a.kds_url))
		return cli_usage_error(&verify_spec, NULL, "--report and --certs (or --kds) are required");
	const char *certs_dir = a.certs_dir, *ark_path = a.ark_path;
	if (ark_path && (rc = cli_load_cert(ark_path, &in->trusted, &in->trusted_len))) {
		cli_error("verify", ark_path, "%s", rc == -EINVAL ? "malformed certificate" : strerror(-rc));
		return CLI_EXIT_USAGE;
	}
	if (!a.kds_url && (rc = load_certs_dir(certs_dir, in)))
		return rc;
	return verify_all(&a, in);
}

/* The certificates of DIR into `in`.  0, or an exit status after a message. */
static int load_certs_dir(const char *certs_dir, struct verify_inputs *in)
{
	struct stat st;
	if (stat(certs_dir, &st)) {
		cli_error("verify", certs_dir, "%s", strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		cli_error("verify", certs_dir, "not a directory");
		return CLI_EXIT_USAGE;
	}
	for (int role = 0; role < ROLE_COUNT; role++)
		if (load_role(certs_dir, role, in))
			return CLI_EXIT_USAGE;
	if (load_cert_table(certs_dir, in))
		return CLI_EXIT_USAGE;
	int found = 0;
	for (int role = 0; role < ROLE_COUNT; role++)
		found += in->der[role] != NULL;
	if (!found) {
		cli_error("verify", certs_dir,
			  "no certificate found (ark/ask/vcek .pem|.der|.crt|.cer or cert_table.bin)");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* Verify every report; the first non-zero status. */
static int verify_all(const struct verify_args *a, const struct verify_inputs *in)
{
	/* Several reports share the chain: each distinct chain is verified once (the library's chain cache). */
	struct attest_verify_cache *cache;
	if (attest_verify_cache_new(&cache)) {
		cli_error("verify", NULL, "out of memory");
		return CLI_EXIT_FAILURE;
	}
	int status = CLI_EXIT_OK;
	bool array = a->json && a->n_reports > 1;
	if (array)
		printf("[\n");
	for (int i = 0; i < a->n_reports; i++) {
		int one = verify_one(a->reports[i], a, in, cache, i > 0);
		if (one != CLI_EXIT_OK && status == CLI_EXIT_OK)
			status = one;
		if (one == CLI_EXIT_USAGE) /* an unreadable or malformed report stops the run */
			break;
	}
	if (a->json)
		printf(array ? "\n]\n" : "\n");
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

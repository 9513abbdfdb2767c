/* SPDX-License-Identifier: MIT */
/*
 * snpemu measure: the expected SNP launch digest of a QEMU/OVMF-style launch, with the options of virtee's
 * sev-snp-measure (--mode snp, --vcpus, --vcpu-type/--vcpu-sig/--vcpu-family..., --ovmf, --kernel/--initrd/--append,
 * --guest-features, --vmm-type, --snp-ovmf-hash, --output-format).  --dump-vmsa takes a directory here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snpemu/attest.h>

#include "cli/cli.h"
#include "common/hex.h"

struct measure_opts {
	const char *mode;
	const char *ovmf, *kernel, *initrd, *append;
	const char *vcpu_type, *vcpu_sig, *family, *model, *stepping;
	const char *vcpus, *vmm_type, *vmm_version, *features, *ovmf_hash, *format, *dump_dir;
	int verbose;
};

#define OVMF_MAX_LEN 0x100000000ull /* the image ends at 4 GiB */

struct file_buf {
	uint8_t *data;
	size_t len;
};

enum {
	OPT_MODE = 256,
	OPT_OVMF,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_APPEND,
	OPT_VCPUS,
	OPT_TYPE,
	OPT_SIG,
	OPT_FAMILY,
	OPT_MODEL,
	OPT_STEPPING,
	OPT_VMM,
	OPT_VMMVER,
	OPT_FEATURES,
	OPT_HASH,
	OPT_FORMAT,
	OPT_DUMP,
	OPT_VERBOSE = 'v',
};

static const struct cli_option measure_options[] = {
    {"mode", OPT_MODE, "snp|snp:ovmf-hash", "the launch digest, or only the OVMF hash to pass as --snp-ovmf-hash",
     "snp"},
    {"ovmf", OPT_OVMF, "FILE", "the OVMF image (its SEV metadata and reset vector); - for stdin", NULL},
    {"vcpus", OPT_VCPUS, "N", "vCPUs, 1..4096 (one VMSA each)", NULL},
    {"vcpu-type", OPT_TYPE, "T", "vCPU model name (list below), for the VMSA's signature", NULL},
    {"vcpu-sig", OPT_SIG, "SIG", "vCPU signature (CPUID 1 EAX) as a number", NULL},
    {"vcpu-family", OPT_FAMILY, "F", "vCPU family (with --vcpu-model and --vcpu-stepping)", NULL},
    {"vcpu-model", OPT_MODEL, "M", "vCPU model", NULL},
    {"vcpu-stepping", OPT_STEPPING, "S", "vCPU stepping", NULL},
    {"vmm-type", OPT_VMM, "qemu|ec2|gce", "the VMM whose VMSA layout to use", "qemu"},
    {"vmm-version", OPT_VMMVER, "N", "the VMM's VMSA variant (EC2: 1 or 2; QEMU, GCE: 1)", "the latest"},
    {"guest-features", OPT_FEATURES, "HEX", "SEV_FEATURES of the VMSA", "0x1 (SNPActive)"},
    {"kernel", OPT_KERNEL, "FILE", "kernel measured through OVMF's hash table", "none"},
    {"initrd", OPT_INITRD, "FILE", "initrd (with --kernel)", "none"},
    {"append", OPT_APPEND, "CMDLINE", "kernel command line (with --kernel)", "none"},
    {"snp-ovmf-hash", OPT_HASH, "HEX", "start from this OVMF hash (96 hex digits) instead of hashing --ovmf", "none"},
    {"output-format", OPT_FORMAT, "hex|base64", "how to print the digest", "hex"},
    {"dump-vmsa", OPT_DUMP, "DIR", "also write each vCPU's VMSA page as DIR/vmsaN.bin", "none"},
    {"verbose", OPT_VERBOSE, NULL, "label the printed digest", "off"},
    {NULL, 0, NULL, NULL, NULL},
};

static void measure_vcpu_types(FILE *out)
{
	fprintf(out, "\nvCPU types:");
	for (size_t i = 0; attest_vcpu_type_name(i); i++)
		fprintf(out, "%s %s", i % 8 ? "" : "\n ", attest_vcpu_type_name(i));
	fprintf(out, "\n");
}

static const struct cli_spec measure_spec = {
    .cmd = "measure",
    .synopsis = "--ovmf FILE --vcpus N (--vcpu-type T | --vcpu-sig SIG | --vcpu-family F ...) [options]",
    .description = "Compute the SNP launch digest a QEMU/OVMF launch produces, with the options of "
		   "sev-snp-measure.",
    .opts = measure_options,
    .epilog = "\nexit status: 0 printed, 1 a VMSA could not be written, 2 usage error or an unreadable or "
	      "malformed input\n",
    .usage_status = CLI_EXIT_USAGE,
    .extra_help = measure_vcpu_types,
};

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "snpemu measure: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see snpemu %s --help)\n", measure_spec.cmd);
	return CLI_EXIT_USAGE;
}

/* A whole number in C notation (decimal, 0x hex, 0 octal) no larger than `max`. */
static int parse_number(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (!text[0] || text[0] == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* stdin to its end, growing the buffer; at most `max` bytes (-EFBIG beyond). */
static int read_stdin(uint64_t max, struct file_buf *out)
{
	size_t cap = 0;
	for (;;) {
		if (out->len == cap) {
			size_t grow = cap ? 2 * cap : 1u << 20;
			uint8_t *p = cap > max ? NULL : realloc(out->data, grow);
			if (!p) {
				free(out->data);
				out->data = NULL;
				return cap > max ? -EFBIG : -ENOMEM;
			}
			out->data = p;
			cap = grow;
		}
		ssize_t n = read(0, out->data + out->len, cap - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : out->len > max ? -EFBIG : 0;
			if (err) {
				free(out->data);
				out->data = NULL;
			}
			return err;
		}
		out->len += (size_t)n;
	}
}

/* Read a whole file ("-": stdin); at most `max` bytes (-EFBIG beyond). */
static int read_file(const char *path, uint64_t max, struct file_buf *out)
{
	out->data = NULL;
	out->len = 0;
	if (!strcmp(path, "-"))
		return read_stdin(max, out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int err = 0;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out_close;
	}
	/* Character devices such as /dev/null read as empty, as sev-snp-measure treats them. */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		err = -EFBIG;
		goto out_close;
	}
	size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
	out->data = malloc(cap ? cap : 1);
	if (!out->data) {
		err = -ENOMEM;
		goto out_close;
	}
	while (out->len < cap) {
		ssize_t n = read(fd, out->data + out->len, cap - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break; /* the file shrank: measure what is there */
		out->len += (size_t)n;
	}
	if (err) {
		free(out->data);
		out->data = NULL;
	}
out_close:
	close(fd);
	return err;
}

static int parse_hex48(const char *text, uint8_t out[ATTEST_MEASURE_DIGEST_LEN])
{
	if (strlen(text) != 2 * ATTEST_MEASURE_DIGEST_LEN)
		return -EINVAL;
	return snpemu_hex_decode(text, ATTEST_MEASURE_DIGEST_LEN, out) ? -EINVAL : 0;
}

static void print_digest(const uint8_t *d, size_t n, int base64, const char *label)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (label)
		printf("%s: ", label);
	if (!base64) {
		for (size_t i = 0; i < n; i++)
			printf("%02x", d[i]);
		printf("\n");
		return;
	}
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v =
		    (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
		putchar(b64[v >> 18 & 63]);
		putchar(b64[v >> 12 & 63]);
		putchar(i + 1 < n ? b64[v >> 6 & 63] : '=');
		putchar(i + 2 < n ? b64[v & 63] : '=');
	}
	printf("\n");
}

static int dump_vmsas(const char *dir, const struct attest_ovmf_info *info, const struct attest_vmsa_params *params,
		      unsigned vcpus)
{
	struct cli_output out;
	int rc = CLI_EXIT_FAILURE;
	cli_output_init(&out, "measure");
	if (cli_output_dir(&out, dir))
		goto out;
	for (unsigned i = 0; i < vcpus; i++) {
		uint8_t page[ATTEST_PAGE_SIZE];
		char name[32];
		int err = attest_measure_vmsa_page(info, params, i, page);
		if (err) {
			cli_error("measure", NULL, "%s", attest_measure_strerror(err));
			goto out;
		}
		snprintf(name, sizeof(name), "vmsa%u.bin", i);
		if (cli_output_write(&out, dir, name, page, sizeof(page)))
			goto out;
	}
	if (!cli_output_commit(&out, false))
		rc = CLI_EXIT_OK;
out:
	cli_output_abort(&out);
	return rc;
}

/* The vCPU signature from exactly one of the three ways to give it (sev-snp-measure cli.py get_vcpu_sig). */
static int resolve_vcpu_sig(const struct measure_opts *o, enum attest_vmm_type vmm, uint32_t *sig)
{
	int ways = !!o->vcpu_type + !!o->vcpu_sig + !!(o->family || o->model || o->stepping);
	unsigned long long f, m, s;
	*sig = 0;
	if (ways > 1)
		return bad_usage(
		    "%sgive only one of --vcpu-type, --vcpu-sig, --vcpu-family/--vcpu-model/--vcpu-stepping", "");
	if (o->vcpu_type && attest_vcpu_type_sig(o->vcpu_type, sig))
		return bad_usage("unknown --vcpu-type '%s'", o->vcpu_type);
	if (o->vcpu_sig) {
		if (parse_number(o->vcpu_sig, UINT32_MAX, &f))
			return bad_usage("bad --vcpu-sig '%s'", o->vcpu_sig);
		*sig = (uint32_t)f;
	}
	if (o->family || o->model || o->stepping) {
		if (!o->family || !o->model || !o->stepping)
			return bad_usage("%s--vcpu-family, --vcpu-model and --vcpu-stepping go together", "");
		if (parse_number(o->family, 0xFF + 0xF, &f) || parse_number(o->model, 0xFF, &m) ||
		    parse_number(o->stepping, 0xF, &s))
			return bad_usage("%sbad --vcpu-family/--vcpu-model/--vcpu-stepping value", "");
		*sig = attest_vcpu_sig((unsigned)f, (unsigned)m, (unsigned)s);
	}
	/* Only QEMU puts the signature in the VMSA; EC2 and GCE use fixed values. */
	if (!ways && vmm == ATTEST_VMM_QEMU)
		return bad_usage("%smissing --vcpu-type, --vcpu-sig or --vcpu-family for --vmm-type qemu", "");
	return CLI_EXIT_OK;
}

static int run_measure(const struct measure_opts *o)
{
	struct file_buf ovmf = {0}, kernel = {0}, initrd = {0};
	struct attest_kernel_hashes hashes;
	struct attest_measure_input in = {0};
	struct attest_ovmf_info info;
	uint8_t seed[ATTEST_MEASURE_DIGEST_LEN], digest[ATTEST_MEASURE_DIGEST_LEN];
	unsigned long long v;
	int rc = CLI_EXIT_USAGE, err;
	int ovmf_hash_only = !strcmp(o->mode, "snp:ovmf-hash");

	if (!ovmf_hash_only && strcmp(o->mode, "snp"))
		return bad_usage("unsupported --mode '%s' (snp or snp:ovmf-hash)", o->mode);
	if (!o->ovmf)
		return bad_usage("%s--ovmf FILE is required", "");
	if (strcmp(o->format, "hex") && strcmp(o->format, "base64"))
		return bad_usage("bad --output-format '%s' (hex or base64)", o->format);
	if (!ovmf_hash_only) {
		in.vmsa.vmm = ATTEST_VMM_QEMU;
		if (o->vmm_type && attest_vmm_type_parse(o->vmm_type, &in.vmsa.vmm))
			return bad_usage("unknown --vmm-type '%s' (qemu, ec2 or gce)", o->vmm_type);
		if (o->vmm_version) {
			if (parse_number(o->vmm_version, 16, &v) || v == 0)
				return bad_usage("bad --vmm-version '%s'", o->vmm_version);
			in.vmsa.vmm_version = (unsigned)v;
		}
		if (!o->vcpus)
			return bad_usage("%s--vcpus N is required in mode snp", "");
		if (parse_number(o->vcpus, ATTEST_MEASURE_MAX_VCPUS, &v) || v == 0)
			return bad_usage("bad --vcpus '%s' (1 to 4096)", o->vcpus);
		in.vcpus = (unsigned)v;
		in.vmsa.guest_features = 0x1; /* SNPActive: sev-snp-measure's default since 0.0.10 */
		if (o->features && parse_number(o->features, UINT64_MAX, &v))
			return bad_usage("bad --guest-features '%s'", o->features);
		if (o->features)
			in.vmsa.guest_features = v;
		if ((o->initrd || o->append) && !o->kernel)
			return bad_usage("%s--initrd and --append need --kernel", "");
		if (o->ovmf_hash && parse_hex48(o->ovmf_hash, seed))
			return bad_usage("bad --snp-ovmf-hash '%s' (96 hex digits)", o->ovmf_hash);
		rc = resolve_vcpu_sig(o, in.vmsa.vmm, &in.vmsa.vcpu_sig);
		if (rc)
			return rc;
		rc = CLI_EXIT_USAGE;
	}

	if ((err = read_file(o->ovmf, OVMF_MAX_LEN, &ovmf))) {
		cli_error("measure", o->ovmf, "cannot read: %s", strerror(-err));
		goto out;
	}
	if (ovmf_hash_only) {
		err = attest_measure_ovmf_hash(ovmf.data, ovmf.len, digest);
		goto done;
	}
	if (o->kernel) {
		if ((err = read_file(o->kernel, SIZE_MAX, &kernel)) ||
		    (o->initrd && (err = read_file(o->initrd, SIZE_MAX, &initrd)))) {
			cli_error("measure", kernel.data ? o->initrd : o->kernel, "cannot read: %s", strerror(-err));
			goto out;
		}
		err = attest_kernel_hashes_compute(&hashes, kernel.data, kernel.len, o->initrd ? initrd.data : NULL,
						   initrd.len, o->append);
		if (err)
			goto done;
		in.kernel_hashes = &hashes;
	}
	in.ovmf = ovmf.data;
	in.ovmf_len = ovmf.len;
	in.ovmf_hash = o->ovmf_hash ? seed : NULL;
	err = attest_measure_snp(&in, digest, &info);
done:
	if (err) {
		cli_error("measure", o->ovmf, "%s", attest_measure_strerror(err));
		goto out;
	}
	if (o->dump_dir && !ovmf_hash_only && (rc = dump_vmsas(o->dump_dir, &info, &in.vmsa, in.vcpus)))
		goto out;
	print_digest(digest, sizeof(digest), !strcmp(o->format, "base64"),
		     !o->verbose      ? NULL
		     : ovmf_hash_only ? "Calculated SNP OVMF hash"
				      : "Calculated SNP guest measurement");
	rc = CLI_EXIT_OK;
out:
	free(ovmf.data);
	free(kernel.data);
	free(initrd.data);
	return rc;
}

static int measure_option(void *ctx, int key, const char *v)
{
	struct measure_opts *o = ctx;
	const char **slot[] = {
	    [OPT_MODE - OPT_MODE] = &o->mode,	       [OPT_OVMF - OPT_MODE] = &o->ovmf,
	    [OPT_KERNEL - OPT_MODE] = &o->kernel,      [OPT_INITRD - OPT_MODE] = &o->initrd,
	    [OPT_APPEND - OPT_MODE] = &o->append,      [OPT_VCPUS - OPT_MODE] = &o->vcpus,
	    [OPT_TYPE - OPT_MODE] = &o->vcpu_type,     [OPT_SIG - OPT_MODE] = &o->vcpu_sig,
	    [OPT_FAMILY - OPT_MODE] = &o->family,      [OPT_MODEL - OPT_MODE] = &o->model,
	    [OPT_STEPPING - OPT_MODE] = &o->stepping,  [OPT_VMM - OPT_MODE] = &o->vmm_type,
	    [OPT_VMMVER - OPT_MODE] = &o->vmm_version, [OPT_FEATURES - OPT_MODE] = &o->features,
	    [OPT_HASH - OPT_MODE] = &o->ovmf_hash,     [OPT_FORMAT - OPT_MODE] = &o->format,
	    [OPT_DUMP - OPT_MODE] = &o->dump_dir,
	};
	if (key == OPT_VERBOSE) {
		o->verbose = 1;
		return 0;
	}
	if (key < OPT_MODE || key > OPT_DUMP)
		return cli_usage_error(&measure_spec, NULL, "internal: unhandled option");
	*slot[key - OPT_MODE] = v;
	return 0;
}

int cli_cmd_measure(int argc, char **argv)
{
	struct measure_opts o = {.mode = "snp", .format = "hex"};
	int operands;
	int rc = cli_parse_options(&measure_spec, argc, argv, measure_option, &o, &operands);
	if (rc != CLI_CONTINUE)
		return rc;
	if (operands < argc)
		return bad_usage("unexpected argument '%s'", argv[operands]);
	return run_measure(&o);
}

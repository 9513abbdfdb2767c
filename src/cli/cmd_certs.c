/* SPDX-License-Identifier: MIT */
/*
 * snpemu certs --out DIR [--product genoa|milan|turin] [--seed HEX]: the platform's ARK, ASK and VCEK as PEM and
 * DER, and the extended-request certificate table (cert_table.bin), as a VMM would serve them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <snpemu/fw.h>

#include "cli/cli.h"

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr,
		"snpemu certs: %s%s%s\nusage: snpemu certs --out DIR [--product genoa|milan|turin] [--seed HEX]\n", msg,
		arg ? ": " : "", arg ? arg : "");
	return CLI_EXIT_USAGE;
}

int cli_write_file(const char *cmd, const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		fprintf(stderr, "snpemu %s: path too long: %s/%s\n", cmd, dir, name);
		return -1;
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "snpemu %s: cannot write %s: %s\n", cmd, path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	printf("%s\n", path);
	return 0;
}

int cli_write_platform_certs(const char *cmd, const char *out, struct fw_platform *p)
{
	static const struct {
		enum fw_cert_kind kind;
		const char *name;
	} files[] = {{FW_CERT_ARK, "ark"}, {FW_CERT_ASK, "ask"}, {FW_CERT_VCEK, "vcek"}};
	int rc, status = -1;
	uint8_t *table = NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const uint8_t *der;
		size_t len, pem_len;
		char *pem, name[32];
		if ((rc = fw_platform_cert(p, files[i].kind, &der, &len)) ||
		    (rc = fw_cert_der_to_pem(der, len, &pem, &pem_len))) {
			fprintf(stderr, "snpemu %s: cannot build the %s certificate: %s\n", cmd, files[i].name,
				strerror(-rc));
			goto out;
		}
		snprintf(name, sizeof(name), "%s.der", files[i].name);
		int w = cli_write_file(cmd, out, name, der, len);
		snprintf(name, sizeof(name), "%s.pem", files[i].name);
		w = w ? w : cli_write_file(cmd, out, name, pem, pem_len);
		free(pem);
		if (w)
			goto out;
	}
	size_t need = 0;
	if (fw_cert_table_build(p, NULL, 0, &need) != -ENOSPC || !(table = malloc(need)) ||
	    fw_cert_table_build(p, table, need, &need)) {
		fprintf(stderr, "snpemu %s: cannot build the certificate table\n", cmd);
		goto out;
	}
	if (cli_write_file(cmd, out, "cert_table.bin", table, need))
		goto out;
	status = 0;
out:
	free(table);
	return status;
}

int cli_cmd_certs(int argc, char **argv)
{
	static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
					     {"product", required_argument, NULL, 'p'},
					     {"seed", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *out = NULL;
	enum fw_product product = FW_PRODUCT_GENOA;
	uint8_t seed[FW_SEED_MAX];
	size_t seed_len = 0;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:p:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'p':
			if (fw_product_parse(optarg, &product))
				return usage_error("unknown product (genoa, milan or turin)", optarg);
			break;
		case 's':
			if (cli_parse_seed(optarg, seed, &seed_len))
				return usage_error("--seed wants 1 to 64 bytes of hex", optarg);
			break;
		case 'h':
			printf("usage: snpemu certs --out DIR [--product genoa|milan|turin] [--seed HEX]\n");
			return CLI_EXIT_OK;
		case ':':
			return usage_error("option needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!out)
		return usage_error("--out DIR is required", NULL);
	if (mkdir(out, 0755) && errno != EEXIST) {
		fprintf(stderr, "snpemu certs: cannot create %s: %s\n", out, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	struct stat st;
	if (stat(out, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "snpemu certs: %s is not a directory\n", out);
		return CLI_EXIT_FAILURE;
	}

	struct fw_platform_config cfg;
	struct fw_platform *p = NULL;
	fw_platform_config_default(&cfg, product);
	if (seed_len)
		fw_platform_config_seed(&cfg, seed, seed_len);
	int rc = fw_platform_create(&cfg, &p);
	if (rc) {
		fprintf(stderr, "snpemu certs: cannot create the platform: %s\n", strerror(-rc));
		return CLI_EXIT_FAILURE;
	}
	int status = CLI_EXIT_FAILURE;
	if (cli_write_platform_certs("certs", out, p))
		goto out;
	printf("product %s, chip ID ", fw_product_name(product));
	for (int i = 0; i < 64; i++)
		printf("%02x", fw_platform_chip_id(p)[i]);
	printf("\n");
	status = CLI_EXIT_OK;
out:
	fw_platform_destroy(p);
	return status;
}

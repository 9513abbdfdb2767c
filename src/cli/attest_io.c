/* SPDX-License-Identifier: MIT */
/* File and argument helpers of `snpemu verify` and `snpemu decode`. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <snpemu/abi/hex.h>
#include <snpemu/attest.h>

#include "cli/attest_io.h"

int cli_read_file(const char *path, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	bool std_in = !strcmp(path, "-");
	FILE *f = std_in ? stdin : fopen(path, "rb");
	if (!f)
		return -errno;
	struct stat st;
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		fclose(f);
		return -EISDIR;
	}
	uint8_t *b = malloc(CLI_FILE_MAX + 1);
	if (!b) {
		if (!std_in)
			fclose(f);
		return -ENOMEM;
	}
	size_t n = fread(b, 1, CLI_FILE_MAX + 1, f);
	int err = ferror(f) ? (errno ? -errno : -EIO) : 0;
	if (!std_in)
		fclose(f);
	if (err) {
		free(b);
		return err;
	}
	if (n > CLI_FILE_MAX) {
		free(b);
		return -EFBIG;
	}
	*buf = b;
	*len = n;
	return 0;
}

int cli_parse_hex(const char *s, uint8_t *out, size_t n, int pad)
{
	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	size_t digits = strlen(s);
	if (digits % 2 || (pad ? digits / 2 > n : digits / 2 != n) || (!digits && !pad))
		return -EINVAL;
	memset(out, 0, n);
	for (size_t i = 0; i < digits / 2; i++) {
		int hi = snpemu_hex_digit(s[2 * i]), lo = snpemu_hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_load_cert(const char *path, uint8_t **der, size_t *len)
{
	uint8_t *buf;
	size_t n;
	int rc = cli_read_file(path, &buf, &n);
	if (rc)
		return rc;
	static const char pem_marker[] = "-----BEGIN";
	if (n >= sizeof(pem_marker) - 1 && memmem(buf, n, pem_marker, sizeof(pem_marker) - 1)) {
		rc = attest_pem_to_der(buf, n, der, len);
		free(buf);
		if (rc)
			return rc;
	} else {
		*der = buf;
		*len = n;
	}
	rc = attest_cert_parse_check(*der, *len);
	if (rc) {
		free(*der);
		*der = NULL;
		*len = 0;
	}
	return rc;
}

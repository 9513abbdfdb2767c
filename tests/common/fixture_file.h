/* SPDX-License-Identifier: MIT */
/*
 * The files of tests/fixtures (the genuine Genoa artefacts, README in ../shared/fixtures, and the test-only
 * synthetic chain), read the one way every test reads them: the whole file, or NULL.
 */
#ifndef SNPEMU_TESTS_COMMON_FIXTURE_FILE_H
#define SNPEMU_TESTS_COMMON_FIXTURE_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <snpemu/attest.h>

#define FIXTURE_DIR SNPEMU_SRCDIR "/tests/fixtures/"
#define FIXTURE_MAX (1u << 20) /* every fixture is a few KiB; a larger file is an error, never cut short */

/* tests/fixtures/`name`, whole (malloc'd, *len bytes), or NULL if it is missing, unreadable or too large. */
static inline uint8_t *fixture_read(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), FIXTURE_DIR "%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = malloc(FIXTURE_MAX + 1);
	size_t n = buf ? fread(buf, 1, FIXTURE_MAX + 1, f) : 0;
	int bad = !buf || ferror(f) || n > FIXTURE_MAX;
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* A PEM fixture as DER (malloc'd), or NULL. */
static inline uint8_t *fixture_read_pem(const char *name, size_t *len)
{
	size_t n;
	uint8_t *pem = fixture_read(name, &n), *der = NULL;
	if (pem && attest_pem_to_der(pem, n, &der, len))
		der = NULL;
	free(pem);
	return der;
}

#endif

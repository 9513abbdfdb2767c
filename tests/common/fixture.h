/* SPDX-License-Identifier: MIT */
/* The genuine Genoa set of tests/fixtures (report, VCEK, ASK, ARK), loaded for the attestation tests. */
#ifndef SNPEMU_TESTS_COMMON_FIXTURE_H
#define SNPEMU_TESTS_COMMON_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/le.h>
#include <snpemu/attest.h>

#include "fixture_file.h"

struct fixture {
	uint8_t *report, *ark, *ask, *vcek;
	size_t report_len, ark_len, ask_len, vcek_len;
};

/* 0 if every file loaded. */
static inline int fixture_load(struct fixture *fx)
{
	fx->report = fixture_read("genoa-report.bin", &fx->report_len);
	fx->vcek = fixture_read("genoa-vcek.der", &fx->vcek_len);
	fx->ark = fixture_read_pem("amd-genoa-ark.pem", &fx->ark_len);
	fx->ask = fixture_read_pem("amd-genoa-ask.pem", &fx->ask_len);
	return fx->report && fx->vcek && fx->ark && fx->ask ? 0 : -1;
}

static inline void fixture_free(struct fixture *fx)
{
	free(fx->report);
	free(fx->ark);
	free(fx->ask);
	free(fx->vcek);
}

static inline struct attest_verify_certs fixture_certs(const struct fixture *fx)
{
	struct attest_verify_certs c = {0};
	c.ark = fx->ark, c.ark_len = fx->ark_len;
	c.ask = fx->ask, c.ask_len = fx->ask_len;
	c.vcek = fx->vcek, c.vcek_len = fx->vcek_len;
	return c;
}

/* 2027-01-01: inside every fixture certificate's validity (the VCEK: 2026-01-11 to 2033-01-11). */
#define FIXTURE_NOW 1798761600

#endif /* SNPEMU_TESTS_COMMON_FIXTURE_H */

/* SPDX-License-Identifier: MIT */
/*
 * The library holds no guest program: every global symbol libsnpemu.a / libsnpemu.so define carries a part prefix
 * (hv_, fw_, gst_, vmm_, attest_, snpemu_), none is a program (gst_program_*) or the program runtime, and the
 * programs are in their own archive (libsnpemu_programs.a), which the checks are run against too so that they can
 * fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#ifndef BUILD_DIR
#error "BUILD_DIR names the build directory holding the libraries"
#endif

struct symbols {
	unsigned int total, unprefixed, programs;
	char first_bad[256];
};

static const char *const prefixes[] = {"hv_", "fw_", "gst_", "vmm_", "attest_", "kds_", "mig_", "tsm_", "snpemu_"};

static void scan(const char *lib, struct symbols *s)
{
	char cmd[512], line[512];
	snprintf(cmd, sizeof(cmd), "nm -g --defined-only %s/%s 2>/dev/null", BUILD_DIR, lib);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), p)) {
		char addr[64], type[8], name[256];
		if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3)
			continue; /* an archive member header or a blank line */
		if (!strncmp(name, "__", 2))
			continue; /* the compiler's and sanitizers' own (e.g. ASan's __odr_asan.*) */
		s->total++;
		bool prefixed = false;
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
			prefixed |= !strncmp(name, prefixes[i], strlen(prefixes[i]));
		bool program = !strncmp(name, "gst_program_", 12) || !strncmp(name, "guest_", 6);
		s->unprefixed += !prefixed;
		s->programs += program;
		if ((!prefixed || program) && !s->first_bad[0])
			snprintf(s->first_bad, sizeof(s->first_bad), "%s", name);
	}
	assert_int_equal(pclose(p), 0);
}

static void expect_clean(const char *lib)
{
	struct symbols s;
	scan(lib, &s);
	if (s.unprefixed || s.programs)
		print_error("%s: %u unprefixed, %u program symbols (first: %s)\n", lib, s.unprefixed, s.programs,
			    s.first_bad);
	assert_true(s.total > 100);
	assert_int_equal(s.unprefixed, 0);
	assert_int_equal(s.programs, 0);
}

static void test_static_library(void **state)
{
	(void)state;
	expect_clean("libsnpemu.a");
}

static void test_shared_library(void **state)
{
	(void)state;
	expect_clean("libsnpemu.so");
}

/* The programs are where they belong, so the scan above would see them if they were in the library. */
static void test_programs_archive(void **state)
{
	(void)state;
	struct symbols s;
	scan("libsnpemu_programs.a", &s);
	assert_true(s.programs >= 10); /* gst_program_hello, ..._attest, ... and the runtime's gst_program_run */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_static_library),
	    cmocka_unit_test(test_shared_library),
	    cmocka_unit_test(test_programs_archive),
	};
	return cmocka_run_group_tests_name("vmm/lib_symbols", tests, NULL, NULL);
}

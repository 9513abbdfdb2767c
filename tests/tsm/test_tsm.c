/* SPDX-License-Identifier: MIT */
/*
 * The configfs-tsm rules without FUSE (include/snpemu/tsm.h): the attribute-write table (sizes, EFBIG, empty
 * EINVAL, privlevel bounds), the kernel's kstrtouint, the generation wrap rule (EBUSY, unreachable through 2^64
 * writes so tested on the rule itself), the entry store (names, rmdir of a populated entry, one report per
 * generation, the provider's errors passed through), concurrent readers and writers never seeing a blob of two
 * generations, and the tsmd guest as provider on a real VM.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>
#include <snpemu/abi/report.h>
#include <snpemu/programs.h>
#include <snpemu/tsm.h>
#include <snpemu/vmm.h>

static void test_attr_table(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint64_t off;
		size_t len;
		int rc;
	} rows[] = {
	    {"inblob", 0, 64, 0},	    {"inblob", 0, 65, -EFBIG},	       {"inblob", 63, 1, 0},
	    {"inblob", 64, 1, -EFBIG},	    {"inblob", UINT64_MAX, 1, -EFBIG}, {"privlevel", 0, 4095, 0},
	    {"privlevel", 1, 4095, -EFBIG}, {"outblob", 0, 1, -EACCES},	       {"auxblob", 0, 1, -EACCES},
	    {"provider", 0, 1, -EACCES},    {"generation", 0, 1, -EACCES},     {"privlevel_floor", 0, 1, -EACCES},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int a = tsm_attr_lookup(rows[i].name);
		assert_true(a >= 0);
		assert_int_equal(tsm_attr_write_check((enum tsm_attr)a, rows[i].off, rows[i].len), rows[i].rc);
	}
	assert_int_equal(tsm_attr_lookup("manifestblob"), -ENOENT); /* SVSM only */
	assert_int_equal(tsm_attr_lookup(""), -ENOENT);
}

static void test_commit_rules(void **state)
{
	(void)state;
	static const struct {
		enum tsm_attr attr;
		const char *text;
		uint32_t floor;
		int rc;
		uint32_t value;
	} rows[] = {
	    {TSM_ATTR_PRIVLEVEL, "0", 0, 0, 0},
	    {TSM_ATTR_PRIVLEVEL, "3\n", 0, 0, 3},
	    {TSM_ATTR_PRIVLEVEL, "+2", 0, 0, 2},
	    {TSM_ATTR_PRIVLEVEL, "0x3", 0, 0, 3},
	    {TSM_ATTR_PRIVLEVEL, "03", 0, 0, 3},
	    {TSM_ATTR_PRIVLEVEL, "4", 0, -EINVAL, 0},
	    {TSM_ATTR_PRIVLEVEL, "1", 2, -EINVAL, 0},
	    {TSM_ATTR_PRIVLEVEL, "2", 2, 0, 2},
	    {TSM_ATTR_PRIVLEVEL, "-1", 0, -EINVAL, 0},
	    {TSM_ATTR_PRIVLEVEL, " 1", 0, -EINVAL, 0},
	    {TSM_ATTR_PRIVLEVEL, "1\n\n", 0, -EINVAL, 0},
	    {TSM_ATTR_PRIVLEVEL, "08", 0, -EINVAL, 0},
	    {TSM_ATTR_PRIVLEVEL, "0x", 0, -EINVAL, 0},
	    {TSM_ATTR_PRIVLEVEL, "\n", 0, -EINVAL, 0},
	    {TSM_ATTR_PRIVLEVEL, "4294967296", 0, -ERANGE, 0},
	    {TSM_ATTR_PRIVLEVEL, "", 0, -EINVAL, 0},
	    {TSM_ATTR_INBLOB, "", 0, -EINVAL, 0},
	    {TSM_ATTR_INBLOB, "x", 0, 0, 0},
	    {TSM_ATTR_OUTBLOB, "x", 0, -EACCES, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint32_t v = 0xdead;
		int rc = tsm_attr_commit_check(rows[i].attr, (const uint8_t *)rows[i].text, strlen(rows[i].text),
					       rows[i].floor, &v);
		if (rc != rows[i].rc)
			fprintf(stderr, "row %zu '%s': %d, wanted %d\n", i, rows[i].text, rc, rows[i].rc);
		assert_int_equal(rc, rows[i].rc);
		if (!rc && rows[i].attr == TSM_ATTR_PRIVLEVEL)
			assert_int_equal(v, rows[i].value);
	}
	uint32_t v;
	assert_int_equal(tsm_parse_uint("4294967295", 10, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(tsm_parse_uint("0xFFFFFFFF\n", 11, &v), 0);
	assert_int_equal(tsm_parse_uint("12", 1, &v), 0); /* only len bytes count */
	assert_int_equal(v, 1);
}

static void test_generation_wrap(void **state)
{
	(void)state;
	unsigned long w = 5, r = 5;
	assert_int_equal(tsm_generation_advance(&w, r), 0);
	assert_int_equal(w, 6);
	/* ULONG_MAX writes since the last read: the next would make write == read again. */
	w = ULONG_MAX - 1;
	r = ULONG_MAX;
	assert_int_equal(tsm_generation_advance(&w, r), -EBUSY);
	assert_int_equal(w, ULONG_MAX - 1);
	w = ULONG_MAX;
	r = 1;
	assert_int_equal(tsm_generation_advance(&w, r), 0); /* wraps to 0, != read */
	assert_int_equal(w, 0);
	assert_int_equal(tsm_generation_advance(&w, r), -EBUSY);
}

/* A provider whose report is the inblob and the privlevel repeated, so a blob names its generation. */
struct fake {
	int calls;
	int fail; /* -errno to return */
};

static int fake_report_new(void *opaque, const uint8_t *inblob, size_t len, uint32_t privlevel, struct tsm_blobs *out)
{
	struct fake *f = opaque;
	__atomic_fetch_add(&f->calls, 1, __ATOMIC_SEQ_CST);
	if (f->fail)
		return f->fail;
	out->outblob = calloc(1, SNP_REPORT_SIZE);
	out->auxblob = calloc(1, 100);
	if (!out->outblob || !out->auxblob)
		return -ENOMEM;
	for (size_t i = 0; i < SNP_REPORT_SIZE; i++)
		out->outblob[i] = inblob[i % len];
	memset(out->auxblob, (int)privlevel + inblob[0], 100);
	out->outblob_len = SNP_REPORT_SIZE;
	out->auxblob_len = 100;
	return 0;
}

static struct tsm_reports *fake_reports(struct fake *f)
{
	struct tsm_provider p = {.name = "sev_guest", .report_new = fake_report_new, .opaque = f};
	struct tsm_reports *r;
	assert_int_equal(tsm_reports_new(&p, &r), 0);
	return r;
}

static char *read_text(struct tsm_reports *r, const char *name, enum tsm_attr a)
{
	uint8_t *buf;
	size_t len;
	assert_int_equal(tsm_entry_read(r, name, a, &buf, &len), 0);
	char *s = calloc(1, len + 1);
	memcpy(s, buf, len);
	free(buf);
	return s;
}

static void test_entries(void **state)
{
	(void)state;
	struct fake f = {0};
	struct tsm_reports *r = fake_reports(&f);
	assert_int_equal(tsm_entry_create(r, "a"), 0);
	assert_int_equal(tsm_entry_create(r, "a"), -EEXIST);
	assert_int_equal(tsm_entry_create(r, ""), -EINVAL);
	assert_int_equal(tsm_entry_create(r, ".."), -EINVAL);
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tsm_entry_create(r, longname), -ENAMETOOLONG);

	char *s = read_text(r, "a", TSM_ATTR_PROVIDER);
	assert_string_equal(s, "sev_guest\n");
	free(s);
	s = read_text(r, "a", TSM_ATTR_GENERATION);
	assert_string_equal(s, "0\n");
	free(s);
	s = read_text(r, "a", TSM_ATTR_PRIVLEVEL_FLOOR);
	assert_string_equal(s, "0\n");
	free(s);

	uint8_t *buf;
	size_t len;
	assert_int_equal(tsm_entry_read(r, "a", TSM_ATTR_OUTBLOB, &buf, &len), -EINVAL); /* no inblob yet */
	assert_int_equal(tsm_entry_read(r, "a", TSM_ATTR_INBLOB, &buf, &len), -EACCES);
	assert_int_equal(tsm_entry_write(r, "a", TSM_ATTR_INBLOB, (const uint8_t *)"xy", 2), 0);
	assert_int_equal(tsm_entry_write(r, "a", TSM_ATTR_PRIVLEVEL, (const uint8_t *)"9", 1), -EINVAL);
	assert_int_equal(tsm_entry_write(r, "nope", TSM_ATTR_INBLOB, (const uint8_t *)"xy", 2), -ENOENT);
	s = read_text(r, "a", TSM_ATTR_GENERATION);
	assert_string_equal(s, "1\n");
	free(s);
	/* One report per generation, whichever blob is read first and however often. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tsm_entry_read(r, "a", i == 1 ? TSM_ATTR_AUXBLOB : TSM_ATTR_OUTBLOB, &buf, &len), 0);
		free(buf);
	}
	assert_int_equal(f.calls, 1);
	assert_int_equal(tsm_entry_write(r, "a", TSM_ATTR_PRIVLEVEL, (const uint8_t *)"2\n", 2), 0);
	assert_int_equal(tsm_entry_read(r, "a", TSM_ATTR_AUXBLOB, &buf, &len), 0);
	assert_int_equal(len, 100);
	assert_int_equal(buf[0], 'x' + 2);
	free(buf);
	assert_int_equal(f.calls, 2);
	assert_int_equal(tsm_reports_generated(r), 2);

	/* The provider's errors pass through and leave the last blobs stale, not replaced. */
	f.fail = -ENXIO;
	assert_int_equal(tsm_entry_write(r, "a", TSM_ATTR_INBLOB, (const uint8_t *)"z", 1), 0);
	assert_int_equal(tsm_entry_read(r, "a", TSM_ATTR_OUTBLOB, &buf, &len), -ENXIO);
	assert_int_equal(tsm_entry_read(r, "a", TSM_ATTR_OUTBLOB, &buf, &len), -ENXIO);
	assert_int_equal(f.calls, 4);
	f.fail = 0;
	assert_int_equal(tsm_entry_read(r, "a", TSM_ATTR_OUTBLOB, &buf, &len), 0);
	assert_int_equal(buf[0], 'z');
	free(buf);

	/* rmdir of a populated entry */
	assert_true(tsm_entry_exists(r, "a"));
	assert_int_equal(tsm_entry_remove(r, "a"), 0);
	assert_false(tsm_entry_exists(r, "a"));
	assert_int_equal(tsm_entry_remove(r, "a"), -ENOENT);
	tsm_reports_free(r);
}

struct race {
	struct tsm_reports *r;
	int mixed, errors;
};

static void *writer(void *arg)
{
	struct race *x = arg;
	for (int i = 0; i < 300; i++) {
		uint8_t blob[64];
		memset(blob, 'A' + i % 26, sizeof(blob));
		if (tsm_entry_write(x->r, "e", TSM_ATTR_INBLOB, blob, sizeof(blob)))
			__atomic_fetch_add(&x->errors, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct race *x = arg;
	for (int i = 0; i < 300; i++) {
		uint8_t *buf;
		size_t len;
		if (tsm_entry_read(x->r, "e", TSM_ATTR_OUTBLOB, &buf, &len)) {
			__atomic_fetch_add(&x->errors, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		/* one generation: every byte is the same letter */
		for (size_t j = 1; j < len; j++)
			if (buf[j] != buf[0]) {
				__atomic_fetch_add(&x->mixed, 1, __ATOMIC_SEQ_CST);
				break;
			}
		free(buf);
	}
	return NULL;
}

static void test_concurrent_readers(void **state)
{
	(void)state;
	struct fake f = {0};
	struct race x = {.r = fake_reports(&f)};
	assert_int_equal(tsm_entry_create(x.r, "e"), 0);
	assert_int_equal(tsm_entry_write(x.r, "e", TSM_ATTR_INBLOB, (const uint8_t *)"AAAA", 4), 0);
	pthread_t t[4];
	assert_int_equal(pthread_create(&t[0], NULL, writer, &x), 0);
	for (int i = 1; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, &x), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(x.mixed, 0);
	assert_int_equal(x.errors, 0);
	/* at most one report per generation: 300 writes + the first */
	assert_true(f.calls <= 301);
	tsm_reports_free(x.r);
}

/* The tsmd guest as provider on a sim VM: a report with the inblob as REPORT_DATA and the certificate table. */
struct vm_run {
	struct vmm_config cfg;
	struct vmm_result res;
	int rc;
};

static void *run_vm(void *arg)
{
	struct vm_run *v = arg;
	v->rc = vmm_run(&v->cfg, &v->res);
	return NULL;
}

static void test_guest_provider(void **state)
{
	(void)state;
	struct vmm_service *svc;
	assert_int_equal(vmm_service_new(&svc), 0);
	struct vm_run v;
	vmm_config_default(&v.cfg);
	v.cfg.program = snpemu_program_find("tsmd");
	v.cfg.backend = VMM_BACKEND_SIM;
	v.cfg.service = svc;
	v.cfg.quiet = true;
	v.cfg.out = v.cfg.err = fopen("/dev/null", "w");
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, run_vm, &v), 0);
	struct tsm_guest_source src = {.svc = svc, .timeout_ms = 60000};
	struct tsm_provider p;
	tsm_guest_provider(&p, &src);
	struct tsm_reports *r;
	assert_int_equal(tsm_reports_new(&p, &r), 0);
	assert_int_equal(tsm_entry_create(r, "g"), 0);
	assert_int_equal(tsm_entry_write(r, "g", TSM_ATTR_INBLOB, (const uint8_t *)"hello", 5), 0);
	assert_int_equal(tsm_entry_write(r, "g", TSM_ATTR_PRIVLEVEL, (const uint8_t *)"1", 1), 0);
	uint8_t *buf;
	size_t len;
	assert_int_equal(tsm_entry_read(r, "g", TSM_ATTR_OUTBLOB, &buf, &len), 0);
	assert_int_equal(len, SNP_REPORT_SIZE);
	assert_memory_equal(buf + SNP_REPORT_OFF_REPORT_DATA, "hello\0\0\0", 8);
	assert_int_equal(le32_load(buf + SNP_REPORT_OFF_VMPL), 1);
	free(buf);
	assert_int_equal(tsm_entry_read(r, "g", TSM_ATTR_AUXBLOB, &buf, &len), 0);
	assert_true(len > 3 * 24);
	free(buf);
	vmm_service_close(svc);
	pthread_join(t, NULL);
	assert_int_equal(v.rc, 0);
	assert_int_equal(v.res.status, 0);
	/* The run is over: a new generation cannot be generated (ENXIO, as a failed request). */
	assert_int_equal(tsm_entry_write(r, "g", TSM_ATTR_INBLOB, (const uint8_t *)"again", 5), 0);
	assert_int_equal(tsm_entry_read(r, "g", TSM_ATTR_OUTBLOB, &buf, &len), -ENXIO);
	fclose(v.cfg.out);
	tsm_reports_free(r);
	vmm_service_free(svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_attr_table),	       cmocka_unit_test(test_commit_rules),
	    cmocka_unit_test(test_generation_wrap),    cmocka_unit_test(test_entries),
	    cmocka_unit_test(test_concurrent_readers), cmocka_unit_test(test_guest_provider),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

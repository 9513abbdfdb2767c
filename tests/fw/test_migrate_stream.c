/* SPDX-License-Identifier: MIT */
/*
 * The migration stream library (include/snpemu/migrate.h): a written stream reads back section by section however
 * it is split, and each kind of damage gives its own error - bad magic, version, flags, unknown section, length out
 * of bounds (before the payload arrives), digest, trailing bytes, truncation.  Inputs sit against a guard page.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>
#include <snpemu/fw.h>
#include <snpemu/migrate.h>

struct membuf {
	uint8_t *data;
	size_t len, cap;
	int fail_after; /* sink fails once this many calls were made (< 0: never) */
};

static int mem_sink(void *opaque, const void *buf, size_t len)
{
	struct membuf *m = opaque;
	if (m->fail_after == 0)
		return -EIO;
	if (m->fail_after > 0)
		m->fail_after--;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->data = realloc(m->data, m->cap);
		assert_non_null(m->data);
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return 0;
}

static uint8_t page[8 + 4096];

/* A stream of three sections: CONFIG "cfg", SHARED_PAGE, PASS_END. */
static void write_stream(struct membuf *m)
{
	struct mig_writer w;
	memset(m, 0, sizeof(*m));
	m->fail_after = -1;
	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 31);
	uint8_t pass[8] = {1};
	struct mig_piece cfg = {"cfg", 3}, pg[2] = {{page, 8}, {page + 8, 4096}}, pe = {pass, sizeof(pass)};
	assert_int_equal(mig_writer_begin(&w, mem_sink, m), 0);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_CONFIG, &cfg, 1), 0);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_SHARED_PAGE, pg, 2), 0);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_PASS_END, &pe, 1), 0);
	assert_int_equal(mig_writer_end(&w), 0);
	assert_int_equal(w.bytes, m->len);
	assert_int_equal(m->len, MIG_HEADER_SIZE + 3 * MIG_SECTION_HDR_SIZE + 3 + sizeof(page) + 8 +
				     MIG_SECTION_HDR_SIZE + MIG_DIGEST_SIZE);
}

/* Copy `len` bytes to the end of a page followed by a PROT_NONE page: any over-read faults. */
static uint8_t *guarded(const uint8_t *src, size_t len, void **map, size_t *map_len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), span = (len + pg - 1) / pg * pg + pg;
	uint8_t *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + span - pg, pg, PROT_NONE), 0);
	uint8_t *at = m + span - pg - len;
	memcpy(at, src, len);
	*map = m;
	*map_len = span;
	return at;
}

/* Read `len` bytes as a caller receiving `chunk` bytes at a time would; returns the final status (MIG_DONE or the
 * error) and counts the sections. */
static int read_stream(const uint8_t *data, size_t len, size_t chunk, unsigned *sections, bool check_payloads)
{
	struct mig_reader r;
	size_t start = 0, have = 0, used, need;
	struct mig_section sec;
	int rc = MIG_MORE;
	*sections = 0;
	assert_int_equal(mig_reader_init(&r), 0);
	while (rc >= 0 && !(rc == MIG_DONE && start + have == len)) {
		size_t more = len - start - have < chunk ? len - start - have : chunk;
		have += more;
		for (;;) {
			void *map;
			size_t map_len;
			uint8_t *view = guarded(data + start, have, &map, &map_len);
			rc = mig_reader_next(&r, view, have, &used, &need, &sec);
			if (rc == MIG_SECTION) {
				(*sections)++;
				if (check_payloads && sec.id == MIG_SEC_SHARED_PAGE)
					assert_memory_equal(sec.payload, page, sizeof(page));
				if (check_payloads && sec.id == MIG_SEC_CONFIG)
					assert_memory_equal(sec.payload, "cfg", 3);
			}
			munmap(map, map_len);
			start += used;
			have -= used;
			if (rc != MIG_SECTION)
				break;
		}
		if (rc == MIG_MORE) {
			assert_true(need > have);
			assert_true(need <= MIG_SECTION_BYTES_MAX);
			if (start + have == len) { /* the input ended */
				rc = mig_reader_finish(&r);
				break;
			}
		}
	}
	mig_reader_release(&r);
	return rc;
}

static void test_roundtrip_any_split(void **state)
{
	struct membuf m;
	unsigned n;
	write_stream(&m);
	static const size_t chunks[] = {1, 7, 8, 15, 16, 17, 100, 4096, 1 << 20};
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		assert_int_equal(read_stream(m.data, m.len, chunks[i], &n, true), MIG_DONE);
		assert_int_equal(n, 3);
	}
	free(m.data);
}

static int damaged(size_t off, uint8_t xor_value, unsigned *n)
{
	struct membuf m;
	write_stream(&m);
	m.data[off] ^= xor_value;
	int rc = read_stream(m.data, m.len, 64, n, false);
	free(m.data);
	return rc;
}

/* A stream of one PRIVATE_PAGE section (a 40-byte record header, then 4096 bytes of "ciphertext"), written in
 * pieces that split the header; `off` < 0: intact. */
static int private_damaged(long off)
{
	struct membuf m;
	struct mig_writer w;
	static uint8_t rec[40 + 4096];
	unsigned n;
	memset(&m, 0, sizeof(m));
	m.fail_after = -1;
	for (size_t i = 0; i < sizeof(rec); i++)
		rec[i] = (uint8_t)(i * 7 + 1);
	struct mig_piece pieces[3] = {{rec, 25}, {rec + 25, 1000}, {rec + 1025, sizeof(rec) - 1025}};
	assert_int_equal(mig_writer_begin(&w, mem_sink, &m), 0);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_PRIVATE_PAGE, pieces, 3), 0);
	assert_int_equal(mig_writer_end(&w), 0);
	if (off >= 0)
		m.data[MIG_HEADER_SIZE + MIG_SECTION_HDR_SIZE + (size_t)off] ^= 0x10;
	int rc = read_stream(m.data, m.len, 333, &n, false);
	free(m.data);
	return rc;
}

/* The digest covers a private page record's header, whose tag binds the ciphertext; not the ciphertext itself. */
static void test_digest_leaves_ciphertext_to_the_tag(void **state)
{
	assert_int_equal(mig_section_find(MIG_SEC_PRIVATE_PAGE)->hashed, FW_MIGRATE_RECORD_HDR);
	assert_int_equal(mig_section_find(MIG_SEC_SHARED_PAGE)->hashed, UINT32_MAX);
	assert_int_equal(private_damaged(-1), MIG_DONE);
	assert_int_equal(private_damaged(0), -MIG_ERR_DIGEST);	/* the GPA */
	assert_int_equal(private_damaged(30), -MIG_ERR_DIGEST); /* the tag, in the writer's second piece */
	assert_int_equal(private_damaged(39), -MIG_ERR_DIGEST); /* the header's last byte */
	assert_int_equal(private_damaged(40), MIG_DONE);	/* ciphertext: fw_migrate_page_import's tag check */
	assert_int_equal(private_damaged(40 + 4095), MIG_DONE);
}

static void test_each_error_distinct(void **state)
{
	unsigned n;
	const size_t sec2 = MIG_HEADER_SIZE + MIG_SECTION_HDR_SIZE + 3; /* the SHARED_PAGE header */
	assert_int_equal(damaged(0, 0x20, &n), -MIG_ERR_MAGIC);
	assert_int_equal(damaged(4, 0x02, &n), -MIG_ERR_VERSION);
	assert_int_equal(damaged(9, 0x01, &n), -MIG_ERR_FLAGS);
	assert_int_equal(damaged(sec2, 0x40, &n), -MIG_ERR_SECTION);
	assert_int_equal(n, 1);
	assert_int_equal(damaged(sec2 + 4, 0x01, &n), -MIG_ERR_LENGTH);
	assert_int_equal(damaged(sec2 + 100, 0x01, &n), -MIG_ERR_DIGEST); /* payload bytes: only the digest sees it */
	assert_int_equal(n, 3);

	struct membuf m;
	write_stream(&m);
	assert_int_equal(read_stream(m.data, m.len - 1, 64, &n, false), -MIG_ERR_TRUNCATED);
	assert_int_equal(read_stream(m.data, MIG_HEADER_SIZE + 3, 64, &n, false), -MIG_ERR_TRUNCATED);
	assert_int_equal(read_stream(m.data, 0, 64, &n, false), -MIG_ERR_TRUNCATED);
	/* One extra byte after the end, in the same buffer or in a later one. */
	m.data = realloc(m.data, m.len + 1);
	m.data[m.len] = 0;
	assert_int_equal(read_stream(m.data, m.len + 1, 1 << 20, &n, false), -MIG_ERR_TRAILING);
	assert_int_equal(read_stream(m.data, m.len + 1, 1, &n, false), -MIG_ERR_TRAILING);
	free(m.data);

	/* All messages differ. */
	for (int a = 1; a < MIG_ERR_COUNT; a++)
		for (int b = a + 1; b < MIG_ERR_COUNT; b++)
			assert_string_not_equal(mig_strerror(a), mig_strerror(b));
}

static void test_bounds_before_payload(void **state)
{
	/* A header claiming a 4 GiB section is refused from its 8 header bytes; an oversized private page too. */
	uint8_t s[MIG_HEADER_SIZE + MIG_SECTION_HDR_SIZE] = "SNPM";
	struct mig_reader r;
	struct mig_section sec;
	size_t used, need;
	le32_store(s + 4, MIG_VERSION);
	le32_store(s + MIG_HEADER_SIZE, MIG_SEC_PRIVATE_PAGE);
	le32_store(s + MIG_HEADER_SIZE + 4, MIG_SECTION_PAYLOAD_MAX);
	assert_int_equal(mig_reader_init(&r), 0);
	assert_int_equal(mig_reader_next(&r, s, sizeof(s), &used, &need, &sec), MIG_MORE);
	assert_int_equal(used, MIG_HEADER_SIZE);
	assert_int_equal(need, MIG_SECTION_BYTES_MAX);
	mig_reader_release(&r);
	le32_store(s + MIG_HEADER_SIZE + 4, 0xFFFFFFFFu);
	assert_int_equal(mig_reader_init(&r), 0);
	assert_int_equal(mig_reader_next(&r, s, sizeof(s), &used, &need, &sec), -MIG_ERR_LENGTH);
	assert_int_equal(mig_reader_next(&r, s, sizeof(s), &used, &need, &sec), -MIG_ERR_LENGTH); /* sticky */
	assert_int_equal(mig_reader_finish(&r), -MIG_ERR_LENGTH);
	mig_reader_release(&r);
	/* A wrong first byte is refused before 16 bytes are in. */
	assert_int_equal(mig_reader_init(&r), 0);
	assert_int_equal(mig_reader_next(&r, (const uint8_t *)"X", 1, &used, &need, &sec), -MIG_ERR_MAGIC);
	mig_reader_release(&r);
}

static void test_writer_refusals(void **state)
{
	struct membuf m = {.fail_after = -1};
	struct mig_writer w;
	uint8_t big[70000] = {0};
	struct mig_piece p = {big, 4096}, huge = {big, sizeof(big)};
	assert_int_equal(mig_writer_begin(&w, mem_sink, &m), 0);
	assert_int_equal(mig_writer_section(&w, 0x77, &p, 1), -MIG_ERR_SECTION);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_SHARED_PAGE, &p, 1), -MIG_ERR_LENGTH); /* no GPA */
	assert_int_equal(mig_writer_section(&w, MIG_SEC_VCPU, &huge, 1), -MIG_ERR_LENGTH);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_END, &p, 1), -MIG_ERR_SECTION);
	assert_int_equal(w.bytes, MIG_HEADER_SIZE); /* refusals wrote nothing */
	assert_int_equal(mig_writer_end(&w), 0);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_CONFIG, &p, 1), -MIG_ERR_STATE);
	unsigned n;
	assert_int_equal(read_stream(m.data, m.len, 5, &n, false), MIG_DONE);
	assert_int_equal(n, 0);
	free(m.data);

	/* A failing sink is sticky. */
	memset(&m, 0, sizeof(m));
	m.fail_after = 2;
	assert_int_equal(mig_writer_begin(&w, mem_sink, &m), 0);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_CONFIG, &p, 1), -MIG_ERR_SINK);
	assert_int_equal(mig_writer_section(&w, MIG_SEC_CONFIG, &p, 1), -MIG_ERR_SINK);
	assert_int_equal(mig_writer_end(&w), -MIG_ERR_SINK);
	free(m.data);
}

static void test_section_table(void **state)
{
	const struct mig_section_info *pp = mig_section_find(MIG_SEC_PRIVATE_PAGE);
	assert_non_null(pp);
	assert_string_equal(pp->name, "PRIVATE_PAGE");
	assert_int_equal(pp->max_len, MIG_SECTION_PAYLOAD_MAX);
	assert_null(mig_section_find(0));
	assert_null(mig_section_find(0x7E));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_any_split), cmocka_unit_test(test_digest_leaves_ciphertext_to_the_tag),
	    cmocka_unit_test(test_each_error_distinct), cmocka_unit_test(test_bounds_before_payload),
	    cmocka_unit_test(test_writer_refusals),	cmocka_unit_test(test_section_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

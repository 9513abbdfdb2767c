/* SPDX-License-Identifier: MIT */
/* The VMM certificate provider (src/vmm/certs_provider.h): table served from a file under a shared OFD lock. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/le.h>

#include "vmm/certs_provider.h"

#define GUEST_PAGES 4u
#define BASE_GPA    0x40000ull
#define BLOB_LEN    5000u

/* A guest with GUEST_PAGES pages at BASE_GPA; the writer refuses anything outside. */
struct guest {
	uint8_t mem[GUEST_PAGES * 4096];
	int writes;
	int fail;
};

static int guest_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	struct guest *g = ctx;
	g->writes++;
	if (g->fail || gpa < BASE_GPA || gpa - BASE_GPA + len > sizeof(g->mem))
		return -EFAULT;
	memcpy(g->mem + (gpa - BASE_GPA), buf, len);
	return 0;
}

static char path[64];
static uint8_t table[2 * SNP_CERT_ENTRY_SIZE + SNP_CERT_ENTRY_SIZE + 2 * BLOB_LEN];

/* Two entries (VCEK-like and ASK-like GUID bytes), the terminator, two blobs: 10072 bytes, three pages. */
static void build_table(void)
{
	memset(table, 0, sizeof(table));
	const uint32_t hdr = 3 * SNP_CERT_ENTRY_SIZE;
	for (unsigned int i = 0; i < 2; i++) {
		uint8_t *e = table + i * SNP_CERT_ENTRY_SIZE;
		memset(e, 0x11 * (i + 1), SNP_GUID_SIZE);
		le32_store(e + SNP_CERT_ENTRY_OFF_OFFSET, hdr + i * BLOB_LEN);
		le32_store(e + SNP_CERT_ENTRY_OFF_LENGTH, BLOB_LEN);
	}
	for (unsigned int i = 0; i < 2 * BLOB_LEN; i++)
		table[hdr + i] = (uint8_t)(i * 7 + 1);
}

static void write_file(const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/snpemu-certs-%d", (int)getpid());
	build_table();
	write_file(table, sizeof(table));
	struct vmm_certs_provider *p;
	if (vmm_certs_provider_create(path, &p))
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	vmm_certs_provider_destroy(*state);
	unlink(path);
	return 0;
}

static void test_serves_table(void **state)
{
	static struct guest g;
	memset(&g, 0xEE, sizeof(g.mem));
	g.writes = 0, g.fail = 0;
	uint64_t need = 0;
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 3, guest_write, &g, &need), 0);
	assert_memory_equal(g.mem, table, sizeof(table));
	for (size_t i = sizeof(table); i < 3 * 4096; i++)
		assert_int_equal(g.mem[i], 0);	 /* zero padding to the end of the last page */
	assert_int_equal(g.mem[3 * 4096], 0xEE); /* nothing past the pages given */
}

static void test_too_few_pages(void **state)
{
	static struct guest g;
	memset(&g, 0, sizeof(g));
	uint64_t need = 0;
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 2, guest_write, &g, &need), ENOSPC);
	assert_int_equal(need, 3);
	assert_int_equal(g.writes, 0);
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 0, guest_write, &g, &need), ENOSPC);
}

static void test_errors(void **state)
{
	static struct guest g;
	memset(&g, 0, sizeof(g));
	uint64_t need = 0;
	/* The writer fails (guest pages not writable). */
	g.fail = 1;
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 3, guest_write, &g, &need), EIO);
	g.fail = 0;
	/* A table without a terminator. */
	uint8_t bad[48];
	memset(bad, 0x33, sizeof(bad));
	write_file(bad, sizeof(bad));
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 3, guest_write, &g, &need), EIO);
	/* A blob pointing outside the file. */
	uint8_t outside[2 * SNP_CERT_ENTRY_SIZE] = {0};
	memset(outside, 0x44, SNP_GUID_SIZE);
	le32_store(outside + SNP_CERT_ENTRY_OFF_OFFSET, 48);
	le32_store(outside + SNP_CERT_ENTRY_OFF_LENGTH, 100);
	write_file(outside, sizeof(outside));
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 3, guest_write, &g, &need), EIO);
	/* Larger than VMM_CERTS_MAX_BYTES. */
	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, VMM_CERTS_MAX_BYTES + 1), 0);
	close(fd);
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 3, guest_write, &g, &need), EIO);
	/* Missing file. */
	unlink(path);
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 3, guest_write, &g, &need), EIO);
	assert_int_equal(g.writes, 1); /* only the failing-writer attempt wrote */
	/* Bad arguments. */
	assert_int_equal(vmm_certs_provider_create("", &(struct vmm_certs_provider *){NULL}), -EINVAL);
	assert_int_equal(vmm_certs_provide(NULL, BASE_GPA, 3, guest_write, &g, &need), EIO);
	write_file(table, sizeof(table));
}

static void test_empty_file(void **state)
{
	static struct guest g;
	memset(&g, 0xEE, sizeof(g));
	g.writes = 0, g.fail = 0;
	write_file("", 0);
	uint64_t need = 0;
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 0, guest_write, &g, &need), ENOSPC);
	assert_int_equal(need, 1);
	assert_int_equal(vmm_certs_provide(*state, BASE_GPA, 1, guest_write, &g, &need), 0);
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(g.mem[i], 0); /* the 24-byte terminator and padding */
	write_file(table, sizeof(table));
}

static void test_complete_exit(void **state)
{
	static struct guest g;
	memset(&g, 0, sizeof(g));
	struct snpemu_run run;
	memset(&run, 0, sizeof(run));
	run.exit_reason = SNPEMU_EXIT_SNP_REQ_CERTS;
	run.snp_req_certs.gpa = BASE_GPA;
	run.snp_req_certs.npages = 1;
	assert_int_equal(vmm_certs_complete_exit(*state, &run, guest_write, &g), ENOSPC);
	assert_int_equal(run.snp_req_certs.ret, ENOSPC);
	assert_int_equal(run.snp_req_certs.npages, 3);
	assert_int_equal(vmm_certs_complete_exit(*state, &run, guest_write, &g), 0);
	assert_int_equal(run.snp_req_certs.ret, 0);
	assert_memory_equal(g.mem, table, sizeof(table));
	run.exit_reason = SNPEMU_EXIT_HYPERCALL;
	assert_int_equal(vmm_certs_complete_exit(*state, &run, guest_write, &g), -EINVAL);
}

struct lock_ctx {
	struct vmm_certs_provider *p;
	struct guest g;
	atomic_int done;
	int ret;
};

static void *provide_thread(void *arg)
{
	struct lock_ctx *c = arg;
	uint64_t need = 0;
	c->ret = vmm_certs_provide(c->p, BASE_GPA, 3, guest_write, &c->g, &need);
	atomic_store(&c->done, 1);
	return NULL;
}

static int ofd_lock(int fd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};
	return fcntl(fd, F_OFD_SETLKW, &fl);
}

/* An updater holding the exclusive lock is waited for; the provider then serves the updated table.  Readers do
 * not exclude each other. */
static void test_shared_lock(void **state)
{
	static struct lock_ctx c;
	memset(&c, 0, sizeof(c));
	c.p = *state;
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ofd_lock(fd, F_RDLCK), 0);
	provide_thread(&c); /* another reader: no wait */
	assert_int_equal(c.ret, 0);
	assert_int_equal(ofd_lock(fd, F_UNLCK), 0);

	memset(&c, 0, sizeof(c));
	c.p = *state;
	assert_int_equal(ofd_lock(fd, F_WRLCK), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, provide_thread, &c), 0);
	usleep(50000);
	/* Still blocked: it cannot finish before the exclusive lock is dropped (a provider that did not lock would
	 * have served the old table by now). */
	assert_int_equal(atomic_load(&c.done), 0);
	/* Update in place: second blob changes. */
	table[3 * SNP_CERT_ENTRY_SIZE + BLOB_LEN] ^= 0xFF;
	assert_int_equal(pwrite(fd, table, sizeof(table), 0), (ssize_t)sizeof(table));
	assert_int_equal(ofd_lock(fd, F_UNLCK), 0);
	pthread_join(t, NULL);
	assert_int_equal(c.ret, 0);
	assert_memory_equal(c.g.mem, table, sizeof(table));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_serves_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_few_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_complete_exit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_lock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Certificate provider for SNP_REQ_CERTS exits (certs_provider.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snpemu/fw.h>

#include "certs_provider.h"

#define PAGE		4096u
#define EMPTY_TABLE_LEN 24u /* the all-zero terminator entry */
#define MAX_ENTRIES	64u

struct vmm_certs_provider {
	char *path;
};

int vmm_certs_provider_create(const char *path, struct vmm_certs_provider **out)
{
	if (!path || !*path || !out)
		return -EINVAL;
	*out = NULL;
	struct vmm_certs_provider *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->path = strdup(path);
	if (!p->path) {
		free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void vmm_certs_provider_destroy(struct vmm_certs_provider *p)
{
	if (!p)
		return;
	free(p->path);
	free(p);
}

/* OFD locks belong to the open file description, so threads of one VMM serving different vCPUs do not share (and
 * release) each other's locks as with classic POSIX record locks. */
static int lock_shared(int fd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	int r;
	do
		r = fcntl(fd, F_OFD_SETLKW, &fl);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Read the whole file under the shared lock into a page-padded buffer. */
static int read_table(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return EIO;
	int ret = EIO;
	uint8_t *b = NULL;
	if (lock_shared(fd, F_RDLCK) < 0)
		goto out;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > (off_t)VMM_CERTS_MAX_BYTES)
		goto unlock;
	size_t n = (size_t)sb.st_size;
	size_t cap = n < EMPTY_TABLE_LEN ? EMPTY_TABLE_LEN : n;
	b = calloc(1, cap);
	if (!b)
		goto unlock;
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, b + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto unlock; /* truncated under us or unreadable */
		got += (size_t)r;
	}
	*buf = b;
	*len = n ? n : EMPTY_TABLE_LEN; /* empty file: the zero terminator alone */
	b = NULL;
	ret = 0;
unlock:
	lock_shared(fd, F_UNLCK);
out:
	free(b);
	close(fd);
	return ret;
}

int vmm_certs_provide(struct vmm_certs_provider *p, uint64_t gpa, uint64_t npages, vmm_certs_write_fn write, void *ctx,
		      uint64_t *pages_needed)
{
	if (!p || !write)
		return EIO;
	uint8_t *buf = NULL;
	size_t len = 0;
	if (read_table(p->path, &buf, &len))
		return EIO;
	int ret = EIO;
	struct fw_cert_entry entries[MAX_ENTRIES];
	size_t count = 0;
	/* Serve only a table the guest can parse: a corrupt file is the host's failure, not the guest's. */
	if (fw_cert_table_parse(buf, len, entries, MAX_ENTRIES, &count))
		goto out;
	uint64_t need = (len + PAGE - 1) / PAGE;
	if (npages < need) {
		if (pages_needed)
			*pages_needed = need;
		ret = ENOSPC;
		goto out;
	}
	/* The table, then zeros to the end of its last page (no stale guest bytes look like table data). */
	if (write(ctx, gpa, buf, len))
		goto out;
	if (len % PAGE) {
		static const uint8_t zeros[PAGE];
		if (write(ctx, gpa + len, zeros, PAGE - len % PAGE))
			goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int vmm_certs_complete_exit(struct vmm_certs_provider *p, struct snpemu_run *run, vmm_certs_write_fn write, void *ctx)
{
	if (!run || run->exit_reason != SNPEMU_EXIT_SNP_REQ_CERTS)
		return -EINVAL;
	uint64_t need = 0;
	int ret = vmm_certs_provide(p, run->snp_req_certs.gpa, run->snp_req_certs.npages, write, ctx, &need);
	if (ret == ENOSPC)
		run->snp_req_certs.npages = need;
	run->snp_req_certs.ret = (uint64_t)ret;
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * VMM certificate provider for extended guest requests (spec §10; KVM Documentation: the SNP_REQ_CERTS exit).
 * It serves a certificate table (GHCB 56421 Table 10: entries, zero terminator, blobs — as fw_cert_table_build
 * writes it) from a file, read under a shared file lock (an OFD read lock, F_OFD_SETLKW) so that a firmware or
 * endorsement-key updater holding the exclusive lock is never read half-written.  The guest's pages are written
 * through a caller-provided writer, so the provider never touches guest memory itself.
 */
#ifndef SNPEMU_VMM_CERTS_PROVIDER_H
#define SNPEMU_VMM_CERTS_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include <snpemu/abi/run.h>

#define VMM_CERTS_MAX_BYTES (16u * 1024u * 1024u) /* a larger file is refused (EIO) */

/* Write `len` bytes at guest physical address `gpa` (the guest's shared certificate pages).  0 or -errno. */
typedef int (*vmm_certs_write_fn)(void *ctx, uint64_t gpa, const void *buf, size_t len);

struct vmm_certs_provider;

/* Create a provider serving the table in the file at `path` (the file is opened on every request, so it may be
 * replaced or updated in place under the exclusive lock).  0, -EINVAL (NULL or empty path), -ENOMEM. */
int vmm_certs_provider_create(const char *path, struct vmm_certs_provider **out);
/* Free a provider (NULL is fine). */
void vmm_certs_provider_destroy(struct vmm_certs_provider *p);

/* Serve one request for `npages` 4 KiB pages at `gpa`: read the file under the shared lock, check that it is a
 * well-formed certificate table (fw_cert_table_parse), and write it, zero-padded to a whole page, through `write`.
 * An empty file serves an empty table (the 24-byte terminator).  Returns the SNP_REQ_CERTS ret value: 0 (written),
 * ENOSPC (the table needs more pages: *pages_needed set), EIO (file missing, unreadable, malformed, too large, or
 * the writer failed).  Positive values, as the exit's ret field carries them. */
int vmm_certs_provide(struct vmm_certs_provider *p, uint64_t gpa, uint64_t npages, vmm_certs_write_fn write, void *ctx,
		      uint64_t *pages_needed);

/* Complete an SNP_REQ_CERTS exit: serve run->snp_req_certs.{gpa, npages} and set ret (and npages on ENOSPC).
 * Returns the ret value, or -EINVAL if `run` is not at an SNP_REQ_CERTS exit. */
int vmm_certs_complete_exit(struct vmm_certs_provider *p, struct snpemu_run *run, vmm_certs_write_fn write, void *ctx);

#endif

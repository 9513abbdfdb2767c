/* SPDX-License-Identifier: MIT */
/*
 * The dirty log of the backends whose guest RAM is ordinary memory of this process (sim and tcg): written by the
 * vCPU threads (sim: the guest's code; tcg: Unicorn's TCG, whose every instance maps the VMM's one mapping with
 * uc_mem_map_ptr, so its stores are ordinary stores to that range) and by the VMM and the engine alike, so the
 * tracking is the kernel's write tracking of that range.
 * Soft-dirty bits (/proc/self/clear_refs "4", pagemap bit 55) would track the whole process and are not built into
 * every kernel (not into this one); instead the range is registered with userfaultfd in asynchronous write-protect
 * mode (UFFD_FEATURE_WP_ASYNC, Linux 6.7): a write to a protected page faults once, the kernel unprotects it
 * without waking any handler thread and marks it written; PAGEMAP_SCAN on /proc/self/pagemap (Linux 6.7) then
 * returns the written pages and write-protects them again in one call - KVM_GET_DIRTY_LOG's get-and-clear.
 * Cost: one minor fault per page per round (bench/vmm_dirty measures it).  userfaultfd needs CAP_SYS_PTRACE or
 * vm.unprivileged_userfaultfd = 1 (else -EPERM).
 *
 * The installed uapi headers predate both interfaces: the constants below are those of Linux's
 * include/uapi/linux/userfaultfd.h and include/uapi/linux/fs.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/vmm_internal.h"

#define UFFD_FEATURE_WP_UNPOPULATED_ (1ull << 13) /* never-touched pages are tracked too */
#define UFFD_FEATURE_WP_ASYNC_	     (1ull << 15) /* the kernel resolves write-protect faults itself */

/* PAGEMAP_SCAN (uapi/linux/fs.h). */
struct pm_page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN_	      _IOWR('f', 16, struct pm_scan_arg)
#define PM_PAGE_IS_WRITTEN    (1ull << 1)
#define PM_PAGE_IS_PRESENT    (1ull << 3)
#define PM_PAGE_IS_SWAPPED    (1ull << 4)
#define PM_PAGE_IS_PFNZERO    (1ull << 5) /* mapped to the shared zero page (read, never written) */
#define PM_SCAN_WP_MATCHING   (1ull << 0) /* write-protect what matched: get and clear */
#define PM_SCAN_CHECK_WPASYNC (1ull << 1) /* fail on a page not under async write-protect */
#define SCAN_REGIONS	      256u

struct uffd_dirty {
	int uffd;
	int pagemap;
};

void vmm_uffd_dirty_log_stop(struct vmm_vm *vm)
{
	struct uffd_dirty *d = vm->dirty_log;
	if (!d)
		return;
	close(d->uffd); /* unregisters the range and drops the protection */
	close(d->pagemap);
	free(d);
	vm->dirty_log = NULL;
}

int vmm_uffd_dirty_log_start(struct vmm_vm *vm)
{
	if (vm->dirty_log)
		return -EBUSY;
	struct uffd_dirty *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->pagemap = -1;
	d->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (d->uffd < 0) {
		int rc = -errno;
		free(d);
		return rc;
	}
	vm->dirty_log = d;
	struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC_ | UFFD_FEATURE_WP_UNPOPULATED_};
	struct uffdio_register reg = {
	    .range = {(uint64_t)(uintptr_t)vm->mem, vm->mem_size},
	    .mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffdio_writeprotect wp = {.range = reg.range, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
	int rc = 0;
	if (ioctl(d->uffd, UFFDIO_API, &api))
		rc = errno == EINVAL ? -ENOTSUP : -errno; /* a kernel without asynchronous write-protect */
	else if (ioctl(d->uffd, UFFDIO_REGISTER, &reg) || ioctl(d->uffd, UFFDIO_WRITEPROTECT, &wp))
		rc = -errno;
	else if ((d->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) < 0)
		rc = -errno;
	if (rc)
		vmm_uffd_dirty_log_stop(vm);
	return rc;
}

static void mark(uint64_t *bitmap, uint64_t first, uint64_t end)
{
	for (uint64_t p = first; p < end; p++)
		bitmap[p / 64] |= 1ull << (p % 64);
}

/* ORs into bitmap the pages of guest RAM [gpa, +len) in the categories the scan asks for (PAGEMAP_SCAN without
 * write-protecting anything unless `flags` says so). */
static int scan_range(struct vmm_vm *vm, int pagemap, uint64_t flags, struct pm_scan_arg arg, uint64_t gpa,
		      uint64_t len, uint64_t *bitmap)
{
	const uint64_t base = (uint64_t)(uintptr_t)vm->mem, end = base + gpa + len;
	struct pm_page_region regions[SCAN_REGIONS];
	arg.size = sizeof(arg);
	arg.flags = flags;
	arg.start = base + gpa;
	arg.end = end;
	arg.vec = (uint64_t)(uintptr_t)regions;
	arg.vec_len = SCAN_REGIONS;
	/* The scan stops early when the region buffer fills: go on from where it stopped. */
	while (arg.start < end) {
		long n = ioctl(pagemap, PAGEMAP_SCAN_, &arg);
		if (n < 0)
			return -errno;
		for (long i = 0; i < n; i++)
			mark(bitmap, (regions[i].start - base) / 4096, (regions[i].end - base) / 4096);
		if (arg.walk_end <= arg.start)
			return -EIO;
		arg.start = arg.walk_end;
	}
	return 0;
}

/* The same over all of guest RAM, as a bitmap of its own. */
static int scan(struct vmm_vm *vm, int pagemap, uint64_t flags, struct pm_scan_arg arg, uint64_t *bitmap, size_t words)
{
	memset(bitmap, 0, words * sizeof(*bitmap));
	return scan_range(vm, pagemap, flags, arg, 0, vm->mem_size, bitmap);
}

/* Whether the host swaps (SwapTotal in /proc/meminfo not 0, or unknown). */
static bool host_swaps(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	bool swaps = true;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long kb;
		if (sscanf(line, "SwapTotal: %llu kB", &kb) == 1) {
			swaps = kb != 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return swaps;
}

int vmm_mem_populated(struct vmm_vm *vm, uint64_t *bitmap, size_t words)
{
	if (words < VMM_DIRTY_WORDS(vm->mem_size))
		return -ENOSPC;
	int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap < 0)
		return -errno;
	/* Present, and not the shared zero page; or swapped out.  The write-protect markers the dirty log leaves on
	 * never-touched pages read as swap entries, so "swapped" is asked only of a host that swaps (else every page
	 * would count: correct, but every page read). */
	uint64_t held = PM_PAGE_IS_PRESENT | (host_swaps() ? PM_PAGE_IS_SWAPPED : 0);
	struct pm_scan_arg arg = {
	    .category_inverted = PM_PAGE_IS_PFNZERO,
	    .category_mask = PM_PAGE_IS_PFNZERO,
	    .category_anyof_mask = held,
	    .return_mask = held | PM_PAGE_IS_PFNZERO,
	};
	int rc = scan(vm, pagemap, 0, arg, bitmap, words);
	close(pagemap);
	return rc;
}

int vmm_uffd_dirty_log_get(struct vmm_vm *vm, uint64_t *bitmap, size_t words)
{
	struct uffd_dirty *d = vm->dirty_log;
	if (!d)
		return -EINVAL;
	if (words < VMM_DIRTY_WORDS(vm->mem_size))
		return -ENOSPC;
	struct pm_scan_arg arg = {.category_mask = PM_PAGE_IS_WRITTEN, .return_mask = PM_PAGE_IS_WRITTEN};
	return scan(vm, d->pagemap, PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC, arg, bitmap, words);
}

int vmm_uffd_dirty_log_peek(struct vmm_vm *vm, uint64_t gpa, uint64_t len, uint64_t *bitmap)
{
	struct uffd_dirty *d = vm->dirty_log;
	if (!d)
		return -EINVAL;
	if (gpa % 4096 || len % 4096 || gpa > vm->mem_size || len > vm->mem_size - gpa)
		return -EINVAL;
	/* Written since the last write-protect: what the next get returns (its WP_MATCHING re-protects them). */
	struct pm_scan_arg arg = {.category_mask = PM_PAGE_IS_WRITTEN, .return_mask = PM_PAGE_IS_WRITTEN};
	return scan_range(vm, d->pagemap, 0, arg, gpa, len, bitmap);
}

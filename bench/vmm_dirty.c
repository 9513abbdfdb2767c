/* SPDX-License-Identifier: MIT */
/*
 * The sim backend's dirty log (issue 11: live migration's pre-copy rounds), over 64 MiB of populated guest RAM:
 *   - cost per write-faulted page: the first write to each page after the log was (re)armed, against the same
 *     write to an untracked page and against copying the page (what pre-copy then does with it), as ratios;
 *   - pages/s tracked: dirty pages reported (and re-armed) per second by dirty_log_get, with every page dirty and
 *     with 1/64 of them dirty; and the scan rate of a clean log.
 * The kvm backend's log (KVM_GET_DIRTY_LOG) is KVM's own; it is exercised by tests/vmm/test_backend_ops where
 * /dev/kvm works, not timed here.  Best of REPS runs (the machine is shared).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/vmm_internal.h"

#define MEM   (64ull << 20)
#define PAGES (MEM / 4096)
#define REPS  5

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One byte into every `stride`-th page; ns per page written. */
static double write_pages(uint8_t *mem, uint64_t stride, uint8_t value)
{
	double t0 = now_ns();
	for (uint64_t p = 0; p < PAGES; p += stride)
		((volatile uint8_t *)mem)[p * 4096 + (p & 4095)] = value;
	return (now_ns() - t0) / (double)(PAGES / stride);
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

int main(void)
{
	struct vmm_vm *vm = calloc(1, sizeof(*vm));
	size_t words = VMM_DIRTY_WORDS(MEM);
	uint64_t *bitmap = calloc(words, sizeof(*bitmap));
	uint8_t *copy = malloc(4096);
	if (!vm || !bitmap || !copy)
		return 1;
	vm->mem_size = MEM;
	if (vmm_mem_map(vm))
		return 1;
	memset(vm->mem, 1, MEM); /* populated, as a running guest's RAM is */
	int rc = vmm_backend_sim.dirty_log_start(vm);
	if (rc) {
		printf("vmm_dirty: the sim dirty log is not available here (%d); nothing to measure\n", rc);
		return 0;
	}
	double untracked = 1e30, tracked = 1e30, copy_ns = 1e30, get_all = 1e30, get_sparse = 1e30, get_clean = 1e30;
	unsigned long long reported = 0;
	for (int rep = 0; rep < REPS; rep++) {
		/* Armed: every first write faults once. */
		tracked = min_d(tracked, write_pages(vm->mem, 1, (uint8_t)rep));
		untracked = min_d(untracked, write_pages(vm->mem, 1, (uint8_t)(rep + 1))); /* now unprotected */
		double t0 = now_ns();
		if (vmm_backend_sim.dirty_log_get(vm, bitmap, words))
			return 1;
		get_all = min_d(get_all, now_ns() - t0);
		reported = 0;
		for (size_t i = 0; i < words; i++)
			reported += (unsigned long long)__builtin_popcountll(bitmap[i]);
		write_pages(vm->mem, 64, (uint8_t)rep);
		t0 = now_ns();
		if (vmm_backend_sim.dirty_log_get(vm, bitmap, words))
			return 1;
		get_sparse = min_d(get_sparse, now_ns() - t0);
		t0 = now_ns();
		if (vmm_backend_sim.dirty_log_get(vm, bitmap, words))
			return 1;
		get_clean = min_d(get_clean, now_ns() - t0);
		t0 = now_ns();
		for (uint64_t p = 0; p < PAGES; p++)
			memcpy(copy, vm->mem + p * 4096, 4096);
		copy_ns = min_d(copy_ns, (now_ns() - t0) / (double)PAGES);
		write_pages(vm->mem, 1, 0); /* leave every page dirty-and-armed for the next rep: re-arm */
		vmm_backend_sim.dirty_log_get(vm, bitmap, words);
	}
	vmm_backend_sim.dirty_log_stop(vm);
	if (reported != PAGES)
		printf("vmm_dirty: WARNING: %llu of %llu written pages reported dirty\n", reported,
		       (unsigned long long)PAGES);
	printf("sim dirty log (userfaultfd async write-protect + PAGEMAP_SCAN), %llu MiB guest RAM, best of %d\n",
	       (unsigned long long)(MEM >> 20), REPS);
	printf("  write-faulted page: %.0f ns vs %.1f ns untracked: +%.0f ns per page = %.1f x copying the page "
	       "(%.0f ns)\n",
	       tracked, untracked, tracked - untracked, (tracked - untracked) / copy_ns, copy_ns);
	printf("  dirty_log_get, all %llu pages dirty: %.2f ms = %.2f M pages/s tracked\n", (unsigned long long)PAGES,
	       get_all / 1e6, (double)PAGES / get_all * 1e3);
	printf("  dirty_log_get, 1/64 dirty: %.2f ms = %.2f M dirty pages/s, %.1f M RAM pages/s scanned\n",
	       get_sparse / 1e6, (double)(PAGES / 64) / get_sparse * 1e3, (double)PAGES / get_sparse * 1e3);
	printf("  dirty_log_get, clean: %.3f ms = %.1f M RAM pages/s scanned\n", get_clean / 1e6,
	       (double)PAGES / get_clean * 1e3);
	printf("  ratio: tracking one dirty page (fault + report) / copying it = %.2f\n",
	       ((tracked - untracked) + get_all / (double)PAGES) / copy_ns);
	vmm_mem_unmap(vm);
	free(vm);
	free(bitmap);
	free(copy);
	return 0;
}

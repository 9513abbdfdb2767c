/* SPDX-License-Identifier: MIT */
/*
 * Page-state change throughput through the engine (issue 5 benchmark): a 1 TiB SNP guest (only its page-state
 * map exists; guest memory is one small slot for the GHCB, nothing else is reserved or touched) converted
 * private -> shared -> private in 2 MiB entries through the PSC NAE, each HYPERCALL exit applied by a VMM handler
 * to the firmware RMP model (hv_map_gpa_range_apply).  Prints the time per direction against the 1 s limit, the
 * page-state memory per 4 KiB page against the 2-bit limit, and the 4 KiB-entry throughput in pages per second
 * (coalesced, and with every entry its own exit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/fw.h>
#include <snpemu/hv.h>

#include "bench.h"

#define GUEST_BYTES (1ull << 40)
#define GHCB_GPA    0x1000ull
#define FIRST_GFN   0x200ull /* the first 2 MiB (the GHCB's) stays shared */
#define MEM_BYTES   (16u * 1024u)

struct bench {
	struct hv_vm *vm;
	struct hv_vcpu *v;
	struct snpemu_run *run;
	struct fw_rmp *rmp;
	uint8_t *mem;
	uint64_t exits, failures;
};

/* One PSC NAE of `n` entries (already in the shared buffer), with the VMM handling every exit. */
static int psc_nae(struct bench *b, unsigned int n)
{
	struct ghcb *g = (struct ghcb *)(b->mem + GHCB_GPA);
	uint8_t *d = b->mem + GHCB_GPA + GHCB_OFF_SHARED_BUFFER;
	psc_hdr_set(d, 0, (uint16_t)(n - 1));
	memset(g, 0, GHCB_OFF_SHARED_BUFFER);
	ghcb_set_sw_exit_code(g, SVM_VMGEXIT_PSC);
	ghcb_set_sw_exit_info_1(g, 0);
	ghcb_set_sw_exit_info_2(g, 0);
	ghcb_set_sw_scratch(g, GHCB_GPA + GHCB_OFF_SHARED_BUFFER);
	int r = hv_vcpu_vmgexit(b->v);
	while (r == 0 && b->run->exit_reason == SNPEMU_EXIT_HYPERCALL) {
		b->exits++;
		b->run->hypercall.ret = hv_map_gpa_range_apply(b->rmp, b->run) ? 1 : 0;
		r = hv_vcpu_vmgexit(b->v);
	}
	if (r != 1 || ghcb_get_sw_exit_info_2(g) != 0) {
		b->failures++;
		return -1;
	}
	return 0;
}

/* Convert [FIRST_GFN, end) in 2 MiB entries to `op`; returns seconds. */
static double convert_2m(struct bench *b, unsigned int op)
{
	uint8_t *d = b->mem + GHCB_GPA + GHCB_OFF_SHARED_BUFFER;
	const uint64_t end = GUEST_BYTES >> 12;
	double t0 = bench_now_s();
	for (uint64_t gfn = FIRST_GFN; gfn < end;) {
		unsigned int n = 0;
		for (; n < VMGEXIT_PSC_MAX_ENTRY && gfn < end; n++, gfn += 512)
			psc_entry_store(d, n, psc_entry_make(gfn, op, RMP_PG_SIZE_2M, 0));
		if (psc_nae(b, n))
			break;
	}
	return bench_now_s() - t0;
}

/* 4 KiB entries over `pages` pages from gfn 0x100000; `split` alternates operations so no entries coalesce. */
static double convert_4k(struct bench *b, uint64_t pages, int split)
{
	uint8_t *d = b->mem + GHCB_GPA + GHCB_OFF_SHARED_BUFFER;
	double t0 = bench_now_s();
	for (uint64_t i = 0; i < pages;) {
		unsigned int n = 0;
		for (; n < VMGEXIT_PSC_MAX_ENTRY && i < pages; n++, i++) {
			unsigned int op = split && (i & 1) ? SNP_PAGE_STATE_SHARED : SNP_PAGE_STATE_PRIVATE;
			psc_entry_store(d, n, psc_entry_make(0x100000 + i, op, RMP_PG_SIZE_4K, 0));
		}
		if (psc_nae(b, n))
			break;
	}
	return bench_now_s() - t0;
}

int bench_hv_psc(struct bench_report *r)
{
	struct bench b = {0};
	int rc = -ENOMEM;
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SNP, .cbit = 51};
	b.mem = aligned_alloc(4096, MEM_BYTES);
	if (!b.mem || hv_vm_create(&cfg, &b.vm) || fw_rmp_create(GUEST_BYTES, &b.rmp)) {
		fprintf(stderr, "bench hv_psc: setup failed\n");
		goto out;
	}
	memset(b.mem, 0, MEM_BYTES);
	if (hv_vm_add_memslot(b.vm, 0, 0, MEM_BYTES, b.mem) ||
	    hv_vm_set_host_access(b.vm, hv_fw_rmp_host_access, b.rmp) ||
	    hv_vm_enable_hypercall_exits(b.vm, HV_HYPERCALL_EXIT_VALID_MASK) || hv_vcpu_create(b.vm, 0, &b.v)) {
		fprintf(stderr, "bench hv_psc: setup failed\n");
		goto out;
	}
	b.run = hv_vcpu_run(b.v);
	hv_vcpu_set_ghcb_msr(b.v, ghcb_msr_reg_gpa_req(GHCB_GPA >> 12));
	hv_vcpu_vmgexit(b.v);
	hv_vcpu_set_ghcb_msr(b.v, GHCB_GPA);

	const uint64_t pages = (GUEST_BYTES >> 12) - FIRST_GFN;
	double t_priv = convert_2m(&b, SNP_PAGE_STATE_PRIVATE);
	uint64_t priv = fw_rmp_count(b.rmp, FW_PAGE_PRIVATE);
	size_t mem_bytes = fw_rmp_memory_bytes(b.rmp);
	uint64_t exits_dir = b.exits;
	double t_shared = convert_2m(&b, SNP_PAGE_STATE_SHARED);
	uint64_t shared_left = fw_rmp_count(b.rmp, FW_PAGE_PRIVATE);
	double t_priv2 = convert_2m(&b, SNP_PAGE_STATE_PRIVATE);
	if (b.failures || priv != pages || shared_left != 0) {
		fprintf(stderr, "bench hv_psc: conversion incomplete (%llu failures, %llu/%llu private, %llu left)\n",
			(unsigned long long)b.failures, (unsigned long long)priv, (unsigned long long)pages,
			(unsigned long long)shared_left);
		rc = -EIO;
		goto out;
	}
	double bits = 8.0 * (double)mem_bytes / (double)(GUEST_BYTES >> 12);
	bench_add(r, t_shared, "s", 1.0, "s limit", 1.0, "1 TiB private->shared, 2M entries (%llu exits)",
		  (unsigned long long)exits_dir);
	bench_add(r, t_priv2, "s", 1.0, "s limit", 1.0, "1 TiB shared->private, 2M entries");
	bench_add(r, t_priv, "s", 1.0, "s limit", 1.0, "1 TiB first private (map grows), 2M entries");
	bench_add(r, bits, "bits/page", 2.0, "bits limit", 1.0, "page-state memory per 4 KiB page");
	const uint64_t n4k = 253ull * 2000;
	double t4 = convert_4k(&b, n4k, 0);
	uint64_t e0 = b.exits;
	double t4s = convert_4k(&b, n4k, 1);
	bench_add_rate(r, (double)n4k / t4, "pages/s", 0, "", 0, "4 KiB entries, coalesced");
	bench_add_rate(r, (double)n4k / t4s, "pages/s", 0, "", 0, "4 KiB entries, one exit each (%llu exits)",
		       (unsigned long long)(b.exits - e0));
	rc = b.failures ? -EIO : 0;
out:
	if (b.v)
		hv_vcpu_destroy(b.v);
	if (b.vm)
		hv_vm_destroy(b.vm);
	if (b.rmp)
		fw_rmp_destroy(b.rmp);
	free(b.mem);
	return rc;
}

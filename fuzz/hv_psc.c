/* SPDX-License-Identifier: MIT */
/*
 * Fuzz SNP page-state changes through the engine (spec §8): a random PSC descriptor (NAE form, in the GHCB shared
 * buffer or outside it, possibly private) or a random MSR PSC value, with a VMM that applies each HYPERCALL exit
 * to a firmware RMP model or fails it as the input says.  Every exit must be a well-formed MAP_GPA_RANGE range
 * inside what the descriptor allows, there are at most 253 of them, and the guest must get a defined PSC status.
 *
 * Input: [0] flags (bit0 hypercall exits on, bit1 descriptor outside the GHCB, bit2 that page private, bit3 MSR
 *        form), [1..8] MSR value (bit3), then the descriptor (up to 2032 bytes), then one byte per exit: bit0
 *        set = the VMM fails it with ret = the byte, else it converts the range in the RMP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/fw.h>
#include <snpemu/hv.h>

#define MEM_PAGES 16u
#define GHCB_GPA  0x1000ull
#define OUT_GPA	  0x4000ull /* a descriptor outside the GHCB (one page) */
#define HDR	  9u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	int out_private;
};

static int hook(void *c, uint64_t gpa, uint64_t len)
{
	const struct ctx *x = c;
	return x->out_private && gpa < OUT_GPA + 4096 && OUT_GPA < gpa + len ? -EACCES : 0;
}

static void check_hypercall(const struct snpemu_run *run)
{
	const uint64_t attrs = run->hypercall.args[2];
	if (run->hypercall.nr != SNPEMU_HC_MAP_GPA_RANGE || (run->hypercall.args[0] & 0xFFF) ||
	    !run->hypercall.args[1] || run->hypercall.args[1] > (uint64_t)VMGEXIT_PSC_MAX_ENTRY * 512 ||
	    run->hypercall.flags || (attrs & ~(SNPEMU_MAP_GPA_RANGE_ENCRYPTED | SNPEMU_MAP_GPA_RANGE_PAGE_SZ_2M)))
		abort();
	/* A 2 MiB range is whole 2 MiB pages. */
	if ((attrs & SNPEMU_MAP_GPA_RANGE_PAGE_SZ_2M) &&
	    ((run->hypercall.args[0] & 0x1FFFFF) || run->hypercall.args[1] % 512))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	const uint8_t flags = data[0];
	struct ctx x = {.out_private = (flags & 6) == 6};
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SNP, .cbit = 51};
	struct hv_vm *vm;
	struct hv_vcpu *v;
	struct fw_rmp *rmp;
	uint8_t *mem = aligned_alloc(4096, MEM_PAGES * 4096);
	if (!mem || hv_vm_create(&cfg, &vm) || fw_rmp_create(1ull << 40, &rmp))
		abort();
	memset(mem, 0, MEM_PAGES * 4096);
	if (hv_vm_add_memslot(vm, 0, 0, MEM_PAGES * 4096ull, mem) || hv_vm_set_host_access(vm, hook, &x) ||
	    hv_vm_enable_hypercall_exits(vm, (flags & 1) ? HV_HYPERCALL_EXIT_VALID_MASK : 0) ||
	    hv_vcpu_create(vm, 0, &v))
		abort();
	struct snpemu_run *run = hv_vcpu_run(v);
	if (hv_vcpu_set_ghcb_msr(v, ghcb_msr_reg_gpa_req(GHCB_GPA >> 12)) || hv_vcpu_vmgexit(v) != 1)
		abort();

	size_t desc_len = size - HDR < PSC_DESC_SIZE ? size - HDR : PSC_DESC_SIZE;
	const uint8_t *answers = data + HDR + desc_len;
	size_t nanswers = size - HDR - desc_len;
	const uint64_t desc_gpa = (flags & 2) ? OUT_GPA : GHCB_GPA + GHCB_OFF_SHARED_BUFFER;
	uint64_t msr_value = 0;
	if (flags & 8) {
		memcpy(&msr_value, data + 1, 8);
		msr_value = (msr_value & ~0xFFFull) | GHCB_MSR_PSC_REQ;
		if (hv_vcpu_set_ghcb_msr(v, msr_value))
			abort();
	} else {
		struct ghcb *g = (struct ghcb *)(mem + GHCB_GPA);
		memcpy(mem + desc_gpa, data + HDR, desc_len);
		ghcb_set_sw_exit_code(g, SVM_VMGEXIT_PSC);
		ghcb_set_sw_exit_info_1(g, 0);
		ghcb_set_sw_exit_info_2(g, 0);
		ghcb_set_sw_scratch(g, desc_gpa);
		if (hv_vcpu_set_ghcb_msr(v, GHCB_GPA))
			abort();
	}
	int r = hv_vcpu_vmgexit(v);
	unsigned int exits = 0;
	for (size_t i = 0; r == 0; i++) {
		if (run->exit_reason == SNPEMU_EXIT_MEMORY_FAULT) {
			if (!(run->memory_fault.flags & SNPEMU_MEMORY_EXIT_FLAG_PRIVATE) || !x.out_private)
				abort();
			x.out_private = 0;
		} else if (run->exit_reason == SNPEMU_EXIT_HYPERCALL) {
			check_hypercall(run);
			if (++exits > VMGEXIT_PSC_MAX_ENTRY || ((flags & 8) && exits > 1))
				abort();
			uint8_t a = i < nanswers ? answers[i] : 0;
			run->hypercall.ret = (a & 1) ? a : (hv_map_gpa_range_apply(rmp, run) ? 1 : 0);
		} else {
			abort();
		}
		r = hv_vcpu_vmgexit(v);
	}
	if (r != 1)
		abort();
	if (flags & 8) {
		uint64_t m = hv_vcpu_get_ghcb_msr(v);
		if (m != GHCB_MSR_PSC_RESP && m != (GHCB_MSR_PSC_RESP_ERROR | GHCB_MSR_PSC_RESP))
			abort();
	} else {
		const struct ghcb *g = (const struct ghcb *)(mem + GHCB_GPA);
		uint64_t i1 = ghcb_get_sw_exit_info_1(g), i2 = ghcb_get_sw_exit_info_2(g);
		bool ok = (i1 == 0 && (i2 == 0 || i2 == VMGEXIT_PSC_ERROR_INVALID_HDR ||
				       i2 == VMGEXIT_PSC_ERROR_INVALID_ENTRY || i2 == VMGEXIT_PSC_ERROR_GENERIC)) ||
			  (i1 == GHCB_HV_RESP_MALFORMED_INPUT && i2 == GHCB_ERR_INVALID_SCRATCH_AREA);
		if (!ok)
			abort();
		/* Success means every entry from the header's start is complete. */
		if (i1 == 0 && i2 == 0 && exits) {
			const uint8_t *d = mem + desc_gpa;
			if (psc_hdr_cur_entry(d) <= psc_hdr_end_entry(d))
				abort();
		}
	}
	hv_vcpu_destroy(v);
	if (hv_vm_destroy(vm))
		abort();
	fw_rmp_destroy(rmp);
	free(mem);
	return 0;
}

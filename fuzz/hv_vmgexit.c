/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the engine's VMGEXIT entry point: a random GHCB page, GHCB MSR value, VM setup and a sequence of VMM
 * completions.  Every outcome must be a resume with a defined response or a defined exit; never a crash, a
 * sanitizer report or a negative return other than the retryable -ENOMEM of an injected allocation failure.
 *
 * Input: [0] flags (bit0 SNP, bit1 hypercall exits, bit2 PV CPUID (KVM leaves), bit3 a private page, bit4 raw MSR
 *        value, bit5 register the GHCB page first (SNP), bit6 MAP_GPA_RANGE ungated, bit7 the first host
 *        allocation fails),
 *        [1..8] MSR value (bit4), [9] GHCB page number (pages >= 64 have no slot), [10] private page number,
 *        [11..4106] GHCB page, then completion bytes consumed per exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/hv.h>

#define MEM_PAGES 64u
#define HDR	  11u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	uint64_t private_gpa;
	int private_on;
};

static int fuzz_host_access(void *ctx, uint64_t gpa, uint64_t len)
{
	const struct fuzz_ctx *c = ctx;
	if (c->private_on && gpa < c->private_gpa + 4096 && c->private_gpa < gpa + len)
		return -EACCES;
	return 0;
}

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t next_byte(struct cursor *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

static uint64_t next_u64(struct cursor *c)
{
	uint64_t v = 0;
	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)next_byte(c) << (8 * i);
	return v;
}

/* A defined exit carries sane data. */
static void check_exit(const struct snpemu_run *run)
{
	switch (run->exit_reason) {
	case SNPEMU_EXIT_IO:
		if ((run->io.size != 1 && run->io.size != 2 && run->io.size != 4) ||
		    (uint64_t)run->io.count * run->io.size > SNPEMU_RUN_PIO_SIZE || !run->io.count ||
		    run->io.data_offset != SNPEMU_RUN_PIO_OFFSET)
			abort();
		break;
	case SNPEMU_EXIT_MMIO:
		if (!run->mmio.len || run->mmio.len > 8)
			abort();
		break;
	case SNPEMU_EXIT_HYPERCALL:
		if (run->hypercall.nr != 12 || !run->hypercall.args[1] || run->hypercall.args[0] & 0xFFF)
			abort();
		break;
	case SNPEMU_EXIT_SYSTEM_EVENT:
		if (run->system_event.type != SNPEMU_SYSTEM_EVENT_SEV_TERM || !run->system_event.ndata ||
		    run->system_event.ndata > 4)
			abort();
		break;
	case SNPEMU_EXIT_MEMORY_FAULT:
		if (run->memory_fault.flags & ~SNPEMU_MEMORY_EXIT_FLAG_PRIVATE || !run->memory_fault.size)
			abort();
		break;
	case SNPEMU_EXIT_X86_RDMSR:
	case SNPEMU_EXIT_X86_WRMSR:
	case SNPEMU_EXIT_AP_RESET_HOLD:
	case SNPEMU_EXIT_INTERNAL_ERROR:
		break;
	default:
		abort();
	}
}

/* A resumed NAE leaves a response: SW_EXITINFO1 in {0,1,2} with a GHCB_ERR_* reason for 2, and only response
 * fields valid. */
static void check_response(const struct ghcb *g, int exclusive)
{
	static const unsigned int allowed[] = {
	    GHCB_OFF_SW_EXIT_INFO_1, GHCB_OFF_SW_EXIT_INFO_2, GHCB_OFF_RAX, GHCB_OFF_RBX, GHCB_OFF_RCX, GHCB_OFF_RDX};
	uint8_t bm[16] = {0};
	for (unsigned int i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		ghcb_bitmap_set(bm, GHCB_BITMAP_IDX(allowed[i]));
	for (unsigned int i = 0; i < 16 && exclusive; i++)
		if (g->bytes[GHCB_OFF_VALID_BITMAP + i] & ~bm[i])
			abort();
	if (!ghcb_sw_exit_info_1_is_valid(g) || !ghcb_sw_exit_info_2_is_valid(g))
		abort();
	uint64_t i1 = ghcb_get_sw_exit_info_1(g), i2 = ghcb_get_sw_exit_info_2(g);
	if (i1 > 2 || (i1 == 2 && (i2 < GHCB_ERR_NOT_REGISTERED || i2 > GHCB_ERR_INVALID_EVENT)) ||
	    (i1 == 1 && i2 != GHCB_EXCEPTION_GP))
		abort();
}

/* hv_vcpu_vmgexit as a VMM calls it: the injected allocation failure (-ENOMEM, once) leaves the VMGEXIT pending
 * and is retried. */
static int vmgexit(struct hv_vcpu *v, uint8_t flags)
{
	int r = hv_vcpu_vmgexit(v);
	if (r == -ENOMEM) {
		if (!(flags & 128) || !hv_vcpu_exit_pending(v))
			abort();
		r = hv_vcpu_vmgexit(v);
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	uint8_t flags = data[0];
	struct fuzz_ctx ctx = {.private_gpa = (uint64_t)(data[10] % MEM_PAGES) * 4096, .private_on = flags & 8};
	struct hv_vm_config cfg = {.type = (flags & 1) ? HV_VM_TYPE_SNP : HV_VM_TYPE_SEV_ES,
				   .cbit = 51,
				   .flags = (flags & 64) ? HV_VM_FLAG_MAP_GPA_RANGE_UNGATED : 0,
				   .alloc_fail_nth = (flags & 128) ? 1 : 0};
	struct hv_vm *vm;
	struct hv_vcpu *v;
	if (hv_vm_create(&cfg, &vm))
		abort();
	uint8_t *mem = calloc(MEM_PAGES, 4096);
	if (!mem)
		abort();
	static const struct hv_cpuid_entry cpuid[] = {
	    {.function = 1, .eax = 0xA10F11},
	    {.function = 0xD, .index = 0, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 7},
	    {.function = 0xD, .index = 2, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 256, .ebx = 576},
	    {.function = 0x40000000, .eax = 0x40000001, .ebx = 0x4B4D564B, .ecx = 0x564B4D56, .edx = 0x4D},
	    {.function = 0x40000001, .eax = 1u << 16},
	};
	if (hv_vm_add_memslot(vm, 0, 0, MEM_PAGES * 4096ull, mem) ||
	    hv_vm_set_host_access(vm, fuzz_host_access, &ctx) || hv_vm_set_cpuid(vm, cpuid, (flags & 4) ? 5 : 3) ||
	    hv_vm_enable_hypercall_exits(vm, (flags & 2) ? HV_HYPERCALL_EXIT_VALID_MASK : 0) ||
	    hv_vcpu_create(vm, 0, &v))
		abort();
	uint64_t ghcb_gpa = (uint64_t)data[9] * 4096;
	uint64_t msr = ghcb_gpa;
	if (flags & 16)
		memcpy(&msr, data + 1, 8);
	if (data[9] < MEM_PAGES) {
		size_t n = size - HDR < 4096 ? size - HDR : 4096;
		memcpy(mem + ghcb_gpa, data + HDR, n);
	}
	struct cursor c = {.p = data + HDR + 4096, .n = size > HDR + 4096 ? size - HDR - 4096 : 0};
	struct snpemu_run *run = hv_vcpu_run(v);
	if ((flags & 33) == 33) {
		if (hv_vcpu_set_ghcb_msr(v, (ghcb_gpa & ~0xFFFull) | 0x012) || hv_vcpu_vmgexit(v) != 1)
			abort();
	}
	if (hv_vcpu_set_ghcb_msr(v, msr))
		abort();
	int r = vmgexit(v, flags);
	int was_reset = 0;
	for (unsigned int step = 0; step < 64 && r == 0; step++) {
		check_exit(run);
		/* The VMM's answer, from the input. */
		uint8_t act = next_byte(&c);
		run->msr.error = act & 1;
		run->msr.data = next_u64(&c);
		run->hypercall.ret = run->exit_reason == SNPEMU_EXIT_HYPERCALL ? next_u64(&c) : run->hypercall.ret;
		for (unsigned int i = 0; i < 8; i++)
			run->pio_data[i] = next_byte(&c);
		if (run->exit_reason == SNPEMU_EXIT_MMIO)
			for (unsigned int i = 0; i < 8; i++)
				run->mmio.data[i] = next_byte(&c);
		if (act & 2)
			ctx.private_on = 0;
		if (act & 4)
			hv_vm_remove_memslot(vm, 0);
		else if (act & 8)
			hv_vm_add_memslot(vm, 0, 0, MEM_PAGES * 4096ull, mem);
		if (act & 16) {
			hv_vcpu_reset(v);
			was_reset = 1;
			r = 1;
			break;
		}
		r = vmgexit(v, flags);
	}
	if (r < 0)
		abort();
	/* A resumed NAE left a well-formed response in the page the GHCB MSR names, unless the vCPU was reset
	 * before the event completed. */
	if (r == 1 && msr && !(msr & 0xFFF) && msr < MEM_PAGES * 4096ull && !hv_vcpu_exit_pending(v) && !was_reset) {
		uint8_t any = 0;
		for (unsigned int i = 0; i < 16; i++)
			any |= mem[msr + GHCB_OFF_VALID_BITMAP + i];
		/* A scratch area just below the GHCB page may legitimately write guest bytes over it (as in KVM). */
		uint64_t scratch = 0;
		if (msr == ghcb_gpa && size >= HDR + GHCB_OFF_SW_SCRATCH + 8)
			memcpy(&scratch, data + HDR + GHCB_OFF_SW_SCRATCH, 8);
		int exclusive = !(scratch < msr + 4096 && scratch + (1u << 25) > msr);
		if (any)
			check_response((const struct ghcb *)(mem + msr), exclusive);
	}
	hv_vcpu_destroy(v);
	if (hv_vm_destroy(vm))
		abort();
	free(mem);
	return 0;
}

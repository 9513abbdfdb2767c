/* SPDX-License-Identifier: MIT */
/* cmocka tests of the engine's API (hv.h): argument checking, object lifetimes, completions, statistics. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>

#include "env.h"

static void test_vm_config_checks(void **state)
{
	(void)state;
	struct hv_vm *vm = (struct hv_vm *)1;
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SEV_ES, .cbit = 51};
	assert_int_equal(hv_vm_create(NULL, &vm), -EINVAL);
	assert_int_equal(hv_vm_create(&cfg, NULL), -EINVAL);
	const struct hv_vm_config bad[] = {
	    {.type = 2},				 /* plain SEV */
	    {.type = 5},				 /* unknown */
	    {.type = HV_VM_TYPE_SNP, .ghcb_version = 3}, /* above GHCB_VERSION_MAX */
	    {.type = HV_VM_TYPE_SNP, .cbit = 64},
	    {.type = HV_VM_TYPE_SNP, .flags = 4}, /* unknown flag */
	    {.type = HV_VM_TYPE_SNP, .scratch_limit = HV_SCRATCH_LIMIT_MAX + 1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hv_vm_create(&bad[i], &vm), -EINVAL);
		assert_null(vm);
	}
	assert_int_equal(hv_vm_create(&cfg, &vm), 0);
	const struct hv_vm_config *c = hv_vm_config(vm);
	assert_int_equal(c->ghcb_version, 2);			      /* 0 = default 2 */
	assert_int_equal(c->scratch_limit, HV_SCRATCH_LIMIT_DEFAULT); /* 0 = 64 KiB */
	assert_int_equal(hv_vm_destroy(vm), 0);
	assert_int_equal(hv_vm_destroy(NULL), 0);
}

static void test_memslots(void **state)
{
	(void)state;
	struct hv_vm *vm;
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SNP};
	static uint8_t mem[8192] __attribute__((aligned(4096)));
	assert_int_equal(hv_vm_create(&cfg, &vm), 0);
	assert_int_equal(hv_vm_add_memslot(vm, 0, 0x1000, 0, mem), -EINVAL);	   /* empty */
	assert_int_equal(hv_vm_add_memslot(vm, 0, 0x1001, 4096, mem), -EINVAL);	   /* unaligned gpa */
	assert_int_equal(hv_vm_add_memslot(vm, 0, 0x1000, 100, mem), -EINVAL);	   /* unaligned size */
	assert_int_equal(hv_vm_add_memslot(vm, 0, 0x1000, 4096, NULL), -EINVAL);   /* no mapping */
	assert_int_equal(hv_vm_add_memslot(vm, 0, ~0xFFFull, 8192, mem), -EINVAL); /* wraps */
	assert_int_equal(hv_vm_add_memslot(vm, 0, 0x1000, 8192, mem), 0);
	assert_int_equal(hv_vm_add_memslot(vm, 0, 0x10000, 4096, mem), -EEXIST); /* same id */
	assert_int_equal(hv_vm_add_memslot(vm, 1, 0x2000, 4096, mem), -EEXIST);	 /* overlaps */
	assert_int_equal(hv_vm_add_memslot(vm, 1, 0x3000, 4096, mem), 0);	 /* adjacent */
	assert_int_equal(hv_vm_remove_memslot(vm, 5), -ENOENT);
	assert_int_equal(hv_vm_remove_memslot(vm, 1), 0);
	assert_int_equal(hv_vm_remove_memslot(vm, 1), -ENOENT);
	for (uint32_t i = 1; i < HV_MAX_MEMSLOTS; i++)
		assert_int_equal(hv_vm_add_memslot(vm, i, 0x100000ull * i, 4096, mem), 0);
	assert_int_equal(hv_vm_add_memslot(vm, 99, 0x100000000ull, 4096, mem), -ENOSPC);
	assert_int_equal(hv_vm_destroy(vm), 0);
}

static void test_cpuid_msr_hypercall_config(void **state)
{
	(void)state;
	struct hv_vm *vm;
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SNP};
	assert_int_equal(hv_vm_create(&cfg, &vm), 0);
	struct hv_cpuid_entry e[2] = {{.function = 1}, {.function = 1}};
	assert_int_equal(hv_vm_set_cpuid(vm, e, 2), -EINVAL); /* duplicate key */
	e[1].flags = 1u << 7;
	assert_int_equal(hv_vm_set_cpuid(vm, e, 2), -EINVAL); /* unknown flag */
	e[1].flags = HV_CPUID_FLAG_XSTATE_VARIANT;
	assert_int_equal(hv_vm_set_cpuid(vm, e, 2), 0); /* a variant is a different key */
	assert_int_equal(hv_vm_set_cpuid(vm, NULL, 1), -EINVAL);
	struct hv_cpuid_entry *many = calloc(HV_MAX_CPUID_ENTRIES + 1, sizeof(*many));
	assert_non_null(many);
	assert_int_equal(hv_vm_set_cpuid(vm, many, HV_MAX_CPUID_ENTRIES + 1), -E2BIG);
	free(many);
	assert_int_equal(hv_vm_set_cpuid(vm, NULL, 0), 0);

	struct hv_msr_rule r = {.first = 2, .last = 1, .action = HV_MSR_EXIT};
	assert_int_equal(hv_vm_set_msr_policy(vm, &r, 1, HV_MSR_EXIT), -EINVAL);
	r = (struct hv_msr_rule){.first = 1, .last = 1, .action = 9};
	assert_int_equal(hv_vm_set_msr_policy(vm, &r, 1, HV_MSR_EXIT), -EINVAL);
	r.action = HV_MSR_GP;
	assert_int_equal(hv_vm_set_msr_policy(vm, &r, 1, 9), -EINVAL);
	assert_int_equal(hv_vm_set_msr_policy(vm, &r, HV_MAX_MSR_RULES + 1, HV_MSR_EXIT), -E2BIG);
	assert_int_equal(hv_vm_set_msr_policy(vm, &r, 1, HV_MSR_EXIT), 0);

	/* KVM_CAP_EXIT_HYPERCALL: only bit 12, and the run-time query says so (KVM_CHECK_EXTENSION). */
	assert_int_equal(hv_check_extension(HV_CAP_EXIT_HYPERCALL), 1ull << SNPEMU_HC_MAP_GPA_RANGE);
	assert_int_equal(hv_check_extension(0), 0);
	assert_int_equal(hv_check_extension(HV_CAP_EXIT_HYPERCALL + 1), 0);
	assert_int_equal(hv_vm_enable_hypercall_exits(vm, hv_check_extension(HV_CAP_EXIT_HYPERCALL)), 0);
	assert_int_equal(hv_vm_enable_hypercall_exits(vm, 1ull << 12), 0);
	assert_int_equal(hv_vm_enable_hypercall_exits(vm, 1ull << 11), -EINVAL);
	assert_int_equal(hv_vm_enable_hypercall_exits(vm, (1ull << 12) | 1), -EINVAL);
	assert_int_equal(hv_vm_enable_hypercall_exits(vm, 0), 0);
	assert_int_equal(hv_vm_enable_hypercall_exits(NULL, 0), -EINVAL);
	assert_int_equal(hv_vm_destroy(vm), 0);
}

static void test_vcpu_lifetime(void **state)
{
	(void)state;
	struct hv_vm *vm;
	struct hv_vcpu *a, *b;
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SNP, .ghcb_version = 1, .cbit = 47};
	assert_int_equal(hv_vm_create(&cfg, &vm), 0);
	assert_int_equal(hv_vcpu_create(vm, 3, &a), 0);
	assert_int_equal(hv_vcpu_create(vm, 3, &b), -EEXIST);
	assert_int_equal(hv_vcpu_create(vm, 4, &b), 0);
	/* RESET value of the GHCB MSR: SEV_INFO with this VM's version and C-bit. */
	assert_int_equal(hv_vcpu_get_ghcb_msr(a), ghcb_msr_sev_info(1, 1, 47));
	assert_non_null(hv_vcpu_run(a));
	assert_ptr_not_equal(hv_vcpu_run(a), hv_vcpu_run(b));
	assert_int_equal(hv_vm_destroy(vm), -EBUSY);
	hv_vcpu_destroy(a);
	hv_vcpu_destroy(b);
	hv_vcpu_destroy(NULL);
	assert_int_equal(hv_vcpu_vmgexit(NULL), -EINVAL);
	assert_int_equal(hv_vcpu_set_ghcb_msr(NULL, 0), -EINVAL);
	assert_int_equal(hv_vm_destroy(vm), 0);
}

static void test_pending_exit_blocks_msr_write(void **state)
{
	(void)state;
	struct env e;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SEV_ES, 0, 0), 0);
	env_nae(&e, SVM_EXIT_IOIO, svm_ioio_info1(0x80, 1, 0, 0, 0), 0);
	ghcb_set_rax(env_ghcb(&e), 0x42);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	assert_int_equal(hv_vcpu_exit_pending(e.vcpu), 1);
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, 0x2), -EBUSY);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1); /* completes the OUT */
	assert_int_equal(hv_vcpu_exit_pending(e.vcpu), 0);
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, GHCB_GPA), 0);
	/* reset drops a pending exit and restores the SEV_INFO value */
	env_nae(&e, SVM_EXIT_IOIO, svm_ioio_info1(0x80, 1, 1, 0, 0), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	hv_vcpu_reset(e.vcpu);
	assert_int_equal(hv_vcpu_exit_pending(e.vcpu), 0);
	assert_int_equal(hv_vcpu_get_ghcb_msr(e.vcpu), ghcb_msr_sev_info(2, 1, 51));
	env_fini(&e);
}

static void test_slot_removed_during_exit(void **state)
{
	(void)state;
	/* The GHCB's slot disappears while the VMM handles the exit: the completion cannot write the response, so
	 * it exits MEMORY_FAULT, and succeeds once the slot is back. */
	struct env e;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SEV_ES, 0, 0), 0);
	env_nae(&e, SVM_EXIT_IOIO, svm_ioio_info1(0x60, 1, 1, 0, 0), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	assert_int_equal(e.run->exit_reason, SNPEMU_EXIT_IO);
	assert_int_equal(hv_vm_remove_memslot(e.vm, 0), 0);
	e.run->pio_data[0] = 0x5A;
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	assert_int_equal(e.run->exit_reason, SNPEMU_EXIT_MEMORY_FAULT);
	assert_int_equal(e.run->memory_fault.gpa, GHCB_GPA);
	assert_int_equal(e.run->memory_fault.flags, 0);
	assert_int_equal(hv_vm_add_memslot(e.vm, 0, 0, ENV_MEM_SIZE, e.mem), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(ghcb_get_rax(env_ghcb(&e)) & 0xFF, 0x5A);
	assert_int_equal(ghcb_get_sw_exit_info_1(env_ghcb(&e)), 0);
	env_fini(&e);
}

static void test_scratch_limit_config(void **state)
{
	(void)state;
	struct hv_vm *vm;
	struct hv_vcpu *v;
	static uint8_t mem[65536] __attribute__((aligned(4096)));
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SEV_ES, .scratch_limit = 4096};
	assert_int_equal(hv_vm_create(&cfg, &vm), 0);
	assert_int_equal(hv_vm_add_memslot(vm, 0, 0, sizeof(mem), mem), 0);
	assert_int_equal(hv_vcpu_create(vm, 0, &v), 0);
	assert_int_equal(hv_vcpu_set_ghcb_msr(v, 0x1000), 0);
	struct ghcb *g = (struct ghcb *)(mem + 0x1000);
	for (uint64_t len = 4096; len <= 4097; len++) {
		memset(g, 0, sizeof(*g));
		ghcb_set_sw_exit_code(g, SVM_VMGEXIT_MMIO_READ);
		ghcb_set_sw_exit_info_1(g, 0xFED00000);
		ghcb_set_sw_exit_info_2(g, len);
		ghcb_set_sw_scratch(g, 0x4000);
		int r = hv_vcpu_vmgexit(v);
		if (len == 4096) {
			assert_int_equal(r, 0);
			assert_int_equal(hv_vcpu_run(v)->exit_reason, SNPEMU_EXIT_MMIO);
			hv_vcpu_reset(v);
			assert_int_equal(hv_vcpu_set_ghcb_msr(v, 0x1000), 0);
		} else {
			assert_int_equal(r, 1);
			assert_int_equal(ghcb_get_sw_exit_info_2(g), GHCB_ERR_INVALID_SCRATCH_AREA);
		}
	}
	hv_vcpu_destroy(v);
	assert_int_equal(hv_vm_destroy(vm), 0);
}

/* A failed host allocation (fault injection: alloc_fail_nth) is -ENOMEM from hv_vcpu_vmgexit, not a MEMORY_FAULT
 * exit; the VMGEXIT stays pending and the next call goes on from where it failed. */
static void test_host_alloc_failure_enomem(void **state)
{
	(void)state;
	static uint8_t mem[65536] __attribute__((aligned(4096)));
	for (uint32_t type = HV_VM_TYPE_SEV_ES; type <= HV_VM_TYPE_SNP; type++) {
		struct hv_vm *vm;
		struct hv_vcpu *v;
		/* SEV-ES: the scratch buffer is the first allocation; SNP: the guest request's response bounce page
		 * is the second. */
		struct hv_vm_config cfg = {.type = type, .alloc_fail_nth = type == HV_VM_TYPE_SNP ? 2 : 1};
		memset(mem, 0, sizeof(mem));
		assert_int_equal(hv_vm_create(&cfg, &vm), 0);
		assert_int_equal(hv_vm_config(vm)->alloc_fail_nth, cfg.alloc_fail_nth);
		assert_int_equal(hv_vm_add_memslot(vm, 0, 0, sizeof(mem), mem), 0);
		assert_int_equal(hv_vcpu_create(vm, 0, &v), 0);
		struct snpemu_run *run = hv_vcpu_run(v);
		struct ghcb *g = (struct ghcb *)(mem + 0x1000);
		if (type == HV_VM_TYPE_SNP) {
			assert_int_equal(hv_vcpu_set_ghcb_msr(v, ghcb_msr_reg_gpa_req(1)), 0);
			assert_int_equal(hv_vcpu_vmgexit(v), 1);
		}
		assert_int_equal(hv_vcpu_set_ghcb_msr(v, 0x1000), 0);
		if (type == HV_VM_TYPE_SNP) {
			ghcb_set_sw_exit_code(g, SVM_VMGEXIT_GUEST_REQUEST);
			ghcb_set_sw_exit_info_1(g, 0x2000);
			ghcb_set_sw_exit_info_2(g, 0x3000);
		} else {
			ghcb_set_sw_exit_code(g, SVM_VMGEXIT_MMIO_READ);
			ghcb_set_sw_exit_info_1(g, 0xFED00000);
			ghcb_set_sw_exit_info_2(g, 8);
			ghcb_set_sw_scratch(g, 0x4000);
		}
		run->exit_reason = 0xFFFF;
		assert_int_equal(hv_vcpu_vmgexit(v), -ENOMEM);
		assert_int_equal(run->exit_reason, 0xFFFF); /* no exit, in particular no MEMORY_FAULT */
		assert_int_equal(hv_vcpu_exit_pending(v), 1);
		assert_int_equal(hv_vcpu_set_ghcb_msr(v, 0x1000), -EBUSY);
		/* Nothing answered to the guest: SW_EXITINFO1 still holds its input. */
		assert_int_equal(ghcb_get_sw_exit_info_1(g), type == HV_VM_TYPE_SNP ? 0x2000 : 0xFED00000);
		if (type == HV_VM_TYPE_SNP) {
			/* The retry allocates and goes on: no firmware attached, so GENERIC. */
			assert_int_equal(hv_vcpu_vmgexit(v), 1);
			assert_int_equal(ghcb_get_sw_exit_info_1(g), 0);
			assert_int_equal(ghcb_get_sw_exit_info_2(g), SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_GENERIC, 0));
		} else {
			assert_int_equal(hv_vcpu_vmgexit(v), 0);
			assert_int_equal(run->exit_reason, SNPEMU_EXIT_MMIO);
			assert_int_equal(run->mmio.phys_addr, 0xFED00000);
			memset(run->mmio.data, 0x5A, 8);
			assert_int_equal(hv_vcpu_vmgexit(v), 1);
			assert_int_equal(mem[0x4000], 0x5A);
		}
		assert_int_equal(hv_vcpu_exit_pending(v), 0);
		hv_vcpu_destroy(v);
		assert_int_equal(hv_vm_destroy(vm), 0);
	}
}

static void test_xstate_variant(void **state)
{
	(void)state;
	struct env e;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SNP, 0, 0), 0);
	const struct hv_cpuid_entry t[] = {
	    {.function = 0xD, .index = 0, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 7, .ebx = 0x240},
	    {.function = 0xD,
	     .index = 0,
	     .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX | HV_CPUID_FLAG_XSTATE_VARIANT,
	     .xcr0 = 7,
	     .eax = 7,
	     .ebx = 0x1234},
	};
	assert_int_equal(hv_vm_set_cpuid(e.vm, t, 2), 0);
	for (uint64_t xcr0 = 3; xcr0 <= 7; xcr0 += 4) {
		env_nae(&e, SVM_EXIT_CPUID, 0, 0);
		ghcb_set_rax(env_ghcb(&e), 0xD);
		ghcb_set_rcx(env_ghcb(&e), 0);
		ghcb_set_xcr0(env_ghcb(&e), xcr0);
		assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
		/* XCR0 = 3: computed 576; XCR0 = 7: the VMM's variant entry wins. */
		assert_int_equal(ghcb_get_rbx(env_ghcb(&e)), xcr0 == 3 ? 576 : 0x1234);
	}
	env_fini(&e);
}

static void test_stats(void **state)
{
	(void)state;
	struct env e;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SEV_ES, 0, 0), 0);
	for (int i = 0; i < 5; i++) {
		env_nae(&e, SVM_EXIT_CPUID, 0, 0);
		ghcb_set_rax(env_ghcb(&e), 1);
		ghcb_set_rcx(env_ghcb(&e), 0);
		assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	}
	env_nae(&e, 0x3FF, 0, 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	/* an IO exit and its completion count once */
	env_nae(&e, SVM_EXIT_IOIO, svm_ioio_info1(0x80, 1, 1, 0, 0), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, GHCB_MSR_HV_FT_REQ), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1); /* now 0x3081: unknown request -> OTHER */

	struct hv_exit_stat s[64];
	size_t n = hv_vm_get_stats(e.vm, s, 64);
	assert_true(n > 0 && n <= 64);
	assert_int_equal(hv_vm_get_stats(e.vm, NULL, 0), n);
	uint64_t cpuid = 0, ioio = 0, hvft = 0, other = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		assert_non_null(s[i].name);
		total += s[i].count;
		if (s[i].kind == HV_STAT_NAE && s[i].code == SVM_EXIT_CPUID) {
			cpuid = s[i].count;
			assert_true(s[i].total_ns > 0);
		}
		if (s[i].kind == HV_STAT_NAE && s[i].code == SVM_EXIT_IOIO)
			ioio = s[i].count;
		if (s[i].kind == HV_STAT_MSR_PROTOCOL && s[i].code == GHCB_MSR_HV_FT_REQ)
			hvft = s[i].count;
		if (s[i].kind == HV_STAT_OTHER)
			other = s[i].count;
	}
	assert_int_equal(cpuid, 5);
	assert_int_equal(ioio, 1);
	assert_int_equal(hvft, 1);
	assert_int_equal(other, 2);
	assert_int_equal(total, 9);
	/* destroyed vCPUs' counts are kept */
	hv_vcpu_destroy(e.vcpu);
	e.vcpu = NULL;
	n = hv_vm_get_stats(e.vm, s, 64);
	total = 0;
	for (size_t i = 0; i < n; i++)
		total += s[i].count;
	assert_int_equal(total, 9);
	env_fini(&e);
}

static void test_stats_without_timing(void **state)
{
	(void)state;
	struct hv_vm *vm;
	struct hv_vcpu *v;
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SEV_ES, .flags = HV_VM_FLAG_NO_EXIT_TIMING};
	assert_int_equal(hv_vm_create(&cfg, &vm), 0);
	assert_int_equal(hv_vcpu_create(vm, 0, &v), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(hv_vcpu_set_ghcb_msr(v, GHCB_MSR_SEV_INFO_REQ), 0);
		assert_int_equal(hv_vcpu_vmgexit(v), 1);
	}
	struct hv_exit_stat s[64];
	size_t n = hv_vm_get_stats(vm, s, 64);
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s[i].total_ns, 0);
		if (s[i].kind == HV_STAT_MSR_PROTOCOL && s[i].code == GHCB_MSR_SEV_INFO_REQ) {
			assert_int_equal(s[i].count, 3);
			found = 1;
		}
	}
	assert_true(found);
	hv_vcpu_destroy(v);
	assert_int_equal(hv_vm_destroy(vm), 0);
}

static void test_host_access_hook_removed(void **state)
{
	(void)state;
	struct env e;
	assert_int_equal(env_init(&e, HV_VM_TYPE_SNP, 0, 0), 0);
	e.priv_on = true;
	memcpy(e.mem + PRIV_GPA, env_ghcb(&e), 4096);
	env_nae(&e, SVM_VMGEXIT_HV_FEATURES, 0, 0);
	memcpy(e.mem + PRIV_GPA, env_ghcb(&e), 4096);
	/* SNP: the GHCB at PRIV_GPA is registered first (the MSR protocol needs no shared page). */
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, ghcb_msr_reg_gpa_req(PRIV_GPA >> 12)), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(hv_vcpu_set_ghcb_msr(e.vcpu, PRIV_GPA), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 0);
	assert_int_equal(e.run->memory_fault.flags, SNPEMU_MEMORY_EXIT_FLAG_PRIVATE);
	/* Without a hook everything is shared: the retry succeeds. */
	assert_int_equal(hv_vm_set_host_access(e.vm, NULL, NULL), 0);
	assert_int_equal(hv_vcpu_vmgexit(e.vcpu), 1);
	assert_int_equal(ghcb_get_sw_exit_info_2((struct ghcb *)(e.mem + PRIV_GPA)), GHCB_HV_FT_SUPPORTED);
	env_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vm_config_checks),
	    cmocka_unit_test(test_memslots),
	    cmocka_unit_test(test_cpuid_msr_hypercall_config),
	    cmocka_unit_test(test_vcpu_lifetime),
	    cmocka_unit_test(test_pending_exit_blocks_msr_write),
	    cmocka_unit_test(test_slot_removed_during_exit),
	    cmocka_unit_test(test_scratch_limit_config),
	    cmocka_unit_test(test_host_alloc_failure_enomem),
	    cmocka_unit_test(test_xstate_variant),
	    cmocka_unit_test(test_stats),
	    cmocka_unit_test(test_stats_without_timing),
	    cmocka_unit_test(test_host_access_hook_removed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

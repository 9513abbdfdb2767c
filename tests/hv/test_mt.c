/* SPDX-License-Identifier: MIT */
/*
 * Multi-vCPU: 8 threads drive 8 vCPUs of one VM through NAEs, exits and completions while the main thread
 * reconfigures the VM (memory slots, CPUID table) and reads statistics.  Run under TSan by `make tsan`.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/hv.h>

#define NTHREADS   8
#define ITERATIONS 2000
#define MEM_SIZE   (1u << 20)
#define KINDS	   5 /* events per iteration */

struct shared {
	struct hv_vm *vm;
	uint8_t *mem;
	atomic_int errors;
	atomic_int running;
};

struct worker {
	struct shared *sh;
	struct hv_vcpu *vcpu;
	uint32_t id;
};

static const struct hv_cpuid_entry cpuid[] = {
    {.function = 1, .eax = 0xA10F11, .ebx = 0x10800},
    {.function = 0x8000001F, .ebx = 0x33},
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct hv_vcpu *v = w->vcpu;
	struct snpemu_run *run = hv_vcpu_run(v);
	uint64_t ghcb_gpa = 0x10000 + 0x1000ull * w->id;
	struct ghcb *g = (struct ghcb *)(w->sh->mem + ghcb_gpa);
	int err = 0;
	/* SNP: register the GHCB first (spec §1 step 5). */
	hv_vcpu_set_ghcb_msr(v, ghcb_msr_reg_gpa_req(ghcb_gpa >> 12));
	err += hv_vcpu_vmgexit(v) != 1;
	for (int i = 0; i < ITERATIONS; i++) {
		/* CPUID NAE */
		hv_vcpu_set_ghcb_msr(v, ghcb_gpa);
		memset(g, 0, sizeof(*g));
		ghcb_set_sw_exit_code(g, SVM_EXIT_CPUID);
		ghcb_set_sw_exit_info_1(g, 0);
		ghcb_set_sw_exit_info_2(g, 0);
		ghcb_set_rax(g, 1);
		ghcb_set_rcx(g, 0);
		err += hv_vcpu_vmgexit(v) != 1 || ghcb_get_rax(g) != 0xA10F11 || ghcb_get_sw_exit_info_1(g) != 0;
		/* IO OUT exit + completion */
		memset(g, 0, sizeof(*g));
		ghcb_set_sw_exit_code(g, SVM_EXIT_IOIO);
		ghcb_set_sw_exit_info_1(g, svm_ioio_info1(0x80, 4, 0, 0, 0));
		ghcb_set_sw_exit_info_2(g, 0);
		ghcb_set_rax(g, w->id * 1000u + (uint32_t)i);
		err += hv_vcpu_vmgexit(v) != 0 || run->exit_reason != SNPEMU_EXIT_IO ||
		       le32_load(run->pio_data) != w->id * 1000u + (uint32_t)i;
		err += hv_vcpu_vmgexit(v) != 1;
		/* RDMSR exit + completion */
		memset(g, 0, sizeof(*g));
		ghcb_set_sw_exit_code(g, SVM_EXIT_MSR);
		ghcb_set_sw_exit_info_1(g, 0);
		ghcb_set_sw_exit_info_2(g, 0);
		ghcb_set_rcx(g, 0x1000 + w->id);
		err += hv_vcpu_vmgexit(v) != 0 || run->exit_reason != SNPEMU_EXIT_X86_RDMSR ||
		       run->msr.index != 0x1000 + w->id;
		run->msr.data = ((uint64_t)w->id << 32) | (uint32_t)i;
		err += hv_vcpu_vmgexit(v) != 1 || ghcb_get_rdx(g) != w->id || ghcb_get_rax(g) != (uint32_t)i;
		/* AP jump table (per VM, shared by all vCPUs) */
		memset(g, 0, sizeof(*g));
		ghcb_set_sw_exit_code(g, SVM_VMGEXIT_AP_JUMP_TABLE);
		ghcb_set_sw_exit_info_1(g, SVM_VMGEXIT_SET_AP_JUMP_TABLE);
		ghcb_set_sw_exit_info_2(g, 0x9F000);
		err += hv_vcpu_vmgexit(v) != 1;
		/* MSR-protocol CPUID */
		hv_vcpu_set_ghcb_msr(v, ghcb_msr_cpuid_req(0x8000001F, GHCB_CPUID_REG_EBX));
		err += hv_vcpu_vmgexit(v) != 1 || ghcb_msr_cpuid_value(hv_vcpu_get_ghcb_msr(v)) != 0x33;
	}
	atomic_fetch_add(&w->sh->errors, err);
	atomic_fetch_sub(&w->sh->running, 1);
	return NULL;
}

static void test_eight_vcpus(void **state)
{
	(void)state;
	struct shared sh = {0};
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SNP, .cbit = 51};
	assert_int_equal(hv_vm_create(&cfg, &sh.vm), 0);
	sh.mem = aligned_alloc(4096, MEM_SIZE);
	assert_non_null(sh.mem);
	memset(sh.mem, 0, MEM_SIZE);
	assert_int_equal(hv_vm_add_memslot(sh.vm, 0, 0, MEM_SIZE, sh.mem), 0);
	assert_int_equal(hv_vm_set_cpuid(sh.vm, cpuid, 2), 0);
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	atomic_store(&sh.running, NTHREADS);
	for (uint32_t i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.sh = &sh, .id = i};
		assert_int_equal(hv_vcpu_create(sh.vm, i, &w[i].vcpu), 0);
	}
	for (uint32_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	/* The VMM reconfigures and reads statistics while the vCPUs run. */
	static uint8_t extra[4096] __attribute__((aligned(4096)));
	struct hv_exit_stat s[64];
	uint64_t last_total = 0;
	while (atomic_load(&sh.running) > 0) {
		assert_int_equal(hv_vm_add_memslot(sh.vm, 9, 0x100000000ull, sizeof(extra), extra), 0);
		assert_int_equal(hv_vm_set_cpuid(sh.vm, cpuid, 2), 0);
		assert_int_equal(hv_vm_remove_memslot(sh.vm, 9), 0);
		size_t n = hv_vm_get_stats(sh.vm, s, 64);
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += s[i].count;
		assert_true(total >= last_total); /* monotonic */
		last_total = total;
	}
	for (uint32_t i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&sh.errors), 0);
	size_t n = hv_vm_get_stats(sh.vm, s, 64);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += s[i].count;
	assert_int_equal(total, (uint64_t)NTHREADS * ITERATIONS * KINDS + NTHREADS /* REG_GPA */);
	for (uint32_t i = 0; i < NTHREADS; i++)
		hv_vcpu_destroy(w[i].vcpu);
	assert_int_equal(hv_vm_destroy(sh.vm), 0);
	free(sh.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eight_vcpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* The VMM's one checked accessor of guest memory (src/vmm/guest_mem.c): bounds, wrap-around, page ownership, and
 * the PROT_NONE guard regions around guest RAM. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "vmm/vmm_internal.h"

#define MEM_SIZE (4ull << 20)

static int setup(void **state)
{
	struct vmm_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -1;
	vm->mem_size = MEM_SIZE;
	if (vmm_mem_map(vm))
		return -1;
	*state = vm;
	return 0;
}

static int teardown(void **state)
{
	struct vmm_vm *vm = *state;
	fw_guest_destroy(vm->fw_guest);
	fw_platform_destroy(vm->fw_platform);
	vmm_mem_unmap(vm);
	free(vm);
	return 0;
}

/* The permissions /proc/self/maps gives the mapping that holds addr ("---p", "rw-p"), or "" if none does. */
static void perms_at(uintptr_t addr, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[512];
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && addr >= lo && addr < hi) {
			memcpy(out, p, 5);
			break;
		}
	}
	fclose(f);
}

/* Minor page faults this thread has taken so far. */
static long minor_faults(void)
{
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_THREAD, &ru), 0);
	return ru.ru_minflt;
}

/* vmm_config.mem_prealloc: afterwards, a first write to any page of guest RAM takes no page fault (its promise),
 * and what the pages held before is what they hold after. */
static void test_prealloc(void **state)
{
	struct vmm_vm *vm = *state;
	uint8_t *p = vmm_guest_ptr(vm, 0x3000, 4096, VMM_ACCESS_GUEST, NULL);
	assert_non_null(p);
	memset(p, 0xA5, 4096);
	vmm_mem_prealloc(vm);
	/* Faults first: reading the pages to check them could populate them. */
	long f0 = minor_faults();
	for (uint64_t gpa = 0; gpa < MEM_SIZE; gpa += 4096) {
		volatile uint8_t *w = vmm_guest_ptr(vm, gpa, 1, VMM_ACCESS_GUEST, NULL);
		*w = *w;
	}
	long faults = minor_faults() - f0;
	if (faults > 8) /* 1024 pages: a fault each without the preallocation */
		fail_msg("%ld page faults writing %llu preallocated pages", faults, MEM_SIZE / 4096);
	for (uint64_t gpa = 0; gpa < MEM_SIZE; gpa += 4096) {
		const uint8_t *q = vmm_guest_ptr(vm, gpa, 4096, VMM_ACCESS_GUEST, NULL);
		for (size_t i = 0; i < 4096; i++)
			if (q[i] != (gpa == 0x3000 ? 0xA5 : 0))
				fail_msg("GPA 0x%llx byte %zu changed", (unsigned long long)gpa, i);
	}
}

static void test_guard_pages(void **state)
{
	struct vmm_vm *vm = *state;
	char p[5];
	uintptr_t mem = (uintptr_t)vm->mem;
	perms_at(mem - 1, p);
	assert_string_equal(p, "---p");
	perms_at(mem - VMM_GUARD_SIZE, p);
	assert_string_equal(p, "---p");
	perms_at(mem, p);
	assert_string_equal(p, "rw-p");
	perms_at(mem + MEM_SIZE - 1, p);
	assert_string_equal(p, "rw-p");
	perms_at(mem + MEM_SIZE, p);
	assert_string_equal(p, "---p");
	perms_at(mem + MEM_SIZE + VMM_GUARD_SIZE - 1, p);
	assert_string_equal(p, "---p");
}

/* Every range that wraps or leaves RAM is refused with a fault naming it (flags 0: not a page-state fault). */
static void test_bounds_and_wrap(void **state)
{
	struct vmm_vm *vm = *state;
	static const struct {
		uint64_t gpa, len;
		bool ok;
	} rows[] = {
	    {0, MEM_SIZE, true},
	    {0, 0, true},
	    {MEM_SIZE, 0, true},
	    {MEM_SIZE - 0x1000, 0x1000, true},
	    {MEM_SIZE - 0x1000 + 0x800, 0x1000, false},
	    {MEM_SIZE, 1, false},
	    {MEM_SIZE + 1, 0, false},
	    {0xFFFFFFFFFFFFF000ull, 0x1000, false}, /* wraps to 0: the old trace read before the mapping */
	    {0xFFFFFFFFFFFFE000ull, 0x1000, false},
	    {0x1000, UINT64_MAX, false},
	    {UINT64_MAX, 1, false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vmm_mem_fault f = {99, 99, 99};
		for (int a = VMM_ACCESS_GUEST; a <= VMM_ACCESS_HOST_WRITE; a++) {
			uint8_t *ptr = vmm_guest_ptr(vm, rows[i].gpa, rows[i].len, (enum vmm_access)a, &f);
			if (rows[i].ok) {
				assert_ptr_equal(ptr, vm->mem + rows[i].gpa);
			} else {
				assert_null(ptr);
				assert_int_equal(f.flags, 0);
				assert_int_equal(f.gpa, rows[i].gpa);
				assert_int_equal(f.size, rows[i].len);
			}
		}
	}
	uint64_t gpa = 0;
	assert_true(vmm_guest_gpa(vm, vm->mem + 0x1234, &gpa));
	assert_int_equal(gpa, 0x1234);
	assert_false(vmm_guest_gpa(vm, vm->mem + MEM_SIZE, &gpa));
	assert_false(vmm_guest_gpa(vm, vm->mem - 1, &gpa));
}

/* An SNP VM: a platform and a guest context, whose RMP the accessor consults. */
static void with_firmware(struct vmm_vm *vm)
{
	struct fw_platform_config pc;
	fw_platform_config_default(&pc, FW_PRODUCT_GENOA);
	assert_int_equal(fw_platform_config_seed(&pc, (const uint8_t *)"guest mem", 9), 0);
	assert_int_equal(fw_platform_create(&pc, &vm->fw_platform), 0);
	assert_int_equal(fw_guest_create(vm->fw_platform, MEM_SIZE, &vm->fw_guest), 0);
}

/* SNP: the VMM's own accesses reach shared pages only; a private page is a PRIVATE memory fault; the guest's own
 * accesses and the launch see every page. */
static void test_page_ownership(void **state)
{
	struct vmm_vm *vm = *state;
	with_firmware(vm);
	assert_int_equal(fw_rmp_set_private(fw_guest_rmp(vm->fw_guest), 0x3000, 2, true), 0);

	struct vmm_mem_fault f;
	assert_non_null(vmm_guest_ptr(vm, 0x2000, 0x1000, VMM_ACCESS_HOST_WRITE, &f));
	assert_null(vmm_guest_ptr(vm, 0x2000, 0x1001, VMM_ACCESS_HOST_WRITE, &f));
	assert_int_equal(f.flags, SNPEMU_MEMORY_EXIT_FLAG_PRIVATE);
	assert_int_equal(f.gpa, 0x2000);
	assert_int_equal(f.size, 0x1001);
	assert_null(vmm_guest_ptr(vm, 0x4000, 8, VMM_ACCESS_HOST_READ, &f));
	assert_int_equal(f.flags, SNPEMU_MEMORY_EXIT_FLAG_PRIVATE);
	assert_non_null(vmm_guest_ptr(vm, 0x5000, 8, VMM_ACCESS_HOST_READ, NULL));
	assert_ptr_equal(vmm_guest_ptr(vm, 0x3000, 0x2000, VMM_ACCESS_GUEST, NULL), vm->mem + 0x3000);
	assert_ptr_equal(vmm_guest_ptr(vm, 0x3000, 0x2000, VMM_ACCESS_LAUNCH, NULL), vm->mem + 0x3000);
}

/* SNP_REQ_CERTS: the certificates go only into the guest's shared pages; a private page is the memory fault the
 * engine would give (the VM stops), outside RAM is EIO, too few pages ENOSPC with the count. */
static void test_certificate_writes(void **state)
{
	struct vmm_vm *vm = *state;
	struct vmm_result res;
	memset(&res, 0, sizeof(res));
	with_firmware(vm);
	assert_int_equal(fw_rmp_set_private(fw_guest_rmp(vm->fw_guest), 0x10000, 1, true), 0);
	vm->res = &res;
	vm->out = vm->err = vm->msg = fopen("/dev/null", "w");
	assert_non_null(vm->out);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	struct vmm_vcpu *v = &vm->vcpus[0];
	v->vm = vm;
	struct snpemu_run run;

	memset(&run, 0, sizeof(run));
	run.snp_req_certs.gpa = 0x8000;
	run.snp_req_certs.npages = 1;
	assert_true(vmm_handle_req_certs(vm, v, &run));
	assert_int_equal(run.snp_req_certs.ret, ENOSPC);
	uint64_t need = run.snp_req_certs.npages;
	assert_true(need >= 2);

	run.snp_req_certs.ret = 0;
	assert_true(vmm_handle_req_certs(vm, v, &run)); /* shared pages: written */
	assert_int_equal(run.snp_req_certs.ret, 0);
	assert_true(vm->mem[0x8000] || vm->mem[0x8001] || vm->mem[0x8010]); /* the first entry's GUID */
	assert_false(vm->stopped);

	run.snp_req_certs.gpa = MEM_SIZE - 0x1000; /* runs past the end of RAM */
	assert_true(vmm_handle_req_certs(vm, v, &run));
	assert_int_equal(run.snp_req_certs.ret, EIO);
	assert_false(vm->stopped);

	run.snp_req_certs.gpa = 0x10000 - (need - 1) * 0x1000; /* the last page is private */
	memset(vm->mem + 0x10000, 0xA5, 16);
	assert_false(vmm_handle_req_certs(vm, v, &run));
	assert_true(vm->stopped);
	assert_true(vm->stop.memory_fault);
	assert_int_equal(vm->stop.status, SNPEMU_STATUS_MEMORY_FAULT);
	assert_int_equal(vm->mem[0x10000], 0xA5); /* the private page was not written */
	fclose(vm->out);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_guard_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounds_and_wrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_ownership, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certificate_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prealloc, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

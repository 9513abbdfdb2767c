/* SPDX-License-Identifier: MIT */
/*
 * The kvm backend against real guests (tests/vmm/guest_*.c built by guests/guests.mk): MSR and doorbell exits and
 * their completions, console/IN/exit ports, exception reports, two concurrent vCPUs, stop requests, memory slots,
 * register access, and the API's argument checks.  Every test that needs /dev/kvm skips with the probe's reason
 * where it is missing or unusable.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>

#include "vmm/kvm.h"

#include "guest_test.h"

static bool kvm_usable(void)
{
	char reason[VMM_KVM_REASON_LEN];

	if (vmm_kvm_probe(reason, sizeof(reason)) == 0)
		return true;
	print_message("[ SKIP     ] /dev/kvm unusable: %s\n", reason);
	return false;
}

#define REQUIRE_KVM()                \
	do {                         \
		if (!kvm_usable()) { \
			skip();      \
			return;      \
		}                    \
	} while (0)

static struct vmm_kvm_vm *load(const char *name, const struct vmm_kvm_vm_config *cfg, struct vmm_kvm_elf_info *info)
{
	char path[512], reason[VMM_KVM_REASON_LEN] = "";
	struct vmm_kvm_vm *vm = NULL;

	snprintf(path, sizeof(path), "%s/%s.elf", KVM_GUEST_DIR, name);
	int r = vmm_kvm_vm_create(cfg, &vm, reason, sizeof(reason));
	if (r)
		print_message("%s\n", reason);
	assert_int_equal(r, 0);
	r = vmm_kvm_elf_load_file(vm, path, info, reason, sizeof(reason));
	if (r)
		print_message("%s\n", reason);
	assert_int_equal(r, 0);
	assert_int_equal(info->lowest, SNPEMU_IMAGE_GPA);
	return vm;
}

/* The next exit other than a console character, which is appended to console (if not NULL). */
static void next_exit(struct vmm_kvm_vcpu *vcpu, struct vmm_kvm_exit *e, char *console, size_t len)
{
	for (;;) {
		assert_int_equal(vmm_kvm_vcpu_run(vcpu, e), 0);
		if (e->kind != VMM_KVM_EXIT_IO || e->io.port != SNPEMU_PORT_CONSOLE || !e->io.out)
			return;
		if (console) {
			size_t n = strlen(console);
			assert_true(n + 1 < len);
			console[n] = (char)e->io.value;
			console[n + 1] = 0;
		}
	}
}

static void expect(struct vmm_kvm_vcpu *vcpu, struct vmm_kvm_exit *e, enum vmm_kvm_exit_kind kind)
{
	char what[VMM_KVM_REASON_LEN];

	next_exit(vcpu, e, NULL, 0);
	if (e->kind != kind) {
		vmm_kvm_exit_describe(e, what, sizeof(what));
		print_message("expected %s, got %s\n", vmm_kvm_exit_name(kind), what);
	}
	assert_int_equal(e->kind, kind);
}

static void expect_wrmsr(struct vmm_kvm_vcpu *vcpu, uint64_t value)
{
	struct vmm_kvm_exit e;

	expect(vcpu, &e, VMM_KVM_EXIT_WRMSR);
	assert_int_equal(e.msr.index, MSR_AMD64_SEV_ES_GHCB);
	assert_int_equal(e.msr.value, value);
	assert_int_equal(vmm_kvm_complete_wrmsr(vcpu), 0);
}

static uint32_t expect_out(struct vmm_kvm_vcpu *vcpu, uint16_t port)
{
	struct vmm_kvm_exit e;

	expect(vcpu, &e, VMM_KVM_EXIT_IO);
	assert_true(e.io.out);
	assert_int_equal(e.io.port, port);
	assert_int_equal(e.io.size, 4);
	assert_int_equal(e.io.count, 1);
	return (uint32_t)e.io.value;
}

static void test_probe(void **state)
{
	char reason[VMM_KVM_REASON_LEN] = "";

	(void)state;
	REQUIRE_KVM();
	assert_int_equal(vmm_kvm_probe(reason, sizeof(reason)), 0);
	assert_string_equal(reason, "kvm: usable");
	assert_int_equal(vmm_kvm_probe(NULL, 0), 0);
}

static void test_config_rejected(void **state)
{
	static const struct vmm_kvm_vm_config bad[] = {
	    {.ram_size = 2 * VMM_KVM_MiB},				  /* below the minimum */
	    {.ram_size = 5 * VMM_KVM_MiB},				  /* not whole 2 MiB pages */
	    {.ram_size = 8192 * VMM_KVM_MiB},				  /* beyond the page tables */
	    {.ram_size = 64 * VMM_KVM_MiB, .slot_size = 3 * VMM_KVM_MiB}, /* slot not whole 2 MiB pages */
	    {.ram_size = 64 * VMM_KVM_MiB, .slot_size = 128 * VMM_KVM_MiB},
	    {.ram_size = 128 * VMM_KVM_MiB, .slot_size = 2 * VMM_KVM_MiB}, /* 64 slots */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char reason[VMM_KVM_REASON_LEN] = "";
		struct vmm_kvm_vm *vm = NULL;
		assert_int_equal(vmm_kvm_vm_create(&bad[i], &vm, reason, sizeof(reason)), -EINVAL);
		assert_null(vm);
		assert_true(strstr(reason, "size") != NULL);
	}
}

/* Where the device is missing or is not KVM: -errno and a reason naming it, nothing allocated. */
static void test_device_unusable(void **state)
{
	static const struct {
		const char *path;
		int error;
		const char *words;
	} cases[] = {
	    {"/nonexistent/kvm", -ENODEV, "cannot open /nonexistent/kvm"},
	    {"/dev/null", -ENOTSUP, "KVM_GET_API_VERSION"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vmm_kvm_vm_config cfg = {.dev_path = cases[i].path};
		char reason[VMM_KVM_REASON_LEN] = "";
		struct vmm_kvm_vm *vm = NULL;
		assert_int_equal(vmm_kvm_vm_create(&cfg, &vm, reason, sizeof(reason)), cases[i].error);
		assert_null(vm);
		assert_non_null(strstr(reason, cases[i].words));
	}
}

/* guest_msr: MSR exits with answers echoed back, VMGEXIT, PVALIDATE answered and not, then #GP from the host. */
static void test_msr_doorbells(void **state)
{
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_exit e;
	char what[VMM_KVM_REASON_LEN];

	(void)state;
	REQUIRE_KVM();
	struct vmm_kvm_vm *vm = load("guest_msr", NULL, &info);
	assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, 0, &vcpu), 0);

	expect(vcpu, &e, VMM_KVM_EXIT_WRMSR);
	assert_int_equal(e.msr.index, MSR_AMD64_SEV_ES_GHCB);
	assert_int_equal(e.msr.value, GT_MSR_FIRST_WRITE);
	/* completions that do not match the exit are refused */
	assert_int_equal(vmm_kvm_complete_rdmsr(vcpu, 1), -EINVAL);
	assert_int_equal(vmm_kvm_complete_in(vcpu, "x", 1), -EINVAL);
	assert_int_equal(vmm_kvm_complete_pvalidate(vcpu, 0, false), -EINVAL);
	assert_int_equal(vmm_kvm_complete_wrmsr(vcpu), 0);

	expect(vcpu, &e, VMM_KVM_EXIT_RDMSR);
	assert_int_equal(e.msr.index, MSR_AMD64_SEV);
	assert_int_equal(vmm_kvm_complete_wrmsr(vcpu), -EINVAL);
	assert_int_equal(vmm_kvm_complete_rdmsr(vcpu, 0x7), 0);

	expect(vcpu, &e, VMM_KVM_EXIT_VMGEXIT);
	assert_int_equal(vmm_kvm_complete_rdmsr(vcpu, 1), -EINVAL);

	expect(vcpu, &e, VMM_KVM_EXIT_RDMSR);
	assert_int_equal(e.msr.index, MSR_AMD64_SEV_ES_GHCB);
	assert_int_equal(vmm_kvm_complete_rdmsr(vcpu, 0xAABBCCDD00000013ull), 0);
	expect_wrmsr(vcpu, 0xAABBCCDD00000014ull); /* the guest saw the host's value */

	expect(vcpu, &e, VMM_KVM_EXIT_PVALIDATE);
	assert_int_equal(e.pvalidate.vaddr, GT_PVALIDATE_ADDR);
	assert_int_equal(e.pvalidate.page_size, SNPEMU_PVALIDATE_SIZE_2M);
	assert_int_equal(e.pvalidate.validate, 1);
	assert_int_equal(vmm_kvm_complete_pvalidate(vcpu, SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH, true), 0);
	expect_wrmsr(vcpu, (uint64_t)SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH << 8 | 1);

	expect(vcpu, &e, VMM_KVM_EXIT_PVALIDATE);
	assert_int_equal(e.pvalidate.vaddr, GT_PVALIDATE_ADDR + 0x1000);
	assert_int_equal(e.pvalidate.page_size, SNPEMU_PVALIDATE_SIZE_4K);
	assert_int_equal(e.pvalidate.validate, 0);
	assert_int_equal(vmm_kvm_complete_pvalidate(vcpu, SNPEMU_PVALIDATE_SUCCESS, false), 0);
	expect_wrmsr(vcpu, 0);

	expect(vcpu, &e, VMM_KVM_EXIT_PVALIDATE); /* left unanswered: FAIL_INPUT */
	expect_wrmsr(vcpu, (uint64_t)SNPEMU_PVALIDATE_FAIL_INPUT << 8);

	uint32_t rdmsr_fn = expect_out(vcpu, SNPEMU_PORT_DEBUG);
	expect(vcpu, &e, VMM_KVM_EXIT_RDMSR);
	assert_int_equal(vmm_kvm_complete_msr_gp(vcpu), 0);
	expect(vcpu, &e, VMM_KVM_EXIT_EXCEPTION);
	assert_int_equal(e.exception.vector, 13);
	assert_int_equal(e.exception.error_code, 0);
	assert_in_range(e.exception.rip, rdmsr_fn, rdmsr_fn + 32);
	vmm_kvm_exit_describe(&e, what, sizeof(what));
	assert_true(strstr(what, "#GP (13)") != NULL);

	vmm_kvm_vcpu_destroy(vcpu);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
}

/* An MSR exit the VMM leaves unanswered injects #GP. */
static void test_msr_unanswered(void **state)
{
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_exit e;

	(void)state;
	REQUIRE_KVM();
	struct vmm_kvm_vm *vm = load("guest_msr", NULL, &info);
	assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, 0, &vcpu), 0);
	expect(vcpu, &e, VMM_KVM_EXIT_WRMSR);
	expect(vcpu, &e, VMM_KVM_EXIT_EXCEPTION);
	assert_int_equal(e.exception.vector, 13);
	vmm_kvm_vcpu_destroy(vcpu);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
}

/* guest_console: the console text, an IN answered by the host (or not), and the exit status. */
static void run_console(const struct vmm_kvm_vm_config *cfg, uint64_t arg, bool answer, uint8_t lsr,
			uint32_t expected_status)
{
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_exit e;
	char console[128] = "";

	struct vmm_kvm_vm *vm = load("guest_console", cfg, &info);
	assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, arg, &vcpu), 0);
	next_exit(vcpu, &e, console, sizeof(console));
	assert_string_equal(console, "hello from kvm 0x0000000000001234\n");
	assert_int_equal(e.kind, VMM_KVM_EXIT_IO);
	assert_false(e.io.out);
	assert_int_equal(e.io.port, GT_CONSOLE_LSR_PORT);
	assert_int_equal(e.io.size, 1);
	assert_int_equal(vmm_kvm_complete_in(vcpu, "ab", 2), -EINVAL); /* 1 byte expected */
	assert_int_equal(vmm_kvm_complete_in(vcpu, NULL, 1), -EINVAL);
	if (answer)
		assert_int_equal(vmm_kvm_complete_in(vcpu, &lsr, 1), 0);
	assert_int_equal(expect_out(vcpu, SNPEMU_PORT_EXIT), expected_status);
	vmm_kvm_vcpu_destroy(vcpu);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
}

static void test_console_exit(void **state)
{
	(void)state;
	REQUIRE_KVM();
	run_console(NULL, 0, true, 42, 42);
	run_console(NULL, 0, false, 0, 0xFF); /* unanswered IN reads all-ones */
}

static void test_memory_slots(void **state)
{
	const struct vmm_kvm_vm_config four = {.ram_size = 64 * VMM_KVM_MiB, .slot_size = 16 * VMM_KVM_MiB};
	const struct vmm_kvm_vm_config uneven = {.ram_size = 10 * VMM_KVM_MiB, .slot_size = 4 * VMM_KVM_MiB};
	struct vmm_kvm_vm *vm;

	(void)state;
	REQUIRE_KVM();
	assert_int_equal(vmm_kvm_vm_create(&four, &vm, NULL, 0), 0);
	assert_int_equal(vmm_kvm_slot_count(vm), 4);
	assert_int_equal(vmm_kvm_ram_size(vm), 64 * VMM_KVM_MiB);
	/* the checked translator */
	assert_non_null(vmm_kvm_gpa(vm, 64 * VMM_KVM_MiB - 1, 1));
	assert_non_null(vmm_kvm_gpa(vm, 0, 64 * VMM_KVM_MiB));
	assert_null(vmm_kvm_gpa(vm, 64 * VMM_KVM_MiB, 1));
	assert_null(vmm_kvm_gpa(vm, 64 * VMM_KVM_MiB - 1, 2));
	assert_null(vmm_kvm_gpa(vm, UINT64_MAX, 2));
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
	assert_int_equal(vmm_kvm_vm_create(&uneven, &vm, NULL, 0), 0);
	assert_int_equal(vmm_kvm_slot_count(vm), 3);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);

	/* guest memory across slot boundaries (the guest exits with GT_FAIL_SLOTS if it reads back wrong) */
	run_console(&four, 32 * VMM_KVM_MiB, true, 7, 7);
	run_console(&uneven, 8 * VMM_KVM_MiB, true, 9, 9);
}

struct fault_case {
	enum gt_fault scenario;
	uint32_t vector;
	uint64_t error_code;
	uint64_t cr2; /* checked for #PF only */
};

static const struct fault_case fault_cases[] = {
    {GT_FAULT_UNMAPPED_READ, 14, 0x0, GT_FAULT_ADDR},	   /* not present, read */
    {GT_FAULT_NULL_WRITE, 14, 0x2, 0},			   /* not present, write */
    {GT_FAULT_UD2, 6, 0, 0},				   /* #UD */
    {GT_FAULT_WRITE_PAGE_TABLE, 14, 0x3, 0x1000},	   /* present, write: read-only system area */
    {GT_FAULT_STACK_OVERFLOW, 14, 0x2, GT_FAULT_ADDR - 8}, /* push to an unmapped stack */
    {GT_FAULT_DIVIDE, 0, 0, 0},				   /* #DE */
};

static void test_exceptions(void **state)
{
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_exit e;

	(void)state;
	REQUIRE_KVM();
	for (size_t i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		const struct fault_case *c = &fault_cases[i];
		struct vmm_kvm_vm *vm = load("guest_fault", NULL, &info);
		assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, c->scenario, &vcpu), 0);
		uint32_t fn = expect_out(vcpu, SNPEMU_PORT_DEBUG);
		expect(vcpu, &e, VMM_KVM_EXIT_EXCEPTION);
		assert_int_equal(e.exception.vector, c->vector);
		assert_int_equal(e.exception.error_code, c->error_code);
		assert_in_range(e.exception.rip, fn, fn + 64);
		assert_int_equal(e.exception.cs, 0x08);
		if (c->vector == 14)
			assert_int_equal(e.exception.cr2, c->cr2);
		if (c->scenario == GT_FAULT_STACK_OVERFLOW)
			assert_int_equal(e.exception.rsp, GT_FAULT_ADDR);
		/* resumed after the report, the stub halts: the VM stops cleanly */
		expect(vcpu, &e, VMM_KVM_EXIT_HLT);
		vmm_kvm_vcpu_destroy(vcpu);
		assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
	}
}

/*
 * SSE and int3 in ring 0.  Some hosts' KVM runs ring-0 guest code in its instruction emulator (PVM, the "nested
 * KVM" of cloud sandboxes), which implements neither addsd nor int3: there the guest stops with an emulation
 * INTERNAL_ERROR at that very instruction, and this test skips saying so.
 */
static bool emulator_limit(const struct vmm_kvm_exit *e, uint64_t rip, uint32_t fn)
{
	if (e->kind != VMM_KVM_EXIT_INTERNAL_ERROR || e->internal.suberror != 1 /* KVM_INTERNAL_ERROR_EMULATION */)
		return false;
	assert_in_range(rip, fn, fn + 64); /* it stopped at the instruction under test, not elsewhere */
	return true;
}

static void test_sse_int3(void **state)
{
	static const enum gt_fault scenarios[] = {GT_SSE, GT_FAULT_INT3};
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_regs regs;
	struct vmm_kvm_exit e;
	bool emulated = false;

	(void)state;
	REQUIRE_KVM();
	for (size_t i = 0; i < 2; i++) {
		struct vmm_kvm_vm *vm = load("guest_fault", NULL, &info);
		assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, scenarios[i], &vcpu), 0);
		uint32_t fn = expect_out(vcpu, SNPEMU_PORT_DEBUG);
		next_exit(vcpu, &e, NULL, 0);
		assert_int_equal(vmm_kvm_vcpu_get_regs(vcpu, &regs), 0);
		if (emulator_limit(&e, regs.rip, fn)) {
			emulated = true;
		} else if (scenarios[i] == GT_SSE) {
			assert_int_equal(e.kind, VMM_KVM_EXIT_IO);
			assert_int_equal(e.io.port, SNPEMU_PORT_EXIT);
			assert_int_equal(e.io.value, GT_SSE_OK);
		} else {
			assert_int_equal(e.kind, VMM_KVM_EXIT_EXCEPTION);
			assert_int_equal(e.exception.vector, 3);
			assert_in_range(e.exception.rip, fn + 1, fn + 64); /* a trap: RIP after int3 */
		}
		vmm_kvm_vcpu_destroy(vcpu);
		assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
	}
	if (emulated) {
		print_message("[ SKIP     ] this host's KVM emulates ring-0 guest code and lacks SSE/int3 emulation\n");
		skip();
	}
}

/* An exception the IDT cannot deliver ends in a SHUTDOWN exit; a forged report is a plain IO exit. */
static void test_shutdown_and_forged_report(void **state)
{
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_exit e;

	(void)state;
	REQUIRE_KVM();
	struct vmm_kvm_vm *vm = load("guest_fault", NULL, &info);
	assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, GT_FAULT_TRIPLE, &vcpu), 0);
	expect_out(vcpu, SNPEMU_PORT_DEBUG);
	expect(vcpu, &e, VMM_KVM_EXIT_SHUTDOWN);
	vmm_kvm_vcpu_destroy(vcpu);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);

	vm = load("guest_fault", NULL, &info);
	assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, GT_FAKE_REPORT, &vcpu), 0);
	expect_out(vcpu, SNPEMU_PORT_DEBUG);
	expect(vcpu, &e, VMM_KVM_EXIT_IO);
	assert_int_equal(e.io.port, SNPEMU_PORT_EXCEPTION);
	assert_true(e.io.out);
	vmm_kvm_vcpu_destroy(vcpu);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
}

/* A VMSA page in the SEV-ES save-area layout (offsets from Linux struct sev_es_save_area, written here
 * independently of the backend's table). */
static void vmsa_put_segment(uint8_t *vmsa, unsigned int off, const struct vmm_segment *s)
{
	le16_store(vmsa + off, s->selector);
	le16_store(vmsa + off + 2, s->attrib);
	le32_store(vmsa + off + 4, s->limit);
	le64_store(vmsa + off + 8, s->base);
}

static void build_vmsa(uint8_t *vmsa, const struct vmm_regs *r, const struct vmm_sregs *s)
{
	const struct vmm_segment gdtr = {0, 0, s->gdtr.limit, s->gdtr.base};
	const struct vmm_segment idtr = {0, 0, s->idtr.limit, s->idtr.base};
	const uint64_t gprs[][2] = {
	    {0x1F8, r->rax},  {0x308, r->rcx}, {0x310, r->rdx}, {0x318, r->rbx}, {0x1D8, r->rsp}, {0x328, r->rbp},
	    {0x330, r->rsi},  {0x338, r->rdi}, {0x340, r->r8},	{0x348, r->r9},	 {0x350, r->r10}, {0x358, r->r11},
	    {0x360, r->r12},  {0x368, r->r13}, {0x370, r->r14}, {0x378, r->r15}, {0x178, r->rip}, {0x170, r->rflags},
	    {0x0D0, s->efer}, {0x148, s->cr4}, {0x150, s->cr3}, {0x158, s->cr0}, {0x240, s->cr2},
	};
	memset(vmsa, 0, VMM_KVM_VMSA_SIZE);
	vmsa_put_segment(vmsa, 0x000, &s->es);
	vmsa_put_segment(vmsa, 0x010, &s->cs);
	vmsa_put_segment(vmsa, 0x020, &s->ss);
	vmsa_put_segment(vmsa, 0x030, &s->ds);
	vmsa_put_segment(vmsa, 0x040, &s->fs);
	vmsa_put_segment(vmsa, 0x050, &s->gs);
	vmsa_put_segment(vmsa, 0x060, &gdtr);
	vmsa_put_segment(vmsa, 0x070, &s->ldtr);
	vmsa_put_segment(vmsa, 0x080, &idtr);
	vmsa_put_segment(vmsa, 0x090, &s->tr);
	for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		le64_store(vmsa + gprs[i][0], gprs[i][1]);
}

/* Every register comes from its own VMSA field: distinct values round-trip exactly. */
static void test_vmsa_fields(void **state)
{
	static uint8_t vmsa[VMM_KVM_VMSA_SIZE];
	struct vmm_regs r, got;
	struct vmm_sregs s, sgot;

	(void)state;
	uint64_t *words = (uint64_t *)&r;
	for (size_t i = 0; i < sizeof(r) / 8; i++)
		words[i] = 0x1111111111111111ull * (i + 1);
	struct vmm_segment *segs = &s.cs;
	for (unsigned int i = 0; i < 8; i++)
		segs[i] =
		    (struct vmm_segment){(uint16_t)(0x100 + i), (uint16_t)(0x200 + i), 0x300 + i, 0x4000000000ull + i};
	s.gdtr = (struct vmm_dtable){0x5000, 0x51};
	s.idtr = (struct vmm_dtable){0x6000, 0x61};
	s.cr0 = 0x70;
	s.cr2 = 0x72;
	s.cr3 = 0x73;
	s.cr4 = 0x74;
	s.efer = 0x75;
	build_vmsa(vmsa, &r, &s);
	memset(vmsa + 0x3B0, 0xFF, 8); /* sev_features and the rest: not registers */
	vmm_kvm_regs_from_vmsa(vmsa, &got, &sgot);
	assert_memory_equal(&got, &r, sizeof(r));
	for (unsigned int i = 0; i < 8; i++) {
		const struct vmm_segment *a = &(&sgot.cs)[i], *b = &segs[i];
		assert_int_equal(a->selector, b->selector);
		assert_int_equal(a->attrib, b->attrib);
		assert_int_equal(a->limit, b->limit);
		assert_int_equal(a->base, b->base);
	}
	assert_int_equal(sgot.gdtr.base, 0x5000);
	assert_int_equal(sgot.gdtr.limit, 0x51);
	assert_int_equal(sgot.idtr.base, 0x6000);
	assert_int_equal(sgot.idtr.limit, 0x61);
	assert_int_equal(sgot.cr0, 0x70);
	assert_int_equal(sgot.cr2, 0x72);
	assert_int_equal(sgot.cr3, 0x73);
	assert_int_equal(sgot.cr4, 0x74);
	assert_int_equal(sgot.efer, 0x75);
}

struct smp_vcpu {
	struct vmm_kvm_vcpu *vcpu;
	uint32_t apic_id;
	uint32_t stack_addr;
	unsigned int rounds;
	uint32_t status;
	int error;
	_Atomic unsigned int exits; /* debug exits seen so far (read by the stop test) */
	bool interrupted;
};

/* A vCPU thread: handles guest_smp's debug exits until the exit port or a stop. */
static void *smp_thread(void *arg)
{
	struct smp_vcpu *s = arg;
	struct vmm_kvm_exit e;
	uint32_t id = vmm_kvm_vcpu_id(s->vcpu);

	for (;;) {
		int r = vmm_kvm_vcpu_run(s->vcpu, &e);
		if (r < 0 || (e.kind != VMM_KVM_EXIT_IO && e.kind != VMM_KVM_EXIT_INTR)) {
			s->error = r < 0 ? r : -(int)e.kind - 1000;
			return NULL;
		}
		if (e.kind == VMM_KVM_EXIT_INTR) {
			s->interrupted = true;
			return NULL;
		}
		if (e.io.port == SNPEMU_PORT_EXIT) {
			s->status = (uint32_t)e.io.value;
			return NULL;
		}
		unsigned int n = s->exits++;
		if (n == 0)
			s->apic_id = (uint32_t)e.io.value;
		else if (n == 1)
			s->stack_addr = (uint32_t)e.io.value;
		else if (e.io.value == GT_SMP_ROUND_MARK + id)
			s->rounds++;
	}
}

static void test_two_vcpus(void **state)
{
	struct vmm_kvm_elf_info info;
	struct vmm_sregs sregs;
	struct smp_vcpu s[2] = {0};
	pthread_t t[2];

	(void)state;
	REQUIRE_KVM();
	struct vmm_kvm_vm *vm = load("guest_smp", NULL, &info);
	assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, 2, &s[0].vcpu), 0);
	/* the second as AP creation does it: from a VMSA page holding the long-mode state */
	static uint8_t vmsa[VMM_KVM_VMSA_SIZE];
	struct vmm_regs regs = {.rip = info.entry, .rdi = 1, .rsi = 2, .rflags = 2};
	assert_int_equal(vmm_kvm_default_sregs(vm, 1, &sregs), 0);
	build_vmsa(vmsa, &regs, &sregs);
	vmm_kvm_regs_from_vmsa(vmsa, &regs, &sregs);
	assert_int_equal(vmm_kvm_vcpu_create(vm, 1, &regs, &sregs, &s[1].vcpu), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, smp_thread, &s[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(s[i].error, 0);
		assert_int_equal(s[i].apic_id, i); /* per-vCPU CPUID */
		assert_int_equal(s[i].rounds, GT_SMP_ROUNDS);
		assert_int_equal(s[i].status, GT_SMP_DONE + i); /* not GT_SMP_TIMEOUT: both ran at once */
		vmm_kvm_vcpu_destroy(s[i].vcpu);
	}
	assert_int_not_equal(s[0].stack_addr, s[1].stack_addr);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
}

static void on_kick(int sig)
{
	(void)sig;
}

/* A stop request before entry returns INTR at once; during guest execution it needs the caller's signal. */
static void test_stop_request(void **state)
{
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_exit e;
	struct smp_vcpu s = {0};
	struct sigaction sa = {.sa_handler = on_kick}, old;
	pthread_t t;

	(void)state;
	REQUIRE_KVM();
	struct vmm_kvm_vm *vm = load("guest_smp", NULL, &info);
	assert_int_equal(vmm_kvm_vcpu_create_at(vm, 0, info.entry, 2, &s.vcpu), 0); /* waits forever for vCPU 1 */
	vmm_kvm_vcpu_request_stop(s.vcpu);
	assert_int_equal(vmm_kvm_vcpu_run(s.vcpu, &e), 0);
	assert_int_equal(e.kind, VMM_KVM_EXIT_INTR);
	assert_int_equal(vmm_kvm_vcpu_run(s.vcpu, &e), 0); /* sticky */
	assert_int_equal(e.kind, VMM_KVM_EXIT_INTR);
	vmm_kvm_vcpu_clear_stop(s.vcpu);

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(pthread_create(&t, NULL, smp_thread, &s), 0);
	while (s.exits < 2 + GT_SMP_ROUNDS)
		usleep(1000);
	usleep(20000); /* now spinning in guest code */
	vmm_kvm_vcpu_request_stop(s.vcpu);
	pthread_kill(t, SIGUSR1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_int_equal(s.error, 0);
	assert_true(s.interrupted);
	assert_int_equal(s.status, 0);
	vmm_kvm_vcpu_destroy(s.vcpu);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
}

static void test_vcpu_lifecycle(void **state)
{
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_vcpu *a, *b = NULL;
	struct vmm_sregs sregs;
	const struct vmm_regs regs = {.rip = SNPEMU_IMAGE_GPA};

	(void)state;
	REQUIRE_KVM();
	assert_int_equal(vmm_kvm_vm_create(NULL, &vm, NULL, 0), 0);
	assert_int_equal(vmm_kvm_ram_size(vm), VMM_KVM_RAM_DEFAULT);
	assert_int_equal(vmm_kvm_vcpu_create(vm, VMM_KVM_MAX_VCPUS, &regs, NULL, &b), -EINVAL);
	assert_int_equal(vmm_kvm_vcpu_create(vm, 0, NULL, NULL, &b), -EINVAL);
	assert_int_equal(vmm_kvm_default_sregs(vm, VMM_KVM_MAX_VCPUS, &sregs), -EINVAL);
	assert_null(b);
	assert_int_equal(vmm_kvm_vcpu_create(vm, VMM_KVM_MAX_VCPUS - 1, &regs, NULL, &a), 0);
	assert_int_equal(vmm_kvm_vcpu_id(a), VMM_KVM_MAX_VCPUS - 1);
	assert_int_equal(vmm_kvm_vcpu_create(vm, VMM_KVM_MAX_VCPUS - 1, &regs, NULL, &b), -EEXIST);
	assert_int_equal(vmm_kvm_vm_destroy(vm), -EBUSY);
	vmm_kvm_vcpu_destroy(a);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
	assert_int_equal(vmm_kvm_vm_destroy(NULL), 0);
	vmm_kvm_vcpu_destroy(NULL);
}

/* A new VM with vCPU `id` at CPL 3 (as the kvm backend runs the programs) running `code` copied to
 * SNPEMU_IMAGE_GPA (a vCPU id cannot be created twice in one VM). */
static struct vmm_kvm_vcpu *cpl3_vcpu(struct vmm_kvm_vm **vmp, uint32_t id, const uint8_t *code, size_t len)
{
	struct vmm_sregs sregs;
	struct vmm_kvm_vcpu *vcpu = NULL;
	const struct vmm_regs regs = {.rip = SNPEMU_IMAGE_GPA, .rsp = SNPEMU_IMAGE_GPA + 0x2000, .rflags = 2};
	struct vmm_kvm_vm *vm;

	assert_int_equal(vmm_kvm_vm_create(NULL, &vm, NULL, 0), 0);
	*vmp = vm;
	memcpy(vmm_kvm_gpa(vm, SNPEMU_IMAGE_GPA, len), code, len);
	assert_int_equal(vmm_kvm_user_sregs(vm, id, &sregs), 0);
	assert_int_equal(vmm_kvm_vcpu_create(vm, id, &regs, &sregs, &vcpu), 0);
	return vcpu;
}

/*
 * The TSS I/O permission bitmap: at CPL 3 the guest->VMM ports the programs use exit directly (the VMGEXIT and
 * PVALIDATE doorbells with their registers, the console, the exit and debug reports), on the first and on the last
 * vCPU's TSS (each has its own offset and limit to the shared bitmap); every other port raises #GP, among them
 * the neighbours of the open ones, the exception report port and one beyond the bitmap.
 */
static void test_cpl3_ports(void **state)
{
	static const uint8_t open_code[] = {
	    0xE6, 0xE0,			  /* 0: out %al, $0xE0 (VMGEXIT doorbell) */
	    0xBA, 0xF8, 0x03, 0x00, 0x00, /* 2: mov $0x3F8, %edx */
	    0xB0, 0x5A,			  /* 7: mov $'Z', %al */
	    0xEE,			  /* 9: outb %al, (%dx) (console) */
	    0xB8, 0x44, 0x33, 0x22, 0x11, /* 10: mov $0x11223344, %eax */
	    0xBA, 0xE3, 0x05, 0x00, 0x00, /* 15: mov $0x5E3, %edx */
	    0xEF,			  /* 20: outl %eax, (%dx) (debug) */
	    0xB8, 0x00, 0x30, 0x12, 0x00, /* 21: mov $0x123000, %eax */
	    0xB9, 0x01, 0x00, 0x00, 0x00, /* 26: mov $1, %ecx (2 MiB) */
	    0xBA, 0x01, 0x00, 0x00, 0x00, /* 31: mov $1, %edx (validate) */
	    0xF8,			  /* 36: clc */
	    0xE6, 0xE1,			  /* 37: out %al, $0xE1 (PVALIDATE doorbell) */
	    0x0F, 0x92, 0xC3,		  /* 39: setc %bl */
	    0xE6, 0xE0,			  /* 42: out %al, $0xE0 */
	    0xBA, 0xE2, 0x05, 0x00, 0x00, /* 44: mov $0x5E2, %edx */
	    0xEF,			  /* 49: outl %eax, (%dx) (exit) */
	    0xEB, 0xFE,			  /* 50: jmp . */
	};
	static const struct {
		uint8_t code[8];
		uint8_t len, rip; /* the offset of the instruction that must #GP */
	} closed[] = {
	    {{0xE6, 0x80}, 2, 0},				/* out %al, $0x80 */
	    {{0xE6, 0xDF}, 2, 0},				/* out %al, $0xDF: below the doorbells */
	    {{0xE6, 0xE2}, 2, 0},				/* out %al, $0xE2: above them */
	    {{0xE4, 0x70}, 2, 0},				/* in $0x70, %al */
	    {{0xBA, 0xF9, 0x03, 0x00, 0x00, 0xEE}, 6, 5},	/* outb to 0x3F9 */
	    {{0xBA, 0xFD, 0x03, 0x00, 0x00, 0xEC}, 6, 5},	/* inb from 0x3FD */
	    {{0xBA, 0xF8, 0x03, 0x00, 0x00, 0x66, 0xEF}, 7, 5}, /* outw to 0x3F8: 0x3F9 is closed */
	    {{0xBA, 0xE1, 0x05, 0x00, 0x00, 0xEE}, 6, 5},	/* outb to 0x5E1 */
	    {{0xBA, 0xE6, 0x05, 0x00, 0x00, 0x66, 0xEF}, 7, 5}, /* outw to 0x5E6: 0x5E7 is closed */
	    {{0xBA, 0xEF, 0x05, 0x00, 0x00, 0xEE}, 6, 5},	/* outb to the exception report port */
	    {{0xBA, 0xF8, 0x0C, 0x00, 0x00, 0xEF}, 6, 5},	/* outl to 0xCF8: beyond the bitmap */
	};
	static const uint32_t ids[] = {0, VMM_KVM_MAX_VCPUS - 1};
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_exit e;
	struct vmm_regs regs;

	(void)state;
	REQUIRE_KVM();
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct vmm_kvm_vcpu *vcpu = cpl3_vcpu(&vm, ids[i], open_code, sizeof(open_code));
		expect(vcpu, &e, VMM_KVM_EXIT_VMGEXIT);
		assert_int_equal(vmm_kvm_vcpu_run(vcpu, &e), 0);
		assert_int_equal(e.kind, VMM_KVM_EXIT_IO);
		assert_true(e.io.out);
		assert_int_equal(e.io.port, SNPEMU_PORT_CONSOLE);
		assert_int_equal(e.io.size, 1);
		assert_int_equal(e.io.value, 'Z');
		assert_int_equal(expect_out(vcpu, SNPEMU_PORT_DEBUG), 0x11223344);
		expect(vcpu, &e, VMM_KVM_EXIT_PVALIDATE);
		assert_int_equal(e.pvalidate.vaddr, 0x123000);
		assert_int_equal(e.pvalidate.page_size, SNPEMU_PVALIDATE_SIZE_2M);
		assert_int_equal(e.pvalidate.validate, 1);
		assert_int_equal(vmm_kvm_complete_pvalidate(vcpu, SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH, true), 0);
		expect(vcpu, &e, VMM_KVM_EXIT_VMGEXIT);
		assert_int_equal(vmm_kvm_vcpu_get_regs(vcpu, &regs), 0);
		assert_int_equal(regs.rax, SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH); /* PVALIDATE's answer, as at CPL 0 */
		assert_int_equal(regs.rbx & 0xFF, 1);				/* CF */
		assert_int_equal(regs.rip, SNPEMU_IMAGE_GPA + 44);
		assert_int_equal(expect_out(vcpu, SNPEMU_PORT_EXIT), SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH);
		vmm_kvm_vcpu_destroy(vcpu);
		assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
	}
	for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++) {
		uint32_t id = ids[i % 2];
		struct vmm_kvm_vcpu *vcpu = cpl3_vcpu(&vm, id, closed[i].code, closed[i].len);
		expect(vcpu, &e, VMM_KVM_EXIT_EXCEPTION);
		if (e.exception.vector != 13 || e.exception.rip != (uint64_t)SNPEMU_IMAGE_GPA + closed[i].rip)
			print_message("closed port case %zu on vCPU %u: vector %u rip 0x%llx\n", i, id,
				      (unsigned int)e.exception.vector, (unsigned long long)e.exception.rip);
		assert_int_equal(e.exception.vector, 13);
		assert_int_equal(e.exception.error_code, 0);
		assert_int_equal(e.exception.rip, SNPEMU_IMAGE_GPA + closed[i].rip);
		assert_int_equal(e.exception.cs & 3, 3);
		vmm_kvm_vcpu_destroy(vcpu);
		assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
	}
}

static void test_registers(void **state)
{
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_regs regs;
	struct vmm_sregs sregs, def;
	struct vmm_kvm_exit e;

	(void)state;
	REQUIRE_KVM();
	struct vmm_kvm_vm *vm = load("guest_console", NULL, &info);
	assert_int_equal(vmm_kvm_vcpu_create_at(vm, 5, info.entry, 32 * VMM_KVM_MiB, &vcpu), 0);
	assert_int_equal(vmm_kvm_vcpu_get_regs(vcpu, &regs), 0);
	assert_int_equal(regs.rip, info.entry);
	assert_int_equal(regs.rdi, 5);
	assert_int_equal(regs.rsi, 32 * VMM_KVM_MiB);
	assert_int_equal(regs.rflags, 2);
	assert_int_equal(vmm_kvm_vcpu_get_sregs(vcpu, &sregs), 0);
	assert_int_equal(vmm_kvm_default_sregs(vm, 5, &def), 0);
	assert_int_equal(sregs.cr0, def.cr0);
	assert_int_equal(sregs.cr3, def.cr3);
	assert_int_equal(sregs.cr4, def.cr4);
	assert_int_equal(sregs.efer, def.efer);
	assert_int_equal(sregs.cs.attrib, def.cs.attrib);
	assert_int_equal(sregs.cs.selector, 0x08);
	assert_int_equal(sregs.tr.selector, def.tr.selector);
	assert_int_equal(sregs.tr.base, def.tr.base);
	assert_int_equal(sregs.idtr.base, def.idtr.base);
	assert_int_equal(sregs.gdtr.limit, def.gdtr.limit);
	assert_int_equal(vmm_kvm_vcpu_set_sregs(vcpu, &sregs), 0);

	/* registers after an exit (synced run area) and written back */
	expect(vcpu, &e, VMM_KVM_EXIT_IO); /* the IN */
	assert_int_equal(vmm_kvm_vcpu_get_regs(vcpu, &regs), 0);
	assert_in_range(regs.rip, info.lowest, info.highest);
	assert_int_equal(regs.rdx & 0xFFFF, GT_CONSOLE_LSR_PORT);
	regs.rip = info.entry; /* restart the program: the console text comes again */
	regs.rdi = 0;
	regs.rsi = 0;
	assert_int_equal(vmm_kvm_vcpu_set_regs(vcpu, &regs), 0);
	char console[128] = "";
	next_exit(vcpu, &e, console, sizeof(console));
	assert_string_equal(console, "hello from kvm 0x0000000000001234\n");
	vmm_kvm_vcpu_destroy(vcpu);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
}

static void test_load_file_errors(void **state)
{
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_elf_info info;
	char reason[VMM_KVM_REASON_LEN] = "";
	char path[] = "/tmp/snpemu-kvm-test-XXXXXX";

	(void)state;
	REQUIRE_KVM();
	assert_int_equal(vmm_kvm_vm_create(NULL, &vm, NULL, 0), 0);
	assert_int_equal(vmm_kvm_elf_load_file(vm, "/nonexistent/guest.elf", &info, reason, sizeof(reason)), -ENOENT);
	assert_true(strstr(reason, "/nonexistent/guest.elf") != NULL);
	assert_int_equal(vmm_kvm_elf_load_file(vm, "/tmp", &info, NULL, 0), -EINVAL);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char junk[128];
	memset(junk, '#', sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(vmm_kvm_elf_load_file(vm, path, &info, reason, sizeof(reason)), -ENOEXEC);
	assert_true(strstr(reason, "bad magic") != NULL);
	unlink(path);
	assert_int_equal(vmm_kvm_vm_destroy(vm), 0);
}

static void test_exit_names(void **state)
{
	struct vmm_kvm_exit e = {.kind = VMM_KVM_EXIT_EXCEPTION};
	char buf[VMM_KVM_REASON_LEN];

	(void)state;
	assert_string_equal(vmm_kvm_exit_name(VMM_KVM_EXIT_VMGEXIT), "VMGEXIT");
	assert_string_equal(vmm_kvm_exit_name(VMM_KVM_EXIT_OTHER), "OTHER");
	assert_string_equal(vmm_kvm_exit_name((enum vmm_kvm_exit_kind)0), "?");
	assert_string_equal(vmm_kvm_exit_name((enum vmm_kvm_exit_kind)999), "?");
	e.exception.vector = 14;
	e.exception.rip = 0x101234;
	e.exception.cr2 = 0x40000000;
	vmm_kvm_exit_describe(&e, buf, sizeof(buf));
	assert_string_equal(buf, "exception #PF (14) error 0x0 at rip 0x101234 rsp 0x0 cr2 0x40000000");
	e.exception.vector = 200; /* never from the stubs; still printable */
	vmm_kvm_exit_describe(&e, buf, sizeof(buf));
	assert_true(strstr(buf, "? (200)") != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe),
	    cmocka_unit_test(test_config_rejected),
	    cmocka_unit_test(test_vmsa_fields),
	    cmocka_unit_test(test_device_unusable),
	    cmocka_unit_test(test_msr_doorbells),
	    cmocka_unit_test(test_msr_unanswered),
	    cmocka_unit_test(test_console_exit),
	    cmocka_unit_test(test_memory_slots),
	    cmocka_unit_test(test_exceptions),
	    cmocka_unit_test(test_sse_int3),
	    cmocka_unit_test(test_shutdown_and_forged_report),
	    cmocka_unit_test(test_two_vcpus),
	    cmocka_unit_test(test_stop_request),
	    cmocka_unit_test(test_vcpu_lifecycle),
	    cmocka_unit_test(test_registers),
	    cmocka_unit_test(test_cpl3_ports),
	    cmocka_unit_test(test_load_file_errors),
	    cmocka_unit_test(test_exit_names),
	};
	return cmocka_run_group_tests_name("vmm/kvm", tests, NULL, NULL);
}

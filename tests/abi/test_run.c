/* SPDX-License-Identifier: MIT */
/* The run structure is layout-compatible with the installed <linux/kvm.h> wherever that header has the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <linux/kvm.h>

#include <snpemu/abi/run.h>

#define SAME_OFFSET(field) assert_int_equal(offsetof(struct snpemu_run, field), offsetof(struct kvm_run, field))
#define SAME_SIZE(field)   assert_int_equal(sizeof(((struct snpemu_run *)0)->field), sizeof(((struct kvm_run *)0)->field))

static void test_header_fields(void **state)
{
	(void)state;
	SAME_OFFSET(request_interrupt_window);
	SAME_OFFSET(exit_reason);
	SAME_OFFSET(ready_for_interrupt_injection);
	SAME_OFFSET(if_flag);
	SAME_OFFSET(flags);
	SAME_OFFSET(cr8);
	SAME_OFFSET(apic_base);
	SAME_OFFSET(kvm_valid_regs);
	SAME_OFFSET(kvm_dirty_regs);
	SAME_OFFSET(s);
	SAME_SIZE(s);
}

static void test_exit_union(void **state)
{
	(void)state;
	SAME_OFFSET(hw.hardware_exit_reason);
	SAME_OFFSET(io.direction);
	SAME_OFFSET(io.size);
	SAME_OFFSET(io.port);
	SAME_OFFSET(io.count);
	SAME_OFFSET(io.data_offset);
	SAME_OFFSET(mmio.phys_addr);
	SAME_OFFSET(mmio.data);
	SAME_OFFSET(mmio.len);
	SAME_OFFSET(mmio.is_write);
	SAME_OFFSET(hypercall.nr);
	SAME_OFFSET(hypercall.args);
	SAME_OFFSET(hypercall.ret);
	SAME_OFFSET(hypercall.longmode);
	SAME_OFFSET(system_event.type);
	SAME_OFFSET(system_event.ndata);
	SAME_OFFSET(system_event.data);
	SAME_OFFSET(system_event.flags);
	SAME_SIZE(system_event.data);
	SAME_OFFSET(msr.error);
	SAME_OFFSET(msr.reason);
	SAME_OFFSET(msr.index);
	SAME_OFFSET(msr.data);
	SAME_OFFSET(internal.suberror);
	SAME_OFFSET(internal.ndata);
	SAME_OFFSET(internal.data);
#ifdef KVM_EXIT_MEMORY_FAULT
	SAME_OFFSET(memory_fault.flags);
	SAME_OFFSET(memory_fault.gpa);
	SAME_OFFSET(memory_fault.size);
#endif
#ifdef KVM_EXIT_SNP_REQ_CERTS
	SAME_OFFSET(snp_req_certs.gpa);
	SAME_OFFSET(snp_req_certs.npages);
	SAME_OFFSET(snp_req_certs.ret);
#endif
	SAME_SIZE(padding);
}

static void test_exit_numbers(void **state)
{
	(void)state;
	assert_int_equal(SNPEMU_EXIT_IO, KVM_EXIT_IO);
	assert_int_equal(SNPEMU_EXIT_HYPERCALL, KVM_EXIT_HYPERCALL);
	assert_int_equal(SNPEMU_EXIT_MMIO, KVM_EXIT_MMIO);
	assert_int_equal(SNPEMU_EXIT_SHUTDOWN, KVM_EXIT_SHUTDOWN);
	assert_int_equal(SNPEMU_EXIT_INTERNAL_ERROR, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(SNPEMU_EXIT_SYSTEM_EVENT, KVM_EXIT_SYSTEM_EVENT);
	assert_int_equal(SNPEMU_EXIT_X86_RDMSR, KVM_EXIT_X86_RDMSR);
	assert_int_equal(SNPEMU_EXIT_X86_WRMSR, KVM_EXIT_X86_WRMSR);
	assert_int_equal(SNPEMU_EXIT_AP_RESET_HOLD, KVM_EXIT_AP_RESET_HOLD);
	assert_int_equal(SNPEMU_EXIT_IO_IN, KVM_EXIT_IO_IN);
	assert_int_equal(SNPEMU_EXIT_IO_OUT, KVM_EXIT_IO_OUT);
	assert_int_equal(SNPEMU_SYSTEM_EVENT_SHUTDOWN, KVM_SYSTEM_EVENT_SHUTDOWN);
	assert_int_equal(SNPEMU_MSR_EXIT_REASON_FILTER, KVM_MSR_EXIT_REASON_FILTER);
#ifdef KVM_SYSTEM_EVENT_SEV_TERM
	assert_int_equal(SNPEMU_SYSTEM_EVENT_SEV_TERM, KVM_SYSTEM_EVENT_SEV_TERM);
#endif
#ifdef KVM_EXIT_MEMORY_FAULT
	assert_int_equal(SNPEMU_EXIT_MEMORY_FAULT, KVM_EXIT_MEMORY_FAULT);
	assert_int_equal(SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, KVM_MEMORY_EXIT_FLAG_PRIVATE);
#endif
#ifdef KVM_EXIT_SNP_REQ_CERTS
	assert_int_equal(SNPEMU_EXIT_SNP_REQ_CERTS, KVM_EXIT_SNP_REQ_CERTS);
#endif
	/* the values the spec notes give for exits this header may lack */
	assert_int_equal(SNPEMU_EXIT_MEMORY_FAULT, 39);
	assert_int_equal(SNPEMU_EXIT_SNP_REQ_CERTS, 42);
	assert_int_equal(SNPEMU_SYSTEM_EVENT_SEV_TERM, 6);
	assert_int_equal(SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, 1ull << 3);
	assert_int_equal(SNPEMU_RUN_PIO_OFFSET, KVM_PIO_PAGE_OFFSET * 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_header_fields), cmocka_unit_test(test_exit_union),
					   cmocka_unit_test(test_exit_numbers)};
	return cmocka_run_group_tests_name("abi/run", tests, NULL, NULL);
}

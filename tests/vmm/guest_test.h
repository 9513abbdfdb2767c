/* SPDX-License-Identifier: MIT */
/* Values shared by the kvm test guests (tests/vmm/guest_*.c) and their host test (tests/vmm/test_kvm.c). */
#ifndef SNPEMU_TESTS_VMM_GUEST_TEST_H
#define SNPEMU_TESTS_VMM_GUEST_TEST_H

#define GT_MSR_FIRST_WRITE 0x1122334455667788ull
#define GT_PVALIDATE_ADDR  0x200000ull

#define GT_CONSOLE_LSR_PORT 0x3FD /* COM1 line status: the console guest reads it with IN */

/* guest_console: failure bits in the exit status (0xF000 | bits). */
#define GT_FAIL_MEMCPY	0x2
#define GT_FAIL_MEMMOVE 0x4
#define GT_FAIL_MEMSET	0x8
#define GT_FAIL_MEMCMP	0x10
#define GT_FAIL_SLOTS	0x20
#define GT_FAIL_BASE	0xF000

/* guest_fault: the scenario is the boot argument. */
enum gt_fault {
	GT_FAULT_UNMAPPED_READ = 0, /* read 1 GiB: beyond RAM */
	GT_FAULT_NULL_WRITE,
	GT_FAULT_UD2,
	GT_FAULT_WRITE_PAGE_TABLE, /* the system area is read-only */
	GT_FAULT_STACK_OVERFLOW,   /* RSP unmapped: the IST stack still reports it */
	GT_FAULT_INT3,
	GT_FAULT_DIVIDE,
	GT_SSE,		 /* no fault: SSE2 arithmetic, exit status GT_SSE_OK if right */
	GT_FAULT_TRIPLE, /* an empty IDT, then #UD: #DF, then shutdown */
	GT_FAKE_REPORT,	 /* the guest writes SNPEMU_PORT_EXCEPTION itself with a vector no stub has */
	GT_FAULT_COUNT
};
#define GT_SSE_OK      0x55E2
#define GT_FAKE_VECTOR 0x1234
#define GT_FAULT_ADDR  0x40000000ull

/* guest_smp */
#define GT_SMP_ROUNDS	  200
#define GT_SMP_DONE	  0x100 /* exit status GT_SMP_DONE + cpu id */
#define GT_SMP_TIMEOUT	  0xBAD
#define GT_SMP_ROUND_MARK 0x1000 /* debug value per round: GT_SMP_ROUND_MARK + cpu id */

/* guest_bench: the loop is the boot argument. */
enum gt_bench {
	GT_BENCH_BARE_IO = 0, /* out to GT_BENCH_PORT in a two-instruction loop */
	GT_BENCH_DOORBELL,    /* VMGEXIT doorbell only (GHCB already registered, as for a NAE event) */
	GT_BENCH_MSR_PROTO,   /* WRMSR GHCB, VMGEXIT doorbell, RDMSR GHCB: the MSR-protocol round trip */
	GT_BENCH_COMPUTE,     /* GT_BENCH_INSNS register instructions, then out to GT_BENCH_PORT */
};
#define GT_BENCH_INSNS 200
#define GT_BENCH_PORT  0x80

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The per-vCPU run structure through which the engine exits to the VMM.  It mirrors `struct kvm_run`
 * (Linux include/uapi/linux/kvm.h) field for field and uses KVM's exit-reason numbers, so a VMM written against
 * KVM's SEV exits handles ours unchanged.  Defined here because distribution headers predate several exits
 * (MEMORY_FAULT 39, SNP_REQ_CERTS 42).  tests/test_abi_run.c asserts the offsets against the installed
 * <linux/kvm.h> wherever it has the field.
 *
 * As with KVM the run area is followed by the port-I/O data page: IO exits put their data at
 * `io.data_offset` (= SNPEMU_RUN_PIO_OFFSET) bytes from the start of the structure.
 */
#ifndef SNPEMU_ABI_RUN_H
#define SNPEMU_ABI_RUN_H

#include <stddef.h>
#include <stdint.h>

/* Exit reasons (KVM_EXIT_*). */
#define SNPEMU_EXIT_UNKNOWN	   0u
#define SNPEMU_EXIT_IO		   2u
#define SNPEMU_EXIT_HYPERCALL	   3u
#define SNPEMU_EXIT_MMIO	   6u
#define SNPEMU_EXIT_SHUTDOWN	   8u
#define SNPEMU_EXIT_INTERNAL_ERROR 17u
#define SNPEMU_EXIT_SYSTEM_EVENT   24u
#define SNPEMU_EXIT_X86_RDMSR	   29u
#define SNPEMU_EXIT_X86_WRMSR	   30u
#define SNPEMU_EXIT_AP_RESET_HOLD  32u
#define SNPEMU_EXIT_MEMORY_FAULT   39u
#define SNPEMU_EXIT_SNP_REQ_CERTS  42u

/* io.direction (KVM_EXIT_IO_IN/OUT). */
#define SNPEMU_EXIT_IO_IN  0u
#define SNPEMU_EXIT_IO_OUT 1u

/* system_event.type (KVM_SYSTEM_EVENT_*). */
#define SNPEMU_SYSTEM_EVENT_SHUTDOWN 1u
#define SNPEMU_SYSTEM_EVENT_RESET    2u
#define SNPEMU_SYSTEM_EVENT_CRASH    3u
#define SNPEMU_SYSTEM_EVENT_SEV_TERM 6u

/* msr.reason (KVM_MSR_EXIT_REASON_*). */
#define SNPEMU_MSR_EXIT_REASON_INVAL   (1u << 0)
#define SNPEMU_MSR_EXIT_REASON_UNKNOWN (1u << 1)
#define SNPEMU_MSR_EXIT_REASON_FILTER  (1u << 2)

/* memory_fault.flags (KVM_MEMORY_EXIT_FLAG_PRIVATE). */
#define SNPEMU_MEMORY_EXIT_FLAG_PRIVATE (1ull << 3)

/* hypercall (KVM_HC_MAP_GPA_RANGE and its attributes, arch/x86/include/uapi/asm/kvm_para.h). */
#define SNPEMU_HC_MAP_GPA_RANGE		12u
#define SNPEMU_EXIT_HYPERCALL_LONG_MODE (1ull << 0)
#define SNPEMU_MAP_GPA_RANGE_PAGE_SZ_4K 0ull
#define SNPEMU_MAP_GPA_RANGE_PAGE_SZ_2M (1ull << 0)
#define SNPEMU_MAP_GPA_RANGE_PAGE_SZ_1G (1ull << 1)
#define SNPEMU_MAP_GPA_RANGE_ENCRYPTED	(1ull << 4)
#define SNPEMU_MAP_GPA_RANGE_DECRYPTED	0ull

#define SNPEMU_RUN_PIO_OFFSET 4096u /* KVM_PIO_PAGE_OFFSET * PAGE_SIZE */
#define SNPEMU_RUN_PIO_SIZE   4096u

struct snpemu_run {
	/* in */
	uint8_t request_interrupt_window;
	uint8_t immediate_exit;
	uint8_t padding1[6];
	/* out */
	uint32_t exit_reason;
	uint8_t ready_for_interrupt_injection;
	uint8_t if_flag;
	uint16_t flags;
	uint64_t cr8;
	uint64_t apic_base;
	union {
		struct {
			uint64_t hardware_exit_reason;
		} hw;
		struct {
			uint8_t direction;
			uint8_t size; /* bytes */
			uint16_t port;
			uint32_t count;
			uint64_t data_offset; /* relative to the start of the run structure */
		} io;
		struct {
			uint64_t phys_addr;
			uint8_t data[8];
			uint32_t len;
			uint8_t is_write;
		} mmio;
		struct {
			uint64_t nr;
			uint64_t args[6];
			uint64_t ret;
			union {
				uint32_t longmode;
				uint64_t flags;
			};
		} hypercall;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[16];
		} internal;
		struct {
			uint32_t type;
			uint32_t ndata;
			union {
				uint64_t flags;
				uint64_t data[16];
			};
		} system_event;
		struct {
			uint8_t error; /* user -> engine: non-zero injects #GP */
			uint8_t pad[7];
			uint32_t reason;
			uint32_t index;
			uint64_t data;
		} msr;
		struct {
			uint64_t flags;
			uint64_t gpa;
			uint64_t size;
		} memory_fault;
		struct {
			uint64_t gpa;
			uint64_t npages;
			uint64_t ret; /* user -> engine: 0, ENOSPC, EAGAIN or EIO */
		} snp_req_certs;
		char padding[256];
	};
	uint64_t kvm_valid_regs;
	uint64_t kvm_dirty_regs;
	union {
		char padding[2048];
	} s;
	uint8_t pad_to_page[4096 - 304 - 2048];
	uint8_t pio_data[SNPEMU_RUN_PIO_SIZE];
};

_Static_assert(offsetof(struct snpemu_run, exit_reason) == 8, "exit_reason");
_Static_assert(offsetof(struct snpemu_run, hw) == 32, "exit union at 32");
_Static_assert(offsetof(struct snpemu_run, kvm_valid_regs) == 288, "kvm_valid_regs after the 256-byte union");
_Static_assert(offsetof(struct snpemu_run, s) == 304, "sync regs");
_Static_assert(offsetof(struct snpemu_run, pio_data) == SNPEMU_RUN_PIO_OFFSET, "PIO data page");
_Static_assert(offsetof(struct snpemu_run, system_event.data) == 40, "system_event.data");
_Static_assert(offsetof(struct snpemu_run, hypercall.ret) == 88, "hypercall.ret");
_Static_assert(offsetof(struct snpemu_run, memory_fault.size) == 48, "memory_fault.size");
_Static_assert(offsetof(struct snpemu_run, snp_req_certs.ret) == 48, "snp_req_certs.ret");

#endif

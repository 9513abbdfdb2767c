/* SPDX-License-Identifier: MIT */
/*
 * Private to the kvm backend (src/vmm/kvm_*.c): the VM and vCPU objects and the long-mode layout of the system
 * area.  The VMM uses only src/vmm/kvm.h.
 */
#ifndef SNPEMU_VMM_KVM_INTERNAL_H
#define SNPEMU_VMM_KVM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <linux/kvm.h>

#include "vmm/kvm.h"

/*
 * The system area, in the first 1 MiB of guest RAM (below SNPEMU_IMAGE_GPA), mapped with 4 KiB pages so that page 0
 * and the unused gaps are not present and the tables are read-only to the guest:
 */
#define VMM_KVM_PML4_GPA    0x1000ull
#define VMM_KVM_PDPT_GPA    0x2000ull
#define VMM_KVM_PD_GPA	    0x3000ull /* one page directory per GiB of RAM, up to 4 */
#define VMM_KVM_PD_COUNT    4u
#define VMM_KVM_PT0_GPA	    0x7000ull /* the 4 KiB page table of the first 2 MiB */
#define VMM_KVM_GDT_GPA	    0x8000ull
#define VMM_KVM_IDT_GPA	    0x9000ull
#define VMM_KVM_STUBS_GPA   0xA000ull
#define VMM_KVM_TSS_GPA	    0xB000ull /* VMM_KVM_MAX_VCPUS TSSs of VMM_KVM_TSS_STRIDE bytes */
#define VMM_KVM_TSS_STRIDE  128u
#define VMM_KVM_IOPB_GPA    0xD000ull  /* the I/O permission bitmap every TSS points at (kvm_x86.c) */
#define VMM_KVM_IOPB_PORTS  0x600u     /* ports it covers; the CPL-3 code's ports above it #GP (beyond the limit) */
#define VMM_KVM_SYS_RO_END  0xE000ull  /* [PML4, here) read-only */
#define VMM_KVM_IST_GPA	    0x10000ull /* one 4 KiB exception stack per vCPU, writable */
#define VMM_KVM_IST_SIZE    0x1000ull
#define VMM_KVM_IST_END	    (VMM_KVM_IST_GPA + VMM_KVM_MAX_VCPUS * VMM_KVM_IST_SIZE)
#define VMM_KVM_PROBE_GPA   SNPEMU_IMAGE_GPA /* where vmm_kvm_probe() puts its tiny guest */
#define VMM_KVM_EXC_VECTORS 32u
#define VMM_KVM_STUB_SIZE   16u /* bytes per exception stub; the common tail follows the 32 stubs */
#define VMM_KVM_IRET_GPA    (VMM_KVM_STUBS_GPA + 0xFF0) /* `iretq`: how the tcg backend enters CPL 3 (tcg_vcpu.c) */

/* GDT selectors. */
#define VMM_KVM_SEL_CODE  0x08u
#define VMM_KVM_SEL_DATA  0x10u
#define VMM_KVM_SEL_TSS0  0x20u /* vCPU id's TSS at VMM_KVM_SEL_TSS0 + 16 * id (16-byte system descriptors) */
#define VMM_KVM_SEL_UCODE (VMM_KVM_SEL_TSS0 + 16u * VMM_KVM_MAX_VCPUS) /* CPL-3 code, after the TSSs (RPL 0 here) */
#define VMM_KVM_SEL_UDATA (VMM_KVM_SEL_UCODE + 8u)
#define VMM_KVM_GDT_LIMIT (VMM_KVM_SEL_UDATA + 7u)
#define VMM_KVM_EXC_SAVED 8u /* registers the exception stubs save below the vector (see kvm_x86.c) */

_Static_assert(VMM_KVM_IST_END <= SNPEMU_IMAGE_GPA, "system area fits below the image");
_Static_assert(VMM_KVM_TSS_GPA + VMM_KVM_MAX_VCPUS * VMM_KVM_TSS_STRIDE <= VMM_KVM_SYS_RO_END, "TSS array");
_Static_assert(VMM_KVM_GDT_LIMIT < 0x1000u, "GDT fits its page");
_Static_assert(VMM_KVM_TSS_GPA + VMM_KVM_MAX_VCPUS * VMM_KVM_TSS_STRIDE <= VMM_KVM_IOPB_GPA &&
		   VMM_KVM_IOPB_GPA + VMM_KVM_IOPB_PORTS / 8 + 1 <= VMM_KVM_SYS_RO_END &&
		   VMM_KVM_IOPB_GPA - VMM_KVM_TSS_GPA <= 0xFFFFu,
	       "the I/O bitmap: after the TSSs, within a 16-bit offset of each");
_Static_assert(VMM_KVM_PD_COUNT * 1024ull * VMM_KVM_MiB == VMM_KVM_RAM_MAX, "page directories cover RAM_MAX");

struct vmm_kvm_vm {
	int kvm_fd;
	int vm_fd;
	uint8_t *ram;
	bool ram_owned; /* ram was mapped by vmm_kvm_vm_create() (not the caller's) */
	uint64_t ram_size;
	unsigned int slots;
	uint64_t slot_size; /* bytes per slot (the last may be shorter) */
	size_t run_size;
	bool sync_regs; /* KVM_CAP_SYNC_REGS with KVM_SYNC_X86_REGS: registers come with every exit */
	struct kvm_cpuid2 *cpuid;
	struct vmm_vcpu_ids ids;
};

/* What the last exit left for the caller to complete. */
enum vmm_kvm_pending {
	VMM_KVM_PENDING_NONE = 0,
	VMM_KVM_PENDING_RDMSR,
	VMM_KVM_PENDING_WRMSR,
	VMM_KVM_PENDING_IN,
	VMM_KVM_PENDING_PVALIDATE,
	VMM_KVM_PENDING_REPORT, /* an exception report: its OUT completes before registers are written */
};

struct vmm_kvm_vcpu {
	struct vmm_kvm_vm *vm;
	uint32_t id;
	int fd;
	struct kvm_run *run;
	enum vmm_kvm_pending pending;
	bool regs_synced; /* run->s.regs.regs holds the current registers */
	bool pv_dirty;	  /* a PVALIDATE answer must be written into RAX/RFLAGS before the next entry */
	uint32_t pv_rc;
	bool pv_no_update;
	atomic_bool stop;
};

/* kvm_vm.c: a one-line reason into reason[len] (nothing when reason is NULL or len 0); the kvm and tcg lower
 * layers' way of saying why they refused. */
void vmm_x86_reason(char *reason, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* kvm_x86.c: long-mode setup. */

/* Writes page tables, GDT, IDT, exception stubs and TSSs into ram (ram_size bytes, a checked configuration). */
void vmm_kvm_x86_build_system_area(uint8_t *ram, uint64_t ram_size);

/* Default system registers for vCPU id (< VMM_KVM_MAX_VCPUS). */
void vmm_kvm_x86_default_sregs(uint32_t id, struct vmm_sregs *sregs);

/* Replaces the code and data segments of sregs with the CPL-3 ones. */
void vmm_kvm_x86_user_segments(struct vmm_sregs *sregs);

/* Conversions between our VMSA-style system registers and KVM's. */
void vmm_kvm_x86_sregs_to_kvm(const struct vmm_sregs *in, struct kvm_sregs *out);
void vmm_kvm_x86_sregs_from_kvm(const struct kvm_sregs *in, struct vmm_sregs *out);

/* Conversions between our general registers and KVM's. */
void vmm_kvm_x86_regs_to_kvm(const struct vmm_regs *in, struct kvm_regs *out);
void vmm_kvm_x86_regs_from_kvm(const struct kvm_regs *in, struct vmm_regs *out);

/* A copy of the supported CPUID table with the APIC IDs set to id (malloc'd; NULL if out of memory). */
struct kvm_cpuid2 *vmm_kvm_x86_cpuid_for(const struct kvm_cpuid2 *supported, uint32_t id);

/* The probe guest's code, position independent: RDMSR(MSR_AMD64_SEV), OUT EAX to SNPEMU_PORT_EXIT, HLT. */
const uint8_t *vmm_kvm_x86_probe_code(size_t *len);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The kvm backend's internal contract: a real x86-64 VM on /dev/kvm, entered directly in 64-bit long mode, whose
 * SEV-specific events (GHCB MSR and SEV status MSR accesses, the VMGEXIT and PVALIDATE doorbells, exceptions) come
 * back to the caller as typed exits.  The backend knows nothing of the engine or the firmware model: the VMM runs
 * those on the exits and completes them with the vmm_kvm_complete_*() calls before resuming.
 *
 * Guest-visible protocol: <snpemu/abi/runtime.h> (ports, statuses) and guests/rt/rt_abi.h (memory map, entry
 * registers).
 *
 * Errors: host failures and invalid arguments return -errno (never exit); only the caller decides what to do.
 * Threads: the VM object may be shared by all threads once created; vmm_kvm_vcpu_create() may be called from any
 * thread.  A vCPU object belongs to one thread at a time (the one calling vmm_kvm_vcpu_run() and the completion
 * calls); only vmm_kvm_vcpu_request_stop() may be called on it from another thread.
 */
#ifndef SNPEMU_VMM_KVM_H
#define SNPEMU_VMM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/runtime.h>

#include "vmm/backend.h"

#define VMM_KVM_MiB	    (1024ull * 1024ull)
#define VMM_KVM_RAM_DEFAULT (64 * VMM_KVM_MiB)
#define VMM_KVM_RAM_MIN	    (4 * VMM_KVM_MiB)
#define VMM_KVM_RAM_MAX	    (4096 * VMM_KVM_MiB) /* four page directories of 2 MiB pages */
#define VMM_KVM_RAM_ALIGN   (2 * VMM_KVM_MiB)	 /* RAM and slot sizes are whole 2 MiB pages */
#define VMM_KVM_MAX_VCPUS   SNPEMU_MAX_VCPUS	 /* one TSS and one exception stack each */
#define VMM_KVM_MAX_SLOTS   32u
#define VMM_KVM_IMAGE_MAX   (256 * VMM_KVM_MiB) /* bound on an ELF file read by vmm_kvm_elf_load_file() */
#define VMM_KVM_REASON_LEN  160u

struct vmm_kvm_vm;
struct vmm_kvm_vcpu;

/* VM creation parameters; a zeroed structure asks for the defaults. */
struct vmm_kvm_vm_config {
	uint64_t ram_size;    /* bytes; 0 = VMM_KVM_RAM_DEFAULT; a multiple of 2 MiB in [RAM_MIN, RAM_MAX] */
	uint64_t slot_size;   /* bytes per KVM memory slot; 0 = the whole RAM in one slot; a multiple of 2 MiB */
	const char *dev_path; /* NULL = "/dev/kvm" (another path lets tests reach the unusable-device errors) */
	void *ram;	      /* NULL = the VM maps its own RAM; else a caller's host mapping of ram_size bytes (the
				 VMM's guest memory, which the engine and firmware model see too), kept mapped by the
				 caller until vmm_kvm_vm_destroy() and written by vmm_kvm_vm_create() (system area) */
};

/* Registers: the backend-neutral struct vmm_regs / vmm_sregs / vmm_segment / vmm_dtable of src/vmm/backend.h;
 * vmm_kvm_default_sregs() gives the backend's long-mode set, which callers edit. */

/* What vmm_kvm_vcpu_run() saw. */
enum vmm_kvm_exit_kind {
	VMM_KVM_EXIT_VMGEXIT = 1,    /* OUT to SNPEMU_PORT_VMGEXIT */
	VMM_KVM_EXIT_PVALIDATE,	     /* OUT to SNPEMU_PORT_PVALIDATE: pvalidate.*; complete with complete_pvalidate() */
	VMM_KVM_EXIT_RDMSR,	     /* RDMSR of a filtered MSR: msr.index; complete_rdmsr() or complete_msr_gp() */
	VMM_KVM_EXIT_WRMSR,	     /* WRMSR of a filtered MSR: msr.index, msr.value; complete_wrmsr() or _msr_gp() */
	VMM_KVM_EXIT_IO,	     /* any other port: io.*; an IN is answered with complete_in() */
	VMM_KVM_EXIT_MMIO,	     /* access to a guest-physical address outside RAM (own page tables): mmio.* */
	VMM_KVM_EXIT_EXCEPTION,	     /* guest exception reported by the VMM's IDT stubs: exception.* */
	VMM_KVM_EXIT_HLT,	     /* HLT (no in-kernel APIC: every HLT exits) */
	VMM_KVM_EXIT_SHUTDOWN,	     /* triple fault or shutdown */
	VMM_KVM_EXIT_INTERNAL_ERROR, /* KVM could not emulate: internal.* */
	VMM_KVM_EXIT_FAIL_ENTRY,     /* VM entry failed: fail_entry.* */
	VMM_KVM_EXIT_INTR,	     /* KVM_RUN interrupted (signal or vmm_kvm_vcpu_request_stop()) */
	VMM_KVM_EXIT_OTHER,	     /* any other KVM exit reason, in kvm_reason */
	VMM_KVM_EXIT_RMPADJUST,	     /* tcg only: RMPADJUST (F3 0F 01 FE): rmpadjust.*; answered in RAX */
};

struct vmm_kvm_exit {
	enum vmm_kvm_exit_kind kind;
	uint32_t kvm_reason; /* the raw KVM_EXIT_* value (0 for INTR) */
	union {
		struct {
			uint64_t vaddr;
			uint64_t page_size; /* SNPEMU_PVALIDATE_SIZE_*, unchecked: as the guest put it in RCX */
			uint64_t validate;  /* as the guest put it in RDX */
		} pvalidate;
		struct {
			uint64_t vaddr;
			uint64_t page_size; /* RCX */
			uint64_t attrs;	    /* RDX: target VMPL, permissions, VMSA bit */
		} rmpadjust;
		struct {
			uint32_t index;
			uint64_t value; /* WRMSR only */
		} msr;
		struct {
			uint16_t port;
			uint8_t size; /* 1, 2 or 4 bytes per element */
			bool out;
			uint32_t count;	     /* elements (> 1 for rep ins/outs) */
			uint64_t value;	     /* the first element, little-endian, OUT only */
			const uint8_t *data; /* size * count bytes of OUT data, valid until the next run */
		} io;
		struct {
			uint64_t gpa;
			uint32_t len;
			bool write;
			uint8_t data[8];
		} mmio;
		struct {
			uint32_t vector;
			uint64_t error_code;
			uint64_t rip, cs, rflags, rsp, cr2;
		} exception;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[16];
		} internal;
		struct {
			uint64_t hardware_reason;
			uint32_t cpu;
		} fail_entry;
	};
};

/* Can this host run the kvm backend?  Opens /dev/kvm, checks the API version and capabilities, creates a small VM
 * and runs a tiny long-mode guest that reads the SEV status MSR and writes the answer to a port, up to that exit.
 * Returns 0, or -errno with a one-line reason in reason[len] (always NUL-terminated when len > 0). */
int vmm_kvm_probe(char *reason, size_t len);

/* Creates a VM: opens /dev/kvm, checks KVM_GET_API_VERSION == 12 and the capabilities (USER_SPACE_MSR, MSR_FILTER,
 * IMMEDIATE_EXIT), maps the RAM into memory slots, builds the system area (page tables, GDT, IDT, exception stubs,
 * TSSs), installs the MSR filter for MSR_AMD64_SEV_ES_GHCB and MSR_AMD64_SEV and reads the supported CPUID.  cfg may be
 * NULL for the defaults.  Returns 0 and *out, or -errno (-EINVAL for a bad config, -ENODEV without /dev/kvm,
 * -ENOTSUP for a missing capability) with a reason in reason[len] if reason is not NULL. */
int vmm_kvm_vm_create(const struct vmm_kvm_vm_config *cfg, struct vmm_kvm_vm **out, char *reason, size_t len);

/* Destroys a VM whose vCPUs have all been destroyed (else -EBUSY and nothing is freed).  NULL is a no-op. */
int vmm_kvm_vm_destroy(struct vmm_kvm_vm *vm);

/* The RAM size in bytes. */
uint64_t vmm_kvm_ram_size(const struct vmm_kvm_vm *vm);

/* Dirty-page logging of the RAM (KVM_MEM_LOG_DIRTY_PAGES on every slot; kvm_dirty.c): enable starts it with every
 * page clean, disable stops it.  Returns 0 or -errno. */
int vmm_kvm_dirty_log(struct vmm_kvm_vm *vm, bool enable);

/* The pages the guest wrote since logging started or the previous call, cleared (KVM_GET_DIRTY_LOG): bit i of
 * bitmap[i / 64] for page i of RAM; words >= RAM pages / 64 (else -ENOSPC).  -ENOENT if logging is off. */
int vmm_kvm_dirty_log_get(struct vmm_kvm_vm *vm, uint64_t *bitmap, size_t words);

/* The number of KVM memory slots the RAM uses. */
unsigned int vmm_kvm_slot_count(const struct vmm_kvm_vm *vm);

/* Host pointer to guest-physical [gpa, gpa + len), or NULL if any byte lies outside RAM.  The one checked
 * translator: every guest address the VMM touches goes through it. */
void *vmm_kvm_gpa(struct vmm_kvm_vm *vm, uint64_t gpa, uint64_t len);

/* The backend's initial long-mode system registers for vCPU index id: flat 64-bit CS/DS/ES/FS/GS/SS, the vCPU's
 * own TSS, the VMM's GDT, IDT and identity page tables, CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE|OSFXSR|OSXMMEXCPT,
 * EFER = LME|LMA.  -EINVAL if id >= VMM_KVM_MAX_VCPUS. */
int vmm_kvm_default_sregs(const struct vmm_kvm_vm *vm, uint32_t id, struct vmm_sregs *sregs);

/* The same for code at CPL 3: CS/SS/DS/ES/FS/GS the VMM's user segments (DPL 3; RAM from SNPEMU_IMAGE_GPA is
 * user-accessible), the rest as vmm_kvm_default_sregs().  -EINVAL if id >= VMM_KVM_MAX_VCPUS. */
int vmm_kvm_user_sregs(const struct vmm_kvm_vm *vm, uint32_t id, struct vmm_sregs *sregs);

/* After an exception report (VMM_KVM_EXIT_EXCEPTION): the general registers of the interrupted code, as the stub
 * saved them (the stub itself overwrites RDX, RSI, RDI, R8..R12, RIP, RSP, RFLAGS).  -EFAULT if the stub's stack
 * is not in RAM. */
int vmm_kvm_exception_regs(struct vmm_kvm_vcpu *vcpu, const struct vmm_kvm_exit *exit, struct vmm_regs *regs);

#define VMM_KVM_VMSA_SIZE 4096u

/* AP creation: the registers of a guest-supplied VMSA page (vmsa[VMM_KVM_VMSA_SIZE], untrusted bytes, read with
 * explicit little-endian loads at the SEV-ES save-area offsets of APM vol 2 table B-4 / Linux struct
 * sev_es_save_area): the GPRs, RIP, RFLAGS, segments, GDTR/IDTR, CR0/CR2/CR3/CR4, EFER.  No value is judged here:
 * vmm_kvm_vcpu_create() answers a state KVM refuses with -EINVAL, and a state KVM accepts but the CPU cannot run
 * ends in an exception or SHUTDOWN exit. */
void vmm_kvm_regs_from_vmsa(const uint8_t *vmsa, struct vmm_regs *regs, struct vmm_sregs *sregs);

/* Creates vCPU index id (< VMM_KVM_MAX_VCPUS, each index once) with the given registers; sregs NULL = the
 * defaults.  Sets its CPUID from KVM_GET_SUPPORTED_CPUID with the APIC IDs (leaf 1 EBX[31:24], leaves 0xB/0x1F
 * EDX) made equal to id.  regs->rflags bit 1 is forced on.  Returns 0 and *out, or -errno (-EEXIST for a used id). */
int vmm_kvm_vcpu_create(struct vmm_kvm_vm *vm, uint32_t id, const struct vmm_regs *regs, const struct vmm_sregs *sregs,
			struct vmm_kvm_vcpu **out);

/* Convenience for guest programs built on guests/rt: a vCPU starting at entry with RDI = id, RSI = arg and the
 * default system registers (the entry protocol of rt_abi.h). */
int vmm_kvm_vcpu_create_at(struct vmm_kvm_vm *vm, uint32_t id, uint64_t entry, uint64_t arg, struct vmm_kvm_vcpu **out);

/* Destroys a vCPU (its thread must have left vmm_kvm_vcpu_run()).  NULL is a no-op. */
void vmm_kvm_vcpu_destroy(struct vmm_kvm_vcpu *vcpu);

/* The vCPU's index. */
uint32_t vmm_kvm_vcpu_id(const struct vmm_kvm_vcpu *vcpu);

/* Runs the vCPU until the next exit the caller must see, applying the completions of the previous exit first.
 * Returns 0 with *exit filled, or -errno for a host failure (KVM_RUN failing other than EINTR; register access). */
int vmm_kvm_vcpu_run(struct vmm_kvm_vcpu *vcpu, struct vmm_kvm_exit *exit);

/* Answers the last RDMSR exit with value.  -EINVAL if the last exit was not RDMSR.  (Unanswered MSR exits
 * inject #GP on resume, so an MSR the VMM does not handle faults instead of reading garbage.) */
int vmm_kvm_complete_rdmsr(struct vmm_kvm_vcpu *vcpu, uint64_t value);

/* Accepts the last WRMSR exit.  -EINVAL if the last exit was not WRMSR. */
int vmm_kvm_complete_wrmsr(struct vmm_kvm_vcpu *vcpu);

/* Answers the last RDMSR/WRMSR exit with #GP (the default).  -EINVAL if the last exit was neither. */
int vmm_kvm_complete_msr_gp(struct vmm_kvm_vcpu *vcpu);

/* Supplies the data of the last IN exit: len must equal size * count.  -EINVAL otherwise or if the last exit was
 * not an IN.  (Unanswered INs read all-ones, like an absent device.) */
int vmm_kvm_complete_in(struct vmm_kvm_vcpu *vcpu, const void *data, size_t len);

/* Answers the last PVALIDATE doorbell: RAX = rc, RFLAGS.CF = no_update.  -EINVAL if the last exit was not
 * PVALIDATE.  (Unanswered: SNPEMU_PVALIDATE_FAIL_INPUT.) */
int vmm_kvm_complete_pvalidate(struct vmm_kvm_vcpu *vcpu, uint32_t rc, bool no_update);

/* Reads the vCPU's general registers (from the synced run area when KVM provides it, else KVM_GET_REGS). */
int vmm_kvm_vcpu_get_regs(struct vmm_kvm_vcpu *vcpu, struct vmm_regs *regs);

/* Writes the vCPU's general registers.  A pending exit is completed first (KVM finishes IO/MSR exits on the next
 * entry, which would otherwise overwrite RAX/RIP): answer it before, its answer is kept, and regs then win. */
int vmm_kvm_vcpu_set_regs(struct vmm_kvm_vcpu *vcpu, const struct vmm_regs *regs);

/* Reads / writes the vCPU's system registers (the write completes a pending exit first, as set_regs). */
int vmm_kvm_vcpu_get_sregs(struct vmm_kvm_vcpu *vcpu, struct vmm_sregs *sregs);
int vmm_kvm_vcpu_set_sregs(struct vmm_kvm_vcpu *vcpu, const struct vmm_sregs *sregs);
/* x87/SSE state through KVM_GET_FPU / KVM_SET_FPU.  0 or -errno. */
int vmm_kvm_vcpu_get_fpu(struct vmm_kvm_vcpu *vcpu, struct vmm_fpu *fpu);
int vmm_kvm_vcpu_set_fpu(struct vmm_kvm_vcpu *vcpu, const struct vmm_fpu *fpu);

/* Asks the vCPU to leave vmm_kvm_vcpu_run() with VMM_KVM_EXIT_INTR: any thread may call it.  It takes effect at
 * the next entry; to interrupt a vCPU already running guest code, the caller also sends the vCPU's thread a signal
 * whose handler does nothing (installed without SA_RESTART).  Sticky until vmm_kvm_vcpu_clear_stop(). */
void vmm_kvm_vcpu_request_stop(struct vmm_kvm_vcpu *vcpu);

/* Withdraws a stop request (from the vCPU's own thread). */
void vmm_kvm_vcpu_clear_stop(struct vmm_kvm_vcpu *vcpu);

/* Short name of an exit kind ("VMGEXIT", "IO", ...); "?" for an unknown value. */
const char *vmm_kvm_exit_name(enum vmm_kvm_exit_kind kind);

/* One line describing an exit for the VMM's log, e.g. "exception #PF (14) error 0x0 at rip 0x101234 cr2 0x0". */
void vmm_kvm_exit_describe(const struct vmm_kvm_exit *exit, char *buf, size_t len);

/* ---- ELF64 loader (kvm_elf.c): a parser of untrusted files. ---- */

enum vmm_kvm_elf_error {
	VMM_KVM_ELF_OK = 0,
	VMM_KVM_ELF_TRUNCATED,	       /* shorter than the ELF header */
	VMM_KVM_ELF_BAD_MAGIC,	       /* not \x7fELF */
	VMM_KVM_ELF_NOT_64BIT,	       /* EI_CLASS != ELFCLASS64 */
	VMM_KVM_ELF_NOT_LITTLE_ENDIAN, /* EI_DATA != ELFDATA2LSB */
	VMM_KVM_ELF_BAD_VERSION,       /* EI_VERSION or e_version != EV_CURRENT */
	VMM_KVM_ELF_NOT_EXEC,	       /* e_type != ET_EXEC (relocatable, shared, PIE) */
	VMM_KVM_ELF_NOT_X86_64,	       /* e_machine != EM_X86_64 */
	VMM_KVM_ELF_BAD_EHSIZE,	       /* e_ehsize too small */
	VMM_KVM_ELF_BAD_PHENTSIZE,     /* e_phentsize != sizeof(Elf64_Phdr) */
	VMM_KVM_ELF_BAD_PHNUM,	       /* no program headers, or more than VMM_KVM_ELF_MAX_PHDRS */
	VMM_KVM_ELF_PHDRS_OUTSIDE,     /* program header table beyond the file */
	VMM_KVM_ELF_DYNAMIC,	       /* PT_INTERP or PT_DYNAMIC: not a static image */
	VMM_KVM_ELF_NO_LOAD,	       /* no PT_LOAD segment */
	VMM_KVM_ELF_SEG_FILE_RANGE,    /* p_offset + p_filesz beyond the file (or overflowing) */
	VMM_KVM_ELF_SEG_FILESZ,	       /* p_filesz > p_memsz */
	VMM_KVM_ELF_SEG_NOT_IDENTITY,  /* p_vaddr != p_paddr: images run identity-mapped */
	VMM_KVM_ELF_SEG_OUTSIDE_RAM,   /* below the load floor, beyond RAM, or overflowing */
	VMM_KVM_ELF_SEG_OVERLAP,       /* two PT_LOAD segments share bytes */
	VMM_KVM_ELF_SEG_ALIGN,	       /* p_align not 0/1 or a power of two, or vaddr != offset modulo it */
	VMM_KVM_ELF_ENTRY_OUTSIDE,     /* entry point not inside an executable PT_LOAD segment */
	VMM_KVM_ELF_ERROR_COUNT
};

#define VMM_KVM_ELF_MAX_PHDRS 64u

/* What a valid image needs from the loader. */
struct vmm_kvm_elf_info {
	uint64_t entry;
	uint64_t lowest, highest; /* [lowest, highest) covers every PT_LOAD segment's memory image */
	unsigned int load_segments;
};

/* Validates an ELF64 image (image[len], untrusted) for guest-physical RAM [floor, ram_size): every rule of
 * enum vmm_kvm_elf_error.  No allocation, no writes except *info.  Returns VMM_KVM_ELF_OK or the first error. */
enum vmm_kvm_elf_error vmm_kvm_elf_check(const uint8_t *image, size_t len, uint64_t floor, uint64_t ram_size,
					 struct vmm_kvm_elf_info *info);

/* Validates like vmm_kvm_elf_check(), then copies each PT_LOAD segment to ram + p_paddr and zeroes its
 * p_memsz - p_filesz tail.  ram holds ram_size bytes.  Nothing is written unless the whole image is valid. */
enum vmm_kvm_elf_error vmm_kvm_elf_load(const uint8_t *image, size_t len, uint8_t *ram, uint64_t floor,
					uint64_t ram_size, struct vmm_kvm_elf_info *info);

/* One-line text of an ELF error. */
const char *vmm_kvm_elf_strerror(enum vmm_kvm_elf_error err);

/* Reads the file at path (at most VMM_KVM_IMAGE_MAX bytes) and loads it into the VM's RAM above the system area
 * (floor SNPEMU_IMAGE_GPA).  Returns 0 and *info; -errno for a host failure (open/read); -ENOEXEC for an invalid image
 * with its text in reason[len] if reason is not NULL. */
int vmm_kvm_elf_load_file(struct vmm_kvm_vm *vm, const char *path, struct vmm_kvm_elf_info *info, char *reason,
			  size_t len);

#endif

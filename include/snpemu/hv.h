/* SPDX-License-Identifier: MIT */
/*
 * snpemu hypervisor engine (hv): the hypervisor side of the GHCB protocol, as Linux KVM's arch/x86/kvm/svm/sev.c
 * implements it, as a library a VMM embeds.  Reference: shared/spec/ghcb-hypervisor-kvm.md (cited as "spec §N").
 *
 * Model.  A VM holds memory slots, a CPUID table, an MSR policy, enabled capabilities and statistics.  Each vCPU
 * holds its GHCB MSR value and a `struct snpemu_run` (abi/run.h).  A backend calls hv_vcpu_vmgexit() on every
 * VMGEXIT; it returns 1 (resume the guest: the response is in the GHCB MSR or the GHCB) or 0 (exit to the VMM: run
 * filled).  The VMM completes an exit by filling the run's response fields and calling hv_vcpu_vmgexit() again,
 * as KVM_RUN does with complete_userspace_io.  Negative errno values mean API misuse, never a guest mistake.
 *
 * Exits produced (exit_reason, fields, what the VMM answers before calling hv_vcpu_vmgexit() again):
 *   IO (2)            io.{direction,size,port,count,data_offset}; OUT data / IN data in run->pio_data.  String
 *                     IOIO is split into exits of at most 4096/size elements, as KVM.
 *   MMIO (6)          mmio.{phys_addr,len<=8,is_write,data}; reads: the VMM fills mmio.data.
 *   HYPERCALL (3)     KVM_HC_MAP_GPA_RANGE: nr 12, args[0..2] = gpa, npages, attrs, flags = LONG_MODE; the VMM
 *                     sets hypercall.ret, which the guest receives in RAX.
 *   X86_RDMSR/WRMSR   msr.{index,data,reason}; the VMM sets msr.data (reads) and msr.error (non-zero: the guest
 *   (29/30)           gets "issue exception #GP", SW_EXITINFO2 = 0x8000030D).
 *   SYSTEM_EVENT (24) type SEV_TERM: MSR form data[0] = GHCB MSR value, data[1] reason set, data[2] reason code,
 *                     ndata 3; NAE form data[0] = GHCB GPA, data[1] set, data[2] code, data[3] SW_EXITINFO2,
 *                     ndata 4.  A SEV-ES VM sending an SNP-only MSR request (PREF_GPA, REG_GPA, PSC) gets the
 *                     same exit with only data[0] (the request) valid, ndata 1 (spec §7).  The vCPU is then
 *                     terminated: calling hv_vcpu_vmgexit() again delivers the same exit (hv_vcpu_reset clears it).
 *   AP_RESET_HOLD (32) MSR request 0x006 or NAE 0x80000004.  Calling hv_vcpu_vmgexit() again means the AP was woken
 *                     by a SIPI: MSR form answers 0x1007, NAE form SW_EXITINFO2 = 1 (spec §12).
 *   INTERNAL_ERROR (17) NAE UNSUPPORTED_EVENT 0x8000FFFF: suberror HV_INTERNAL_ERROR_UNSUPPORTED_EVENT, ndata 3,
 *                     data[] = {SW_EXITCODE, SW_EXITINFO1, SW_EXITINFO2}.  KVM fails KVM_RUN with -EINVAL here;
 *                     we give the VMM a defined exit (DESIGN rule 2).  Calling again resumes the guest with
 *                     SW_EXITINFO1 = 0.
 *   MEMORY_FAULT (39) memory_fault.{flags,gpa,size}: a host access the engine needs failed: a GPA no slot backs,
 *                     a page the host-access hook calls private (flags = SNPEMU_MEMORY_EXIT_FLAG_PRIVATE), or a
 *                     failed allocation (flags 0, gpa/size of the scratch area).  KVM resumes silently (unmappable
 *                     GHCB) or fails KVM_RUN (-EFAULT/-ENOMEM); we exit with the metadata (DESIGN rule 3).  Calling
 *                     again retries the failed step.
 *
 * SNP-only events in this build.  PSC (0x80000010), GUEST_REQUEST/EXT_GUEST_REQUEST (0x80000011/12) and
 * AP_CREATION (0x80000013) are validated exactly as KVM (a SEV-ES VM gets MISSING_INPUT).  On an SNP VM they are
 * NOT IMPLEMENTED IN THIS BUILD: they are answered SW_EXITINFO1 = 2, SW_EXITINFO2 = GHCB_ERR_INVALID_EVENT.  The
 * MSR-protocol PSC request on an SNP VM is answered GHCB_MSR_PSC_RESP_ERROR (KVM's answer when PSC exits are
 * disabled).  PREF_GPA and REG_GPA are implemented (REG_GPA records the GPA; it is not yet enforced on NAEs).
 *
 * Threads.  Each vCPU is driven by one thread at a time; vCPUs of one VM run concurrently.  VM configuration
 * calls may run concurrently with vCPUs (they serialize against in-flight VMGEXITs).
 */
#ifndef SNPEMU_HV_H
#define SNPEMU_HV_H

#include <stddef.h>
#include <stdint.h>

#include "abi/run.h"

struct hv_vm;
struct hv_vcpu;

/* VM types, numbered as KVM_X86_SEV_ES_VM and KVM_X86_SNP_VM (spec §14). */
#define HV_VM_TYPE_SEV_ES 3u
#define HV_VM_TYPE_SNP	  4u

#define HV_SCRATCH_LIMIT_DEFAULT (64u * 1024u) /* GHCB_SCRATCH_AREA_LIMIT, spec §5 */
#define HV_SCRATCH_LIMIT_MAX	 (16u * 1024u * 1024u)

/* INTERNAL_ERROR suberror of the UNSUPPORTED_EVENT exit (KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON). */
#define HV_INTERNAL_ERROR_UNSUPPORTED_EVENT 4u

struct hv_vm_config {
	uint32_t type;		/* HV_VM_TYPE_SEV_ES or HV_VM_TYPE_SNP */
	uint16_t ghcb_version;	/* maximum GHCB protocol version: 1 or 2; 0 = 2 (KVM_SEV_INIT2, spec §2.4) */
	uint8_t cbit;		/* C-bit position reported by SEV_INFO (0..63) */
	uint8_t reserved;	/* must be 0 */
	uint64_t sev_features;	/* VMSA SEV_FEATURES (checked by AP creation) */
	uint64_t scratch_limit; /* largest scratch area outside the GHCB; 0 = 64 KiB; at most HV_SCRATCH_LIMIT_MAX */
};

/* Page-state hook: 0 if the host may access [gpa, gpa+len) (shared), -EACCES if any of it is private.  Called for
 * every host access to guest memory.  Without a hook all memory is shared.  Must be thread-safe. */
typedef int (*hv_host_access_fn)(void *ctx, uint64_t gpa, uint64_t len);

/* Create a VM.  -EINVAL for a bad config, -ENOMEM. */
int hv_vm_create(const struct hv_vm_config *cfg, struct hv_vm **out);
/* Destroy a VM.  -EBUSY while vCPUs exist (destroy them first); NULL is accepted. */
int hv_vm_destroy(struct hv_vm *vm);
/* The configuration the VM was created with, defaults filled in. */
const struct hv_vm_config *hv_vm_config(const struct hv_vm *vm);

/* Add memory slot `slot` mapping [gpa, gpa+size) to host memory `host` (page-aligned gpa and size, size > 0).
 * -EINVAL bad arguments, -EEXIST slot in use or range overlaps another slot, -ENOSPC more than HV_MAX_MEMSLOTS. */
#define HV_MAX_MEMSLOTS 32u
int hv_vm_add_memslot(struct hv_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host);
/* Remove memory slot `slot`.  -ENOENT if it does not exist. */
int hv_vm_remove_memslot(struct hv_vm *vm, uint32_t slot);
/* Install the page-state hook (NULL removes it). */
int hv_vm_set_host_access(struct hv_vm *vm, hv_host_access_fn fn, void *ctx);

/* CPUID table entry (KVM struct kvm_cpuid_entry2 plus the SNP CPUID page's XCR0/XSS inputs). */
struct hv_cpuid_entry {
	uint32_t function;
	uint32_t index; /* sub-leaf, compared only with HV_CPUID_FLAG_SIGNIFICANT_INDEX */
	uint32_t flags;
	uint32_t eax, ebx, ecx, edx;
	uint64_t xcr0, xss; /* compared only with HV_CPUID_FLAG_XSTATE_VARIANT */
};
#define HV_CPUID_FLAG_SIGNIFICANT_INDEX (1u << 0) /* KVM_CPUID_FLAG_SIGNIFCANT_INDEX */
#define HV_CPUID_FLAG_XSTATE_VARIANT	(1u << 1) /* applies only when the vCPU's XCR0 and XSS equal xcr0/xss */
#define HV_MAX_CPUID_ENTRIES		256u
/* Replace the VM's CPUID table.  A leaf the table lacks reads as zeros.  For leaf 0xD sub-leaves 0 and 1 without
 * an XSTATE variant, EBX is computed from the vCPU's XCR0 (and XCR0|XSS) and the table's 0xD sub-leaves 2..63
 * (KVM xstate_required_size).  -EINVAL bad flags or duplicate keys, -E2BIG too many entries. */
int hv_vm_set_cpuid(struct hv_vm *vm, const struct hv_cpuid_entry *entries, size_t n);

/* MSR policy for the MSR NAE (0x7C): rules are searched in order; the first whose [first, last] holds the index
 * decides.  Without a matching rule the default action applies.  The engine answers MSR_AMD64_SEV (0xC0010131)
 * reads itself (SEV status bits of the VM type) unless a rule matches it. */
enum hv_msr_action {
	HV_MSR_EXIT = 0,   /* exit X86_RDMSR / X86_WRMSR (reason FILTER for a rule, UNKNOWN for the default) */
	HV_MSR_CONST = 1,  /* reads return `value`; writes inject #GP */
	HV_MSR_IGNORE = 2, /* reads return `value`; writes are accepted and dropped */
	HV_MSR_GP = 3,	   /* reads and writes inject #GP */
};
struct hv_msr_rule {
	uint32_t first, last;
	uint32_t action; /* enum hv_msr_action */
	uint64_t value;
};
#define HV_MAX_MSR_RULES 64u
/* Replace the MSR policy.  -EINVAL bad action or first > last, -E2BIG too many rules. */
int hv_vm_set_msr_policy(struct hv_vm *vm, const struct hv_msr_rule *rules, size_t n, uint32_t default_action);

/* Enable HYPERCALL exits (KVM_CAP_EXIT_HYPERCALL): `mask` must be a subset of 1 << 12 (KVM_HC_MAP_GPA_RANGE),
 * else -EINVAL.  0 disables. */
#define HV_HYPERCALL_EXIT_VALID_MASK (1ull << SNPEMU_HC_MAP_GPA_RANGE)
int hv_vm_enable_hypercall_exits(struct hv_vm *vm, uint64_t mask);

/* Statistics per event: one slot per NAE exit code the engine knows, one per MSR-protocol request, and one for
 * everything else (unknown codes, a zero GHCB MSR).  count = VMGEXITs of that kind; total_ns = time spent in the
 * engine for them, completions included. */
enum hv_stat_kind { HV_STAT_NAE = 0, HV_STAT_MSR_PROTOCOL = 1, HV_STAT_OTHER = 2 };
struct hv_exit_stat {
	uint32_t kind; /* enum hv_stat_kind */
	uint64_t code; /* SW_EXITCODE (NAE) or GHCBInfo (MSR protocol); 0 for OTHER */
	const char *name;
	uint64_t count;
	uint64_t total_ns;
};
/* Fill up to `cap` slots of `out` (summed over live and destroyed vCPUs); returns the number of slots there are. */
size_t hv_vm_get_stats(struct hv_vm *vm, struct hv_exit_stat *out, size_t cap);

/* Create vCPU `id` (its APIC ID; also its TSC_AUX).  The GHCB MSR starts as the SEV_INFO response (spec §7).
 * -EEXIST id in use, -ENOMEM. */
int hv_vcpu_create(struct hv_vm *vm, uint32_t id, struct hv_vcpu **out);
/* Destroy a vCPU (folds its statistics into the VM's).  NULL is accepted. */
void hv_vcpu_destroy(struct hv_vcpu *vcpu);
/* The vCPU's run structure (exits, with the PIO data page after it); valid until hv_vcpu_destroy. */
struct snpemu_run *hv_vcpu_run(struct hv_vcpu *vcpu);
/* The GHCB MSR value (0xC0010130) the guest sees. */
uint64_t hv_vcpu_get_ghcb_msr(const struct hv_vcpu *vcpu);
/* Set the GHCB MSR (the guest wrote it).  -EBUSY while an exit awaits completion. */
int hv_vcpu_set_ghcb_msr(struct hv_vcpu *vcpu, uint64_t value);
/* 1 if an exit awaits completion by hv_vcpu_vmgexit(). */
int hv_vcpu_exit_pending(const struct hv_vcpu *vcpu);
/* Drop any pending exit and the terminated state; the GHCB MSR returns to the SEV_INFO response (vCPU RESET). */
void hv_vcpu_reset(struct hv_vcpu *vcpu);
/* The VMGEXIT entry point: 1 resume the guest, 0 exit to the VMM (run filled), -EINVAL for a NULL vCPU. */
int hv_vcpu_vmgexit(struct hv_vcpu *vcpu);

#endif

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
 *   AP_RESET_HOLD (32) MSR request 0x006 or NAE 0x80000004.  While held the GHCB MSR reads 0x007 (result 0).
 *                     Calling hv_vcpu_vmgexit() again means the AP was woken by a SIPI: MSR form answers 0x1007,
 *                     NAE form SW_EXITINFO2 = 1 (spec §12).  KVM ignores a vCPU's first SIPI (it starts the AP
 *                     from the VMM's initial state); the VMM completes the hold only on a later SIPI, and
 *                     hv_vcpu_reset drops a hold that an INIT ends instead.
 *   INTERNAL_ERROR (17) NAE UNSUPPORTED_EVENT 0x8000FFFF: suberror HV_INTERNAL_ERROR_UNSUPPORTED_EVENT, ndata 3,
 *                     data[] = {SW_EXITCODE, SW_EXITINFO1, SW_EXITINFO2}.  KVM fails KVM_RUN with -EINVAL here;
 *                     we give the VMM a defined exit (docs/architecture.md rule 2).  Calling again resumes the guest
 * with SW_EXITINFO1 = 0. MEMORY_FAULT (39) memory_fault.{flags,gpa,size}: a host access the engine needs failed: a GPA
 * no slot backs (flags 0), or a page the host-access hook calls private (flags = SNPEMU_MEMORY_EXIT_FLAG_PRIVATE).  KVM
 * resumes silently (unmappable GHCB) or fails KVM_RUN
 *                     (-EFAULT); we exit with the metadata (docs/architecture.md rule 3).  Calling again retries the
 * failed step. A failed host allocation is not this exit: hv_vcpu_vmgexit returns -ENOMEM (below). HYPERCALL (3) also
 * for SNP page-state changes (spec §8): MSR PSC and NAE PSC (0x80000010) exit with nr 12, args[0] = gpa, args[1] = 4
 * KiB pages, args[2] = ENCRYPTED (private) or DECRYPTED (shared) | PAGE_SZ_2M when the range comes from 2 MiB entries;
 * flags = 0 (KVM leaves it unwritten). Adjacent NAE entries with the same operation and page size coalesce into one
 * exit.  The VMM converts the range (its page-state map and the firmware RMP: hv_map_gpa_range_apply) and sets ret: 0 =
 * done, anything else fails the rest of the request (MSR: PSC_RESP_ERROR; NAE: VMGEXIT_PSC_ERROR_GENERIC).  Only when
 * bit 12 is enabled (hv_vm_enable_hypercall_exits). SNP_REQ_CERTS (42) EXT_GUEST_REQUEST carrying MSG_REPORT_REQ,
 * certificates enabled (hv_vm_enable_req_certs): snp_req_certs.{gpa = RAX, npages = RBX, ret = 0}.  The VMM writes the
 * certificate table into the guest's pages [gpa, gpa + npages*4096) and sets ret: 0 (in place: the request goes to the
 *                     firmware), ENOSPC (npages = the pages needed: the guest gets INVALID_LEN with RBX = npages),
 *                     EAGAIN (guest gets BUSY), EIO (guest gets GENERIC); any other ret gives INTERNAL_ERROR
 *                     (suberror HV_INTERNAL_ERROR_BAD_COMPLETION, data[0] = exit reason, data[1] = ret), after
 *                     which calling again re-delivers the SNP_REQ_CERTS exit (KVM fails KVM_RUN with -EINVAL).
 *
 * SNP events (spec §7, §8, §10, §12).
 *   GHCB registration: an SNP vCPU must register its GHCB with the MSR REG_GPA request; a NAE through any other GPA
 *     is answered SW_EXITINFO1 = 2, SW_EXITINFO2 = GHCB_ERR_NOT_REGISTERED in that page (KVM fails KVM_RUN with
 *     -EINVAL and the guest hears nothing; docs/architecture.md rule 1).  The page must be shared (else MEMORY_FAULT
 * PRIVATE). PSC: see HYPERCALL above.  Header/entry errors are answered in SW_EXITINFO2 (SW_EXITINFO1 = 0): INVALID_HDR
 * (end_entry >= 253), INVALID_ENTRY (cur_page > page count, gfn not aligned to the page size), GENERIC (hypercall exits
 * disabled, VMM ret != 0).  PSMASH/UNSMASH and unknown operations complete without an exit (KVM).  The descriptor is
 * read once through the scratch rules, sized by its header, updated (cur_entry, cur_page) and written back.
 *   AP_CREATION: see hv_vm_set_ap_handler.  Failures are INVALID_INPUT.
 *   GUEST_REQUEST / EXT_GUEST_REQUEST: see hv_vm_set_firmware and hv_vm_set_guest_req_limit.
 *
 * Page-state contract (docs/architecture.md rule 5).  The engine never changes page ownership.  On HYPERCALL nr 12 (PSC
 * or KVM_HC_MAP_GPA_RANGE) the VMM updates its page-state map and the firmware RMP (fw_rmp_set_private), then sets ret;
 * the host-access hook reports that same map back to the engine.  A VMM whose map is the firmware RMP uses
 * hv_map_gpa_range_apply for the first and hv_fw_rmp_host_access as the hook.  PVALIDATE is a guest primitive served by
 * the firmware model (fw_rmp_pvalidate) that backends route; the engine takes no part in it.
 *
 * Where the engine departs from KVM (each also commented at the code):
 *   - host faults (GHCB or scratch GPA without a slot, private page) exit MEMORY_FAULT (hv_vcpu_vmgexit returns
 *     0, not -EFAULT) instead of a silent resume or a failed KVM_RUN; a failed host allocation returns -ENOMEM
 *     as KVM_RUN does, but the VMGEXIT stays pending and is retried by the next call;
 *   - UNSUPPORTED_EVENT is the INTERNAL_ERROR exit above instead of KVM_RUN failing with -EINVAL;
 *   - string IOIO with a count above INT_MAX, and IOIO with an operand size other than 1, 2 or 4, are answered
 *     GHCB_ERR_INVALID_INPUT (KVM: -EINVAL, or passes the raw size on); a string count of 0 completes without
 *     an exit;
 *   - only produced registers are written back and marked valid (KVM writes RAX..RDX back on every NAE);
 *   - a scratch area inside the GHCB is copied like one outside it, so handlers never read guest memory twice;
 *   - KVM_HC_MAP_GPA_RANGE is refused (-KVM_ENOSYS) unless the guest's CPUID advertises
 *     KVM_FEATURE_HC_MAP_GPA_RANGE (bit 16 of EAX of the KVM features leaf) (docs/architecture.md rule 5).  The KVM
 * leaves are found as KVM and Linux find them (kvm_get_hypervisor_cpuid, cpuid_base_hypervisor): the first base in
 *     0x40000000..0x4000FF00, step 0x100, whose EBX:ECX:EDX read "KVMKVMKVM\0\0\0"; the features leaf is
 *     base + 1 (0x40000101 behind Hyper-V's leaves).  No KVM signature, no feature.  HV_VM_FLAG_MAP_GPA_RANGE_UNGATED
 *     turns the gate off, as mainline KVM;
 *   - RDTSC/RDTSCP read a 1 GHz TSC counting from VM creation; RDPMC injects #GP (no virtual PMU); MSR_AMD64_SEV
 *     reads are answered from the VM type.
 *
 * Threads.  Each vCPU is driven by one thread at a time; vCPUs of one VM run concurrently.  VM configuration
 * calls may run concurrently with vCPUs (they serialize against in-flight VMGEXITs), but not from inside the
 * host-access hook, which runs during a VMGEXIT.
 */
#ifndef SNPEMU_HV_H
#define SNPEMU_HV_H

#include <stddef.h>
#include <stdint.h>

#include "abi/run.h"

struct fw_guest;
struct fw_rmp;

struct hv_vm;
struct hv_vcpu;

/* VM types, numbered as KVM_X86_SEV_ES_VM and KVM_X86_SNP_VM (spec §14). */
#define HV_VM_TYPE_SEV_ES 3u
#define HV_VM_TYPE_SNP	  4u

#define HV_SCRATCH_LIMIT_DEFAULT (64u * 1024u) /* GHCB_SCRATCH_AREA_LIMIT, spec §5 */
#define HV_SCRATCH_LIMIT_MAX	 (16u * 1024u * 1024u)

/* INTERNAL_ERROR suberror of the UNSUPPORTED_EVENT exit (KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON). */
#define HV_INTERNAL_ERROR_UNSUPPORTED_EVENT 4u
/* INTERNAL_ERROR suberror: the VMM completed an exit with a value the engine does not define (SNP_REQ_CERTS ret). */
#define HV_INTERNAL_ERROR_BAD_COMPLETION    0x100u

/* hv_vm_config.flags */
#define HV_VM_FLAG_NO_EXIT_TIMING	 (1u << 0) /* statistics count events but do not time them (saves two TSC reads) */
/* KVM_HC_MAP_GPA_RANGE without the PV CPUID gate, as mainline KVM (which checks only that the VMM enabled the exit):
 * the hypercall exits whether or not the guest's CPUID advertises KVM_FEATURE_HC_MAP_GPA_RANGE.  Without the flag
 * (the default) the gate is on, as docs/architecture.md rule 5 documents. */
#define HV_VM_FLAG_MAP_GPA_RANGE_UNGATED (1u << 1)

struct hv_vm_config {
	uint32_t type;		/* HV_VM_TYPE_SEV_ES or HV_VM_TYPE_SNP */
	uint16_t ghcb_version;	/* maximum GHCB protocol version: 1 or 2; 0 = 2 (KVM_SEV_INIT2, spec §2.4) */
	uint8_t cbit;		/* C-bit position reported by SEV_INFO (0..63) */
	uint8_t flags;		/* HV_VM_FLAG_* */
	uint64_t sev_features;	/* VMSA SEV_FEATURES (checked by AP creation) */
	uint64_t scratch_limit; /* largest scratch area outside the GHCB; 0 = 64 KiB; at most HV_SCRATCH_LIMIT_MAX */
	/* Fault injection: the engine's alloc_fail_nth-th host allocation during VMGEXITs (1 = the first; counted
	 * over the VM's vCPUs: scratch buffers, guest-request bounce pages) fails as if the host were out of memory,
	 * once.  0 = never.  For tests of the -ENOMEM path of hv_vcpu_vmgexit. */
	uint32_t alloc_fail_nth;
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

/* Enable HYPERCALL exits (KVM_CAP_EXIT_HYPERCALL): `mask` must be a subset of what
 * hv_check_extension(HV_CAP_EXIT_HYPERCALL) returns (1 << 12, KVM_HC_MAP_GPA_RANGE), else -EINVAL.  0 disables. */
#define HV_HYPERCALL_EXIT_VALID_MASK (1ull << SNPEMU_HC_MAP_GPA_RANGE)
int hv_vm_enable_hypercall_exits(struct hv_vm *vm, uint64_t mask);

/* Capabilities at run time, as KVM_CHECK_EXTENSION: a VMM asks what this engine supports before enabling it (a
 * library built later may support more).  Numbered as KVM's KVM_CAP_* (include/uapi/linux/kvm.h).
 *   HV_CAP_EXIT_HYPERCALL: the mask of hypercalls that can exit to the VMM (KVM_EXIT_HYPERCALL_VALID_MASK).
 * Returns 0 for a capability the engine does not have. */
#define HV_CAP_EXIT_HYPERCALL 201u /* KVM_CAP_EXIT_HYPERCALL */
uint64_t hv_check_extension(uint32_t cap);

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
/* 1 if an exit (or an -ENOMEM retry) awaits completion by hv_vcpu_vmgexit(). */
int hv_vcpu_exit_pending(const struct hv_vcpu *vcpu);
/* Drop any pending exit and the terminated state; the GHCB MSR returns to the SEV_INFO response (vCPU RESET). */
void hv_vcpu_reset(struct hv_vcpu *vcpu);
/* The VMGEXIT entry point: 1 resume the guest, 0 exit to the VMM (run filled), -EINVAL for a NULL vCPU, or -ENOMEM:
 * the engine could not allocate host memory it needs for this VMGEXIT (a scratch buffer, guest-request bounce
 * pages).  -ENOMEM is the host's failure, not the guest's (KVM fails KVM_RUN with -ENOMEM there): no exit is
 * produced, nothing is answered to the guest, and the VMGEXIT stays pending (hv_vcpu_exit_pending() = 1); calling
 * hv_vcpu_vmgexit() again retries the allocation and goes on.  It is distinct from a MEMORY_FAULT exit, which is
 * about a GPA (no slot backs it, or it is private). */
int hv_vcpu_vmgexit(struct hv_vcpu *vcpu);
/* The event of the vCPU's current or last VMGEXIT as the engine read it: the SW_EXITCODE of its GHCB snapshot (NAE),
 * HV_EVENT_MSR_PROTOCOL | GHCBInfo (MSR protocol), or HV_EVENT_NONE (no GHCB to read: GHCB MSR 0, or the page
 * could not be mapped).  For tracing: the VMM never re-reads it from guest memory. */
#define HV_EVENT_MSR_PROTOCOL (1ull << 63)
#define HV_EVENT_NONE	      (~0ull)
uint64_t hv_vcpu_last_event(const struct hv_vcpu *vcpu);

/* ---- SNP (spec §7, §8, §10, §12) ------------------------------------------------------------------------------ */

/* Host-access hook for a VMM whose page-state map is the firmware RMP: pass the struct fw_rmp * as ctx.  0 when
 * every page of [gpa, gpa+len) is shared, -EACCES otherwise. */
int hv_fw_rmp_host_access(void *rmp, uint64_t gpa, uint64_t len);
/* Apply a HYPERCALL nr 12 exit (PSC or KVM_HC_MAP_GPA_RANGE) to the firmware RMP: args[2] bit 4 (ENCRYPTED) makes
 * [args[0], args[0] + args[1]*4096) private (unvalidated), else shared.  Returns 0 or the fw_rmp_set_private error
 * (-EINVAL out of range, -EBUSY a VMSA/firmware page, -ENOMEM); -EINVAL for any other exit.  The VMM stores its
 * choice in run->hypercall.ret (e.g. 0 or 1). */
int hv_map_gpa_range_apply(struct fw_rmp *rmp, const struct snpemu_run *run);

/* The firmware guest context that serves this VM's guest requests (SNP VMs only: -EINVAL otherwise; NULL
 * detaches).  Not owned by the engine: it must outlive the VM or be detached first.  Without one, guest requests
 * that pass the input checks and the rate limit are answered SW_EXITINFO1 = 0, SW_EXITINFO2 =
 * SNP_GUEST_ERR(GENERIC, 0) (no certificate exit).
 *
 * Guest-request order (spec §10): table checks (page-aligned, distinct GPAs: MISSING_INPUT); request page copied
 * and response page probed (shared and backed, else MEMORY_FAULT, PRIVATE where it applies; retried on the next
 * call); for EXT_GUEST_REQUEST carrying MSG_REPORT_REQ (type byte at 0x34 of the copy): RAX and RBX valid, RAX
 * page-aligned (else INVALID_INPUT); rate limit (BUSY); firmware attached (else GENERIC); certificates (exit or
 * KVM's empty table); one request at the firmware per VM (the VM's mutex) on bounce copies; the response page
 * written back; SW_EXITINFO1 = 0, SW_EXITINFO2 = SNP_GUEST_ERR(0, firmware status). */
int hv_vm_set_firmware(struct hv_vm *vm, struct fw_guest *fw);

/* Guest-request rate limit (docs/architecture.md rule 6): a per-VM token bucket holding up to `burst` requests,
 * refilled at `rate` per second, checked before the firmware sees a message (and before a certificate exit).  A refused
 * request gets SW_EXITINFO1 = 0, SW_EXITINFO2 = SNP_GUEST_ERR(BUSY, 0) and reaches neither the VMM nor the
 * firmware, so the guest's identical resend keeps its sequence number in step.  rate 0 = unlimited (the default,
 * as KVM has no limiter: the policy is the VMM's).  The bucket starts full.  -EINVAL: rate > 0 with burst 0, or
 * rate or burst above HV_GUEST_REQ_LIMIT_MAX. */
#define HV_GUEST_REQ_LIMIT_MAX 1000000u
int hv_vm_set_guest_req_limit(struct hv_vm *vm, uint32_t rate, uint32_t burst);
/* The same with the rate in milli-requests per second (500: one request every 2 s), for fractional rates;
 * -EINVAL above 1000 * HV_GUEST_REQ_LIMIT_MAX. */
int hv_vm_set_guest_req_limit_milli(struct hv_vm *vm, uint64_t millirate, uint32_t burst);
/* Guest requests the limit answered BUSY since the VM was created (each resend that was refused counts). */
uint64_t hv_vm_guest_req_refused(struct hv_vm *vm);
/* Monotonic clock in nanoseconds used by the rate limit (tests inject a controlled one).  NULL restores
 * CLOCK_MONOTONIC.  Called with the limiter's lock held, once per rate-limited request.  Resets the bucket to
 * full. */
typedef uint64_t (*hv_clock_fn)(void *ctx);
int hv_vm_set_clock(struct hv_vm *vm, hv_clock_fn fn, void *ctx);
/* Certificates for extended report requests (KVM_SEV_SNP_ENABLE_REQ_CERTS, spec §10): enabled, such a request
 * exits SNP_REQ_CERTS; disabled (the default, KVM <= 6.19), the engine writes an empty certificate table (24 zero
 * bytes) at RAX when RBX != 0 and goes on with the request. */
int hv_vm_enable_req_certs(struct hv_vm *vm, int enable);

/* AP creation (NAE 0x80000013, spec §12).  After the engine's checks (request CREATE_ON_INIT 0 / CREATE 1 /
 * DESTROY 2; for the create requests RAX == the VM's sev_features, VMSA GPA (SW_EXITINFO2) page-aligned, not
 * 2 MiB-aligned (the SNP erratum), backed by a memory slot and guest-owned: the host-access hook must call it
 * private), the target vCPU (id = APIC ID, SW_EXITINFO1[63:32]) is updated if it exists: its VMSA GPA is set
 * (create) or cleared (destroy) and an AP update is left pending on it (hv_vcpu_ap_take_update).  Then the
 * handler, if installed, is called synchronously on the creating vCPU's thread; it may create the target vCPU
 * on demand.  Any failure is INVALID_INPUT to the guest: a failed check, a target that does not exist when no
 * handler is installed, or a handler returning non-zero. */
struct hv_ap_request {
	uint32_t apic_id;
	uint32_t request;	/* SVM_VMGEXIT_AP_CREATE_ON_INIT, _CREATE or _DESTROY */
	uint64_t vmsa_gpa;	/* create requests; 0 for DESTROY */
	struct hv_vcpu *target; /* the existing target vCPU, or NULL */
};
/* Return 0 to accept, non-zero to reject.  Called with the VM's configuration read-locked: it must not call the
 * hv_vm_set_* / memslot functions of this VM (hv_vcpu_create is fine). */
typedef int (*hv_ap_fn)(void *ctx, const struct hv_ap_request *req);
int hv_vm_set_ap_handler(struct hv_vm *vm, hv_ap_fn fn, void *ctx);

/* Pending AP update of a vCPU (KVM's snp_ap_waiting_for_reset + KVM_REQ_UPDATE_PROTECTED_GUEST_STATE): the VMM
 * polls it for halted APs.  CREATE: start the vCPU from the VMSA now; CREATE_ON_INIT: at the next INIT; DESTROY:
 * stop it (no VMSA).  Returns 1 and clears the pending update, or 0 if none is pending. */
struct hv_ap_update {
	uint32_t request;
	uint32_t creator_id; /* the vCPU that sent the request */
	uint64_t vmsa_gpa;   /* 0 after DESTROY */
};
int hv_vcpu_ap_take_update(struct hv_vcpu *vcpu, struct hv_ap_update *out);
/* The vCPU's current VMSA GPA from AP creation: 1 and *gpa if set, 0 if none (never created, or destroyed).
 * Kept across hv_vcpu_reset, as KVM keeps snp_vmsa_gpa across INIT. */
int hv_vcpu_snp_vmsa(struct hv_vcpu *vcpu, uint64_t *gpa);

/* ---- Live migration: the engine's state (docs/migration.md, sections ENGINE and VCPU) ------------------------ */

/* The engine's guest-observable state as a versioned byte string, for the VMM's migration stream.  One field walk
 * (src/hv/migrate.c) encodes and decodes it, all integers little-endian.
 *   VM:   version, VM type, SEV features, enabled hypercall exits, certificate exits on/off, the rate limit
 *         (milli-rate, burst, bucket level, nanoseconds since its last refill), the AP jump table, the guest TSC
 *         (ns since VM creation, so RDTSC goes on from where it was), and the per-event statistics counts.
 *   vCPU: version, APIC ID, GHCB MSR, flags (GHCB registered, VMSA valid, AP update pending, terminated, held in
 *         AP reset hold), the registered GHCB GPA, the AP-creation VMSA GPA, the pending AP update, XCR0, XSS.
 * Export only while the vCPUs are held at a pause point (no exit in flight): a vCPU with an exit awaiting
 * completion other than AP reset hold gives -EBUSY.  A held AP is imported as held: its GHCB MSR and the pending
 * AP_RESET_HOLD exit come back, but not the wake-up continuation (no VMM of this project wakes a held AP).
 * Import checks everything before it changes anything: -EPROTO for another version, a wrong length, a VM type or
 * SEV features that differ from this VM's, a statistics table of another size, out-of-range values; -EINVAL for
 * an id that is not this vCPU's.  Return 0 or -errno; export: -ENOSPC when cap is too small. */
#define HV_STATE_VERSION   1u
#define HV_VM_STATE_MAX	   1024u
#define HV_VCPU_STATE_SIZE 72u
int hv_vm_state_export(struct hv_vm *vm, uint8_t *buf, size_t cap, size_t *len);
int hv_vm_state_import(struct hv_vm *vm, const uint8_t *buf, size_t len);
int hv_vcpu_state_export(struct hv_vcpu *vcpu, uint8_t *buf, size_t cap, size_t *len);
int hv_vcpu_state_import(struct hv_vcpu *vcpu, const uint8_t *buf, size_t len);

#endif

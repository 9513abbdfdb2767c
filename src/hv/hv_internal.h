/* SPDX-License-Identifier: MIT */
/*
 * Engine internals shared by the src/hv sources.  Not part of the contract (include/snpemu/hv.h).
 *
 * Control flow of one VMGEXIT (hv_vcpu_vmgexit, vcpu.c):
 *   pending completion?  -> call vcpu->complete (set by the step that exited)
 *   GHCB MSR info != 0   -> MSR protocol table (msr_protocol.c)
 *   otherwise            -> NAE: map GHCB, snapshot once, clear valid bitmap, validate against the NAE table
 *                           (nae_table.c), dispatch the row's handler, which answers through hv_nae_finish().
 *
 * Handler convention: return 1 (resume; the response is committed) or 0 (exit; run filled, vcpu->complete set).
 * A step that needs the VMM again (an exit) stores its continuation in vcpu->complete; this is the pending-
 * completion mechanism PSC (psc.c) and certificate exits (guest_req.c) reuse: set per-event state in
 * vcpu->ev, fill the run, set vcpu->complete, return 0.
 *
 * SNP handlers: psc.c (PSC NAE and MSR), ap.c (AP creation), guest_req.c (guest requests, certificates),
 * rate_limit.c (the per-VM token bucket); GHCB registration is enforced in nae_table.c (hv_nae_begin).
 */
#ifndef SNPEMU_HV_INTERNAL_H
#define SNPEMU_HV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/run.h>
#include <snpemu/hv.h>

#define HV_PAGE_SIZE 4096ull
#define HV_PAGE_MASK (~(HV_PAGE_SIZE - 1))

/* Result of a step that may go on: HV_CONTINUE, or the handler result (0 exit / 1 resume) to return as is. */
#define HV_CONTINUE 2

/* GHCB fields the engine reads, as bits of a field mask (the table's "required fields"). */
enum hv_field {
	HV_F_CPL,
	HV_F_XSS,
	HV_F_RAX,
	HV_F_RBX,
	HV_F_RCX,
	HV_F_RDX,
	HV_F_RSI,
	HV_F_EXIT_CODE,
	HV_F_INFO1,
	HV_F_INFO2,
	HV_F_SCRATCH,
	HV_F_XCR0,
	HV_F_COUNT
};
#define HV_FB(f) (1u << (f))

/* GHCB offset of each field (abi/ghcb.h). */
extern const uint16_t hv_field_offset[HV_F_COUNT];

/* The one copy of the guest's GHCB the handlers read (spec §2.3: KVM sev_es_sync_from_ghcb).  Registers whose
 * valid bit is clear read as 0, as in KVM. */
struct hv_snapshot {
	uint64_t ghcb_gpa;
	uint32_t valid; /* HV_FB() mask of the fields whose valid bit was set */
	uint32_t usage;
	uint8_t cpl;
	uint64_t xss, rax, rbx, rcx, rdx, rsi, xcr0;
	uint64_t exit_code, info1, info2, scratch;
};

/* Response fields the engine produces; only these get written and marked valid. */
struct hv_resp {
	uint32_t fields; /* HV_FB() of INFO1, INFO2, RAX, RBX, RCX, RDX */
	uint64_t info1, info2, rax, rbx, rcx, rdx;
};

/* Scratch area of the current event (spec §5).  The guest bytes are copied once into `buf` (also when the area
 * is in the GHCB shared buffer: handlers never re-read guest memory) and written back by hv_nae_finish when sync. */
struct hv_scratch {
	uint8_t *buf;
	uint64_t cap;
	uint64_t gpa;
	uint64_t len;
	bool active;
	bool sync;
};

struct hv_io_state {
	uint16_t port;
	uint8_t size;
	bool in;
	bool string;
	uint64_t count; /* elements in total */
	uint64_t done;	/* elements transferred */
	uint32_t chunk; /* elements of the exit in flight */
};

struct hv_mmio_state {
	uint64_t gpa, len, done;
	uint32_t chunk;
	bool write;
};

struct hv_msr_state {
	uint32_t index;
	bool write;
};

/* PSC NAE in flight (KVM psc_idx / psc_inflight / psc_2m); the descriptor is the scratch copy. */
struct hv_psc_state {
	uint16_t idx;	      /* first entry of the exit in flight */
	uint16_t inflight;    /* entries covered by it */
	uint16_t max_entries; /* entries the scratch copy holds */
};

/* Guest request in flight (certificate exit pending, or memory-fault retry). */
struct hv_guest_req_state {
	bool ext;	 /* EXT_GUEST_REQUEST */
	bool report;	 /* MSG_REPORT_REQ with certificate pages */
	bool admitted;	 /* passed the rate limit */
	bool have_resp;	 /* the firmware answered: only the write-back is left */
	uint32_t status; /* firmware status of have_resp */
};

/* Per-event state of the exit in flight; SNP event state (PSC cursor, guest-request pages) joins this union. */
union hv_event_state {
	struct hv_io_state io;
	struct hv_mmio_state mmio;
	struct hv_msr_state msr;
	struct hv_psc_state psc;
	struct hv_guest_req_state gr;
	struct {
		uint64_t info[4];
		uint32_t ndata;
		uint32_t reason;
	} term;
};

struct hv_stat_counter {
	_Atomic uint64_t count;
	_Atomic uint64_t ticks; /* hv_stat_ticks() units */
};

struct hv_memslot {
	bool used;
	uint32_t id;
	uint64_t gpa, size;
	uint8_t *host;
};

struct hv_vcpu;
typedef int (*hv_step_fn)(struct hv_vcpu *v);

struct hv_nae_row {
	uint64_t code;
	const char *name;
	uint32_t required; /* fields that must be valid besides EXIT_CODE/INFO1/INFO2 */
	uint32_t flags;	   /* HV_ROW_* */
	/* Extra fields required depending on the inputs (KVM's conditional checks), or NULL. */
	uint32_t (*cond_required)(const struct hv_snapshot *s);
	/* Extra input check whose failure is MISSING_INPUT, or NULL. */
	bool (*cond_ok)(const struct hv_snapshot *s);
	hv_step_fn handler;
};
#define HV_ROW_SNP_ONLY (1u << 0)

struct hv_msr_proto_row {
	uint32_t info;
	const char *name;
	uint32_t flags; /* HV_ROW_SNP_ONLY: a SEV-ES VM gets the termination exit (spec §7) */
	int (*handler)(struct hv_vcpu *v, uint64_t msr);
};

extern const struct hv_nae_row hv_nae_rows[];
extern const unsigned int hv_nae_row_count;

/* Exit code -> row, derived from hv_nae_rows when a VM is created (nae_table.c): row id + 1 per code of the three
 * dense code ranges (0 = not accepted). */
#define HV_NAE_INDEX_ARCH    0x90u /* SVM_EXIT_* 0x00..0x8F */
#define HV_NAE_INDEX_VMGEXIT 0x20u /* 0x80000000..0x8000001F */
#define HV_NAE_INDEX_HIGH    0x10u /* 0x8000FFF0..0x8000FFFF */
struct hv_nae_index {
	uint8_t row[HV_NAE_INDEX_ARCH + HV_NAE_INDEX_VMGEXIT + HV_NAE_INDEX_HIGH];
};
void hv_nae_index_build(struct hv_nae_index *ix);
extern const struct hv_msr_proto_row hv_msr_proto_rows[];
extern const unsigned int hv_msr_proto_row_count;

/* Stats slots: NAE rows, then MSR-protocol rows, then "other". */
#define HV_STAT_SLOTS_MAX 48u

struct hv_vm {
	struct hv_vm_config cfg;
	/* Configuration read by every VMGEXIT; writers (VMM configuration calls) take it exclusively. */
	pthread_rwlock_t cfg_lock;
	struct hv_memslot slots[HV_MAX_MEMSLOTS];
	hv_host_access_fn host_access;
	void *host_access_ctx;
	struct hv_cpuid_entry *cpuid;
	size_t cpuid_n;
	bool cpuid_variants; /* the table has HV_CPUID_FLAG_XSTATE_VARIANT entries */
	struct hv_msr_rule msr_rules[HV_MAX_MSR_RULES];
	size_t msr_rules_n;
	uint32_t msr_default;
	uint64_t hypercall_exits;
	uint32_t kvm_cpuid_base; /* base of the KVM CPUID leaves in the table (0: none), found by hv_vm_set_cpuid */
	_Atomic uint32_t host_allocs;	/* host allocations made during VMGEXITs (alloc_fail_nth) */
	struct hv_nae_index nae_index;	/* built from hv_nae_rows at creation; read-only after */
	_Atomic uint64_t ap_jump_table; /* per VM, spec §12 */
	uint64_t tsc_epoch_ns;
	uint64_t tsc_carry_ns; /* guest TSC brought in by live migration (migrate.c), added to the clock's */
	uint64_t ticks_epoch;  /* hv_stat_ticks() at creation, to convert ticks to ns */
	/* SNP (psc.c, ap.c, guest_req.c, rate_limit.c). */
	struct fw_guest *fw;
	hv_ap_fn ap_handler;
	void *ap_ctx;
	bool req_certs;
	pthread_mutex_t guest_req_lock; /* one guest request at the firmware per VM (KVM guest_req_mutex) */
	struct hv_rate_limit {
		pthread_mutex_t lock;
		uint64_t millirate; /* requests per 1000 s (0: unlimited) */
		uint32_t burst;
		uint64_t level; /* tokens x 1e12: one ns at one milli-request/s adds exactly 1 */
		uint64_t last_ns;
		uint64_t refused; /* requests answered BUSY since the VM was created */
		hv_clock_fn clock;
		void *clock_ctx;
	} rl;
	/* vCPU list and retired statistics. */
	pthread_mutex_t vcpus_lock;
	struct hv_vcpu *vcpus;
	unsigned int nr_vcpus;
	uint64_t retired_count[HV_STAT_SLOTS_MAX];
	uint64_t retired_ticks[HV_STAT_SLOTS_MAX];
};

struct hv_vcpu {
	struct hv_vm *vm;
	struct hv_vcpu *next;
	uint32_t id;
	uint64_t ghcb_msr;
	struct snpemu_run *run;
	/* SNP: GHCB GPA registered with the MSR REG_GPA request (spec §7), enforced on every NAE. */
	bool ghcb_registered;
	uint64_t registered_ghcb_gpa;
	/* SNP AP creation state of this vCPU as a target (ap.c), under ap_lock. */
	pthread_mutex_t ap_lock;
	bool vmsa_valid;
	uint64_t vmsa_gpa;
	bool ap_pending;
	struct hv_ap_update ap_update;
	/* Guest-request bounce pages (guest_req.c): the firmware never sees guest memory. */
	uint8_t *gr_req, *gr_resp;
	/* Extended state the CPUID handler uses (updated from the GHCB's XCR0/XSS when valid). */
	uint64_t xcr0, xss;
	/* Current event: MSR protocol (event) or NAE (the snapshot's exit code), for hv_vcpu_last_event(). */
	uint64_t event;
	bool event_is_nae;
	/* Current NAE event. */
	struct hv_snapshot snap;
	uint8_t *ghcb_page; /* host mapping of the GHCB, valid only within one hv_vcpu_vmgexit call */
	const struct hv_nae_row *row;
	struct hv_resp resp;
	struct hv_scratch scratch;
	union hv_event_state ev;
	/* Pending completion (the step to run on the next hv_vcpu_vmgexit), or NULL. */
	hv_step_fn complete;
	bool terminated;
	/* Last failed host access, for the MEMORY_FAULT exit. */
	struct {
		uint64_t flags, gpa, size;
	} fault;
	unsigned int stat_slot;
	struct hv_stat_counter stats[HV_STAT_SLOTS_MAX];
};

/* memory.c: the one checked accessor.  Each returns 0, or -EFAULT with vcpu->fault describing the failure. */
uint8_t *hv_mem_map(struct hv_vcpu *v, uint64_t gpa, uint64_t len);
int hv_mem_read(struct hv_vcpu *v, uint64_t gpa, void *dst, uint64_t len);
int hv_mem_write(struct hv_vcpu *v, uint64_t gpa, const void *src, uint64_t len);
void hv_fault_set(struct hv_vcpu *v, uint64_t flags, uint64_t gpa, uint64_t size);
/* Exit MEMORY_FAULT with vcpu->fault; `retry` runs on the next hv_vcpu_vmgexit.  Returns 0. */
int hv_exit_memory_fault(struct hv_vcpu *v, hv_step_fn retry);
/* realloc() for buffers the engine grows during a VMGEXIT, with the VM's fault injection (alloc_fail_nth). */
void *hv_host_realloc(struct hv_vcpu *v, void *ptr, size_t size);
/* A host allocation failed: hv_vcpu_vmgexit returns -ENOMEM and its next call runs `retry` (hv.h). */
int hv_exit_enomem(struct hv_vcpu *v, hv_step_fn retry);

/* nae_table.c */
const struct hv_nae_row *hv_nae_lookup(const struct hv_nae_index *ix, uint64_t code);
int hv_nae_begin(struct hv_vcpu *v);
/* Commit: write back a sync scratch area, write the response fields into the GHCB; 1, or 0 on a memory fault. */
int hv_nae_finish(struct hv_vcpu *v);
/* Answer SW_EXITINFO1 = 2 (malformed input), SW_EXITINFO2 = reason, and commit. */
int hv_nae_error(struct hv_vcpu *v, uint64_t reason);
/* Answer "issue exception" with SW_EXITINFO2 = the event-injection value, and commit. */
int hv_nae_exception(struct hv_vcpu *v, uint64_t evtinj);

/* scratch.c: set up the scratch area for `len` bytes; HV_CONTINUE, or the result to return (error answered or
 * memory fault exit). */
int hv_scratch_setup(struct hv_vcpu *v, uint64_t len, bool sync);
void hv_scratch_release(struct hv_vcpu *v);

/* Handlers (nae_handlers_*.c, ioio.c, mmio.c, msr.c, hypercall.c, cpuid.c). */
int hv_nae_cpuid(struct hv_vcpu *v);
int hv_nae_ioio(struct hv_vcpu *v);
int hv_nae_mmio(struct hv_vcpu *v);
int hv_nae_msr(struct hv_vcpu *v);
int hv_nae_vmmcall(struct hv_vcpu *v);
int hv_nae_dr7_read(struct hv_vcpu *v);
int hv_nae_dr7_write(struct hv_vcpu *v);
int hv_nae_rdtsc(struct hv_vcpu *v);
int hv_nae_rdtscp(struct hv_vcpu *v);
int hv_nae_rdpmc(struct hv_vcpu *v);
int hv_nae_no_action(struct hv_vcpu *v);
int hv_nae_ap_hlt_loop(struct hv_vcpu *v);
int hv_nae_ap_jump_table(struct hv_vcpu *v);
int hv_nae_hv_features(struct hv_vcpu *v);
int hv_nae_term_request(struct hv_vcpu *v);
int hv_nae_unsupported_event(struct hv_vcpu *v);
int hv_nae_psc(struct hv_vcpu *v);
int hv_nae_ap_creation(struct hv_vcpu *v);
int hv_nae_guest_request(struct hv_vcpu *v);

/* hypercall.c: fill v->run with the HYPERCALL exit of KVM_HC_MAP_GPA_RANGE {gpa, npages, attrs} (ret 0, the other
 * args 0, `flags` as given), which the VMMCALL hypercall and both PSC forms make. */
void hv_exit_map_gpa_range(struct hv_vcpu *v, uint64_t gpa, uint64_t npages, uint64_t attrs, uint64_t flags);

/* psc.c: the MSR-protocol PSC request. */
int hv_msr_psc(struct hv_vcpu *v, uint64_t msr);

/* rate_limit.c: take one token; true if admitted.  Thread-safe. */
bool hv_rate_limit_admit(struct hv_vm *vm);
int hv_rate_limit_init(struct hv_rate_limit *rl);
void hv_rate_limit_fini(struct hv_rate_limit *rl);

/* cpuid.c: the CPUID result for (function, index) with the vCPU's XCR0/XSS.  Caller holds cfg_lock. */
void hv_cpuid_lookup(const struct hv_vcpu *v, uint32_t function, uint32_t index, uint32_t out[4]);
bool hv_cpuid_has_pv_feature(const struct hv_vcpu *v, unsigned int bit);
/* The base of the KVM leaves in a CPUID table (the signature search of hv.h), or 0. */
uint32_t hv_cpuid_kvm_base(const struct hv_cpuid_entry *entries, size_t n);
bool hv_xcr0_acceptable(const struct hv_vcpu *v, uint64_t xcr0);

/* msr_protocol.c */
int hv_msr_protocol(struct hv_vcpu *v, uint64_t msr);
unsigned int hv_msr_proto_slot(uint32_t info);
/* Termination exit (SYSTEM_EVENT/SEV_TERM) with ndata values; the vCPU stays terminated. */
int hv_exit_sev_term(struct hv_vcpu *v, const uint64_t *data, uint32_t ndata);

/* stats.c */
uint64_t hv_now_ns(void);
uint64_t hv_stat_ticks(void);
unsigned int hv_stat_slot_other(void);

static inline bool hv_vm_is_snp(const struct hv_vm *vm)
{
	return vm->cfg.type == HV_VM_TYPE_SNP;
}

/* Produce a response field (only SW_EXITINFO1/2 and RAX..RDX are response fields). */
static inline void hv_resp_set(struct hv_vcpu *v, enum hv_field f, uint64_t value)
{
	struct hv_resp *r = &v->resp;
	switch (f) {
	case HV_F_INFO1:
		r->info1 = value;
		break;
	case HV_F_INFO2:
		r->info2 = value;
		break;
	case HV_F_RAX:
		r->rax = value;
		break;
	case HV_F_RBX:
		r->rbx = value;
		break;
	case HV_F_RCX:
		r->rcx = value;
		break;
	case HV_F_RDX:
		r->rdx = value;
		break;
	default:
		return;
	}
	r->fields |= HV_FB(f);
}

#endif

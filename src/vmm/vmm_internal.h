/* SPDX-License-Identifier: MIT */
/* VMM internals shared by the VM set-up, the exit handler and the backends. */
#ifndef SNPEMU_VMM_INTERNAL_H
#define SNPEMU_VMM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/fw.h>
#include <snpemu/guest.h>
#include <snpemu/hv.h>
#include <snpemu/vmm.h>

#include "vmm/backend.h"

struct vmm_vm;
struct vmm_certs_provider;

/* One trace slice: a VMGEXIT from entry to resume. */
struct vmm_trace_event {
	uint64_t start_ns, dur_ns;
	uint64_t code; /* SW_EXITCODE, or GHCBInfo | 1<<63 for the MSR protocol */
};
#define VMM_TRACE_MAX_PER_VCPU 200000u

/* Why the VM stopped: the run's status and the reason behind it, recorded together. */
struct vmm_stop {
	int status;
	bool terminated;	      /* a guest termination request */
	uint32_t term_set, term_code; /* its reason */
	bool memory_fault;	      /* a MEMORY_FAULT exit */
};

struct vmm_vcpu {
	struct vmm_vm *vm;
	uint32_t id;
	struct hv_vcpu *hv;
	pthread_t thread;
	bool started;		/* its thread exists (set under vm->lock) */
	atomic_int ap_state;	/* enum vmm_ap_state */
	atomic_bool paused;	/* held at a pause point */
	void *backend_vcpu;	/* the backend's vCPU (start_vcpu sets it) */
	uint64_t ap_vmsa_gpa;	/* AP: the VMSA of its AP creation (0: none), which kvm and tcg start it from */
	atomic_bool at_vmgexit; /* held at the pause point of a VMGEXIT (backend.h: saved before the instruction) */
	const struct vmm_vcpu_state *resume; /* a migrated vCPU: start_vcpu loads this instead of the entry */
	struct vmm_trace_event *trace;
	uint32_t ntrace;
	uint64_t vmgexits;
};

struct vmm_vm {
	struct vmm_config cfg;
	struct vmm_result *res;
	const struct vmm_program *program;
	bool incoming;	       /* the guest arrives by live migration (migrate_dst.c): no program, no launch */
	FILE *out, *err, *msg; /* console, errors, VMM messages (vmm.h) */
	uint8_t *mem;	       /* guest RAM, [0, mem_size) */
	uint64_t mem_size;
	bool snp;
	struct fw_platform *fw_platform;
	struct fw_guest *fw_guest;
	struct hv_vm *hv;
	struct vmm_certs_provider *certs; /* --certs FILE */
	struct vmm_vcpu vcpus[SNPEMU_MAX_VCPUS];
	uint32_t nvcpus;
	pthread_mutex_t lock; /* console, status, vCPU start */
	pthread_cond_t cond;  /* signalled when the VM stops */
	atomic_bool stopping;
	atomic_bool pausing; /* pause_all holds the vCPUs at their pause points */
	const struct vmm_backend *backend;
	void *backend_vm;	      /* the backend's VM (create sets it) */
	void *dirty_log;	      /* the backend's dirty-log state while tracking (sim, tcg) */
	_Atomic(uint64_t) *vmm_dirty; /* the VMM's own dirty log (dirty_vmm.c): allocated by the first start, */
	atomic_bool vmm_dirty_on;     /* marked while on, freed with the VM */
	struct vmm_stop stop;	      /* why the VM stopped: the first vmm_vm_stop_for() wins (under lock) */
	bool stopped;
	uint64_t t0_ns;
	uint8_t console_line[SNPEMU_MAX_VCPUS][256];
	uint32_t console_len[SNPEMU_MAX_VCPUS];
	uint8_t exported[SNPEMU_EXPORT_MAX]; /* data the guest exported on SNPEMU_PORT_EXPORT */
	uint32_t exported_len;
	uint8_t mmio_reg[8]; /* the MMIO test device's register */
	atomic_ullong exits_to_vmm;
	atomic_ullong ghcb_msr_writes; /* guest WRMSRs of the GHCB MSR served (res->ghcb_msr_writes) */
	atomic_ullong hypercalls;
};

uint64_t vmm_now_ns(void);
/* The CLOCK_REALTIME time `ns` from now, for pthread_cond_timedwait on vm->cond. */
struct timespec vmm_deadline_in(uint64_t ns);
/* CPU time of the calling thread: what a piece of work cost, whoever else had the cores meanwhile. */
uint64_t vmm_thread_cpu_ns(void);

/* guest_mem.c: guest RAM and the one checked accessor. */
#define VMM_GUARD_SIZE (2ull << 20) /* PROT_NONE bytes before and after guest RAM */

/* Who accesses guest memory, which decides what vmm_guest_ptr() checks. */
enum vmm_access {
	VMM_ACCESS_GUEST = 0,	   /* the guest's own access (sim platform): bounds only */
	VMM_ACCESS_LAUNCH = 1,	   /* the VMM placing what the launch measures (before the guest runs): bounds */
	VMM_ACCESS_HOST_READ = 2,  /* the VMM reading guest memory: bounds, and shared pages only (SNP) */
	VMM_ACCESS_HOST_WRITE = 3, /* the VMM writing guest memory: the same */
};

/* Why vmm_guest_ptr() refused: the MEMORY_FAULT exit's fields (flags SNPEMU_MEMORY_EXIT_FLAG_PRIVATE for a
 * private page, 0 outside guest RAM or on overflow). */
struct vmm_mem_fault {
	uint64_t flags, gpa, size;
};

/* Maps vm->mem_size bytes of guest RAM at vm->mem between two VMM_GUARD_SIZE PROT_NONE regions. */
int vmm_mem_map(struct vmm_vm *vm);
void vmm_mem_unmap(struct vmm_vm *vm);
/* The host address of guest-physical [gpa, gpa + len), or NULL with *fault (if not NULL) filled: the range wraps
 * or leaves guest RAM, or (host accesses of an SNP guest) touches a page that is not shared.  The only place a
 * guest address becomes a pointer. */
void *vmm_guest_ptr(struct vmm_vm *vm, uint64_t gpa, uint64_t len, enum vmm_access access, struct vmm_mem_fault *fault);
/* vmm_config.mem_prealloc: touches every page of guest RAM (no vCPU may run).  Contents are unchanged. */
void vmm_mem_prealloc(struct vmm_vm *vm);
/* The reverse, for a pointer into guest RAM: false if p is not in it. */
bool vmm_guest_gpa(const struct vmm_vm *vm, const void *p, uint64_t *gpa);

/* vmm.c: vmm_run in steps, for callers that work on a running VM (tests, benchmarks, migration).
 * vmm_vm_prepare: configuration, backend choice, boot page, the backend's VM, the launch (vm zeroed by the caller);
 * then vmm_vcpus_run (or start / join); vmm_vm_release frees everything (also after a failed prepare). */
int vmm_vm_prepare(struct vmm_vm *vm, const struct vmm_config *cfg, struct vmm_result *res);
void vmm_vm_release(struct vmm_vm *vm);

/* vm.c: memory, firmware launch, engine set-up and tear-down. */
int vmm_vm_init(struct vmm_vm *vm, const struct vmm_config *cfg, struct vmm_result *res);
/* vm_snp.c: the SNP wiring of the engine (firmware, rate limit, AP creation, certificates). */
int vmm_vm_init_snp(struct vmm_vm *vm);
void vmm_vm_fini_snp(struct vmm_vm *vm);
void vmm_vm_fini(struct vmm_vm *vm);

/* launch.c: the SNP launch sequence; fills res->measurement.  The backend has put image_len bytes of the program's
 * image at SNPEMU_IMAGE_GPA; the launch measures them. */
int vmm_launch(struct vmm_vm *vm, uint64_t image_len);

/* cpuid_table.c: the VMM's CPUID table for the engine and the SNP CPUID page. */
size_t vmm_cpuid_table(struct hv_cpuid_entry *out, size_t cap, bool snp, uint32_t vcpus, uint32_t fms);
/* The CPUID Fn0000_0001 EAX the VM reports: the platform's part, or a Genoa B1 without a platform (SEV-ES). */
uint32_t vmm_cpuid_fms(const struct vmm_vm *vm);
void vmm_cpuid_page(uint8_t page[4096], const struct hv_cpuid_entry *t, size_t n);

/* exits.c: the one exit handler.  Returns true to resume the vCPU's VMGEXIT, false when the VM stops. */
bool vmm_handle_exit(struct vmm_vm *vm, struct vmm_vcpu *v);
/* Stops the VM for `why` (the first stop wins, all its fields together) and wakes everything waiting. */
void vmm_vm_stop_for(struct vmm_vm *vm, const struct vmm_stop *why);
/* Print one message on vm->out under the VM lock (whole lines from concurrent vCPUs stay whole). */
void vmm_say(struct vmm_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A host access of the VMM's on behalf of vCPU v failed (vmm_guest_ptr): handled as the engine's MEMORY_FAULT exit
 * is (reported, the VM stops). */
void vmm_memory_fault(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_mem_fault *f);
/* Print a termination request. */
void vmm_print_termination(struct vmm_vm *vm, uint32_t set, uint32_t code);
/* vm_snp.c: SNP_REQ_CERTS: write the certificate table into the guest pages.  Returns false when the VM stops
 * (the pages are not the guest's shared pages: a memory fault). */
bool vmm_handle_req_certs(struct vmm_vm *vm, struct vmm_vcpu *v, struct snpemu_run *run);
/* service.c: the host service channel's ports (abi/runtime.h) for vm->cfg.service.  Returns false when the VM
 * stops while the vCPU waits for a request.  vmm_service_end: the run ended, every call fails -EPIPE. */
bool vmm_service_port(struct vmm_vm *vm, uint16_t port, bool in, uint8_t *data, uint32_t size, uint32_t count);
void vmm_service_end(struct vmm_service *s);

/* vcpus.c: the vCPU threads.  vmm_vcpus_run creates every engine vCPU, starts the BSP, waits until the VM stops,
 * then kicks and joins every started vCPU.  vmm_vcpus_pause / vmm_vcpus_resume are pause_all / resume_all for
 * backends whose vCPUs reach a pause point after a kick; vmm_vcpu_save_common / restore_common the parts of a
 * vCPU's state the VMM holds (GHCB MSR, AP state). */
int vmm_vcpus_run(struct vmm_vm *vm);
/* The two halves of vmm_vcpus_run: create the engine vCPUs and start the BSP; wait until the VM stops, then kick
 * and join every started vCPU (a caller that wants the VM to end calls vmm_vm_stop first). */
int vmm_vcpus_start(struct vmm_vm *vm);
/* The engine vCPUs alone (vmm_vcpus_start's first half; a migration destination imports their state next). */
int vmm_vcpus_create(struct vmm_vm *vm);
/* A migration destination: start vCPU st->id as st->ap_state says: RUNNING from the saved state (start_vcpu loads
 * it), RESET_HOLD / ENDED on a thread that runs no guest code (parked until the VM stops), NOT_STARTED not at all.
 * st must stay valid until the call returns. */
int vmm_vcpu_start_saved(struct vmm_vm *vm, const struct vmm_vcpu_state *st);
void vmm_vcpus_join(struct vmm_vm *vm);
int vmm_vcpus_pause(struct vmm_vm *vm);
void vmm_vcpus_resume(struct vmm_vm *vm);
void vmm_vcpu_save_common(struct vmm_vcpu *v, struct vmm_vcpu_state *st);
int vmm_vcpu_restore_common(struct vmm_vcpu *v, const struct vmm_vcpu_state *st);

/* dirty_uffd.c: the dirty log of sim and tcg (struct vmm_backend dirty_log_*), whose guest RAM every writer
 * reaches through the VMM's mapping: userfaultfd asynchronous write-protect of guest RAM, read and re-armed with
 * PAGEMAP_SCAN.  -ENOTSUP on kernels without them, -EPERM where userfaultfd is not allowed. */
int vmm_uffd_dirty_log_start(struct vmm_vm *vm);
int vmm_uffd_dirty_log_get(struct vmm_vm *vm, uint64_t *bitmap, size_t words);
void vmm_uffd_dirty_log_stop(struct vmm_vm *vm);
int vmm_uffd_dirty_log_peek(struct vmm_vm *vm, uint64_t gpa, uint64_t len, uint64_t *bitmap);
/* Which pages of guest RAM hold data: present or swapped out, and not the shared zero page (PAGEMAP_SCAN, Linux
 * 6.7), one bit per page as a dirty bitmap.  The others were never written and read as zero, which migration sends
 * without reading them (a first read of such a page costs a fault; under write-protect tracking, more).  0 or
 * -errno (then the caller reads every page). */
int vmm_mem_populated(struct vmm_vm *vm, uint64_t *bitmap, size_t words);

/* dirty_vmm.c: the VMM's own dirty log, for what a backend's mechanism cannot see: the VMM's and the engine's writes
 * into guest RAM (vmm_guest_ptr with VMM_ACCESS_HOST_WRITE, the engine's host-access hook: KVM's log has only the
 * guest's writes) and page-state changes, which change how a page travels without writing it (PSC/MAP_GPA_RANGE,
 * PVALIDATE).  Active between start and stop; marking is lock-free (atomic OR), from any thread.  A write is marked
 * when its pointer is taken, before the bytes land: the caller resends every page ever marked once the guest is
 * paused (no write is in flight then).  vmm_dirty_log_get is the backend's get OR-ed with the VMM's marks, which
 * it also ORs into `marked` (NULL: not wanted): what migration calls. */
int vmm_dirty_log_start(struct vmm_vm *vm);
void vmm_dirty_mark(struct vmm_vm *vm, uint64_t gpa, uint64_t len);
int vmm_dirty_log_get(struct vmm_vm *vm, uint64_t *bitmap, size_t words, uint64_t *marked);
/* The backend's peek (backend.h) OR-ed with the VMM's marks not yet taken, over [gpa, +len): the pages the next
 * vmm_dirty_log_get will return at least.  -ENOTSUP where the backend cannot peek. */
int vmm_dirty_log_peek(struct vmm_vm *vm, uint64_t gpa, uint64_t len, uint64_t *bitmap);
void vmm_dirty_log_stop(struct vmm_vm *vm);

/* trace.c: --trace and --stats output; vmm_trace_write returns 0 or -errno (-EIO for a short write). */
int vmm_trace_write(struct vmm_vm *vm, const char *path);
/* Whether traces of vm use its backend's virtual clock (backend trace_clock_ns, unless cfg.trace_host_clock). */
bool vmm_trace_virtual(const struct vmm_vm *vm);
void vmm_stats_print(struct vmm_vm *vm);

#endif

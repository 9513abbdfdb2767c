/* SPDX-License-Identifier: MIT */
/*
 * The one backend interface of the VMM: how a CPU backend (sim, kvm, tcg) runs the vCPUs of a VM whose memory,
 * engine and firmware the VMM owns.  A backend is a `const struct vmm_backend` of operations; the VMM picks one with
 * vmm_backend_choose() when the run starts, and nothing outside the chooser asks which backend runs.
 *
 * Division of labour.  The VMM (vmm.c, vm.c, vcpus.c) owns guest RAM (vm->mem, with guard pages around it), the
 * engine VM and one engine vCPU per vCPU (created before any vCPU starts, so AP creation can name them), the
 * firmware model, the launch, and the vCPU threads: vmm_vcpu_start() (the BSP at run time, an AP on AP creation)
 * calls start_vcpu on the starting thread, then runs run_vcpu on a new thread of its own; when the VM stops the
 * VMM calls kick on every started vCPU until its thread has returned, then destroy.  A backend owns the CPU: it
 * makes the program's code run and turns its SEV events into calls of the VMM services declared at the end of this
 * file (the world switch vmm_vcpu_vmgexit(), PVALIDATE, the guest's ports), which are the same on every backend.
 *
 * Backend-private state hangs off vm->backend_vm and v->backend_vcpu (struct vmm_vm / struct vmm_vcpu in
 * vmm_internal.h).  Errors: host failures return -errno to the caller, which decides; operations never exit.
 *
 * Threads: create, destroy, pause_all, resume_all, dirty_log_* are called by the thread that runs the VM (never
 * concurrently with each other).  start_vcpu runs under vm->lock; run_vcpu on the vCPU's own thread; kick from any
 * thread, at any time after start_vcpu succeeded.  save_vcpu / restore_vcpu only while the VM is paused (or before
 * the vCPU started / after it ended).
 */
#ifndef SNPEMU_VMM_BACKEND_H
#define SNPEMU_VMM_BACKEND_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <snpemu/vmm.h>

struct vmm_vm;
struct vmm_vcpu;

/* ---- Backend-neutral vCPU state (what live migration carries). ---- */

/* General registers (the part of a VMSA, kvm_regs or a Unicorn context that user code sees). */
struct vmm_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

/* A segment register in the VMSA/VMCB layout, so AP creation copies VMSA fields unchanged.  attrib packs the
 * descriptor's type[3:0] S[4] DPL[6:5] P[7] AVL[8] L[9] D/B[10] G[11] (APM vol 2, VMCB state save area). */
struct vmm_segment {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit; /* bytes (already scaled by G) */
	uint64_t base;
};

/* Descriptor-table register (GDTR/IDTR). */
struct vmm_dtable {
	uint64_t base;
	uint16_t limit;
};

/* System registers. */
struct vmm_sregs {
	struct vmm_segment cs, ds, es, fs, gs, ss, tr, ldtr;
	struct vmm_dtable gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, efer;
};

/* x87/SSE state in the FXSAVE layout KVM_GET_FPU uses (struct kvm_fpu): fpr[i] is ST(i) (80 bits, zero-padded),
 * ftwx the abridged tag (bit i: physical register i in use), last_ip/last_dp the 64-bit FPU instruction and data
 * pointers. */
struct vmm_fpu {
	uint8_t fpr[8][16];
	uint16_t fcw, fsw;
	uint8_t ftwx;
	uint16_t last_opcode; /* 11 bits */
	uint64_t last_ip, last_dp;
	uint8_t xmm[16][16];
	uint32_t mxcsr;
};

/* Where a vCPU is in its life (the part of AP state a VMSA does not hold). */
enum vmm_ap_state {
	VMM_AP_NOT_STARTED = 0, /* no AP creation yet (an AP) or before the run (the BSP) */
	VMM_AP_RUNNING = 1,	/* started: running guest code, or paused at a pause point */
	VMM_AP_RESET_HOLD = 2,	/* parked in AP reset hold (GHCB MSR protocol / NAE AP_RESET_HOLD) */
	VMM_AP_ENDED = 3,	/* its program returned, or the VM stopped */
};

/* Which parts of struct vmm_vcpu_state a backend filled (save) or must load (restore). */
#define VMM_VCPU_STATE_REGS	(1u << 0) /* regs */
#define VMM_VCPU_STATE_SREGS	(1u << 1) /* sregs */
#define VMM_VCPU_STATE_GHCB_MSR (1u << 2) /* ghcb_msr (every backend: the engine vCPU holds it) */
#define VMM_VCPU_STATE_AP	(1u << 3) /* ap_state (every backend) */
#define VMM_VCPU_STATE_TSC	(1u << 4) /* tsc (tcg: its virtual TSC) */
#define VMM_VCPU_STATE_FPU	(1u << 5) /* fpu (kvm, tcg) */
#define VMM_VCPU_STATE_KNOWN	0x3Fu

/* Everything a guest can observe of a vCPU, for live migration.  A vCPU held at the pause point of a VMGEXIT (the
 * instruction done, the engine not yet called) is saved as it was before the instruction (tcg: RIP back over
 * `rep vmmcall`), so the destination executes the VMGEXIT again with the same GHCB: no pending-exit state travels.
 * x87 and SSE state travel (a guest built without -mgeneral-regs-only, or its own assembly, may use them); AVX
 * state does not (CR4.OSXSAVE is clear: the guest cannot enable it).  Not carried either: MSRs other than EFER,
 * FS/GS base and the GHCB MSR (guest code runs at CPL 3 on kvm and tcg: its WRMSRs trap to the VMM, which serves
 * only the GHCB MSR). */
struct vmm_vcpu_state {
	uint32_t valid; /* VMM_VCPU_STATE_* */
	uint32_t id;	/* vCPU index (APIC ID) */
	struct vmm_regs regs;
	struct vmm_sregs sregs;
	uint64_t ghcb_msr; /* the guest's GHCB MSR value */
	uint32_t ap_state; /* enum vmm_ap_state */
	uint32_t reserved;
	uint64_t tsc; /* the vCPU's TSC where the backend keeps one (tcg's virtual TSC) */
	struct vmm_fpu fpu;
};

/* ---- The interface. ---- */

struct vmm_backend {
	const char *name;	    /* "sim", "kvm", ...: the --backend value and what the banner prints */
	enum vmm_backend_kind kind; /* its value in vmm_config.backend / vmm_result.backend */
	bool in_auto;		    /* `--backend auto` may pick it (in the chooser's order) when probe succeeds */
	const char *auto_reason;    /* why auto picks it, for the one-line note ("/dev/kvm runs guests") */
	bool runs_elf;		    /* runs the program's ELF image (kvm, tcg); false: its sim entry in-process */
	bool migrates;		    /* its vCPUs can leave the process (live migration): kvm, tcg; not sim */

	/* Can this host run the backend?  0, or -errno and a one-line reason in reason[len] (NUL-terminated when
	 * len > 0).  Cheap enough to call once per run; NULL means always available. */
	int (*probe)(char *reason, size_t len);

	/* Creates the backend's VM over the VMM's guest RAM (vm->mem, vm->mem_size) and places the program's image
	 * in guest RAM at SNPEMU_IMAGE_GPA, before the launch measures it: *image_len = bytes from there the launch
	 * measures (at least one page).  For an incoming migration (vm->incoming) there is no program: guest RAM
	 * comes from the stream, *image_len is 0.  On failure the VMM still calls destroy.  Returns 0 or -errno (a
	 * message on vm->err). */
	int (*create)(struct vmm_vm *vm, uint64_t *image_len);

	/* Prepares vCPU v (v->id < vm->nvcpus, its engine vCPU v->hv exists) to enter the program at its entry:
	 * creates the backend's vCPU with the entry state (the BSP at run time, an AP on AP creation), or, when
	 * v->resume is set (a migrated vCPU), with that saved state instead (every part it names).  Called once
	 * per vCPU, under vm->lock, on the starting thread; v->backend_vcpu is its to set.  Returns 0 or -errno. */
	int (*start_vcpu)(struct vmm_vcpu *v);

	/* Runs vCPU v on the calling thread (its own) until the vCPU ends: its program returned, or the VM stops
	 * (vm->stopping; the backend must notice it within a kick).  At every world switch it calls
	 * vmm_vcpu_pause_point() (vmm_vcpu_vmgexit() does), so pause_all can hold it there. */
	void (*run_vcpu)(struct vmm_vcpu *v);

	/* From any thread: makes v's run_vcpu reach its next pause point or return soon (KVM: a signal out of
	 * KVM_RUN).  May be called repeatedly; harmless after the thread has ended.  NULL: the backend's vCPUs reach
	 * a pause point on their own (sim: every program VMGEXITs in its waits). */
	void (*kick)(struct vmm_vcpu *v);

	/* Releases the backend's VM after every vCPU thread has returned.  Safe after a failed or absent create. */
	void (*destroy)(struct vmm_vm *vm);

	/* Holds every started vCPU at a pause point (or in AP reset hold / ended), so that its state is stable and
	 * guest RAM changes only by the VMM's own writes.  Returns 0, -ETIMEDOUT when a vCPU did not get there in
	 * time (the VM is resumed), or -ECANCELED when the VM is stopping. */
	int (*pause_all)(struct vmm_vm *vm);

	/* Lets every vCPU held by pause_all go on. */
	void (*resume_all)(struct vmm_vm *vm);

	/* The state of vCPU v: the backend fills what it has and says so in st->valid (every backend: GHCB MSR and
	 * AP state; kvm: registers and system registers too).  Returns 0 or -errno. */
	int (*save_vcpu)(struct vmm_vcpu *v, struct vmm_vcpu_state *st);

	/* Loads the parts of st that st->valid names into vCPU v.  -ENOTSUP when st names a part this backend
	 * cannot load (sim: registers), -EINVAL for an id mismatch.  Returns 0 or -errno. */
	int (*restore_vcpu)(struct vmm_vcpu *v, const struct vmm_vcpu_state *st);

	/* Dirty-page tracking of guest RAM for pre-copy migration.  start begins tracking (every page clean);
	 * get fills bitmap (one bit per 4 KiB page of guest RAM, bit i of word i / 64 for page i; `words` >=
	 * VMM_DIRTY_WORDS(mem_size)) with the pages written since start or the previous get, and clears them, as
	 * KVM_GET_DIRTY_LOG does; stop ends tracking.  Writes by guest code and by the VMM count alike where the
	 * mechanism sees both (documented per backend).  Return 0 or -errno (-ENOTSUP: no mechanism on this host). */
	int (*dirty_log_start)(struct vmm_vm *vm);
	int (*dirty_log_get)(struct vmm_vm *vm, uint64_t *bitmap, size_t words);
	void (*dirty_log_stop)(struct vmm_vm *vm);
	/* ORs into bitmap (indexed as get's) the pages of [gpa, +len) written since start or the previous get,
	 * without clearing them: the next get still returns them (pre-copy skips a page that will go again anyway,
	 * as QEMU's bitmap sync lets it).  gpa and len page-aligned and within guest RAM.  NULL where the mechanism
	 * cannot look without clearing (kvm: KVM_GET_DIRTY_LOG clears).  Returns 0 or -errno. */
	int (*dirty_log_peek)(struct vmm_vm *vm, uint64_t gpa, uint64_t len, uint64_t *bitmap);
	/* Whether the log sees the VMM's and the engine's own writes to guest RAM once they land (sim, tcg: the
	 * kernel tracks the one mapping every writer uses), so a write the VMM marked before it landed is in a later
	 * get anyway; kvm's is not (dirty_vmm.c: migration resends every marked page once paused). */
	bool dirty_log_sees_vmm_writes;

	/* The virtual clock of vCPU v in ns, for --trace timestamps (called on v's thread while it serves an exit): a
	 * backend whose guest time is virtual (tcg: the virtual TSC) so that traces of deterministic runs are
	 * deterministic too.  NULL: traces use the host's monotonic clock since the VM started. */
	uint64_t (*trace_clock_ns)(struct vmm_vcpu *v);

	/* vCPU v idles for `ns` (SNPEMU_PORT_IDLE, on v's thread): idle_begin before the sleep, idle_end after it.  A
	 * backend with a virtual clock moves it by the ns asked for (not the time slept, which a pause or a stop cuts
	 * short: a deterministic run stays so); one that time-slices its vCPUs lets the others run meanwhile (tcg:
	 * the port is served inside the emulator, holding the CPU).  NULL: nothing to do. */
	void (*idle_begin)(struct vmm_vcpu *v, uint64_t ns);
	void (*idle_end)(struct vmm_vcpu *v);
};

/* Words of a dirty bitmap for mem_size bytes of RAM. */
#define VMM_DIRTY_WORDS(mem_size) ((size_t)(((mem_size) / 4096u + 63u) / 64u))

/* The backends built into this library. */
extern const struct vmm_backend vmm_backend_sim;
extern const struct vmm_backend vmm_backend_kvm;
#ifdef SNPEMU_HAVE_TCG
extern const struct vmm_backend vmm_backend_tcg; /* where libunicorn is installed (src/vmm/sources.mk) */
#endif

/* The chooser (backend.c), the one place that knows which backends exist.  For `kind` AUTO: the first backend in
 * preference order whose probe succeeds (with a one-line note on `note` unless it is NULL); for a named kind: that
 * backend if its probe succeeds.  Returns 0 and *out, -ENODEV with the probe's reason on err when the named
 * backend cannot run here, -EINVAL for a kind not built in. */
int vmm_backend_choose(enum vmm_backend_kind kind, FILE *note, FILE *err, const struct vmm_backend **out);

/* The backend of a kind, built in or not probed (NULL if not built). */
const struct vmm_backend *vmm_backend_find(enum vmm_backend_kind kind);

/* ---- VMM services a backend calls (vcpus.c, exits.c, memory.c). ---- */

/* Starts vCPU id (BSP at run time, an AP on AP creation): start_vcpu, then a thread running run_vcpu.  Starting a
 * started vCPU is a no-op.  -EINVAL for id >= nvcpus, -ECANCELED once the VM is stopping. */
int vmm_vcpu_start(struct vmm_vm *vm, uint32_t id);

/* The world switch of VMGEXIT: the engine on the vCPU's GHCB MSR / GHCB page and the one exit handler, until the
 * engine resumes the guest; recorded for --trace/--stats; a pause point.  Returns false when the VM stops (the
 * vCPU must not resume). */
bool vmm_vcpu_vmgexit(struct vmm_vcpu *v);

/* A pause point: while pause_all holds the VM, the calling vCPU waits here.  Returns false when the VM stops. */
bool vmm_vcpu_pause_point(struct vmm_vcpu *v);

/* PVALIDATE of the page at gpa (4 KiB, or 2 MiB when size2m) as the firmware model's RMP decides: *rc is the
 * instruction's return code (SNPEMU_PVALIDATE_*), *no_update its carry flag.  Returns false when the instruction
 * faults (an RMP violation, or PVALIDATE in an SEV-ES VM): the VMM has reported it and stopped the VM. */
bool vmm_vcpu_pvalidate(struct vmm_vcpu *v, uint64_t gpa, bool size2m, bool validate, uint32_t *rc, bool *no_update);

/* A port access of the guest (console, exit, debug, export ports on OUT; IN fills data[size * count]).  Returns
 * false when it stopped the VM (exit port). */
bool vmm_handle_port(struct vmm_vm *vm, struct vmm_vcpu *v, uint16_t port, bool in, uint8_t *data, uint32_t size,
		     uint32_t count);

/* Stops the VM with `status` (the first stop wins) and wakes everything waiting. */
void vmm_vm_stop(struct vmm_vm *vm, int status);

/* ---- vCPU ids of a CPU-level VM object (the kvm and tcg backends' VMs; vcpus.c). ---- */

/* Which vCPU ids (0..63) are held by a live vCPU object: claimed when the vCPU object is created, released when it
 * is destroyed.  The VM object must not be destroyed while any is held (its vCPUs use its RAM and its fds), so its
 * destroy refuses with -EBUSY instead.  Thread-safe: vCPUs are created and destroyed from any thread. */
struct vmm_vcpu_ids {
	pthread_mutex_t lock;
	uint64_t held;
};
_Static_assert(SNPEMU_MAX_VCPUS <= 64, "vmm_vcpu_ids.held is one 64-bit mask");

/* 0, or -errno from pthread_mutex_init. */
int vmm_vcpu_ids_init(struct vmm_vcpu_ids *ids);
/* 0 when no id is held (the object is finished and may be freed); -EBUSY while one is (nothing changed). */
int vmm_vcpu_ids_fini(struct vmm_vcpu_ids *ids);
/* Claims `id`: 0, -EINVAL for id >= SNPEMU_MAX_VCPUS, -EEXIST if a live vCPU holds it. */
int vmm_vcpu_id_claim(struct vmm_vcpu_ids *ids, uint32_t id);
/* Releases an id this caller claimed. */
void vmm_vcpu_id_release(struct vmm_vcpu_ids *ids, uint32_t id);

#endif

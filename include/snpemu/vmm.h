/* SPDX-License-Identifier: MIT */
/*
 * snpemu VMM (`vmm`): launches a confidential guest program through the firmware model, runs it on a backend and
 * handles the engine's exits.  Backends, behind one interface (src/vmm/backend.h) chosen once per run: `sim` (each
 * vCPU a host thread running the program's sim build; its VMGEXIT calls the engine synchronously) and `kvm` (the
 * program's ELF as real x86-64 code in a KVM VM; see src/vmm/kvm.h).  One exit handler (src/vmm/exits.c) serves all.
 *
 * The guest physical map and the boot information a program receives are in <snpemu/abi/boot_info.h>, the runtime
 * ABI (ports, statuses) in <snpemu/abi/runtime.h>.  Guest programs are not part of this library: the caller passes
 * a struct vmm_program (the built-in ones: <snpemu/programs.h>, libsnpemu_programs.a).
 */
#ifndef SNPEMU_VMM_H
#define SNPEMU_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <snpemu/abi/runtime.h>
#include <snpemu/fw.h>

struct gst_platform;
struct snpemu_boot_info;
struct vmm_service;

/* A guest program as the VMM runs it.  sim_run runs it on a sim vCPU thread: it is called with sim_program, the
 * vCPU's platform (the guest library's view of the CPU), the vCPU index and the boot page, and returns the exit
 * status (for a program built with the guest SDK: gst_program_run).  elf is its freestanding x86-64 image for the
 * backends that execute real code (kvm), linked at SNPEMU_IMAGE_GPA.  Either may be absent (NULL). */
struct vmm_program {
	const char *name;
	const char *summary;
	int (*sim_run)(const void *sim_program, const struct gst_platform *plat, uint32_t cpu,
		       const struct snpemu_boot_info *boot);
	const void *sim_program;
	const uint8_t *elf;
	size_t elf_len;
};

enum vmm_backend_kind { VMM_BACKEND_AUTO = 0, VMM_BACKEND_SIM = 1, VMM_BACKEND_KVM = 2, VMM_BACKEND_TCG = 3 };

/* ---- Live migration of a running guest between two VMMs (docs/migration.md) ----
 * The caller (the CLI: `run --incoming`, `run --migrate-to`) connects the stream; the run does the rest.  The
 * source announces the VM on `fd` and waits for the destination's answer (at most 30 s; both platforms derive
 * their certificates meanwhile) before it starts the guest, then, `after_ns` after the guest started, migrates it
 * by pre-copy (dirty log passes, then stop-and-copy); when the destination has taken the guest, the source's run
 * ends with vmm_result.migrated_out.  A guest that ends before (or while) it is moved ends at the source as usual
 * (migrated_out false; migrate_error -ECANCELED when the copy had begun).  Any failure before that resumes the guest on
 * the source, which runs on (vmm_result.migrate_error says why).  The destination receives the guest on `fd` instead of
 * launching a program (vmm_config.program unused) and then runs it like any run.  sim cannot migrate (its vCPUs are
 * host threads). */
struct vmm_migration_progress {
	uint32_t pass;		  /* pre-copy pass, 1.. */
	bool stop_and_copy;	  /* the guest is paused: the last pass */
	uint64_t pages_sent;	  /* page records sent so far (all passes) */
	uint64_t pages_total;	  /* pages of guest RAM */
	uint64_t pages_dirty;	  /* dirty pages found for this pass */
	uint64_t bytes_sent;	  /* bytes on the wire so far */
	double mb_per_s;	  /* throughput of the last pass */
	double dirty_pages_per_s; /* the guest's dirty rate during the last pass */
	uint64_t est_downtime_us; /* estimated stop-and-copy time if the next pass were the last */
};

struct vmm_migration_summary {
	uint64_t total_us;	/* from the start of migration to the destination's acknowledgement */
	uint64_t downtime_us;	/* from pausing the guest to the acknowledgement (source) / to resuming it (dest) */
	uint64_t wire_bytes;	/* bytes written (source) or read (destination) on the stream */
	uint64_t pages_shared;	/* page records sent in plaintext (shared pages) */
	uint64_t pages_private; /* page records sealed by the firmware's export (private pages) */
	uint64_t pages_zero;	/* all-zero pages sent as a flag (either kind) */
	uint32_t passes;	/* pre-copy passes including stop-and-copy */
	/* The firmware's share: CPU time of the migrating thread in fw_migrate_page_export (source) or
	 * fw_migrate_page_import (destination), so that vCPU threads sharing the cores do not count, and the private
	 * records it handled, split by record size (a 2 MiB record is one seal of 512 pages); all-zero records,
	 * which seal no page bytes, are not counted here. */
	uint64_t private_crypto_ns;
	uint64_t private_records_4k, private_records_2m;
};

struct vmm_migration {
	int fd;		   /* a connected stream socket (the caller owns it) */
	bool incoming;	   /* destination: receive the guest on fd instead of launching cfg->program */
	uint64_t after_ns; /* source: start migrating this long after the guest started */
	/* Called on the migrating thread after each pass (NULL: none). */
	void (*progress)(const struct vmm_migration_progress *p, void *opaque);
	void *opaque;
};

struct vmm_config {
	const struct vmm_program *program; /* the guest program to run */
	const char *const *args;	   /* its arguments (`snpemu run NAME -- ARGS...`), put in the boot page */
	uint32_t nargs;
	enum vmm_backend_kind backend; /* AUTO: kvm where /dev/kvm works, else tcg (where built), else sim */
	uint32_t vm_type;	       /* HV_VM_TYPE_SNP (default when 0) or HV_VM_TYPE_SEV_ES */
	uint32_t vcpus;		       /* 1..SNPEMU_MAX_VCPUS (0 = 1) */
	uint64_t mem_size;	       /* bytes (0 = 64 MiB); at least SNPEMU_MIN_MEM, a multiple of 2 MiB */
	uint64_t policy;	       /* SNP guest policy (0 = 0x30000: SMT allowed, reserved bit 17) */
	double rate;		       /* guest-request rate limit per second (0 = unlimited) */
	uint32_t burst;		       /* token-bucket burst (0 = 1 when rate is set) */
	const char *certs_file;	       /* certificate table served to extended requests (NULL: the platform's chain) */
	uint8_t seed[FW_SEED_MAX];     /* platform seed (seed_len 0: a fixed default seed, for reproducible runs) */
	size_t seed_len;
	/* AMD root seed (fw_platform_config_amd_seed): platforms with the same one share an ARK and ASK, as two
	 * chips of one product line do, which live migration between them requires (amd_seed_len 0: the root derives
	 * from `seed`, so only a platform of the same seed shares it). */
	uint8_t amd_seed[FW_SEED_MAX];
	size_t amd_seed_len;
	enum fw_product product; /* platform product line (default Genoa) */
	uint32_t report_version; /* ATTESTATION_REPORT version the firmware emits: 2, 3 or 5 (0 = the firmware's 5) */
	const char *trace_file;	 /* Chrome trace-event JSON output (NULL: none) */
	bool trace_host_clock;	 /* trace with the host clock even where the backend's is virtual (tcg; benchmarks) */
	bool stats;		 /* print per-exit statistics at the end */
	bool vc;    /* tcg only: CPUID, port IO and MSRs raise #VC in the guest (its own handler serves them) */
	bool quiet; /* no banner/summary lines (console output only) */
	/* Touch every page of guest RAM before the guest runs (QEMU's -mem-prealloc): later first writes take no
	 * page fault.  The destination of a migration does it while the source's guest still runs, before the pages
	 * arrive.  Costs the whole of mem_size in host memory at once. */
	bool mem_prealloc;
	const struct vmm_migration *migration; /* NULL: no migration */
	struct vmm_service *service;	       /* the host service channel the program serves (NULL: none) */
	FILE *out;			       /* the guest's console (NULL = stdout) */
	FILE *err;			       /* errors (NULL = stderr) */
	FILE *msg; /* VMM messages: banner, launch measurement, statistics, faults (NULL = out) */
};

/* What a run produced. */
struct vmm_result {
	int status;		       /* the guest's exit status (0 = success); non-zero for termination, faults */
	bool launched;		       /* launch completed */
	uint8_t measurement[48];       /* launch digest (SNP) */
	enum vmm_backend_kind backend; /* backend used */
	uint64_t vmgexits;	       /* VMGEXITs handled */
	uint64_t exits_to_vmm;	       /* exits the VMM handled */
	uint64_t ghcb_msr_writes;      /* guest writes of the GHCB MSR the VMM served (each an exit on kvm) */
	bool terminated;	       /* the guest requested termination */
	uint32_t term_set, term_code;  /* its reason */
	bool memory_fault;	       /* the run stopped on a MEMORY_FAULT exit */
	uint64_t fw_requests;	       /* guest requests the firmware processed */
	uint64_t busy_answers;	       /* guest requests refused BUSY by the rate limit */
	uint64_t pages_shared;	       /* SNP page state at the end of the run (the firmware RMP model): shared, */
	uint64_t pages_private;	       /* guest-owned but not validated, */
	uint64_t pages_validated;      /* and validated pages, over the guest's RAM */
	uint8_t exported[SNPEMU_EXPORT_MAX]; /* what the guest wrote to SNPEMU_PORT_EXPORT (gst_export), in order */
	uint32_t exported_len;
	int trace_error;   /* cfg->trace_file could not be written: -errno (0: written, or none asked) */
	bool migrated_out; /* source: the guest left through cfg->migration (status 0; it runs on at the destination) */
	bool migrated_in;  /* destination: the guest arrived through cfg->migration */
	int migrate_error; /* source: migration failed and the guest resumed here: -errno (0: none or succeeded) */
	struct vmm_migration_summary migration; /* either side, when a migration completed */
};

/* ---- The host service channel (abi/runtime.h): requests a host thread submits to a program that serves them ----
 * The caller creates a service, puts it in vmm_config.service and runs the VM (vmm_run) on one thread; any other
 * thread then calls vmm_service_call, which hands one request to the program (its IN on SNPEMU_PORT_SERVICE_CTL)
 * and waits for the program's reply.  Calls from several threads are served one at a time, in no promised order.
 * vmm_service_close makes the program's next wait read 0 (it ends); when the run ends, for whatever reason, every
 * waiting and later call fails with -EPIPE.  A service serves one run; free it after vmm_run returned. */
int vmm_service_new(struct vmm_service **out); /* 0 or -ENOMEM */
void vmm_service_free(struct vmm_service *s);  /* NULL-safe */
/* Submit `req` (1..SNPEMU_SERVICE_REQ_MAX bytes) and wait up to `timeout_ms` for the reply, copied to reply[cap]
 * with its length in *reply_len.  0, or -EINVAL (bad length), -EPIPE (closed, or the run ended), -ETIMEDOUT (no
 * reply in time: the request is withdrawn, a late reply dropped), -EMSGSIZE (the reply exceeds `cap` or
 * SNPEMU_SERVICE_REPLY_MAX), -EPROTO (the program abandoned the request). */
int vmm_service_call(struct vmm_service *s, const void *req, size_t req_len, void *reply, size_t cap, size_t *reply_len,
		     uint64_t timeout_ms);
void vmm_service_close(struct vmm_service *s);
/* Wait until the program first waits for a request: 0, -EPIPE (the run ended or the channel closed first),
 * -ETIMEDOUT. */
int vmm_service_wait_ready(struct vmm_service *s, uint64_t timeout_ms);
/* Requests the program answered so far. */
uint64_t vmm_service_answered(struct vmm_service *s);

/* Fill `cfg` with defaults (program NULL, SNP, 1 vCPU, 64 MiB, auto backend). */
void vmm_config_default(struct vmm_config *cfg);

/* Launch and run `cfg->program` to completion.  Returns 0 when the run completed (see res->status for the
 * guest's outcome), or a negative errno when it could not run (no program, bad configuration, arguments that do
 * not fit the boot page: -EINVAL; no build of the program for the backend, backend unavailable: -ENODEV; host
 * failure), with a one-line reason on cfg->err. */
int vmm_run(const struct vmm_config *cfg, struct vmm_result *res);

/* The firmware platform configuration a run with `cfg` uses (product, seed; a fixed default seed when none is
 * given), so that tools can re-create the same platform (its certificates) after the run.  Returns 0 or -EINVAL. */
int vmm_platform_config(const struct vmm_config *cfg, struct fw_platform_config *pc);

/* Parse a size with an optional K/M/G suffix ("64M").  Returns 0 or -EINVAL. */
int vmm_parse_size(const char *s, uint64_t *out);
/* Name of a backend ("sim", "kvm", "auto"). */
const char *vmm_backend_name(enum vmm_backend_kind b);

/* The backend `kind` resolves to on this host (AUTO: the one the chooser picks, silently; a named backend that
 * cannot run here: its reason on err) and whether it runs ELF images (kvm) or in-process programs (sim).
 * 0 or -errno. */
int vmm_backend_resolve(enum vmm_backend_kind kind, FILE *err, enum vmm_backend_kind *out, bool *runs_elf);

/* ---- Guest programs from files (`snpemu run PATH`, the guest SDK: <snpemu/guest_program.h>) ----
 * One program source builds into NAME.elf (a freestanding image for the backends that run ELF images) and
 * NAME.so (for sim, loaded with dlopen: its code then runs inside this process).  vmm_program_file_open opens
 * the one the backend needs (elf): PATH itself when it ends in that extension or names a file, else PATH.elf /
 * PATH.so; checks it (vmm_program_image_check; for a .so also its descriptor and SDK ABI version); and gives a
 * struct vmm_program for vmm_config.program, valid until vmm_program_file_close.  Returns 0 or -errno with a
 * one-line message naming the file in why[why_len] (-ENOENT, -EISDIR, -ENOEXEC not a guest program of this
 * kind, -EFBIG, -ENOMEM). */
struct vmm_program_file;
int vmm_program_file_open(const char *path, bool elf, struct vmm_program_file **out, char *why, size_t why_len);
const struct vmm_program *vmm_program_file_program(const struct vmm_program_file *f);
const char *vmm_program_file_path(const struct vmm_program_file *f); /* the file opened */
void vmm_program_file_close(struct vmm_program_file *f);	     /* NULL-safe */

/* The checks of a program file's bytes before anything uses them (a parser of untrusted bytes: no allocation,
 * no writes but why): ELF images by the kvm loader's rules (static x86-64, every segment between
 * SNPEMU_IMAGE_GPA and the VMM's reserved pages from SNPEMU_BOOT_INFO_GPA, the entry in an executable segment);
 * shared objects: ELF64 x86-64 ET_DYN with a dynamic section and no interpreter.  0 or -ENOEXEC with the
 * problem in why. */
enum vmm_program_image_kind { VMM_PROGRAM_IMAGE_ELF, VMM_PROGRAM_IMAGE_SO };
int vmm_program_image_check(const uint8_t *img, size_t len, enum vmm_program_image_kind kind, char *why,
			    size_t why_len);

#endif

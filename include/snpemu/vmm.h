/* SPDX-License-Identifier: MIT */
/*
 * snpemu VMM (`vmm`): launches a confidential guest program through the firmware model, runs it on a backend and
 * handles the engine's exits.  Backends: `sim` (each vCPU a host thread running guest code compiled into this
 * process; its VMGEXIT calls the engine synchronously) and `kvm` (real x86-64 guest code in a KVM VM; see
 * src/vmm/kvm.h).  One exit handler (src/vmm/exits.c) serves both.
 *
 * The guest physical map and the boot information a program receives are in <snpemu/abi/boot_info.h>.
 */
#ifndef SNPEMU_VMM_H
#define SNPEMU_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <snpemu/fw.h>

enum vmm_backend { VMM_BACKEND_AUTO = 0, VMM_BACKEND_SIM = 1, VMM_BACKEND_KVM = 2 };

struct vmm_config {
	const char *program;	   /* guest program name (see vmm_program_names) */
	enum vmm_backend backend;  /* AUTO: kvm where /dev/kvm works, else sim */
	uint32_t vm_type;	   /* HV_VM_TYPE_SNP (default when 0) or HV_VM_TYPE_SEV_ES */
	uint32_t vcpus;		   /* 1..SNPEMU_MAX_VCPUS (0 = 1) */
	uint64_t mem_size;	   /* bytes (0 = 64 MiB); at least SNPEMU_MIN_MEM, a multiple of 2 MiB */
	uint64_t policy;	   /* SNP guest policy (0 = 0x30000: SMT allowed, reserved bit 17) */
	double rate;		   /* guest-request rate limit per second (0 = unlimited) */
	uint32_t burst;		   /* token-bucket burst (0 = 1 when rate is set) */
	const char *certs_file;	   /* certificate table served to extended requests (NULL: the platform's chain) */
	uint8_t seed[FW_SEED_MAX]; /* platform seed (seed_len 0: a fixed default seed, for reproducible runs) */
	size_t seed_len;
	enum fw_product product; /* platform product line (default Genoa) */
	uint32_t report_version; /* ATTESTATION_REPORT version the firmware emits: 2, 3 or 5 (0 = the firmware's 5) */
	uint8_t report_data[64]; /* attest: REPORT_DATA */
	uint32_t vmpl;		 /* attest: VMPL to request the report for (0..3) */
	bool ext_report;	 /* attest: extended request with certificates */
	uint32_t storm_requests; /* storm: requests per vCPU (0 = 20) */
	const char *trace_file;	 /* Chrome trace-event JSON output (NULL: none) */
	bool stats;		 /* print per-exit statistics at the end */
	bool quiet;		 /* no banner/summary lines (console output only) */
	FILE *out;		 /* the guest's console (NULL = stdout) */
	FILE *err;		 /* errors (NULL = stderr) */
	FILE *msg;		 /* VMM messages: banner, launch measurement, statistics, faults (NULL = out) */
	const char *report_out;	 /* attest: write the report the guest printed here (NULL: none) */
};

/* What a run produced. */
struct vmm_result {
	int status;		      /* the guest's exit status (0 = success); non-zero for termination, faults */
	bool launched;		      /* launch completed */
	uint8_t measurement[48];      /* launch digest (SNP) */
	enum vmm_backend backend;     /* backend used */
	uint64_t vmgexits;	      /* VMGEXITs handled */
	uint64_t exits_to_vmm;	      /* exits the VMM handled */
	uint64_t ghcb_msr_writes;     /* guest writes of the GHCB MSR the VMM served (each an exit on kvm) */
	bool terminated;	      /* the guest requested termination */
	uint32_t term_set, term_code; /* its reason */
	bool memory_fault;	      /* the run stopped on a MEMORY_FAULT exit */
	uint64_t fw_requests;	      /* guest requests the firmware processed */
	uint64_t busy_answers;	      /* guest requests refused BUSY by the rate limit */
	uint64_t pages_shared;	      /* SNP page state at the end of the run (the firmware RMP model): shared, */
	uint64_t pages_private;	      /* guest-owned but not validated, */
	uint64_t pages_validated;     /* and validated pages, over the guest's RAM */
	uint8_t report[0x4A0];	      /* attest: the report the guest exported on SNPEMU_PORT_EXPORT */
	bool have_report;
	int trace_error; /* cfg->trace_file could not be written: -errno (0: written, or none asked) */
};

/* Fill `cfg` with defaults (program NULL, SNP, 1 vCPU, 64 MiB, auto backend). */
void vmm_config_default(struct vmm_config *cfg);

/* Launch and run `cfg->program` to completion.  Returns 0 when the run completed (see res->status for the
 * guest's outcome), or a negative errno when it could not run (unknown program: -ENOENT; bad configuration:
 * -EINVAL; backend unavailable: -ENODEV; host failure), with a one-line reason on cfg->err. */
int vmm_run(const struct vmm_config *cfg, struct vmm_result *res);

/* NULL-terminated list of the guest programs built into this binary. */
const char *const *vmm_program_names(void);
/* One-line description of a program, or NULL. */
const char *vmm_program_summary(const char *name);
/* Whether a program runs only on the kvm backend (false for unknown names). */
bool vmm_program_kvm_only(const char *name);

/* The firmware platform configuration a run with `cfg` uses (product, seed; a fixed default seed when none is
 * given), so that tools can re-create the same platform (its certificates) after the run.  Returns 0 or -EINVAL. */
int vmm_platform_config(const struct vmm_config *cfg, struct fw_platform_config *pc);

/* Parse a size with an optional K/M/G suffix ("64M").  Returns 0 or -EINVAL. */
int vmm_parse_size(const char *s, uint64_t *out);
/* Name of a backend ("sim", "kvm", "auto"). */
const char *vmm_backend_name(enum vmm_backend b);

#endif

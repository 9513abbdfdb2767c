/* SPDX-License-Identifier: MIT */
/* VMM internals shared by the VM set-up, the exit handler and the backends. */
#ifndef SNPEMU_VMM_INTERNAL_H
#define SNPEMU_VMM_INTERNAL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/fw.h>
#include <snpemu/guest.h>
#include <snpemu/hv.h>
#include <snpemu/vmm.h>

struct guest_program;
struct vmm_vm;
struct vmm_certs_provider;
struct vmm_kvm_vm;
struct vmm_kvm_vcpu;

/* One trace slice: a VMGEXIT from entry to resume. */
struct vmm_trace_event {
	uint64_t start_ns, dur_ns;
	uint64_t code; /* SW_EXITCODE, or GHCBInfo | 1<<63 for the MSR protocol */
};
#define VMM_TRACE_MAX_PER_VCPU 200000u

struct vmm_vcpu {
	struct vmm_vm *vm;
	uint32_t id;
	struct hv_vcpu *hv;
	pthread_t thread;
	bool started;
	jmp_buf stop_jmp; /* sim: where the vCPU thread unwinds to when the VM stops */
	struct gst_platform plat;
	int guest_status;
	struct vmm_trace_event *trace;
	uint32_t ntrace;
	uint64_t vmgexits;
	struct vmm_kvm_vcpu *kvm; /* kvm: the KVM vCPU (created when the vCPU starts) */
};

struct vmm_vm {
	struct vmm_config cfg;
	struct vmm_result *res;
	const struct guest_program *program;
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
	int status;
	bool status_set;
	uint64_t t0_ns;
	uint8_t console_line[SNPEMU_MAX_VCPUS][256];
	uint32_t console_len[SNPEMU_MAX_VCPUS];
	uint8_t export_buf[8192]; /* data the guest exported on SNPEMU_PORT_EXPORT */
	uint32_t export_len;
	uint8_t mmio_reg[8]; /* the MMIO test device's register */
	atomic_ullong exits_to_vmm;
	atomic_ullong ghcb_msr_writes; /* guest WRMSRs of the GHCB MSR served (res->ghcb_msr_writes) */
	atomic_ullong hypercalls;
	struct vmm_kvm_vm *kvm; /* kvm backend: the KVM VM over `mem` (NULL on sim) */
	uint64_t kvm_entry;	/* kvm: the program ELF's entry point */
	uint64_t kvm_arg;	/* kvm: every vCPU's boot argument (RSI), see src/vmm/kvm_backend.c */
};

uint64_t vmm_now_ns(void);

/* vm.c: memory, firmware launch, engine set-up and tear-down. */
int vmm_vm_init(struct vmm_vm *vm, const struct vmm_config *cfg, struct vmm_result *res);
/* vm_snp.c: the SNP wiring of the engine (firmware, rate limit, AP creation, certificates). */
int vmm_vm_init_snp(struct vmm_vm *vm);
void vmm_vm_fini_snp(struct vmm_vm *vm);
void vmm_vm_fini(struct vmm_vm *vm);
/* Stop the VM with `status` (the first stop wins) and wake everything waiting. */
void vmm_vm_stop(struct vmm_vm *vm, int status);

/* launch.c: the SNP launch sequence; fills res->measurement.  The image goes to GPA 0x100000 and is measured;
 * image NULL: image_len bytes are already there. */
int vmm_launch(struct vmm_vm *vm, const uint8_t *image, size_t image_len);

/* cpuid_table.c: the VMM's CPUID table for the engine and the SNP CPUID page. */
size_t vmm_cpuid_table(struct hv_cpuid_entry *out, size_t cap, bool snp, uint32_t vcpus, uint32_t fms);
/* The CPUID Fn0000_0001 EAX the VM reports: the platform's part, or a Genoa B1 without a platform (SEV-ES). */
uint32_t vmm_cpuid_fms(const struct vmm_vm *vm);
void vmm_cpuid_page(uint8_t page[4096], const struct hv_cpuid_entry *t, size_t n);

/* exits.c: the one exit handler.  Returns true to resume the vCPU's VMGEXIT, false when the VM stops. */
bool vmm_handle_exit(struct vmm_vm *vm, struct vmm_vcpu *v);
/* A port access of the guest (the engine's IO exits and the kvm backend's direct ones): console, exit, debug and
 * export ports on OUT; IN fills data[size * count] (COM1 line status "ready", other ports all-ones).  Returns
 * false when it stopped the VM (exit port). */
bool vmm_handle_port(struct vmm_vm *vm, struct vmm_vcpu *v, uint16_t port, bool in, uint8_t *data, uint32_t size,
		     uint32_t count);
/* One VMGEXIT of vCPU v as every backend performs it: hv_vcpu_vmgexit() + vmm_handle_exit() until the engine
 * resumes the guest, recorded for --trace/--stats.  The engine vCPU's GHCB MSR must hold the guest's value.
 * Returns false when the VM stops (the vCPU must not resume). */
bool vmm_vcpu_vmgexit(struct vmm_vcpu *v);
/* Print a termination request. */
void vmm_print_termination(struct vmm_vm *vm, uint32_t set, uint32_t code);
/* vm_snp.c: SNP_REQ_CERTS: write the certificate table into the guest pages. */
bool vmm_handle_req_certs(struct vmm_vm *vm, struct snpemu_run *run);

/* sim.c: the sim backend. */
int vmm_sim_run(struct vmm_vm *vm);
int vmm_sim_start_vcpu(struct vmm_vm *vm, uint32_t id);

/* kvm_backend.c: the kvm backend.  vmm_kvm_prepare creates the KVM VM over vm->mem and loads the program's ELF at
 * its link address (before the launch measures it): *image_len = bytes from RT_IMAGE_BASE to the image end.
 * vmm_kvm_backend_run runs the vCPUs until the VM stops and joins them; vmm_kvm_start_vcpu starts vCPU id (the
 * BSP, or an AP on AP creation); vmm_kvm_backend_fini releases the KVM VM (NULL-safe, after the run). */
int vmm_kvm_prepare(struct vmm_vm *vm, uint64_t *image_len);
int vmm_kvm_backend_run(struct vmm_vm *vm);
int vmm_kvm_start_vcpu(struct vmm_vm *vm, uint32_t id);
void vmm_kvm_backend_fini(struct vmm_vm *vm);
/* 0 if ring-0 guest code may use SSE (the guest library's AES-GCM does), else -errno and a one-line reason. */
int vmm_kvm_probe_sse(char *reason, size_t len);
/* kvm_images.c: the ELF image of guest program `name` (NULL if none). */
const uint8_t *vmm_kvm_program_image(const char *name, size_t *len);

/* trace.c: --trace and --stats output; vmm_trace_write returns 0 or -errno (-EIO for a short write). */
int vmm_trace_write(struct vmm_vm *vm, const char *path);
void vmm_stats_print(struct vmm_vm *vm);

/* programs.c: the registry of built-in guest programs. */
const struct guest_program *vmm_program_find(const char *name);

#endif

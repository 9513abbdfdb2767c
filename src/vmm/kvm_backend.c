/* SPDX-License-Identifier: MIT */
/*
 * The VMM's kvm backend: the guest program runs as real x86-64 code in a KVM VM (src/vmm/kvm.h) whose RAM is the
 * VMM's guest memory (vm->mem: the memory the engine and the firmware model see), and every exit goes where it
 * goes on sim:
 *   VMGEXIT doorbell      -> vmm_vcpu_vmgexit(): the engine + the one exit handler (exits.c), as sim does
 *   RDMSR/WRMSR GHCB MSR  -> the engine vCPU's GHCB MSR (hv_vcpu_get/set_ghcb_msr): the engine keeps the only copy
 *   RDMSR SEV status MSR  -> SEV | SEV-ES (| SNP) as the VM type says (APM vol 2, SEV_STATUS 0xC0010131)
 *   PVALIDATE doorbell    -> fw_rmp_pvalidate(), with sim's mapping of its results
 *   console/exit/debug/export port IO -> vmm_handle_port(), the engine's IO exits' handler
 *   exception report      -> "guest exception on vCPU n: <vector, error code, RIP>", the VM stops (128 + vector)
 *   SHUTDOWN, INTERNAL_ERROR, FAIL_ENTRY, others -> a message and a stop with status 127
 *   HLT                   -> an AP whose program returned stops (as on sim); the BSP halting stops the VM (123)
 *
 * vCPUs: the BSP at the ELF entry; an AP on AP creation (the engine's AP handler, vm_snp.c) at the same entry with
 * RDI = its APIC ID.  The VMSA the guest wrote is validated by the engine but its registers are not loaded: the
 * programs' VMSAs carry no runnable state (storm leaves RIP 0, none sets RSP, CR3 or segments) and guests/rt's
 * entry protocol gives every vCPU its stack from its index, which a VMSA cannot express.  Entry registers (the
 * protocol of guests/rt/rt_abi.h and guests/kvm_main.c): RDI = vCPU index, RSI = SNPEMU_BOOT_INFO_GPA | guest TSC
 * kHz << 32.
 *
 * Stopping: vmm_vm_stop() wakes the run loop, which asks every started vCPU to stop
 * (vmm_kvm_vcpu_request_stop + a no-op signal that interrupts KVM_RUN; parked APs wake on the VM's condition)
 * and joins every thread before returning.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/msr_proto.h>

#include "../guests/program.h"
#include "vmm/kvm.h"
#include "vmm/vmm_internal.h"

#define KVM_IO_MAX	     4096u /* bytes of one IN/OUT exit the VMM serves (rep ins/outs of a page) */
#define KVM_STATUS_HALTED    123
#define KVM_STATUS_MMIO	     125
#define KVM_STATUS_RMP_FAULT 126
#define KVM_STATUS_HOST	     127
#define KVM_STATUS_EXCEPTION 128 /* + vector */
#define KVM_JOIN_RETRY_NS    (50 * 1000 * 1000)
#define KVM_TSC_CALIBRATE_NS (2 * 1000 * 1000)

_Static_assert(GST_KVM_PORT_VMGEXIT == RT_PORT_VMGEXIT && GST_KVM_PORT_PVALIDATE == RT_PORT_PVALIDATE &&
		   GST_KVM_PORT_CONSOLE == RT_PORT_CONSOLE && GST_KVM_NULL_GUARD == RT_NULL_GUARD_SIZE &&
		   SNPEMU_PORT_EXIT == RT_PORT_EXIT && SNPEMU_PORT_CONSOLE == RT_PORT_CONSOLE,
	       "the guest library's kvm platform and guests/rt agree with the backend");

/* The signal that interrupts a vCPU thread in KVM_RUN; its handler does nothing (installed without SA_RESTART). */
static int kick_signal(void)
{
	return SIGRTMIN + 1;
}

static void kick_handler(int sig)
{
	(void)sig;
}

static int install_kick_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(kick_signal(), &sa, NULL) ? -errno : 0;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The guest's TSC runs at the host's rate (KVM's default without KVM_SET_TSC_KHZ): measured against
 * CLOCK_MONOTONIC over 2 ms, which is ample for back-off delays. */
static uint64_t tsc_khz(void)
{
	uint64_t t0 = vmm_now_ns(), c0 = rdtsc(), t1;
	while ((t1 = vmm_now_ns()) - t0 < KVM_TSC_CALIBRATE_NS)
		;
	uint64_t c1 = rdtsc();
	uint64_t khz = (c1 - c0) * 1000000ull / (t1 - t0);
	return khz < 0xFFFFFFFFull ? khz : 0;
}

/*
 * What `auto` needs beyond vmm_kvm_probe(): SSE in ring-0 guest code.  The guest library's AES-GCM (Debian's
 * libbearssl.a, compiled for the x86-64 baseline) uses SSE2, which hosts whose KVM emulates ring-0 guest code (PVM)
 * cannot run; there every guest request would stop the VM, so `auto` keeps to sim.  The probe guest doubles RAX
 * with SSE2 (movq, paddq, movq) and reports it on the exit port.
 */
int vmm_kvm_probe_sse(char *reason, size_t len)
{
	static const uint8_t code[] = {
	    0x66, 0x48, 0x0F, 0x6E, 0xC0, /* movq %rax, %xmm0 */
	    0x66, 0x0F, 0xD4, 0xC0,	  /* paddq %xmm0, %xmm0 */
	    0x66, 0x48, 0x0F, 0x7E, 0xC0, /* movq %xmm0, %rax */
	    0xBA, 0xE2, 0x05, 0x00, 0x00, /* mov $RT_PORT_EXIT, %edx */
	    0xEF,			  /* out %eax, (%dx) */
	    0xF4,			  /* hlt */
	};
	_Static_assert(RT_PORT_EXIT == 0x5E2, "the probe's port");
	const uint64_t in = 0x1234;
	struct vmm_kvm_vm_config cfg = {.ram_size = VMM_KVM_RAM_MIN};
	struct vmm_kvm_vm *kvm;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_exit e;
	char what[VMM_KVM_REASON_LEN];
	int rc = vmm_kvm_vm_create(&cfg, &kvm, reason, len);
	if (rc)
		return rc;
	memcpy(vmm_kvm_gpa(kvm, RT_IMAGE_BASE, sizeof(code)), code, sizeof(code));
	const struct vmm_kvm_regs regs = {.rip = RT_IMAGE_BASE, .rax = in, .rflags = 2};
	rc = vmm_kvm_vcpu_create(kvm, 0, &regs, NULL, &vcpu);
	if (rc) {
		snprintf(reason, len, "kvm: creating the SSE probe's vCPU: %s", strerror(-rc));
	} else {
		rc = vmm_kvm_vcpu_run(vcpu, &e);
		if (rc == 0 && !(e.kind == VMM_KVM_EXIT_IO && e.io.port == RT_PORT_EXIT && e.io.value == 2 * in)) {
			vmm_kvm_exit_describe(&e, what, sizeof(what));
			snprintf(reason, len,
				 "kvm: ring-0 guest code cannot use SSE here (%s), the guest's AES-GCM needs it", what);
			rc = -ENOTSUP;
		} else if (rc) {
			snprintf(reason, len, "kvm: KVM_RUN: %s", strerror(-rc));
		}
		vmm_kvm_vcpu_destroy(vcpu);
	}
	vmm_kvm_vm_destroy(kvm);
	return rc;
}

int vmm_kvm_prepare(struct vmm_vm *vm, uint64_t *image_len)
{
	char reason[VMM_KVM_REASON_LEN];
	if (vm->mem_size > VMM_KVM_RAM_MAX) {
		fprintf(vm->err, "snpemu: the kvm backend supports at most %llu MiB of RAM\n",
			(unsigned long long)(VMM_KVM_RAM_MAX >> 20));
		return -EINVAL;
	}
	struct vmm_kvm_vm_config kc = {.ram_size = vm->mem_size, .ram = vm->mem};
	int rc = vmm_kvm_vm_create(&kc, &vm->kvm, reason, sizeof(reason));
	if (rc) {
		vm->kvm = NULL;
		fprintf(vm->err, "snpemu: %s\n", reason);
		return rc;
	}
	size_t len;
	const uint8_t *image = vmm_kvm_program_image(vm->program->name, &len);
	if (!image) {
		fprintf(vm->err, "snpemu: guest program '%s' has no kvm image\n", vm->program->name);
		return -ENOENT;
	}
	/* The image lives below the boot information page: that is the end of the range it may occupy. */
	struct vmm_kvm_elf_info info;
	enum vmm_kvm_elf_error err = vmm_kvm_elf_load(image, len, vm->mem, RT_IMAGE_BASE, SNPEMU_BOOT_INFO_GPA, &info);
	if (err != VMM_KVM_ELF_OK || info.lowest != RT_IMAGE_BASE) {
		fprintf(vm->err, "snpemu: the kvm image of '%s' is not loadable: %s\n", vm->program->name,
			err != VMM_KVM_ELF_OK ? vmm_kvm_elf_strerror(err) : "it does not start at its link address");
		return -ENOEXEC;
	}
	vm->kvm_entry = info.entry;
	vm->kvm_arg = SNPEMU_BOOT_INFO_GPA | tsc_khz() << 32;
	*image_len = info.highest - RT_IMAGE_BASE;
	return 0;
}

void vmm_kvm_backend_fini(struct vmm_vm *vm)
{
	for (uint32_t i = 0; i < SNPEMU_MAX_VCPUS; i++) {
		vmm_kvm_vcpu_destroy(vm->vcpus[i].kvm);
		vm->vcpus[i].kvm = NULL;
	}
	if (vm->kvm && vmm_kvm_vm_destroy(vm->kvm) == 0)
		vm->kvm = NULL;
}

static void say(struct vmm_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct vmm_vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&vm->lock);
	vfprintf(vm->out, fmt, ap);
	fflush(vm->out);
	pthread_mutex_unlock(&vm->lock);
	va_end(ap);
}

/* PVALIDATE doorbell: the firmware model's RMP decides, mapped as sim.c maps it. */
static bool do_pvalidate(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	if (!vm->fw_guest) {
		/* SEV-ES has no PVALIDATE: the instruction would #UD. */
		say(vm, "guest exception on vCPU %u: PVALIDATE in an SEV-ES VM (#UD)\n", v->id);
		vmm_vm_stop(vm, KVM_STATUS_EXCEPTION + 6);
		return false;
	}
	if (e->pvalidate.page_size > RT_PVALIDATE_SIZE_2M || e->pvalidate.validate > 1)
		return vmm_kvm_complete_pvalidate(v->kvm, RT_PVALIDATE_FAIL_INPUT, false) == 0;
	uint64_t gpa = e->pvalidate.vaddr; /* identity-mapped */
	enum fw_pvalidate_rc rc = fw_rmp_pvalidate(
	    fw_guest_rmp(vm->fw_guest), gpa, e->pvalidate.page_size == RT_PVALIDATE_SIZE_2M, e->pvalidate.validate);
	switch (rc) {
	case FW_PVALIDATE_SUCCESS:
		return vmm_kvm_complete_pvalidate(v->kvm, RT_PVALIDATE_SUCCESS, false) == 0;
	case FW_PVALIDATE_FAIL_NOCHANGE:
		return vmm_kvm_complete_pvalidate(v->kvm, RT_PVALIDATE_SUCCESS, true) == 0;
	case FW_PVALIDATE_FAIL_SIZEMISMATCH:
		return vmm_kvm_complete_pvalidate(v->kvm, RT_PVALIDATE_FAIL_SIZEMISMATCH, false) == 0;
	case FW_PVALIDATE_FAIL_INPUT:
		return vmm_kvm_complete_pvalidate(v->kvm, RT_PVALIDATE_FAIL_INPUT, false) == 0;
	case FW_PVALIDATE_RMP_FAULT:
	default:
		/* Hardware raises #NPF (RMP violation) here; the VMM reports it and stops the VM. */
		say(vm, "guest fault on vCPU %u: PVALIDATE of a hypervisor-owned page at gpa 0x%llx\n", v->id,
		    (unsigned long long)gpa);
		vmm_vm_stop(vm, KVM_STATUS_RMP_FAULT);
		return false;
	}
}

static bool do_rdmsr(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	if (e->msr.index == RT_MSR_GHCB)
		return vmm_kvm_complete_rdmsr(v->kvm, hv_vcpu_get_ghcb_msr(v->hv)) == 0;
	if (e->msr.index == RT_MSR_SEV_STATUS) {
		uint64_t st =
		    MSR_AMD64_SEV_ENABLED | MSR_AMD64_SEV_ES_ENABLED | (vm->snp ? MSR_AMD64_SEV_SNP_ENABLED : 0);
		return vmm_kvm_complete_rdmsr(v->kvm, st) == 0;
	}
	return true; /* unanswered: #GP */
}

static bool do_wrmsr(struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	/* Only the GHCB MSR is writable; SEV status is read-only (#GP, the unanswered default). */
	if (e->msr.index == RT_MSR_GHCB && hv_vcpu_set_ghcb_msr(v->hv, e->msr.value) == 0)
		return vmm_kvm_complete_wrmsr(v->kvm) == 0;
	return true;
}

static bool do_io(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	uint64_t bytes = (uint64_t)e->io.size * e->io.count;
	if (bytes > KVM_IO_MAX) {
		say(vm, "vCPU %u: port 0x%x access of %llu bytes is more than the VMM serves; stopping the VM\n", v->id,
		    e->io.port, (unsigned long long)bytes);
		vmm_vm_stop(vm, KVM_STATUS_MMIO);
		return false;
	}
	uint8_t buf[KVM_IO_MAX];
	if (!e->io.out) {
		vmm_handle_port(vm, v, e->io.port, true, buf, e->io.size, e->io.count);
		return vmm_kvm_complete_in(v->kvm, buf, bytes) == 0;
	}
	memcpy(buf, e->io.data, bytes);
	return vmm_handle_port(vm, v, e->io.port, false, buf, e->io.size, e->io.count);
}

/* Handles one exit; false ends the vCPU's thread. */
static bool handle(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_kvm_exit *e)
{
	char what[VMM_KVM_REASON_LEN + 64];
	atomic_fetch_add(&vm->exits_to_vmm, e->kind == VMM_KVM_EXIT_VMGEXIT ? 0 : 1);
	switch (e->kind) {
	case VMM_KVM_EXIT_VMGEXIT:
		return vmm_vcpu_vmgexit(v);
	case VMM_KVM_EXIT_PVALIDATE:
		return do_pvalidate(vm, v, e);
	case VMM_KVM_EXIT_RDMSR:
		return do_rdmsr(vm, v, e);
	case VMM_KVM_EXIT_WRMSR:
		return do_wrmsr(v, e);
	case VMM_KVM_EXIT_IO:
		return do_io(vm, v, e);
	case VMM_KVM_EXIT_INTR:
		return true; /* the loop checks whether the VM stops */
	case VMM_KVM_EXIT_HLT:
		if (v->id != 0)
			return false; /* an AP whose program returned: it just stops, as on sim */
		say(vm, "vCPU 0 halted; stopping the VM\n");
		vmm_vm_stop(vm, KVM_STATUS_HALTED);
		return false;
	case VMM_KVM_EXIT_EXCEPTION:
		vmm_kvm_exit_describe(e, what, sizeof(what));
		say(vm, "guest exception on vCPU %u: %s; stopping the VM\n", v->id, what);
		vmm_vm_stop(vm, KVM_STATUS_EXCEPTION + (int)e->exception.vector);
		return false;
	case VMM_KVM_EXIT_MMIO:
		vmm_kvm_exit_describe(e, what, sizeof(what));
		say(vm, "vCPU %u: %s outside RAM (SEV-ES guests reach MMIO through the GHCB); stopping the VM\n", v->id,
		    what);
		vmm_vm_stop(vm, KVM_STATUS_MMIO);
		return false;
	case VMM_KVM_EXIT_SHUTDOWN:
		say(vm, "vCPU %u: shutdown (triple fault); stopping the VM\n", v->id);
		vmm_vm_stop(vm, KVM_STATUS_HOST);
		return false;
	default: {
		/* INTERNAL_ERROR (KVM could not emulate an instruction), FAIL_ENTRY, anything else. */
		struct vmm_kvm_regs r;
		uint64_t rip = vmm_kvm_vcpu_get_regs(v->kvm, &r) == 0 ? r.rip : 0;
		vmm_kvm_exit_describe(e, what, sizeof(what));
		say(vm, "vCPU %u: KVM stopped the guest: %s at rip 0x%llx; stopping the VM\n", v->id, what,
		    (unsigned long long)rip);
		vmm_vm_stop(vm, KVM_STATUS_HOST);
		return false;
	}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	struct vmm_vm *vm = v->vm;
	struct vmm_kvm_exit e;
	while (!atomic_load(&vm->stopping)) {
		int rc = vmm_kvm_vcpu_run(v->kvm, &e);
		if (rc < 0) {
			say(vm, "vCPU %u: KVM_RUN failed: %s; stopping the VM\n", v->id, strerror(-rc));
			vmm_vm_stop(vm, KVM_STATUS_HOST);
			break;
		}
		if (!handle(vm, v, &e))
			break;
	}
	return NULL;
}

int vmm_kvm_start_vcpu(struct vmm_vm *vm, uint32_t id)
{
	int rc = 0;
	if (id >= vm->nvcpus)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	struct vmm_vcpu *v = &vm->vcpus[id];
	if (atomic_load(&vm->stopping)) {
		rc = -ECANCELED; /* the run loop may already be collecting threads to join */
	} else if (!v->started) {
		const struct vmm_kvm_regs regs = {.rip = vm->kvm_entry, .rdi = id, .rsi = vm->kvm_arg, .rflags = 2};
		if (!v->kvm)
			rc = vmm_kvm_vcpu_create(vm->kvm, id, &regs, NULL, &v->kvm);
		if (!rc)
			rc = -pthread_create(&v->thread, NULL, vcpu_thread, v);
		v->started = rc == 0;
	}
	pthread_mutex_unlock(&vm->lock);
	return rc;
}

/* Kicks vCPU thread v out of KVM_RUN until it ends, then joins it. */
static void stop_and_join(struct vmm_vm *vm, struct vmm_vcpu *v)
{
	for (;;) {
		vmm_kvm_vcpu_request_stop(v->kvm);
		pthread_kill(v->thread, kick_signal());
		pthread_mutex_lock(&vm->lock);
		pthread_cond_broadcast(&vm->cond); /* a parked AP (AP reset hold) waits on it */
		pthread_mutex_unlock(&vm->lock);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + KVM_JOIN_RETRY_NS;
		ts.tv_sec += (time_t)(ns / 1000000000u);
		ts.tv_nsec = (long)(ns % 1000000000u);
		if (pthread_timedjoin_np(v->thread, NULL, &ts) == 0)
			return;
	}
}

int vmm_kvm_backend_run(struct vmm_vm *vm)
{
	int rc = install_kick_handler();
	if (rc)
		return rc;
	/* The engine needs every vCPU to exist before AP creation names it (as sim.c). */
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vmm_vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		if (!v->hv && (rc = hv_vcpu_create(vm->hv, i, &v->hv)))
			return rc;
	}
	rc = vmm_kvm_start_vcpu(vm, 0);
	if (rc) {
		fprintf(vm->err, "snpemu: cannot start the kvm BSP: %s\n", strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	/* No vCPU starts once `stopping` is set (vmm_kvm_start_vcpu checks it under the lock). */
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].started)
			stop_and_join(vm, &vm->vcpus[i]);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The one exit handler every backend uses: what the VMM does with each exit of the engine's KVM-compatible ABI
 * (abi/run.h).  The handler fills the response fields; the backend then calls hv_vcpu_vmgexit() again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/le.h>
#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/run.h>
#include <snpemu/abi/runtime.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/names.h>

#include "vmm/vmm_internal.h"

#define VMM_ENOMEM_RETRIES 100 /* -ENOMEM retries of one VMGEXIT, 1 ms apart, before the VM stops */
#define COM1_LSR	   (SNPEMU_PORT_CONSOLE + 5) /* line status: bit 5 THR empty, bit 6 transmitter empty */

static void console_put(struct vmm_vm *vm, struct vmm_vcpu *v, const uint8_t *p, size_t n)
{
	/* Line-buffered per vCPU so that concurrent vCPUs do not interleave within a line. */
	for (size_t i = 0; i < n; i++) {
		uint32_t *len = &vm->console_len[v->id];
		uint8_t *line = vm->console_line[v->id];
		line[(*len)++] = p[i];
		if (p[i] == '\n' || *len == sizeof(vm->console_line[0])) {
			pthread_mutex_lock(&vm->lock);
			fwrite(line, 1, *len, vm->out);
			fflush(vm->out);
			pthread_mutex_unlock(&vm->lock);
			*len = 0;
		}
	}
}

/* SNPEMU_PORT_IDLE: the vCPU's thread sleeps until the time is up, the VM stops, or a pause begins (pause_all
 * broadcasts vm->cond after setting `pausing`, vm_stop after setting `stopping`). */
static void vcpu_idle(struct vmm_vm *vm, struct vmm_vcpu *v, uint32_t us)
{
	uint64_t ns = (uint64_t)(us < SNPEMU_IDLE_MAX_US ? us : SNPEMU_IDLE_MAX_US) * 1000, end = vmm_now_ns() + ns;
	if (vm->backend->idle_begin)
		vm->backend->idle_begin(v, ns);
	pthread_mutex_lock(&vm->lock);
	for (uint64_t now = vmm_now_ns(); now < end && !atomic_load(&vm->stopping) && !atomic_load(&vm->pausing);
	     now = vmm_now_ns()) {
		struct timespec ts = vmm_deadline_in(end - now);
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
	}
	pthread_mutex_unlock(&vm->lock);
	if (vm->backend->idle_end)
		vm->backend->idle_end(v);
}

bool vmm_handle_port(struct vmm_vm *vm, struct vmm_vcpu *v, uint16_t port, bool in, uint8_t *data, uint32_t size,
		     uint32_t count)
{
	size_t bytes = (size_t)size * count;
	if (port == SNPEMU_PORT_SERVICE_CTL || port == SNPEMU_PORT_SERVICE_DATA)
		return vmm_service_port(vm, port, in, data, size, count);
	if (in) {
		/* COM1 line status says "ready"; other ports float high, as on a PC with nothing there. */
		memset(data, port == COM1_LSR ? 0x60 : 0xFF, bytes);
		return true;
	}
	switch (port) {
	case SNPEMU_PORT_CONSOLE:
		console_put(vm, v, data, bytes);
		return true;
	case SNPEMU_PORT_EXIT:
		if (size != 4)
			break;
		vmm_vm_stop(vm, (int)le32_load(data));
		return false;
	case SNPEMU_PORT_DEBUG:
		pthread_mutex_lock(&vm->lock);
		fprintf(vm->err, "snpemu: vCPU %u debug 0x%x\n", v->id, size == 4 ? le32_load(data) : data[0]);
		pthread_mutex_unlock(&vm->lock);
		return true;
	case SNPEMU_PORT_IDLE:
		if (size == 4 && count == 1)
			vcpu_idle(vm, v, le32_load(data));
		return true;
	case SNPEMU_PORT_EXPORT:
		pthread_mutex_lock(&vm->lock);
		if (bytes <= sizeof(vm->exported) - vm->exported_len) {
			memcpy(vm->exported + vm->exported_len, data, bytes);
			vm->exported_len += (uint32_t)bytes;
		}
		pthread_mutex_unlock(&vm->lock);
		return true;
	default:
		break;
	}
	return true; /* OUTs to nothing are dropped, as on a PC */
}

static bool handle_io(struct vmm_vm *vm, struct vmm_vcpu *v, struct snpemu_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	size_t bytes = (size_t)run->io.size * run->io.count;
	if (run->io.data_offset != SNPEMU_RUN_PIO_OFFSET || bytes > SNPEMU_RUN_PIO_SIZE) {
		fprintf(vm->err, "snpemu: malformed IO exit (offset %llu, %zu bytes)\n",
			(unsigned long long)run->io.data_offset, bytes);
		vmm_vm_stop(vm, SNPEMU_STATUS_UNSERVED);
		return false;
	}
	return vmm_handle_port(vm, v, run->io.port, run->io.direction == SNPEMU_EXIT_IO_IN, data, run->io.size,
			       run->io.count);
}

static bool handle_mmio(struct vmm_vm *vm, struct snpemu_run *run)
{
	uint64_t gpa = run->mmio.phys_addr;
	uint32_t len = run->mmio.len <= 8 ? run->mmio.len : 8;
	bool test_dev = gpa >= SNPEMU_MMIO_TEST_GPA && gpa + len <= SNPEMU_MMIO_TEST_GPA + 4096;
	if (run->mmio.is_write) {
		if (test_dev)
			memcpy(vm->mmio_reg, run->mmio.data, len);
		return true;
	}
	/* The test device: offset 0 reads back the last write, other offsets read their own address bytes. */
	for (uint32_t i = 0; i < len; i++) {
		uint64_t a = gpa + i;
		if (!test_dev)
			run->mmio.data[i] = 0xFF;
		else if (a - SNPEMU_MMIO_TEST_GPA < 8)
			run->mmio.data[i] = vm->mmio_reg[a - SNPEMU_MMIO_TEST_GPA];
		else
			run->mmio.data[i] = (uint8_t)(a >> (8 * (i % 4)));
	}
	return true;
}

static bool handle_msr(struct vmm_vm *vm, struct snpemu_run *run, bool write)
{
	/* The VMM emulates the TSC (a monotonic nanosecond count); other MSRs #GP. */
	if (run->msr.index == 0x10) {
		if (!write)
			run->msr.data = vmm_now_ns() - vm->t0_ns;
		run->msr.error = write; /* the guest may not set the TSC */
		return true;
	}
	run->msr.error = 1;
	return true;
}

static bool handle_hypercall(struct vmm_vm *vm, struct snpemu_run *run)
{
	atomic_fetch_add(&vm->hypercalls, 1);
	if (run->hypercall.nr != SNPEMU_HC_MAP_GPA_RANGE) {
		run->hypercall.ret = (uint64_t)-1000; /* -KVM_ENOSYS */
		return true;
	}
	uint64_t gpa = run->hypercall.args[0], npages = run->hypercall.args[1], attrs = run->hypercall.args[2];
	if (!vm->snp) {
		run->hypercall.ret = 0; /* SEV-ES: nothing to track but the request itself */
		return true;
	}
	/* The page-state map is the firmware model's RMP, updated as KVM_SET_MEMORY_ATTRIBUTES + RMPUPDATE would. */
	int rc = hv_map_gpa_range_apply(fw_guest_rmp(vm->fw_guest), run);
	(void)attrs;
	/* A page that changed hands travels differently (plaintext / firmware record): a migration resends it. */
	if (!rc && npages <= vm->mem_size / 4096)
		vmm_dirty_mark(vm, gpa, npages * 4096);
	run->hypercall.ret = rc ? (uint64_t)(int64_t)-22 : 0; /* -KVM_EINVAL */
	return true;
}

void vmm_memory_fault(struct vmm_vm *vm, struct vmm_vcpu *v, const struct vmm_mem_fault *f)
{
	vmm_say(vm, "memory fault on vCPU %u: gpa 0x%llx size 0x%llx flags 0x%llx%s; stopping the VM\n", v->id,
		(unsigned long long)f->gpa, (unsigned long long)f->size, (unsigned long long)f->flags,
		f->flags & SNPEMU_MEMORY_EXIT_FLAG_PRIVATE ? " (private)" : "");
	vmm_vm_stop_for(vm, &(struct vmm_stop){.status = SNPEMU_STATUS_MEMORY_FAULT, .memory_fault = true});
}

static const char *const linux_term_codes[] = {
    "register", "PSC",		"PVALIDATE", "not VMPL0",     "CPUID",
    "CPUID_HV", "secrets page", "no SVSM",   "SVSM at VMPL0", "SVSM CAA",
};
static const char *const gen_term_codes[] = {"general request", "protocol unsupported", "SNP unsupported"};

void vmm_print_termination(struct vmm_vm *vm, uint32_t set, uint32_t code)
{
	const char *set_name = set == SEV_TERM_SET_GEN ? "general" : set == SEV_TERM_SET_LINUX ? "Linux" : "other";
	const char *code_name = "unknown";
	if (set == SEV_TERM_SET_GEN && code < 3)
		code_name = gen_term_codes[code];
	else if (set == SEV_TERM_SET_LINUX && code < 10)
		code_name = linux_term_codes[code];
	pthread_mutex_lock(&vm->lock);
	fprintf(vm->msg, "guest requested termination: set %u (%s), code %u (%s)\n", set, set_name, code, code_name);
	pthread_mutex_unlock(&vm->lock);
}

static bool handle_system_event(struct vmm_vm *vm, struct snpemu_run *run)
{
	if (run->system_event.type != SNPEMU_SYSTEM_EVENT_SEV_TERM) {
		vmm_vm_stop(vm, SNPEMU_STATUS_SYSTEM_EVENT);
		return false;
	}
	uint32_t set = 0, code = 0;
	if (run->system_event.ndata >= 3) {
		set = (uint32_t)run->system_event.data[1];
		code = (uint32_t)run->system_event.data[2];
	}
	vmm_print_termination(vm, set, code);
	/* A distinct, non-zero status: set*16 + code bits above SNPEMU_STATUS_TERMINATED (abi/runtime.h). */
	vmm_vm_stop_for(vm,
			&(struct vmm_stop){.status = SNPEMU_STATUS_TERMINATED + (int)((set & 0x3) << 4 | (code & 0xF)),
					   .terminated = true,
					   .term_set = set,
					   .term_code = code});
	return false;
}

bool vmm_handle_exit(struct vmm_vm *vm, struct vmm_vcpu *v)
{
	struct snpemu_run *run = hv_vcpu_run(v->hv);
	atomic_fetch_add(&vm->exits_to_vmm, 1);
	switch (run->exit_reason) {
	case SNPEMU_EXIT_IO:
		return handle_io(vm, v, run);
	case SNPEMU_EXIT_MMIO:
		return handle_mmio(vm, run);
	case SNPEMU_EXIT_X86_RDMSR:
		return handle_msr(vm, run, false);
	case SNPEMU_EXIT_X86_WRMSR:
		return handle_msr(vm, run, true);
	case SNPEMU_EXIT_HYPERCALL:
		return handle_hypercall(vm, run);
	case SNPEMU_EXIT_SYSTEM_EVENT:
		return handle_system_event(vm, run);
	case SNPEMU_EXIT_MEMORY_FAULT: {
		const struct vmm_mem_fault f = {run->memory_fault.flags, run->memory_fault.gpa, run->memory_fault.size};
		vmm_memory_fault(vm, v, &f);
		return false;
	}
	case SNPEMU_EXIT_AP_RESET_HOLD:
		/* The AP parks until the VM stops (no INIT-SIPI is modelled after the program ends). */
		pthread_mutex_lock(&vm->lock);
		atomic_store(&v->ap_state, VMM_AP_RESET_HOLD);
		pthread_cond_broadcast(&vm->cond); /* a pause_all counts it as held */
		while (!atomic_load(&vm->stopping))
			pthread_cond_wait(&vm->cond, &vm->lock);
		pthread_mutex_unlock(&vm->lock);
		return false;
	case SNPEMU_EXIT_SNP_REQ_CERTS:
		return vmm_handle_req_certs(vm, v, run);
	case SNPEMU_EXIT_INTERNAL_ERROR:
		pthread_mutex_lock(&vm->lock);
		fprintf(vm->msg, "engine internal-error exit on vCPU %u: suberror %u data 0x%llx 0x%llx 0x%llx\n",
			v->id, run->internal.suberror, (unsigned long long)run->internal.data[0],
			(unsigned long long)run->internal.data[1], (unsigned long long)run->internal.data[2]);
		pthread_mutex_unlock(&vm->lock);
		vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
		return false;
	default: {
		const char *n = snpemu_exit_reason_name(run->exit_reason);
		fprintf(vm->err, "snpemu: unexpected exit %u (%s) on vCPU %u\n", run->exit_reason, n ? n : "?", v->id);
		vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
		return false;
	}
	}
}

/* The trace clock (trace.c): the backend's virtual one (deterministic runs, deterministic traces) or the host's. */
static uint64_t trace_now(struct vmm_vcpu *v)
{
	return vmm_trace_virtual(v->vm) ? v->vm->backend->trace_clock_ns(v) : vmm_now_ns() - v->vm->t0_ns;
}

static void record(struct vmm_vcpu *v, uint64_t code, uint64_t start, uint64_t end)
{
	v->vmgexits++;
	if (!v->vm->cfg.trace_file)
		return;
	if (!v->trace) {
		v->trace = calloc(VMM_TRACE_MAX_PER_VCPU, sizeof(*v->trace));
		if (!v->trace)
			return;
	}
	if (v->ntrace < VMM_TRACE_MAX_PER_VCPU)
		v->trace[v->ntrace++] = (struct vmm_trace_event){start, end - start, code};
}

bool vmm_vcpu_vmgexit(struct vmm_vcpu *v)
{
	struct vmm_vm *vm = v->vm;
	atomic_store(&v->at_vmgexit, true);
	bool go_on = vmm_vcpu_pause_point(v);
	atomic_store(&v->at_vmgexit, false);
	if (!go_on)
		return false;
	uint64_t start = trace_now(v);
	unsigned int enomem_retries = 0;
	for (;;) {
		int rc = hv_vcpu_vmgexit(v->hv);
		if (rc == 1)
			break;
		if (rc == -ENOMEM && enomem_retries++ < VMM_ENOMEM_RETRIES) {
			/* The engine could not allocate host memory; the VMGEXIT stays pending and the next call
			 * retries it (hv.h).  Give the host a moment before giving up on the VM. */
			nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
			continue;
		}
		if (rc < 0) {
			fprintf(vm->err, "snpemu: engine error %d on vCPU %u\n", rc, v->id);
			vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
			return false;
		}
		if (!vmm_handle_exit(vm, v))
			return false;
	}
	/* The event as the engine read it (its snapshot), never re-read from guest memory. */
	record(v, hv_vcpu_last_event(v->hv), start, trace_now(v));
	return true;
}

bool vmm_vcpu_pvalidate(struct vmm_vcpu *v, uint64_t gpa, bool size2m, bool validate, uint32_t *rc, bool *no_update)
{
	struct vmm_vm *vm = v->vm;
	*no_update = false;
	*rc = SNPEMU_PVALIDATE_FAIL_INPUT;
	if (!vm->fw_guest) {
		/* SEV-ES has no PVALIDATE: the instruction would #UD. */
		vmm_say(vm, "guest exception on vCPU %u: PVALIDATE in an SEV-ES VM (#UD)\n", v->id);
		vmm_vm_stop(vm, SNPEMU_STATUS_EXCEPTION + 6);
		return false;
	}
	enum fw_pvalidate_rc pv = fw_rmp_pvalidate(fw_guest_rmp(vm->fw_guest), gpa, size2m, validate);
	vmm_dirty_mark(vm, gpa, size2m ? 2ull << 20 : 4096); /* after the change: its page state may differ now */
	switch (pv) {
	case FW_PVALIDATE_SUCCESS:
		*rc = SNPEMU_PVALIDATE_SUCCESS;
		return true;
	case FW_PVALIDATE_FAIL_NOCHANGE:
		*rc = SNPEMU_PVALIDATE_SUCCESS;
		*no_update = true;
		return true;
	case FW_PVALIDATE_FAIL_SIZEMISMATCH:
		*rc = SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH;
		return true;
	case FW_PVALIDATE_FAIL_INPUT:
		return true;
	case FW_PVALIDATE_RMP_FAULT:
	default:
		/* Hardware raises #NPF (RMP violation) here; the VMM reports it and stops the VM. */
		vmm_say(vm, "guest fault on vCPU %u: PVALIDATE of a hypervisor-owned page at gpa 0x%llx\n", v->id,
			(unsigned long long)gpa);
		vmm_vm_stop(vm, SNPEMU_STATUS_MEMORY_FAULT);
		return false;
	}
}

void vmm_say(struct vmm_vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&vm->lock);
	vfprintf(vm->msg, fmt, ap);
	fflush(vm->msg);
	pthread_mutex_unlock(&vm->lock);
	va_end(ap);
}

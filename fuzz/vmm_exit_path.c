/* SPDX-License-Identifier: MIT */
/*
 * The VMM's whole exit path under fuzzed guest state: vmm_vcpu_vmgexit() (the world switch every backend calls)
 * with the engine and the one exit handler behind it, on a sim-backend SNP VM.  The input is a sequence of events,
 * each a GHCB MSR value and the bytes the guest left in the page that value names (written through the guest's
 * own view of its memory), plus page-state flips of guest RAM.  Whatever the bytes, the VMM must neither crash nor
 * touch memory outside guest RAM (ASan, and the guard pages), and a VMGEXIT either resumes or stops the VM.
 *
 * Input: repeated records { u8 op; u64 value (LE); u16 len (LE); len bytes }: op & 3 == 0: VMGEXIT with GHCB MSR =
 * value after writing the bytes at (value & ~0xFFF) when that page is guest RAM; 1: make the page at value private;
 * 2: make it shared; 3: VMGEXIT without writing.  At most 16 records.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/le.h>

#include "vmm/vmm_internal.h"

#define MAX_EVENTS 16

struct event {
	uint8_t op;
	uint64_t value;
	const uint8_t *bytes;
	uint16_t len;
};

static struct vmm_vm *vm;
static struct vmm_result res;

static int no_program(const void *p, const struct gst_platform *plat, uint32_t cpu, const struct snpemu_boot_info *b)
{
	(void)p, (void)plat, (void)cpu, (void)b;
	return 0;
}

static struct vmm_vm *vm_once(void)
{
	if (vm)
		return vm;
	struct vmm_config cfg;
	vmm_config_default(&cfg);
	/* The program never runs here: the harness plays the guest.  Its sim entry only has to exist. */
	static const struct vmm_program program = {.name = "fuzz", .sim_run = no_program};
	cfg.program = &program;
	cfg.mem_size = SNPEMU_MIN_MEM;
	cfg.out = cfg.err = fopen("/dev/null", "w");
	vm = calloc(1, sizeof(*vm));
	if (!cfg.out || !vm || vmm_vm_init(vm, &cfg, &res))
		abort(); /* the harness itself could not start */
	vm->backend = &vmm_backend_sim;
	struct vmm_vcpu *v = &vm->vcpus[0];
	v->vm = vm;
	v->id = 0;
	if (hv_vcpu_create(vm->hv, 0, &v->hv))
		abort();
	return vm;
}

/* Every iteration starts from the same VM: running, RAM shared, the vCPU reset, no exported data. */
static void reset(struct vmm_vm *m)
{
	m->stopped = false;
	atomic_store(&m->stopping, false);
	atomic_store(&m->vcpus[0].ap_state, VMM_AP_RUNNING);
	m->exported_len = 0;
	m->console_len[0] = 0;
	hv_vcpu_reset(m->vcpus[0].hv);
	struct fw_rmp *rmp = fw_guest_rmp(m->fw_guest);
	if (fw_rmp_count(rmp, FW_PAGE_PRIVATE) || fw_rmp_count(rmp, FW_PAGE_VALIDATED))
		fw_rmp_set_private(rmp, 0, m->mem_size / 4096, false);
}

/* One job per fuzz input, run on a persistent vCPU thread (thread creation would dominate the cost). */
struct vcpu_run {
	struct event ev[MAX_EVENTS];
	size_t n;
	uint64_t posted, done; /* job generations, under vm->lock */
};
static struct vcpu_run job;

static void run_events(const struct vcpu_run *r)
{
	struct vmm_vcpu *v = &vm->vcpus[0];
	struct fw_rmp *rmp = fw_guest_rmp(vm->fw_guest);
	for (size_t i = 0; i < r->n; i++) {
		const struct event *e = &r->ev[i];
		uint64_t page = e->value & ~0xFFFull;
		switch (e->op & 3) {
		case 0: {
			uint8_t *p = vmm_guest_ptr(vm, page, 4096, VMM_ACCESS_GUEST, NULL);
			if (p)
				memcpy(p, e->bytes, e->len);
		}
		/* fall through */
		case 3:
			if (hv_vcpu_set_ghcb_msr(v->hv, e->value) == 0 && !vmm_vcpu_vmgexit(v))
				return;
			break;
		case 1:
		case 2:
			fw_rmp_set_private(rmp, page, 1, (e->op & 3) == 1);
			break;
		}
	}
}

static void *vcpu_thread(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&vm->lock);
		while (job.posted == job.done)
			pthread_cond_wait(&vm->cond, &vm->lock);
		pthread_mutex_unlock(&vm->lock);
		run_events(&job);
		pthread_mutex_lock(&vm->lock);
		job.done = job.posted;
		pthread_cond_broadcast(&vm->cond);
		pthread_mutex_unlock(&vm->lock);
	}
	return NULL;
}

static size_t parse(const uint8_t *data, size_t size, struct event *ev)
{
	size_t n = 0;
	while (n < MAX_EVENTS && size >= 11) {
		ev[n].op = data[0];
		ev[n].value = le64_load(data + 1);
		uint16_t len = (uint16_t)(data[9] | data[10] << 8);
		data += 11, size -= 11;
		if (len > 4096)
			len = 4096;
		if (len > size)
			len = (uint16_t)size;
		ev[n].bytes = data;
		ev[n].len = len;
		data += len, size -= len;
		n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm_vm *m = vm_once();
	reset(m);
	static pthread_t t;
	if (!t && pthread_create(&t, NULL, vcpu_thread, NULL))
		abort();
	pthread_mutex_lock(&m->lock);
	job.n = parse(data, size, job.ev);
	job.posted++;
	pthread_cond_broadcast(&m->cond);
	/* An AP reset hold parks the vCPU until the VM stops, as in a real run: stop it then. */
	while (job.done != job.posted && atomic_load(&m->vcpus[0].ap_state) != VMM_AP_RESET_HOLD)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
	vmm_vm_stop(m, 0);
	pthread_mutex_lock(&m->lock);
	while (job.done != job.posted)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The backend operations live migration needs (src/vmm/backend.h): pause_all / resume_all, save_vcpu /
 * restore_vcpu and the dirty log, on sim and on kvm (each kvm test skips with one line where /dev/kvm is
 * unusable), against the ticker guest program, which writes 16 data pages in turn and counts its steps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/programs.h>

#include "vmm/vmm_internal.h"

#define TICKER_PAGES 16u
#define WAIT_NS	     (10ull * 1000 * 1000 * 1000)

struct live {
	struct vmm_vm *vm;
	struct vmm_result res;
	FILE *devnull;
};

/* The ticker's step count (it stores it with release order). */
static uint64_t ticker_count(struct vmm_vm *vm)
{
	uint64_t *c = vmm_guest_ptr(vm, SNPEMU_FREE_GPA + TICKER_PAGES * 4096ull, 8, VMM_ACCESS_GUEST, NULL);
	return __atomic_load_n(c, __ATOMIC_ACQUIRE);
}

/* Starts the ticker on `backend`; false (and a one-line skip) when that backend cannot run here. */
static bool start(struct live *l, enum vmm_backend_kind backend)
{
	char reason[256];
	const struct vmm_backend *b = vmm_backend_find(backend);
	assert_non_null(b);
	if (b->probe && b->probe(reason, sizeof(reason))) {
		print_message("[ SKIP     ] %s\n", reason);
		return false;
	}
	struct vmm_config cfg;
	vmm_config_default(&cfg);
	cfg.program = snpemu_program_find("ticker");
	cfg.backend = backend;
	cfg.quiet = true;
	l->devnull = fopen("/dev/null", "w");
	cfg.out = cfg.err = l->devnull;
	l->vm = calloc(1, sizeof(*l->vm));
	assert_non_null(l->vm);
	assert_int_equal(vmm_vm_prepare(l->vm, &cfg, &l->res), 0);
	assert_int_equal(vmm_vcpus_start(l->vm), 0);
	return true;
}

static void finish(struct live *l)
{
	vmm_vm_stop(l->vm, 0);
	vmm_vcpus_join(l->vm);
	vmm_vm_release(l->vm);
	free(l->vm);
	fclose(l->devnull);
}

/* Waits until the ticker's count passes `beyond`; fails the test after WAIT_NS. */
static uint64_t wait_past(struct vmm_vm *vm, uint64_t beyond)
{
	struct timespec pause = {0, 1000 * 1000};
	for (uint64_t waited = 0; waited < WAIT_NS; waited += 1000 * 1000) {
		uint64_t c = ticker_count(vm);
		if (c > beyond)
			return c;
		nanosleep(&pause, NULL);
	}
	fail_msg("the ticker did not get past %llu", (unsigned long long)beyond);
	return 0;
}

static void pause_save_restore(enum vmm_backend_kind backend)
{
	struct live l;
	if (!start(&l, backend))
		skip();
	struct vmm_vm *vm = l.vm;
	const struct vmm_backend *b = vm->backend;
	struct vmm_vcpu *v = &vm->vcpus[0];
	wait_past(vm, 50);

	/* Paused: the count stands still. */
	assert_int_equal(b->pause_all(vm), 0);
	uint64_t held = ticker_count(vm);
	usleep(30 * 1000);
	assert_int_equal(ticker_count(vm), held);

	/* The state every backend holds: the GHCB MSR (the registered GHCB) and the AP state. */
	struct vmm_vcpu_state st;
	assert_int_equal(b->save_vcpu(v, &st), 0);
	assert_true((st.valid & (VMM_VCPU_STATE_GHCB_MSR | VMM_VCPU_STATE_AP)) ==
		    (VMM_VCPU_STATE_GHCB_MSR | VMM_VCPU_STATE_AP));
	assert_int_equal(st.id, 0);
	assert_int_equal(st.ghcb_msr, SNPEMU_GHCB_GPA(0));
	assert_int_equal(st.ap_state, VMM_AP_RUNNING);
	if (backend == VMM_BACKEND_KVM || backend == VMM_BACKEND_TCG) {
		/* Registers too: the ticker runs at CPL 3 in its image. */
		assert_true(st.valid & VMM_VCPU_STATE_REGS);
		assert_true(st.valid & VMM_VCPU_STATE_SREGS);
		assert_true(st.regs.rip >= SNPEMU_IMAGE_GPA && st.regs.rip < SNPEMU_BOOT_INFO_GPA);
		assert_int_equal(st.sregs.cs.selector & 3, 3);
		/* x87/SSE state: the reset values (the ticker uses neither), and a state loaded is the state read back,
		 * TOP-relative ST registers, tags, XMM8-15 and the pointers included. */
		assert_true(st.valid & VMM_VCPU_STATE_FPU);
		assert_int_equal(st.fpu.fcw, 0x37F);
		assert_int_equal(st.fpu.mxcsr, 0x1F80);
		struct vmm_vcpu_state fp = st, back;
		fp.fpu.fsw = 5u << 11; /* TOP 5 */
		fp.fpu.ftwx = 0x81;    /* physical registers 0 and 7 in use */
		fp.fpu.fcw = 0x27F;
		fp.fpu.mxcsr = 0x3F80; /* round down */
		for (int i = 0; i < 16; i++)
			memset(fp.fpu.xmm[i], 0xA0 + i, 16);
		const uint8_t pi[10] = {0x35, 0xC2, 0x68, 0x21, 0xA2, 0xDA, 0x0F, 0xC9, 0x00, 0x40}; /* 3.14159... */
		memcpy(fp.fpu.fpr[0], pi, 10);
		memcpy(fp.fpu.fpr[2], pi, 10);
		fp.fpu.fpr[2][0] ^= 1;
		fp.fpu.last_ip = 0x401234;
		fp.fpu.last_dp = 0x605678;
		fp.fpu.last_opcode = 0x1D9;
		assert_int_equal(b->restore_vcpu(v, &fp), 0);
		assert_int_equal(b->save_vcpu(v, &back), 0);
		assert_memory_equal(&back.fpu, &fp.fpu, sizeof(fp.fpu));
	} else {
		/* sim: the registers are a host thread's, which no backend can load. */
		assert_false(st.valid & (VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS));
		struct vmm_vcpu_state regs = st;
		regs.valid |= VMM_VCPU_STATE_REGS;
		assert_int_equal(b->restore_vcpu(v, &regs), -ENOTSUP);
	}
	struct vmm_vcpu_state other = st;
	other.id = 1;
	assert_int_equal(b->restore_vcpu(v, &other), -EINVAL);
	/* Loading what was saved leaves the guest running as before. */
	assert_int_equal(b->restore_vcpu(v, &st), 0);

	b->resume_all(vm);
	wait_past(vm, held);
	finish(&l);
}

static unsigned int count_bits(const uint64_t *bitmap, size_t words)
{
	unsigned int n = 0;
	for (size_t i = 0; i < words; i++)
		n += (unsigned int)__builtin_popcountll(bitmap[i]);
	return n;
}

static bool bit(const uint64_t *bitmap, uint64_t page)
{
	return bitmap[page / 64] >> (page % 64) & 1;
}

static void dirty_log(enum vmm_backend_kind backend)
{
	struct live l;
	if (!start(&l, backend))
		skip();
	struct vmm_vm *vm = l.vm;
	const struct vmm_backend *b = vm->backend;
	size_t words = VMM_DIRTY_WORDS(vm->mem_size);
	uint64_t *bitmap = calloc(words, sizeof(*bitmap));
	assert_non_null(bitmap);
	/* Once the ticker counts, the program's start-up (which writes memory of its own) is over. */
	wait_past(vm, 0);
	/* The backend's log and the VMM's own (dirty_vmm.c), as migration uses them. */
	int rc = vmm_dirty_log_start(vm);
	if (rc == -ENOTSUP || rc == -EPERM) {
		/* sim: a kernel without asynchronous userfaultfd write-protect, or userfaultfd not allowed to this user
		 * (vm.unprivileged_userfaultfd = 0 without CAP_SYS_PTRACE). */
		print_message("[ SKIP     ] %s: no dirty-log mechanism here (%s)\n", b->name, strerror(-rc));
		free(bitmap);
		finish(&l);
		skip();
	}
	assert_int_equal(rc, 0);
	uint64_t c = wait_past(vm, 0);
	wait_past(vm, c + 2 * TICKER_PAGES);

	/* Paused: every page the ticker wrote is dirty, a page nothing touches is clean. */
	assert_int_equal(b->pause_all(vm), 0);
	assert_int_equal(vmm_dirty_log_get(vm, bitmap, words, NULL), 0);
	const uint64_t first = SNPEMU_FREE_GPA / 4096;
	for (uint64_t q = 0; q < vm->mem_size / 4096 && getenv("DIRTY_SHOW"); q++)
		if (bit(bitmap, q))
			print_message("dirty 0x%llx\n", (unsigned long long)q);
	for (uint64_t p = first; p <= first + TICKER_PAGES; p++)
		assert_true(bit(bitmap, p));
	assert_false(bit(bitmap, vm->mem_size / 4096 / 2)); /* free RAM on every backend (tcg: the top is the stack) */
	unsigned int dirty = count_bits(bitmap, words);
	print_message("%s: %u dirty pages after %llu ticker steps\n", b->name, dirty,
		      (unsigned long long)ticker_count(vm));

	/* The get cleared the log, and nothing runs while paused. */
	assert_int_equal(vmm_dirty_log_get(vm, bitmap, words, NULL), 0);
	assert_int_equal(count_bits(bitmap, words), 0);
	assert_int_equal(b->dirty_log_get(vm, bitmap, words - 1), -ENOSPC);

	/* What the VMM marks itself (its writes through the checked accessor, page-state changes) is in the log on
	 * every backend: that is how kvm's log gets the VMM's and the engine's writes, which KVM does not see. */
	vmm_dirty_mark(vm, SNPEMU_FREE_GPA + 41 * 4096ull, 4096);
	if (b->dirty_log_peek) { /* a peek sees the mark and leaves it for the get */
		memset(bitmap, 0, words * sizeof(*bitmap));
		assert_int_equal(vmm_dirty_log_peek(vm, SNPEMU_FREE_GPA, 64 * 4096ull, bitmap), 0);
		assert_int_equal(count_bits(bitmap, words), 1);
		assert_true(bit(bitmap, first + 41));
	}
	assert_int_equal(vmm_dirty_log_get(vm, bitmap, words, NULL), 0);
	assert_int_equal(count_bits(bitmap, words), 1);
	assert_true(bit(bitmap, first + 41));
	/* sim and tcg track the VMM's own writes to guest RAM by the kernel's write tracking of the one mapping every
	 * writer uses (tcg: each Unicorn instance maps it), without the VMM marking anything. */
	if (backend == VMM_BACKEND_SIM || backend == VMM_BACKEND_TCG) {
		uint8_t *p = vmm_guest_ptr(vm, SNPEMU_FREE_GPA + 40 * 4096ull, 1, VMM_ACCESS_GUEST, NULL);
		*p ^= 1;
		/* A peek (twice: it clears nothing) sees the write inside its range only; then the get returns it. */
		for (int k = 0; k < 2; k++) {
			memset(bitmap, 0, words * sizeof(*bitmap));
			assert_int_equal(vmm_dirty_log_peek(vm, SNPEMU_FREE_GPA + 32 * 4096ull, 16 * 4096ull, bitmap),
					 0);
			assert_int_equal(count_bits(bitmap, words), 1);
			assert_true(bit(bitmap, first + 40));
		}
		memset(bitmap, 0, words * sizeof(*bitmap));
		assert_int_equal(vmm_dirty_log_peek(vm, SNPEMU_FREE_GPA + 41 * 4096ull, 16 * 4096ull, bitmap), 0);
		assert_int_equal(count_bits(bitmap, words), 0);
		assert_int_equal(vmm_dirty_log_peek(vm, 4096, vm->mem_size, bitmap), -EINVAL);
		assert_int_equal(vmm_dirty_log_get(vm, bitmap, words, NULL), 0);
		assert_int_equal(count_bits(bitmap, words), 1);
		assert_true(bit(bitmap, first + 40));
		memset(bitmap, 0, words * sizeof(*bitmap));
		assert_int_equal(vmm_dirty_log_peek(vm, SNPEMU_FREE_GPA, 64 * 4096ull, bitmap), 0);
		assert_int_equal(count_bits(bitmap, words), 0);
	}

	/* Resumed, the ticker dirties its pages again. */
	b->resume_all(vm);
	c = ticker_count(vm);
	wait_past(vm, c + 2 * TICKER_PAGES);
	assert_int_equal(b->pause_all(vm), 0);
	assert_int_equal(vmm_dirty_log_get(vm, bitmap, words, NULL), 0);
	assert_true(bit(bitmap, first) && bit(bitmap, first + TICKER_PAGES - 1));
	b->resume_all(vm);
	vmm_dirty_log_stop(vm);
	free(bitmap);
	finish(&l);
}

/* The chooser: a named backend if its probe passes, else -ENODEV with the probe's reason; auto: the first in
 * preference order that runs here, with a note naming it (and why the preferred one could not). */
static void test_chooser(void **state)
{
	(void)state;
	char *note = NULL, *err = NULL;
	size_t note_len, err_len;
	FILE *nf = open_memstream(&note, &note_len), *ef = open_memstream(&err, &err_len);
	assert_non_null(nf);
	assert_non_null(ef);
	const struct vmm_backend *b = NULL;
	assert_int_equal(vmm_backend_choose(VMM_BACKEND_SIM, nf, ef, &b), 0);
	assert_ptr_equal(b, &vmm_backend_sim);
	assert_int_equal(vmm_backend_choose((enum vmm_backend_kind)99, nf, ef, &b), -EINVAL);
	char reason[256];
	bool kvm_here = vmm_backend_kvm.probe(reason, sizeof(reason)) == 0;
	int rc = vmm_backend_choose(VMM_BACKEND_KVM, nf, ef, &b);
	assert_int_equal(rc, kvm_here ? 0 : -ENODEV);
	assert_int_equal(vmm_backend_choose(VMM_BACKEND_AUTO, nf, ef, &b), 0);
#ifdef SNPEMU_HAVE_TCG
	const struct vmm_backend *fallback = &vmm_backend_tcg; /* auto: kvm, else tcg where built */
	const char *fallback_note = "snpemu: backend auto: tcg (";
#else
	const struct vmm_backend *fallback = &vmm_backend_sim;
	const char *fallback_note = "snpemu: backend auto: sim (";
#endif
	assert_ptr_equal(b, kvm_here ? &vmm_backend_kvm : fallback);
	fclose(nf);
	fclose(ef);
	if (!kvm_here) {
		assert_non_null(strstr(err, "snpemu: the kvm backend cannot run here: "));
		assert_non_null(strstr(note, fallback_note));
		assert_non_null(strstr(note, reason));
	} else {
		assert_non_null(strstr(note, "snpemu: backend auto: kvm (/dev/kvm runs guests)"));
	}
	assert_string_equal(vmm_backend_name(VMM_BACKEND_SIM), "sim");
	assert_string_equal(vmm_backend_name(VMM_BACKEND_AUTO), "auto");
	free(note);
	free(err);
}

static void test_sim_pause_save_restore(void **state)
{
	(void)state;
	pause_save_restore(VMM_BACKEND_SIM);
}

static void test_sim_dirty_log(void **state)
{
	(void)state;
	dirty_log(VMM_BACKEND_SIM);
}

static void test_kvm_pause_save_restore(void **state)
{
	(void)state;
	pause_save_restore(VMM_BACKEND_KVM);
}

static void test_kvm_dirty_log(void **state)
{
	(void)state;
	dirty_log(VMM_BACKEND_KVM);
}

/* tcg: paused at its exit loop (a kick makes the vCPU leave guest code at the next translation block). */
static void test_tcg_pause_save_restore(void **state)
{
	(void)state;
#ifdef SNPEMU_HAVE_TCG
	pause_save_restore(VMM_BACKEND_TCG);
#else
	print_message("[ SKIP     ] the tcg backend is not built (no libunicorn)\n");
	skip();
#endif
}

/* tcg: guest code runs in Unicorn over the VMM's mapping of guest RAM, so the userfaultfd log sees its writes. */
static void test_tcg_dirty_log(void **state)
{
	(void)state;
#ifdef SNPEMU_HAVE_TCG
	dirty_log(VMM_BACKEND_TCG);
#else
	print_message("[ SKIP     ] the tcg backend is not built (no libunicorn)\n");
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chooser),	  cmocka_unit_test(test_sim_pause_save_restore),
	    cmocka_unit_test(test_sim_dirty_log), cmocka_unit_test(test_kvm_pause_save_restore),
	    cmocka_unit_test(test_kvm_dirty_log), cmocka_unit_test(test_tcg_pause_save_restore),
	    cmocka_unit_test(test_tcg_dirty_log),
	};
	return cmocka_run_group_tests_name("vmm/backend_ops", tests, NULL, NULL);
}

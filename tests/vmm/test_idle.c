/* SPDX-License-Identifier: MIT */
/*
 * SNPEMU_PORT_IDLE (abi/runtime.h): an OUT of 4 bytes idles the vCPU's thread for that many microseconds, at most
 * SNPEMU_IDLE_MAX_US, and comes back early when the VM stops or a pause begins (vmm_vcpus_pause), so that neither
 * waits for an idle vCPU.  Other sizes are ignored, as any OUT to nothing.  Bounds here are semantic (at least the
 * time asked; far less than the time asked when woken), never speed limits.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/vmm_internal.h"

/* The backend's idle hooks: what they were told, in order (a begin always has its end). */
static uint64_t begun_ns, begins, ends;

static void fake_idle_begin(struct vmm_vcpu *v, uint64_t ns)
{
	(void)v;
	assert_int_equal(begins, ends);
	begun_ns = ns;
	begins++;
}

static void fake_idle_end(struct vmm_vcpu *v)
{
	(void)v;
	ends++;
	assert_int_equal(begins, ends);
}

static const struct vmm_backend fake_backend = {
    .name = "fake", .idle_begin = fake_idle_begin, .idle_end = fake_idle_end};

static int setup(void **state)
{
	struct vmm_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -1;
	vm->backend = &fake_backend;
	begun_ns = begins = ends = 0;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->err = stderr;
	*state = vm;
	return 0;
}

static int teardown(void **state)
{
	struct vmm_vm *vm = *state;
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	return 0;
}

/* Microseconds one OUT of `size` bytes of `us` to the idle port took. */
static uint64_t idle(struct vmm_vm *vm, uint32_t us, uint32_t size)
{
	struct vmm_vcpu v = {0};
	uint8_t data[4] = {(uint8_t)us, (uint8_t)(us >> 8), (uint8_t)(us >> 16), (uint8_t)(us >> 24)};
	uint64_t t0 = vmm_now_ns();
	assert_true(vmm_handle_port(vm, &v, SNPEMU_PORT_IDLE, false, data, size, 1));
	return (vmm_now_ns() - t0) / 1000;
}

static void test_idles_the_time_asked(void **state)
{
	struct vmm_vm *vm = *state;
	assert_true(idle(vm, 30000, 4) >= 30000);
	assert_int_equal(begun_ns, 30000000); /* the backend hears of the time asked (tcg: its virtual TSC moves) */
	assert_true(idle(vm, 0, 4) < 1000000);
	assert_true(idle(vm, 2000000, 2) < 1000000); /* a 2-byte OUT: nothing behind it */
	assert_int_equal(begins, 2);
	assert_int_equal(ends, 2);
}

struct waker {
	struct vmm_vm *vm;
	bool pause; /* else stop */
};

static void *wake_later(void *arg)
{
	struct waker *w = arg;
	usleep(20000);
	if (w->pause) {
		/* What vmm_vcpus_pause does first: set `pausing`, then broadcast under the lock. */
		atomic_store(&w->vm->pausing, true);
		pthread_mutex_lock(&w->vm->lock);
		pthread_cond_broadcast(&w->vm->cond);
		pthread_mutex_unlock(&w->vm->lock);
	} else {
		vmm_vm_stop(w->vm, 0);
	}
	return NULL;
}

/* A stop or a pause ends an idle at once: an idle of the longest time (more is cut to it) comes back long before. */
static void test_stop_and_pause_wake(void **state)
{
	struct vmm_vm *vm = *state;
	for (int pause = 0; pause < 2; pause++) {
		struct waker w = {vm, pause};
		pthread_t t;
		atomic_store(&vm->pausing, false);
		atomic_store(&vm->stopping, false);
		assert_int_equal(pthread_create(&t, NULL, wake_later, &w), 0);
		uint64_t us = idle(vm, UINT32_MAX, 4);
		pthread_join(t, NULL);
		if (us >= SNPEMU_IDLE_MAX_US / 2)
			fail_msg("%s: idle ran %llu us of %u", pause ? "pause" : "stop", (unsigned long long)us,
				 SNPEMU_IDLE_MAX_US);
		assert_int_equal(begun_ns, (uint64_t)SNPEMU_IDLE_MAX_US * 1000); /* cut to the longest idle */
		/* Once stopping or pausing, a new idle returns at once. */
		assert_true(idle(vm, SNPEMU_IDLE_MAX_US, 4) < SNPEMU_IDLE_MAX_US / 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_idles_the_time_asked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_and_pause_wake, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

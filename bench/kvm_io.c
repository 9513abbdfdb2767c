/* SPDX-License-Identifier: MIT */
/*
 * kvm backend round trips, measured in one process on one host: the bare KVM IO exit (a guest `out` loop, the
 * host resuming at once: the physical limit of this backend), the VMGEXIT doorbell (what one GHCB NAE event costs
 * the backend, before the engine runs), and the GHCB MSR-protocol round trip (WRMSR GHCB, VMGEXIT doorbell,
 * RDMSR GHCB: three exits), and an IO exit after a fixed run of guest instructions (their cost, which on some
 * hosts dominates a GHCB NAE round trip).  Prints each in ns per round trip (best of ROUNDS interleaved runs, so that a
 * noisy neighbour on a shared host hits all alike) and its ratio to the bare IO exit. usage: kvm_io [iterations]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/kvm.h"

#include "../tests/vmm/guest_test.h"

#define DEFAULT_ITERATIONS 5000u
#define ROUNDS		   3u /* interleaved; the best of each is reported */
#define WARMUP		   1000u
#define STR(x)		   str_(x)
#define str_(x)		   #x

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs the bench guest's loop `mode` for warmup + n round trips; returns ns per round trip, or -errno. */
static double measure(enum gt_bench mode, unsigned int n, char *reason, size_t len)
{
	unsigned int warmup = WARMUP;
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_elf_info info;
	struct vmm_kvm_exit e;
	uint64_t ghcb_msr = 0;
	double start = 0, result = -1;

	int r = vmm_kvm_vm_create(NULL, &vm, reason, len);
	if (r < 0)
		return r;
	r = vmm_kvm_elf_load_file(vm, KVM_GUEST_DIR "/guest_bench.elf", &info, reason, len);
	if (r == 0)
		r = vmm_kvm_vcpu_create_at(vm, 0, info.entry, mode, &vcpu);
	if (r < 0) {
		vmm_kvm_vm_destroy(vm);
		return r;
	}
	if (mode == GT_BENCH_COMPUTE) { /* slow where guest code is emulated: a tenth will do */
		n = n / 10 + 1;
		warmup /= 10;
	}
	for (unsigned int i = 0; i < warmup + n;) {
		if (i == warmup && start == 0)
			start = now_ns();
		r = vmm_kvm_vcpu_run(vcpu, &e);
		if (r < 0)
			break;
		switch (e.kind) {
		case VMM_KVM_EXIT_IO:
			r = e.io.port == GT_BENCH_PORT && (mode == GT_BENCH_BARE_IO || mode == GT_BENCH_COMPUTE)
				? 0
				: -EPROTO;
			i++;
			break;
		case VMM_KVM_EXIT_VMGEXIT:
			if (mode == GT_BENCH_DOORBELL)
				i++;
			break;
		case VMM_KVM_EXIT_WRMSR:
			ghcb_msr = e.msr.value;
			r = vmm_kvm_complete_wrmsr(vcpu);
			break;
		case VMM_KVM_EXIT_RDMSR:
			r = vmm_kvm_complete_rdmsr(vcpu, ghcb_msr | 1); /* a "response" code */
			i++;
			break;
		default:
			vmm_kvm_exit_describe(&e, reason, len);
			r = -EPROTO;
			break;
		}
		if (r < 0)
			break;
	}
	if (r == 0)
		result = (now_ns() - start) / n;
	vmm_kvm_vcpu_destroy(vcpu);
	vmm_kvm_vm_destroy(vm);
	return r < 0 ? r : result;
}

int main(int argc, char **argv)
{
	char reason[VMM_KVM_REASON_LEN] = "";
	unsigned int n = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : DEFAULT_ITERATIONS;
	static const char *const names[] = {"bare KVM IO exit", "VMGEXIT doorbell",
					    "MSR protocol (WRMSR+VMGEXIT+RDMSR)",
					    "IO exit after " STR(GT_BENCH_INSNS) " guest instructions"};
	enum { MODES = 4 };
	double ns[MODES];

	if (n == 0)
		n = DEFAULT_ITERATIONS;
	if (vmm_kvm_probe(reason, sizeof(reason)) < 0) {
		printf("kvm_io: skipped: %s\n", reason);
		return 0;
	}
	for (unsigned int round = 0; round < ROUNDS; round++) {
		for (int m = 0; m < MODES; m++) {
			double t = measure((enum gt_bench)m, n, reason, sizeof(reason));
			if (t < 0) {
				fprintf(stderr, "kvm_io: %s: %s (%s)\n", names[m], strerror((int)-t), reason);
				return 1;
			}
			if (round == 0 || t < ns[m])
				ns[m] = t;
		}
	}
	printf("kvm_io: %u round trips each, best of %u rounds, same process and host\n", n, ROUNDS);
	for (int m = 0; m < MODES; m++)
		printf("  %-42s %9.0f ns   ratio %.2f\n", names[m], ns[m], ns[m] / ns[0]);
	/* What guest code costs between exits: a few tenths of a ns on hardware virtualisation, microseconds
	 * where KVM emulates ring-0 guest code (PVM hosts). */
	printf("  guest instruction (from the last two)    %9.1f ns\n", (ns[3] - ns[0]) / GT_BENCH_INSNS);
	return 0;
}

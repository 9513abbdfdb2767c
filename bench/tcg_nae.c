/* SPDX-License-Identifier: MIT */
/*
 * The tcg backend's costs, in one process (issue 14):
 *  [1] a CPUID NAE round trip on tcg: the guest library fills the GHCB, writes the GHCB MSR (a real WRMSR, trapped at
 *      CPL 3 and served inside the interrupt hook without leaving the emulator), executes `rep vmmcall` (Unicorn's
 *      invalid-instruction hook: the one emulator exit of the NAE), the engine answers, the guest reads the result.
 *      Where the time went (perf, issue 14): Unicorn 2.0.1 sends every guest store through its self-modifying-code
 *      slow path (two heap allocations each), so the guest library's 1 KiB GHCB clear was half of the round trip; it
 *      now clears the valid bitmap only, as Linux does.  Timed by the host: the `bench` program's 500 NAE CPUIDs in a
 * row run with a host-clock --trace (trace_host_clock), and the round trip is the median gap between the starts of
 * consecutive CPUID VMGEXITs (the guest's clock is virtual on tcg).  The same on sim side by side, and against 3.2 us,
 * the published hardware round trip on Milan; target <= 10 us. [2] ordinary guest code: an integer loop of known length
 * (5 instructions per iteration) on the tcg lower layer against the same loop natively: instructions per second and the
 * ratio. usage: tcg_nae
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#include "vmm/tcg.h"

#define HW_ROUND_TRIP_US 3.2
#define TARGET_US	 10.0
#define LOOP_ITERATIONS	 20000000u
#define LOOP_INSNS	 5u /* imul, add, xor, dec, jnz */
#define ROUNDS		 5u

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median gap (us) between consecutive "CPUID" trace events of vCPU 0, over the longest run of them; -1 on error. */
static double nae_round_trip_us(enum vmm_backend_kind backend)
{
	char path[] = "/tmp/snpemu_tcg_nae_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	FILE *devnull = fopen("/dev/null", "w");
	struct vmm_config cfg = {.program = snpemu_program_find("bench"),
				 .backend = backend,
				 .trace_file = path,
				 .trace_host_clock = true, /* tcg traces use the virtual TSC by default */
				 .quiet = true,
				 .out = devnull,
				 .err = devnull};
	struct vmm_result res;
	int rc = cfg.program && devnull ? vmm_run(&cfg, &res) : -ENOENT;
	if (devnull)
		fclose(devnull);
	double median = -1;
	json_object *root = rc == 0 && res.status == 0 ? json_object_from_file(path) : NULL, *events;
	if (root && json_object_object_get_ex(root, "traceEvents", &events)) {
		size_t n = json_object_array_length(events), best = 0, run = 0, cap = n;
		double *gaps = calloc(cap, sizeof(double)), *best_gaps = calloc(cap, sizeof(double)), last = -1;
		for (size_t i = 0; gaps && best_gaps && i < n; i++) {
			json_object *e = json_object_array_get_idx(events, i), *name, *ts, *tid;
			if (!json_object_object_get_ex(e, "ts", &ts) || !json_object_object_get_ex(e, "name", &name) ||
			    !json_object_object_get_ex(e, "tid", &tid) || json_object_get_int(tid) != 0)
				continue;
			double t = json_object_get_double(ts);
			if (strcmp(json_object_get_string(name), "CPUID") != 0) {
				last = -1, run = 0;
				continue;
			}
			if (last >= 0)
				gaps[run++] = t - last;
			last = t;
			if (run > best) {
				best = run;
				memcpy(best_gaps, gaps, run * sizeof(double));
			}
		}
		if (best > 10) {
			qsort(best_gaps, best, sizeof(double), cmp_double);
			median = best_gaps[best / 2];
		}
		free(gaps);
		free(best_gaps);
	}
	json_object_put(root);
	unlink(path);
	return median;
}

/* The loop natively: the same five instructions. */
static double native_loop_s(void)
{
	uint64_t a = 1, d = 7;
	uint32_t n = LOOP_ITERATIONS;
	double t0 = now_s();
	__asm__ volatile("1: imul $3, %0, %0\n\tadd %1, %0\n\txor %0, %1\n\tdec %2\n\tjnz 1b"
			 : "+r"(a), "+r"(d), "+r"(n)
			 :
			 : "cc");
	return now_s() - t0;
}

/* The loop on the tcg lower layer, ended by ud2 (a #UD exit). */
static double tcg_loop_s(void)
{
	static const uint8_t code[] = {
	    0xB9,
	    LOOP_ITERATIONS & 0xFF,
	    (LOOP_ITERATIONS >> 8) & 0xFF,
	    (LOOP_ITERATIONS >> 16) & 0xFF,
	    LOOP_ITERATIONS >> 24, /* mov $N, %ecx */
	    0x48,
	    0x6B,
	    0xC0,
	    0x03, /* 1: imul $3, %rax, %rax */
	    0x48,
	    0x01,
	    0xD0, /* add %rdx, %rax */
	    0x48,
	    0x31,
	    0xC2, /* xor %rax, %rdx */
	    0xFF,
	    0xC9, /* dec %ecx */
	    0x75,
	    0xF2, /* jnz 1b */
	    0x0F,
	    0x0B, /* ud2 */
	};
	struct vmm_tcg_vm_config cfg = {.ram_size = VMM_KVM_RAM_MIN};
	struct vmm_tcg_vm *vm;
	struct vmm_tcg_vcpu *vcpu;
	struct vmm_kvm_exit e;
	char reason[VMM_TCG_REASON_LEN];
	if (vmm_tcg_vm_create(&cfg, &vm, reason, sizeof(reason)))
		return -1;
	memcpy(vmm_tcg_gpa(vm, SNPEMU_IMAGE_GPA, sizeof(code)), code, sizeof(code));
	const struct vmm_regs regs = {.rip = SNPEMU_IMAGE_GPA, .rsp = SNPEMU_IMAGE_GPA + 0x10000, .rax = 1, .rdx = 7};
	double t = -1;
	if (vmm_tcg_vcpu_create(vm, 0, &regs, NULL, &vcpu) == 0) {
		double t0 = now_s();
		if (vmm_tcg_vcpu_run(vcpu, &e) == 0 && e.kind == VMM_KVM_EXIT_EXCEPTION && e.exception.vector == 6)
			t = now_s() - t0;
		vmm_tcg_vcpu_destroy(vcpu);
	}
	vmm_tcg_vm_destroy(vm);
	return t;
}

int main(void)
{
	char reason[VMM_TCG_REASON_LEN];
	if (vmm_tcg_probe(reason, sizeof(reason))) {
		printf("tcg_nae: %s\n", reason);
		return 1;
	}
	double tcg = -1, sim = -1;
	for (unsigned int i = 0; i < ROUNDS; i++) {
		double t = nae_round_trip_us(VMM_BACKEND_TCG), s = nae_round_trip_us(VMM_BACKEND_SIM);
		if (t > 0 && (tcg < 0 || t < tcg))
			tcg = t;
		if (s > 0 && (sim < 0 || s < sim))
			sim = s;
	}
	if (tcg < 0 || sim < 0) {
		printf("tcg_nae: could not time the bench program's NAE loop\n");
		return 1;
	}
	printf("[1] CPUID NAE round trip (best of %u medians): tcg %.2f us, sim %.2f us; tcg/sim %.1f\n", ROUNDS, tcg,
	       sim, tcg / sim);
	printf("    tcg vs hardware (%.1f us, Milan): %.2f; vs the target %.0f us: %.2f (%s)\n", HW_ROUND_TRIP_US,
	       tcg / HW_ROUND_TRIP_US, TARGET_US, tcg / TARGET_US, tcg <= TARGET_US ? "met" : "NOT met");
	double native = -1, emulated = -1;
	for (unsigned int i = 0; i < ROUNDS; i++) {
		double n = native_loop_s(), e = tcg_loop_s();
		if (n > 0 && (native < 0 || n < native))
			native = n;
		if (e > 0 && (emulated < 0 || e < emulated))
			emulated = e;
	}
	double insns = (double)LOOP_ITERATIONS * LOOP_INSNS;
	printf("[2] integer loop, %.0f M instructions: native %.0f M/s, tcg %.0f M/s; tcg/native %.3f (%.1fx slower)\n",
	       insns / 1e6, insns / native / 1e6, insns / emulated / 1e6, native / emulated, emulated / native);
	return 0;
}

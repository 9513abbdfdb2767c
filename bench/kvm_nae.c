/* SPDX-License-Identifier: MIT */
/*
 * The kvm backend's GHCB round trips against its physical limit, in one process on one host.  Two bare KVM IO
 * exits (a two-instruction `out; jmp` loop, resumed at once): from a CPL-0 guest (tests/vmm/guest_bench.elf), and
 * from a CPL-3 guest whose OUT the TSS I/O permission bitmap lets exit directly (the backend's own system area:
 * the way it runs the programs, which are at CPL 3; on PVM hosts this exit costs several times the CPL-0 one).
 * Then, through vmm_run() with the `bench` guest program, CPUID through the GHCB (NAE: guest library, doorbell,
 * engine, resume; the GHCB MSR is unchanged, so not rewritten) and CPUID by the MSR protocol (WRMSR GHCB, doorbell,
 * RDMSR GHCB: three exits, the MSR accesses trapped with #GP and emulated by the VMM at CPL 3).  The guest times
 * its loops with its platform's clock; the same program on `sim` gives the figures side by side.  Target (issue
 * 7): NAE / bare IO exit <= 1.25, printed against both bare exits, the CPL-3 one being the limit as the programs
 * run.  Last, the cost of one guest instruction at CPL 0 and CPL 3 (insn_ns), which explains the figures on PVM
 * hosts.
 * usage: kvm_nae [bare-io-iterations]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/le.h>
#include <snpemu/hv.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#include "vmm/kvm.h"

#include "../tests/vmm/guest_test.h"

#define DEFAULT_ITERATIONS 3000u
#define WARMUP		   200u
#define ROUNDS		   3u
#define TARGET		   1.25

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs vcpu for WARMUP + n exits, each an OUT to `port`; ns per round trip, or -errno. */
static double io_loop(struct vmm_kvm_vcpu *vcpu, uint16_t port, unsigned int n, char *reason, size_t len)
{
	struct vmm_kvm_exit e;
	double start = 0;
	int r = 0;
	for (unsigned int i = 0; i < WARMUP + n && r == 0; i++) {
		if (i == WARMUP)
			start = now_ns();
		r = vmm_kvm_vcpu_run(vcpu, &e);
		if (r == 0 && (e.kind != VMM_KVM_EXIT_IO || e.io.port != port)) {
			vmm_kvm_exit_describe(&e, reason, len);
			r = -EPROTO;
		}
	}
	return r == 0 ? (now_ns() - start) / n : r;
}

/* ns per bare IO exit round trip from a CPL-0 guest, or -errno. */
static double bare_io(unsigned int n, char *reason, size_t len)
{
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_elf_info info;
	int r = vmm_kvm_vm_create(NULL, &vm, reason, len);
	if (r < 0)
		return r;
	r = vmm_kvm_elf_load_file(vm, KVM_GUEST_DIR "/guest_bench.elf", &info, reason, len);
	if (r == 0)
		r = vmm_kvm_vcpu_create_at(vm, 0, info.entry, GT_BENCH_BARE_IO, &vcpu);
	if (r < 0) {
		vmm_kvm_vm_destroy(vm);
		return r;
	}
	double result = io_loop(vcpu, GT_BENCH_PORT, n, reason, len);
	vmm_kvm_vcpu_destroy(vcpu);
	vmm_kvm_vm_destroy(vm);
	return result;
}

/* ns per bare IO exit round trip from a CPL-3 guest, on the console port the backend's TSS I/O permission bitmap
 * opens (src/vmm/kvm_x86.c): the same system area, segments and exit as the programs' direct port IO.  Or -errno. */
static double bare_io_cpl3(unsigned int n, char *reason, size_t len)
{
	static const uint8_t code[] = {
	    0xBA, 0xF8, 0x03, 0x00, 0x00, /* mov $SNPEMU_PORT_CONSOLE, %edx */
	    0xEE,			  /* 1: outb %al, (%dx) */
	    0xEB, 0xFD,			  /* jmp 1b */
	};
	_Static_assert(SNPEMU_PORT_CONSOLE == 0x3F8, "the code's port");
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_sregs sregs;
	const struct vmm_regs regs = {.rip = SNPEMU_IMAGE_GPA, .rsp = SNPEMU_IMAGE_GPA + 0x1000, .rflags = 2};
	int r = vmm_kvm_vm_create(NULL, &vm, reason, len);
	if (r < 0)
		return r;
	memcpy(vmm_kvm_gpa(vm, SNPEMU_IMAGE_GPA, sizeof(code)), code, sizeof(code));
	r = vmm_kvm_user_sregs(vm, 0, &sregs);
	if (r == 0)
		r = vmm_kvm_vcpu_create(vm, 0, &regs, &sregs, &vcpu);
	if (r < 0) {
		vmm_kvm_vm_destroy(vm);
		return r;
	}
	double result = io_loop(vcpu, SNPEMU_PORT_CONSOLE, n, reason, len);
	vmm_kvm_vcpu_destroy(vcpu);
	vmm_kvm_vm_destroy(vm);
	return result;
}

/*
 * ns per CPL-3 privileged instruction trapped and emulated, or -errno: what each of the MSR protocol's RDMSR and
 * WRMSR of the GHCB MSR costs here (the exit filter sees them only at CPL 0).  A loop `out %al, $0x80` (a port the
 * I/O bitmap keeps closed) raises #GP, the VMM's IDT stub reports it, and the host resumes after the instruction
 * at CPL 3 with the stub's saved registers: the steps of the kvm backend's emulate_privileged().
 */
static double trapped_cpl3(unsigned int n, char *reason, size_t len)
{
	static const uint8_t code[] = {
	    0xE6, 0x80, /* 1: out %al, $0x80: #GP */
	    0xEB, 0xFC, /* jmp 1b */
	};
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_sregs user, sr;
	struct vmm_regs r = {.rip = SNPEMU_IMAGE_GPA, .rsp = SNPEMU_IMAGE_GPA + 0x1000, .rflags = 2};
	struct vmm_kvm_exit e;
	double start = 0;
	int rc = vmm_kvm_vm_create(NULL, &vm, reason, len);
	if (rc < 0)
		return rc;
	memcpy(vmm_kvm_gpa(vm, SNPEMU_IMAGE_GPA, sizeof(code)), code, sizeof(code));
	rc = vmm_kvm_user_sregs(vm, 0, &user);
	if (rc == 0)
		rc = vmm_kvm_vcpu_create(vm, 0, &r, &user, &vcpu);
	if (rc < 0) {
		vmm_kvm_vm_destroy(vm);
		return rc;
	}
	for (unsigned int i = 0; i < WARMUP + n && rc == 0; i++) {
		if (i == WARMUP)
			start = now_ns();
		rc = vmm_kvm_vcpu_run(vcpu, &e);
		if (rc == 0 && (e.kind != VMM_KVM_EXIT_EXCEPTION || e.exception.vector != 13)) {
			vmm_kvm_exit_describe(&e, reason, len);
			rc = -EPROTO;
		}
		if (rc == 0)
			rc = vmm_kvm_exception_regs(vcpu, &e, &r);
		if (rc == 0)
			rc = vmm_kvm_vcpu_get_sregs(vcpu, &sr);
		if (rc == 0) {
			sr.cs = user.cs;
			sr.ss = user.ss;
			r.rip += 2;
			rc = vmm_kvm_vcpu_set_sregs(vcpu, &sr);
		}
		if (rc == 0)
			rc = vmm_kvm_vcpu_set_regs(vcpu, &r);
	}
	double result = rc == 0 ? (now_ns() - start) / n : rc;
	vmm_kvm_vcpu_destroy(vcpu);
	vmm_kvm_vm_destroy(vm);
	return result;
}

/*
 * What one guest instruction costs at CPL 0 and at CPL 3 (where the programs run), in ns.  PVM hosts emulate ring-0
 * guest code instruction by instruction but run CPL-3 code natively; at CPL 3 each privileged instruction is a #GP
 * the VMM emulates, which is what keeps the round trips above the bare IO exit there.  The
 * guest: `loops` rounds of add/dec/jnz (3 instructions), then an OUT, which at CPL 3 raises #GP (reported by the
 * VMM's IDT stub): either exit ends the measurement.  CPL 3 uses its own identity page tables (U=1, 2 MiB pages)
 * and GDT above the code.  Returns ns per instruction, or -errno.
 */
static double insn_ns(bool cpl3, uint32_t loops, char *reason, size_t len)
{
	struct vmm_kvm_vm_config cfg = {.ram_size = 8u << 20};
	struct vmm_kvm_vm *vm;
	struct vmm_kvm_vcpu *vcpu;
	struct vmm_kvm_exit e;
	struct vmm_sregs s;
	int r = vmm_kvm_vm_create(&cfg, &vm, reason, len);
	if (r < 0)
		return r;
	uint8_t *ram = vmm_kvm_gpa(vm, 0, cfg.ram_size);
	const uint8_t code[] = {
	    0xB9,
	    (uint8_t)loops,
	    (uint8_t)(loops >> 8),
	    (uint8_t)(loops >> 16),
	    (uint8_t)(loops >> 24), /* mov $n,%ecx */
	    0x48,
	    0x01,
	    0xC3, /* 1: add %rax, %rbx */
	    0xFF,
	    0xC9, /* dec %ecx */
	    0x75,
	    0xF9, /* jnz 1b */
	    0xBA,
	    0xE2,
	    0x05,
	    0x00,
	    0x00,
	    0xEF, /* mov $SNPEMU_PORT_EXIT, %edx; out %eax, (%dx) */
	    0xF4, /* hlt */
	};
	memcpy(ram + SNPEMU_IMAGE_GPA, code, sizeof(code));
	vmm_kvm_default_sregs(vm, 0, &s);
	if (cpl3) {
		const uint64_t pml4 = 0x200000, gdt = 0x203000;
		le64_store(ram + pml4, (pml4 + 0x1000) | 7);
		le64_store(ram + pml4 + 0x1000, (pml4 + 0x2000) | 7);
		for (uint64_t i = 0; i < 4; i++)
			le64_store(ram + pml4 + 0x2000 + 8 * i, (i << 21) | 0x87); /* 2 MiB, U, RW, P */
		static const uint64_t desc[] = {0, 0x00AF9B000000FFFFull, 0x00CF93000000FFFFull, 0x00AFFB000000FFFFull,
						0x00CFF3000000FFFFull};
		for (size_t i = 0; i < 5; i++)
			le64_store(ram + gdt + 8 * i, desc[i]);
		s.cr3 = pml4;
		s.gdtr = (struct vmm_dtable){gdt, 5 * 8 - 1};
		s.cs = (struct vmm_segment){0x1B, 0xAFB, 0xFFFFFFFF, 0}; /* 64-bit code, DPL 3 */
		s.ss = (struct vmm_segment){0x23, 0xCF3, 0xFFFFFFFF, 0}; /* data, DPL 3 */
		s.ds = s.es = s.fs = s.gs = s.ss;
	}
	const struct vmm_regs regs = {.rip = SNPEMU_IMAGE_GPA, .rsp = 0x300000, .rflags = 2};
	double result = -EPROTO;
	r = vmm_kvm_vcpu_create(vm, 0, &regs, &s, &vcpu);
	if (r == 0) {
		double t0 = now_ns();
		r = vmm_kvm_vcpu_run(vcpu, &e);
		double t1 = now_ns();
		if (r == 0 && ((e.kind == VMM_KVM_EXIT_IO && e.io.port == SNPEMU_PORT_EXIT) ||
			       (e.kind == VMM_KVM_EXIT_EXCEPTION && e.exception.vector == 13)))
			result = (t1 - t0) / (3.0 * loops);
		else if (r == 0)
			vmm_kvm_exit_describe(&e, reason, len);
		vmm_kvm_vcpu_destroy(vcpu);
	}
	vmm_kvm_vm_destroy(vm);
	return r < 0 ? r : result;
}

/* Runs the bench program on `backend`; fills nae and msr (ns per round trip).  0 or -1. */
static int program(enum vmm_backend_kind backend, double *nae, double *msr)
{
	char *out = NULL;
	size_t out_len = 0;
	FILE *f = open_memstream(&out, &out_len);
	if (!f)
		return -1;
	struct vmm_config cfg;
	struct vmm_result res;
	vmm_config_default(&cfg);
	cfg.program = snpemu_program_find("bench");
	cfg.backend = backend;
	cfg.out = f;
	cfg.err = f;
	int rc = vmm_run(&cfg, &res);
	fclose(f);
	unsigned long long a, b;
	const char *line = out ? strstr(out, "bench: NAE CPUID ") : NULL;
	if (rc || res.status || !line ||
	    sscanf(line, "bench: NAE CPUID %llu ns, MSR-protocol CPUID %llu ns", &a, &b) != 2) {
		fprintf(stderr, "kvm_nae: the bench program failed on %s (rc %d):\n%s", vmm_backend_name(backend), rc,
			out ? out : "");
		free(out);
		return -1;
	}
	*nae = (double)a;
	*msr = (double)b;
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	char reason[VMM_KVM_REASON_LEN] = "";
	unsigned int n = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : DEFAULT_ITERATIONS;
	double sim_nae, sim_msr;
	if (n == 0)
		n = DEFAULT_ITERATIONS;
	if (program(VMM_BACKEND_SIM, &sim_nae, &sim_msr))
		return 1;
	if (vmm_kvm_probe(reason, sizeof(reason)) < 0) {
		printf("kvm_nae: kvm skipped: %s\n", reason);
		printf("  sim: NAE CPUID %.0f ns, MSR-protocol CPUID %.0f ns per round trip\n", sim_nae, sim_msr);
		return 0;
	}
	/* Interleaved rounds, best of each: a noisy neighbour on a shared host hits all alike. */
	double io0 = 0, io3 = 0, gp3 = 0, nae = 0, msr = 0;
	for (unsigned int round = 0; round < ROUNDS; round++) {
		double t0 = bare_io(n, reason, sizeof(reason)), a, b;
		if (t0 < 0) {
			fprintf(stderr, "kvm_nae: bare IO exit (CPL 0): %s (%s)\n", strerror((int)-t0), reason);
			return 1;
		}
		double t3 = bare_io_cpl3(n, reason, sizeof(reason));
		if (t3 < 0) {
			fprintf(stderr, "kvm_nae: bare IO exit (CPL 3): %s (%s)\n", strerror((int)-t3), reason);
			return 1;
		}
		double tg = trapped_cpl3(n / 4 + 1, reason, sizeof(reason));
		if (tg < 0) {
			fprintf(stderr, "kvm_nae: trapped CPL-3 instruction: %s (%s)\n", strerror((int)-tg), reason);
			return 1;
		}
		if (program(VMM_BACKEND_KVM, &a, &b))
			return 1;
		gp3 = round == 0 || tg < gp3 ? tg : gp3;
		io0 = round == 0 || t0 < io0 ? t0 : io0;
		io3 = round == 0 || t3 < io3 ? t3 : io3;
		nae = round == 0 || a < nae ? a : nae;
		msr = round == 0 || b < msr ? b : msr;
	}
	printf("kvm_nae: best of %u interleaved rounds, same process and host\n", ROUNDS);
	printf("  %-50s %9s %9s\n", "round trip", "kvm ns", "sim ns");
	printf("  %-50s %9.0f %9s   KVM's fastest exit; not how the programs run here\n",
	       "[A] bare IO exit, CPL-0 guest", io0, "-");
	printf("  %-50s %9.0f %9s   the limit as the programs run (CPL 3)\n",
	       "[B] bare IO exit, CPL-3 guest via the I/O bitmap", io3, "-");
	printf("  %-50s %9.0f %9s   what each MSR-protocol RDMSR/WRMSR costs\n",
	       "[C] CPL-3 instruction trapped (#GP) and emulated", gp3, "-");
	printf("  %-50s %9.0f %9.0f\n", "GHCB NAE CPUID (guest library + engine)", nae, sim_nae);
	printf("  %-50s %9.0f %9.0f\n", "MSR-protocol CPUID (WRMSR, doorbell, RDMSR)", msr, sim_msr);
	printf("  NAE / [B] = %.2f (target <= %.2f: %s); NAE / [A] = %.2f (%s)\n", nae / io3, TARGET,
	       nae / io3 <= TARGET ? "met" : "NOT met on this host", nae / io0,
	       nae / io0 <= TARGET ? "met" : "not met");
	printf("  MSR-protocol / [B] = %.2f; MSR-protocol / [A] = %.2f (its two MSR accesses trap with #GP at CPL 3)\n",
	       msr / io3, msr / io0);
	printf(
	    "  (the bare exits are timed by the host's CLOCK_MONOTONIC, the CPUID round trips by the guest's TSC)\n");
	double cpl0 = insn_ns(false, 20000, reason, sizeof(reason)),
	       cpl3 = insn_ns(true, 10000000, reason, sizeof(reason));
	if (cpl0 < 0 || cpl3 < 0) {
		fprintf(stderr, "kvm_nae: guest instruction cost: %s\n", reason);
		return 1;
	}
	printf("  one guest instruction: %.2f ns at CPL 0, %.3f ns at CPL 3 (where the programs run)\n", cpl0, cpl3);
	return 0;
}

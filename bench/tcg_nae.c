/* SPDX-License-Identifier: MIT */
/*
 * The tcg backend's costs, in one process (issue 14):
 *  [1] a CPUID NAE round trip on tcg: the guest library fills the GHCB, writes the GHCB MSR (a real WRMSR, trapped
 *      at CPL 3 and served inside the interrupt hook without leaving the emulator), executes `rep vmmcall`
 *      (Unicorn's invalid-instruction hook: the one emulator exit of the NAE), the engine answers, the guest reads
 *      the result.  Where the time went (perf): Unicorn 2.0.1 sends every guest store through its
 *      self-modifying-code slow path (two heap allocations each), so the guest library's 1 KiB GHCB clear was half
 *      of the round trip; it now clears the valid bitmap only, as Linux does.  Timed by the host: the `bench`
 *      program's 500 NAE CPUIDs in a row run with a host-clock trace (trace_host_clock), and the round trip is the
 *      median gap between the starts of consecutive CPUID VMGEXITs (the guest's clock is virtual on tcg).  The same
 *      on sim side by side, and against 3.2 us, the published hardware round trip on Milan; target <= 10 us.
 *  [2] ordinary guest code: an integer loop of known length (5 instructions per iteration) on the tcg lower layer
 *      against the same loop natively: instructions per second and the ratio.
 *  [3] the programs' real code: the guest library's AES-256-GCM (src/guest/aes_gcm.c) as the attest program's ELF
 *      carries it, gst_aes256_gcm_seal over AES_LEN bytes called on the tcg lower layer (the ELF loaded at its link
 *      address, the function found in its symbol table, a `ud2` as return address), against the same source built
 *      for the host and called in this process: bytes per second and the ratio (thread CPU time for both).
 * usage: tcg_nae
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <elf.h>

#include <json-c/json.h>

#include <snpemu/programs.h>
#include <snpemu/vmm.h>

#include <snpemu/abi/le.h>

#include "guest/internal.h"
#include "vmm/tcg.h"

#define HW_ROUND_TRIP_US 3.2
#define TARGET_US	 10.0
#define LOOP_ITERATIONS	 20000000u
#define LOOP_INSNS	 5u /* imul, add, xor, dec, jnz */
#define ROUNDS		 5u
#define AES_LEN		 (64u * 1024u)
#define AES_RAM		 (16u * VMM_KVM_MiB)
#define AES_DATA_GPA	 (8u * VMM_KVM_MiB)	/* key, IV, tag, then the buffer; the stack below it */
#define AES_RET_GPA	 (AES_DATA_GPA - 4096u) /* a ud2: where the call returns */

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

/* The value of symbol `name` in the ELF64 image's symbol table, or 0 (our own image, checked all the same). */
static uint64_t elf_symbol(const uint8_t *elf, size_t len, const char *name)
{
	Elf64_Ehdr eh;
	size_t n = strlen(name);
	if (len < sizeof(eh))
		return 0;
	memcpy(&eh, elf, sizeof(eh));
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > len ||
	    (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > len - eh.e_shoff)
		return 0;
	for (unsigned int i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, str;
		memcpy(&sh, elf + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= eh.e_shnum || sh.sh_offset > len ||
		    sh.sh_size > len - sh.sh_offset)
			continue;
		memcpy(&str, elf + eh.e_shoff + sh.sh_link * sizeof(str), sizeof(str));
		if (str.sh_offset > len || str.sh_size > len - str.sh_offset)
			continue;
		for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
			Elf64_Sym sym;
			memcpy(&sym, elf + sh.sh_offset + off, sizeof(sym));
			if (sym.st_name < str.sh_size && str.sh_size - sym.st_name > n &&
			    !memcmp(elf + str.sh_offset + sym.st_name, name, n + 1))
				return sym.st_value;
		}
	}
	return 0;
}

static double thread_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const uint8_t aes_key[GST_AES256_KEY_LEN] = {1, 2, 3}, aes_iv[GST_GCM_IV_LEN] = {4};

/* gst_aes256_gcm_seal natively over AES_LEN zero bytes: its time, and its tag in tag. */
static double native_aes_s(uint8_t tag[GST_GCM_TAG_LEN])
{
	uint8_t *buf = calloc(1, AES_LEN);
	if (!buf)
		return -1;
	double t0 = thread_s();
	gst_aes256_gcm_seal(aes_key, aes_iv, NULL, 0, buf, AES_LEN, tag);
	double t = thread_s() - t0;
	free(buf);
	return t;
}

/* The attest ELF's gst_aes256_gcm_seal on the tcg lower layer (the vCPU runs on this thread): its time, or -1 if
 * it did not return to the ud2 with the native tag. */
static double tcg_aes_s(const uint8_t want_tag[GST_GCM_TAG_LEN])
{
	const struct vmm_program *p = snpemu_program_find("attest");
	uint64_t fn = p && p->elf ? elf_symbol(p->elf, p->elf_len, "gst_aes256_gcm_seal") : 0;
	struct vmm_tcg_vm_config cfg = {.ram_size = AES_RAM};
	struct vmm_tcg_vm *vm;
	struct vmm_tcg_vcpu *vcpu;
	struct vmm_kvm_exit e;
	struct vmm_kvm_elf_info info;
	char reason[VMM_TCG_REASON_LEN];
	if (!fn || vmm_tcg_vm_create(&cfg, &vm, reason, sizeof(reason)))
		return -1;
	uint8_t *ram = vmm_tcg_gpa(vm, 0, AES_RAM), *data = ram + AES_DATA_GPA;
	double t = -1;
	if (vmm_kvm_elf_load(p->elf, p->elf_len, ram, SNPEMU_IMAGE_GPA, AES_RAM, &info) == VMM_KVM_ELF_OK) {
		static const uint8_t ud2[] = {0x0F, 0x0B};
		memcpy(ram + AES_RET_GPA, ud2, sizeof(ud2));
		memcpy(data, aes_key, sizeof(aes_key));
		memcpy(data + 32, aes_iv, sizeof(aes_iv));
		memset(data + 64, 0, AES_LEN);
		/* SysV call: key, iv, aad, aad_len, buf, len in registers, the tag pointer on the stack above the
		 * return address (the ud2) */
		uint64_t sp = AES_RET_GPA - 64;
		le64_store(ram + sp, AES_RET_GPA);
		le64_store(ram + sp + 8, AES_DATA_GPA + 48);
		const struct vmm_regs regs = {.rip = fn,
					      .rsp = sp,
					      .rdi = AES_DATA_GPA,
					      .rsi = AES_DATA_GPA + 32,
					      .r8 = AES_DATA_GPA + 64,
					      .r9 = AES_LEN,
					      .rflags = 2};
		if (vmm_tcg_vcpu_create(vm, 0, &regs, NULL, &vcpu) == 0) {
			double t0 = thread_s();
			int rc = vmm_tcg_vcpu_run(vcpu, &e);
			double t1 = thread_s();
			if (rc == 0 && e.kind == VMM_KVM_EXIT_EXCEPTION && e.exception.vector == 6 &&
			    e.exception.rip == AES_RET_GPA && !memcmp(data + 48, want_tag, GST_GCM_TAG_LEN))
				t = t1 - t0;
			vmm_tcg_vcpu_destroy(vcpu);
		}
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
	double aes_native = -1, aes_tcg = -1;
	uint8_t tag[GST_GCM_TAG_LEN];
	for (unsigned int i = 0; i < ROUNDS; i++) {
		double n = native_aes_s(tag), t = tcg_aes_s(tag);
		if (n > 0 && (aes_native < 0 || n < aes_native))
			aes_native = n;
		if (t > 0 && (aes_tcg < 0 || t < aes_tcg))
			aes_tcg = t;
	}
	if (aes_native < 0 || aes_tcg < 0) {
		printf(
		    "tcg_nae: the attest ELF's AES-GCM did not run on tcg (or its tag differs from the native one)\n");
		return 1;
	}
	printf("[3] guest AES-256-GCM seal of %u KiB (attest ELF on tcg vs the same source native): native %.1f MB/s, "
	       "tcg %.1f MB/s; tcg/native %.3f (%.0fx slower)\n",
	       AES_LEN / 1024u, AES_LEN / aes_native / 1e6, AES_LEN / aes_tcg / 1e6, aes_native / aes_tcg,
	       aes_tcg / aes_native);
	return 0;
}

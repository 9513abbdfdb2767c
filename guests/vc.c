/* SPDX-License-Identifier: MIT */
/*
 * vc: an SEV-ES guest's #VC path, class by class (`snpemu run vc --backend tcg --vc`).  The runtime installed the
 * guest library's #VC handler (boot flag SNPEMU_BOOT_VC); this program executes the plain instructions and checks
 * what the handler made of them:
 *   CPUID      leaves 0, 1, 0x80000000 and 0x8000001F against the same leaves asked through the GHCB (gst_cpuid);
 *   port IO    OUT/IN with imm8 and DX ports in byte, word and dword widths (IN of COM1's line status reads 0x60 per
 *              byte; an IN from nothing reads all ones; AL/AX writes keep the rest of RAX, EAX writes clear it),
 *              REP OUTS of each width to the export port (the host test checks the bytes), REP INS of each width;
 *   MSR        RDMSR of the TSC (the VMM's monotonic count) and TSC_AUX (reads 0), WRMSR of TSC_AUX answered with a
 *              #GP (skipped on request, gst_vc_allow_gp), RDMSR of SEV_STATUS, which SEV-ES does not intercept;
 * and that each class went through the handler (gst_vc_count); then
 *   nested     a #VC (CPUID) while the program holds its GHCB half-filled (gst_vc_ghcb_hold): the handler serves it
 *              from the backup GHCB and the program finds its request as it left it (gst_vc_nested counts it);
 *   APs        with --vcpus N (SNP), every AP takes its own #VCs (CPUID, OUT, RDMSR) on its own GHCB, per-vCPU counts.
 * Prints "vc: all classes passed" and returns 0 only if all passed.  With the argument `nohandler` it loads an IDT
 * without vector 29 and executes CPUID: the run must end with the #VC (vector 29) named.  ELF only: #VC exists on the
 * tcg backend.
 */
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/runtime.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/guest_program.h>

#define COM1_LSR     (SNPEMU_PORT_CONSOLE + 5)
#define PORT_NOTHING 0x80u /* imm8 port nobody serves: OUTs dropped, INs all ones */
#define MSR_TSC	     0x10u
#define MSR_TSC_AUX  0xC0000103u
#define RAX_PATTERN  0x1122334455667788ull

static void cpuid_insn(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	__asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "a"(leaf), "c"(sub));
}

static int check_cpuid(struct gst_guest *g)
{
	unsigned int failures = 0;
	static const uint32_t leaves[] = {0, 1, 0x80000000u, 0x8000001Fu};
	for (unsigned int i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		uint32_t insn[4], nae[4];
		cpuid_insn(leaves[i], 0, insn);
		int rc = gst_cpuid(&g->c, leaves[i], 0, nae);
		if (rc)
			return gst_report_fail(g, "CPUID through the GHCB", rc);
		GST_CHECK(g, failures, !gst_memcmp(insn, nae, sizeof(insn)),
			  "CPUID 0x%x: the #VC path differs from the GHCB's", (unsigned)leaves[i]);
	}
	uint32_t r[4];
	cpuid_insn(0x8000001Fu, 0, r);
	GST_CHECK(g, failures, r[0] & (1u << 3), "CPUID 0x8000001F EAX 0x%x: no SEV-ES bit", (unsigned)r[0]);
	GST_CHECK(g, failures, gst_vc_count(g->cpu, SVM_EXIT_CPUID) >= 5, "only %llu CPUID #VCs",
		  (unsigned long long)gst_vc_count(g->cpu, SVM_EXIT_CPUID));
	if (!failures)
		gst_printf(g, "vc: CPUID ok (%llu #VCs)\n", (unsigned long long)gst_vc_count(g->cpu, SVM_EXIT_CPUID));
	return failures != 0;
}

static int check_in(struct gst_guest *g)
{
	unsigned int failures = 0;
	uint64_t b, w, l, ib, iw, il;
	uint16_t lsr = COM1_LSR;
	__asm__ volatile("inb %%dx, %%al" : "=a"(b) : "0"(RAX_PATTERN), "d"(lsr));
	__asm__ volatile("inw %%dx, %%ax" : "=a"(w) : "0"(RAX_PATTERN), "d"(lsr));
	__asm__ volatile("inl %%dx, %%eax" : "=a"(l) : "0"(RAX_PATTERN), "d"(lsr));
	__asm__ volatile("inb %1, %%al" : "=a"(ib) : "i"(PORT_NOTHING), "0"(RAX_PATTERN));
	__asm__ volatile("inw %1, %%ax" : "=a"(iw) : "i"(PORT_NOTHING), "0"(RAX_PATTERN));
	__asm__ volatile("inl %1, %%eax" : "=a"(il) : "i"(PORT_NOTHING), "0"(RAX_PATTERN));
	GST_CHECK(g, failures, b == 0x1122334455667760ull, "inb (dx): rax 0x%llx", (unsigned long long)b);
	GST_CHECK(g, failures, w == 0x1122334455666060ull, "inw (dx): rax 0x%llx", (unsigned long long)w);
	GST_CHECK(g, failures, l == 0x60606060ull, "inl (dx): rax 0x%llx", (unsigned long long)l);
	GST_CHECK(g, failures, ib == 0x11223344556677FFull, "inb imm8: rax 0x%llx", (unsigned long long)ib);
	GST_CHECK(g, failures, iw == 0x112233445566FFFFull, "inw imm8: rax 0x%llx", (unsigned long long)iw);
	GST_CHECK(g, failures, il == 0xFFFFFFFFull, "inl imm8: rax 0x%llx", (unsigned long long)il);
	uint8_t buf[16];
	for (unsigned int size = 1; size <= 4; size *= 2) {
		gst_memset(buf, 0, sizeof(buf));
		void *dst = buf;
		uint64_t count = 8 / size;
		if (size == 1)
			__asm__ volatile("rep insb" : "+D"(dst), "+c"(count) : "d"(lsr) : "memory");
		else if (size == 2)
			__asm__ volatile("rep insw" : "+D"(dst), "+c"(count) : "d"(lsr) : "memory");
		else
			__asm__ volatile("rep insl" : "+D"(dst), "+c"(count) : "d"(lsr) : "memory");
		GST_CHECK(g, failures, count == 0 && dst == buf + 8, "rep ins%u: rcx %llu, rdi +%lld", size,
			  (unsigned long long)count, (long long)((uint8_t *)dst - buf));
		for (unsigned int i = 0; i < sizeof(buf); i++)
			GST_CHECK(g, failures, buf[i] == (i < 8 ? 0x60 : 0), "rep ins%u: byte %u is 0x%x", size, i,
				  buf[i]);
	}
	return failures != 0;
}

/* The export port receives "ABCDEFG" from OUT b/w/l, then "HIJKLMNOPQRSTUVWXYZ01" from REP OUTS b/w/l. */
static int check_out(struct gst_guest *g)
{
	unsigned int failures = 0;
	static const char outs[] = "HIJKLMNOPQRSTUVWXYZ012";
	uint16_t port = SNPEMU_PORT_EXPORT;
	__asm__ volatile("outb %%al, %%dx" : : "a"(0x41), "d"(port));
	__asm__ volatile("outw %%ax, %%dx" : : "a"(0x4342), "d"(port));
	__asm__ volatile("outl %%eax, %%dx" : : "a"(0x47464544), "d"(port));
	__asm__ volatile("outb %%al, %0" : : "i"(PORT_NOTHING), "a"(0x5A));
	__asm__ volatile("outw %%ax, %0" : : "i"(PORT_NOTHING), "a"(0x5A5A));
	__asm__ volatile("outl %%eax, %0" : : "i"(PORT_NOTHING), "a"(0x5A5A5A5A));
	const void *src = outs;
	uint64_t count = 3;
	__asm__ volatile("rep outsb" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	count = 3;
	__asm__ volatile("rep outsw" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	count = 3;
	__asm__ volatile("rep outsl" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	GST_CHECK(g, failures, count == 0 && (const char *)src == outs + 21, "rep outs: rcx %llu, rsi +%lld",
		  (unsigned long long)count, (long long)((const char *)src - outs));
	uint64_t before = gst_vc_count(g->cpu, SVM_EXIT_IOIO);
	const char *line = "vc: console through OUT\n";
	for (const char *s = line; *s; s++)
		__asm__ volatile("outb %%al, %%dx" : : "a"(*s), "d"((uint16_t)SNPEMU_PORT_CONSOLE));
	GST_CHECK(g, failures, gst_vc_count(g->cpu, SVM_EXIT_IOIO) == before + gst_strlen(line),
		  "console OUTs: %llu #VCs for %u bytes",
		  (unsigned long long)(gst_vc_count(g->cpu, SVM_EXIT_IOIO) - before), (unsigned)gst_strlen(line));
	if (!failures)
		gst_printf(g, "vc: port IO ok (%llu #VCs)\n", (unsigned long long)gst_vc_count(g->cpu, SVM_EXIT_IOIO));
	return failures != 0;
}

static uint64_t rdmsr_insn(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static int check_msr(struct gst_guest *g)
{
	unsigned int failures = 0;
	uint64_t t0 = rdmsr_insn(MSR_TSC), t1 = rdmsr_insn(MSR_TSC);
	GST_CHECK(g, failures, t1 >= t0 && t1 != 0, "TSC reads 0x%llx then 0x%llx", (unsigned long long)t0,
		  (unsigned long long)t1);
	uint64_t aux = rdmsr_insn(MSR_TSC_AUX);
	GST_CHECK(g, failures, aux == 0, "TSC_AUX reads 0x%llx", (unsigned long long)aux);
	gst_vc_allow_gp(g->cpu);
	__asm__ volatile("wrmsr" : : "c"(MSR_TSC_AUX), "a"(1u), "d"(0u));
	GST_CHECK(g, failures, gst_vc_gp_seen(g->cpu), "WRMSR TSC_AUX: no #GP from the hypervisor");
	uint64_t before = gst_vc_count(g->cpu, SVM_EXIT_MSR);
	uint64_t st = rdmsr_insn(MSR_AMD64_SEV);
	GST_CHECK(g, failures, (st & MSR_AMD64_SEV_ES_ENABLED) && gst_vc_count(g->cpu, SVM_EXIT_MSR) == before,
		  "SEV_STATUS 0x%llx (must not raise #VC)", (unsigned long long)st);
	GST_CHECK(g, failures, before == 4, "%llu MSR #VCs, 4 expected", (unsigned long long)before);
	if (!failures)
		gst_printf(g, "vc: MSR ok (%llu #VCs)\n", (unsigned long long)before);
	return failures != 0;
}

/* A #VC while the GHCB is in use: as Linux, the handler saves the page in the backup GHCB and restores it. */
static int check_nested(struct gst_guest *g)
{
	unsigned int failures = 0;
	uint32_t insn[4], nae[4];
	int rc = gst_cpuid(&g->c, 1, 0, nae);
	if (rc)
		return gst_report_fail(g, "CPUID through the GHCB", rc);
	uint64_t nested = gst_vc_nested(g->cpu);
	rc = gst_vc_ghcb_hold(g->cpu);
	if (rc)
		return gst_report_fail(g, "holding the GHCB", rc);
	gst_ghcb_begin(&g->c);
	ghcb_set_sw_exit_code(g->c.ghcb, SVM_EXIT_CPUID);
	ghcb_set_rax(g->c.ghcb, RAX_PATTERN);
	cpuid_insn(1, 0, insn); /* #VC with the GHCB in use */
	bool kept = ghcb_offset_is_valid(g->c.ghcb, GHCB_OFF_RAX) && ghcb_get_rax(g->c.ghcb) == RAX_PATTERN &&
		    ghcb_get_sw_exit_code(g->c.ghcb) == SVM_EXIT_CPUID;
	gst_vc_ghcb_release(g->cpu);
	GST_CHECK(g, failures, kept, "the GHCB in use was not restored after the #VC");
	GST_CHECK(g, failures, gst_vc_nested(g->cpu) == nested + 1, "%llu #VCs with the GHCB in use, %llu expected",
		  (unsigned long long)gst_vc_nested(g->cpu), (unsigned long long)nested + 1);
	GST_CHECK(g, failures, !gst_memcmp(insn, nae, sizeof(insn)), "CPUID 1 with the GHCB in use differs");
	if (!failures)
		gst_printf(g, "vc: nested #VC ok (GHCB kept)\n");
	return failures != 0;
}

struct vc_shared {
	uint32_t done;
	uint32_t ok[SNPEMU_MAX_VCPUS];
};

/* An AP: its own #VCs, on its own GHCB, counted on its own vCPU. */
static int vc_ap(struct gst_guest *g)
{
	struct vc_shared *sh = gst_guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return 1;
	uint32_t insn[4], nae[4];
	cpuid_insn(0x8000001Fu, 0, insn);
	__asm__ volatile("outb %%al, %0" : : "i"(PORT_NOTHING), "a"(0x5A));
	uint64_t aux = rdmsr_insn(MSR_TSC_AUX);
	bool ok = gst_cpuid(&g->c, 0x8000001Fu, 0, nae) == GST_OK && !gst_memcmp(insn, nae, sizeof(insn)) && aux == 0 &&
		  gst_vc_count(g->cpu, SVM_EXIT_CPUID) == 1 && gst_vc_count(g->cpu, SVM_EXIT_IOIO) == 1 &&
		  gst_vc_count(g->cpu, SVM_EXIT_MSR) == 1;
	__atomic_store_n(&sh->ok[g->cpu], ok ? 1u : 0u, __ATOMIC_RELEASE);
	__atomic_fetch_add(&sh->done, 1, __ATOMIC_RELEASE);
	return gst_park(g);
}

static int check_aps(struct gst_guest *g)
{
	uint32_t n = g->boot->vcpus;
	if (n < 2 || !g->snp)
		return 0; /* AP creation is SNP's; one vCPU: nothing to check */
	unsigned int failures = 0;
	struct vc_shared *sh = gst_guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return gst_report_fail(g, "program data area", GST_EFAULT);
	gst_memset(sh, 0, sizeof(*sh));
	if (gst_start_aps(g) || gst_join(g, &sh->done, n - 1, 2000000))
		return 1;
	for (uint32_t i = 1; i < n; i++)
		GST_CHECK(g, failures, __atomic_load_n(&sh->ok[i], __ATOMIC_ACQUIRE), "AP %u: its #VCs went wrong", i);
	if (!failures)
		gst_printf(g, "vc: %u APs served their own #VCs\n", n - 1);
	return failures != 0;
}

static int vc_main(struct gst_guest *g)
{
	if (!(g->boot->flags & SNPEMU_BOOT_VC)) {
		gst_printf(g, "vc: run me with --vc (tcg backend)\n");
		return 2;
	}
	if (gst_argc(g) == 1 && !gst_memcmp(gst_arg(g, 0), "nohandler", 10)) {
		static uint64_t empty_idt[64] __attribute__((aligned(16)));
		struct __attribute__((packed)) {
			uint16_t limit;
			uint64_t base;
		} idtr = {sizeof(empty_idt) - 1, (uint64_t)(uintptr_t)empty_idt};
		gst_printf(g, "vc: no #VC handler; CPUID must end the run\n");
		__asm__ volatile("lidt (%0)" : : "a"(&idtr) : "memory");
		uint32_t r[4];
		cpuid_insn(0, 0, r);
		gst_printf(g, "FAIL: CPUID returned without a #VC handler\n");
		return 1;
	}
	int failed = check_cpuid(g) + check_in(g) + check_out(g) + check_msr(g) + check_nested(g) + check_aps(g);
	if (failed)
		return 1;
	gst_printf(g, "vc: all classes passed\n");
	return 0;
}

GST_PROGRAM_ELF_ONLY(vc, "#VC as an SEV-ES guest lives it (tcg --vc only): CPUID, port IO, MSRs, nested, APs", vc_main,
		     vc_ap);

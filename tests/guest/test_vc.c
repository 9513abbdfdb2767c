/* SPDX-License-Identifier: MIT */
/*
 * The #VC handler's C part (gst_vc_handle, src/guest/vc.c) against the scripted fake hypervisor: each instruction
 * class decoded from its bytes into the NAE event, the registers and RIP it leaves, and what it refuses (RIP then
 * unchanged).  The delivery and IRETQ are the tcg backend's and the entry's: tests/vmm/test_programs_tcg.c runs them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/guest.h>

#include "fake_hv.h"

#define RFLAGS_DF (1ull << 10)

/* A #VC at the instruction `code` with exit code `exit_code` and RAX/RCX/RDX as given. */
static struct gst_vc_regs vc_at(const uint8_t *code, uint64_t exit_code, uint64_t rax, uint64_t rcx, uint64_t rdx)
{
	return (struct gst_vc_regs){
	    .error_code = exit_code, .rip = (uint64_t)(uintptr_t)code, .rax = rax, .rcx = rcx, .rdx = rdx, .rflags = 2};
}

static const struct fh_exit *last(const struct fh_fixture *f)
{
	assert_true(f->h->nexits > 0);
	return &f->h->exits[f->h->nexits - 1];
}

static void test_vc_cpuid(void **state)
{
	struct fh_fixture *f = *state;
	static const uint8_t insn[] = {0x0F, 0xA2};
	struct gst_vc_regs r = vc_at(insn, SVM_EXIT_CPUID, 0xFFFFFFFF00000007ull, 1, 0xFFFFFFFFFFFFFFFFull);
	uint64_t before = gst_vc_count(0, SVM_EXIT_CPUID);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(last(f)->code, SVM_EXIT_CPUID);
	/* the fake answers 0x1000 + leaf, 0x2000 + subleaf, 0x3000, 0x4000; 32-bit results clear the upper halves */
	assert_int_equal(r.rax, 0x1007);
	assert_int_equal(r.rbx, 0x2001);
	assert_int_equal(r.rcx, 0x3000);
	assert_int_equal(r.rdx, 0x4000);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)insn + 2);
	assert_int_equal(gst_vc_count(0, SVM_EXIT_CPUID), before + 1);
}

static void test_vc_in_out(void **state)
{
	struct fh_fixture *f = *state;
	static const uint8_t inb_imm[] = {0xE4, 0x71}, inw_dx[] = {0x66, 0xED}, inl_dx[] = {0xED};
	static const uint8_t outw_imm[] = {0x66, 0xE7, 0x80}, outb_dx[] = {0xEE};
	struct gst_vc_regs r = vc_at(inb_imm, SVM_EXIT_IOIO, 0x1122334455667788ull, 0, 0);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(r.rax, 0x1122334455667778ull); /* AL only */
	assert_int_equal(svm_ioio_port(last(f)->info1), 0x71);
	assert_int_equal(svm_ioio_size(last(f)->info1), 1);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)inb_imm + 2);
	r = vc_at(inw_dx, SVM_EXIT_IOIO, 0x1122334455667788ull, 0, 0x71);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(r.rax, 0x1122334455665678ull); /* AX only */
	assert_int_equal(svm_ioio_size(last(f)->info1), 2);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)inw_dx + 2);
	r = vc_at(inl_dx, SVM_EXIT_IOIO, 0x1122334455667788ull, 0, 0x71);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(r.rax, 0x12345678ull); /* EAX, zero-extended */
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)inl_dx + 1);
	r = vc_at(outw_imm, SVM_EXIT_IOIO, 0xABCDEF, 0, 0);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(f->h->hc_args[4], 0xCDEF);
	assert_int_equal(svm_ioio_port(last(f)->info1), 0x80);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)outw_imm + 3);
	r = vc_at(outb_dx, SVM_EXIT_IOIO, 0x41, 0, 0x90);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(svm_ioio_port(last(f)->info1), 0x90);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)outb_dx + 1);
}

static void test_vc_string_io(void **state)
{
	struct fh_fixture *f = *state;
	static const uint8_t rep_outsb[] = {0xF3, 0x6E}, rep_insw[] = {0xF3, 0x66, 0x6D}, rep_insb[] = {0xF3, 0x6C};
	static const char text[] = "hey";
	struct gst_vc_regs r = vc_at(rep_outsb, SVM_EXIT_IOIO, 0, 3, GST_CONSOLE_PORT);
	r.rsi = (uint64_t)(uintptr_t)text;
	f->h->console_len = 0;
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(f->h->console_len, 3);
	assert_memory_equal(f->h->console, "hey", 3);
	assert_int_equal(r.rsi, (uint64_t)(uintptr_t)text + 3);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)rep_outsb + 2);
	uint16_t words[4] = {0};
	r = vc_at(rep_insw, SVM_EXIT_IOIO, 0, 3, 0x90);
	r.rdi = (uint64_t)(uintptr_t)words;
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(words[0], 0x5A5A);
	assert_int_equal(words[2], 0x5A5A);
	assert_int_equal(words[3], 0);
	assert_int_equal(r.rdi, (uint64_t)(uintptr_t)words + 6);
	assert_int_equal(r.rcx, 0);
	/* DF set: downwards, element by element */
	uint8_t bytes[6] = {0};
	r = vc_at(rep_insb, SVM_EXIT_IOIO, 0, 4, 0x90);
	r.rflags |= RFLAGS_DF;
	r.rdi = (uint64_t)(uintptr_t)&bytes[4];
	fh_clear_record(f->h);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(f->h->nexits, 4);
	assert_int_equal(bytes[0], 0);
	assert_int_equal(bytes[1], 0x5A);
	assert_int_equal(bytes[4], 0x5A);
	assert_int_equal(bytes[5], 0);
	assert_int_equal(r.rdi, (uint64_t)(uintptr_t)&bytes[0]);
	/* REP with RCX 0: nothing sent, the instruction completes */
	r = vc_at(rep_insb, SVM_EXIT_IOIO, 0, 0, 0x90);
	fh_clear_record(f->h);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(f->h->nexits, 0);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)rep_insb + 2);
}

static void test_vc_msr(void **state)
{
	struct fh_fixture *f = *state;
	static const uint8_t wrmsr[] = {0x0F, 0x30}, rdmsr[] = {0x0F, 0x32};
	struct gst_vc_regs r = vc_at(wrmsr, SVM_EXIT_MSR, 0x55667788, 0x10, 0x11223344);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(f->h->msr_store, 0x1122334455667788ull);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)wrmsr + 2);
	r = vc_at(rdmsr, SVM_EXIT_MSR, ~0ull, 0x10, ~0ull);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(r.rdx << 32 | r.rax, 0x1122334455667788ull ^ 0x10);
	/* a #GP from the hypervisor: refused, unless the program asked for it (then skipped and reported) */
	r = vc_at(rdmsr, SVM_EXIT_MSR, 0, 0xBAD, 0);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_EEXCEPTION);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)rdmsr);
	gst_vc_allow_gp(0);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_OK);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)rdmsr + 2);
	assert_true(gst_vc_gp_seen(0));
	assert_false(gst_vc_gp_seen(0));
}

/* What the handler refuses, leaving RIP at the instruction (the entry then terminates the guest). */
static void test_vc_refused(void **state)
{
	struct fh_fixture *f = *state;
	static const uint8_t cpuid[] = {0x0F, 0xA2}, outs_fs[] = {0x64, 0xF3, 0x6E}, ins32[] = {0x67, 0xF3, 0x6C};
	static const uint8_t prefixes[16] = {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					     0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xED};
	struct gst_vc_regs r = vc_at(cpuid, SVM_EXIT_IOIO, 0, 0, 0); /* exit code and instruction disagree */
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_EINVAL);
	r = vc_at(cpuid, SVM_EXIT_MSR, 0, 0, 0);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_EINVAL);
	r = vc_at(cpuid, 0x78 /* HLT */, 0, 0, 0);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_ENOTSUP);
	r = vc_at(outs_fs, SVM_EXIT_IOIO, 0, 1, 0x90);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_ENOTSUP);
	r = vc_at(ins32, SVM_EXIT_IOIO, 0, 1, 0x90);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_ENOTSUP);
	r = vc_at(prefixes, SVM_EXIT_IOIO, 0, 0, 0x90); /* longer than 15 bytes */
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_EINVAL);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)prefixes);
	/* a response the library rejects (RAX not valid) is an error, the registers untouched */
	static const uint8_t inb[] = {0xE4, 0x71};
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_RAX}});
	r = vc_at(inb, SVM_EXIT_IOIO, 7, 0, 0);
	assert_int_equal(gst_vc_handle(&f->c, 0, &r), GST_EPROTO);
	assert_int_equal(r.rax, 7);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)inb);
}

/* Per vCPU: counts are the serving vCPU's; a cpu out of range is refused. */
static void test_vc_per_cpu(void **state)
{
	struct fh_fixture *f = *state;
	static const uint8_t insn[] = {0x0F, 0xA2};
	struct gst_vc_regs r = vc_at(insn, SVM_EXIT_CPUID, 0, 0, 0);
	uint64_t c0 = gst_vc_count(0, SVM_EXIT_CPUID), c5 = gst_vc_count(5, SVM_EXIT_CPUID);
	assert_int_equal(gst_vc_handle(&f->c, 5, &r), GST_OK);
	assert_int_equal(gst_vc_count(5, SVM_EXIT_CPUID), c5 + 1);
	assert_int_equal(gst_vc_count(0, SVM_EXIT_CPUID), c0);
	r = vc_at(insn, SVM_EXIT_CPUID, 0, 0, 0);
	assert_int_equal(gst_vc_handle(&f->c, GST_VC_MAX_CPUS, &r), GST_EINVAL);
	assert_int_equal(r.rip, (uint64_t)(uintptr_t)insn);
	assert_int_equal(gst_vc_count(GST_VC_MAX_CPUS, SVM_EXIT_CPUID), 0);
}

/* A #VC while the GHCB is in use (Linux's backup GHCB): the page is saved, the event served, the page restored;
 * the hold itself is exclusive. */
static void test_vc_nested(void **state)
{
	struct fh_fixture *f = *state;
	static const uint8_t insn[] = {0x0F, 0xA2};
	struct gst_vc_regs r = vc_at(insn, SVM_EXIT_CPUID, 1, 0, 0);
	uint64_t nested = gst_vc_nested(1);
	assert_int_equal(gst_vc_ghcb_hold(1), GST_OK);
	assert_int_equal(gst_vc_ghcb_hold(1), GST_EBUSY);
	gst_ghcb_begin(&f->c);
	ghcb_set_rbx(f->c.ghcb, 0x5A5A);
	uint8_t before[GHCB_PAGE_SIZE];
	memcpy(before, f->c.ghcb, sizeof(before));
	assert_int_equal(gst_vc_handle(&f->c, 1, &r), GST_OK);
	assert_int_equal(last(f)->code, SVM_EXIT_CPUID);
	assert_int_equal(r.rax, 0x1001);
	assert_memory_equal(f->c.ghcb, before, sizeof(before));
	assert_int_equal(gst_vc_nested(1), nested + 1);
	gst_vc_ghcb_release(1);
	/* not held: served without the backup */
	r = vc_at(insn, SVM_EXIT_CPUID, 1, 0, 0);
	assert_int_equal(gst_vc_handle(&f->c, 1, &r), GST_OK);
	assert_int_equal(gst_vc_nested(1), nested + 1);
	assert_int_equal(gst_vc_ghcb_hold(1), GST_OK);
	gst_vc_ghcb_release(1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fh_fixture_setup, fh_fixture_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_vc_cpuid),	T(test_vc_in_out),  T(test_vc_string_io), T(test_vc_msr),
	    T(test_vc_refused), T(test_vc_per_cpu), T(test_vc_nested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

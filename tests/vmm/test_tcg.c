/* SPDX-License-Identifier: MIT */
/*
 * The tcg backend's lower layer (src/vmm/tcg.h) against machine-code snippets placed at SNPEMU_IMAGE_GPA: the real SNP
 * instructions and their completions, the CPL-3 traps that catch every MSR access, #UD/#PF reports with error code,
 * CR2 and RIP, port IO through the io callback, the CPU lock that keeps `lock` instructions atomic across
 * vCPUs, stop requests from another thread, and the deterministic virtual TSC.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>

#include "vmm/kvm_internal.h"
#include "vmm/tcg.h"

#define CODE  SNPEMU_IMAGE_GPA
#define STACK (SNPEMU_IMAGE_GPA + 0x20000)
#define DATA  (SNPEMU_IMAGE_GPA + 0x30000)

struct fixture {
	struct vmm_tcg_vm *vm;
	struct vmm_tcg_vcpu *vcpu;
};

static struct vmm_tcg_vm *make_vm(bool deterministic)
{
	struct vmm_tcg_vm_config cfg = {.ram_size = VMM_KVM_RAM_MIN, .deterministic = deterministic};
	struct vmm_tcg_vm *vm = NULL;
	char reason[VMM_TCG_REASON_LEN] = "";
	int rc = vmm_tcg_vm_create(&cfg, &vm, reason, sizeof(reason));
	if (rc)
		print_message("%s\n", reason);
	assert_int_equal(rc, 0);
	return vm;
}

static void load(struct vmm_tcg_vm *vm, uint64_t gpa, const uint8_t *code, size_t len)
{
	uint8_t *p = vmm_tcg_gpa(vm, gpa, len);
	assert_non_null(p);
	memcpy(p, code, len);
}

static struct vmm_tcg_vcpu *make_vcpu(struct vmm_tcg_vm *vm, uint32_t id, uint64_t rip, uint64_t rsp)
{
	const struct vmm_regs regs = {.rip = rip, .rsp = rsp, .rdi = id, .rflags = 2};
	struct vmm_tcg_vcpu *vcpu = NULL;
	assert_int_equal(vmm_tcg_vcpu_create(vm, id, &regs, NULL, &vcpu), 0);
	return vcpu;
}

/* A VM with one vCPU at CODE running code[len]. */
static void start(struct fixture *f, const uint8_t *code, size_t len, bool deterministic)
{
	f->vm = make_vm(deterministic);
	load(f->vm, CODE, code, len);
	f->vcpu = make_vcpu(f->vm, 0, CODE, STACK);
}

static void finish(struct fixture *f)
{
	vmm_tcg_vcpu_destroy(f->vcpu);
	assert_int_equal(vmm_tcg_vm_destroy(f->vm), 0);
}

static void run(struct fixture *f, struct vmm_kvm_exit *e, enum vmm_kvm_exit_kind want)
{
	char what[VMM_KVM_REASON_LEN];
	assert_int_equal(vmm_tcg_vcpu_run(f->vcpu, e), 0);
	if (e->kind != want) {
		vmm_kvm_exit_describe(e, what, sizeof(what));
		print_message("unexpected exit: %s\n", what);
	}
	assert_int_equal(e->kind, want);
}

static struct vmm_regs regs_of(struct fixture *f)
{
	struct vmm_regs r;
	assert_int_equal(vmm_tcg_vcpu_get_regs(f->vcpu, &r), 0);
	return r;
}

static void test_probe_and_config(void **state)
{
	(void)state;
	char reason[VMM_TCG_REASON_LEN] = "";
	struct vmm_tcg_vm *vm = NULL;
	assert_int_equal(vmm_tcg_probe(reason, sizeof(reason)), 0);
	struct vmm_tcg_vm_config bad = {.ram_size = VMM_KVM_RAM_MIN + 4096};
	assert_int_equal(vmm_tcg_vm_create(&bad, &vm, reason, sizeof(reason)), -EINVAL);
	assert_non_null(strstr(reason, "2 MiB"));
	vm = make_vm(false);
	assert_null(vmm_tcg_gpa(vm, VMM_KVM_RAM_MIN - 8, 16));
	assert_null(vmm_tcg_gpa(vm, UINT64_MAX - 2, 8));
	struct vmm_tcg_vcpu *v = make_vcpu(vm, 3, CODE, STACK), *again = NULL;
	const struct vmm_regs regs = {.rip = CODE};
	assert_int_equal(vmm_tcg_vcpu_create(vm, 3, &regs, NULL, &again), -EEXIST);
	assert_int_equal(vmm_tcg_vcpu_create(vm, VMM_KVM_MAX_VCPUS, &regs, NULL, &again), -EINVAL);
	assert_int_equal(vmm_tcg_vm_destroy(vm), -EBUSY);
	/* Entered at CPL 3 on the VMM's user segments, with its TSS and tables. */
	struct vmm_sregs s;
	assert_int_equal(vmm_tcg_vcpu_get_sregs(v, &s), 0);
	assert_int_equal(s.cs.selector, VMM_KVM_SEL_UCODE | 3u);
	assert_int_equal(s.ss.selector, VMM_KVM_SEL_UDATA | 3u);
	assert_int_equal(s.cs.attrib >> 5 & 3u, 3);
	assert_int_equal(s.tr.selector, VMM_KVM_SEL_TSS0 + 16 * 3);
	assert_int_equal(s.cr3, VMM_KVM_PML4_GPA);
	assert_int_equal(s.gdtr.base, VMM_KVM_GDT_GPA);
	assert_true(s.efer & (1u << 10)); /* LMA */
	vmm_tcg_vcpu_destroy(v);
	assert_int_equal(vmm_tcg_vm_destroy(vm), 0);
}

/* rep vmmcall; PVALIDATE; setc %bl; RMPADJUST; ud2 */
static void test_snp_instructions(void **state)
{
	(void)state;
	static const uint8_t code[] = {
	    0xF3, 0x0F, 0x01, 0xD9,		      /* rep vmmcall */
	    0x48, 0xC7, 0xC0, 0x00, 0x00, 0x20, 0x00, /* mov $0x200000, %rax */
	    0xB9, 0x01, 0x00, 0x00, 0x00,	      /* mov $1, %ecx */
	    0xBA, 0x01, 0x00, 0x00, 0x00,	      /* mov $1, %edx */
	    0xF2, 0x0F, 0x01, 0xFF,		      /* pvalidate */
	    0x0F, 0x92, 0xC3,			      /* setc %bl */
	    0x48, 0x89, 0xC6,			      /* mov %rax, %rsi */
	    0xBA, 0x01, 0x01, 0x00, 0x00,	      /* mov $0x101, %edx */
	    0xF3, 0x0F, 0x01, 0xFE,		      /* rmpadjust */
	    0x0F, 0x0B,				      /* ud2 */
	};
	struct fixture f;
	struct vmm_kvm_exit e;
	start(&f, code, sizeof(code), false);
	run(&f, &e, VMM_KVM_EXIT_VMGEXIT);
	assert_int_equal(regs_of(&f).rip, CODE + 4);
	run(&f, &e, VMM_KVM_EXIT_PVALIDATE);
	assert_int_equal(e.pvalidate.vaddr, 0x200000);
	assert_int_equal(e.pvalidate.page_size, 1);
	assert_int_equal(e.pvalidate.validate, 1);
	assert_int_equal(vmm_tcg_complete_rmpadjust(f.vcpu, 0), -EINVAL);
	assert_int_equal(vmm_tcg_complete_pvalidate(f.vcpu, SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH, true), 0);
	run(&f, &e, VMM_KVM_EXIT_RMPADJUST);
	assert_int_equal(e.rmpadjust.vaddr, SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH); /* RAX after PVALIDATE */
	assert_int_equal(e.rmpadjust.attrs, 0x101);
	struct vmm_regs r = regs_of(&f);
	assert_int_equal(r.rsi, SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_int_equal(r.rbx & 0xFF, 1); /* CF: no RMP update */
	assert_int_equal(vmm_tcg_complete_rmpadjust(f.vcpu, 0), 0);
	run(&f, &e, VMM_KVM_EXIT_EXCEPTION);
	assert_int_equal(e.exception.vector, 6);
	assert_int_equal(e.exception.rip, CODE + sizeof(code) - 2);
	assert_int_equal(regs_of(&f).rax, 0); /* RMPADJUST's answer */
	finish(&f);
}

/* Every MSR access traps, whatever the MSR: at CPL 3 RDMSR/WRMSR raise #GP (TCG would ignore them at CPL 0). */
static void test_msr_access_traps(void **state)
{
	(void)state;
	static const uint8_t code[] = {
	    0xB9, 0x30, 0x01, 0x01, 0xC0, /* mov $0xC0010130, %ecx */
	    0x0F, 0x30,			  /* wrmsr */
	    0x0F, 0x32,			  /* rdmsr */
	};
	struct fixture f;
	struct vmm_kvm_exit e;
	start(&f, code, sizeof(code), false);
	run(&f, &e, VMM_KVM_EXIT_EXCEPTION);
	assert_int_equal(e.exception.vector, 13);
	assert_int_equal(e.exception.rip, CODE + 5);
	assert_int_equal(e.exception.cs & 3, 3);
	struct vmm_regs r;
	assert_int_equal(vmm_tcg_exception_regs(f.vcpu, &e, &r), 0);
	assert_int_equal(r.rcx, 0xC0010130u);
	/* What the VMM's trap-and-emulate does: resume after the instruction on the same segments. */
	struct vmm_sregs s;
	assert_int_equal(vmm_tcg_vcpu_get_sregs(f.vcpu, &s), 0);
	s.fs.base = 0x123000;
	assert_int_equal(vmm_tcg_vcpu_set_sregs(f.vcpu, &s), 0);
	r.rip += 2;
	assert_int_equal(vmm_tcg_vcpu_set_regs(f.vcpu, &r), 0);
	run(&f, &e, VMM_KVM_EXIT_EXCEPTION);
	assert_int_equal(e.exception.vector, 13);
	assert_int_equal(e.exception.rip, CODE + 7);
	assert_int_equal(vmm_tcg_vcpu_get_sregs(f.vcpu, &s), 0);
	assert_int_equal(s.fs.base, 0x123000);
	/* CPL 0 cannot be loaded from CPL 3 */
	s.cs.selector = VMM_KVM_SEL_CODE;
	assert_int_equal(vmm_tcg_vcpu_set_sregs(f.vcpu, &s), -ENOTSUP);
	finish(&f);
}

/* The msr callback: serves the GHCB MSR (a register it keeps), refuses every other MSR. */
struct msr_log {
	uint64_t ghcb;
	unsigned int reads, writes;
};

static bool msr_cb(void *ctx, uint32_t vcpu_id, uint32_t index, bool write, uint64_t *value)
{
	struct msr_log *log = ctx;
	assert_int_equal(vcpu_id, 0);
	if (index != 0xC0010130u)
		return false;
	if (write)
		log->ghcb = *value, log->writes++;
	else
		*value = log->ghcb, log->reads++;
	return true;
}

/* RDMSR/WRMSR the msr callback serves complete inside the emulator: three in a row (each a #GP at CPL 3 whose
 * exception state must be reset, or the next would be a #DF) without an exit; one it refuses stays the #GP exit,
 * still vector 13.  Deterministic mode: each served exit advances the virtual clock by VMM_TCG_EXIT_STEP. */
static void test_msr_served_in_hook(void **state)
{
	(void)state;
	static const uint8_t code[] = {
	    0xB9, 0x30, 0x01, 0x01, 0xC0, /* mov $0xC0010130, %ecx */
	    0xB8, 0x01, 0x20, 0x00, 0x00, /* mov $0x2001, %eax */
	    0xBA, 0x05, 0x00, 0x00, 0x00, /* mov $5, %edx */
	    0x0F, 0x30,			  /* wrmsr */
	    0x31, 0xC0,			  /* xor %eax, %eax */
	    0x31, 0xD2,			  /* xor %edx, %edx */
	    0x0F, 0x32,			  /* rdmsr */
	    0x48, 0x89, 0xC3,		  /* mov %rax, %rbx */
	    0x0F, 0x32,			  /* rdmsr */
	    0xB9, 0x03, 0x01, 0x00, 0xC0, /* mov $0xC0000103 (TSC_AUX), %ecx */
	    0x0F, 0x32,			  /* rdmsr: refused */
	    0x0F, 0x0B,			  /* ud2 */
	};
	struct msr_log log = {0};
	struct vmm_tcg_vm_config cfg = {
	    .ram_size = VMM_KVM_RAM_MIN, .deterministic = true, .msr = msr_cb, .io_ctx = &log};
	struct fixture f;
	char reason[VMM_TCG_REASON_LEN];
	struct vmm_kvm_exit e;
	assert_int_equal(vmm_tcg_vm_create(&cfg, &f.vm, reason, sizeof(reason)), 0);
	load(f.vm, CODE, code, sizeof(code));
	f.vcpu = make_vcpu(f.vm, 0, CODE, STACK);
	uint64_t entries = vmm_tcg_vcpu_entries(f.vcpu);
	run(&f, &e, VMM_KVM_EXIT_EXCEPTION);
	assert_int_equal(e.exception.vector, 13);
	assert_int_equal(e.exception.rip, CODE + sizeof(code) - 4);
	assert_int_equal(vmm_tcg_vcpu_entries(f.vcpu), entries + 1); /* one uc_emu_start for the whole run */
	assert_int_equal(log.writes, 1);
	assert_int_equal(log.reads, 2);
	assert_int_equal(log.ghcb, 0x500002001ull);
	struct vmm_regs r = regs_of(&f);
	assert_int_equal(r.rbx, 0x2001);
	assert_int_equal(r.rax, 0x2001);
	assert_int_equal(r.rdx, 5);
	assert_int_equal(vmm_tcg_vcpu_clock(f.vcpu), 0);
	/* the VMM served that exit (here: skipped the instruction); the clock counts it on resume */
	r.rip += 2;
	assert_int_equal(vmm_tcg_vcpu_set_regs(f.vcpu, &r), 0);
	run(&f, &e, VMM_KVM_EXIT_EXCEPTION);
	assert_int_equal(e.exception.vector, 6);
	assert_int_equal(vmm_tcg_vcpu_clock(f.vcpu), VMM_TCG_EXIT_STEP);
	finish(&f);
}

struct fault_case {
	const char *name;
	uint8_t code[16];
	size_t len;
	uint32_t vector;
	uint64_t error_code, cr2;
};

static void test_faults(void **state)
{
	(void)state;
	static const struct fault_case cases[] = {
	    /* mov 0, %rax: the null page is not present (read, user) */
	    {"null read", {0x48, 0x8B, 0x04, 0x25, 0, 0, 0, 0}, 8, 14, 0x4, 0},
	    /* mov %rax, 0x8000: the GDT page is present but supervisor-only */
	    {"system area read", {0x48, 0x8B, 0x04, 0x25, 0x00, 0x80, 0, 0}, 8, 14, 0x5, 0x8000},
	    /* mov 0x500000, %rax: beyond RAM, not mapped by the page tables */
	    {"beyond RAM", {0x48, 0x8B, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00}, 8, 14, 0x4, 0x500000},
	    /* jmp to 0x500000 */
	    {"fetch beyond RAM", {0x68, 0x00, 0x00, 0x50, 0x00, 0xC3}, 6, 14, 0x14, 0x500000},
	    /* hlt at CPL 3 */
	    {"hlt", {0xF4}, 1, 13, 0, 0},
	    /* ud2 */
	    {"ud2", {0x0F, 0x0B}, 2, 6, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fault_case *c = &cases[i];
		struct fixture f;
		struct vmm_kvm_exit e;
		print_message("%s\n", c->name);
		start(&f, c->code, c->len, false);
		run(&f, &e, VMM_KVM_EXIT_EXCEPTION);
		assert_int_equal(e.exception.vector, c->vector);
		assert_int_equal(e.exception.error_code, c->error_code);
		if (c->vector == 14) {
			assert_int_equal(e.exception.cr2, c->cr2);
			assert_int_equal(e.exception.rip, c->cr2 == 0x500000 && c->len == 6 ? 0x500000 : CODE);
		} else {
			assert_int_equal(e.exception.rip, CODE);
		}
		finish(&f);
	}
}

/* Port IO is served inside the instruction by the VM's io callback: OUT data, IN answers, a stop request. */
struct io_log {
	char out[16];
	unsigned int n;
};

static bool io_cb(void *ctx, uint32_t vcpu_id, uint16_t port, bool in, uint8_t *data, uint32_t size)
{
	struct io_log *log = ctx;
	assert_int_equal(vcpu_id, 0);
	if (in) {
		assert_int_equal(port, 0x3FD);
		assert_int_equal(size, 1);
		data[0] = 0x60; /* COM1 line status: transmitter empty */
		return true;
	}
	if (port == SNPEMU_PORT_EXIT)
		return false;
	assert_int_equal(port, SNPEMU_PORT_CONSOLE);
	assert_true(log->n + 1 < sizeof(log->out));
	log->out[log->n++] = (char)data[0];
	return true;
}

static void test_port_io(void **state)
{
	(void)state;
	static const uint8_t code[] = {
	    0x66, 0xBA, 0xF8, 0x03, /* mov $0x3F8, %dx */
	    0xB0, 0x68,		    /* mov $'h', %al */
	    0xEE,		    /* out %al, %dx */
	    0xB0, 0x69,		    /* mov $'i', %al */
	    0xEE,		    /* out %al, %dx */
	    0x66, 0xBA, 0xFD, 0x03, /* mov $0x3FD, %dx */
	    0xEC,		    /* in %dx, %al */
	    0x88, 0xC3,		    /* mov %al, %bl */
	    0x66, 0xBA, 0xE2, 0x05, /* mov $SNPEMU_PORT_EXIT, %dx */
	    0xEF,		    /* out %eax, %dx */
	    0xEB, 0xFE,		    /* jmp . (the callback stopped the vCPU before) */
	};
	_Static_assert(SNPEMU_PORT_EXIT == 0x5E2, "the snippet's port");
	struct io_log log = {.n = 0};
	struct vmm_tcg_vm_config cfg = {.ram_size = VMM_KVM_RAM_MIN, .io = io_cb, .io_ctx = &log};
	struct fixture f;
	char reason[VMM_TCG_REASON_LEN];
	struct vmm_kvm_exit e;
	assert_int_equal(vmm_tcg_vm_create(&cfg, &f.vm, reason, sizeof(reason)), 0);
	load(f.vm, CODE, code, sizeof(code));
	f.vcpu = make_vcpu(f.vm, 0, CODE, STACK);
	run(&f, &e, VMM_KVM_EXIT_INTR);
	assert_string_equal(log.out, "hi");
	assert_int_equal(regs_of(&f).rbx & 0xFF, 0x60);
	finish(&f);
}

/* Two vCPUs increment one counter with `lock incl` 200000 times each: the CPU lock keeps every increment. */
struct spinner {
	struct vmm_tcg_vcpu *vcpu;
	struct vmm_kvm_exit e;
	int rc;
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;
	s->rc = vmm_tcg_vcpu_run(s->vcpu, &s->e);
	return NULL;
}

static void test_lock_is_atomic_across_vcpus(void **state)
{
	(void)state;
	static const uint8_t code[] = {
	    0xB9, 0x40, 0x0D, 0x03, 0x00,		    /* mov $200000, %ecx */
	    0xF0, 0xFF, 0x04, 0x25, 0x00, 0x00, 0x13, 0x00, /* 1: lock incl DATA */
	    0xFF, 0xC9,					    /* dec %ecx */
	    0x75, 0xF4,					    /* jnz 1b */
	    0xF4,					    /* hlt: #GP, the end */
	};
	_Static_assert(DATA == 0x130000, "the snippet's address");
	struct vmm_tcg_vm *vm = make_vm(false);
	load(vm, CODE, code, sizeof(code));
	struct spinner s[2];
	pthread_t t[2];
	for (uint32_t i = 0; i < 2; i++) {
		s[i].vcpu = make_vcpu(vm, i, CODE, STACK - 0x1000 * i);
		assert_int_equal(pthread_create(&t[i], NULL, spin_thread, &s[i]), 0);
	}
	for (uint32_t i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(s[i].rc, 0);
		assert_int_equal(s[i].e.kind, VMM_KVM_EXIT_EXCEPTION);
		assert_int_equal(s[i].e.exception.vector, 13);
		vmm_tcg_vcpu_destroy(s[i].vcpu);
	}
	assert_int_equal(le32_load(vmm_tcg_gpa(vm, DATA, 4)), 400000);
	assert_int_equal(vmm_tcg_vm_destroy(vm), 0);
}

/* A vCPU spinning in `jmp .` leaves run() with INTR when another thread asks it to stop. */
static void test_stop_request(void **state)
{
	(void)state;
	static const uint8_t code[] = {0xEB, 0xFE};
	struct fixture f;
	start(&f, code, sizeof(code), false);
	struct spinner s = {.vcpu = f.vcpu};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, spin_thread, &s), 0);
	const struct timespec ms = {0, 1000000};
	for (int tries = 0; tries < 5000; tries++) {
		vmm_tcg_vcpu_request_stop(f.vcpu);
		nanosleep(&ms, NULL);
		if (pthread_tryjoin_np(t, NULL) == 0)
			break;
	}
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.e.kind, VMM_KVM_EXIT_INTR);
	vmm_tcg_vcpu_clear_stop(f.vcpu);
	finish(&f);
}

/* Deterministic mode: RDTSC counts VMM_TCG_TSC_STEP per read from 0, not the host clock. */
static void test_virtual_tsc(void **state)
{
	(void)state;
	static const uint8_t code[] = {
	    0x0F, 0x31,	      /* rdtsc */
	    0x48, 0x89, 0xC3, /* mov %rax, %rbx */
	    0x0F, 0x31,	      /* rdtsc */
	    0x0F, 0x0B,	      /* ud2 */
	};
	struct fixture f;
	struct vmm_kvm_exit e;
	start(&f, code, sizeof(code), true);
	run(&f, &e, VMM_KVM_EXIT_EXCEPTION);
	assert_int_equal(e.exception.vector, 6);
	struct vmm_regs r = regs_of(&f);
	assert_int_equal(r.rbx, 0);
	assert_int_equal(r.rax, VMM_TCG_TSC_STEP);
	assert_int_equal(r.rdx, 0);
	finish(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_and_config),
	    cmocka_unit_test(test_snp_instructions),
	    cmocka_unit_test(test_msr_access_traps),
	    cmocka_unit_test(test_faults),
	    cmocka_unit_test(test_port_io),
	    cmocka_unit_test(test_lock_is_atomic_across_vcpus),
	    cmocka_unit_test(test_stop_request),
	    cmocka_unit_test(test_virtual_tsc),
	    cmocka_unit_test(test_msr_served_in_hook),
	};
	return cmocka_run_group_tests_name("vmm/tcg", tests, NULL, NULL);
}

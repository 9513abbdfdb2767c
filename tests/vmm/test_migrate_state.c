/* SPDX-License-Identifier: MIT */
/*
 * The VCPU section of the migration stream (src/vmm/migrate_state.c): a running vCPU's state round-trips with its
 * x87/SSE part, and the decoder refuses what a register could not hold (MXCSR's reserved bits, an ST slot's
 * padding, an opcode wider than 11 bits) and a running vCPU without its FPU state.  The seed corpus of
 * fuzz/vmm_migrate_state decodes (it reaches the re-encoding check, not only the refusals).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>

#include "../common/fixture_file.h"
#include "vmm/migrate_internal.h"

#define FPU_OFF (VMM_MIG_VCPU_REGS_SIZE - 424u) /* where the x87/SSE part starts */

static void running(struct vmm_vcpu_state *st)
{
	memset(st, 0, sizeof(*st));
	st->valid = VMM_VCPU_STATE_REGS | VMM_VCPU_STATE_SREGS | VMM_VCPU_STATE_FPU | VMM_VCPU_STATE_GHCB_MSR |
		    VMM_VCPU_STATE_AP | VMM_VCPU_STATE_TSC;
	st->ap_state = VMM_AP_RUNNING;
	st->regs.rip = 0x401000;
	st->sregs.cs.selector = 0x2B;
	st->sregs.ss.selector = 0x23;
	st->sregs.cr0 = 0x80000001;
	st->sregs.efer = 0x500;
	st->fpu.fcw = 0x37F;
	st->fpu.fsw = 3u << 11;
	st->fpu.ftwx = 0x08;
	st->fpu.last_opcode = 0x7FF;
	st->fpu.mxcsr = 0xFFFF;
	for (int i = 0; i < 16; i++)
		memset(st->fpu.xmm[i], i * 17, 16);
	memset(st->fpu.fpr[3], 0x5A, 10);
}

static int encode(const struct vmm_vcpu_state *st, uint8_t *buf)
{
	uint8_t engine[HV_VCPU_STATE_SIZE] = {0};
	size_t len = 0;
	int rc = vmm_mig_vcpu_encode(st, engine, sizeof(engine), buf, VMM_MIG_VCPU_SIZE, &len);
	assert_int_equal(len, VMM_MIG_VCPU_SIZE);
	return rc;
}

static int decode(const uint8_t *buf, struct vmm_vcpu_state *st)
{
	const uint8_t *engine;
	char why[128];
	return vmm_mig_vcpu_decode(buf, VMM_MIG_VCPU_SIZE, 1, st, &engine, why, sizeof(why));
}

static void test_fpu_round_trip(void **state)
{
	(void)state;
	struct vmm_vcpu_state st, back;
	uint8_t buf[VMM_MIG_VCPU_SIZE];
	running(&st);
	assert_int_equal(encode(&st, buf), 0);
	assert_int_equal(le32_load(buf), 2); /* the version that carries x87/SSE state */
	assert_int_equal(decode(buf, &back), 0);
	assert_memory_equal(&back.fpu, &st.fpu, sizeof(st.fpu));
	assert_memory_equal(&back.regs, &st.regs, sizeof(st.regs));
}

static void test_fpu_refusals(void **state)
{
	(void)state;
	struct vmm_vcpu_state st, back;
	uint8_t buf[VMM_MIG_VCPU_SIZE], bad[VMM_MIG_VCPU_SIZE];
	running(&st);
	assert_int_equal(encode(&st, buf), 0);
	const struct {
		const char *what;
		unsigned off;
		uint32_t value;
	} rows[] = {
	    {"FCW wider than 16 bits", FPU_OFF + 0, 0x10000},
	    {"abridged tag wider than 8 bits", FPU_OFF + 8, 0x100},
	    {"opcode wider than 11 bits", FPU_OFF + 12, 0x800},
	    {"padding of ST0's slot", FPU_OFF + 32 + 10, 1},
	    {"MXCSR reserved bit 16", FPU_OFF + 32 + 128 + 256, 0x1FFFF},
	    {"reserved word", FPU_OFF + 32 + 128 + 256 + 4, 1},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memcpy(bad, buf, sizeof(buf));
		le32_store(bad + rows[i].off, rows[i].value);
		if (decode(bad, &back) != -EPROTO)
			fail_msg("accepted: %s", rows[i].what);
	}
	/* A running vCPU must bring its x87/SSE state. */
	st.valid &= ~VMM_VCPU_STATE_FPU;
	assert_int_equal(encode(&st, buf), 0);
	assert_int_equal(decode(buf, &back), -EPROTO);
}

static void test_corpus_seed_decodes(void **state)
{
	(void)state;
	size_t len = 0;
	uint8_t *seed = fixture_read("../../fuzz/corpus/vmm_migrate_state/vcpu", &len);
	assert_non_null(seed);
	assert_int_equal(len, 1 + VMM_MIG_VCPU_SIZE);
	const uint8_t *engine;
	char why[128];
	struct vmm_vcpu_state st;
	if (vmm_mig_vcpu_decode(seed + 1, len - 1, SNPEMU_MAX_VCPUS, &st, &engine, why, sizeof(why)))
		fail_msg("the seed is refused: %s", why);
	free(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fpu_round_trip),
	    cmocka_unit_test(test_fpu_refusals),
	    cmocka_unit_test(test_corpus_seed_decodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

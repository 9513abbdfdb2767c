/* SPDX-License-Identifier: MIT */
/*
 * Conformance rows for NAE validation, the GHCB mapping, the scratch area, the simple events, MMIO and IOIO
 * (spec §1-§6, §12).
 */
#include <string.h>

#include <snpemu/abi/psc.h>
#include <snpemu/abi/snp_msg.h>

#include "conformance.h"

static void prep_ghcb_unbacked(struct env *e)
{
	hv_vcpu_set_ghcb_msr(e->vcpu, UNBACKED_GPA);
}

static void prep_ghcb_private(struct env *e)
{
	memcpy(e->mem + PRIV_GPA, env_ghcb(e), 4096);
	e->priv_on = true;
	hv_vcpu_set_ghcb_msr(e->vcpu, PRIV_GPA);
}

static void prep_ghcb_zero(struct env *e)
{
	hv_vcpu_set_ghcb_msr(e->vcpu, 0);
}

static void prep_private_on(struct env *e)
{
	e->priv_on = true;
}

static void prep_out_data(struct env *e)
{
	for (unsigned int i = 0; i < 64; i++) {
		e->mem[OUT_GPA + i] = (uint8_t)(0xA0 + i);
		e->mem[SHBUF_GPA + i] = (uint8_t)(0x50 + i);
	}
}

static void prep_jt_set(struct env *e)
{
	/* Set the jump table first (a whole NAE), then the row's GET runs. */
	env_nae(e, SVM_VMGEXIT_AP_JUMP_TABLE, SVM_VMGEXIT_SET_AP_JUMP_TABLE, 0x9F000);
	hv_vcpu_vmgexit(e->vcpu);
	env_nae(e, SVM_VMGEXIT_AP_JUMP_TABLE, SVM_VMGEXIT_GET_AP_JUMP_TABLE, 0);
}

static int resp_pio_in(struct env *e)
{
	for (unsigned int i = 0; i < 4; i++)
		e->run->pio_data[i] = (uint8_t)(0x11 * (i + 1));
	return hv_vcpu_vmgexit(e->vcpu);
}

static int resp_unprivate(struct env *e)
{
	e->priv_on = false;
	return hv_vcpu_vmgexit(e->vcpu);
}

static int resp_unprivate_mmio(struct env *e)
{
	e->priv_on = false;
	int r = hv_vcpu_vmgexit(e->vcpu);
	if (r != 0 || e->run->exit_reason != SNPEMU_EXIT_MMIO)
		return -1;
	return resp_mmio_loop(e);
}

static int resp_add_slot(struct env *e)
{
	static uint8_t extra[8192] __attribute__((aligned(4096)));
	hv_vm_add_memslot(e->vm, 7, UNBACKED_GPA, sizeof(extra), extra);
	int r = hv_vcpu_vmgexit(e->vcpu);
	hv_vm_remove_memslot(e->vm, 7);
	return r;
}

static const char *c1_out1(struct env *e)
{
	const char *w = expect_io(e, SNPEMU_EXIT_IO_OUT, 1, 0x80, 1);
	return w ? w : e->run->pio_data[0] == 0xEF ? NULL : FAIL("data %#x", e->run->pio_data[0]);
}

static const char *c1_out2(struct env *e)
{
	const char *w = expect_io(e, SNPEMU_EXIT_IO_OUT, 2, 0x3F8, 1);
	return w ? w : (e->run->pio_data[0] == 0xEF && e->run->pio_data[1] == 0xBE) ? NULL : FAIL("data");
}

static const char *c1_out4(struct env *e)
{
	const char *w = expect_io(e, SNPEMU_EXIT_IO_OUT, 4, 0xCF8, 1);
	return w ? w : memcmp(e->run->pio_data, "\xEF\xBE\xAD\xDE", 4) ? FAIL("data") : NULL;
}

static const char *c1_in1(struct env *e)
{
	return expect_io(e, SNPEMU_EXIT_IO_IN, 1, 0x60, 1);
}

static const char *c1_in4(struct env *e)
{
	return expect_io(e, SNPEMU_EXIT_IO_IN, 4, 0xCFC, 1);
}

static const char *c1_outs8(struct env *e)
{
	const char *w = expect_io(e, SNPEMU_EXIT_IO_OUT, 1, 0xE9, 8);
	return w ? w : memcmp(e->run->pio_data, "\x50\x51\x52\x53\x54\x55\x56\x57", 8) ? FAIL("data") : NULL;
}

static const char *c1_outs_out_ghcb(struct env *e)
{
	const char *w = expect_io(e, SNPEMU_EXIT_IO_OUT, 2, 0xE9, 3);
	return w ? w : memcmp(e->run->pio_data, "\xA0\xA1\xA2\xA3\xA4\xA5", 6) ? FAIL("data") : NULL;
}

static const char *c1_outs_split(struct env *e)
{
	return expect_io(e, SNPEMU_EXIT_IO_OUT, 4, 0xE9, 1024);
}

static const char *c_ins_written(struct env *e)
{
	/* 3 words IN through the GHCB shared buffer: bytes 0..5 written back. */
	for (unsigned int i = 0; i < 6; i++)
		if (e->mem[SHBUF_GPA + i] != i)
			return FAIL("byte %u = %#x", i, e->mem[SHBUF_GPA + i]);
	return NULL;
}

static const char *c_ins_out_written(struct env *e)
{
	for (unsigned int i = 0; i < 4; i++)
		if (e->mem[OUT_GPA + i] != i)
			return FAIL("byte %u = %#x", i, e->mem[OUT_GPA + i]);
	return NULL;
}

static const char *c1_mmio_w(struct env *e)
{
	const struct snpemu_run *r = e->run;
	if (r->mmio.phys_addr != 0xFED00000 || r->mmio.len != 8 || !r->mmio.is_write ||
	    memcmp(r->mmio.data, "\x50\x51\x52\x53\x54\x55\x56\x57", 8))
		return FAIL("mmio %#llx len %u w %u", (unsigned long long)r->mmio.phys_addr, r->mmio.len,
			    r->mmio.is_write);
	return NULL;
}

static const char *c1_mmio_r4(struct env *e)
{
	const struct snpemu_run *r = e->run;
	if (r->mmio.phys_addr != 0xFED000F0 || r->mmio.len != 4 || r->mmio.is_write)
		return FAIL("mmio %#llx len %u", (unsigned long long)r->mmio.phys_addr, r->mmio.len);
	return NULL;
}

static const char *c_mmio_r4_written(struct env *e)
{
	return memcmp(e->mem + SHBUF_GPA, "\xF0\xF1\xF2\xF3", 4) ? FAIL("data not written back") : NULL;
}

static const char *c_mmio_r12_written(struct env *e)
{
	for (unsigned int i = 0; i < 12; i++)
		if (e->mem[OUT_GPA + i] != (uint8_t)(i < 8 ? i : i - 8 + 8))
			return FAIL("byte %u = %#x", i, e->mem[OUT_GPA + i]);
	return conf_exits == 2 ? NULL : FAIL("%u exits", conf_exits);
}

static const char *c_rax_in1(struct env *e)
{
	return c_rax(e, 0x1234567811ull); /* upper bytes kept for size < 4 */
}

static const char *c_rax_in4(struct env *e)
{
	return c_rax(e, 0x44332211ull); /* size 4 zero-extends */
}

static const char *c_cpuid1(struct env *e)
{
	struct ghcb *g = env_ghcb(e);
	if (ghcb_get_rax(g) != 0x00A10F11 || ghcb_get_rbx(g) != 0x00010800 || ghcb_get_rcx(g) != 0x76F8320B ||
	    ghcb_get_rdx(g) != 0x178BFBFF)
		return FAIL("cpuid leaf 1 values");
	return NULL;
}

static const char *c_cpuid_zero(struct env *e)
{
	struct ghcb *g = env_ghcb(e);
	return (ghcb_get_rax(g) | ghcb_get_rbx(g) | ghcb_get_rcx(g) | ghcb_get_rdx(g)) ? FAIL("not zero") : NULL;
}

static const char *c_ebx(struct env *e, uint64_t v)
{
	uint64_t ebx = ghcb_get_rbx(env_ghcb(e));
	return ebx == v ? NULL : FAIL("ebx %llu want %llu", (unsigned long long)ebx, (unsigned long long)v);
}

static const char *c_xsave_x87(struct env *e)
{
	return c_ebx(e, 576);
}

static const char *c_xsave_avx(struct env *e)
{
	return c_ebx(e, 832); /* 576 + YMM 256 */
}

static const char *c_xsave_avx512(struct env *e)
{
	return c_ebx(e, 2432); /* ZMM_Hi256 at 1408 + 1024 */
}

static const char *c_xsave_compact(struct env *e)
{
	return c_ebx(e, 576 + 256 + 16); /* YMM then CET_U (XSS bit 11), compacted */
}

static const char *c_tscp(struct env *e)
{
	return ghcb_get_rcx(env_ghcb(e)) == 0 ? NULL : FAIL("TSC_AUX");
}

static const char *c1_mf_ghcb(struct env *e)
{
	return c_memfault(e, 0, UNBACKED_GPA, 4096);
}

static const char *c1_mf_ghcb_priv(struct env *e)
{
	return c_memfault(e, SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, PRIV_GPA, 4096);
}

static const char *c1_mf_scratch(struct env *e)
{
	return c_memfault(e, 0, UNBACKED_GPA, 16);
}

static const char *c1_mf_scratch_priv(struct env *e)
{
	return c_memfault(e, SNPEMU_MEMORY_EXIT_FLAG_PRIVATE, PRIV_GPA, 16);
}

static const char *c_ghcb_untouched(struct env *e)
{
	/* Nothing written: the valid bitmap the test set is still there. */
	return ghcb_sw_exit_code_is_valid(env_ghcb(e)) ? NULL : FAIL("GHCB touched");
}

static const char *c_ghcb_bitmap_clear(struct env *e)
{
	/* The guest's input bits are gone; only the response's two info fields are valid. */
	struct ghcb *g = env_ghcb(e);
	if (ghcb_rax_is_valid(g) || ghcb_rbx_is_valid(g) || ghcb_rcx_is_valid(g) || ghcb_rsi_is_valid(g) ||
	    ghcb_sw_exit_code_is_valid(g))
		return FAIL("input valid bits left set");
	return NULL;
}

static const char *c1_unsupported(struct env *e)
{
	const struct snpemu_run *r = e->run;
	if (r->internal.suberror != HV_INTERNAL_ERROR_UNSUPPORTED_EVENT || r->internal.ndata != 3 ||
	    r->internal.data[0] != SVM_VMGEXIT_UNSUPPORTED_EVENT || r->internal.data[1] != 7 ||
	    r->internal.data[2] != 9)
		return FAIL("internal error fields");
	return NULL;
}

const struct row conf_rows_nae[] = {
    /* Usage and base fields (spec §3, §4). */
    {"usage 1 -> INVALID_USAGE", ES, .code = SVM_EXIT_CPUID, .in = V_RAX | V_RCX, .usage = 1,
     MALFORMED(GHCB_ERR_INVALID_USAGE)},
    {"usage 0xFFFFFFFF -> INVALID_USAGE", SNP, .code = SVM_EXIT_RDTSC, .usage = 0xFFFFFFFF,
     MALFORMED(GHCB_ERR_INVALID_USAGE)},
    {"usage checked before missing input", ES, .code = SVM_EXIT_CPUID, .drop = V_CODE, .usage = 2,
     MALFORMED(GHCB_ERR_INVALID_USAGE)},
    {"usage checked before unknown code", ES, .code = 0x3FF, .usage = 1, MALFORMED(GHCB_ERR_INVALID_USAGE)},
    {"missing base checked before unknown code", ES, .code = 0x3FF, .drop = V_I2, MALFORMED(GHCB_ERR_MISSING_INPUT)},
    /* Unknown exit codes -> INVALID_EVENT (spec §3). */
    {"unknown code 0", ES, .code = 0, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown code 0x3FF", ES, .code = 0x3FF, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown code 0x80000000", ES, .code = 0x80000000, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown code 0x8000FFFC", SNP, .code = 0x8000FFFC, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown XSETBV 0x8D", ES, .code = SVM_EXIT_XSETBV, .in = V_RAX | V_RCX, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown SNP_RUN_VMPL", SNP, .code = SVM_VMGEXIT_SNP_RUN_VMPL, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown SAVIC", SNP, .code = SVM_VMGEXIT_SAVIC, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown random 0x1234567", ES, .code = 0x1234567, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown random 0xDEADBEEFCAFE", ES, .code = 0xDEADBEEFCAFEull, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown 64-bit 0x1_00000072", ES, .code = 0x100000072ull, .in = V_RAX | V_RCX, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"unknown 0x80000014", SNP, .code = 0x80000014, MALFORMED(GHCB_ERR_INVALID_EVENT)},
    {"invalid event leaves no register valid", ES, .code = 0x90, .in = V_RAX, MALFORMED(GHCB_ERR_INVALID_EVENT),
     .check = c_ghcb_bitmap_clear},
    /* SNP-only codes (spec §3). */
    {"PSC on SEV-ES -> MISSING_INPUT", ES, .code = SVM_VMGEXIT_PSC, .in = V_SCR, .scratch = SHBUF_GPA,
     MALFORMED(GHCB_ERR_MISSING_INPUT)},
    {"GUEST_REQUEST on SEV-ES -> MISSING_INPUT", ES, .code = SVM_VMGEXIT_GUEST_REQUEST, .info1 = 0x2000,
     .info2 = 0x3000, MALFORMED(GHCB_ERR_MISSING_INPUT)},
    {"EXT_GUEST_REQUEST on SEV-ES -> MISSING_INPUT", ES, .code = SVM_VMGEXIT_EXT_GUEST_REQUEST, .info1 = 0x2000,
     .info2 = 0x3000, MALFORMED(GHCB_ERR_MISSING_INPUT)},
    {"AP_CREATION on SEV-ES -> MISSING_INPUT", ES, .code = SVM_VMGEXIT_AP_CREATION, .info1 = 1, .in = V_RAX,
     MALFORMED(GHCB_ERR_MISSING_INPUT)},
    /* On SNP these are handled (conformance_snp.c has their rows); without hypercall exits a PSC is GENERIC. */
    {"PSC on SNP, hypercall exits off -> GENERIC", SNP, .code = SVM_VMGEXIT_PSC, .in = V_SCR, .scratch = SHBUF_GPA,
     .e2 = VMGEXIT_PSC_ERROR_GENERIC},
    {"GUEST_REQUEST on SNP without firmware -> GENERIC", SNP, .code = SVM_VMGEXIT_GUEST_REQUEST, .info1 = 0x2000,
     .info2 = 0x3000, .e2 = SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_GENERIC, 0)},
    {"EXT_GUEST_REQUEST on SNP without firmware -> GENERIC", SNP, .code = SVM_VMGEXIT_EXT_GUEST_REQUEST,
     .info1 = 0x2000, .info2 = 0x3000, .e2 = SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_GENERIC, 0)},
    {"AP_CREATION on SNP, target APIC ID 0 needs a private VMSA -> INVALID_INPUT", SNP, .code = SVM_VMGEXIT_AP_CREATION,
     .info1 = 1, .info2 = 0x5000, .in = V_RAX, MALFORMED(GHCB_ERR_INVALID_INPUT)},
    {"AP_DESTROY needs no RAX (unknown APIC ID 5 -> INVALID_INPUT)", SNP, .code = SVM_VMGEXIT_AP_CREATION,
     .info1 = SVM_VMGEXIT_AP_INFO1(2, 5), MALFORMED(GHCB_ERR_INVALID_INPUT)},
    /* Success clears SW_EXITINFO1 and produces only the fields of the event. */
    {"CPUID leaf 1 values, RAX..RDX valid", ES, .code = SVM_EXIT_CPUID, .info1 = 0x55, .info2 = 0x66,
     .in = V_RAX | V_RCX, .rax = 1, REGS4, .check = c_cpuid1},
    {"CPUID unknown leaf reads zeros", ES, .code = SVM_EXIT_CPUID, .in = V_RAX | V_RCX, .rax = 0x12345678, REGS4,
     .check = c_cpuid_zero},
    {"CPUID 0xD.0 with XCR0=x87|SSE -> 576", ES, .code = SVM_EXIT_CPUID, .in = V_RAX | V_RCX | V_XCR0, .rax = 0xD,
     .xcr0 = 3, REGS4, .check = c_xsave_x87},
    {"CPUID 0xD.0 with XCR0=AVX -> 832", ES, .code = SVM_EXIT_CPUID, .in = V_RAX | V_RCX | V_XCR0, .rax = 0xD,
     .xcr0 = 7, REGS4, .check = c_xsave_avx},
    {"CPUID 0xD.0 with XCR0=AVX-512 -> 2432", SNP, .code = SVM_EXIT_CPUID, .in = V_RAX | V_RCX | V_XCR0, .rax = 0xD,
     .xcr0 = 0xE7, REGS4, .check = c_xsave_avx512},
    {"CPUID 0xD.0 invalid XCR0 (YMM without SSE) ignored", ES, .code = SVM_EXIT_CPUID, .in = V_RAX | V_RCX | V_XCR0,
     .rax = 0xD, .xcr0 = 5, REGS4, .check = c_xsave_x87},
    {"CPUID 0xD.1 compacted XCR0|XSS", ES, .code = SVM_EXIT_CPUID, .in = V_RAX | V_RCX | V_XCR0 | V_XSS, .rax = 0xD,
     .rcx = 1, .xcr0 = 7, .xss = 1u << 11, REGS4, .check = c_xsave_compact},
    {"RDTSC: RAX, RDX", ES, .code = SVM_EXIT_RDTSC, .info1 = 9, .evalid = V_I1 | V_I2 | V_RAX | V_RDX},
    {"RDTSCP: RAX, RCX (TSC_AUX), RDX", ES, .code = SVM_EXIT_RDTSCP, .evalid = V_I1 | V_I2 | V_RAX | V_RCX | V_RDX,
     .check = c_tscp},
    {"RDPMC: no PMU -> #GP", ES, .code = SVM_EXIT_RDPMC, .in = V_RCX, GP},
    {"INVD", ES, .code = SVM_EXIT_INVD, .info1 = 1},
    {"WBINVD", ES, .code = SVM_EXIT_WBINVD, .info1 = 1},
    {"MONITOR", ES, .code = SVM_EXIT_MONITOR, .in = V_RAX | V_RCX | V_RDX},
    {"MWAIT", ES, .code = SVM_EXIT_MWAIT, .in = V_RAX | V_RCX},
    {"READ_DR7: no register produced", ES, .code = SVM_EXIT_READ_DR7, .info1 = 3},
    {"WRITE_DR7", ES, .code = SVM_EXIT_WRITE_DR7, .in = V_RAX, .rax = 0x400},
    {"NMI_COMPLETE", SNP, .code = SVM_VMGEXIT_NMI_COMPLETE, .info1 = 0xFFFF},
    {"HV_FEATURES -> 0x3 (SEV-ES too)", ES, .code = SVM_VMGEXIT_HV_FEATURES, .e2 = GHCB_HV_FT_SUPPORTED},
    {"HV_FEATURES on SNP", SNP, .code = SVM_VMGEXIT_HV_FEATURES, .e2 = GHCB_HV_FT_SUPPORTED},
    {"AP_JUMP_TABLE set", ES, .code = SVM_VMGEXIT_AP_JUMP_TABLE, .info1 = 0, .info2 = 0x9F000},
    {"AP_JUMP_TABLE get returns the set value", ES, .prep = prep_jt_set, .code = SVM_VMGEXIT_AP_JUMP_TABLE, .info1 = 1,
     .e2 = 0x9F000},
    {"AP_JUMP_TABLE sub-op 2 -> INVALID_INPUT", ES, .code = SVM_VMGEXIT_AP_JUMP_TABLE, .info1 = 2,
     MALFORMED(GHCB_ERR_INVALID_INPUT)},
    {"AP_HLT_LOOP -> AP_RESET_HOLD, SIPI -> EXITINFO2 1", SNP, .code = SVM_VMGEXIT_AP_HLT_LOOP,
     .exit = SNPEMU_EXIT_AP_RESET_HOLD, .respond = resp_plain, .e2 = 1},
    {"UNSUPPORTED_EVENT -> INTERNAL_ERROR exit", ES, .code = SVM_VMGEXIT_UNSUPPORTED_EVENT, .info1 = 7, .info2 = 9,
     .exit = SNPEMU_EXIT_INTERNAL_ERROR, .check1 = c1_unsupported, .respond = resp_plain},
    /* GHCB mapping (spec §1; docs/architecture.md rule 3). */
    {"GHCB GPA no slot backs -> MEMORY_FAULT", ES, .code = SVM_EXIT_RDTSC, .prep = prep_ghcb_unbacked,
     .exit = SNPEMU_EXIT_MEMORY_FAULT, .check1 = c1_mf_ghcb, .chk = CHK_NONE},
    {"GHCB GPA unbacked -> slot added -> handled", ES, .code = SVM_EXIT_RDTSC, .prep = prep_ghcb_unbacked,
     .exit = SNPEMU_EXIT_MEMORY_FAULT, .respond = resp_add_slot, .chk = CHK_NONE},
    {"GHCB in a private page -> MEMORY_FAULT PRIVATE", SNP, .code = SVM_EXIT_RDTSC, .prep = prep_ghcb_private,
     .exit = SNPEMU_EXIT_MEMORY_FAULT, .check1 = c1_mf_ghcb_priv, .chk = CHK_NONE},
    {"GHCB private -> converted -> handled", SNP, .code = SVM_EXIT_RDTSC, .prep = prep_ghcb_private,
     .exit = SNPEMU_EXIT_MEMORY_FAULT, .respond = resp_unprivate, .chk = CHK_NONE},
    {"GHCB MSR 0 -> resumed, nothing written", ES, .code = SVM_EXIT_RDTSC, .prep = prep_ghcb_zero, .chk = CHK_NONE,
     .check = c_ghcb_untouched},
    {"snapshot clears the guest valid bitmap", ES, .code = SVM_EXIT_RDPMC, .in = V_RCX | V_RSI | V_RBX, GP,
     .check = c_ghcb_bitmap_clear},
    /* Scratch area inside the GHCB (spec §5); MMIO write of len bytes is the vehicle. */
    {"scratch = 0 -> INVALID_SCRATCH_AREA", ES, MMIO_W(4, 0), MALFORMED(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"scratch in GHCB at 0x800, 8 bytes -> exit", ES, MMIO_W(8, SHBUF_GPA), .prep = prep_out_data,
     .exit = SNPEMU_EXIT_MMIO, .check1 = c1_mmio_w, .respond = resp_mmio_loop},
    {"scratch in GHCB at 0x7FF (1 byte before) -> invalid", ES, MMIO_W(8, SHBUF_GPA - 1),
     MALFORMED(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"scratch in GHCB ends at 0xFF0 -> ok", ES, MMIO_W(8, GHCB_GPA + 0xFE8), .exit = SNPEMU_EXIT_MMIO,
     .respond = resp_mmio_loop},
    {"scratch in GHCB ends at 0xFF1 (1 byte over) -> invalid", ES, MMIO_W(8, GHCB_GPA + 0xFE9),
     MALFORMED(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"scratch in GHCB whole buffer 2032 -> ok", ES, MMIO_W(2032, SHBUF_GPA), .exit = SNPEMU_EXIT_MMIO,
     .respond = resp_mmio_loop},
    {"scratch in GHCB 2033 bytes -> invalid", ES, MMIO_W(2033, SHBUF_GPA), MALFORMED(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"scratch in GHCB save area -> invalid", ES, MMIO_W(4, GHCB_GPA + 0x390), MALFORMED(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"scratch + len overflows -> invalid", ES, MMIO_W(0x20, 0xFFFFFFFFFFFFFFF0ull),
     MALFORMED(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"scratch len 0 in GHCB -> success, no exit", ES, MMIO_W(0, SHBUF_GPA)},
    /* Scratch area outside the GHCB. */
    {"scratch outside, 64 KiB (limit) -> ok", ES, MMIO_W(65536, OUT_GPA), .exit = SNPEMU_EXIT_MMIO,
     .respond = resp_mmio_loop},
    {"scratch outside, 64 KiB + 1 -> invalid", ES, MMIO_W(65537, OUT_GPA), MALFORMED(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"scratch starting 1 byte before the GHCB page is outside", ES, MMIO_W(16, GHCB_GPA - 8), .exit = SNPEMU_EXIT_MMIO,
     .respond = resp_mmio_loop},
    {"scratch outside, no slot -> MEMORY_FAULT", ES, MMIO_W(16, UNBACKED_GPA), .exit = SNPEMU_EXIT_MEMORY_FAULT,
     .check1 = c1_mf_scratch, .chk = CHK_NONE},
    {"scratch outside, private -> MEMORY_FAULT PRIVATE", SNP, MMIO_W(16, PRIV_GPA), .prep = prep_private_on,
     .exit = SNPEMU_EXIT_MEMORY_FAULT, .check1 = c1_mf_scratch_priv, .chk = CHK_NONE},
    {"scratch private -> converted -> MMIO exits -> done", SNP, MMIO_W(16, PRIV_GPA), .prep = prep_private_on,
     .exit = SNPEMU_EXIT_MEMORY_FAULT, .respond = resp_unprivate_mmio, .check = c_two_exits},
    {"scratch past the end of memory -> MEMORY_FAULT", ES, MMIO_W(32, ENV_MEM_SIZE - 16),
     .exit = SNPEMU_EXIT_MEMORY_FAULT, .chk = CHK_NONE},
    /* MMIO (spec §6). */
    {"MMIO write 16 bytes -> 2 exits of 8", ES, MMIO_W(16, SHBUF_GPA), .prep = prep_out_data, .exit = SNPEMU_EXIT_MMIO,
     .respond = resp_mmio_loop, .check = c_two_exits},
    {"MMIO read 4 bytes, data written back to GHCB buffer", ES, .code = SVM_VMGEXIT_MMIO_READ, .info1 = 0xFED000F0,
     .info2 = 4, .in = V_SCR, .scratch = SHBUF_GPA, .exit = SNPEMU_EXIT_MMIO, .check1 = c1_mmio_r4,
     .respond = resp_mmio_loop, .check = c_mmio_r4_written},
    {"MMIO read 12 bytes outside GHCB -> 8 + 4, written back", ES, .code = SVM_VMGEXIT_MMIO_READ, .info1 = 0xFED00000,
     .info2 = 12, .in = V_SCR, .scratch = OUT_GPA, .exit = SNPEMU_EXIT_MMIO, .respond = resp_mmio_loop,
     .check = c_mmio_r12_written},
    /* IOIO (spec §6). */
    {"OUT 1 byte -> IO exit with RAX data", ES, .code = SVM_EXIT_IOIO, .info1 = IO_OUT(0x80, 1), .in = V_RAX,
     .rax = 0xDEADBEEF, .exit = SNPEMU_EXIT_IO, .check1 = c1_out1, .respond = resp_plain},
    {"OUT 2 bytes", ES, .code = SVM_EXIT_IOIO, .info1 = IO_OUT(0x3F8, 2), .in = V_RAX, .rax = 0xDEADBEEF,
     .exit = SNPEMU_EXIT_IO, .check1 = c1_out2, .respond = resp_plain},
    {"OUT 4 bytes", SNP, .code = SVM_EXIT_IOIO, .info1 = IO_OUT(0xCF8, 4), .in = V_RAX, .rax = 0xDEADBEEF,
     .exit = SNPEMU_EXIT_IO, .check1 = c1_out4, .respond = resp_plain},
    {"IN 1 byte: RAX merged (upper bytes kept)", ES, .code = SVM_EXIT_IOIO, .info1 = IO_IN(0x60, 1), .in = V_RAX,
     .rax = 0x12345678FFull, .exit = SNPEMU_EXIT_IO, .check1 = c1_in1, .respond = resp_pio_in,
     .evalid = V_I1 | V_I2 | V_RAX, .check = c_rax_in1},
    {"IN 4 bytes: RAX zero-extended", ES, .code = SVM_EXIT_IOIO, .info1 = IO_IN(0xCFC, 4), .in = V_RAX, .rax = ~0ull,
     .exit = SNPEMU_EXIT_IO, .check1 = c1_in4, .respond = resp_pio_in, .evalid = V_I1 | V_I2 | V_RAX,
     .check = c_rax_in4},
    {"IN without RAX valid is accepted", ES, .code = SVM_EXIT_IOIO, .info1 = IO_IN(0x60, 1), .exit = SNPEMU_EXIT_IO,
     .respond = resp_pio_in, .evalid = V_I1 | V_I2 | V_RAX},
    {"IOIO size field 0 -> INVALID_INPUT", ES, .code = SVM_EXIT_IOIO, .info1 = 0x800000, .in = V_RAX,
     MALFORMED(GHCB_ERR_INVALID_INPUT)},
    {"IOIO size field 3 -> INVALID_INPUT", ES, .code = SVM_EXIT_IOIO, .info1 = 0x800030, .in = V_RAX,
     MALFORMED(GHCB_ERR_INVALID_INPUT)},
    {"OUTS 8 x 1 byte from GHCB buffer -> one exit", ES, .code = SVM_EXIT_IOIO, .info1 = IO_OUTS(0xE9, 1), .info2 = 8,
     .in = V_SCR, .scratch = SHBUF_GPA, .prep = prep_out_data, .exit = SNPEMU_EXIT_IO, .check1 = c1_outs8,
     .respond = resp_io_loop},
    {"OUTS 3 x 2 bytes from outside the GHCB", ES, .code = SVM_EXIT_IOIO, .info1 = IO_OUTS(0xE9, 2), .info2 = 3,
     .in = V_SCR, .scratch = OUT_GPA, .prep = prep_out_data, .exit = SNPEMU_EXIT_IO, .check1 = c1_outs_out_ghcb,
     .respond = resp_io_loop},
    {"OUTS 2048 x 4 bytes -> exits of 1024 elements", ES, .code = SVM_EXIT_IOIO, .info1 = IO_OUTS(0xE9, 4),
     .info2 = 2048, .in = V_SCR, .scratch = OUT_GPA, .exit = SNPEMU_EXIT_IO, .check1 = c1_outs_split,
     .respond = resp_io_loop, .check = c_two_exits},
    {"INS 3 x 2 bytes into GHCB buffer, written back", ES, .code = SVM_EXIT_IOIO, .info1 = IO_INS(0x1F0, 2), .info2 = 3,
     .in = V_SCR, .scratch = SHBUF_GPA, .exit = SNPEMU_EXIT_IO, .respond = resp_io_loop, .check = c_ins_written},
    {"INS 4 x 1 byte outside the GHCB, written back", SNP, .code = SVM_EXIT_IOIO, .info1 = IO_INS(0x1F0, 1), .info2 = 4,
     .in = V_SCR, .scratch = OUT_GPA, .exit = SNPEMU_EXIT_IO, .respond = resp_io_loop, .check = c_ins_out_written},
    {"string count > INT_MAX -> INVALID_INPUT", ES, .code = SVM_EXIT_IOIO, .info1 = IO_OUTS(0xE9, 1),
     .info2 = 0x80000000ull, .in = V_SCR, .scratch = OUT_GPA, MALFORMED(GHCB_ERR_INVALID_INPUT)},
    {"string count x size over the GHCB buffer -> INVALID_SCRATCH", ES, .code = SVM_EXIT_IOIO,
     .info1 = IO_OUTS(0xE9, 4), .info2 = 509, .in = V_SCR, .scratch = SHBUF_GPA,
     MALFORMED(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"string count 0 -> success, no exit", ES, .code = SVM_EXIT_IOIO, .info1 = IO_OUTS(0xE9, 1), .info2 = 0,
     .in = V_SCR, .scratch = SHBUF_GPA},
};
const size_t conf_rows_nae_n = sizeof(conf_rows_nae) / sizeof(conf_rows_nae[0]);

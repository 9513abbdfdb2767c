/* SPDX-License-Identifier: MIT */
/*
 * hostile: a guest that sends every class of malformed request the engine's conformance table covers, through the
 * raw GHCB, and checks that each comes back as the right GHCB error while it keeps running
 * (docs/architecture.md rule 1).
 */
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/svm_exit.h>

#include "program.h"

enum field {
	F_CODE = 1 << 0,
	F_INFO1 = 1 << 1,
	F_INFO2 = 1 << 2,
	F_RAX = 1 << 3,
	F_RCX = 1 << 4,
	F_RDX = 1 << 5,
	F_XCR0 = 1 << 6,
	F_SCRATCH = 1 << 7,
	F_CPL = 1 << 8,
	F_RBX = 1 << 9,
};
#define F_STD (F_CODE | F_INFO1 | F_INFO2)

/* scratch: 0 none, 1 = GHCB + off (set from `scratch_off`), 2 = an absolute GPA in `scratch_off` */
struct hostile_case {
	const char *name;
	uint64_t code, info1, info2;
	uint32_t fields;
	uint32_t usage;
	uint64_t rax;
	int scratch_kind;
	uint64_t scratch_off;
	bool snp_only;
	uint64_t want_info1, want_info2;
};

#define MAL(reason) 2, reason
static const struct hostile_case cases[] = {
    {"non-zero GHCB usage", SVM_EXIT_CPUID, 0, 0, F_STD | F_RAX | F_RCX, 1, 0, 0, 0, false,
     MAL(GHCB_ERR_INVALID_USAGE)},
    {"SW_EXITCODE not valid", SVM_EXIT_CPUID, 0, 0, F_INFO1 | F_INFO2 | F_RAX | F_RCX, 0, 0, 0, 0, false,
     MAL(GHCB_ERR_MISSING_INPUT)},
    {"SW_EXITINFO2 not valid", SVM_EXIT_RDTSC, 0, 0, F_CODE | F_INFO1, 0, 0, 0, 0, false, MAL(GHCB_ERR_MISSING_INPUT)},
    {"unknown exit code 0x3ff", 0x3FF, 0, 0, F_STD, 0, 0, 0, 0, false, MAL(GHCB_ERR_INVALID_EVENT)},
    {"unknown exit code 0x80000000", 0x80000000ull, 0, 0, F_STD, 0, 0, 0, 0, false, MAL(GHCB_ERR_INVALID_EVENT)},
    {"XSETBV (not a NAE)", SVM_EXIT_XSETBV, 0, 0, F_STD, 0, 0, 0, 0, false, MAL(GHCB_ERR_INVALID_EVENT)},
    {"CPUID without RCX", SVM_EXIT_CPUID, 0, 0, F_STD | F_RAX, 0, 1, 0, 0, false, MAL(GHCB_ERR_MISSING_INPUT)},
    {"CPUID 0xD without XCR0", SVM_EXIT_CPUID, 0, 0, F_STD | F_RAX | F_RCX, 0, 0xD, 0, 0, false,
     MAL(GHCB_ERR_MISSING_INPUT)},
    {"WRMSR without RDX", SVM_EXIT_MSR, 1, 0, F_STD | F_RAX | F_RCX, 0, 0, 0, 0, false, MAL(GHCB_ERR_MISSING_INPUT)},
    {"RDPMC without RCX", SVM_EXIT_RDPMC, 0, 0, F_STD, 0, 0, 0, 0, false, MAL(GHCB_ERR_MISSING_INPUT)},
    {"VMMCALL without CPL", SVM_EXIT_VMMCALL, 0, 0, F_STD | F_RAX, 0, 12, 0, 0, false, MAL(GHCB_ERR_MISSING_INPUT)},
    {"string OUT without a scratch area", SVM_EXIT_IOIO, (0x3F8ull << 16) | (1 << 4) | (1 << 2), 1, F_STD, 0, 0, 0, 0,
     false, MAL(GHCB_ERR_MISSING_INPUT)},
    {"string OUT scratch before the shared buffer", SVM_EXIT_IOIO, (0x3F8ull << 16) | (1 << 4) | (1 << 2), 1,
     F_STD | F_SCRATCH, 0, 0, 1, 0x7FF, false, MAL(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"MMIO read past the shared buffer", SVM_VMGEXIT_MMIO_READ, SNPEMU_MMIO_TEST_GPA, 8, F_STD | F_SCRATCH, 0, 0, 1,
     0xFEC, false, MAL(GHCB_ERR_INVALID_SCRATCH_AREA)},
    {"MMIO read without a scratch area", SVM_VMGEXIT_MMIO_READ, SNPEMU_MMIO_TEST_GPA, 8, F_STD, 0, 0, 0, 0, false,
     MAL(GHCB_ERR_MISSING_INPUT)},
    {"AP jump table sub-op 7", SVM_VMGEXIT_AP_JUMP_TABLE, 7, 0, F_STD, 0, 0, 0, 0, false, MAL(GHCB_ERR_INVALID_INPUT)},
    {"guest request with equal pages", SVM_VMGEXIT_GUEST_REQUEST, SNPEMU_GREQ_REQ_GPA, SNPEMU_GREQ_REQ_GPA, F_STD, 0, 0,
     0, 0, true, MAL(GHCB_ERR_MISSING_INPUT)},
    {"guest request with an unaligned page", SVM_VMGEXIT_GUEST_REQUEST, SNPEMU_GREQ_REQ_GPA + 8, SNPEMU_GREQ_RESP_GPA,
     F_STD, 0, 0, 0, 0, true, MAL(GHCB_ERR_MISSING_INPUT)},
    {"PSC without a scratch area", SVM_VMGEXIT_PSC, 0, 0, F_STD, 0, 0, 0, 0, true, MAL(GHCB_ERR_MISSING_INPUT)},
    {"AP creation with a 2 MiB-aligned VMSA", SVM_VMGEXIT_AP_CREATION, SVM_VMGEXIT_AP_INFO1(SVM_VMGEXIT_AP_CREATE, 1),
     0x1200000, F_STD | F_RAX, 0, 1, 0, 0, true, MAL(GHCB_ERR_INVALID_INPUT)},
    {"AP creation with wrong SEV features", SVM_VMGEXIT_AP_CREATION, SVM_VMGEXIT_AP_INFO1(SVM_VMGEXIT_AP_CREATE, 1),
     SNPEMU_AP_VMSA_GPA(1), F_STD | F_RAX, 0, 0x41, 0, 0, true, MAL(GHCB_ERR_INVALID_INPUT)},
    {"AP creation request 9", SVM_VMGEXIT_AP_CREATION, SVM_VMGEXIT_AP_INFO1(9, 1), SNPEMU_AP_VMSA_GPA(1), F_STD | F_RAX,
     0, 1, 0, 0, true, MAL(GHCB_ERR_INVALID_INPUT)},
};

static void fill(struct guest *g, const struct hostile_case *k)
{
	struct ghcb *gh = g->c.ghcb;
	gst_ghcb_begin(&g->c);
	gst_memset(gh->bytes + GHCB_OFF_SHARED_BUFFER, 0, GHCB_SHARED_BUFFER_SIZE);
	/* Values go in raw; only the fields of the case get their valid bit. */
	le64_store(gh->bytes + GHCB_OFF_SW_EXIT_CODE, k->code);
	le64_store(gh->bytes + GHCB_OFF_SW_EXIT_INFO_1, k->info1);
	le64_store(gh->bytes + GHCB_OFF_SW_EXIT_INFO_2, k->info2);
	le64_store(gh->bytes + GHCB_OFF_RAX, k->rax);
	const struct {
		uint32_t f;
		unsigned int off;
	} map[] = {{F_CODE, GHCB_OFF_SW_EXIT_CODE},
		   {F_INFO1, GHCB_OFF_SW_EXIT_INFO_1},
		   {F_INFO2, GHCB_OFF_SW_EXIT_INFO_2},
		   {F_RAX, GHCB_OFF_RAX},
		   {F_RCX, GHCB_OFF_RCX},
		   {F_RDX, GHCB_OFF_RDX},
		   {F_XCR0, GHCB_OFF_XCR0},
		   {F_SCRATCH, GHCB_OFF_SW_SCRATCH},
		   {F_CPL, GHCB_OFF_CPL},
		   {F_RBX, GHCB_OFF_RBX}};
	if (k->scratch_kind == 1)
		le64_store(gh->bytes + GHCB_OFF_SW_SCRATCH, g->c.ghcb_gpa + k->scratch_off);
	else if (k->scratch_kind == 2)
		le64_store(gh->bytes + GHCB_OFF_SW_SCRATCH, k->scratch_off);
	for (unsigned int i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (k->fields & map[i].f)
			ghcb_mark_valid(gh, map[i].off);
	ghcb_set_usage(gh, k->usage);
	ghcb_set_protocol_version(gh, g->c.version);
}

static bool run_case(struct guest *g, const struct hostile_case *k)
{
	struct gst_ctx *c = &g->c;
	fill(g, k);
	c->plat.ops->ghcb_msr_write(c->plat.ctx, c->ghcb_gpa);
	c->plat.ops->vmgexit(c->plat.ctx);
	struct ghcb *gh = c->ghcb;
	bool ok = ghcb_sw_exit_info_1_is_valid(gh) && ghcb_sw_exit_info_2_is_valid(gh) &&
		  ghcb_get_sw_exit_info_1(gh) == k->want_info1 && ghcb_get_sw_exit_info_2(gh) == k->want_info2;
	guest_printf(g, "%s %s: SW_EXITINFO1 %llu SW_EXITINFO2 0x%llx\n", ok ? "ok  " : "FAIL", k->name,
		     (unsigned long long)ghcb_get_sw_exit_info_1(gh), (unsigned long long)ghcb_get_sw_exit_info_2(gh));
	ghcb_set_usage(gh, 0);
	return ok;
}

static int hostile_main(struct guest *g)
{
	unsigned int total = 0, passed = 0;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].snp_only && !g->snp)
			continue;
		total++;
		passed += run_case(g, &cases[i]);
	}
	/* A PSC descriptor with end_entry past the maximum: answered with the PSC status, not as malformed input. */
	if (g->snp) {
		struct ghcb *gh = g->c.ghcb;
		gst_ghcb_begin(&g->c);
		uint8_t *desc = gh->bytes + GHCB_OFF_SHARED_BUFFER;
		psc_hdr_set(desc, 0, VMGEXIT_PSC_MAX_ENTRY);
		ghcb_set_sw_scratch(gh, g->c.ghcb_gpa + GHCB_OFF_SHARED_BUFFER);
		uint64_t info2 = 1;
		int rc = gst_nae(&g->c, SVM_VMGEXIT_PSC, 0, 0, &info2);
		bool ok = rc == GST_OK && info2 == VMGEXIT_PSC_ERROR_INVALID_HDR;
		guest_printf(g, "%s PSC header end_entry 253: SW_EXITINFO2 0x%llx\n", ok ? "ok  " : "FAIL",
			     (unsigned long long)info2);
		total++;
		passed += ok;
	}
	/* Still alive and well: an ordinary request works. */
	uint32_t r[4];
	int rc = gst_cpuid(&g->c, 0, 0, r);
	bool alive = rc == GST_OK && r[1] == 0x68747541;
	guest_printf(g, "%s the guest still runs: CPUID after the malformed requests\n", alive ? "ok  " : "FAIL");
	guest_printf(g, "hostile: %u/%u malformed requests answered with the right error\n", passed, total);
	return passed == total && alive ? 0 : 1;
}

GUEST_PROGRAM(hostile, "every class of malformed request; each must get the right GHCB error", hostile_main, NULL);

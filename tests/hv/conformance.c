/* SPDX-License-Identifier: MIT */
/*
 * Conformance suite of the engine: a table, one row per rule of shared/spec/ghcb-hypervisor-kvm.md and
 * docs/architecture.md. Each row sets up a fresh VM and a GHCB (or GHCB MSR value), calls the entry point, optionally
 * completes the exit as a VMM would, and checks the exit, SW_EXITINFO1/2, the GHCB MSR and the exact set of valid bits
 * the engine produced.  The "missing required field" rows are generated from an independent list of KVM's per-code
 * requirements (spec §3).  Prints one line per row and "N passed, M failed".
 */
#include <stdio.h>
#include <string.h>

#include "conformance.h"

/* conformance_snp.c: the SNP rows (registration, PSC, AP creation, guest requests). */
void conformance_snp_run(unsigned int *pass, unsigned int *fail);

static const unsigned int field_off[V_NFIELDS] = {
    GHCB_OFF_CPL,
    GHCB_OFF_XSS,
    GHCB_OFF_RAX,
    GHCB_OFF_RBX,
    GHCB_OFF_RCX,
    GHCB_OFF_RDX,
    GHCB_OFF_RSI,
    GHCB_OFF_SW_EXIT_CODE,
    GHCB_OFF_SW_EXIT_INFO_1,
    GHCB_OFF_SW_EXIT_INFO_2,
    GHCB_OFF_SW_SCRATCH,
    GHCB_OFF_XCR0,
};

/* KVM's per-code required fields (spec §3), independent of the engine's table: each field missing in turn. */
struct req_spec {
	const char *name;
	uint32_t type;
	uint64_t code, info1, info2, rax;
	uint32_t req;
};
static const struct req_spec reqs[] = {
    {"READ_DR7", ES, SVM_EXIT_READ_DR7, 0, 0, 0, 0},
    {"WRITE_DR7", ES, SVM_EXIT_WRITE_DR7, 0, 0, 0, V_RAX},
    {"RDTSC", ES, SVM_EXIT_RDTSC, 0, 0, 0, 0},
    {"RDPMC", ES, SVM_EXIT_RDPMC, 0, 0, 0, V_RCX},
    {"CPUID", ES, SVM_EXIT_CPUID, 0, 0, 1, V_RAX | V_RCX},
    {"CPUID 0xD", ES, SVM_EXIT_CPUID, 0, 0, 0xD, V_RAX | V_RCX | V_XCR0},
    {"INVD", ES, SVM_EXIT_INVD, 0, 0, 0, 0},
    {"IOIO IN", ES, SVM_EXIT_IOIO, IO_IN(0x60, 1), 0, 0, 0},
    {"IOIO OUT", ES, SVM_EXIT_IOIO, IO_OUT(0x60, 1), 0, 0, V_RAX},
    {"IOIO string", ES, SVM_EXIT_IOIO, IO_OUTS(0x60, 1), 1, 0, V_SCR},
    {"MSR read", ES, SVM_EXIT_MSR, 0, 0, 0, V_RCX},
    {"MSR write", ES, SVM_EXIT_MSR, 1, 0, 0, V_RCX | V_RAX | V_RDX},
    {"VMMCALL", ES, SVM_EXIT_VMMCALL, 0, 0, 12, V_RAX | V_CPL},
    {"RDTSCP", ES, SVM_EXIT_RDTSCP, 0, 0, 0, 0},
    {"WBINVD", ES, SVM_EXIT_WBINVD, 0, 0, 0, 0},
    {"MONITOR", ES, SVM_EXIT_MONITOR, 0, 0, 0, V_RAX | V_RCX | V_RDX},
    {"MWAIT", ES, SVM_EXIT_MWAIT, 0, 0, 0, V_RAX | V_RCX},
    {"MMIO_READ", ES, SVM_VMGEXIT_MMIO_READ, 0xFED00000, 4, 0, V_SCR},
    {"MMIO_WRITE", ES, SVM_VMGEXIT_MMIO_WRITE, 0xFED00000, 4, 0, V_SCR},
    {"NMI_COMPLETE", ES, SVM_VMGEXIT_NMI_COMPLETE, 0, 0, 0, 0},
    {"AP_HLT_LOOP", ES, SVM_VMGEXIT_AP_HLT_LOOP, 0, 0, 0, 0},
    {"AP_JUMP_TABLE", ES, SVM_VMGEXIT_AP_JUMP_TABLE, 1, 0, 0, 0},
    {"PSC", SNP, SVM_VMGEXIT_PSC, 0, 0, 0, V_SCR},
    {"GUEST_REQUEST", SNP, SVM_VMGEXIT_GUEST_REQUEST, 0x2000, 0x3000, 0, 0},
    {"EXT_GUEST_REQUEST", SNP, SVM_VMGEXIT_EXT_GUEST_REQUEST, 0x2000, 0x3000, 0, 0},
    {"AP_CREATION", SNP, SVM_VMGEXIT_AP_CREATION, 1, 0x5000, 0, V_RAX},
    {"HV_FEATURES", ES, SVM_VMGEXIT_HV_FEATURES, 0, 0, 0, 0},
    {"TERM_REQUEST", ES, SVM_VMGEXIT_TERM_REQUEST, 0, 0, 0, 0},
    {"UNSUPPORTED_EVENT", ES, SVM_VMGEXIT_UNSUPPORTED_EVENT, 0, 0, 0, 0},
};
static const char *const field_name[V_NFIELDS] = {"CPL",	  "XSS",	  "RAX",	"RBX",
						  "RCX",	  "RDX",	  "RSI",	"SW_EXITCODE",
						  "SW_EXITINFO1", "SW_EXITINFO2", "SW_SCRATCH", "XCR0"};
/* Guest-request GPA rules (spec §3): misaligned or equal pages are MISSING_INPUT. */
struct gr_spec {
	const char *what;
	uint64_t info1, info2;
};
static const struct gr_spec gr_bad[] = {
    {"request GPA misaligned", 0x2008, 0x3000},
    {"response GPA misaligned", 0x2000, 0x3FFF},
    {"request == response", 0x2000, 0x2000},
};

static void setup_ghcb(struct env *e, const struct row *r)
{
	struct ghcb *g = env_ghcb(e);
	env_nae(e, r->code, r->info1, r->info2);
	ghcb_set_usage(g, r->usage);
	const uint64_t val[V_NFIELDS] = {r->cpl, r->xss,  r->rax,   r->rbx,   r->rcx,	  r->rdx,
					 r->rsi, r->code, r->info1, r->info2, r->scratch, r->xcr0};
	uint32_t valid = (BASE | r->in) & ~r->drop;
	memset(g->bytes + GHCB_OFF_VALID_BITMAP, 0, 16);
	for (unsigned int f = 0; f < V_NFIELDS; f++) {
		if (f == 0)
			g->bytes[GHCB_OFF_CPL] = (uint8_t)val[f];
		else
			le64_store(g->bytes + field_off[f], val[f]);
		if (valid & (1u << f))
			ghcb_mark_valid(g, field_off[f]);
	}
}

static const char *run_row(const struct row *r)
{
	static struct env e;
	if (env_init(&e, r->type, r->version, r->opts))
		return FAIL("env_init");
	const char *w = NULL;
	if (r->msr)
		hv_vcpu_set_ghcb_msr(e.vcpu, r->msr);
	else
		setup_ghcb(&e, r);
	if (r->prep)
		r->prep(&e);
	int ret = hv_vcpu_vmgexit(e.vcpu);
	if (r->exit) {
		if (ret != 0 || e.run->exit_reason != r->exit) {
			w = FAIL("ret %d exit %u, want exit %u", ret, e.run->exit_reason, r->exit);
			goto out;
		}
		if (r->check1 && (w = r->check1(&e)))
			goto out;
		if (!r->respond)
			goto final;
		ret = r->respond(&e);
	}
	if (ret != 1) {
		w = FAIL("ret %d exit %u, want resume", ret, e.run->exit_reason);
		goto out;
	}
	if (r->chk == CHK_NONE)
		goto final;
	if (r->msr) {
		uint64_t m = hv_vcpu_get_ghcb_msr(e.vcpu);
		if (m != r->emsr)
			w = FAIL("GHCB MSR %#llx want %#llx", (unsigned long long)m, (unsigned long long)r->emsr);
	} else {
		struct ghcb *g = env_ghcb(&e);
		uint64_t i1 = ghcb_get_sw_exit_info_1(g), i2 = ghcb_get_sw_exit_info_2(g);
		if (i1 != r->e1 || i2 != r->e2) {
			w = FAIL("SW_EXITINFO1/2 = %#llx/%#llx want %#llx/%#llx", (unsigned long long)i1,
				 (unsigned long long)i2, (unsigned long long)r->e1, (unsigned long long)r->e2);
			goto out;
		}
		uint32_t want = r->evalid ? r->evalid : V_I1 | V_I2;
		uint8_t bm[16] = {0};
		for (unsigned int f = 0; f < V_NFIELDS; f++)
			if (want & (1u << f))
				ghcb_bitmap_set(bm, GHCB_BITMAP_IDX(field_off[f]));
		if (memcmp(bm, g->bytes + GHCB_OFF_VALID_BITMAP, 16))
			w = FAIL("valid bitmap differs from the produced fields");
	}
final:
	if (!w && r->check)
		w = r->check(&e);
out:
	env_fini(&e);
	return w;
}

int main(void)
{
	static struct row gen[256];
	static char names[256][96];
	unsigned int ngen = 0;
	for (unsigned int i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		const struct req_spec *q = &reqs[i];
		uint32_t all = BASE | q->req;
		for (unsigned int f = 0; f < V_NFIELDS; f++) {
			if (!(all & (1u << f)))
				continue;
			snprintf(names[ngen], sizeof(names[ngen]), "%s without %s -> MISSING_INPUT", q->name,
				 field_name[f]);
			gen[ngen] = (struct row){.name = names[ngen],
						 .type = q->type,
						 .code = q->code,
						 .info1 = q->info1,
						 .info2 = q->info2,
						 .rax = q->rax,
						 .in = q->req,
						 .drop = 1u << f,
						 .scratch = SHBUF_GPA,
						 MALFORMED(GHCB_ERR_MISSING_INPUT)};
			ngen++;
		}
	}
	for (unsigned int c = 0; c < 2; c++) {
		for (unsigned int i = 0; i < sizeof(gr_bad) / sizeof(gr_bad[0]); i++) {
			snprintf(names[ngen], sizeof(names[ngen]), "%s %s -> MISSING_INPUT",
				 c ? "EXT_GUEST_REQUEST" : "GUEST_REQUEST", gr_bad[i].what);
			gen[ngen] = (struct row){.name = names[ngen],
						 .type = SNP,
						 .code = c ? SVM_VMGEXIT_EXT_GUEST_REQUEST : SVM_VMGEXIT_GUEST_REQUEST,
						 .info1 = gr_bad[i].info1,
						 .info2 = gr_bad[i].info2,
						 MALFORMED(GHCB_ERR_MISSING_INPUT)};
			ngen++;
		}
	}
	unsigned int pass = 0, fail = 0;
	const struct {
		const struct row *rows;
		size_t n;
	} tables[] = {{conf_rows_nae, conf_rows_nae_n}, {conf_rows_exits, conf_rows_exits_n}, {gen, 0}};
	for (unsigned int tno = 0; tno < 3; tno++) {
		const struct row *t = tables[tno].rows;
		size_t n = tno == 2 ? ngen : tables[tno].n;
		for (unsigned int i = 0; i < n; i++) {
			const char *w = run_row(&t[i]);
			if (w) {
				printf("FAIL %s: %s\n", t[i].name, w);
				fail++;
			} else {
				printf("PASS %s\n", t[i].name);
				pass++;
			}
		}
	}
	conformance_snp_run(&pass, &fail);
	printf("conformance: %u passed, %u failed\n", pass, fail);
	return fail ? 1 : 0;
}

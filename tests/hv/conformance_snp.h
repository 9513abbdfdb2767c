/* SPDX-License-Identifier: MIT */
/* Shared definitions of the SNP conformance rows (conformance_snp.c harness and rows, conformance_psc.c rows). */
#ifndef SNPEMU_TESTS_HV_CONFORMANCE_SNP_H
#define SNPEMU_TESTS_HV_CONFORMANCE_SNP_H

#include <stdbool.h>
#include <stdint.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/fw.h>
#include <snpemu/hv.h>

#include "env.h"

#define REQ_GPA		     0x2000ull
#define RESP_GPA	     0x3000ull
#define CERTS_GPA	     0x20000ull
#define OUT_DESC	     0x10000ull
#define HIGH_GPA	     0x200000ull /* a second slot: 2 MiB-aligned pages for the AP erratum rows */
#define VMSA_GPA	     0x81000ull
#define SEV_FEAT	     ENV_SEV_FEATURES_VALUE
#define ENC		     SNPEMU_MAP_GPA_RANGE_ENCRYPTED
#define DEC		     SNPEMU_MAP_GPA_RANGE_DECRYPTED
#define SZ2M		     SNPEMU_MAP_GPA_RANGE_PAGE_SZ_2M
/* Constant-expression encoders (GHCB spec Table 2 / Table 9; abi/msr_proto.h and abi/psc.h have the inline forms). */
#define MSRPSC(gfn, op)	     ((uint64_t)(op) << 52 | (uint64_t)(gfn) << 12 | GHCB_MSR_PSC_REQ)
#define PE(gfn, op, sz, cur) ((uint64_t)(cur) | (uint64_t)(gfn) << 12 | (uint64_t)(op) << 52 | (uint64_t)(sz) << 56)
#define HDR(cur, end)	     ((uint64_t)(cur) | (uint64_t)(end) << 16)

void conformance_snp_run(unsigned int *pass, unsigned int *fail);
struct senv;

enum {
	S_HC = 1u << 0,	     /* hypercall exits for nr 12 */
	S_FW = 1u << 1,	     /* firmware attached */
	S_CERTS = 1u << 2,   /* certificate exits enabled */
	S_NOREG = 1u << 3,   /* leave the GHCB unregistered (vCPU reset) */
	S_LIMIT1 = 1u << 4,  /* rate 1/s, burst 1 on a controlled clock */
	S_PRIV = 1u << 5,    /* VMSA_GPA and HIGH_GPA pages private */
	S_HANDLER = 1u << 6, /* AP handler installed */
};

/* Valid-field bits of the response check. */
enum { R_I1 = 1u << 0, R_I2 = 1u << 1, R_RAX = 1u << 2, R_RBX = 1u << 3 };

struct step {
	uint32_t exit;
	uint64_t a[3];	 /* HYPERCALL args[0..2]; SNP_REQ_CERTS gpa, npages; MEMORY_FAULT flags, gpa, size;
			    INTERNAL_ERROR suberror, data[0], data[1] */
	uint64_t ret;	 /* hypercall.ret / snp_req_certs.ret */
	uint64_t npages; /* snp_req_certs.npages written back */
	void (*act)(struct senv *s);
};

struct srow {
	const char *name;
	unsigned int opts;
	uint64_t msr;
	uint64_t code, info1, info2;
	bool rax_valid, rbx_valid;
	uint64_t rax, rbx, scratch;
	const uint64_t *psc; /* header then entries, written at `scratch` (default: GHCB shared buffer) */
	unsigned int npsc;
	void (*prep)(struct senv *s);
	struct step steps[4];
	bool no_check; /* a step script ending in an exit: no response to check */
	uint64_t e1, e2;
	uint32_t evalid; /* 0 = R_I1 | R_I2 */
	uint64_t emsr;
	const uint64_t *epsc; /* expected descriptor afterwards */
	const char *(*check)(struct senv *s);
};

struct ap_seen {
	int calls;
	struct hv_ap_request req;
	int answer;
	bool create_target;
};

struct senv {
	struct env e;
	uint64_t priv[4][2]; /* private ranges [lo, hi) */
	unsigned int npriv;
	uint64_t clock_ns;
	struct fw_guest_stats st0;
	struct ap_seen ap;
	struct hv_vcpu *target; /* vCPU 1 */
	struct hv_vcpu *extra;	/* created by the AP handler */
};

/* Shared by the row files. */
void snp_act_unprivate(struct senv *s);
void snp_prep_out_desc_private(struct senv *s);

#define SNP_GR(c)	.code = (c), .info1 = REQ_GPA, .info2 = RESP_GPA
#define OK_GR		.e2 = 0
#define GR_ERR(vmm, fw) .e2 = SNP_GUEST_ERR(vmm, fw)
#define MALF(r)		.e1 = GHCB_HV_RESP_MALFORMED_INPUT, .e2 = (r)
#define NAE_PSC		.code = SVM_VMGEXIT_PSC, .opts = S_HC
#define HC(gpa, n, attrs, r)                                               \
	{                                                                  \
		SNPEMU_EXIT_HYPERCALL, {(gpa), (n), (attrs)}, (r), 0, NULL \
	}
#define AP(req, apic) .code = SVM_VMGEXIT_AP_CREATION, .info1 = SVM_VMGEXIT_AP_INFO1(req, apic)

extern const struct srow snp_psc_rows[];
extern const unsigned int snp_psc_row_count;

#endif

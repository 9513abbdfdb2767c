/* SPDX-License-Identifier: MIT */
/*
 * A scripted fake hypervisor for the guest library's tests: a gst_platform whose VMGEXIT answers like KVM
 * (ghcb-hypervisor-kvm.md) by default, including an SNP firmware for guest requests built on OpenSSL (an AES-GCM
 * implementation independent of the library's own AES-GCM), and whose answers a test can override exit by exit from a
 * script: wrong MSR codes, missing valid bits, SW_EXITINFO1/2 values, PSC partial progress, BUSY, INVALID_LEN,
 * tampered responses.  Host test code: uses libc and OpenSSL freely.
 */
#ifndef SNPEMU_TESTS_FAKE_HV_H
#define SNPEMU_TESTS_FAKE_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/guest.h>

#define FH_MEM_SIZE   (16ull << 20) /* guest memory: GPA 0 .. 16 MiB */
#define FH_MAX_STEPS  64
#define FH_MAX_EXITS  4096
#define FH_GHCB_GPA   0x10000ull
#define FH_SECRETS    0x11000ull
#define FH_REQ_GPA    0x12000ull
#define FH_RESP_GPA   0x13000ull
#define FH_CERTS_GPA  0x20000ull /* 8 pages */
#define FH_CONSOLE_SZ 16384

struct fake_hv;

/* What to do at one VMGEXIT (consumed in order; when the script runs out the default model answers). */
struct fh_step {
	bool no_default; /* skip the default model (nothing is processed) */
	bool set_msr;	 /* MSR protocol: leave this value in the GHCB MSR */
	uint64_t msr;
	bool set_info1, set_info2; /* NAE: force SW_EXITINFO1/2 (and their valid bits) */
	uint64_t info1, info2;
	bool set_rbx;
	uint64_t rbx;
	unsigned int drop[4];	/* NAE: save-area offsets whose valid bit is cleared after the answer (0 = none) */
	unsigned int psc_limit; /* PSC: process at most this many entries (0 = all) */
	unsigned int psc_pages; /* PSC: process at most this many 4K pages of the current entry (0 = all) */
	void (*mutate)(struct fake_hv *h, struct ghcb *g); /* last word on the GHCB / memory */
};

/* What the fake saw at one VMGEXIT. */
struct fh_exit {
	bool msr_proto;
	uint64_t msr;  /* GHCB MSR value at the exit */
	uint64_t code; /* NAE: SW_EXITCODE */
	uint64_t info1, info2;
	uint64_t rax, rbx, rcx, rdx, rsi, scratch;
	uint8_t bitmap[16]; /* valid bitmap as the guest sent it */
	uint16_t psc_cur, psc_end;
	uint64_t psc_entries[253];
};

struct fh_pv {
	uint64_t gpa;
	bool size2m, validate;
};

struct fake_hv {
	uint8_t *mem;
	uint64_t msr;
	uint64_t registered_gpa;
	/* Capabilities of the default model. */
	uint16_t ver_min, ver_max;
	uint64_t features;
	/* Script. */
	struct fh_step steps[FH_MAX_STEPS];
	unsigned int nsteps, step;
	/* Record. */
	struct fh_exit exits[FH_MAX_EXITS];
	unsigned int nexits;
	char console[FH_CONSOLE_SZ];
	size_t console_len;
	uint8_t page_private[FH_MEM_SIZE >> 12]; /* RMP model: 1 = private */
	uint8_t page_valid[FH_MEM_SIZE >> 12];	 /* 1 = validated */
	struct fh_pv pv[4096];
	unsigned int npv;
	int pv_2m_result;	    /* PVALIDATE result for 2M pages (default OK) */
	uint64_t pv_fail_gpa;	    /* PVALIDATE of this 4K gpa fails with FAIL_INPUT (0 = never) */
	unsigned int pv_before_psc; /* count of pvalidate calls recorded before the first PSC exit */
	uint64_t delays, delay_us, clock_us;
	bool with_clock;
	uint64_t msr_store;
	uint64_t jump_table;
	uint64_t hc_ret; /* RAX returned by VMMCALL */
	uint64_t hc_args[5];
	bool terminated;
	uint64_t term_info1;
	/* Firmware model for guest requests. */
	uint8_t vmpck[4][32];
	uint64_t fw_msg_count[4];
	uint32_t certs_pages_needed; /* extended request: pages the cert table needs */
	uint8_t last_req_page[4096]; /* request page at the last guest-request exit */
	uint8_t req_copy[8][4096];   /* request pages of the first 8 guest-request exits */
	int user;		     /* free for a test's mutators */
	uint64_t rmpadjust_gpa, rmpadjust_attrs;
	int rmpadjust_rc;
	unsigned int greq_exits;
	bool fw_processed; /* the firmware ran on the last guest request */
	char log[1024];
	size_t log_len;
};

/* Allocate and initialise a fake with KVM-like defaults (versions 1..2, features SNP|AP_CREATION, VMPCKs set and
 * copied into the guest's secrets page at FH_SECRETS). */
struct fake_hv *fh_new(void);
void fh_free(struct fake_hv *h);
/* The platform to give gst_init. */
struct gst_platform fh_platform(struct fake_hv *h);
/* Append a script step. */
void fh_push(struct fake_hv *h, struct fh_step s);
/* gst_init + gst_ghcb_setup(FH_GHCB_GPA), asserting success; clears the record afterwards. */
void fh_setup(struct fake_hv *h, struct gst_ctx *c, bool snp);
/* gst_greq_init over the fake's pages for VMPCK `id`, asserting success. */
void fh_greq(struct fake_hv *h, struct gst_ctx *c, struct gst_greq *g, unsigned int id);
/* The fixture of the NAE and PSC suites: a fake and a guest context whose GHCB is set up (SNP). */
struct fh_fixture {
	struct fake_hv *h;
	struct gst_ctx c;
};
/* cmocka per-test setup/teardown for a struct fh_fixture in *state. */
int fh_fixture_setup(void **state);
int fh_fixture_teardown(void **state);
/* Forget the record (exits, pvalidate calls, delays) but not the state. */
void fh_clear_record(struct fake_hv *h);
/* Independent AES-256-GCM (OpenSSL): decrypt a message page in place; true if the tag verifies. */
bool fh_gcm_open(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len);
void fh_gcm_seal(const uint8_t key[32], uint64_t seqno, uint8_t *page, size_t len);

#endif

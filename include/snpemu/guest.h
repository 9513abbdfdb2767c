/* SPDX-License-Identifier: MIT */
/*
 * snpemu guest library: a freestanding client of the GHCB protocol (GHCB spec 56421) and of SNP guest messages
 * (SNP firmware ABI 56860 §7), for guest programs.  It plays the part of Linux arch/x86/coco/sev/core.c, the
 * sev-guest driver and OVMF CcExitLib, and it trusts nothing the hypervisor writes (docs/architecture.md rule 7):
 *   - a response field is read only if its valid bit is set in the response, each field exactly once;
 *   - SW_EXITINFO1 != 0 is always a failure (1 = exception to inject, 2 = malformed input + GHCB_ERR reason);
 *   - MSR-protocol responses must carry the expected response code (and echo what the spec says they echo);
 *   - guest-request responses are checked (seqno, type, versions, size, VMPCK, tag) and any failure wipes the VMPCK.
 *
 * Freestanding: the library calls no libc; everything it needs from the machine goes through a platform
 * (struct gst_platform).  All state lives in caller-owned structures: one struct gst_ctx per vCPU and one
 * struct gst_greq per guest-message channel (one VMPCK).  No globals.
 *
 * Errors: every function that can fail returns GST_OK (0) or a negative GST_E* code.  The details of the last
 * failure of a context (exit code, SW_EXITINFO1/2, MSR value) are kept in ctx->fault.
 */
#ifndef SNPEMU_GUEST_H
#define SNPEMU_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/ghcb.h"
#include "abi/runtime.h"

/* ---------------------------------------------------------------------------------------------------------------
 * Error space
 * ------------------------------------------------------------------------------------------------------------- */
enum gst_err {
	GST_OK = 0,
	GST_EINVAL = -1,      /* a bad argument from the caller (nothing was sent) */
	GST_EPROTO = -2,      /* the hypervisor's answer breaks the protocol: a missing valid bit, a wrong MSR response
				 code or echo, an impossible value (PSC header going backwards, bad event format) */
	GST_EEXCEPTION = -3,  /* SW_EXITINFO1 = 1: the hypervisor asks to inject an exception; fault.info2 holds the
				 event (SVM EVENTINJ: vector [7:0], type [10:8] = 3, valid bit 31) */
	GST_EMALFORMED = -4,  /* SW_EXITINFO1 = 2: the hypervisor calls our input malformed; fault.info2 holds the
				 GHCB_ERR_* reason */
	GST_EHVRESP = -5,     /* SW_EXITINFO1 is another non-zero value (reserved by the spec): failure */
	GST_ESTATUS = -6,     /* the event completed but its status is non-zero: PSC status in SW_EXITINFO2, a
				 guest-request VMM/firmware error, a hypercall return value, a firmware payload STATUS;
				 the value is in fault.info2 */
	GST_ENOTSUP = -7,     /* not available: protocol version too old, SNP-only event on SEV-ES, feature bit
				 missing, version negotiation failed, optional platform op missing */
	GST_ENOPROGRESS = -8, /* PSC: the hypervisor reported success without progress too many times */
	GST_EPVALIDATE = -9,  /* PVALIDATE failed; fault.info2 holds its return code (GST_PVALIDATE_*) */
	GST_EFAULT = -10,     /* a GPA the platform cannot map, or a pointer without a GPA */
	GST_EBUSY = -11,      /* guest request: BUSY beyond the retry budget (the VMPCK is wiped, as in Linux) */
	GST_ENOSPC = -12,     /* extended request: certificate buffer too small; *cert_pages = pages needed; the
				 sequence number was consumed by the plain-request retry, nothing was wiped */
	GST_EKEY = -13,	      /* the VMPCK is empty or was wiped: guest requests are refused */
	GST_EBADMSG = -14,    /* the response failed validation; the VMPCK was wiped */
	GST_ESEQ = -15,	      /* the message sequence counter would overflow (nothing sent, nothing wiped) */
	GST_ETERM = -16,      /* a termination request returned: the hypervisor resumed a guest that asked to stop */
};

/* A short constant name for a GST_E* code ("GST_EPROTO"), for logs. */
const char *gst_strerror(int err);

/* PVALIDATE return codes (AMD APM vol 3 PVALIDATE; Linux PVALIDATE_FAIL_*).  NOUPDATE is synthetic: the carry flag
 * was set (the RMP entry already had the requested Validated state). */
#define GST_PVALIDATE_OK		SNPEMU_PVALIDATE_SUCCESS
#define GST_PVALIDATE_FAIL_INPUT	SNPEMU_PVALIDATE_FAIL_INPUT
#define GST_PVALIDATE_FAIL_SIZEMISMATCH SNPEMU_PVALIDATE_FAIL_SIZEMISMATCH
#define GST_PVALIDATE_FAIL_NOUPDATE	255

/* Library protocol range (GHCB spec §2.2). */
#define GST_PROTOCOL_MIN 1u
#define GST_PROTOCOL_MAX 2u

/* ---------------------------------------------------------------------------------------------------------------
 * Platform layer: the machine-dependent primitives.  `ctx` is the platform's own pointer (struct gst_platform.ctx).
 * The library calls these from the vCPU that owns the gst_ctx, never concurrently for one gst_ctx; one platform
 * context per vCPU is the simple way (the GHCB MSR is per vCPU).  Pointers returned by gpa_to_ptr are cached (the
 * GHCB, the guest-request pages), so a mapping must stay valid as long as the gst_ctx / gst_greq using it.
 * Writing a platform (sim, kvm): vmgexit is the world switch: the hypervisor reads the GHCB MSR value the library
 * wrote with ghcb_msr_write, serves the request (MSR protocol) or the GHCB page at that GPA (NAE), leaves its
 * answer in the MSR / page, and returns.  Nothing else is expected of it.
 * ------------------------------------------------------------------------------------------------------------- */
struct gst_platform_ops {
	/* Execute VMGEXIT (`rep vmmcall`) and return once the hypervisor resumes the vCPU.  Before the call the
	 * library has written the GHCB MSR (MSR protocol: the request; NAE: the GHCB GPA) and, for NAE, filled the
	 * GHCB page.  The platform must not touch the GHCB page or the MSR itself.  Required. */
	void (*vmgexit)(void *ctx);
	/* Read the GHCB MSR (0xC0010130) as the hypervisor left it.  Required. */
	uint64_t (*ghcb_msr_read)(void *ctx);
	/* Write the GHCB MSR.  Required. */
	void (*ghcb_msr_write)(void *ctx, uint64_t value);
	/* PVALIDATE one page: `gpa` and its mapping `va` (as returned by gpa_to_ptr) name the same page; `size2m`
	 * selects a 2 MiB page (gpa 2 MiB-aligned), else 4 KiB; `validate` sets (true) or rescinds (false) the
	 * Validated bit.  Returns GST_PVALIDATE_OK, _FAIL_INPUT, _FAIL_SIZEMISMATCH or _FAIL_NOUPDATE (carry set).
	 * Required for SNP page-state changes. */
	int (*pvalidate)(void *ctx, uint64_t gpa, void *va, bool size2m, bool validate);
	/* Map `len` bytes of guest-physical memory at `gpa` into the library's address space: returns a pointer to
	 * the first byte, valid for `len` contiguous bytes, or NULL if not possible.  Required. */
	void *(*gpa_to_ptr)(void *ctx, uint64_t gpa, size_t len);
	/* The GPA of the byte at `p`; false if `p` is not guest memory.  Required. */
	bool (*ptr_to_gpa)(void *ctx, const void *p, uint64_t *gpa);
	/* Wait about `us` microseconds (guest-request BUSY back-off).  `us` may be 0 (yield).  Required. */
	void (*delay_us)(void *ctx, uint64_t us);
	/* A monotonic clock in microseconds, for the BUSY time budget.  Optional (NULL: count-only budget). */
	uint64_t (*now_us)(void *ctx);
	/* Print `len` bytes of diagnostics (no trailing NUL needed).  Optional (NULL: silent). */
	void (*log)(void *ctx, const char *msg, size_t len);
	/* RMPADJUST one 4 KiB page (`gpa` mapped at `va`) with `attrs` in RDX as the instruction takes them (target
	 * VMPL [7:0], permission mask [15:8], VMSA bit 16).  Returns the instruction's result (0 = success).  Optional
	 * (NULL: gst_vmsa_mark answers GST_ENOTSUP); used to turn a page into an AP's VMSA before AP creation. */
	int (*rmpadjust)(void *ctx, uint64_t gpa, void *va, uint64_t attrs);
};

struct gst_platform {
	const struct gst_platform_ops *ops;
	void *ctx;
};

/* The `snp` platform: real SEV-SNP hardware (x86-64 only).  GPA == pointer (identity map; the guest's page tables
 * must map shared pages with the C-bit clear), `rep vmmcall`, rdmsr/wrmsr 0xC0010130, the PVALIDATE instruction,
 * delays by TSC.  `tsc_khz` must be set by the caller (e.g. from the SNP secure TSC or CPUID 0x15). */
struct gst_snp_platform {
	uint64_t tsc_khz;
};
/* Fill *plat with the snp ops and `sp` as context.  Compiled on x86-64 only; returns GST_ENOTSUP elsewhere. */
int gst_platform_snp_init(struct gst_platform *plat, struct gst_snp_platform *sp);

/* The `kvm` platform: snpemu's kvm backend (src/vmm/kvm_backend.c), guest code running in a KVM VM under the
 * protocol of <snpemu/abi/runtime.h>.  VMGEXIT is an OUT to the doorbell port 0xE0, the GHCB MSR is a real
 * rdmsr/wrmsr of 0xC0010130 (the VMM intercepts both), PVALIDATE is an OUT to the doorbell port 0xE1 with the
 * instruction's registers (RAX/RCX/RDX in, RAX + CF out), GPA == pointer for [0, ram_size), delays count TSC
 * ticks at tsc_khz (the VMM's KVM_GET_TSC_KHZ; 0 = unknown: delays are calibrated-free pause loops and there is
 * no clock), and the log goes to the console port.  x86-64 only. */
/* Its ports and the unmapped page 0 are those of <snpemu/abi/runtime.h> (SNPEMU_PORT_*, SNPEMU_NULL_GUARD_SIZE). */
struct gst_kvm_platform {
	uint64_t ram_size; /* bytes of identity-mapped RAM from GPA 0 */
	uint64_t tsc_khz;  /* guest TSC frequency, or 0 */
	/* The platform's own (gst_platform_kvm_init clears them): the GHCB MSR value this vCPU last wrote or read.
	 * Each RDMSR/WRMSR of the GHCB MSR is an exit to the VMM here (on SNP hardware the WRMSR never exits), so
	 * the platform skips a WRMSR of the value the MSR already holds.  Rule: the cache is valid only while nothing
	 * but this vCPU can have changed the MSR.  The hypervisor leaves it alone in answer to a GHCB NAE (the MSR
	 * stays the GHCB GPA: KVM, and src/hv), but writes it in answer to every MSR-protocol request (GHCBInfo bits
	 * [11:0] != 0), and an AP reset hold may end with the vCPU reset; so a VMGEXIT whose MSR value was an
	 * MSR-protocol request, or whose GHCB asks for AP reset hold (SVM_VMGEXIT_AP_HLT_LOOP), drops the cache, and
	 * the next RDMSR refreshes it.  One struct per vCPU (the MSR is per vCPU). */
	uint64_t ghcb_msr_cache;
	bool ghcb_msr_cached;
};
/* Fill *plat with the kvm ops and `kp` as context.  GST_EINVAL for a NULL argument or ram_size 0; GST_ENOTSUP
 * when not compiled for x86-64. */
int gst_platform_kvm_init(struct gst_platform *plat, struct gst_kvm_platform *kp);

/* ---------------------------------------------------------------------------------------------------------------
 * Per-vCPU context
 * ------------------------------------------------------------------------------------------------------------- */
struct gst_fault {
	int err;	  /* the GST_E* code of the last failure (GST_OK if none yet) */
	uint64_t event;	  /* NAE exit code, or MSR-protocol request code (0x00x), of the failing exchange */
	uint64_t info1;	  /* SW_EXITINFO1 as seen (if valid) */
	uint64_t info2;	  /* SW_EXITINFO2 as seen (if valid), or the failing status/return code */
	uint64_t msr;	  /* the GHCB MSR value received (MSR protocol) */
	bool info1_valid; /* the response had SW_EXITINFO1's valid bit */
	bool info2_valid; /* the response had SW_EXITINFO2's valid bit */
};

struct gst_ctx {
	struct gst_platform plat;
	bool snp;		 /* the guest is SEV-SNP (SEV_STATUS bit 2); else SEV-ES */
	uint16_t version;	 /* negotiated GHCB protocol version (0 before negotiation) */
	uint16_t hv_min, hv_max; /* the hypervisor's range from SEV_INFO */
	uint8_t cbit;		 /* C-bit position from SEV_INFO */
	uint64_t hv_features;	 /* GHCB_HV_FT_* (protocol >= 2) */
	uint64_t xcr0;		 /* sent with CPUID leaf 0xD (default 1: x87) */
	struct ghcb *ghcb;	 /* the GHCB page, shared; NULL until gst_ghcb_setup */
	uint64_t ghcb_gpa;
	struct gst_fault fault; /* details of the last failure */
};

/* Initialise `c` for one vCPU: copies the platform, sets snp, clears everything else.  GST_EINVAL if a required op
 * is missing. */
int gst_init(struct gst_ctx *c, const struct gst_platform *plat, bool snp);

/* Flags of gst_ghcb_setup. */
#define GST_GHCB_ALREADY_SHARED (1u << 0) /* skip PVALIDATE-rescind + PSC (page already shared, or SEV-ES) */
#define GST_GHCB_NO_REGISTER	(1u << 1) /* SNP: skip the REG_GPA registration */

/* Set up the GHCB at `ghcb_gpa` (page-aligned): negotiate the protocol version (SEV_INFO: the highest version in
 * [max(hv_min,1), min(hv_max,2)], SNP needs 2), read HV features (version 2; SNP needs GHCB_HV_FT_SNP), make the
 * page shared (SNP: PVALIDATE rescind then MSR PSC, as Linux does; skipped with GST_GHCB_ALREADY_SHARED), zero it,
 * and register its GPA (SNP, REG_GPA echo checked).  After success the NAE wrappers may be used. */
int gst_ghcb_setup(struct gst_ctx *c, uint64_t ghcb_gpa, unsigned int flags);

/* ---------------------------------------------------------------------------------------------------------------
 * GHCB MSR protocol (GHCB spec §2.3.1).  Each writes the request, VMGEXITs, and checks the response code.
 * ------------------------------------------------------------------------------------------------------------- */
/* SEV information: fills c->hv_min/hv_max/cbit; GST_EPROTO if the code is wrong or min > max. */
int gst_msr_sev_info(struct gst_ctx *c);
/* SEV_INFO then the version choice described at gst_ghcb_setup; sets c->version.  GST_ENOTSUP if no overlap. */
int gst_msr_negotiate(struct gst_ctx *c);
/* CPUID by register: *value = register `reg` (GHCB_CPUID_REG_EAX..EDX) of leaf `fn` (sub-leaf 0). */
int gst_msr_cpuid(struct gst_ctx *c, uint32_t fn, unsigned int reg, uint32_t *value);
/* All four registers of leaf `fn` through four MSR CPUID requests. */
int gst_msr_cpuid_all(struct gst_ctx *c, uint32_t fn, uint32_t out[4]);
/* Hypervisor features (protocol 2): *features = GHCB_HV_FT_* bitmap; also stored in c->hv_features. */
int gst_msr_hv_features(struct gst_ctx *c, uint64_t *features);
/* Preferred GHCB GPA (SNP): *gpa = the hypervisor's preference, or UINT64_MAX for "none". */
int gst_msr_pref_gpa(struct gst_ctx *c, uint64_t *gpa);
/* Register the GHCB GPA (SNP, page-aligned): GST_EPROTO unless the response echoes the same GFN. */
int gst_msr_register_gpa(struct gst_ctx *c, uint64_t gpa);
/* Page-state change of one 4 KiB page by MSR (SNP): op SNP_PAGE_STATE_PRIVATE or _SHARED.  No PVALIDATE here.
 * GST_ESTATUS (fault.info2 = error) if the response carries a non-zero error. */
int gst_msr_psc_page(struct gst_ctx *c, uint64_t gpa, unsigned int op);
/* AP reset hold by MSR: one exchange; *woken = the result field (non-zero once a SIPI arrived).  Callers loop
 * while it is 0. */
int gst_msr_ap_reset_hold(struct gst_ctx *c, uint64_t *woken);
/* Request termination with reason `set`/`code` (e.g. SEV_TERM_SET_LINUX, GHCB_TERM_CPUID).  Does not return on a
 * conforming hypervisor; if the guest is resumed anyway returns GST_ETERM and the caller must halt. */
int gst_msr_terminate(struct gst_ctx *c, unsigned int set, unsigned int code);

/* ---------------------------------------------------------------------------------------------------------------
 * NAE events (GHCB spec §4.1), through the GHCB set up by gst_ghcb_setup (GST_EINVAL before it).
 * ------------------------------------------------------------------------------------------------------------- */
/* The generic exchange: fills SW_EXITCODE/INFO1/INFO2 (the GHCB save area was cleared and the caller may have
 * set input fields), VMGEXITs and checks SW_EXITINFO1's valid bit and value.  On GST_OK, *info2 is SW_EXITINFO2 if
 * `info2` is non-NULL and its valid bit is set (GST_EPROTO if non-NULL and not valid).  Used by the wrappers;
 * exposed for events they do not cover. */
int gst_nae(struct gst_ctx *c, uint64_t exit_code, uint64_t info1, uint64_t info2_in, uint64_t *info2);
/* Clear the GHCB save area before filling inputs for gst_nae (the wrappers do it themselves). */
void gst_ghcb_begin(struct gst_ctx *c);
/* VMGEXIT with the GHCB exactly as the caller left it (no field, valid bit, version or usage written by the
 * library), for deliberately malformed events (the `hostile` guest); the response goes through the same checks as
 * gst_nae (e.g. GST_EMALFORMED with fault.info2 = the GHCB_ERR_* reason).  On GST_OK, *info2 = SW_EXITINFO2 if
 * valid, else 0. */
int gst_nae_raw(struct gst_ctx *c, uint64_t *info2);

/* CPUID (leaf, sub-leaf): out = {EAX, EBX, ECX, EDX}; all four must come back valid.  Leaf 0xD sends c->xcr0. */
int gst_cpuid(struct gst_ctx *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* RDMSR: *value = EDX:EAX (both valid).  A #GP from the hypervisor is GST_EEXCEPTION with vector 13. */
int gst_rdmsr(struct gst_ctx *c, uint32_t msr, uint64_t *value);
/* WRMSR value to msr. */
int gst_wrmsr(struct gst_ctx *c, uint32_t msr, uint64_t value);
/* Port IN of `size` bytes (1, 2 or 4): *value = RAX masked to the size (RAX must be valid). */
int gst_io_in(struct gst_ctx *c, uint16_t port, unsigned int size, uint32_t *value);
/* Port OUT of `size` bytes (1, 2 or 4) of `value`. */
int gst_io_out(struct gst_ctx *c, uint16_t port, unsigned int size, uint32_t value);
/* String OUT (`rep outs`) of `count` elements of `size` bytes from `buf`, through the GHCB shared buffer in chunks
 * of at most 2032 bytes. */
int gst_io_outs(struct gst_ctx *c, uint16_t port, unsigned int size, const void *buf, size_t count);
/* String IN (`rep ins`) of `count` elements of `size` bytes into `buf`, through the shared buffer in chunks. */
int gst_io_ins(struct gst_ctx *c, uint16_t port, unsigned int size, void *buf, size_t count);
/* Write `len` bytes to the serial console (port 0x3F8) with string OUTs. */
int gst_console_write(struct gst_ctx *c, const char *s, size_t len);
/* Write a NUL-terminated string to the console. */
int gst_console_puts(struct gst_ctx *c, const char *s);
#define GST_CONSOLE_PORT 0x3F8u
/* MMIO read of `len` bytes (1..2032) at `gpa` into `buf`, through the shared buffer. */
int gst_mmio_read(struct gst_ctx *c, uint64_t gpa, void *buf, size_t len);
/* MMIO write of `len` bytes (1..2032) from `buf` to `gpa`, through the shared buffer. */
int gst_mmio_write(struct gst_ctx *c, uint64_t gpa, const void *buf, size_t len);
/* VMMCALL hypercall `nr` with a0..a3 in RBX, RCX, RDX, RSI and CPL 0: *ret = RAX (must be valid). */
int gst_hypercall(struct gst_ctx *c, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t *ret);
/* KVM_HC_MAP_GPA_RANGE (12): announce `npages` 4 KiB pages at `gpa` as private (encrypted) or shared, `attrs`
 * KVM_MAP_GPA_RANGE_* (bit 4 = encrypted, bits 3:0 page size).  GST_ESTATUS (fault.info2 = RAX) if RAX != 0. */
int gst_map_gpa_range(struct gst_ctx *c, uint64_t gpa, uint64_t npages, uint64_t attrs);
#define GST_KVM_HC_MAP_GPA_RANGE	 12u
#define GST_KVM_MAP_GPA_RANGE_ENCRYPTED	 (1u << 4)
#define GST_KVM_MAP_GPA_RANGE_DECRYPTED	 0u
#define GST_KVM_MAP_GPA_RANGE_PAGE_SZ_2M (1u << 0)
/* HV features by NAE (protocol 2): *features = SW_EXITINFO2; also stored in c->hv_features. */
int gst_hv_features(struct gst_ctx *c, uint64_t *features);
/* AP jump table: set to `pa`. */
int gst_ap_jump_table_set(struct gst_ctx *c, uint64_t pa);
/* AP jump table: *pa = the saved value. */
int gst_ap_jump_table_get(struct gst_ctx *c, uint64_t *pa);
/* AP creation (SNP, protocol 2, GHCB_HV_FT_SNP_AP_CREATION): request SVM_VMGEXIT_AP_CREATE_ON_INIT / _CREATE /
 * _DESTROY for `apic_id` with the VMSA at `vmsa_gpa` (page-aligned, not 2 MiB-aligned: SNP erratum) and
 * `sev_features` in RAX. */
int gst_ap_create(struct gst_ctx *c, unsigned int request, uint32_t apic_id, uint64_t vmsa_gpa, uint64_t sev_features);
/* Mark (vmsa = true) or unmark the private, validated page at `vmsa_gpa` as a VMSA for VMPL1 through RMPADJUST
 * (Linux snp_set_vmsa: attrs = 1 | VMSA bit), before gst_ap_create / after destroying the AP. */
int gst_vmsa_mark(struct gst_ctx *c, uint64_t vmsa_gpa, bool vmsa);
#define GST_RMPADJUST_VMSA_PAGE_BIT (1ull << 16)
/* AP reset hold by NAE (AP_HLT_LOOP): *woken = SW_EXITINFO2 (1 after a SIPI). */
int gst_ap_hlt_loop(struct gst_ctx *c, uint64_t *woken);
/* NMI complete. */
int gst_nmi_complete(struct gst_ctx *c);
/* Termination by NAE, reason set/code in SW_EXITINFO1; returns GST_ETERM if resumed anyway (caller must halt). */
int gst_terminate(struct gst_ctx *c, unsigned int set, unsigned int code);

/* ---------------------------------------------------------------------------------------------------------------
 * Page state (SNP): PSC NAE batching + PVALIDATE (GHCB spec §4.1.6; Linux __set_pages_state).
 * ------------------------------------------------------------------------------------------------------------- */
/* Convert `npages` 4 KiB pages at `gpa` (page-aligned) to private (op SNP_PAGE_STATE_PRIVATE: PSC, then PVALIDATE
 * validate) or shared (SNP_PAGE_STATE_SHARED: PVALIDATE rescind, then PSC).  2 MiB entries where the GPA is
 * 2 MiB-aligned and 512 pages remain (unless `no_2m`), at most 253 entries per request, resubmission while the
 * hypervisor makes progress (cur_entry / cur_page), 2M -> 4K PVALIDATE fallback on FAIL_SIZEMISMATCH.  Stops at
 * the first failure (pages before it may be converted). */
int gst_psc(struct gst_ctx *c, uint64_t gpa, uint64_t npages, unsigned int op, bool no_2m);
/* PVALIDATE `npages` 4 KiB pages at `gpa` through the platform, with the 2M -> 4K fallback. */
int gst_pvalidate_range(struct gst_ctx *c, uint64_t gpa, uint64_t npages, bool validate, bool no_2m);
/* Consecutive success-without-progress answers to a PSC request before GST_ENOPROGRESS. */
#define GST_PSC_MAX_STALLS 8u

/* ---------------------------------------------------------------------------------------------------------------
 * Guest requests (SNP firmware ABI §7; Linux sev-guest semantics), over one VMPCK.
 * ------------------------------------------------------------------------------------------------------------- */
struct gst_greq_config {
	uint8_t *secrets;	 /* the guest's mapping of the secrets page (private); VMPCKs and msg_seqno live here */
	unsigned int vmpck_id;	 /* 0..3 */
	uint64_t req_gpa;	 /* request page (4 KiB, page-aligned) */
	uint64_t resp_gpa;	 /* response page (4 KiB, page-aligned, != req_gpa) */
	bool pages_shared;	 /* the two pages are already shared; else gst_greq_init converts them with gst_psc */
	uint32_t busy_retries;	 /* BUSY resends allowed (0: default 30) */
	uint64_t busy_delay_us;	 /* delay before each resend (0: default 2 s, Linux SNP_REQ_RETRY_DELAY) */
	uint64_t busy_budget_us; /* total time allowed with now_us (0: default 60 s, SNP_REQ_MAX_RETRY_DURATION) */
};

struct gst_greq {
	struct gst_greq_config cfg;
	uint8_t *req_page;  /* shared */
	uint8_t *resp_page; /* shared */
	bool disabled;	    /* VMPCK wiped: every later request is refused */
	int lock; /* spinlock (__atomic builtins): one request at a time; vCPUs may share a channel, each passing its
		     own gst_ctx; waiters call delay_us(0) */
	uint64_t last_exitinfo2; /* SW_EXITINFO2 of the last exchange (fw status [31:0], VMM error [63:32]) */
	uint8_t req_priv[4096];	 /* private: the encrypted request as sent (resent byte-identical on BUSY) */
	uint8_t resp_priv[4096]; /* private: the response copied out of the shared page, then decrypted */
};

/* Set up a guest-request channel: checks the config (SNP, protocol 2, GHCB set up, VMPCK non-zero -> else
 * GST_EKEY), maps the two pages and, unless cfg.pages_shared, makes them shared with gst_psc. */
int gst_greq_init(struct gst_ctx *c, struct gst_greq *g, const struct gst_greq_config *cfg);
/* Wipe VMPCK cfg.vmpck_id in the secrets page (volatile stores) and refuse all later requests. */
void gst_greq_wipe(struct gst_greq *g);

/* Send one message of `type` (msg version 1, 1..254) with `req_len` payload bytes and receive the response payload into
 * `resp` (capacity `resp_cap`, *resp_len = its size).  With `certs_gpa` != 0 it is an extended request (RAX =
 * certs_gpa, RBX = *cert_pages; shared pages the caller owns; GPA 0 means "no certificates") and on INVALID_LEN the
 * message is resent as a plain request, *cert_pages is set to the count needed and GST_ENOSPC returned.  BUSY resends
 * the identical message within the budget.  Any other failure or a bad response wipes the VMPCK (GST_EBADMSG,
 * GST_ESTATUS, GST_EPROTO, GST_EBUSY, ...).  The sequence number is consumed once the message was sent. */
int gst_greq_send(struct gst_ctx *c, struct gst_greq *g, uint8_t type, const void *req, size_t req_len, void *resp,
		  size_t resp_cap, size_t *resp_len, uint64_t certs_gpa, uint32_t *cert_pages);

struct gst_report_req {
	uint8_t user_data[64]; /* copied into the report's REPORT_DATA */
	uint32_t vmpl;	       /* >= vmpck_id */
	uint32_t key_sel;      /* SNP_KEY_SEL_* */
};
/* Attestation report: report[SNP_REPORT_SIZE] receives the report.  After a response that validated, the payload
 * is the firmware's own (authenticated), so its problems do not wipe the key: STATUS != 0 gives GST_ESTATUS
 * (fault.info2 = STATUS), a REPORT_SIZE other than 0x4A0 gives GST_EPROTO.  The errors of gst_greq_send apply. */
int gst_get_report(struct gst_ctx *c, struct gst_greq *g, const struct gst_report_req *req, uint8_t *report,
		   size_t report_cap);
/* Attestation report with certificates: extended request with the certificate table written by the host into
 * `*cert_pages` shared pages at `certs_gpa`; GST_ENOSPC with *cert_pages = needed when too small. */
int gst_get_ext_report(struct gst_ctx *c, struct gst_greq *g, const struct gst_report_req *req, uint8_t *report,
		       size_t report_cap, uint64_t certs_gpa, uint32_t *cert_pages);

struct gst_key_req {
	uint32_t root_key_select; /* 0 = VCEK/VLEK, 1 = VMRK */
	uint32_t key_sel;	  /* SNP_KEY_SEL_* */
	uint64_t guest_field_select;
	uint32_t vmpl;
	uint32_t guest_svn;
	uint64_t tcb_version;
};
/* Derived key: key[32] receives DERIVED_KEY (GST_ESTATUS with fault.info2 = STATUS on a payload error). */
int gst_get_derived_key(struct gst_ctx *c, struct gst_greq *g, const struct gst_key_req *req, uint8_t key[32]);

struct gst_tsc_info {
	uint64_t guest_tsc_scale;
	uint64_t guest_tsc_offset;
	uint32_t tsc_factor;
};
/* TSC information (MSG_TSC_INFO_REQ). */
int gst_get_tsc_info(struct gst_ctx *c, struct gst_greq *g, struct gst_tsc_info *out);

/* ---------------------------------------------------------------------------------------------------------------
 * #VC: the VMM Communication exception handler of an SEV-ES guest (src/guest/vc.c).  The CPU raises #VC (vector
 * 29, error code = the SVM exit code) for an intercepted instruction; the handler turns CPUID (0x72), IN/OUT in
 * each width with an imm8 or DX port and (REP) INS/OUTS through the GHCB shared buffer (0x7B), and RDMSR/WRMSR
 * (0x7C) into the NAE event of that code with the wrappers above (so the response is validated as everywhere),
 * writes the results into the interrupted registers, advances RIP past the instruction and returns with IRETQ.  A
 * #VC it cannot serve (another exit code, a bad response, an FS/GS override on string IO) ends the guest with a
 * termination request (set 0, code 0, as Linux's sev_es_terminate) instead of returning to the instruction.
 * Per vCPU (index cpu < GST_VC_MAX_CPUS): each installs its own IDT, entry and context (its own GHCB), once, and has
 * its own counts.  A #VC that finds the vCPU's GHCB in use (the handler interrupted, or code holding it with
 * gst_vc_ghcb_hold) saves the GHCB page in the vCPU's backup and restores it when served, as Linux's
 * __sev_get_ghcb/__sev_put_ghcb; a #VC while the backup is in use too is not served (GST_EBUSY: termination).
 * ------------------------------------------------------------------------------------------------------------- */
#define GST_VC_MAX_CPUS 16u /* = SNPEMU_MAX_VCPUS */
/* The interrupted state: the general registers the entry saved, then the CPU's exception frame. */
struct gst_vc_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t error_code, rip, cs, rflags, rsp, ss;
};
/* Serve one #VC of vCPU cpu on c for the state r (RIP names the instruction), taking the vCPU's GHCB as described
 * above: GST_OK with r updated, or the error (GST_EINVAL for cpu out of range, GST_EBUSY when GHCB and backup are
 * both in use). */
int gst_vc_handle(struct gst_ctx *c, uint32_t cpu, struct gst_vc_regs *r);
/* x86-64: load an IDT for vCPU cpu whose vector 29 is its handler entry (LIDT), serving its #VCs from now on with a
 * copy of c (the handler outlives the caller's frame).  GST_ENOTSUP elsewhere or when cpu already installed one,
 * GST_EINVAL for cpu out of range. */
int gst_vc_install(struct gst_ctx *c, uint32_t cpu);
/* Code that fills the GHCB outside the handler (Linux: a __sev_get_ghcb caller) marks it in use on its vCPU, so that
 * a #VC meanwhile keeps its contents (the backup GHCB); GST_EBUSY if it already is.  Release when done. */
int gst_vc_ghcb_hold(uint32_t cpu);
void gst_vc_ghcb_release(uint32_t cpu);
/* #VCs vCPU cpu served so far with the given exit code; #VCs it served with the GHCB in use (the backup taken). */
uint64_t gst_vc_count(uint32_t cpu, uint32_t exit_code);
uint64_t gst_vc_nested(uint32_t cpu);
/* The next RDMSR/WRMSR of vCPU cpu whose NAE answer is a #GP is skipped instead of terminating (rdmsr_safe style);
 * then gst_vc_gp_seen() says whether it happened (and disarms). */
void gst_vc_allow_gp(uint32_t cpu);
bool gst_vc_gp_seen(uint32_t cpu);

/* ---------------------------------------------------------------------------------------------------------------
 * Freestanding byte helpers (the library's own; no libc).
 * ------------------------------------------------------------------------------------------------------------- */
void gst_memcpy(void *dst, const void *src, size_t n);
void gst_memset(void *dst, int v, size_t n);
/* 0 if equal; like memcmp's sign otherwise (not constant time). */
int gst_memcmp(const void *a, const void *b, size_t n);
/* true if equal, in time independent of the contents (for tags). */
bool gst_memeq_ct(const void *a, const void *b, size_t n);
/* Zero `n` bytes with volatile stores the compiler cannot drop (keys, plaintext). */
void gst_wipe(void *p, size_t n);
/* String length of a NUL-terminated string. */
size_t gst_strlen(const char *s);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * snpemu firmware model (`fw`): the AMD SEV-SNP firmware (PSP) as guests and hypervisors see it.
 * Facts: ../shared/spec/snp-firmware-abi.md; AMD SNP firmware ABI 56860.
 *
 * Conventions: functions that can fail return 0 or a negative errno (host failures) or, where the firmware
 * defines one, an SNP status (enum snp_fw_status, >= 0).  Objects are caller-visible structures or opaque
 * handles created and destroyed by this API; no global state.
 */
#ifndef SNPEMU_FW_H
#define SNPEMU_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <snpemu/abi/page_info.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/snp_msg.h>

/* ---- Launch digest (snp-firmware-abi.md §6) ---------------------------------------------------------------- */

/* The running launch digest of one guest launch: 48 zero bytes at LAUNCH_START. */
struct fw_launch_digest {
	uint8_t digest[SNP_DIGEST_SIZE];
	uint64_t pages; /* pages chained so far */
};

/* VMPL permission bytes and IMI flag of a LAUNCH_UPDATE (zero for ordinary launches). */
struct fw_page_perms {
	uint8_t imi_page;
	uint8_t vmpl1, vmpl2, vmpl3;
};

/* Reset `ld` to the LAUNCH_START state. */
void fw_launch_digest_init(struct fw_launch_digest *ld);

/* Chain one 4 KiB page into `ld` as SNP_LAUNCH_UPDATE does.  `page` (4096 bytes) is required for NORMAL and VMSA
 * and ignored otherwise; VMSA pages are measured at GPA 0xFFFFFFFFF000 with GUEST_TSC_SCALE/OFFSET zeroed.
 * `perms` may be NULL.  Returns 0, or -EINVAL for a reserved type, a missing page or an unaligned GPA. */
int fw_launch_digest_update(struct fw_launch_digest *ld, enum snp_page_type type, uint64_t gpa, const uint8_t *page,
			    const struct fw_page_perms *perms);

/* Encode the 0x70-byte PAGE_INFO record (exposed for tests and tools). */
void fw_page_info_encode(uint8_t out[SNP_PAGE_INFO_SIZE], const uint8_t digest_cur[SNP_DIGEST_SIZE],
			 const uint8_t contents[SNP_DIGEST_SIZE], enum snp_page_type type, uint64_t gpa,
			 const struct fw_page_perms *perms);

/* ---- Platform (snp-firmware-abi.md §3.4, §3.5, §4.3) ------------------------------------------------------- */

/* Product lines.  The certificate names, the TCB layout and the CPUID signature follow from it. */
enum fw_product { FW_PRODUCT_GENOA = 0, FW_PRODUCT_MILAN = 1, FW_PRODUCT_TURIN = 2 };
#define FW_PRODUCT_COUNT 3

/* "Genoa", "Milan", "Turin" (the KDS product line name), or NULL for an unknown value. */
const char *fw_product_name(enum fw_product product);
/* Parse "genoa" / "milan" / "turin" (any case).  Returns 0 or -EINVAL. */
int fw_product_parse(const char *name, enum fw_product *out);
/* The TCB_VERSION layout of a product (Turin and later put FMC first). */
enum snp_tcb_layout fw_product_tcb_layout(enum fw_product product);

/* Firmware version as the report carries it (0x1E8..0x1EE). */
struct fw_version {
	uint8_t major, minor, build;
};

#define FW_SEED_MAX 64u

/* Everything configurable about a platform.  fw_platform_config_default() fills the values of a current production
 * part (the genuine Genoa report in tests/fixtures: firmware 1.55.40, TCB bl 0x0a tee 0 snp 0x17 ucode 0x54,
 * platform info 0x27); change fields after that. */
struct fw_platform_config {
	enum fw_product product;
	bool seeded;		   /* derive keys, chip ID and guest secrets from `seed`; else the system RNG */
	uint8_t seed[FW_SEED_MAX]; /* first seed_len bytes used */
	size_t seed_len;
	struct snp_tcb current_tcb, committed_tcb, reported_tcb, launch_tcb;
	struct fw_version current_version, committed_version;
	uint64_t platform_info; /* SNP_PLATFORM_INFO_* */
	uint32_t cpuid_fms;	/* CPUID Fn0000_0001 EAX of the part */
	uint32_t tsc_factor;	/* secrets page 0x160 / TSC_INFO (ASPFW Genoa: 200) */
	unsigned sockets;	/* > 1 fails SINGLE_SOCKET policies */
	bool aes_256_xts;	/* MEM_AES_256_XTS policy can be honoured */
	bool vlek;		/* a VLEK is installed (KEY_SEL 0 then signs with it) */
	/* ATTESTATION_REPORT VERSION the firmware emits: 2, 3 (adds CPUID_FAM_ID/MOD_ID/STEP at 0x188) or 5 (adds
	 * LAUNCH_MIT_VECTOR at 0x1F8 and CURRENT_MIT_VECTOR at 0x200), snp-firmware-abi.md §3.1.  Default 5, as
	 * current SNP firmware on Milan and Genoa emits. */
	uint32_t report_version;
	/* Mitigation vector of the firmware (v5 CURRENT_MIT_VECTOR); a guest records it at LAUNCH_START as its
	 * LAUNCH_MIT_VECTOR.  Default 0 (no mitigation bits). */
	uint64_t current_mit_vector;
	int64_t vcek_not_before; /* VCEK validity start (Unix time); the VCEK is valid 7 years */
	/* The AMD root keys (ARK, ASK, ASVK) derive from `amd_seed` when amd_seed_len > 0, so that platforms of one
	 * product line share one AMD root as real chips do (live migration checks it); otherwise from the platform's
	 * own root (each platform its own AMD: the default, and what every single-platform use needs). */
	uint8_t amd_seed[FW_SEED_MAX];
	size_t amd_seed_len;
};

/* An SNP platform: product, chip ID, TCBs, keys and the certificates.  Immutable after creation except for the
 * lazily built certificates, so it may be shared by many guests and threads. */
struct fw_platform;

/* Fill `cfg` with the defaults for `product` (unseeded). */
void fw_platform_config_default(struct fw_platform_config *cfg, enum fw_product product);
/* Set `cfg` to derive everything from `seed` (1..FW_SEED_MAX bytes).  Returns 0 or -EINVAL. */
int fw_platform_config_seed(struct fw_platform_config *cfg, const uint8_t *seed, size_t len);
/* Set `cfg`'s AMD root seed (1..FW_SEED_MAX bytes).  Returns 0 or -EINVAL. */
int fw_platform_config_amd_seed(struct fw_platform_config *cfg, const uint8_t *seed, size_t len);
/* Create a platform: chip ID and VCEK/VLEK keys derived (from the seed, or random).  Returns 0, -EINVAL for an
 * inconsistent configuration (unknown product, report version not 2, 3 or 5, TCB values not encodable), -ENOMEM. */
int fw_platform_create(const struct fw_platform_config *cfg, struct fw_platform **out);
/* True for a report version the firmware model emits (2, 3, 5). */
bool fw_report_version_supported(uint32_t version);
/* Free a platform (NULL is fine).  Its guests must be destroyed first. */
void fw_platform_destroy(struct fw_platform *p);
/* The configuration the platform was created with. */
const struct fw_platform_config *fw_platform_config(const struct fw_platform *p);
/* The 64-byte chip ID (Turin: bytes 8..63 zero). */
const uint8_t *fw_platform_chip_id(const struct fw_platform *p);
/* TCB_VERSION values encoded in the product's layout. */
uint64_t fw_platform_tcb(const struct fw_platform *p, int which);
#define FW_TCB_CURRENT	 0
#define FW_TCB_COMMITTED 1
#define FW_TCB_REPORTED	 2
#define FW_TCB_LAUNCH	 3

/* ---- Certificates (snp-firmware-abi.md §4) ----------------------------------------------------------------- */

enum fw_cert_kind { FW_CERT_ARK = 0, FW_CERT_ASK = 1, FW_CERT_VCEK = 2, FW_CERT_VLEK = 3, FW_CERT_ASVK = 4 };
#define FW_CERT_KIND_COUNT  5
/* Serial numbers of the platform's certificates: the genuine Genoa ARK's and ASK's (tests/fixtures), the ASVK next
 * to them; VCEKs and VLEKs carry serial 0 as KDS issues them (so a CRL entry for serial 0 revokes every one). */
#define FW_CERT_SERIAL_ARK  0x20000u
#define FW_CERT_SERIAL_ASK  0x20002u
#define FW_CERT_SERIAL_ASVK 0x20003u
#define FW_CERT_SERIAL_VCEK 0u

/* The DER certificate of `kind` as AMD's KDS issues it: ARK (self-signed RSA-4096, RSASSA-PSS SHA-384), ASK
 * (signed by the ARK), VCEK (P-384, signed by the ASK, KDS extensions); ASVK/VLEK only when cfg.vlek.  Built on
 * first use (RSA-4096 key derivation takes about a second) and cached in the platform.  `*der` stays valid until
 * the platform is destroyed.  Returns 0, -ENOENT (no VLEK on this platform), -ENOMEM. */
int fw_platform_cert(struct fw_platform *p, enum fw_cert_kind kind, const uint8_t **der, size_t *len);

/* The VCEK that AMD's KDS issues for this platform's chip at another reported TCB (`tcb`, in the product's layout:
 * fmc only on Turin): the key derives from the chip secret and the TCB exactly as the firmware derives the VCEK it
 * signs with at that TCB, so a report of this chip at that TCB verifies under it.  *der is malloc'ed (the caller
 * frees it).  Returns 0, -EINVAL (an SPL the VCEK cannot carry: bl/tee/snp/fmc above 127, fmc off Turin), -ENOMEM,
 * -EIO. */
int fw_platform_vcek_cert_for_tcb(struct fw_platform *p, const struct snp_tcb *tcb, uint8_t **der, size_t *len);

/* A DER certificate revocation list (RFC 5280 §5, version 2) as KDS serves at /vcek/v1/{product}/crl: issued and
 * signed by the platform's ARK with RSASSA-PSS SHA-384, listing `n` revoked serial numbers, each revoked at
 * `this_update` (Unix time); nextUpdate is 7 days later.  *der is malloc'ed.  Returns 0, -ENOMEM, -EIO. */
int fw_platform_crl(struct fw_platform *p, const uint64_t *serials, size_t n, int64_t this_update, uint8_t **der,
		    size_t *len);

/* PEM ("-----BEGIN CERTIFICATE-----") text of a DER certificate, NUL-terminated and malloc'ed.  Returns 0,
 * -EINVAL (not a certificate), -ENOMEM. */
int fw_cert_der_to_pem(const uint8_t *der, size_t len, char **pem, size_t *pem_len);

/* The certificate table of an extended guest request (GHCB 56421 Table 10): entries for ARK, ASK, VCEK (and VLEK
 * and the ASVK when installed), the zero terminator, then the DER blobs.  Writes at most `cap` bytes to `buf`
 * (`buf` may be NULL with cap 0) and the size needed to `*needed`.  Returns 0, -ENOSPC when cap is too small, or
 * the error of fw_platform_cert. */
int fw_cert_table_build(struct fw_platform *p, uint8_t *buf, size_t cap, size_t *needed);

/* One entry of a parsed certificate table: a view into the parsed buffer. */
struct fw_cert_entry {
	uint8_t guid[16];
	const uint8_t *data;
	uint32_t offset, length;
};
/* Parse an untrusted certificate table of `len` bytes (as Linux and go-sev-guest do: entries until an all-zero
 * one, every offset past the table, every blob inside the buffer).  Stores up to `max` entries and their count.
 * Returns 0, -EINVAL (no terminator, blob outside the buffer or overlapping the table), -E2BIG (more than
 * `max` entries). */
int fw_cert_table_parse(const uint8_t *buf, size_t len, struct fw_cert_entry *out, size_t max, size_t *count);
/* The certificate kind of a table GUID, or -1. */
int fw_cert_guid_kind(const uint8_t guid[16]);

/* ---- Page ownership: the RMP model (APM vol. 2 §15.36) ----------------------------------------------------- */

/* Per 4 KiB page.  Hypervisor-owned (shared) is the default of every page. */
enum fw_page_state {
	FW_PAGE_SHARED = 0,    /* hypervisor-owned; the host may touch it */
	FW_PAGE_PRIVATE = 1,   /* guest-owned, not validated */
	FW_PAGE_VALIDATED = 2, /* guest-owned, validated */
	FW_PAGE_FIRMWARE = 3,  /* firmware-owned (e.g. a guest request page while the firmware holds it) */
	FW_PAGE_VMSA = 4,      /* guest-owned VMSA page */
};

/* PVALIDATE results (APM vol. 3 PVALIDATE: RAX). */
enum fw_pvalidate_rc {
	FW_PVALIDATE_SUCCESS = 0,
	FW_PVALIDATE_FAIL_INPUT = 1,	    /* bad address or size */
	FW_PVALIDATE_FAIL_SIZEMISMATCH = 6, /* 4 KiB request on a 2 MiB RMP entry (never in this model) */
	FW_PVALIDATE_FAIL_NOCHANGE = 16,    /* already in the requested state (hardware sets rFLAGS.CF) */
	FW_PVALIDATE_RMP_FAULT = 0x100,	    /* not a guest-owned page: hardware raises #NPF (RMP violation) */
};

/* Page ownership of one guest's physical address space [0, gpa_limit), range-compressed per 2 MiB: a 2 MiB range
 * whose pages are all shared, all private or all validated costs one pointer (8 bytes, in a table allocated per
 * 1 GiB on the first non-shared write), a mixed one 2 bits per 4 KiB page more; plus a small table for the rare
 * FIRMWARE/VMSA pages.  All functions are thread-safe (lock-free reads and per-page updates; the special table
 * takes a mutex). */
struct fw_rmp;

/* Create the model for a guest of `gpa_limit` bytes (page-aligned, up to 2^52).  Returns 0, -EINVAL, -ENOMEM. */
int fw_rmp_create(uint64_t gpa_limit, struct fw_rmp **out);
/* Free the model (NULL is fine). */
void fw_rmp_destroy(struct fw_rmp *rmp);
/* The state of the page holding `gpa` (out of range: FW_PAGE_SHARED). */
enum fw_page_state fw_rmp_get(struct fw_rmp *rmp, uint64_t gpa);
/* Whether the host may access [gpa, gpa+len): true if every page is shared and the range is inside the model.
 * On false, `*fault_gpa` (if not NULL) is the first offending address. */
bool fw_rmp_host_may_access(struct fw_rmp *rmp, uint64_t gpa, uint64_t len, uint64_t *fault_gpa);
/* Page-state change (RMPUPDATE by the hypervisor): make `npages` pages from `gpa` private (guest-owned,
 * unvalidated) or shared.  Converting drops validation, as RMPUPDATE does.  VMSA/FIRMWARE pages are not
 * changed and give -EBUSY (nothing changed in that case).  Returns 0, -EINVAL (unaligned, out of range),
 * -ENOMEM. */
int fw_rmp_set_private(struct fw_rmp *rmp, uint64_t gpa, uint64_t npages, bool private_);
/* Set one page's state directly (firmware use: launch, VMSA, request pages).  Returns 0, -EINVAL, -ENOMEM. */
int fw_rmp_set(struct fw_rmp *rmp, uint64_t gpa, enum fw_page_state state);
/* PVALIDATE by the guest: validate (or rescind) the 4 KiB page at `gpa`, or the 512 pages of a 2 MiB page when
 * `huge`.  Shared pages give FW_PVALIDATE_RMP_FAULT; a page already in the requested state FAIL_NOCHANGE. */
enum fw_pvalidate_rc fw_rmp_pvalidate(struct fw_rmp *rmp, uint64_t gpa, bool huge, bool validate);
/* Count of pages in `state` (a scan of the mixed 2 MiB ranges; for tests and statistics). */
uint64_t fw_rmp_count(struct fw_rmp *rmp, enum fw_page_state state);
/* Bytes of memory the model uses now, and per 4 KiB page (at most 0.25 + 1/64 when every 2 MiB range is mixed). */
size_t fw_rmp_memory_bytes(struct fw_rmp *rmp);
/* The model's GPA limit. */
uint64_t fw_rmp_gpa_limit(struct fw_rmp *rmp);
/* The GPA of the first page at or after `gpa` that is not shared, or fw_rmp_gpa_limit() if there is none (walks
 * only mixed 2 MiB ranges and their non-zero words: cheap on sparse models). */
uint64_t fw_rmp_next_owned(struct fw_rmp *rmp, uint64_t gpa);
double fw_rmp_bytes_per_page(struct fw_rmp *rmp);

/* ---- Guest contexts and launch (SNP ABI 56860 §8.16-8.18) -------------------------------------------------- */

/* SENDING: the context was exported for migration; guest requests are refused until the migration is aborted
 * (back to RUNNING) or finished (SENT: the keys are wiped; the guest lives on at the destination). */
enum fw_guest_state {
	FW_GUEST_INIT = 0,
	FW_GUEST_LAUNCH = 1,
	FW_GUEST_RUNNING = 2,
	FW_GUEST_SENDING = 3,
	FW_GUEST_SENT = 4,
};

/* Everything the firmware knows about one guest, as a plain structure so it can be exported and imported
 * (live migration).  Keys are secret. */
struct fw_guest_context {
	enum fw_guest_state state;
	uint64_t policy;
	uint8_t vmpck[SNP_VMPCK_COUNT][32];
	uint64_t msg_count[SNP_VMPCK_COUNT]; /* firmware message counters, one per VMPCK (§1.4) */
	uint8_t vmrk[32];
	bool vmrk_valid;
	struct fw_launch_digest ld;
	uint8_t host_data[32];
	uint8_t family_id[16], image_id[16];
	uint32_t guest_svn;
	bool id_block_en, author_key_en;
	uint8_t id_key_digest[48], author_key_digest[48];
	uint8_t report_id[32], report_id_ma[32];
	uint8_t gosvw[16];
	bool imi_en;
	uint64_t guest_tsc_scale, guest_tsc_offset;
	uint64_t launch_tcb;	    /* committed TCB at LAUNCH_START */
	uint64_t launch_mit_vector; /* the firmware's mitigation vector at LAUNCH_START (report v5) */
	uint64_t migrate_epoch;	    /* migrations this guest has completed (0 for a guest launched here) */
};

/* LAUNCH_START parameters besides the policy. */
struct fw_launch_start_params {
	uint8_t gosvw[16]; /* guest-OS-visible workarounds, copied to the secrets page */
	bool imi_en;	   /* incoming migration image */
};

/* LAUNCH_FINISH parameters: all optional (NULL / false). */
struct fw_launch_finish_params {
	const uint8_t *id_block; /* 0x60 bytes (§3.7) */
	const uint8_t *id_auth;	 /* 0x1000 bytes, required with id_block */
	bool author_key_en;
	const uint8_t *host_data; /* 32 bytes */
};

/* Error injection for tests of the engine and guests. */
struct fw_inject {
	uint32_t status;    /* non-zero: answer the next `count` requests with this command status, unprocessed */
	uint32_t count;	    /* how many requests to answer so (0 with status != 0: every request) */
	uint32_t delay_us;  /* sleep this long in every request before answering */
	uint32_t resp_type; /* non-zero: write this message type into otherwise valid responses */
};

/* Request statistics. */
struct fw_guest_stats {
	uint64_t received;  /* fw_guest_request calls */
	uint64_t processed; /* requests that passed header, tag and sequence checks and got a response */
	uint64_t rejected;  /* command-level failures (including injected ones) */
};

struct fw_guest;

/* Create a guest context on `p` whose physical address space is [0, gpa_limit).  Its RMP model is created with
 * it.  Returns 0, -EINVAL, -ENOMEM. */
int fw_guest_create(struct fw_platform *p, uint64_t gpa_limit, struct fw_guest **out);
/* Free a guest (NULL is fine). */
void fw_guest_destroy(struct fw_guest *g);
/* The guest's RMP model (owned by the guest). */
struct fw_rmp *fw_guest_rmp(struct fw_guest *g);
/* The platform of a guest. */
struct fw_platform *fw_guest_platform(struct fw_guest *g);

/* SNP_LAUNCH_START: check the policy as the firmware does (MBZ bits and bit 17 → INVALID_PARAM; ABI version
 * newer than the firmware, SMT or single-socket or AES-256-XTS or RAPL or ciphertext-hiding requirements the
 * platform does not meet → POLICY_FAILURE), create the VMPCKs and the report ID, and enter the LAUNCH state.
 * `params` may be NULL.  Returns an SNP status. */
uint32_t fw_launch_start(struct fw_guest *g, uint64_t policy, const struct fw_launch_start_params *params);
/* SNP_LAUNCH_UPDATE of one 4 KiB page at `gpa` whose contents are `page` (read, and written for ZERO, SECRETS
 * and, on a failed validation, CPUID).  The page must be shared in the RMP and becomes guest-owned validated (VMSA
 * pages: FW_PAGE_VMSA).  A CPUID page that fails validation is rewritten with the corrected table and gives
 * INVALID_PARAM without being measured.  Returns an SNP status. */
uint32_t fw_launch_update(struct fw_guest *g, enum snp_page_type type, uint64_t gpa, uint8_t page[4096],
			  const struct fw_page_perms *perms);
/* SNP_LAUNCH_FINISH: check the optional ID block (its digest must equal the launch digest → else
 * BAD_MEASUREMENT, its policy the guest's → else POLICY_FAILURE, signatures → else BAD_SIGNATURE), record host
 * data and key digests, enter RUNNING.  `params` may be NULL.  Returns an SNP status. */
uint32_t fw_launch_finish(struct fw_guest *g, const struct fw_launch_finish_params *params);

/* Fill a secrets page as LAUNCH_UPDATE(SECRETS) does for this guest (exposed for tools and tests). */
void fw_secrets_page_fill(struct fw_guest *g, uint8_t page[4096]);
/* Validate a CPUID page against the platform's policy.  On success returns 0 and leaves the page alone; on a
 * malformed page (reserved fields, count > 64) INVALID_PARAM with the page unchanged; on entries outside the
 * policy INVALID_PARAM with the corrected table written back into `page`. */
uint32_t fw_cpuid_page_validate(const struct fw_platform *p, uint8_t page[4096]);

/* Copy the guest context out / in (live migration, tests).  fw_guest_import checks nothing but the state value:
 * the caller imports what it exported.  Return 0 or -EINVAL. */
void fw_guest_export(struct fw_guest *g, struct fw_guest_context *out);
int fw_guest_import(struct fw_guest *g, const struct fw_guest_context *in);
/* Set the TSC scale and offset the VMM gave the guest (reported by MSG_TSC_INFO). */
void fw_guest_set_tsc(struct fw_guest *g, uint64_t scale, uint64_t offset);

/* ---- Guest messages (snp-firmware-abi.md §1, §2) ----------------------------------------------------------- */

/* SNP_GUEST_REQUEST: process one encrypted request page and write the encrypted response page.  The engine passes
 * private bounce copies of the guest's shared pages.  Returns the command's SNP status: SUCCESS (response
 * written), INVALID_GUEST_STATE (not running), INVALID_PARAM (header, message version or type, payload size),
 * BAD_MEASUREMENT (tag mismatch), AEAD_OFLOW (sequence number ≠ counter + 1).  On failure `resp` is untouched and
 * the counter does not move.  Payload-level errors are in the response's STATUS field with SUCCESS returned.
 * Thread-safe; requests of one guest are serialized. */
uint32_t fw_guest_request(struct fw_guest *g, const uint8_t req[SNP_MSG_PAGE_SIZE], uint8_t resp[SNP_MSG_PAGE_SIZE]);
/* Set error injection (a zeroed struct turns it off). */
void fw_guest_inject(struct fw_guest *g, const struct fw_inject *inj);
/* Read the request statistics. */
void fw_guest_stats(struct fw_guest *g, struct fw_guest_stats *out);

/* Build the attestation report the firmware would return for `report_data` at `vmpl`, signed with the VCEK (or the
 * VLEK when `key_sel` picks it).  Returns an SNP status as the MSG_REPORT_RSP STATUS field (0, INVALID_PARAM,
 * INVALID_KEY). */
uint32_t fw_guest_report(struct fw_guest *g, const uint8_t report_data[64], uint32_t vmpl, uint32_t key_sel,
			 uint8_t report[SNP_REPORT_SIZE]);

/* ---- Live migration (docs/migration.md) ------------------------------------------------------------------- */

/* Trust.  Every platform holds a migration key (ECDH P-384, derived from its chip secret) and certifies it with its
 * VCEK: a credential {version, product, public key, CHIP_ID, REPORTED_TCB, VCEK signature, ARK/ASK/VCEK DER}.
 * The VCEK is the one key a chip can sign with whose chain goes to AMD (the ARK and ASK are AMD's, not the chip's),
 * and a verifier already knows how to check it against the ARK.  Three messages, in this order:
 *   destination: fw_migrate_offer()  -> offer  {credential, fresh nonce}
 *   source:      fw_migrate_accept() <- offer; checks the destination's chain ends at the source's own ARK and the
 *                guest's policy allows migration (SNP_POLICY_MIGRATE_MA, bit 18); -> accept {credential, epoch,
 *                nonce, key confirmation}
 *   destination: fw_migrate_complete() <- accept; checks the source's chain the same way and the confirmation.
 * Both derive the AES-256-GCM transport key by HKDF-SHA-384 over the ECDH secret, with both public keys, the
 * migration epoch (the guest's completed migrations + 1) and both nonces as context.  Nothing secret leaves the
 * source before its checks pass, and a destination accepts state only from a platform certified by its own root. */

#define FW_MIGRATE_MSG_MAX	  16384u /* an offer or accept message (three certificates) */
#define FW_MIGRATE_RECORD_HDR	  40u	 /* record header before the ciphertext */
#define FW_MIGRATE_PAGE_4K	  4096u
#define FW_MIGRATE_PAGE_2M	  (2u * 1024 * 1024)
#define FW_MIGRATE_CONTEXT_RECORD (FW_MIGRATE_RECORD_HDR + 616u)

/* One migration, on one side.  Not thread-safe: one thread uses a session at a time. */
struct fw_migrate_session;

/* Destination: start a session on `dst` and write the offer.  0, -ENOSPC (cap), -ENOMEM, -EIO. */
int fw_migrate_offer(struct fw_platform *dst, uint8_t *offer, size_t cap, size_t *len, struct fw_migrate_session **out);
/* Source: check the offer for guest `src` and start a keyed session; writes the accept message.  0, -EINVAL (a
 * malformed offer, or a guest not RUNNING), -EACCES (the destination's chain does not verify to this platform's
 * ARK, or its credential's signature is bad), -EPERM (the guest's policy has MIGRATE_MA clear), -ENOSPC, -ENOMEM,
 * -EIO. */
int fw_migrate_accept(struct fw_guest *src, const uint8_t *offer, size_t offer_len, uint8_t *accept, size_t cap,
		      size_t *len, struct fw_migrate_session **out);
/* Destination: check the accept message; the session is then keyed.  0, -EINVAL, -EACCES (as above), -EBADMSG
 * (the key confirmation does not match), -ENOMEM, -EIO. */
int fw_migrate_complete(struct fw_migrate_session *s, const uint8_t *accept, size_t len);
/* Free a session (NULL is fine).  A source session whose context was exported but not finished is aborted: the
 * guest is RUNNING again at the source. */
void fw_migrate_session_free(struct fw_migrate_session *s);
/* The migration epoch the session agreed (0 before it is keyed). */
uint64_t fw_migrate_epoch(const struct fw_migrate_session *s);

/* Records.  A record is a 40-byte header {u64 GPA, u64 sequence, u8 kind (1 page, 2 context), u8 page size (0
 * 4 KiB, 1 2 MiB), u8 page state, u8 flags (bit 0: all-zero page, no ciphertext), u32 ciphertext length, tag[16]}
 * and the AES-256-GCM ciphertext.  The IV is "SNPM" and the big-endian sequence number, which counts from 1 over
 * every record of the session (never reused); the associated data is the header's first 24 bytes and the epoch.
 * The destination imports records in order, each exactly one after the previous: a replayed record (-ESTALE), a
 * missing one (-EPROTO), a tampered one or one under another key (-EBADMSG) are refused with nothing written. */

/* Source: export the guest-owned page(s) at `gpa` (4 KiB, or 2 MiB whose 512 pages share one state) whose
 * plaintext is `plain` (`size` bytes: the source VMM's view of the guest's memory, which the firmware may read).
 * The RMP state must be private, validated or VMSA.  Writes the record (at most FW_MIGRATE_RECORD_HDR + size
 * bytes).  0, -EINVAL (size, alignment, range, a shared or mixed-state page, a guest not RUNNING, session not
 * keyed or context already exported), -ENOSPC, -EOVERFLOW (sequence exhausted), -EIO. */
int fw_migrate_page_export(struct fw_migrate_session *s, uint64_t gpa, size_t size, const uint8_t *plain, uint8_t *rec,
			   size_t cap, size_t *len);
/* Parse a record header without keys (for the destination VMM to find the target): 0 or -EINVAL. */
struct fw_migrate_record_info {
	uint64_t gpa, seq;
	uint8_t kind, state, flags;
	size_t size; /* page bytes (pages), 0 (context) */
};
#define FW_MIGRATE_KIND_PAGE	1u
#define FW_MIGRATE_KIND_CONTEXT 2u
#define FW_MIGRATE_FLAG_ZERO	1u
int fw_migrate_record_info(const uint8_t *rec, size_t len, struct fw_migrate_record_info *out);
/* Destination: import a page record into guest `dst` (created on the session's platform, not launched): the tag is
 * checked in a private buffer, then `size` bytes go to `out` (the destination VMM's view of that guest memory)
 * and the RMP pages take the record's state (no PVALIDATE needed).  The first import binds `dst` to the session.
 * 0, -EINVAL (malformed, outside the guest, `out_len` not the page size, wrong guest or state), -ESTALE, -EPROTO,
 * -EBADMSG, -ENOMEM. */
int fw_migrate_page_import(struct fw_migrate_session *s, struct fw_guest *dst, const uint8_t *rec, size_t len,
			   uint8_t *out, size_t out_len);

/* Source: seal the guest context (VMPCKs, message counters, measurement, policy, HOST_DATA, ID block digests,
 * REPORT_ID(_MA), launch TCB and mitigation vector, TSC values, the number of page records sent and a digest of
 * the RMP) into a FW_MIGRATE_CONTEXT_RECORD-byte record, the session's last.  The guest enters SENDING: guest
 * requests are refused until fw_migrate_source_finish (SENT) or an abort (session freed: RUNNING again).
 * 0, -EINVAL (session, guest not RUNNING), -EBUSY (a page is firmware-owned), -ENOSPC, -ENOMEM, -EIO. */
int fw_migrate_context_export(struct fw_migrate_session *s, uint8_t *rec, size_t cap, size_t *len);
/* Destination: import the context into `dst` (the guest the pages went to), which becomes RUNNING with the
 * source's identity, reporting through this platform's VCEK.  Refused (-EPROTO) unless every page record arrived
 * and the RMP matches the source's; -EPERM if this platform cannot honour the policy; else as page import. */
int fw_migrate_context_import(struct fw_migrate_session *s, struct fw_guest *dst, const uint8_t *rec, size_t len);
/* Source: the destination confirmed; wipe the guest's keys (state SENT).  0 or -EINVAL (no context exported). */
int fw_migrate_source_finish(struct fw_migrate_session *s);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Names and text decoders for the ABI's numbers, shared by the CLI (decode, --stats, --trace), the VMM's exit
 * printing and the tests.  Every function accepts any value: unknown numbers get a name like "unknown".
 */
#ifndef SNPEMU_NAMES_H
#define SNPEMU_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Name of a GHCB SW_EXITCODE ("CPUID", "MMIO_READ", ...), or NULL if the code is not defined. */
const char *snpemu_exit_code_name(uint64_t sw_exit_code);
/* Name of a GHCB_ERR_* reason, or NULL. */
const char *snpemu_ghcb_err_name(uint64_t reason);
/* Name of an SNP firmware status (SEV_RET_*), or NULL. */
const char *snpemu_fw_status_name(uint32_t status);
/* Name of a run-structure exit reason (SNPEMU_EXIT_*), or NULL. */
const char *snpemu_exit_reason_name(uint32_t exit_reason);
/* Name of an MSR-protocol GHCBInfo value (bits [11:0]), or NULL. */
const char *snpemu_msr_info_name(uint32_t info);

/* A bounded text buffer: appends never overflow; `truncated` records that output was cut. */
struct snpemu_text {
	char *buf;
	size_t cap;
	size_t len;
	int truncated;
};
void snpemu_text_init(struct snpemu_text *t, char *buf, size_t cap);
void snpemu_text_printf(struct snpemu_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Describe a GHCB MSR value (one line, e.g. "CPUID_REQ fn=0x8000001f reg=EBX").  Returns the text length. */
size_t snpemu_decode_msr(uint64_t value, struct snpemu_text *out);
/* Describe a 4 KiB GHCB page: the valid fields with values, the exit code by name, usage and version, and the
 * non-zero part of the shared buffer as hex.  `len` must be 4096; other lengths are described as an error. */
size_t snpemu_decode_ghcb(const uint8_t *page, size_t len, struct snpemu_text *out);

/* The GHCB save-area fields the decoders show: name of field `i` with its offset and size, or NULL past the end. */
const char *snpemu_ghcb_field(size_t i, unsigned int *off, unsigned int *size);

/* The same GHCB page description as a JSON object text (fields with value and valid bit, exit code name, usage,
 * version, shared buffer up to its last non-zero byte); malloc'd, the caller frees it.  NULL if `len` is not 4096
 * or on allocation failure. */
char *snpemu_decode_ghcb_json(const uint8_t *page, size_t len);
/* An MSR-protocol value as a JSON object text ({value, info, name, text}); malloc'd; NULL on allocation failure. */
char *snpemu_decode_msr_json(uint64_t value);

/* Check that `len` bytes hold a PSC descriptor (GHCB spec §4.1.6): an 8-byte header and whole 8-byte entries, at
 * most the 2032-byte shared buffer, end_entry < 253 and inside the buffer.  0, or -EINVAL with the reason in
 * `why`. */
int snpemu_psc_validate(const uint8_t *buf, size_t len, char *why, size_t why_cap);
/* Describe a PSC descriptor (header, then entries 0..end_entry: gfn, operation, page size, cur_page, processed or
 * pending), or the validation error.  Returns the text length. */
size_t snpemu_decode_psc(const uint8_t *buf, size_t len, struct snpemu_text *out);
/* The same as a JSON object text; malloc'd; NULL if the descriptor is invalid or on allocation failure. */
char *snpemu_decode_psc_json(const uint8_t *buf, size_t len);

#endif

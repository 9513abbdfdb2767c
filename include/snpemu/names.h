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

#endif

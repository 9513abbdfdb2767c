/* SPDX-License-Identifier: MIT */
/*
 * The tsmd guest program's messages on the host service channel (<snpemu/abi/runtime.h>): what the configfs-tsm
 * front end (`snpemu tsm`, src/tsm/) asks and what the guest answers.  One request asks for one attestation report
 * the way Linux's sev-guest provider of configfs-tsm does (drivers/virt/coco/sev-guest/sev-guest.c, sev_report_new):
 * REPORT_DATA and VMPL from the entry's inblob and privlevel; with SNPEMU_TSM_REQ_CERTS an extended request whose
 * certificate table comes back too.  Little-endian, fixed layout, dual-use and freestanding.
 */
#ifndef SNPEMU_ABI_TSM_H
#define SNPEMU_ABI_TSM_H

#include <stdint.h>

#include "report.h"

#define SNPEMU_TSM_OP_REPORT	 1u	      /* the only operation */
#define SNPEMU_TSM_REQ_CERTS	 (1u << 0)    /* an extended request: the reply carries the certificate table */
#define SNPEMU_TSM_CERTS_MAX	 (64u * 1024) /* certificate table bytes tsmd accepts (16 pages) */
#define SNPEMU_TSM_PRIVLEVEL_MAX 3u	      /* VMPL 0..3 */

/* Request: 80 bytes. */
struct snpemu_tsm_req {
	uint32_t op;		 /* SNPEMU_TSM_OP_REPORT */
	uint32_t privlevel;	 /* the report's VMPL, at least the VMPCK's (0) and at most 3 */
	uint32_t flags;		 /* SNPEMU_TSM_REQ_* */
	uint32_t reserved;	 /* 0 */
	uint8_t report_data[64]; /* REPORT_DATA: the inblob, zero-padded */
};
_Static_assert(sizeof(struct snpemu_tsm_req) == 80, "tsm request size");

/* How a request ended (snpemu_tsm_reply.result), and the errno the configfs-tsm front end gives for it (the
 * kernel's, Documentation/ABI/testing/configfs-tsm-report and sev_report_new). */
enum snpemu_tsm_result {
	SNPEMU_TSM_OK = 0,	/* report (and table) follow */
	SNPEMU_TSM_INVALID = 1, /* a malformed request, or the firmware's INVALID_PARAM / INVALID_KEY: EINVAL */
	SNPEMU_TSM_FAILED = 2, /* any other failure; the guest disabled its VMPCK unless the firmware said why: ENXIO */
	SNPEMU_TSM_DISABLED = 3, /* the VMPCK was disabled by an earlier failure: every request fails, ENXIO */
};

/* Reply: this 32-byte header, then report_len bytes of attestation report, then certs_len bytes of certificate
 * table (trimmed to the end of its last blob, as the kernel trims auxblob). */
struct snpemu_tsm_reply {
	uint32_t result;       /* enum snpemu_tsm_result */
	int32_t guest_error;   /* the guest library's GST_E* code of the failure (0) */
	uint32_t fw_status;    /* the firmware's status: MSG_REPORT_RSP STATUS, or SW_EXITINFO2[31:0] (0) */
	uint32_t report_len;   /* SNP_REPORT_SIZE on success, else 0 */
	uint32_t certs_len;    /* 0 unless SNPEMU_TSM_REQ_CERTS */
	uint32_t cert_retries; /* extended requests re-issued with a larger certificate buffer */
	uint32_t requests;     /* guest requests this program sent so far (sequence numbers used) */
	uint32_t reserved;
};
_Static_assert(sizeof(struct snpemu_tsm_reply) == 32, "tsm reply header size");

#endif

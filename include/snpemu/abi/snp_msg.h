/* SPDX-License-Identifier: MIT */
/*
 * SNP guest messages (SNP firmware ABI 56860 §8.26 / Table 97-99; Linux struct snp_guest_msg_hdr,
 * AMD-ASPFW snp_guest_message_header_t), their payloads, the firmware status codes and the SW_EXITINFO2 encoding
 * of guest-request results (Linux uapi sev-guest.h).  All integers little-endian.
 */
#ifndef SNPEMU_ABI_SNP_MSG_H
#define SNPEMU_ABI_SNP_MSG_H

#include <stddef.h>
#include <stdint.h>

/* Message page: one 4 KiB page, 0x60-byte header then the payload. */
#define SNP_MSG_PAGE_SIZE	4096u
#define SNP_MSG_HDR_SIZE	0x60u
#define SNP_MSG_PAYLOAD_MAX	(SNP_MSG_PAGE_SIZE - SNP_MSG_HDR_SIZE) /* 4000 */
#define SNP_MSG_OFF_AUTHTAG	0x00u				       /* 32 bytes; GCM uses the first 16 */
#define SNP_MSG_OFF_SEQNO	0x20u				       /* u64 */
#define SNP_MSG_OFF_ALGO	0x30u				       /* u8 */
#define SNP_MSG_OFF_HDR_VERSION 0x31u				       /* u8 */
#define SNP_MSG_OFF_HDR_SIZE	0x32u				       /* u16 */
#define SNP_MSG_OFF_TYPE	0x34u				       /* u8 */
#define SNP_MSG_OFF_VERSION	0x35u				       /* u8 */
#define SNP_MSG_OFF_SIZE	0x36u				       /* u16: payload length */
#define SNP_MSG_OFF_VMPCK	0x3Cu				       /* u8: 0..3 */
#define SNP_MSG_AAD_OFF		0x30u				       /* AAD = header bytes 0x30..0x5F */
#define SNP_MSG_AAD_LEN		48u
#define SNP_MSG_AUTHTAG_LEN	16u
#define SNP_MSG_IV_LEN		12u /* seqno as le64, then 4 zero bytes */

#define SNP_AEAD_INVALID     0u
#define SNP_AEAD_AES_256_GCM 1u
#define SNP_MSG_HDR_VERSION  1u
#define SNP_MSG_VERSION	     1u /* every message type is at version 1 (ASPFW SNP_GMSG_MAX_MSG_VERSION_*) */
#define SNP_VMPCK_COUNT	     4u

struct snp_msg_hdr_layout {
	uint8_t authtag[32];
	uint64_t msg_seqno;
	uint8_t rsvd1[8];
	uint8_t algo;
	uint8_t hdr_version;
	uint16_t hdr_sz;
	uint8_t msg_type;
	uint8_t msg_version;
	uint16_t msg_sz;
	uint32_t rsvd2;
	uint8_t msg_vmpck;
	uint8_t rsvd3[35];
};
_Static_assert(sizeof(struct snp_msg_hdr_layout) == SNP_MSG_HDR_SIZE, "guest message header is 0x60 bytes");
_Static_assert(offsetof(struct snp_msg_hdr_layout, msg_seqno) == SNP_MSG_OFF_SEQNO, "seqno");
_Static_assert(offsetof(struct snp_msg_hdr_layout, algo) == SNP_MSG_OFF_ALGO, "algo");
_Static_assert(offsetof(struct snp_msg_hdr_layout, hdr_sz) == SNP_MSG_OFF_HDR_SIZE, "hdr_sz");
_Static_assert(offsetof(struct snp_msg_hdr_layout, msg_type) == SNP_MSG_OFF_TYPE, "msg_type");
_Static_assert(offsetof(struct snp_msg_hdr_layout, msg_version) == SNP_MSG_OFF_VERSION, "msg_version");
_Static_assert(offsetof(struct snp_msg_hdr_layout, msg_sz) == SNP_MSG_OFF_SIZE, "msg_sz");
_Static_assert(offsetof(struct snp_msg_hdr_layout, msg_vmpck) == SNP_MSG_OFF_VMPCK, "msg_vmpck");

/* Message types (SNP ABI Table 100; Linux enum msg_type).  A response is always request + 1. */
enum snp_msg_type {
	SNP_MSG_TYPE_INVALID = 0,
	SNP_MSG_CPUID_REQ = 1,
	SNP_MSG_CPUID_RSP = 2,
	SNP_MSG_KEY_REQ = 3,
	SNP_MSG_KEY_RSP = 4,
	SNP_MSG_REPORT_REQ = 5,
	SNP_MSG_REPORT_RSP = 6,
	SNP_MSG_EXPORT_REQ = 7,
	SNP_MSG_EXPORT_RSP = 8,
	SNP_MSG_IMPORT_REQ = 9,
	SNP_MSG_IMPORT_RSP = 10,
	SNP_MSG_ABSORB_REQ = 11,
	SNP_MSG_ABSORB_RSP = 12,
	SNP_MSG_VMRK_REQ = 13,
	SNP_MSG_VMRK_RSP = 14,
	SNP_MSG_ABSORB_NOMA_REQ = 15,
	SNP_MSG_ABSORB_NOMA_RSP = 16,
	SNP_MSG_TSC_INFO_REQ = 17,
	SNP_MSG_TSC_INFO_RSP = 18,
};

/* MSG_REPORT_REQ (96 bytes): report_data[64], u32 vmpl, u32 key_sel [1:0], 24 reserved. */
#define SNP_REPORT_REQ_SIZE	   0x60u
#define SNP_REPORT_REQ_OFF_DATA	   0x00u
#define SNP_REPORT_REQ_OFF_VMPL	   0x40u
#define SNP_REPORT_REQ_OFF_KEY_SEL 0x44u
#define SNP_REPORT_DATA_SIZE	   64u
/* Key selection, in REPORT_REQ bits [1:0] and KEY_REQ bits [2:1]. */
#define SNP_KEY_SEL_DEFAULT	   0u /* VLEK if installed, else VCEK */
#define SNP_KEY_SEL_VCEK	   1u
#define SNP_KEY_SEL_VLEK	   2u
#define SNP_KEY_SEL_RESERVED	   3u

/* MSG_REPORT_RSP: status, report size, 24 reserved, then the report (0x20 + 0x4A0 = 0x4C0 bytes). */
#define SNP_REPORT_RSP_SIZE	  0x4C0u
#define SNP_REPORT_RSP_OFF_STATUS 0x00u
#define SNP_REPORT_RSP_OFF_SIZE	  0x04u
#define SNP_REPORT_RSP_OFF_REPORT 0x20u

/* MSG_KEY_REQ (32 bytes, ASPFW snp_msg_key_req_t). */
#define SNP_KEY_REQ_SIZE	   0x20u
#define SNP_KEY_REQ_OFF_FLAGS	   0x00u /* bit0 root key select (1 = VMRK), bits 2:1 key_sel, rest MBZ */
#define SNP_KEY_REQ_OFF_GFS	   0x08u /* guest field select */
#define SNP_KEY_REQ_OFF_VMPL	   0x10u
#define SNP_KEY_REQ_OFF_GUEST_SVN  0x14u
#define SNP_KEY_REQ_OFF_TCB	   0x18u
#define SNP_KEY_ROOT_VMRK	   (1u << 0)
#define SNP_KEY_REQ_KEY_SEL(flags) (((flags) >> 1) & 3u)
#define SNP_GFS_POLICY		   (1ull << 0)
#define SNP_GFS_IMAGE_ID	   (1ull << 1)
#define SNP_GFS_FAMILY_ID	   (1ull << 2)
#define SNP_GFS_MEASUREMENT	   (1ull << 3)
#define SNP_GFS_GUEST_SVN	   (1ull << 4)
#define SNP_GFS_TCB_VERSION	   (1ull << 5)
#define SNP_GFS_VALID_MASK	   0x3Full

/* MSG_KEY_RSP (64 bytes): status, 28 reserved, derived_key[32]. */
#define SNP_KEY_RSP_SIZE       0x40u
#define SNP_KEY_RSP_OFF_STATUS 0x00u
#define SNP_KEY_RSP_OFF_KEY    0x20u
#define SNP_DERIVED_KEY_SIZE   32u

/* MSG_TSC_INFO_REQ (128 bytes, MBZ) and MSG_TSC_INFO_RSP (128 bytes). */
#define SNP_TSC_INFO_REQ_SIZE	0x80u
#define SNP_TSC_INFO_RSP_SIZE	0x80u
#define SNP_TSC_INFO_OFF_STATUS 0x00u
#define SNP_TSC_INFO_OFF_SCALE	0x08u
#define SNP_TSC_INFO_OFF_OFFSET 0x10u
#define SNP_TSC_INFO_OFF_FACTOR 0x18u

/* Firmware status codes (SNP ABI Table 32 / Linux enum sev_ret_code). */
enum snp_fw_status {
	SEV_RET_SUCCESS = 0x00,
	SEV_RET_INVALID_PLATFORM_STATE = 0x01,
	SEV_RET_INVALID_GUEST_STATE = 0x02,
	SEV_RET_INVALID_CONFIG = 0x03,
	SEV_RET_INVALID_LEN = 0x04,
	SEV_RET_ALREADY_OWNED = 0x05,
	SEV_RET_INVALID_CERTIFICATE = 0x06,
	SEV_RET_POLICY_FAILURE = 0x07,
	SEV_RET_INACTIVE = 0x08,
	SEV_RET_INVALID_ADDRESS = 0x09,
	SEV_RET_BAD_SIGNATURE = 0x0A,
	SEV_RET_BAD_MEASUREMENT = 0x0B, /* a guest message whose GCM tag does not verify */
	SEV_RET_ASID_OWNED = 0x0C,
	SEV_RET_INVALID_ASID = 0x0D,
	SEV_RET_WBINVD_REQUIRED = 0x0E,
	SEV_RET_DFFLUSH_REQUIRED = 0x0F,
	SEV_RET_INVALID_GUEST = 0x10,
	SEV_RET_INVALID_COMMAND = 0x11,
	SEV_RET_ACTIVE = 0x12,
	SEV_RET_HWSEV_RET_PLATFORM = 0x13,
	SEV_RET_HWSEV_RET_UNSAFE = 0x14,
	SEV_RET_UNSUPPORTED = 0x15,
	SEV_RET_INVALID_PARAM = 0x16,
	SEV_RET_RESOURCE_LIMIT = 0x17,
	SEV_RET_SECURE_DATA_INVALID = 0x18,
	SEV_RET_INVALID_PAGE_SIZE = 0x19,
	SEV_RET_INVALID_PAGE_STATE = 0x1A,
	SEV_RET_INVALID_MDATA_ENTRY = 0x1B,
	SEV_RET_INVALID_PAGE_OWNER = 0x1C,
	SEV_RET_AEAD_OFLOW = 0x1D, /* bad or overflowed message sequence number */
	SEV_RET_EXIT_RING_BUFFER = 0x1F,
	SEV_RET_RMP_INIT_REQUIRED = 0x20,
	SEV_RET_BAD_SVN = 0x21,
	SEV_RET_BAD_VERSION = 0x22,
	SEV_RET_SHUTDOWN_REQUIRED = 0x23,
	SEV_RET_UPDATE_FAILED = 0x24,
	SEV_RET_RESTORE_REQUIRED = 0x25,
	SEV_RET_RMP_INITIALIZATION_FAILED = 0x26,
	SEV_RET_INVALID_KEY = 0x27,
	SEV_RET_SHUTDOWN_INCOMPLETE = 0x28,
};
#define SEV_RET_NO_FW_CALL 0xFFFFFFFFu /* Linux-only: the firmware was never called */

/* Guest-request result in SW_EXITINFO2 (Linux uapi sev-guest.h): VMM error [63:32], firmware status [31:0]. */
#define SNP_GUEST_FW_ERR_MASK	      0xFFFFFFFFull
#define SNP_GUEST_VMM_ERR_SHIFT	      32u
#define SNP_GUEST_VMM_ERR(x)	      ((uint64_t)(x) << SNP_GUEST_VMM_ERR_SHIFT)
#define SNP_GUEST_ERR(vmm, fw)	      (SNP_GUEST_VMM_ERR(vmm) | ((uint64_t)(fw)&SNP_GUEST_FW_ERR_MASK))
#define SNP_GUEST_VMM_ERR_INVALID_LEN 1u	  /* certificate buffer too small; RBX = pages needed */
#define SNP_GUEST_VMM_ERR_BUSY	      2u	  /* throttled; resend the identical message */
#define SNP_GUEST_VMM_ERR_GENERIC     0xFFFFFFFFu /* KVM 7.0 private value (~0U) */
static inline uint32_t snp_guest_err_vmm(uint64_t exitinfo2)
{
	return (uint32_t)(exitinfo2 >> 32);
}
static inline uint32_t snp_guest_err_fw(uint64_t exitinfo2)
{
	return (uint32_t)exitinfo2;
}

#endif

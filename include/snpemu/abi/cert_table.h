/* SPDX-License-Identifier: MIT */
/*
 * Extended guest request certificate table (GHCB spec 56421 §4.1.8.1 Table 10; go-sev-guest CertTable,
 * virtee/sev CertTableEntry).  A sequence of 24-byte entries {GUID[16], u32 offset, u32 length} terminated by an
 * all-zero entry; offsets count from the start of the table; the blobs (DER) follow it.
 * GUID bytes are in RFC 4122 string order (not the EFI mixed-endian form).
 */
#ifndef SNPEMU_ABI_CERT_TABLE_H
#define SNPEMU_ABI_CERT_TABLE_H

#include <stdint.h>

#define SNP_CERT_ENTRY_SIZE	  24u
#define SNP_CERT_ENTRY_OFF_GUID	  0u
#define SNP_CERT_ENTRY_OFF_OFFSET 16u
#define SNP_CERT_ENTRY_OFF_LENGTH 20u
#define SNP_GUID_SIZE		  16u
#define SEV_FW_BLOB_MAX_SIZE	  0x4000u /* Linux SNP_GET_EXT_REPORT limit: 16 KiB */

/* c0b406a4-a803-4952-9743-3fb6014cd0ae */
#define SNP_GUID_ARK                                                                                           \
	{                                                                                                      \
		0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae \
	}
/* 4ab7b379-bbac-4fe4-a02f-05aef327c782 (also the ASVK) */
#define SNP_GUID_ASK                                                                                           \
	{                                                                                                      \
		0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 \
	}
/* 63da758d-e664-4564-adc5-f4b93be8accd */
#define SNP_GUID_VCEK                                                                                          \
	{                                                                                                      \
		0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd \
	}
/* a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
#define SNP_GUID_VLEK                                                                                          \
	{                                                                                                      \
		0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 \
	}
/* 92f81bc3-5811-4d3d-97ff-d19f88dc67ea */
#define SNP_GUID_CRL                                                                                           \
	{                                                                                                      \
		0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d, 0x97, 0xff, 0xd1, 0x9f, 0x88, 0xdc, 0x67, 0xea \
	}

#endif

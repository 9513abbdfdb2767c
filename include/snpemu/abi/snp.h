/* SPDX-License-Identifier: MIT */
/* The SNP ABI in one include: guest messages, attestation report, certificate table, secrets page, CPUID page,
 * PAGE_INFO.  Freestanding C99. */
#ifndef SNPEMU_ABI_SNP_H
#define SNPEMU_ABI_SNP_H

#include "cert_table.h"
#include "le.h"
#include "cpuid_page.h"
#include "page_info.h"
#include "report.h"
#include "secrets.h"
#include "snp_msg.h"

#endif

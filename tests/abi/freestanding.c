/* SPDX-License-Identifier: MIT */
/* Compiled with -ffreestanding -nostdlib: the dual-use ABI headers need nothing beyond stdint/stddef/stdbool. */
#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/run.h>
#include <snpemu/abi/runtime.h>
#include <snpemu/abi/snp.h>
#include <snpemu/abi/svm_exit.h>

uint64_t freestanding_probe(struct ghcb *g);
uint64_t freestanding_probe(struct ghcb *g)
{
	ghcb_set_sw_exit_code(g, SVM_EXIT_CPUID);
	ghcb_set_rax(g, 0xD);
	uint8_t desc[PSC_DESC_SIZE] = {0};
	psc_entry_store(desc, 0, psc_entry_make(1, SNP_PAGE_STATE_SHARED, RMP_PG_SIZE_4K, 0));
	return ghcb_get_rax(g) + ghcb_msr_cpuid_req(1, GHCB_CPUID_REG_EBX) + psc_entry_load(desc, 0) +
	       SNP_GUEST_ERR(SNP_GUEST_VMM_ERR_BUSY, 0) + SNP_REPORT_SIZE;
}

/* SPDX-License-Identifier: MIT */
/*
 * memfault: a guest request whose pages the guest never made shared.  The host may not touch private pages, so
 * the engine exits to the VMM with a MEMORY_FAULT {PRIVATE, gpa, size} (docs/architecture.md rule 3) instead of
 * blaming the guest, and the VMM prints it and stops the VM cleanly.  Returning here at all is a failure.
 */
#include <snpemu/abi/svm_exit.h>

#include "program.h"

static int memfault_main(struct guest *g)
{
	if (!g->snp) {
		guest_printf(g, "memfault: needs an SEV-SNP VM\n");
		return 2;
	}
	guest_printf(g, "memfault: guest request on private pages 0x%llx/0x%llx\n",
		     (unsigned long long)SNPEMU_GREQ_REQ_GPA, (unsigned long long)SNPEMU_GREQ_RESP_GPA);
	uint64_t info2 = 0;
	int rc = gst_nae(&g->c, SVM_VMGEXIT_GUEST_REQUEST, SNPEMU_GREQ_REQ_GPA, SNPEMU_GREQ_RESP_GPA, &info2);
	guest_printf(g, "FAIL: the request returned (%s, SW_EXITINFO2 0x%llx)\n", gst_strerror(rc),
		     (unsigned long long)info2);
	return 1;
}

GUEST_PROGRAM(memfault, "a host access to a private page: MEMORY_FAULT exit, VM stopped", memfault_main, NULL);

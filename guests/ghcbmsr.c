/* SPDX-License-Identifier: MIT */
/*
 * ghcbmsr: a hostile GHCB MSR.  The program writes the value of its argument to the GHCB MSR and executes VMGEXIT,
 * as a guest may at any time, before the engine has validated anything.  What must happen (DESIGN rules 1 and 3,
 * the engine's contract in hv.h): a page-aligned value that names no guest RAM (wrapping values such as
 * 0xFFFFFFFFFFFFF000, or the end of RAM) or a private page is a MEMORY_FAULT exit and the VMM stops the VM
 * cleanly; an unaligned value is an MSR-protocol request whose GHCBInfo the engine does not know, and the guest
 * resumes; 0 is ignored.  A guest that resumes restores its GHCB and proves it still runs.  The VMM never reads
 * guest memory at the value (tests/vmm/program_run.c runs the values on every backend).
 */
#include <snpemu/guest_program.h>

static int ghcbmsr_main(struct gst_guest *g)
{
	uint64_t value;
	if (gst_argc(g) != 1 || !gst_arg_u64(gst_arg(g, 0), &value)) {
		gst_printf(g, "ghcbmsr: usage: ghcbmsr VALUE\n");
		return 2;
	}
	const struct gst_platform *plat = &g->c.plat;
	gst_printf(g, "ghcbmsr: VMGEXIT with GHCB MSR 0x%llx\n", (unsigned long long)value);
	plat->ops->ghcb_msr_write(plat->ctx, value);
	plat->ops->vmgexit(plat->ctx);
	plat->ops->ghcb_msr_write(plat->ctx, g->c.ghcb_gpa);
	uint32_t r[4];
	int rc = gst_cpuid(&g->c, 0, 0, r);
	if (rc)
		return gst_report_fail(g, "CPUID after the hostile VMGEXIT", rc);
	gst_printf(g, "ghcbmsr: resumed; the guest still runs\n");
	return 0;
}

GST_PROGRAM(ghcbmsr, "VMGEXIT with the GHCB MSR of its argument (hostile values); args: VALUE", ghcbmsr_main, NULL);

/* SPDX-License-Identifier: MIT */
/*
 * ticker: writes its TICKER_PAGES data pages in turn and counts the steps in the page after them, one VMGEXIT
 * (CPUID) per step, until the VMM stops it.  The VMM's pause, vCPU-state and dirty-log tests watch it
 * (tests/vmm/test_backend_ops.c): the count stands still while the VM is paused, and the pages it writes are the
 * ones the dirty log must report.
 */
#include <snpemu/guest_program.h>

#define TICKER_PAGES 16u

static int ticker_main(struct gst_guest *g)
{
	uint8_t *pages = gst_guest_data(g, 0, (TICKER_PAGES + 1) * 4096ull);
	if (!pages)
		return gst_report_fail(g, "program data area", GST_EFAULT);
	uint64_t *count = (uint64_t *)(void *)(pages + TICKER_PAGES * 4096ull); /* the VMM's tests read it */
	gst_printf(g, "ticker: running\n");
	for (uint64_t step = 0;; step++) {
		pages[(step % TICKER_PAGES) * 4096 + step % 4096] = (uint8_t)step;
		__atomic_store_n(count, step + 1, __ATOMIC_RELEASE);
		uint32_t r[4];
		int rc = gst_cpuid(&g->c, 0, 0, r);
		if (rc)
			return gst_report_fail(g, "CPUID", rc);
	}
}

GST_PROGRAM(ticker, "writes 16 pages in turn and counts, a VMGEXIT per step, until stopped (VMM tests)", ticker_main,
	    NULL);

/* SPDX-License-Identifier: MIT */
/*
 * terminate: every vCPU requests termination at the same moment, each with its own reason (set = index & 1,
 * code = index): even vCPUs through the MSR protocol, odd ones through the NAE.  The VMM must report one of them,
 * with the status that belongs to that reason (tests/vmm/test_programs.c, under TSan).
 */
#include <snpemu/guest_program.h>

#include <snpemu/abi/msr_proto.h>

#define SPIN_MAX 100000000u /* bounded: a vCPU whose partners never come still terminates */

struct terminate_shared {
	uint32_t ready;
};

static int terminate_now(struct gst_guest *g)
{
	struct terminate_shared *sh = gst_guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return 1;
	__atomic_fetch_add(&sh->ready, 1, __ATOMIC_ACQ_REL);
	for (uint32_t spins = 0; __atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) < g->boot->vcpus && spins < SPIN_MAX;
	     spins++)
		__asm__ volatile("pause");
	unsigned int set = g->cpu & 1, code = g->cpu & 0xF;
	int rc = g->cpu & 1 ? gst_terminate(&g->c, set, code) : gst_msr_terminate(&g->c, set, code);
	/* Not reached: the VMM stops the VM on the request. */
	return gst_report_fail(g, "termination request returned", rc);
}

static int terminate_main(struct gst_guest *g)
{
	struct terminate_shared *sh = gst_guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return gst_report_fail(g, "program data area", GST_EFAULT);
	sh->ready = 0;
	if (g->snp && gst_start_aps(g))
		return 1;
	return terminate_now(g);
}

GST_PROGRAM(terminate, "every vCPU requests termination at once, each with its own reason", terminate_main,
	    terminate_now);

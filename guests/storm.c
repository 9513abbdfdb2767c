/* SPDX-License-Identifier: MIT */
/*
 * storm: every vCPU sends report requests through one shared guest-request channel as fast as it can.  Under the
 * VMM's rate limit some are answered BUSY; the driver resends the byte-identical message, so every request must
 * end with a valid report and nothing may be wiped.
 */
#include <snpemu/abi/report.h>

#include "program.h"

struct storm_shared {
	uint32_t ready;
	uint32_t done;
	uint32_t failed;
	uint32_t reports;
	struct gst_greq greq;
};

static int storm_requests(struct guest *g, struct storm_shared *sh)
{
	uint32_t n = g->boot->storm_requests;
	for (uint32_t i = 0; i < n; i++) {
		struct gst_report_req req = {.vmpl = 0};
		req.user_data[0] = (uint8_t)g->cpu;
		req.user_data[1] = (uint8_t)i;
		uint8_t report[SNP_REPORT_SIZE];
		int rc = gst_get_report(&g->c, &sh->greq, &req, report, sizeof(report));
		if (rc || report[SNP_REPORT_OFF_REPORT_DATA] != (uint8_t)g->cpu ||
		    report[SNP_REPORT_OFF_REPORT_DATA + 1] != (uint8_t)i) {
			guest_fail(g, "storm request", rc ? rc : GST_EPROTO);
			__atomic_fetch_add(&sh->failed, 1, __ATOMIC_RELAXED);
			return 1;
		}
		__atomic_fetch_add(&sh->reports, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static int storm_ap(struct guest *g)
{
	struct storm_shared *sh = guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return 1;
	storm_requests(g, sh);
	__atomic_fetch_add(&sh->done, 1, __ATOMIC_RELEASE);
	return guest_park(g);
}

static int storm_main(struct guest *g)
{
	struct gst_ctx *c = &g->c;
	uint32_t n = g->boot->vcpus;
	if (!g->snp) {
		guest_printf(g, "storm: needs an SEV-SNP VM\n");
		return 2;
	}
	struct storm_shared *sh = guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return guest_fail(g, "program data area", GST_EFAULT);
	gst_memset(sh, 0, sizeof(*sh));
	struct gst_greq_config cfg = {
	    .secrets = g->secrets,
	    .req_gpa = SNPEMU_GREQ_REQ_GPA,
	    .resp_gpa = SNPEMU_GREQ_RESP_GPA,
	    .busy_delay_us = 5000,
	    .busy_retries = 100000,
	    .busy_budget_us = 600000000ull,
	};
	int rc = gst_greq_init(c, &sh->greq, &cfg);
	if (rc)
		return guest_fail(g, "guest-request channel", rc);
	if (guest_start_aps(g))
		return 1;
	int failures = storm_requests(g, sh);
	if (guest_join(g, &sh->done, n - 1, 20000000))
		return 1;
	failures += (int)sh->failed;
	guest_printf(g, "storm: %u vCPUs sent %u report requests, %u answered with a valid report%s\n", n,
		     n * g->boot->storm_requests, sh->reports, sh->greq.disabled ? ", VMPCK WIPED" : "");
	return failures || sh->greq.disabled || sh->reports != n * g->boot->storm_requests ? 1 : 0;
}

GUEST_PROGRAM(storm, "guest-request storm across vCPUs: all admitted or BUSY and resent, nothing wiped", storm_main,
	      storm_ap);

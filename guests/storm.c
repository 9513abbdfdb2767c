/* SPDX-License-Identifier: MIT */
/*
 * storm: every vCPU sends report requests through one shared guest-request channel as fast as it can.  Under the
 * VMM's rate limit some are answered BUSY; the driver resends the byte-identical message, so every request must
 * end with a valid report and nothing may be wiped.
 */
#include <snpemu/abi/report.h>

#include <snpemu/guest_program.h>

struct storm_shared {
	uint32_t ready;
	uint32_t done;
	uint32_t failed;
	uint32_t reports;
	struct gst_greq greq;
};

#define STORM_DEFAULT_REQUESTS 20u

/* Requests per vCPU: the argument `--requests N`, else STORM_DEFAULT_REQUESTS. */
static uint32_t storm_count(struct gst_guest *g)
{
	uint64_t n;
	if (gst_argc(g) == 2 && gst_arg_is(gst_arg(g, 0), "--requests") && gst_arg_u64(gst_arg(g, 1), &n) &&
	    n <= 0xFFFFFFFFu)
		return (uint32_t)n;
	return STORM_DEFAULT_REQUESTS;
}

static int storm_requests(struct gst_guest *g, struct storm_shared *sh)
{
	uint32_t n = storm_count(g);
	for (uint32_t i = 0; i < n; i++) {
		struct gst_report_req req = {.vmpl = 0};
		req.user_data[0] = (uint8_t)g->cpu;
		req.user_data[1] = (uint8_t)i;
		uint8_t report[SNP_REPORT_SIZE];
		int rc = gst_get_report(&g->c, &sh->greq, &req, report, sizeof(report));
		if (rc || report[SNP_REPORT_OFF_REPORT_DATA] != (uint8_t)g->cpu ||
		    report[SNP_REPORT_OFF_REPORT_DATA + 1] != (uint8_t)i) {
			gst_report_fail(g, "storm request", rc ? rc : GST_EPROTO);
			__atomic_fetch_add(&sh->failed, 1, __ATOMIC_RELAXED);
			return 1;
		}
		__atomic_fetch_add(&sh->reports, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static int storm_ap(struct gst_guest *g)
{
	struct storm_shared *sh = gst_guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return 1;
	storm_requests(g, sh);
	__atomic_fetch_add(&sh->done, 1, __ATOMIC_RELEASE);
	return gst_park(g);
}

static int storm_main(struct gst_guest *g)
{
	struct gst_ctx *c = &g->c;
	uint32_t n = g->boot->vcpus;
	if (!g->snp) {
		gst_printf(g, "storm: needs an SEV-SNP VM\n");
		return 2;
	}
	struct storm_shared *sh = gst_guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return gst_report_fail(g, "program data area", GST_EFAULT);
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
		return gst_report_fail(g, "guest-request channel", rc);
	if (gst_start_aps(g))
		return 1;
	int failures = storm_requests(g, sh);
	if (gst_join(g, &sh->done, n - 1, 20000000))
		return 1;
	failures += (int)sh->failed;
	gst_printf(g, "storm: %u vCPUs sent %u report requests, %u answered with a valid report%s\n", n,
		   n * storm_count(g), sh->reports, sh->greq.disabled ? ", VMPCK WIPED" : "");
	return failures || sh->greq.disabled || sh->reports != n * storm_count(g) ? 1 : 0;
}

GST_PROGRAM(storm, "guest-request storm across vCPUs: all admitted or BUSY and resent, nothing wiped", storm_main,
	    storm_ap);

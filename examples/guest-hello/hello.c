/* SPDX-License-Identifier: MIT */
/*
 * guest-hello: the smallest attesting guest.  Prints a line, asks the firmware for an attestation report with its
 * first argument (hex, up to 64 bytes) as REPORT_DATA, and exports the report.  One source, two builds (Makefile):
 * hello.elf for kvm, hello.so for sim; `snpemu run --export report.bin ./hello -- HEX` picks the right one.
 */
#include <snpemu/abi/report.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/guest_program.h>

static int hello_main(struct gst_guest *g)
{
	struct gst_report_req req = {.key_sel = SNP_KEY_SEL_DEFAULT};
	uint8_t report[SNP_REPORT_SIZE];
	gst_printf(g, "hello from a %s guest built with the snpemu SDK\n", g->snp ? "SEV-SNP" : "SEV-ES");
	if (!g->snp || gst_argc(g) > 1 || (gst_argc(g) == 1 && gst_arg_hex(gst_arg(g, 0), req.user_data, 64) < 0)) {
		gst_printf(g, "usage: an SEV-SNP VM, and at most one argument: REPORT_DATA in hex (up to 64 bytes)\n");
		return 2;
	}
	/* The guest-request channel: its state is 8 KiB of private pages, kept in the program's data area. */
	struct gst_greq *greq = gst_guest_data(g, 0, sizeof(*greq));
	struct gst_greq_config cfg = {
	    .secrets = g->secrets,
	    .vmpck_id = 0,
	    .req_gpa = SNPEMU_GREQ_REQ_GPA,
	    .resp_gpa = SNPEMU_GREQ_RESP_GPA,
	    .busy_delay_us = 20000,
	    .busy_retries = 500,
	};
	int rc = greq ? gst_greq_init(&g->c, greq, &cfg) : GST_EFAULT;
	if (!rc)
		rc = gst_get_report(&g->c, greq, &req, report, sizeof(report));
	if (!rc)
		rc = gst_export(g, report, sizeof(report));
	if (rc)
		return gst_report_fail(g, "attestation report", rc);
	gst_printf(g, "report exported: %u bytes, measurement ", (unsigned int)sizeof(report));
	gst_print_hex(g, report + SNP_REPORT_OFF_MEASUREMENT, 48);
	gst_printf(g, "\n");
	return 0;
}

GST_PROGRAM(hello, "print a line, attest with argument 1 as REPORT_DATA, export the report", hello_main, NULL);

/* SPDX-License-Identifier: MIT */
/*
 * attest: an attestation report (with certificates when the VMM asks for an extended request) and a derived key,
 * through the guest-request driver.  The report goes to the VMM on the export port; its measurement is printed so
 * that it can be compared with the launch measurement the VMM printed.
 */
#include <snpemu/abi/cert_table.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/report.h>
#include <snpemu/abi/snp_msg.h>

#include <snpemu/guest_program.h>

static void print_line(struct gst_guest *g, const char *label, const uint8_t *p, unsigned int n)
{
	gst_printf(g, "%s: ", label);
	gst_print_hex(g, p, n);
	gst_printf(g, "\n");
}

static unsigned int count_certs(const uint8_t *table, unsigned int len)
{
	unsigned int n = 0;
	for (unsigned int off = 0; off + SNP_CERT_ENTRY_SIZE <= len; off += SNP_CERT_ENTRY_SIZE, n++) {
		uint8_t zero = 0;
		for (unsigned int i = 0; i < SNP_CERT_ENTRY_SIZE; i++)
			zero |= table[off + i];
		if (!zero)
			return n;
	}
	return n;
}

/*
 * The same key request twice must give the same key, unless the guest moved to another chip in between: a key rooted
 * in the VCEK is the chip's (SNP firmware ABI, MSG_KEY_REQ ROOT_KEY_SELECT 0), so a migrated guest derives another
 * one, as on hardware.  A differing pair is accepted only when a fresh report names another CHIP_ID than `report`
 * did; the pair is then derived again on the new chip.
 */
static int derive_twice(struct gst_guest *g, struct gst_greq *greq, const struct gst_report_req *req,
			uint8_t report[SNP_REPORT_SIZE])
{
	struct gst_ctx *c = &g->c;
	const struct gst_key_req kreq = {
	    .guest_field_select = SNP_GFS_POLICY | SNP_GFS_MEASUREMENT,
	    .vmpl = 0,
	};
	uint8_t key1[32], key2[32];
	for (unsigned int tries = 0;; tries++) {
		int rc;
		if ((rc = gst_get_derived_key(c, greq, &kreq, key1)) ||
		    (rc = gst_get_derived_key(c, greq, &kreq, key2)))
			return gst_report_fail(g, "derived key", rc);
		bool same = !gst_memcmp(key1, key2, 32);
		if (same)
			print_line(g, "derived key", key1, 32);
		gst_wipe(key1, sizeof(key1));
		gst_wipe(key2, sizeof(key2));
		if (same)
			return 0;
		uint8_t chip[64];
		gst_memcpy(chip, report + SNP_REPORT_OFF_CHIP_ID, sizeof(chip));
		rc = gst_get_report(c, greq, req, report, SNP_REPORT_SIZE);
		if (rc)
			return gst_report_fail(g, "report after two differing keys", rc);
		if (!gst_memcmp(chip, report + SNP_REPORT_OFF_CHIP_ID, sizeof(chip)) || tries == 2)
			return gst_report_fail(g, "the same key request gave two keys", GST_EPROTO);
		gst_printf(g, "attest: the guest moved to another chip between two key requests; deriving again\n");
	}
}

/* Arguments: [--ext] [--vmpl N] [--report-data HEX] (up to 64 bytes, zero-padded). */
static int parse_args(struct gst_guest *g, struct gst_report_req *req, bool *ext)
{
	for (uint32_t i = 0; i < gst_argc(g); i++) {
		const char *a = gst_arg(g, i), *v = gst_arg(g, i + 1);
		uint64_t n;
		if (gst_arg_is(a, "--ext")) {
			*ext = true;
		} else if (gst_arg_is(a, "--vmpl") && gst_arg_u64(v, &n) && n <= 3) {
			req->vmpl = (uint32_t)n;
			i++;
		} else if (gst_arg_is(a, "--report-data") && v && gst_arg_hex(v, req->user_data, 64) >= 0) {
			i++;
		} else {
			gst_printf(g, "attest: bad argument '%s' (usage: [--ext] [--vmpl 0..3] [--report-data HEX])\n",
				   a);
			return 1;
		}
	}
	return 0;
}

static int attest_main(struct gst_guest *g)
{
	struct gst_ctx *c = &g->c;
	int rc;
	struct gst_report_req req = {.key_sel = SNP_KEY_SEL_DEFAULT};
	bool ext = false;
	if (parse_args(g, &req, &ext))
		return 2;
	if (!g->snp) {
		gst_printf(g, "attest: needs an SEV-SNP VM\n");
		return 2;
	}
	struct gst_greq *greq = gst_guest_data(g, 0, sizeof(*greq)); /* 8 KiB of private pages: not on the stack */
	if (!greq)
		return gst_report_fail(g, "program data area", GST_EFAULT);
	struct gst_greq_config cfg = {
	    .secrets = g->secrets,
	    .vmpck_id = 0,
	    .req_gpa = SNPEMU_GREQ_REQ_GPA,
	    .resp_gpa = SNPEMU_GREQ_RESP_GPA,
	    .busy_delay_us = 20000,
	    .busy_retries = 500,
	};
	rc = gst_greq_init(c, greq, &cfg);
	if (rc)
		return gst_report_fail(g, "guest-request channel", rc);

	uint8_t report[SNP_REPORT_SIZE];
	if (ext) {
		uint32_t pages = SNPEMU_BOOT_CERT_PAGES;
		rc = gst_psc(c, SNPEMU_CERTS_GPA, pages, SNP_PAGE_STATE_SHARED, true);
		if (rc)
			return gst_report_fail(g, "sharing the certificate buffer", rc);
		rc = gst_get_ext_report(c, greq, &req, report, sizeof(report), SNPEMU_CERTS_GPA, &pages);
		if (rc == GST_ENOSPC)
			gst_printf(g, "certificate buffer too small: %u pages needed\n", pages);
		if (rc)
			return gst_report_fail(g, "extended report", rc);
		const uint8_t *table = gst_guest_map(g, SNPEMU_CERTS_GPA, SNPEMU_BOOT_CERT_PAGES * 4096u);
		gst_printf(g, "certificates: %u in the table\n",
			   table ? count_certs(table, SNPEMU_BOOT_CERT_PAGES * 4096u) : 0);
	} else {
		rc = gst_get_report(c, greq, &req, report, sizeof(report));
		if (rc)
			return gst_report_fail(g, "report", rc);
	}
	gst_printf(g, "report version %u, vmpl %u, policy 0x%llx, signature algo %u\n",
		   le32_load(report + SNP_REPORT_OFF_VERSION), le32_load(report + SNP_REPORT_OFF_VMPL),
		   (unsigned long long)le64_load(report + SNP_REPORT_OFF_POLICY),
		   le32_load(report + SNP_REPORT_OFF_SIG_ALGO));
	print_line(g, "report measurement", report + SNP_REPORT_OFF_MEASUREMENT, 48);
	print_line(g, "report data", report + SNP_REPORT_OFF_REPORT_DATA, 64);
	print_line(g, "chip id", report + SNP_REPORT_OFF_CHIP_ID, 64);
	gst_printf(g, "reported TCB 0x%016llx\n", (unsigned long long)le64_load(report + SNP_REPORT_OFF_REPORTED_TCB));
	if (gst_memcmp(report + SNP_REPORT_OFF_REPORT_DATA, req.user_data, 64))
		return gst_report_fail(g, "report data differs from the request", GST_EPROTO);
	rc = gst_export(g, report, sizeof(report));
	if (rc)
		return gst_report_fail(g, "exporting the report", rc);

	rc = derive_twice(g, greq, &req, report);
	if (rc)
		return rc;

	struct gst_tsc_info tsc;
	rc = gst_get_tsc_info(c, greq, &tsc);
	if (rc)
		return gst_report_fail(g, "TSC info", rc);
	gst_printf(g, "TSC info: scale 0x%llx offset 0x%llx factor %u\n", (unsigned long long)tsc.guest_tsc_scale,
		   (unsigned long long)tsc.guest_tsc_offset, tsc.tsc_factor);
	gst_printf(g, "attest: done\n");
	return 0;
}

GST_PROGRAM(attest, "attestation report, derived key, TSC info; args: [--ext] [--vmpl N] [--report-data HEX]",
	    attest_main, NULL);

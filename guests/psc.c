/* SPDX-License-Identifier: MIT */
/*
 * psc: page-state changes as a guest does them.  Ranges of free RAM go private -> shared -> private with 2 MiB and
 * 4 KiB PSC entries (and once through KVM_HC_MAP_GPA_RANGE), PVALIDATE on the way, and the model's promises are
 * checked: contents survive a conversion (this model does not encrypt), a page validated twice reports "no
 * change", a rescinded page can be validated again.
 */
#include <snpemu/abi/psc.h>

#include <snpemu/guest_program.h>

#define PAGE   4096ull
#define TWO_MB (2ull << 20)

static void fill(uint8_t *p, uint64_t len, uint32_t seed)
{
	for (uint64_t i = 0; i < len; i += 8)
		*(uint64_t *)(void *)(p + i) = (i * 0x9E3779B97F4A7C15ull) ^ seed;
}

static bool same(const uint8_t *p, uint64_t len, uint32_t seed)
{
	for (uint64_t i = 0; i < len; i += 8)
		if (*(const uint64_t *)(const void *)(p + i) != ((i * 0x9E3779B97F4A7C15ull) ^ seed))
			return false;
	return true;
}

static int round_trip(struct gst_guest *g, const char *what, uint64_t gpa, uint64_t npages, bool no_2m, uint32_t seed)
{
	struct gst_ctx *c = &g->c;
	uint8_t *p = gst_guest_map(g, gpa, npages * PAGE);
	if (!p)
		return gst_report_fail(g, what, GST_EFAULT);
	fill(p, npages * PAGE, seed);
	int rc = gst_psc(c, gpa, npages, SNP_PAGE_STATE_SHARED, no_2m);
	if (rc)
		return gst_report_fail(g, what, rc);
	if (!same(p, npages * PAGE, seed)) {
		gst_printf(g, "FAIL: %s: contents changed by the conversion to shared\n", what);
		return 1;
	}
	rc = gst_psc(c, gpa, npages, SNP_PAGE_STATE_PRIVATE, no_2m);
	if (rc)
		return gst_report_fail(g, what, rc);
	if (!same(p, npages * PAGE, seed)) {
		gst_printf(g, "FAIL: %s: contents changed by the conversion back to private\n", what);
		return 1;
	}
	gst_printf(g, "%s: %llu pages at 0x%llx private -> shared -> private, contents kept\n", what,
		   (unsigned long long)npages, (unsigned long long)gpa);
	return 0;
}

static int psc_main(struct gst_guest *g)
{
	struct gst_ctx *c = &g->c;
	int failures = 0, rc;
	if (!g->snp) {
		gst_printf(g, "psc: needs an SEV-SNP VM\n");
		return 2;
	}
	/* Past the program data area, 2 MiB-aligned. */
	uint64_t base = (g->boot->free_gpa + GST_DATA_SIZE + TWO_MB - 1) & ~(TWO_MB - 1);
	uint64_t end = g->boot->free_gpa + g->boot->free_size;
	if (base + 6 * TWO_MB > end) {
		gst_printf(g, "psc: needs at least %llu MiB of RAM\n", (unsigned long long)((base + 6 * TWO_MB) >> 20));
		return 2;
	}
	failures += round_trip(g, "2 MiB entries", base, 2 * 512, false, 1);
	failures += round_trip(g, "4 KiB entries", base + 2 * TWO_MB + 3 * PAGE, 300, true, 2);
	failures += round_trip(g, "mixed entries", base + 4 * TWO_MB - 5 * PAGE, 512 + 10, false, 3);

	/* PVALIDATE semantics of the RMP model. */
	uint64_t gpa = base + 5 * TWO_MB;
	rc = gst_pvalidate_range(c, gpa, 1, true, true);
	GST_CHECK(g, failures, rc == GST_EPVALIDATE && c->fault.info2 == (uint64_t)GST_PVALIDATE_FAIL_NOUPDATE,
		  "validating a validated page: expected FAIL_NOUPDATE, got %s", gst_strerror(rc));
	rc = gst_pvalidate_range(c, gpa, 1, false, true);
	GST_CHECK(g, failures, rc == GST_OK, "rescinding a validated page: %s", gst_strerror(rc));
	rc = gst_pvalidate_range(c, gpa, 1, true, true);
	GST_CHECK(g, failures, rc == GST_OK, "validating it again: %s", gst_strerror(rc));
	gst_printf(g, "PVALIDATE: double validation reports no change; rescind + validate works\n");

	/* The same conversion announced with the KVM_HC_MAP_GPA_RANGE hypercall instead of a PSC request. */
	if ((rc = gst_pvalidate_range(c, gpa, 1, false, true)) ||
	    (rc = gst_map_gpa_range(c, gpa, 1, GST_KVM_MAP_GPA_RANGE_DECRYPTED)) ||
	    (rc = gst_map_gpa_range(c, gpa, 1, GST_KVM_MAP_GPA_RANGE_ENCRYPTED)) ||
	    (rc = gst_pvalidate_range(c, gpa, 1, true, true)))
		failures += gst_report_fail(g, "MAP_GPA_RANGE round trip", rc);
	else
		gst_printf(g, "MAP_GPA_RANGE: one page shared and back to private\n");

	gst_printf(g, "psc: %s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}

GST_PROGRAM(psc, "page-state changes shared<->private with 2 MiB/4 KiB entries and PVALIDATE", psc_main, NULL);

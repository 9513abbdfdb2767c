/* SPDX-License-Identifier: MIT */
/* hello: SEV information, GHCB, CPUID, MSRs, MMIO and the console: the smallest complete GHCB client. */
#include <snpemu/abi/msr_proto.h>

#include <snpemu/guest_program.h>

static int hello_main(struct gst_guest *g)
{
	int failures = 0, rc;
	struct gst_ctx *c = &g->c;
	gst_printf(g, "hello from a %s guest: GHCB protocol %u (hypervisor %u..%u), C-bit %u\n",
		   g->snp ? "SEV-SNP" : "SEV-ES", c->version, c->hv_min, c->hv_max, c->cbit);
	gst_printf(g, "hypervisor features 0x%llx\n", (unsigned long long)c->hv_features);

	uint32_t r[4];
	rc = gst_cpuid(c, 0, 0, r);
	if (rc)
		return gst_report_fail(g, "CPUID 0", rc);
	char vendor[13];
	gst_memcpy(vendor, &r[1], 4);
	gst_memcpy(vendor + 4, &r[3], 4);
	gst_memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	gst_printf(g, "CPUID 0: max leaf 0x%x vendor %s\n", r[0], vendor);
	rc = gst_cpuid(c, 0x8000001F, 0, r);
	if (rc)
		return gst_report_fail(g, "CPUID 0x8000001f", rc);
	gst_printf(g, "CPUID 0x8000001f: eax 0x%x (SEV-ES %u, SNP %u), C-bit %u\n", r[0], (r[0] >> 3) & 1,
		   (r[0] >> 4) & 1, r[1] & 0x3F);
	GST_CHECK(g, failures, (r[1] & 0x3F) == c->cbit, "CPUID C-bit %u != SEV_INFO C-bit %u", r[1] & 0x3F, c->cbit);

	uint32_t eax;
	rc = gst_msr_cpuid(c, 1, GHCB_CPUID_REG_EAX, &eax);
	if (rc)
		return gst_report_fail(g, "MSR-protocol CPUID", rc);
	rc = gst_cpuid(c, 1, 0, r);
	if (rc)
		return gst_report_fail(g, "CPUID 1", rc);
	gst_printf(g, "CPUID 1 eax 0x%x by MSR protocol, 0x%x by NAE\n", eax, r[0]);
	GST_CHECK(g, failures, eax == r[0], "MSR-protocol and NAE CPUID differ");

	uint64_t status;
	rc = gst_rdmsr(c, MSR_AMD64_SEV, &status);
	if (rc)
		return gst_report_fail(g, "RDMSR SEV_STATUS", rc);
	gst_printf(g, "SEV_STATUS 0x%llx\n", (unsigned long long)status);
	GST_CHECK(g, failures, (status & MSR_AMD64_SEV_ES_ENABLED) && !!(status & MSR_AMD64_SEV_SNP_ENABLED) == g->snp,
		  "SEV_STATUS does not match the VM type");

	uint64_t tsc1, tsc2;
	if ((rc = gst_rdmsr(c, 0x10, &tsc1)) || (rc = gst_rdmsr(c, 0x10, &tsc2)))
		return gst_report_fail(g, "RDMSR TSC", rc);
	GST_CHECK(g, failures, tsc2 >= tsc1, "TSC went backwards");
	rc = gst_wrmsr(c, 0x10, 0);
	GST_CHECK(g, failures, rc == GST_EEXCEPTION && (c->fault.info2 & 0xFF) == 13,
		  "WRMSR TSC should raise #GP, got %s", gst_strerror(rc));
	gst_printf(g, "MSR exits: TSC read twice, TSC write refused with #GP\n");

	uint8_t val[8] = {1, 2, 3, 4, 5, 6, 7, 8}, back[8] = {0};
	if ((rc = gst_mmio_write(c, SNPEMU_MMIO_TEST_GPA, val, 8)) ||
	    (rc = gst_mmio_read(c, SNPEMU_MMIO_TEST_GPA, back, 8)))
		return gst_report_fail(g, "MMIO", rc);
	GST_CHECK(g, failures, !gst_memcmp(val, back, 8), "MMIO test register did not read back");
	gst_printf(g, "MMIO: wrote and read back 8 bytes at 0x%llx\n", (unsigned long long)SNPEMU_MMIO_TEST_GPA);

	gst_printf(g, "hello: %s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}

GST_PROGRAM(hello, "SEV info, GHCB, CPUID, MSR, MMIO and console", hello_main, NULL);

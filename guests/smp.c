/* SPDX-License-Identifier: MIT */
/*
 * smp: the BSP starts vcpus-1 APs with SNP AP creation (a VMSA page per AP, never 2 MiB-aligned), every AP does
 * some work through the GHCB and reports in shared guest memory, the BSP joins them.
 */
#include <snpemu/guest_program.h>

struct smp_shared {
	uint32_t done;
	uint32_t pad;
	uint64_t result[SNPEMU_MAX_VCPUS];
};

static uint64_t work(struct gst_guest *g)
{
	uint64_t acc = g->cpu;
	for (uint32_t i = 0; i < 64; i++) {
		uint32_t r[4];
		if (gst_cpuid(&g->c, 1, 0, r))
			return 0;
		acc = acc * 31 + r[0] + i;
	}
	return acc;
}

static int smp_ap(struct gst_guest *g)
{
	struct smp_shared *sh = gst_guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return 1;
	gst_printf(g, "AP %u running\n", g->cpu);
	sh->result[g->cpu] = work(g);
	__atomic_fetch_add(&sh->done, 1, __ATOMIC_RELEASE);
	return gst_park(g);
}

static int smp_main(struct gst_guest *g)
{
	uint32_t n = g->boot->vcpus;
	if (!g->snp) {
		gst_printf(g, "smp: needs an SEV-SNP VM (AP creation)\n");
		return 2;
	}
	struct smp_shared *sh = gst_guest_data(g, 0, sizeof(*sh));
	if (!sh)
		return gst_report_fail(g, "program data area", GST_EFAULT);
	gst_memset(sh, 0, sizeof(*sh));
	if (gst_start_aps(g))
		return 1;
	gst_printf(g, "BSP started %u APs\n", n - 1);
	sh->result[0] = work(g);
	if (gst_join(g, &sh->done, n - 1, 2000000))
		return 1;
	int failures = 0;
	for (uint32_t i = 0; i < n; i++)
		GST_CHECK(g, failures, sh->result[i] != 0, "vCPU %u produced no result", i);
	gst_printf(g, "smp: %u vCPUs did their work and joined\n", n);
	return failures ? 1 : 0;
}

GST_PROGRAM(smp, "starts N-1 APs through SNP AP creation; all work, then join", smp_main, smp_ap);

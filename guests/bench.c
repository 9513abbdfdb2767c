/* SPDX-License-Identifier: MIT */
/*
 * bench: round trips timed by the guest with the platform's clock: CPUID through the GHCB (a NAE event: the guest
 * library, the world switch, the engine and back) and CPUID by the MSR protocol, BENCH_ROUNDS of each after a
 * warm-up.  bench/kvm_nae.c runs it on both backends and sets the figures against a bare KVM IO exit.
 */
#include <snpemu/abi/msr_proto.h>

#include <snpemu/guest_program.h>

#define BENCH_ROUNDS 500u
#define BENCH_WARMUP 20u

static uint64_t per_round_ns(uint64_t t0_us, uint64_t t1_us)
{
	return (t1_us - t0_us) * 1000u / BENCH_ROUNDS;
}

static int bench_main(struct gst_guest *g)
{
	struct gst_ctx *c = &g->c;
	uint64_t (*now)(void *) = c->plat.ops->now_us;
	if (!now) {
		gst_printf(g, "bench: the platform has no clock\n");
		return 2;
	}
	uint32_t r[4], eax;
	int rc;
	for (uint32_t i = 0; i < BENCH_WARMUP; i++)
		if ((rc = gst_cpuid(c, 1, 0, r)) || (rc = gst_msr_cpuid(c, 1, GHCB_CPUID_REG_EAX, &eax)))
			return gst_report_fail(g, "warm-up", rc);
	uint64_t t0 = now(c->plat.ctx);
	for (uint32_t i = 0; i < BENCH_ROUNDS; i++)
		if ((rc = gst_cpuid(c, 1, 0, r)))
			return gst_report_fail(g, "NAE CPUID", rc);
	uint64_t t1 = now(c->plat.ctx);
	for (uint32_t i = 0; i < BENCH_ROUNDS; i++)
		if ((rc = gst_msr_cpuid(c, 1, GHCB_CPUID_REG_EAX, &eax)))
			return gst_report_fail(g, "MSR-protocol CPUID", rc);
	uint64_t t2 = now(c->plat.ctx);
	gst_printf(g, "bench: NAE CPUID %llu ns, MSR-protocol CPUID %llu ns per round trip (%u rounds)\n",
		   (unsigned long long)per_round_ns(t0, t1), (unsigned long long)per_round_ns(t1, t2), BENCH_ROUNDS);
	return 0;
}

GST_PROGRAM(bench, "GHCB NAE and MSR-protocol round trips timed by the guest (bench/kvm_nae)", bench_main, NULL);

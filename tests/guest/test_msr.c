/* SPDX-License-Identifier: MIT */
/* GHCB MSR protocol helpers and GHCB set-up against the fake hypervisor: every response check has a test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/abi/svm_exit.h>

#include "fake_hv.h"

struct fx {
	struct fake_hv *h;
	struct gst_ctx c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->h = fh_new();
	struct gst_platform p = fh_platform(f->h);
	assert_int_equal(gst_init(&f->c, &p, true), GST_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fh_free(f->h);
	free(f);
	return 0;
}

static void test_init_rejects_missing_ops(void **state)
{
	(void)state;
	struct gst_platform_ops ops = {0};
	struct gst_platform p = {.ops = &ops};
	struct gst_ctx c;
	assert_int_equal(gst_init(&c, &p, true), GST_EINVAL);
	assert_int_equal(gst_init(&c, NULL, true), GST_EINVAL);
}

static void test_sev_info(void **state)
{
	struct fx *f = *state;
	assert_int_equal(gst_msr_sev_info(&f->c), GST_OK);
	assert_int_equal(f->c.hv_min, 1);
	assert_int_equal(f->c.hv_max, 2);
	assert_int_equal(f->c.cbit, 51);
	assert_int_equal(f->h->exits[0].msr, GHCB_MSR_SEV_INFO_REQ);
}

static void test_sev_info_wrong_code(void **state)
{
	struct fx *f = *state;
	/* A CPUID response code where SEV_INFO was asked for. */
	fh_push(f->h, (struct fh_step){.no_default = true, .set_msr = true, .msr = ghcb_msr_sev_info(2, 1, 51) + 4});
	assert_int_equal(gst_msr_sev_info(&f->c), GST_EPROTO);
	assert_int_equal(f->c.fault.err, GST_EPROTO);
	assert_int_equal(f->c.fault.event, GHCB_MSR_SEV_INFO_REQ);
	assert_int_equal(f->c.fault.msr, ghcb_msr_sev_info(2, 1, 51) + 4);
	assert_int_equal(f->c.hv_max, 0); /* nothing taken from a bad answer */
}

static void test_sev_info_min_above_max(void **state)
{
	struct fx *f = *state;
	fh_push(f->h, (struct fh_step){.no_default = true, .set_msr = true, .msr = ghcb_msr_sev_info(1, 2, 51)});
	assert_int_equal(gst_msr_sev_info(&f->c), GST_EPROTO);
	/* the MSR left as written (a hypervisor that ignores the request) is also a wrong code */
	fh_push(f->h, (struct fh_step){.no_default = true});
	assert_int_equal(gst_msr_sev_info(&f->c), GST_EPROTO);
}

static void test_negotiate(void **state)
{
	struct fx *f = *state;
	assert_int_equal(gst_msr_negotiate(&f->c), GST_OK);
	assert_int_equal(f->c.version, 2);
	/* a hypervisor offering 1..5 still gets our maximum, 2 */
	f->h->ver_max = 5;
	assert_int_equal(gst_msr_negotiate(&f->c), GST_OK);
	assert_int_equal(f->c.version, 2);
	/* SNP needs version 2: a v1-only hypervisor is refused */
	f->h->ver_max = 1;
	assert_int_equal(gst_msr_negotiate(&f->c), GST_ENOTSUP);
	/* an SEV-ES guest accepts 1 */
	f->c.snp = false;
	assert_int_equal(gst_msr_negotiate(&f->c), GST_OK);
	assert_int_equal(f->c.version, 1);
	/* no overlap: the hypervisor starts at 3 */
	f->h->ver_min = 3;
	f->h->ver_max = 4;
	assert_int_equal(gst_msr_negotiate(&f->c), GST_ENOTSUP);
}

static void test_cpuid(void **state)
{
	struct fx *f = *state;
	uint32_t v = 0, all[4];
	assert_int_equal(gst_msr_cpuid(&f->c, 0x8000001F, GHCB_CPUID_REG_EBX, &v), GST_OK);
	assert_int_equal(v, 0x8000001F + 0x100);
	assert_int_equal(f->h->exits[0].msr, ghcb_msr_cpuid_req(0x8000001F, GHCB_CPUID_REG_EBX));
	assert_int_equal(gst_msr_cpuid_all(&f->c, 7, all), GST_OK);
	assert_int_equal(all[0], 7);
	assert_int_equal(all[3], 7 + 0x300);
	assert_int_equal(gst_msr_cpuid(&f->c, 1, 4, &v), GST_EINVAL);
	fh_push(f->h, (struct fh_step){.set_msr = true, .msr = 0x0000000100000001ull}); /* SEV_INFO code */
	v = 0xAAAA;
	assert_int_equal(gst_msr_cpuid(&f->c, 1, 0, &v), GST_EPROTO);
	assert_int_equal(v, 0xAAAA);
}

static void test_hv_features(void **state)
{
	struct fx *f = *state;
	uint64_t ft = 0;
	assert_int_equal(gst_msr_hv_features(&f->c, &ft), GST_ENOTSUP); /* before negotiating version 2 */
	assert_int_equal(gst_msr_negotiate(&f->c), GST_OK);
	assert_int_equal(gst_msr_hv_features(&f->c, &ft), GST_OK);
	assert_int_equal(ft, GHCB_HV_FT_SUPPORTED);
	fh_push(f->h, (struct fh_step){.set_msr = true, .msr = 0x3080}); /* the request echoed back */
	assert_int_equal(gst_msr_hv_features(&f->c, &ft), GST_EPROTO);
}

static void test_pref_and_register_gpa(void **state)
{
	struct fx *f = *state;
	uint64_t gpa = 0;
	assert_int_equal(gst_msr_pref_gpa(&f->c, &gpa), GST_OK);
	assert_int_equal(gpa, UINT64_MAX);
	assert_int_equal(gst_msr_register_gpa(&f->c, 0x123000), GST_OK);
	assert_int_equal(f->h->registered_gpa, 0x123000);
	/* the echo must be the same GFN */
	fh_push(f->h, (struct fh_step){.set_msr = true, .msr = ghcb_msr_reg_gpa_resp(0x124)});
	assert_int_equal(gst_msr_register_gpa(&f->c, 0x123000), GST_EPROTO);
	assert_int_equal(f->c.fault.msr, ghcb_msr_reg_gpa_resp(0x124));
	/* wrong code with the right GFN */
	fh_push(f->h, (struct fh_step){.set_msr = true, .msr = 0x123011});
	assert_int_equal(gst_msr_register_gpa(&f->c, 0x123000), GST_EPROTO);
	assert_int_equal(gst_msr_register_gpa(&f->c, 0x123001), GST_EINVAL);
	f->c.snp = false;
	assert_int_equal(gst_msr_register_gpa(&f->c, 0x123000), GST_ENOTSUP);
	assert_int_equal(gst_msr_pref_gpa(&f->c, &gpa), GST_ENOTSUP);
}

static void test_psc_page(void **state)
{
	struct fx *f = *state;
	assert_int_equal(gst_msr_psc_page(&f->c, 0x40000, SNP_PAGE_STATE_SHARED), GST_OK);
	assert_int_equal(f->h->page_private[0x40], 0);
	assert_int_equal(gst_msr_psc_page(&f->c, 0x40000, SNP_PAGE_STATE_PRIVATE), GST_OK);
	assert_int_equal(f->h->page_private[0x40], 1);
	/* KVM's error answer: BIT63 | 0x015 */
	fh_push(f->h, (struct fh_step){.no_default = true, .set_msr = true, .msr = GHCB_MSR_PSC_RESP_ERROR | 0x15});
	assert_int_equal(gst_msr_psc_page(&f->c, 0x40000, SNP_PAGE_STATE_SHARED), GST_ESTATUS);
	assert_int_equal(f->c.fault.info2, 0x80000000u);
	fh_push(f->h, (struct fh_step){.no_default = true, .set_msr = true, .msr = 0x13});
	assert_int_equal(gst_msr_psc_page(&f->c, 0x40000, SNP_PAGE_STATE_SHARED), GST_EPROTO);
	assert_int_equal(gst_msr_psc_page(&f->c, 0x40000, 3), GST_EINVAL);
	assert_int_equal(gst_msr_psc_page(&f->c, 0x40010, 1), GST_EINVAL);
	unsigned int before = f->h->nexits;
	assert_int_equal(gst_msr_psc_page(&f->c, 1ull << 60, 1), GST_EINVAL); /* GFN beyond 40 bits */
	assert_int_equal(f->h->nexits, before);
}

static void test_ap_reset_hold_and_terminate(void **state)
{
	struct fx *f = *state;
	uint64_t woken = 0;
	assert_int_equal(gst_msr_ap_reset_hold(&f->c, &woken), GST_OK);
	assert_int_equal(woken, 1);
	fh_push(f->h, (struct fh_step){.set_msr = true, .msr = 0x1006}); /* request code, not response */
	assert_int_equal(gst_msr_ap_reset_hold(&f->c, &woken), GST_EPROTO);
	assert_int_equal(gst_msr_terminate(&f->c, SEV_TERM_SET_LINUX, GHCB_TERM_CPUID), GST_ETERM);
	assert_true(f->h->terminated);
	assert_int_equal(f->h->exits[f->h->nexits - 1].msr, 0x41100);
}

static void test_ghcb_setup(void **state)
{
	struct fx *f = *state;
	memset(f->h->mem + FH_GHCB_GPA, 0xEE, 4096);
	assert_int_equal(gst_ghcb_setup(&f->c, FH_GHCB_GPA, 0), GST_OK);
	assert_int_equal(f->c.version, 2);
	assert_int_equal(f->c.hv_features, GHCB_HV_FT_SUPPORTED);
	assert_ptr_equal(f->c.ghcb, f->h->mem + FH_GHCB_GPA);
	/* rescinded before the RMP change, then shared, then registered (Linux order) */
	assert_int_equal(f->h->npv, 1);
	assert_int_equal(f->h->pv[0].gpa, FH_GHCB_GPA);
	assert_false(f->h->pv[0].validate);
	assert_false(f->h->pv[0].size2m);
	unsigned int n = f->h->nexits;
	assert_int_equal(GHCB_MSR_INFO(f->h->exits[n - 2].msr), GHCB_MSR_PSC_REQ);
	assert_int_equal(f->h->exits[n - 1].msr, ghcb_msr_reg_gpa_req(FH_GHCB_GPA >> 12));
	assert_int_equal(f->h->page_private[FH_GHCB_GPA >> 12], 0);
	assert_int_equal(f->h->page_valid[FH_GHCB_GPA >> 12], 0);
	assert_int_equal(f->h->registered_gpa, FH_GHCB_GPA);
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(f->h->mem[FH_GHCB_GPA + i], 0);
}

static void test_ghcb_setup_failures(void **state)
{
	struct fx *f = *state;
	assert_int_equal(gst_ghcb_setup(&f->c, FH_GHCB_GPA + 8, 0), GST_EINVAL);
	/* SNP guest, hypervisor without the SNP feature */
	f->h->features = GHCB_HV_FT_SNP_AP_CREATION;
	assert_int_equal(gst_ghcb_setup(&f->c, FH_GHCB_GPA, 0), GST_ENOTSUP);
	assert_null(f->c.ghcb);
	f->h->features = GHCB_HV_FT_SUPPORTED;
	/* PVALIDATE fails */
	f->h->pv_fail_gpa = FH_GHCB_GPA;
	assert_int_equal(gst_ghcb_setup(&f->c, FH_GHCB_GPA, 0), GST_EPVALIDATE);
	assert_int_equal(f->c.fault.info2, GST_PVALIDATE_FAIL_INPUT);
	assert_null(f->c.ghcb);
	f->h->pv_fail_gpa = 0;
	/* unmappable GPA */
	assert_int_equal(gst_ghcb_setup(&f->c, FH_MEM_SIZE, 0), GST_EFAULT);
	/* the GHCB can be already shared, and registration skipped */
	fh_clear_record(f->h);
	assert_int_equal(gst_ghcb_setup(&f->c, FH_GHCB_GPA, GST_GHCB_ALREADY_SHARED | GST_GHCB_NO_REGISTER), GST_OK);
	assert_int_equal(f->h->npv, 0);
	assert_int_equal(f->h->nexits, 2); /* SEV_INFO + HV_FT only */
	assert_int_equal(gst_ghcb_setup(&f->c, FH_GHCB_GPA, 1u << 7), GST_EINVAL);
}

static void test_ghcb_setup_sev_es(void **state)
{
	struct fx *f = *state;
	f->c.snp = false;
	f->h->ver_max = 1;
	assert_int_equal(gst_ghcb_setup(&f->c, FH_GHCB_GPA, 0), GST_OK);
	assert_int_equal(f->c.version, 1);
	assert_int_equal(f->h->npv, 0);	   /* no PVALIDATE, no PSC, no registration for SEV-ES */
	assert_int_equal(f->h->nexits, 1); /* SEV_INFO only: HV features is a version-2 request */
	assert_int_equal(f->h->registered_gpa, 0);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(gst_strerror(GST_OK), "GST_OK");
	assert_string_equal(gst_strerror(GST_EPROTO), "GST_EPROTO");
	assert_string_equal(gst_strerror(GST_ETERM), "GST_ETERM");
	assert_string_equal(gst_strerror(-99), "GST_E?");
	assert_string_equal(gst_strerror(3), "GST_E?");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_rejects_missing_ops),
	    T(test_sev_info),
	    T(test_sev_info_wrong_code),
	    T(test_sev_info_min_above_max),
	    T(test_negotiate),
	    T(test_cpuid),
	    T(test_hv_features),
	    T(test_pref_and_register_gpa),
	    T(test_psc_page),
	    T(test_ap_reset_hold_and_terminate),
	    T(test_ghcb_setup),
	    T(test_ghcb_setup_failures),
	    T(test_ghcb_setup_sev_es),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests_name("guest_msr", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * NAE wrappers against the fake hypervisor: inputs as KVM requires them, outputs read only with their valid bit,
 * and every SW_EXITINFO1 class (0, 1 + event, 2 + reason, other, upper bits) mapped to its error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/abi/svm_exit.h>

#include "fake_hv.h"

static const struct fh_exit *last(struct fh_fixture *f)
{
	assert_true(f->h->nexits > 0);
	return &f->h->exits[f->h->nexits - 1];
}

static void test_cpuid_ok(void **state)
{
	struct fh_fixture *f = *state;
	uint32_t out[4];
	assert_int_equal(gst_cpuid(&f->c, 0x80000008, 3, out), GST_OK);
	assert_int_equal(out[0], 0x1000 + 0x80000008u);
	assert_int_equal(out[1], 0x2003);
	assert_int_equal(out[2], 0x3000);
	assert_int_equal(out[3], 0x4000);
	assert_int_equal(last(f)->code, SVM_EXIT_CPUID);
	assert_int_equal(last(f)->msr, FH_GHCB_GPA); /* the GHCB MSR holds the GHCB GPA for NAE */
	/* leaf 0xD carries XCR0 (the fake rejects it otherwise with MISSING_INPUT) */
	f->c.xcr0 = 7;
	assert_int_equal(gst_cpuid(&f->c, 0xD, 1, out), GST_OK);
	assert_true(ghcb_bitmap_test(last(f)->bitmap, GHCB_BITMAP_IDX(GHCB_OFF_XCR0)));
	/* the protocol version and usage are written into the page */
	assert_int_equal(ghcb_get_protocol_version(f->c.ghcb), 2);
	assert_int_equal(ghcb_get_usage(f->c.ghcb), 0);
}

static void test_cpuid_missing_output(void **state)
{
	struct fh_fixture *f = *state;
	static const unsigned int offs[4] = {GHCB_OFF_RAX, GHCB_OFF_RBX, GHCB_OFF_RCX, GHCB_OFF_RDX};
	for (unsigned int i = 0; i < 4; i++) {
		uint32_t out[4] = {0xAA, 0xAA, 0xAA, 0xAA};
		fh_push(f->h, (struct fh_step){.drop = {offs[i]}});
		assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EPROTO);
		assert_int_equal(out[0], 0xAA); /* nothing returned from a rejected answer */
		assert_int_equal(f->c.fault.event, SVM_EXIT_CPUID);
	}
}

static void test_exitinfo1_missing(void **state)
{
	struct fh_fixture *f = *state;
	uint32_t out[4];
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_SW_EXIT_INFO_1}});
	assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EPROTO);
	assert_false(f->c.fault.info1_valid);
	/* a hypervisor that answers nothing at all */
	fh_push(f->h, (struct fh_step){.no_default = true});
	assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EPROTO);
}

static void test_exitinfo1_exception(void **state)
{
	struct fh_fixture *f = *state;
	uint32_t out[4];
	fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = 1, .set_info2 = true, .info2 = GHCB_EXCEPTION(6)});
	assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EEXCEPTION);
	assert_int_equal(f->c.fault.info1, 1);
	assert_int_equal(f->c.fault.info2 & 0xFF, 6);
	assert_true(f->c.fault.info2_valid);
	/* exception without a valid event: not an answer */
	fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = 1, .set_info2 = true, .info2 = 13});
	assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EPROTO);
	/* an event of type NMI (2) instead of exception (3) */
	fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = 1, .set_info2 = true, .info2 = 0x8000020D});
	assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EPROTO);
	/* exception with SW_EXITINFO2 not valid */
	fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = 1, .drop = {GHCB_OFF_SW_EXIT_INFO_2}});
	assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EPROTO);
}

static void test_exitinfo1_malformed_and_other(void **state)
{
	struct fh_fixture *f = *state;
	uint32_t out[4];
	fh_push(f->h,
		(struct fh_step){.set_info1 = true, .info1 = 2, .set_info2 = true, .info2 = GHCB_ERR_INVALID_INPUT});
	assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EMALFORMED);
	assert_int_equal(f->c.fault.info2, GHCB_ERR_INVALID_INPUT);
	fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = 2, .drop = {GHCB_OFF_SW_EXIT_INFO_2}});
	assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EPROTO);
	/* 3, 0xFFFFFFFF and a value with only upper bits set: all failures (the Linux "non-1 = success" bug) */
	static const uint64_t others[] = {3, 0xFFFFFFFFu, 1ull << 32, 0x100000000ull | 1u};
	for (unsigned int i = 0; i < 4; i++) {
		fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = others[i]});
		assert_int_equal(gst_cpuid(&f->c, 1, 0, out), GST_EHVRESP);
		assert_int_equal(f->c.fault.info1, others[i]);
	}
}

static void test_missing_input_reported(void **state)
{
	struct fh_fixture *f = *state;
	/* the fake answers MALFORMED/MISSING_INPUT to a usage != 0: the wrappers always send usage 0, so force it */
	fh_push(f->h,
		(struct fh_step){.set_info1 = true, .info1 = 2, .set_info2 = true, .info2 = GHCB_ERR_MISSING_INPUT});
	assert_int_equal(gst_wrmsr(&f->c, 0x10, 1), GST_EMALFORMED);
	assert_int_equal(f->c.fault.info2, GHCB_ERR_MISSING_INPUT);
	assert_int_equal(f->c.fault.event, SVM_EXIT_MSR);
}

static void test_msr(void **state)
{
	struct fh_fixture *f = *state;
	uint64_t v = 0;
	assert_int_equal(gst_wrmsr(&f->c, 0x10, 0x1122334455667788ull), GST_OK);
	assert_int_equal(last(f)->info1, 1);
	assert_int_equal(f->h->msr_store, 0x1122334455667788ull);
	assert_int_equal(gst_rdmsr(&f->c, 0x10, &v), GST_OK);
	assert_int_equal(last(f)->info1, 0);
	assert_int_equal(v, 0x1122334455667788ull ^ 0x10);
	/* #GP for the MSR the fake refuses */
	assert_int_equal(gst_rdmsr(&f->c, 0xBAD, &v), GST_EEXCEPTION);
	assert_int_equal(f->c.fault.info2, GHCB_EXCEPTION_GP);
	assert_int_equal(gst_wrmsr(&f->c, 0xBAD, 0), GST_EEXCEPTION);
	/* RDX not valid */
	v = 5;
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_RDX}});
	assert_int_equal(gst_rdmsr(&f->c, 0x10, &v), GST_EPROTO);
	assert_int_equal(v, 5);
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_RAX}});
	assert_int_equal(gst_rdmsr(&f->c, 0x10, &v), GST_EPROTO);
}

static void test_io(void **state)
{
	struct fh_fixture *f = *state;
	uint32_t v = 0;
	assert_int_equal(gst_io_in(&f->c, 0x71, 1, &v), GST_OK);
	assert_int_equal(v, 0x78); /* masked to one byte of RAX 0xFFFFFFFF12345678 */
	assert_int_equal(svm_ioio_port(last(f)->info1), 0x71);
	assert_int_equal(last(f)->info1 & SVM_IOIO_TYPE_MASK, 1);
	assert_int_equal(gst_io_in(&f->c, 0x71, 2, &v), GST_OK);
	assert_int_equal(v, 0x5678);
	assert_int_equal(gst_io_in(&f->c, 0x71, 4, &v), GST_OK);
	assert_int_equal(v, 0x12345678);
	assert_int_equal(gst_io_in(&f->c, 0x71, 3, &v), GST_EINVAL);
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_RAX}});
	v = 9;
	assert_int_equal(gst_io_in(&f->c, 0x71, 1, &v), GST_EPROTO);
	assert_int_equal(v, 9);
	assert_int_equal(gst_io_out(&f->c, 0x80, 2, 0xABCDEF), GST_OK);
	assert_int_equal(f->h->hc_args[4], 0xCDEF);
	assert_int_equal(svm_ioio_size(last(f)->info1), 2);
	assert_int_equal(gst_io_out(&f->c, 0x80, 8, 0), GST_EINVAL);
}

static void test_string_io_and_console(void **state)
{
	struct fh_fixture *f = *state;
	assert_int_equal(gst_console_puts(&f->c, "hello, world\n"), GST_OK);
	assert_int_equal(f->h->console_len, 13);
	assert_memory_equal(f->h->console, "hello, world\n", 13);
	assert_int_equal(last(f)->scratch, FH_GHCB_GPA + GHCB_OFF_SHARED_BUFFER);
	assert_int_equal(last(f)->info2, 13);
	assert_true(last(f)->info1 & SVM_IOIO_STR_MASK);
	/* longer than the shared buffer: chunks of 2032 */
	static char big[5000];
	for (unsigned int i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	fh_clear_record(f->h);
	f->h->console_len = 0;
	assert_int_equal(gst_console_write(&f->c, big, sizeof(big)), GST_OK);
	assert_int_equal(f->h->nexits, 3);
	assert_int_equal(f->h->exits[0].info2, 2032);
	assert_int_equal(f->h->exits[2].info2, 5000 - 2 * 2032);
	assert_int_equal(f->h->console_len, 5000);
	assert_memory_equal(f->h->console, big, 5000);
	/* 4-byte elements: 508 per chunk */
	fh_clear_record(f->h);
	uint32_t words[600] = {0};
	assert_int_equal(gst_io_outs(&f->c, 0x90, 4, words, 600), GST_OK);
	assert_int_equal(f->h->exits[0].info2, 508);
	assert_int_equal(f->h->nexits, 2);
	/* string IN */
	uint8_t in[3000];
	memset(in, 0, sizeof(in));
	assert_int_equal(gst_io_ins(&f->c, 0x90, 1, in, sizeof(in)), GST_OK);
	for (unsigned int i = 0; i < sizeof(in); i++)
		assert_int_equal(in[i], 0x5A);
	/* a failing chunk stops the string */
	fh_clear_record(f->h);
	fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = 2, .set_info2 = true, .info2 = 3});
	assert_int_equal(gst_console_write(&f->c, big, sizeof(big)), GST_EMALFORMED);
	assert_int_equal(f->h->nexits, 1);
	assert_int_equal(gst_io_outs(&f->c, 0x90, 1, NULL, 1), GST_EINVAL);
}

static void test_mmio(void **state)
{
	struct fh_fixture *f = *state;
	uint8_t buf[16];
	assert_int_equal(gst_mmio_read(&f->c, 0xFEE00010, buf, 8), GST_OK);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(buf[i], (uint8_t)(0x10 + i));
	assert_int_equal(last(f)->code, SVM_VMGEXIT_MMIO_READ);
	assert_int_equal(last(f)->info1, 0xFEE00010);
	assert_int_equal(last(f)->info2, 8);
	uint64_t w = 0x0102030405060708ull;
	assert_int_equal(gst_mmio_write(&f->c, 0xFEE00000, &w, 8), GST_OK);
	assert_int_equal(f->h->hc_args[4], w);
	assert_int_equal(last(f)->code, SVM_VMGEXIT_MMIO_WRITE);
	assert_int_equal(gst_mmio_read(&f->c, 0, buf, 0), GST_EINVAL);
	assert_int_equal(gst_mmio_read(&f->c, 0, buf, 2033), GST_EINVAL);
	fh_push(f->h, (struct fh_step){.set_info1 = true, .info1 = 2, .set_info2 = true, .info2 = 3});
	assert_int_equal(gst_mmio_write(&f->c, 0xFEE00000, &w, 8), GST_EMALFORMED);
}

static void test_hypercall(void **state)
{
	struct fh_fixture *f = *state;
	uint64_t ret = 1;
	f->h->hc_ret = 0;
	assert_int_equal(gst_hypercall(&f->c, 99, 1, 2, 3, 4, &ret), GST_OK);
	assert_int_equal(ret, 0);
	assert_int_equal(f->h->hc_args[0], 99);
	assert_int_equal(f->h->hc_args[1], 1);
	assert_int_equal(f->h->hc_args[4], 4);
	assert_true(ghcb_bitmap_test(last(f)->bitmap, GHCB_BITMAP_IDX(GHCB_OFF_CPL)));
	assert_int_equal(gst_map_gpa_range(&f->c, 0x200000, 16, GST_KVM_MAP_GPA_RANGE_ENCRYPTED), GST_OK);
	assert_int_equal(f->h->hc_args[0], GST_KVM_HC_MAP_GPA_RANGE);
	assert_int_equal(f->h->hc_args[1], 0x200000);
	assert_int_equal(f->h->hc_args[2], 16);
	assert_int_equal(f->h->hc_args[3], GST_KVM_MAP_GPA_RANGE_ENCRYPTED);
	f->h->hc_ret = (uint64_t)-22;
	assert_int_equal(gst_map_gpa_range(&f->c, 0x200000, 16, 0), GST_ESTATUS);
	assert_int_equal(f->c.fault.info2, (uint64_t)-22);
	assert_int_equal(gst_map_gpa_range(&f->c, 0x200001, 16, 0), GST_EINVAL);
	assert_int_equal(gst_map_gpa_range(&f->c, 0x200000, 0, 0), GST_EINVAL);
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_RAX}});
	assert_int_equal(gst_hypercall(&f->c, 99, 0, 0, 0, 0, &ret), GST_EPROTO);
}

static void test_hv_features_and_jump_table(void **state)
{
	struct fh_fixture *f = *state;
	uint64_t v = 0;
	f->h->features = 0x1F;
	assert_int_equal(gst_hv_features(&f->c, &v), GST_OK);
	assert_int_equal(v, 0x1F);
	assert_int_equal(f->c.hv_features, 0x1F);
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_SW_EXIT_INFO_2}});
	assert_int_equal(gst_hv_features(&f->c, &v), GST_EPROTO);
	assert_int_equal(gst_ap_jump_table_set(&f->c, 0x9000), GST_OK);
	assert_int_equal(f->h->jump_table, 0x9000);
	assert_int_equal(gst_ap_jump_table_get(&f->c, &v), GST_OK);
	assert_int_equal(v, 0x9000);
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_SW_EXIT_INFO_2}});
	assert_int_equal(gst_ap_jump_table_get(&f->c, &v), GST_EPROTO);
	/* version 1: HV features is a v2 event */
	f->c.version = 1;
	assert_int_equal(gst_hv_features(&f->c, &v), GST_ENOTSUP);
}

static void test_ap_creation(void **state)
{
	struct fh_fixture *f = *state;
	assert_int_equal(gst_ap_create(&f->c, SVM_VMGEXIT_AP_CREATE, 3, 0x301000, 0x1), GST_OK);
	assert_int_equal(last(f)->code, SVM_VMGEXIT_AP_CREATION);
	assert_int_equal(last(f)->info1, (3ull << 32) | 1);
	assert_int_equal(last(f)->info2, 0x301000);
	assert_int_equal(last(f)->rax, 1);
	assert_int_equal(gst_ap_create(&f->c, SVM_VMGEXIT_AP_DESTROY, 3, 0, 0), GST_OK);
	/* 2 MiB-aligned VMSA (erratum), unaligned, bad request */
	assert_int_equal(gst_ap_create(&f->c, SVM_VMGEXIT_AP_CREATE, 3, 0x400000, 0x1), GST_EINVAL);
	assert_int_equal(gst_ap_create(&f->c, SVM_VMGEXIT_AP_CREATE, 3, 0x301008, 0x1), GST_EINVAL);
	assert_int_equal(gst_ap_create(&f->c, 3, 3, 0x301000, 0x1), GST_EINVAL);
	fh_push(f->h,
		(struct fh_step){.set_info1 = true, .info1 = 2, .set_info2 = true, .info2 = GHCB_ERR_INVALID_INPUT});
	assert_int_equal(gst_ap_create(&f->c, SVM_VMGEXIT_AP_CREATE, 3, 0x301000, 0x1), GST_EMALFORMED);
	/* needs the AP-creation feature, and SNP */
	f->c.hv_features = GHCB_HV_FT_SNP;
	assert_int_equal(gst_ap_create(&f->c, SVM_VMGEXIT_AP_CREATE, 3, 0x301000, 0x1), GST_ENOTSUP);
	f->c.hv_features = GHCB_HV_FT_SUPPORTED;
	f->c.snp = false;
	assert_int_equal(gst_ap_create(&f->c, SVM_VMGEXIT_AP_CREATE, 3, 0x301000, 0x1), GST_ENOTSUP);
}

static void test_vmsa_mark(void **state)
{
	struct fh_fixture *f = *state;
	assert_int_equal(gst_vmsa_mark(&f->c, 0x301000, true), GST_OK);
	assert_int_equal(f->h->rmpadjust_gpa, 0x301000);
	assert_int_equal(f->h->rmpadjust_attrs, GST_RMPADJUST_VMSA_PAGE_BIT | 1);
	assert_int_equal(gst_vmsa_mark(&f->c, 0x301000, false), GST_OK);
	assert_int_equal(f->h->rmpadjust_attrs, 1);
	f->h->rmpadjust_rc = 8;
	assert_int_equal(gst_vmsa_mark(&f->c, 0x301000, true), GST_ESTATUS);
	assert_int_equal(f->c.fault.info2, 8);
	assert_int_equal(gst_vmsa_mark(&f->c, 0x301008, true), GST_EINVAL);
	assert_int_equal(gst_vmsa_mark(&f->c, FH_MEM_SIZE, true), GST_EFAULT);
	f->c.snp = false;
	assert_int_equal(gst_vmsa_mark(&f->c, 0x301000, true), GST_ENOTSUP);
}

static void test_hlt_nmi_terminate(void **state)
{
	struct fh_fixture *f = *state;
	uint64_t woken = 0;
	assert_int_equal(gst_ap_hlt_loop(&f->c, &woken), GST_OK);
	assert_int_equal(woken, 1);
	fh_push(f->h, (struct fh_step){.drop = {GHCB_OFF_SW_EXIT_INFO_2}});
	assert_int_equal(gst_ap_hlt_loop(&f->c, &woken), GST_EPROTO);
	assert_int_equal(gst_nmi_complete(&f->c), GST_OK);
	assert_int_equal(last(f)->code, SVM_VMGEXIT_NMI_COMPLETE);
	assert_int_equal(gst_terminate(&f->c, SEV_TERM_SET_LINUX, GHCB_TERM_PSC), GST_ETERM);
	assert_true(f->h->terminated);
	assert_int_equal(f->h->term_info1, SVM_VMGEXIT_TERM_REASON(1, 1));
}

static void test_before_setup(void **state)
{
	(void)state;
	struct fake_hv *h = fh_new();
	struct gst_platform p = fh_platform(h);
	struct gst_ctx c;
	uint32_t out[4];
	assert_int_equal(gst_init(&c, &p, true), GST_OK);
	assert_int_equal(gst_cpuid(&c, 1, 0, out), GST_EINVAL);
	assert_int_equal(gst_nmi_complete(&c), GST_EINVAL);
	assert_int_equal(gst_console_puts(&c, "x"), GST_EINVAL);
	assert_int_equal(h->nexits, 0);
	fh_free(h);
}

static void test_save_area_cleared(void **state)
{
	struct fh_fixture *f = *state;
	uint64_t ret;
	assert_int_equal(gst_hypercall(&f->c, 1, 2, 3, 4, 5, &ret), GST_OK);
	/* the next event starts from a clear valid bitmap: the stale RBX/RSI of the hypercall are not input any more
	 * (their values may stay, as with Linux's vc_ghcb_invalidate; only valid fields count) */
	assert_int_equal(gst_nmi_complete(&f->c), GST_OK);
	assert_false(ghcb_bitmap_test(last(f)->bitmap, GHCB_BITMAP_IDX(GHCB_OFF_RBX)));
	assert_false(ghcb_bitmap_test(last(f)->bitmap, GHCB_BITMAP_IDX(GHCB_OFF_RSI)));
	assert_false(ghcb_bitmap_test(last(f)->bitmap, GHCB_BITMAP_IDX(GHCB_OFF_RAX)));
}

static void test_nae_raw(void **state)
{
	struct fh_fixture *f = *state;
	uint64_t info2 = 1;
	/* a CPUID without RCX: the fake (like KVM) answers MISSING_INPUT, which comes back as such */
	gst_ghcb_begin(&f->c);
	ghcb_set_sw_exit_code(f->c.ghcb, SVM_EXIT_CPUID);
	ghcb_set_sw_exit_info_1(f->c.ghcb, 0);
	ghcb_set_sw_exit_info_2(f->c.ghcb, 0);
	ghcb_set_rax(f->c.ghcb, 1);
	assert_int_equal(gst_nae_raw(&f->c, &info2), GST_EMALFORMED);
	assert_int_equal(f->c.fault.info2, GHCB_ERR_MISSING_INPUT);
	assert_int_equal(f->c.fault.event, SVM_EXIT_CPUID);
	/* a usage other than 0 is left as written */
	gst_ghcb_begin(&f->c);
	ghcb_set_sw_exit_code(f->c.ghcb, SVM_VMGEXIT_NMI_COMPLETE);
	ghcb_set_sw_exit_info_1(f->c.ghcb, 0);
	ghcb_set_sw_exit_info_2(f->c.ghcb, 0);
	ghcb_set_usage(f->c.ghcb, 1);
	assert_int_equal(gst_nae_raw(&f->c, &info2), GST_EMALFORMED);
	assert_int_equal(f->c.fault.info2, GHCB_ERR_INVALID_USAGE);
	ghcb_set_usage(f->c.ghcb, 0);
	/* a well-formed raw event succeeds and returns SW_EXITINFO2 */
	gst_ghcb_begin(&f->c);
	ghcb_set_sw_exit_code(f->c.ghcb, SVM_VMGEXIT_AP_HLT_LOOP);
	ghcb_set_sw_exit_info_1(f->c.ghcb, 0);
	ghcb_set_sw_exit_info_2(f->c.ghcb, 0);
	assert_int_equal(gst_nae_raw(&f->c, &info2), GST_OK);
	assert_int_equal(info2, 1);
	/* an unknown event */
	gst_ghcb_begin(&f->c);
	ghcb_set_sw_exit_code(f->c.ghcb, 0x8000F000);
	ghcb_set_sw_exit_info_1(f->c.ghcb, 0);
	ghcb_set_sw_exit_info_2(f->c.ghcb, 0);
	assert_int_equal(gst_nae_raw(&f->c, NULL), GST_EMALFORMED);
	assert_int_equal(f->c.fault.info2, GHCB_ERR_INVALID_EVENT);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fh_fixture_setup, fh_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_cpuid_ok),
	    T(test_cpuid_missing_output),
	    T(test_exitinfo1_missing),
	    T(test_exitinfo1_exception),
	    T(test_exitinfo1_malformed_and_other),
	    T(test_missing_input_reported),
	    T(test_msr),
	    T(test_io),
	    T(test_string_io_and_console),
	    T(test_mmio),
	    T(test_hypercall),
	    T(test_hv_features_and_jump_table),
	    T(test_ap_creation),
	    T(test_vmsa_mark),
	    T(test_hlt_nmi_terminate),
	    cmocka_unit_test(test_before_setup),
	    T(test_save_area_cleared),
	    T(test_nae_raw),
	};
	return cmocka_run_group_tests_name("guest_nae", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The RMP model: states, host access checks, page-state changes, PVALIDATE results as the APM gives them
 * (0 success, 1 FAIL_INPUT, 6 FAIL_SIZEMISMATCH, 16 FAIL_NOCHANGE; #NPF on a shared page), memory use for a
 * 1 TiB guest, and concurrent vCPUs.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <snpemu/fw.h>

#define TIB (1ull << 40)
#define GIB (1ull << 30)

static void test_create(void **state)
{
	(void)state;
	struct fw_rmp *r;
	assert_int_equal(fw_rmp_create(0, &r), -EINVAL);
	assert_int_equal(fw_rmp_create(0x1001, &r), -EINVAL);
	assert_int_equal(fw_rmp_create(1ull << 53, &r), -EINVAL);
	assert_int_equal(fw_rmp_create(TIB, &r), 0);
	/* nothing per page up front: the chunk table only (1024 pointers) and the two uniform leaves */
	assert_true(fw_rmp_memory_bytes(r) < 16384);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_SHARED), TIB >> 12);
	assert_int_equal(fw_rmp_get(r, 0), FW_PAGE_SHARED);
	assert_int_equal(fw_rmp_get(r, TIB + 0x1000), FW_PAGE_SHARED); /* out of range reads shared */
	fw_rmp_destroy(r);
	fw_rmp_destroy(NULL);
}

static void test_states_and_host_access(void **state)
{
	(void)state;
	struct fw_rmp *r;
	uint64_t fault = 0;
	assert_int_equal(fw_rmp_create(TIB, &r), 0);
	assert_true(fw_rmp_host_may_access(r, 0, TIB, NULL)); /* the whole terabyte, all shared */
	assert_true(fw_rmp_host_may_access(r, 123, 0, NULL));
	assert_int_equal(fw_rmp_set_private(r, 512 * GIB, 4, true), 0);
	assert_int_equal(fw_rmp_get(r, 512 * GIB + 0x3FFF), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_get(r, 512 * GIB + 0x4000), FW_PAGE_SHARED);
	assert_false(fw_rmp_host_may_access(r, 512 * GIB - 8, 16, &fault));
	assert_int_equal(fault, 512 * GIB);
	assert_false(fw_rmp_host_may_access(r, 512 * GIB + 0x10, 8, &fault));
	assert_int_equal(fault, 512 * GIB + 0x10);
	assert_true(fw_rmp_host_may_access(r, 512 * GIB + 0x4000, 0x1000, NULL));
	assert_false(fw_rmp_host_may_access(r, TIB - 8, 16, &fault)); /* past the end */
	assert_int_equal(fault, TIB);
	assert_false(fw_rmp_host_may_access(r, UINT64_MAX - 4, 16, &fault)); /* wraps */
	/* one chunk allocated: at most a quarter byte per page of it */
	assert_true(fw_rmp_memory_bytes(r) < 16384 + 65536 + 1024);
	printf("rmp: 1 TiB guest, one private range: %zu bytes (%.6f bytes per 4 KiB page)\n", fw_rmp_memory_bytes(r),
	       fw_rmp_bytes_per_page(r));

	/* firmware and VMSA pages; the host may not touch them, PSC may not convert them */
	assert_int_equal(fw_rmp_set(r, 0x7000, FW_PAGE_VMSA), 0);
	assert_int_equal(fw_rmp_set(r, 0x8000, FW_PAGE_FIRMWARE), 0);
	assert_int_equal(fw_rmp_get(r, 0x7000), FW_PAGE_VMSA);
	assert_int_equal(fw_rmp_get(r, 0x8000), FW_PAGE_FIRMWARE);
	assert_false(fw_rmp_host_may_access(r, 0x7000, 1, NULL));
	assert_int_equal(fw_rmp_set_private(r, 0x6000, 3, false), -EBUSY);
	assert_int_equal(fw_rmp_get(r, 0x6000), FW_PAGE_SHARED); /* nothing changed */
	assert_int_equal(fw_rmp_count(r, FW_PAGE_VMSA), 1);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_FIRMWARE), 1);
	assert_int_equal(fw_rmp_set(r, 0x8000, FW_PAGE_SHARED), 0); /* firmware hands the page back */
	assert_int_equal(fw_rmp_get(r, 0x8000), FW_PAGE_SHARED);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_FIRMWARE), 0);
	assert_int_equal(fw_rmp_set(r, TIB, FW_PAGE_PRIVATE), -EINVAL);
	assert_int_equal(fw_rmp_set(r, 0x1000, (enum fw_page_state)9), -EINVAL);

	/* converting the whole terabyte back to shared skips the chunks that were never touched */
	assert_int_equal(fw_rmp_set_private(r, 0x6000, 1, true), 0);
	assert_int_equal(fw_rmp_set(r, 0x7000, FW_PAGE_SHARED), 0);
	assert_int_equal(fw_rmp_set_private(r, 0, TIB >> 12, false), 0);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_SHARED), TIB >> 12);

	/* PSC argument checks */
	assert_int_equal(fw_rmp_set_private(r, 0x10, 1, true), -EINVAL);
	assert_int_equal(fw_rmp_set_private(r, TIB - 0x1000, 2, true), -EINVAL);
	assert_int_equal(fw_rmp_set_private(r, 0x1000, UINT64_MAX, true), -EINVAL);
	fw_rmp_destroy(r);
}

static void test_pvalidate(void **state)
{
	(void)state;
	struct fw_rmp *r;
	assert_int_equal(fw_rmp_create(64ull << 20, &r), 0);
	/* a shared page cannot be validated: RMP violation */
	assert_int_equal(fw_rmp_pvalidate(r, 0x1000, false, true), FW_PVALIDATE_RMP_FAULT);
	assert_int_equal(fw_rmp_set_private(r, 0x1000, 1, true), 0);
	assert_int_equal(fw_rmp_pvalidate(r, 0x1000, false, false), FW_PVALIDATE_FAIL_NOCHANGE); /* not validated */
	assert_int_equal(fw_rmp_pvalidate(r, 0x1000, false, true), FW_PVALIDATE_SUCCESS);
	assert_int_equal(fw_rmp_get(r, 0x1000), FW_PAGE_VALIDATED);
	assert_int_equal(fw_rmp_pvalidate(r, 0x1000, false, true), FW_PVALIDATE_FAIL_NOCHANGE); /* double */
	assert_int_equal(fw_rmp_pvalidate(r, 0x1000, false, false), FW_PVALIDATE_SUCCESS);
	assert_int_equal(fw_rmp_get(r, 0x1000), FW_PAGE_PRIVATE);
	/* bad input */
	assert_int_equal(fw_rmp_pvalidate(r, 0x1008, false, true), FW_PVALIDATE_FAIL_INPUT);
	assert_int_equal(fw_rmp_pvalidate(r, 64ull << 20, false, true), FW_PVALIDATE_FAIL_INPUT);
	assert_int_equal(fw_rmp_pvalidate(r, 0x201000, true, true), FW_PVALIDATE_FAIL_INPUT); /* 2M unaligned */
	/* 2 MiB pages */
	assert_int_equal(fw_rmp_set_private(r, 0x400000, 512, true), 0);
	assert_int_equal(fw_rmp_pvalidate(r, 0x400000, false, true), 0);
	assert_int_equal(fw_rmp_pvalidate(r, 0x400000, true, true), FW_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_int_equal(fw_rmp_pvalidate(r, 0x400000, false, false), 0);
	assert_int_equal(fw_rmp_pvalidate(r, 0x400000, true, true), 0);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_VALIDATED), 512);
	assert_int_equal(fw_rmp_pvalidate(r, 0x400000, true, true), FW_PVALIDATE_FAIL_NOCHANGE);
	/* converting to shared drops validation; converting back gives an unvalidated page */
	assert_int_equal(fw_rmp_set_private(r, 0x400000, 1, false), 0);
	assert_int_equal(fw_rmp_pvalidate(r, 0x400000, true, false), FW_PVALIDATE_RMP_FAULT);
	assert_int_equal(fw_rmp_set_private(r, 0x400000, 1, true), 0);
	assert_int_equal(fw_rmp_get(r, 0x400000), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_get(r, 0x401000), FW_PAGE_VALIDATED);
	/* VMSA pages are not PVALIDATE's */
	assert_int_equal(fw_rmp_set(r, 0x9000, FW_PAGE_VMSA), 0);
	assert_int_equal(fw_rmp_pvalidate(r, 0x9000, false, true), FW_PVALIDATE_RMP_FAULT);
	fw_rmp_destroy(r);
}

/* Whole 2 MiB ranges are one pointer each: private/validated/shared without per-page memory, split into a bitmap on
 * the first 4 KiB change inside, with every page keeping its state. */
static void test_uniform_ranges(void **state)
{
	(void)state;
	struct fw_rmp *r;
	uint64_t fault = 0;
	const uint64_t two_mb = 2ull << 20, pages = TIB >> 12;
	assert_int_equal(fw_rmp_create(TIB, &r), 0);
	size_t empty = fw_rmp_memory_bytes(r);
	/* the whole terabyte but its first 2 MiB, in 506 MiB steps (the coalesced PSC of 253 2 MiB entries), which
	 * cut across the 1 GiB chunks */
	for (uint64_t gpa = two_mb; gpa < TIB;) {
		uint64_t n = 253 * two_mb < TIB - gpa ? 253 * two_mb : TIB - gpa;
		assert_int_equal(fw_rmp_set_private(r, gpa, n >> 12, true), 0);
		gpa += n;
	}
	assert_int_equal(fw_rmp_count(r, FW_PAGE_PRIVATE), pages - 512);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_SHARED), 512);
	/* only the leaf tables: 8 bytes per 2 MiB, an eighth of a bit per page */
	size_t grown = fw_rmp_memory_bytes(r) - empty;
	assert_true(grown <= (TIB >> 30) * 4096);
	assert_true(8.0 * (double)fw_rmp_memory_bytes(r) / (double)pages < 0.126);
	assert_int_equal(fw_rmp_get(r, two_mb), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_get(r, TIB - 0x1000), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_get(r, two_mb - 0x1000), FW_PAGE_SHARED);
	assert_false(fw_rmp_host_may_access(r, two_mb - 8, 16, &fault));
	assert_int_equal(fault, two_mb);
	assert_int_equal(fw_rmp_next_owned(r, 0), two_mb);
	assert_int_equal(fw_rmp_next_owned(r, 77 * GIB + 0x5000), 77 * GIB + 0x5000);

	/* a 2 MiB PVALIDATE of a uniform range: one pointer, no bitmap */
	assert_int_equal(fw_rmp_pvalidate(r, 4 * two_mb, true, true), FW_PVALIDATE_SUCCESS);
	assert_int_equal(fw_rmp_pvalidate(r, 4 * two_mb, true, true), FW_PVALIDATE_FAIL_NOCHANGE);
	assert_int_equal(fw_rmp_get(r, 4 * two_mb + 0x1FF000), FW_PAGE_VALIDATED);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_VALIDATED), 512);
	assert_int_equal(fw_rmp_memory_bytes(r) - empty, grown);
	/* 4 KiB inside a validated range: it splits, the other 511 pages stay validated */
	assert_int_equal(fw_rmp_pvalidate(r, 4 * two_mb + 0x3000, false, false), FW_PVALIDATE_SUCCESS);
	assert_int_equal(fw_rmp_get(r, 4 * two_mb + 0x3000), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_get(r, 4 * two_mb + 0x2000), FW_PAGE_VALIDATED);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_VALIDATED), 511);
	assert_int_equal(fw_rmp_pvalidate(r, 4 * two_mb, true, true), FW_PVALIDATE_FAIL_SIZEMISMATCH);
	assert_int_equal(fw_rmp_memory_bytes(r) - empty, grown + 128);
	/* a 4 KiB conversion inside a private range splits it the same way */
	assert_int_equal(fw_rmp_set_private(r, 6 * two_mb + 0x10000, 3, false), 0);
	assert_int_equal(fw_rmp_get(r, 6 * two_mb + 0xF000), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_get(r, 6 * two_mb + 0x10000), FW_PAGE_SHARED);
	assert_int_equal(fw_rmp_get(r, 6 * two_mb + 0x12000), FW_PAGE_SHARED);
	assert_int_equal(fw_rmp_get(r, 6 * two_mb + 0x13000), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_next_owned(r, 6 * two_mb + 0x10000), 6 * two_mb + 0x13000);
	assert_true(fw_rmp_host_may_access(r, 6 * two_mb + 0x10000, 0x3000, NULL));
	/* a VMSA page in a uniform range: the range splits, and no conversion may cover the page */
	assert_int_equal(fw_rmp_set(r, 8 * two_mb + 0x4000, FW_PAGE_VMSA), 0);
	assert_int_equal(fw_rmp_get(r, 8 * two_mb + 0x4000), FW_PAGE_VMSA);
	assert_int_equal(fw_rmp_get(r, 8 * two_mb + 0x5000), FW_PAGE_PRIVATE);
	assert_int_equal(fw_rmp_set_private(r, 8 * two_mb, 512, false), -EBUSY);
	assert_int_equal(fw_rmp_get(r, 8 * two_mb), FW_PAGE_PRIVATE); /* nothing changed */
	/* back to shared in whole ranges: the uniform ranges become NULL again, split ones keep their bitmaps */
	assert_int_equal(fw_rmp_set(r, 8 * two_mb + 0x4000, FW_PAGE_SHARED), 0);
	assert_int_equal(fw_rmp_memory_bytes(r) - empty, grown + 3 * 128 + 256); /* + the special table (16 rows) */
	assert_int_equal(fw_rmp_set_private(r, 0, pages, false), 0);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_SHARED), pages);
	assert_true(fw_rmp_host_may_access(r, 0, TIB, NULL));
	assert_int_equal(fw_rmp_next_owned(r, 0), TIB);
	assert_int_equal(fw_rmp_memory_bytes(r) - empty, grown + 3 * 128 + 256); /* nothing new */
	fw_rmp_destroy(r);
}

struct vcpu {
	struct fw_rmp *r;
	uint64_t base;
	int errors;
};

static void *vcpu_run(void *arg)
{
	struct vcpu *v = arg;
	for (int round = 0; round < 20; round++) {
		for (uint64_t i = 0; i < 256; i++) {
			uint64_t gpa = v->base + (i << 12);
			if (fw_rmp_set_private(v->r, gpa, 1, true) || fw_rmp_pvalidate(v->r, gpa, false, true) ||
			    fw_rmp_get(v->r, gpa) != FW_PAGE_VALIDATED)
				v->errors++;
		}
		if (fw_rmp_host_may_access(v->r, v->base, 256 << 12, NULL))
			v->errors++;
		if (fw_rmp_set_private(v->r, v->base, 256, false) ||
		    !fw_rmp_host_may_access(v->r, v->base, 256 << 12, NULL))
			v->errors++;
	}
	return NULL;
}

static void test_concurrent_vcpus(void **state)
{
	(void)state;
	enum { N = 4 };
	struct fw_rmp *r;
	struct vcpu v[N];
	pthread_t th[N];
	assert_int_equal(fw_rmp_create(TIB, &r), 0);
	for (int i = 0; i < N; i++) {
		/* neighbouring pages share 64-bit words and chunks: the CAS paths are exercised */
		v[i] = (struct vcpu){r, (uint64_t)i * (256 << 12) + 300 * GIB, 0};
		assert_int_equal(pthread_create(&th[i], NULL, vcpu_run, &v[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(v[i].errors, 0);
	}
	assert_int_equal(fw_rmp_count(r, FW_PAGE_SHARED), TIB >> 12);
	fw_rmp_destroy(r);
}

/* Whole-range pointer switches racing page-level changes inside the same 2 MiB range (run under TSan too). */
struct racer {
	struct fw_rmp *r;
	int kind;
	int errors;
};

static void *racer_run(void *arg)
{
	struct racer *x = arg;
	const uint64_t base = 3 * GIB;
	for (int round = 0; round < 300; round++) {
		switch (x->kind) {
		case 0: { /* whole range private, then shared: 0, or -EBUSY while the VMSA page exists */
			int a = fw_rmp_set_private(x->r, base, 512, true),
			    b = fw_rmp_set_private(x->r, base, 512, false);
			x->errors += (a && a != -EBUSY) || (b && b != -EBUSY);
			break;
		}
		case 1: { /* 4 KiB and 2 MiB PVALIDATE: any architectural answer, never FAIL_INPUT */
			enum fw_pvalidate_rc a = fw_rmp_pvalidate(x->r, base + 0x5000, false, true);
			enum fw_pvalidate_rc b = fw_rmp_pvalidate(x->r, base, true, round & 1);
			x->errors += a == FW_PVALIDATE_FAIL_INPUT || b == FW_PVALIDATE_FAIL_INPUT;
			break;
		}
		default: /* a VMSA page comes and goes */
			x->errors += fw_rmp_set(x->r, base + 0x9000, FW_PAGE_VMSA) != 0;
			x->errors += fw_rmp_get(x->r, base + 0x9000) != FW_PAGE_VMSA;
			x->errors += fw_rmp_set(x->r, base + 0x9000, FW_PAGE_SHARED) != 0;
			break;
		}
	}
	return NULL;
}

static void test_concurrent_ranges(void **state)
{
	(void)state;
	struct fw_rmp *r;
	struct racer x[3];
	pthread_t th[3];
	assert_int_equal(fw_rmp_create(4 * GIB, &r), 0);
	for (int i = 0; i < 3; i++) {
		x[i] = (struct racer){r, i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, racer_run, &x[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(x[i].errors, 0);
	}
	assert_int_equal(fw_rmp_get(r, 3 * GIB + 0x9000), FW_PAGE_SHARED);
	assert_int_equal(fw_rmp_set_private(r, 3 * GIB, 512, false), 0);
	assert_int_equal(fw_rmp_count(r, FW_PAGE_SHARED), (4 * GIB) >> 12);
	fw_rmp_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create),	     cmocka_unit_test(test_states_and_host_access),
	    cmocka_unit_test(test_pvalidate),	     cmocka_unit_test(test_uniform_ranges),
	    cmocka_unit_test(test_concurrent_vcpus), cmocka_unit_test(test_concurrent_ranges),
	};
	return cmocka_run_group_tests_name("fw/rmp", tests, NULL, NULL);
}

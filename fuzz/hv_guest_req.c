/* SPDX-License-Identifier: MIT */
/*
 * Fuzz SNP guest requests through the engine into the firmware model (spec §10): random request pages (or a
 * validly encrypted key request), random GPAs, RAX/RBX, certificate exits answered with random ret values, the rate
 * limit and private pages.  Every outcome must be a defined exit or a guest answer with SW_EXITINFO1 in {0, 2};
 * a refused request never reaches the firmware.  One seeded firmware guest serves all inputs; its sequence numbers
 * are re-synchronized into the test helper after each input.
 *
 * Input: [0] flags (bit0 EXT, bit1 certificate exits, bit2 RAX valid, bit3 RBX valid, bit4 rate limit 1/s burst 1,
 *        bit5 request page private, bit6 response page private, bit7 valid encrypted key request),
 *        [1] request page index, [2] response page index, [3] message type byte, [4..11] RAX, [12..19] RBX,
 *        then up to 4096 request bytes, then one byte per exit (certificate ret choice).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/snp_msg.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/fw.h>
#include <snpemu/hv.h>

#include "../tests/fw/fw_fixture.h"

#define MEM_PAGES 16u
#define GHCB_GPA  0x1000ull
#define HDR	  20u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fixture fx; /* the fuzzer's one firmware guest (a harness, not library state) */
static int fx_ready;

struct ctx {
	uint64_t priv[2];
};

static int hook(void *c, uint64_t gpa, uint64_t len)
{
	const struct ctx *x = c;
	for (int i = 0; i < 2; i++)
		if (x->priv[i] && gpa < x->priv[i] + 4096 && x->priv[i] < gpa + len)
			return -EACCES;
	return 0;
}

static uint64_t fixed_clock(void *c)
{
	(void)c;
	return 0;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* One request and its exits.  Returns 1 when the VMM gave up (an exit left pending). */
static int one_request(struct hv_vcpu *v, struct snpemu_run *run, struct ghcb *g, struct ctx *x, const uint8_t *answers,
		       size_t nanswers)
{
	struct fw_guest_stats s0, s1;
	fw_guest_stats(fx.g, &s0);
	int r = hv_vcpu_vmgexit(v);
	for (size_t i = 0; r == 0 && i < 16; i++) {
		uint8_t a = i < nanswers ? answers[i] : 0;
		switch (run->exit_reason) {
		case SNPEMU_EXIT_MEMORY_FAULT:
			if (!(a & 1))
				return 1;
			x->priv[0] = x->priv[1] = 0; /* the VMM converts the page and retries */
			break;
		case SNPEMU_EXIT_SNP_REQ_CERTS: {
			static const uint64_t rets[] = {0, ENOSPC, EAGAIN, EIO, 99};
			if (run->snp_req_certs.gpa & 0xFFF)
				abort();
			run->snp_req_certs.ret = rets[a % 5];
			run->snp_req_certs.npages = a;
			break;
		}
		case SNPEMU_EXIT_INTERNAL_ERROR:
			if (run->internal.suberror != HV_INTERNAL_ERROR_BAD_COMPLETION)
				abort();
			break;
		default:
			abort();
		}
		r = hv_vcpu_vmgexit(v);
	}
	if (r < 0)
		abort();
	if (r == 0)
		return 1;
	uint64_t i1 = ghcb_get_sw_exit_info_1(g), i2 = ghcb_get_sw_exit_info_2(g);
	if (i1 != 0 &&
	    !(i1 == GHCB_HV_RESP_MALFORMED_INPUT && i2 >= GHCB_ERR_MISSING_INPUT && i2 <= GHCB_ERR_INVALID_INPUT))
		abort();
	fw_guest_stats(fx.g, &s1);
	/* A refused request (BUSY, INVALID_LEN, GENERIC, malformed) never reached the firmware. */
	if ((i1 != 0 || snp_guest_err_vmm(i2) != 0) && s1.received != s0.received)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	if (!fx_ready) {
		if (fixture_start(&fx, NULL))
			abort();
		fx_ready = 1;
	}
	const uint8_t flags = data[0];
	const uint64_t req = (uint64_t)(data[1] % (MEM_PAGES + 2)) * 4096 + (data[1] >= 0xF0 ? 8 : 0);
	const uint64_t resp = (uint64_t)(data[2] % (MEM_PAGES + 2)) * 4096;
	struct ctx x = {{(flags & 32) ? req & ~0xFFFull : 0, (flags & 64) ? resp : 0}};
	struct hv_vm_config cfg = {.type = HV_VM_TYPE_SNP, .cbit = 51};
	struct hv_vm *vm;
	struct hv_vcpu *v;
	uint8_t *mem = aligned_alloc(4096, MEM_PAGES * 4096);
	if (!mem || hv_vm_create(&cfg, &vm))
		abort();
	memset(mem, 0, MEM_PAGES * 4096);
	if (hv_vm_add_memslot(vm, 0, 0, MEM_PAGES * 4096ull, mem) || hv_vm_set_host_access(vm, hook, &x) ||
	    hv_vm_set_firmware(vm, fx.g) || hv_vm_enable_req_certs(vm, flags & 2) || hv_vcpu_create(vm, 0, &v))
		abort();
	if (flags & 16) {
		if (hv_vm_set_clock(vm, fixed_clock, NULL) || hv_vm_set_guest_req_limit(vm, 1, 1))
			abort();
	}
	struct snpemu_run *run = hv_vcpu_run(v);
	if (hv_vcpu_set_ghcb_msr(v, ghcb_msr_reg_gpa_req(GHCB_GPA >> 12)) || hv_vcpu_vmgexit(v) != 1 ||
	    hv_vcpu_set_ghcb_msr(v, GHCB_GPA))
		abort();

	size_t body = size - HDR < 4096 ? size - HDR : 4096;
	const uint8_t *answers = data + HDR + body;
	size_t nanswers = size - HDR - body;
	if (req + 4096 <= MEM_PAGES * 4096ull && req != GHCB_GPA) {
		if (flags & 128) {
			uint8_t key_req[SNP_KEY_REQ_SIZE] = {0};
			th_encrypt(&fx.t, 0, SNP_MSG_KEY_REQ, key_req, sizeof(key_req), mem + req);
		} else {
			memcpy(mem + req, data + HDR, body);
			mem[req + SNP_MSG_OFF_TYPE] = data[3];
		}
	}
	struct ghcb *g = (struct ghcb *)(mem + GHCB_GPA);
	/* With the rate limit (burst 1, a clock that never advances) the request is sent twice: the resend is BUSY. */
	for (int round = 0; round < ((flags & 16) ? 2 : 1); round++) {
		memset(g, 0, sizeof(*g));
		ghcb_set_sw_exit_code(g, (flags & 1) ? SVM_VMGEXIT_EXT_GUEST_REQUEST : SVM_VMGEXIT_GUEST_REQUEST);
		ghcb_set_sw_exit_info_1(g, req);
		ghcb_set_sw_exit_info_2(g, resp);
		if (flags & 4)
			ghcb_set_rax(g, load64(data + 4));
		if (flags & 8)
			ghcb_set_rbx(g, load64(data + 12));
		if (one_request(v, run, g, &x, answers, nanswers))
			goto done;
	}
done:
	/* Keep the helper's sequence numbers in step with the firmware for the next input. */
	{
		struct fw_guest_context c;
		fw_guest_export(fx.g, &c);
		for (int i = 0; i < 4; i++)
			fx.t.seqno[i] = c.msg_count[i];
		memset(&c, 0, sizeof(c));
	}
	hv_vcpu_destroy(v);
	if (hv_vm_destroy(vm))
		abort();
	free(mem);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the header helpers and decoders with untrusted bytes: the first 8 bytes are an MSR-protocol value, the rest
 * (zero-padded to a page) a GHCB page.  Checks encode/decode round trips as it goes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/psc.h>
#include <snpemu/names.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[32768];
	struct snpemu_text t;
	uint64_t msr = 0;
	memcpy(&msr, data, size < 8 ? size : 8);

	snpemu_text_init(&t, text, sizeof(text));
	snpemu_decode_msr(msr, &t);
	if (t.len >= sizeof(text) || text[t.len] != '\0')
		abort();

	/* Round trips: decoding then re-encoding keeps every field the encoder defines. */
	if (ghcb_msr_psc_req(ghcb_msr_psc_gfn(msr), ghcb_msr_psc_op(msr)) !=
	    (msr & ((0xFull << 52) | (GHCB_MSR_PSC_GFN_MASK << 12))) + GHCB_MSR_PSC_REQ)
		abort();
	if (ghcb_msr_term_set(ghcb_msr_term_req(ghcb_msr_term_set(msr), ghcb_msr_term_code(msr))) !=
	    ghcb_msr_term_set(msr))
		abort();
	uint64_t e =
	    psc_entry_make(psc_entry_gfn(msr), psc_entry_op(msr), psc_entry_pagesize(msr), psc_entry_cur_page(msr));
	if (e != (msr & ((1ull << 57) - 1)))
		abort();

	static struct ghcb page;
	memset(&page, 0, sizeof(page));
	if (size > 8)
		memcpy(page.bytes, data + 8, size - 8 < sizeof(page) ? size - 8 : sizeof(page));
	snpemu_text_init(&t, text, sizeof(text));
	snpemu_decode_ghcb(page.bytes, sizeof(page), &t);
	if (t.len >= sizeof(text))
		abort();
	snpemu_decode_ghcb(page.bytes, size, &t);
	return 0;
}

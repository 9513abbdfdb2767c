/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the GHCB-dump decoders behind `snpemu decode ghcb` (text and JSON) and the PSC descriptor decoder behind
 * `snpemu decode psc`, with the input as given and zero-padded to a page.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/names.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* JSON validity is checked in tests/cli; here only the shape, so that a smoke run stays short. */
static void check_json(char *js)
{
	if (js && js[0] != '{')
		abort();
	free(js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t page[GHCB_PAGE_SIZE];
	static char text[65536];
	struct snpemu_text t;
	memset(page, 0, sizeof(page));
	memcpy(page, data, size < sizeof(page) ? size : sizeof(page));

	snpemu_text_init(&t, text, sizeof(text));
	snpemu_decode_ghcb(page, sizeof(page), &t);
	if (t.len >= sizeof(text) || text[t.len] != '\0')
		abort();
	char *js = snpemu_decode_ghcb_json(page, sizeof(page));
	if (!js)
		abort(); /* a whole page always decodes */
	check_json(js);
	if (size != GHCB_PAGE_SIZE && snpemu_decode_ghcb_json(data, size))
		abort(); /* only a whole page is a GHCB dump */

	/* The same bytes as a PSC descriptor: valid ones decode, invalid ones are refused with a reason. */
	char why[128];
	int valid = snpemu_psc_validate(data, size, why, sizeof(why)) == 0;
	snpemu_text_init(&t, text, sizeof(text));
	snpemu_decode_psc(data, size, &t);
	if (!valid != !strncmp(text, "error:", 6))
		abort();
	js = snpemu_decode_psc_json(data, size);
	if (valid != (js != NULL))
		abort();
	check_json(js);
	return 0;
}

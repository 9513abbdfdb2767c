/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the extended-request certificate table parser (and the X.509 parsing of its blobs): a parsed table's
 * entries must lie after the table and inside the buffer, and its descriptions must be well-formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snpemu/attest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct attest_cert_table t;
	static char text[16384];
	struct snpemu_text tx;
	if (attest_cert_table_parse(data, size, &t)) {
		if (!t.error[0] || !memchr(t.error, 0, sizeof(t.error)))
			abort();
		return 0;
	}
	if (t.table_size != (t.count + 1) * SNP_CERT_ENTRY_SIZE || t.table_size > size || t.blob_end > size)
		abort();
	for (unsigned int i = 0; i < t.count; i++) {
		const struct attest_cert_entry *e = &t.entries[i];
		if (e->offset < t.table_size || (uint64_t)e->offset + e->length > size || !e->length)
			abort();
		/* The leaf certificates exercise the KDS extension reader; ARK/ASK blobs would only re-fuzz OpenSSL's
		 * DER parser at the cost of a slow smoke run. */
		if (e->kind == ATTEST_CERT_VCEK || e->kind == ATTEST_CERT_VLEK)
			attest_cert_parse_check(data + e->offset, e->length);
	}
	snpemu_text_init(&tx, text, sizeof(text));
	attest_cert_table_describe(&t, &tx);
	if (tx.len >= sizeof(text) || text[tx.len] != '\0')
		abort();
	char *js = attest_cert_table_json(&t);
	if (js && js[0] != '{')
		abort();
	free(js);
	return 0;
}

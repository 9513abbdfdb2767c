/* SPDX-License-Identifier: MIT */
/*
 * Expected launch measurement: vCPU signatures, VMSA contents, the SEV hashes page and whole launch digests, each
 * checked against an independent computation written here from snp-firmware-abi.md §6 (PAGE_INFO chained by hand,
 * SHA-384/SHA-256 from the openssl command), against known answers published by sev-snp-measure-go, and the
 * `snpemu measure` command line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>
#include <snpemu/attest.h>

#include "common/hex.h"
#include "ovmf_image.h"

/* ---- independent helpers --------------------------------------------------------------------------------- */

static char tmpdir[64];

/* `openssl dgst -<alg> -binary` of a buffer. */
static void openssl_digest(const char *alg, const void *data, size_t len, uint8_t *out, size_t out_len)
{
	char path[128], cmd[256];
	snprintf(path, sizeof(path), "%s/dgst-in", tmpdir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "openssl dgst -%s -binary %s", alg, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fread(out, 1, out_len, p), out_len);
	pclose(p);
}

/* One LAUNCH_UPDATE by hand (§6.2): LD = SHA384(LD || contents || 0x70 || type || 0 || 0 0 0 0 || gpa). */
static void hand_update(uint8_t ld[48], int type, uint64_t gpa, const uint8_t *page)
{
	uint8_t info[0x70] = {0};
	memcpy(info, ld, 48);
	if (page)
		openssl_digest("sha384", page, 4096, info + 0x30, 48);
	info[0x60] = 0x70;
	info[0x62] = (uint8_t)type;
	for (int i = 0; i < 8; i++)
		info[0x68 + i] = (uint8_t)(gpa >> (8 * i));
	openssl_digest("sha384", info, sizeof(info), ld, 48);
}

static void put_seg(uint8_t *p, unsigned sel, unsigned attr, uint32_t limit, uint64_t base)
{
	t_put16(p, sel);
	t_put16(p + 2, attr);
	t_put32(p + 4, limit);
	le64_store(p + 8, base);
}

/* The VMSA of §6.3's table, written field by field. */
static void hand_vmsa(uint8_t page[4096], uint32_t eip, int vmm, int ec2_version, uint32_t sig, uint64_t features)
{
	int bsp = eip == 0xFFFFFFF0u;
	memset(page, 0, 4096);
	unsigned cs = 0x9B, ss = 0x93, tr = 0x8B;
	uint64_t rdx = sig, pat = 0x0007040600070406ull;
	uint32_t mxcsr = 0x1F80;
	unsigned fcw = 0x37F;
	if (vmm == ATTEST_VMM_EC2) {
		cs = bsp ? 0x9A : 0x9B;
		ss = 0x92;
		tr = 0x83;
		rdx = ec2_version == 1 ? 0 : 0x600;
		mxcsr = fcw = 0;
	} else if (vmm == ATTEST_VMM_GCE) {
		pat = 0x00070106;
		rdx = 0x600;
		mxcsr = fcw = 0;
	}
	put_seg(page + 0x00, 0, 0x93, 0xFFFF, 0);
	put_seg(page + 0x10, 0xF000, cs, 0xFFFF, eip & 0xFFFF0000u);
	put_seg(page + 0x20, 0, ss, 0xFFFF, 0);
	put_seg(page + 0x30, 0, 0x93, 0xFFFF, 0);
	put_seg(page + 0x40, 0, 0x93, 0xFFFF, 0);
	put_seg(page + 0x50, 0, 0x93, 0xFFFF, 0);
	put_seg(page + 0x60, 0, 0, 0xFFFF, 0);
	put_seg(page + 0x70, 0, 0x82, 0xFFFF, 0);
	put_seg(page + 0x80, 0, 0, 0xFFFF, 0);
	put_seg(page + 0x90, 0, tr, 0xFFFF, 0);
	le64_store(page + 0xD0, 0x1000);
	le64_store(page + 0x148, 0x40);
	le64_store(page + 0x158, 0x10);
	le64_store(page + 0x160, 0x400);
	le64_store(page + 0x168, 0xFFFF0FF0);
	le64_store(page + 0x170, 0x2);
	le64_store(page + 0x178, eip & 0xFFFF);
	le64_store(page + 0x268, pat);
	le64_store(page + 0x310, rdx);
	le64_store(page + 0x3B0, features);
	le64_store(page + 0x3E8, 0x1);
	t_put32(page + 0x408, mxcsr);
	t_put16(page + 0x410, fcw);
}

struct hand_kernel {
	const char *kernel, *initrd, *cmdline;
};

/* The SEV hashes page: QEMU's table {GUID, u16 168, 3 x {GUID, u16 50, SHA-256}} at `offset`, padded to 176. */
static void hand_hashes_page(uint8_t page[4096], uint32_t offset, const struct hand_kernel *k)
{
	memset(page, 0, 4096);
	uint8_t *p = page + offset;
	t_guid(T_GUID_HT_HEADER, p);
	t_put16(p + 16, 168);
	const char *guids[3] = {T_GUID_HT_CMDLINE, T_GUID_HT_INITRD, T_GUID_HT_KERNEL};
	for (int i = 0; i < 3; i++) {
		uint8_t *e = p + 18 + 50 * i;
		t_guid(guids[i], e);
		t_put16(e + 16, 50);
		if (i == 0)
			openssl_digest("sha256", k->cmdline, strlen(k->cmdline) + 1, e + 18, 32);
		else if (i == 1)
			openssl_digest("sha256", k->initrd, strlen(k->initrd), e + 18, 32);
		else
			openssl_digest("sha256", k->kernel, strlen(k->kernel), e + 18, 32);
	}
}

/* The whole §6.3 sequence by hand. */
static void hand_measure(const uint8_t *img, const struct t_image_spec *s, int vmm, int ec2_version, unsigned vcpus,
			 uint32_t sig, uint64_t features, const struct hand_kernel *k, uint8_t ld[48])
{
	memset(ld, 0, 48);
	for (size_t off = 0; off < s->len; off += 4096)
		hand_update(ld, 1, 0x100000000ull - s->len + off, img + off);
	uint8_t page[4096];
	for (unsigned i = 0; i < s->n_sections; i++) {
		const struct t_section *sec = &s->sections[i];
		for (uint32_t off = 0; off < sec->size; off += 4096) {
			if (sec->type == 1)
				hand_update(ld, vmm == ATTEST_VMM_GCE ? 4 : 3, sec->gpa + off, NULL);
			else if (sec->type == 2)
				hand_update(ld, 5, sec->gpa, NULL);
			else if (sec->type == 3 && vmm != ATTEST_VMM_EC2)
				hand_update(ld, 6, sec->gpa, NULL);
			else if (sec->type == 4)
				hand_update(ld, 3, sec->gpa + off, NULL);
			else if (sec->type == 0x10 && k) {
				hand_hashes_page(page, s->hashes_gpa & 0xFFF, k);
				hand_update(ld, 1, sec->gpa, page);
			} else if (sec->type == 0x10)
				hand_update(ld, 3, sec->gpa + off, NULL);
		}
	}
	for (unsigned i = 0; vmm == ATTEST_VMM_EC2 && i < s->n_sections; i++)
		if (s->sections[i].type == 3)
			hand_update(ld, 6, s->sections[i].gpa, NULL);
	for (unsigned i = 0; i < vcpus; i++) {
		hand_vmsa(page, i ? s->reset_eip : 0xFFFFFFF0u, vmm, ec2_version, sig, features);
		hand_update(ld, 2, 0xFFFFFFFFF000ull, page);
	}
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/snpemu-measure-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#define IMG_LEN 0x2000u
static uint8_t img[IMG_LEN];

static struct t_image_spec make_image(void)
{
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	struct t_image_layout lay;
	t_image_build(img, &s, &lay);
	for (size_t i = 0; i < 0x800; i++) /* vary the body so that page contents matter */
		img[i] = (uint8_t)(i * 13 + 7);
	return s;
}

static void compute_hashes(struct attest_kernel_hashes *h, const struct hand_kernel *k)
{
	assert_int_equal(attest_kernel_hashes_compute(h, (const uint8_t *)k->kernel, strlen(k->kernel),
						      (const uint8_t *)k->initrd, strlen(k->initrd), k->cmdline),
			 0);
}

static const struct hand_kernel kernel_files = {"a kernel image", "an initrd", "console=ttyS0 loglevel=7"};

/* ---- tests ----------------------------------------------------------------------------------------------- */

static void test_vcpu_signatures(void **state)
{
	(void)state;
	uint32_t sig = 0;
	/* sev-snp-measure README: --vcpu-type=EPYC-v4 == --vcpu-sig=0x800f12 == family 23 model 1 stepping 2. */
	assert_int_equal(attest_vcpu_type_sig("EPYC-v4", &sig), 0);
	assert_int_equal(sig, 0x800F12);
	assert_int_equal(attest_vcpu_sig(23, 1, 2), 0x800F12);
	assert_int_equal(attest_vcpu_type_sig("EPYC-Milan", &sig), 0);
	assert_int_equal(sig, 0xA00F11);
	assert_int_equal(attest_vcpu_type_sig("epyc-genoa", &sig), 0);
	assert_int_equal(sig, 0xA10F10);
	assert_int_equal(attest_vcpu_type_sig("EPYC-Rome-v3", &sig), 0);
	assert_int_equal(sig, 0x830F10);
	assert_int_equal(attest_vcpu_sig(6, 0x55, 7), 0x50657); /* family <= 0xF: no extended family */
	assert_int_equal(attest_vcpu_type_sig("EPYC-Turin", &sig), -ENOENT);
	assert_string_equal(attest_vcpu_type_name(0), "EPYC");
	assert_null(attest_vcpu_type_name(15));

	enum attest_vmm_type vmm;
	assert_int_equal(attest_vmm_type_parse("QEMU", &vmm), 0);
	assert_int_equal(vmm, ATTEST_VMM_QEMU);
	assert_int_equal(attest_vmm_type_parse("ec2", &vmm), 0);
	assert_int_equal(vmm, ATTEST_VMM_EC2);
	assert_int_equal(attest_vmm_type_parse("gce", &vmm), 0);
	assert_int_equal(vmm, ATTEST_VMM_GCE);
	assert_int_equal(attest_vmm_type_parse("krun", &vmm), -EINVAL);
}

static void test_vmsa_contents(void **state)
{
	(void)state;
	static const struct {
		enum attest_vmm_type vmm;
		unsigned version;
		int ec2_version;
	} cases[] = {{ATTEST_VMM_QEMU, 0, 0}, {ATTEST_VMM_QEMU, 1, 0}, {ATTEST_VMM_EC2, 0, 2},
		     {ATTEST_VMM_EC2, 1, 1},  {ATTEST_VMM_EC2, 2, 2},  {ATTEST_VMM_GCE, 0, 0}};
	uint8_t got[4096], want[4096];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct attest_vmsa_params p = {cases[i].vmm, cases[i].version, 0xA10F10, 0x21};
		const uint32_t eips[2] = {ATTEST_VMSA_BSP_EIP, 0x80B004};
		for (int e = 0; e < 2; e++) {
			assert_int_equal(attest_vmsa_build(got, eips[e], &p), 0);
			hand_vmsa(want, eips[e], cases[i].vmm, cases[i].ec2_version, 0xA10F10, 0x21);
			assert_memory_equal(got, want, 4096);
		}
	}
	struct attest_vmsa_params bad = {ATTEST_VMM_QEMU, 2, 0, 1};
	assert_int_equal(attest_vmsa_build(got, ATTEST_VMSA_BSP_EIP, &bad), ATTEST_MEASURE_E_VMM);
	bad = (struct attest_vmsa_params){ATTEST_VMM_EC2, 3, 0, 1};
	assert_int_equal(attest_vmsa_build(got, ATTEST_VMSA_BSP_EIP, &bad), ATTEST_MEASURE_E_VMM);
	bad = (struct attest_vmsa_params){(enum attest_vmm_type)9, 0, 0, 1};
	assert_int_equal(attest_vmsa_build(got, ATTEST_VMSA_BSP_EIP, &bad), ATTEST_MEASURE_E_VMM);
}

static void test_sev_hashes_page(void **state)
{
	(void)state;
	struct attest_kernel_hashes h;
	uint8_t got[4096], want[4096];
	compute_hashes(&h, &kernel_files);
	const uint32_t offsets[3] = {0, 0x400, 4096 - 176};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(attest_sev_hashes_page(got, offsets[i], &h), 0);
		hand_hashes_page(want, offsets[i], &kernel_files);
		assert_memory_equal(got, want, 4096);
	}
	assert_int_equal(attest_sev_hashes_page(got, 4096 - 175, &h), ATTEST_MEASURE_E_HASHES_OFFSET);

	/* No initrd hashes nothing; no command line hashes the lone NUL. */
	struct attest_kernel_hashes bare;
	assert_int_equal(attest_kernel_hashes_compute(&bare, (const uint8_t *)"k", 1, NULL, 0, NULL), 0);
	uint8_t d[32];
	openssl_digest("sha256", "", 0, d, 32);
	assert_memory_equal(bare.initrd, d, 32);
	openssl_digest("sha256", "", 1, d, 32);
	assert_memory_equal(bare.cmdline, d, 32);
}

static void check_launch(enum attest_vmm_type vmm, unsigned version, int ec2_version, unsigned vcpus, int with_kernel)
{
	struct t_image_spec s = make_image();
	struct attest_kernel_hashes h;
	compute_hashes(&h, &kernel_files);
	struct attest_measure_input in = {
	    .ovmf = img,
	    .ovmf_len = IMG_LEN,
	    .vcpus = vcpus,
	    .vmsa = {vmm, version, 0x800F12, 0x1},
	    .kernel_hashes = with_kernel ? &h : NULL,
	};
	uint8_t got[48], want[48];
	struct attest_ovmf_info info;
	assert_int_equal(attest_measure_snp(&in, got, &info), 0);
	assert_int_equal(info.n_sections, s.n_sections);
	hand_measure(img, &s, vmm, ec2_version, vcpus, 0x800F12, 0x1, with_kernel ? &kernel_files : NULL, want);
	assert_memory_equal(got, want, 48);
}

static void test_qemu_launch_matches_hand_chain(void **state)
{
	(void)state;
	check_launch(ATTEST_VMM_QEMU, 0, 0, 3, 1);
	check_launch(ATTEST_VMM_QEMU, 0, 0, 1, 0);
}

static void test_ec2_gce_launch_matches_hand_chain(void **state)
{
	(void)state;
	check_launch(ATTEST_VMM_EC2, 0, 2, 2, 0);
	check_launch(ATTEST_VMM_EC2, 1, 1, 2, 1);
	check_launch(ATTEST_VMM_GCE, 0, 0, 2, 0);
}

/* Known answers from virtee/sev-snp-measure-go guest/guest_test.go and guest/testdata/ovmf_img_{1,2}.json, made with
 * `sev-snp-measure.py --mode snp --vcpus 2 --vmm-type ec2 --snp-ovmf-hash H` before EC2 moved RDX to 0x600 (our
 * EC2 version 1): the metadata of an AmdSev-style OVMF, reset EIP 0x80b004, guest features 0x1.  With the OVMF
 * hash given, only the image's tables are read, so a synthetic image with the same tables reproduces them. */
static void test_known_answers_sev_snp_measure_go(void **state)
{
	(void)state;
	static const struct {
		const char *ovmf_hash, *digest;
	} kat[] = {
	    {"a58211791a556a630a4319dc9e2ea96cc0e9784dd9f20a4fadf81b26c98d163fcdcb6703884bbbb80d7b1de45b3d84d0",
	     "4c6e33087d08fa770259484dddbef367086a15c3e2cf10038dc97229d39c942671c2e22b300178f8de594a3f2fa59303"},
	    {"2027a27bb9f7acfd280e4c7bd68a73973b94bf0756e5b282e004b9395f597b8d0eb4defa7d8f6549375aa4d2b146f0f3",
	     "c2c84b9364fc9f0f54b04534768c860c6e0e386ad98b96e8b98eca46ac8971d05c531ba48373f054c880cfd1f4a0a84e"},
	};
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	s.n_sections = 5;
	s.sections[0] = (struct t_section){0x800000, 0x9000, 1};
	s.sections[1] = (struct t_section){0x80A000, 0x3000, 1};
	s.sections[2] = (struct t_section){0x80D000, 0x1000, 2};
	s.sections[3] = (struct t_section){0x80E000, 0x1000, 3};
	s.sections[4] = (struct t_section){0x80F000, 0x11000, 1};
	struct t_image_layout lay;
	t_image_build(img, &s, &lay);
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		uint8_t seed[48], want[48], got[48];
		assert_int_equal(snpemu_hex_decode(kat[i].ovmf_hash, 48, seed), 0);
		assert_int_equal(snpemu_hex_decode(kat[i].digest, 48, want), 0);
		struct attest_measure_input in = {.ovmf = img,
						  .ovmf_len = IMG_LEN,
						  .ovmf_hash = seed,
						  .vcpus = 2,
						  .vmsa = {ATTEST_VMM_EC2, 1, 0, 0x1}};
		assert_int_equal(attest_measure_snp(&in, got, NULL), 0);
		assert_memory_equal(got, want, 48);
		/* The current EC2 VMSA (RDX 0x600) gives another digest. */
		in.vmsa.vmm_version = 0;
		assert_int_equal(attest_measure_snp(&in, got, NULL), 0);
		assert_memory_not_equal(got, want, 48);
	}
}

static void test_ovmf_hash_seed(void **state)
{
	(void)state;
	struct t_image_spec s = make_image();
	uint8_t hash[48], want[48];
	assert_int_equal(attest_measure_ovmf_hash(img, IMG_LEN, hash), 0);
	memset(want, 0, 48);
	for (size_t off = 0; off < IMG_LEN; off += 4096)
		hand_update(want, 1, 0x100000000ull - IMG_LEN + off, img + off);
	assert_memory_equal(hash, want, 48);
	assert_int_equal(attest_measure_ovmf_hash(img, IMG_LEN - 1, hash), ATTEST_MEASURE_E_IMAGE_SIZE);
	assert_int_equal(attest_measure_ovmf_hash(img, 0, hash), ATTEST_MEASURE_E_IMAGE_SIZE);

	/* Starting from the OVMF hash gives the full digest, whatever the rest of the image holds. */
	assert_int_equal(attest_measure_ovmf_hash(img, IMG_LEN, hash), 0);
	struct attest_measure_input in = {
	    .ovmf = img, .ovmf_len = IMG_LEN, .vcpus = 2, .vmsa = {ATTEST_VMM_QEMU, 0, 1, 1}};
	uint8_t full[48], seeded[48];
	assert_int_equal(attest_measure_snp(&in, full, NULL), 0);
	memset(img, 0xEE, 0x800);
	in.ovmf_hash = hash;
	assert_int_equal(attest_measure_snp(&in, seeded, NULL), 0);
	assert_memory_equal(full, seeded, 48);
	(void)s;
}

static int measure_spec(struct t_image_spec *s, size_t len, unsigned vcpus, const struct attest_kernel_hashes *h,
			struct attest_vmsa_params p)
{
	struct t_image_layout lay;
	t_image_build(img, s, &lay);
	struct attest_measure_input in = {.ovmf = img, .ovmf_len = len, .vcpus = vcpus, .vmsa = p, .kernel_hashes = h};
	uint8_t d[48];
	return attest_measure_snp(&in, d, NULL);
}

static void test_measure_errors(void **state)
{
	(void)state;
	struct attest_kernel_hashes h;
	compute_hashes(&h, &kernel_files);
	struct attest_vmsa_params qemu = {ATTEST_VMM_QEMU, 0, 0x800F12, 1};
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, &h, qemu), 0);

	s = t_amdsev_spec(IMG_LEN - 0x800); /* 6 KiB */
	s.metadata_pos = 0x100;
	assert_int_equal(measure_spec(&s, IMG_LEN - 0x800, 1, NULL, qemu), ATTEST_MEASURE_E_IMAGE_SIZE);
	s = t_amdsev_spec(IMG_LEN);
	assert_int_equal(measure_spec(&s, IMG_LEN, 0, NULL, qemu), ATTEST_MEASURE_E_VCPUS);
	assert_int_equal(measure_spec(&s, IMG_LEN, ATTEST_MEASURE_MAX_VCPUS + 1, NULL, qemu), ATTEST_MEASURE_E_VCPUS);
	struct attest_vmsa_params bad = {ATTEST_VMM_GCE, 2, 0, 1};
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, NULL, bad), ATTEST_MEASURE_E_VMM);

	s.has_reset = 0;
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, NULL, qemu), ATTEST_MEASURE_E_NO_RESET_BLOCK);
	s = t_amdsev_spec(IMG_LEN);
	s.reset_eip = 0;
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, NULL, qemu), 0);
	assert_int_equal(measure_spec(&s, IMG_LEN, 2, NULL, qemu), ATTEST_MEASURE_E_NO_RESET_BLOCK);

	s = t_amdsev_spec(IMG_LEN);
	s.n_sections = 4; /* drop SNP_KERNEL_HASHES and SVSM_CAA */
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, NULL, qemu), 0);
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, &h, qemu), ATTEST_MEASURE_E_NO_HASHES_SECTION);
	s = t_amdsev_spec(IMG_LEN);
	s.has_hashes = 0;
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, &h, qemu), ATTEST_MEASURE_E_NO_HASHES_TABLE);
	s = t_amdsev_spec(IMG_LEN);
	s.sections[4].size = 0x2000;
	s.sections[5].gpa = 0x811000;
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, NULL, qemu), 0);
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, &h, qemu), ATTEST_MEASURE_E_HASHES_SIZE);
	s = t_amdsev_spec(IMG_LEN);
	s.hashes_gpa = 0x80FF51;
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, &h, qemu), ATTEST_MEASURE_E_HASHES_OFFSET);

	/* Parser errors come through unchanged. */
	s = t_amdsev_spec(IMG_LEN);
	s.sections[0].type = 9;
	assert_int_equal(measure_spec(&s, IMG_LEN, 1, NULL, qemu), ATTEST_OVMF_E_SECTION_TYPE);
	for (int e = ATTEST_MEASURE_E_IMAGE_SIZE; e >= ATTEST_MEASURE_E_VMM; e--)
		assert_string_not_equal(attest_measure_strerror(e), "unknown measurement error");
	assert_string_equal(attest_measure_strerror(-100), "unknown measurement error");
}

/* ---- the command line ------------------------------------------------------------------------------------ */

static char cli_path[4096];
static char cli_out[8192], cli_err[8192];

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* Run `snpemu measure ARGS` (ARGS already shell-quoted); returns its exit status. */
static int run_cli(const char *fmt, ...)
{
	char args[2048], cmd[8192], out[128], err[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s/cli-out", tmpdir);
	snprintf(err, sizeof(err), "%s/cli-err", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s' measure %s >%s 2>%s", cli_path, args, out, err);
	int st = system(cmd);
	slurp(out, cli_out, sizeof(cli_out));
	slurp(err, cli_err, sizeof(cli_err));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *name, const void *data, size_t len, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void to_hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int find_cli(void)
{
	/* tests/fw/test_measure sits two directories below the build directory that holds snpemu. */
	char self[2048];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	for (int i = 0; i < 3; i++) {
		char *slash = strrchr(self, '/');
		if (!slash)
			return -1;
		*slash = 0;
	}
	snprintf(cli_path, sizeof(cli_path), "%s/snpemu", self);
	return access(cli_path, X_OK);
}

static void test_cli_digests(void **state)
{
	(void)state;
	if (find_cli())
		skip();
	make_image();
	char ovmf[256], kernel[256], initrd[256], want[200], line[256];
	write_file("ovmf.fd", img, IMG_LEN, ovmf, sizeof(ovmf));
	write_file("vmlinuz", kernel_files.kernel, strlen(kernel_files.kernel), kernel, sizeof(kernel));
	write_file("initrd", kernel_files.initrd, strlen(kernel_files.initrd), initrd, sizeof(initrd));

	struct attest_kernel_hashes h;
	compute_hashes(&h, &kernel_files);
	struct attest_measure_input in = {.ovmf = img,
					  .ovmf_len = IMG_LEN,
					  .vcpus = 3,
					  .vmsa = {ATTEST_VMM_QEMU, 0, 0x800F12, 0x1},
					  .kernel_hashes = &h};
	uint8_t d[48];
	assert_int_equal(attest_measure_snp(&in, d, NULL), 0);
	to_hex(d, 48, want);
	snprintf(line, sizeof(line), "%s\n", want);

	assert_int_equal(run_cli("--mode snp --vcpus 3 --vcpu-type EPYC-v4 --ovmf %s --kernel %s --initrd %s "
				 "--append 'console=ttyS0 loglevel=7'",
				 ovmf, kernel, initrd),
			 0);
	assert_string_equal(cli_out, line);
	assert_int_equal(run_cli("--vcpus 3 --vcpu-sig 0x800f12 --ovmf %s --kernel %s --initrd %s "
				 "--append 'console=ttyS0 loglevel=7' --guest-features 0x1",
				 ovmf, kernel, initrd),
			 0);
	assert_string_equal(cli_out, line);
	assert_int_equal(run_cli("--vcpus 3 --vcpu-family 23 --vcpu-model 1 --vcpu-stepping 2 --ovmf %s --kernel %s "
				 "--initrd %s --append 'console=ttyS0 loglevel=7' --vmm-type QEMU",
				 ovmf, kernel, initrd),
			 0);
	assert_string_equal(cli_out, line);

	/* base64 of the same digest (RFC 4648, checked against the openssl command). */
	char b64cmd[512], b64[128], path[256];
	write_file("digest.bin", d, 48, path, sizeof(path));
	snprintf(b64cmd, sizeof(b64cmd), "openssl base64 -A -in %s", path);
	FILE *p = popen(b64cmd, "r");
	assert_non_null(p);
	size_t n = fread(b64, 1, sizeof(b64) - 1, p);
	b64[n] = 0;
	pclose(p);
	assert_int_equal(run_cli("--vcpus 3 --vcpu-type EPYC-v4 --ovmf %s --kernel %s --initrd %s "
				 "--append 'console=ttyS0 loglevel=7' --output-format base64",
				 ovmf, kernel, initrd),
			 0);
	strcat(b64, "\n");
	assert_string_equal(cli_out, b64);

	/* snp:ovmf-hash, then that hash as the seed: same digest without the kernel. */
	uint8_t oh[48];
	char ohex[100];
	assert_int_equal(attest_measure_ovmf_hash(img, IMG_LEN, oh), 0);
	to_hex(oh, 48, ohex);
	assert_int_equal(run_cli("--mode snp:ovmf-hash --ovmf %s", ovmf), 0);
	assert_int_equal(strncmp(cli_out, ohex, 96), 0);
	/* The image from stdin (`-`): the same hash. */
	char piped[600];
	snprintf(piped, sizeof(piped), "--mode snp:ovmf-hash --ovmf=- < %s", ovmf);
	assert_int_equal(run_cli("%s", piped), 0);
	assert_int_equal(strncmp(cli_out, ohex, 96), 0);
	assert_int_equal(run_cli("-v --mode snp:ovmf-hash --ovmf %s", ovmf), 0);
	assert_int_equal(strncmp(cli_out, "Calculated SNP OVMF hash: ", 26), 0);
	assert_int_equal(strncmp(cli_out + 26, ohex, 96), 0);
	in.kernel_hashes = NULL;
	in.vcpus = 2;
	assert_int_equal(attest_measure_snp(&in, d, NULL), 0);
	to_hex(d, 48, want);
	assert_int_equal(run_cli("--vcpus 2 --vcpu-type EPYC-v4 --ovmf %s --snp-ovmf-hash %s", ovmf, ohex), 0);
	assert_int_equal(strncmp(cli_out, want, 96), 0);

	/* EC2 and GCE need no vCPU type. */
	assert_int_equal(run_cli("--vcpus 2 --vmm-type ec2 --ovmf %s", ovmf), 0);
	assert_int_equal(strlen(cli_out), 97);
	assert_int_equal(run_cli("--vcpus 2 --vmm-type gce --ovmf %s", ovmf), 0);
}

static void test_cli_dump_vmsa(void **state)
{
	(void)state;
	if (find_cli())
		skip();
	make_image();
	char ovmf[256], dir[256], path[300];
	write_file("ovmf.fd", img, IMG_LEN, ovmf, sizeof(ovmf));
	snprintf(dir, sizeof(dir), "%s/vmsas", tmpdir);
	assert_int_equal(
	    run_cli("--vcpus 3 --vcpu-type EPYC-Milan --guest-features 0x21 --ovmf %s --dump-vmsa %s", ovmf, dir), 0);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/vmsa%u.bin", dir, i);
		FILE *f = fopen(path, "rb");
		if (i == 3) {
			assert_null(f);
			break;
		}
		assert_non_null(f);
		uint8_t got[4097], want[4096];
		assert_int_equal(fread(got, 1, sizeof(got), f), 4096);
		fclose(f);
		hand_vmsa(want, i ? 0x80B004 : 0xFFFFFFF0u, ATTEST_VMM_QEMU, 0, 0xA00F11, 0x21);
		assert_memory_equal(got, want, 4096);
	}
}

static void expect_cli_error(int status, const char *needle, const char *fmt, const char *arg)
{
	assert_int_equal(run_cli(fmt, arg), status);
	assert_string_equal(cli_out, "");
	if (!strstr(cli_err, needle))
		fail_msg("stderr '%s' lacks '%s'", cli_err, needle);
}

static void test_cli_errors(void **state)
{
	(void)state;
	if (find_cli())
		skip();
	char ovmf[256], cut[256], bad[256], nokh[256];
	struct t_image_spec s = t_amdsev_spec(IMG_LEN);
	struct t_image_layout lay;
	s.n_sections = 4; /* no SNP_KERNEL_HASHES section */
	t_image_build(img, &s, &lay);
	write_file("nokh.fd", img, IMG_LEN, nokh, sizeof(nokh));
	make_image();
	write_file("ovmf.fd", img, IMG_LEN, ovmf, sizeof(ovmf));
	write_file("cut.fd", img, 40, cut, sizeof(cut));
	img[IMG_LEN - 0x800] = 'X'; /* breaks the "ASEV" signature */
	write_file("bad.fd", img, IMG_LEN, bad, sizeof(bad));

	expect_cli_error(2, "--ovmf FILE is required", "--vcpus 1 --vcpu-type EPYC%s", "");
	expect_cli_error(2, "--vcpus N is required", "--vcpu-type EPYC --ovmf %s", ovmf);
	expect_cli_error(2, "bad --vcpus", "--vcpus 0 --vcpu-type EPYC --ovmf %s", ovmf);
	expect_cli_error(2, "bad --vcpus", "--vcpus 2x --vcpu-type EPYC --ovmf %s", ovmf);
	expect_cli_error(2, "unknown --vcpu-type", "--vcpus 1 --vcpu-type EPYC-Turin --ovmf %s", ovmf);
	expect_cli_error(2, "missing --vcpu-type", "--vcpus 1 --ovmf %s", ovmf);
	expect_cli_error(2, "only one of", "--vcpus 1 --vcpu-type EPYC --vcpu-sig 1 --ovmf %s", ovmf);
	expect_cli_error(2, "go together", "--vcpus 1 --vcpu-family 25 --ovmf %s", ovmf);
	expect_cli_error(2, "need --kernel", "--vcpus 1 --vcpu-type EPYC --initrd x --ovmf %s", ovmf);
	expect_cli_error(2, "bad --snp-ovmf-hash", "--vcpus 1 --vcpu-type EPYC --snp-ovmf-hash 00zz --ovmf %s", ovmf);
	expect_cli_error(2, "unknown --vmm-type", "--vcpus 1 --vmm-type krun --ovmf %s", ovmf);
	expect_cli_error(2, "bad --vmm-version", "--vcpus 1 --vmm-type ec2 --vmm-version 0 --ovmf %s", ovmf);
	expect_cli_error(2, "unknown VMM type or version", "--vcpus 1 --vmm-type ec2 --vmm-version 3 --ovmf %s", ovmf);
	expect_cli_error(2, "bad --guest-features", "--vcpus 1 --vcpu-type EPYC --guest-features -1 --ovmf %s", ovmf);
	expect_cli_error(2, "bad --output-format", "--vcpus 1 --vcpu-type EPYC --output-format json --ovmf %s", ovmf);
	expect_cli_error(2, "unsupported --mode", "--mode sev --ovmf %s", ovmf);
	expect_cli_error(2, "--frobnicate: unknown option", "--vcpus 1 --frobnicate --ovmf %s", ovmf);
	expect_cli_error(2, "cannot read", "--vcpus 1 --vcpu-type EPYC --ovmf %s/missing.fd", tmpdir);
	expect_cli_error(2, "truncated", "--vcpus 1 --vcpu-type EPYC --ovmf %s", cut);
	expect_cli_error(2, "bad signature", "--vcpus 1 --vcpu-type EPYC --ovmf %s", bad);
	expect_cli_error(2, "no SNP_KERNEL_HASHES", "--vcpus 1 --vcpu-type EPYC --kernel /dev/null --ovmf %s", nokh);
	/* An image past 4 GiB is refused before it is read (a sparse file). */
	char big[300], cmd[400];
	snprintf(big, sizeof(big), "%s/big.fd", tmpdir);
	snprintf(cmd, sizeof(cmd), "truncate -s 4294971392 %s", big);
	if (system(cmd) == 0)
		expect_cli_error(2, "too large", "--vcpus 1 --vcpu-type EPYC --ovmf %s", big);
	/* --dump-vmsa into a regular file fails after the measurement ran. */
	assert_int_equal(run_cli("--vcpus 1 --vcpu-type EPYC --ovmf %s --dump-vmsa /dev/null", ovmf), 1);
	assert_non_null(strstr(cli_err, "snpemu measure: /dev/null: not a directory"));
	/* --help is not an error. */
	assert_int_equal(run_cli("--help%s", ""), 0);
	assert_non_null(strstr(cli_out, "EPYC-Genoa"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vcpu_signatures),
	    cmocka_unit_test(test_vmsa_contents),
	    cmocka_unit_test(test_sev_hashes_page),
	    cmocka_unit_test(test_qemu_launch_matches_hand_chain),
	    cmocka_unit_test(test_ec2_gce_launch_matches_hand_chain),
	    cmocka_unit_test(test_known_answers_sev_snp_measure_go),
	    cmocka_unit_test(test_ovmf_hash_seed),
	    cmocka_unit_test(test_measure_errors),
	    cmocka_unit_test(test_cli_digests),
	    cmocka_unit_test(test_cli_dump_vmsa),
	    cmocka_unit_test(test_cli_errors),
	};
	return cmocka_run_group_tests_name("attest/measure", tests, setup, teardown);
}

/* SPDX-License-Identifier: MIT */
/*
 * The kvm backend's ELF64 loader (no /dev/kvm needed): a hand-built image and one mutation per rule with its
 * distinct error, copying and zeroing, no write on failure, every truncation against a guard page, and the real
 * guest images built by guests/guests.mk.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/abi/le.h>

#include "../../guests/rt/rt_abi.h" /* RT_STACK_SIZE */
#include "vmm/kvm.h"

#define IMG_LEN	 0x200u
#define RAM_SIZE (2 * VMM_KVM_MiB)
#define FLOOR	 SNPEMU_IMAGE_GPA
#define PH0	 64u
#define PH1	 (64u + 56u)
#define PH2	 (64u + 2 * 56u)
#define SEG0	 0x100100ull /* R X: file [0x100, 0x140), memory 0x80 bytes */
#define SEG1	 0x100200ull /* R W: file [0x140, 0x150), memory 0x10 bytes */

static void put_phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t addr, uint64_t filesz,
		     uint64_t memsz, uint64_t align)
{
	le32_store(p + 0, type);
	le32_store(p + 4, flags);
	le64_store(p + 8, off);
	le64_store(p + 16, addr);
	le64_store(p + 24, addr);
	le64_store(p + 32, filesz);
	le64_store(p + 40, memsz);
	le64_store(p + 48, align);
}

/* A valid static x86-64 image: two PT_LOAD segments and a PT_GNU_STACK. */
static void build_image(uint8_t *img)
{
	memset(img, 0, IMG_LEN);
	memcpy(img, ELFMAG, SELFMAG);
	img[EI_CLASS] = ELFCLASS64;
	img[EI_DATA] = ELFDATA2LSB;
	img[EI_VERSION] = EV_CURRENT;
	le16_store(img + 16, ET_EXEC);
	le16_store(img + 18, EM_X86_64);
	le32_store(img + 20, EV_CURRENT);
	le64_store(img + 24, SEG0);
	le64_store(img + 32, PH0);
	le16_store(img + 52, 64);
	le16_store(img + 54, 56);
	le16_store(img + 56, 3);
	put_phdr(img + PH0, PT_LOAD, PF_R | PF_X, 0x100, SEG0, 0x40, 0x80, 0x10);
	put_phdr(img + PH1, PT_LOAD, PF_R | PF_W, 0x140, SEG1, 0x10, 0x10, 0x10);
	put_phdr(img + PH2, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0x10);
	for (unsigned int i = 0x100; i < 0x150; i++)
		img[i] = (uint8_t)(i * 3 + 1);
}

static void test_valid_image(void **state)
{
	uint8_t img[IMG_LEN];
	struct vmm_kvm_elf_info info;

	(void)state;
	build_image(img);
	assert_int_equal(vmm_kvm_elf_check(img, IMG_LEN, FLOOR, RAM_SIZE, &info), VMM_KVM_ELF_OK);
	assert_int_equal(info.entry, SEG0);
	assert_int_equal(info.lowest, SEG0);
	assert_int_equal(info.highest, SEG1 + 0x10);
	assert_int_equal(info.load_segments, 2);

	uint8_t *ram = malloc(RAM_SIZE);
	assert_non_null(ram);
	memset(ram, 0xEE, RAM_SIZE);
	assert_int_equal(vmm_kvm_elf_load(img, IMG_LEN, ram, FLOOR, RAM_SIZE, &info), VMM_KVM_ELF_OK);
	assert_memory_equal(ram + SEG0, img + 0x100, 0x40);
	for (unsigned int i = 0x40; i < 0x80; i++)
		assert_int_equal(ram[SEG0 + i], 0); /* p_memsz - p_filesz zeroed */
	assert_int_equal(ram[SEG0 + 0x80], 0xEE);
	assert_int_equal(ram[SEG0 - 1], 0xEE);
	assert_memory_equal(ram + SEG1, img + 0x140, 0x10);
	assert_int_equal(ram[SEG1 + 0x10], 0xEE);
	free(ram);
}

struct mutation {
	const char *what;
	uint32_t off[2];
	uint8_t size[2]; /* 0 = unused */
	uint64_t value[2];
	enum vmm_kvm_elf_error expected;
};

#define M1(w, o, s, v, e)                    \
	{                                    \
		w, {o, 0}, {s, 0}, {v, 0}, e \
	}
#define M2(w, o1, s1, v1, o2, s2, v2, e)           \
	{                                          \
		w, {o1, o2}, {s1, s2}, {v1, v2}, e \
	}

static const struct mutation mutations[] = {
    M1("magic byte 0", 0, 1, 0x7E, VMM_KVM_ELF_BAD_MAGIC),
    M1("magic byte 3", 3, 1, 'G', VMM_KVM_ELF_BAD_MAGIC),
    M1("32-bit class", EI_CLASS, 1, ELFCLASS32, VMM_KVM_ELF_NOT_64BIT),
    M1("big-endian", EI_DATA, 1, ELFDATA2MSB, VMM_KVM_ELF_NOT_LITTLE_ENDIAN),
    M1("ident version", EI_VERSION, 1, 0, VMM_KVM_ELF_BAD_VERSION),
    M1("e_version", 20, 4, 2, VMM_KVM_ELF_BAD_VERSION),
    M1("shared object / PIE", 16, 2, ET_DYN, VMM_KVM_ELF_NOT_EXEC),
    M1("relocatable", 16, 2, ET_REL, VMM_KVM_ELF_NOT_EXEC),
    M1("i386", 18, 2, EM_386, VMM_KVM_ELF_NOT_X86_64),
    M1("e_ehsize", 52, 2, 32, VMM_KVM_ELF_BAD_EHSIZE),
    M1("e_phentsize", 54, 2, 32, VMM_KVM_ELF_BAD_PHENTSIZE),
    M1("no phdrs", 56, 2, 0, VMM_KVM_ELF_BAD_PHNUM),
    M1("65 phdrs", 56, 2, 65, VMM_KVM_ELF_BAD_PHNUM),
    M1("PN_XNUM", 56, 2, 0xFFFF, VMM_KVM_ELF_BAD_PHNUM),
    M1("phdrs past the end", 32, 8, IMG_LEN - 100, VMM_KVM_ELF_PHDRS_OUTSIDE),
    M1("phoff beyond the file", 32, 8, IMG_LEN + 1, VMM_KVM_ELF_PHDRS_OUTSIDE),
    M1("phoff overflowing", 32, 8, UINT64_MAX - 8, VMM_KVM_ELF_PHDRS_OUTSIDE),
    M1("PT_INTERP", PH2, 4, PT_INTERP, VMM_KVM_ELF_DYNAMIC),
    M1("PT_DYNAMIC", PH2, 4, PT_DYNAMIC, VMM_KVM_ELF_DYNAMIC),
    M2("no PT_LOAD", PH0, 4, PT_NOTE, PH1, 4, PT_NOTE, VMM_KVM_ELF_NO_LOAD),
    M1("segment past the end", PH0 + 8, 8, IMG_LEN - 0x20, VMM_KVM_ELF_SEG_FILE_RANGE),
    M1("p_offset huge", PH0 + 8, 8, UINT64_MAX, VMM_KVM_ELF_SEG_FILE_RANGE),
    M1("p_filesz huge", PH0 + 32, 8, UINT64_MAX, VMM_KVM_ELF_SEG_FILE_RANGE),
    M1("p_filesz > p_memsz", PH0 + 32, 8, 0x90, VMM_KVM_ELF_SEG_FILESZ),
    M1("vaddr != paddr", PH0 + 16, 8, SEG0 + 0x1000, VMM_KVM_ELF_SEG_NOT_IDENTITY),
    M2("below the floor", PH0 + 16, 8, FLOOR - 0x1000 + 0x100, PH0 + 24, 8, FLOOR - 0x1000 + 0x100,
       VMM_KVM_ELF_SEG_OUTSIDE_RAM),
    M2("past RAM", PH0 + 16, 8, RAM_SIZE - 0x40, PH0 + 24, 8, RAM_SIZE - 0x40, VMM_KVM_ELF_SEG_OUTSIDE_RAM),
    M2("address overflowing", PH0 + 16, 8, UINT64_MAX - 0xFF, PH0 + 24, 8, UINT64_MAX - 0xFF,
       VMM_KVM_ELF_SEG_OUTSIDE_RAM),
    M1("p_memsz huge", PH0 + 40, 8, UINT64_MAX, VMM_KVM_ELF_SEG_OUTSIDE_RAM),
    M1("alignment not a power of two", PH0 + 48, 8, 3, VMM_KVM_ELF_SEG_ALIGN),
    M1("address not congruent to offset", PH0 + 48, 8, 0x200000, VMM_KVM_ELF_SEG_ALIGN),
    M2("overlapping segments", PH1 + 16, 8, SEG0 + 0x40, PH1 + 24, 8, SEG0 + 0x40, VMM_KVM_ELF_SEG_OVERLAP),
    M1("entry in a data segment", 24, 8, SEG1, VMM_KVM_ELF_ENTRY_OUTSIDE),
    M1("entry just past the code", 24, 8, SEG0 + 0x80, VMM_KVM_ELF_ENTRY_OUTSIDE),
    M1("entry zero", 24, 8, 0, VMM_KVM_ELF_ENTRY_OUTSIDE),
    M1("code not executable", PH0 + 4, 4, PF_R, VMM_KVM_ELF_ENTRY_OUTSIDE),
};

static void store(uint8_t *p, uint8_t size, uint64_t v)
{
	if (size == 1)
		*p = (uint8_t)v;
	else if (size == 2)
		le16_store(p, (uint16_t)v);
	else if (size == 4)
		le32_store(p, (uint32_t)v);
	else
		le64_store(p, v);
}

static void test_each_rule(void **state)
{
	uint8_t img[IMG_LEN];
	struct vmm_kvm_elf_info info;
	uint8_t *ram = malloc(RAM_SIZE);

	(void)state;
	assert_non_null(ram);
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *m = &mutations[i];
		build_image(img);
		for (int j = 0; j < 2; j++)
			if (m->size[j])
				store(img + m->off[j], m->size[j], m->value[j]);
		enum vmm_kvm_elf_error err = vmm_kvm_elf_check(img, IMG_LEN, FLOOR, RAM_SIZE, &info);
		if (err != m->expected)
			print_message("%s: got \"%s\"\n", m->what, vmm_kvm_elf_strerror(err));
		assert_int_equal(err, m->expected);
		/* a rejected image writes nothing */
		memset(ram, 0xEE, RAM_SIZE);
		assert_int_equal(vmm_kvm_elf_load(img, IMG_LEN, ram, FLOOR, RAM_SIZE, &info), m->expected);
		for (uint64_t a = FLOOR; a < FLOOR + 0x1000; a++)
			assert_int_equal(ram[a], 0xEE);
	}
	free(ram);
	assert_int_equal(vmm_kvm_elf_check(img, 63, FLOOR, RAM_SIZE, &info), VMM_KVM_ELF_TRUNCATED);
	assert_int_equal(vmm_kvm_elf_check(img, 0, FLOOR, RAM_SIZE, &info), VMM_KVM_ELF_TRUNCATED);
}

static void test_error_texts(void **state)
{
	(void)state;
	for (int a = 0; a < VMM_KVM_ELF_ERROR_COUNT; a++) {
		const char *ta = vmm_kvm_elf_strerror((enum vmm_kvm_elf_error)a);
		assert_non_null(ta);
		for (int b = a + 1; b < VMM_KVM_ELF_ERROR_COUNT; b++)
			assert_string_not_equal(ta, vmm_kvm_elf_strerror((enum vmm_kvm_elf_error)b));
	}
	assert_string_equal(vmm_kvm_elf_strerror(VMM_KVM_ELF_ERROR_COUNT), "unknown ELF error");
}

/* Every prefix of image, placed against a PROT_NONE page: the parser must never read past len. */
static void check_prefixes(const uint8_t *image, size_t len, uint64_t ram_size, size_t *first_valid)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t span = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	uint8_t *map = mmap(NULL, span + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vmm_kvm_elf_info info;

	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + span, (size_t)page, PROT_NONE), 0);
	*first_valid = SIZE_MAX;
	for (size_t n = 0; n <= len; n++) {
		uint8_t *p = map + span - n;
		memcpy(p, image, n);
		if (vmm_kvm_elf_check(p, n, FLOOR, ram_size, &info) == VMM_KVM_ELF_OK && *first_valid == SIZE_MAX)
			*first_valid = n;
	}
	munmap(map, span + (size_t)page);
}

static void test_truncations(void **state)
{
	uint8_t img[IMG_LEN];
	size_t first_valid;

	(void)state;
	build_image(img);
	check_prefixes(img, IMG_LEN, RAM_SIZE, &first_valid);
	assert_int_equal(first_valid, 0x150); /* the end of the last segment's file bytes */
}

static uint8_t *read_guest(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.elf", KVM_GUEST_DIR, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	uint8_t *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The images guests/guests.mk builds are what the loader accepts: linked at SNPEMU_IMAGE_GPA, entry in the code. */
static void test_built_guests(void **state)
{
	static const char *const names[] = {"guest_msr", "guest_console", "guest_fault", "guest_smp", "guest_bench"};
	struct vmm_kvm_elf_info info;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len;
		uint8_t *img = read_guest(names[i], &len);
		assert_int_equal(vmm_kvm_elf_check(img, len, FLOOR, VMM_KVM_RAM_DEFAULT, &info), VMM_KVM_ELF_OK);
		assert_int_equal(info.lowest, SNPEMU_IMAGE_GPA);
		assert_in_range(info.entry, info.lowest, info.highest - 1);
		assert_in_range(info.load_segments, 1, 3);
		/* the runtime's stacks live in the image: SNPEMU_MAX_VCPUS * RT_STACK_SIZE bytes at least */
		assert_true(info.highest - info.lowest >= (uint64_t)SNPEMU_MAX_VCPUS * RT_STACK_SIZE);
		/* too little RAM for the image */
		assert_int_equal(vmm_kvm_elf_check(img, len, FLOOR, info.highest - 0x1000, &info),
				 VMM_KVM_ELF_SEG_OUTSIDE_RAM);
		if (i == 1) {
			size_t first_valid;
			check_prefixes(img, len, VMM_KVM_RAM_DEFAULT, &first_valid);
			assert_true(first_valid > 64 && first_valid <= len);
		}
		free(img);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_image), cmocka_unit_test(test_each_rule),    cmocka_unit_test(test_error_texts),
	    cmocka_unit_test(test_truncations), cmocka_unit_test(test_built_guests),
	};
	return cmocka_run_group_tests_name("vmm/kvm_elf", tests, NULL, NULL);
}

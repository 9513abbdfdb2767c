/* SPDX-License-Identifier: MIT */
/*
 * `snpemu run PATH` on the ELF side (vmm_program_file_open with elf = true), where this machine may have no
 * backend that runs images: a built-in program's image written to a file opens as a program, and every way a file
 * is not a guest image is refused with a message naming the file.  (The .so side, which needs programs built with
 * the installed SDK, is tests/sdk/test_sdk.sh.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/le.h>
#include <snpemu/programs.h>
#include <snpemu/vmm.h>

struct fixture {
	char dir[64];
	char path[128];
	const struct vmm_program *hello;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/snpemu-program-file-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->hello = snpemu_program_find("hello");
	*state = f;
	return f->hello && f->hello->elf ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Writes the hello image to DIR/NAME, changed by `patch` (may be NULL); returns the path. */
static const char *write_image(struct fixture *f, const char *name, void (*patch)(uint8_t *img, size_t len))
{
	size_t len = f->hello->elf_len;
	uint8_t *img = malloc(len);
	assert_non_null(img);
	memcpy(img, f->hello->elf, len);
	if (patch)
		patch(img, len);
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	FILE *out = fopen(f->path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(img, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
	free(img);
	return f->path;
}

/* Opens `path` as an ELF program, expecting rc and a message "<file>: <text...>". */
static void expect(const char *path, int want_rc, const char *file, const char *text)
{
	struct vmm_program_file *pf = NULL;
	char why[512];
	int rc = vmm_program_file_open(path, true, &pf, why, sizeof(why));
	print_message("%s -> %d %s\n", path, rc, rc ? why : "");
	assert_int_equal(rc, want_rc);
	assert_null(pf);
	char want[512];
	snprintf(want, sizeof(want), "%s: %s", file, text);
	assert_non_null(strstr(why, want));
}

static void test_image_opens(void **state)
{
	struct fixture *f = *state;
	struct vmm_program_file *pf = NULL;
	char why[256], base[128];
	write_image(f, "hello.elf", NULL);
	snprintf(base, sizeof(base), "%s/hello", f->dir);
	assert_int_equal(vmm_program_file_open(base, true, &pf, why, sizeof(why)), 0); /* ./hello picks hello.elf */
	const struct vmm_program *p = vmm_program_file_program(pf);
	assert_string_equal(vmm_program_file_path(pf), f->path);
	assert_string_equal(p->name, "hello");
	assert_int_equal(p->elf_len, f->hello->elf_len);
	assert_memory_equal(p->elf, f->hello->elf, p->elf_len);
	assert_null(p->sim_run);
	vmm_program_file_close(pf);
}

static void class32(uint8_t *img, size_t len)
{
	img[4] = 1; /* EI_CLASS = ELFCLASS32 */
}
static void machine_arm64(uint8_t *img, size_t len)
{
	le16_store(img + 18, 183); /* EM_AARCH64 */
}
/* The first program header's segment moved: over the VMM's reserved pages, or below the image floor. */
static void seg_at(uint8_t *img, uint64_t addr)
{
	uint8_t *ph = img + le64_load(img + 32);
	le64_store(ph + 16, addr);
	le64_store(ph + 24, addr);
}
static void seg_reserved(uint8_t *img, size_t len)
{
	seg_at(img, SNPEMU_BOOT_INFO_GPA);
}
static void seg_low(uint8_t *img, size_t len)
{
	seg_at(img, 0x1000);
}
static void entry_zero(uint8_t *img, size_t len)
{
	le64_store(img + 24, 0);
}

static void test_not_images(void **state)
{
	struct fixture *f = *state;
	char p[160];
	const char *path = write_image(f, "c32.elf", class32);
	expect(path, -ENOEXEC, path, "not a guest image: not ELFCLASS64");
	path = write_image(f, "arm.elf", machine_arm64);
	expect(path, -ENOEXEC, path, "not a guest image: not an x86-64 image");
	path = write_image(f, "reserved.elf", seg_reserved);
	expect(path, -ENOEXEC, path, "not a guest image: segment lies outside the guest's load area");
	path = write_image(f, "low.elf", seg_low);
	expect(path, -ENOEXEC, path, "not a guest image: segment lies outside the guest's load area");
	path = write_image(f, "noentry.elf", entry_zero);
	expect(path, -ENOEXEC, path, "not a guest image: entry point outside every executable segment");
	expect("/bin/ls", -ENOEXEC, "/bin/ls", "not a guest image: not a static executable");
	expect(f->dir, -EISDIR, f->dir, "a directory, not a guest program");
	snprintf(p, sizeof(p), "%s/nosuch", f->dir);
	char want[200];
	snprintf(want, sizeof(want), "%s/nosuch.elf", f->dir);
	expect(p, -ENOENT, want, "No such file or directory");
	snprintf(p, sizeof(p), "%s/prog.so", f->dir);
	expect(p, -ENOEXEC, p, "the .so build; the chosen backend runs NAME.elf");
	path = write_image(f, "empty.elf", NULL);
	assert_int_equal(truncate(path, 0), 0);
	expect(path, -EFBIG, path, "size 0 is not that of a guest program");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_image_opens),
	    cmocka_unit_test(test_not_images),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: MIT */
/*
 * Guest programs from files (`snpemu run PATH`, issue 13): NAME.elf (a freestanding image for the backends that
 * execute guest code, checked by the kvm ELF loader's rules before anything else reads it) and NAME.so (the same
 * program built for the sim backend, dlopen'ed into the VMM and run on its vCPU threads).  The file is the user's:
 * everything is checked before it is used, and every failure is a one-line message naming the file.  A .so is
 * checked twice: its ELF header here (an executable such as /bin/ls, another machine, a static image), then its
 * image descriptor after dlopen (the symbol, the magic, the SDK ABI version of <snpemu/guest_program.h>).
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/abi/le.h>
#include <snpemu/guest_program.h>
#include <snpemu/vmm.h>

#include "vmm/kvm.h"

#define PROGRAM_FILE_MAX VMM_KVM_IMAGE_MAX

struct vmm_program_file {
	struct vmm_program program;
	char path[PATH_MAX];
	char name[64];
	uint8_t *image; /* NAME.elf's bytes */
	void *dl;	/* NAME.so's handle */
};

static int say(char *why, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int say(char *why, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (len)
		vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* The header rules a .so must pass (System V gABI "ELF Header"; offsets as in <elf.h>). */
static const struct {
	uint8_t offset, size;
	uint32_t value;
	const char *problem;
} so_rules[] = {
    {EI_MAG0, 1, ELFMAG0, "not an ELF file"},
    {EI_MAG1, 1, ELFMAG1, "not an ELF file"},
    {EI_MAG2, 1, ELFMAG2, "not an ELF file"},
    {EI_MAG3, 1, ELFMAG3, "not an ELF file"},
    {EI_CLASS, 1, ELFCLASS64, "not a 64-bit ELF file"},
    {EI_DATA, 1, ELFDATA2LSB, "not a little-endian ELF file"},
    {offsetof(Elf64_Ehdr, e_machine), 2, EM_X86_64, "not built for x86-64"},
    {offsetof(Elf64_Ehdr, e_type), 2, ET_DYN,
     "not a shared object (NAME.so is built with the sim_libs of "
     "pkg-config snpemu-guest)"},
    {offsetof(Elf64_Ehdr, e_phentsize), 2, sizeof(Elf64_Phdr), "malformed ELF program headers"},
};

static uint32_t field(const uint8_t *img, uint8_t offset, uint8_t size)
{
	return size == 1 ? img[offset] : size == 2 ? le16_load(img + offset) : le32_load(img + offset);
}

int vmm_program_image_check(const uint8_t *img, size_t len, enum vmm_program_image_kind kind, char *why, size_t why_len)
{
	if (kind == VMM_PROGRAM_IMAGE_ELF) {
		struct vmm_kvm_elf_info info;
		/* The kvm backend's rules: static, identity-mapped, every segment between the image floor and the
		 * VMM's reserved pages (the boot page and what follows it), the entry in an executable segment. */
		enum vmm_kvm_elf_error e = vmm_kvm_elf_check(img, len, SNPEMU_IMAGE_GPA, SNPEMU_BOOT_INFO_GPA, &info);
		if (e == VMM_KVM_ELF_SEG_OUTSIDE_RAM)
			return say(why, why_len, -ENOEXEC,
				   "not a guest image: %s [0x%llx, 0x%llx) (guest RAM above the image floor, below the "
				   "VMM's reserved pages)",
				   vmm_kvm_elf_strerror(e), (unsigned long long)SNPEMU_IMAGE_GPA,
				   (unsigned long long)SNPEMU_BOOT_INFO_GPA);
		if (e != VMM_KVM_ELF_OK)
			return say(why, why_len, -ENOEXEC, "not a guest image: %s", vmm_kvm_elf_strerror(e));
		return 0;
	}
	if (len < sizeof(Elf64_Ehdr))
		return say(why, why_len, -ENOEXEC, "not an ELF file (%zu bytes)", len);
	for (size_t i = 0; i < sizeof(so_rules) / sizeof(so_rules[0]); i++)
		if (field(img, so_rules[i].offset, so_rules[i].size) != so_rules[i].value)
			return say(why, why_len, -ENOEXEC, "%s", so_rules[i].problem);
	uint64_t phoff = le64_load(img + offsetof(Elf64_Ehdr, e_phoff));
	uint16_t phnum = le16_load(img + offsetof(Elf64_Ehdr, e_phnum));
	if (phoff > len || (uint64_t)phnum * sizeof(Elf64_Phdr) > len - phoff)
		return say(why, why_len, -ENOEXEC, "malformed ELF program headers");
	bool dynamic = false;
	for (uint16_t i = 0; i < phnum; i++) {
		uint32_t type = le32_load(img + phoff + (size_t)i * sizeof(Elf64_Phdr));
		if (type == PT_INTERP)
			return say(why, why_len, -ENOEXEC,
				   "an executable (it names a program interpreter), not a guest shared object");
		dynamic |= type == PT_DYNAMIC;
	}
	if (!dynamic)
		return say(why, why_len, -ENOEXEC, "a shared object without a dynamic section");
	return 0;
}

/* The whole file, if it is a regular file of a sane size. */
static int read_file(const char *path, uint8_t **out, size_t *len, char *why, size_t why_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return say(why, why_len, -errno, "%s", strerror(errno));
	struct stat st;
	int rc = 0;
	uint8_t *buf = NULL;
	if (fstat(fd, &st)) {
		rc = say(why, why_len, -errno, "%s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		rc = say(why, why_len, -EISDIR, "a directory, not a guest program");
	} else if (!S_ISREG(st.st_mode)) {
		rc = say(why, why_len, -ENOEXEC, "not a regular file");
	} else if (st.st_size <= 0 || (uint64_t)st.st_size > PROGRAM_FILE_MAX) {
		rc = say(why, why_len, -EFBIG, "size %lld is not that of a guest program (1 byte to %u MiB)",
			 (long long)st.st_size, (unsigned int)(PROGRAM_FILE_MAX >> 20));
	} else if (!(buf = malloc((size_t)st.st_size))) {
		rc = say(why, why_len, -ENOMEM, "out of memory");
	} else {
		size_t got = 0;
		while (got < (size_t)st.st_size) {
			ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
			if (n <= 0) {
				rc = say(why, why_len, n ? -errno : -EIO, "read: %s", n ? strerror(errno) : "short");
				break;
			}
			got += (size_t)n;
		}
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = (size_t)st.st_size;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Which file PATH names for this backend: PATH itself if it ends in the backend's extension or names an existing
 * file, else PATH.elf / PATH.so. */
static int resolve_path(struct vmm_program_file *f, const char *path, bool elf, char *why, size_t why_len)
{
	const char *want = elf ? ".elf" : ".so", *other = elf ? ".so" : ".elf";
	struct stat st;
	if (snprintf(f->path, sizeof(f->path), "%s", path) >= (int)sizeof(f->path))
		return say(why, why_len, -ENAMETOOLONG, "path too long");
	if (ends_with(path, other))
		return say(why, why_len, -ENOEXEC, "the %s build; the %s backend runs NAME%s", other,
			   elf ? "chosen" : "sim", want);
	if (ends_with(path, want))
		return 0;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? say(why, why_len, -EISDIR, "a directory, not a guest program") : 0;
	if (snprintf(f->path, sizeof(f->path), "%s%s", path, want) >= (int)sizeof(f->path))
		return say(why, why_len, -ENAMETOOLONG, "path too long");
	return 0;
}

/* The program's name: the file's base name without its extension. */
static void set_name(struct vmm_program_file *f)
{
	const char *base = strrchr(f->path, '/');
	base = base ? base + 1 : f->path;
	size_t n = strnlen(base, sizeof(f->name) - 1); /* a long name is cut: it is only shown */
	memcpy(f->name, base, n);
	f->name[n] = '\0';
	char *dot = strrchr(f->name, '.');
	if (dot && dot != f->name)
		*dot = '\0';
}

static int open_so(struct vmm_program_file *f, char *why, size_t why_len)
{
	char real[PATH_MAX];
	if (!realpath(f->path, real)) /* dlopen searches the library path for names without a slash */
		return say(why, why_len, -errno, "%s", strerror(errno));
	f->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	if (!f->dl)
		return say(why, why_len, -ENOEXEC, "dlopen: %s", dlerror());
	const struct gst_program_image *img = dlsym(f->dl, SNPEMU_PROGRAM_IMAGE_SYMBOL);
	if (!img)
		return say(why, why_len, -ENOEXEC,
			   "no " SNPEMU_PROGRAM_IMAGE_SYMBOL " symbol: not a program built with the guest SDK "
			   "(GST_PROGRAM and pkg-config snpemu-guest)");
	if (img->magic != SNPEMU_PROGRAM_IMAGE_MAGIC)
		return say(why, why_len, -ENOEXEC, SNPEMU_PROGRAM_IMAGE_SYMBOL " is not a guest program descriptor");
	if (img->abi_version != SNPEMU_SDK_ABI_VERSION)
		return say(why, why_len, -ENOEXEC,
			   "built with guest SDK ABI version %u; this snpemu runs version %u (rebuild it against this "
			   "SDK)",
			   img->abi_version, SNPEMU_SDK_ABI_VERSION);
	if (!img->program || !img->run || !img->program->name || !img->program->bsp_main)
		return say(why, why_len, -ENOEXEC, "incomplete guest program descriptor");
	if (img->program->elf_only)
		return say(why, why_len, -ENOEXEC, "program '%s' runs only as an ELF image (kvm)", img->program->name);
	f->program.name = img->program->name;
	f->program.summary = img->program->summary;
	f->program.sim_run = img->run;
	f->program.sim_program = img->program;
	return 0;
}

int vmm_program_file_open(const char *path, bool elf, struct vmm_program_file **out, char *why, size_t why_len)
{
	struct vmm_program_file *f = calloc(1, sizeof(*f));
	if (!f)
		return say(why, why_len, -ENOMEM, "%s: out of memory", path);
	char problem[512] = "";
	uint8_t *bytes = NULL;
	size_t len = 0;
	int rc = resolve_path(f, path, elf, problem, sizeof(problem));
	if (!rc)
		rc = read_file(f->path, &bytes, &len, problem, sizeof(problem));
	if (!rc)
		rc = vmm_program_image_check(bytes, len, elf ? VMM_PROGRAM_IMAGE_ELF : VMM_PROGRAM_IMAGE_SO, problem,
					     sizeof(problem));
	if (!rc && elf) {
		set_name(f);
		f->image = bytes, bytes = NULL;
		f->program.name = f->name;
		f->program.summary = "a guest program image";
		f->program.elf = f->image;
		f->program.elf_len = len;
	} else if (!rc) {
		rc = open_so(f, problem, sizeof(problem));
	}
	free(bytes);
	if (rc) {
		say(why, why_len, rc, "%s: %s", f->path[0] ? f->path : path, problem);
		vmm_program_file_close(f);
		return rc;
	}
	*out = f;
	return 0;
}

const struct vmm_program *vmm_program_file_program(const struct vmm_program_file *f)
{
	return &f->program;
}

const char *vmm_program_file_path(const struct vmm_program_file *f)
{
	return f->path;
}

void vmm_program_file_close(struct vmm_program_file *f)
{
	if (!f)
		return;
	if (f->dl)
		dlclose(f->dl);
	free(f->image);
	free(f);
}

int vmm_backend_resolve(enum vmm_backend_kind kind, FILE *err, enum vmm_backend_kind *out, bool *runs_elf)
{
	const struct vmm_backend *b;
	int rc = vmm_backend_choose(kind, NULL, err ? err : stderr, &b);
	if (rc)
		return rc;
	*out = b->kind;
	*runs_elf = b->runs_elf;
	return 0;
}

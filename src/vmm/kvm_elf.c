/* SPDX-License-Identifier: MIT */
/*
 * ELF64 loader for the kvm backend's guest images: static, freestanding x86-64 executables linked at a fixed
 * address (guests/rt/guest.ld).  The file is untrusted: every field is read with explicit little-endian loads,
 * checked against the file and RAM bounds without overflow, and nothing is written until the whole image is valid.
 * Field offsets: the System V gABI, "ELF Header" and "Program Header" (and <elf.h>).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snpemu/abi/le.h>

#include "vmm/kvm_internal.h"

/* Elf64_Ehdr offsets. */
#define EH_TYPE	     16u
#define EH_MACHINE   18u
#define EH_VERSION   20u
#define EH_ENTRY     24u
#define EH_PHOFF     32u
#define EH_EHSIZE    52u
#define EH_PHENTSIZE 54u
#define EH_PHNUM     56u
#define EH_SIZE	     64u

/* Elf64_Phdr offsets. */
#define PH_TYPE	  0u
#define PH_FLAGS  4u
#define PH_OFFSET 8u
#define PH_VADDR  16u
#define PH_PADDR  24u
#define PH_FILESZ 32u
#define PH_MEMSZ  40u
#define PH_ALIGN  48u
#define PH_SIZE	  56u

_Static_assert(EH_SIZE == sizeof(Elf64_Ehdr) && PH_SIZE == sizeof(Elf64_Phdr), "gABI sizes");
_Static_assert(PH_ALIGN == offsetof(Elf64_Phdr, p_align) && EH_PHNUM == offsetof(Elf64_Ehdr, e_phnum), "gABI");

/* The header rules: a field must hold exactly one value, or the image gets the rule's error. */
static const struct {
	uint8_t offset;
	uint8_t size;
	uint32_t value;
	enum vmm_kvm_elf_error error;
} header_rules[] = {
    {EI_MAG0, 1, ELFMAG0, VMM_KVM_ELF_BAD_MAGIC},	   {EI_MAG1, 1, ELFMAG1, VMM_KVM_ELF_BAD_MAGIC},
    {EI_MAG2, 1, ELFMAG2, VMM_KVM_ELF_BAD_MAGIC},	   {EI_MAG3, 1, ELFMAG3, VMM_KVM_ELF_BAD_MAGIC},
    {EI_CLASS, 1, ELFCLASS64, VMM_KVM_ELF_NOT_64BIT},	   {EI_DATA, 1, ELFDATA2LSB, VMM_KVM_ELF_NOT_LITTLE_ENDIAN},
    {EI_VERSION, 1, EV_CURRENT, VMM_KVM_ELF_BAD_VERSION},  {EH_VERSION, 4, EV_CURRENT, VMM_KVM_ELF_BAD_VERSION},
    {EH_TYPE, 2, ET_EXEC, VMM_KVM_ELF_NOT_EXEC},	   {EH_MACHINE, 2, EM_X86_64, VMM_KVM_ELF_NOT_X86_64},
    {EH_PHENTSIZE, 2, PH_SIZE, VMM_KVM_ELF_BAD_PHENTSIZE},
};

static const char *const error_text[VMM_KVM_ELF_ERROR_COUNT] = {
    [VMM_KVM_ELF_OK] = "valid image",
    [VMM_KVM_ELF_TRUNCATED] = "file shorter than an ELF64 header",
    [VMM_KVM_ELF_BAD_MAGIC] = "not an ELF file (bad magic)",
    [VMM_KVM_ELF_NOT_64BIT] = "not ELFCLASS64",
    [VMM_KVM_ELF_NOT_LITTLE_ENDIAN] = "not little-endian (ELFDATA2LSB)",
    [VMM_KVM_ELF_BAD_VERSION] = "ELF version is not EV_CURRENT",
    [VMM_KVM_ELF_NOT_EXEC] = "not a static executable (e_type != ET_EXEC)",
    [VMM_KVM_ELF_NOT_X86_64] = "not an x86-64 image (e_machine != EM_X86_64)",
    [VMM_KVM_ELF_BAD_EHSIZE] = "e_ehsize smaller than the ELF64 header",
    [VMM_KVM_ELF_BAD_PHENTSIZE] = "e_phentsize is not the ELF64 program header size",
    [VMM_KVM_ELF_BAD_PHNUM] = "no program headers or too many",
    [VMM_KVM_ELF_PHDRS_OUTSIDE] = "program header table lies outside the file",
    [VMM_KVM_ELF_DYNAMIC] = "dynamically linked (PT_INTERP or PT_DYNAMIC)",
    [VMM_KVM_ELF_NO_LOAD] = "no PT_LOAD segment",
    [VMM_KVM_ELF_SEG_FILE_RANGE] = "segment file range lies outside the file",
    [VMM_KVM_ELF_SEG_FILESZ] = "segment p_filesz exceeds p_memsz",
    [VMM_KVM_ELF_SEG_NOT_IDENTITY] = "segment p_vaddr differs from p_paddr",
    [VMM_KVM_ELF_SEG_OUTSIDE_RAM] = "segment lies outside the guest's load area",
    [VMM_KVM_ELF_SEG_OVERLAP] = "two PT_LOAD segments overlap",
    [VMM_KVM_ELF_SEG_ALIGN] = "segment alignment invalid or not congruent",
    [VMM_KVM_ELF_ENTRY_OUTSIDE] = "entry point outside every executable segment",
};

const char *vmm_kvm_elf_strerror(enum vmm_kvm_elf_error err)
{
	if ((unsigned int)err >= VMM_KVM_ELF_ERROR_COUNT)
		return "unknown ELF error";
	return error_text[err];
}

struct segment {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static void read_segment(const uint8_t *ph, struct segment *s)
{
	s->type = le32_load(ph + PH_TYPE);
	s->flags = le32_load(ph + PH_FLAGS);
	s->offset = le64_load(ph + PH_OFFSET);
	s->vaddr = le64_load(ph + PH_VADDR);
	s->paddr = le64_load(ph + PH_PADDR);
	s->filesz = le64_load(ph + PH_FILESZ);
	s->memsz = le64_load(ph + PH_MEMSZ);
	s->align = le64_load(ph + PH_ALIGN);
}

static enum vmm_kvm_elf_error check_header(const uint8_t *image, size_t len)
{
	if (len < EH_SIZE)
		return VMM_KVM_ELF_TRUNCATED;
	for (size_t i = 0; i < sizeof(header_rules) / sizeof(header_rules[0]); i++) {
		const uint8_t *f = image + header_rules[i].offset;
		uint32_t v = header_rules[i].size == 1 ? f[0] : header_rules[i].size == 2 ? le16_load(f) : le32_load(f);
		if (v != header_rules[i].value)
			return header_rules[i].error;
	}
	if (le16_load(image + EH_EHSIZE) < EH_SIZE)
		return VMM_KVM_ELF_BAD_EHSIZE;
	uint16_t phnum = le16_load(image + EH_PHNUM);
	if (phnum == 0 || phnum > VMM_KVM_ELF_MAX_PHDRS)
		return VMM_KVM_ELF_BAD_PHNUM;
	uint64_t phoff = le64_load(image + EH_PHOFF);
	if (phoff > len || (uint64_t)phnum * PH_SIZE > len - phoff)
		return VMM_KVM_ELF_PHDRS_OUTSIDE;
	return VMM_KVM_ELF_OK;
}

/* The rules for one PT_LOAD segment, in order. */
static enum vmm_kvm_elf_error check_load(const struct segment *s, size_t len, uint64_t floor, uint64_t ram_size)
{
	if (s->offset > len || s->filesz > len - s->offset)
		return VMM_KVM_ELF_SEG_FILE_RANGE;
	if (s->filesz > s->memsz)
		return VMM_KVM_ELF_SEG_FILESZ;
	if (s->vaddr != s->paddr)
		return VMM_KVM_ELF_SEG_NOT_IDENTITY;
	if (s->paddr < floor || s->paddr > ram_size || s->memsz > ram_size - s->paddr)
		return VMM_KVM_ELF_SEG_OUTSIDE_RAM;
	if (s->align > 1 && ((s->align & (s->align - 1)) || (s->vaddr - s->offset) & (s->align - 1)))
		return VMM_KVM_ELF_SEG_ALIGN;
	return VMM_KVM_ELF_OK;
}

static bool overlaps(const struct segment *a, const struct segment *b)
{
	return a->memsz && b->memsz && a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

enum vmm_kvm_elf_error vmm_kvm_elf_check(const uint8_t *image, size_t len, uint64_t floor, uint64_t ram_size,
					 struct vmm_kvm_elf_info *info)
{
	struct segment loads[VMM_KVM_ELF_MAX_PHDRS];
	unsigned int n = 0;
	bool entry_ok = false;

	enum vmm_kvm_elf_error err = check_header(image, len);
	if (err != VMM_KVM_ELF_OK)
		return err;
	uint16_t phnum = le16_load(image + EH_PHNUM);
	const uint8_t *ph = image + le64_load(image + EH_PHOFF);
	uint64_t entry = le64_load(image + EH_ENTRY);

	memset(info, 0, sizeof(*info));
	info->lowest = UINT64_MAX;
	for (uint16_t i = 0; i < phnum; i++) {
		struct segment s;
		read_segment(ph + (size_t)i * PH_SIZE, &s);
		if (s.type == PT_INTERP || s.type == PT_DYNAMIC)
			return VMM_KVM_ELF_DYNAMIC;
		if (s.type != PT_LOAD)
			continue;
		err = check_load(&s, len, floor, ram_size);
		if (err != VMM_KVM_ELF_OK)
			return err;
		for (unsigned int j = 0; j < n; j++)
			if (overlaps(&s, &loads[j]))
				return VMM_KVM_ELF_SEG_OVERLAP;
		/* memsz checked against RAM above, so paddr + memsz does not overflow */
		if ((s.flags & PF_X) && entry >= s.paddr && entry - s.paddr < s.memsz)
			entry_ok = true;
		if (s.memsz && s.paddr < info->lowest)
			info->lowest = s.paddr;
		if (s.memsz && s.paddr + s.memsz > info->highest)
			info->highest = s.paddr + s.memsz;
		loads[n++] = s;
	}
	if (n == 0)
		return VMM_KVM_ELF_NO_LOAD;
	if (!entry_ok)
		return VMM_KVM_ELF_ENTRY_OUTSIDE;
	info->entry = entry;
	info->load_segments = n;
	return VMM_KVM_ELF_OK;
}

enum vmm_kvm_elf_error vmm_kvm_elf_load(const uint8_t *image, size_t len, uint8_t *ram, uint64_t floor,
					uint64_t ram_size, struct vmm_kvm_elf_info *info)
{
	enum vmm_kvm_elf_error err = vmm_kvm_elf_check(image, len, floor, ram_size, info);
	if (err != VMM_KVM_ELF_OK)
		return err;
	uint16_t phnum = le16_load(image + EH_PHNUM);
	const uint8_t *ph = image + le64_load(image + EH_PHOFF);
	for (uint16_t i = 0; i < phnum; i++) {
		struct segment s;
		read_segment(ph + (size_t)i * PH_SIZE, &s);
		if (s.type != PT_LOAD || s.memsz == 0)
			continue;
		memcpy(ram + s.paddr, image + s.offset, s.filesz);
		memset(ram + s.paddr + s.filesz, 0, s.memsz - s.filesz);
	}
	return VMM_KVM_ELF_OK;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = 0;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t)st.st_size > VMM_KVM_IMAGE_MAX) {
		r = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO; /* the file shrank under us */
			goto out;
		}
		done += (size_t)n;
	}
	*out = buf;
	*len = done;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

int vmm_kvm_elf_load_file(struct vmm_kvm_vm *vm, const char *path, struct vmm_kvm_elf_info *info, char *reason,
			  size_t len)
{
	uint8_t *image = NULL;
	size_t size = 0;

	int r = read_file(path, &image, &size);
	if (r < 0) {
		if (reason && len)
			snprintf(reason, len, "%s: %s", path, strerror(-r));
		return r;
	}
	enum vmm_kvm_elf_error err = vmm_kvm_elf_load(image, size, vm->ram, SNPEMU_IMAGE_GPA, vm->ram_size, info);
	free(image);
	if (err != VMM_KVM_ELF_OK) {
		if (reason && len)
			snprintf(reason, len, "%s: %s", path, vmm_kvm_elf_strerror(err));
		return -ENOEXEC;
	}
	return 0;
}

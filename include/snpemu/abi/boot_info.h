/* SPDX-License-Identifier: MIT */
/*
 * The boot information page: how snpemu's VMM tells a guest program where things are.  Dual-use (VMM and
 * freestanding guests).  The VMM writes it at SNPEMU_BOOT_INFO_GPA before launch and measures it as a NORMAL page,
 * so its contents are part of the launch digest.  All fields little-endian (the guests are x86-64).
 *
 * Guest-physical map (both backends; the kvm backend's system area and image sit below 16 MiB, see
 * guests/rt/rt_abi.h):
 *   0x0010_0000            guest image (kvm: the ELF at its link address; sim: one page naming the program)
 *   0x0100_0000            boot information page (this structure)       NORMAL
 *   0x0100_1000            secrets page                                  SECRETS
 *   0x0100_2000            CPUID page                                    CPUID
 *   0x0100_3000            BSP VMSA (SNP)                                VMSA
 *   0x0101_0000 + 4K*cpu   GHCB page of each vCPU (made shared by the guest)
 *   0x0102_0000            guest-request pages: request, response (made shared by the guest)
 *   0x0102_2000            certificate buffer, SNPEMU_BOOT_CERT_PAGES pages (made shared by the guest)
 *   0x0103_0000 + 8K*cpu   a VMSA page per AP (SNP AP creation; odd 4 KiB page, never 2 MiB-aligned)
 *   0x0110_0000 ..         free RAM for the program (the psc guest converts it)
 *   RAM end
 */
#ifndef SNPEMU_ABI_BOOT_INFO_H
#define SNPEMU_ABI_BOOT_INFO_H

#include <stdint.h>

#include <snpemu/abi/runtime.h> /* image address, ports, statuses, SNPEMU_MAX_VCPUS */

#define SNPEMU_BOOT_INFO_GPA	0x01000000ull
#define SNPEMU_SECRETS_GPA	0x01001000ull
#define SNPEMU_CPUID_PAGE_GPA	0x01002000ull
#define SNPEMU_BSP_VMSA_GPA	0x01003000ull
#define SNPEMU_GHCB_GPA(cpu)	(0x01010000ull + 0x1000ull * (cpu))
#define SNPEMU_GREQ_REQ_GPA	0x01020000ull
#define SNPEMU_GREQ_RESP_GPA	0x01021000ull
#define SNPEMU_CERTS_GPA	0x01022000ull
#define SNPEMU_BOOT_CERT_PAGES	4u
#define SNPEMU_AP_VMSA_GPA(cpu) (0x01030000ull + 0x2000ull * (cpu) + 0x1000ull)
#define SNPEMU_FREE_GPA		0x01100000ull
#define SNPEMU_MIN_MEM		(32ull << 20)

#define SNPEMU_BOOT_MAGIC   0x544F4F42554D4553ull /* "SEMUBOOT" */
#define SNPEMU_BOOT_VERSION 2u

#define SNPEMU_MMIO_TEST_GPA                                                               \
	0xFEB00000ull /* a 4 KiB test device: reads return the address's low bytes, writes \
			are logged; outside RAM */

/* Flags. */
#define SNPEMU_BOOT_SNP (1u << 0) /* the VM is SEV-SNP (else SEV-ES) */
#define SNPEMU_BOOT_VC \
	(1u << 1) /* #VC mode (`--vc`): CPUID, port IO and MSRs raise #VC; the runtime installs its handler */

/* The argument block: `snpemu run NAME -- ARGS...` (vmm_config.args), argc NUL-terminated strings back to back in
 * args[0, args_len).  The VMM refuses arguments that do not fit. */
#define SNPEMU_BOOT_ARGS_SIZE 2048u
#define SNPEMU_BOOT_ARGS_MAX  64u

struct snpemu_boot_info {
	uint64_t magic;		      /* SNPEMU_BOOT_MAGIC */
	uint32_t version;	      /* SNPEMU_BOOT_VERSION */
	uint32_t flags;		      /* SNPEMU_BOOT_* */
	uint32_t vcpus;		      /* vCPUs the program may use (the BSP plus vcpus-1 APs) */
	uint32_t argc;		      /* arguments in args[] (at most SNPEMU_BOOT_ARGS_MAX) */
	uint64_t mem_size;	      /* bytes of RAM from GPA 0 */
	uint64_t sev_features;	      /* the VM's SEV_FEATURES (AP creation passes it in RAX) */
	uint64_t free_gpa, free_size; /* free RAM for the program */
	uint32_t args_len;	      /* bytes of args[] in use */
	uint32_t export_max;	      /* bytes of SNPEMU_PORT_EXPORT output the VMM keeps (SNPEMU_EXPORT_MAX) */
	uint8_t program[32];	      /* NUL-terminated program name */
	uint8_t args[SNPEMU_BOOT_ARGS_SIZE];
};
_Static_assert(__builtin_offsetof(struct snpemu_boot_info, argc) == 0x14 &&
		   __builtin_offsetof(struct snpemu_boot_info, free_size) == 0x30 &&
		   __builtin_offsetof(struct snpemu_boot_info, args_len) == 0x38 &&
		   __builtin_offsetof(struct snpemu_boot_info, program) == 0x40 &&
		   __builtin_offsetof(struct snpemu_boot_info, args) == 0x60,
	       "boot info layout");
_Static_assert(sizeof(struct snpemu_boot_info) <= 4096, "boot info fits one page");

#endif

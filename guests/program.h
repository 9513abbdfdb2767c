/* SPDX-License-Identifier: MIT */
/*
 * What a guest program sees: written only against <snpemu/guest.h> and this file, built for the sim backend (into
 * the VMM process) and for the kvm backend (a freestanding ELF) from the same source.
 *
 * A program is one file that ends with GUEST_PROGRAM(name, summary, bsp_main, ap_main).  The runtime
 * (guests/runtime.c) brings each vCPU up (SNP: PVALIDATE of the free RAM by the BSP, GHCB made shared and
 * registered), calls bsp_main on vCPU 0 and ap_main on APs, and reports bsp_main's return value as the exit status.
 */
#ifndef SNPEMU_GUESTS_PROGRAM_H
#define SNPEMU_GUESTS_PROGRAM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <snpemu/abi/boot_info.h>
#include <snpemu/guest.h>

struct guest {
	struct gst_ctx c;
	const struct snpemu_boot_info *boot;
	uint32_t cpu;
	bool snp;
	uint8_t *secrets; /* the secrets page (SNP) */
};

struct guest_program {
	const char *name;
	const char *summary;
	int (*bsp_main)(struct guest *g);
	int (*ap_main)(struct guest *g); /* NULL: APs are not used */
	bool kvm_only;			 /* runs only on the kvm backend (it faults on purpose) */
};

#define GUEST_PROGRAM(id, summary_, bsp, ap) \
	const struct guest_program guest_program_##id = {#id, summary_, bsp, ap, false}
#define GUEST_PROGRAM_KVM_ONLY(id, summary_, bsp, ap) \
	const struct guest_program guest_program_##id = {#id, summary_, bsp, ap, true}

/* Map guest-physical memory through the platform (NULL if it cannot). */
static inline void *guest_map(struct guest *g, uint64_t gpa, size_t len)
{
	return g->c.plat.ops->gpa_to_ptr(g->c.plat.ctx, gpa, len);
}

/* Program data in guest RAM (sim runs many guests in one process: programs keep no static state).  The first
 * GUEST_DATA_SIZE bytes of the free RAM are the program's data area; `off` + `len` must stay inside it. */
#define GUEST_DATA_SIZE (1ull << 20)
static inline void *guest_data(struct guest *g, uint64_t off, size_t len)
{
	if (off > GUEST_DATA_SIZE || len > GUEST_DATA_SIZE - off)
		return (void *)0;
	return guest_map(g, g->boot->free_gpa + off, len);
}

/* Bring vCPU `cpu` up on platform `plat` and run the program.  Returns the exit status to report. */
int guest_run(const struct guest_program *p, const struct gst_platform *plat, uint32_t cpu,
	      const struct snpemu_boot_info *boot);

/* SNP AP creation for every AP of the VM (APIC IDs 1..vcpus-1): a VMSA page each (never 2 MiB-aligned, the
 * erratum) holding the program entry and the VM's SEV features, then AP_CREATE.  Returns 0 or guest_fail()'s 1. */
int guest_start_aps(struct guest *g);
/* An AP that is done parks in AP reset hold (MSR protocol) until the hypervisor wakes it.  Returns 1 on failure. */
int guest_park(struct guest *g);
/* Wait until *counter reaches `want`; every iteration is a VMGEXIT so that the VMM can always stop us.  Returns 0,
 * or prints what is missing and returns 1 after `max_spins` iterations. */
int guest_join(struct guest *g, const uint32_t *counter, uint32_t want, uint32_t max_spins);

/* Console output through the GHCB (IOIO to port 0x3F8): a small printf (%s %c %d %u %x %lx %llx %llu %02x %p). */
void guest_printf(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void guest_vprintf(struct guest *g, const char *fmt, va_list ap);
/* Print "FAIL: what: <GST error> (event, info1, info2)" and return 1. */
int guest_fail(struct guest *g, const char *what, int rc);
/* Print `len` bytes as hex. */
void guest_print_hex(struct guest *g, const uint8_t *p, unsigned int len);
/* Report a value on the debug port. */
void guest_debug(struct guest *g, uint32_t value);

/* Check helpers for programs: print and count a failure when `cond` is false. */
#define GUEST_CHECK(g, failures, cond, ...)                      \
	do {                                                     \
		if (!(cond)) {                                   \
			guest_printf((g), "FAIL: " __VA_ARGS__); \
			guest_printf((g), "\n");                 \
			(failures)++;                            \
		}                                                \
	} while (0)

#endif

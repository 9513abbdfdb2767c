/* SPDX-License-Identifier: MIT */
/*
 * The guest-program API of the guest SDK: what a guest program is written against (with <snpemu/guest.h>), built
 * for the sim backend (an object the VMM calls on each vCPU thread) and for the kvm/tcg backends (a freestanding
 * ELF) from the same source.  Freestanding.
 *
 * A program is one file that ends with GST_PROGRAM(name, summary, bsp_main, ap_main).  The runtime
 * (gst_program_run) brings each vCPU up (SNP: PVALIDATE of the free RAM by the BSP, GHCB made shared and
 * registered), calls bsp_main on vCPU 0 and ap_main on APs, and reports bsp_main's return value as the exit status.
 * A program reads its arguments (`snpemu run NAME -- ARGS...`, the boot page's argument block) with gst_argc() /
 * gst_arg(), and hands bytes to the VMM with gst_export() (they end up in vmm_result.exported).
 */
#ifndef SNPEMU_GUEST_PROGRAM_H
#define SNPEMU_GUEST_PROGRAM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "abi/boot_info.h"
#include "guest.h"

/* One vCPU of a running program. */
struct gst_guest {
	struct gst_ctx c;
	const struct snpemu_boot_info *boot;
	uint32_t cpu;
	bool snp;
	uint8_t *secrets; /* the secrets page (SNP) */
};

/* A program: its name, one line saying what it does, and its entries. */
struct gst_program {
	const char *name;
	const char *summary;
	int (*bsp_main)(struct gst_guest *g);
	int (*ap_main)(struct gst_guest *g); /* NULL: APs are not used */
	bool elf_only;			     /* no sim build: it runs only as an ELF (kvm, tcg; it faults on purpose) */
};

/*
 * A program built with the installed SDK (pkg-config snpemu-guest defines SNPEMU_GUEST_SDK) is one file of its own,
 * NAME.elf for kvm/tcg or NAME.so for sim (`snpemu run ./NAME`).  GST_PROGRAM then also defines the image
 * descriptor the VMM and the SDK's runtime look for: `snpemu_guest_program` (the symbol the VMM finds with dlsym in
 * a .so; the ELF runtime's entry runs its program).  abi_version is checked at load: a .so built against another
 * SDK (another struct gst_platform, boot page or descriptor) is refused rather than run.
 */
#define SNPEMU_SDK_ABI_VERSION	    1u
#define SNPEMU_PROGRAM_IMAGE_MAGIC  0x474F5250554D4553ull /* "SEMUPROG" */
#define SNPEMU_PROGRAM_IMAGE_SYMBOL "snpemu_guest_program"

struct gst_platform;
struct gst_program_image {
	uint64_t magic;	      /* SNPEMU_PROGRAM_IMAGE_MAGIC */
	uint32_t abi_version; /* SNPEMU_SDK_ABI_VERSION of the SDK it was built with */
	uint32_t reserved;
	const struct gst_program *program;
	/* gst_program_run of the image's own runtime, for the VMM's sim vCPU threads (struct vmm_program.sim_run) */
	int (*run)(const void *program, const struct gst_platform *plat, uint32_t cpu,
		   const struct snpemu_boot_info *boot);
};

/* gst_program_run with the signature of gst_program_image.run. */
int gst_program_image_run(const void *program, const struct gst_platform *plat, uint32_t cpu,
			  const struct snpemu_boot_info *boot);

#ifdef SNPEMU_GUEST_SDK
#define GST_PROGRAM_IMAGE_(id)                                                                         \
	extern const struct gst_program gst_program_##id;                                              \
	__attribute__((visibility("default"))) const struct gst_program_image snpemu_guest_program = { \
	    SNPEMU_PROGRAM_IMAGE_MAGIC, SNPEMU_SDK_ABI_VERSION, 0, &gst_program_##id, gst_program_image_run};
#else
#define GST_PROGRAM_IMAGE_(id)
#endif
extern const struct gst_program_image snpemu_guest_program;

#define GST_PROGRAM(id, summary_, bsp, ap) \
	GST_PROGRAM_IMAGE_(id) const struct gst_program gst_program_##id = {#id, summary_, bsp, ap, false}
#define GST_PROGRAM_ELF_ONLY(id, summary_, bsp, ap) \
	GST_PROGRAM_IMAGE_(id) const struct gst_program gst_program_##id = {#id, summary_, bsp, ap, true}

/* Map guest-physical memory through the platform (NULL if it cannot). */
static inline void *gst_guest_map(struct gst_guest *g, uint64_t gpa, size_t len)
{
	return g->c.plat.ops->gpa_to_ptr(g->c.plat.ctx, gpa, len);
}

/* Program data in guest RAM (sim runs many guests in one process: programs keep no static state).  The first
 * GST_DATA_SIZE bytes of the free RAM are the program's data area; `off` + `len` must stay inside it. */
#define GST_DATA_SIZE (1ull << 20)
static inline void *gst_guest_data(struct gst_guest *g, uint64_t off, size_t len)
{
	if (off > GST_DATA_SIZE || len > GST_DATA_SIZE - off)
		return (void *)0;
	return gst_guest_map(g, g->boot->free_gpa + off, len);
}

/* Bring vCPU `cpu` up on platform `plat` and run the program.  Returns the exit status to report (a boot page
 * whose argument block is malformed: SNPEMU_STATUS_BAD_BOOT). */
int gst_program_run(const struct gst_program *p, const struct gst_platform *plat, uint32_t cpu,
		    const struct snpemu_boot_info *boot);

/* The program's arguments (`snpemu run NAME -- ARGS...`): how many, and argument i (NUL-terminated, in the boot
 * page) or NULL when i >= gst_argc(). */
uint32_t gst_argc(const struct gst_guest *g);
const char *gst_arg(const struct gst_guest *g, uint32_t i);

/* Whether argument a (may be NULL) is the string s. */
bool gst_arg_is(const char *a, const char *s);
/* Argument values: a decimal or 0x-prefixed hex number (true and *out), or up to `max` bytes of hex digits
 * (the byte count, or -1 for odd length, a non-hex digit or too many bytes). */
bool gst_arg_u64(const char *s, uint64_t *out);
int gst_arg_hex(const char *s, uint8_t *out, uint32_t max);

/* Hand `len` bytes to the VMM (appended to the run's export buffer, at most boot->export_max bytes in all).
 * Returns GST_OK or a GST_E* error. */
int gst_export(struct gst_guest *g, const void *data, uint32_t len);

/* SNP AP creation for every AP of the VM (APIC IDs 1..vcpus-1): a VMSA page each (never 2 MiB-aligned, the
 * erratum) holding the program entry and the VM's SEV features, then AP_CREATE.  Returns 0 or gst_report_fail()'s 1. */
int gst_start_aps(struct gst_guest *g);
/* The boot argument the BSP entered with (set by the freestanding entry, guests/kvm_main.c; 0 on sim): the RSI of
 * the VMSAs gst_start_aps() builds. */
extern uint64_t gst_rt_entry_arg;
/* An AP that is done parks in AP reset hold (MSR protocol) until the hypervisor wakes it.  Returns 1 on failure. */
int gst_park(struct gst_guest *g);
/* Wait until *counter reaches `want`; every iteration is a VMGEXIT so that the VMM can always stop us.  Returns 0,
 * or prints what is missing and returns 1 after `max_spins` iterations. */
int gst_join(struct gst_guest *g, const uint32_t *counter, uint32_t want, uint32_t max_spins);

/* Console output through the GHCB (IOIO to port 0x3F8): a small printf (%s %c %d %u %x %lx %llx %llu %02x %p). */
void gst_printf(struct gst_guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gst_vprintf(struct gst_guest *g, const char *fmt, va_list ap);
/* Print "FAIL: what: <GST error> (event, info1, info2)" and return 1. */
int gst_report_fail(struct gst_guest *g, const char *what, int rc);
/* Print `len` bytes as hex. */
void gst_print_hex(struct gst_guest *g, const uint8_t *p, unsigned int len);
/* Report a value on the debug port. */
void gst_debug(struct gst_guest *g, uint32_t value);
/* Nothing to do for `us` microseconds (at most SNPEMU_IDLE_MAX_US): the VMM lets the vCPU's host thread sleep, so
 * a program that waits for the clock does not hold a host core.  May return earlier (the VM stopping or pausing). */
void gst_idle_us(struct gst_guest *g, uint32_t us);

/* Check helpers for programs: print and count a failure when `cond` is false. */
#define GST_CHECK(g, failures, cond, ...)                      \
	do {                                                   \
		if (!(cond)) {                                 \
			gst_printf((g), "FAIL: " __VA_ARGS__); \
			gst_printf((g), "\n");                 \
			(failures)++;                          \
		}                                              \
	} while (0)

#endif

/* SPDX-License-Identifier: MIT */
/* Guest program runtime: vCPU bring-up and console formatting.  Freestanding. */
#include <snpemu/guest_program.h>

#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/page_info.h>
#include <snpemu/abi/secrets.h>
#include <snpemu/abi/svm_exit.h>

/* The guest flags have no -Isrc: the shared decoder is header-only and freestanding. */
#include "../src/common/hex.h"

#define PAGE   4096ull
#define TWO_MB (2ull << 20)

/* SNP: the launch validated only the pages it measured; like OVMF, the BSP validates the rest of the RAM it hands
 * out (GHCB pages, request pages, AP VMSAs, free RAM) before anyone touches it.  The range starts above the boot
 * pages so nothing launched is validated twice. */
static int validate_ram(struct gst_guest *g)
{
	uint64_t start = SNPEMU_GHCB_GPA(0);
	uint64_t end = g->boot->mem_size;
	return gst_pvalidate_range(&g->c, start, (end - start) / PAGE, true, false);
}

/* The argument block is the VMM's (measured with the boot page): argc strings, each NUL-terminated, in args_len. */
static bool args_valid(const struct snpemu_boot_info *boot)
{
	if (boot->argc > SNPEMU_BOOT_ARGS_MAX || boot->args_len > SNPEMU_BOOT_ARGS_SIZE)
		return false;
	uint32_t strings = 0;
	for (uint32_t i = 0; i < boot->args_len; i++)
		strings += boot->args[i] == '\0';
	return strings == boot->argc && (boot->args_len == 0 || boot->args[boot->args_len - 1] == '\0');
}

uint32_t gst_argc(const struct gst_guest *g)
{
	return g->boot->argc;
}

const char *gst_arg(const struct gst_guest *g, uint32_t i)
{
	if (i >= g->boot->argc)
		return (const char *)0;
	const char *a = (const char *)g->boot->args;
	while (i--)
		while (*a++)
			;
	return a;
}

bool gst_arg_is(const char *a, const char *s)
{
	if (!a)
		return false;
	while (*a && *a == *s)
		a++, s++;
	return *a == *s;
}

bool gst_arg_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10;
	if (!s || !*s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2])
		s += 2, base = 16;
	for (; *s; s++) {
		int d = snpemu_hex_digit(*s);
		if (d < 0 || (uint64_t)d >= base || v > (~0ull - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

int gst_arg_hex(const char *s, uint8_t *out, uint32_t max)
{
	uint32_t n = 0;
	for (; s && s[0]; s += 2) {
		int hi = snpemu_hex_digit(s[0]), lo = s[1] ? snpemu_hex_digit(s[1]) : -1;
		if (hi < 0 || lo < 0 || n == max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	return (int)n;
}

int gst_export(struct gst_guest *g, const void *data, uint32_t len)
{
	return gst_io_outs(&g->c, SNPEMU_PORT_EXPORT, 1, data, len);
}

int gst_program_run(const struct gst_program *p, const struct gst_platform *plat, uint32_t cpu,
		    const struct snpemu_boot_info *boot)
{
	if (!args_valid(boot))
		return (int)SNPEMU_STATUS_BAD_BOOT;
	struct gst_guest g;
	gst_memset(&g, 0, sizeof(g));
	g.boot = boot;
	g.cpu = cpu;
	g.snp = boot->flags & SNPEMU_BOOT_SNP;
	int rc = gst_init(&g.c, plat, g.snp);
	if (rc)
		return 0xE0000000u | (unsigned int)-rc;
	if (g.snp) {
		g.secrets = gst_guest_map(&g, SNPEMU_SECRETS_GPA, PAGE);
		if (cpu == 0) {
			rc = validate_ram(&g);
			if (rc) {
				gst_msr_terminate(&g.c, SEV_TERM_SET_LINUX, GHCB_TERM_PVALIDATE);
				return 0xE1000000u | (unsigned int)-rc;
			}
		}
	}
	rc = gst_ghcb_setup(&g.c, SNPEMU_GHCB_GPA(cpu), g.snp ? 0 : GST_GHCB_ALREADY_SHARED);
	if (rc) {
		/* Without a GHCB the only way to say why is the MSR protocol (Linux: GHCB_TERM_REGISTER). */
		gst_msr_terminate(&g.c, SEV_TERM_SET_LINUX, GHCB_TERM_REGISTER);
		return 0xE2000000u | (unsigned int)-rc;
	}
	if (boot->flags & SNPEMU_BOOT_VC) {
		/* From here CPUID, port IO and MSRs raise #VC (`--vc`, tcg): the library's handler serves them. */
		rc = gst_vc_install(&g.c, cpu);
		if (rc) {
			gst_terminate(&g.c, SEV_TERM_SET_GEN, GHCB_SEV_ES_GEN_REQ);
			return 0xE3000000u | (unsigned int)-rc;
		}
	}
	if (cpu != 0)
		return p->ap_main ? p->ap_main(&g) : 0;
	return p->bsp_main(&g);
}

uint64_t gst_rt_entry_arg;

int gst_program_image_run(const void *program, const struct gst_platform *plat, uint32_t cpu,
			  const struct snpemu_boot_info *boot)
{
	return gst_program_run(program, plat, cpu, boot);
}

int gst_start_aps(struct gst_guest *g)
{
	for (uint32_t ap = 1; ap < g->boot->vcpus; ap++) {
		uint64_t vmsa_gpa = SNPEMU_AP_VMSA_GPA(ap);
		uint8_t *vmsa = gst_guest_map(g, vmsa_gpa, 4096);
		if (!vmsa)
			return gst_report_fail(g, "VMSA page", GST_EFAULT);
		gst_memset(vmsa, 0, 4096);
		/* The AP's registers (kvm and tcg start it from them): the image's entry, RDI = its index, RSI = the
		 * boot argument the BSP got (the entry protocol of guests/kvm_main.c); segments and control registers
		 * are left to the VMM's long-mode set. */
		le64_store(vmsa + SNP_VMSA_OFF_RIP, SNPEMU_IMAGE_GPA);
		le64_store(vmsa + SNP_VMSA_OFF_RFLAGS, 2);
		le64_store(vmsa + SNP_VMSA_OFF_RDI, ap);
		le64_store(vmsa + SNP_VMSA_OFF_RSI, gst_rt_entry_arg);
		le64_store(vmsa + SNP_VMSA_OFF_SEV_FEATURES, g->boot->sev_features);
		int rc = gst_ap_create(&g->c, SVM_VMGEXIT_AP_CREATE, ap, vmsa_gpa, g->boot->sev_features);
		if (rc)
			return gst_report_fail(g, "AP creation", rc);
	}
	return 0;
}

int gst_park(struct gst_guest *g)
{
	uint64_t woken = 0;
	while (!woken)
		if (gst_msr_ap_reset_hold(&g->c, &woken))
			return 1;
	return 0;
}

int gst_join(struct gst_guest *g, const uint32_t *counter, uint32_t want, uint32_t max_spins)
{
	for (uint32_t spins = 0; __atomic_load_n(counter, __ATOMIC_ACQUIRE) != want; spins++) {
		uint32_t r[4];
		if (spins > max_spins || gst_cpuid(&g->c, 0, 0, r)) {
			gst_printf(g, "FAIL: only %u of %u APs reported\n", __atomic_load_n(counter, __ATOMIC_ACQUIRE),
				   want);
			return 1;
		}
	}
	return 0;
}

static void put(struct gst_guest *g, char *buf, unsigned int *n, char ch)
{
	buf[(*n)++] = ch;
	if (*n == 128) {
		gst_console_write(&g->c, buf, *n);
		*n = 0;
	}
}

static void put_u64(struct gst_guest *g, char *buf, unsigned int *n, uint64_t v, unsigned int base, int width, char pad)
{
	char tmp[24];
	int len = 0;
	do {
		unsigned int d = (unsigned int)(v % base);
		tmp[len++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	while (len < width--)
		put(g, buf, n, pad);
	while (len)
		put(g, buf, n, tmp[--len]);
}

void gst_vprintf(struct gst_guest *g, const char *fmt, va_list ap)
{
	char buf[128];
	unsigned int n = 0;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(g, buf, &n, *f);
			continue;
		}
		f++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*f == '0')
			pad = '0';
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		while (*f == 'l')
			longs++, f++;
		switch (*f) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				put(g, buf, &n, *s);
			break;
		}
		case 'c':
			put(g, buf, &n, (char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0) {
				put(g, buf, &n, '-');
				v = -v;
			}
			put_u64(g, buf, &n, (uint64_t)v, 10, width, pad);
			break;
		}
		case 'u':
			put_u64(g, buf, &n, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int), 10, width, pad);
			break;
		case 'x':
			put_u64(g, buf, &n, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int), 16, width, pad);
			break;
		case 'p':
			put(g, buf, &n, '0');
			put(g, buf, &n, 'x');
			put_u64(g, buf, &n, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, ' ');
			break;
		case '%':
			put(g, buf, &n, '%');
			break;
		default:
			put(g, buf, &n, '?');
			break;
		}
		if (!*f)
			break;
	}
	if (n)
		gst_console_write(&g->c, buf, n);
}

void gst_printf(struct gst_guest *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gst_vprintf(g, fmt, ap);
	va_end(ap);
}

void gst_print_hex(struct gst_guest *g, const uint8_t *p, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		gst_printf(g, "%02x", p[i]);
}

int gst_report_fail(struct gst_guest *g, const char *what, int rc)
{
	gst_printf(g, "FAIL: %s: %s (event 0x%llx, info1 0x%llx, info2 0x%llx)\n", what, gst_strerror(rc),
		   (unsigned long long)g->c.fault.event, (unsigned long long)g->c.fault.info1,
		   (unsigned long long)g->c.fault.info2);
	return 1;
}

void gst_debug(struct gst_guest *g, uint32_t value)
{
	gst_io_out(&g->c, SNPEMU_PORT_DEBUG, 4, value);
}

void gst_idle_us(struct gst_guest *g, uint32_t us)
{
	gst_io_out(&g->c, SNPEMU_PORT_IDLE, 4, us);
}

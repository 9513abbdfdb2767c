/* SPDX-License-Identifier: MIT */
/* Text decoders for GHCB MSR values and GHCB pages (used by `snpemu decode`, traces and the tests). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <snpemu/abi/ghcb.h>
#include <snpemu/abi/msr_proto.h>
#include <snpemu/abi/svm_exit.h>
#include <snpemu/names.h>

void snpemu_text_init(struct snpemu_text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->truncated = 0;
	if (cap)
		buf[0] = '\0';
}

void snpemu_text_printf(struct snpemu_text *t, const char *fmt, ...)
{
	va_list ap;
	if (t->len + 1 >= t->cap) {
		t->truncated = 1;
		return;
	}
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= t->cap - t->len) {
		t->len = t->cap - 1;
		t->truncated = 1;
	} else {
		t->len += (size_t)n;
	}
}

static const char *const cpuid_reg_names[4] = {"EAX", "EBX", "ECX", "EDX"};

size_t snpemu_decode_msr(uint64_t v, struct snpemu_text *out)
{
	uint32_t info = GHCB_MSR_INFO(v);
	const char *name = snpemu_msr_info_name(info);
	size_t start = out->len;

	snpemu_text_printf(out, "0x%016llx %s", (unsigned long long)v, name ? name : "UNKNOWN");
	switch (info) {
	case GHCB_MSR_SEV_INFO_RESP:
		snpemu_text_printf(out, " max=%u min=%u cbit=%u", ghcb_msr_sev_info_max(v), ghcb_msr_sev_info_min(v),
				   ghcb_msr_sev_info_cbit(v));
		break;
	case GHCB_MSR_CPUID_REQ:
		snpemu_text_printf(out, " fn=0x%x reg=%s", ghcb_msr_cpuid_fn(v),
				   cpuid_reg_names[ghcb_msr_cpuid_reg(v)]);
		break;
	case GHCB_MSR_CPUID_RESP:
		snpemu_text_printf(out, " value=0x%x reg=%s", ghcb_msr_cpuid_value(v),
				   cpuid_reg_names[ghcb_msr_cpuid_reg(v)]);
		break;
	case GHCB_MSR_AP_RESET_HOLD_RESP:
		snpemu_text_printf(out, " result=%llu", (unsigned long long)ghcb_msr_ap_reset_hold_result(v));
		break;
	case GHCB_MSR_PREF_GPA_RESP:
	case GHCB_MSR_REG_GPA_REQ:
	case GHCB_MSR_REG_GPA_RESP:
		snpemu_text_printf(out, " gfn=0x%llx", (unsigned long long)ghcb_msr_gfn(v));
		break;
	case GHCB_MSR_PSC_REQ: {
		unsigned int op = ghcb_msr_psc_op(v);
		snpemu_text_printf(out, " gfn=0x%llx op=%u (%s)", (unsigned long long)ghcb_msr_psc_gfn(v), op,
				   op == GHCB_MSR_PSC_OP_PRIVATE  ? "private"
				   : op == GHCB_MSR_PSC_OP_SHARED ? "shared"
								  : "invalid");
		break;
	}
	case GHCB_MSR_PSC_RESP:
		snpemu_text_printf(out, " error=0x%x", ghcb_msr_psc_resp_error(v));
		break;
	case GHCB_MSR_VMPL_REQ:
		snpemu_text_printf(out, " vmpl=%u", (unsigned int)((v >> 32) & 0xFF));
		break;
	case GHCB_MSR_HV_FT_RESP:
		snpemu_text_printf(out, " features=0x%llx", (unsigned long long)ghcb_msr_hv_ft_features(v));
		break;
	case GHCB_MSR_TERM_REQ:
		snpemu_text_printf(out, " set=%u code=%u", ghcb_msr_term_set(v), ghcb_msr_term_code(v));
		break;
	default:
		if (!GHCB_MSR_INFO(v) && v)
			snpemu_text_printf(out, " (a GHCB GPA: 0x%llx)", (unsigned long long)v);
		break;
	}
	return out->len - start;
}

struct ghcb_field_desc {
	const char *name;
	unsigned int off;
	unsigned int size;
};

static const struct ghcb_field_desc ghcb_fields[] = {
    {"cpl", GHCB_OFF_CPL, 1},
    {"xss", GHCB_OFF_XSS, 8},
    {"dr7", GHCB_OFF_DR7, 8},
    {"rip", GHCB_OFF_RIP, 8},
    {"rsp", GHCB_OFF_RSP, 8},
    {"rax", GHCB_OFF_RAX, 8},
    {"rcx", GHCB_OFF_RCX, 8},
    {"rdx", GHCB_OFF_RDX, 8},
    {"rbx", GHCB_OFF_RBX, 8},
    {"rbp", GHCB_OFF_RBP, 8},
    {"rsi", GHCB_OFF_RSI, 8},
    {"rdi", GHCB_OFF_RDI, 8},
    {"r8", GHCB_OFF_R8, 8},
    {"r9", GHCB_OFF_R9, 8},
    {"r10", GHCB_OFF_R10, 8},
    {"r11", GHCB_OFF_R11, 8},
    {"r12", GHCB_OFF_R12, 8},
    {"r13", GHCB_OFF_R13, 8},
    {"r14", GHCB_OFF_R14, 8},
    {"r15", GHCB_OFF_R15, 8},
    {"sw_exit_code", GHCB_OFF_SW_EXIT_CODE, 8},
    {"sw_exit_info_1", GHCB_OFF_SW_EXIT_INFO_1, 8},
    {"sw_exit_info_2", GHCB_OFF_SW_EXIT_INFO_2, 8},
    {"sw_scratch", GHCB_OFF_SW_SCRATCH, 8},
    {"xcr0", GHCB_OFF_XCR0, 8},
};

const char *snpemu_ghcb_field(size_t i, unsigned int *off, unsigned int *size)
{
	if (i >= sizeof(ghcb_fields) / sizeof(ghcb_fields[0]))
		return NULL;
	*off = ghcb_fields[i].off;
	*size = ghcb_fields[i].size;
	return ghcb_fields[i].name;
}

size_t snpemu_decode_ghcb(const uint8_t *page, size_t len, struct snpemu_text *out)
{
	size_t start = out->len;
	if (len != GHCB_PAGE_SIZE) {
		snpemu_text_printf(out, "error: a GHCB page is %u bytes, got %zu\n", GHCB_PAGE_SIZE, len);
		return out->len - start;
	}
	const struct ghcb *g = (const struct ghcb *)(const void *)page;
	unsigned int nvalid = 0;
	for (unsigned int bit = 0; bit < GHCB_VALID_BITMAP_BITS; bit++)
		nvalid += ghcb_bitmap_test(page + GHCB_OFF_VALID_BITMAP, bit);
	snpemu_text_printf(out, "protocol_version %u, usage %u%s, %u valid bits\n", ghcb_get_protocol_version(g),
			   ghcb_get_usage(g), ghcb_get_usage(g) ? " (non-standard)" : "", nvalid);
	for (size_t i = 0; i < sizeof(ghcb_fields) / sizeof(ghcb_fields[0]); i++) {
		const struct ghcb_field_desc *f = &ghcb_fields[i];
		uint64_t v = f->size == 1 ? page[f->off] : le64_load(page + f->off);
		int valid = ghcb_offset_is_valid(g, f->off);
		if (!valid && !v)
			continue;
		snpemu_text_printf(out, "  %-15s 0x%016llx %s", f->name, (unsigned long long)v,
				   valid ? "valid" : "(not valid)");
		if (f->off == GHCB_OFF_SW_EXIT_CODE) {
			const char *n = snpemu_exit_code_name(v);
			snpemu_text_printf(out, "  %s", n ? n : "unknown exit code");
		}
		snpemu_text_printf(out, "\n");
	}
	/* Undefined valid bits (bits whose offset is not a protocol field) are worth flagging. */
	for (unsigned int bit = 0; bit < GHCB_VALID_BITMAP_BITS; bit++) {
		if (!ghcb_bitmap_test(page + GHCB_OFF_VALID_BITMAP, bit))
			continue;
		int known = 0;
		for (size_t i = 0; i < sizeof(ghcb_fields) / sizeof(ghcb_fields[0]); i++)
			known |= GHCB_BITMAP_IDX(ghcb_fields[i].off) == bit;
		if (!known)
			snpemu_text_printf(out, "  valid bit %u set for offset 0x%x (no protocol field)\n", bit,
					   bit * 8);
	}
	unsigned int last = 0;
	for (unsigned int i = 0; i < GHCB_SHARED_BUFFER_SIZE; i++)
		if (page[GHCB_OFF_SHARED_BUFFER + i])
			last = i + 1;
	if (last) {
		snpemu_text_printf(out, "shared buffer (%u bytes up to the last non-zero):\n", last);
		for (unsigned int i = 0; i < last; i += 16) {
			snpemu_text_printf(out, "  %03x:", GHCB_OFF_SHARED_BUFFER + i);
			for (unsigned int j = i; j < i + 16 && j < last; j++)
				snpemu_text_printf(out, " %02x", page[GHCB_OFF_SHARED_BUFFER + j]);
			snpemu_text_printf(out, "\n");
		}
	}
	return out->len - start;
}

/* SPDX-License-Identifier: MIT */
/*
 * NAE event wrappers (GHCB spec 56421 §4.1; what KVM requires and answers: ghcb-hypervisor-kvm.md §3, §6, §9,
 * §11, §12).  Each clears the save area, sets exactly the inputs the event needs, goes through gst_nae_resp and
 * reads only outputs whose valid bit the hypervisor set.
 */
#include "internal.h"

#include <snpemu/abi/svm_exit.h>

int gst_cpuid(struct gst_ctx *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	int rc = gst_need(c, SVM_EXIT_CPUID, 1, false);
	if (rc)
		return rc;
	gst_ghcb_begin(c);
	ghcb_set_rax(c->ghcb, leaf);
	ghcb_set_rcx(c->ghcb, subleaf);
	if (leaf == 0xD) /* KVM needs XCR0 for the XSAVE sizes (ghcb-hypervisor-kvm.md §3) */
		ghcb_set_xcr0(c->ghcb, c->xcr0);
	struct gst_resp r;
	rc = gst_nae_resp(c, SVM_EXIT_CPUID, 0, 0, &r);
	if (rc)
		return rc;
	/* Linux vc_handle_cpuid: all four registers must be valid. */
	static const unsigned int offs[4] = {GHCB_OFF_RAX, GHCB_OFF_RBX, GHCB_OFF_RCX, GHCB_OFF_RDX};
	uint32_t tmp[4];
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t v;
		rc = gst_resp_u64(c, &r, SVM_EXIT_CPUID, offs[i], &v);
		if (rc)
			return rc;
		tmp[i] = (uint32_t)v;
	}
	gst_memcpy(out, tmp, sizeof(tmp));
	return GST_OK;
}

int gst_rdmsr(struct gst_ctx *c, uint32_t msr, uint64_t *value)
{
	int rc = gst_need(c, SVM_EXIT_MSR, 1, false);
	if (rc)
		return rc;
	gst_ghcb_begin(c);
	ghcb_set_rcx(c->ghcb, msr);
	struct gst_resp r;
	rc = gst_nae_resp(c, SVM_EXIT_MSR, SVM_MSR_READ, 0, &r);
	if (rc)
		return rc;
	uint64_t lo, hi;
	rc = gst_resp_u64(c, &r, SVM_EXIT_MSR, GHCB_OFF_RAX, &lo);
	if (!rc)
		rc = gst_resp_u64(c, &r, SVM_EXIT_MSR, GHCB_OFF_RDX, &hi);
	if (rc)
		return rc;
	*value = (hi << 32) | (uint32_t)lo;
	return GST_OK;
}

int gst_wrmsr(struct gst_ctx *c, uint32_t msr, uint64_t value)
{
	int rc = gst_need(c, SVM_EXIT_MSR, 1, false);
	if (rc)
		return rc;
	gst_ghcb_begin(c);
	ghcb_set_rcx(c->ghcb, msr);
	ghcb_set_rax(c->ghcb, (uint32_t)value);
	ghcb_set_rdx(c->ghcb, value >> 32);
	return gst_nae(c, SVM_EXIT_MSR, SVM_MSR_WRITE, 0, NULL);
}

static bool gst_io_size_ok(unsigned int size)
{
	return size == 1 || size == 2 || size == 4;
}

static uint32_t gst_io_mask(unsigned int size)
{
	return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

int gst_io_in(struct gst_ctx *c, uint16_t port, unsigned int size, uint32_t *value)
{
	if (!gst_io_size_ok(size) || !value)
		return gst_fail(c, GST_EINVAL, SVM_EXIT_IOIO, size);
	int rc = gst_need(c, SVM_EXIT_IOIO, 1, false);
	if (rc)
		return rc;
	gst_ghcb_begin(c);
	struct gst_resp r;
	rc = gst_nae_resp(c, SVM_EXIT_IOIO, svm_ioio_info1(port, size, 1, 0, 0), 0, &r);
	if (rc)
		return rc;
	uint64_t rax;
	rc = gst_resp_u64(c, &r, SVM_EXIT_IOIO, GHCB_OFF_RAX, &rax);
	if (rc)
		return rc;
	*value = (uint32_t)rax & gst_io_mask(size);
	return GST_OK;
}

int gst_io_out(struct gst_ctx *c, uint16_t port, unsigned int size, uint32_t value)
{
	if (!gst_io_size_ok(size))
		return gst_fail(c, GST_EINVAL, SVM_EXIT_IOIO, size);
	int rc = gst_need(c, SVM_EXIT_IOIO, 1, false);
	if (rc)
		return rc;
	gst_ghcb_begin(c);
	ghcb_set_rax(c->ghcb, value & gst_io_mask(size));
	return gst_nae(c, SVM_EXIT_IOIO, svm_ioio_info1(port, size, 0, 0, 0), 0, NULL);
}

/* String I/O in chunks that fit the shared buffer: SW_SCRATCH = the buffer, SW_EXITINFO2 = the element count. */
static int gst_io_string(struct gst_ctx *c, uint16_t port, unsigned int size, uint8_t *buf, size_t count, bool in)
{
	if (!gst_io_size_ok(size) || (!buf && count))
		return gst_fail(c, GST_EINVAL, SVM_EXIT_IOIO, size);
	int rc = gst_need(c, SVM_EXIT_IOIO, 1, false);
	if (rc)
		return rc;
	size_t per = GHCB_SHARED_BUFFER_SIZE / size;
	while (count) {
		size_t n = count < per ? count : per;
		size_t bytes = n * size;
		gst_ghcb_begin(c);
		if (!in)
			gst_memcpy(gst_shared_buf(c), buf, bytes);
		ghcb_set_sw_scratch(c->ghcb, gst_shared_buf_gpa(c));
		rc = gst_nae(c, SVM_EXIT_IOIO, svm_ioio_info1(port, size, in, 1, 1), n, NULL);
		if (rc)
			return rc;
		if (in)
			gst_memcpy(buf, gst_shared_buf(c), bytes);
		buf += bytes;
		count -= n;
	}
	return GST_OK;
}

int gst_io_outs(struct gst_ctx *c, uint16_t port, unsigned int size, const void *buf, size_t count)
{
	return gst_io_string(c, port, size, (uint8_t *)(uintptr_t)buf, count, false);
}

int gst_io_ins(struct gst_ctx *c, uint16_t port, unsigned int size, void *buf, size_t count)
{
	return gst_io_string(c, port, size, (uint8_t *)buf, count, true);
}

int gst_console_write(struct gst_ctx *c, const char *s, size_t len)
{
	return gst_io_outs(c, GST_CONSOLE_PORT, 1, s, len);
}

int gst_console_puts(struct gst_ctx *c, const char *s)
{
	return gst_console_write(c, s, gst_strlen(s));
}

static int gst_mmio(struct gst_ctx *c, uint64_t exit_code, uint64_t gpa, uint8_t *buf, size_t len)
{
	if (!buf || len == 0 || len > GHCB_SHARED_BUFFER_SIZE)
		return gst_fail(c, GST_EINVAL, exit_code, len);
	int rc = gst_need(c, exit_code, 1, false);
	if (rc)
		return rc;
	gst_ghcb_begin(c);
	if (exit_code == SVM_VMGEXIT_MMIO_WRITE)
		gst_memcpy(gst_shared_buf(c), buf, len);
	ghcb_set_sw_scratch(c->ghcb, gst_shared_buf_gpa(c));
	rc = gst_nae(c, exit_code, gpa, len, NULL);
	if (rc)
		return rc;
	if (exit_code == SVM_VMGEXIT_MMIO_READ)
		gst_memcpy(buf, gst_shared_buf(c), len);
	return GST_OK;
}

int gst_mmio_read(struct gst_ctx *c, uint64_t gpa, void *buf, size_t len)
{
	return gst_mmio(c, SVM_VMGEXIT_MMIO_READ, gpa, (uint8_t *)buf, len);
}

int gst_mmio_write(struct gst_ctx *c, uint64_t gpa, const void *buf, size_t len)
{
	return gst_mmio(c, SVM_VMGEXIT_MMIO_WRITE, gpa, (uint8_t *)(uintptr_t)buf, len);
}

int gst_hypercall(struct gst_ctx *c, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t *ret)
{
	int rc = gst_need(c, SVM_EXIT_VMMCALL, 1, false);
	if (rc)
		return rc;
	gst_ghcb_begin(c);
	/* KVM needs RAX and CPL (ghcb-hypervisor-kvm.md §3); the arguments go in RBX, RCX, RDX, RSI (§9). */
	ghcb_set_rax(c->ghcb, nr);
	ghcb_set_cpl(c->ghcb, 0);
	ghcb_set_rbx(c->ghcb, a0);
	ghcb_set_rcx(c->ghcb, a1);
	ghcb_set_rdx(c->ghcb, a2);
	ghcb_set_rsi(c->ghcb, a3);
	struct gst_resp r;
	rc = gst_nae_resp(c, SVM_EXIT_VMMCALL, 0, 0, &r);
	if (rc)
		return rc;
	return gst_resp_u64(c, &r, SVM_EXIT_VMMCALL, GHCB_OFF_RAX, ret);
}

int gst_map_gpa_range(struct gst_ctx *c, uint64_t gpa, uint64_t npages, uint64_t attrs)
{
	if (gpa & GST_PAGE_MASK || npages == 0)
		return gst_fail(c, GST_EINVAL, SVM_EXIT_VMMCALL, gpa);
	uint64_t ret;
	int rc = gst_hypercall(c, GST_KVM_HC_MAP_GPA_RANGE, gpa, npages, attrs, 0, &ret);
	if (rc)
		return rc;
	if (ret != 0) /* 0 = success; -KVM_E* otherwise (ghcb-hypervisor-kvm.md §9) */
		return gst_fail(c, GST_ESTATUS, SVM_EXIT_VMMCALL, ret);
	return GST_OK;
}

int gst_hv_features(struct gst_ctx *c, uint64_t *features)
{
	int rc = gst_need(c, SVM_VMGEXIT_HV_FEATURES, 2, false);
	if (rc)
		return rc;
	gst_ghcb_begin(c);
	uint64_t f;
	rc = gst_nae(c, SVM_VMGEXIT_HV_FEATURES, 0, 0, &f);
	if (rc)
		return rc;
	c->hv_features = f;
	if (features)
		*features = f;
	return GST_OK;
}

int gst_ap_jump_table_set(struct gst_ctx *c, uint64_t pa)
{
	gst_ghcb_begin(c);
	return gst_nae(c, SVM_VMGEXIT_AP_JUMP_TABLE, SVM_VMGEXIT_SET_AP_JUMP_TABLE, pa, NULL);
}

int gst_ap_jump_table_get(struct gst_ctx *c, uint64_t *pa)
{
	gst_ghcb_begin(c);
	return gst_nae(c, SVM_VMGEXIT_AP_JUMP_TABLE, SVM_VMGEXIT_GET_AP_JUMP_TABLE, 0, pa);
}

int gst_ap_create(struct gst_ctx *c, unsigned int request, uint32_t apic_id, uint64_t vmsa_gpa, uint64_t sev_features)
{
	int rc = gst_need(c, SVM_VMGEXIT_AP_CREATION, 2, true);
	if (rc)
		return rc;
	if (request > SVM_VMGEXIT_AP_DESTROY ||
	    (request != SVM_VMGEXIT_AP_DESTROY && (vmsa_gpa & GST_PAGE_MASK || !(vmsa_gpa & 0x1FFFFFull))))
		return gst_fail(c, GST_EINVAL, SVM_VMGEXIT_AP_CREATION, vmsa_gpa);
	if (!(c->hv_features & GHCB_HV_FT_SNP_AP_CREATION))
		return gst_fail(c, GST_ENOTSUP, SVM_VMGEXIT_AP_CREATION, c->hv_features);
	gst_ghcb_begin(c);
	ghcb_set_rax(c->ghcb, sev_features);
	return gst_nae(c, SVM_VMGEXIT_AP_CREATION, SVM_VMGEXIT_AP_INFO1(request, apic_id), vmsa_gpa, NULL);
}

int gst_ap_hlt_loop(struct gst_ctx *c, uint64_t *woken)
{
	gst_ghcb_begin(c);
	return gst_nae(c, SVM_VMGEXIT_AP_HLT_LOOP, 0, 0, woken);
}

int gst_nmi_complete(struct gst_ctx *c)
{
	gst_ghcb_begin(c);
	return gst_nae(c, SVM_VMGEXIT_NMI_COMPLETE, 0, 0, NULL);
}

int gst_terminate(struct gst_ctx *c, unsigned int set, unsigned int code)
{
	gst_ghcb_begin(c);
	int rc = gst_nae(c, SVM_VMGEXIT_TERM_REQUEST, SVM_VMGEXIT_TERM_REASON(set, code), 0, NULL);
	if (rc)
		return rc;
	/* A conforming hypervisor never resumes us; the caller must halt. */
	return gst_fail(c, GST_ETERM, SVM_VMGEXIT_TERM_REQUEST, SVM_VMGEXIT_TERM_REASON(set, code));
}

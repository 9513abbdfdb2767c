/* SPDX-License-Identifier: MIT */
/*
 * The destination side of a live migration (docs/migration.md, "The VMM stream"): the VM is built from the
 * stream's CONFIG section instead of a program (no image, no launch: the firmware guest context arrives sealed at
 * the end), the firmware's offer goes back to the source, and every later section is checked on receipt, in the
 * order the source writes them: TRUST (fw_migrate_complete), pages and PASS_END while the source pre-copies, one
 * VCPU per vCPU in id order, ENGINE, FW_CONTEXT, then the end marker's digest.  Shared pages are plaintext, become
 * shared in the RMP; private pages go through fw_migrate_page_import (tag, order, replay and key checks; the page
 * is written only once verified).  Only when all of it verified does the destination answer RESULT 0, then it
 * starts the vCPUs from their saved states.  Any failure: a one-line reason, RESULT -errno to the source (best
 * effort), nothing runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <snpemu/abi/le.h>

#include "vmm/migrate_internal.h"

#define PAGE		     4096ull
#define MADV_POPULATE_WRITE_ 23 /* Linux 5.14 (uapi/asm-generic/mman-common.h); not in every libc's headers */

static const struct vmm_program incoming_program = {.name = "incoming",
						    .summary = "a guest received by live migration"};

enum phase { PHASE_PAGES, PHASE_VCPUS, PHASE_ENGINE, PHASE_CONTEXT };

struct dest {
	struct vmm_vm *vm;
	int fd;
	struct vmm_mig_in in;
	struct fw_migrate_session *session;
	enum phase phase;
	uint32_t vcpus_seen;
	struct vmm_vcpu_state states[SNPEMU_MAX_VCPUS];
	uint64_t pass_end_ns[2]; /* the last two PASS_ENDs: the stop-and-copy pass starts after the second last */
	struct vmm_migration_summary sum;
	uint64_t run_ns; /* the guest's run time at the source (ENGINE), where the VMM's TSC MSR goes on */
	/* Pages of guest RAM that may hold data here: populated when the VM was built (the backend's system area),
	 * or written since.  The others are still the fresh mapping's zeros: an all-zero page needs nothing. */
	uint64_t *written;
	uint8_t *scratch; /* where an all-zero record's (empty) plaintext goes */
	char why[160];
};

static int fail(struct dest *d, int rc, const char *what)
{
	if (!d->why[0])
		snprintf(d->why, sizeof(d->why), "%s: %s", what, strerror(-rc));
	return rc;
}

static bool page_range_ok(const struct vmm_vm *vm, uint64_t gpa, uint64_t pages)
{
	return gpa % PAGE == 0 && pages && gpa < vm->mem_size && pages <= (vm->mem_size - gpa) / PAGE;
}

/* Makes [gpa, +pages) shared in the RMP (whatever the state an earlier pass gave it). */
static int make_shared(struct vmm_vm *vm, uint64_t gpa, uint64_t pages)
{
	struct fw_rmp *rmp = fw_guest_rmp(vm->fw_guest);
	if (fw_rmp_set_private(rmp, gpa, pages, false) == 0)
		return 0;
	for (uint64_t i = 0; i < pages; i++) { /* a VMSA page among them: page by page */
		int rc = fw_rmp_set(rmp, gpa + i * PAGE, FW_PAGE_SHARED);
		if (rc)
			return rc;
	}
	return 0;
}

static void mark_written(struct dest *d, uint64_t gpa, uint64_t pages)
{
	for (uint64_t p = gpa / PAGE; p < gpa / PAGE + pages; p++)
		d->written[p / 64] |= 1ull << (p % 64);
}

/* Zeros [gpa, +pages) where it may hold data; pages never written stay untouched (and unallocated). */
static void clear_written(struct dest *d, uint64_t gpa, uint64_t pages)
{
	for (uint64_t p = gpa / PAGE; p < gpa / PAGE + pages; p++) {
		if (!(d->written[p / 64] >> (p % 64) & 1))
			continue;
		uint8_t *q = vmm_guest_ptr(d->vm, p * PAGE, PAGE, VMM_ACCESS_GUEST, NULL);
		if (q)
			memset(q, 0, PAGE);
	}
}

static int shared_page(struct dest *d, const struct mig_section *sec)
{
	uint64_t gpa = le64_load(sec->payload);
	if (!page_range_ok(d->vm, gpa, 1))
		return fail(d, -EPROTO, "SHARED_PAGE outside guest RAM or not page-aligned");
	int rc = make_shared(d->vm, gpa, 1);
	uint8_t *p = rc ? NULL : vmm_guest_ptr(d->vm, gpa, PAGE, VMM_ACCESS_HOST_WRITE, NULL);
	if (!p)
		return fail(d, rc ? rc : -EFAULT, "SHARED_PAGE: the page cannot be made shared");
	memcpy(p, sec->payload + 8, PAGE);
	mark_written(d, gpa, 1);
	d->sum.pages_shared++;
	return 0;
}

static int zero_pages(struct dest *d, const struct mig_section *sec)
{
	uint64_t gpa = le64_load(sec->payload), n = le64_load(sec->payload + 8);
	if (!page_range_ok(d->vm, gpa, n))
		return fail(d, -EPROTO, "ZERO_PAGES outside guest RAM or not page-aligned");
	int rc = make_shared(d->vm, gpa, n);
	if (rc)
		return fail(d, rc, "ZERO_PAGES: the pages cannot be made shared");
	clear_written(d, gpa, n);
	d->sum.pages_shared += n;
	d->sum.pages_zero += n;
	return 0;
}

static int private_page(struct dest *d, const struct mig_section *sec)
{
	struct fw_migrate_record_info info;
	if (fw_migrate_record_info(sec->payload, sec->len, &info) || info.kind != FW_MIGRATE_KIND_PAGE)
		return fail(d, -EPROTO, "PRIVATE_PAGE: not a page record");
	uint8_t *out = page_range_ok(d->vm, info.gpa, info.size / PAGE)
			   ? vmm_guest_ptr(d->vm, info.gpa, info.size, VMM_ACCESS_GUEST, NULL)
			   : NULL;
	if (!out)
		return fail(d, -EPROTO, "PRIVATE_PAGE outside guest RAM");
	/* An all-zero record's plaintext goes to scratch, then only pages that may hold data are cleared: writing
	 * zeros everywhere would allocate all of guest RAM here, in the destination's critical path. */
	bool zero = info.flags & FW_MIGRATE_FLAG_ZERO;
	/* A 2 MiB record may land in RAM this side never touched: one populate call instead of 512 first-write
	 * faults in the copy (best effort: a kernel without it takes the faults).  Preallocated RAM needs none. */
	if (!zero && info.size == FW_MIGRATE_PAGE_2M && !d->vm->cfg.mem_prealloc)
		madvise(out, info.size, MADV_POPULATE_WRITE_);
	uint64_t t0 = vmm_thread_cpu_ns();
	int rc = fw_migrate_page_import(d->session, d->vm->fw_guest, sec->payload, sec->len, zero ? d->scratch : out,
					info.size);
	if (!rc && !zero) {
		d->sum.private_crypto_ns += vmm_thread_cpu_ns() - t0;
		*(info.size == FW_MIGRATE_PAGE_2M ? &d->sum.private_records_2m : &d->sum.private_records_4k) += 1;
	}
	if (!rc && zero)
		clear_written(d, info.gpa, info.size / PAGE);
	else if (!rc)
		mark_written(d, info.gpa, info.size / PAGE);
	if (rc)
		return fail(d, rc,
			    rc == -ESTALE    ? "a private page record was replayed"
			    : rc == -EBADMSG ? "a private page record does not verify (tampered, or another "
					       "session's key)"
			    : rc == -EPROTO  ? "a private page record is missing (out of sequence)"
					     : "the firmware refused a private page record");
	d->sum.pages_private += info.size / PAGE;
	d->sum.pages_zero += info.flags & FW_MIGRATE_FLAG_ZERO ? info.size / PAGE : 0;
	return 0;
}

static int vcpu_section(struct dest *d, const struct mig_section *sec)
{
	struct vmm_vm *vm = d->vm;
	struct vmm_vcpu_state st;
	const uint8_t *engine = NULL;
	if (vmm_mig_vcpu_decode(sec->payload, sec->len, vm->nvcpus, &st, &engine, d->why, sizeof(d->why)))
		return -EPROTO;
	if (st.id != d->vcpus_seen)
		return fail(d, -EPROTO, "VCPU sections out of order");
	int rc = hv_vcpu_state_import(vm->vcpus[st.id].hv, engine, HV_VCPU_STATE_SIZE);
	if (rc)
		return fail(d, rc, "VCPU section: the engine refused the vCPU's state");
	d->states[d->vcpus_seen++] = st;
	return 0;
}

/* One section after TRUST, in the order the source writes them. */
static int take(struct dest *d, const struct mig_section *sec)
{
	struct vmm_vm *vm = d->vm;
	int rc;
	switch (sec->id) {
	case MIG_SEC_SHARED_PAGE:
	case MIG_SEC_ZERO_PAGES:
	case MIG_SEC_PRIVATE_PAGE:
	case MIG_SEC_PASS_END:
		if (d->phase != PHASE_PAGES)
			return fail(d, -EPROTO, "a page section after the vCPU state");
		if (sec->id == MIG_SEC_SHARED_PAGE)
			return shared_page(d, sec);
		if (sec->id == MIG_SEC_ZERO_PAGES)
			return zero_pages(d, sec);
		if (sec->id == MIG_SEC_PRIVATE_PAGE)
			return private_page(d, sec);
		if (le32_load(sec->payload) != d->sum.passes + 1 || le32_load(sec->payload + 4))
			return fail(d, -EPROTO, "PASS_END out of sequence");
		d->sum.passes++;
		d->pass_end_ns[0] = d->pass_end_ns[1];
		d->pass_end_ns[1] = vmm_now_ns();
		return 0;
	case MIG_SEC_VCPU:
		if (d->phase > PHASE_VCPUS || d->vcpus_seen >= vm->nvcpus || !d->sum.passes)
			return fail(d, -EPROTO, "a VCPU section out of place");
		d->phase = PHASE_VCPUS;
		return vcpu_section(d, sec);
	case MIG_SEC_ENGINE:
		if (d->phase != PHASE_VCPUS || d->vcpus_seen != vm->nvcpus)
			return fail(d, -EPROTO, "the ENGINE section before every vCPU's state");
		d->phase = PHASE_ENGINE;
		if (sec->len < 8)
			return fail(d, -EPROTO, "the ENGINE section is too short");
		d->run_ns = le64_load(sec->payload);
		rc = hv_vm_state_import(vm->hv, sec->payload + 8, sec->len - 8);
		return rc ? fail(d, rc, "the engine refused the ENGINE section") : 0;
	case MIG_SEC_FW_CONTEXT:
		if (d->phase != PHASE_ENGINE)
			return fail(d, -EPROTO, "the FW_CONTEXT section out of place");
		d->phase = PHASE_CONTEXT;
		rc = fw_migrate_context_import(d->session, vm->fw_guest, sec->payload, sec->len);
		return rc ? fail(d, rc, "the firmware refused the guest context") : 0;
	default:
		return fail(d, -EPROTO, "a CONFIG or TRUST section in the middle of the stream");
	}
}

static int next(struct dest *d, struct mig_section *sec)
{
	int rc = vmm_mig_in_next(&d->in, sec, d->why, sizeof(d->why));
	return rc;
}

/* CONFIG: the VM to build, with this run's own backend, seeds and certificates. */
static int build(struct dest *d, const struct vmm_config *cfg, struct vmm_result *res)
{
	struct vmm_vm *vm = d->vm;
	struct mig_section sec;
	struct vmm_mig_config mc;
	int rc = next(d, &sec);
	if (rc < 0)
		return rc;
	if (rc != MIG_SECTION || sec.id != MIG_SEC_CONFIG)
		return fail(d, -EPROTO, "the stream does not start with a CONFIG section");
	if (vmm_mig_config_decode(sec.payload, sec.len, &mc, d->why, sizeof(d->why)))
		return -EPROTO;
	struct vmm_config c = *cfg;
	c.program = &incoming_program;
	c.args = NULL;
	c.nargs = 0;
	c.vm_type = mc.vm_type;
	c.vcpus = mc.vcpus;
	c.mem_size = mc.mem_size;
	c.product = (enum fw_product)mc.product;
	c.vc = mc.flags & VMM_MIG_CONFIG_VC;
	if ((rc = vmm_vm_init(vm, &c, res)))
		return fail(d, rc, "cannot build the VM the stream describes");
	vm->incoming = true;
	if ((rc = vmm_backend_choose(c.backend, c.quiet ? NULL : vm->msg, vm->err, &vm->backend)))
		return fail(d, rc, "no backend");
	if (!vm->backend->migrates)
		return fail(d, -ENOTSUP, "the sim backend cannot receive a guest (its vCPUs are host threads)");
	if (c.vc && vm->backend->kind != VMM_BACKEND_TCG)
		return fail(d, -EINVAL, "the guest runs in #VC mode, which needs the tcg backend");
	res->backend = vm->backend->kind;
	uint64_t image_len;
	if ((rc = vm->backend->create(vm, &image_len)) || (rc = vmm_vcpus_create(vm)))
		return fail(d, rc, "cannot create the VM");
	size_t words = VMM_DIRTY_WORDS(vm->mem_size);
	if (!(d->written = calloc(words, sizeof(*d->written))) || !(d->scratch = malloc(FW_MIGRATE_PAGE_2M)))
		return fail(d, -ENOMEM, "cannot allocate the receive buffers");
	if (vmm_mem_populated(vm, d->written, words))
		memset(d->written, 0xFF, words * sizeof(*d->written)); /* unknown: clear every page of a zero record */
	return 0;
}

/* The firmware's offer out, the source's accept (TRUST) in. */
static int trust(struct dest *d)
{
	uint8_t *msg = malloc(FW_MIGRATE_MSG_MAX);
	size_t len = 0;
	struct mig_section sec;
	int rc = msg ? fw_migrate_offer(d->vm->fw_platform, msg, FW_MIGRATE_MSG_MAX, &len, &d->session) : -ENOMEM;
	if (!rc)
		rc = vmm_mig_send_msg(d->fd, VMM_MIG_MSG_OFFER, msg, (uint32_t)len);
	free(msg);
	if (rc)
		return fail(d, rc, "cannot send the firmware's offer");
	/* The source sends TRUST once its guest has run for as long as its user asked: meanwhile the RAM the pages
	 * will land in (vmm_config.mem_prealloc; `written` was taken before, and these pages stay zero).  No limit on
	 * this wait. */
	if (d->vm->cfg.mem_prealloc)
		vmm_mem_prealloc(d->vm);
	d->in.timeout_ms = -1;
	rc = next(d, &sec);
	d->in.timeout_ms = VMM_MIG_TIMEOUT_MS;
	if (rc < 0)
		return rc;
	if (rc != MIG_SECTION || sec.id != MIG_SEC_TRUST)
		return fail(d, -EPROTO, "no TRUST section after CONFIG");
	rc = fw_migrate_complete(d->session, sec.payload, sec.len);
	if (rc == -EACCES)
		return fail(d, rc, "the source platform does not verify to this platform's AMD root");
	return rc ? fail(d, rc, "the firmware refused the source's key agreement") : 0;
}

static int receive(struct dest *d, const struct vmm_config *cfg, struct vmm_result *res)
{
	int rc = build(d, cfg, res);
	if (!rc)
		rc = trust(d);
	while (!rc) {
		struct mig_section sec;
		rc = next(d, &sec);
		if (rc == MIG_DONE) {
			if (d->phase != PHASE_CONTEXT)
				return fail(d, -EPROTO, "the stream ended before the guest context");
			/* The VM runs while its BSP does (its program's exit stops it): a guest without one is over. */
			if (d->states[0].ap_state != VMM_AP_RUNNING)
				return fail(d, -EPROTO, "the guest's BSP is not running");
			return 0;
		}
		if (rc == MIG_SECTION)
			rc = take(d, &sec);
	}
	return rc;
}

static void started(struct dest *d, struct vmm_result *res, uint64_t t0)
{
	struct vmm_vm *vm = d->vm;
	uint64_t now = vmm_now_ns();
	d->sum.total_us = (now - t0) / 1000;
	d->sum.downtime_us = (now - (d->pass_end_ns[0] ? d->pass_end_ns[0] : t0)) / 1000;
	d->sum.wire_bytes = d->in.bytes;
	res->migrated_in = true;
	res->migration = d->sum;
	struct fw_guest_context ctx;
	fw_guest_export(vm->fw_guest, &ctx);
	memcpy(res->measurement, ctx.ld.digest, sizeof(res->measurement));
	memset(&ctx, 0, sizeof(ctx)); /* it held the VMPCKs */
	if (!vm->cfg.quiet) {
		fprintf(vm->msg, "snpemu: SEV-SNP guest received by migration, %u vCPU(s), %llu MiB, backend %s\n",
			vm->nvcpus, (unsigned long long)(vm->mem_size >> 20), vm->backend->name);
		fflush(vm->msg);
	}
}

int vmm_migrate_receive(struct vmm_vm *vm, const struct vmm_config *cfg, struct vmm_result *res)
{
	memset(res, 0, sizeof(*res));
	struct dest *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->vm = vm;
	d->fd = cfg->migration->fd;
	uint64_t t0 = vmm_now_ns();
	int rc = vmm_mig_in_init(&d->in, d->fd);
	if (!rc)
		rc = receive(d, cfg, res);
	uint8_t answer[4];
	le32_store(answer, (uint32_t)rc);
	/* The source waits for this answer; it may be gone already (then there is nobody to tell). */
	int sent = vmm_mig_send_msg(d->fd, VMM_MIG_MSG_RESULT, answer, sizeof(answer));
	if (!rc && sent)
		rc = fail(d, sent, "cannot acknowledge the guest to the source");
	if (!rc) {
		started(d, res, t0);
		vm->t0_ns = vmm_now_ns() - d->run_ns; /* the TSC MSR (exits.c) goes on from the source's count */
		for (uint32_t i = 0; i < vm->nvcpus && !rc; i++)
			rc = vmm_vcpu_start_saved(vm, &d->states[i]);
		if (rc) {
			/* Acknowledged, so the source has let the guest go: stop it here with the reason. */
			fprintf(vm->err, "snpemu: incoming migration: cannot start a received vCPU: %s\n",
				strerror(-rc));
			vmm_vm_stop(vm, SNPEMU_STATUS_HOST_ERROR);
			rc = 0;
		}
	} else {
		FILE *err = vm->err ? vm->err : cfg->err ? cfg->err : stderr;
		fprintf(err, "snpemu: incoming migration refused: %s\n", d->why[0] ? d->why : strerror(-rc));
	}
	vmm_mig_in_release(&d->in);
	fw_migrate_session_free(d->session);
	free(d->written);
	free(d->scratch);
	free(d);
	return rc;
}

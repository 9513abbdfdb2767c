/* SPDX-License-Identifier: MIT */
/*
 * The source side of a live migration (docs/migration.md, "The VMM stream"): on the thread that runs the VM, once
 * the guest has run for cfg.migration->after_ns.  Order of the stream and why:
 *   CONFIG            what the destination must build first (it then answers with the firmware's offer);
 *   TRUST             the source firmware's accept: refused here (another AMD root -EACCES, a policy without
 *                     MIGRATE_MA -EPERM) before any page leaves;
 *   pre-copy passes   pass 1 every page, then the pages the dirty log (backend's log + the VMM's own, dirty_vmm.c)
 *                     reports, while the guest runs (less those written again since, which a later pass sends);
 *                     shared pages in plaintext (per the firmware RMP), private ones
 *                     only as firmware records, runs of all-zero shared pages as one ZERO_PAGES section; each pass
 *                     ends with PASS_END and a progress call;
 *   stop-and-copy     the guest paused: the last dirty pages, every vCPU, the engine, the firmware context (last:
 *                     it seals the page-record count and the RMP digest), the end marker;
 *   RESULT            the destination's answer: 0 once it verified everything.  Then the source firmware wipes the
 *                     guest's keys and the VM stops here.
 * Any failure before that frees the firmware session (which aborts: the guest context is RUNNING again), stops the
 * dirty log, resumes the vCPUs and lets the guest run on; the destination, whose stream ends early, refuses it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <snpemu/abi/le.h>

#include "vmm/migrate_internal.h"
#include "common/zero.h"

#define PAGE		  4096ull
#define HUGE		  (2ull << 20) /* a 2 MiB record: 512 pages of one state in one seal */
#define HUGE_WORDS	  (HUGE / PAGE / 64)
#define REC_MAX		  (FW_MIGRATE_RECORD_HDR + HUGE)
#define PASSES_MAX	  16u  /* pre-copy passes before stop-and-copy whatever the dirty set */
#define DIRTY_SMALL_PAGES 256u /* a dirty set this small (1 MiB) is copied with the guest paused */

struct source {
	struct vmm_vm *vm;
	const struct vmm_migration *m;
	struct fw_migrate_session *session;
	struct vmm_mig_out out;
	struct mig_writer w;
	bool writing;
	uint64_t *dirty;
	uint64_t *populated; /* pages ever written (vmm_mem_populated): the others are zero, sent unread */
	uint64_t *marked;    /* every page the VMM's own log marked since the start: resent once paused */
	uint64_t *again;     /* pages written again since the pass's dirty set was taken (skip_dirty_again) */
	bool peek;	     /* the dirty log can be looked at without clearing it */
	size_t words;
	uint8_t *rec;		       /* one firmware record */
	uint8_t *page;		       /* a page copied out of guest RAM (copy_racing) */
	uint8_t *huge;		       /* 2 MiB of it */
	uint8_t *msg;		       /* the offer, then the accept message */
	uint64_t zero_gpa, zero_pages; /* a run of all-zero shared pages not yet written */
	bool paused;
	uint64_t paused_ns; /* when the guest was paused (the downtime starts) */
	uint64_t pages_sent;
	bool reported; /* the failure's message is out already */
	struct vmm_migration_summary sum;
};

/*
 * Pre-copy reads guest RAM while the guest (and the engine, for it) writes it: a page read half-old, half-new is
 * harmless, as the write also dirtied the page and a later pass (at the latest the paused one) sends it again.  So
 * the reads race by design; this is the one place they happen: the page is copied out once, with plain loads the
 * thread sanitizer is told to leave alone, and everything after (zero check, stream, firmware export) works on the
 * copy.  Volatile loads keep the compiler from turning the loop into a memcpy call (which the sanitizer
 * intercepts).
 */
__attribute__((no_sanitize("thread"))) static void copy_racing(uint8_t *dst, const uint8_t *src, size_t len)
{
	const volatile uint64_t *from = (const volatile uint64_t *)(const volatile void *)src;
	uint64_t *to = (uint64_t *)(void *)dst;
	for (size_t i = 0; i < len / 8; i++)
		to[i] = from[i];
}

static const uint8_t zero_huge[HUGE];

/* Whether the n pages from gpa were never populated (so read as zero: no need to read them). */
static bool never_written(const struct source *s, uint64_t gpa, uint64_t n)
{
	for (uint64_t p = gpa / PAGE; p < gpa / PAGE + n; p++)
		if (s->populated[p / 64] >> (p % 64) & 1)
			return false;
	return true;
}

static int section(struct source *s, uint32_t id, const void *a, size_t alen, const void *b, size_t blen)
{
	const struct mig_piece pieces[2] = {{a, alen}, {b, blen}};
	int rc = mig_writer_section(&s->w, id, pieces, b ? 2 : 1);
	if (rc == -MIG_ERR_SINK)
		return s->out.error ? s->out.error : -EIO;
	return rc ? -EPROTO : 0;
}

static int flush_zero_run(struct source *s)
{
	if (!s->zero_pages)
		return 0;
	uint8_t p[16];
	le64_store(p, s->zero_gpa);
	le64_store(p + 8, s->zero_pages);
	s->pages_sent += s->zero_pages;
	s->sum.pages_zero += s->zero_pages;
	s->sum.pages_shared += s->zero_pages;
	s->zero_pages = 0;
	return section(s, MIG_SEC_ZERO_PAGES, p, sizeof(p), NULL, 0);
}

/* The firmware's export of `size` bytes into s->rec, counted in the summary (its CPU time too: the private-page
 * throughput the benchmark sets against plain AES-GCM). */
static int export(struct source *s, uint64_t gpa, size_t size, const uint8_t *plain, size_t *len)
{
	uint64_t t0 = vmm_thread_cpu_ns();
	int rc = fw_migrate_page_export(s->session, gpa, size, plain, s->rec, REC_MAX, len);
	uint64_t ns = vmm_thread_cpu_ns() - t0;
	struct fw_migrate_record_info info;
	if (rc || fw_migrate_record_info(s->rec, *len, &info))
		return rc ? rc : -EIO;
	s->sum.pages_private += size / PAGE;
	if (info.flags & FW_MIGRATE_FLAG_ZERO) {
		s->sum.pages_zero += size / PAGE;
		return 0;
	}
	s->sum.private_crypto_ns += ns;
	*(size == HUGE ? &s->sum.private_records_2m : &s->sum.private_records_4k) += 1;
	return 0;
}

/* `size` bytes at gpa (plaintext `plain`) as one firmware record in a PRIVATE_PAGE section.  -EINVAL when the
 * firmware refused the range (a page's state changed since the caller looked: the caller decides). */
static int send_private(struct source *s, uint64_t gpa, size_t size, const uint8_t *plain)
{
	size_t len = 0;
	int rc = flush_zero_run(s);
	if (rc || (rc = export(s, gpa, size, plain, &len)))
		return rc;
	s->pages_sent += size / PAGE;
	return section(s, MIG_SEC_PRIVATE_PAGE, s->rec, len, NULL, 0);
}

/* One page, as the firmware RMP says it is now.  While the guest runs, a page whose state changes under us (a PSC
 * or PVALIDATE between the look-up and the copy) is marked dirty and sent again by a later pass. */
static int send_page(struct source *s, uint64_t gpa)
{
	struct vmm_vm *vm = s->vm;
	enum fw_page_state st = fw_rmp_get(fw_guest_rmp(vm->fw_guest), gpa);
	bool unwritten = never_written(s, gpa, 1);
	if (st == FW_PAGE_SHARED) {
		const uint8_t *g = vmm_guest_ptr(vm, gpa, PAGE, VMM_ACCESS_HOST_READ, NULL), *p = s->page;
		if (!g)
			goto changed;
		if (!unwritten)
			copy_racing(s->page, g, PAGE);
		if (unwritten || mem_is_zero(p, PAGE)) {
			if (s->zero_pages && s->zero_gpa + s->zero_pages * PAGE == gpa) {
				s->zero_pages++;
				return 0;
			}
			int rc = flush_zero_run(s);
			s->zero_gpa = gpa;
			s->zero_pages = 1;
			return rc;
		}
		int rc = flush_zero_run(s);
		uint8_t a[8];
		le64_store(a, gpa);
		s->pages_sent++;
		s->sum.pages_shared++;
		return rc ? rc : section(s, MIG_SEC_SHARED_PAGE, a, sizeof(a), p, PAGE);
	}
	if (st == FW_PAGE_FIRMWARE)
		goto changed; /* held by the firmware for a request in flight: never while paused */
	/* Guest-owned: the firmware reads the page through the export path (bounds only: the firmware may). */
	const uint8_t *plain = zero_huge;
	if (!unwritten) {
		copy_racing(s->page, vmm_guest_ptr(vm, gpa, PAGE, VMM_ACCESS_GUEST, NULL), PAGE);
		plain = s->page;
	}
	int rc = send_private(s, gpa, PAGE, plain);
	if (rc != -EINVAL || s->paused)
		return rc;
changed:
	if (s->paused)
		return -EBUSY; /* nothing may change while paused: a page the firmware holds */
	vmm_dirty_mark(vm, gpa, PAGE);
	return 0;
}

static uint64_t count_bits(const uint64_t *b, size_t words)
{
	uint64_t n = 0;
	for (size_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(b[i]);
	return n;
}

/* A whole dirty 2 MiB region whose pages are all guest-owned in one state goes as one record: one seal instead of
 * 512 (a guest validates its RAM at boot, so most regions are).  1 when sent, 0 to go page by page. */
static int send_huge(struct source *s, size_t word)
{
	struct vmm_vm *vm = s->vm;
	uint64_t gpa = word * 64 * PAGE;
	if (word % HUGE_WORDS || word + HUGE_WORDS > s->words)
		return 0;
	for (size_t i = word; i < word + HUGE_WORDS; i++)
		if (s->dirty[i] != ~0ull)
			return 0;
	struct fw_rmp *rmp = fw_guest_rmp(vm->fw_guest);
	enum fw_page_state st = fw_rmp_get(rmp, gpa);
	if (st != FW_PAGE_PRIVATE && st != FW_PAGE_VALIDATED)
		return 0;
	for (uint64_t p = gpa + PAGE; p < gpa + HUGE; p += PAGE)
		if (fw_rmp_get(rmp, p) != st)
			return 0;
	const uint8_t *plain = zero_huge;
	if (!never_written(s, gpa, HUGE / PAGE)) {
		copy_racing(s->huge, vmm_guest_ptr(vm, gpa, HUGE, VMM_ACCESS_GUEST, NULL), HUGE);
		plain = s->huge;
	}
	int rc = send_private(s, gpa, HUGE, plain);
	if (rc == -EINVAL)
		return 0; /* a page changed state since the look-up: page by page */
	return rc ? rc : 1;
}

/* Before a pre-copy pass sends the 2 MiB region at `word`: drops from the pass the pages the guest wrote again
 * since the pass's dirty set was taken.  The next get returns them, so they go in a later pass anyway (at the
 * latest the paused one); sending them now too would only put them on the wire twice (QEMU's bitmap sync skips
 * them the same way). */
static int skip_dirty_again(struct source *s, size_t word)
{
	size_t n = s->words - word < HUGE_WORDS ? s->words - word : HUGE_WORDS;
	uint64_t any = 0, gpa = word * 64 * PAGE, len = n * 64 * PAGE;
	for (size_t i = word; i < word + n; i++)
		any |= s->dirty[i];
	if (s->paused || !s->peek || !any)
		return 0;
	if (len > s->vm->mem_size - gpa)
		len = s->vm->mem_size - gpa;
	memset(s->again + word, 0, n * sizeof(*s->again));
	int rc = vmm_dirty_log_peek(s->vm, gpa, len, s->again);
	if (rc == -ENOTSUP)
		s->peek = false; /* kvm: every dirty page goes in the pass */
	if (rc)
		return rc == -ENOTSUP ? 0 : rc;
	for (size_t i = word; i < word + n; i++)
		s->dirty[i] &= ~s->again[i];
	return 0;
}

static int send_pass(struct source *s, uint32_t pass)
{
	/* Taken before the pages are read: a page populated after it was looked at is in the dirty log. */
	int rc = vmm_mem_populated(s->vm, s->populated, s->words);
	if (rc)
		memset(s->populated, 0xFF, s->words * sizeof(*s->populated)); /* no pagemap: read every page */
	for (size_t i = 0; i < s->words; i++) {
		if (i % HUGE_WORDS == 0 && (rc = skip_dirty_again(s, i)))
			return rc;
		int huge = send_huge(s, i);
		if (huge < 0)
			return huge;
		if (huge) {
			i += HUGE_WORDS - 1;
			continue;
		}
		for (uint64_t bits = s->dirty[i]; bits; bits &= bits - 1) {
			uint64_t page = i * 64 + (uint64_t)__builtin_ctzll(bits);
			if ((rc = send_page(s, page * PAGE)))
				return rc;
		}
	}
	rc = flush_zero_run(s);
	uint8_t p[8] = {0};
	le32_store(p, pass);
	if (!rc)
		rc = section(s, MIG_SEC_PASS_END, p, sizeof(p), NULL, 0);
	if (!rc)
		rc = vmm_mig_out_flush(&s->out);
	/* A destination that refused (a record that did not verify...) says so at once: stop sending. */
	if (!rc && (rc = vmm_mig_peer_gave_up(s->m->fd))) {
		fprintf(s->vm->err, "snpemu: migration: the destination refused the guest: %s\n", strerror(-rc));
		s->reported = true;
	}
	return rc;
}

static int pause_guest(struct source *s)
{
	int rc = s->vm->backend->pause_all(s->vm);
	s->paused = rc == 0;
	s->paused_ns = vmm_now_ns();
	return rc;
}

/* Adds what was dirtied since the last get to the set (the set is not cleared: pages already in it stay). */
static int add_dirty(struct source *s, bool log)
{
	if (!log)
		return 0;
	uint64_t *more = calloc(s->words, sizeof(*more));
	if (!more)
		return -ENOMEM;
	int rc = vmm_dirty_log_get(s->vm, more, s->words, s->marked);
	/* Paused, no VMM write is in flight: every page the VMM ever marked goes again, as a mark may have been taken
	 * before its write landed, unless the backend's log saw that write land (then it is in `more` now or was in
	 * an earlier get after it landed).  Page-state changes are marked after the change: never needed again. */
	bool resend_marked = s->paused && !s->vm->backend->dirty_log_sees_vmm_writes;
	for (size_t i = 0; !rc && i < s->words; i++)
		s->dirty[i] |= more[i] | (resend_marked ? s->marked[i] : 0);
	free(more);
	return rc;
}

static void progress(struct source *s, uint32_t pass, uint64_t pages, uint64_t pass_ns, uint64_t pass_bytes,
		     uint64_t next_dirty)
{
	if (!s->m->progress)
		return;
	double secs = pass_ns ? (double)pass_ns / 1e9 : 1e-9;
	double bps = (double)pass_bytes / secs;
	struct vmm_migration_progress p = {
	    .pass = pass,
	    .stop_and_copy = s->paused,
	    .pages_sent = s->pages_sent,
	    .pages_total = s->vm->mem_size / PAGE,
	    .pages_dirty = pages,
	    .bytes_sent = s->out.bytes,
	    .mb_per_s = bps / 1e6,
	    .dirty_pages_per_s = (double)next_dirty / secs,
	    .est_downtime_us = bps > 0 ? (uint64_t)((double)next_dirty * (double)(PAGE + 16) / bps * 1e6) : 0,
	};
	s->m->progress(&p, s->m->opaque);
}

/* The pre-copy passes and the stop-and-copy pass; the guest is paused when this returns 0. */
static int copy_memory(struct source *s)
{
	struct vmm_vm *vm = s->vm;
	int rc = vmm_dirty_log_start(vm);
	bool log = rc == 0;
	if (rc && rc != -ENOTSUP && rc != -EPERM)
		return rc;
	if (!log && (rc = pause_guest(s))) /* no dirty log here: one pass, paused (no pre-copy) */
		return rc;
	/* Pass 1: every page of guest RAM. */
	memset(s->dirty, 0xFF, s->words * sizeof(*s->dirty));
	if (vm->mem_size / PAGE % 64)
		s->dirty[s->words - 1] = (1ull << (vm->mem_size / PAGE % 64)) - 1;
	for (uint32_t pass = 1;; pass++) {
		uint64_t t0 = vmm_now_ns(), b0 = s->out.bytes, pages = count_bits(s->dirty, s->words);
		bool final = s->paused;
		if ((rc = send_pass(s, pass)))
			return rc;
		s->sum.passes = pass;
		uint64_t ns = vmm_now_ns() - t0;
		if (final) {
			progress(s, pass, pages, ns, s->out.bytes - b0, 0);
			return 0;
		}
		memset(s->dirty, 0, s->words * sizeof(*s->dirty));
		if ((rc = add_dirty(s, log)))
			return rc;
		uint64_t next = count_bits(s->dirty, s->words);
		progress(s, pass, pages, ns, s->out.bytes - b0, next);
		if (next <= DIRTY_SMALL_PAGES || pass + 1 >= PASSES_MAX) {
			if ((rc = pause_guest(s)) || (rc = add_dirty(s, log)))
				return rc;
		}
	}
}

static int send_state(struct source *s)
{
	struct vmm_vm *vm = s->vm;
	uint8_t engine[HV_VM_STATE_MAX], buf[VMM_MIG_VCPU_SIZE];
	size_t len = 0, elen = 0;
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vmm_vcpu *v = &vm->vcpus[i];
		struct vmm_vcpu_state st;
		int rc = vm->backend->save_vcpu(v, &st);
		if (!rc)
			rc = hv_vcpu_state_export(v->hv, engine, sizeof(engine), &elen);
		if (!rc)
			rc = vmm_mig_vcpu_encode(&st, engine, elen, buf, sizeof(buf), &len);
		if (!rc)
			rc = section(s, MIG_SEC_VCPU, buf, len, NULL, 0);
		if (rc)
			return rc;
	}
	/* ENGINE: the guest's run time, from which the VMM's TSC MSR counts (exits.c), then the engine's state. */
	uint8_t run_ns[8];
	le64_store(run_ns, vmm_now_ns() - vm->t0_ns);
	int rc = hv_vm_state_export(vm->hv, engine, sizeof(engine), &elen);
	if (!rc)
		rc = section(s, MIG_SEC_ENGINE, run_ns, sizeof(run_ns), engine, elen);
	if (!rc)
		rc = fw_migrate_context_export(s->session, s->rec, REC_MAX, &len);
	if (!rc)
		rc = section(s, MIG_SEC_FW_CONTEXT, s->rec, len, NULL, 0);
	if (rc)
		return rc;
	s->writing = false;
	rc = mig_writer_end(&s->w);
	if (rc)
		return rc == -MIG_ERR_SINK && s->out.error ? s->out.error : -EIO;
	return vmm_mig_out_flush(&s->out);
}

/* Before the guest starts: the platform's certificates (the credential the firmware signs; deriving its AMD keys
 * takes seconds, which must not come out of the guest's run), CONFIG, and the destination's offer, which its own
 * certificates delay as much.  So after_ns counts guest run time with a destination that is ready. */
static int announce(struct source *s, size_t *offer_len)
{
	struct vmm_vm *vm = s->vm;
	const uint8_t *der;
	size_t der_len;
	struct vmm_mig_config c = {.vm_type = HV_VM_TYPE_SNP,
				   .vcpus = vm->nvcpus,
				   .flags = vm->cfg.vc ? VMM_MIG_CONFIG_VC : 0,
				   .product = (uint32_t)vm->cfg.product,
				   .mem_size = vm->mem_size};
	uint8_t cbuf[VMM_MIG_CONFIG_SIZE];
	size_t clen = 0;
	int rc = fw_platform_cert(vm->fw_platform, FW_CERT_VCEK, &der, &der_len);
	if (!rc)
		rc = vmm_mig_config_encode(&c, cbuf, sizeof(cbuf), &clen);
	if (rc)
		return rc;
	if ((rc = mig_writer_begin(&s->w, vmm_mig_out_sink, &s->out)))
		return rc == -MIG_ERR_SINK ? s->out.error : -ENOMEM;
	s->writing = true;
	if ((rc = section(s, MIG_SEC_CONFIG, cbuf, clen, NULL, 0)) || (rc = vmm_mig_out_flush(&s->out)))
		return rc;
	if ((rc = vmm_mig_recv_msg(s->m->fd, VMM_MIG_MSG_OFFER, s->msg, FW_MIGRATE_MSG_MAX, offer_len)))
		fprintf(vm->err, "snpemu: migration: no offer from the destination: %s\n", strerror(-rc));
	return rc;
}

/* The source firmware's checks of the offer, then TRUST: nothing of the guest has left before this passes. */
static int accept_offer(struct source *s, size_t offer_len)
{
	struct vmm_vm *vm = s->vm;
	size_t alen = 0;
	int rc = fw_migrate_accept(vm->fw_guest, s->msg, offer_len, s->msg, FW_MIGRATE_MSG_MAX, &alen, &s->session);
	if (rc == -EPERM)
		fprintf(vm->err,
			"snpemu: migration refused: the guest's policy does not allow it (MIGRATE_MA clear)\n");
	else if (rc == -EACCES)
		fprintf(vm->err, "snpemu: migration refused: the destination platform does not verify to this "
				 "platform's AMD root\n");
	else if (rc)
		fprintf(vm->err, "snpemu: migration: the firmware refused the destination's offer: %s\n",
			strerror(-rc));
	return rc ? rc : section(s, MIG_SEC_TRUST, s->msg, alen, NULL, 0);
}

static int migrate(struct source *s, size_t offer_len)
{
	struct vmm_vm *vm = s->vm;
	uint64_t t0 = vmm_now_ns();
	int rc = accept_offer(s, offer_len);
	if (rc)
		return rc;
	if ((rc = copy_memory(s))) {
		if (rc == -ECANCELED && !s->reported)
			fprintf(vm->err, "snpemu: migration: the guest ended while its memory was being copied\n");
		else if (!s->reported)
			fprintf(vm->err, "snpemu: migration: copying guest memory failed: %s\n", strerror(-rc));
		return rc;
	}
	if ((rc = send_state(s))) {
		fprintf(vm->err, "snpemu: migration: sending the vCPU, engine and firmware state failed: %s\n",
			strerror(-rc));
		return rc;
	}
	uint8_t result[4];
	size_t len = 0;
	if ((rc = vmm_mig_recv_msg(s->m->fd, VMM_MIG_MSG_RESULT, result, sizeof(result), &len))) {
		fprintf(vm->err, "snpemu: migration: no answer from the destination: %s\n", strerror(-rc));
		return rc;
	}
	int32_t answer = (int32_t)le32_load(result);
	if (answer) {
		rc = answer < 0 && answer > -4096 ? answer : -EPROTO;
		fprintf(vm->err, "snpemu: migration: the destination refused the guest: %s\n", strerror(-rc));
		return rc;
	}
	uint64_t now = vmm_now_ns();
	s->sum.total_us = (now - t0) / 1000;
	s->sum.downtime_us = (now - s->paused_ns) / 1000;
	s->sum.wire_bytes = s->out.bytes;
	return fw_migrate_source_finish(s->session);
}

/* Waits until the guest has run for after_ns: true, or false when the VM stopped first. */
static bool wait_until_due(struct vmm_vm *vm, uint64_t after_ns)
{
	pthread_mutex_lock(&vm->lock);
	while (!atomic_load(&vm->stopping)) {
		uint64_t now = vmm_now_ns(), due = vm->t0_ns + after_ns;
		if (now >= due)
			break;
		struct timespec ts = vmm_deadline_in(due - now);
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
	}
	bool due = !atomic_load(&vm->stopping);
	pthread_mutex_unlock(&vm->lock);
	return due;
}

int vmm_migrate_source(struct vmm_vm *vm)
{
	const struct vmm_migration *m = vm->cfg.migration;
	struct source s = {.vm = vm, .m = m, .words = VMM_DIRTY_WORDS(vm->mem_size), .peek = true};
	size_t offer_len = 0;
	int rc = 0;
	if (!vm->backend->migrates || !vm->fw_guest) {
		fprintf(vm->err, "snpemu: migration: %s\n",
			!vm->fw_guest ? "only SEV-SNP guests migrate (an SEV-ES guest has no firmware context)"
				      : "the sim backend cannot migrate a guest (its vCPUs are host threads)");
		rc = -ENOTSUP;
	}
	if (!rc) {
		s.dirty = calloc(s.words, sizeof(*s.dirty));
		s.populated = calloc(s.words, sizeof(*s.populated));
		s.marked = calloc(s.words, sizeof(*s.marked));
		s.again = calloc(s.words, sizeof(*s.again));
		s.rec = malloc(REC_MAX);
		s.page = malloc(PAGE);
		s.huge = malloc(HUGE);
		s.msg = malloc(FW_MIGRATE_MSG_MAX);
		rc = !s.dirty || !s.populated || !s.marked || !s.again || !s.rec || !s.page || !s.huge || !s.msg
			 ? -ENOMEM
			 : vmm_mig_out_init(&s.out, m->fd);
	}
	if (!rc)
		rc = announce(&s, &offer_len);
	vm->t0_ns = vmm_now_ns(); /* after_ns is guest run time: it starts now */
	int started = vmm_vcpus_start(vm);
	bool attempted = !started && !rc && wait_until_due(vm, m->after_ns); /* else the guest ended first */
	if (attempted)
		rc = migrate(&s, offer_len);
	if (s.writing)
		mig_writer_release(&s.w);
	vmm_mig_out_release(&s.out);
	vmm_dirty_log_stop(vm); /* before the vCPUs go on (dirty_vmm.c: marks stop with it) */
	if (attempted && !rc) {
		vm->res->migrated_out = true;
		vm->res->migration = s.sum;
		vmm_vm_stop(vm, 0); /* the guest lives on at the destination; the vCPUs leave their pause points */
	} else {
		vm->res->migrate_error = rc;
		shutdown(m->fd, SHUT_WR); /* the destination sees the stream end early and refuses it */
	}
	fw_migrate_session_free(s.session); /* unfinished: aborted, the guest context is RUNNING again */
	if (s.paused)
		vm->backend->resume_all(vm);
	free(s.dirty);
	free(s.populated);
	free(s.marked);
	free(s.again);
	free(s.rec);
	free(s.page);
	free(s.huge);
	free(s.msg);
	return started;
}

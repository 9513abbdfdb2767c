/* SPDX-License-Identifier: MIT */
/*
 * Per-VM guest-request rate limit (DESIGN rule 6; GHCB spec 56421 recommends throttling, KVM has none, spec §10):
 * a token bucket in integer nano-tokens, refilled from an injectable monotonic clock.  Default: unlimited, as KVM;
 * the VMM sets the policy (hv.h).
 */
#include <errno.h>

#include "hv_internal.h"

#define NANO 1000000000ull

static uint64_t default_clock(void *ctx)
{
	(void)ctx;
	return hv_now_ns();
}

int hv_rate_limit_init(struct hv_rate_limit *rl)
{
	*rl = (struct hv_rate_limit){.clock = default_clock};
	return pthread_mutex_init(&rl->lock, NULL) ? -ENOMEM : 0;
}

void hv_rate_limit_fini(struct hv_rate_limit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

/* Caller holds rl->lock. */
static void refill(struct hv_rate_limit *rl, uint64_t now)
{
	const uint64_t cap = (uint64_t)rl->burst * NANO;
	/* A clock that steps back (or a controlled one shared by threads) adds nothing rather than wrapping. */
	uint64_t elapsed = now > rl->last_ns ? now - rl->last_ns : 0;
	rl->last_ns = now > rl->last_ns ? now : rl->last_ns;
	/* elapsed * rate can overflow for long idle times: anything past the time to fill up just fills up. */
	uint64_t room = cap - rl->level;
	if (elapsed >= room / rl->rate + 1)
		rl->level = cap;
	else
		rl->level += elapsed * rl->rate < room ? elapsed * rl->rate : room;
}

bool hv_rate_limit_admit(struct hv_vm *vm)
{
	struct hv_rate_limit *rl = &vm->rl;
	pthread_mutex_lock(&rl->lock);
	bool ok = true;
	if (rl->rate) {
		refill(rl, rl->clock(rl->clock_ctx));
		ok = rl->level >= NANO;
		if (ok)
			rl->level -= NANO;
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

/* Start full: a VM's first `burst` requests are never refused. */
static void reset_full(struct hv_rate_limit *rl)
{
	rl->level = (uint64_t)rl->burst * NANO;
	rl->last_ns = rl->rate ? rl->clock(rl->clock_ctx) : 0;
}

int hv_vm_set_guest_req_limit(struct hv_vm *vm, uint32_t rate, uint32_t burst)
{
	if (!vm || (rate && !burst) || rate > HV_GUEST_REQ_LIMIT_MAX || burst > HV_GUEST_REQ_LIMIT_MAX)
		return -EINVAL;
	struct hv_rate_limit *rl = &vm->rl;
	pthread_mutex_lock(&rl->lock);
	rl->rate = rate;
	rl->burst = rate ? burst : 0;
	reset_full(rl);
	pthread_mutex_unlock(&rl->lock);
	return 0;
}

int hv_vm_set_clock(struct hv_vm *vm, hv_clock_fn fn, void *ctx)
{
	if (!vm)
		return -EINVAL;
	struct hv_rate_limit *rl = &vm->rl;
	pthread_mutex_lock(&rl->lock);
	rl->clock = fn ? fn : default_clock;
	rl->clock_ctx = fn ? ctx : NULL;
	reset_full(rl);
	pthread_mutex_unlock(&rl->lock);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Per-VM guest-request rate limit (docs/architecture.md rule 6; GHCB spec 56421 recommends throttling, KVM has none,
 * spec §10): a token bucket in integer pico-tokens, refilled from an injectable monotonic clock.  The rate is in
 * milli-requests per second, so fractional rates (one request every 2 s) are exact: each nanosecond adds `millirate`
 * pico-tokens, with no rounding to lose between refills.  Default: unlimited, as KVM; the VMM sets the policy
 * (hv.h).
 */
#include <errno.h>

#include "hv_internal.h"

#define PICO 1000000000000ull /* pico-tokens per token */

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
	const uint64_t cap = (uint64_t)rl->burst * PICO; /* <= 1e18 */
	/* A clock that steps back (or a controlled one shared by threads) adds nothing rather than wrapping. */
	uint64_t elapsed = now > rl->last_ns ? now - rl->last_ns : 0;
	rl->last_ns = now > rl->last_ns ? now : rl->last_ns;
	/* elapsed * millirate can overflow for long idle times: anything past the time to fill up just fills up. */
	uint64_t room = cap - rl->level;
	if (elapsed >= room / rl->millirate + 1)
		rl->level = cap;
	else
		rl->level += elapsed * rl->millirate < room ? elapsed * rl->millirate : room;
}

bool hv_rate_limit_admit(struct hv_vm *vm)
{
	struct hv_rate_limit *rl = &vm->rl;
	pthread_mutex_lock(&rl->lock);
	bool ok = true;
	if (rl->millirate) {
		refill(rl, rl->clock(rl->clock_ctx));
		ok = rl->level >= PICO;
		if (ok)
			rl->level -= PICO;
		else
			rl->refused++;
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

/* Start full: a VM's first `burst` requests are never refused. */
static void reset_full(struct hv_rate_limit *rl)
{
	rl->level = (uint64_t)rl->burst * PICO;
	rl->last_ns = rl->millirate ? rl->clock(rl->clock_ctx) : 0;
}

uint64_t hv_vm_guest_req_refused(struct hv_vm *vm)
{
	pthread_mutex_lock(&vm->rl.lock);
	uint64_t n = vm->rl.refused;
	pthread_mutex_unlock(&vm->rl.lock);
	return n;
}

int hv_vm_set_guest_req_limit_milli(struct hv_vm *vm, uint64_t millirate, uint32_t burst)
{
	if (!vm || (millirate && !burst) || millirate > 1000ull * HV_GUEST_REQ_LIMIT_MAX ||
	    burst > HV_GUEST_REQ_LIMIT_MAX)
		return -EINVAL;
	struct hv_rate_limit *rl = &vm->rl;
	pthread_mutex_lock(&rl->lock);
	rl->millirate = millirate;
	rl->burst = millirate ? burst : 0;
	reset_full(rl);
	pthread_mutex_unlock(&rl->lock);
	return 0;
}

int hv_vm_set_guest_req_limit(struct hv_vm *vm, uint32_t rate, uint32_t burst)
{
	if (rate > HV_GUEST_REQ_LIMIT_MAX)
		return -EINVAL;
	return hv_vm_set_guest_req_limit_milli(vm, 1000ull * rate, burst);
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

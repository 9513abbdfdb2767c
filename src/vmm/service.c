/* SPDX-License-Identifier: MIT */
/*
 * The host service channel (abi/runtime.h; contract in vmm.h): one request slot between host threads calling
 * vmm_service_call and the guest program reading it through two ports.  The vCPU that waits for a request waits
 * here, on the VMM side of its IN exit, in short slices so that a stopping VM is noticed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <snpemu/abi/runtime.h>

#include "vmm/vmm_internal.h"

#define SERVICE_POLL_MS 20 /* how often a waiting vCPU looks whether its VM stops */

enum service_state {
	SERVICE_IDLE,	/* the slot is free */
	SERVICE_QUEUED, /* a request waits for the program */
	SERVICE_TAKEN,	/* the program read its length and works on it */
	SERVICE_DONE,	/* the reply is complete, for the caller to collect */
};

struct vmm_service {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum service_state state;
	uint64_t ticket;     /* the request in the slot (callers know theirs) */
	bool listening;	     /* the program waited for a request at least once */
	bool closed;	     /* vmm_service_close */
	bool ended;	     /* the run ended */
	uint64_t abandoned;  /* the ticket of the last request the program gave up on (it waited again unanswered) */
	bool withdrawn;	     /* the caller gave up on the request the program holds: drop its reply */
	bool reply_overflow; /* the program wrote more than SNPEMU_SERVICE_REPLY_MAX */
	uint64_t answered;
	size_t req_len, req_pos, reply_len;
	uint8_t req[SNPEMU_SERVICE_REQ_MAX];
	uint8_t reply[SNPEMU_SERVICE_REPLY_MAX];
};

int vmm_service_new(struct vmm_service **out)
{
	struct vmm_service *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = s;
	return 0;
}

void vmm_service_free(struct vmm_service *s)
{
	if (!s)
		return;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static struct timespec deadline_after(uint64_t ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static void set_state(struct vmm_service *s, enum service_state st)
{
	s->state = st;
	pthread_cond_broadcast(&s->cond);
}

int vmm_service_call(struct vmm_service *s, const void *req, size_t req_len, void *reply, size_t cap, size_t *reply_len,
		     uint64_t timeout_ms)
{
	if (!s || !req || req_len == 0 || req_len > SNPEMU_SERVICE_REQ_MAX)
		return -EINVAL;
	struct timespec deadline = deadline_after(timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	while (s->state != SERVICE_IDLE && !s->closed && !s->ended && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->cond, &s->lock, &deadline);
	if (s->closed || s->ended || rc == ETIMEDOUT) {
		pthread_mutex_unlock(&s->lock);
		return rc == ETIMEDOUT && !s->closed && !s->ended ? -ETIMEDOUT : -EPIPE;
	}
	uint64_t ticket = ++s->ticket;
	memcpy(s->req, req, req_len);
	s->req_len = req_len;
	s->req_pos = s->reply_len = 0;
	s->withdrawn = s->reply_overflow = false;
	set_state(s, SERVICE_QUEUED);
	while (s->ticket == ticket && s->state != SERVICE_DONE && s->abandoned != ticket && !s->ended &&
	       rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->cond, &s->lock, &deadline);
	if (s->ended) {
		pthread_mutex_unlock(&s->lock);
		return -EPIPE;
	}
	if (s->abandoned == ticket) {
		pthread_mutex_unlock(&s->lock); /* the slot is already free again */
		return -EPROTO;
	}
	if (s->state != SERVICE_DONE) {
		/* Timed out: withdraw a request the program has not taken; drop the reply of one it has. */
		if (s->state == SERVICE_QUEUED)
			set_state(s, SERVICE_IDLE);
		else
			s->withdrawn = true;
		pthread_mutex_unlock(&s->lock);
		return -ETIMEDOUT;
	} else if (s->reply_overflow || s->reply_len > cap) {
		rc = -EMSGSIZE;
	} else {
		memcpy(reply, s->reply, s->reply_len);
		*reply_len = s->reply_len;
		rc = 0;
	}
	set_state(s, SERVICE_IDLE);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int vmm_service_wait_ready(struct vmm_service *s, uint64_t timeout_ms)
{
	struct timespec deadline = deadline_after(timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	while (!s->listening && !s->ended && !s->closed && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->cond, &s->lock, &deadline);
	rc = s->listening && !s->ended && !s->closed ? 0 : rc == ETIMEDOUT ? -ETIMEDOUT : -EPIPE;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void vmm_service_close(struct vmm_service *s)
{
	pthread_mutex_lock(&s->lock);
	s->closed = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

uint64_t vmm_service_answered(struct vmm_service *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t n = s->answered;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void vmm_service_end(struct vmm_service *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->ended = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* The program's IN on the control port: the next request's length, 0 once closed.  False when the VM stops. */
static bool wait_request(struct vmm_vm *vm, struct vmm_service *s, uint32_t *len)
{
	pthread_mutex_lock(&s->lock);
	if (s->state == SERVICE_TAKEN) {
		/* A new wait before the reply: the program gave up on the request it held; its caller (if still
		 * there) fails with -EPROTO. */
		if (!s->withdrawn)
			s->abandoned = s->ticket;
		set_state(s, SERVICE_IDLE);
	}
	if (!s->listening) {
		s->listening = true;
		pthread_cond_broadcast(&s->cond);
	}
	while (s->state != SERVICE_QUEUED && !s->closed && !atomic_load(&vm->stopping)) {
		struct timespec d = deadline_after(SERVICE_POLL_MS);
		pthread_cond_timedwait(&s->cond, &s->lock, &d);
	}
	bool stopping = atomic_load(&vm->stopping);
	*len = 0;
	if (!stopping && !s->closed) {
		*len = (uint32_t)s->req_len;
		set_state(s, SERVICE_TAKEN);
	}
	pthread_mutex_unlock(&s->lock);
	return !stopping;
}

bool vmm_service_port(struct vmm_vm *vm, uint16_t port, bool in, uint8_t *data, uint32_t size, uint32_t count)
{
	struct vmm_service *s = vm->cfg.service;
	size_t bytes = (size_t)size * count;
	if (in)
		memset(data, 0xFF, bytes);
	if (!s) {
		if (in && port == SNPEMU_PORT_SERVICE_CTL && size == 4)
			memset(data, 0, 4); /* no service: closed from the start */
		return true;
	}
	if (port == SNPEMU_PORT_SERVICE_CTL && size == 4 && count == 1) {
		if (in) {
			uint32_t len;
			bool go_on = wait_request(vm, s, &len);
			for (int i = 0; i < 4; i++)
				data[i] = (uint8_t)(len >> (8 * i));
			return go_on;
		}
		pthread_mutex_lock(&s->lock);
		if (s->state == SERVICE_TAKEN) {
			s->answered++;
			set_state(s, s->withdrawn ? SERVICE_IDLE : SERVICE_DONE);
		}
		pthread_mutex_unlock(&s->lock);
		return true;
	}
	if (port != SNPEMU_PORT_SERVICE_DATA || size != 1)
		return true;
	pthread_mutex_lock(&s->lock);
	if (s->state == SERVICE_TAKEN && in) {
		size_t n = s->req_len - s->req_pos < bytes ? s->req_len - s->req_pos : bytes;
		memcpy(data, s->req + s->req_pos, n);
		s->req_pos += n;
	} else if (s->state == SERVICE_TAKEN) {
		if (bytes > sizeof(s->reply) - s->reply_len)
			s->reply_overflow = true;
		else {
			memcpy(s->reply + s->reply_len, data, bytes);
			s->reply_len += bytes;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return true;
}

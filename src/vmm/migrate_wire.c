/* SPDX-License-Identifier: MIT */
/*
 * The migration socket (migrate_internal.h): the source's buffered stream output, the destination's section
 * input over the stream reader (<snpemu/migrate.h>), and the back channel's messages.  Every send uses
 * MSG_NOSIGNAL, so a peer that closed is an -EPIPE to handle, never a SIGPIPE that kills the process; every wait
 * for the peer is bounded (VMM_MIG_TIMEOUT_MS), but the destination's wait for TRUST: the source sends it once its
 * guest has run for the time its user chose.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <snpemu/abi/le.h>

#include "vmm/migrate_internal.h"

#define OUT_BUFFER (1u << 20)				  /* sends of up to 1 MiB */
#define IN_BUFFER  (MIG_SECTION_BYTES_MAX + (256u << 10)) /* a whole section plus read-ahead */

static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Waits until fd is readable (timeout_ms -1: as long as it takes): 0, -ETIMEDOUT, or the poll error. */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	for (;;) {
		int n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		return n == 0 ? -ETIMEDOUT : 0;
	}
}

/* Up to len bytes: the count (0 at end of stream) or -errno. */
static ssize_t recv_some(int fd, void *buf, size_t len, int timeout_ms)
{
	int rc = wait_readable(fd, timeout_ms);
	if (rc)
		return rc;
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : n;
	}
}

/* Exactly len bytes: 0, -ECONNRESET when the stream ends first, or -errno. */
static int recv_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = recv_some(fd, p, len, VMM_MIG_TIMEOUT_MS);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vmm_mig_out_init(struct vmm_mig_out *o, int fd)
{
	*o = (struct vmm_mig_out){.fd = fd, .cap = OUT_BUFFER};
	o->buf = malloc(OUT_BUFFER);
	return o->buf ? 0 : -ENOMEM;
}

int vmm_mig_out_flush(struct vmm_mig_out *o)
{
	if (o->error)
		return o->error;
	if (o->len && (o->error = send_all(o->fd, o->buf, o->len)))
		return o->error;
	o->bytes += o->len;
	o->len = 0;
	return 0;
}

int vmm_mig_out_sink(void *opaque, const void *buf, size_t len)
{
	struct vmm_mig_out *o = opaque;
	const uint8_t *p = buf;
	if (len >= o->cap / 2) {
		/* A 2 MiB record goes out from where it is: copying it into the buffer first would only add a pass
		 * over it (what is buffered goes first, so the order holds). */
		if (vmm_mig_out_flush(o))
			return o->error;
		if ((o->error = send_all(o->fd, p, len)))
			return o->error;
		o->bytes += len;
		return 0;
	}
	while (len) {
		if (o->len == o->cap && vmm_mig_out_flush(o))
			return o->error;
		size_t n = len < o->cap - o->len ? len : o->cap - o->len;
		memcpy(o->buf + o->len, p, n);
		o->len += n;
		p += n;
		len -= n;
	}
	return o->error;
}

void vmm_mig_out_release(struct vmm_mig_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

int vmm_mig_in_init(struct vmm_mig_in *in, int fd)
{
	*in = (struct vmm_mig_in){.fd = fd, .cap = IN_BUFFER, .timeout_ms = VMM_MIG_TIMEOUT_MS};
	if (mig_reader_init(&in->reader))
		return -ENOMEM;
	if (!(in->buf = malloc(IN_BUFFER))) {
		mig_reader_release(&in->reader);
		return -ENOMEM;
	}
	return 0;
}

void vmm_mig_in_release(struct vmm_mig_in *in)
{
	mig_reader_release(&in->reader);
	free(in->buf);
	in->buf = NULL;
}

static int stream_refused(char *why, size_t why_len, int err)
{
	snprintf(why, why_len, "the stream is refused: %s", mig_strerror(-err));
	return -EPROTO;
}

int vmm_mig_in_next(struct vmm_mig_in *in, struct mig_section *sec, char *why, size_t why_len)
{
	for (;;) {
		size_t used = 0, need = 0;
		int st = mig_reader_next(&in->reader, in->buf + in->start, in->len - in->start, &used, &need, sec);
		if (st < 0)
			return stream_refused(why, why_len, st);
		in->start += used;
		if (st != MIG_MORE)
			return st;
		if (in->eof) {
			int rc = mig_reader_finish(&in->reader);
			return stream_refused(why, why_len, rc ? rc : -MIG_ERR_TRUNCATED);
		}
		/* Read at least what the reader needs after the unparsed bytes, moving them to the front only when it
		 * would not fit behind them (a 2 MiB record moved at every section would cost a pass over it). */
		if (need > in->cap)
			return stream_refused(why, why_len, -MIG_ERR_LENGTH); /* the reader bounds need; never here */
		if (in->start == in->len)
			in->start = in->len = 0;
		else if (in->start + need > in->cap) {
			memmove(in->buf, in->buf + in->start, in->len - in->start);
			in->len -= in->start;
			in->start = 0;
		}
		while (in->len - in->start < need) {
			ssize_t n = recv_some(in->fd, in->buf + in->len, in->cap - in->len, in->timeout_ms);
			if (n < 0) {
				snprintf(why, why_len, "reading the stream: %s", strerror((int)-n));
				return (int)n;
			}
			if (n == 0) {
				in->eof = true;
				break;
			}
			in->len += (size_t)n;
			in->bytes += (uint64_t)n;
		}
	}
}

int vmm_mig_send_msg(int fd, uint32_t type, const void *payload, uint32_t len)
{
	uint8_t hdr[VMM_MIG_MSG_HDR_SIZE];
	le32_store(hdr, type);
	le32_store(hdr + 4, len);
	int rc = send_all(fd, hdr, sizeof(hdr));
	return rc ? rc : send_all(fd, payload, len);
}

int vmm_mig_recv_msg(int fd, uint32_t want_type, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t hdr[VMM_MIG_MSG_HDR_SIZE];
	uint32_t n;
	int rc = recv_all(fd, hdr, sizeof(hdr));
	if (rc)
		return rc;
	if (want_type != VMM_MIG_MSG_RESULT && vmm_mig_msg_check(hdr, VMM_MIG_MSG_RESULT, &n) == 0) {
		/* The destination gave up before the message we wait for: its reason is the answer. */
		uint8_t status[4];
		int32_t err = (rc = recv_all(fd, status, sizeof(status))) ? rc : (int32_t)le32_load(status);
		return err < 0 && err > -4096 ? err : -EPROTO;
	}
	if ((rc = vmm_mig_msg_check(hdr, want_type, &n)))
		return rc;
	if (n > cap)
		return -EPROTO;
	if ((rc = recv_all(fd, buf, n)))
		return rc;
	*len = n;
	return 0;
}

int vmm_mig_peer_gave_up(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n;
	do
		n = poll(&p, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	uint8_t status[4];
	size_t len = 0;
	/* Anything the destination says before the end is its refusal (or its end: the connection closed). */
	int rc = vmm_mig_recv_msg(fd, VMM_MIG_MSG_RESULT, status, sizeof(status), &len);
	if (rc)
		return rc;
	int32_t err = (int32_t)le32_load(status);
	return err < 0 && err > -4096 ? err : -EPROTO;
}

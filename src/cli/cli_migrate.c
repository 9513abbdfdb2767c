/* SPDX-License-Identifier: MIT */
/*
 * What `snpemu run` needs around a live migration (issue 15): the stream's address (tcp:HOST:PORT), the socket on
 * each side (the destination listens and accepts one connection, the source connects with a bounded retry so that
 * a destination started a moment earlier is found), and the progress and summary lines on stderr.  The migration
 * itself is the VMM's (vmm_config.migration); this file only hands it a connected socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <snpemu/vmm.h>

#include "cli/attest_io.h"
#include "cli/cli.h"

int cli_parse_tcp_addr(const char *s, struct cli_tcp_addr *a)
{
	static const char scheme[] = "tcp:";
	uint64_t port;
	if (strncmp(s, scheme, sizeof(scheme) - 1))
		return -1;
	s += sizeof(scheme) - 1;
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || cli_parse_u64(colon + 1, 65535, &port))
		return -1;
	const char *host = s;
	size_t len = (size_t)(colon - s);
	bool bracketed = host[0] == '[';
	if (bracketed) { /* [IPv6]:PORT */
		if (len < 3 || host[len - 1] != ']')
			return -1;
		host++;
		len -= 2;
	}
	if (len >= sizeof(a->host))
		return -1;
	char name[sizeof(a->host)];
	memcpy(name, host, len);
	name[len] = '\0';
	/* Literal addresses and `localhost` only: a stream that carries a guest goes where the user named, not where
	 * a name service says. */
	struct in6_addr buf;
	bool ok = bracketed ? inet_pton(AF_INET6, name, &buf) == 1
			    : inet_pton(AF_INET, name, &buf) == 1 || !strcmp(name, "localhost");
	if (!ok)
		return -1;
	memcpy(a->host, name, len + 1);
	a->family = bracketed ? AF_INET6 : AF_INET;
	a->port = (uint16_t)port;
	return 0;
}

/* The socket address of `a` ("localhost" is 127.0.0.1). */
static socklen_t sockaddr_of(const struct cli_tcp_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		inet_pton(AF_INET6, a->host, &s6->sin6_addr);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(a->port);
	if (inet_pton(AF_INET, a->host, &s4->sin_addr) != 1)
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*s4);
}

int cli_tcp_listen(const struct cli_tcp_addr *a, uint16_t *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(a, &ss);
	int one = 1, rc;
	int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* SO_REUSEADDR only lets a restarted destination bind over its predecessor's TIME_WAIT; a port that a
	 * listener holds still answers EADDRINUSE. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) || bind(fd, (struct sockaddr *)&ss, len) ||
	    listen(fd, 1) || getsockname(fd, (struct sockaddr *)&ss, &len)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						     : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* The stream is written in sections of up to 2 MiB by one thread: no Nagle delay on the last, small ones. */
static void stream_socket_options(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int cli_tcp_accept(int listen_fd)
{
	int fd;
	do
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	stream_socket_options(fd);
	return fd;
}

int cli_tcp_connect(const struct cli_tcp_addr *a, unsigned int attempts, unsigned int delay_ms)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(a, &ss);
	int rc = -ECONNREFUSED;
	for (unsigned int i = 0; i < attempts; i++) {
		if (i) {
			struct timespec ts = {(time_t)(delay_ms / 1000), (long)(delay_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
		int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&ss, len)) {
			stream_socket_options(fd);
			return fd;
		}
		rc = -errno;
		close(fd);
		/* Only "nobody listens yet" is worth another try; anything else will not change. */
		if (rc != -ECONNREFUSED && rc != -EINTR)
			break;
	}
	return rc;
}

/* ---- Progress and summary ---------------------------------------------------------------------------------- */

void cli_migrate_progress(const struct vmm_migration_progress *p, void *opaque)
{
	const struct cli_migrate_view *v = opaque;
	char line[200];
	snprintf(line, sizeof(line),
		 "migrate: pass %u%s: %llu dirty pages, %llu sent in all (guest %llu), %.1f MB/s, dirty rate %.0f "
		 "pages/s, est. downtime %.1f ms",
		 p->pass, p->stop_and_copy ? " (stop-and-copy)" : "", (unsigned long long)p->pages_dirty,
		 (unsigned long long)p->pages_sent, (unsigned long long)p->pages_total, p->mb_per_s,
		 p->dirty_pages_per_s, p->est_downtime_us / 1000.0);
	/* A terminal gets one line that rewrites itself (\r, then erase to its end); a log gets every pass. */
	if (v->tty)
		fprintf(v->out, "\r%s\033[K", line);
	else
		fprintf(v->out, "%s\n", line);
	fflush(v->out);
}

void cli_migrate_summary(const struct cli_migrate_view *v, bool incoming, const struct vmm_migration_summary *s)
{
	if (v->tty)
		fputc('\n', v->out); /* end the progress line */
	fprintf(v->out,
		"snpemu: migration %s in %.3f s, downtime %.1f ms, %.1f MiB on the wire, pages %llu shared / %llu "
		"private / %llu zero, %u passes\n",
		incoming ? "received" : "completed", s->total_us / 1e6, s->downtime_us / 1000.0,
		s->wire_bytes / (1024.0 * 1024.0), (unsigned long long)s->pages_shared,
		(unsigned long long)s->pages_private, (unsigned long long)s->pages_zero, s->passes);
	fflush(v->out);
}

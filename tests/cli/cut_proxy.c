/* SPDX-License-Identifier: MIT */
/*
 * A loopback TCP relay that kills the far end at a chosen byte of the stream, for the "destination killed
 * mid-stream" row of tests/cli/test_migrate.sh.  A killer that watches the destination's socket from outside races
 * the stream (a short stream can end between two looks); this one sits in the stream, so the destination never
 * receives byte LIMIT + 1 and the source can never see the destination's acknowledgement of the end.
 *
 *   cut_proxy PORT_FILE UPSTREAM_PORT LIMIT PID
 *
 * Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening), accepts one connection, connects it to
 * 127.0.0.1:UPSTREAM_PORT and relays both ways until LIMIT bytes went upstream; then SIGKILLs PID (the destination),
 * waits until its end of the connection closes, and resets the client's.  Exit 0 after the cut, 1 if the client
 * ended the stream first (nothing was cut), 2 on a usage or socket error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "cut_proxy: %s: %s\n", what, strerror(errno));
	return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The port written whole or not at all: a temporary file renamed over PORT_FILE. */
static int write_port(const char *path, unsigned port)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	int bad = fprintf(f, "%u\n", port) < 0;
	bad |= fclose(f) != 0;
	return bad ? -1 : rename(tmp, path);
}

/* Copies what `from` has (at most `room` bytes) to `to`; bytes copied, 0 at the end of `from`'s stream, -1 on an
 * error. */
static ssize_t relay(int from, int to, uint64_t room)
{
	char buf[65536];
	size_t want = room < sizeof(buf) ? (size_t)room : sizeof(buf);
	ssize_t n = read(from, buf, want);
	if (n <= 0)
		return n;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0)
			return -1;
		off += w;
	}
	return n;
}

int main(int argc, char **argv)
{
	uint64_t upstream_port, limit, pid;
	if (argc != 5 || parse_u64(argv[2], 65535, &upstream_port) || !upstream_port ||
	    parse_u64(argv[3], UINT64_MAX, &limit) || !limit || parse_u64(argv[4], INT32_MAX, &pid) || pid < 2) {
		fprintf(stderr, "usage: cut_proxy PORT_FILE UPSTREAM_PORT LIMIT PID\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, len) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
		return fail("listen");
	if (write_port(argv[1], ntohs(a.sin_port)))
		return fail(argv[1]);
	int client = accept(l, NULL, NULL);
	if (client < 0)
		return fail("accept");
	close(l);
	struct sockaddr_in up = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)upstream_port)};
	int server = socket(AF_INET, SOCK_STREAM, 0);
	if (server < 0 || connect(server, (struct sockaddr *)&up, sizeof(up)))
		return fail("connect upstream");

	uint64_t sent = 0;
	while (sent < limit) {
		struct pollfd p[2] = {{.fd = client, .events = POLLIN}, {.fd = server, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll");
		}
		if (p[0].revents) {
			ssize_t n = relay(client, server, limit - sent);
			if (n <= 0) {
				fprintf(stderr, "cut_proxy: the stream ended after %" PRIu64 " bytes, before the cut\n",
					sent);
				return 1;
			}
			sent += (uint64_t)n;
		}
		if (p[1].revents && relay(server, client, UINT64_MAX) <= 0) {
			fprintf(stderr, "cut_proxy: the destination ended after %" PRIu64 " bytes, before the cut\n",
				sent);
			return 1;
		}
	}
	/* The destination dies having read at most LIMIT bytes; its kernel closes its end, which we wait for. */
	if (kill((pid_t)pid, SIGKILL))
		return fail("kill");
	char sink[4096];
	while (read(server, sink, sizeof(sink)) > 0)
		;
	/* Then the source's connection goes as a dead peer's would: reset, nothing more relayed. */
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(client);
	close(server);
	printf("cut the stream after %" PRIu64 " bytes and killed process %" PRIu64 "\n", sent, pid);
	return 0;
}

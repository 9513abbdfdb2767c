/* SPDX-License-Identifier: MIT */
/*
 * The pieces `snpemu run` puts around a live migration: the duration and stream-address parsers (one table row per
 * rule), the sockets (an ephemeral port, a busy port, no listener, a listener that appears while the source
 * retries), and the progress and summary lines.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <snpemu/vmm.h>

#include "cli/cli.h"

static void test_durations(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int rc;
		uint64_t ns;
	} rows[] = {
	    {"50ms", 0, 50000000},
	    {"2s", 0, 2000000000},
	    {"1.5s", 0, 1500000000},
	    {"0.25ms", 0, 250000},
	    {"0s", 0, 0},
	    {"750us", 0, 750000},
	    {"10ns", 0, 10},
	    {"2min", 0, 120000000000},
	    {"1.000001s", 0, 1000001000},
	    {"24min", 0, 1440000000000},
	    {"86400s", 0, 86400000000000},
	    {"86401s", -1, 0},		      /* over 24 hours */
	    {"1441min", -1, 0},		      /* over 24 hours */
	    {"99999999999999999999s", -1, 0}, /* overflow */
	    {"1.0000001s", -1, 0},	      /* more than 6 fraction digits */
	    {"50", -1, 0},		      /* no unit */
	    {"ms", -1, 0},		      /* no number */
	    {"", -1, 0},
	    {"-1s", -1, 0},
	    {"+1s", -1, 0},
	    {" 1s", -1, 0},
	    {"1s ", -1, 0},
	    {"1.s", -1, 0},
	    {".5s", -1, 0},
	    {"1,5s", -1, 0},
	    {"1h", -1, 0}, /* not a unit */
	    {"1S", -1, 0},
	    {"1e3ms", -1, 0},
	    {"1sec", -1, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t ns = 12345;
		int rc = cli_parse_duration(rows[i].s, &ns);
		if (rc != rows[i].rc || (!rc && ns != rows[i].ns))
			fail_msg("'%s': rc %d ns %llu, wanted rc %d ns %llu", rows[i].s, rc, (unsigned long long)ns,
				 rows[i].rc, (unsigned long long)rows[i].ns);
		if (rc)
			assert_int_equal(ns, 12345); /* untouched on failure */
	}
}

static void test_tcp_addresses(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int rc;
		const char *host;
		int family;
		uint16_t port;
	} rows[] = {
	    {"tcp:127.0.0.1:4444", 0, "127.0.0.1", AF_INET, 4444},
	    {"tcp:localhost:1", 0, "localhost", AF_INET, 1},
	    {"tcp:0.0.0.0:0", 0, "0.0.0.0", AF_INET, 0},
	    {"tcp:127.0.0.1:65535", 0, "127.0.0.1", AF_INET, 65535},
	    {"tcp:[::1]:4444", 0, "::1", AF_INET6, 4444},
	    {"tcp:127.0.0.1:65536", -1, NULL, 0, 0}, /* port out of range */
	    {"tcp:127.0.0.1:", -1, NULL, 0, 0},
	    {"tcp:127.0.0.1:-1", -1, NULL, 0, 0},
	    {"tcp:127.0.0.1:12ab", -1, NULL, 0, 0},
	    {"tcp:127.0.0.1", -1, NULL, 0, 0},	/* no port */
	    {"tcp::4444", -1, NULL, 0, 0},	/* no host */
	    {"127.0.0.1:4444", -1, NULL, 0, 0}, /* no scheme */
	    {"udp:127.0.0.1:4444", -1, NULL, 0, 0},
	    {"TCP:127.0.0.1:4444", -1, NULL, 0, 0},
	    {"tcp:256.0.0.1:4444", -1, NULL, 0, 0},
	    {"tcp:example.com:4444", -1, NULL, 0, 0}, /* names other than localhost are not resolved */
	    {"tcp:::1:4444", -1, NULL, 0, 0},	      /* IPv6 wants brackets */
	    {"tcp:[::1:4444", -1, NULL, 0, 0},
	    {"tcp:[]:4444", -1, NULL, 0, 0},
	    {"tcp:[127.0.0.1]:4444", -1, NULL, 0, 0},
	    {"tcp:", -1, NULL, 0, 0},
	    {"", -1, NULL, 0, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cli_tcp_addr a;
		memset(&a, 0, sizeof(a));
		int rc = cli_parse_tcp_addr(rows[i].s, &a);
		if (rc != rows[i].rc)
			fail_msg("'%s': rc %d, wanted %d", rows[i].s, rc, rows[i].rc);
		if (!rc) {
			assert_string_equal(a.host, rows[i].host);
			assert_int_equal(a.family, rows[i].family);
			assert_int_equal(a.port, rows[i].port);
		}
	}
	/* A host longer than the field is refused, not cut. */
	char long_host[256] = "tcp:[";
	for (int i = 0; i < 40; i++) /* 80 characters: more than the field holds */
		strcat(long_host, "0:");
	strcat(long_host, ":1]:1");
	struct cli_tcp_addr a;
	assert_int_equal(cli_parse_tcp_addr(long_host, &a), -1);
}

static struct cli_tcp_addr loopback(uint16_t port)
{
	struct cli_tcp_addr a;
	assert_int_equal(cli_parse_tcp_addr("tcp:127.0.0.1:0", &a), 0);
	a.port = port;
	return a;
}

static void test_listen_connect_busy(void **state)
{
	(void)state;
	struct cli_tcp_addr a = loopback(0);
	uint16_t port = 0, port2 = 0;
	int lfd = cli_tcp_listen(&a, &port);
	assert_true(lfd >= 0);
	assert_true(port != 0);
	/* The same port again: taken. */
	a.port = port;
	assert_int_equal(cli_tcp_listen(&a, &port2), -EADDRINUSE);
	int cfd = cli_tcp_connect(&a, 1, 0);
	assert_true(cfd >= 0);
	int sfd = cli_tcp_accept(lfd);
	assert_true(sfd >= 0);
	assert_int_equal(write(cfd, "SNPM", 4), 4);
	char buf[4];
	assert_int_equal(read(sfd, buf, 4), 4);
	assert_memory_equal(buf, "SNPM", 4);
	close(cfd);
	close(sfd);
	close(lfd);
	/* Nobody listens there now: refused after the bounded retries. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cli_tcp_connect(&a, 3, 20), -ECONNREFUSED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 40);
	/* An address that is not this host's cannot be listened on (bind fails locally, nothing is sent). */
	struct cli_tcp_addr other;
	assert_int_equal(cli_parse_tcp_addr("tcp:192.0.2.1:0", &other), 0);
	assert_int_equal(cli_tcp_listen(&other, &port2), -EADDRNOTAVAIL);
}

struct late_listener {
	struct cli_tcp_addr a;
	int fd;
};

static void *listen_late(void *arg)
{
	struct late_listener *l = arg;
	struct timespec ts = {0, 150 * 1000000L};
	uint16_t port;
	nanosleep(&ts, NULL);
	int lfd = cli_tcp_listen(&l->a, &port);
	l->fd = lfd >= 0 ? cli_tcp_accept(lfd) : lfd;
	if (lfd >= 0)
		close(lfd);
	return NULL;
}

/* A destination that starts listening while the source is already trying: the retry finds it. */
static void test_connect_retries_until_listener(void **state)
{
	(void)state;
	struct cli_tcp_addr a = loopback(0);
	uint16_t port;
	int probe = cli_tcp_listen(&a, &port); /* a free port, released again */
	assert_true(probe >= 0);
	close(probe);
	struct late_listener l = {.a = loopback(port), .fd = -1};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, listen_late, &l), 0);
	int cfd = cli_tcp_connect(&l.a, 100, 20);
	pthread_join(t, NULL);
	assert_true(cfd >= 0);
	assert_true(l.fd >= 0);
	close(cfd);
	close(l.fd);
}

static void test_progress_and_summary(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	struct cli_migrate_view log = {.out = f, .tty = false}, tty = {.out = f, .tty = true};
	struct vmm_migration_progress p = {.pass = 2,
					   .pages_sent = 300,
					   .pages_total = 8192,
					   .pages_dirty = 40,
					   .mb_per_s = 512.25,
					   .dirty_pages_per_s = 1000,
					   .est_downtime_us = 1500};
	cli_migrate_progress(&p, &log);
	fflush(f);
	assert_string_equal(text, "migrate: pass 2: 40 dirty pages, 300 sent in all (guest 8192), 512.2 MB/s, dirty "
				  "rate 1000 pages/s, est. downtime 1.5 ms\n");
	fseek(f, 0, SEEK_SET);
	p.stop_and_copy = true;
	p.pass = 3;
	cli_migrate_progress(&p, &tty);
	struct vmm_migration_summary s = {.total_us = 1234567,
					  .downtime_us = 12300,
					  .wire_bytes = 3u << 20,
					  .pages_shared = 10,
					  .pages_private = 20,
					  .pages_zero = 30,
					  .passes = 3};
	cli_migrate_summary(&tty, false, &s);
	fflush(f);
	assert_string_equal(
	    text,
	    "\rmigrate: pass 3 (stop-and-copy): 40 dirty pages, 300 sent in all (guest 8192), "
	    "512.2 MB/s, dirty rate 1000 pages/s, est. downtime 1.5 ms\033[K\nsnpemu: migration completed in 1.235 s, "
	    "downtime 12.3 ms, 3.0 MiB on the wire, pages 10 shared / 20 private / 30 zero, 3 "
	    "passes\n");
	fclose(f);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_tcp_addresses),
	    cmocka_unit_test(test_listen_connect_busy),
	    cmocka_unit_test(test_connect_retries_until_listener),
	    cmocka_unit_test(test_progress_and_summary),
	};
	return cmocka_run_group_tests_name("cli/migrate", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * All-or-nothing outputs (issue 12 items 1 and 2): `snpemu certs` on a full disk exits 1 with one message and
 * leaves nothing behind (it used to abort with a double free in the old cli_write_file), whichever file fills the
 * disk; the cli_output API writes under temporary names and renames only on commit.  A full disk is a file-size
 * limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes past it fail with EFBIG), set in a child process: no root needed.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"

static char base[64];
static char child_err[4096]; /* the last child's stderr */

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/snpemu-output-XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd) == 0 ? 0 : -1;
}

/* Entries in DIR other than . and .. (-1 if DIR does not exist). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* `snpemu certs --out DIR` in a child whose files may not grow past `limit` bytes (0: no limit).  Returns the
 * raw wait status; the child's stderr (a pipe: not subject to the limit) lands in child_err. */
static int certs_with_limit(const char *dir, rlim_t limit)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || dup2(fds[1], 2) < 0)
			_exit(99);
		if (limit) {
			struct rlimit rl = {limit, limit};
			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &rl))
				_exit(98);
		}
		char *argv[] = {"certs", "--out", (char *)dir, NULL};
		_exit(cli_cmd_certs(3, argv));
	}
	close(fds[1]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	ssize_t n = read(fds[0], child_err, sizeof(child_err) - 1);
	child_err[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	return st;
}

static void assert_message(const char *text)
{
	if (!strstr(child_err, text))
		fail_msg("stderr: %s (wanted: %s)", child_err, text);
}

/* The first file already fills the disk: exit 1 (no abort), the directory certs created is gone. */
static void test_full_disk_first_file(void **state)
{
	(void)state;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/new", base);
	int st = certs_with_limit(dir, 100);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), CLI_EXIT_FAILURE);
	assert_int_equal(entries(dir), -1);
	assert_message("snpemu certs: ");
	assert_message("/ark.der: cannot write: File too large");
}

/* A later file fills the disk: the complete earlier ones are not left behind either, nor any temporary file,
 * and a directory that existed before stays (empty). */
static void test_full_disk_later_file(void **state)
{
	(void)state;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/existing", base);
	assert_int_equal(mkdir(dir, 0755), 0);
	/* Every certificate fits in 3000 bytes; the certificate table (all three) does not. */
	int st = certs_with_limit(dir, 3000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), CLI_EXIT_FAILURE);
	assert_int_equal(entries(dir), 0);
	assert_message("/cert_table.bin: cannot write: File too large");
	/* Without the limit, the same command writes all seven files and no temporary one. */
	st = certs_with_limit(dir, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), CLI_EXIT_OK);
	assert_int_equal(entries(dir), 7);
}

/* The API: nothing visible before commit, nothing left after abort, a reserved name for another writer. */
static void test_output_api(void **state)
{
	(void)state;
	char dir[128], path[160];
	snprintf(dir, sizeof(dir), "%s/api", base);
	struct cli_output o;
	cli_output_init(&o, "test");
	assert_int_equal(cli_output_dir(&o, dir), 0);
	assert_int_equal(cli_output_write(&o, dir, "a.bin", "abc", 3), 0);
	snprintf(path, sizeof(path), "%s/b.json", dir);
	const char *tmp = cli_output_reserve(&o, path);
	assert_non_null(tmp);
	assert_int_equal(entries(dir), 2); /* two temporary names */
	snprintf(path, sizeof(path), "%s/a.bin", dir);
	assert_int_equal(access(path, F_OK), -1);
	cli_output_abort(&o);
	assert_int_equal(entries(dir), -1); /* created by this output: removed */

	cli_output_init(&o, "test");
	assert_int_equal(cli_output_dir(&o, dir), 0);
	assert_int_equal(cli_output_write(&o, dir, "a.bin", "abc", 3), 0);
	assert_int_equal(cli_output_write(&o, NULL, path, "xyz!", 4), 0); /* same name: the later one wins */
	assert_int_equal(cli_output_commit(&o, false), 0);
	cli_output_abort(&o); /* after commit: nothing to undo */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(entries(dir), 1);

	/* Not a directory, or not writable: refused before anything is written. */
	cli_output_init(&o, "test");
	assert_int_equal(cli_output_dir(&o, path), -ENOTDIR);
	assert_int_equal(cli_output_dir(&o, "/proc/self/nosuch/dir"), -ENOENT);
	assert_null(cli_output_reserve(&o, "/nonexistent-dir/x.json"));
	cli_output_abort(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_disk_first_file),
	    cmocka_unit_test(test_full_disk_later_file),
	    cmocka_unit_test(test_output_api),
	};
	return cmocka_run_group_tests_name("cli/output", tests, setup, teardown);
}

/* SPDX-License-Identifier: MIT */
/*
 * All-or-nothing output files: each file is written under a temporary name in its target directory (so the final
 * rename stays inside one filesystem) and renamed only when every file of the command is complete; on failure the
 * temporary files go, and so does a directory the command created.  A full disk therefore never leaves a
 * truncated certificate or a report without its chain behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snpemu/fw.h>

#include "cli/cli.h"

void cli_output_init(struct cli_output *o, const char *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
}

int cli_output_dir(struct cli_output *o, const char *dir)
{
	struct stat st;
	if (!mkdir(dir, 0755)) {
		free(o->dir_created);
		o->dir_created = strdup(dir);
	} else if (errno != EEXIST) {
		int err = errno;
		cli_error(o->cmd, dir, "cannot create the directory: %s", strerror(err));
		return -err;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		cli_error(o->cmd, dir, "not a directory");
		return -ENOTDIR;
	}
	if (access(dir, W_OK | X_OK)) {
		int err = errno;
		cli_error(o->cmd, dir, "cannot write here: %s", strerror(err));
		return -err;
	}
	return 0;
}

/* A new empty temporary file beside `path` (".NAME.XXXXXX"), recorded for commit/abort; its fd or -errno. */
static int make_temp(struct cli_output *o, const char *path)
{
	if (o->count == o->cap) {
		unsigned int cap = o->cap ? 2 * o->cap : 8;
		struct cli_output_file *f = realloc(o->files, cap * sizeof(*f));
		if (!f) {
			cli_error(o->cmd, path, "out of memory");
			return -ENOMEM;
		}
		o->files = f;
		o->cap = cap;
	}
	char *copy_dir = strdup(path), *copy_base = strdup(path), *tmp = NULL, *final = strdup(path);
	int fd = -ENOMEM;
	if (!copy_dir || !copy_base || !final)
		goto fail;
	const char *d = dirname(copy_dir), *b = basename(copy_base);
	size_t need = strlen(d) + strlen(b) + 16;
	if (!(tmp = malloc(need)))
		goto fail;
	snprintf(tmp, need, "%s/.%s.XXXXXX", d, b);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fd = -errno;
		cli_error(o->cmd, path, "cannot create: %s", strerror(-fd));
		goto fail;
	}
	fchmod(fd, 0644); /* mkstemp's 0600 is for secrets; these are public artefacts */
	o->files[o->count].tmp = tmp;
	o->files[o->count].path = final;
	o->count++;
	free(copy_dir);
	free(copy_base);
	return fd;
fail:
	free(copy_dir);
	free(copy_base);
	free(tmp);
	free(final);
	return fd;
}

const char *cli_output_reserve(struct cli_output *o, const char *path)
{
	int fd = make_temp(o, path);
	if (fd < 0)
		return NULL;
	close(fd);
	return o->files[o->count - 1].tmp;
}

int cli_output_write(struct cli_output *o, const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s%s%s", dir ? dir : "", dir ? "/" : "", name) >= (int)sizeof(path)) {
		cli_error(o->cmd, name, "path too long");
		return -ENAMETOOLONG;
	}
	int fd = make_temp(o, path);
	if (fd < 0)
		return fd;
	const uint8_t *p = data;
	int err = 0;
	while (len && !err) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		else if (n == 0)
			err = -EIO;
		else
			p += n, len -= (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	if (err)
		cli_error(o->cmd, path, "cannot write: %s", strerror(-err));
	return err;
}

int cli_output_commit(struct cli_output *o, bool list)
{
	for (unsigned int i = 0; i < o->count; i++) {
		if (!o->files[i].tmp)
			continue;
		if (rename(o->files[i].tmp, o->files[i].path)) {
			int err = errno;
			cli_error(o->cmd, o->files[i].path, "cannot rename %s into place: %s", o->files[i].tmp,
				  strerror(err));
			cli_output_abort(o);
			return -err;
		}
		free(o->files[i].tmp);
		o->files[i].tmp = NULL;
		if (list)
			printf("%s\n", o->files[i].path);
	}
	for (unsigned int i = 0; i < o->count; i++)
		free(o->files[i].path);
	free(o->files);
	free(o->dir_created);
	cli_output_init(o, o->cmd);
	return 0;
}

void cli_output_abort(struct cli_output *o)
{
	for (unsigned int i = 0; i < o->count; i++) {
		if (o->files[i].tmp)
			unlink(o->files[i].tmp);
		free(o->files[i].tmp);
		free(o->files[i].path);
	}
	if (o->dir_created)
		rmdir(o->dir_created); /* only if empty: files committed before a failed rename stay listed */
	free(o->files);
	free(o->dir_created);
	cli_output_init(o, o->cmd);
}

int cli_output_platform_certs(struct cli_output *o, const char *dir, struct fw_platform *p)
{
	static const struct {
		enum fw_cert_kind kind;
		const char *name;
	} files[] = {{FW_CERT_ARK, "ark"}, {FW_CERT_ASK, "ask"}, {FW_CERT_VCEK, "vcek"}};
	uint8_t *table = NULL;
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(files) / sizeof(files[0]); i++) {
		const uint8_t *der;
		size_t len, pem_len;
		char *pem, name[32];
		if ((rc = fw_platform_cert(p, files[i].kind, &der, &len)) ||
		    (rc = fw_cert_der_to_pem(der, len, &pem, &pem_len))) {
			cli_error(o->cmd, NULL, "cannot build the %s certificate: %s", files[i].name, strerror(-rc));
			break;
		}
		snprintf(name, sizeof(name), "%s.der", files[i].name);
		rc = cli_output_write(o, dir, name, der, len);
		snprintf(name, sizeof(name), "%s.pem", files[i].name);
		rc = rc ? rc : cli_output_write(o, dir, name, pem, pem_len);
		free(pem);
	}
	size_t need = 0;
	if (!rc && (fw_cert_table_build(p, NULL, 0, &need) != -ENOSPC || !(table = malloc(need)) ||
		    fw_cert_table_build(p, table, need, &need))) {
		cli_error(o->cmd, NULL, "cannot build the certificate table");
		rc = -EINVAL;
	}
	if (!rc)
		rc = cli_output_write(o, dir, "cert_table.bin", table, need);
	free(table);
	return rc ? -1 : 0;
}

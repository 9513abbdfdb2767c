/* SPDX-License-Identifier: MIT */
/*
 * configfs-tsm over FUSE (contract src/tsm/fuse_fs.h): paths to entries and attributes, configfs's per-open-file
 * buffers (fs/configfs/file.c: reads fill the buffer once, writes accumulate and commit on release; we commit on
 * flush so that close() returns the error), every rule and every state change in src/tsm/.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snpemu/tsm.h>

#include "tsm/fuse_fs.h"

#define TSM_FS_ATTR_SIZE 4096 /* what configfs reports as an attribute's size */

struct tsm_fs {
	struct fuse *fuse;
	pthread_t thread;
	bool mounted, serving;
};

/* A path of the tree: "/", "/report", "/report/NAME" or "/report/NAME/ATTR". */
enum node_kind { NODE_ROOT, NODE_REPORT_DIR, NODE_ENTRY, NODE_ATTR, NODE_NONE };
struct node {
	enum node_kind kind;
	char name[TSM_NAME_MAX + 1];
	int attr;
};

static struct node parse_path(const char *path)
{
	struct node n = {.kind = NODE_NONE, .attr = -1};
	if (!strcmp(path, "/"))
		return (struct node){.kind = NODE_ROOT};
	if (strncmp(path, "/report", 7) || (path[7] != '\0' && path[7] != '/'))
		return n;
	if (path[7] == '\0' || !strcmp(path + 7, "/"))
		return (struct node){.kind = NODE_REPORT_DIR};
	const char *name = path + 8, *slash = strchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : strlen(name);
	if (len == 0 || len > TSM_NAME_MAX)
		return n;
	memcpy(n.name, name, len);
	n.name[len] = '\0';
	if (!slash) {
		n.kind = NODE_ENTRY;
		return n;
	}
	if ((n.attr = tsm_attr_lookup(slash + 1)) >= 0)
		n.kind = NODE_ATTR;
	return n;
}

static struct tsm_reports *reports(void)
{
	return fuse_get_context()->private_data;
}

/* A node that exists now (entries and their attributes exist while the entry does). */
static bool exists(const struct node *n)
{
	if (n->kind == NODE_ROOT || n->kind == NODE_REPORT_DIR)
		return true;
	return (n->kind == NODE_ENTRY || n->kind == NODE_ATTR) && tsm_entry_exists(reports(), n->name);
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	struct node n = parse_path(path);
	if (!exists(&n))
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (n.kind != NODE_ATTR) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	const struct tsm_attr_rule *r = &tsm_attr_rules[n.attr];
	st->st_mode = S_IFREG | (r->readable ? 0444 : 0) | (r->writable ? 0200 : 0);
	st->st_nlink = 1;
	st->st_size = TSM_FS_ATTR_SIZE;
	return 0;
}

struct fill_ctx {
	void *buf;
	fuse_fill_dir_t filler;
};

static void fill_one(void *ctx, const char *name)
{
	struct fill_ctx *f = ctx;
	f->filler(f->buf, name, NULL, 0, 0);
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	(void)off, (void)fi, (void)flags;
	struct node n = parse_path(path);
	if (!exists(&n))
		return -ENOENT;
	if (n.kind == NODE_ATTR)
		return -ENOTDIR;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	if (n.kind == NODE_ROOT) {
		filler(buf, "report", NULL, 0, 0);
	} else if (n.kind == NODE_REPORT_DIR) {
		struct fill_ctx f = {buf, filler};
		tsm_entry_list(reports(), fill_one, &f);
	} else {
		for (int a = 0; a < TSM_ATTR_COUNT; a++)
			filler(buf, tsm_attr_rules[a].name, NULL, 0, 0);
	}
	return 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	(void)mode;
	struct node n = parse_path(path);
	if (n.kind != NODE_ENTRY)
		return n.kind == NODE_NONE && !strncmp(path, "/report/", 8) ? -ENAMETOOLONG : -EPERM;
	return tsm_entry_create(reports(), n.name);
}

static int fs_rmdir(const char *path)
{
	struct node n = parse_path(path);
	if (n.kind != NODE_ENTRY)
		return n.kind == NODE_ATTR ? -ENOTDIR : -EPERM;
	return tsm_entry_remove(reports(), n.name);
}

/* One open attribute file. */
struct open_attr {
	pthread_mutex_t lock;
	struct node node;
	bool filled; /* read: data holds the content of one generation */
	uint8_t *data;
	size_t len;
	bool dirty; /* write: buf holds bytes to commit */
	size_t wlen;
	uint8_t wbuf[TSM_TEXT_MAX];
};

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct node n = parse_path(path);
	if (n.kind != NODE_ATTR || !exists(&n))
		return n.kind == NODE_ENTRY || n.kind == NODE_ROOT || n.kind == NODE_REPORT_DIR ? -EISDIR : -ENOENT;
	const struct tsm_attr_rule *r = &tsm_attr_rules[n.attr];
	int acc = fi->flags & O_ACCMODE;
	/* configfs_open_file: reading needs a show, writing a store method, whoever asks (root too). */
	if ((acc != O_WRONLY && !r->readable) || (acc != O_RDONLY && !r->writable))
		return -EACCES;
	struct open_attr *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	pthread_mutex_init(&o->lock, NULL);
	o->node = n;
	/* Opening a binary attribute to write with O_TRUNC (a shell's `>`) and closing without a write commits an
	 * empty blob: EINVAL from close, where configfs would silently keep the old one. */
	o->dirty = acc != O_RDONLY && (fi->flags & O_TRUNC) && r->binary;
	fi->fh = (uint64_t)(uintptr_t)o;
	fi->direct_io = 1;
	fi->nonseekable = 0;
	return 0;
}

static struct open_attr *open_of(const struct fuse_file_info *fi)
{
	return (struct open_attr *)(uintptr_t)fi->fh;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct open_attr *o = open_of(fi);
	int rc = 0;
	pthread_mutex_lock(&o->lock);
	if (!o->filled) {
		rc = tsm_entry_read(reports(), o->node.name, (enum tsm_attr)o->node.attr, &o->data, &o->len);
		o->filled = rc == 0;
	}
	if (!rc) {
		size_t avail = (size_t)off < o->len ? o->len - (size_t)off : 0;
		size_t n = size < avail ? size : avail;
		if (n)
			memcpy(buf, o->data + off, n);
		rc = (int)n;
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	struct open_attr *o = open_of(fi);
	enum tsm_attr attr = (enum tsm_attr)o->node.attr;
	int rc = tsm_attr_write_check(attr, (uint64_t)off, size);
	if (rc)
		return rc;
	pthread_mutex_lock(&o->lock);
	if (!tsm_attr_rules[attr].binary) {
		/* configfs text attributes are stored by each write (flush_write_buffer), the error returned by it. */
		o->dirty = false;
		rc = tsm_entry_write(reports(), o->node.name, attr, (const uint8_t *)buf, size);
	} else {
		memcpy(o->wbuf + off, buf, size);
		if ((size_t)off + size > o->wlen)
			o->wlen = (size_t)off + size;
		o->dirty = true;
	}
	pthread_mutex_unlock(&o->lock);
	return rc ? rc : (int)size;
}

static int fs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	struct open_attr *o = open_of(fi);
	int rc = 0;
	pthread_mutex_lock(&o->lock);
	if (o->dirty) {
		o->dirty = false;
		rc = tsm_entry_write(reports(), o->node.name, (enum tsm_attr)o->node.attr, o->wbuf, o->wlen);
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	struct open_attr *o = open_of(fi);
	pthread_mutex_destroy(&o->lock);
	free(o->data);
	free(o);
	return 0;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)fi;
	struct node n = parse_path(path);
	if (n.kind != NODE_ATTR || !exists(&n))
		return -ENOENT;
	/* Shell redirections truncate before writing; an attribute holds no file data to cut. */
	return tsm_attr_rules[n.attr].writable && size == 0 ? 0 : -EACCES;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* O_TRUNC reaches open (not a separate truncate), so an empty `>` of inblob can be told from an open. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	cfg->direct_io = 1; /* every read and write reaches us: no page cache between clients and generations */
	cfg->kernel_cache = 0;
	cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = 0;
	return fuse_get_context()->private_data;
}

static const struct fuse_operations tsm_fs_ops = {
    .init = fs_init,
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .mkdir = fs_mkdir,
    .rmdir = fs_rmdir,
    .open = fs_open,
    .read = fs_read,
    .write = fs_write,
    .flush = fs_flush,
    .release = fs_release,
    .truncate = fs_truncate,
};

static void *serve(void *arg)
{
	struct tsm_fs *fs = arg;
	fuse_loop_mt(fs->fuse, 0);
	return NULL;
}

int tsm_fs_mount(struct tsm_reports *r, const char *dir, struct tsm_fs **out, char *why, size_t why_len)
{
	if (access("/dev/fuse", R_OK | W_OK)) {
		int e = errno;
		snprintf(why, why_len, "/dev/fuse: %s (%s)", strerror(e),
			 e == EACCES || e == EPERM ? "this user may not use FUSE" : "FUSE is not available here");
		return -e;
	}
	struct stat st;
	if (stat(dir, &st)) {
		int e = errno;
		snprintf(why, why_len, "%s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, why_len, "%s: not a directory", dir);
		return -ENOTDIR;
	}
	struct tsm_fs *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	/* allow_other: clients of any user (an agent dropping privileges) see the tree; root may always ask it. */
	char *argv[] = {"snpemu-tsm", "-o",
			geteuid() == 0 ? "fsname=snpemu-tsm,subtype=tsm,allow_other" : "fsname=snpemu-tsm,subtype=tsm"};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	fs->fuse = fuse_new(&args, &tsm_fs_ops, sizeof(tsm_fs_ops), r);
	fuse_opt_free_args(&args); /* fuse_new may have copied the vector to add its own */
	if (!fs->fuse) {
		snprintf(why, why_len, "cannot create the FUSE filesystem");
		free(fs);
		return -EIO;
	}
	if (fuse_mount(fs->fuse, dir)) {
		snprintf(why, why_len, "%s: cannot mount (FUSE needs root or fusermount3 and a directory you own)",
			 dir);
		fuse_destroy(fs->fuse);
		free(fs);
		return -EPERM;
	}
	fs->mounted = true;
	if (pthread_create(&fs->thread, NULL, serve, fs)) {
		snprintf(why, why_len, "cannot start the FUSE thread");
		tsm_fs_unmount(fs);
		return -EAGAIN;
	}
	fs->serving = true;
	*out = fs;
	return 0;
}

void tsm_fs_unmount(struct tsm_fs *fs)
{
	if (!fs)
		return;
	if (fs->mounted) {
		/* The kernel ends the connection: every worker's read returns and the loop ends. */
		fuse_session_exit(fuse_get_session(fs->fuse));
		fuse_unmount(fs->fuse);
	}
	if (fs->serving)
		pthread_join(fs->thread, NULL);
	fuse_destroy(fs->fuse);
	free(fs);
}

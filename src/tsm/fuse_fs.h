/* SPDX-License-Identifier: MIT */
/*
 * The configfs-tsm tree of a struct tsm_reports as a FUSE filesystem (libfuse3, multithreaded), for `snpemu tsm`:
 *   /report/                 mkdir NAME creates an entry, rmdir NAME removes it (populated or not)
 *   /report/NAME/ATTR        the attributes of include/snpemu/tsm.h, with configfs's file semantics: a write is
 *                            kept per open file and committed on close (flush), its error returned by close; a
 *                            read takes the attribute's whole content once per open file (the first read), so one
 *                            open file never mixes two generations.
 * Part of the CLI (linked with libfuse3), not of libsnpemu.
 */
#ifndef SNPEMU_TSM_FUSE_FS_H
#define SNPEMU_TSM_FUSE_FS_H

#include <stddef.h>

struct tsm_reports;
struct tsm_fs;

/* Mount the tree of `r` at `dir` and serve it on a thread of its own until tsm_fs_unmount.  0, or -errno with a
 * one-line reason in why[why_len] (no /dev/fuse, not permitted, not a directory). */
int tsm_fs_mount(struct tsm_reports *r, const char *dir, struct tsm_fs **out, char *why, size_t why_len);
/* Unmount, stop serving, free.  NULL-safe. */
void tsm_fs_unmount(struct tsm_fs *fs);

#endif

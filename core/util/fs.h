/* File system helpers: trees, atomic writes. */
#ifndef PB_FSUTIL_H
#define PB_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "probe-builder/error.h"

int pb_mkdir_p(const char *path, struct pb_err *err);
/* Removes path and everything under it; a missing path is not an error. */
int pb_rm_rf(const char *path, struct pb_err *err);
/* Writes data to path through a temporary file in the same directory and
 * rename(2), so that readers see the old file or the new one, never half. */
int pb_write_file_atomic(const char *path, const void *data, size_t len,
			 struct pb_err *err);
/* Copies src to dst the same way. */
int pb_copy_file_atomic(const char *src, const char *dst, struct pb_err *err);
/* Reads a whole file, NUL-terminated; *len (may be NULL) gets its size. */
int pb_read_file(const char *path, char **data, size_t *len,
		 struct pb_err *err);
int pb_is_dir(const char *path);
/* Beneath-root I/O: a package tree is only ever written relative to an
 * open directory fd, never through a path string, so that no symlink of
 * the tree (and no ".." through one) can lead a write outside it. */

/* Makes the directories of rel beneath dirfd (none of them may be a
 * symlink) and returns an O_DIRECTORY fd of the last one. */
int pb_mkdir_beneath(int dirfd, const char *rel, struct pb_err *err);
/* Removes name (one component) of dirfd and all under it, never
 * following a symlink; a missing name is not an error. */
int pb_rm_rf_at(int dirfd, const char *name, struct pb_err *err);
/* Copies the tree src (a path: the probe's own source) to name, a new
 * entry of dstfd: files are created O_EXCL | O_NOFOLLOW relative to the
 * directory fds made on the way. */
int pb_copy_tree_at(const char *src, int dstfd, const char *name,
		    struct pb_err *err);
/* pb_write_file_atomic() for name (one component) of dirfd: the temporary
 * file is created O_EXCL | O_NOFOLLOW there and renamed with renameat. */
int pb_write_file_atomic_at(int dirfd, const char *name, const void *data,
			    size_t len, struct pb_err *err);
/* Copies everything readable from in to dst the same way. */
int pb_copy_fd_atomic(int in, const char *dst, struct pb_err *err);
/* (pb_write_all is the SDK's: probe-builder/fixup.h) */
int pb_is_file(const char *path);

#endif

/* File system helpers: trees, atomic writes. */
#ifndef PB_FSUTIL_H
#define PB_FSUTIL_H

#include <stddef.h>

#include "probe-builder/error.h"

int pb_mkdir_p(const char *path, struct pb_err *err);
/* Removes path and everything under it; a missing path is not an error. */
int pb_rm_rf(const char *path, struct pb_err *err);
/* Copies the tree src to dst (dst must not exist): files, dirs, symlinks. */
int pb_copy_tree(const char *src, const char *dst, struct pb_err *err);
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
int pb_is_file(const char *path);

#endif

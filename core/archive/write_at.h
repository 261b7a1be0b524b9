/* Writing archive members beneath a root directory fd, never through a
 * path string: each directory on the way is opened O_NOFOLLOW relative to
 * its parent, so no symlink (of the package or already in the root) can
 * lead a write outside. The directories of the last member stay open: the
 * next member of the same directory costs an open, its writes and a
 * close, not a walk from the root.
 *
 * Paths are relative and normalized (pb_member_path): no "..", no ".",
 * no empty part, not empty. Errors say what went wrong with the member,
 * not which member it is: the caller adds that. Writing through a
 * symlink is -EPERM; a member replacing a file, a symlink or an empty
 * directory of an earlier one removes it first (never following it). */
#ifndef PB_ARCHIVE_WRITE_AT_H
#define PB_ARCHIVE_WRITE_AT_H

#include <sys/types.h>
#include <time.h>

#include "probe-builder/error.h"

struct pb_out;

int pb_out_new(int rootfd, struct pb_out **out, struct pb_err *err);
/* Applies the times of the directories still open (apply set) and frees
 * o; 0 or the first error. */
int pb_out_close(struct pb_out *o, int apply, struct pb_err *err);

/* mode: permission bits only (the caller drops set-id bits); mtime may be
 * NULL (left as it is). A directory's time is set once the members after
 * it have left it, so that writing them does not change it again. */
int pb_out_dir(struct pb_out *o, const char *rel, mode_t mode,
	       const struct timespec *mtime, struct pb_err *err);
int pb_out_symlink(struct pb_out *o, const char *rel, const char *target,
		   const struct timespec *mtime, struct pb_err *err);
/* A second name for target, a path beneath the root too; with open_it,
 * returns an fd (O_WRONLY) of it for the data that come with the name
 * (a cpio archive gives a file's data with its last name). */
int pb_out_hardlink(struct pb_out *o, const char *rel, const char *target,
		    int open_it, struct pb_err *err);
/* A new regular file; returns its fd (O_WRONLY) for pb_out_write. */
int pb_out_file(struct pb_out *o, const char *rel, mode_t mode,
		struct pb_err *err);
/* All of buf at off; a short or failed write (a full disk) is an error
 * with the errno text. */
int pb_out_write(int fd, const void *buf, size_t len, off_t off,
		 struct pb_err *err);
/* Closes fd after giving it size (>= 0: a hole at the end the writes
 * did not reach) and mtime. */
int pb_out_file_done(int fd, off_t size, const struct timespec *mtime,
		     struct pb_err *err);

#endif

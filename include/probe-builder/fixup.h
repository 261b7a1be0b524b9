/* Helpers for the fixup stage: unpacked trees still point at the paths they
 * would have on a host (/usr/src/...), these make them point into the root. */
#ifndef PROBE_BUILDER_FIXUP_H
#define PROBE_BUILDER_FIXUP_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Re-points every symlink under root that would leave it, to where it would
 * land on a host with root as "/", as a relative link: absolute targets
 * (/usr/src/...) and relative ones climbing above root. A target is judged
 * physically, as the kernel resolves it: component by component, through
 * the tree's own symlinks (a link "inside" on paper that climbs out
 * through a directory link pointing at the root is re-pointed too). The
 * core runs it on every release before the plugin's fixup hook. */
int pb_fixup_absolute_symlinks(const char *root, struct pb_err *err);

/* In the file root/relpath, makes absolute references to prefix ("/usr/src/")
 * that start a word (after a space, '=', a quote or at the start of a line)
 * point into root. Used for Makefiles that `include /usr/src/...`. Rewrites
 * the file atomically, beneath root only (pb_open_beneath; its temporary
 * file is made anew, never opened through a link); a missing file is
 * -ENOENT, one that leads outside root -EXDEV; a failed write fails. *n_changed
 * (may be NULL) gets the number of references changed. */
int pb_fixup_rewrite_prefix(const char *root, const char *relpath,
			    const char *prefix, size_t *n_changed,
			    struct pb_err *err);

/* Beneath-root I/O: a package tree is only ever opened relative to an
 * open directory fd, never through a path string, so that no symlink of
 * the tree (and no ".." through one) leads outside it. */
/* Opens rel (relative) beneath the directory dirfd with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): symlinks are followed
 * only while they stay beneath dirfd, judged physically by the kernel.
 * Where openat2 is missing (ENOSYS), falls back to
 * pb_open_beneath_walk(). Returns the fd, or a negative errno with err
 * naming rel (-EXDEV: it leads outside). */
int pb_open_beneath(int dirfd, const char *rel, int flags, mode_t mode,
		    struct pb_err *err);
/* The fallback: every component opened with O_NOFOLLOW, "..", absolute
 * paths and any symlink on the way refused. Exposed for the tests. */
int pb_open_beneath_walk(int dirfd, const char *rel, int flags, mode_t mode,
			 struct pb_err *err);

/* write(2) until all of len is out; -errno on a failed write, -ENOSPC on a
 * write that makes no progress. */
int pb_write_all(int fd, const void *data, size_t len);

/* 1 when root/relpath exists (following symlinks only while they stay
 * inside root, physically), else 0. */
int pb_root_exists(const char *root, const char *relpath);

#ifdef __cplusplus
}
#endif
#endif

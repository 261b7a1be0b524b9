/* Helpers for the fixup stage: unpacked trees still point at the paths they
 * would have on a host (/usr/src/...), these make them point into the root. */
#ifndef PROBE_BUILDER_FIXUP_H
#define PROBE_BUILDER_FIXUP_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Re-points every symlink under root that would leave it, to where it would
 * land on a host with root as "/", as a relative link: absolute targets
 * (/usr/src/...) and relative ones climbing above root. The core runs it on
 * every release before the plugin's fixup hook. */
int pb_fixup_absolute_symlinks(const char *root, struct pb_err *err);

/* In the file root/relpath, makes absolute references to prefix ("/usr/src/")
 * that start a word (after a space, '=', a quote or at the start of a line)
 * point into root. Used for Makefiles that `include /usr/src/...`. Rewrites
 * the file atomically; a missing file is -ENOENT. *n_changed (may be NULL)
 * gets the number of references changed. */
int pb_fixup_rewrite_prefix(const char *root, const char *relpath,
			    const char *prefix, size_t *n_changed,
			    struct pb_err *err);

/* 1 when root/relpath exists (following symlinks inside root), else 0. */
int pb_root_exists(const char *root, const char *relpath);

#ifdef __cplusplus
}
#endif
#endif

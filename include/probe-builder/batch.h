/* The batch: package files grouped into kernel releases. A plugin's batch
 * hook fills it from file names; the core unpacks and builds each release. */
#ifndef PROBE_BUILDER_BATCH_H
#define PROBE_BUILDER_BATCH_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pb_batch;

enum pb_pkg_role {
	/* unpacked whole into the release root (headers, kbuild, devel) */
	PB_PKG_TREE = 0,
	/* only the kernel config is taken from it (boot/config-<release>,
	 * lib/modules/<release>/config): image and modules packages are big
	 * and the rest of them is not needed to build a probe */
	PB_PKG_CONFIG = 1,
};

/* Adds a package file to a release (created on first use). arch is the
 * release's architecture as `uname -m` says it; a package of another arch
 * for a release already there is ignored (pb_batch_ignore, with the
 * reason): a run builds for one architecture. Adding the same path twice is
 * a no-op. */
int pb_batch_add(struct pb_batch *b, const char *release, const char *arch,
		 const char *path, enum pb_pkg_role role, struct pb_err *err);

/* Marks a release as unbuildable with a reason that the summary shows
 * (e.g. "no linux-kbuild package for 6.1.192-2"). The release is created if
 * needed. */
void pb_batch_fail(struct pb_batch *b, const char *release, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

/* The flavor of a release, for the crawl listing: amd64, cloud-amd64,
 * generic, kernel-uek... (the release is created if needed). */
void pb_batch_set_flavor(struct pb_batch *b, const char *release,
			 const char *flavor);
const char *pb_batch_release_flavor(const struct pb_batch *b, size_t i);

/* Records a file that the plugin did not take, with the reason. */
void pb_batch_ignore(struct pb_batch *b, const char *path, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

/* Read side, used by the core and by tests. Releases are kept sorted by
 * name, packages by base name, so that every run sees one order. */
size_t pb_batch_n_releases(const struct pb_batch *b);
const char *pb_batch_release(const struct pb_batch *b, size_t i);
const char *pb_batch_release_arch(const struct pb_batch *b, size_t i);
const char *pb_batch_release_failure(const struct pb_batch *b, size_t i);
size_t pb_batch_n_packages(const struct pb_batch *b, size_t i);
const char *pb_batch_package(const struct pb_batch *b, size_t i, size_t j,
			     enum pb_pkg_role *role);
/* Index of a release by name, or -1. */
long pb_batch_find(const struct pb_batch *b, const char *release);
size_t pb_batch_n_ignored(const struct pb_batch *b);
const char *pb_batch_ignored(const struct pb_batch *b, size_t i,
			     const char **reason);

struct pb_batch *pb_batch_new(void);
void pb_batch_free(struct pb_batch *b);

#ifdef __cplusplus
}
#endif
#endif

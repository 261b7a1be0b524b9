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
	/* (added in 0.2) holds neither tree nor config: only what `verify`
	 * boots (Ubuntu's signed and unsigned image packages, whose config
	 * is in linux-modules): recorded with the kernel, fetched only for
	 * build --verify, never unpacked by a build */
	PB_PKG_BOOT = 2,
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
void pb_batch_ignore(struct pb_batch *b, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ignores, with reason, every file of paths that is neither in a kernel
 * nor ignored yet: the last step of a batch hook, for the kernel packages
 * it found no kernel for. -ENOMEM, or 0. */
int pb_batch_ignore_rest(struct pb_batch *b, const char *const *paths, size_t n,
			 const char *reason, struct pb_err *err);

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

/* --- kernels by key (added in 0.2; the functions above name a kernel by
 * its release alone, which two kernels may share: Ubuntu builds
 * 5.15.0-139-generic for jammy and, as an HWE kernel, for focal).
 *
 * A kernel's key is its release, its arch and the version of the package
 * that defines it (the headers package of its flavor); the core adds the
 * series (suites) it was found in. Kernels are kept sorted by release,
 * then version, then arch. The first package added under a key is the
 * kernel's primary package: the one whose version is the key's. */
struct pb_batch_key {
	size_t sz;	     /* sizeof(struct pb_batch_key) of the caller */
	const char *release; /* as `uname -r` says it */
	const char *arch;    /* as `uname -m` says it; NULL: unknown */
	const char *version; /* the primary package's version; NULL: none */
};

/* Adds a package file to the kernel of key k (created on first use). Two
 * keys that differ only by arch or version are two kernels. */
int pb_batch_add_key(struct pb_batch *b, const struct pb_batch_key *k,
		     const char *path, enum pb_pkg_role role,
		     struct pb_err *err);
/* pb_batch_fail and pb_batch_set_flavor for a key. */
void pb_batch_fail_key(struct pb_batch *b, const struct pb_batch_key *k,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pb_batch_set_flavor_key(struct pb_batch *b, const struct pb_batch_key *k,
			     const char *flavor);
/* Index of the kernel of key k, or -1. */
long pb_batch_find_key(const struct pb_batch *b, const struct pb_batch_key *k);
const char *pb_batch_release_version(const struct pb_batch *b, size_t i);
const char *pb_batch_release_primary(const struct pb_batch *b, size_t i);

/* What the core knows of a package file before the batch hook runs (from
 * the repository index, or the control file of a local package): its
 * Depends field, as the package spells it. A batch hook follows it to take
 * the packages a kernel needs and only them. */
int pb_batch_set_depends(struct pb_batch *b, const char *path,
			 const char *depends, struct pb_err *err);
/* The Depends of path, or NULL when it is not known. */
const char *pb_batch_depends(const struct pb_batch *b, const char *path);
/* Whether depends (a Depends field) names package `name`; version, when
 * not NULL, gets the version of the first relation that names it ("" when
 * it has none), its operator in op (">=", "=", ...; "" when none). */
int pb_batch_depends_on(const char *depends, const char *name, char *op,
			size_t op_len, char *version, size_t version_len);

/* The series (suites, versions) a kernel was found in, for the core. */
int pb_batch_add_series(struct pb_batch *b, size_t i, const char *series,
			struct pb_err *err);
size_t pb_batch_n_series(const struct pb_batch *b, size_t i);
const char *pb_batch_series(const struct pb_batch *b, size_t i, size_t k);

struct pb_batch *pb_batch_new(void);
void pb_batch_free(struct pb_batch *b);

#ifdef __cplusplus
}
#endif
#endif

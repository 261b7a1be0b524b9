/* Builder environment definitions: *.toolchain data files along the plugin
 * search path and in the installed toolchains dir. Each says how to make a
 * root that is a distribution release's build userspace (its compilers,
 * make, libc, pahole) and what it provides, so that a kernel can be built
 * with the compiler it was built with when the host lacks it. */
#ifndef PB_TOOLCHAIN_DEFS_H
#define PB_TOOLCHAIN_DEFS_H

#include <stddef.h>

#include "probe-builder/error.h"

/* "gcc-14.2": a compiler an environment provides (minor -1: not said). */
struct pb_tc_provide {
	char family[8]; /* gcc, clang */
	int major, minor;
};

struct pb_tc_def {
	char *name;
	char *source; /* the file */
	char *description;
	char *maker;	   /* "mmdebstrap" (the only one made here yet) */
	char *suite;	   /* what the maker is given */
	char *mirror;	   /* a URL, or "host": the host's apt sources */
	char *host_suites; /* with "host": the apt lines to take it from */
	char *updates;	   /* more suites of that mirror: noble-updates */
	char *components;  /* space separated; default "main" */
	char *keyring;	   /* NULL: the maker's default */
	char *variant;	   /* mmdebstrap's; default "apt" */
	char *packages;	   /* space separated, added to the variant's */
	char *distro;	   /* whose kernels it builds best: debian, ubuntu */
	char *series;	   /* and of which release: trixie, noble */
	char *releases;	   /* globs of the kernel releases it is the own
			      userspace of: "*+deb13-*" */
	int glibc_major, glibc_minor; /* the libc it has (0: not said) */
	struct pb_tc_provide *provides;
	size_t n_provides;
};

struct pb_tc_defs {
	struct pb_tc_def *defs; /* in search order: the first of a name wins */
	size_t n;
};

/* Parses "gcc-14.2" / "clang-19"; -EINVAL otherwise. */
int pb_tc_provide_parse(const char *word, struct pb_tc_provide *out);

/* Reads one definition file. -EINVAL (err names the file and the key) for
 * a file that is not a usable definition. */
int pb_tc_def_read(const char *path, struct pb_tc_def *d, struct pb_err *err);
void pb_tc_def_free(struct pb_tc_def *d);

/* Every *.toolchain in dirs, in order; a file that does not parse is
 * skipped with a warning naming it, a name defined twice keeps the
 * first. Fails only when out of memory. */
int pb_tc_defs_load(struct pb_tc_defs *s, const char *const *dirs,
		    size_t n_dirs, struct pb_err *err);
const struct pb_tc_def *pb_tc_defs_find(const struct pb_tc_defs *s,
					const char *name);
void pb_tc_defs_free(struct pb_tc_defs *s);

/* The provide of d for family-major (NULL: none). */
const struct pb_tc_provide *pb_tc_def_provides(const struct pb_tc_def *d,
					       const char *family, int major);

#endif

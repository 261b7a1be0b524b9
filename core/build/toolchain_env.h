/* Builder environments: roots made from a toolchain definition
 * (plugin/toolchain_defs.h) with mmdebstrap, kept in a toolchain dir shared
 * by every workspace:
 *   <dir>/<name>/root/           the environment, complete
 *   <dir>/<name>/packages.list   its packages, name=version lines, sorted
 *   <dir>/<name>/env.info        what it provides, when and how it was made
 *   <dir>/<name>.lock            held while it is made or removed
 *   <dir>/<name>.log             the maker's output of the last attempt
 * An environment is made in <dir>/.tmp-<name>.XXXXXX and renamed into
 * place once complete, so a half-made one is never seen. */
#ifndef PB_TOOLCHAIN_ENV_H
#define PB_TOOLCHAIN_ENV_H

#include <limits.h>
#include <stddef.h>

#include "plugin/toolchain_defs.h"
#include "probe-builder/error.h"
#include "util/hash.h"

#define PB_TCENV_MAX_PROVIDES 8

struct pb_tcenv {
	char name[NAME_MAX + 1];
	char dir[PATH_MAX];  /* <dir>/<name> */
	char root[PATH_MAX]; /* <dir>/<name>/root */
	char packages_sha256[PB_HEX_MAX];
	char definition[PATH_MAX]; /* the file it was made from */
	char mirror[512];
	char made_at[32]; /* ISO 8601, UTC */
	double seconds;	  /* how long making it took */
	unsigned long long bytes;
	/* what its packages say it has */
	struct pb_tc_provide provides[PB_TCENV_MAX_PROVIDES];
	size_t n_provides;
	int glibc_major, glibc_minor;
	int pahole; /* dwarves' version as kconfig says it: 124 for 1.24 */
};

/* The default toolchain dir: $PROBE_BUILDER_TOOLCHAIN_DIR, else
 * $XDG_CACHE_HOME/probe-builder/toolchains, else
 * ~/.cache/probe-builder/toolchains, else
 * /var/cache/probe-builder/toolchains. */
int pb_tcenv_default_dir(char *buf, size_t len, struct pb_err *err);

/* The environment name in dir: -ENOENT (err says so) when it was never
 * made (or not completely). */
int pb_tcenv_open(const char *dir, const char *name, struct pb_tcenv *env,
		  struct pb_err *err);

/* Every complete environment in dir (sorted by name). */
int pb_tcenv_list(const char *dir, struct pb_tcenv **envs, size_t *n,
		  struct pb_err *err);

/* Makes def's environment in dir unless it is there, under its lock (one
 * maker per environment, whoever asks; the others wait and then open it).
 * mirror overrides the definition's (--toolchain-mirror; NULL: its own);
 * etc_apt is where "host" mirrors are read (NULL: /etc/apt). *made is 1
 * when this call made it. */
int pb_tcenv_make(const char *dir, const struct pb_tc_def *def,
		  const char *mirror, const char *etc_apt, struct pb_tcenv *env,
		  int *made, struct pb_err *err);

/* Removes the environment name from dir, under its lock. */
int pb_tcenv_remove(const char *dir, const char *name, struct pb_err *err);

/* The version of package pkg in env's package list (-ENOENT: none). */
int pb_tcenv_package_version(const struct pb_tcenv *env, const char *pkg,
			     char *out, size_t len, struct pb_err *err);

/* The provide of env for family-major (NULL: none). */
const struct pb_tc_provide *pb_tcenv_provides(const struct pb_tcenv *env,
					      const char *family, int major);

#endif

/* Which compiler a kernel was built with, and which one of ours to use for
 * its probes: kbuild refuses (or miscompiles) modules built with another
 * major version than the kernel's. */
#ifndef PB_COMPILER_H
#define PB_COMPILER_H

#include <limits.h>

#include "probe-builder/error.h"

struct pb_kcc {
	char family[8]; /* "gcc" or "clang" */
	int major, minor, patch;
	char text[256];	 /* as the kernel says it: "gcc-12 (Debian ...) 12.2.0"
			  */
	char source[64]; /* where it was read: CONFIG_GCC_VERSION, compile.h */
};

/* Parses a compiler banner as kernels record it (CONFIG_CC_VERSION_TEXT,
 * LINUX_COMPILER, `cc --version`): the first word outside parentheses
 * that starts like a version. -EINVAL when there is none. */
int pb_kcc_parse_text(const char *text, struct pb_kcc *out);

/* Reads it from a kernel tree: include/config/auto.conf or .config
 * (CONFIG_GCC_VERSION, CONFIG_CLANG_VERSION, CONFIG_CC_VERSION_TEXT),
 * then include/generated/compile.h (LINUX_COMPILER). */
int pb_kcc_from_tree(const char *kdir, struct pb_kcc *out, struct pb_err *err);

/* The value of a kconfig symbol (CONFIG_MODULE_SIG_HASH) of the tree, from
 * include/config/auto.conf or .config, unquoted; -ENOENT when unset. */
int pb_tree_kconfig(const char *kdir, const char *name, char *out, size_t len);

/* CONFIG_PAHOLE_VERSION of the tree, 124 for pahole 1.24 (0: none). */
int pb_tree_pahole_version(const char *kdir);

struct pb_cc_choice {
	char path[PATH_MAX];
	char version[256]; /* first line of `cc --version` */
	int major;
	int exact; /* 0 when --nearest-compiler picked another major */
};

/* Picks <family>-<major>.<minor>, <family>-<major>, then <family> when its
 * major matches, in path_env (NULL: $PATH). With allow_nearest, falls back
 * to the installed one nearest in major version (the newer on a tie);
 * otherwise fails with a message naming the compiler needed. */
int pb_cc_choose(const struct pb_kcc *k, const char *path_env,
		 int allow_nearest, struct pb_cc_choice *out,
		 struct pb_err *err);

#endif

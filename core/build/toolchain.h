/* Which toolchain builds a kernel's module: the host's compiler, a builder
 * environment already made, or one to make from a definition. The rules
 * (pb_tc_choose) are pure: what exists is given to them. */
#ifndef PB_TOOLCHAIN_H
#define PB_TOOLCHAIN_H

#include <stddef.h>

#include "build/compiler.h"
#include "build/toolchain_env.h"
#include "plugin/toolchain_defs.h"
#include "probe-builder/error.h"

/* What the kernel tree asks for. */
struct pb_tc_need {
	struct pb_kcc cc;
	int pahole;		      /* CONFIG_PAHOLE_VERSION; 0: none */
	int glibc_major, glibc_minor; /* its prebuilt tools' need; 0: none */
	char glibc_tool[64];	      /* the tool that needs it */
	const char *release;	      /* uname -r */
	const char *const *series;    /* where it was found; may be NULL */
	size_t n_series;
};

/* What the host has for that kernel. */
struct pb_tc_host {
	int have_cc; /* cc holds the host's compiler of the kernel's major */
	struct pb_cc_choice cc;
	int pahole; /* the host's pahole, 124 for 1.24; 0: none */
	int glibc_major, glibc_minor;
};

enum pb_tc_kind { PB_TC_HOST = 1, PB_TC_ENV, PB_TC_MAKE };

struct pb_tc_choice {
	enum pb_tc_kind kind;
	const struct pb_tcenv *env;  /* PB_TC_ENV */
	const struct pb_tc_def *def; /* PB_TC_MAKE (and ENV when known) */
	char match[16];		     /* "major.minor", "major" */
	char why[320];		     /* what decided it, for the log */
};

struct pb_tc_choose_opts {
	size_t sz;
	const char *mode; /* "auto" (NULL too), "host", or a toolchain name */
	const struct pb_tc_host *host;
	const struct pb_tc_defs *defs;
	const struct pb_tcenv *envs; /* made, in the toolchain dir */
	size_t n_envs;
};

/* auto: the host's compiler of the kernel's major when its pahole and
 * glibc do too; else the best made environment providing that major, else
 * the best definition providing it (the caller makes it: PB_TC_MAKE);
 * best is: it can run the tree's tools (glibc), the kernel's own release
 * (the definition's releases globs, its series), the same minor. host:
 * the host's compiler or fail. NAME: that environment, made or to make.
 * -ENOENT with a message naming the compiler and what was tried. */
int pb_tc_choose(const struct pb_tc_need *need,
		 const struct pb_tc_choose_opts *o, struct pb_tc_choice *out,
		 struct pb_err *err);

/* The host's side: its compiler for k (no nearest), pahole and glibc. */
void pb_tc_host_scan(const struct pb_kcc *k, const char *path_env,
		     struct pb_tc_host *out);

#endif

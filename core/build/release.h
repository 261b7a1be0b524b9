/* Inside build/: what one kernel's build knows, shared by its stages
 * (release.c runs them; root.c unpacks and fixes up the tree and finds the
 * config; kbuild.c runs make for the module and the eBPF object). Its
 * paths live in the workspace, under the kernel's key
 * (pb_kernel_key_name):
 *   roots/<distro>/<key>/       the unpacked packages
 *   roots/<distro>/<key>.stamp  which packages that root holds
 *   build/<distro>/<key>/{kmod,ebpf}/  private copies of the source
 *   logs/<distro>/<key>/<run id>.log, copied to the output dir's logs/
 *   when something was built
 *   meta/configs/<SHA-256 of the stamp>  the tree's config and its MD5
 * The root, its stamp and the copies go once the outputs are recorded
 * well (rel_workspace.c). */
#ifndef PB_BUILD_RELEASE_H
#define PB_BUILD_RELEASE_H

#include <limits.h>

#include "archive/unpack.h"
#include "build/build.h"
#include "build/compiler.h"
#include "build/toolchain_env.h"
#include "output/result.h"
#include "probe-builder/release.h"
#include "util/hash.h"

struct rel_ctx {
	const struct pb_build_opts *o;
	const struct pb_plugin *plugin;
	struct pb_release rel;
	char root[PATH_MAX];
	char stamp_path[PATH_MAX];
	char log_path[PATH_MAX];
	char log_rel[PATH_MAX]; /* its copy, relative to the output dir */
	char key[PATH_MAX];
	/* the SHA-256 of an output found altered, that this run replaces
	 * ([0] kmod, [1] ebpf) */
	char replaced[2][PB_HEX_MAX];
	char build_dir[PATH_MAX];
	char kdir[PATH_MAX];
	char md5[PB_HEX_MAX];
	char *stamp; /* what the stamp must say for this set of packages */
	const char **pkgs;
	enum pb_pkg_role *roles;
	size_t n_pkgs;
	int log_fd;
	/* beneath-workspace dir fds (-1: not open): roots/<distro> (the
	 * stamp, the root made and wiped through it), the root, and
	 * build/<distro>/<key> (the copies); nothing is written into
	 * them through a path string */
	int roots_fd, root_fd, build_fd;
	struct pb_unpack_limit limit;
	struct pb_cc_choice cc; /* path: as seen inside the sandbox */
	struct pb_tcenv env;	/* the builder environment (env.name[0]: the
				   host's userspace) */
	struct pb_release_result *res;
	int oom; /* a result could not be recorded: the build is lost */
};

/* The output `which` ("kmod" or "ebpf") of the result. */
struct pb_output_result *pb_rel_output(struct rel_ctx *c, const char *which);
/* Records output `which` FAILED with msg, and says it. */
void pb_rel_fail_output(struct rel_ctx *c, const char *which, const char *msg);

/* root.c: the inputs' digests (and what the root's stamp must say); the
 * workspace's roots/<distro>; a root that holds these packages already,
 * or a new empty one; the tree packages unpacked and fixed up; the
 * config found and its MD5 taken. */
int pb_rel_hash_inputs(struct rel_ctx *c, struct pb_err *err);
int pb_rel_open_roots(struct rel_ctx *c, struct pb_err *err);
int pb_rel_root_is_ready(struct rel_ctx *c);
int pb_rel_new_root(struct rel_ctx *c, struct pb_err *err);
/* Wipes a root whose unpack or fixups failed; returns ret. */
int pb_rel_drop_root(struct rel_ctx *c, int ret);
int pb_rel_unpack_role(struct rel_ctx *c, enum pb_pkg_role role,
		       struct pb_err *err);
int pb_rel_prepare_tree(struct rel_ctx *c, struct pb_err *err);
int pb_rel_find_config(struct rel_ctx *c, int *tree_ready, struct pb_err *err);

/* rel_workspace.c: the config of the tree the stamp describes, as an
 * earlier run found it (1: in c->md5 and the result; 0: not known); it
 * remembered (after pb_rel_find_config); a new root with the config
 * packages in, for a build whose config was remembered; the tree and
 * build copies removed when every output went well (not with
 * --keep-trees), or where they are kept said. */
int pb_rel_recall_config(struct rel_ctx *c);
void pb_rel_remember_config(struct rel_ctx *c);
int pb_rel_root_for_build(struct rel_ctx *c, struct pb_err *err);
void pb_rel_tidy(struct rel_ctx *c);

/* rel_toolchain.c: the toolchain for the tree's compiler k (an
 * environment made if need be) in c->cc and c->env, recorded in the
 * result and the log. */
int pb_rel_toolchain(struct rel_ctx *c, const struct pb_kcc *k,
		     struct pb_err *err);

/* kbuild.c: builds the output into the output dir as name, recording it
 * BUILT or FAILED. */
void pb_kbuild_kmod(struct rel_ctx *c, const char *name);
void pb_kbuild_ebpf(struct rel_ctx *c, const char *name);

#endif

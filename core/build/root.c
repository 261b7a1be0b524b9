#include "config.h"

/* A kernel's root: its packages unpacked beneath the workspace, fixed up,
 * and stamped with what it holds, so that a later run reuses it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/release.h"
#include "probe-builder/alloc.h"
#include "probe-builder/fixup.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/path.h"

/* Where input i came from: its URL, or a local file by its path relative
 * to the output dir. */
static int input_origin(struct rel_ctx *c, size_t i, struct pb_input_rec *in,
			struct pb_err *err)
{
	const char *url = pb_origins_get(c->o->origins, c->pkgs[i]);
	char real[PATH_MAX], rel[PATH_MAX];

	if (url)
		return pb_result_str(&in->url, url, err);
	if (realpath(c->pkgs[i], real) &&
	    pb_path_relative(c->o->output_dir, real, rel, sizeof(rel)) == 0)
		return pb_result_str(&in->path, rel, err);
	return 0;
}

int pb_rel_hash_inputs(struct rel_ctx *c, struct pb_err *err)
{
	struct pb_release_result *r = c->res;
	struct pb_hashcache *hc = c->o->hash_cache;
	size_t i, len = 128, hashed = hc ? hc->hashed : 0,
		  hits = hc ? hc->hits : 0, checked = 0;
	char *stamp;

	for (i = 0; i < c->n_pkgs; i++)
		len += strlen(pb_basename(c->pkgs[i])) + PB_HEX_MAX + 8;
	stamp = pb_calloc(1, len, err);
	c->stamp = stamp;
	if (!stamp)
		return -ENOMEM;
	r->inputs = pb_calloc(c->n_pkgs + 1, sizeof(*r->inputs), err);
	if (!r->inputs)
		return -ENOMEM;
	/* another version may unpack or fix up differently: start over */
	snprintf(stamp, len, "%s root\n", PACKAGE_STRING);
	for (i = 0; i < c->n_pkgs; i++) {
		const struct pb_origin *og =
			pb_origins_find(c->o->origins, c->pkgs[i]);
		struct pb_input_rec *in = &r->inputs[i];
		char hex[PB_HEX_MAX];
		int ret = 0;

		/* a download's digest was checked as it came (a head's is
		 * the package's, as the index gives it): not hashed again */
		if (og && og->sha256[0]) {
			snprintf(hex, sizeof(hex), "%s", og->sha256);
			checked++;
		} else {
			ret = pb_hash_file_cached(hc, c->pkgs[i], "sha256", hex,
						  err);
		}
		if (ret)
			return ret;
		r->n_inputs++;
		in->role = (int)c->roles[i];
		if (og && og->head_how)
			ret = pb_result_str(&in->config_from, og->head_how,
					    err);
		if (!ret)
			ret = pb_result_str(&in->file, pb_basename(c->pkgs[i]),
					    err);
		if (!ret)
			ret = pb_result_str(&in->sha256, hex, err);
		if (!ret)
			ret = input_origin(c, i, in, err);
		if (ret)
			return ret;
		/* fits: len counted every line */
		snprintf(stamp + strlen(stamp), len - strlen(stamp),
			 "%s %d %s\n", hex, (int)c->roles[i],
			 pb_basename(c->pkgs[i]));
	}
	/* a warm rerun reads no input: the e2e tests count on this line */
	pb_debug("%s: inputs: %zu hashed, %zu from the hash cache, %zu "
		 "checked as downloaded",
		 c->rel.name, hc ? hc->hashed - hashed : c->n_pkgs - checked,
		 hc ? hc->hits - hits : 0, checked);
	return 0;
}

/* roots/<distro> beneath the workspace, every part a real directory */
int pb_rel_open_roots(struct rel_ctx *c, struct pb_err *err)
{
	char rel[PATH_MAX];
	int ws;

	if (pb_path_join(rel, sizeof(rel), err, "roots", c->o->distro->name,
			 NULL) < 0)
		return err->code;
	ws = open(c->o->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ws < 0)
		return pb_err_set(err, -errno, "%s: %s", c->o->workspace,
				  strerror(errno));
	c->roots_fd = pb_mkdir_beneath(ws, rel, err);
	close(ws);
	if (c->roots_fd < 0)
		return pb_err_prefix(err, "%s", c->o->workspace);
	return 0;
}

int pb_rel_root_is_ready(struct rel_ctx *c)
{
	char name[PATH_MAX], old[65536];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	if (pb_path_fmt(name, sizeof(name), NULL, "%s.stamp", c->key) < 0)
		return 0;
	fd = openat(c->roots_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (len < sizeof(old) - 1 &&
	       (n = read(fd, old + len, sizeof(old) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	old[len] = '\0';
	if (strcmp(old, c->stamp) != 0 ||
	    fstatat(c->roots_fd, c->key, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	c->root_fd = openat(c->roots_fd, c->key,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return c->root_fd >= 0;
}

/* An empty root: the stamp goes first, so that a crash half way leaves
 * a root without one, which the next run wipes and redoes. */
int pb_rel_new_root(struct rel_ctx *c, struct pb_err *err)
{
	char name[PATH_MAX];
	int ret;

	if (pb_path_fmt(name, sizeof(name), err, "%s.stamp", c->key) < 0)
		return err->code;
	if (unlinkat(c->roots_fd, name, 0) < 0 && errno != ENOENT)
		return pb_err_set(err, -errno, "%s: %s", c->stamp_path,
				  strerror(errno));
	ret = pb_rm_rf_at(c->roots_fd, c->key, err);
	if (ret)
		return pb_err_prefix(err, "cannot wipe %s", c->root);
	if (mkdirat(c->roots_fd, c->key, 0755) < 0)
		return pb_err_set(err, -errno, "cannot create %s: %s", c->root,
				  strerror(errno));
	c->root_fd = openat(c->roots_fd, c->key,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->root_fd < 0)
		return pb_err_set(err, -errno, "%s: %s", c->root,
				  strerror(errno));
	c->limit.max =
		c->o->max_unpacked ? c->o->max_unpacked : PB_UNPACK_MAX_DEFAULT;
	c->limit.used = 0;
	return 0;
}

/* A root whose unpack or fixups failed is never stamped, and goes at
 * once: on a full disk that gives the log and the result room again. */
int pb_rel_drop_root(struct rel_ctx *c, int ret)
{
	struct pb_err e = {0};

	if (c->root_fd >= 0)
		close(c->root_fd);
	c->root_fd = -1;
	if (pb_rm_rf_at(c->roots_fd, c->key, &e) < 0)
		pb_warn("%s: cannot wipe the failed root: %s", c->rel.name,
			e.msg);
	return ret;
}

int pb_rel_unpack_role(struct rel_ctx *c, enum pb_pkg_role role,
		       struct pb_err *err)
{
	size_t i;

	for (i = 0; i < c->n_pkgs; i++) {
		const struct pb_origin *og;
		double t0 = pb_now_s();
		int ret;

		if (c->roles[i] != role)
			continue;
		og = pb_origins_find(c->o->origins, c->pkgs[i]);
		/* a config package of which only the head was fetched: its
		 * config, accepted by the distro's rule, is in the head */
		ret = pb_unpack_at(og && og->head ? og->head : c->pkgs[i],
				   c->root_fd, role, c->rel.name, &c->limit,
				   err);
		if (ret)
			return ret;
		pb_info("%s: unpacked %s%s in %.1fs", c->rel.name,
			pb_basename(c->pkgs[i]),
			role != PB_PKG_CONFIG ? ""
			: og && og->head      ? " (config only, from its head)"
					      : " (config only)",
			pb_now_s() - t0);
	}
	return 0;
}

/* The stamp is written only once the unpack and every fixup succeeded,
 * and what they wrote is on disk (syncfs reports the writeback errors a
 * write(2) may not have). */
int pb_rel_prepare_tree(struct rel_ctx *c, struct pb_err *err)
{
	char name[PATH_MAX];
	int ret;

	ret = pb_rel_unpack_role(c, PB_PKG_TREE, err);
	if (!ret)
		ret = pb_fixup_absolute_symlinks(c->root, err);
	if (!ret && c->plugin->fixup)
		ret = c->plugin->fixup(&c->rel, err);
	if (!ret && syncfs(c->root_fd) < 0)
		ret = pb_err_set(err, -errno, "%s: %s", c->root,
				 strerror(errno));
	if (!ret)
		ret = pb_path_fmt(name, sizeof(name), err, "%s.stamp", c->key);
	if (!ret)
		ret = pb_write_file_atomic_at(c->roots_fd, name, c->stamp,
					      strlen(c->stamp), err);
	return ret ? pb_rel_drop_root(c, ret) : 0;
}

int pb_rel_find_config(struct rel_ctx *c, int *tree_ready, struct pb_err *err)
{
	char cfg[PATH_MAX], path[PATH_MAX * 2];
	int ret;

	ret = c->plugin->config_file(&c->rel, cfg, sizeof(cfg), err);
	if (ret == -ENOENT && !*tree_ready) {
		/* some distros keep it in the tree packages */
		pb_err_clear(err);
		ret = pb_rel_prepare_tree(c, err);
		if (ret)
			return ret;
		*tree_ready = 1;
		ret = c->plugin->config_file(&c->rel, cfg, sizeof(cfg), err);
	}
	if (!ret)
		ret = pb_path_join(path, sizeof(path), err, c->root, cfg, NULL);
	if (!ret)
		ret = pb_hash_file(path, "md5", c->md5, err);
	if (!ret)
		ret = pb_result_str(&c->res->config_file, cfg, err);
	if (!ret)
		ret = pb_result_str(&c->res->config_md5, c->md5, err);
	if (ret)
		return ret;
	pb_info("%s: config %s, md5 %s", c->rel.name, cfg, c->md5);
	return 0;
}

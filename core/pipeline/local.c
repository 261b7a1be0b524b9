#include "config.h"

/* The kernels among package files given on the command line: the plugin
 * groups them by release, following the packages' own Depends as a crawl
 * does. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/run.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "repo/debcontrol.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/str.h"

struct pkg_list {
	char **paths;
	size_t n;
};

static int pkg_add(struct pkg_list *l, const char *path, struct pb_err *err)
{
	char **g = pb_reallocarray(l->paths, l->n + 1, sizeof(*g), err);

	if (!g)
		return -ENOMEM;
	l->paths = g;
	if (!(l->paths[l->n] = pb_strdup(path, err)))
		return -ENOMEM;
	l->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_base(const void *a, const void *b)
{
	int c = strcmp(pb_basename(*(char *const *)a),
		       pb_basename(*(char *const *)b));

	return c ? c : strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory argument stands for its .deb and .rpm files. */
static int expand_arg(struct pkg_list *l, const char *arg, struct pb_err *err)
{
	struct dirent *de;
	size_t first = l->n;
	int ret = 0;
	DIR *d;

	if (!pb_is_dir(arg)) {
		if (access(arg, R_OK) < 0)
			return pb_err_set(err, -errno, "%s: %s", arg,
					  strerror(errno));
		return pkg_add(l, arg, err);
	}
	d = opendir(arg);
	if (!d)
		return pb_err_set(err, -errno, "%s: %s", arg, strerror(errno));
	while (!ret && (de = readdir(d)) != NULL) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.' ||
		    (!pb_has_suffix(de->d_name, ".deb") &&
		     !pb_has_suffix(de->d_name, ".rpm")))
			continue;
		ret = pb_path_join(path, sizeof(path), err, arg, de->d_name,
				   NULL);
		if (!ret)
			ret = pkg_add(l, path, err);
	}
	closedir(d);
	if (ret)
		return ret;
	qsort(l->paths + first, l->n - first, sizeof(*l->paths), cmp_str);
	if (l->n == first)
		pb_warn("%s: no .deb or .rpm file in this directory", arg);
	return 0;
}

/* The packages' own Depends, which the plugin follows. */
static int read_depends(struct pkg_list *pkgs, struct pb_batch *b,
			struct pb_err *err)
{
	size_t i;

	for (i = 0; i < pkgs->n; i++) {
		char *deps = NULL;
		int ret;

		if (!pb_has_suffix(pkgs->paths[i], ".deb"))
			continue;
		if (pb_deb_control_field(pkgs->paths[i], "Depends", &deps,
					 err) < 0) {
			pb_warn("%s", err->msg);
			pb_err_clear(err);
			continue;
		}
		ret = deps ? pb_batch_set_depends(b, pkgs->paths[i], deps, err)
			   : 0;
		free(deps);
		if (ret)
			return ret;
	}
	return 0;
}

int pb_pipeline_local(const struct pb_build_opts *o, const char *const *args,
		      size_t n, char ***paths, size_t *n_paths,
		      struct pb_batch *b, struct pb_err *err)
{
	const struct pb_plugin *plugin = o->distro->builder->plugin;
	struct pkg_list pkgs = {0};
	size_t i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = expand_arg(&pkgs, args[i], err);
	/* the same files in another order must give the same run */
	if (!ret)
		qsort(pkgs.paths, pkgs.n, sizeof(*pkgs.paths), cmp_base);
	if (!ret)
		ret = read_depends(&pkgs, b, err);
	*paths = pkgs.paths;
	*n_paths = pkgs.n;
	if (ret)
		return ret;
	ret = plugin->batch(b, (const char *const *)pkgs.paths, pkgs.n, err);
	if (ret) {
		if (!err->code) /* a plugin that said nothing */
			pb_err_set(err, ret < 0 ? ret : -EIO, "failed");
		return pb_err_prefix(err, "%s builder", plugin->name);
	}
	for (i = 0; i < pb_batch_n_ignored(b); i++) {
		const char *why;
		const char *p = pb_batch_ignored(b, i, &why);

		pb_warn("ignored %s: %s", p, why);
	}
	if (pb_batch_n_releases(b) == 0)
		return pb_err_set(err, -ENOENT,
				  "no %s kernel release among the %zu package "
				  "files",
				  o->distro->name, pkgs.n);
	return 0;
}

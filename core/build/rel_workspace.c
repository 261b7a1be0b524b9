#include "config.h"

/* What a kernel leaves in the workspace. Its tree and build copies go
 * once every output is BUILT, EXISTING or SKIPPED (not with --keep-trees),
 * and stay, said, when one FAILED; so a run holds about -j kernels'
 * trees, not every kernel's. The config of a tree (its path in the tree,
 * its MD5) is remembered in meta/configs/<SHA-256 of the stamp>, so that
 * a rerun names the outputs without unpacking the packages again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/release.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"

/* meta/configs/<SHA-256 of what the stamp says> */
static int memo_path(struct rel_ctx *c, char *buf, size_t len,
		     struct pb_err *err)
{
	char hex[PB_HEX_MAX];
	int ret;

	if (!c->stamp)
		return pb_err_set(err, -EINVAL, "no stamp");
	ret = pb_hash_mem(c->stamp, strlen(c->stamp), "sha256", hex, err);
	if (!ret)
		ret = pb_path_join(buf, len, err, c->o->workspace, "meta",
				   "configs", hex, NULL);
	return ret;
}

static int is_md5(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == 32 && s[n] == '\0';
}

int pb_rel_recall_config(struct rel_ctx *c)
{
	char path[PATH_MAX], *data = NULL, *cfg, *md5, *nl;
	struct pb_err err = {0};
	int ok = 0;

	if (memo_path(c, path, sizeof(path), &err) < 0 ||
	    pb_read_file(path, &data, NULL, &err) < 0)
		return 0;
	/* "<config path in the tree>\n<md5>\n" */
	cfg = data;
	md5 = strchr(cfg, '\n');
	if (md5) {
		*md5++ = '\0';
		nl = strchr(md5, '\n');
		if (nl && nl[1] == '\0') {
			*nl = '\0';
			ok = cfg[0] && is_md5(md5);
		}
	}
	if (ok && (pb_result_str(&c->res->config_file, cfg, &err) ||
		   pb_result_str(&c->res->config_md5, md5, &err))) {
		c->oom = 1;
		ok = 0;
	}
	if (ok) {
		snprintf(c->md5, sizeof(c->md5), "%s", md5);
		pb_info("%s: config %s, md5 %s (remembered: not unpacked)",
			c->rel.name, cfg, c->md5);
	}
	free(data);
	return ok;
}

void pb_rel_remember_config(struct rel_ctx *c)
{
	char path[PATH_MAX], dir[PATH_MAX], text[PATH_MAX + PB_HEX_MAX + 2];
	const char *cfg = c->res->config_file;
	struct pb_err err = {0};
	int ret;

	if (!cfg || strchr(cfg, '\n') || !is_md5(c->md5))
		return;
	ret = memo_path(c, path, sizeof(path), &err);
	if (!ret)
		ret = pb_path_fmt(text, sizeof(text), &err, "%s\n%s\n", cfg,
				  c->md5);
	if (!ret)
		ret = pb_path_fmt(dir, sizeof(dir), &err, "%s", path);
	if (!ret) {
		*strrchr(dir, '/') = '\0';
		ret = pb_mkdir_p(dir, &err);
	}
	if (!ret)
		ret = pb_write_file_atomic(path, text, strlen(text), &err);
	/* only a rerun's shortcut: it unpacks instead */
	if (ret)
		pb_warn("%s: cannot remember its config: %s", c->rel.name,
			err.msg);
}

int pb_rel_root_for_build(struct rel_ctx *c, struct pb_err *err)
{
	int ret = pb_rel_new_root(c, err);

	if (!ret && pb_rel_unpack_role(c, PB_PKG_CONFIG, err) < 0)
		ret = pb_rel_drop_root(c, err->code);
	return ret;
}

/* build/<distro> beneath the workspace, or -1 (none: nothing was
 * copied) */
static int open_builds(struct rel_ctx *c)
{
	int ws, b, d = -1;

	ws = open(c->o->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ws < 0)
		return -1;
	b = openat(ws, "build",
		   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b >= 0) {
		d = openat(b, c->o->distro->name,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(b);
	}
	close(ws);
	return d;
}

static int done_ok(enum pb_status s)
{
	return s == PB_STATUS_BUILT || s == PB_STATUS_EXISTING ||
	       s == PB_STATUS_SKIPPED;
}

/* The stamp goes first: a root left half removed is one without a
 * stamp, which the next run wipes. */
static void remove_tree(struct rel_ctx *c)
{
	char name[PATH_MAX];
	struct pb_err err = {0};
	int builds, ret = 0;

	if (pb_path_fmt(name, sizeof(name), &err, "%s.stamp", c->key) < 0 ||
	    (unlinkat(c->roots_fd, name, 0) < 0 && errno != ENOENT &&
	     pb_err_set(&err, -errno, "%s: %s", c->stamp_path,
			strerror(errno))) ||
	    pb_rm_rf_at(c->roots_fd, c->key, &err) < 0) {
		pb_warn("%s: cannot remove its tree: %s", c->rel.name, err.msg);
		return;
	}
	builds = open_builds(c);
	if (builds >= 0) {
		ret = pb_rm_rf_at(builds, c->key, &err);
		close(builds);
	}
	if (ret)
		pb_warn("%s: cannot remove its build copies: %s", c->rel.name,
			err.msg);
}

void pb_rel_tidy(struct rel_ctx *c)
{
	const struct pb_release_result *r = c->res;
	struct stat st;
	int builds, copies;

	/* a kernel failed before its roots were looked at left none */
	if (c->roots_fd < 0)
		return;
	if (done_ok(r->kmod.status) && done_ok(r->ebpf.status)) {
		if (!c->o->keep_trees)
			remove_tree(c);
		return;
	}
	if (fstatat(c->roots_fd, c->key, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return;
	builds = open_builds(c);
	copies = builds >= 0 &&
		 fstatat(builds, c->key, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		 S_ISDIR(st.st_mode);
	if (builds >= 0)
		close(builds);
	pb_info("%s: kept for inspection: its tree %s%s%s", c->rel.name,
		c->root, copies ? ", its build copies " : "",
		copies ? c->build_dir : "");
}

#include "config.h"

/* A config read from the first bytes of its package: accepted only when
 * the verified tree packages determine it (the plugin's rule). The head
 * cannot be checked against the package's SHA-256; the tree packages
 * were. Both configs are unpacked into a scratch dir of the workspace and
 * compared line by line. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/unpack.h"
#include "pipeline/confighead.h"
#include "probe-builder/alloc.h"
#include "util/fs.h"
#include "util/path.h"

/* a config is a few hundred KB; more is not a config */
#define CONFIG_MAX (16u << 20)

static int keep_one(const char *rel, void *data)
{
	return strcmp(rel, data) == 0;
}

static int read_all(int dirfd, const char *rel, char **out, size_t *len,
		    struct pb_err *err)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", rel, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_MAX) {
		close(fd);
		return pb_err_set(err, -EINVAL, "%s: not a config file", rel);
	}
	buf = pb_calloc(1, (size_t)st.st_size + 1, err);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			free(buf);
			close(fd);
			return pb_err_set(err, n < 0 ? -errno : -EIO, "%s: %s",
					  rel,
					  n < 0 ? strerror(errno) : "short");
		}
		got += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	*out = buf;
	*len = got;
	return 0;
}

/* Whether line (without its newline) sets or unsets one of the options
 * of drop: "CONFIG_X=..." or "# CONFIG_X is not set". */
static int dropped(const char *line, size_t n, const char *const *drop)
{
	size_t k;

	if (n > 2 && line[0] == '#' && line[1] == ' ') {
		line += 2;
		n -= 2;
	}
	for (k = 0; drop[k]; k++) {
		size_t l = strlen(drop[k]);

		if (n > l && !strncmp(line, drop[k], l) &&
		    (line[l] == '=' || line[l] == ' '))
			return 1;
	}
	return 0;
}

/* tree without the dropped lines equals head: 0, or -EBADMSG with the
 * first line that differs. */
static int compare(const char *tree, size_t tl, const char *head, size_t hl,
		   const char *const *drop, struct pb_err *err)
{
	size_t t = 0, h = 0, line = 0;

	for (;;) {
		const char *te, *he;
		size_t tn, hn;

		while (t < tl) {
			te = memchr(tree + t, '\n', tl - t);
			tn = te ? (size_t)(te - (tree + t)) : tl - t;
			if (!dropped(tree + t, tn, drop))
				break;
			t += tn + (te != NULL);
		}
		line++;
		if (t >= tl || h >= hl)
			break;
		te = memchr(tree + t, '\n', tl - t);
		tn = te ? (size_t)(te - (tree + t)) : tl - t;
		he = memchr(head + h, '\n', hl - h);
		hn = he ? (size_t)(he - (head + h)) : hl - h;
		if (tn != hn || memcmp(tree + t, head + h, tn))
			return pb_err_set(err, -EBADMSG,
					  "line %zu differs: \"%.*s\"", line,
					  (int)(hn > 200 ? 200 : hn), head + h);
		t += tn + (te != NULL);
		h += hn + (he != NULL);
	}
	if (t < tl || h < hl)
		return pb_err_set(err, -EBADMSG,
				  "%s has lines after line %zu that the "
				  "other has not",
				  t < tl ? "the tree's" : "the head's", line);
	return 0;
}

/* Config of the head into dirfd: 0, -EAGAIN when the head ends before
 * it, or an error. */
static int head_config(const struct pb_config_head *h, int dirfd,
		       struct pb_err *err)
{
	struct pb_err e = {0};

	/* the config member read whole: reading stopped there, 0 */
	if (pb_unpack_at(h->head, dirfd, PB_PKG_CONFIG, h->release, NULL, &e) ==
	    0)
		return 0;
	if (h->head_is_whole)
		return pb_err_set(err, -EBADMSG, "%s: %s", h->package, e.msg);
	/* cut before the config's end (or before its member) */
	return pb_err_set(err, -EAGAIN,
			  "%s: its first %lld bytes end before its config",
			  h->package, (long long)h->head_size);
}

/* A scratch dir <workspace>/tmp/confighead-XXXXXX, open in *fd; path
 * stays "" unless it was made. */
static int scratch_dir(const struct pb_config_head *h, char *path, size_t len,
		       int *fd, struct pb_err *err)
{
	char tmp[PATH_MAX];
	int ret;

	*fd = -1;
	path[0] = '\0';
	ret = pb_path_join(tmp, sizeof(tmp), err, h->workspace, "tmp", NULL);
	if (!ret)
		ret = pb_mkdir_p(tmp, err);
	if (!ret)
		ret = pb_path_join(tmp, sizeof(tmp), err, h->workspace, "tmp",
				   "confighead-XXXXXX", NULL);
	if (ret)
		return ret;
	if (!mkdtemp(tmp))
		return pb_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
	if (pb_path_fmt(path, len, err, "%s", tmp) < 0) {
		rmdir(tmp);
		return err->code;
	}
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

/* Closes fd and removes the scratch dir; ret, or the failure to remove
 * it. */
static int scratch_done(const char *path, int fd, int ret, struct pb_err *err)
{
	struct pb_err e = {0};

	if (fd >= 0)
		close(fd);
	if (path[0] && pb_rm_rf(path, &e) < 0 && !ret)
		ret = pb_err_set(err, e.code, "%s", e.msg);
	return ret;
}

int pb_config_head_holds(const struct pb_config_head *h, struct pb_err *err)
{
	char scratch[PATH_MAX] = "";
	int fd, ret;

	ret = scratch_dir(h, scratch, sizeof(scratch), &fd, err);
	if (!ret)
		ret = head_config(h, fd, err);
	return scratch_done(scratch, fd, ret, err);
}

int pb_config_head_check(const struct pb_config_head *h, struct pb_err *err)
{
	char scratch[PATH_MAX] = "", tree_rel[PATH_MAX], cfg_rel[PATH_MAX];
	char *tree = NULL, *head = NULL;
	size_t tl = 0, hl = 0, i;
	int fd, ret, found = 0;

	struct pb_release rel = {.sz = sizeof(rel),
				 .distro = h->distro,
				 .name = h->release,
				 .arch = h->arch,
				 .root = scratch,
				 .packages = h->tree,
				 .n_packages = h->n_tree};
	char kdir[PATH_MAX];

	ret = h->plugin->kernel_dir(&rel, kdir, sizeof(kdir), err);
	if (!ret)
		ret = pb_path_join(tree_rel, sizeof(tree_rel), err, kdir,
				   ".config", NULL);
	if (ret)
		return ret;
	ret = scratch_dir(h, scratch, sizeof(scratch), &fd, err);
	if (!ret)
		ret = head_config(h, fd, err);
	/* where the plugin says the config is, in what the head gave */
	if (!ret)
		ret = h->plugin->config_file(&rel, cfg_rel, sizeof(cfg_rel),
					     err);
	if (ret)
		goto out;
	ret = read_all(fd, cfg_rel, &head, &hl, err);
	/* the tree's config, from the (verified) tree packages */
	for (i = 0; !ret && !found && i < h->n_tree; i++) {
		struct stat st;

		ret = pb_unpack_members_at(h->tree[i], fd, keep_one, tree_rel,
					   NULL, err);
		found = !ret &&
			fstatat(fd, tree_rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
	}
	if (!ret && !found)
		ret = pb_err_set(err, -EBADMSG,
				 "no %s in the tree packages to check it "
				 "against",
				 tree_rel);
	if (!ret)
		ret = read_all(fd, tree_rel, &tree, &tl, err);
	if (!ret)
		ret = compare(tree, tl, head, hl, h->plugin->config_rule_drop,
			      err);
	if (ret == -EBADMSG)
		pb_err_prefix(err,
			      "%s: its %s is not the tree's %s by the "
			      "distro's rule",
			      h->package, cfg_rel, tree_rel);
out:
	free(tree);
	free(head);
	return scratch_done(scratch, fd, ret, err);
}

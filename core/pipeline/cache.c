#include "config.h"

/* --cache-max: the download cache kept under a size, whole entries
 * evicted least recently used first (cache.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/cache.h"
#include "probe-builder/alloc.h"
#include "util/fs.h"
#include "util/path.h"

void pb_cache_touch(const char *workspace, const char *sha256)
{
	char dir[PATH_MAX];

	/* only the order of evictions depends on it: a failure is no
	 * run's */
	if (pb_path_fmt(dir, sizeof(dir), NULL, "%s/cache/%.2s/%s", workspace,
			sha256, sha256) == 0)
		(void)utimensat(AT_FDCWD, dir, NULL, 0);
}

struct entry {
	char name[NAME_MAX + 1]; /* the SHA-256 dir, under sub */
	char sub[NAME_MAX + 1];	 /* its <sha[:2]> dir */
	struct timespec mtime;
	uint64_t bytes;
};

struct scan {
	struct entry *v;
	size_t n, cap;
	uint64_t total;
};

/* Directory name of dir at, opened without following a link; NULL with
 * err filled. */
static DIR *dir_at(int at, const char *name, struct pb_err *err)
{
	int fd = openat(at, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d) {
		pb_err_set(err, -errno, "%s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return d;
}

/* Bytes of the regular files at name of dir at (a file, or a directory
 * and all under it), never following a link. */
static int tree_bytes(int at, const char *name, uint64_t *out,
		      struct pb_err *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : pb_err_set(err, -errno, "%s: %s", name,
						    strerror(errno));
	if (S_ISREG(st.st_mode))
		*out += (uint64_t)st.st_size;
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (!(d = dir_at(at, name, err)))
		return err->code;
	while (!ret && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			ret = tree_bytes(dirfd(d), de->d_name, out, err);
	closedir(d);
	return ret ? pb_err_prefix(err, "%s", name) : 0;
}

static int add_entry(struct scan *s, int subfd, const char *sub,
		     const char *name, const struct stat *st,
		     struct pb_err *err)
{
	struct entry *e;
	int ret;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct entry *v = pb_reallocarray(s->v, cap, sizeof(*v), err);

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->sub, sizeof(e->sub), "%s", sub);
	e->mtime = st->st_mtim;
	ret = tree_bytes(subfd, name, &e->bytes, err);
	if (ret)
		return ret;
	s->total += e->bytes;
	s->n++;
	return 0;
}

/* The entries of cache/<xx>/ (sub: the <xx>), or with sub NULL the
 * cache itself, each of its directories a <xx>; other files count in the
 * total. */
static int scan_dir(struct scan *s, int at, const char *sub, struct pb_err *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	if (!(d = dir_at(at, sub ? sub : ".", err)))
		return err->code;
	while (!ret && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			ret = pb_err_set(err, -errno, "%s/%s: %s",
					 sub ? sub : ".", de->d_name,
					 strerror(errno));
		else if (S_ISDIR(st.st_mode) && !sub)
			ret = scan_dir(s, dirfd(d), de->d_name, err);
		else if (S_ISDIR(st.st_mode))
			ret = add_entry(s, dirfd(d), sub, de->d_name, &st, err);
		else if (S_ISREG(st.st_mode))
			s->total += (uint64_t)st.st_size;
	}
	closedir(d);
	return ret;
}

/* oldest first; the name breaks a tie, so that the order is the same
 * every time */
static int by_mtime(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int in_use(const char *name, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] && !strcmp(v[i], name))
			return 1;
	return 0;
}

/* Removes entry e (then its <sha[:2]> dir, when that is empty). */
static int evict(int cachefd, const struct entry *e, struct pb_err *err)
{
	int fd, ret;

	fd = openat(cachefd, e->sub,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", e->sub,
				  strerror(errno));
	ret = pb_rm_rf_at(fd, e->name, err);
	close(fd);
	if (ret)
		return pb_err_prefix(err, "%s", e->sub);
	(void)unlinkat(cachefd, e->sub, AT_REMOVEDIR); /* ENOTEMPTY: kept */
	return 0;
}

int pb_cache_trim(const char *cache_dir, uint64_t max,
		  const char *const *in_use_v, size_t n_in_use,
		  struct pb_cache_trim *t, struct pb_err *err)
{
	struct scan s = {0};
	size_t i;
	int cachefd, ret;

	memset(t, 0, sizeof(*t));
	cachefd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cachefd < 0)
		return errno == ENOENT ? 0
				       : pb_err_set(err, -errno, "%s: %s",
						    cache_dir, strerror(errno));
	ret = scan_dir(&s, cachefd, NULL, err);
	if (ret) {
		pb_err_prefix(err, "%s", cache_dir);
		goto out;
	}
	t->before = t->after = s.total;
	if (s.total <= max)
		goto out;
	qsort(s.v, s.n, sizeof(*s.v), by_mtime);
	for (i = 0; i < s.n && t->after > max && !ret; i++) {
		const struct entry *e = &s.v[i];

		if (in_use(e->name, in_use_v, n_in_use)) {
			t->in_use_bytes += e->bytes;
			continue;
		}
		ret = evict(cachefd, e, err);
		if (ret) {
			pb_err_prefix(err, "%s", cache_dir);
			break;
		}
		t->after -= e->bytes;
		t->evicted_bytes += e->bytes;
		t->evicted++;
	}
	/* the in-use entries the loop did not reach count too */
	for (; i < s.n; i++)
		if (in_use(s.v[i].name, in_use_v, n_in_use))
			t->in_use_bytes += s.v[i].bytes;
out:
	free(s.v);
	close(cachefd);
	return ret;
}

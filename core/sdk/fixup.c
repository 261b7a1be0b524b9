#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe-builder/alloc.h"
#include "probe-builder/fixup.h"

static int beneath_err(int e, const char *rel, struct pb_err *err)
{
	if (e == EXDEV)
		return pb_err_set(err, -EXDEV,
				  "%s: refused: it leads outside the root "
				  "(a symlink or '..')",
				  rel);
	return pb_err_set(err, -e, "%s: %s", rel, strerror(e));
}

/* openat2(2), without needing <linux/openat2.h> at build time: the
 * structure and the flags are the kernel's ABI. */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct pb_open_how {
	unsigned long long flags;
	unsigned long long mode;
	unsigned long long resolve;
};
#define PB_RESOLVE_NO_MAGICLINKS 0x02
#define PB_RESOLVE_BENEATH 0x08

int pb_open_beneath_walk(int dirfd, const char *rel, int flags, mode_t mode,
			 struct pb_err *err)
{
	char buf[PATH_MAX], *p, *slash;
	int cur = dirfd, fd, e;

	if (rel[0] == '/')
		return beneath_err(EXDEV, rel, err);
	if (strlen(rel) >= sizeof(buf))
		return pb_err_set(err, -ENAMETOOLONG, "%s: path too long", rel);
	/* ".." anywhere is refused before anything is opened */
	for (p = strstr(rel, ".."); p; p = strstr(p + 1, ".."))
		if ((p == rel || p[-1] == '/') && (p[2] == '/' || !p[2]))
			return beneath_err(EXDEV, rel, err);
	strcpy(buf, rel);
	p = buf;
	for (;;) {
		while (*p == '/')
			p++;
		slash = strchr(p, '/');
		if (slash) {
			*slash = '\0';
			/* a trailing slash: p is the last component */
			if (!slash[1 + strspn(slash + 1, "/")])
				slash = NULL;
		}
		if (strcmp(p, "..") == 0) {
			e = EXDEV;
			goto fail;
		}
		if (!slash)
			break;
		if (*p && strcmp(p, ".") != 0) {
			fd = openat(cur, p,
				    O_PATH | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
			if (fd < 0) {
				/* a symlink on the way: ENOTDIR here */
				e = errno;
				goto fail;
			}
			if (cur != dirfd)
				close(cur);
			cur = fd;
		}
		p = slash + 1;
	}
	fd = openat(cur, *p ? p : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
	e = errno;
	if (cur != dirfd)
		close(cur);
	if (fd < 0)
		return beneath_err(e, rel, err);
	return fd;
fail:
	if (cur != dirfd)
		close(cur);
	return beneath_err(e, rel, err);
}

int pb_open_beneath(int dirfd, const char *rel, int flags, mode_t mode,
		    struct pb_err *err)
{
	static int no_openat2;
	struct pb_open_how how;
	long fd;

	if (!no_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = (unsigned long long)(flags | O_CLOEXEC);
		if (flags & (O_CREAT | O_TMPFILE))
			how.mode = mode;
		how.resolve = PB_RESOLVE_BENEATH | PB_RESOLVE_NO_MAGICLINKS;
		do
			fd = syscall(SYS_openat2, dirfd, rel, &how,
				     sizeof(how));
		while (fd < 0 && (errno == EAGAIN || errno == EINTR));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return beneath_err(errno, rel, err);
		no_openat2 = 1; /* kernels before 5.6 */
	}
	return pb_open_beneath_walk(dirfd, rel, flags, mode, err);
}

/* Appends name to the path cur (relative to the root, "" for the root). */
static int push(char *cur, size_t len, const char *name)
{
	size_t o = strlen(cur);
	int n = snprintf(cur + o, len - o, "%s%s", o ? "/" : "", name);

	return n < 0 || (size_t)n >= len - o ? -ENAMETOOLONG : 0;
}

static void pop(char *cur)
{
	char *slash = strrchr(cur, '/');

	if (slash)
		*slash = '\0';
	else
		cur[0] = '\0';
}

/* Follows target from cur, the directory it is read in, the way the
 * kernel does (physically) on a host with the root as "/": every
 * component is looked up in the tree, and a symlink met on the way is
 * followed (an absolute one from the root, a ".." at the top of the root
 * stays there). cur only ever holds real directories, then the part that
 * does not exist (*dangling: kept as written). The last component is not
 * followed unless follow_last. *escapes (NULL for the links met on the
 * way, which are fixed on their own) is set when a ".." of target itself
 * climbs above the root. */
static int follow(int rootfd, char *cur, size_t len, const char *target,
		  int follow_last, unsigned *hops, int *escapes, int *dangling)
{
	char buf[PATH_MAX], link[PATH_MAX], *tok, *next, *save = NULL;
	struct stat st;
	ssize_t n;
	int ret;

	if (strlen(target) >= sizeof(buf))
		return -ENAMETOOLONG;
	if (target[0] == '/')
		cur[0] = '\0';
	strcpy(buf, target);
	for (tok = strtok_r(buf, "/", &save); tok; tok = next) {
		next = strtok_r(NULL, "/", &save);
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (cur[0])
				pop(cur); /* a real directory: its parent */
			else if (escapes)
				*escapes = 1;
			continue;
		}
		if (push(cur, len, tok) < 0)
			return -ENAMETOOLONG;
		if (*dangling || (!next && !follow_last))
			continue;
		if (fstatat(rootfd, cur, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			*dangling = 1;
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++*hops > 40)
				return -ELOOP;
			n = readlinkat(rootfd, cur, link, sizeof(link) - 1);
			if (n < 0)
				return -errno;
			link[n] = '\0';
			pop(cur);
			ret = follow(rootfd, cur, len, link, 1, hops, NULL,
				     dangling);
			if (ret)
				return ret;
		} else if (!S_ISDIR(st.st_mode) && next) {
			*dangling = 1; /* ENOTDIR on a host */
		}
	}
	return 0;
}

/* The symlink name in dfd (rel from the root, in reldir, depth components
 * deep): re-pointed, relative, to where a host with the root as "/" would
 * land, when it would leave the root. */
static int fix_link(int rootfd, int dfd, const char *name, const char *rel,
		    const char *reldir, unsigned depth, size_t *n_fixed,
		    struct pb_err *err)
{
	char target[PATH_MAX], cur[PATH_MAX], fixed[PATH_MAX];
	size_t off = 0;
	unsigned k, hops = 0;
	int escapes, dangling = 0, ret;
	ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

	if (n < 0)
		return pb_err_set(err, -errno, "%s: %s", rel, strerror(errno));
	target[n] = '\0';
	escapes = target[0] == '/';
	snprintf(cur, sizeof(cur), "%s", reldir);
	ret = follow(rootfd, cur, sizeof(cur), target, 0, &hops, &escapes,
		     &dangling);
	if (ret == -ELOOP)
		return 0; /* never resolves, on a host either */
	if (ret)
		return pb_err_set(err, ret, "%s -> %s: %s", rel, target,
				  strerror(-ret));
	if (!escapes)
		return 0;
	/* climb to the root, then down to where the host lands */
	for (k = 0; k < depth && off + 3 < sizeof(fixed); k++) {
		memcpy(fixed + off, "../", 3);
		off += 3;
	}
	if (off + strlen(cur) + 2 > sizeof(fixed))
		return pb_err_set(err, -ENAMETOOLONG,
				  "%s: link target too long", rel);
	strcpy(fixed + off, cur);
	if (cur[0] == '\0')
		strcpy(fixed + (off ? off - 1 : 0), off ? "" : ".");
	if (unlinkat(dfd, name, 0) < 0 || symlinkat(fixed, dfd, name) < 0)
		return pb_err_set(err, -errno, "%s: cannot re-point to %s: %s",
				  rel, fixed, strerror(errno));
	(*n_fixed)++;
	return 0;
}

/* Walks the directory dfd (reldir below the root, depth components deep:
 * real directories only, opened without following a link) and re-points
 * the symlinks that would leave the root. */
static int fix_links_in(int rootfd, int dfd, const char *reldir, unsigned depth,
			size_t *n_fixed, struct pb_err *err)
{
	DIR *d;
	struct dirent *de;
	int fd, ret = 0;

	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		ret = pb_err_set(err, -errno, "%s: %s", *reldir ? reldir : ".",
				 strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	while (!ret && (de = readdir(d)) != NULL) {
		char rel[PATH_MAX];
		struct stat st;
		int sub;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s", reldir,
				     *reldir ? "/" : "",
				     de->d_name) >= sizeof(rel)) {
			ret = pb_err_set(err, -ENAMETOOLONG,
					 "%s/%s: path too long", reldir,
					 de->d_name);
		} else if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			   0) {
			ret = pb_err_set(err, -errno, "%s: %s", rel,
					 strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			ret = fix_link(rootfd, dfd, de->d_name, rel, reldir,
				       depth, n_fixed, err);
		} else if (S_ISDIR(st.st_mode)) {
			sub = openat(dfd, de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_CLOEXEC);
			if (sub < 0) {
				ret = pb_err_set(err, -errno, "%s: %s", rel,
						 strerror(errno));
				continue;
			}
			ret = fix_links_in(rootfd, sub, rel, depth + 1, n_fixed,
					   err);
			close(sub);
		}
	}
	closedir(d);
	return ret;
}

static int open_root(const char *root, struct pb_err *err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", root, strerror(errno));
	return fd;
}

int pb_fixup_absolute_symlinks(const char *root, struct pb_err *err)
{
	size_t n_fixed = 0;
	int rootfd = open_root(root, err), ret;

	if (rootfd < 0)
		return rootfd;
	ret = fix_links_in(rootfd, rootfd, "", 0, &n_fixed, err);
	close(rootfd);
	if (ret)
		pb_err_prefix(err, "%s", root);
	return ret;
}

static int starts_word(const char *buf, const char *p)
{
	if (p == buf)
		return 1;
	return strchr(" \t\n=\"'(:", p[-1]) != NULL;
}

/* The next reference to prefix that starts a word and does not already
 * point into root (so a second run changes nothing, even with a root that
 * is itself under prefix); */
static const char *next_ref(const char *buf, const char *from, const char *root,
			    size_t rlen, const char *prefix, size_t plen)
{
	const char *hit = strstr(from, prefix);

	while (hit) {
		if (!starts_word(buf, hit)) {
			hit = strstr(hit + 1, prefix);
			continue;
		}
		if (strncmp(hit, root, rlen) == 0 &&
		    strncmp(hit + rlen, prefix, plen) == 0) {
			hit = strstr(hit + rlen + plen, prefix);
			continue;
		}
		return hit;
	}
	return NULL;
}

/* All of fd, NUL-terminated. */
static int read_all(int fd, char **data, size_t *len, struct pb_err *err)
{
	size_t cap = 65536, n = 0;
	char *buf = pb_malloc(cap, 1, err), *g;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n + 1 >= cap) {
			g = pb_reallocarray(buf, cap, 2, err);
			if (!g) {
				free(buf);
				return -ENOMEM;
			}
			buf = g;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return pb_err_set(err, -e, "%s", strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int pb_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -ENOSPC;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* buf (len bytes) with every reference to prefix pointing into root, in
 * *out (malloc'd, *out_len bytes); *count references. *out is NULL when
 * there are none. */
static int rewrite_refs(const char *buf, size_t len, const char *root,
			const char *prefix, char **out, size_t *out_len,
			size_t *count, struct pb_err *err)
{
	size_t rlen = strlen(root), plen = strlen(prefix), o = 0;
	const char *p;

	*out = NULL;
	*count = 0;
	for (p = next_ref(buf, buf, root, rlen, prefix, plen); p;
	     p = next_ref(buf, p + plen, root, rlen, prefix, plen))
		(*count)++;
	if (*count == 0)
		return 0;
	*out = pb_malloc(len + *count * rlen + 1, 1, err);
	if (!*out)
		return -ENOMEM;
	for (p = buf; *p;) {
		const char *hit = next_ref(buf, p, root, rlen, prefix, plen);

		if (!hit) {
			size_t rest = len - (size_t)(p - buf);

			memcpy(*out + o, p, rest);
			o += rest;
			break;
		}
		memcpy(*out + o, p, (size_t)(hit - p));
		o += (size_t)(hit - p);
		memcpy(*out + o, root, rlen);
		o += rlen;
		memcpy(*out + o, prefix, plen);
		o += plen;
		p = hit + plen;
	}
	*out_len = o;
	return 0;
}

/* Replaces base in dfd (dir/base, with st's mode and times) by data,
 * through the temporary name tmp, atomically. */
static int replace_at(int dfd, const char *dir, const char *base,
		      const char *tmp, const struct stat *st, const char *data,
		      size_t len, struct pb_err *err)
{
	struct timespec times[2];
	int fd, ret;

	/* a package may ship the temporary name itself (as a symlink): it
	 * goes, and the file is made anew, never opened through a link */
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
		return pb_err_set(err, -errno, "%s%s: %s", dir, tmp,
				  strerror(errno));
	fd = openat(dfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    st->st_mode & 07777);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s%s: %s", dir, tmp,
				  strerror(errno));
	ret = pb_write_all(fd, data, len);
	/* keep the time stamp: kbuild compares them */
	times[0] = st->st_atim;
	times[1] = st->st_mtim;
	if (!ret && futimens(fd, times) < 0)
		ret = -errno;
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret)
		pb_err_set(err, ret, "%s%s: %s", dir, tmp, strerror(-ret));
	else if (renameat(dfd, tmp, dfd, base) < 0)
		ret = pb_err_set(err, -errno, "%s%s: %s", dir, base,
				 strerror(errno));
	if (ret)
		unlinkat(dfd, tmp, 0);
	return ret;
}

int pb_fixup_rewrite_prefix(const char *root, const char *relpath,
			    const char *prefix, size_t *n_changed,
			    struct pb_err *err)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	char *buf = NULL, *out = NULL;
	const char *base = strrchr(relpath, '/');
	size_t len = 0, o = 0, count = 0;
	struct stat st;
	int rootfd, dfd = -1, in = -1, ret = 0;

	if (n_changed)
		*n_changed = 0;
	base = base ? base + 1 : relpath;
	if ((size_t)(base - relpath) >= sizeof(dir) || !*base ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.pb-tmp", base) >=
		    sizeof(tmp))
		return pb_err_set(err, -EINVAL, "%s: bad path", relpath);
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - relpath), relpath);
	rootfd = open_root(root, err);
	if (rootfd < 0)
		return rootfd;
	/* read and write only beneath the root, resolved physically: the
	 * tree's symlinks cannot lead either outside */
	in = pb_open_beneath(rootfd, relpath, O_RDONLY, 0, err);
	if (in < 0) {
		ret = in;
		goto out;
	}
	dfd = pb_open_beneath(rootfd, *dir ? dir : ".", O_RDONLY | O_DIRECTORY,
			      0, err);
	if (dfd < 0) {
		ret = dfd;
		goto out;
	}
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = pb_err_set(err, errno ? -errno : -EINVAL,
				 "%s: not a regular file", relpath);
		goto out;
	}
	ret = read_all(in, &buf, &len, err);
	if (!ret)
		ret = rewrite_refs(buf, len, root, prefix, &out, &o, &count,
				   err);
	if (ret) {
		pb_err_prefix(err, "%s", relpath);
		goto out;
	}
	if (count)
		ret = replace_at(dfd, dir, base, tmp, &st, out, o, err);
	if (!ret && n_changed)
		*n_changed = count;
out:
	if (in >= 0)
		close(in);
	if (dfd >= 0)
		close(dfd);
	close(rootfd);
	free(buf);
	free(out);
	return ret;
}

int pb_root_exists(const char *root, const char *relpath)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (rootfd < 0)
		return 0;
	fd = pb_open_beneath(rootfd, relpath, O_PATH, 0, NULL);
	close(rootfd);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Members written relative to directory fds (see write_at.h).
 *
 * The open directories form a stack from the root to the directory of the
 * last member, cur their path: the next member keeps the longest part of
 * it that is its own directory's, and opens the rest. A tar archive lists
 * a directory's entries together, so most members open no directory at
 * all. Each fd on the stack was opened O_NOFOLLOW | O_DIRECTORY from the
 * one below it: a real directory beneath the root, whatever is renamed or
 * replaced later (and only ancestors of the current member stay on it: a
 * member replacing a directory never finds it there). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/write_at.h"
#include "probe-builder/alloc.h"

/* directories kept open; a member deeper than that walks the rest with
 * fds of its own (no real package goes near it) */
#define OUT_DEPTH 64

struct level {
	int fd;
	size_t len; /* of its path in cur */
	int timed;  /* a directory member: its time is set when it leaves */
	struct timespec mtime;
};

struct pb_out {
	int rootfd;
	mode_t umask;
	int umask_known;
	char cur[PATH_MAX];
	struct level lv[OUT_DEPTH + 1]; /* lv[0]: the root, not our fd */
	size_t depth;
};

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* The umask, without changing it (umask(2) can only set it, and another
 * thread may create files meanwhile): unknown before Linux 4.7, and then
 * every mode is set with fchmod. */
static void read_umask(struct pb_out *o)
{
	char line[256];
	unsigned int m;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &m) == 1) {
			o->umask = (mode_t)m;
			o->umask_known = 1;
			break;
		}
	fclose(f);
}

int pb_out_new(int rootfd, struct pb_out **out, struct pb_err *err)
{
	struct pb_out *o = pb_calloc(1, sizeof(*o), err);

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->rootfd = rootfd;
	o->lv[0].fd = rootfd;
	read_umask(o);
	*out = o;
	return 0;
}

/* Closes the levels above keep, setting the times of the directory
 * members among them (apply); the first error is returned, every fd is
 * closed. */
static int pop_to(struct pb_out *o, size_t keep, int apply, struct pb_err *err)
{
	int ret = 0;

	while (o->depth > keep) {
		struct level *l = &o->lv[o->depth];
		struct timespec ts[2] = {{0, UTIME_OMIT}, l->mtime};

		if (apply && l->timed && futimens(l->fd, ts) < 0 && !ret)
			ret = pb_err_set(err, -errno,
					 "cannot set the time of %.*s: %s",
					 (int)l->len, o->cur, strerror(errno));
		close(l->fd);
		o->depth--;
	}
	o->cur[o->lv[o->depth].len] = '\0';
	return ret;
}

int pb_out_close(struct pb_out *o, int apply, struct pb_err *err)
{
	int ret;

	if (!o)
		return 0;
	ret = pop_to(o, 0, apply, err);
	free(o);
	return ret;
}

/* Why name (path[0..len)) of pfd could not be opened as a directory. */
static int not_dir(int pfd, const char *name, const char *path, size_t len,
		   int e, struct pb_err *err)
{
	struct stat st;

	if ((e == ELOOP || e == ENOTDIR) &&
	    fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return pb_err_set(err, -EPERM,
				  "Cannot extract through symlink %.*s",
				  (int)len, path);
	return pb_err_set(err, -e, "%.*s: %s", (int)len, path, strerror(e));
}

/* The directory name of pfd, made when missing (create). */
static int open_dir(int pfd, const char *name, int create, const char *path,
		    size_t len, struct pb_err *err)
{
	int fd = openat(pfd, name, DIR_FLAGS);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
			return pb_err_set(err, -errno,
					  "cannot create directory %.*s: %s",
					  (int)len, path, strerror(errno));
		fd = openat(pfd, name, DIR_FLAGS);
	}
	if (fd < 0)
		return not_dir(pfd, name, path, len, errno, err);
	return fd;
}

/* One part of a path, NUL-terminated in buf. */
static int part(const char *path, size_t pos, size_t end, char *buf,
		struct pb_err *err)
{
	if (end - pos > NAME_MAX)
		return pb_err_set(err, -ENAMETOOLONG, "%.*s: name too long",
				  (int)end, path);
	memcpy(buf, path + pos, end - pos);
	buf[end - pos] = '\0';
	return 0;
}

/* An fd of the directory path[0..dlen), made on the way when missing:
 * from the stack, the rest pushed on it (*owned = 0), or past its depth
 * an fd of the caller's to close (*owned = 1). */
static int walk(struct pb_out *o, const char *path, size_t dlen, int *owned,
		struct pb_err *err)
{
	char name[NAME_MAX + 1];
	size_t k = o->depth, pos, end;
	int fd, nfd, ret;

	*owned = 0;
	while (k > 0 && !(o->lv[k].len <= dlen &&
			  memcmp(o->cur, path, o->lv[k].len) == 0 &&
			  (o->lv[k].len == dlen || path[o->lv[k].len] == '/')))
		k--;
	ret = pop_to(o, k, 1, err);
	if (ret)
		return ret;
	fd = o->lv[k].fd;
	for (pos = o->lv[k].len; pos < dlen; pos = end) {
		if (path[pos] == '/')
			pos++;
		end = pos + strcspn(path + pos, "/");
		if (end > dlen)
			end = dlen;
		ret = part(path, pos, end, name, err);
		nfd = ret ? ret : open_dir(fd, name, 1, path, end, err);
		if (nfd < 0) {
			if (*owned)
				close(fd);
			return nfd;
		}
		if (!*owned && o->depth < OUT_DEPTH) {
			o->lv[++o->depth] = (struct level){nfd, end, 0, {0, 0}};
			memcpy(o->cur, path, end);
			o->cur[end] = '\0';
		} else {
			if (*owned)
				close(fd);
			*owned = 1;
		}
		fd = nfd;
	}
	return fd;
}

/* Where rel's last part starts, and its directory's length. */
static const char *split(const char *rel, size_t *dlen)
{
	const char *slash = strrchr(rel, '/');

	*dlen = slash ? (size_t)(slash - rel) : 0;
	return slash ? slash + 1 : rel;
}

/* Removes name of pfd for a member of the same path: a file or a symlink
 * (never followed), or a directory when empty. */
static int replace(int pfd, const char *name, const char *rel,
		   struct pb_err *err)
{
	struct stat st;
	int flags = 0;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		flags = AT_REMOVEDIR;
	if (unlinkat(pfd, name, flags) < 0 && errno != ENOENT)
		return pb_err_set(err, -errno, "cannot replace %s: %s", rel,
				  strerror(errno));
	return 0;
}

/* The mode the file was created with may lack what the umask took. */
static int set_mode(struct pb_out *o, int fd, mode_t mode, int always,
		    const char *rel, struct pb_err *err)
{
	if (!always && o->umask_known && !(mode & o->umask))
		return 0;
	if (fchmod(fd, mode) < 0)
		return pb_err_set(err, -errno, "cannot set the mode of %s: %s",
				  rel, strerror(errno));
	return 0;
}

/* The directory name of pfd, made when missing, replacing a file or a
 * symlink of an earlier member (as tar does; never followed); *made when
 * new. mkdirat first: in a new root most directories are. */
static int make_dir(int pfd, const char *name, mode_t mode, const char *rel,
		    int *made, struct pb_err *err)
{
	int fd, ret;

	*made = mkdirat(pfd, name, mode) == 0;
	if (!*made && errno != EEXIST)
		return pb_err_set(err, -errno, "cannot create directory %s: %s",
				  rel, strerror(errno));
	fd = openat(pfd, name, DIR_FLAGS);
	if (fd < 0 && !*made && (errno == ELOOP || errno == ENOTDIR)) {
		ret = replace(pfd, name, rel, err);
		if (ret)
			return ret;
		if (mkdirat(pfd, name, mode) < 0)
			return pb_err_set(err, -errno,
					  "cannot create directory %s: %s", rel,
					  strerror(errno));
		*made = 1;
		fd = openat(pfd, name, DIR_FLAGS);
	}
	if (fd < 0)
		return not_dir(pfd, name, rel, strlen(rel), errno, err);
	return fd;
}

int pb_out_dir(struct pb_out *o, const char *rel, mode_t mode,
	       const struct timespec *mtime, struct pb_err *err)
{
	size_t dlen, len = strlen(rel);
	const char *name = split(rel, &dlen);
	int owned, pfd = walk(o, rel, dlen, &owned, err), fd, made, ret;

	if (pfd < 0)
		return pfd;
	fd = make_dir(pfd, name, mode, rel, &made, err);
	if (owned)
		close(pfd);
	if (fd < 0)
		return fd;
	ret = set_mode(o, fd, mode, !made, rel, err);
	if (ret) {
		close(fd);
		return ret;
	}
	if (owned || o->depth == OUT_DEPTH)
		return pb_out_file_done(fd, -1, mtime, err);
	o->lv[++o->depth] = (struct level){fd, len, mtime != NULL, {0, 0}};
	if (mtime)
		o->lv[o->depth].mtime = *mtime;
	memcpy(o->cur, rel, len + 1);
	return 0;
}

int pb_out_symlink(struct pb_out *o, const char *rel, const char *target,
		   const struct timespec *mtime, struct pb_err *err)
{
	size_t dlen;
	const char *name = split(rel, &dlen);
	int owned, pfd = walk(o, rel, dlen, &owned, err), ret = 0, r;
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};

	if (pfd < 0)
		return pfd;
	r = symlinkat(target, pfd, name);
	if (r < 0 && errno == EEXIST) {
		ret = replace(pfd, name, rel, err);
		if (!ret)
			r = symlinkat(target, pfd, name);
	}
	if (!ret && r < 0)
		ret = pb_err_set(err, -errno, "cannot create symlink %s: %s",
				 rel, strerror(errno));
	if (!ret && mtime) {
		ts[1] = *mtime;
		if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			ret = pb_err_set(err, -errno,
					 "cannot set the time of %s: %s", rel,
					 strerror(errno));
	}
	if (owned)
		close(pfd);
	return ret;
}

/* The directory of target, opened part by part without the stack (that
 * holds the member's own): an fd of the caller's. */
static int open_target_dir(struct pb_out *o, const char *target, size_t dlen,
			   struct pb_err *err)
{
	char name[NAME_MAX + 1];
	size_t pos = 0, end;
	int fd = dup(o->rootfd), nfd, ret;

	if (fd < 0)
		return pb_err_set(err, -errno, "%s", strerror(errno));
	while (pos < dlen) {
		end = pos + strcspn(target + pos, "/");
		if (end > dlen)
			end = dlen;
		ret = part(target, pos, end, name, err);
		nfd = ret ? ret : open_dir(fd, name, 0, target, end, err);
		close(fd);
		if (nfd < 0)
			return nfd;
		fd = nfd;
		pos = end + 1;
	}
	return fd;
}

int pb_out_hardlink(struct pb_out *o, const char *rel, const char *target,
		    int open_it, struct pb_err *err)
{
	size_t dlen, tlen;
	const char *name = split(rel, &dlen), *tname = split(target, &tlen);
	int tfd = open_target_dir(o, target, tlen, err), owned, pfd, ret = 0;
	int r;

	if (tfd < 0)
		return pb_err_prefix(err, "hard link to %s", target);
	pfd = walk(o, rel, dlen, &owned, err);
	if (pfd < 0) {
		close(tfd);
		return pfd;
	}
	/* flags 0: a symlink target is linked itself, never followed */
	r = linkat(tfd, tname, pfd, name, 0);
	if (r < 0 && errno == EEXIST) {
		ret = replace(pfd, name, rel, err);
		if (!ret)
			r = linkat(tfd, tname, pfd, name, 0);
	}
	if (!ret && r < 0)
		ret = pb_err_set(err, -errno, "cannot link %s to %s: %s", rel,
				 target, strerror(errno));
	/* the name just made: a regular file (linkat makes no other kind
	 * of name for a file), opened without following anything */
	if (!ret && open_it) {
		ret = openat(pfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (ret < 0)
			ret = pb_err_set(err, -errno, "cannot open %s: %s", rel,
					 strerror(errno));
	}
	close(tfd);
	if (owned)
		close(pfd);
	return ret;
}

int pb_out_file(struct pb_out *o, const char *rel, mode_t mode,
		struct pb_err *err)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	size_t dlen;
	const char *name = split(rel, &dlen);
	int owned, pfd = walk(o, rel, dlen, &owned, err), fd, ret;

	if (pfd < 0)
		return pfd;
	/* O_EXCL: an earlier member's file or symlink is removed first,
	 * never opened (nor followed) */
	fd = openat(pfd, name, flags, mode);
	if (fd < 0 && errno == EEXIST) {
		ret = replace(pfd, name, rel, err);
		if (ret)
			goto out;
		fd = openat(pfd, name, flags, mode);
	}
	if (fd < 0) {
		ret = pb_err_set(err, -errno, "cannot create %s: %s", rel,
				 strerror(errno));
		goto out;
	}
	ret = set_mode(o, fd, mode, 0, rel, err);
	if (ret)
		close(fd);
	else
		ret = fd;
out:
	if (owned)
		close(pfd);
	return ret;
}

int pb_out_write(int fd, const void *buf, size_t len, off_t off,
		 struct pb_err *err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pb_err_set(err, -errno, "Write failed: %s",
					  strerror(errno));
		if (n == 0)
			return pb_err_set(err, -EIO, "Write failed: %s",
					  strerror(EIO));
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int pb_out_file_done(int fd, off_t size, const struct timespec *mtime,
		     struct pb_err *err)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	int ret = 0;

	if (size >= 0 && ftruncate(fd, size) < 0)
		ret = pb_err_set(err, -errno, "Write failed: %s",
				 strerror(errno));
	if (!ret && mtime) {
		ts[1] = *mtime;
		if (futimens(fd, ts) < 0)
			ret = pb_err_set(err, -errno, "cannot set the time: %s",
					 strerror(errno));
	}
	/* a delayed write error (NFS, a quota) may show here only */
	if (close(fd) < 0 && !ret)
		ret = pb_err_set(err, -errno, "Write failed: %s",
				 strerror(errno));
	return ret;
}

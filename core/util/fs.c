#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "probe-builder/alloc.h"
#include "probe-builder/fixup.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/runctl.h"

int pb_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int pb_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int pb_mkdir_p(const char *path, struct pb_err *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path), i;

	if (len == 0 || len >= sizeof(buf))
		return pb_err_set(err, -ENAMETOOLONG, "%s: bad path", path);
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return pb_err_set(err, -errno, "cannot create %s: %s",
					  buf, strerror(errno));
		if (i < len)
			buf[i] = '/';
	}
	if (!pb_is_dir(path))
		return pb_err_set(err, -ENOTDIR, "%s: not a directory", path);
	return 0;
}

int pb_rm_rf(const char *path, struct pb_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : pb_err_set(err, -errno, "%s: %s", path,
						    strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return pb_err_set(err, -errno, "cannot remove %s: %s",
					  path, strerror(errno));
		return 0;
	}
	/* read-only dirs (some packages ship them) must open up first */
	if ((st.st_mode & 0700) != 0700)
		chmod(path, st.st_mode | 0700);
	d = opendir(path);
	if (!d)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	while (!ret && (de = readdir(d)) != NULL) {
		char child[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ret = pb_path_join(child, sizeof(child), err, path, de->d_name,
				   NULL);
		if (ret)
			break;
		ret = pb_rm_rf(child, err);
	}
	closedir(d);
	if (!ret && rmdir(path) < 0)
		ret = pb_err_set(err, -errno, "cannot remove %s: %s", path,
				 strerror(errno));
	return ret;
}

static int copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		ret = pb_write_all(out, buf, (size_t)n);
		if (ret)
			return ret;
	}
	return 0;
}

static int tmp_path_for(const char *path, char *tmp, size_t len,
			struct pb_err *err)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	char host[256];
	uint32_t rnd;

	/* hidden, in the same directory (rename(2) stays atomic), and unique
	 * across processes and machines sharing the directory: host, pid and
	 * a random part; pb_clean_leftovers() knows this shape */
	pb_hostname(host, sizeof(host));
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^
		      (uint32_t)(uintptr_t)tmp;
	return pb_path_fmt(tmp, len, err, "%.*s.%s.tmp.%s.%ld.%08x", dirlen,
			   path, slash ? slash + 1 : path, host, (long)getpid(),
			   (unsigned)rnd);
}

static int finish_atomic(int fd, const char *tmp, const char *path,
			 struct pb_err *err)
{
	if (fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return pb_err_set(err, -e, "%s: %s", tmp, strerror(e));
	}
	if (close(fd) < 0) {
		int e = errno;

		unlink(tmp);
		return pb_err_set(err, -e, "%s: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return pb_err_set(err, -e, "cannot write %s: %s", path,
				  strerror(e));
	}
	return 0;
}

int pb_write_file_atomic(const char *path, const void *data, size_t len,
			 struct pb_err *err)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd;

	if (tmp_path_for(path, tmp, sizeof(tmp), err) < 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return pb_err_set(err, -errno, "cannot write %s: %s", tmp,
				  strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;

			close(fd);
			unlink(tmp);
			return pb_err_set(err, -e, "cannot write %s: %s", tmp,
					  strerror(e));
		}
		p += w;
		len -= (size_t)w;
	}
	return finish_atomic(fd, tmp, path, err);
}

int pb_copy_file_atomic(const char *src, const char *dst, struct pb_err *err)
{
	char tmp[PATH_MAX];
	int in, fd, ret;

	if (tmp_path_for(dst, tmp, sizeof(tmp), err) < 0)
		return -ENAMETOOLONG;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return pb_err_set(err, -errno, "%s: %s", src, strerror(errno));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = pb_err_set(err, -errno, "cannot write %s: %s", tmp,
				 strerror(errno));
		close(in);
		return ret;
	}
	ret = copy_fd(in, fd);
	close(in);
	if (ret) {
		close(fd);
		unlink(tmp);
		return pb_err_set(err, ret, "copying %s to %s: %s", src, tmp,
				  strerror(-ret));
	}
	return finish_atomic(fd, tmp, dst, err);
}

int pb_read_file(const char *path, char **data, size_t *len, struct pb_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	*data = NULL;
	if (!f)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t r;

		if (n + 4096 + 1 > cap) {
			char *g;

			cap = cap ? cap * 2 : 65536;
			g = pb_reallocarray(buf, cap, 1, err);
			if (!g) {
				free(buf);
				fclose(f);
				pb_err_prefix(err, "%s", path);
				return -ENOMEM;
			}
			buf = g;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return pb_err_set(err, -EIO, "%s: read error", path);
	}
	fclose(f);
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

/* ------------------------------------------------- beneath-root I/O */

int pb_mkdir_beneath(int dirfd, const char *rel, struct pb_err *err)
{
	char buf[PATH_MAX], *p, *tok, *save = NULL;
	int cur = dirfd, fd;

	if (rel[0] == '/' || strlen(rel) >= sizeof(buf))
		return pb_err_set(err, -EINVAL, "%s: bad relative path", rel);
	strcpy(buf, rel);
	p = buf;
	for (tok = strtok_r(p, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			/* as pb_open_beneath says it */
			fd = pb_err_set(err, -EXDEV,
					"%s: refused: it leads outside the "
					"root (a symlink or '..')",
					rel);
			goto out;
		}
		if (mkdirat(cur, tok, 0755) < 0 && errno != EEXIST) {
			fd = pb_err_set(err, -errno, "cannot create %s: %s",
					rel, strerror(errno));
			goto out;
		}
		fd = openat(cur, tok,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = pb_err_set(err, -errno, "%s: %s (%s)", rel,
					strerror(errno),
					errno == ENOTDIR || errno == ELOOP
						? "a symlink or a file on the "
						  "way"
						: tok);
			goto out;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
	}
	return cur == dirfd ? fcntl(dirfd, F_DUPFD_CLOEXEC, 3) : cur;
out:
	if (cur != dirfd)
		close(cur);
	return fd;
}

static int rm_rf_fd(int dfd, struct pb_err *err);

int pb_rm_rf_at(int dirfd, const char *name, struct pb_err *err)
{
	struct stat st;
	int fd, ret;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : pb_err_set(err, -errno, "%s: %s", name,
						    strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0)
			return pb_err_set(err, -errno, "cannot remove %s: %s",
					  name, strerror(errno));
		return 0;
	}
	/* read-only dirs (some packages ship them) must open up first */
	if ((st.st_mode & 0700) != 0700 &&
	    fchmodat(dirfd, name, (st.st_mode & 07777) | 0700, 0) < 0)
		return pb_err_set(err, -errno,
				  "cannot open up %s to remove it: %s", name,
				  strerror(errno));
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", name, strerror(errno));
	ret = rm_rf_fd(fd, err); /* closes fd */
	if (ret)
		return pb_err_prefix(err, "%s", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		return pb_err_set(err, -errno, "cannot remove %s: %s", name,
				  strerror(errno));
	return 0;
}

static int rm_rf_fd(int dfd, struct pb_err *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		ret = pb_err_set(err, -errno, "%s", strerror(errno));
		close(dfd);
		return ret;
	}
	while (!ret && (de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ret = pb_rm_rf_at(dirfd(d), de->d_name, err);
	}
	closedir(d);
	return ret;
}

int pb_copy_tree_at(const char *src, int dstfd, const char *name,
		    struct pb_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd, in, ret = 0;

	if (lstat(src, &st) < 0)
		return pb_err_set(err, -errno, "%s: %s", src, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			return pb_err_set(err, -errno, "%s: %s", src,
					  strerror(errno));
		target[n] = '\0';
		if (symlinkat(target, dstfd, name) < 0)
			return pb_err_set(err, -errno, "%s: %s", name,
					  strerror(errno));
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		in = open(src, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return pb_err_set(err, -errno, "%s: %s", src,
					  strerror(errno));
		fd = openat(dstfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    st.st_mode & 0777);
		if (fd < 0) {
			ret = pb_err_set(err, -errno, "%s: %s", name,
					 strerror(errno));
			close(in);
			return ret;
		}
		ret = copy_fd(in, fd);
		if (ret)
			pb_err_set(err, ret, "copying %s to %s: %s", src, name,
				   strerror(-ret));
		close(in);
		if (close(fd) < 0 && !ret)
			ret = pb_err_set(err, -errno, "%s: %s", name,
					 strerror(errno));
		return ret;
	}
	if (!S_ISDIR(st.st_mode))
		return 0; /* sockets, fifos: nothing a build needs */
	if (mkdirat(dstfd, name, (st.st_mode & 0777) | 0700) < 0)
		return pb_err_set(err, -errno, "cannot create %s: %s", name,
				  strerror(errno));
	fd = openat(dstfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", name, strerror(errno));
	d = opendir(src);
	if (!d) {
		ret = pb_err_set(err, -errno, "%s: %s", src, strerror(errno));
		close(fd);
		return ret;
	}
	while (!ret && (de = readdir(d)) != NULL) {
		char s[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ret = pb_path_join(s, sizeof(s), err, src, de->d_name, NULL);
		if (ret)
			break;
		ret = pb_copy_tree_at(s, fd, de->d_name, err);
		if (ret)
			pb_err_prefix(err, "%s", name);
	}
	closedir(d);
	close(fd);
	return ret;
}

/* Writes len bytes of data (or, with data NULL, all of in) to name of
 * dirfd through a temporary file there. */
static int atomic_at(int dirfd, const char *name, const void *data, size_t len,
		     int in, struct pb_err *err)
{
	char tmp[NAME_MAX + 1];
	int fd, ret;

	/* the temporary name every atomic write uses (host, pid, random):
	 * O_EXCL below refuses a planted one */
	if (strchr(name, '/'))
		return pb_err_set(err, -EINVAL, "%s: bad file name", name);
	if (tmp_path_for(name, tmp, sizeof(tmp), err) < 0)
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return pb_err_set(err, -errno, "cannot write %s: %s", tmp,
				  strerror(errno));
	ret = data ? pb_write_all(fd, data, len) : copy_fd(in, fd);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && renameat(dirfd, tmp, dirfd, name) < 0)
		ret = -errno;
	if (ret) {
		unlinkat(dirfd, tmp, 0);
		return pb_err_set(err, ret, "cannot write %s: %s", name,
				  strerror(-ret));
	}
	return 0;
}

int pb_write_file_atomic_at(int dirfd, const char *name, const void *data,
			    size_t len, struct pb_err *err)
{
	return atomic_at(dirfd, name, data ? data : "", len, -1, err);
}

int pb_copy_fd_atomic(int in, const char *dst, struct pb_err *err)
{
	const char *slash = strrchr(dst, '/');
	char dir[PATH_MAX];
	int dfd, ret;

	if (!slash || (size_t)(slash - dst) >= sizeof(dir))
		return pb_err_set(err, -EINVAL, "%s: bad path", dst);
	memcpy(dir, dst, (size_t)(slash - dst));
	dir[slash - dst] = '\0';
	dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pb_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	ret = atomic_at(dfd, slash + 1, NULL, 0, in, err);
	if (ret)
		pb_err_prefix(err, "%s", dir);
	close(dfd);
	return ret;
}

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

#include "fsutil.h"
#include "runctl.h"

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
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path,
				     de->d_name) >= sizeof(child)) {
			ret = pb_err_set(err, -ENAMETOOLONG,
					 "%s/%s: path too long", path,
					 de->d_name);
			break;
		}
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

	while ((n = read(in, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (n > 0) {
			ssize_t w = write(out, p, (size_t)n);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			p += w;
			n -= w;
		}
	}
	return n < 0 ? -errno : 0;
}

static int copy_regular(const char *src, const char *dst, mode_t mode,
			struct pb_err *err)
{
	int in, out, ret;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return pb_err_set(err, -errno, "%s: %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (out < 0) {
		ret = pb_err_set(err, -errno, "%s: %s", dst, strerror(errno));
		close(in);
		return ret;
	}
	ret = copy_fd(in, out);
	if (ret)
		pb_err_set(err, ret, "copying %s to %s: %s", src, dst,
			   strerror(-ret));
	close(in);
	if (close(out) < 0 && !ret)
		ret = pb_err_set(err, -errno, "%s: %s", dst, strerror(errno));
	return ret;
}

int pb_copy_tree(const char *src, const char *dst, struct pb_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (lstat(src, &st) < 0)
		return pb_err_set(err, -errno, "%s: %s", src, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			return pb_err_set(err, -errno, "%s: %s", src,
					  strerror(errno));
		target[n] = '\0';
		if (symlink(target, dst) < 0)
			return pb_err_set(err, -errno, "%s: %s", dst,
					  strerror(errno));
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return copy_regular(src, dst, st.st_mode, err);
	if (!S_ISDIR(st.st_mode))
		return 0; /* sockets, fifos: nothing a build needs */
	if (mkdir(dst, (st.st_mode & 0777) | 0700) < 0)
		return pb_err_set(err, -errno, "cannot create %s: %s", dst,
				  strerror(errno));
	d = opendir(src);
	if (!d)
		return pb_err_set(err, -errno, "%s: %s", src, strerror(errno));
	while (!ret && (de = readdir(d)) != NULL) {
		char s[PATH_MAX], t[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, de->d_name) >=
			    sizeof(s) ||
		    (size_t)snprintf(t, sizeof(t), "%s/%s", dst, de->d_name) >=
			    sizeof(t)) {
			ret = pb_err_set(err, -ENAMETOOLONG,
					 "%s/%s: path too long", src,
					 de->d_name);
			break;
		}
		ret = pb_copy_tree(s, t, err);
	}
	closedir(d);
	return ret;
}

static int tmp_path_for(const char *path, char *tmp, size_t len)
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
	if ((size_t)snprintf(tmp, len, "%.*s.%s.tmp.%s.%ld.%08x", dirlen, path,
			     slash ? slash + 1 : path, host, (long)getpid(),
			     (unsigned)rnd) >= len)
		return -ENAMETOOLONG;
	return 0;
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

	if (tmp_path_for(path, tmp, sizeof(tmp)) < 0)
		return pb_err_set(err, -ENAMETOOLONG, "%s: path too long",
				  path);
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

	if (tmp_path_for(dst, tmp, sizeof(tmp)) < 0)
		return pb_err_set(err, -ENAMETOOLONG, "%s: path too long", dst);
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
			g = realloc(buf, cap);
			if (!g) {
				free(buf);
				fclose(f);
				return pb_err_set(err, -ENOMEM,
						  "out of memory reading %s",
						  path);
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

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe-builder/fixup.h"

/* Resolves target, a link found in reldir (a path relative to root, ""
 * for root itself), lexically, the way a host with root as "/" would: ".."
 * stops at the top. Writes the result relative to root into out and
 * returns whether a ".." had to stop there (the link leaves the root). */
static int resolve_in_root(const char *reldir, const char *target, char *out,
			   size_t len, int *escapes)
{
	char buf[PATH_MAX * 2];
	char *parts[PATH_MAX / 2];
	size_t np = 0, o = 0, i;
	char *tok, *save = NULL;

	*escapes = 0;
	if (target[0] == '/')
		snprintf(buf, sizeof(buf), "%s", target);
	else
		snprintf(buf, sizeof(buf), "%s/%s", reldir, target);
	for (tok = strtok_r(buf, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (np > 0)
				np--;
			else
				*escapes = 1;
			continue;
		}
		if (np >= sizeof(parts) / sizeof(parts[0]))
			return -ENAMETOOLONG;
		parts[np++] = tok;
	}
	out[0] = '\0';
	for (i = 0; i < np; i++) {
		int n = snprintf(out + o, len - o, "%s%s", i ? "/" : "",
				 parts[i]);

		if (n < 0 || (size_t)n >= len - o)
			return -ENAMETOOLONG;
		o += (size_t)n;
	}
	return 0;
}

/* Walks dir (reldir below root, depth components deep) and re-points the
 * symlinks that would leave the root: absolute ones, and relative ones
 * climbing above it. */
static int fix_links_in(const char *root, const char *dir, const char *reldir,
			unsigned depth, size_t *n_fixed, struct pb_err *err)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	d = opendir(dir);
	if (!d)
		return pb_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX], rel[PATH_MAX], target[PATH_MAX];
		char inroot[PATH_MAX], fixed[PATH_MAX];
		struct stat st;
		size_t off = 0;
		ssize_t n;
		unsigned k;
		int escapes;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path) ||
		    (size_t)snprintf(rel, sizeof(rel), "%s%s%s", reldir,
				     *reldir ? "/" : "",
				     de->d_name) >= sizeof(rel)) {
			ret = pb_err_set(err, -ENAMETOOLONG,
					 "%s/%s: path too long", dir,
					 de->d_name);
			break;
		}
		if (lstat(path, &st) < 0) {
			ret = pb_err_set(err, -errno, "%s: %s", path,
					 strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			ret = fix_links_in(root, path, rel, depth + 1, n_fixed,
					   err);
			if (ret)
				break;
			continue;
		}
		if (!S_ISLNK(st.st_mode))
			continue;
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0) {
			ret = pb_err_set(err, -errno, "%s: %s", path,
					 strerror(errno));
			break;
		}
		target[n] = '\0';
		if (resolve_in_root(reldir, target, inroot, sizeof(inroot),
				    &escapes) < 0) {
			ret = pb_err_set(err, -ENAMETOOLONG,
					 "%s: link target too long", path);
			break;
		}
		if (target[0] != '/' && !escapes)
			continue;
		/* climb to root, then down to where the host would land */
		for (k = 0; k < depth && off + 3 < sizeof(fixed); k++) {
			memcpy(fixed + off, "../", 3);
			off += 3;
		}
		if (off + strlen(inroot) + 2 > sizeof(fixed)) {
			ret = pb_err_set(err, -ENAMETOOLONG,
					 "%s: link target too long", path);
			break;
		}
		strcpy(fixed + off, inroot);
		if (inroot[0] == '\0')
			strcpy(fixed + (off ? off - 1 : 0), off ? "" : ".");
		if (unlink(path) < 0 || symlink(fixed, path) < 0) {
			ret = pb_err_set(err, -errno,
					 "%s: cannot re-point to %s: %s", path,
					 fixed, strerror(errno));
			break;
		}
		(*n_fixed)++;
	}
	closedir(d);
	return ret;
}

int pb_fixup_absolute_symlinks(const char *root, struct pb_err *err)
{
	size_t n_fixed = 0;

	return fix_links_in(root, root, "", 0, &n_fixed, err);
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

int pb_fixup_rewrite_prefix(const char *root, const char *relpath,
			    const char *prefix, size_t *n_changed,
			    struct pb_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	struct timespec times[2];
	char *buf = NULL, *out = NULL;
	size_t len = 0, cap, o = 0, count = 0, plen = strlen(prefix);
	size_t rlen = strlen(root);
	struct stat st;
	FILE *f = NULL;
	const char *p;
	int fd = -1, ret = 0;

	if (n_changed)
		*n_changed = 0;
	snprintf(path, sizeof(path), "%s/%s", root, relpath);
	f = fopen(path, "rb");
	if (!f)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0) {
		ret = pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	len = fread(buf, 1, (size_t)st.st_size, f);
	buf[len] = '\0';
	for (p = next_ref(buf, buf, root, rlen, prefix, plen); p;
	     p = next_ref(buf, p + plen, root, rlen, prefix, plen))
		count++;
	if (count == 0)
		goto out;
	cap = len + count * rlen + 1;
	out = malloc(cap);
	if (!out) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (p = buf; *p;) {
		const char *hit = next_ref(buf, p, root, rlen, prefix, plen);

		if (!hit) {
			size_t rest = len - (size_t)(p - buf);

			memcpy(out + o, p, rest);
			o += rest;
			break;
		}
		memcpy(out + o, p, (size_t)(hit - p));
		o += (size_t)(hit - p);
		memcpy(out + o, root, rlen);
		o += rlen;
		memcpy(out + o, prefix, plen);
		o += plen;
		p = hit + plen;
	}
	snprintf(tmp, sizeof(tmp), "%s.pb-tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  st.st_mode & 07777);
	if (fd < 0) {
		ret = pb_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, out, o) != (ssize_t)o) {
		ret = pb_err_set(err, -EIO, "%s: short write", tmp);
		goto out;
	}
	/* keep the time stamp: kbuild compares them */
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	futimens(fd, times);
	if (close(fd) < 0) {
		fd = -1;
		ret = pb_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (n_changed)
		*n_changed = count;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (f)
		fclose(f);
	free(buf);
	free(out);
	return ret;
}

int pb_root_exists(const char *root, const char *relpath)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, relpath) >=
	    sizeof(path))
		return 0;
	return stat(path, &st) == 0;
}

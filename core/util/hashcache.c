#include "config.h"

/* The hash cache (hashcache.h). One small file per entry,
 * meta/hashes/<SHA-256 of "algo\npath">, rather than one file loaded once:
 * the builds run in forked workers (pipeline/schedule.c), each hashing its
 * own kernel's inputs, and an entry written alone with rename(2) needs
 * neither a lock nor a merge of what the workers found; a lookup is one
 * read of ~200 bytes. An entry is
 *   pb-hashcache 1 <algo> <dev> <ino> <size> <mtime s.ns> <ctime s.ns> <hex>
 *   <path>
 * and anything else (a torn or foreign file) is no entry: the file is
 * hashed again and the entry rewritten. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/hashcache.h"
#include "util/path.h"

#define ENTRY_MAX (PATH_MAX + 512)

/* What stat(2) says of a file, as an entry keeps it. */
struct fstamp {
	uintmax_t dev, ino;
	intmax_t size, mtime_s, ctime_s;
	long mtime_ns, ctime_ns;
};

static void stamp_of(const struct stat *st, struct fstamp *s)
{
	s->dev = (uintmax_t)st->st_dev;
	s->ino = (uintmax_t)st->st_ino;
	s->size = (intmax_t)st->st_size;
	s->mtime_s = (intmax_t)st->st_mtim.tv_sec;
	s->mtime_ns = st->st_mtim.tv_nsec;
	s->ctime_s = (intmax_t)st->st_ctim.tv_sec;
	s->ctime_ns = st->st_ctim.tv_nsec;
}

static int same_stamp(const struct fstamp *a, const struct fstamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	       a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns;
}

/* Whether a write later within the tick of the file's times could leave
 * them as they are (hashcache.h, PB_HASHCACHE_RACY_S). */
static int racy(const struct fstamp *s)
{
	struct timespec now;
	intmax_t limit;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 1;
	limit = (intmax_t)now.tv_sec - PB_HASHCACHE_RACY_S;
	return s->mtime_s >= limit || s->ctime_s >= limit;
}

int pb_hashcache_init(struct pb_hashcache *hc, const char *workspace,
		      struct pb_err *err)
{
	memset(hc, 0, sizeof(*hc));
	return pb_path_join(hc->dir, sizeof(hc->dir), err, workspace, "meta",
			    "hashes", NULL);
}

/* The entry of (real, algo): its path in epath. */
static int entry_path(const struct pb_hashcache *hc, const char *real,
		      const char *algo, char *epath, size_t len,
		      struct pb_err *err)
{
	char key[ENTRY_MAX], name[PB_HEX_MAX];
	int ret;

	ret = pb_path_fmt(key, sizeof(key), err, "%s\n%s", algo, real);
	if (!ret)
		ret = pb_hash_mem(key, strlen(key), "sha256", name, err);
	if (!ret)
		ret = pb_path_join(epath, len, err, hc->dir, name, NULL);
	return ret;
}

/* The digest the entry at epath gives for (real, algo) with stamp s, in
 * hex; -1 when it has none (missing, torn, another file's, stale). */
static int read_entry(const char *epath, const char *real, const char *algo,
		      const struct fstamp *s, char *hex)
{
	char buf[ENTRY_MAX + 1], ealgo[32], ehex[PB_HEX_MAX];
	struct fstamp e;
	size_t len = 0;
	ssize_t n;
	int fd, end = 0;

	fd = open(epath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if (len == sizeof(buf) - 1 || strlen(buf) != len)
		return -1;
	if (sscanf(buf,
		   "pb-hashcache 1 %31s %ju %ju %jd %jd.%9ld %jd.%9ld %128s%n",
		   ealgo, &e.dev, &e.ino, &e.size, &e.mtime_s, &e.mtime_ns,
		   &e.ctime_s, &e.ctime_ns, ehex, &end) != 9 ||
	    buf[end] != '\n')
		return -1;
	/* the path, whole, and nothing after it */
	if (strncmp(buf + end + 1, real, strlen(real)) != 0 ||
	    strcmp(buf + end + 1 + strlen(real), "\n") != 0)
		return -1;
	if (strcmp(ealgo, algo) != 0 || !same_stamp(&e, s) ||
	    strlen(ehex) != pb_hash_hex_len(algo) ||
	    strspn(ehex, "0123456789abcdef") != strlen(ehex))
		return -1;
	memcpy(hex, ehex, strlen(ehex) + 1);
	return 0;
}

static int write_entry(struct pb_hashcache *hc, const char *epath,
		       const char *real, const char *algo,
		       const struct fstamp *s, const char *hex,
		       struct pb_err *err)
{
	char buf[ENTRY_MAX];
	int n, ret;

	n = snprintf(buf, sizeof(buf),
		     "pb-hashcache 1 %s %ju %ju %jd %jd.%09ld %jd.%09ld %s\n"
		     "%s\n",
		     algo, s->dev, s->ino, s->size, s->mtime_s, s->mtime_ns,
		     s->ctime_s, s->ctime_ns, hex, real);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return pb_err_set(err, -ENAMETOOLONG, "%s: too long", real);
	ret = pb_write_file_atomic(epath, buf, (size_t)n, err);
	if (ret == -ENOENT) {
		/* the first entry of the workspace */
		pb_err_clear(err);
		ret = pb_mkdir_p(hc->dir, err);
		if (!ret)
			ret = pb_write_file_atomic(epath, buf, (size_t)n, err);
	}
	return ret;
}

/* A failed write costs the next run a hash, not this one its result. */
static void write_failed(struct pb_hashcache *hc, const struct pb_err *e)
{
	if (!hc->warned)
		pb_warn("hash cache: %s (files are hashed again next run)",
			e->msg);
	hc->warned = 1;
}

/* The file hashed through its fd, remembered unless it changed while it
 * was read or is racy. */
static int hash_and_remember(struct pb_hashcache *hc, const char *path,
			     const char *real, const char *epath,
			     const char *algo, char *hex, struct pb_err *err)
{
	struct stat st1, st2;
	struct fstamp a, b;
	struct pb_err e = {0};
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st1) < 0) {
		ret = pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = pb_hash_fd(fd, path, algo, hex, err);
	if (ret)
		goto out;
	hc->hashed++;
	if (!epath || fstat(fd, &st2) < 0 || !S_ISREG(st2.st_mode))
		goto out;
	stamp_of(&st1, &a);
	stamp_of(&st2, &b);
	if (same_stamp(&a, &b) && !racy(&b) &&
	    write_entry(hc, epath, real, algo, &b, hex, &e) < 0)
		write_failed(hc, &e);
out:
	close(fd);
	return ret;
}

int pb_hash_file_cached(struct pb_hashcache *hc, const char *path,
			const char *algo, char *hex, struct pb_err *err)
{
	char real[PATH_MAX], epath[PATH_MAX];
	struct stat st;
	struct fstamp s;

	if (!hc)
		return pb_hash_file(path, algo, hex, err);
	if (!pb_hash_hex_len(algo))
		return pb_err_set(err, -EINVAL, "unknown digest %s", algo);
	/* no entry for what has no real path, or is not a regular file: it
	 * is only hashed */
	if (!realpath(path, real) || stat(real, &st) < 0 ||
	    !S_ISREG(st.st_mode) ||
	    entry_path(hc, real, algo, epath, sizeof(epath), NULL) < 0)
		return hash_and_remember(hc, path, NULL, NULL, algo, hex, err);
	stamp_of(&st, &s);
	if (read_entry(epath, real, algo, &s, hex) == 0) {
		hc->hits++;
		return 0;
	}
	return hash_and_remember(hc, real, real, epath, algo, hex, err);
}

int pb_hashcache_put(struct pb_hashcache *hc, const char *path,
		     const char *algo, const char *hex, struct pb_err *err)
{
	char real[PATH_MAX], epath[PATH_MAX], low[PB_HEX_MAX];
	struct stat st;
	struct fstamp s;
	size_t i, n = strlen(hex);
	int ret;

	if (!hc)
		return 0;
	if (n != pb_hash_hex_len(algo) || n >= sizeof(low) ||
	    strspn(hex, "0123456789abcdefABCDEF") != n)
		return pb_err_set(err, -EINVAL, "%s: not a %s digest: %s", path,
				  algo, hex);
	for (i = 0; i <= n; i++)
		low[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F'
					? hex[i] - 'A' + 'a'
					: hex[i]);
	if (!realpath(path, real) || stat(real, &st) < 0)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return pb_err_set(err, -EINVAL, "%s: not a regular file", path);
	stamp_of(&st, &s);
	ret = entry_path(hc, real, algo, epath, sizeof(epath), err);
	if (!ret)
		ret = write_entry(hc, epath, real, algo, &s, low, err);
	return ret;
}

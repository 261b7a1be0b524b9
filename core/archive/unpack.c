#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive/filters.h"
#include "archive/unpack.h"
#include "probe-builder/pkgname.h"
#include "util/path.h"

int pb_member_path(const char *name, char *out, size_t len, struct pb_err *err)
{
	const char *p = name;
	size_t o = 0;

	if (name[0] == '/')
		return pb_err_set(err, -EPERM,
				  "refused member '%s': absolute path", name);
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return pb_err_set(err, -EPERM,
					  "refused member '%s': path with '..'",
					  name);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o + n + 2 > len)
				return pb_err_set(err, -ENAMETOOLONG,
						  "member '%s': path too long",
						  name);
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	out[o] = '\0';
	return 0;
}

static int is_config_member(const char *rel)
{
	return fnmatch("boot/config-*", rel, FNM_PATHNAME) == 0 ||
	       fnmatch("lib/modules/*/config", rel, FNM_PATHNAME) == 0;
}

/* A release's config path that does not fit is no member's (a member's
 * path always fits): never compared cut. */
static int is_release_config(const char *rel, const char *release)
{
	char a[PATH_MAX], b[PATH_MAX];

	return (!pb_path_fmt(a, sizeof(a), NULL, "boot/config-%s", release) &&
		strcmp(rel, a) == 0) ||
	       (!pb_path_fmt(b, sizeof(b), NULL, "lib/modules/%s/config",
			     release) &&
		strcmp(rel, b) == 0);
}

struct unpack_ctx {
	const char *pkg;
	enum pb_pkg_role role;
	const char *release;
	struct pb_unpack_limit *limit;
	struct archive *disk;
	int done; /* the config wanted is out: stop reading */
	/* pb_unpack_members: the regular files to take (NULL: the role's) */
	int (*keep)(const char *rel, void *data);
	void *keep_data;
};

/* libarchive's message with the errno text it may leave out ("Write
 * failed" alone on a full disk), never "(null)". */
static const char *ar_err(struct archive *a)
{
	static __thread char buf[PB_ERR_MSG_MAX / 2];
	const char *s = archive_error_string(a);
	int e = archive_errno(a);

	if (e > 0 && s && !strstr(s, strerror(e)))
		snprintf(buf, sizeof(buf), "%s: %s", s, strerror(e));
	else if (s)
		snprintf(buf, sizeof(buf), "%s", s);
	else if (e > 0)
		snprintf(buf, sizeof(buf), "%s", strerror(e));
	else
		snprintf(buf, sizeof(buf), "libarchive gave no reason");
	return buf;
}

static int ar_code(struct archive *a, int dflt)
{
	int e = archive_errno(a);

	return e > 0 ? -e : dflt;
}

static void human(unsigned long long n, char *buf, size_t len)
{
	if (n >= (1ULL << 30) && n % (1ULL << 30) == 0)
		snprintf(buf, len, "%lluG", n >> 30);
	else if (n >= (1ULL << 20) && n % (1ULL << 20) == 0)
		snprintf(buf, len, "%lluM", n >> 20);
	else
		snprintf(buf, len, "%llu bytes", n);
}

/* Counts n more bytes against the release's limit (only checks that
 * they would fit, unless commit). */
static int charge(struct unpack_ctx *c, const char *member,
		  unsigned long long n, int commit, struct pb_err *err)
{
	char max[32];

	if (!c->limit || !c->limit->max)
		return 0;
	if (n <= c->limit->max && c->limit->used <= c->limit->max - n) {
		if (commit)
			c->limit->used += n;
		return 0;
	}
	human(c->limit->max, max, sizeof(max));
	return pb_err_set(err, -EFBIG,
			  "%s: member '%s': the release's packages unpack to "
			  "more than %s (--max-unpacked-size): a "
			  "decompression bomb?",
			  c->pkg, member, max);
}

static int copy_data(struct archive *in, struct archive *out,
		     struct unpack_ctx *c, const char *member,
		     struct pb_err *err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	for (;;) {
		r = archive_read_data_block(in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return pb_err_set(err, ar_code(in, -EIO),
					  "%s: member %s: %s", c->pkg, member,
					  ar_err(in));
		r = charge(c, member, size, 1, err);
		if (r)
			return r;
		/* a failed write(2) (a full disk) is only ARCHIVE_WARN */
		if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
			return pb_err_set(err, ar_code(out, -EIO),
					  "%s: member %s: %s", c->pkg, member,
					  ar_err(out));
	}
}

static int extract_all(struct archive *in, struct unpack_ctx *c,
		       struct pb_err *err)
{
	struct archive_entry *e;
	int r;

	while (!c->done &&
	       (r = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
		char rel[PATH_MAX], hl[PATH_MAX], shown[PATH_MAX];
		const char *name, *link;
		mode_t type;
		int ret;

		if (r < ARCHIVE_WARN)
			return pb_err_set(err, ar_code(in, -EIO), "%s: %s",
					  c->pkg, ar_err(in));
		name = archive_entry_pathname(e);
		if (!name)
			return pb_err_set(err, -EINVAL,
					  "%s: a member without a name",
					  c->pkg);
		/* the entry's own copy goes away with set_pathname; a cut
		 * copy would extract the member under another name */
		ret = pb_path_fmt(shown, sizeof(shown), err, "%s", name);
		if (!ret)
			ret = pb_member_path(shown, rel, sizeof(rel), err);
		if (ret)
			return pb_err_prefix(err, "%s", c->pkg);
		link = archive_entry_hardlink(e);
		if (link) {
			ret = pb_member_path(link, hl, sizeof(hl), err);
			if (ret)
				return pb_err_prefix(err, "%s: hard link %s",
						     c->pkg, shown);
		}
		type = archive_entry_filetype(e);
		if (!rel[0])
			continue; /* "./" itself */
		if (c->keep) {
			if (link || type != AE_IFREG ||
			    !c->keep(rel, c->keep_data))
				continue;
		} else if (c->role == PB_PKG_CONFIG) {
			if (link || type != AE_IFREG || !is_config_member(rel))
				continue;
		} else if (!link && type != AE_IFREG && type != AE_IFDIR &&
			   type != AE_IFLNK) {
			/* devices, fifos: nothing a build reads */
			continue;
		}
		/* relative to the working directory, the root: libarchive's
		 * symlink checks walk only the member's own path */
		if (link)
			archive_entry_set_hardlink(e, hl);
		archive_entry_set_pathname(e, rel);
		/* no set-id bits from a package, and no owners */
		archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
		if (type == AE_IFREG && !link && archive_entry_size_is_set(e) &&
		    archive_entry_size(e) > 0) {
			/* refused before a byte of it is written */
			ret = charge(c, shown,
				     (unsigned long long)archive_entry_size(e),
				     0, err);
			if (ret)
				return ret;
		}
		r = archive_write_header(c->disk, e);
		if (r < ARCHIVE_WARN)
			return pb_err_set(err, ar_code(c->disk, -EPERM),
					  "%s: refused member '%s': %s", c->pkg,
					  shown, ar_err(c->disk));
		if (r != ARCHIVE_OK)
			return pb_err_set(err, ar_code(c->disk, -EIO),
					  "%s: member '%s': %s", c->pkg, shown,
					  ar_err(c->disk));
		if (type == AE_IFREG && !link) {
			ret = copy_data(in, c->disk, c, shown, err);
			if (ret)
				return ret;
		}
		if (archive_write_finish_entry(c->disk) != ARCHIVE_OK)
			return pb_err_set(err, ar_code(c->disk, -EIO),
					  "%s: member '%s': %s", c->pkg, shown,
					  ar_err(c->disk));
		if (c->role == PB_PKG_CONFIG && c->release &&
		    is_release_config(rel, c->release))
			c->done = 1;
	}
	return 0;
}

/* The inner data.tar of a .deb, read straight from the outer ar member. */
static la_ssize_t deb_member_read(struct archive *a, void *data,
				  const void **buf)
{
	static __thread char block[65536];
	struct archive *outer = data;
	la_ssize_t n;

	(void)a;
	n = archive_read_data(outer, block, sizeof(block));
	*buf = block;
	return n;
}

static int unpack_deb(struct archive *outer, struct unpack_ctx *c,
		      struct pb_err *err)
{
	struct archive_entry *e;
	int r, found = 0, ret = 0;

	while ((r = archive_read_next_header(outer, &e)) != ARCHIVE_EOF) {
		struct archive *inner;
		const char *name;

		if (r < ARCHIVE_WARN)
			return pb_err_set(err, ar_code(outer, -EIO), "%s: %s",
					  c->pkg, ar_err(outer));
		name = archive_entry_pathname(e);
		if (!name || strncmp(name, "data.tar", 8) != 0)
			continue;
		found = 1;
		inner = archive_read_new();
		if (!inner)
			return pb_err_set(err, -ENOMEM, "out of memory");
		pb_archive_filters(inner, 0);
		archive_read_support_format_tar(inner);
		if (archive_read_open(inner, outer, NULL, deb_member_read,
				      NULL) != ARCHIVE_OK) {
			ret = pb_err_set(err, ar_code(inner, -EIO),
					 "%s: %s: %s", c->pkg, name,
					 ar_err(inner));
		} else {
			ret = extract_all(inner, c, err);
		}
		archive_read_free(inner);
		break;
	}
	if (!ret && !found)
		ret = pb_err_set(err, -EINVAL,
				 "%s: no data.tar member: not a Debian package",
				 c->pkg);
	return ret;
}

static int unpack_ctx_at(struct unpack_ctx c, int rootfd, struct pb_err *err);

int pb_unpack_at(const char *pkg, int rootfd, enum pb_pkg_role role,
		 const char *release, struct pb_unpack_limit *limit,
		 struct pb_err *err)
{
	struct unpack_ctx c = {pkg, role, release, limit, NULL, 0, NULL, NULL};

	return unpack_ctx_at(c, rootfd, err);
}

int pb_unpack_members_at(const char *pkg, int rootfd,
			 int (*keep)(const char *rel, void *data), void *data,
			 struct pb_unpack_limit *limit, struct pb_err *err)
{
	struct unpack_ctx c = {pkg,  PB_PKG_TREE, NULL, limit,
			       NULL, 0,		  keep, data};

	return unpack_ctx_at(c, rootfd, err);
}

static int unpack_ctx_at(struct unpack_ctx c, int rootfd, struct pb_err *err)
{
	const char *pkg = c.pkg;
	const char *base = pb_basename(pkg);
	size_t bl = strlen(base);
	struct archive *in = NULL;
	int is_deb, ret = 0, cwd;

	is_deb = bl > 4 && strcmp(base + bl - 4, ".deb") == 0;
	if (!is_deb && !(bl > 4 && strcmp(base + bl - 4, ".rpm") == 0))
		return pb_err_set(err, -EINVAL,
				  "%s: not a .deb or .rpm package", pkg);
	in = archive_read_new();
	c.disk = archive_write_disk_new();
	if (!in || !c.disk) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* members are named relative to the root, the working directory:
	 * the secure-symlinks check of libarchive looks at every part of
	 * the path it is given, no more. No ARCHIVE_EXTRACT_UNLINK: it would
	 * quietly remove a symlink that a member goes through, where a
	 * hostile package must fail. */
	archive_write_disk_set_options(
		c.disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
				ARCHIVE_EXTRACT_SECURE_SYMLINKS |
				ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	pb_archive_filters(in, !is_deb);
	if (is_deb)
		archive_read_support_format_ar(in);
	else
		archive_read_support_format_cpio(in);
	if (archive_read_open_filename(in, pkg, 65536) != ARCHIVE_OK) {
		ret = pb_err_set(err, ar_code(in, -EIO), "%s: %s", pkg,
				 ar_err(in));
		goto out;
	}
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0) {
		ret = pb_err_set(err, -errno, "the working directory: %s",
				 strerror(errno));
		goto out;
	}
	if (fchdir(rootfd) < 0) {
		ret = pb_err_set(err, -errno, "%s: cannot enter the root: %s",
				 pkg, strerror(errno));
		close(cwd);
		goto out;
	}
	ret = is_deb ? unpack_deb(in, &c, err) : extract_all(in, &c, err);
	if (!ret && archive_write_close(c.disk) != ARCHIVE_OK)
		ret = pb_err_set(err, ar_code(c.disk, -EIO), "%s: %s", pkg,
				 ar_err(c.disk));
	if (fchdir(cwd) < 0 && !ret)
		ret = pb_err_set(err, -errno,
				 "cannot return to the working directory: %s",
				 strerror(errno));
	close(cwd);
out:
	if (in)
		archive_read_free(in);
	if (c.disk)
		archive_write_free(c.disk);
	return ret;
}

int pb_unpack(const char *pkg, const char *root, enum pb_pkg_role role,
	      const char *release, struct pb_err *err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", root, strerror(errno));
	ret = pb_unpack_at(pkg, fd, role, release, NULL, err);
	close(fd);
	return ret;
}

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

#include "archive/decomp.h"
#include "archive/unpack.h"
#include "archive/write_at.h"
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
	int done; /* the config wanted is out: stop reading */
	/* pb_unpack_members: the regular files to take (NULL: the role's) */
	int (*keep)(const char *rel, void *data);
	void *keep_data;
	struct pb_out *out;
	struct pb_decomp *payload; /* the tar or cpio stream, decompressed */
	struct pb_err read_err;	   /* why reading it failed */
};

/* libarchive's message with the errno text it may leave out, never
 * "(null)". */
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

/* A failure of the archive reader: the decompressor's own error when it
 * was the cause (its message names the package). */
static int read_fail(struct archive *in, struct unpack_ctx *c,
		     const char *member, struct pb_err *err)
{
	int e = archive_errno(in);

	if (c->read_err.code)
		return pb_err_set(err, c->read_err.code, "%s", c->read_err.msg);
	if (member)
		return pb_err_set(err, e > 0 ? -e : -EIO, "%s: member %s: %s",
				  c->pkg, member, ar_err(in));
	return pb_err_set(err, e > 0 ? -e : -EIO, "%s: %s", c->pkg, ar_err(in));
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

/* The member's data into fd (closed here), its time set after. */
static int copy_data(struct archive *in, struct archive_entry *e, int fd,
		     struct unpack_ctx *c, const char *member,
		     struct pb_err *err)
{
	struct timespec mt = {archive_entry_mtime(e),
			      archive_entry_mtime_nsec(e)};
	const void *buf;
	size_t size;
	la_int64_t off, end = 0;
	int r, ret = 0;

	for (;;) {
		r = archive_read_data_block(in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			ret = read_fail(in, c, member, err);
			break;
		}
		ret = charge(c, member, size, 1, err);
		if (ret)
			break;
		ret = pb_out_write(fd, buf, size, (off_t)off, err);
		if (ret) {
			pb_err_prefix(err, "%s: member %s", c->pkg, member);
			break;
		}
		end = off + (la_int64_t)size;
	}
	if (ret) {
		close(fd);
		return ret;
	}
	/* a sparse file's hole at its end */
	ret = pb_out_file_done(fd,
			       archive_entry_size_is_set(e) &&
					       archive_entry_size(e) > end
				       ? (off_t)archive_entry_size(e)
				       : -1,
			       archive_entry_mtime_is_set(e) ? &mt : NULL, err);
	return ret ? pb_err_prefix(err, "%s: member %s", c->pkg, member) : 0;
}

/* Which members the role takes; 0: skipped. */
static int wanted(struct unpack_ctx *c, const char *rel, const char *link,
		  mode_t type)
{
	if (!rel[0])
		return 0; /* "./" itself */
	if (c->keep)
		return !link && type == AE_IFREG && c->keep(rel, c->keep_data);
	if (c->role == PB_PKG_CONFIG)
		return !link && type == AE_IFREG && is_config_member(rel);
	/* devices, fifos: nothing a build reads */
	return link || type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK;
}

/* One member, written beneath the root. */
static int write_member(struct archive *in, struct archive_entry *e,
			struct unpack_ctx *c, const char *rel, const char *hl,
			const char *shown, struct pb_err *err)
{
	struct timespec mt = {archive_entry_mtime(e),
			      archive_entry_mtime_nsec(e)};
	const struct timespec *mtime =
		archive_entry_mtime_is_set(e) ? &mt : NULL;
	/* no set-id bits from a package, and no owners */
	mode_t perm = archive_entry_perm(e) & 0777, type;
	const char *target;
	int ret;

	type = archive_entry_filetype(e);
	if (type == AE_IFDIR && !hl) {
		ret = pb_out_dir(c->out, rel, perm, mtime, err);
	} else if (type == AE_IFLNK && !hl) {
		target = archive_entry_symlink(e);
		ret = target ? pb_out_symlink(c->out, rel, target, mtime, err)
			     : pb_err_set(err, -EINVAL,
					  "a symlink without a target");
	} else {
		/* a hard link may bring the file's data (cpio) */
		int has_data = archive_entry_size_is_set(e) &&
			       archive_entry_size(e) > 0;

		if (has_data) {
			/* refused before a byte of it is written */
			ret = charge(c, shown,
				     (unsigned long long)archive_entry_size(e),
				     0, err);
			if (ret)
				return ret;
		}
		/* a file's fd; a hard link's when it has data, else 0 */
		ret = hl ? pb_out_hardlink(c->out, rel, hl, has_data, err)
			 : pb_out_file(c->out, rel, perm, err);
		if (ret >= 0 && (!hl || has_data))
			return copy_data(in, e, ret, c, shown, err);
	}
	if (ret == -EPERM)
		return pb_err_prefix(err, "%s: refused member '%s'", c->pkg,
				     shown);
	return ret ? pb_err_prefix(err, "%s: member '%s'", c->pkg, shown) : 0;
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
		int ret;

		if (r < ARCHIVE_WARN)
			return read_fail(in, c, NULL, err);
		name = archive_entry_pathname(e);
		if (!name)
			return pb_err_set(err, -EINVAL,
					  "%s: a member without a name",
					  c->pkg);
		/* a cut copy would be another member's name */
		ret = pb_path_fmt(shown, sizeof(shown), err, "%s", name);
		if (!ret)
			ret = pb_member_path(shown, rel, sizeof(rel), err);
		if (ret)
			return pb_err_prefix(err, "%s", c->pkg);
		link = archive_entry_hardlink(e);
		if (link) {
			ret = pb_member_path(link, hl, sizeof(hl), err);
			if (!ret && !hl[0])
				ret = pb_err_set(err, -EPERM,
						 "refused member '%s': a hard "
						 "link to the root",
						 link);
			if (ret)
				return pb_err_prefix(err, "%s: hard link %s",
						     c->pkg, shown);
		}
		if (!wanted(c, rel, link, archive_entry_filetype(e)))
			continue;
		ret = write_member(in, e, c, rel, link ? hl : NULL, shown, err);
		if (ret)
			return ret;
		if (c->role == PB_PKG_CONFIG && c->release &&
		    is_release_config(rel, c->release))
			c->done = 1;
	}
	return 0;
}

/* libarchive reads the decompressed stream from the ring, without a
 * copy. */
static la_ssize_t payload_read(struct archive *a, void *data, const void **buf)
{
	struct unpack_ctx *c = data;
	long n = pb_decomp_read_block(c->payload, buf, &c->read_err);

	if (n < 0) {
		archive_set_error(a, (int)-n, "%s", c->read_err.msg);
		return -1;
	}
	return (la_ssize_t)n;
}

static int unpack_ctx_at(struct unpack_ctx c, int rootfd, struct pb_err *err);

int pb_unpack_at(const char *pkg, int rootfd, enum pb_pkg_role role,
		 const char *release, struct pb_unpack_limit *limit,
		 struct pb_err *err)
{
	struct unpack_ctx c = {
		.pkg = pkg, .role = role, .release = release, .limit = limit};

	return unpack_ctx_at(c, rootfd, err);
}

int pb_unpack_members_at(const char *pkg, int rootfd,
			 int (*keep)(const char *rel, void *data), void *data,
			 struct pb_unpack_limit *limit, struct pb_err *err)
{
	struct unpack_ctx c = {.pkg = pkg,
			       .role = PB_PKG_TREE,
			       .limit = limit,
			       .keep = keep,
			       .keep_data = data};

	return unpack_ctx_at(c, rootfd, err);
}

/* The payload is decompressed in a thread of its own (pb_decomp) while
 * this one reads its members (tar or cpio) and writes them. */
static int unpack_ctx_at(struct unpack_ctx c, int rootfd, struct pb_err *err)
{
	const char *pkg = c.pkg;
	const char *base = pb_basename(pkg);
	size_t bl = strlen(base);
	struct archive *in = NULL;
	int is_deb, ret;

	is_deb = bl > 4 && strcmp(base + bl - 4, ".deb") == 0;
	if (!is_deb && !(bl > 4 && strcmp(base + bl - 4, ".rpm") == 0))
		return pb_err_set(err, -EINVAL,
				  "%s: not a .deb or .rpm package", pkg);
	ret = pb_decomp_open_payload(pkg, !is_deb, &c.payload, err);
	if (!ret)
		ret = pb_out_new(rootfd, &c.out, err);
	if (ret)
		goto out;
	in = archive_read_new();
	if (!in) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (is_deb)
		archive_read_support_format_tar(in);
	else
		archive_read_support_format_cpio(in);
	if (archive_read_open(in, &c, NULL, payload_read, NULL) != ARCHIVE_OK)
		ret = read_fail(in, &c, NULL, err);
	else
		ret = extract_all(in, &c, err);
out:
	/* the directories' times only for a whole package */
	if (pb_out_close(c.out, !ret, ret ? NULL : err) && !ret)
		ret = err->code;
	if (in)
		archive_read_free(in);
	pb_decomp_close(c.payload);
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

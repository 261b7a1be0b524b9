/* Unpacking packages into a release root: pb_member_path, and pb_unpack on
 * small .deb files (and a cpio payload named .rpm) built here with
 * libarchive's writer, friendly and hostile. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "archive/unpack.h"
#include "repo/debcontrol.h"
#include "testutil.h"

/* ------------------------------------------------------ pb_member_path */

static void expect_member(const char *name, const char *want)
{
	struct pb_err err = {0};
	char out[PATH_MAX];
	int ret;

	memset(out, 'x', sizeof(out));
	ret = pb_member_path(name, out, sizeof(out), &err);
	if (ret != 0)
		fail_msg("'%s': %d %s", name, ret, err.msg);
	assert_string_equal(out, want);
}

static void expect_refused(const char *name)
{
	struct pb_err err = {0};
	char out[PATH_MAX];
	int ret = pb_member_path(name, out, sizeof(out), &err);

	if (ret != -EPERM)
		fail_msg("'%s': %d, expected -EPERM", name, ret);
	assert_int_equal(err.code, -EPERM);
	/* the message names the member */
	if (!strstr(err.msg, name))
		fail_msg("message for '%s' does not name it: %s", name,
			 err.msg);
}

static void test_member_path(void **state)
{
	struct pb_err err = {0};
	char small[8];

	(void)state;
	expect_member("./usr/x", "usr/x");
	expect_member("usr/x", "usr/x");
	expect_member("./", "");
	expect_member(".", "");
	expect_member("a/./b//c", "a/b/c");
	expect_member("./usr/src/linux-headers-6.1.0-56-amd64/",
		      "usr/src/linux-headers-6.1.0-56-amd64");
	/* ".." only as a whole part */
	expect_member("./usr/..foo/x..", "usr/..foo/x..");
	expect_member("./boot/config-6.1.0-56-amd64",
		      "boot/config-6.1.0-56-amd64");

	expect_refused("/etc/passwd");
	expect_refused("//etc/passwd");
	expect_refused("..");
	expect_refused("../x");
	expect_refused("./../x");
	expect_refused("usr/../../x");
	expect_refused("usr/src/..");
	expect_refused("a/./../b");

	/* too long for the buffer: an error, not a cut path */
	assert_int_equal(
		pb_member_path("./usr/src/linux", small, sizeof(small), &err),
		-ENAMETOOLONG);
}

/* ------------------------------------------------- building packages */

enum mtype { M_FILE, M_DIR, M_LINK, M_HARD };

struct member {
	const char *name;
	enum mtype type;
	const char *data; /* content; link target; hard link target */
	mode_t perm;	  /* 0: 0644 or 0755 */
};

static void add_member(struct archive *a, const struct member *m)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = 0;

	assert_non_null(e);
	archive_entry_set_pathname(e, m->name);
	archive_entry_set_mtime(e, 1700000000, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	switch (m->type) {
	case M_FILE:
		len = strlen(m->data);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, m->perm ? m->perm : 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		break;
	case M_DIR:
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, m->perm ? m->perm : 0755);
		break;
	case M_LINK:
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, m->data);
		break;
	case M_HARD:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_hardlink(e, m->data);
		break;
	}
	if (archive_write_header(a, e) != ARCHIVE_OK)
		fail_msg("%s: %s", m->name, archive_error_string(a));
	if (len && archive_write_data(a, m->data, len) != (la_ssize_t)len)
		fail_msg("%s: %s", m->name, archive_error_string(a));
	archive_entry_free(e);
}

enum compress { C_GZIP, C_XZ, C_NONE };

/* A tar (or cpio) archive in memory. */
static void *build_archive(const struct member *m, size_t n, enum compress c,
			   int cpio, size_t *size)
{
	size_t cap = 4 << 20;
	void *buf = malloc(cap);
	struct archive *a = archive_write_new();
	size_t i;

	assert_non_null(buf);
	assert_non_null(a);
	if (cpio)
		assert_int_equal(archive_write_set_format_cpio_newc(a),
				 ARCHIVE_OK);
	else
		assert_int_equal(archive_write_set_format_gnutar(a),
				 ARCHIVE_OK);
	if (c == C_GZIP)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	else if (c == C_XZ)
		assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, size),
			 ARCHIVE_OK);
	for (i = 0; i < n; i++)
		add_member(a, &m[i]);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return buf;
}

static void ar_add(struct archive *a, const char *name, const void *data,
		   size_t len)
{
	struct archive_entry *e = archive_entry_new();

	assert_non_null(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 1700000000, 0);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

/* A .deb: debian-binary, control.tar.gz, then data.tar.{gz,xz} holding
 * the members (no data member at all when n is 0 and m NULL). */
static void build_deb(const char *path, const struct member *m, size_t n,
		      enum compress c)
{
	static const struct member control[] = {
		{"./", M_DIR, NULL, 0},
		{"./control", M_FILE,
		 "Package: linux-headers-6.1.0-56-amd64\nVersion: 6.1.192-2\n"
		 "Architecture: amd64\n",
		 0},
	};
	struct archive *a = archive_write_new();
	size_t csize, dsize;
	void *cbuf, *dbuf;

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_ar_bsd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	ar_add(a, "debian-binary", "2.0\n", 4);
	cbuf = build_archive(control, 2, C_GZIP, 0, &csize);
	ar_add(a, "control.tar.gz", cbuf, csize);
	free(cbuf);
	if (m) {
		dbuf = build_archive(m, n, c, 0, &dsize);
		ar_add(a, c == C_XZ ? "data.tar.xz" : "data.tar.gz", dbuf,
		       dsize);
		free(dbuf);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void build_cpio_file(const char *path, const struct member *m, size_t n,
			    enum compress c)
{
	size_t size;
	void *buf = build_archive(m, n, c, 1, &size);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
	free(buf);
}

/* The Depends of a local .deb, from its control file (continuation lines
 * joined), for the batch hooks; a package without one has none. */
static void test_deb_control_depends(void **state)
{
	static const struct member with[] = {
		{"./", M_DIR, NULL, 0},
		{"./control", M_FILE,
		 "Package: linux-headers-6.1.0-56-amd64\nVersion: 6.1.192-2\n"
		 "Depends: linux-headers-6.1.0-56-common (= 6.1.192-2),\n"
		 " linux-kbuild-6.1 (>= 6.1.192-2)\nArchitecture: amd64\n",
		 0},
	};
	char *tmp = pbt_tmpdir("debcontrol"), path[PATH_MAX];
	struct pb_err err = {0};
	struct archive *a = archive_write_new();
	size_t csize;
	void *cbuf;
	char *deps = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/a.deb", tmp);
	assert_non_null(a);
	assert_int_equal(archive_write_set_format_ar_bsd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	ar_add(a, "debian-binary", "2.0\n", 4);
	cbuf = build_archive(with, 2, C_XZ, 0, &csize);
	ar_add(a, "control.tar.xz", cbuf, csize);
	free(cbuf);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	assert_int_equal(pb_deb_control_field(path, "Depends", &deps, &err), 0);
	assert_string_equal(deps,
			    "linux-headers-6.1.0-56-common (= 6.1.192-2), "
			    "linux-kbuild-6.1 (>= 6.1.192-2)");
	free(deps);
	assert_int_equal(pb_deb_control_field(path, "Pre-Depends", &deps, &err),
			 0);
	assert_null(deps);
	/* build_deb's control has no Depends */
	snprintf(path, sizeof(path), "%s/b.deb", tmp);
	build_deb(path, NULL, 0, C_GZIP);
	assert_int_equal(pb_deb_control_field(path, "Depends", &deps, &err), 0);
	assert_null(deps);
	assert_int_equal(pb_deb_control_field(tmp, "Depends", &deps, &err) < 0,
			 1);
}

/* ----------------------------------------------------------- fixture */

/* tmp/pkgs (package files), tmp/area/root (the release root; area must
 * only ever hold root), tmp/outside (what hostile links point at) */
struct fx {
	char tmp[PBT_TMP_MAX]; /* first: pbt_fx_new makes it */
	char pkgs[128], area[128], root[128], outside[128];
};
_Static_assert(offsetof(struct fx, tmp) == 0, "pbt_fx_new makes tmp");

static int fx_setup(void **state)
{
	struct fx *f = pbt_fx_new(sizeof(*f), "unpack");

	if (!f)
		return -1;
	snprintf(f->pkgs, sizeof(f->pkgs), "%s/pkgs", f->tmp);
	snprintf(f->area, sizeof(f->area), "%s/area", f->tmp);
	snprintf(f->root, sizeof(f->root), "%s/area/root", f->tmp);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->tmp);
	if (mkdir(f->pkgs, 0755) || mkdir(f->area, 0755) ||
	    mkdir(f->root, 0755) || mkdir(f->outside, 0755))
		return -1;
	*state = f;
	return 0;
}

static char *list;
static size_t list_len;
static FILE *list_f;
static size_t root_len;

static int list_cb(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (strlen(path) > root_len)
		fprintf(list_f, "%s\n", path + root_len + 1);
	return 0;
}

/* Every path under dir, relative, sorted, one a line. */
static char *tree_of(const char *dir)
{
	char *lines[256], *p, *out;
	size_t n = 0, i, len = 0;
	FILE *o;

	list = NULL;
	list_len = 0;
	list_f = open_memstream(&list, &list_len);
	assert_non_null(list_f);
	root_len = strlen(dir);
	assert_int_equal(nftw(dir, list_cb, 16, FTW_PHYS), 0);
	fclose(list_f);
	for (p = strtok(list, "\n"); p && n < 256; p = strtok(NULL, "\n"))
		lines[n++] = p;
	qsort(lines, n, sizeof(lines[0]), pbt_strcmp_ptr);
	o = open_memstream(&out, &len);
	assert_non_null(o);
	for (i = 0; i < n; i++)
		fprintf(o, "%s\n", lines[i]);
	fclose(o);
	free(list);
	return out;
}

static void expect_tree(const char *dir, const char *want)
{
	char *got = tree_of(dir);

	if (strcmp(got, want) != 0)
		fail_msg("tree of %s:\n%s\nexpected:\n%s", dir, got, want);
	free(got);
}

/* Nothing was written outside the root: the link target directory is
 * empty, the root's parent holds only the root, the top only what the
 * fixture made. */
static void expect_nothing_outside(struct fx *f)
{
	char *t, *line;

	expect_tree(f->outside, "");
	t = tree_of(f->area);
	for (line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
		if (strcmp(line, "root") != 0 && strncmp(line, "root/", 5) != 0)
			fail_msg("%s/%s written beside the root", f->area,
				 line);
	free(t);
	t = tree_of(f->tmp);
	for (line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
		if (strcmp(line, "pkgs") != 0 &&
		    strncmp(line, "pkgs/", 5) != 0 &&
		    strcmp(line, "area") != 0 &&
		    strncmp(line, "area/", 5) != 0 &&
		    strcmp(line, "outside") != 0)
			fail_msg("%s/%s written outside the root", f->tmp,
				 line);
	free(t);
}

/* ------------------------------------------------------------- tests */

#define HDR "./usr/src/linux-headers-6.1.0-56-amd64"
#define REL "6.1.0-56-amd64"

static const struct member good_members[] = {
	{"./", M_DIR, NULL, 0},
	{"./boot/", M_DIR, NULL, 0},
	{"./boot/config-" REL, M_FILE, "CONFIG_LOCALVERSION=\"\"\nCONFIG_X=y\n",
	 0},
	{"./lib/", M_DIR, NULL, 0},
	{"./lib/modules/", M_DIR, NULL, 0},
	{"./lib/modules/" REL "/", M_DIR, NULL, 0},
	{"./lib/modules/" REL "/build", M_LINK,
	 "/usr/src/linux-headers-6.1.0-56-amd64", 0},
	{"./lib/modules/" REL "/config", M_FILE, "CONFIG_MODULES_COPY=y\n", 0},
	{"./lib/modules/" REL "/kernel/", M_DIR, NULL, 0},
	{"./lib/modules/" REL "/kernel/foo.ko", M_FILE, "\177ELF not really\n",
	 0},
	{"./usr/", M_DIR, NULL, 0},
	{"./usr/bin/", M_DIR, NULL, 0},
	{"./usr/bin/setuid-tool", M_FILE, "#!/bin/sh\n", 04755},
	{"./usr/src/", M_DIR, NULL, 0},
	{HDR "/", M_DIR, NULL, 0},
	{HDR "/Makefile", M_FILE,
	 "include /usr/src/linux-headers-6.1.0-56-common/Makefile\n", 0},
	{HDR "/scripts", M_LINK, "../linux-headers-6.1.0-56-common/scripts", 0},
	{"./usr/share/doc/x/", M_DIR, NULL, 0},
};
#define N_GOOD PBT_N_OF(good_members)

static void test_unpack_tree(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	char pkg[256], p[512], target[256], *got;
	struct stat st;
	ssize_t n;

	snprintf(pkg, sizeof(pkg),
		 "%s/linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb",
		 f->pkgs);
	build_deb(pkg, good_members, N_GOOD, C_XZ);
	if (pb_unpack(pkg, f->root, PB_PKG_TREE, REL, &err) != 0)
		fail_msg("pb_unpack: %s", err.msg);

	expect_tree(f->root, "boot\n"
			     "boot/config-" REL "\n"
			     "lib\n"
			     "lib/modules\n"
			     "lib/modules/" REL "\n"
			     "lib/modules/" REL "/build\n"
			     "lib/modules/" REL "/config\n"
			     "lib/modules/" REL "/kernel\n"
			     "lib/modules/" REL "/kernel/foo.ko\n"
			     "usr\n"
			     "usr/bin\n"
			     "usr/bin/setuid-tool\n"
			     "usr/share\n"
			     "usr/share/doc\n"
			     "usr/share/doc/x\n"
			     "usr/src\n"
			     "usr/src/linux-headers-" REL "\n"
			     "usr/src/linux-headers-" REL "/Makefile\n"
			     "usr/src/linux-headers-" REL "/scripts\n");
	/* contents */
	got = pbt_read_file(f->root, "usr/src/linux-headers-" REL "/Makefile");
	assert_string_equal(got,
			    "include /usr/src/linux-headers-6.1.0-56-common/"
			    "Makefile\n");
	free(got);
	got = pbt_read_file(f->root, "boot/config-" REL);
	assert_string_equal(got, "CONFIG_LOCALVERSION=\"\"\nCONFIG_X=y\n");
	free(got);
	/* symlinks as they are in the package: fixing them is a later
	 * stage's job */
	pbt_path(p, sizeof(p), f->root,
		 "usr/src/linux-headers-" REL "/scripts");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	n = readlink(p, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "../linux-headers-6.1.0-56-common/scripts");
	pbt_path(p, sizeof(p), f->root, "lib/modules/" REL "/build");
	n = readlink(p, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "/usr/src/linux-headers-6.1.0-56-amd64");
	/* no set-id bit from a package */
	pbt_path(p, sizeof(p), f->root, "usr/bin/setuid-tool");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* the time stamps of the package */
	pbt_path(p, sizeof(p), f->root, "boot/config-" REL);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal((long long)st.st_mtime, 1700000000LL);
	expect_nothing_outside(f);
}

/* tar writes a second name of a file as a hard link member (typeflag '1');
 * it is unpacked as a hard link to the first, inside the root. */
static void test_unpack_hardlink(void **state)
{
	static const struct member m[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/src/", M_DIR, NULL, 0},
		{"./usr/src/a.h", M_FILE, "#define A 1\n", 0},
		{"./usr/src/b.h", M_HARD, "./usr/src/a.h", 0},
	};
	struct fx *f = *state;
	struct pb_err err = {0};
	char pkg[256], a[512], b[512], *got;
	struct stat sa, sb;

	snprintf(pkg, sizeof(pkg), "%s/hl_1_all.deb", f->pkgs);
	build_deb(pkg, m, PBT_N_OF(m), C_GZIP);
	if (pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err) != 0)
		fail_msg("pb_unpack: %s", err.msg);
	pbt_path(a, sizeof(a), f->root, "usr/src/a.h");
	pbt_path(b, sizeof(b), f->root, "usr/src/b.h");
	assert_int_equal(stat(a, &sa), 0);
	if (stat(b, &sb) < 0)
		fail_msg("the hard link member usr/src/b.h was not "
			 "unpacked: %s",
			 strerror(errno));
	assert_true(sa.st_ino == sb.st_ino);
	got = pbt_read_file(f->root, "usr/src/b.h");
	assert_string_equal(got, "#define A 1\n");
	free(got);
	expect_nothing_outside(f);
}

static void test_unpack_config_role(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	char pkg[256], *got;

	snprintf(pkg, sizeof(pkg),
		 "%s/linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb", f->pkgs);
	build_deb(pkg, good_members, N_GOOD, C_GZIP);
	/* no release: every config member */
	if (pb_unpack(pkg, f->root, PB_PKG_CONFIG, NULL, &err) != 0)
		fail_msg("pb_unpack: %s", err.msg);
	expect_tree(f->root, "boot\n"
			     "boot/config-" REL "\n"
			     "lib\n"
			     "lib/modules\n"
			     "lib/modules/" REL "\n"
			     "lib/modules/" REL "/config\n");
	got = pbt_read_file(f->root, "lib/modules/" REL "/config");
	assert_string_equal(got, "CONFIG_MODULES_COPY=y\n");
	free(got);
}

static void test_unpack_config_stops_at_release(void **state)
{
	static const struct member m[] = {
		{"./boot/", M_DIR, NULL, 0},
		{"./boot/config-" REL, M_FILE, "CONFIG_A=y\n", 0},
		{"./boot/config-6.1.0-56-other", M_FILE, "CONFIG_B=y\n", 0},
		{"./usr/src/x", M_FILE, "x\n", 0},
	};
	struct fx *f = *state;
	struct pb_err err = {0};
	char pkg[256];

	snprintf(pkg, sizeof(pkg), "%s/img_1_amd64.deb", f->pkgs);
	build_deb(pkg, m, PBT_N_OF(m), C_GZIP);
	if (pb_unpack(pkg, f->root, PB_PKG_CONFIG, REL, &err) != 0)
		fail_msg("pb_unpack: %s", err.msg);
	/* the release's own config is out: the rest is not read */
	expect_tree(f->root, "boot\nboot/config-" REL "\n");
}

/* A hostile package fails with -EPERM and a message naming the package
 * and the member, and writes nothing outside the root. */
static void expect_hostile_msg(struct fx *f, const struct member *m, size_t n,
			       enum pb_pkg_role role, const char *member,
			       int check_msg)
{
	struct pb_err err = {0};
	char pkg[256];
	int ret;

	snprintf(pkg, sizeof(pkg), "%s/hostile_1_amd64.deb", f->pkgs);
	unlink(pkg);
	build_deb(pkg, m, n, C_GZIP);
	ret = pb_unpack(pkg, f->root, role, NULL, &err);
	if (ret != -EPERM)
		fail_msg("%s: %d (%s), expected -EPERM", member, ret, err.msg);
	expect_nothing_outside(f);
	if (!strstr(err.msg, pkg))
		fail_msg("message does not name the package: %s", err.msg);
	if (check_msg && !strstr(err.msg, member))
		fail_msg("message does not name the member %s: %s", member,
			 err.msg);
}

static void expect_hostile(struct fx *f, const struct member *m, size_t n,
			   enum pb_pkg_role role, const char *member)
{
	expect_hostile_msg(f, m, n, role, member, 1);
}

static void test_unpack_dotdot(void **state)
{
	static const struct member m[] = {
		{"./", M_DIR, NULL, 0},
		{"./usr/", M_DIR, NULL, 0},
		{"./../x", M_FILE, "escaped\n", 0},
	};
	static const struct member m2[] = {
		{"./usr/src/../../../x", M_FILE, "escaped\n", 0},
	};
	/* the config role refuses it as well */
	static const struct member m3[] = {
		{"./boot/../../boot/config-x", M_FILE, "escaped\n", 0},
	};
	struct fx *f = *state;

	expect_hostile(f, m, 3, PB_PKG_TREE, "./../x");
	expect_hostile(f, m2, 1, PB_PKG_TREE, "./usr/src/../../../x");
	expect_hostile(f, m3, 1, PB_PKG_CONFIG, "./boot/../../boot/config-x");
}

static void test_unpack_absolute(void **state)
{
	struct fx *f = *state;
	char name[256];
	struct member m[] = {
		{"./usr/", M_DIR, NULL, 0},
		{name, M_FILE, "escaped\n", 0},
	};

	/* an absolute member aiming at a directory that exists */
	snprintf(name, sizeof(name), "%s/evil", f->outside);
	expect_hostile(f, m, 2, PB_PKG_TREE, name);
}

static void test_unpack_through_symlink(void **state)
{
	struct fx *f = *state;
	char abs_target[256];
	/* a link leaving the root, then a file through it */
	struct member abs_link[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/evil", M_LINK, abs_target, 0},
		{"./usr/evil/pwned", M_FILE, "escaped\n", 0},
	};
	static const struct member rel_link[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/evil2", M_LINK, "../../../outside", 0},
		{"./usr/evil2/pwned", M_FILE, "escaped\n", 0},
	};
	/* a directory member through the link */
	static const struct member dir_link[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/evil3", M_LINK, "../../../outside", 0},
		{"./usr/evil3/newdir/", M_DIR, NULL, 0},
	};

	/* refused, and nothing written: the message is checked below */
	snprintf(abs_target, sizeof(abs_target), "%s", f->outside);
	expect_hostile_msg(f, abs_link, 3, PB_PKG_TREE, "./usr/evil/pwned", 0);
	expect_hostile_msg(f, rel_link, 3, PB_PKG_TREE, "./usr/evil2/pwned", 0);
	expect_hostile_msg(f, dir_link, 3, PB_PKG_TREE, "./usr/evil3/newdir/",
			   0);
}

/* The refusal of a member going through a symlink names that member. */
static void test_unpack_through_symlink_message(void **state)
{
	static const struct member rel_link[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/evil2", M_LINK, "../../../outside", 0},
		{"./usr/evil2/pwned", M_FILE, "escaped\n", 0},
	};
	struct fx *f = *state;

	expect_hostile(f, rel_link, 3, PB_PKG_TREE, "./usr/evil2/pwned");
}

static void test_unpack_hostile_hardlink(void **state)
{
	static const struct member m[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/passwd", M_HARD, "/etc/passwd", 0},
	};
	static const struct member m2[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/x", M_HARD, "./../../outside/x", 0},
	};
	struct fx *f = *state;

	expect_hostile(f, m, 2, PB_PKG_TREE, "./usr/passwd");
	expect_hostile(f, m2, 2, PB_PKG_TREE, "./usr/x");
}

/* kernel-core's payload: a cpio archive (here without the RPM header,
 * which libarchive skips anyway). */
static void test_unpack_cpio_payload(void **state)
{
	static const struct member m[] = {
		{"./lib/modules/4.18.0-513.5.1.el8_9.x86_64/config", M_FILE,
		 "CONFIG_EL8=y\n", 0},
		{"./lib/modules/4.18.0-513.5.1.el8_9.x86_64/vmlinuz", M_FILE,
		 "not a kernel\n", 0},
		{"./usr/src/kernels/4.18.0-513.5.1.el8_9.x86_64/Makefile",
		 M_FILE, "VERSION = 4\n", 0},
	};
	static const struct member hostile[] = {
		{"../../x", M_FILE, "escaped\n", 0},
	};
	struct fx *f = *state;
	struct pb_err err = {0};
	char pkg[256];

	snprintf(pkg, sizeof(pkg),
		 "%s/kernel-core-4.18.0-513.5.1.el8_9.x86_64.rpm", f->pkgs);
	build_cpio_file(pkg, m, 3, C_XZ);
	if (pb_unpack(pkg, f->root, PB_PKG_CONFIG,
		      "4.18.0-513.5.1.el8_9.x86_64", &err) != 0)
		fail_msg("pb_unpack: %s", err.msg);
	expect_tree(
		f->root,
		"lib\nlib/modules\nlib/modules/4.18.0-513.5.1.el8_9.x86_64\n"
		"lib/modules/4.18.0-513.5.1.el8_9.x86_64/config\n");
	if (pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err) != 0)
		fail_msg("pb_unpack: %s", err.msg);
	expect_tree(
		f->root,
		"lib\nlib/modules\nlib/modules/4.18.0-513.5.1.el8_9.x86_64\n"
		"lib/modules/4.18.0-513.5.1.el8_9.x86_64/config\n"
		"lib/modules/4.18.0-513.5.1.el8_9.x86_64/vmlinuz\n"
		"usr\nusr/src\nusr/src/kernels\n"
		"usr/src/kernels/4.18.0-513.5.1.el8_9.x86_64\n"
		"usr/src/kernels/4.18.0-513.5.1.el8_9.x86_64/Makefile\n");

	snprintf(pkg, sizeof(pkg), "%s/evil-1-1.x86_64.rpm", f->pkgs);
	build_cpio_file(pkg, hostile, 1, C_NONE);
	assert_int_equal(pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "../../x"));
	expect_nothing_outside(f);
}

static void test_unpack_bad_packages(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	char pkg[256], cut[256];
	struct stat st;
	int fd;

	/* not a package name */
	snprintf(pkg, sizeof(pkg), "%s/data.tar", f->pkgs);
	assert_int_equal(pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err),
			 -EINVAL);
	/* a .deb with no data member */
	snprintf(pkg, sizeof(pkg), "%s/nodata_1_all.deb", f->pkgs);
	build_deb(pkg, NULL, 0, C_GZIP);
	assert_int_equal(pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "data.tar"));
	/* missing package */
	snprintf(pkg, sizeof(pkg), "%s/missing_1_all.deb", f->pkgs);
	assert_true(pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, pkg));
	/* missing root */
	snprintf(pkg, sizeof(pkg), "%s/good_1_all.deb", f->pkgs);
	build_deb(pkg, good_members, N_GOOD, C_GZIP);
	snprintf(cut, sizeof(cut), "%s/nonexistent", f->tmp);
	assert_int_equal(pb_unpack(pkg, cut, PB_PKG_TREE, NULL, &err), -ENOENT);
	/* a truncated download: an error naming the package, no crash */
	assert_int_equal(stat(pkg, &st), 0);
	snprintf(cut, sizeof(cut), "%s/cut_1_all.deb", f->pkgs);
	fd = open(cut, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	{
		FILE *in = fopen(pkg, "rb");
		char buf[65536];
		size_t n;

		assert_non_null(in);
		n = fread(buf, 1, (size_t)st.st_size * 3 / 4, in);
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		fclose(in);
	}
	close(fd);
	assert_true(pb_unpack(cut, f->root, PB_PKG_TREE, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, cut));
}

/* What a release may unpack in all is shared by its packages; a member
 * that would go over is refused before a byte of it is written. */
static void test_unpack_limit(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	struct pb_unpack_limit lim = {10240, 0};
	char pkg[256], *a = malloc(4097), *b = malloc(8193), path[PATH_MAX];
	struct member one[] = {{"./usr/", M_DIR, NULL, 0},
			       {"./usr/a", M_FILE, a, 0}};
	struct member two[] = {{"./usr/b", M_FILE, b, 0}};
	int rootfd;

	assert_non_null(a);
	assert_non_null(b);
	memset(a, 'a', 4096);
	a[4096] = '\0';
	memset(b, 'b', 8192);
	b[8192] = '\0';
	rootfd = open(f->root, O_RDONLY | O_DIRECTORY);
	assert_true(rootfd >= 0);
	snprintf(pkg, sizeof(pkg), "%s/one_1_all.deb", f->pkgs);
	build_deb(pkg, one, PBT_N_OF(one), C_XZ);
	if (pb_unpack_at(pkg, rootfd, PB_PKG_TREE, NULL, &lim, &err) != 0)
		fail_msg("pb_unpack_at: %s", err.msg);
	assert_int_equal(lim.used, 4096);
	snprintf(pkg, sizeof(pkg), "%s/two_1_all.deb", f->pkgs);
	build_deb(pkg, two, PBT_N_OF(two), C_XZ);
	assert_int_equal(
		pb_unpack_at(pkg, rootfd, PB_PKG_TREE, NULL, &lim, &err),
		-EFBIG);
	assert_non_null(strstr(err.msg, "./usr/b"));
	assert_non_null(strstr(err.msg, "more than 10240 bytes"));
	assert_non_null(strstr(err.msg, "--max-unpacked-size"));
	snprintf(path, sizeof(path), "%s/usr/b", f->root);
	assert_int_equal(access(path, F_OK), -1);
	/* with room, it goes */
	lim.max = 4096 + 8192;
	if (pb_unpack_at(pkg, rootfd, PB_PKG_TREE, NULL, &lim, &err) != 0)
		fail_msg("pb_unpack_at: %s", err.msg);
	assert_int_equal(lim.used, 4096 + 8192);
	close(rootfd);
	free(a);
	free(b);
}

/* A failed write(2) is only a warning for libarchive: here the file size
 * limit makes it fail (EFBIG, as ENOSPC would on a full disk); the
 * package fails, naming the member and the errno text. */
static void test_unpack_failed_write(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	struct rlimit old, small = {16384, 0};
	char pkg[256], *big = malloc(65537);
	struct member m[] = {{"./usr/", M_DIR, NULL, 0},
			     {"./usr/big.h", M_FILE, big, 0}};
	void (*sig)(int);
	int ret;

	assert_non_null(big);
	memset(big, 'x', 65536);
	big[65536] = '\0';
	snprintf(pkg, sizeof(pkg), "%s/big_1_all.deb", f->pkgs);
	build_deb(pkg, m, PBT_N_OF(m), C_XZ);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	sig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	ret = pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, sig);
	assert_int_equal(ret, -EFBIG);
	assert_non_null(strstr(err.msg, "./usr/big.h"));
	assert_non_null(strstr(err.msg, strerror(EFBIG)));
	assert_null(strstr(err.msg, "(null)"));
	free(big);
}

/* Open fds of the process: an unpack, failed or not, leaves none. */
static int n_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void unpack_ok(struct fx *f, const char *name, const struct member *m,
		      size_t n)
{
	struct pb_err err = {0};
	char pkg[256];
	int fds = n_fds();

	snprintf(pkg, sizeof(pkg), "%s/%s", f->pkgs, name);
	build_deb(pkg, m, n, C_GZIP);
	if (pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err) != 0)
		fail_msg("pb_unpack %s: %s", name, err.msg);
	assert_int_equal(n_fds(), fds);
}

static int unpack_err(struct fx *f, const char *name, const struct member *m,
		      size_t n, struct pb_err *err)
{
	char pkg[256];
	int fds = n_fds(), ret;

	snprintf(pkg, sizeof(pkg), "%s/%s", f->pkgs, name);
	build_deb(pkg, m, n, C_GZIP);
	ret = pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, err);
	assert_int_equal(n_fds(), fds);
	return ret;
}

/* A directory the writer has already opened (and left), then replaced by
 * a symlink to outside: a member through it is refused, not written
 * through the directory fd kept from before or through the link. */
static void test_unpack_dir_replaced_by_symlink(void **state)
{
	static const struct member m[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/e/", M_DIR, NULL, 0},
		{"./usr/f/x", M_FILE, "x\n", 0},
		{"./usr/e", M_LINK, "../../../outside", 0},
		{"./usr/e/pwned", M_FILE, "escaped\n", 0},
	};
	/* the same while the directory is still the current one */
	static const struct member m2[] = {
		{"./usr/g/", M_DIR, NULL, 0},
		{"./usr/g", M_LINK, "../../../outside", 0},
		{"./usr/g/pwned", M_FILE, "escaped\n", 0},
	};
	struct fx *f = *state;

	expect_hostile(f, m, PBT_N_OF(m), PB_PKG_TREE, "./usr/e/pwned");
	expect_hostile(f, m2, PBT_N_OF(m2), PB_PKG_TREE, "./usr/g/pwned");
}

/* A symlink of an earlier package through which a later one would write:
 * refused; in its place, a file or a directory replaces the link itself
 * (as tar does), and what it pointed at is left alone. */
static void test_unpack_replaces_symlink(void **state)
{
	static const struct member a[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/f", M_LINK, "../../../outside/victim", 0},
		{"./usr/d", M_LINK, "../../../outside", 0},
	};
	static const struct member through[] = {
		{"./usr/d/pwned", M_FILE, "escaped\n", 0},
	};
	static const struct member b[] = {
		{"./usr/f", M_FILE, "mine\n", 0},
		{"./usr/d/", M_DIR, NULL, 0},
		{"./usr/d/x", M_FILE, "inside\n", 0},
	};
	struct fx *f = *state;
	struct pb_err err = {0};
	char p[512], *got;
	struct stat st;

	pbt_write_file(f->outside, "victim", "victim\n", 0644);
	unpack_ok(f, "a_1_all.deb", a, PBT_N_OF(a));
	assert_int_equal(
		unpack_err(f, "t_1_all.deb", through, PBT_N_OF(through), &err),
		-EPERM);
	assert_non_null(strstr(err.msg, "./usr/d/pwned"));
	expect_tree(f->outside, "victim\n");
	unpack_ok(f, "b_1_all.deb", b, PBT_N_OF(b));
	pbt_path(p, sizeof(p), f->root, "usr/f");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	pbt_path(p, sizeof(p), f->root, "usr/d");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	got = pbt_read_file(f->root, "usr/d/x");
	assert_string_equal(got, "inside\n");
	free(got);
	got = pbt_read_file(f->outside, "victim");
	assert_string_equal(got, "victim\n");
	free(got);
	expect_tree(f->outside, "victim\n");
}

/* A hard link whose target lies through a symlink (to a file outside) is
 * refused: no second name of an outside file inside the root. */
static void test_unpack_hardlink_through_symlink(void **state)
{
	static const struct member m[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/out", M_LINK, "../../../outside", 0},
		{"./usr/h", M_HARD, "./usr/out/victim", 0},
	};
	struct fx *f = *state;
	struct pb_err err = {0};
	char p[512];
	struct stat st;

	pbt_write_file(f->outside, "victim", "victim\n", 0644);
	assert_int_equal(unpack_err(f, "h_1_all.deb", m, PBT_N_OF(m), &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "./usr/h"));
	pbt_path(p, sizeof(p), f->root, "usr/h");
	assert_int_equal(lstat(p, &st), -1);
	pbt_path(p, sizeof(p), f->outside, "victim");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	expect_tree(f->outside, "victim\n");
}

/* Modes exactly as packaged whatever the umask (set-id bits dropped), and
 * a directory's time the package's even after its content was written. */
static void test_unpack_modes_and_times(void **state)
{
	static const struct member m[] = {
		{"./usr/", M_DIR, NULL, 0},
		{"./usr/src/", M_DIR, NULL, 02775},
		{"./usr/src/a.h", M_FILE, "a\n", 0664},
		{"./usr/src/run", M_FILE, "#!/bin/sh\n", 06775},
		{"./usr/src/sub/", M_DIR, NULL, 0},
		{"./usr/src/sub/b.h", M_FILE, "b\n", 0},
		{"./usr/src/l", M_LINK, "a.h", 0},
	};
	struct fx *f = *state;
	char p[512];
	struct stat st;
	mode_t old = umask(027);

	unpack_ok(f, "m_1_all.deb", m, PBT_N_OF(m));
	umask(old);
	pbt_path(p, sizeof(p), f->root, "usr/src");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0775);
	assert_int_equal((long long)st.st_mtime, 1700000000LL);
	pbt_path(p, sizeof(p), f->root, "usr/src/sub");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal((long long)st.st_mtime, 1700000000LL);
	pbt_path(p, sizeof(p), f->root, "usr");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal((long long)st.st_mtime, 1700000000LL);
	pbt_path(p, sizeof(p), f->root, "usr/src/a.h");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0664);
	pbt_path(p, sizeof(p), f->root, "usr/src/run");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0775);
	pbt_path(p, sizeof(p), f->root, "usr/src/l");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal((long long)st.st_mtime, 1700000000LL);
}

/* Deeper than the directories the writer keeps open: still written, and
 * still refused through a symlink there. */
static void test_unpack_deep(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	char deep[PATH_MAX], file[PATH_MAX], link[PATH_MAX], evil[PATH_MAX];
	char up[PATH_MAX], rel[PATH_MAX], *got;
	struct member m[] = {
		{deep, M_DIR, NULL, 0},
		{file, M_FILE, "deep\n", 0},
	};
	struct member h[] = {
		{link, M_LINK, up, 0},
		{evil, M_FILE, "escaped\n", 0},
	};
	size_t o = 1, u = 0;
	int i;

	strcpy(deep, ".");
	for (i = 0; i < 100; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "/d%d", i);
	snprintf(file, sizeof(file), "%s/f", deep);
	unpack_ok(f, "deep_1_all.deb", m, PBT_N_OF(m));
	snprintf(rel, sizeof(rel), "%s/f", deep + 2);
	got = pbt_read_file(f->root, rel);
	assert_string_equal(got, "deep\n");
	free(got);
	/* a link at depth 100 to tmp/outside: 101 "..", then 2 more */
	for (i = 0; i < 102; i++)
		u += (size_t)snprintf(up + u, sizeof(up) - u, "../");
	snprintf(up + u, sizeof(up) - u, "outside");
	snprintf(link, sizeof(link), "%s/out", deep);
	snprintf(evil, sizeof(evil), "%s/out/pwned", deep);
	assert_int_equal(unpack_err(f, "deep_2_all.deb", h, PBT_N_OF(h), &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "out/pwned"));
	expect_nothing_outside(f);
}

/* An RPM payload (cpio newc) gives a file's data with its last name, a
 * hard link to the first: both names hold the data. */
static void test_unpack_cpio_hardlink_data(void **state)
{
	static const char data[] = "#define SHARED 1\n";
	static const char *const names[] = {"./usr/src/k/a.h",
					    "./usr/src/k/b.h"};
	struct fx *f = *state;
	struct pb_err err = {0};
	struct archive *a = archive_write_new();
	char pkg[256], pa[512], pb[512], *got;
	struct stat sa, sb;
	int i;

	snprintf(pkg, sizeof(pkg), "%s/kernel-devel-1-1.x86_64.rpm", f->pkgs);
	assert_non_null(a);
	assert_int_equal(archive_write_set_format_cpio_newc(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, pkg), ARCHIVE_OK);
	for (i = 0; i < 2; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = i ? sizeof(data) - 1 : 0;

		assert_non_null(e);
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_dev(e, 1);
		archive_entry_set_ino(e, 42);
		archive_entry_set_nlink(e, 2);
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, data, len),
					 (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	if (pb_unpack(pkg, f->root, PB_PKG_TREE, NULL, &err) != 0)
		fail_msg("pb_unpack: %s", err.msg);
	pbt_path(pa, sizeof(pa), f->root, "usr/src/k/a.h");
	pbt_path(pb, sizeof(pb), f->root, "usr/src/k/b.h");
	assert_int_equal(stat(pa, &sa), 0);
	assert_int_equal(stat(pb, &sb), 0);
	assert_true(sa.st_ino == sb.st_ino);
	got = pbt_read_file(f->root, "usr/src/k/a.h");
	assert_string_equal(got, data);
	free(got);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, pbt_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_path),
		FX(test_unpack_tree),
		FX(test_unpack_hardlink),
		FX(test_unpack_config_role),
		FX(test_unpack_config_stops_at_release),
		FX(test_unpack_dotdot),
		FX(test_unpack_absolute),
		FX(test_unpack_through_symlink),
		FX(test_unpack_through_symlink_message),
		FX(test_unpack_hostile_hardlink),
		FX(test_unpack_cpio_payload),
		FX(test_unpack_bad_packages),
		FX(test_unpack_limit),
		FX(test_unpack_failed_write),
		FX(test_unpack_dir_replaced_by_symlink),
		FX(test_unpack_replaces_symlink),
		FX(test_unpack_hardlink_through_symlink),
		FX(test_unpack_modes_and_times),
		FX(test_unpack_deep),
		FX(test_unpack_cpio_hardlink_data),
		cmocka_unit_test_teardown(test_deb_control_depends,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

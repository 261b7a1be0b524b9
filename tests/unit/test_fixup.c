/* The fixup helpers of the SDK: re-pointing symlinks that leave a release
 * root, and rewriting /usr/src/ references in Makefiles into it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe-builder/fixup.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

struct fx {
	char tmp[PBT_TMP_MAX]; /* first: pbt_fx_new makes it */
	char root[128];	       /* tmp/root: the release root */
};
_Static_assert(offsetof(struct fx, tmp) == 0, "pbt_fx_new makes tmp");

static char *link_of(const char *root, const char *rel)
{
	static char target[PATH_MAX];
	char path[PATH_MAX];
	ssize_t n;

	pbt_path(path, sizeof(path), root, rel);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		fail_msg("readlink %s: %s", path, strerror(errno));
	target[n] = '\0';
	return target;
}

/* root/rel, followed, is root/want (which must exist) */
static void expect_resolves(const char *root, const char *rel, const char *want)
{
	char path[PATH_MAX], got[PATH_MAX], exp[PATH_MAX];

	pbt_path(path, sizeof(path), root, rel);
	if (!realpath(path, got))
		fail_msg("%s -> %s does not resolve: %s", rel,
			 link_of(root, rel), strerror(errno));
	snprintf(path, sizeof(path), "%s%s%s", root, *want ? "/" : "", want);
	assert_non_null(realpath(path, exp));
	if (strcmp(got, exp) != 0)
		fail_msg("%s -> %s resolves to %s, expected %s", rel,
			 link_of(root, rel), got, exp);
}

static int fx_setup(void **state)
{
	struct fx *f = pbt_fx_new(sizeof(*f), "fixup");

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/root", f->tmp);
	if (mkdir(f->root, 0755) < 0)
		return -1;
	*state = f;
	return 0;
}

/* --------------------------------------------------- symlink fixups */

#define COMMON "usr/src/linux-headers-6.1.0-56-common"
#define FLAVOR "usr/src/linux-headers-6.1.0-56-amd64"

static void test_absolute_links(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;

	pbt_mkdirs(r, COMMON "/scripts");
	pbt_mkdirs(r, FLAVOR);
	pbt_mkdirs(r, "lib/modules/6.1.0-56-amd64");
	pbt_write_file(r, COMMON "/Makefile", "VERSION = 6\n", 0);
	/* depth 0 */
	pbt_symlink(r, "top", "/" COMMON "/Makefile");
	/* depth 2 */
	pbt_symlink(r, "usr/src/common", "/" COMMON);
	/* depth 3 */
	pbt_symlink(r, "lib/modules/6.1.0-56-amd64/build", "/" FLAVOR);
	/* depth 3, with dots and double slashes in the target */
	pbt_symlink(r, "lib/modules/6.1.0-56-amd64/source",
		    "//usr/./src/../src/linux-headers-6.1.0-56-common/");

	assert_int_equal(pb_fixup_absolute_symlinks(r, &err), 0);

	assert_string_equal(link_of(r, "top"), COMMON "/Makefile");
	expect_resolves(r, "top", COMMON "/Makefile");
	assert_string_equal(link_of(r, "usr/src/common"), "../../" COMMON);
	expect_resolves(r, "usr/src/common", COMMON);
	assert_string_equal(link_of(r, "lib/modules/6.1.0-56-amd64/build"),
			    "../../../" FLAVOR);
	expect_resolves(r, "lib/modules/6.1.0-56-amd64/build", FLAVOR);
	expect_resolves(r, "lib/modules/6.1.0-56-amd64/source", COMMON);
	assert_true(link_of(r, "lib/modules/6.1.0-56-amd64/source")[0] != '/');
}

static void test_relative_links(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	char path[PATH_MAX];
	struct stat before, after;

	pbt_mkdirs(r, COMMON "/scripts");
	pbt_mkdirs(r, FLAVOR);
	pbt_mkdirs(r, "etc");
	pbt_write_file(r, "etc/os-release", "ID=debian\n", 0);
	/* climbs above the root: on a host ".." stops at "/" */
	pbt_symlink(r, FLAVOR "/up", "../../../../../../etc/os-release");
	pbt_symlink(r, "escape0", "../etc/os-release");
	/* stays inside: untouched */
	pbt_symlink(r, FLAVOR "/scripts",
		    "../linux-headers-6.1.0-56-common/scripts");
	pbt_symlink(r, FLAVOR "/deep", "../../../" COMMON);
	snprintf(path, sizeof(path), "%s/" FLAVOR "/scripts", r);
	assert_int_equal(lstat(path, &before), 0);

	assert_int_equal(pb_fixup_absolute_symlinks(r, &err), 0);

	assert_true(link_of(r, FLAVOR "/up")[0] != '/');
	expect_resolves(r, FLAVOR "/up", "etc/os-release");
	assert_string_equal(link_of(r, FLAVOR "/up"),
			    "../../../etc/os-release");
	assert_string_equal(link_of(r, "escape0"), "etc/os-release");
	expect_resolves(r, "escape0", "etc/os-release");

	assert_string_equal(link_of(r, FLAVOR "/scripts"),
			    "../linux-headers-6.1.0-56-common/scripts");
	assert_string_equal(link_of(r, FLAVOR "/deep"), "../../../" COMMON);
	/* not even re-created */
	assert_int_equal(lstat(path, &after), 0);
	assert_true(before.st_ino == after.st_ino);
}

static void test_link_to_slash(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;

	pbt_mkdirs(r, "a/b");
	pbt_symlink(r, "rootlink", "/");
	pbt_symlink(r, "a/b/rootlink", "/");
	pbt_symlink(r, "a/b/dotdots", "../../../..");

	assert_int_equal(pb_fixup_absolute_symlinks(r, &err), 0);

	assert_true(link_of(r, "rootlink")[0] != '/');
	expect_resolves(r, "rootlink", "");
	assert_true(link_of(r, "a/b/rootlink")[0] != '/');
	expect_resolves(r, "a/b/rootlink", "");
	expect_resolves(r, "a/b/dotdots", "");
}

static void test_dangling_and_idempotent(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	char first[PATH_MAX];

	pbt_mkdirs(r, "lib/modules/6.1.0-56-amd64");
	/* the target is in another package: re-pointed all the same */
	pbt_symlink(r, "lib/modules/6.1.0-56-amd64/build", "/" FLAVOR);
	assert_int_equal(pb_fixup_absolute_symlinks(r, &err), 0);
	snprintf(first, sizeof(first), "%s",
		 link_of(r, "lib/modules/6.1.0-56-amd64/build"));
	assert_string_equal(first, "../../../" FLAVOR);
	/* a second run changes nothing */
	assert_int_equal(pb_fixup_absolute_symlinks(r, &err), 0);
	assert_string_equal(link_of(r, "lib/modules/6.1.0-56-amd64/build"),
			    first);
	/* a root that does not exist is an error */
	assert_true(pb_fixup_absolute_symlinks("/nonexistent/pb-test", &err) <
		    0);
}

/* ---------------------------------------------------- prefix rewrite */

static void test_rewrite_include(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	char *got, want[4096];
	size_t n = 99;

	pbt_write_file(
		r, FLAVOR "/Makefile",
		"# SPDX-License-Identifier: GPL-2.0\n"
		"include /usr/src/linux-headers-6.1.0-56-common/Makefile\n",
		0);
	assert_int_equal(pb_fixup_rewrite_prefix(r, FLAVOR "/Makefile",
						 "/usr/src/", &n, &err),
			 0);
	assert_int_equal(n, 1);
	got = pbt_read_file(r, FLAVOR "/Makefile");
	snprintf(want, sizeof(want),
		 "# SPDX-License-Identifier: GPL-2.0\n"
		 "include %s/usr/src/linux-headers-6.1.0-56-common/Makefile\n",
		 r);
	assert_string_equal(got, want);
	free(got);
}

static void test_rewrite_words(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	char *got, want[8192];
	size_t n = 0;

	pbt_write_file(r, FLAVOR "/Makefile",
		       "MAKEARGS := -C /usr/src/linux-headers-6.1.0-56-common "
		       "O=/usr/src/linux-headers-6.1.0-56-amd64\n"
		       "/usr/src/at-line-start\n"
		       "QUOTED = \"/usr/src/q\" '/usr/src/s'\n"
		       "NOT = foo/usr/src/ bar/usr/src/x\n"
		       "NOR = /usr/srcx /usr/lib/x\n",
		       0);
	assert_int_equal(pb_fixup_rewrite_prefix(r, FLAVOR "/Makefile",
						 "/usr/src/", &n, &err),
			 0);
	assert_int_equal(n, 5);
	got = pbt_read_file(r, FLAVOR "/Makefile");
	snprintf(want, sizeof(want),
		 "MAKEARGS := -C %s/usr/src/linux-headers-6.1.0-56-common "
		 "O=%s/usr/src/linux-headers-6.1.0-56-amd64\n"
		 "%s/usr/src/at-line-start\n"
		 "QUOTED = \"%s/usr/src/q\" '%s/usr/src/s'\n"
		 "NOT = foo/usr/src/ bar/usr/src/x\n"
		 "NOR = /usr/srcx /usr/lib/x\n",
		 r, r, r, r, r);
	assert_string_equal(got, want);
	free(got);
}

static void test_rewrite_idempotent_and_mtime(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	struct timespec times[2] = {{1600000000, 0}, {1600000000, 123456789}};
	char path[PATH_MAX], *once, *twice;
	struct stat st;
	size_t n = 0;

	pbt_write_file(
		r, FLAVOR "/Makefile",
		"include /usr/src/linux-headers-6.1.0-56-common/Makefile\n"
		"\t$(MAKE) -C /usr/src/linux-headers-6.1.0-56-common "
		"O=/usr/src/linux-headers-6.1.0-56-amd64\n",
		0);
	snprintf(path, sizeof(path), "%s/" FLAVOR "/Makefile", r);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);

	assert_int_equal(pb_fixup_rewrite_prefix(r, FLAVOR "/Makefile",
						 "/usr/src/", &n, &err),
			 0);
	assert_int_equal(n, 3);
	once = pbt_read_file(r, FLAVOR "/Makefile");
	/* kbuild compares time stamps: the rewrite keeps the file's */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((long long)st.st_mtim.tv_sec, 1600000000LL);
	assert_int_equal(st.st_mtim.tv_nsec, 123456789);
	assert_int_equal(st.st_mode & 07777, 0640);

	assert_int_equal(pb_fixup_rewrite_prefix(r, FLAVOR "/Makefile",
						 "/usr/src/", &n, &err),
			 0);
	assert_int_equal(n, 0);
	twice = pbt_read_file(r, FLAVOR "/Makefile");
	assert_string_equal(once, twice);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((long long)st.st_mtim.tv_sec, 1600000000LL);
	free(once);
	free(twice);

	/* n_changed may be NULL */
	assert_int_equal(pb_fixup_rewrite_prefix(r, FLAVOR "/Makefile",
						 "/usr/src/", NULL, &err),
			 0);
}

/* A workspace under /usr/src: the root's own path starts with the prefix,
 * so after one pass the rewritten references start a word with "/usr/src/"
 * again. A second pass must still leave them alone. (The root is spelled
 * /usr/src/../../tmp/..., so nothing is written outside /tmp.) */
static void test_rewrite_idempotent_root_under_prefix(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	char root[PATH_MAX], *once, *twice;
	struct stat st;
	size_t n = 0;

	if (stat("/usr/src", &st) < 0 || !S_ISDIR(st.st_mode))
		skip();
	snprintf(root, sizeof(root), "/usr/src/../..%s", f->root);
	pbt_write_file(
		f->root, FLAVOR "/Makefile",
		"include /usr/src/linux-headers-6.1.0-56-common/Makefile\n", 0);
	assert_int_equal(pb_fixup_rewrite_prefix(root, FLAVOR "/Makefile",
						 "/usr/src/", &n, &err),
			 0);
	assert_int_equal(n, 1);
	once = pbt_read_file(f->root, FLAVOR "/Makefile");
	assert_int_equal(pb_fixup_rewrite_prefix(root, FLAVOR "/Makefile",
						 "/usr/src/", &n, &err),
			 0);
	twice = pbt_read_file(f->root, FLAVOR "/Makefile");
	if (strcmp(once, twice) != 0)
		fail_msg(
			"second pass changed %zu reference(s):\n%s\nbecame\n%s",
			n, once, twice);
	assert_int_equal(n, 0);
	free(once);
	free(twice);
}

static void test_rewrite_missing(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	size_t n = 7;

	assert_int_equal(pb_fixup_rewrite_prefix(f->root, FLAVOR "/Makefile",
						 "/usr/src/", &n, &err),
			 -ENOENT);
	assert_int_equal(err.code, -ENOENT);
	assert_int_equal(n, 0);
}

static void test_root_exists(void **state)
{
	struct fx *f = *state;
	const char *r = f->root;

	pbt_mkdirs(r, COMMON);
	pbt_write_file(r, "boot/config-6.1.0-56-amd64", "CONFIG_X=y\n", 0);
	pbt_symlink(r, "usr/src/link", "linux-headers-6.1.0-56-common");
	pbt_symlink(r, "usr/src/dangling", "nowhere");
	assert_int_equal(pb_root_exists(r, "boot/config-6.1.0-56-amd64"), 1);
	assert_int_equal(pb_root_exists(r, "usr/src/link"), 1);
	assert_int_equal(pb_root_exists(r, "boot/config-6.1.0-57-amd64"), 0);
	assert_int_equal(pb_root_exists(r, "usr/src/dangling"), 0);
}

/* ------------------------------------------ physical, beneath the root */

/* The escape of issue 7: under a tree root, a directory link pointing at
 * the root itself, deep enough that a link climbing above the root
 * through it is "inside" when read lexically. up: how many ".." from the
 * root reach f->tmp, where the outside lives. */
#define DEEP "usr/src/d1/d2/d3/d4"
static const char *const up1 = "../"; /* root is tmp/root */

static void make_root_link(const char *r)
{
	/* usr/src/d1/d2/d3/d4/r -> the root (6 levels up) */
	pbt_mkdirs(r, DEEP);
	pbt_symlink(r, DEEP "/r", "../../../../../..");
}

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	return fd;
}

static void expect_outside_intact(struct fx *f)
{
	char *v = pbt_read_file(f->tmp, "outside/victim");

	assert_string_equal(v, "victim\n");
	free(v);
}

static void make_outside(struct fx *f)
{
	pbt_write_file(f->tmp, "outside/victim", "victim\n", 0);
	pbt_write_file(f->tmp, "outside/Makefile",
		       "include /usr/src/outside/Makefile\n", 0);
}

static void test_open_beneath(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	char target[256];
	int rootfd, fd;

	make_outside(f);
	make_root_link(r);
	pbt_mkdirs(r, FLAVOR);
	pbt_write_file(r, COMMON "/Makefile", "VERSION = 6\n", 0);
	/* lexically FLAVOR/../d1/d2/d3/d4/r/../../../../outside/victim is
	 * usr/outside/victim; physically r is the root and the ".." climb
	 * out of it */
	snprintf(target, sizeof(target), "../d1/d2/d3/d4/r/%soutside/victim",
		 up1);
	pbt_symlink(r, FLAVOR "/Makefile.pb-tmp", target);
	pbt_symlink(r, FLAVOR "/abs", "/etc/passwd");
	pbt_symlink(r, FLAVOR "/in", "../linux-headers-6.1.0-56-common");
	rootfd = open_dir(r);

	fd = pb_open_beneath(rootfd, FLAVOR "/Makefile.pb-tmp",
			     O_WRONLY | O_CREAT | O_TRUNC, 0644, &err);
	assert_int_equal(fd, -EXDEV);
	assert_non_null(strstr(err.msg, "leads outside the root"));
	assert_int_equal(
		pb_open_beneath(rootfd, FLAVOR "/abs", O_RDONLY, 0, &err),
		-EXDEV);
	assert_int_equal(
		pb_open_beneath(rootfd, "../outside/victim", O_RDONLY, 0, &err),
		-EXDEV);
	/* a link that stays inside is followed */
	fd = pb_open_beneath(rootfd, FLAVOR "/in/Makefile", O_RDONLY, 0, &err);
	assert_true(fd >= 0);
	close(fd);

	/* without openat2: every component O_NOFOLLOW, no link at all */
	assert_true(pb_open_beneath_walk(rootfd, FLAVOR "/Makefile.pb-tmp",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644,
					 &err) < 0);
	assert_true(pb_open_beneath_walk(rootfd, FLAVOR "/in/Makefile",
					 O_RDONLY, 0, &err) < 0);
	assert_true(pb_open_beneath_walk(rootfd, DEEP "/r/../outside/victim",
					 O_RDONLY, 0, &err) < 0);
	assert_int_equal(
		pb_open_beneath_walk(rootfd, "a/../../x", O_RDONLY, 0, &err),
		-EXDEV);
	assert_int_equal(
		pb_open_beneath_walk(rootfd, "/etc/passwd", O_RDONLY, 0, &err),
		-EXDEV);
	fd = pb_open_beneath_walk(rootfd, COMMON "/Makefile", O_RDONLY, 0,
				  &err);
	assert_true(fd >= 0);
	close(fd);
	fd = pb_open_beneath_walk(rootfd, FLAVOR "/new", O_WRONLY | O_CREAT,
				  0644, &err);
	assert_true(fd >= 0);
	close(fd);
	close(rootfd);
	expect_outside_intact(f);
}

static void test_physical_links(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	char target[256], path[PATH_MAX], got[PATH_MAX], want[PATH_MAX];

	make_outside(f);
	make_root_link(r);
	pbt_mkdirs(r, FLAVOR);
	pbt_mkdirs(r, COMMON);
	snprintf(target, sizeof(target), "../d1/d2/d3/d4/r/%soutside/victim",
		 up1);
	pbt_symlink(r, FLAVOR "/Makefile.pb-tmp", target);
	/* a whole directory that way */
	snprintf(target, sizeof(target), "d1/d2/d3/d4/r/%soutside", up1);
	pbt_symlink(r, "usr/src/outdir", target);
	/* through the root link and back down: inside, untouched */
	pbt_symlink(r, FLAVOR "/common", "../d1/d2/d3/d4/r/" COMMON);

	assert_int_equal(pb_fixup_absolute_symlinks(r, &err), 0);

	/* where a host with the root as "/" lands: ".." stops at the top */
	assert_string_equal(link_of(r, FLAVOR "/Makefile.pb-tmp"),
			    "../../../outside/victim");
	assert_string_equal(link_of(r, "usr/src/outdir"), "../../outside");
	assert_string_equal(link_of(r, FLAVOR "/common"),
			    "../d1/d2/d3/d4/r/" COMMON);
	expect_resolves(r, FLAVOR "/common", COMMON);
	/* and nothing resolves outside any more */
	pbt_path(path, sizeof(path), r, "usr/src/outdir");
	assert_null(realpath(path, got)); /* dangling, inside */
	pbt_mkdirs(r, "outside");
	assert_non_null(realpath(path, got));
	snprintf(path, sizeof(path), "%s/outside", r);
	assert_non_null(realpath(path, want));
	assert_string_equal(got, want);
	expect_outside_intact(f);
}

/* The Debian fixup with the temporary name shipped as a link leaving the
 * root physically: even without the symlink fixup first, nothing is
 * written through it. */
static void test_rewrite_tmp_link_escape(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	char target[256], *got;
	size_t n = 0;

	make_outside(f);
	make_root_link(r);
	pbt_write_file(r, FLAVOR "/Makefile",
		       "include /usr/src/linux-headers-6.1.0-56-common/"
		       "Makefile\n",
		       0);
	snprintf(target, sizeof(target), "../d1/d2/d3/d4/r/%soutside/victim",
		 up1);
	pbt_symlink(r, FLAVOR "/Makefile.pb-tmp", target);
	assert_int_equal(pb_fixup_rewrite_prefix(r, FLAVOR "/Makefile",
						 "/usr/src/", &n, &err),
			 0);
	assert_int_equal(n, 1);
	expect_outside_intact(f);
	got = pbt_read_file(r, FLAVOR "/Makefile");
	assert_non_null(strstr(got, r));
	free(got);
}

/* The kernel dir (or the Makefile) itself a link leaving the root
 * physically: refused, the outside Makefile untouched. */
static void test_rewrite_dir_escape(void **state)
{
	struct fx *f = *state;
	struct pb_err err = {0};
	const char *r = f->root;
	char target[256], *got;

	make_outside(f);
	make_root_link(r);
	snprintf(target, sizeof(target), "d1/d2/d3/d4/r/%soutside", up1);
	pbt_symlink(r, FLAVOR, target);
	assert_int_equal(pb_fixup_rewrite_prefix(r, FLAVOR "/Makefile",
						 "/usr/src/", NULL, &err),
			 -EXDEV);
	snprintf(target, sizeof(target), "../d1/d2/d3/d4/r/%soutside/Makefile",
		 up1);
	pbt_symlink(r, "usr/src/x/Makefile", target);
	assert_int_equal(pb_fixup_rewrite_prefix(r, "usr/src/x/Makefile",
						 "/usr/src/", NULL, &err),
			 -EXDEV);
	got = pbt_read_file(f->tmp, "outside/Makefile");
	assert_string_equal(got, "include /usr/src/outside/Makefile\n");
	free(got);
	assert_int_equal(pb_root_exists(r, FLAVOR "/Makefile"), 0);
	assert_int_equal(pb_root_exists(r, "usr/src/x/Makefile"), 0);
	expect_outside_intact(f);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, pbt_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_absolute_links),
		FX(test_relative_links),
		FX(test_link_to_slash),
		FX(test_dangling_and_idempotent),
		FX(test_rewrite_include),
		FX(test_rewrite_words),
		FX(test_rewrite_idempotent_and_mtime),
		FX(test_rewrite_idempotent_root_under_prefix),
		FX(test_rewrite_missing),
		FX(test_root_exists),
		FX(test_open_beneath),
		FX(test_physical_links),
		FX(test_rewrite_tmp_link_escape),
		FX(test_rewrite_dir_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Builder environment definitions (plugin/toolchain_defs.c): the
 * "gcc-14.2" words, one *.toolchain file, a search path of them, and the
 * files shipped in $PB_TOP_SRCDIR/toolchains. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/datafile.h"
#include "plugin/toolchain_defs.h"
#include "probe-builder/log.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

/* A definition with every required key; tests drop or replace lines. */
#define REQ_NAME "name = t-gcc-14\n"
#define REQ_MAKER "maker = mmdebstrap\n"
#define REQ_SUITE "suite = trixie\n"
#define REQ_MIRROR "mirror = http://deb.example.org/debian\n"
#define REQ_PACKAGES "packages = make gcc-14 libc6-dev\n"
#define REQ_PROVIDES "provides = gcc-14.2\n"

/* Warnings go to a file as well while captured, so that they can be
 * checked (pb_log_set_file gets every level). */
static FILE *capture_start(void)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	pb_log_set_file(f);
	return f;
}

/* What was logged (free it). */
static char *capture_end(FILE *f)
{
	long n;
	char *text;

	pb_log_set_file(NULL);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	fputs(text, stderr);
	return text;
}

/* One warning line of log has both a and b. */
static int has_warning(const char *log, const char *a, const char *b)
{
	const char *line = log;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char *l = strndup(line, n);
		int ok;

		assert_non_null(l);
		ok = strncmp(l, "[warning] ", 10) == 0 && strstr(l, a) &&
		     strstr(l, b);
		free(l);
		if (ok)
			return 1;
		line = end ? end + 1 : NULL;
	}
	return 0;
}

static void expect_msg(const char *msg, const char *part)
{
	if (!strstr(msg, part))
		fail_msg("'%s' not in the message: %s", part, msg);
}

/* Reads dir/file written with text; returns what pb_tc_def_read did. */
static int read_text(const char *dir, const char *file, const char *text,
		     struct pb_tc_def *d, struct pb_err *err, char *path,
		     size_t len)
{
	pbt_write_file(dir, file, text, 0);
	pbt_path(path, len, dir, file);
	return pb_tc_def_read(path, d, err);
}

/* A definition that must be refused with a message naming the file and
 * having each of parts (NULL-terminated). */
static void expect_refused(const char *dir, const char *text, ...)
{
	struct pb_err err = {0};
	struct pb_tc_def d;
	char path[PATH_MAX];
	const char *part;
	va_list ap;

	assert_int_equal(read_text(dir, "bad.toolchain", text, &d, &err, path,
				   sizeof(path)),
			 -EINVAL);
	expect_msg(err.msg, path);
	va_start(ap, text);
	while ((part = va_arg(ap, const char *)) != NULL)
		expect_msg(err.msg, part);
	va_end(ap);
	/* nothing is left to free */
	assert_null(d.name);
	assert_null(d.source);
	assert_null(d.provides);
}

static void expect_provide(const struct pb_tc_provide *p, const char *family,
			   int major, int minor)
{
	assert_non_null(p);
	assert_string_equal(p->family, family);
	assert_int_equal(p->major, major);
	assert_int_equal(p->minor, minor);
}

/* ----------------------------------------------------- provide words */

static void test_provide_parse(void **state)
{
	static const struct {
		const char *word, *family;
		int major, minor;
	} good[] = {
		{"gcc-14.2", "gcc", 14, 2},	{"clang-19", "clang", 19, -1},
		{"gcc-14", "gcc", 14, -1},	{"gcc-9.4", "gcc", 9, 4},
		{"clang-18.1", "clang", 18, 1}, {"gcc-10.0", "gcc", 10, 0},
	};
	static const char *const bad[] = {
		"gcc",
		"gcc-",
		"gcc-x",
		"foo-12",
		"gcc-14.2.1",
		"gcc-14.",
		"gcc-0",
		"gcc--1",
		"gcc-14x",
		"-14",
		"",
		"gcc-14 ",
		" gcc-14",
		"GCC-14",
		"clang19",
		"gcc- 14",
		"gcc-+14",
		"gcc-14.+2",
		"gcc-14.-0",
		"gcc-14. 2",
		"x-gcc-14",
		"gcc-1001",
		"gcc-14.99999999999999999999",
		"toolongfamily-14",
	};
	struct pb_tc_provide p;
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(good); i++) {
		if (pb_tc_provide_parse(good[i].word, &p) != 0)
			fail_msg("'%s' refused", good[i].word);
		expect_provide(&p, good[i].family, good[i].major,
			       good[i].minor);
	}
	for (i = 0; i < PBT_N_OF(bad); i++)
		if (pb_tc_provide_parse(bad[i], &p) != -EINVAL)
			fail_msg("'%s' taken as %s-%d.%d", bad[i], p.family,
				 p.major, p.minor);
}

/* ------------------------------------------------------- one file */

static void test_def_read_full(void **state)
{
	const char *dir = pbt_tmpdir("tcdefs");
	struct pb_err err = {0};
	struct pb_tc_def d;
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(
		read_text(dir, "full.toolchain",
			  "# a comment, then a blank line\n"
			  "\n"
			  "name = ubuntu-noble-gcc-14\n"
			  "description = Ubuntu 24.04 with gcc-14 = new\n"
			  "  maker\t=  mmdebstrap  \n"
			  "suite = noble\n"
			  "mirror = http://archive.ubuntu.com/ubuntu\n"
			  "host_suites = noble noble-security\n"
			  "updates = noble-updates noble-security\n"
			  "components = main universe\n"
			  "keyring = /usr/share/keyrings/ubuntu.gpg\n"
			  "variant = buildd\n"
			  "packages = make gcc-14 clang-19 libc6-dev\n"
			  "provides = gcc-14.2, clang-19 \t gcc-13.3\n"
			  "glibc = 2.39\n"
			  "distro = ubuntu\n"
			  "series = noble\n"
			  "releases = *-generic *-lowlatency\n"
			  "name = ignored-second-name\n",
			  &d, &err, path, sizeof(path)),
		0);
	assert_string_equal(d.name, "ubuntu-noble-gcc-14");
	assert_string_equal(d.source, path);
	/* only the first '=' splits */
	assert_string_equal(d.description, "Ubuntu 24.04 with gcc-14 = new");
	assert_string_equal(d.maker, "mmdebstrap");
	assert_string_equal(d.suite, "noble");
	assert_string_equal(d.mirror, "http://archive.ubuntu.com/ubuntu");
	assert_string_equal(d.host_suites, "noble noble-security");
	assert_string_equal(d.updates, "noble-updates noble-security");
	assert_string_equal(d.components, "main universe");
	assert_string_equal(d.keyring, "/usr/share/keyrings/ubuntu.gpg");
	assert_string_equal(d.variant, "buildd");
	assert_string_equal(d.packages, "make gcc-14 clang-19 libc6-dev");
	assert_string_equal(d.distro, "ubuntu");
	assert_string_equal(d.series, "noble");
	assert_string_equal(d.releases, "*-generic *-lowlatency");
	assert_int_equal(d.glibc_major, 2);
	assert_int_equal(d.glibc_minor, 39);
	assert_int_equal(d.n_provides, 3);
	expect_provide(&d.provides[0], "gcc", 14, 2);
	expect_provide(&d.provides[1], "clang", 19, -1);
	expect_provide(&d.provides[2], "gcc", 13, 3);
	pb_tc_def_free(&d);
	assert_null(d.name);
	assert_int_equal(d.n_provides, 0);
}

static void test_def_read_defaults(void **state)
{
	const char *dir = pbt_tmpdir("tcdefs");
	struct pb_err err = {0};
	struct pb_tc_def d;
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(read_text(dir, "min.toolchain",
				   REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR
					   REQ_PACKAGES REQ_PROVIDES,
				   &d, &err, path, sizeof(path)),
			 0);
	assert_string_equal(d.name, "t-gcc-14");
	assert_string_equal(d.components, "main");
	assert_string_equal(d.variant, "apt");
	assert_string_equal(d.host_suites, "trixie");
	assert_string_equal(d.updates, "");
	assert_null(d.keyring);
	assert_string_equal(d.description, "");
	assert_string_equal(d.distro, "");
	assert_string_equal(d.series, "");
	assert_string_equal(d.releases, "");
	assert_int_equal(d.glibc_major, 0);
	assert_int_equal(d.glibc_minor, 0);
	assert_int_equal(d.n_provides, 1);
	expect_provide(&d.provides[0], "gcc", 14, 2);
	pb_tc_def_free(&d);

	/* an empty optional value is its default too */
	assert_int_equal(read_text(dir, "empty.toolchain",
				   REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR
					   REQ_PACKAGES REQ_PROVIDES
				   "components =\nvariant = \n",
				   &d, &err, path, sizeof(path)),
			 0);
	assert_string_equal(d.components, "main");
	assert_string_equal(d.variant, "apt");
	pb_tc_def_free(&d);
}

static void test_def_read_missing_keys(void **state)
{
	static const struct {
		const char *key, *text;
	} cases[] = {
		{"'name'",
		 REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES REQ_PROVIDES},
		{"'maker'",
		 REQ_NAME REQ_SUITE REQ_MIRROR REQ_PACKAGES REQ_PROVIDES},
		{"'suite'",
		 REQ_NAME REQ_MAKER REQ_MIRROR REQ_PACKAGES REQ_PROVIDES},
		{"'mirror'",
		 REQ_NAME REQ_MAKER REQ_SUITE REQ_PACKAGES REQ_PROVIDES},
		{"'packages'",
		 REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PROVIDES},
		{"'provides'",
		 REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES},
		/* there but empty is the same */
		{"'name'", "name =\n" REQ_MAKER REQ_SUITE REQ_MIRROR
				   REQ_PACKAGES REQ_PROVIDES},
		{"'mirror'", REQ_NAME REQ_MAKER REQ_SUITE
		 "mirror =   \n" REQ_PACKAGES REQ_PROVIDES},
	};
	const char *dir = pbt_tmpdir("tcdefs");
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(cases); i++)
		expect_refused(dir, cases[i].text, "no ", cases[i].key, NULL);
}

static void test_def_read_bad_values(void **state)
{
	const char *dir = pbt_tmpdir("tcdefs");

	(void)state;
	expect_refused(dir,
		       REQ_NAME "maker = debootstrap\n" REQ_SUITE REQ_MIRROR
			       REQ_PACKAGES REQ_PROVIDES,
		       "maker 'debootstrap'", "mmdebstrap", NULL);
	expect_refused(dir,
		       REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES
		       "provides = gcc-14.2 foo-3\n",
		       "provides", "'foo-3'", NULL);
	expect_refused(dir,
		       REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES
		       "provides = gcc\n",
		       "provides", "'gcc'", NULL);
	expect_refused(dir,
		       REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES
		       "provides = , ,\n",
		       "'provides' names no compiler", NULL);
	expect_refused(dir,
		       REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES
			       REQ_PROVIDES "glibc = 2\n",
		       "glibc", "'2'", NULL);
	expect_refused(dir,
		       REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES
			       REQ_PROVIDES "glibc = two.41\n",
		       "glibc", "'two.41'", NULL);
	expect_refused(dir,
		       REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES
			       REQ_PROVIDES "glibc = 0.9\n",
		       "glibc", "'0.9'", NULL);
}

static void test_def_read_not_kv(void **state)
{
	const char *dir = pbt_tmpdir("tcdefs");
	struct pb_err err = {0};
	struct pb_tc_def d;
	char path[PATH_MAX], where[PATH_MAX + 8];

	(void)state;
	assert_int_equal(read_text(dir, "line.toolchain",
				   "# fine\n" REQ_NAME "\n"
				   "just some words\n" REQ_MAKER,
				   &d, &err, path, sizeof(path)),
			 -EINVAL);
	snprintf(where, sizeof(where), "%s:4:", path);
	expect_msg(err.msg, where);
	expect_msg(err.msg, "not a 'key = value' line");
	assert_null(d.name);

	/* a file that is not there: its errno, named */
	pbt_path(path, sizeof(path), dir, "none.toolchain");
	assert_int_equal(pb_tc_def_read(path, &d, &err), -ENOENT);
	expect_msg(err.msg, path);
}

/* --------------------------------------------------- a search path */

#define DEF(name, desc)                        \
	"name = " name "\ndescription = " desc \
	"\n" REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES REQ_PROVIDES

static void test_defs_load(void **state)
{
	const char *d1 = pbt_tmpdir("tcdefs"), *d2 = pbt_tmpdir("tcdefs");
	const char *dirs[] = {d1, "/nonexistent/pb-test", d2};
	struct pb_err err = {0};
	struct pb_tc_defs s;
	char dup[PATH_MAX], broken[PATH_MAX], *log;
	FILE *cap;

	(void)state;
	/* d1 in name order: a (one), b (two), broken; others not read */
	pbt_write_file(d1, "b.toolchain", DEF("two", "from d1"), 0);
	pbt_write_file(d1, "a.toolchain", DEF("one", "from d1"), 0);
	pbt_write_file(d1, "broken.toolchain", REQ_NAME REQ_MAKER, 0);
	pbt_write_file(d1, ".hidden.toolchain", DEF("hidden", "x"), 0);
	pbt_write_file(d1, "c.toolchain.orig", DEF("orig", "x"), 0);
	pbt_write_file(d1, "readme.txt", "not a definition\n", 0);
	/* d2: y (three), z (one again: the first one stays) */
	pbt_write_file(d2, "z.toolchain", DEF("one", "from d2"), 0);
	pbt_write_file(d2, "y.toolchain", DEF("three", "from d2"), 0);
	pbt_path(dup, sizeof(dup), d2, "z.toolchain");
	pbt_path(broken, sizeof(broken), d1, "broken.toolchain");

	cap = capture_start();
	assert_int_equal(pb_tc_defs_load(&s, dirs, PBT_N_OF(dirs), &err), 0);
	log = capture_end(cap);

	assert_int_equal(s.n, 3);
	assert_string_equal(s.defs[0].name, "one");
	assert_string_equal(s.defs[0].description, "from d1");
	assert_string_equal(s.defs[1].name, "two");
	assert_string_equal(s.defs[2].name, "three");
	assert_ptr_equal(pb_tc_defs_find(&s, "three"), &s.defs[2]);
	assert_ptr_equal(pb_tc_defs_find(&s, "one"), &s.defs[0]);
	assert_null(pb_tc_defs_find(&s, "hidden"));
	assert_null(pb_tc_defs_find(&s, "orig"));
	assert_null(pb_tc_defs_find(&s, "t-gcc-14"));
	assert_null(pb_tc_defs_find(&s, ""));
	if (!has_warning(log, dup, "'one' is already defined"))
		fail_msg("no warning about %s in:\n%s", dup, log);
	if (!has_warning(log, broken, "skipped"))
		fail_msg("no warning about %s in:\n%s", broken, log);
	free(log);
	pb_tc_defs_free(&s);
	assert_int_equal(s.n, 0);
	assert_null(s.defs);

	/* nothing anywhere is not an error */
	assert_int_equal(pb_tc_defs_load(&s, dirs, 0, &err), 0);
	assert_int_equal(s.n, 0);
	pb_tc_defs_free(&s);
}

static void test_def_provides(void **state)
{
	const char *dir = pbt_tmpdir("tcdefs");
	struct pb_err err = {0};
	struct pb_tc_def d;
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(
		read_text(dir, "p.toolchain",
			  REQ_NAME REQ_MAKER REQ_SUITE REQ_MIRROR REQ_PACKAGES
			  "provides = gcc-14.2 clang-19 gcc-13\n",
			  &d, &err, path, sizeof(path)),
		0);
	expect_provide(pb_tc_def_provides(&d, "gcc", 14), "gcc", 14, 2);
	expect_provide(pb_tc_def_provides(&d, "gcc", 13), "gcc", 13, -1);
	expect_provide(pb_tc_def_provides(&d, "clang", 19), "clang", 19, -1);
	assert_null(pb_tc_def_provides(&d, "gcc", 19));
	assert_null(pb_tc_def_provides(&d, "clang", 14));
	assert_null(pb_tc_def_provides(&d, "gcc", 12));
	assert_null(pb_tc_def_provides(&d, "icc", 14));
	pb_tc_def_free(&d);
}

/* ------------------------------------------------ the shipped files */

static const struct pb_tc_def *shipped_with(const struct pb_tc_defs *s,
					    const char *series, int major)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->defs[i].distro, "debian") == 0 &&
		    strcmp(s->defs[i].series, series) == 0 &&
		    pb_tc_def_provides(&s->defs[i], "gcc", major))
			return &s->defs[i];
	return NULL;
}

static void test_shipped(void **state)
{
	const char *top = getenv("PB_TOP_SRCDIR");
	char dir[PATH_MAX], **names, *log;
	const char *dirs[1] = {dir};
	const struct pb_tc_def *d;
	struct pb_err err = {0};
	struct pb_tc_defs s;
	size_t i, n;
	int major;
	FILE *cap;

	(void)state;
	if (!top)
		top = PBT_TOP_SRCDIR;
	pbt_path(dir, sizeof(dir), top, "toolchains");
	assert_int_equal(pb_datafile_list(dir, ".toolchain", &names, &n, &err),
			 0);
	if (n == 0)
		fail_msg("no *.toolchain in %s", dir);

	cap = capture_start();
	assert_int_equal(pb_tc_defs_load(&s, dirs, 1, &err), 0);
	log = capture_end(cap);
	/* every file loads: none skipped, none a duplicate */
	if (s.n != n || *log)
		fail_msg("%zu of %zu files in %s loaded:\n%s", s.n, n, dir,
			 log);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];

		pbt_path(path, sizeof(path), dir, names[i]);
		assert_string_equal(s.defs[i].source, path);
		assert_true(s.defs[i].n_provides > 0);
	}
	for (major = 9; major <= 14; major++) {
		for (i = 0; i < s.n; i++)
			if (pb_tc_def_provides(&s.defs[i], "gcc", major))
				break;
		if (i == s.n)
			fail_msg("no shipped definition provides gcc-%d",
				 major);
	}
	d = shipped_with(&s, "bullseye", 10);
	if (!d)
		fail_msg("no Debian bullseye definition providing gcc-10");
	d = shipped_with(&s, "trixie", 14);
	if (!d)
		fail_msg("no Debian trixie definition providing gcc-14");
	assert_string_equal(d->mirror, "host");
	assert_string_equal(d->suite, "trixie");
	free(log);
	pb_datafile_list_free(names, n);
	pb_tc_defs_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provide_parse),
		cmocka_unit_test_teardown(test_def_read_full, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_def_read_defaults,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_def_read_missing_keys,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_def_read_bad_values,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_def_read_not_kv, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_defs_load, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_def_provides, pbt_rm_tmpdirs),
		cmocka_unit_test(test_shipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

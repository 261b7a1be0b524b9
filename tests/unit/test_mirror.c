/* Mirrors and repositories: mirror spec lines (the three kinds, their
 * defaults and errors), their expansion into repositories for one machine
 * ($version/$arch/$basearch, archs=, --distro-filter, --mirror roots,
 * duplicates), the host's apt sources (one-line and deb822 files written
 * here, and this machine's real /etc/apt) and the string arrays. */
#include "config.h"

#include <dirent.h>
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

#include "crawl/mirror.h"
#include "plugin/registry.h"
#include "testutil.h"
#include "util/fs.h"

/* ------------------------------------------------------------ helpers */

/* v holds exactly the strings of want (NULL-terminated), in that order */
static void assert_strv(char *const *v, const char *const *want)
{
	size_t i;

	assert_non_null(v);
	for (i = 0; want[i]; i++) {
		assert_non_null(v[i]);
		assert_string_equal(v[i], want[i]);
	}
	assert_null(v[i]);
	assert_int_equal(pb_strv_len(v), i);
}

#define STRV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define STRV_EMPTY ((const char *const[]){NULL})

static void parse_ok(const char *line, struct pb_mirror_spec *s)
{
	struct pb_err err = {0};
	int ret = pb_mirror_spec_parse(line, s, &err);

	if (ret)
		fail_msg("'%s': %d %s", line, ret, err.msg);
}

/* line is refused with -EINVAL and a message naming it and holding what */
static void parse_bad(const char *line, const char *what)
{
	struct pb_mirror_spec s;
	struct pb_err err = {0};

	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(pb_mirror_spec_parse(line, &s, &err), -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	if (!strstr(err.msg, line))
		fail_msg("'%s': the message does not name the line: %s", line,
			 err.msg);
	if (!strstr(err.msg, what))
		fail_msg("'%s': the message does not say '%s': %s", line, what,
			 err.msg);
	/* nothing left to free */
	assert_int_equal(s.kind, 0);
	assert_null(s.root);
	assert_null(s.suites);
	assert_null(s.components);
	assert_null(s.archs);
	assert_null(s.versions);
	assert_null(s.paths);
	assert_null(s.keyrings);
	pb_mirror_spec_free(&s);
}

/* The repositories of the spec lines for arch, filter and roots. */
static void expand(const char *const *lines, const char *arch,
		   const char *filter, const char *const *roots, size_t n_roots,
		   struct pb_repo **repos, size_t *n)
{
	struct pb_mirror_spec specs[8] = {0};
	struct pb_err err = {0};
	size_t n_specs, i;
	int ret;

	for (n_specs = 0; lines[n_specs]; n_specs++) {
		assert_true(n_specs < PBT_N_OF(specs));
		parse_ok(lines[n_specs], &specs[n_specs]);
	}
	ret = pb_repos_expand(specs, n_specs, arch, filter, roots, n_roots,
			      repos, n, &err);
	for (i = 0; i < n_specs; i++)
		pb_mirror_spec_free(&specs[i]);
	if (ret)
		fail_msg("expand: %d %s", ret, err.msg);
}

static void assert_repo(const struct pb_repo *r, enum pb_repo_kind kind,
			const char *mirror, const char *url, const char *suite,
			const char *label)
{
	assert_int_equal(r->kind, kind);
	assert_string_equal(r->mirror, mirror);
	assert_string_equal(r->url, url);
	if (suite)
		assert_string_equal(r->suite, suite);
	else
		assert_null(r->suite);
	assert_string_equal(r->label, label);
	assert_non_null(r->components);
	assert_non_null(r->keyrings);
}

/* The suites of the real Debian plugin ($PB_BUILD_PLUGINDIR), as the
 * crawler passes them: the registry stays loaded for the whole run. */
static const char *const *debian_suites(void)
{
	static struct pb_registry reg;
	static const struct pb_plugin *debian;
	const char *dirs[1] = {getenv("PB_BUILD_PLUGINDIR")};
	struct pb_registry_opts opts = {0};
	const struct pb_distro *d;
	struct pb_err err = {0};

	if (debian)
		return debian->host_apt_suites;
	if (!dirs[0])
		fail_msg("PB_BUILD_PLUGINDIR must be set (run through make "
			 "check)");
	opts.sz = sizeof(opts);
	opts.plugin_dirs = dirs;
	opts.n_plugin_dirs = 1;
	if (pb_registry_load(&reg, &opts, &err))
		fail_msg("pb_registry_load: %s", err.msg);
	d = pb_registry_find(&reg, "debian");
	if (!d || !PB_PLUGIN_HAS(d->builder->plugin, host_apt_suites))
		fail_msg("no Debian plugin with host_apt_suites");
	debian = d->builder->plugin;
	return debian->host_apt_suites;
}

/* the host specs of etc_apt */
static void host_specs(const char *etc_apt, struct pb_mirror_spec **specs,
		       size_t *n)
{
	struct pb_err err = {0};
	int ret = pb_apt_host_specs(etc_apt, debian_suites(), specs, n, &err);

	if (ret)
		fail_msg("%s: %d %s", etc_apt, ret, err.msg);
}

static void free_specs(struct pb_mirror_spec *specs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pb_mirror_spec_free(&specs[i]);
	free(specs);
}

/* The roots of specs are want (separated by spaces); when they are not,
 * specs are freed before the test fails. */
static void assert_roots(struct pb_mirror_spec *specs, size_t n,
			 const char *want)
{
	char got[1024];
	size_t i, o = 0;

	got[0] = '\0';
	for (i = 0; i < n && o < sizeof(got); i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
				      i ? " " : "", specs[i].root);
	if (strcmp(got, want)) {
		free_specs(specs, n);
		fail_msg("roots \"%s\", want \"%s\"", got, want);
	}
}

static int strv_has(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* ------------------------------------------------------ string arrays */

static void test_strv(void **state)
{
	char **v;
	size_t i;

	(void)state;
	v = pb_strv_split("a,b,,c", ",", NULL);
	assert_strv(v, STRV("a", "b", "c"));
	pb_strv_free(v);

	/* separators at both ends, several of them */
	v = pb_strv_split(" \t x  y\tz \t", " \t", NULL);
	assert_strv(v, STRV("x", "y", "z"));
	pb_strv_free(v);

	/* nothing: an empty array, not NULL */
	v = pb_strv_split("", ",", NULL);
	assert_strv(v, STRV_EMPTY);
	pb_strv_free(v);
	v = pb_strv_split(",,,", ",", NULL);
	assert_strv(v, STRV_EMPTY);
	pb_strv_free(v);
	v = pb_strv_split(NULL, ",", NULL);
	assert_strv(v, STRV_EMPTY);
	pb_strv_free(v);

	/* no separator in it: the whole string */
	v = pb_strv_split("bookworm-security", ",", NULL);
	assert_strv(v, STRV("bookworm-security"));
	pb_strv_free(v);

	/* past the first growth (4, 8, 16) */
	v = pb_strv_split("0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19",
			  " ", NULL);
	assert_int_equal(pb_strv_len(v), 20);
	for (i = 0; i < 20; i++) {
		char want[8];

		snprintf(want, sizeof(want), "%zu", i);
		assert_string_equal(v[i], want);
	}
	assert_null(v[20]);
	pb_strv_free(v);

	/* exactly 4 and 5: the edges of the first array */
	v = pb_strv_split("a b c d", " ", NULL);
	assert_strv(v, STRV("a", "b", "c", "d"));
	pb_strv_free(v);
	v = pb_strv_split("a b c d e", " ", NULL);
	assert_strv(v, STRV("a", "b", "c", "d", "e"));
	pb_strv_free(v);

	assert_int_equal(pb_strv_len(NULL), 0);
	assert_int_equal(pb_strv_len_const(STRV("a", "b")), 2);
	assert_int_equal(pb_strv_len_const(STRV_EMPTY), 0);
	pb_strv_free(NULL);
}

/* ------------------------------------------------------------ parsing */

static void test_parse_apt(void **state)
{
	struct pb_mirror_spec s;

	(void)state;
	parse_ok("apt http://archive.ubuntu.com/ubuntu suites=jammy,"
		 "jammy-updates,jammy-security components=main,universe "
		 "archs=x86_64,i686 "
		 "keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg",
		 &s);
	assert_int_equal(s.kind, PB_SPEC_APT);
	/* the '/' is added */
	assert_string_equal(s.root, "http://archive.ubuntu.com/ubuntu/");
	assert_strv(s.suites, STRV("jammy", "jammy-updates", "jammy-security"));
	assert_strv(s.components, STRV("main", "universe"));
	assert_strv(s.archs, STRV("x86_64", "i686"));
	assert_strv(s.keyrings,
		    STRV("/usr/share/keyrings/ubuntu-archive-keyring.gpg"));
	assert_null(s.versions);
	assert_null(s.paths);
	pb_mirror_spec_free(&s);
	/* freed and zeroed: a second free is harmless */
	assert_null(s.root);
	pb_mirror_spec_free(&s);

	/* components default to main; the '/' is not doubled; tabs and
	 * runs of blanks separate */
	parse_ok("  apt\thttps://deb.debian.org/debian/   suites=bookworm\t",
		 &s);
	assert_int_equal(s.kind, PB_SPEC_APT);
	assert_string_equal(s.root, "https://deb.debian.org/debian/");
	assert_strv(s.suites, STRV("bookworm"));
	assert_strv(s.components, STRV("main"));
	assert_null(s.archs);
	assert_null(s.keyrings);
	pb_mirror_spec_free(&s);

	/* a key given twice: the last one */
	parse_ok("apt http://h/ suites=a suites=b,c", &s);
	assert_strv(s.suites, STRV("b", "c"));
	pb_mirror_spec_free(&s);
}

static void test_parse_rpm(void **state)
{
	struct pb_mirror_spec s;

	(void)state;
	parse_ok("rpm https://yum.oracle.com/repo/OracleLinux versions=7 "
		 "paths=OL$version/latest/$arch/,OL$version/UEKR4/$arch/,"
		 "OL$version/UEKR6/$arch/",
		 &s);
	assert_int_equal(s.kind, PB_SPEC_RPM);
	assert_string_equal(s.root, "https://yum.oracle.com/repo/OracleLinux/");
	assert_strv(s.versions, STRV("7"));
	/* kept as written: $-variables are for the expansion */
	assert_strv(s.paths,
		    STRV("OL$version/latest/$arch/", "OL$version/UEKR4/$arch/",
			 "OL$version/UEKR6/$arch/"));
	assert_null(s.suites);
	assert_null(s.components); /* the default is apt's */
	assert_null(s.archs);
	assert_null(s.keyrings);
	pb_mirror_spec_free(&s);

	parse_ok("rpm https://vault.centos.org/ versions=7.9.2009,8.5.2111 "
		 "paths=$version/os/$arch/,$version/updates/$basearch/ "
		 "archs=x86_64,aarch64 keyring=/a.gpg,/b.gpg",
		 &s);
	assert_int_equal(s.kind, PB_SPEC_RPM);
	assert_string_equal(s.root, "https://vault.centos.org/");
	assert_strv(s.versions, STRV("7.9.2009", "8.5.2111"));
	assert_strv(s.paths,
		    STRV("$version/os/$arch/", "$version/updates/$basearch/"));
	assert_strv(s.archs, STRV("x86_64", "aarch64"));
	assert_strv(s.keyrings, STRV("/a.gpg", "/b.gpg"));
	pb_mirror_spec_free(&s);

	/* a repository URL alone (--mirror for an RPM distro) */
	parse_ok("rpm http://mirror.example/centos/7/os/x86_64", &s);
	assert_int_equal(s.kind, PB_SPEC_RPM);
	assert_string_equal(s.root,
			    "http://mirror.example/centos/7/os/x86_64/");
	assert_null(s.versions);
	assert_null(s.paths);
	pb_mirror_spec_free(&s);
}

static void test_parse_mirrorlist(void **state)
{
	struct pb_mirror_spec s;

	(void)state;
	parse_ok("mirrorlist http://amazonlinux.us-east-1.amazonaws.com "
		 "versions=2 paths=2/core/latest/$arch/mirror.list,"
		 "2/extras/kernel-5.10/latest/$arch/mirror.list archs=x86_64",
		 &s);
	assert_int_equal(s.kind, PB_SPEC_MIRRORLIST);
	assert_string_equal(s.root,
			    "http://amazonlinux.us-east-1.amazonaws.com/");
	assert_strv(s.versions, STRV("2"));
	assert_strv(s.paths,
		    STRV("2/core/latest/$arch/mirror.list",
			 "2/extras/kernel-5.10/latest/$arch/mirror.list"));
	assert_strv(s.archs, STRV("x86_64"));
	assert_null(s.suites);
	assert_null(s.components);
	pb_mirror_spec_free(&s);
}

static void test_parse_errors(void **state)
{
	struct pb_err err = {0};
	struct pb_mirror_spec s;

	(void)state;
	parse_bad("yum https://vault.centos.org/ versions=7",
		  "kind 'yum' is not apt, rpm or mirrorlist");
	parse_bad("apt file:///srv/mirror suites=bookworm",
		  "'file:///srv/mirror' is not an http(s) URL");
	parse_bad("rpm ftp://ftp.example/pub/ versions=7",
		  "not an http(s) URL");
	parse_bad("apt httpx://h/ suites=a", "not an http(s) URL");
	parse_bad("apt http://h/ suites=a main", "'main' is not key=value");
	parse_bad("apt http://h/ suites", "'suites' is not key=value");
	parse_bad("apt http://h/ suites=a mirror=x", "unknown key 'mirror'");
	parse_bad("apt http://h/ suites=a =x", "unknown key ''");
	parse_bad("apt http://deb.debian.org/debian components=main",
		  "apt wants suites=");
	/* an empty list is no suite either */
	parse_bad("apt http://deb.debian.org/debian suites=",
		  "apt wants suites=");
	parse_bad("apt http://deb.debian.org/debian suites=,",
		  "apt wants suites=");
	parse_bad("mirrorlist http://h/ versions=2", "mirrorlist wants paths=");
	parse_bad("apt http://h/", "apt wants suites=");
	parse_bad("apt", "want KIND URL");
	parse_bad("   ", "want KIND URL");

	/* an error after lists were read: they are freed (valgrind) */
	parse_bad("rpm http://h/ versions=1,2 paths=a/,b/ archs=x86_64 oops",
		  "'oops' is not key=value");

	/* NULL err is allowed */
	assert_int_equal(pb_mirror_spec_parse("apt", &s, NULL), -EINVAL);
	assert_int_equal(pb_mirror_spec_parse("x http://h/", &s, &err),
			 -EINVAL);
}

/* --------------------------------------------------------- expansion */

/* --mirror and --suite make a spec of parts, never a line to parse: a
 * suite is taken whole, whatever it holds. */
static void test_spec_make(void **state)
{
	const char *const suites[] = {"bookworm", "odd suite,with=signs"};
	struct pb_mirror_spec s;
	struct pb_err err = {0};

	(void)state;
	assert_int_equal(pb_mirror_spec_make(&s, PB_SPEC_APT, "http://h/debian",
					     suites, 2, &err),
			 0);
	assert_int_equal(s.kind, PB_SPEC_APT);
	assert_string_equal(s.root, "http://h/debian/");
	assert_strv(s.suites, STRV("bookworm", "odd suite,with=signs"));
	assert_strv(s.components, STRV("main"));
	assert_null(s.keyrings);
	pb_mirror_spec_free(&s);
	assert_int_equal(pb_mirror_spec_make(&s, PB_SPEC_RPM, "https://h/r/",
					     NULL, 0, &err),
			 0);
	assert_int_equal(s.kind, PB_SPEC_RPM);
	assert_string_equal(s.root, "https://h/r/");
	assert_null(s.suites);
	pb_mirror_spec_free(&s);
	assert_int_equal(pb_mirror_spec_make(&s, PB_SPEC_RPM, "file:///srv",
					     NULL, 0, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "not an http(s) URL"));
	assert_null(s.root);
	assert_int_equal(pb_mirror_spec_make(&s, PB_SPEC_APT, "http://h/", NULL,
					     0, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "apt wants suites"));
}

static void test_expand_subst(void **state)
{
	struct pb_repo *r;
	size_t n;

	(void)state;
	expand(STRV("rpm https://vault.centos.org/ versions=7.9.2009,8.5.2111 "
		    "paths=$version/os/$arch/"),
	       "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 2);
	assert_repo(&r[0], PB_REPO_RPM, "https://vault.centos.org/",
		    "https://vault.centos.org/7.9.2009/os/x86_64/", NULL,
		    "7.9.2009");
	assert_repo(&r[1], PB_REPO_RPM, "https://vault.centos.org/",
		    "https://vault.centos.org/8.5.2111/os/x86_64/", NULL,
		    "8.5.2111");
	assert_strv(r[0].components, STRV_EMPTY);
	assert_strv(r[0].keyrings, STRV_EMPTY);
	pb_repos_free(r, n);

	/* $basearch, a path without its '/' (added: the URL holds
	 * repodata/), several paths and variables, versions in order */
	expand(STRV("rpm https://yum.oracle.com/repo/OracleLinux/ versions=7,8 "
		    "paths=OL$version/latest/$basearch,"
		    "OL$version/UEKR$version/$arch/$arch/ "
		    "keyring=/k.gpg"),
	       "aarch64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 4);
	assert_repo(
		&r[0], PB_REPO_RPM, "https://yum.oracle.com/repo/OracleLinux/",
		"https://yum.oracle.com/repo/OracleLinux/OL7/latest/aarch64/",
		NULL, "7");
	assert_repo(&r[1], PB_REPO_RPM,
		    "https://yum.oracle.com/repo/OracleLinux/",
		    "https://yum.oracle.com/repo/OracleLinux/OL7/UEKR7/aarch64/"
		    "aarch64/",
		    NULL, "7");
	assert_repo(
		&r[2], PB_REPO_RPM, "https://yum.oracle.com/repo/OracleLinux/",
		"https://yum.oracle.com/repo/OracleLinux/OL8/latest/aarch64/",
		NULL, "8");
	assert_repo(&r[3], PB_REPO_RPM,
		    "https://yum.oracle.com/repo/OracleLinux/",
		    "https://yum.oracle.com/repo/OracleLinux/OL8/UEKR8/aarch64/"
		    "aarch64/",
		    NULL, "8");
	assert_strv(r[3].keyrings, STRV("/k.gpg"));
	pb_repos_free(r, n);

	/* a mirror list is a file: no '/' added */
	expand(STRV("mirrorlist https://cdn.amazonlinux.com versions=2023 "
		    "paths=al2023/core/mirrors/latest/$arch/mirror.list"),
	       "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 1);
	assert_repo(&r[0], PB_REPO_MIRRORLIST, "https://cdn.amazonlinux.com/",
		    "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/"
		    "x86_64/mirror.list",
		    NULL, "2023");
	pb_repos_free(r, n);

	/* an rpm path without $version, nor versions: label "" */
	expand(STRV("rpm http://h/base paths=os/$basearch"), "x86_64", NULL,
	       NULL, 0, &r, &n);
	assert_int_equal(n, 1);
	assert_repo(&r[0], PB_REPO_RPM, "http://h/base/",
		    "http://h/base/os/x86_64/", NULL, "");
	pb_repos_free(r, n);

	/* something that only looks like a variable stays */
	expand(STRV("rpm http://h/ versions=9 paths=$ver/$$version/a$archb/"),
	       "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].url, "http://h/$ver/$9/ax86_64b/");
	pb_repos_free(r, n);
}

/* A long value for $version is put whole into the URL. */
static void test_expand_subst_long(void **state)
{
	char version[201], line[512], want[512], url[512];
	struct pb_repo *r;
	size_t n;

	(void)state;
	memset(version, 'v', sizeof(version) - 1);
	version[sizeof(version) - 1] = '\0';
	snprintf(line, sizeof(line),
		 "rpm https://h.example/ versions=%s "
		 "paths=$version/",
		 version);
	snprintf(want, sizeof(want), "https://h.example/%s/", version);
	expand(STRV(line), "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].label, version);
	/* freed before the check: a failure leaks nothing */
	snprintf(url, sizeof(url), "%s", r[0].url);
	pb_repos_free(r, n);
	assert_string_equal(url, want);
}

static void test_expand_apt(void **state)
{
	struct pb_repo *r;
	size_t n;

	(void)state;
	expand(STRV("apt http://deb.debian.org/debian suites=bookworm,"
		    "bookworm-updates components=main,contrib "
		    "keyring=/usr/share/keyrings/debian-archive-keyring.gpg"),
	       "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 2);
	/* one per suite, the URL being the root */
	assert_repo(&r[0], PB_REPO_APT, "http://deb.debian.org/debian/",
		    "http://deb.debian.org/debian/", "bookworm", "bookworm");
	assert_repo(&r[1], PB_REPO_APT, "http://deb.debian.org/debian/",
		    "http://deb.debian.org/debian/", "bookworm-updates",
		    "bookworm-updates");
	assert_strv(r[0].components, STRV("main", "contrib"));
	assert_strv(r[1].components, STRV("main", "contrib"));
	assert_strv(r[1].keyrings,
		    STRV("/usr/share/keyrings/debian-archive-keyring.gpg"));
	pb_repos_free(r, n);

	/* no keyring: an empty list, not NULL */
	expand(STRV("apt http://h/ suites=s"), "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 1);
	assert_strv(r[0].components, STRV("main"));
	assert_strv(r[0].keyrings, STRV_EMPTY);
	pb_repos_free(r, n);

	/* no spec: no repository */
	r = (struct pb_repo *)1;
	n = 99;
	expand(STRV_EMPTY, "x86_64", NULL, NULL, 0, &r, &n);
	assert_null(r);
	assert_int_equal(n, 0);
}

static void test_expand_archs(void **state)
{
	static const char *const lines[] = {
		"apt http://archive.ubuntu.com/ubuntu/ suites=jammy "
		"archs=x86_64,i686",
		"apt http://ports.ubuntu.com/ubuntu-ports/ suites=jammy "
		"archs=aarch64,ppc64le",
		"mirrorlist http://repo.us-east-1.amazonaws.com/ "
		"versions=latest paths=$version/main/mirror.list "
		"archs=x86_64",
		NULL};
	struct pb_repo *r;
	size_t n;

	(void)state;
	expand(lines, "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 2);
	assert_repo(&r[0], PB_REPO_APT, "http://archive.ubuntu.com/ubuntu/",
		    "http://archive.ubuntu.com/ubuntu/", "jammy", "jammy");
	assert_repo(&r[1], PB_REPO_MIRRORLIST,
		    "http://repo.us-east-1.amazonaws.com/",
		    "http://repo.us-east-1.amazonaws.com/latest/main/"
		    "mirror.list",
		    NULL, "latest");
	pb_repos_free(r, n);

	expand(lines, "aarch64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 1);
	assert_repo(&r[0], PB_REPO_APT, "http://ports.ubuntu.com/ubuntu-ports/",
		    "http://ports.ubuntu.com/ubuntu-ports/", "jammy", "jammy");
	pb_repos_free(r, n);

	/* in none of them */
	expand(lines, "s390x", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 0);
	assert_null(r);

	/* archs are whole uname names: "x86" is not x86_64 */
	expand(lines, "x86", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 0);
	pb_repos_free(r, n);
}

static void test_expand_filter(void **state)
{
	struct pb_repo *r;
	size_t n;

	(void)state;
	expand(STRV("apt http://archive.ubuntu.com/ubuntu/ suites=focal,"
		    "focal-updates,jammy,jammy-updates,jammy-security"),
	       "x86_64", "jammy", NULL, 0, &r, &n);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].suite, "jammy");
	assert_string_equal(r[1].suite, "jammy-updates");
	assert_string_equal(r[2].suite, "jammy-security");
	assert_string_equal(r[2].label, "jammy-security");
	pb_repos_free(r, n);

	expand(STRV("rpm https://vault.centos.org/ versions=7.9.2009,8.5.2111 "
		    "paths=$version/os/$arch/,$version/BaseOS/$arch/os/"),
	       "x86_64", "8", NULL, 0, &r, &n);
	assert_int_equal(n, 2);
	assert_repo(&r[0], PB_REPO_RPM, "https://vault.centos.org/",
		    "https://vault.centos.org/8.5.2111/os/x86_64/", NULL,
		    "8.5.2111");
	assert_repo(&r[1], PB_REPO_RPM, "https://vault.centos.org/",
		    "https://vault.centos.org/8.5.2111/BaseOS/x86_64/os/", NULL,
		    "8.5.2111");
	pb_repos_free(r, n);

	/* a prefix of the label, not a substring of it */
	expand(STRV("rpm https://vault.centos.org/ versions=7.9.2009,8.5.2111 "
		    "paths=$version/os/$arch/"),
	       "x86_64", "2009", NULL, 0, &r, &n);
	assert_int_equal(n, 0);
	pb_repos_free(r, n);

	/* the empty filter keeps everything */
	expand(STRV("rpm https://vault.centos.org/ versions=7.9.2009,8.5.2111 "
		    "paths=$version/os/$arch/"),
	       "x86_64", "", NULL, 0, &r, &n);
	assert_int_equal(n, 2);
	pb_repos_free(r, n);

	/* on mirror lists too */
	expand(STRV("mirrorlist http://h/ versions=2,2023 paths=$version/"
		    "$arch/mirror.list"),
	       "x86_64", "2023", NULL, 0, &r, &n);
	assert_int_equal(n, 1);
	assert_repo(&r[0], PB_REPO_MIRRORLIST, "http://h/",
		    "http://h/2023/x86_64/mirror.list", NULL, "2023");
	pb_repos_free(r, n);
}

static void test_expand_roots(void **state)
{
	static const char *const roots[] = {"http://m1.example/ubuntu",
					    "https://m2.example/ubuntu/"};
	static const char *const rpm_roots[] = {"http://m1.example/centos"};
	struct pb_repo *r;
	size_t n;

	(void)state;
	/* the spec's own root is not used */
	expand(STRV("apt http://archive.ubuntu.com/ubuntu/ suites=jammy,"
		    "jammy-updates components=main,restricted"),
	       "x86_64", NULL, roots, 2, &r, &n);
	assert_int_equal(n, 4);
	assert_repo(&r[0], PB_REPO_APT, "http://m1.example/ubuntu/",
		    "http://m1.example/ubuntu/", "jammy", "jammy");
	assert_repo(&r[1], PB_REPO_APT, "http://m1.example/ubuntu/",
		    "http://m1.example/ubuntu/", "jammy-updates",
		    "jammy-updates");
	assert_repo(&r[2], PB_REPO_APT, "https://m2.example/ubuntu/",
		    "https://m2.example/ubuntu/", "jammy", "jammy");
	assert_repo(&r[3], PB_REPO_APT, "https://m2.example/ubuntu/",
		    "https://m2.example/ubuntu/", "jammy-updates",
		    "jammy-updates");
	assert_strv(r[3].components, STRV("main", "restricted"));
	pb_repos_free(r, n);

	/* the layout of an rpm spec on the other roots */
	expand(STRV("rpm https://vault.centos.org/ versions=7.9.2009,8.5.2111 "
		    "paths=$version/os/$arch/"),
	       "x86_64", "7",
	       (const char *const[]){"http://m1.example/centos",
				     "https://m2.example/c/"},
	       2, &r, &n);
	assert_int_equal(n, 2);
	assert_repo(&r[0], PB_REPO_RPM, "http://m1.example/centos/",
		    "http://m1.example/centos/7.9.2009/os/x86_64/", NULL,
		    "7.9.2009");
	assert_repo(&r[1], PB_REPO_RPM, "https://m2.example/c/",
		    "https://m2.example/c/7.9.2009/os/x86_64/", NULL,
		    "7.9.2009");
	pb_repos_free(r, n);

	/* two specs of the same layout on one root: once each URL */
	expand(STRV("rpm https://vault.centos.org/ versions=7.9.2009 "
		    "paths=$version/os/$arch/",
		    "rpm http://mirror.centos.org/centos/ versions=7.9.2009 "
		    "paths=$version/os/$arch/,$version/extras/$arch/"),
	       "x86_64", NULL, rpm_roots, 1, &r, &n);
	assert_int_equal(n, 2);
	assert_repo(&r[0], PB_REPO_RPM, "http://m1.example/centos/",
		    "http://m1.example/centos/7.9.2009/os/x86_64/", NULL,
		    "7.9.2009");
	assert_repo(&r[1], PB_REPO_RPM, "http://m1.example/centos/",
		    "http://m1.example/centos/7.9.2009/extras/x86_64/", NULL,
		    "7.9.2009");
	pb_repos_free(r, n);
}

static void test_expand_dups(void **state)
{
	struct pb_repo *r;
	size_t n;

	(void)state;
	/* the same spec twice, a suite twice, a path twice */
	expand(STRV("apt http://deb.debian.org/debian suites=bookworm,"
		    "bookworm-security,bookworm",
		    "apt http://deb.debian.org/debian/ suites=bookworm",
		    "rpm http://h/ versions=9,9 paths=$version/$arch/,"
		    "$version/$basearch/"),
	       "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 3);
	assert_repo(&r[0], PB_REPO_APT, "http://deb.debian.org/debian/",
		    "http://deb.debian.org/debian/", "bookworm", "bookworm");
	assert_repo(&r[1], PB_REPO_APT, "http://deb.debian.org/debian/",
		    "http://deb.debian.org/debian/", "bookworm-security",
		    "bookworm-security");
	assert_repo(&r[2], PB_REPO_RPM, "http://h/", "http://h/9/x86_64/", NULL,
		    "9");
	pb_repos_free(r, n);

	/* two roots that are the same once the '/' is added */
	expand(STRV("apt http://a/ suites=s"), "x86_64", NULL,
	       (const char *const[]){"http://m/", "http://m"}, 2, &r, &n);
	assert_int_equal(n, 1);
	assert_repo(&r[0], PB_REPO_APT, "http://m/", "http://m/", "s", "s");
	pb_repos_free(r, n);

	/* not duplicates: the same URL as another kind, or another suite */
	expand(STRV("rpm http://h/x/", "mirrorlist http://h/ paths=x/",
		    "apt http://h/x/ suites=s,t"),
	       "x86_64", NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 4);
	assert_int_equal(r[0].kind, PB_REPO_RPM);
	assert_int_equal(r[1].kind, PB_REPO_MIRRORLIST);
	assert_int_equal(r[2].kind, PB_REPO_APT);
	assert_int_equal(r[3].kind, PB_REPO_APT);
	pb_repos_free(r, n);
}

static void test_expand_no_paths(void **state)
{
	struct pb_repo *r;
	size_t n;

	(void)state;
	/* the root itself is the repository */
	expand(STRV("rpm http://mirror.example/centos/7/os/x86_64"), "x86_64",
	       NULL, NULL, 0, &r, &n);
	assert_int_equal(n, 1);
	assert_repo(&r[0], PB_REPO_RPM,
		    "http://mirror.example/centos/7/os/"
		    "x86_64/",
		    "http://mirror.example/centos/7/os/x86_64/", NULL, "");
	pb_repos_free(r, n);

	/* with versions but no paths: still the root, once */
	expand(STRV("rpm http://h/r/ versions=8"), "x86_64", NULL, NULL, 0, &r,
	       &n);
	assert_int_equal(n, 1);
	assert_repo(&r[0], PB_REPO_RPM, "http://h/r/", "http://h/r/", NULL,
		    "8");
	pb_repos_free(r, n);

	/* on --mirror roots: each root */
	expand(STRV("rpm http://h/r/"), "x86_64", NULL,
	       (const char *const[]){"http://m1/a", "http://m2/b/"}, 2, &r, &n);
	assert_int_equal(n, 2);
	assert_repo(&r[0], PB_REPO_RPM, "http://m1/a/", "http://m1/a/", NULL,
		    "");
	assert_repo(&r[1], PB_REPO_RPM, "http://m2/b/", "http://m2/b/", NULL,
		    "");
	pb_repos_free(r, n);
}

/* ------------------------------------------------- host apt sources */

#define INLINE_KEY                                                            \
	" -----BEGIN PGP PUBLIC KEY BLOCK-----\n"                             \
	" Comment: not a field: it is in the key\n"                           \
	" .\n"                                                                \
	" mDMEZJt3ZRYJKwYBBAHaRw8BAQdAk2Rv1VHT0yg5AedsPd5jUfqA3N3wgbEgaB0p\n" \
	" URIs: http://evil.example/not-a-field\n"                            \
	" =abcd\n"                                                            \
	" -----END PGP PUBLIC KEY BLOCK-----\n"

static void write_fake_apt(const char *dir)
{
	pbt_write_file(
		dir, "sources.list",
		"# the main archive\n"
		"deb http://deb.debian.org/debian bookworm main contrib\n"
		"deb-src http://deb.debian.org/debian bookworm main\n"
		"  # deb http://commented.example/debian bookworm main\n"
		"\n"
		"deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] "
		"http://security.debian.org/debian-security "
		"bookworm-security main\n"
		"deb https://packages.cloud.google.com/apt "
		"cloud-sdk-bookworm main\n"
		"deb\thttp://tab.example/debian\tbookworm\tmain # end\n",
		0);
	pbt_write_file(
		dir, "sources.list.d/backports.list",
		"deb [signed-by=/usr/share/keyrings/a.gpg,/b.gpg] "
		"https://deb.debian.org/debian bookworm-backports main\n"
		"deb https://deb.nodesource.com/node_20.x nodistro main\n",
		0);
	pbt_write_file(
		dir, "sources.list.d/debian.sources",
		"Types: deb deb-src\n"
		"# http://snapshot.debian.org/archive/debian/20250520\n"
		"URIs: http://deb.debian.org/debian "
		"https://mirror.example/debian\n"
		"Suites: bookworm bookworm-updates\n"
		"Components: main\n"
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
		"\n"
		"Types: deb\n"
		"URIs: http://disabled.example/debian\n"
		"Suites: bookworm\n"
		"Components: main\n"
		"Enabled: no\n"
		"\n"
		"Types: deb-src\n"
		"URIs: http://src.example/debian\n"
		"Suites: bookworm\n"
		"Components: main\n"
		"\n"
		"Types: deb\n"
		"URIs: https://inline.example/debian\n"
		"Suites: trixie\n"
		"Components: main non-free-firmware\n"
		"Signed-By:\n" INLINE_KEY,
		0);
	pbt_write_file(dir, "sources.list.d/nodesource.sources",
		       "Types: deb\n"
		       "URIs: https://deb.nodesource.com/node_20.x\n"
		       "Suites: nodistro\n"
		       "Components: main\n"
		       "Architectures: amd64\n"
		       "Signed-By: /usr/share/keyrings/nodesource.gpg\n",
		       0);
	/* not read: other names */
	pbt_write_file(dir, "sources.list.d/old.list.save",
		       "deb http://save.example/debian bookworm main\n", 0);
	pbt_write_file(dir, "sources.list.d/x.sources.disabled",
		       "Types: deb\nURIs: http://disabled2.example/debian\n"
		       "Suites: bookworm\nComponents: main\n",
		       0);
}

static void test_host_fake(void **state)
{
	char *dir = pbt_tmpdir("mirror");
	struct pb_mirror_spec *specs;
	const struct pb_mirror_spec *s;
	size_t n, i;

	(void)state;
	write_fake_apt(dir);
	host_specs(dir, &specs, &n);

	/* sources.list, then sources.list.d/ in name order */
	assert_int_equal(n, 7);
	s = &specs[0];
	assert_int_equal(s->kind, PB_SPEC_APT);
	assert_string_equal(s->root, "http://deb.debian.org/debian/");
	assert_strv(s->suites, STRV("bookworm"));
	assert_strv(s->components, STRV("main", "contrib"));
	assert_strv(s->keyrings, STRV_EMPTY);

	s = &specs[1];
	assert_string_equal(s->root,
			    "http://security.debian.org/debian-security/");
	assert_strv(s->suites, STRV("bookworm-security"));
	assert_strv(s->components, STRV("main"));
	assert_strv(s->keyrings, STRV("/usr/share/keyrings/x.gpg"));

	s = &specs[2];
	assert_string_equal(s->root, "http://tab.example/debian/");
	assert_strv(s->suites, STRV("bookworm"));
	assert_strv(s->components, STRV("main"));

	s = &specs[3];
	assert_string_equal(s->root, "https://deb.debian.org/debian/");
	assert_strv(s->suites, STRV("bookworm-backports"));
	assert_strv(s->keyrings, STRV("/usr/share/keyrings/a.gpg", "/b.gpg"));

	/* deb822: one spec per URI */
	for (i = 4; i < 6; i++) {
		s = &specs[i];
		assert_int_equal(s->kind, PB_SPEC_APT);
		assert_string_equal(s->root,
				    i == 4 ? "http://deb.debian.org/debian/"
					   : "https://mirror.example/"
					     "debian/");
		assert_strv(s->suites, STRV("bookworm", "bookworm-updates"));
		assert_strv(s->components, STRV("main"));
		assert_strv(s->keyrings, STRV("/usr/share/keyrings/"
					      "debian-archive-keyring.gpg"));
		assert_null(s->archs);
		assert_null(s->versions);
		assert_null(s->paths);
	}

	/* an inline key: no keyring path, and its lines are no fields */
	s = &specs[6];
	assert_string_equal(s->root, "https://inline.example/debian/");
	assert_strv(s->suites, STRV("trixie"));
	assert_strv(s->components, STRV("main", "non-free-firmware"));
	assert_strv(s->keyrings, STRV_EMPTY);

	free_specs(specs, n);
}

/* Field names are not case-sensitive; an inline key on the Signed-By line
 * itself is no path either. */
static void test_host_deb822_case(void **state)
{
	char *dir = pbt_tmpdir("mirror");
	struct pb_mirror_spec *specs;
	size_t n;

	(void)state;
	pbt_write_file(dir, "sources.list.d/sid.sources",
		       "types: deb\n"
		       "uris: https://case.example/debian\n"
		       "suites: sid\n"
		       "components: main\n"
		       "signed-by: -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
		       " .\n"
		       " mDMEZJt3ZRYJKwYBBAHaRw8BAQdA\n"
		       " -----END PGP PUBLIC KEY BLOCK-----\n"
		       "\n\n\n"
		       "Types: deb\n"
		       "URIs: https://other.example/debian/\n"
		       "Suites: stable stable-updates unstable\n"
		       "Components: main\n"
		       "Enabled: yes\n",
		       0);
	host_specs(dir, &specs, &n);
	assert_int_equal(n, 2);
	assert_string_equal(specs[0].root, "https://case.example/debian/");
	assert_strv(specs[0].suites, STRV("sid"));
	assert_strv(specs[0].keyrings, STRV_EMPTY);
	assert_string_equal(specs[1].root, "https://other.example/debian/");
	assert_strv(specs[1].suites,
		    STRV("stable", "stable-updates", "unstable"));
	free_specs(specs, n);
}

/* Only Debian's suites, only http(s) URIs, only "deb". */
static void test_host_filters(void **state)
{
	char *dir = pbt_tmpdir("mirror");
	struct pb_mirror_spec *specs;
	size_t n;

	(void)state;
	pbt_write_file(
		dir, "sources.list",
		"deb http://a.example/debian bookworm main\n"
		"deb http://b.example/debian bookworm/updates main\n"
		"deb http://c.example/debian bookwormish main\n"
		"deb file:/srv/debian bookworm main\n"
		"deb cdrom:[Debian 12]/ bookworm main\n"
		"debian http://d.example/debian bookworm main\n"
		"deb-src http://e.example/debian bookworm main\n"
		/* no component: not a line apt takes */
		"deb http://f.example/debian bookworm\n"
		"deb [signed-by=/k.gpg http://g.example/debian bookworm main\n"
		"deb http://archive.ubuntu.com/ubuntu jammy main\n",
		0);
	/* Debian suites among others: only they; other URIs and types */
	pbt_write_file(dir, "sources.list.d/mixed.sources",
		       "Types: deb\n"
		       "URIs: https://h.example/debian\n"
		       "Suites: nodistro bookworm-security cloud-sdk-bookworm "
		       "trixie-updates\n"
		       "Components: main\n"
		       "\n"
		       "Types: deb\n"
		       "URIs: file:/srv/debian mirror+file:/etc/m.txt\n"
		       "Suites: bookworm\n"
		       "Components: main\n"
		       "\n"
		       "Types: deb-src\n"
		       "URIs: http://src.example/debian\n"
		       "Suites: bookworm\n"
		       "Components: main\n"
		       "\n"
		       "Types: debian\n"
		       "URIs: http://typo.example/debian\n"
		       "Suites: bookworm\n"
		       "Components: main\n"
		       "\n"
		       "Types: deb\n"
		       "URIs: http://nosuite.example/debian\n"
		       "Components: main\n"
		       "\n"
		       "Types: deb\n"
		       "URIs: http://nocomp.example/debian\n"
		       "Suites: bookworm\n"
		       "\n"
		       "Types: deb\n"
		       "Suites: bookworm\n"
		       "Components: main\n",
		       0);
	host_specs(dir, &specs, &n);
	assert_int_equal(n, 3);
	assert_string_equal(specs[0].root, "http://a.example/debian/");
	assert_strv(specs[0].suites, STRV("bookworm"));
	assert_strv(specs[0].components, STRV("main"));
	assert_string_equal(specs[1].root, "http://b.example/debian/");
	assert_strv(specs[1].suites, STRV("bookworm/updates"));
	assert_string_equal(specs[2].root, "https://h.example/debian/");
	assert_strv(specs[2].suites,
		    STRV("bookworm-security", "trixie-updates"));
	assert_strv(specs[2].components, STRV("main"));
	free_specs(specs, n);

	/* nothing there: no spec, no error */
	host_specs("/nonexistent/etc/apt", &specs, &n);
	assert_int_equal(n, 0);
	assert_null(specs);
}

/* Types is a whitespace-separated list of the words deb and deb-src:
 * "deb" among them, whatever the blanks, and no other word holding it. */
static void test_host_deb822_types(void **state)
{
	char *dir = pbt_tmpdir("mirror");
	struct pb_mirror_spec *specs;
	size_t n;

	(void)state;
	pbt_write_file(dir, "sources.list.d/types.sources",
		       "Types: deb-src  deb\n"
		       "URIs: http://two-blanks.example/debian\n"
		       "Suites: bookworm\n"
		       "Components: main\n"
		       "\n"
		       "Types:\tdeb\n"
		       "URIs: http://tab-before.example/debian\n"
		       "Suites: bookworm\n"
		       "Components: main\n"
		       "\n"
		       /* a tab between the words */
		       "Types: deb\tdeb-src\n"
		       "URIs: http://tab.example/debian\n"
		       "Suites: bookworm\n"
		       "Components: main\n"
		       "\n"
		       /* sources only, the word twice */
		       "Types: deb-src deb-src\n"
		       "URIs: http://src-only.example/debian\n"
		       "Suites: bookworm\n"
		       "Components: main\n",
		       0);
	host_specs(dir, &specs, &n);
	assert_roots(specs, n,
		     "http://two-blanks.example/debian/ "
		     "http://tab-before.example/debian/ "
		     "http://tab.example/debian/");
	free_specs(specs, n);
}

/* The host's specs expand into the repositories crawl uses. */
static void test_host_expand(void **state)
{
	char *dir = pbt_tmpdir("mirror");
	struct pb_mirror_spec *specs;
	struct pb_repo *r;
	struct pb_err err = {0};
	size_t n, n_r;

	(void)state;
	write_fake_apt(dir);
	host_specs(dir, &specs, &n);
	assert_int_equal(pb_repos_expand(specs, n, "x86_64", "bookworm", NULL,
					 0, &r, &n_r, &err),
			 0);
	/* deb.debian.org bookworm from sources.list and debian.sources:
	 * once (the first one's components) */
	assert_int_equal(n_r, 7);
	assert_repo(&r[0], PB_REPO_APT, "http://deb.debian.org/debian/",
		    "http://deb.debian.org/debian/", "bookworm", "bookworm");
	assert_strv(r[0].components, STRV("main", "contrib"));
	assert_repo(&r[1], PB_REPO_APT,
		    "http://security.debian.org/debian-security/",
		    "http://security.debian.org/debian-security/",
		    "bookworm-security", "bookworm-security");
	assert_strv(r[1].keyrings, STRV("/usr/share/keyrings/x.gpg"));
	assert_string_equal(r[2].url, "http://tab.example/debian/");
	assert_string_equal(r[3].suite, "bookworm-backports");
	assert_string_equal(r[4].url, "http://deb.debian.org/debian/");
	assert_string_equal(r[4].suite, "bookworm-updates");
	assert_string_equal(r[5].url, "https://mirror.example/debian/");
	assert_string_equal(r[5].suite, "bookworm");
	assert_string_equal(r[6].url, "https://mirror.example/debian/");
	assert_string_equal(r[6].suite, "bookworm-updates");
	pb_repos_free(r, n_r);
	free_specs(specs, n);
}

/* CRLF files: paragraphs still end at an empty line. */
static void test_host_deb822_crlf(void **state)
{
	char *dir = pbt_tmpdir("mirror");
	struct pb_mirror_spec *specs;
	size_t n;

	(void)state;
	pbt_write_file(dir, "sources.list",
		       "deb http://deb.debian.org/debian bookworm main\r\n", 0);
	pbt_write_file(
		dir, "sources.list.d/debian.sources",
		"Types: deb\r\n"
		"URIs: http://deb.debian.org/debian\r\n"
		"Suites: bookworm bookworm-updates\r\n"
		"Components: main\r\n"
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		"\r\n"
		"\r\n"
		"Types: deb\r\n"
		"URIs: http://deb.debian.org/debian-security\r\n"
		"Suites: bookworm-security\r\n"
		"Components: main\r\n",
		0);
	host_specs(dir, &specs, &n);
	assert_roots(specs, n,
		     "http://deb.debian.org/debian/ "
		     "http://deb.debian.org/debian/ "
		     "http://deb.debian.org/debian-security/");
	assert_int_equal(n, 3);
	assert_string_equal(specs[0].root, "http://deb.debian.org/debian/");
	assert_strv(specs[0].suites, STRV("bookworm"));
	assert_strv(specs[0].components, STRV("main"));
	assert_string_equal(specs[1].root, "http://deb.debian.org/debian/");
	assert_strv(specs[1].suites, STRV("bookworm", "bookworm-updates"));
	assert_strv(specs[1].keyrings,
		    STRV("/usr/share/keyrings/debian-archive-keyring.gpg"));
	assert_string_equal(specs[2].root,
			    "http://deb.debian.org/debian-security/");
	assert_strv(specs[2].suites, STRV("bookworm-security"));
	assert_strv(specs[2].keyrings, STRV_EMPTY);
	free_specs(specs, n);
}

/* Some spec on deb.debian.org has suite; none is Google's or
 * NodeSource's. */
static void check_real_specs(const struct pb_mirror_spec *specs, size_t n)
{
	int bookworm = 0, security = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pb_mirror_spec *s = &specs[i];

		assert_int_equal(s->kind, PB_SPEC_APT);
		assert_non_null(s->root);
		assert_int_equal(s->root[strlen(s->root) - 1], '/');
		assert_true(pb_strv_len(s->suites) > 0);
		assert_true(pb_strv_len(s->components) > 0);
		assert_non_null(s->keyrings);
		if (strstr(s->root, "cloud.google.com") ||
		    strstr(s->root, "nodesource") ||
		    strv_has(s->suites, "cloud-sdk-bookworm") ||
		    strv_has(s->suites, "nodistro"))
			fail_msg("not a Debian entry: %s %s", s->root,
				 s->suites[0]);
		if (!strstr(s->root, "://deb.debian.org/"))
			continue;
		bookworm |= strv_has(s->suites, "bookworm");
		security |= strv_has(s->suites, "bookworm-security");
	}
	assert_true(bookworm);
	assert_true(security);
}

/* this machine's apt sources, when they are Debian bookworm's */
static int real_apt_is_bookworm(void)
{
	static const char *const files[] = {
		"/etc/apt/sources.list",
		"/etc/apt/sources.list.d/debian.sources"};
	size_t i;
	int yes = 0;

	for (i = 0; i < PBT_N_OF(files); i++) {
		char *text = NULL;

		if (pb_read_file(files[i], &text, NULL, NULL) < 0)
			continue;
		if (strstr(text, "deb.debian.org") &&
		    strstr(text, "bookworm-security"))
			yes = 1;
		free(text);
	}
	return yes;
}

static void test_host_real(void **state)
{
	struct pb_mirror_spec *specs;
	size_t n;

	(void)state;
	if (!real_apt_is_bookworm())
		skip();
	host_specs("/etc/apt", &specs, &n);
	check_real_specs(specs, n);
	free_specs(specs, n);
}

/* The same, with this machine's other vendors' files (kept here under
 * names apt does not read) copied under their active names. */
static void test_host_real_enabled(void **state)
{
	char *dir = pbt_tmpdir("mirror"), src[PATH_MAX];
	struct pb_mirror_spec *specs;
	struct dirent *e;
	DIR *d;
	size_t n, copied = 0;

	(void)state;
	if (!real_apt_is_bookworm())
		skip();
	d = opendir("/etc/apt/sources.list.d");
	assert_non_null(d);
	while ((e = readdir(d))) {
		char name[PATH_MAX], *text = NULL, *ext;
		const char *kind = NULL;

		if (e->d_name[0] == '.')
			continue;
		if ((ext = strstr(e->d_name, ".sources")))
			kind = ".sources";
		else if ((ext = strstr(e->d_name, ".list")))
			kind = ".list";
		if (!kind)
			continue;
		snprintf(name, sizeof(name), "sources.list.d/%.*s%s",
			 (int)(ext - e->d_name), e->d_name, kind);
		snprintf(src, sizeof(src), "/etc/apt/sources.list.d/%s",
			 e->d_name);
		if (pb_read_file(src, &text, NULL, NULL) < 0)
			continue;
		pbt_write_file(dir, name, text, 0);
		free(text);
		copied++;
	}
	closedir(d);
	{
		char *text = NULL;

		if (pb_read_file("/etc/apt/sources.list", &text, NULL, NULL) ==
		    0) {
			pbt_write_file(dir, "sources.list", text, 0);
			free(text);
		}
	}
	if (!copied)
		skip();
	host_specs(dir, &specs, &n);
	check_real_specs(specs, n);
	free_specs(specs, n);
}

/* A remote mirror.list line is a URL and nothing else: spec keys in it
 * (keyring=, paths=) must not be taken. */
static void test_mirrorlist_line(void **state)
{
	static const char *const bad[] = {
		"http://m/repo keyring=/tmp/evil.gpg",
		"http://m/repo paths=../../",
		"rpm http://m/repo",
		"ftp://m/repo",
		"file:///etc",
		"http://",
		"http:///path",
		"http://user:pw@m/repo",
		"http://m/re\x01po",
		"keyring=/tmp/x",
	};
	struct pb_err err = {0};
	char *url = NULL;
	size_t i;

	(void)state;
	assert_int_equal(pb_mirrorlist_line("  http://m/a/b \r", &url, &err),
			 0);
	assert_string_equal(url, "http://m/a/b/");
	free(url);
	assert_int_equal(pb_mirrorlist_line("https://m:8080/x/", &url, &err),
			 0);
	assert_string_equal(url, "https://m:8080/x/");
	free(url);
	assert_int_equal(pb_mirrorlist_line("# comment", &url, &err), 1);
	assert_null(url);
	assert_int_equal(pb_mirrorlist_line("   ", &url, &err), 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(pb_mirrorlist_line(bad[i], &url, &err),
				 -EINVAL);
		assert_null(url);
		assert_true(err.msg[0] != '\0');
	}
}

#define TMP(t) cmocka_unit_test_teardown(t, pbt_rm_tmpdirs)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_parse_apt),
		cmocka_unit_test(test_parse_rpm),
		cmocka_unit_test(test_parse_mirrorlist),
		cmocka_unit_test(test_mirrorlist_line),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_spec_make),
		cmocka_unit_test(test_expand_subst),
		cmocka_unit_test(test_expand_subst_long),
		cmocka_unit_test(test_expand_apt),
		cmocka_unit_test(test_expand_archs),
		cmocka_unit_test(test_expand_filter),
		cmocka_unit_test(test_expand_roots),
		cmocka_unit_test(test_expand_dups),
		cmocka_unit_test(test_expand_no_paths),
		TMP(test_host_fake),
		TMP(test_host_deb822_case),
		TMP(test_host_filters),
		TMP(test_host_deb822_types),
		TMP(test_host_expand),
		TMP(test_host_deb822_crlf),
		cmocka_unit_test(test_host_real),
		TMP(test_host_real_enabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

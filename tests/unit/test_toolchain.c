/* Made builder environments in a toolchain dir (pb_tcenv_open/list, on
 * fake ones: a root directory and an env.info) and the rules choosing the
 * toolchain of a kernel (pb_tc_choose, on inputs built by hand). */
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

#include "build/toolchain.h"
#include "build/toolchain_env.h"
#include "testutil.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect_msg(const char *msg, const char *part)
{
	if (!strstr(msg, part))
		fail_msg("'%s' not in the message: %s", part, msg);
}

static void expect_no_msg(const char *msg, const char *part)
{
	if (strstr(msg, part))
		fail_msg("'%s' in the message: %s", part, msg);
}

/* dir/name/root/ and dir/name/env.info (NULL: none) */
static void fake_env(const char *dir, const char *name, const char *info)
{
	char rel[PATH_MAX];

	pbt_path(rel, sizeof(rel), name, "root/usr/bin");
	pbt_mkdirs(dir, rel);
	if (info) {
		pbt_path(rel, sizeof(rel), name, "env.info");
		pbt_write_file(dir, rel, info, 0);
	}
}

/* ------------------------------------------------ made environments */

static void test_tcenv_open(void **state)
{
	const char *dir = pbt_tmpdir("tcenv");
	struct pb_err err = {0};
	struct pb_tcenv env;
	char path[PATH_MAX];

	(void)state;
	fake_env(dir, "debian-trixie-gcc-14",
		 "name = debian-trixie-gcc-14\n"
		 "definition = /usr/share/probe-builder/toolchains/"
		 "debian-trixie-gcc-14.toolchain\n"
		 "mirror = http://deb.debian.org/debian\n"
		 "made_at = 2025-08-01T10:00:00Z\n"
		 "seconds = 42.5\n"
		 "bytes = 123456789\n"
		 "packages_sha256 = " SHA "\n"
		 "provides = gcc-14.2 bogus clang-19.1\n"
		 "glibc = 2.41\n"
		 "pahole = 130\n");
	assert_int_equal(pb_tcenv_open(dir, "debian-trixie-gcc-14", &env, &err),
			 0);
	assert_string_equal(env.name, "debian-trixie-gcc-14");
	pbt_path(path, sizeof(path), dir, "debian-trixie-gcc-14");
	assert_string_equal(env.dir, path);
	pbt_path(path, sizeof(path), dir, "debian-trixie-gcc-14/root");
	assert_string_equal(env.root, path);
	assert_string_equal(env.packages_sha256, SHA);
	assert_string_equal(env.definition,
			    "/usr/share/probe-builder/toolchains/"
			    "debian-trixie-gcc-14.toolchain");
	assert_string_equal(env.mirror, "http://deb.debian.org/debian");
	assert_string_equal(env.made_at, "2025-08-01T10:00:00Z");
	assert_true(env.seconds > 42.4 && env.seconds < 42.6);
	assert_true(env.bytes == 123456789ULL);
	assert_int_equal(env.glibc_major, 2);
	assert_int_equal(env.glibc_minor, 41);
	assert_int_equal(env.pahole, 130);
	/* a word that is not a compiler is left out */
	assert_int_equal(env.n_provides, 2);
	assert_non_null(pb_tcenv_provides(&env, "gcc", 14));
	assert_int_equal(pb_tcenv_provides(&env, "gcc", 14)->minor, 2);
	assert_int_equal(pb_tcenv_provides(&env, "clang", 19)->minor, 1);
	assert_null(pb_tcenv_provides(&env, "gcc", 19));
	assert_null(pb_tcenv_provides(&env, "clang", 14));

	/* what was never made, or not completely */
	fake_env(dir, "no-info", NULL);
	pbt_write_file(dir, "no-root/env.info", "name = no-root\n", 0);
	assert_int_equal(pb_tcenv_open(dir, "no-info", &env, &err), -ENOENT);
	expect_msg(err.msg, "'no-info' is not made");
	expect_msg(err.msg, dir);
	assert_int_equal(pb_tcenv_open(dir, "no-root", &env, &err), -ENOENT);
	expect_msg(err.msg, "'no-root'");
	assert_int_equal(pb_tcenv_open(dir, "nowhere", &env, &err), -ENOENT);
	/* names that are not an environment's */
	assert_int_equal(pb_tcenv_open(dir, ".tmp-x.AbCdEf", &env, &err),
			 -EINVAL);
	assert_int_equal(pb_tcenv_open(dir, "a/b", &env, &err), -EINVAL);
	assert_int_equal(pb_tcenv_open(dir, "", &env, &err), -EINVAL);
	/* an env.info that does not parse: named */
	fake_env(dir, "bad-info", "name = bad-info\nthis is not it\n");
	assert_int_equal(pb_tcenv_open(dir, "bad-info", &env, &err), -EINVAL);
	expect_msg(err.msg, "env.info:2:");
}

static void test_tcenv_list(void **state)
{
	const char *dir = pbt_tmpdir("tcenv");
	struct pb_err err = {0};
	struct pb_tcenv *envs;
	size_t n;

	(void)state;
	fake_env(dir, "b-gcc-14",
		 "name = b-gcc-14\npackages_sha256 = " SHA "\n"
		 "provides = gcc-14.2\nglibc = 2.41\npahole = 130\n");
	fake_env(dir, "a-gcc-12",
		 "name = a-gcc-12\npackages_sha256 = " SHA "\n"
		 "provides = gcc-12.2\nglibc = 2.36\npahole = 124\n");
	/* incomplete: a root without env.info, a half-made one */
	fake_env(dir, "c-gcc-13", NULL);
	fake_env(dir, ".tmp-d-gcc-14.Xy12Zw",
		 "name = d-gcc-14\nprovides = gcc-14.2\n");
	fake_env(dir, "e-broken", "not key value\n");
	/* the lock and log files beside them */
	pbt_write_file(dir, "b-gcc-14.lock", "", 0);
	pbt_write_file(dir, "b-gcc-14.log", "mmdebstrap said\n", 0);

	assert_int_equal(pb_tcenv_list(dir, &envs, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(envs[0].name, "a-gcc-12");
	assert_int_equal(envs[0].pahole, 124);
	assert_int_equal(envs[0].glibc_minor, 36);
	assert_string_equal(envs[1].name, "b-gcc-14");
	assert_non_null(pb_tcenv_provides(&envs[1], "gcc", 14));
	assert_string_equal(envs[1].packages_sha256, SHA);
	free(envs);

	/* no dir yet: nothing made */
	assert_int_equal(pb_tcenv_list("/nonexistent/pb-test", &envs, &n, &err),
			 0);
	assert_int_equal(n, 0);
	assert_null(envs);
}

/* ------------------------------------------------------ the rules */

#define TEXT14 "gcc-14 (Debian 14.2.0-19) 14.2.0"

struct fx {
	struct pb_tc_need need;
	struct pb_tc_host host;
	struct pb_tc_def defs[4];
	struct pb_tc_provide prov[4];
	struct pb_tc_defs set;
	struct pb_tcenv envs[3];
	struct pb_tc_choose_opts o;
	struct pb_tc_choice c;
	struct pb_err err;
};

/* A kernel built with gcc 14.2 on Debian trixie; the host has nothing;
 * no definitions, no environments. */
static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->need.cc.family, sizeof(f->need.cc.family), "gcc");
	f->need.cc.major = 14;
	f->need.cc.minor = 2;
	snprintf(f->need.cc.text, sizeof(f->need.cc.text), "%s", TEXT14);
	snprintf(f->need.cc.source, sizeof(f->need.cc.source),
		 "CONFIG_CC_VERSION_TEXT");
	f->need.release = "6.12.38+deb13-amd64";
	f->set.defs = f->defs;
	f->o.sz = sizeof(f->o);
	f->o.host = &f->host;
	f->o.defs = &f->set;
	f->o.envs = f->envs;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	free(*state);
	return 0;
}

/* A definition as pb_tc_def_read leaves one: "" for what is not said. */
static struct pb_tc_def *add_def(struct fx *f, const char *name,
				 const char *provide, const char *series,
				 const char *releases)
{
	struct pb_tc_def *d = &f->defs[f->set.n];

	assert_true(f->set.n < PBT_N_OF(f->defs));
	assert_int_equal(pb_tc_provide_parse(provide, &f->prov[f->set.n]), 0);
	d->name = (char *)name;
	d->source = (char *)"/test/def.toolchain";
	d->series = (char *)series;
	d->releases = (char *)releases;
	d->provides = &f->prov[f->set.n];
	d->n_provides = 1;
	f->set.n++;
	return d;
}

static struct pb_tcenv *add_env(struct fx *f, const char *name,
				const char *provide, int pahole)
{
	struct pb_tcenv *e = &f->envs[f->o.n_envs];

	assert_true(f->o.n_envs < PBT_N_OF(f->envs));
	snprintf(e->name, sizeof(e->name), "%s", name);
	assert_int_equal(pb_tc_provide_parse(provide, &e->provides[0]), 0);
	e->n_provides = 1;
	e->pahole = pahole;
	f->o.n_envs++;
	return e;
}

static void host_has(struct fx *f, const char *version, int pahole)
{
	f->host.have_cc = 1;
	snprintf(f->host.cc.path, sizeof(f->host.cc.path), "/usr/bin/gcc-14");
	snprintf(f->host.cc.version, sizeof(f->host.cc.version), "%s", version);
	f->host.cc.major = 14;
	f->host.cc.exact = 1;
	f->host.pahole = pahole;
	f->host.glibc_major = 2;
	f->host.glibc_minor = 41;
}

static int choose(struct fx *f)
{
	return pb_tc_choose(&f->need, &f->o, &f->c, &f->err);
}

static void expect_choice(struct fx *f, enum pb_tc_kind kind,
			  const struct pb_tcenv *env,
			  const struct pb_tc_def *def, const char *match)
{
	int ret = choose(f);

	if (ret)
		fail_msg("pb_tc_choose: %d: %s", ret, f->err.msg);
	assert_int_equal(f->c.kind, kind);
	assert_ptr_equal(f->c.env, env);
	assert_ptr_equal(f->c.def, def);
	assert_string_equal(f->c.match, match);
}

static void test_host(void **state)
{
	struct fx *f = *state;

	host_has(f, "gcc-14 (Debian 14.2.0-19) 14.2.0", 130);
	f->need.pahole = 130;
	f->need.glibc_major = 2;
	f->need.glibc_minor = 38;
	/* whatever else there is */
	add_def(f, "debian-trixie-gcc-14", "gcc-14.2", "trixie", "*+deb13-*");
	add_env(f, "debian-trixie-gcc-14", "gcc-14.2", 130);
	expect_choice(f, PB_TC_HOST, NULL, NULL, "major.minor");
	expect_msg(f->c.why, "the host has it");

	/* another minor on the host: the major only */
	host_has(f, "gcc (Debian 14.3.0-5) 14.3.0", 130);
	expect_choice(f, PB_TC_HOST, NULL, NULL, "major");
	/* a version text that does not parse: the major only */
	host_has(f, "who knows", 130);
	expect_choice(f, PB_TC_HOST, NULL, NULL, "major");

	/* the tree asks nothing of pahole or glibc */
	host_has(f, TEXT14, 0);
	f->need.pahole = 0;
	f->need.glibc_major = f->need.glibc_minor = 0;
	f->host.glibc_major = 2;
	f->host.glibc_minor = 17;
	expect_choice(f, PB_TC_HOST, NULL, NULL, "major.minor");
	/* "auto" said */
	f->o.mode = "auto";
	expect_choice(f, PB_TC_HOST, NULL, NULL, "major.minor");
}

static void test_host_other_pahole(void **state)
{
	struct fx *f = *state;
	struct pb_tc_def *d;
	struct pb_tcenv *e;

	host_has(f, TEXT14, 130);
	f->need.pahole = 126;
	d = add_def(f, "debian-trixie-gcc-14", "gcc-14.2", "trixie",
		    "*+deb13-*");
	expect_choice(f, PB_TC_MAKE, NULL, d, "major.minor");
	expect_msg(f->c.why, "definition debian-trixie-gcc-14 provides gcc-14");
	expect_msg(f->c.why, "own release");
	e = add_env(f, "debian-trixie-gcc-14", "gcc-14.2", 126);
	expect_choice(f, PB_TC_ENV, e, d, "major.minor");
	expect_msg(f->c.why, "environment debian-trixie-gcc-14 provides");

	/* nothing else: refused, and said why */
	f->set.n = 0;
	f->o.n_envs = 0;
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "the host's (another pahole)");
	expect_msg(f->err.msg, TEXT14);
	expect_msg(f->err.msg, "definitions providing it: none");

	/* the host's glibc older than the tree's tools need */
	f->need.pahole = 130;
	f->need.glibc_major = 2;
	f->need.glibc_minor = 42;
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "the host's (glibc older");
}

static void test_made_env(void **state)
{
	struct fx *f = *state;
	struct pb_tc_def *d;
	struct pb_tcenv *e;

	f->host.pahole = 130;
	add_env(f, "ubuntu-noble-gcc-13", "gcc-13.3", 0);
	e = add_env(f, "my-gcc-14", "gcc-14.2", 0);
	/* a definition as good (no own release, same minor): the made
	 * environment, nothing to make */
	add_def(f, "other-gcc-14", "gcc-14.2", "", "");
	expect_choice(f, PB_TC_ENV, e, NULL, "major.minor");
	expect_msg(f->c.why, "environment my-gcc-14 provides gcc-14");
	expect_no_msg(f->c.why, "own release");

	/* the environment of the kernel's own definition scores as that */
	f->set.n = 0;
	d = add_def(f, "my-gcc-14", "gcc-14.2", "trixie", "*+deb13-*");
	expect_choice(f, PB_TC_ENV, e, d, "major.minor");
	expect_msg(f->c.why, "own release");

	/* an environment of the tree's pahole beats one of another */
	f->set.n = 0;
	f->o.n_envs = 0;
	add_env(f, "a-gcc-14", "gcc-14.2", 124);
	e = add_env(f, "b-gcc-14", "gcc-14.2", 126);
	f->need.pahole = 126;
	expect_choice(f, PB_TC_ENV, e, NULL, "major.minor");
	/* the same minor counts more than pahole */
	f->o.n_envs = 0;
	e = add_env(f, "a-gcc-14", "gcc-14.2", 124);
	add_env(f, "b-gcc-14", "gcc-14.1", 126);
	expect_choice(f, PB_TC_ENV, e, NULL, "major.minor");
	/* another minor: the major only */
	f->o.n_envs = 0;
	e = add_env(f, "b-gcc-14", "gcc-14.1", 126);
	expect_choice(f, PB_TC_ENV, e, NULL, "major");
	/* no definitions at all */
	f->o.defs = NULL;
	expect_choice(f, PB_TC_ENV, e, NULL, "major");
}

static void test_defs(void **state)
{
	static const char *const security[] = {"bookworm", "trixie-security"};
	static const char *const unlike[] = {"trixienext", "trixie2"};
	struct fx *f = *state;
	struct pb_tc_def *noble, *trixie;

	noble = add_def(f, "ubuntu-noble-gcc-14", "gcc-14.2", "noble",
			"*-generic *-lowlatency");
	trixie = add_def(f, "debian-trixie-gcc-14", "gcc-14.2", "trixie",
			 "*+deb13-*");
	add_def(f, "debian-bookworm-gcc-12", "gcc-12.2", "bookworm", "6.1.0-*");

	/* the kernel's release matches the second's globs */
	expect_choice(f, PB_TC_MAKE, NULL, trixie, "major.minor");
	expect_msg(f->c.why, "definition debian-trixie-gcc-14 provides "
			     "gcc-14, for this kernel's own release");
	/* the second glob of the first */
	f->need.release = "6.8.0-45-lowlatency";
	expect_choice(f, PB_TC_MAKE, NULL, noble, "major.minor");

	/* no glob matches: found in trixie-security, the series trixie */
	f->need.release = "6.12.9-custom";
	f->need.series = security;
	f->need.n_series = PBT_N_OF(security);
	expect_choice(f, PB_TC_MAKE, NULL, trixie, "major.minor");
	expect_msg(f->c.why, "own release");
	/* a series that only starts like it is not it: the first one */
	f->need.series = unlike;
	f->need.n_series = PBT_N_OF(unlike);
	expect_choice(f, PB_TC_MAKE, NULL, noble, "major.minor");
	expect_no_msg(f->c.why, "own release");
	/* nothing known of where the kernel is from: the first one */
	f->need.series = NULL;
	f->need.n_series = 0;
	f->need.release = NULL;
	expect_choice(f, PB_TC_MAKE, NULL, noble, "major.minor");

	/* the kernel's minor is neither's: the major, still the first */
	f->need.cc.minor = 3;
	expect_choice(f, PB_TC_MAKE, NULL, noble, "major");
	/* one of the kernel's minor beats the first */
	f->prov[1].minor = 3;
	expect_choice(f, PB_TC_MAKE, NULL, trixie, "major.minor");
	/* and the own release beats the same minor */
	f->need.release = "6.8.0-45-generic";
	expect_choice(f, PB_TC_MAKE, NULL, noble, "major");
	/* a definition that does not say its minor matches the major */
	f->set.n = 0;
	trixie = add_def(f, "debian-sid-gcc-14", "gcc-14", "sid", "");
	expect_choice(f, PB_TC_MAKE, NULL, trixie, "major");
}

static void test_glibc(void **state)
{
	struct fx *f = *state;
	struct pb_tc_def *old, *fresh;
	struct pb_tcenv *e;

	f->need.glibc_major = 2;
	f->need.glibc_minor = 38;
	snprintf(f->need.glibc_tool, sizeof(f->need.glibc_tool),
		 "scripts/sign-file");
	/* the kernel's own, but too old a libc for its tools */
	old = add_def(f, "debian-trixie-gcc-14", "gcc-14.2", "trixie",
		      "*+deb13-*");
	old->glibc_major = 2;
	old->glibc_minor = 36;
	fresh = add_def(f, "debian-sid-gcc-14", "gcc-14.2", "sid", "");
	fresh->glibc_major = 2;
	fresh->glibc_minor = 41;
	expect_choice(f, PB_TC_MAKE, NULL, fresh, "major.minor");
	/* exactly the one needed is enough */
	fresh->glibc_minor = 38;
	expect_choice(f, PB_TC_MAKE, NULL, fresh, "major.minor");
	/* a newer major too */
	fresh->glibc_major = 3;
	fresh->glibc_minor = 0;
	expect_choice(f, PB_TC_MAKE, NULL, fresh, "major.minor");
	/* one that does not say: the build will tell */
	fresh->glibc_major = fresh->glibc_minor = 0;
	expect_choice(f, PB_TC_MAKE, NULL, fresh, "major.minor");

	/* a made environment too old as well */
	fresh->glibc_major = 2;
	fresh->glibc_minor = 37;
	e = add_env(f, "old-env", "gcc-14.2", 0);
	e->glibc_major = 2;
	e->glibc_minor = 31;
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "the kernel was built with " TEXT14
			       " (CONFIG_CC_VERSION_TEXT)");
	expect_msg(f->err.msg, "gcc-14 is not on this host");
	expect_msg(f->err.msg, "definitions providing it: "
			       "debian-trixie-gcc-14, debian-sid-gcc-14");
	expect_msg(f->err.msg, "refused: ");
	expect_msg(f->err.msg, "old-env (glibc older than 2.38)");
	expect_msg(f->err.msg, "debian-trixie-gcc-14 (glibc older than 2.38)");
	expect_msg(f->err.msg, "debian-sid-gcc-14 (glibc older than 2.38)");

	/* one of another compiler is not refused, it is not a candidate */
	f->o.n_envs = 0;
	f->set.n = 0;
	old = add_def(f, "debian-bookworm-gcc-12", "gcc-12.2", "bookworm", "");
	old->glibc_major = 2;
	old->glibc_minor = 36;
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "definitions providing it: none");
	expect_no_msg(f->err.msg, "refused");
	expect_msg(f->err.msg, "see probe-builder toolchains list");
}

static void test_mode_host(void **state)
{
	struct fx *f = *state;

	f->o.mode = "host";
	add_def(f, "debian-trixie-gcc-14", "gcc-14.2", "trixie", "*+deb13-*");
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, TEXT14);
	expect_msg(f->err.msg, "--toolchain=host");
	/* no host struct at all */
	f->o.host = NULL;
	assert_int_equal(choose(f), -ENOENT);

	/* the host's compiler, whatever its pahole */
	f->o.host = &f->host;
	host_has(f, TEXT14, 124);
	f->need.pahole = 130;
	expect_choice(f, PB_TC_HOST, NULL, NULL, "major.minor");
	expect_msg(f->c.why, "--toolchain=host");
}

static void test_mode_named(void **state)
{
	struct fx *f = *state;
	struct pb_tc_def *d, *d12;
	struct pb_tcenv *e;

	host_has(f, TEXT14, 0);
	d = add_def(f, "debian-trixie-gcc-14", "gcc-14.2", "trixie",
		    "*+deb13-*");
	d12 = add_def(f, "debian-bookworm-gcc-12", "gcc-12.2", "bookworm", "");
	add_env(f, "old-gcc-12", "gcc-12.2", 0);
	e = add_env(f, "my-gcc-14", "gcc-14.1", 0);

	/* a definition of that name, not made: to make, even though the
	 * host has the compiler */
	f->o.mode = "debian-trixie-gcc-14";
	expect_choice(f, PB_TC_MAKE, NULL, d, "major.minor");
	/* a made one */
	f->o.mode = "my-gcc-14";
	expect_choice(f, PB_TC_ENV, e, NULL, "major");
	/* made from a definition: both known */
	snprintf(e->name, sizeof(e->name), "debian-trixie-gcc-14");
	f->o.mode = "debian-trixie-gcc-14";
	expect_choice(f, PB_TC_ENV, e, d, "major");

	f->o.mode = "nonesuch";
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "--toolchain=nonesuch: no such toolchain");

	/* one that does not provide the kernel's major: a definition, a
	 * made environment (the last one, the first one) */
	f->o.mode = d12->name;
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "--toolchain=debian-bookworm-gcc-12: it does "
			       "not provide that compiler");
	expect_msg(f->err.msg, TEXT14);
	f->o.mode = "old-gcc-12";
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "--toolchain=old-gcc-12: it does not provide");
	snprintf(f->envs[0].name, sizeof(f->envs[0].name), "last-gcc-12");
	snprintf(f->envs[1].name, sizeof(f->envs[1].name), "old-gcc-12");
	f->envs[1].provides[0] = f->envs[0].provides[0];
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "--toolchain=old-gcc-12: it does not provide");

	/* one whose libc cannot run the tree's tools */
	f->need.glibc_major = 2;
	f->need.glibc_minor = 38;
	d->glibc_major = 2;
	d->glibc_minor = 36;
	f->o.n_envs = 0;
	f->o.mode = d->name;
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "its glibc cannot run the tree's tools");
	e = add_env(f, "env-old-libc", "gcc-14.2", 0);
	e->glibc_major = 2;
	e->glibc_minor = 31;
	f->o.mode = "env-old-libc";
	assert_int_equal(choose(f), -ENOENT);
	expect_msg(f->err.msg, "--toolchain=env-old-libc: its glibc cannot");
}

static void test_opts_size(void **state)
{
	struct fx *f = *state;

	host_has(f, TEXT14, 0);
	f->o.sz = sizeof(f->o) - 1;
	assert_int_equal(choose(f), -EINVAL);
	expect_msg(f->err.msg, "too old");
	f->o.sz = 0;
	assert_int_equal(choose(f), -EINVAL);
	assert_int_equal(pb_tc_choose(&f->need, NULL, &f->c, &f->err), -EINVAL);
	/* a bigger one (a newer caller) is taken */
	f->o.sz = sizeof(f->o) + 8;
	expect_choice(f, PB_TC_HOST, NULL, NULL, "major.minor");
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tcenv_open, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_tcenv_list, pbt_rm_tmpdirs),
		FX_TEST(test_host),
		FX_TEST(test_host_other_pahole),
		FX_TEST(test_made_env),
		FX_TEST(test_defs),
		FX_TEST(test_glibc),
		FX_TEST(test_mode_host),
		FX_TEST(test_mode_named),
		FX_TEST(test_opts_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

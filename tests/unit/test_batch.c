/* The batch hooks of the real debian, ubuntu and centos plugins, loaded
 * through the registry, on lists of package file names as mirrors serve
 * them (the files need not exist: the batch stage only reads names). */
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

#include "plugin/registry.h"
#include "probe-builder/probe-builder.h"
#include "testutil.h"

static struct pb_registry reg;

static int setup(void **state)
{
	const char *dirs[2];
	struct pb_registry_opts opts;
	struct pb_err err = {0};

	(void)state;
	dirs[0] = getenv("PB_BUILD_PLUGINDIR");
	dirs[1] = getenv("PB_BUILD_DISTRODIR");
	if (!dirs[0] || !dirs[1]) {
		fprintf(stderr, "PB_BUILD_PLUGINDIR and PB_BUILD_DISTRODIR "
				"must be set (run through make check)\n");
		return -1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.plugin_dirs = dirs;
	opts.n_plugin_dirs = 2;
	if (pb_registry_load(&reg, &opts, &err) < 0) {
		fprintf(stderr, "registry: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pb_registry_free(&reg);
	return 0;
}

static const struct pb_plugin *plugin_of(const char *distro)
{
	const struct pb_distro *d = pb_registry_find(&reg, distro);

	if (!d || !d->builder)
		fail_msg("distro %s is not loaded", distro);
	return d->builder->plugin;
}

static struct pb_batch *run(const char *distro, const char *const *paths,
			    size_t n)
{
	const struct pb_plugin *p = plugin_of(distro);
	struct pb_batch *b = pb_batch_new();
	struct pb_err err = {0};
	int ret;

	assert_non_null(b);
	ret = p->batch(b, paths, n, &err);
	if (ret)
		fail_msg("%s batch hook failed: %d %s", distro, ret, err.msg);
	return b;
}

struct exp_pkg {
	const char *path;
	enum pb_pkg_role role;
};

#define TREE(p)                  \
	{                        \
		(p), PB_PKG_TREE \
	}
#define CONF(p)                    \
	{                          \
		(p), PB_PKG_CONFIG \
	}

/* The release exists with that arch, that failure (NULL: none; else a
 * string the failure must hold) and exactly those packages. */
static void expect_release(const struct pb_batch *b, const char *rel,
			   const char *arch, const char *failure,
			   const struct exp_pkg *pkgs, size_t n_pkgs)
{
	long i = pb_batch_find(b, rel);
	const char *f, *a;
	size_t j, k;

	if (i < 0)
		fail_msg("no release %s in the batch", rel);
	a = pb_batch_release_arch(b, (size_t)i);
	if (!a || strcmp(a, arch) != 0)
		fail_msg("release %s: arch %s, expected %s", rel,
			 a ? a : "(none)", arch);
	f = pb_batch_release_failure(b, (size_t)i);
	if (!failure && f)
		fail_msg("release %s: unexpected failure: %s", rel, f);
	if (failure && (!f || !strstr(f, failure)))
		fail_msg("release %s: failure '%s' does not mention '%s'", rel,
			 f ? f : "(none)", failure);
	for (k = 0; k < n_pkgs; k++) {
		for (j = 0; j < pb_batch_n_packages(b, (size_t)i); j++) {
			enum pb_pkg_role role;
			const char *p =
				pb_batch_package(b, (size_t)i, j, &role);

			if (strcmp(p, pkgs[k].path) != 0)
				continue;
			if (role != pkgs[k].role)
				fail_msg("release %s: %s has role %d, "
					 "expected %d",
					 rel, p, (int)role, (int)pkgs[k].role);
			break;
		}
		if (j == pb_batch_n_packages(b, (size_t)i))
			fail_msg("release %s lacks %s", rel, pkgs[k].path);
	}
	if (pb_batch_n_packages(b, (size_t)i) != n_pkgs) {
		for (j = 0; j < pb_batch_n_packages(b, (size_t)i); j++)
			fprintf(stderr, "  %s has %s\n", rel,
				pb_batch_package(b, (size_t)i, j, NULL));
		fail_msg("release %s has %zu packages, expected %zu", rel,
			 pb_batch_n_packages(b, (size_t)i), n_pkgs);
	}
	/* kept in base name order, whatever the input order */
	for (j = 1; j < n_pkgs; j++)
		assert_true(strcmp(pb_basename(pb_batch_package(b, (size_t)i,
								j - 1, NULL)),
				   pb_basename(pb_batch_package(b, (size_t)i, j,
								NULL))) < 0);
}

/* path was ignored, with a reason (that holds `reason` if not NULL) */
static void expect_ignored(const struct pb_batch *b, const char *path,
			   const char *reason)
{
	size_t i;

	for (i = 0; i < pb_batch_n_ignored(b); i++) {
		const char *why;
		const char *p = pb_batch_ignored(b, i, &why);

		if (strcmp(p, path) != 0)
			continue;
		assert_non_null(why);
		if (!why[0])
			fail_msg("%s ignored without a reason", path);
		if (reason && !strstr(why, reason))
			fail_msg("%s ignored because '%s', which does not "
				 "mention '%s'",
				 path, why, reason);
		return;
	}
	fail_msg("%s was not ignored", path);
}

static void expect_n(const struct pb_batch *b, size_t n_releases,
		     size_t n_ignored)
{
	size_t i;

	if (pb_batch_n_releases(b) != n_releases) {
		for (i = 0; i < pb_batch_n_releases(b); i++)
			fprintf(stderr, "  release %s\n",
				pb_batch_release(b, i));
		fail_msg("%zu releases, expected %zu", pb_batch_n_releases(b),
			 n_releases);
	}
	if (pb_batch_n_ignored(b) != n_ignored) {
		for (i = 0; i < pb_batch_n_ignored(b); i++) {
			const char *why;
			const char *p = pb_batch_ignored(b, i, &why);

			fprintf(stderr, "  ignored %s: %s\n", p, why);
		}
		fail_msg("%zu ignored, expected %zu", pb_batch_n_ignored(b),
			 n_ignored);
	}
}

/* ------------------------------------------------------- the batch API */

/* pb_batch_ignore_rest: what is neither in a kernel nor ignored. */
static void test_ignore_rest(void **state)
{
	static const char *const paths[] = {"/p/a.deb", "/p/b.deb", "/p/c.deb",
					    "/p/d.deb"};
	struct pb_batch *b = pb_batch_new();
	struct pb_err err = {0};
	const char *why;

	(void)state;
	assert_non_null(b);
	assert_int_equal(
		pb_batch_add(b, "1.0", "x86_64", paths[0], PB_PKG_TREE, &err),
		0);
	pb_batch_ignore(b, paths[2], "not ours");
	assert_int_equal(
		pb_batch_ignore_rest(b, paths, 4, "no kernel for it", &err), 0);
	assert_int_equal(pb_batch_n_ignored(b), 3);
	assert_string_equal(pb_batch_ignored(b, 0, &why), "/p/c.deb");
	assert_string_equal(why, "not ours");
	assert_string_equal(pb_batch_ignored(b, 1, &why), "/p/b.deb");
	assert_string_equal(why, "no kernel for it");
	assert_string_equal(pb_batch_ignored(b, 2, &why), "/p/d.deb");
	assert_string_equal(why, "no kernel for it");
	/* nothing left: a second call adds nothing */
	assert_int_equal(
		pb_batch_ignore_rest(b, paths, 4, "no kernel for it", &err), 0);
	assert_int_equal(pb_batch_n_ignored(b), 3);
	pb_batch_free(b);
}

static void test_batch_api(void **state)
{
	struct pb_batch *b = pb_batch_new();
	struct pb_err err = {0};
	enum pb_pkg_role role;
	const char *why;
	static const char *const bad[] = {"", ".", "..", "6.1/x", NULL};
	size_t i;

	(void)state;
	assert_non_null(b);
	/* releases by name, packages by base name, whatever the order */
	assert_int_equal(pb_batch_add(b, "6.1.0-56-cloud-amd64", "x86_64",
				      "/z/linux-kbuild-6.1_1_amd64.deb",
				      PB_PKG_TREE, &err),
			 0);
	assert_int_equal(pb_batch_add(b, "6.1.0-56-cloud-amd64", "x86_64",
				      "/a/linux-image-x_1_amd64.deb",
				      PB_PKG_CONFIG, &err),
			 0);
	assert_int_equal(pb_batch_add(b, "6.1.0-56-cloud-amd64", "x86_64",
				      "/m/linux-headers-x_1_amd64.deb",
				      PB_PKG_TREE, &err),
			 0);
	assert_int_equal(pb_batch_add(b, "6.1.0-56-amd64", "x86_64",
				      "/m/linux-headers-y_1_amd64.deb",
				      PB_PKG_TREE, &err),
			 0);
	/* the same path twice: once */
	assert_int_equal(pb_batch_add(b, "6.1.0-56-cloud-amd64", "x86_64",
				      "/a/linux-image-x_1_amd64.deb",
				      PB_PKG_CONFIG, &err),
			 0);
	assert_int_equal(pb_batch_n_releases(b), 2);
	assert_string_equal(pb_batch_release(b, 0), "6.1.0-56-amd64");
	assert_string_equal(pb_batch_release(b, 1), "6.1.0-56-cloud-amd64");
	assert_int_equal(pb_batch_find(b, "6.1.0-56-cloud-amd64"), 1);
	assert_int_equal(pb_batch_find(b, "6.1.0-57-amd64"), -1);
	assert_int_equal(pb_batch_n_packages(b, 1), 3);
	/* headers < image < kbuild, the directories do not count */
	assert_string_equal(pb_batch_package(b, 1, 0, &role),
			    "/m/linux-headers-x_1_amd64.deb");
	assert_int_equal(role, PB_PKG_TREE);
	assert_string_equal(pb_batch_package(b, 1, 1, &role),
			    "/a/linux-image-x_1_amd64.deb");
	assert_int_equal(role, PB_PKG_CONFIG);
	assert_string_equal(pb_batch_package(b, 1, 2, &role),
			    "/z/linux-kbuild-6.1_1_amd64.deb");
	assert_int_equal(role, PB_PKG_TREE);
	assert_null(pb_batch_package(b, 1, 3, NULL));
	assert_null(pb_batch_package(b, 2, 0, NULL));
	assert_null(pb_batch_release(b, 2));
	assert_int_equal(pb_batch_n_packages(b, 2), 0);

	/* another arch for the same release: not taken, ignored with the
	 * reason (a run builds for one architecture) */
	assert_int_equal(pb_batch_add(b, "6.1.0-56-amd64", "aarch64",
				      "/m/other_1_arm64.deb", PB_PKG_TREE,
				      &err),
			 0);
	assert_int_equal(pb_batch_n_packages(b, 0), 1);
	{
		size_t k, seen = 0;

		for (k = 0; k < pb_batch_n_ignored(b); k++) {
			const char *reason = NULL;
			const char *p = pb_batch_ignored(b, k, &reason);

			if (strcmp(p, "/m/other_1_arm64.deb") == 0) {
				seen++;
				assert_non_null(
					strstr(reason, "architecture aarch64"));
				assert_non_null(strstr(reason, "x86_64"));
			}
		}
		assert_int_equal(seen, 1);
	}
	/* names that cannot be a directory */
	for (i = 0; i < PBT_N_OF(bad); i++)
		assert_int_equal(pb_batch_add(b, bad[i], "x86_64",
					      "/p_1_all.deb", PB_PKG_TREE,
					      &err),
				 -EINVAL);
	assert_int_equal(pb_batch_n_releases(b), 2);

	/* every failure reason is kept */
	assert_null(pb_batch_release_failure(b, 0));
	pb_batch_fail(b, "6.1.0-56-amd64", "no %s", "linux-kbuild-6.1");
	pb_batch_fail(b, "6.1.0-56-amd64", "no %s", "linux-image");
	assert_non_null(
		strstr(pb_batch_release_failure(b, 0), "no linux-kbuild-6.1"));
	assert_non_null(
		strstr(pb_batch_release_failure(b, 0), "no linux-image"));
	/* failing a release creates it */
	pb_batch_fail(b, "5.10.0-1-amd64", "broken");
	assert_int_equal(pb_batch_n_releases(b), 3);
	assert_string_equal(pb_batch_release_failure(b, 0), "broken");
	assert_null(pb_batch_release_arch(b, 0));

	/* the arm64 package above is the first ignored file */
	pb_batch_ignore(b, "/x/README", "not a %s", "package");
	assert_int_equal(pb_batch_n_ignored(b), 2);
	assert_string_equal(pb_batch_ignored(b, 1, &why), "/x/README");
	assert_string_equal(why, "not a package");
	assert_null(pb_batch_ignored(b, 2, &why));
	pb_batch_free(b);
	pb_batch_free(NULL);
}

/* ---------------------------------------------------------------- Debian */

#define D "/srv/mirror/debian/pool/main/l/linux/"
#define DS "/srv/mirror/debian-security/pool/updates/main/l/linux/"
static const char H_AMD[] =
	D "linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb";
static const char H_CLOUD[] =
	D "linux-headers-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb";
static const char H_RT[] =
	D "linux-headers-6.1.0-56-rt-amd64_6.1.192-2_amd64.deb";
static const char COMMON[] =
	D "linux-headers-6.1.0-56-common_6.1.192-2_all.deb";
static const char COMMON_RT[] =
	D "linux-headers-6.1.0-56-common-rt_6.1.192-2_all.deb";
static const char KBUILD[] = D "linux-kbuild-6.1_6.1.192-2_amd64.deb";
static const char I_AMD[] = D "linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb";
static const char I_CLOUD[] =
	D "linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb";
static const char I_RT[] =
	D "linux-image-6.1.0-56-rt-amd64_6.1.192-2_amd64.deb";
static const char I_DBG[] =
	D "linux-image-6.1.0-56-amd64-dbg_6.1.192-2_amd64.deb";
static const char I_UNSIGNED[] =
	D "linux-image-6.1.0-56-amd64-unsigned_6.1.192-2_amd64.deb";
static const char META_H[] = D "linux-headers-amd64_6.1.192-2_amd64.deb";
static const char META_I[] = D "linux-image-amd64_6.1.192-2_amd64.deb";
static const char KBUILD_NEWER[] = DS "linux-kbuild-6.1_6.1.200-1_amd64.deb";
static const char KBUILD_OLDER[] = D "linux-kbuild-6.1_6.1.158-1_amd64.deb";
/* the same kernel release, an older upload of it */
static const char H_AMD_OLD[] =
	D "linux-headers-6.1.0-56-amd64_6.1.190-1_amd64.deb";
static const char COMMON_OLD[] =
	D "linux-headers-6.1.0-56-common_6.1.190-1_all.deb";
static const char I_AMD_OLD[] =
	D "linux-image-6.1.0-56-amd64_6.1.190-1_amd64.deb";
/* arm64, sharing the _all common package with amd64 */
static const char H_ARM[] =
	D "linux-headers-6.1.0-56-arm64_6.1.192-2_arm64.deb";
static const char KBUILD_ARM[] = D "linux-kbuild-6.1_6.1.192-2_arm64.deb";
static const char I_ARM[] = D "linux-image-6.1.0-56-arm64_6.1.192-2_arm64.deb";
/* bookworm's 6.12 */
static const char H_612[] =
	D "linux-headers-6.12.111+deb12-amd64_6.12.111-1~deb12u1_amd64.deb";
static const char COMMON_612[] =
	D "linux-headers-6.12.111+deb12-common_6.12.111-1~deb12u1_all.deb";
static const char KBUILD_612[] =
	D "linux-kbuild-6.12.111+deb12_6.12.111-1~deb12u1_amd64.deb";
static const char I_612[] =
	D "linux-image-6.12.111+deb12-amd64_6.12.111-1~deb12u1_amd64.deb";
/* bullseye-backports' 6.1 */
static const char H_BPO[] =
	D "linux-headers-6.1.0-0.deb11.21-amd64_6.1.90-1~deb11u1_amd64.deb";
static const char COMMON_BPO[] =
	D "linux-headers-6.1.0-0.deb11.21-common_6.1.90-1~deb11u1_all.deb";
static const char KBUILD_BPO[] =
	D "linux-kbuild-6.1_6.1.90-1~deb11u1_amd64.deb";
static const char I_BPO[] =
	D "linux-image-6.1.0-0.deb11.21-amd64_6.1.90-1~deb11u1_amd64.deb";

static void test_debian_flavors(void **state)
{
	const char *const in[] = {H_AMD,     H_CLOUD, H_RT,   COMMON,
				  COMMON_RT, KBUILD,  I_AMD,  I_CLOUD,
				  I_RT,	     I_DBG,   META_H, META_I};
	const struct exp_pkg amd[] = {TREE(H_AMD), TREE(COMMON), TREE(KBUILD),
				      CONF(I_AMD)};
	const struct exp_pkg cloud[] = {TREE(H_CLOUD), TREE(COMMON),
					TREE(KBUILD), CONF(I_CLOUD)};
	const struct exp_pkg rt[] = {TREE(H_RT), TREE(COMMON_RT), TREE(KBUILD),
				     CONF(I_RT)};
	struct pb_batch *b;

	(void)state;
	b = run("debian", in, PBT_N_OF(in));
	expect_release(b, "6.1.0-56-amd64", "x86_64", NULL, amd, PBT_N_OF(amd));
	expect_release(b, "6.1.0-56-cloud-amd64", "x86_64", NULL, cloud,
		       PBT_N_OF(cloud));
	expect_release(b, "6.1.0-56-rt-amd64", "x86_64", NULL, rt,
		       PBT_N_OF(rt));
	/* the debug image and the metapackages are nothing to build from */
	expect_ignored(b, I_DBG, NULL);
	expect_ignored(b, META_H, NULL);
	expect_ignored(b, META_I, NULL);
	expect_n(b, 3, 3);
	pb_batch_free(b);
}

static void test_debian_rt_needs_common_rt(void **state)
{
	const char *const in[] = {H_RT, COMMON, KBUILD, I_RT};
	const struct exp_pkg rt[] = {TREE(H_RT), TREE(KBUILD), CONF(I_RT)};
	struct pb_batch *b;

	(void)state;
	b = run("debian", in, PBT_N_OF(in));
	expect_release(b, "6.1.0-56-rt-amd64", "x86_64",
		       "linux-headers-6.1.0-56-common-rt", rt, PBT_N_OF(rt));
	/* the plain common package is not the rt flavor's */
	expect_ignored(b, COMMON, NULL);
	expect_n(b, 1, 1);
	pb_batch_free(b);
}

static void test_debian_deb12_abi(void **state)
{
	const char *const in[] = {KBUILD_612, I_612, COMMON_612, H_612};
	const struct exp_pkg exp[] = {TREE(H_612), TREE(COMMON_612),
				      TREE(KBUILD_612), CONF(I_612)};
	struct pb_batch *b;

	(void)state;
	b = run("debian", in, PBT_N_OF(in));
	expect_release(b, "6.12.111+deb12-amd64", "x86_64", NULL, exp,
		       PBT_N_OF(exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);
}

static void test_debian_backports_abi(void **state)
{
	const char *const in[] = {H_BPO, COMMON_BPO, KBUILD_BPO, I_BPO};
	const struct exp_pkg exp[] = {TREE(H_BPO), TREE(COMMON_BPO),
				      TREE(KBUILD_BPO), CONF(I_BPO)};
	struct pb_batch *b;

	(void)state;
	b = run("debian", in, PBT_N_OF(in));
	expect_release(b, "6.1.0-0.deb11.21-amd64", "x86_64", NULL, exp,
		       PBT_N_OF(exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);
}

static void test_debian_kbuild_choice(void **state)
{
	/* the exact version wins over a newer one, whatever the order */
	const char *const in1[] = {H_AMD,	 COMMON, I_AMD,
				   KBUILD_NEWER, KBUILD, KBUILD_OLDER};
	const char *const in2[] = {KBUILD_OLDER, KBUILD, KBUILD_NEWER,
				   H_AMD,	 COMMON, I_AMD};
	const struct exp_pkg exact[] = {TREE(H_AMD), TREE(COMMON), TREE(KBUILD),
					CONF(I_AMD)};
	/* without it, a newer one serves (kbuild is backward compatible) */
	const char *const in3[] = {KBUILD_OLDER, H_AMD, COMMON, I_AMD,
				   KBUILD_NEWER};
	const struct exp_pkg newer[] = {TREE(H_AMD), TREE(COMMON),
					TREE(KBUILD_NEWER), CONF(I_AMD)};
	struct pb_batch *b;

	(void)state;
	b = run("debian", in1, PBT_N_OF(in1));
	expect_release(b, "6.1.0-56-amd64", "x86_64", NULL, exact,
		       PBT_N_OF(exact));
	expect_ignored(b, KBUILD_NEWER, NULL);
	expect_ignored(b, KBUILD_OLDER, NULL);
	expect_n(b, 1, 2);
	pb_batch_free(b);

	b = run("debian", in2, PBT_N_OF(in2));
	expect_release(b, "6.1.0-56-amd64", "x86_64", NULL, exact,
		       PBT_N_OF(exact));
	expect_n(b, 1, 2);
	pb_batch_free(b);

	b = run("debian", in3, PBT_N_OF(in3));
	expect_release(b, "6.1.0-56-amd64", "x86_64", NULL, newer,
		       PBT_N_OF(newer));
	expect_ignored(b, KBUILD_OLDER, NULL);
	expect_n(b, 1, 1);
	pb_batch_free(b);
}

static void test_debian_missing_packages(void **state)
{
	const char *const no_image[] = {H_AMD, COMMON, KBUILD};
	const struct exp_pkg no_image_exp[] = {TREE(H_AMD), TREE(COMMON),
					       TREE(KBUILD)};
	const char *const no_kbuild[] = {H_AMD, COMMON, I_AMD};
	const struct exp_pkg no_kbuild_exp[] = {TREE(H_AMD), TREE(COMMON),
						CONF(I_AMD)};
	/* an older kbuild does not do */
	const char *const old_kbuild[] = {H_AMD, COMMON, I_AMD, KBUILD_OLDER};
	const char *const no_common[] = {H_AMD, KBUILD, I_AMD};
	const struct exp_pkg no_common_exp[] = {TREE(H_AMD), TREE(KBUILD),
						CONF(I_AMD)};
	struct pb_batch *b;

	(void)state;
	b = run("debian", no_image, PBT_N_OF(no_image));
	expect_release(b, "6.1.0-56-amd64", "x86_64", "linux-image",
		       no_image_exp, PBT_N_OF(no_image_exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);

	b = run("debian", no_kbuild, PBT_N_OF(no_kbuild));
	expect_release(b, "6.1.0-56-amd64", "x86_64", "linux-kbuild",
		       no_kbuild_exp, PBT_N_OF(no_kbuild_exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);

	b = run("debian", old_kbuild, PBT_N_OF(old_kbuild));
	expect_release(b, "6.1.0-56-amd64", "x86_64", "linux-kbuild",
		       no_kbuild_exp, PBT_N_OF(no_kbuild_exp));
	expect_ignored(b, KBUILD_OLDER, NULL);
	expect_n(b, 1, 1);
	pb_batch_free(b);

	b = run("debian", no_common, PBT_N_OF(no_common));
	expect_release(b, "6.1.0-56-amd64", "x86_64",
		       "linux-headers-6.1.0-56-common", no_common_exp,
		       PBT_N_OF(no_common_exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);
}

static void test_debian_unsigned_image(void **state)
{
	const char *const in[] = {H_AMD, COMMON, KBUILD, I_UNSIGNED};
	const struct exp_pkg exp[] = {TREE(H_AMD), TREE(COMMON), TREE(KBUILD),
				      CONF(I_UNSIGNED)};
	struct pb_batch *b;

	(void)state;
	b = run("debian", in, PBT_N_OF(in));
	expect_release(b, "6.1.0-56-amd64", "x86_64", NULL, exp, PBT_N_OF(exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);
}

static void test_debian_not_debs(void **state)
{
	static const char rpm[] =
		"kernel-devel-4.18.0-513.5.1.el8_9.x86_64.rpm";
	static const char junk[] = D "Packages.gz";
	const char *const in[] = {rpm, junk};
	struct pb_batch *b;

	(void)state;
	b = run("debian", in, PBT_N_OF(in));
	expect_ignored(b, rpm, NULL);
	expect_ignored(b, junk, NULL);
	expect_n(b, 0, 2);
	pb_batch_free(b);

	b = run("debian", NULL, 0);
	expect_n(b, 0, 0);
	pb_batch_free(b);
}

/* Two uploads of one kernel release (same ABI, a point release or a
 * security re-upload): only the newer one is built, whichever file comes
 * first. */
static void test_debian_two_versions_of_a_release(void **state)
{
	const char *const newer_first[] = {
		H_AMD, COMMON, I_AMD, KBUILD, H_AMD_OLD, COMMON_OLD, I_AMD_OLD};
	const char *const older_first[] = {
		H_AMD_OLD, COMMON_OLD, I_AMD_OLD, H_AMD, COMMON, I_AMD, KBUILD};
	const struct exp_pkg exp[] = {TREE(H_AMD), TREE(COMMON), TREE(KBUILD),
				      CONF(I_AMD)};
	struct pb_batch *b;

	(void)state;
	b = run("debian", older_first, PBT_N_OF(older_first));
	expect_release(b, "6.1.0-56-amd64", "x86_64", NULL, exp, PBT_N_OF(exp));
	expect_ignored(b, H_AMD_OLD, NULL);
	expect_n(b, 1, 3);
	pb_batch_free(b);

	b = run("debian", newer_first, PBT_N_OF(newer_first));
	expect_release(b, "6.1.0-56-amd64", "x86_64", NULL, exp, PBT_N_OF(exp));
	expect_ignored(b, H_AMD_OLD, NULL);
	expect_n(b, 1, 3);
	pb_batch_free(b);
}

/* A mirror holding amd64 and arm64: each release gets the linux-kbuild of
 * its own architecture (its scripts are host binaries, and probes are
 * built on a host of the kernel's architecture). */
static void test_debian_two_architectures(void **state)
{
	const char *const amd_first[] = {H_AMD, H_ARM,	    COMMON, KBUILD,
					 I_AMD, KBUILD_ARM, I_ARM};
	const char *const arm_first[] = {KBUILD_ARM, I_ARM, H_ARM, COMMON,
					 KBUILD,     H_AMD, I_AMD};
	const struct exp_pkg amd[] = {TREE(H_AMD), TREE(COMMON), TREE(KBUILD),
				      CONF(I_AMD)};
	const struct exp_pkg arm[] = {TREE(H_ARM), TREE(COMMON),
				      TREE(KBUILD_ARM), CONF(I_ARM)};
	const char *const *ins[] = {amd_first, arm_first};
	size_t k;

	(void)state;
	for (k = 0; k < PBT_N_OF(ins); k++) {
		struct pb_batch *b = run("debian", ins[k], PBT_N_OF(amd_first));

		expect_release(b, "6.1.0-56-amd64", "x86_64", NULL, amd,
			       PBT_N_OF(amd));
		expect_release(b, "6.1.0-56-arm64", "aarch64", NULL, arm,
			       PBT_N_OF(arm));
		expect_n(b, 2, 0);
		pb_batch_free(b);
	}
}

/* ---------------------------------------------------------------- Ubuntu */

#define U "/srv/mirror/ubuntu/pool/main/l/linux/"
#define UA "/srv/mirror/ubuntu/pool/main/l/linux-aws/"
static const char U_COMMON[] =
	U "linux-headers-5.15.0-91_5.15.0-91.101_all.deb";
static const char U_GEN[] =
	U "linux-headers-5.15.0-91-generic_5.15.0-91.101_amd64.deb";
static const char U_LOW[] =
	U "linux-headers-5.15.0-91-lowlatency_5.15.0-91.101_amd64.deb";
static const char U_MOD_GEN[] =
	U "linux-modules-5.15.0-91-generic_5.15.0-91.101_amd64.deb";
static const char U_MOD_LOW[] =
	U "linux-modules-5.15.0-91-lowlatency_5.15.0-91.101_amd64.deb";
static const char U_EXTRA[] =
	U "linux-modules-extra-5.15.0-91-generic_5.15.0-91.101_amd64.deb";
static const char U_META[] = U "linux-headers-generic_5.15.0.91.88_amd64.deb";
static const char U_AWS_COMMON[] =
	UA "linux-aws-headers-5.15.0-1051_5.15.0-1051.56_all.deb";
static const char U_AWS[] =
	UA "linux-headers-5.15.0-1051-aws_5.15.0-1051.56_amd64.deb";
static const char U_AWS_MOD[] =
	UA "linux-modules-5.15.0-1051-aws_5.15.0-1051.56_amd64.deb";
static const char U_GEN_ARM[] =
	U "linux-headers-5.15.0-91-generic_5.15.0-91.101_arm64.deb";
static const char U_MOD_ARM[] =
	U "linux-modules-5.15.0-91-generic_5.15.0-91.101_arm64.deb";
/* focal's HWE kernel: the shared package is linux-hwe-5.15-headers */
static const char U_HWE_COMMON[] =
	U "linux-hwe-5.15-headers-5.15.0-91_5.15.0-91.101~20.04.1_all.deb";
static const char U_HWE[] = U "linux-headers-5.15.0-91-generic_5.15.0-91.101"
			      "~20.04.1_amd64.deb";
static const char U_HWE_IMG[] = U "linux-image-unsigned-5.15.0-91-generic_"
				  "5.15.0-91.101~20.04.1_amd64.deb";

static void test_ubuntu_flavors(void **state)
{
	const char *const in[] = {U_COMMON,  U_GEN,    U_LOW,  U_MOD_GEN,
				  U_MOD_LOW, U_EXTRA,  U_META, U_AWS_COMMON,
				  U_AWS,     U_AWS_MOD};
	const struct exp_pkg gen[] = {TREE(U_GEN), TREE(U_COMMON),
				      CONF(U_MOD_GEN)};
	const struct exp_pkg low[] = {TREE(U_LOW), TREE(U_COMMON),
				      CONF(U_MOD_LOW)};
	const struct exp_pkg aws[] = {TREE(U_AWS), TREE(U_AWS_COMMON),
				      CONF(U_AWS_MOD)};
	struct pb_batch *b;

	(void)state;
	b = run("ubuntu", in, PBT_N_OF(in));
	/* the _all package goes into both flavors' trees */
	expect_release(b, "5.15.0-91-generic", "x86_64", NULL, gen,
		       PBT_N_OF(gen));
	expect_release(b, "5.15.0-91-lowlatency", "x86_64", NULL, low,
		       PBT_N_OF(low));
	expect_release(b, "5.15.0-1051-aws", "x86_64", NULL, aws,
		       PBT_N_OF(aws));
	expect_ignored(b, U_EXTRA, NULL);
	expect_ignored(b, U_META, NULL);
	expect_n(b, 3, 2);
	pb_batch_free(b);
}

static void test_ubuntu_arm64(void **state)
{
	const char *const in[] = {U_MOD_ARM, U_COMMON, U_GEN_ARM};
	const struct exp_pkg exp[] = {TREE(U_GEN_ARM), TREE(U_COMMON),
				      CONF(U_MOD_ARM)};
	struct pb_batch *b;

	(void)state;
	b = run("ubuntu", in, PBT_N_OF(in));
	expect_release(b, "5.15.0-91-generic", "aarch64", NULL, exp,
		       PBT_N_OF(exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);
}

static void test_ubuntu_hwe_and_image(void **state)
{
	const char *const in[] = {U_HWE_IMG, U_HWE, U_HWE_COMMON};
	const struct exp_pkg exp[] = {TREE(U_HWE), TREE(U_HWE_COMMON),
				      CONF(U_HWE_IMG)};
	struct pb_batch *b;

	(void)state;
	b = run("ubuntu", in, PBT_N_OF(in));
	expect_release(b, "5.15.0-91-generic", "x86_64", NULL, exp,
		       PBT_N_OF(exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);
}

static void test_ubuntu_missing_packages(void **state)
{
	const char *const no_mod[] = {U_GEN, U_COMMON, U_EXTRA};
	const struct exp_pkg no_mod_exp[] = {TREE(U_GEN), TREE(U_COMMON)};
	const char *const no_common[] = {U_GEN, U_MOD_GEN};
	const struct exp_pkg no_common_exp[] = {TREE(U_GEN), CONF(U_MOD_GEN)};
	/* the modules of one flavor are not another's config */
	const char *const wrong_mod[] = {U_LOW, U_COMMON, U_MOD_GEN};
	const struct exp_pkg wrong_mod_exp[] = {TREE(U_LOW), TREE(U_COMMON)};
	struct pb_batch *b;

	(void)state;
	b = run("ubuntu", no_mod, PBT_N_OF(no_mod));
	expect_release(b, "5.15.0-91-generic", "x86_64", "linux-modules",
		       no_mod_exp, PBT_N_OF(no_mod_exp));
	expect_ignored(b, U_EXTRA, NULL);
	expect_n(b, 1, 1);
	pb_batch_free(b);

	b = run("ubuntu", no_common, PBT_N_OF(no_common));
	expect_release(b, "5.15.0-91-generic", "x86_64",
		       "linux-headers-5.15.0-91", no_common_exp,
		       PBT_N_OF(no_common_exp));
	expect_n(b, 1, 0);
	pb_batch_free(b);

	b = run("ubuntu", wrong_mod, PBT_N_OF(wrong_mod));
	expect_release(b, "5.15.0-91-lowlatency", "x86_64", "linux-modules",
		       wrong_mod_exp, PBT_N_OF(wrong_mod_exp));
	expect_ignored(b, U_MOD_GEN, NULL);
	expect_n(b, 1, 1);
	pb_batch_free(b);
}

/* ------------------------------------------- kernels by key, Depends */

/* Runs the batch hook of distro after giving it the Depends of some files:
 * deps holds pairs (path, Depends), NULL-terminated. */
static struct pb_batch *run_deps(const char *distro, const char *const *paths,
				 size_t n, const char *const *deps)
{
	const struct pb_plugin *p = plugin_of(distro);
	struct pb_batch *b = pb_batch_new();
	struct pb_err err = {0};
	size_t k;
	int ret;

	assert_non_null(b);
	for (k = 0; deps && deps[k]; k += 2)
		assert_int_equal(
			pb_batch_set_depends(b, deps[k], deps[k + 1], &err), 0);
	ret = p->batch(b, paths, n, &err);
	if (ret)
		fail_msg("%s batch hook failed: %d %s", distro, ret, err.msg);
	return b;
}

/* The kernel of key (rel, x86_64, version) has exactly those packages
 * and that failure (NULL: none; else a string the failure holds). */
static void expect_kernel(const struct pb_batch *b, const char *rel,
			  const char *version, const char *failure,
			  const char *const *pkgs, size_t n_pkgs)
{
	struct pb_batch_key k = {sizeof(k), rel, "x86_64", version};
	long i = pb_batch_find_key(b, &k);
	const char *f;
	size_t j, m;

	if (i < 0)
		fail_msg("no kernel %s %s in the batch", rel, version);
	assert_string_equal(pb_batch_release(b, (size_t)i), rel);
	assert_string_equal(pb_batch_release_version(b, (size_t)i), version);
	f = pb_batch_release_failure(b, (size_t)i);
	if (!failure && f)
		fail_msg("%s %s: unexpected failure: %s", rel, version, f);
	if (failure && (!f || !strstr(f, failure)))
		fail_msg("%s %s: failure '%s' does not mention '%s'", rel,
			 version, f ? f : "(none)", failure);
	for (m = 0; m < n_pkgs; m++) {
		for (j = 0; j < pb_batch_n_packages(b, (size_t)i); j++)
			if (!strcmp(pb_batch_package(b, (size_t)i, j, NULL),
				    pkgs[m]))
				break;
		if (j == pb_batch_n_packages(b, (size_t)i))
			fail_msg("%s %s lacks %s", rel, version, pkgs[m]);
	}
	if (pb_batch_n_packages(b, (size_t)i) != n_pkgs) {
		for (j = 0; j < pb_batch_n_packages(b, (size_t)i); j++)
			fprintf(stderr, "  %s %s has %s\n", rel, version,
				pb_batch_package(b, (size_t)i, j, NULL));
		fail_msg("%s %s has %zu packages, expected %zu", rel, version,
			 pb_batch_n_packages(b, (size_t)i), n_pkgs);
	}
}

static void test_batch_keys(void **state)
{
	struct pb_batch *b = pb_batch_new();
	struct pb_batch_key jammy = {sizeof(jammy), "5.15.0-139-generic",
				     "x86_64", "5.15.0-139.149"};
	struct pb_batch_key focal = {sizeof(focal), "5.15.0-139-generic",
				     "x86_64", "5.15.0-139.149~20.04.1"};
	struct pb_batch_key arm = {sizeof(arm), "5.15.0-139-generic", "aarch64",
				   "5.15.0-139.149"};
	struct pb_batch_key old = {sizeof(old) - 1, "r", "x86_64", "1"};
	struct pb_err err = {0};
	char op[8], ver[64];

	(void)state;
	assert_int_equal(pb_batch_add_key(b, &focal, "/f_1_amd64.deb",
					  PB_PKG_TREE, &err),
			 0);
	assert_int_equal(pb_batch_add_key(b, &jammy, "/j_1_amd64.deb",
					  PB_PKG_TREE, &err),
			 0);
	assert_int_equal(
		pb_batch_add_key(b, &arm, "/a_1_arm64.deb", PB_PKG_TREE, &err),
		0);
	assert_int_equal(
		pb_batch_add_key(b, &jammy, "/c_1_all.deb", PB_PKG_TREE, &err),
		0);
	/* one release name, three kernels: by version, then arch */
	assert_int_equal(pb_batch_n_releases(b), 3);
	assert_int_equal(pb_batch_find_key(b, &jammy), 1);
	assert_int_equal(pb_batch_find_key(b, &arm), 0);
	assert_int_equal(pb_batch_find_key(b, &focal), 2);
	assert_string_equal(pb_batch_release_arch(b, 0), "aarch64");
	assert_int_equal(pb_batch_n_packages(b, 1), 2);
	/* the primary package is the first one added, whatever the order */
	assert_string_equal(pb_batch_release_primary(b, 1), "/j_1_amd64.deb");
	assert_string_equal(pb_batch_package(b, 1, 0, NULL), "/c_1_all.deb");
	pb_batch_fail_key(b, &focal, "no %s", "modules");
	assert_null(pb_batch_release_failure(b, 1));
	assert_string_equal(pb_batch_release_failure(b, 2), "no modules");
	assert_int_equal(pb_batch_add_series(b, 2, "focal-updates", &err), 0);
	assert_int_equal(pb_batch_add_series(b, 2, "focal-security", &err), 0);
	assert_int_equal(pb_batch_add_series(b, 2, "focal-updates", &err), 0);
	assert_int_equal(pb_batch_n_series(b, 2), 2);
	assert_string_equal(pb_batch_series(b, 2, 0), "focal-security");
	assert_null(pb_batch_series(b, 2, 2));
	/* a key struct older than the fields it must have is refused */
	assert_int_equal(pb_batch_add_key(b, &old, "/x", PB_PKG_TREE, &err),
			 -EINVAL);
	/* Depends, as packages spell it */
	assert_null(pb_batch_depends(b, "/j_1_amd64.deb"));
	assert_int_equal(pb_batch_set_depends(b, "/j_1_amd64.deb",
					      "linux-headers-5.15.0-139, libc6 "
					      "(>= 2.34), linux-kbuild-6.1:any "
					      "(>> 6.1.1), a | b (= 2)",
					      &err),
			 0);
	assert_non_null(pb_batch_depends(b, "/j_1_amd64.deb"));
	assert_true(pb_batch_depends_on(pb_batch_depends(b, "/j_1_amd64.deb"),
					"linux-headers-5.15.0-139", op,
					sizeof(op), ver, sizeof(ver)));
	assert_string_equal(op, "");
	assert_string_equal(ver, "");
	assert_true(pb_batch_depends_on(pb_batch_depends(b, "/j_1_amd64.deb"),
					"libc6", op, sizeof(op), ver,
					sizeof(ver)));
	assert_string_equal(op, ">=");
	assert_string_equal(ver, "2.34");
	assert_true(pb_batch_depends_on(pb_batch_depends(b, "/j_1_amd64.deb"),
					"linux-kbuild-6.1", op, sizeof(op), ver,
					sizeof(ver)));
	assert_string_equal(op, ">>");
	assert_string_equal(ver, "6.1.1");
	assert_true(pb_batch_depends_on("a | b (= 2)", "b", op, sizeof(op), ver,
					sizeof(ver)));
	assert_string_equal(ver, "2");
	assert_false(pb_batch_depends_on("linux-headers-5.15.0-1390",
					 "linux-headers-5.15.0-139", NULL, 0,
					 NULL, 0));
	assert_false(pb_batch_depends_on(NULL, "a", NULL, 0, NULL, 0));
	pb_batch_free(b);
}

/* Ubuntu: one release name in two series. jammy's 5.15.0-139-generic
 * and focal's HWE one are two kernels, each with its own shared tree. */
#define UF "/srv/mirror/ubuntu/pool/main/l/linux-hwe-5.15/"
static const char J_H[] =
	U "linux-headers-5.15.0-139-generic_5.15.0-139.149_amd64.deb";
static const char J_C[] = U "linux-headers-5.15.0-139_5.15.0-139.149_all.deb";
static const char J_M[] =
	U "linux-modules-5.15.0-139-generic_5.15.0-139.149_amd64.deb";
static const char F_H[] = UF "linux-headers-5.15.0-139-generic_5.15.0-139."
			     "149~20.04.1_amd64.deb";
static const char F_C[] =
	UF "linux-hwe-5.15-headers-5.15.0-139_5.15.0-139.149~20.04.1_all.deb";
static const char F_M[] = UF "linux-modules-5.15.0-139-generic_5.15.0-139."
			     "149~20.04.1_amd64.deb";

static void test_ubuntu_one_release_two_series(void **state)
{
	const char *const in[] = {F_C, F_H, F_M, J_C, J_H, J_M};
	const char *const jammy[] = {J_H, J_C, J_M};
	const char *const focal[] = {F_H, F_C, F_M};
	const char *const deps[] = {
		J_H, "linux-headers-5.15.0-139, libc6 (>= 2.34)", F_H,
		"linux-hwe-5.15-headers-5.15.0-139, libc6 (>= 2.14)", NULL};
	struct pb_batch *b;
	int with_deps;

	(void)state;
	for (with_deps = 0; with_deps < 2; with_deps++) {
		b = run_deps("ubuntu", in, PBT_N_OF(in),
			     with_deps ? deps : NULL);
		expect_n(b, 2, 0);
		expect_kernel(b, "5.15.0-139-generic", "5.15.0-139.149", NULL,
			      jammy, PBT_N_OF(jammy));
		expect_kernel(b, "5.15.0-139-generic", "5.15.0-139.149~20.04.1",
			      NULL, focal, PBT_N_OF(focal));
		pb_batch_free(b);
	}
}

/* Ubuntu: aws, gke and kvm headers share one ABI number (and here one
 * version): a flavor takes the shared tree its Depends names, no other. */
#define UAWS "/srv/mirror/ubuntu/pool/main/l/linux-aws-5.15/"
static const char AWS_H[] = UAWS "linux-headers-5.15.0-1050-aws_5.15.0-1050."
				 "55~20.04.1_amd64.deb";
static const char AWS_C[] = UAWS "linux-aws-5.15-headers-5.15.0-1050_5.15.0-"
				 "1050.55~20.04.1_all.deb";
static const char AWS_M[] = UAWS "linux-modules-5.15.0-1050-aws_5.15.0-1050."
				 "55~20.04.1_amd64.deb";
static const char GKE_H[] = UAWS "linux-headers-5.15.0-1050-gke_5.15.0-1050."
				 "55~20.04.1_amd64.deb";
static const char GKE_C[] = UAWS "linux-gke-5.15-headers-5.15.0-1050_5.15.0-"
				 "1050.55~20.04.1_all.deb";
static const char GKE_M[] = UAWS "linux-modules-5.15.0-1050-gke_5.15.0-1050."
				 "55~20.04.1_amd64.deb";
static const char KVM_H[] = UAWS "linux-headers-5.15.0-1050-kvm_5.15.0-1050."
				 "55~20.04.1_amd64.deb";
static const char KVM_C[] = UAWS "linux-kvm-headers-5.15.0-1050_5.15.0-1050."
				 "55~20.04.1_all.deb";
static const char KVM_M[] = UAWS "linux-modules-5.15.0-1050-kvm_5.15.0-1050."
				 "55~20.04.1_amd64.deb";

static void test_ubuntu_variants_share_an_abi(void **state)
{
	const char *const in[] = {KVM_M, GKE_C, AWS_H, KVM_C, GKE_H,
				  AWS_M, KVM_H, AWS_C, GKE_M};
	const char *const deps[] = {
		AWS_H, "linux-aws-5.15-headers-5.15.0-1050, libc6 (>= 2.34)",
		GKE_H, "linux-gke-5.15-headers-5.15.0-1050, libc6 (>= 2.34)",
		KVM_H, "linux-kvm-headers-5.15.0-1050",
		NULL};
	const char *const aws[] = {AWS_H, AWS_C, AWS_M};
	const char *const gke[] = {GKE_H, GKE_C, GKE_M};
	const char *const kvm[] = {KVM_H, KVM_C, KVM_M};
	const char *const aws_alone[] = {AWS_H, AWS_M};
	const char *const kvm_by_name[] = {KVM_H, KVM_C, KVM_M};
	const char *v = "5.15.0-1050.55~20.04.1";
	struct pb_batch *b;

	(void)state;
	b = run_deps("ubuntu", in, PBT_N_OF(in), deps);
	expect_n(b, 3, 0);
	expect_kernel(b, "5.15.0-1050-aws", v, NULL, aws, PBT_N_OF(aws));
	expect_kernel(b, "5.15.0-1050-gke", v, NULL, gke, PBT_N_OF(gke));
	expect_kernel(b, "5.15.0-1050-kvm", v, NULL, kvm, PBT_N_OF(kvm));
	pb_batch_free(b);

	/* without Depends: the variant named like the flavor (kvm) is
	 * plainly its own; aws-5.15 and gke-5.15 are not guessed at */
	b = run_deps("ubuntu", in, PBT_N_OF(in), NULL);
	expect_kernel(b, "5.15.0-1050-kvm", v, NULL, kvm_by_name,
		      PBT_N_OF(kvm_by_name));
	expect_kernel(b, "5.15.0-1050-aws", v, "its Depends is not known",
		      aws_alone, PBT_N_OF(aws_alone));
	pb_batch_free(b);
}

/* Debian: the linux-kbuild of the kernel's own version; else the one its
 * headers' Depends allows, the nearest; never one it does not allow. */
static void test_debian_kbuild_by_depends(void **state)
{
	static const char K191[] = D "linux-kbuild-6.1_6.1.191-1_amd64.deb";
	const char *const in[] = {H_AMD,	COMMON, I_AMD,
				  KBUILD_NEWER, K191,	KBUILD_OLDER};
	const char *const ge[] = {
		H_AMD,
		"linux-headers-6.1.0-56-common (= 6.1.192-2), linux-kbuild-6.1 "
		"(>= 6.1.190-1), linux-compiler-gcc-12-x86",
		NULL};
	const char *const eq[] = {
		H_AMD,
		"linux-headers-6.1.0-56-common (= 6.1.192-2), linux-kbuild-6.1 "
		"(= 6.1.192-2)",
		NULL};
	const char *const nearest[] = {H_AMD, COMMON, K191, I_AMD};
	const char *const none[] = {H_AMD, COMMON, I_AMD};
	const char *const exact_in[] = {H_AMD, COMMON, I_AMD, KBUILD_NEWER,
					KBUILD};
	const char *const exact[] = {H_AMD, COMMON, KBUILD, I_AMD};
	struct pb_batch *b;

	(void)state;
	b = run_deps("debian", in, PBT_N_OF(in), ge);
	expect_kernel(b, "6.1.0-56-amd64", "6.1.192-2", NULL, nearest,
		      PBT_N_OF(nearest));
	pb_batch_free(b);

	/* what the Depends allows is missing: refused, not a newer one */
	b = run_deps("debian", in, PBT_N_OF(in), eq);
	expect_kernel(b, "6.1.0-56-amd64", "6.1.192-2",
		      "no linux-kbuild-6.1 (= 6.1.192-2)", none,
		      PBT_N_OF(none));
	pb_batch_free(b);

	/* the exact version wins, Depends or not */
	b = run_deps("debian", exact_in, PBT_N_OF(exact_in), ge);
	expect_kernel(b, "6.1.0-56-amd64", "6.1.192-2", NULL, exact,
		      PBT_N_OF(exact));
	pb_batch_free(b);
}

/* Several suites crawled together: bookworm's 6.1 kbuild (older, allowed
 * by the Depends) beside bullseye-security's; the one of the kernel's own
 * Debian release wins, whatever the order. */
static void test_debian_kbuild_same_release(void **state)
{
	static const char H[] = D "linux-headers-6.1.0-0.deb11.48-amd64_6.1."
				  "158-1~deb11u1_amd64.deb";
	static const char CM[] = D "linux-headers-6.1.0-0.deb11.48-common_6.1."
				   "158-1~deb11u1_all.deb";
	static const char IM[] = D "linux-image-6.1.0-0.deb11.48-amd64_6.1.158-"
				   "1~deb11u1_amd64.deb";
	static const char KB12[] = D "linux-kbuild-6.1_6.1.176-1_amd64.deb";
	static const char KB11[] =
		D "linux-kbuild-6.1_6.1.180-1~deb11u1_amd64.deb";
	const char *const in1[] = {H, CM, IM, KB12, KB11};
	const char *const in2[] = {H, CM, IM, KB11, KB12};
	const char *const deps[] = {
		H,
		"linux-headers-6.1.0-0.deb11.48-common (= 6.1.158-1~deb11u1), "
		"linux-kbuild-6.1 (>= 6.1.158-1~deb11u1)",
		NULL};
	const char *const want[] = {H, CM, KB11, IM};
	struct pb_batch *b;

	(void)state;
	b = run_deps("debian", in1, PBT_N_OF(in1), deps);
	expect_kernel(b, "6.1.0-0.deb11.48-amd64", "6.1.158-1~deb11u1", NULL,
		      want, PBT_N_OF(want));
	pb_batch_free(b);
	b = run_deps("debian", in2, PBT_N_OF(in2), deps);
	expect_kernel(b, "6.1.0-0.deb11.48-amd64", "6.1.158-1~deb11u1", NULL,
		      want, PBT_N_OF(want));
	pb_batch_free(b);
}

/* The boot_image hook (verify): which package holds the bzImage, where. */
static void expect_boot(const char *distro, const char *rel_name,
			const char *package, const char *want)
{
	const struct pb_plugin *p = plugin_of(distro);
	struct pb_release rel = {.sz = sizeof(rel),
				 .distro = distro,
				 .name = rel_name,
				 .arch = "x86_64"};
	struct pb_err err = {0};
	char buf[256];
	int ret;

	assert_true(PB_PLUGIN_HAS(p, boot_image));
	assert_non_null(p->boot_image);
	ret = p->boot_image(&rel, package, buf, sizeof(buf), &err);
	if (!want) {
		assert_int_equal(ret, -ENOENT);
		assert_non_null(strstr(err.msg, package));
		return;
	}
	assert_int_equal(ret, 0);
	assert_string_equal(buf, want);
}

static void test_boot_image_hooks(void **state)
{
	(void)state;
	expect_boot("centos", "4.18.0-513.5.1.el8_9.x86_64",
		    "kernel-core-4.18.0-513.5.1.el8_9.x86_64.rpm",
		    "lib/modules/4.18.0-513.5.1.el8_9.x86_64/vmlinuz");
	expect_boot("centos", "3.10.0-1160.el7.x86_64",
		    "kernel-3.10.0-1160.el7.x86_64.rpm",
		    "boot/vmlinuz-3.10.0-1160.el7.x86_64");
	expect_boot("centos", "5.15.0-1.el8uek.x86_64",
		    "kernel-uek-5.15.0-1.el8uek.x86_64.rpm",
		    "boot/vmlinuz-5.15.0-1.el8uek.x86_64");
	expect_boot("centos", "3.10.0-1160.el7.x86_64",
		    "kernel-devel-3.10.0-1160.el7.x86_64.rpm", NULL);
	expect_boot("debian", "6.1.0-57-amd64",
		    "linux-image-6.1.0-57-amd64_6.1.192-3_amd64.deb",
		    "boot/vmlinuz-6.1.0-57-amd64");
	expect_boot("debian", "6.1.0-57-amd64",
		    "linux-headers-6.1.0-57-amd64_6.1.192-3_amd64.deb", NULL);
	expect_boot("ubuntu", "6.8.0-151-generic",
		    "linux-image-unsigned-6.8.0-151-generic_6.8.0-151.151_"
		    "amd64.deb",
		    "boot/vmlinuz-6.8.0-151-generic");
	expect_boot("ubuntu", "6.8.0-151-generic",
		    "linux-modules-6.8.0-151-generic_6.8.0-151.151_amd64.deb",
		    NULL);
}

/* ---------------------------------------------------------------- CentOS */

#define C "/srv/mirror/centos/8/BaseOS/x86_64/os/Packages/"
static const char C_DEV8[] = C "kernel-devel-4.18.0-513.5.1.el8_9.x86_64.rpm";
static const char C_CORE8[] = C "kernel-core-4.18.0-513.5.1.el8_9.x86_64.rpm";
static const char C_DEV7[] = C "kernel-devel-3.10.0-1160.el7.x86_64.rpm";
static const char C_K7[] = C "kernel-3.10.0-1160.el7.x86_64.rpm";
static const char C_UEK_DEV[] =
	C "kernel-uek-devel-5.4.17-2136.307.3.1.el8uek.x86_64.rpm";
static const char C_UEK[] =
	C "kernel-uek-5.4.17-2136.307.3.1.el8uek.x86_64.rpm";
static const char C_AL_DEV[] =
	C "kernel6.12-devel-6.12.40-63.114.amzn2023.x86_64.rpm";
static const char C_AL[] = C "kernel6.12-6.12.40-63.114.amzn2023.x86_64.rpm";
static const char C_HEADERS[] =
	C "kernel-headers-4.18.0-513.5.1.el8_9.x86_64.rpm";
static const char C_SRC[] = C "kernel-4.18.0-513.5.1.el8_9.src.rpm";
static const char C_TOOLS[] = C "kernel-tools-4.18.0-513.5.1.el8_9.x86_64.rpm";
static const char C_DEV8_ARM[] =
	C "kernel-devel-4.18.0-513.5.1.el8_9.aarch64.rpm";
static const char C_CORE8_ARM[] =
	C "kernel-core-4.18.0-513.5.1.el8_9.aarch64.rpm";
static const char C_CORE8_OTHER[] =
	C "kernel-core-4.18.0-477.27.1.el8_8.x86_64.rpm";

static void test_centos_releases(void **state)
{
	const char *const in[] = {C_CORE8,    C_DEV8,	 C_DEV7,   C_K7,
				  C_UEK,      C_UEK_DEV, C_AL_DEV, C_AL,
				  C_HEADERS,  C_SRC,	 C_TOOLS,  C_DEV8_ARM,
				  C_CORE8_ARM};
	const struct exp_pkg el8[] = {TREE(C_DEV8), CONF(C_CORE8)};
	const struct exp_pkg el7[] = {TREE(C_DEV7), CONF(C_K7)};
	const struct exp_pkg uek[] = {TREE(C_UEK_DEV), CONF(C_UEK)};
	const struct exp_pkg al[] = {TREE(C_AL_DEV), CONF(C_AL)};
	const struct exp_pkg arm[] = {TREE(C_DEV8_ARM), CONF(C_CORE8_ARM)};
	struct pb_batch *b;

	(void)state;
	b = run("centos", in, PBT_N_OF(in));
	expect_release(b, "4.18.0-513.5.1.el8_9.x86_64", "x86_64", NULL, el8,
		       PBT_N_OF(el8));
	expect_release(b, "3.10.0-1160.el7.x86_64", "x86_64", NULL, el7,
		       PBT_N_OF(el7));
	expect_release(b, "5.4.17-2136.307.3.1.el8uek.x86_64", "x86_64", NULL,
		       uek, PBT_N_OF(uek));
	expect_release(b, "6.12.40-63.114.amzn2023.x86_64", "x86_64", NULL, al,
		       PBT_N_OF(al));
	expect_release(b, "4.18.0-513.5.1.el8_9.aarch64", "aarch64", NULL, arm,
		       PBT_N_OF(arm));
	expect_ignored(b, C_HEADERS, NULL);
	expect_ignored(b, C_SRC, NULL);
	expect_ignored(b, C_TOOLS, NULL);
	expect_n(b, 5, 3);
	pb_batch_free(b);
}

static void test_centos_config_without_devel(void **state)
{
	/* a kernel-core of another version has no devel to go with */
	const char *const in[] = {C_DEV8, C_CORE8_OTHER};
	const struct exp_pkg el8[] = {TREE(C_DEV8)};
	struct pb_batch *b;

	(void)state;
	b = run("centos", in, PBT_N_OF(in));
	/* no config package: the plugin falls back to the devel tree's
	 * .config at config_file time, so this is not a batch failure */
	expect_release(b, "4.18.0-513.5.1.el8_9.x86_64", "x86_64", NULL, el8,
		       PBT_N_OF(el8));
	expect_ignored(b, C_CORE8_OTHER, "kernel-devel");
	expect_n(b, 1, 1);
	pb_batch_free(b);
}

static void test_data_file_distro_uses_centos(void **state)
{
	const char *const in[] = {C_AL_DEV, C_AL};
	const struct exp_pkg al[] = {TREE(C_AL_DEV), CONF(C_AL)};
	struct pb_batch *b;

	(void)state;
	assert_ptr_equal(plugin_of("amazonlinux2023"), plugin_of("centos"));
	assert_ptr_equal(plugin_of("rocky"), plugin_of("centos"));
	b = run("amazonlinux2023", in, PBT_N_OF(in));
	expect_release(b, "6.12.40-63.114.amzn2023.x86_64", "x86_64", NULL, al,
		       PBT_N_OF(al));
	expect_n(b, 1, 0);
	pb_batch_free(b);
}

/* ------------------------------------------------------- input order */

/* The whole batch as text, ignored files sorted: two runs give the same
 * text when they give the same result. */
static char *dump(const struct pb_batch *b)
{
	char *out = NULL, **ign;
	size_t len = 0, i, j, n_ign = pb_batch_n_ignored(b);
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	for (i = 0; i < pb_batch_n_releases(b); i++) {
		const char *arch = pb_batch_release_arch(b, i);
		const char *fail = pb_batch_release_failure(b, i);

		fprintf(f, "release %s arch %s failure %s\n",
			pb_batch_release(b, i), arch ? arch : "-",
			fail ? fail : "-");
		for (j = 0; j < pb_batch_n_packages(b, i); j++) {
			enum pb_pkg_role role;
			const char *p = pb_batch_package(b, i, j, &role);

			fprintf(f, "  %s %s\n",
				role == PB_PKG_TREE ? "tree" : "config", p);
		}
	}
	ign = calloc(n_ign ? n_ign : 1, sizeof(*ign));
	assert_non_null(ign);
	for (i = 0; i < n_ign; i++) {
		const char *why;
		const char *p = pb_batch_ignored(b, i, &why);

		assert_true(asprintf(&ign[i], "ignored %s: %s\n", p, why) > 0);
	}
	qsort(ign, n_ign, sizeof(*ign), pbt_strcmp_ptr);
	for (i = 0; i < n_ign; i++) {
		fputs(ign[i], f);
		free(ign[i]);
	}
	free(ign);
	fclose(f);
	return out;
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	/* xorshift32: the same permutations on every run */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void check_order_independent(const char *distro,
				    const char *const *files, size_t n)
{
	const char **in = calloc(n, sizeof(*in));
	struct pb_batch *b;
	char *ref, *got;
	size_t round, i;

	assert_non_null(in);
	b = run(distro, files, n);
	ref = dump(b);
	pb_batch_free(b);
	for (round = 0; round < 25; round++) {
		memcpy(in, files, n * sizeof(*in));
		if (round == 0) {
			/* reversed */
			for (i = 0; i < n / 2; i++) {
				const char *t = in[i];

				in[i] = in[n - 1 - i];
				in[n - 1 - i] = t;
			}
		} else {
			for (i = n - 1; i > 0; i--) {
				size_t k = rng() % (i + 1);
				const char *t = in[i];

				in[i] = in[k];
				in[k] = t;
			}
		}
		b = run(distro, in, n);
		got = dump(b);
		pb_batch_free(b);
		if (strcmp(ref, got) != 0) {
			fprintf(stderr, "input order:\n");
			for (i = 0; i < n; i++)
				fprintf(stderr, "  %s\n", in[i]);
			fprintf(stderr,
				"in the given order:\n%s\nshuffled:\n%s", ref,
				got);
			free(ref);
			free(got);
			free(in);
			fail_msg("%s: the result depends on the order of the "
				 "files (round %zu)",
				 distro, round);
		}
		free(got);
	}
	free(ref);
	free(in);
}

static void test_order_debian(void **state)
{
	const char *const in[] = {
		H_AMD,	      H_CLOUD,	    H_RT,	COMMON,	    COMMON_RT,
		KBUILD,	      I_AMD,	    I_CLOUD,	I_RT,	    I_DBG,
		META_H,	      META_I,	    H_612,	COMMON_612, KBUILD_612,
		I_612,	      H_BPO,	    COMMON_BPO, KBUILD_BPO, I_BPO,
		KBUILD_NEWER, KBUILD_OLDER, H_AMD_OLD,	COMMON_OLD, I_AMD_OLD,
		H_ARM,	      KBUILD_ARM,   I_ARM,
	};

	(void)state;
	check_order_independent("debian", in, PBT_N_OF(in));
}

static void test_order_ubuntu(void **state)
{
	const char *const in[] = {U_COMMON,  U_GEN,    U_LOW,  U_MOD_GEN,
				  U_MOD_LOW, U_EXTRA,  U_META, U_AWS_COMMON,
				  U_AWS,     U_AWS_MOD};

	(void)state;
	check_order_independent("ubuntu", in, PBT_N_OF(in));
}

static void test_order_centos(void **state)
{
	const char *const in[] = {
		C_CORE8,   C_DEV8,     C_DEV7,	    C_K7,	  C_UEK,
		C_UEK_DEV, C_AL_DEV,   C_AL,	    C_HEADERS,	  C_SRC,
		C_TOOLS,   C_DEV8_ARM, C_CORE8_ARM, C_CORE8_OTHER};

	(void)state;
	check_order_independent("centos", in, PBT_N_OF(in));
}

/* A name part too long for a plugin's field is not cut into another
 * kernel's name: the file is ignored, saying so. */
static void test_names_too_long(void **state)
{
	char deb[256], ub[256], rpm[400], v[128], r[128], fl[71];
	const char *const d_in[] = {deb}, *const u_in[] = {ub},
			  *const c_in[] = {rpm};
	struct pb_batch *b;

	(void)state;
	memset(fl, 'a', sizeof(fl) - 1);
	fl[sizeof(fl) - 1] = '\0';
	snprintf(deb, sizeof(deb),
		 "linux-headers-6.1.0-56-%s_6.1.158-1_amd64.deb", fl);
	snprintf(ub, sizeof(ub),
		 "linux-headers-5.15.0-91-%s_5.15.0-91.101_amd64.deb", fl);
	/* version and release as long as a package name allows: their
	 * kernel release does not fit in 255 bytes */
	memset(v, '1', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	memset(r, '2', sizeof(r) - 1);
	r[sizeof(r) - 1] = '\0';
	snprintf(rpm, sizeof(rpm), "kernel-devel-%s-%s.x86_64.rpm", v, r);
	b = run("debian", d_in, 1);
	expect_ignored(b, deb, "too long");
	expect_n(b, 0, 1);
	pb_batch_free(b);
	b = run("ubuntu", u_in, 1);
	expect_ignored(b, ub, "too long");
	expect_n(b, 0, 1);
	pb_batch_free(b);
	b = run("centos", c_in, 1);
	expect_ignored(b, rpm, "too long");
	expect_n(b, 0, 1);
	pb_batch_free(b);
}

/* A plugin's paths into a caller's buffer: -ENAMETOOLONG with a message
 * when they do not fit, never a cut path that names another file. */
static void test_plugin_paths_not_cut(void **state)
{
	static const char *const distros[] = {"debian", "ubuntu", "centos"};
	struct pb_release rel = {
		sizeof(rel), NULL, "6.1.0-56-amd64", "x86_64", "/nonexistent",
		NULL,	     0};
	char small[24], big[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(distros); i++) {
		const struct pb_plugin *p = plugin_of(distros[i]);
		struct pb_err err = {0};

		rel.distro = distros[i];
		assert_int_equal(
			p->kernel_dir(&rel, small, sizeof(small), &err),
			-ENAMETOOLONG);
		assert_non_null(strstr(err.msg, "too long"));
		assert_int_equal(p->config_file(&rel, small, 16, &err),
				 -ENAMETOOLONG);
		assert_non_null(strstr(err.msg, "6.1.0-56-amd64"));
		/* with room: the path, and a config that is not there */
		assert_int_equal(p->kernel_dir(&rel, big, sizeof(big), &err),
				 0);
		assert_non_null(strstr(big, "6.1.0-56-amd64"));
		assert_int_equal(p->config_file(&rel, big, sizeof(big), &err),
				 -ENOENT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_api),
		cmocka_unit_test(test_ignore_rest),
		cmocka_unit_test(test_batch_keys),
		cmocka_unit_test(test_ubuntu_one_release_two_series),
		cmocka_unit_test(test_ubuntu_variants_share_an_abi),
		cmocka_unit_test(test_debian_kbuild_by_depends),
		cmocka_unit_test(test_debian_kbuild_same_release),
		cmocka_unit_test(test_boot_image_hooks),
		cmocka_unit_test(test_debian_flavors),
		cmocka_unit_test(test_debian_rt_needs_common_rt),
		cmocka_unit_test(test_debian_deb12_abi),
		cmocka_unit_test(test_debian_backports_abi),
		cmocka_unit_test(test_debian_kbuild_choice),
		cmocka_unit_test(test_debian_missing_packages),
		cmocka_unit_test(test_debian_unsigned_image),
		cmocka_unit_test(test_debian_not_debs),
		cmocka_unit_test(test_debian_two_versions_of_a_release),
		cmocka_unit_test(test_debian_two_architectures),
		cmocka_unit_test(test_ubuntu_flavors),
		cmocka_unit_test(test_ubuntu_arm64),
		cmocka_unit_test(test_ubuntu_hwe_and_image),
		cmocka_unit_test(test_ubuntu_missing_packages),
		cmocka_unit_test(test_centos_releases),
		cmocka_unit_test(test_centos_config_without_devel),
		cmocka_unit_test(test_data_file_distro_uses_centos),
		cmocka_unit_test(test_order_debian),
		cmocka_unit_test(test_order_ubuntu),
		cmocka_unit_test(test_order_centos),
		cmocka_unit_test(test_names_too_long),
		cmocka_unit_test(test_plugin_paths_not_cut),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

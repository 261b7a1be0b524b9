/* Package file names: pb_pkgname_parse_deb / _rpm, pb_arch_canonical,
 * pb_basename and pb_deb_version_cmp, on names as mirrors serve them. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "probe-builder/pkgname.h"
#include "testutil.h"

struct deb_case {
	const char *file;
	const char *name, *version, *arch;
};

static void test_deb_real_names(void **state)
{
	static const struct deb_case cases[] = {
		{"linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb",
		 "linux-headers-6.1.0-56-amd64", "6.1.192-2", "amd64"},
		{"linux-headers-6.1.0-56-common_6.1.192-2_all.deb",
		 "linux-headers-6.1.0-56-common", "6.1.192-2", "all"},
		{"linux-kbuild-6.1_6.1.192-2_amd64.deb", "linux-kbuild-6.1",
		 "6.1.192-2", "amd64"},
		{"linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb",
		 "linux-image-6.1.0-56-amd64", "6.1.192-2", "amd64"},
		{"linux-headers-6.12.111+deb12-amd64_6.12.111-1~deb12u1_amd64"
		 ".deb",
		 "linux-headers-6.12.111+deb12-amd64", "6.12.111-1~deb12u1",
		 "amd64"},
		{"linux-headers-5.15.0-91_5.15.0-91.101_all.deb",
		 "linux-headers-5.15.0-91", "5.15.0-91.101", "all"},
		{"linux-modules-5.15.0-91-generic_5.15.0-91.101_arm64.deb",
		 "linux-modules-5.15.0-91-generic", "5.15.0-91.101", "arm64"},
		/* apt-get download writes the epoch colon as %3a */
		{"bind9-host_1%3a9.18.28-1~deb12u2_amd64.deb", "bind9-host",
		 "1:9.18.28-1~deb12u2", "amd64"},
		{"linux-image-amd64_2%3A6.1.192-2_amd64.deb",
		 "linux-image-amd64", "2:6.1.192-2", "amd64"},
		/* a directory is not part of the name, even with '_' in it */
		{"/srv/mirror_1/pool/main/l/linux/"
		 "linux-kbuild-6.1_6.1.192-2_arm64.deb",
		 "linux-kbuild-6.1", "6.1.192-2", "arm64"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(cases); i++) {
		struct pb_pkgname pn;

		memset(&pn, 'x', sizeof(pn));
		assert_int_equal(pb_pkgname_parse_deb(cases[i].file, &pn), 0);
		assert_string_equal(pn.name, cases[i].name);
		assert_string_equal(pn.version, cases[i].version);
		assert_string_equal(pn.arch, cases[i].arch);
		assert_string_equal(pn.release, "");
	}
}

static void test_deb_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"linux-headers-6.1.0-56-amd64.deb",	      /* no '_' */
		"linux-headers-6.1.0-56-amd64_6.1.192-2.deb", /* no arch */
		"a_b_c_d.deb",			   /* one '_' too many */
		"_6.1.192-2_amd64.deb",		   /* empty name */
		"linux-kbuild-6.1__amd64.deb",	   /* empty version */
		"linux-kbuild-6.1_6.1.192-2_.deb", /* empty arch */
		"linux-kbuild-6.1_6.1.192-2_amd64.rpm",
		"linux-kbuild-6.1_6.1.192-2_amd64.deb.part",
		"linux-kbuild-6.1_6.1.192-2_amd64",
		".deb",
		"/pool/main/l/linux/",
	};
	char longname[600];
	struct pb_pkgname pn;
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(bad); i++) {
		int ret = pb_pkgname_parse_deb(bad[i], &pn);

		if (ret != -EINVAL)
			fail_msg("'%s' gave %d, expected -EINVAL", bad[i], ret);
	}
	/* a name longer than the struct holds is refused, not cut */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 400, "_1.0_amd64.deb", 15);
	assert_int_equal(pb_pkgname_parse_deb(longname, &pn), -EINVAL);
}

struct rpm_case {
	const char *file;
	const char *name, *version, *release, *arch;
};

static void test_rpm_real_names(void **state)
{
	static const struct rpm_case cases[] = {
		{"kernel-devel-4.18.0-513.5.1.el8_9.x86_64.rpm", "kernel-devel",
		 "4.18.0", "513.5.1.el8_9", "x86_64"},
		{"kernel-uek-devel-5.4.17-2136.307.3.1.el8uek.x86_64.rpm",
		 "kernel-uek-devel", "5.4.17", "2136.307.3.1.el8uek", "x86_64"},
		{"kernel-core-5.14.0-362.8.1.el9_3.x86_64.rpm", "kernel-core",
		 "5.14.0", "362.8.1.el9_3", "x86_64"},
		{"kernel-3.10.0-1160.el7.x86_64.rpm", "kernel", "3.10.0",
		 "1160.el7", "x86_64"},
		{"kernel6.12-devel-6.12.40-63.114.amzn2023.x86_64.rpm",
		 "kernel6.12-devel", "6.12.40", "63.114.amzn2023", "x86_64"},
		{"kernel-devel-4.18.0-513.5.1.el8_9.aarch64.rpm",
		 "kernel-devel", "4.18.0", "513.5.1.el8_9", "aarch64"},
		{"kernel-doc-4.18.0-513.5.1.el8_9.noarch.rpm", "kernel-doc",
		 "4.18.0", "513.5.1.el8_9", "noarch"},
		{"/srv/vault/8.9/BaseOS/x86_64/os/Packages/"
		 "kernel-rt-devel-4.18.0-513.5.1.rt7.307.el8_9.x86_64.rpm",
		 "kernel-rt-devel", "4.18.0", "513.5.1.rt7.307.el8_9",
		 "x86_64"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(cases); i++) {
		struct pb_pkgname pn;

		memset(&pn, 'x', sizeof(pn));
		assert_int_equal(pb_pkgname_parse_rpm(cases[i].file, &pn), 0);
		assert_string_equal(pn.name, cases[i].name);
		assert_string_equal(pn.version, cases[i].version);
		assert_string_equal(pn.release, cases[i].release);
		assert_string_equal(pn.arch, cases[i].arch);
	}
}

static void test_rpm_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"kernel-4.18.0-513.5.1.el8_9.src.rpm", /* a source package */
		"kernel.rpm",
		"kernel-devel.x86_64.rpm",
		"kernel-4.18.0.x86_64.rpm",	    /* no release */
		"-4.18.0-513.el8.x86_64.rpm",	    /* empty name */
		"kernel-devel--513.el8.x86_64.rpm", /* empty version */
		"kernel-devel-4.18.0-.x86_64.rpm",  /* empty release */
		"kernel-devel-4.18.0-513.el8..rpm", /* empty arch */
		"kernel-devel-4.18.0-513.el8.x86_64.deb",
		"kernel-devel-4.18.0-513.el8.x86_64.rpm.sig",
	};
	struct pb_pkgname pn;
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(bad); i++) {
		int ret = pb_pkgname_parse_rpm(bad[i], &pn);

		if (ret != -EINVAL)
			fail_msg("'%s' gave %d (name '%s', version '%s', "
				 "release '%s', arch '%s'), expected -EINVAL",
				 bad[i], ret, pn.name, pn.version, pn.release,
				 pn.arch);
	}
}

/* No arch part: what follows the last dot is "0-513", which holds a dash
 * and so cannot be an architecture; the name is not of the documented
 * shape and must be refused, not read as kernel / devel / 4.18 / 0-513. */
static void test_rpm_without_arch_refused(void **state)
{
	static const char *const bad[] = {
		"kernel-devel-4.18.0-513.rpm",
		"kernel-core-5.14.0-362.rpm",
	};
	struct pb_pkgname pn;
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(bad); i++) {
		int ret = pb_pkgname_parse_rpm(bad[i], &pn);

		if (ret != -EINVAL)
			fail_msg("'%s' gave %d (name '%s', version '%s', "
				 "release '%s', arch '%s'), expected -EINVAL",
				 bad[i], ret, pn.name, pn.version, pn.release,
				 pn.arch);
	}
}

static void test_arch_canonical(void **state)
{
	static const char *const unknown = "riscv64";

	(void)state;
	assert_string_equal(pb_arch_canonical("amd64"), "x86_64");
	assert_string_equal(pb_arch_canonical("arm64"), "aarch64");
	assert_string_equal(pb_arch_canonical("i386"), "i686");
	assert_string_equal(pb_arch_canonical("ppc64el"), "ppc64le");
	assert_string_equal(pb_arch_canonical("armhf"), "armv7l");
	/* already canonical, or unknown: returned as is */
	assert_string_equal(pb_arch_canonical("x86_64"), "x86_64");
	assert_string_equal(pb_arch_canonical("aarch64"), "aarch64");
	assert_string_equal(pb_arch_canonical("all"), "all");
	assert_ptr_equal(pb_arch_canonical(unknown), unknown);
}

/* The same table the other way, for Debian's indexes (binary-amd64). */
static void test_arch_deb(void **state)
{
	static const char *const machines[] = {"x86_64", "aarch64", "i686",
					       "armv7l", "ppc64le"};
	static const char *const unknown = "riscv64";
	size_t i;

	(void)state;
	assert_string_equal(pb_arch_deb("x86_64"), "amd64");
	assert_string_equal(pb_arch_deb("aarch64"), "arm64");
	assert_string_equal(pb_arch_deb("ppc64le"), "ppc64el");
	for (i = 0; i < sizeof(machines) / sizeof(machines[0]); i++)
		assert_string_equal(pb_arch_canonical(pb_arch_deb(machines[i])),
				    machines[i]);
	assert_string_equal(pb_arch_deb("s390x"), "s390x");
	assert_string_equal(pb_arch_deb("x86_64x"), "x86_64x");
	assert_string_equal(pb_arch_deb(""), "");
	assert_ptr_equal(pb_arch_deb(unknown), unknown);
}

static void test_basename(void **state)
{
	(void)state;
	assert_string_equal(pb_basename("/pool/main/l/linux/a_1_all.deb"),
			    "a_1_all.deb");
	assert_string_equal(pb_basename("a_1_all.deb"), "a_1_all.deb");
	assert_string_equal(pb_basename("dir/"), "");
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* a < b, checked both ways */
static void expect_less(const char *a, const char *b)
{
	int ab = pb_deb_version_cmp(a, b), ba = pb_deb_version_cmp(b, a);

	if (sign(ab) != -1 || sign(ba) != 1)
		fail_msg("expected %s < %s: cmp(a,b)=%d cmp(b,a)=%d", a, b, ab,
			 ba);
}

static void expect_equal(const char *a, const char *b)
{
	int ab = pb_deb_version_cmp(a, b), ba = pb_deb_version_cmp(b, a);

	if (ab != 0 || ba != 0)
		fail_msg("expected %s == %s: cmp(a,b)=%d cmp(b,a)=%d", a, b, ab,
			 ba);
}

static void test_deb_version_cmp(void **state)
{
	(void)state;
	/* numbers compare as numbers, not as text */
	expect_less("6.1.76-1", "6.1.192-2");
	expect_less("6.1.192-2", "6.1.192-10");
	expect_less("5.15.0-91.101", "5.15.0-100.110");
	/* '~' sorts before the end of the string: pre-releases and
	 * backports come before the release */
	expect_less("6.12.111-1~deb12u1", "6.12.111-1");
	expect_less("1.0~rc1", "1.0");
	expect_less("1.0~rc1", "1.0~rc2");
	expect_less("1.0~~", "1.0~");
	expect_less("6.1.90-1~deb11u1", "6.1.90-1");
	/* '+' after the end of the string */
	expect_less("6.1.192-2", "6.1.192-2+deb12u1");
	/* letters before non-letters */
	expect_less("1.0a", "1.0+");
	/* epochs win over everything, a missing one is 0 */
	expect_less("9.9-9", "1:1.0-1");
	expect_less("1:9.9", "2:1.0");
	expect_equal("0:6.1.192-2", "6.1.192-2");
	/* the revision is after the last dash; none is like "0" */
	expect_less("1.0-beta-1", "1.0-beta-2");
	expect_less("1.0", "1.0-1");
	expect_equal("1.0", "1.0-0");
	/* leading zeros do not count */
	expect_equal("6.01.0-1", "6.1.0-1");
	expect_equal("6.1.192-2", "6.1.192-2");
	expect_equal("6.12.111-1~deb12u1", "6.12.111-1~deb12u1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deb_real_names),
		cmocka_unit_test(test_deb_malformed),
		cmocka_unit_test(test_rpm_real_names),
		cmocka_unit_test(test_rpm_malformed),
		cmocka_unit_test(test_rpm_without_arch_refused),
		cmocka_unit_test(test_arch_canonical),
		cmocka_unit_test(test_arch_deb),
		cmocka_unit_test(test_basename),
		cmocka_unit_test(test_deb_version_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

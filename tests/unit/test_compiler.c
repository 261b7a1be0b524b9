/* Which compiler built a kernel (banners, kernel trees) and which one of
 * ours builds its probes (pb_cc_choose on a PATH of fake compilers). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "build/compiler.h"
#include "testutil.h"

/* ------------------------------------------------------------ banners */

struct banner {
	const char *text;
	const char *family;
	int major, minor, patch;
};

static void test_parse_banners(void **state)
{
	static const struct banner cases[] = {
		{"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0", "gcc", 12, 2, 0},
		{"gcc (GCC) 8.5.0 20210514 (Red Hat 8.5.0-20)", "gcc", 8, 5, 0},
		{"gcc version 4.8.5 20150623 (Red Hat 4.8.5-44) (GCC) ", "gcc",
		 4, 8, 5},
		{"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU "
		 "Binutils "
		 "for Debian) 2.40",
		 "gcc", 12, 2, 0},
		{"x86_64-linux-gnu-gcc-11 (Ubuntu 11.4.0-1ubuntu1~22.04) "
		 "11.4.0",
		 "gcc", 11, 4, 0},
		{"gcc (GCC) 11.4.1 20230605 (Red Hat 11.4.1-2)", "gcc", 11, 4,
		 1},
		{"Ubuntu clang version 14.0.0-1ubuntu1", "clang", 14, 0, 0},
		{"clang version 17.0.6 (Fedora 17.0.6-2.fc39)", "clang", 17, 0,
		 6},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(cases); i++) {
		struct pb_kcc k;
		int ret = pb_kcc_parse_text(cases[i].text, &k);

		if (ret != 0)
			fail_msg("'%s': %d", cases[i].text, ret);
		assert_string_equal(k.family, cases[i].family);
		if (k.major != cases[i].major || k.minor != cases[i].minor ||
		    k.patch != cases[i].patch)
			fail_msg("'%s': %d.%d.%d, expected %d.%d.%d",
				 cases[i].text, k.major, k.minor, k.patch,
				 cases[i].major, cases[i].minor,
				 cases[i].patch);
		/* the banner is kept for the messages */
		assert_string_equal(k.text, cases[i].text);
	}
}

static void test_parse_junk(void **state)
{
	static const char *const junk[] = {
		"",
		"hello world",
		"gcc",			      /* no version */
		"gcc (Debian 12.2.0-14)",     /* only inside parentheses */
		"GNU ld (GNU Binutils) 2.40", /* not a compiler */
	};
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(junk); i++) {
		struct pb_kcc k;
		int ret = pb_kcc_parse_text(junk[i], &k);

		if (ret != -EINVAL)
			fail_msg("'%s' gave %d (%s %d.%d), expected -EINVAL",
				 junk[i], ret, k.family, k.major, k.minor);
	}
}

/* ------------------------------------------------------- kernel trees */

static void test_tree_auto_conf(void **state)
{
	char *dir = pbt_tmpdir("compiler");
	struct pb_err err = {0};
	struct pb_kcc k;

	(void)state;
	pbt_write_file(
		dir, "include/config/auto.conf",
		"#\n# Automatically generated file; DO NOT EDIT.\n#\n"
		"CONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14+deb12u1)"
		" 12.2.0\"\nCONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION=120200\n"
		"CONFIG_CLANG_VERSION=0\nCONFIG_LD_IS_BFD=y\n",
		0644);
	/* a .config saying otherwise loses: auto.conf is read first */
	pbt_write_file(dir, ".config", "CONFIG_GCC_VERSION=110400\n", 0644);
	assert_int_equal(pb_kcc_from_tree(dir, &k, &err), 0);
	assert_string_equal(k.family, "gcc");
	assert_int_equal(k.major, 12);
	assert_int_equal(k.minor, 2);
	assert_int_equal(k.patch, 0);
	assert_string_equal(k.source, "CONFIG_GCC_VERSION");
	assert_string_equal(k.text, "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0");
}

static void test_tree_clang(void **state)
{
	char *dir = pbt_tmpdir("compiler");
	struct pb_err err = {0};
	struct pb_kcc k;

	(void)state;
	pbt_write_file(
		dir, "include/config/auto.conf",
		"CONFIG_CC_VERSION_TEXT=\"Ubuntu clang version 14.0.0-"
		"1ubuntu1\"\nCONFIG_CC_IS_CLANG=y\nCONFIG_GCC_VERSION=0\n"
		"CONFIG_CLANG_VERSION=140000\n",
		0644);
	assert_int_equal(pb_kcc_from_tree(dir, &k, &err), 0);
	assert_string_equal(k.family, "clang");
	assert_int_equal(k.major, 14);
	assert_int_equal(k.minor, 0);
	assert_string_equal(k.source, "CONFIG_CLANG_VERSION");
}

/* kernels before 5.8: the number alone, shown as a version */
static void test_tree_number_only(void **state)
{
	char *dir = pbt_tmpdir("compiler");
	struct pb_err err = {0};
	struct pb_kcc k;

	(void)state;
	pbt_write_file(dir, "include/config/auto.conf",
		       "CONFIG_GCC_VERSION=90400\n", 0644);
	assert_int_equal(pb_kcc_from_tree(dir, &k, &err), 0);
	assert_int_equal(k.major, 9);
	assert_int_equal(k.minor, 4);
	assert_string_equal(k.text, "gcc 9.4.0");
}

static void test_tree_dot_config_text(void **state)
{
	char *dir = pbt_tmpdir("compiler");
	struct pb_err err = {0};
	struct pb_kcc k;

	(void)state;
	/* older kernels: no CONFIG_GCC_VERSION, only the banner */
	pbt_write_file(
		dir, ".config",
		"# Linux/x86 5.4.0 Kernel Configuration\n"
		"CONFIG_CC_VERSION_TEXT=\"x86_64-linux-gnu-gcc-11 (Ubuntu "
		"11.4.0-1ubuntu1~22.04) 11.4.0\"\nCONFIG_CC_IS_GCC=y\n",
		0644);
	assert_int_equal(pb_kcc_from_tree(dir, &k, &err), 0);
	assert_string_equal(k.family, "gcc");
	assert_int_equal(k.major, 11);
	assert_int_equal(k.minor, 4);
	assert_string_equal(k.source, "CONFIG_CC_VERSION_TEXT");
}

static void test_tree_compile_h(void **state)
{
	char *dir = pbt_tmpdir("compiler");
	struct pb_err err = {0};
	struct pb_kcc k;

	(void)state;
	/* el7: no compiler in the config at all; an auto.conf without it
	 * does not stop the search */
	pbt_write_file(dir, "include/config/auto.conf", "CONFIG_64BIT=y\n",
		       0644);
	pbt_write_file(
		dir, "include/generated/compile.h",
		"/* This file is auto generated, version 1 */\n"
		"/* SMP */\n#define UTS_MACHINE \"x86_64\"\n"
		"#define UTS_VERSION \"#1 SMP Wed Oct 18 16:23:49 UTC "
		"2023\"\n#define LINUX_COMPILE_BY \"mockbuild\"\n"
		"#define LINUX_COMPILE_HOST \"kbuilder.bsys.centos.org\"\n"
		"#define LINUX_COMPILER \"gcc version 4.8.5 20150623 (Red "
		"Hat 4.8.5-44) (GCC) \"\n",
		0644);
	assert_int_equal(pb_kcc_from_tree(dir, &k, &err), 0);
	assert_string_equal(k.family, "gcc");
	assert_int_equal(k.major, 4);
	assert_int_equal(k.minor, 8);
	assert_int_equal(k.patch, 5);
	assert_string_equal(k.source, "compile.h");
}

static void test_tree_nothing(void **state)
{
	char *dir = pbt_tmpdir("compiler");
	struct pb_err err = {0};
	struct pb_kcc k;

	(void)state;
	pbt_write_file(dir, "Makefile", "VERSION = 6\n", 0644);
	assert_int_equal(pb_kcc_from_tree(dir, &k, &err), -ENOENT);
	assert_int_equal(err.code, -ENOENT);
	/* the message names the tree */
	assert_non_null(strstr(err.msg, dir));
}

/* ---------------------------------------------------------- choosing */

/* A shell script answering -dumpversion and --version like gcc does. */
static void fake_cc(const char *dir, const char *name, const char *dumpversion,
		    const char *banner)
{
	char script[1024];

	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "case \"$1\" in\n"
		 "-dumpversion) echo '%s' ;;\n"
		 "--version) echo '%s'; echo 'Copyright (C) 2022 Free "
		 "Software Foundation, Inc.' ;;\n"
		 "*) exit 1 ;;\n"
		 "esac\n",
		 dumpversion, banner);
	pbt_write_file(dir, name, script, 0755);
}

struct cc_fixture {
	char *dir;  /* gcc-9, gcc (12), gcc-13 */
	char *dir2; /* gcc-10, gcc-12 */
	char path[2 * PATH_MAX];
};

static int cc_setup(void **state)
{
	struct cc_fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->dir = pbt_tmpdir("compiler");
	fake_cc(fx->dir, "gcc-9", "9", "gcc-9 (Debian 9.3.0-22) 9.3.0");
	fake_cc(fx->dir, "gcc", "12", "gcc (Debian 12.2.0-14+deb12u1) 12.2.0");
	fake_cc(fx->dir, "gcc-13", "13", "gcc-13 (Debian 13.2.0-25) 13.2.0");
	/* not a compiler, though its name starts like one */
	fake_cc(fx->dir, "gcc-ar-11", "11", "GNU ar 2.40");
	fx->dir2 = pbt_tmpdir("compiler");
	fake_cc(fx->dir2, "gcc-10", "10", "gcc-10 (Debian 10.2.1-6) 10.2.1");
	fake_cc(fx->dir2, "gcc-12", "12",
		"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0");
	snprintf(fx->path, sizeof(fx->path), "/nonexistent/pb-test:%s",
		 fx->dir);
	*state = fx;
	return 0;
}

static int cc_teardown(void **state)
{
	free(*state);
	return pbt_rm_tmpdirs(NULL);
}

static void kcc(struct pb_kcc *k, int major, int minor)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->family, "gcc");
	k->major = major;
	k->minor = minor;
	/* no "gcc-<major>" in it: messages must name it by themselves */
	snprintf(k->text, sizeof(k->text), "gcc (GCC) %d.%d.0", major, minor);
	strcpy(k->source, "CONFIG_GCC_VERSION");
}

static void expect_choice(const struct pb_cc_choice *c, const char *dir,
			  const char *name, int major, int exact)
{
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s/%s", dir, name);
	assert_string_equal(c->path, want);
	assert_int_equal(c->major, major);
	assert_int_equal(c->exact, exact);
}

static void test_choose_exact_name(void **state)
{
	struct cc_fixture *fx = *state;
	struct pb_err err = {0};
	struct pb_cc_choice c;
	struct pb_kcc k;

	kcc(&k, 9, 3);
	assert_int_equal(pb_cc_choose(&k, fx->path, 0, &c, &err), 0);
	expect_choice(&c, fx->dir, "gcc-9", 9, 1);
	/* the first line of --version */
	assert_string_equal(c.version, "gcc-9 (Debian 9.3.0-22) 9.3.0");

	kcc(&k, 13, 2);
	assert_int_equal(pb_cc_choose(&k, fx->path, 0, &c, &err), 0);
	expect_choice(&c, fx->dir, "gcc-13", 13, 1);
}

static void test_choose_plain_gcc(void **state)
{
	struct cc_fixture *fx = *state;
	struct pb_err err = {0};
	struct pb_cc_choice c;
	struct pb_kcc k;
	char path[3 * PATH_MAX];

	/* no gcc-12: plain gcc says 12 */
	kcc(&k, 12, 2);
	assert_int_equal(pb_cc_choose(&k, fx->path, 0, &c, &err), 0);
	expect_choice(&c, fx->dir, "gcc", 12, 1);
	assert_string_equal(c.version, "gcc (Debian 12.2.0-14+deb12u1) 12.2.0");

	/* gcc-12 anywhere in PATH beats a plain gcc of the same major */
	snprintf(path, sizeof(path), "%s:%s", fx->dir, fx->dir2);
	assert_int_equal(pb_cc_choose(&k, path, 0, &c, &err), 0);
	expect_choice(&c, fx->dir2, "gcc-12", 12, 1);
}

static void test_choose_missing(void **state)
{
	struct cc_fixture *fx = *state;
	struct pb_err err = {0};
	struct pb_cc_choice c;
	struct pb_kcc k;

	kcc(&k, 11, 4);
	assert_int_equal(pb_cc_choose(&k, fx->path, 0, &c, &err), -ENOENT);
	if (!strstr(err.msg, "gcc-11"))
		fail_msg("message does not name gcc-11: %s", err.msg);
}

static void test_choose_nearest(void **state)
{
	struct cc_fixture *fx = *state;
	struct pb_err err = {0};
	struct pb_cc_choice c;
	struct pb_kcc k;

	/* 9, 12 and 13 installed: 12 is the nearest to 11 */
	kcc(&k, 11, 4);
	assert_int_equal(pb_cc_choose(&k, fx->path, 1, &c, &err), 0);
	expect_choice(&c, fx->dir, "gcc", 12, 0);

	/* 10 and 12: a tie, the newer wins */
	assert_int_equal(pb_cc_choose(&k, fx->dir2, 1, &c, &err), 0);
	expect_choice(&c, fx->dir2, "gcc-12", 12, 0);

	/* 9, 12, 13 for a gcc 8 kernel: 9 */
	kcc(&k, 8, 5);
	assert_int_equal(pb_cc_choose(&k, fx->path, 1, &c, &err), 0);
	expect_choice(&c, fx->dir, "gcc-9", 9, 0);

	/* an exact match is still exact with allow_nearest */
	kcc(&k, 13, 2);
	assert_int_equal(pb_cc_choose(&k, fx->path, 1, &c, &err), 0);
	expect_choice(&c, fx->dir, "gcc-13", 13, 1);
}

static void test_choose_empty_path(void **state)
{
	struct cc_fixture *fx = *state;
	struct pb_err err = {0};
	struct pb_cc_choice c;
	struct pb_kcc k;

	(void)fx;
	kcc(&k, 12, 2);
	assert_int_equal(pb_cc_choose(&k, "/nonexistent/pb-test", 1, &c, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "gcc-12"));
}

/* A gcc-11 that cannot run is not an installed gcc 11: it must be neither
 * chosen by --nearest-compiler nor listed as found. */
static void test_choose_skips_non_executable(void **state)
{
	struct cc_fixture *fx = *state;
	struct pb_err err = {0};
	struct pb_cc_choice c;
	struct pb_kcc k;
	char *dir = pbt_tmpdir("compiler"), path[3 * PATH_MAX];

	pbt_write_file(dir, "gcc-11", "not a program\n", 0644);
	snprintf(path, sizeof(path), "%s:%s", dir, fx->dir);
	kcc(&k, 11, 4);
	assert_int_equal(pb_cc_choose(&k, path, 0, &c, &err), -ENOENT);
	assert_int_equal(pb_cc_choose(&k, path, 1, &c, &err), 0);
	if (strcmp(c.path, dir) == 0 || strstr(c.path, "/gcc-11"))
		fail_msg("chose %s, which cannot run", c.path);
	expect_choice(&c, fx->dir, "gcc", 12, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_banners),
		cmocka_unit_test(test_parse_junk),
		cmocka_unit_test_teardown(test_tree_auto_conf, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_tree_clang, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_tree_number_only,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_tree_dot_config_text,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_tree_compile_h, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_tree_nothing, pbt_rm_tmpdirs),
		cmocka_unit_test_setup_teardown(test_choose_exact_name,
						cc_setup, cc_teardown),
		cmocka_unit_test_setup_teardown(test_choose_plain_gcc, cc_setup,
						cc_teardown),
		cmocka_unit_test_setup_teardown(test_choose_missing, cc_setup,
						cc_teardown),
		cmocka_unit_test_setup_teardown(test_choose_nearest, cc_setup,
						cc_teardown),
		cmocka_unit_test_setup_teardown(test_choose_empty_path,
						cc_setup, cc_teardown),
		cmocka_unit_test_setup_teardown(
			test_choose_skips_non_executable, cc_setup,
			cc_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

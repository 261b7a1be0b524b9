/* pb_gpg_verify on the real thing: the InRelease files this machine got
 * from `apt-get update`, against its real Debian keyrings (binary and
 * apt's armored *.asc); the same file with one byte changed must fail, and
 * so must a keyring without the signing key. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repo/gpg.h"
#include "testutil.h"
#include "util/fs.h"

#define KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"

static char inrelease[4096];

static int find_inrelease(void **state)
{
	glob_t g;

	(void)state;
	if (glob("/var/lib/apt/lists/*_InRelease", 0, NULL, &g) != 0 ||
	    g.gl_pathc == 0)
		return 0;
	snprintf(inrelease, sizeof(inrelease), "%s", g.gl_pathv[0]);
	globfree(&g);
	return 0;
}

static void need_real_files(void)
{
	if (!inrelease[0] || !pb_is_file(KEYRING)) {
		/* a machine that never ran apt-get update has nothing to
		 * check: say so instead of passing quietly */
		print_message("no /var/lib/apt/lists/*_InRelease or no %s: "
			      "run apt-get update\n",
			      KEYRING);
		skip();
	}
}

static void test_real_inrelease_verifies(void **state)
{
	const char *const keyrings[] = {KEYRING};
	struct pb_err err = {0};
	char *dir = pbt_tmpdir("gpg"), out[PATH_MAX], *text;

	(void)state;
	need_real_files();
	pbt_path(out, sizeof(out), dir, "Release");
	assert_int_equal(
		pb_gpg_verify(inrelease, NULL, keyrings, 1, dir, out, &err), 0);
	/* the signed text, without the armor */
	text = pbt_read_file(dir, "Release");
	assert_non_null(strstr(text, "\nSHA256:\n"));
	assert_null(strstr(text, "BEGIN PGP"));
	free(text);
}

static void test_armored_keyrings_work(void **state)
{
	struct pb_err err = {0};
	char *dir = pbt_tmpdir("gpg"), out[PATH_MAX];
	glob_t g;

	(void)state;
	need_real_files();
	if (glob("/etc/apt/trusted.gpg.d/*.asc", 0, NULL, &g) != 0)
		skip();
	pbt_path(out, sizeof(out), dir, "Release");
	assert_int_equal(pb_gpg_verify(inrelease, NULL,
				       (const char *const *)g.gl_pathv,
				       g.gl_pathc, dir, out, &err),
			 0);
	globfree(&g);
}

static void test_one_byte_changed_fails(void **state)
{
	const char *const keyrings[] = {KEYRING};
	struct pb_err err = {0};
	char *dir = pbt_tmpdir("gpg"), out[PATH_MAX], *text, *p;
	size_t len;

	(void)state;
	need_real_files();
	assert_int_equal(pb_read_file(inrelease, &text, &len, &err), 0);
	/* one digit of the first SHA256 line */
	p = strstr(text, "\nSHA256:\n");
	assert_non_null(p);
	p += 10;
	*p = *p == '0' ? '1' : '0';
	pbt_write(dir, "InRelease", text, len);
	free(text);
	pbt_path(out, sizeof(out), dir, "Release");
	{
		char changed[PATH_MAX];

		pbt_path(changed, sizeof(changed), dir, "InRelease");
		assert_int_equal(pb_gpg_verify(changed, NULL, keyrings, 1, dir,
					       out, &err),
				 PB_EBADSIG);
	}
	assert_non_null(strstr(err.msg, "BAD signature"));
	/* nothing of it is left for a parser to trust */
	assert_false(pb_is_file(out));
}

static void test_unknown_key_fails(void **state)
{
	const char *const keyrings[] = {
		"/usr/share/keyrings/debian-archive-removed-keys.gpg"};
	struct pb_err err = {0};
	char *dir = pbt_tmpdir("gpg"), out[PATH_MAX];

	(void)state;
	need_real_files();
	if (!pb_is_file(keyrings[0]))
		skip();
	pbt_path(out, sizeof(out), dir, "Release");
	assert_int_equal(
		pb_gpg_verify(inrelease, NULL, keyrings, 1, dir, out, &err),
		PB_ENOKEY);
	assert_non_null(strstr(err.msg, "not in the keyrings given"));
}

static void test_no_keyring(void **state)
{
	struct pb_err err = {0};
	char *dir = pbt_tmpdir("gpg");

	(void)state;
	assert_int_equal(
		pb_gpg_verify("/nonexistent", NULL, NULL, 0, dir, NULL, &err),
		PB_ENOKEY);
	assert_non_null(strstr(err.msg, "no keyring"));
}

/* gpgv that cannot run: said so, never a verdict made up from a status
 * buffer that gpgv never wrote (run under valgrind, this read was
 * uninitialized) */
static void test_no_gpgv(void **state)
{
	char *dir = pbt_tmpdir("gpg"), sig[PATH_MAX], kr[PATH_MAX];
	const char *const keyrings[] = {kr};
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct pb_err err = {0};
	int ret;

	(void)state;
	pbt_write(dir, "InRelease", "-----BEGIN PGP SIGNED MESSAGE-----\n", 35);
	pbt_write(dir, "keyring.gpg", "x", 1);
	pbt_path(sig, sizeof(sig), dir, "InRelease");
	pbt_path(kr, sizeof(kr), dir, "keyring.gpg");
	/* a PATH with nothing in it */
	setenv("PATH", dir, 1);
	ret = pb_gpg_verify(sig, NULL, keyrings, 1, dir, NULL, &err);
	if (old)
		setenv("PATH", old, 1);
	free(old);
	assert_int_equal(ret, -ENOENT);
	assert_int_equal(err.code, -ENOENT);
	assert_non_null(strstr(err.msg, "cannot check the signature "
					"(install the gpgv package)"));
	assert_non_null(strstr(err.msg, "gpgv"));
}

static void test_keyring_package(void **state)
{
	(void)state;
	assert_string_equal(pb_keyring_package("/usr/share/keyrings/"
					       "ubuntu-archive-keyring.gpg"),
			    "ubuntu-keyring");
	assert_string_equal(pb_keyring_package("/usr/share/keyrings/"
					       "debian-archive-keyring.gpg"),
			    "debian-archive-keyring");
	assert_string_equal(
		pb_keyring_package("/usr/share/distribution-gpg-keys/rocky/"
				   "RPM-GPG-KEY-Rocky-9"),
		"distribution-gpg-keys");
	assert_null(pb_keyring_package("/etc/apt/trusted.gpg.d/x.gpg"));
	assert_null(pb_keyring_package(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_real_inrelease_verifies,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_armored_keyrings_work,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_one_byte_changed_fails,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_unknown_key_fails,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_no_keyring, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_no_gpgv, pbt_rm_tmpdirs),
		cmocka_unit_test(test_keyring_package),
	};

	return cmocka_run_group_tests(tests, find_inrelease, NULL);
}

/* ed25519 signatures (core/util/sign.c) and manifest.json.sig: what we sign,
 * the openssl command line verifies (`pkeyutl -verify -rawin`), and what
 * does not verify is refused. Keys are made with `openssl genpkey`. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "output/manifest_sign.h"
#include "testutil.h"
#include "util/sign.h"

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* key.pem and pub.pem in dir (skips when there is no openssl) */
static void make_keys(const char *dir)
{
	if (sh("command -v openssl >/dev/null") != 0)
		skip();
	assert_int_equal(sh("cd %s && openssl genpkey -algorithm ed25519 -out "
			    "key.pem 2>/dev/null && openssl pkey -in key.pem "
			    "-pubout -out pub.pem 2>/dev/null",
			    dir),
			 0);
}

static void test_sign_verifies_with_openssl(void **state)
{
	char *dir = pbt_tmpdir("sign"), key[PATH_MAX], pub[PATH_MAX];
	const char *text = "{\"format\": 2, \"kernels\": []}\n";
	unsigned char sig[PB_SIG_LEN];
	struct pb_err err = {0};

	(void)state;
	make_keys(dir);
	pbt_path(key, sizeof(key), dir, "key.pem");
	pbt_path(pub, sizeof(pub), dir, "pub.pem");
	pbt_write_file(dir, "data", text, 0);
	assert_int_equal(pb_sign_key_check(key, &err), 0);
	assert_int_equal(pb_sign_data(key, text, strlen(text), sig, &err), 0);
	pbt_write(dir, "data.sig", sig, sizeof(sig));
	assert_int_equal(sh("cd %s && openssl pkeyutl -verify -pubin -inkey "
			    "pub.pem -rawin -in data -sigfile data.sig "
			    ">/dev/null 2>&1",
			    dir),
			 0);
	assert_int_equal(
		pb_sign_verify(pub, text, strlen(text), sig, sizeof(sig), &err),
		0);
	/* one byte changed: refused, by us and by openssl */
	pbt_write_file(dir, "data", "{\"format\": 3, \"kernels\": []}\n", 0);
	assert_int_not_equal(sh("cd %s && openssl pkeyutl -verify -pubin "
				"-inkey pub.pem -rawin -in data -sigfile "
				"data.sig >/dev/null 2>&1",
				dir),
			     0);
	assert_int_equal(pb_sign_verify(pub, "{\"format\": 3", 12, sig,
					sizeof(sig), &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "does not verify"));
	/* a signature of the wrong size, a private key as public one */
	assert_int_equal(pb_sign_verify(pub, text, strlen(text), sig, 10, &err),
			 -EBADMSG);
	assert_int_equal(pb_sign_pubkey_check(key, &err), -EINVAL);
}

static void test_sign_refuses_other_keys(void **state)
{
	char *dir = pbt_tmpdir("sign"), key[PATH_MAX];
	unsigned char sig[PB_SIG_LEN];
	struct pb_err err = {0};

	(void)state;
	make_keys(dir);
	assert_int_equal(sh("cd %s && openssl genpkey -algorithm rsa -pkeyopt "
			    "rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null",
			    dir),
			 0);
	pbt_path(key, sizeof(key), dir, "rsa.pem");
	assert_int_equal(pb_sign_key_check(key, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not an ed25519 key"));
	pbt_path(key, sizeof(key), dir, "none.pem");
	assert_int_equal(pb_sign_data(key, "x", 1, sig, &err), -ENOENT);
	/* encrypted: refused, never a prompt */
	assert_int_equal(sh("cd %s && openssl pkey -in key.pem -aes256 "
			    "-passout pass:secret -out enc.pem 2>/dev/null",
			    dir),
			 0);
	pbt_path(key, sizeof(key), dir, "enc.pem");
	assert_int_equal(pb_sign_key_check(key, &err), -EINVAL);
}

/* what `build --sign-key` does after writing the manifest */
static void test_manifest_sign(void **state)
{
	char *dir = pbt_tmpdir("sign"), key[PATH_MAX];
	struct pb_err err = {0};

	(void)state;
	make_keys(dir);
	pbt_path(key, sizeof(key), dir, "key.pem");
	pbt_write_file(dir, "out/manifest.json", "{\"kernels\": []}\n", 0);
	pbt_path(key, sizeof(key), dir, "key.pem");
	{
		char out[PATH_MAX];

		pbt_path(out, sizeof(out), dir, "out");
		assert_int_equal(pb_manifest_sign(out, key, &err), 0);
		/* no manifest: the error names it */
		pbt_path(out, sizeof(out), dir, "none");
		assert_true(pb_manifest_sign(out, key, &err) < 0);
		assert_non_null(strstr(err.msg, "none/manifest.json"));
	}
	assert_int_equal(sh("cd %s && openssl pkeyutl -verify -pubin -inkey "
			    "pub.pem -rawin -in out/manifest.json -sigfile "
			    "out/manifest.json.sig >/dev/null 2>&1",
			    dir),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sign_verifies_with_openssl,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_sign_refuses_other_keys,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_manifest_sign, pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

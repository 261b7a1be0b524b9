/* util/hash: file digests (pb_hash_file) of files made here, known
 * vectors, a large file, errors. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "util/hash.h"

static char tmp[PBT_TMP_MAX];

static int group_setup(void **state)
{
	(void)state;
	return pbt_mkdtemp(tmp, sizeof(tmp), "hash");
}

static int group_teardown(void **state)
{
	(void)state;
	return pbt_rm_tree(tmp);
}

/* -------------------------------------------------------------- hash */

static void test_hash_known(void **state)
{
	struct pb_err err = {0};
	char path[PATH_MAX], hex[PB_HEX_MAX];

	(void)state;
	pbt_write(tmp, "abc", "abc", 3);
	pbt_path(path, sizeof(path), tmp, "abc");
	assert_int_equal(pb_hash_file(path, "md5", hex, &err), 0);
	assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
	assert_int_equal(pb_hash_file(path, "sha256", hex, &err), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");

	pbt_write(tmp, "empty", "", 0);
	pbt_path(path, sizeof(path), tmp, "empty");
	assert_int_equal(pb_hash_file(path, "md5", hex, &err), 0);
	assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(pb_hash_file(path, "sha256", hex, &err), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
}

static void test_hash_large(void **state)
{
	/* more than one read buffer: "a" x 1000000, a FIPS 180-2 vector */
	struct pb_err err = {0};
	char path[PATH_MAX], hex[PB_HEX_MAX];
	char *a = malloc(1000000);

	(void)state;
	assert_non_null(a);
	memset(a, 'a', 1000000);
	pbt_write(tmp, "million", a, 1000000);
	free(a);
	pbt_path(path, sizeof(path), tmp, "million");
	assert_int_equal(pb_hash_file(path, "sha256", hex, &err), 0);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
				 "f1809a48a497200e046d39ccc7112cd0");
	assert_int_equal(pb_hash_file(path, "md5", hex, &err), 0);
	assert_string_equal(hex, "7707d6ae4e027c70eea2a935c2296f21");
}

static void test_hash_errors(void **state)
{
	struct pb_err err = {0};
	char path[PATH_MAX], hex[PB_HEX_MAX];

	(void)state;
	pbt_path(path, sizeof(path), tmp, "abc");
	pbt_write(tmp, "abc", "abc", 3);
	assert_int_equal(pb_hash_file(path, "nosuchdigest", hex, &err),
			 -EINVAL);
	pbt_path(path, sizeof(path), tmp, "missing");
	assert_int_equal(pb_hash_file(path, "md5", hex, &err), -ENOENT);
	assert_non_null(strstr(err.msg, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_known),
		cmocka_unit_test(test_hash_large),
		cmocka_unit_test(test_hash_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* newswatch's checkpoint (newswatch/checkpoint.c): none until saved,
 * never backwards, kept across a restart, and why when it cannot be
 * read. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "checkpoint.h"
#include "testutil.h"

/* The checkpoint: none until saved, never backwards, kept across a
 * restart, and why when it cannot be read */
static void test_checkpoint(void **state)
{
	char *dir = pbt_tmpdir("nwk"), path[PATH_MAX];
	struct pb_err err = {0};
	struct nw_checkpoint *c;

	(void)state;
	assert_int_equal(nw_checkpoint_open(dir, &c, &err), 0);
	assert_false(nw_checkpoint_exists(c));
	/* noted, not written, before the first save */
	assert_int_equal(nw_checkpoint_set(c, "local.test", 2, &err), 0);
	assert_int_equal(access(dir, F_OK), 0);
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(nw_checkpoint_save(c, &err), 0);
	assert_true(nw_checkpoint_exists(c));
	assert_int_equal(nw_checkpoint_set(c, "local.test", 5, &err), 0);
	assert_int_equal(nw_checkpoint_set(c, "local.test", 3, &err), 0);
	assert_int_equal(nw_checkpoint_get(c, "local.test"), 5);
	nw_checkpoint_close(c);

	assert_int_equal(nw_checkpoint_open(dir, &c, &err), 0);
	assert_true(nw_checkpoint_exists(c));
	assert_int_equal(nw_checkpoint_get(c, "local.test"), 5);
	assert_int_equal(nw_checkpoint_get(c, "other"), 0);
	nw_checkpoint_close(c);

	/* a checkpoint that cannot be opened: the open fails, and says why */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("checkpoint", path), 0);
	assert_int_equal(nw_checkpoint_open(dir, &c, &err), -ELOOP);
	assert_null(c);
	assert_int_equal(err.code, -ELOOP);
	assert_non_null(strstr(err.msg, "/checkpoint: Too many levels"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_checkpoint, pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

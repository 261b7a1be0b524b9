/* newswatch's spool (newswatch/spool.c): which spool paths are articles
 * and in which group, and the group wildcards of the configuration. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spool.h"

static void test_spool_paths(void **state)
{
	char g[256];
	unsigned long n = 0;

	(void)state;
	assert_true(nw_spool_article("/var/spool/news/articles",
				     "/var/spool/news/articles/comp/lang/c/42",
				     g, sizeof(g), &n));
	assert_string_equal(g, "comp.lang.c");
	assert_int_equal(n, 42);
	/* a trailing slash on the spool changes nothing */
	assert_true(
		nw_spool_article("/s/", "/s/local/test/7", g, sizeof(g), &n));
	assert_string_equal(g, "local.test");
	/* not articles: a name that is not a number, a file at the top, a
	 * hidden INN directory, another tree, a prefix look-alike, 0 */
	assert_false(nw_spool_article("/s", "/s/local/test/7.tmp", g, sizeof(g),
				      &n));
	assert_false(nw_spool_article("/s", "/s/42", g, sizeof(g), &n));
	assert_false(nw_spool_article("/s", "/s/.overview/local/1", g,
				      sizeof(g), &n));
	assert_false(nw_spool_article("/s", "/t/local/1", g, sizeof(g), &n));
	assert_false(nw_spool_article("/s", "/sx/local/1", g, sizeof(g), &n));
	assert_false(nw_spool_article("/s", "/s/local/0", g, sizeof(g), &n));
	/* a group name longer than the buffer is refused, not cut */
	assert_false(
		nw_spool_article("/s", "/s/a/very/long/group/1", g, 8, &n));
}

static void test_group_wildcards(void **state)
{
	(void)state;
	assert_true(nw_group_wanted("comp.lang.c", "*", ""));
	assert_true(nw_group_wanted("comp.lang.c", "", NULL));
	assert_true(nw_group_wanted("comp.lang.c", "fr.*, comp.*", ""));
	assert_false(nw_group_wanted("alt.test", "fr.*, comp.*", ""));
	assert_false(nw_group_wanted("local.test", "*", "*.test,junk"));
	assert_false(nw_group_wanted("junk", "*", "*.test, junk"));
	assert_true(nw_group_wanted("local.tests", "*", "*.test,junk"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_paths),
		cmocka_unit_test(test_group_wildcards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

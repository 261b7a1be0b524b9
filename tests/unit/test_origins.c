/* The origins map (core/build/origins.c): package path -> URL, sorted,
 * a path added again taking its new URL. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build/origins.h"

static void test_empty(void **state)
{
	struct pb_origins o = {0};

	(void)state;
	assert_null(pb_origins_get(&o, "/ws/cache/a.deb"));
	assert_null(pb_origins_get(NULL, "/ws/cache/a.deb"));
	pb_origins_free(&o);
	assert_int_equal(o.n, 0);
}

static void test_add_get_replace(void **state)
{
	struct pb_origins o = {0};
	struct pb_err err = {0};

	(void)state;
	assert_int_equal(pb_origins_add(&o, "/c/ab.deb", "http://m/ab", &err),
			 0);
	assert_int_equal(pb_origins_add(&o, "/c/a.deb", "http://m/a", &err), 0);
	assert_string_equal(pb_origins_get(&o, "/c/a.deb"), "http://m/a");
	assert_string_equal(pb_origins_get(&o, "/c/ab.deb"), "http://m/ab");
	/* a prefix or a longer name is another path */
	assert_null(pb_origins_get(&o, "/c/a"));
	assert_null(pb_origins_get(&o, "/c/ab.deb2"));
	/* the same file shared by two kernels: one entry, the last URL */
	assert_int_equal(pb_origins_add(&o, "/c/a.deb", "http://n/a", &err), 0);
	assert_int_equal(o.n, 2);
	assert_string_equal(pb_origins_get(&o, "/c/a.deb"), "http://n/a");
	pb_origins_free(&o);
	assert_null(o.v);
	assert_int_equal(o.n, 0);
	assert_null(pb_origins_get(&o, "/c/a.deb"));
}

/* many, added out of order: all found, kept sorted */
static void test_many(void **state)
{
	struct pb_origins o = {0};
	struct pb_err err = {0};
	char path[64], url[64];
	unsigned i, k;

	(void)state;
	for (i = 0; i < 1000; i++) {
		k = (i * 7919u) % 1000u; /* a permutation of 0..999 */
		snprintf(path, sizeof(path), "/ws/cache/%u/pkg.deb", k);
		snprintf(url, sizeof(url), "http://mirror/%u.deb", k);
		assert_int_equal(pb_origins_add(&o, path, url, &err), 0);
	}
	assert_int_equal(o.n, 1000);
	for (i = 1; i < o.n; i++)
		assert_true(strcmp(o.v[i - 1].path, o.v[i].path) < 0);
	for (k = 0; k < 1000; k++) {
		snprintf(path, sizeof(path), "/ws/cache/%u/pkg.deb", k);
		snprintf(url, sizeof(url), "http://mirror/%u.deb", k);
		assert_string_equal(pb_origins_get(&o, path), url);
	}
	assert_null(pb_origins_get(&o, "/ws/cache/1000/pkg.deb"));
	pb_origins_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_get_replace),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

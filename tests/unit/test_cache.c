/* The download cache kept under --cache-max: real entries in a scratch
 * cache/<xx>/<sha>/ tree with their mtimes set; the oldest go first, the
 * eviction stops once the cache fits, the in-use ones stay (even when the
 * cache then does not fit), pb_cache_touch makes an entry the newest. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/cache.h"
#include "testutil.h"

/* sha256-like names: the letter repeated 64 times */
static const char *sha(char c)
{
	static char buf[8][65];
	static int next;
	char *s = buf[next++ % 8];

	memset(s, c, 64);
	s[64] = '\0';
	return s;
}

/* cache/<xx>/<sha>/name of `bytes` bytes, the entry's mtime `age` seconds
 * ago (a head too, under head/, when head_bytes) */
static void entry(const char *cache, char c, size_t bytes, size_t head_bytes,
		  long age)
{
	char rel[PATH_MAX], dir[PATH_MAX];
	struct timespec ts[2];
	char *data = calloc(1, bytes + head_bytes + 1);
	const char *s = sha(c);

	assert_non_null(data);
	snprintf(rel, sizeof(rel), "%.2s/%s/pkg_%c.deb", s, s, c);
	pbt_write(cache, rel, data, bytes);
	if (head_bytes) {
		snprintf(rel, sizeof(rel), "%.2s/%s/head/pkg_%c.deb", s, s, c);
		pbt_write(cache, rel, data, head_bytes);
	}
	free(data);
	snprintf(rel, sizeof(rel), "%.2s/%s", s, s);
	pbt_path(dir, sizeof(dir), cache, rel);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, dir, ts, 0), 0);
}

static int present(const char *cache, char c)
{
	char rel[PATH_MAX], p[PATH_MAX];
	const char *s = sha(c);

	snprintf(rel, sizeof(rel), "%.2s/%s", s, s);
	pbt_path(p, sizeof(p), cache, rel);
	return access(p, F_OK) == 0;
}

static void test_evicts_oldest_first_until_it_fits(void **state)
{
	char *ws = pbt_tmpdir("cache"), cache[PATH_MAX];
	struct pb_cache_trim t;
	struct pb_err err = {0};

	(void)state;
	pbt_path(cache, sizeof(cache), ws, "cache");
	pbt_mkdirs(ws, "cache");
	/* 1000 + 2000 (with a 500-byte head) + 3000 + 4000 = 10500 bytes;
	 * oldest: b, then d, a, c */
	entry(cache, 'a', 1000, 0, 300);
	entry(cache, 'b', 2000, 500, 400);
	entry(cache, 'c', 3000, 0, 100);
	entry(cache, 'd', 4000, 0, 350);
	/* under the limit: nothing goes */
	assert_int_equal(pb_cache_trim(cache, 10500, NULL, 0, &t, &err), 0);
	assert_int_equal(t.before, 10500);
	assert_int_equal(t.after, 10500);
	assert_int_equal(t.evicted, 0);
	assert_true(present(cache, 'a') && present(cache, 'b') &&
		    present(cache, 'c') && present(cache, 'd'));
	/* 6000: b (2500) is not enough, d (4000) is; a and c stay */
	assert_int_equal(pb_cache_trim(cache, 6000, NULL, 0, &t, &err), 0);
	assert_int_equal(t.before, 10500);
	assert_int_equal(t.evicted, 2);
	assert_int_equal(t.evicted_bytes, 6500);
	assert_int_equal(t.after, 4000);
	assert_false(present(cache, 'b'));
	assert_false(present(cache, 'd'));
	assert_true(present(cache, 'a'));
	assert_true(present(cache, 'c'));
}

static void test_keeps_in_use(void **state)
{
	char *ws = pbt_tmpdir("cache"), cache[PATH_MAX];
	const char *keep[2];
	struct pb_cache_trim t;
	struct pb_err err = {0};

	(void)state;
	pbt_path(cache, sizeof(cache), ws, "cache");
	pbt_mkdirs(ws, "cache");
	entry(cache, 'a', 1000, 0, 500); /* oldest, in use */
	entry(cache, 'b', 1000, 0, 400);
	entry(cache, 'c', 1000, 0, 300);
	entry(cache, 'e', 1000, 0, 200); /* in use */
	keep[0] = sha('a');
	keep[1] = sha('e');
	/* 2500: b, then c go (the oldest not in use): then it fits */
	assert_int_equal(pb_cache_trim(cache, 2500, keep, 2, &t, &err), 0);
	assert_int_equal(t.evicted, 2);
	assert_int_equal(t.after, 2000);
	assert_true(present(cache, 'a'));
	assert_false(present(cache, 'b'));
	assert_false(present(cache, 'c'));
	assert_true(present(cache, 'e'));
	/* 500: only the in-use ones are left, and they stay: the limit is
	 * not met, and the result says how much is in use */
	assert_int_equal(pb_cache_trim(cache, 500, keep, 2, &t, &err), 0);
	assert_int_equal(t.evicted, 0);
	assert_int_equal(t.after, 2000);
	assert_int_equal(t.in_use_bytes, 2000);
	assert_true(present(cache, 'a') && present(cache, 'e'));
}

static void test_touch_makes_newest(void **state)
{
	char *ws = pbt_tmpdir("cache"), cache[PATH_MAX];
	struct pb_cache_trim t;
	struct pb_err err = {0};

	(void)state;
	pbt_path(cache, sizeof(cache), ws, "cache");
	pbt_mkdirs(ws, "cache");
	entry(cache, 'a', 1000, 0, 300);
	entry(cache, 'b', 1000, 0, 200);
	/* a was used now: b is the least recently used */
	pb_cache_touch(ws, sha('a'));
	pb_cache_touch(ws, sha('z')); /* not there: nothing happens */
	assert_false(present(cache, 'z'));
	assert_int_equal(pb_cache_trim(cache, 1000, NULL, 0, &t, &err), 0);
	assert_int_equal(t.evicted, 1);
	assert_true(present(cache, 'a'));
	assert_false(present(cache, 'b'));
}

static void test_missing_cache_is_empty(void **state)
{
	char *ws = pbt_tmpdir("cache"), cache[PATH_MAX];
	struct pb_cache_trim t;
	struct pb_err err = {0};

	(void)state;
	pbt_path(cache, sizeof(cache), ws, "cache");
	assert_int_equal(pb_cache_trim(cache, 1, NULL, 0, &t, &err), 0);
	assert_int_equal(t.before, 0);
	assert_int_equal(t.evicted, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			test_evicts_oldest_first_until_it_fits, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_keeps_in_use, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_touch_makes_newest,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_missing_cache_is_empty,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

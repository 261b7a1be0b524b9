/* The decompressor (archive/decomp.c): every format, truncated and
 * corrupt streams, empty and missing files. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
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

#include "indexutil.h"
#include "repo/index.h"
#include "testutil.h"

struct fx {
	char tmp[PBT_TMP_MAX]; /* first: pbt_fx_new makes it */
};
_Static_assert(offsetof(struct fx, tmp) == 0, "pbt_fx_new makes tmp");

static int fx_setup(void **state)
{
	*state = pbt_fx_new(sizeof(struct fx), "decomp");
	return *state ? 0 : -1;
}

/* ------------------------------------------------------------ decomp */

/* text that spans several of the decompressor's blocks */
static char *some_text(size_t *len)
{
	size_t cap = 900 * 1024, o = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	for (unsigned i = 0; o + 100 < cap; i++)
		o += (size_t)snprintf(s + o, cap - o, "line %u: %08x %s\n", i,
				      i * 2654435761u,
				      i % 7 ? "abc" : "xyz xyz xyz");
	*len = o;
	return s;
}

static void expect_content(const char *path, const char *want, size_t len,
			   size_t chunk)
{
	struct pb_err err = {0};
	struct pb_decomp *d;
	char *buf = malloc(chunk);
	size_t o = 0;
	long n;

	assert_non_null(buf);
	if (pb_decomp_open(path, &d, &err) < 0)
		fail_msg("%s", err.msg);
	while ((n = pb_decomp_read(d, buf, chunk, &err)) > 0) {
		assert_true(o + (size_t)n <= len);
		if (memcmp(buf, want + o, (size_t)n) != 0)
			fail_msg("%s: differs from byte %zu on", path, o);
		o += (size_t)n;
	}
	if (n < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(o, len);
	/* the end stays the end */
	assert_int_equal(pb_decomp_read(d, buf, chunk, &err), 0);
	pb_decomp_close(d);
	free(buf);
}

/* read a little, then close: the reader ahead is stopped and joined */
static void open_read_close(const char *path)
{
	struct pb_err err = {0};
	struct pb_decomp *d;
	char buf[10];

	for (int i = 0; i < 20; i++) {
		if (pb_decomp_open(path, &d, &err) < 0)
			fail_msg("%s", err.msg);
		if (i % 2)
			assert_int_equal(
				pb_decomp_read(d, buf, sizeof(buf), &err),
				sizeof(buf));
		pb_decomp_close(d);
	}
}

static void test_decomp_formats(void **state)
{
	struct fx *fx = *state;
	const char *tools[] = {"gzip", "xz", "zstd", "bzip2"};
	char path[PATH_MAX];
	size_t len;
	char *text = some_text(&len);

	pbt_write(fx->tmp, "plain", text, len);
	pbt_path(path, sizeof(path), fx->tmp, "plain");
	expect_content(path, text, len, 4096);
	expect_content(path, text, len, 1000 * 1000);
	open_read_close(path);
	for (size_t i = 0; i < PBT_N_OF(tools); i++) {
		char name[32];

		if (!pbt_have_tool(tools[i])) {
			print_message("no %s here: not tried\n", tools[i]);
			continue;
		}
		/* a name that says nothing: told by content */
		snprintf(name, sizeof(name), "f%zu", i);
		pbt_sh("cd %s && %s -c < plain > %s", fx->tmp, tools[i], name);
		pbt_path(path, sizeof(path), fx->tmp, name);
		expect_content(path, text, len, 7);
		expect_content(path, text, len, 65536);
		open_read_close(path);
	}
	free(text);
}

static void expect_broken(const char *dir, const char *name)
{
	struct pb_err err = {0};
	struct pb_decomp *d;
	char path[PATH_MAX], buf[65536];
	long n;
	int ret;

	pbt_path(path, sizeof(path), dir, name);
	ret = pb_decomp_open(path, &d, &err);
	if (ret == 0) {
		while ((n = pb_decomp_read(d, buf, sizeof(buf), &err)) > 0)
			;
		ret = (int)n;
		/* and it stays broken */
		if (ret < 0)
			assert_int_equal(pb_decomp_read(d, buf, 10, &err), ret);
		pb_decomp_close(d);
	}
	if (ret == 0)
		fail_msg("%s: read to its end without an error", name);
	assert_int_equal(ret, -EIO);
	pbt_expect_error_naming(&err, ret, path);
}

static void test_decomp_truncated(void **state)
{
	struct fx *fx = *state;
	const char *tools[] = {"gzip", "xz", "zstd", "bzip2"};
	size_t len;
	char *text = some_text(&len);

	pbt_write(fx->tmp, "plain", text, len);
	free(text);
	for (size_t i = 0; i < PBT_N_OF(tools); i++) {
		char whole[32], half[32], tail[32];

		if (!pbt_have_tool(tools[i]))
			continue;
		snprintf(whole, sizeof(whole), "whole.%s", tools[i]);
		snprintf(half, sizeof(half), "half.%s", tools[i]);
		snprintf(tail, sizeof(tail), "notail.%s", tools[i]);
		pbt_sh("cd %s && %s -c < plain > %s", fx->tmp, tools[i], whole);
		pbt_cut_file(fx->tmp, whole, half, 0);
		expect_broken(fx->tmp, half);
		/* only the trailer (gzip's CRC and size, xz's index) cut */
		pbt_cut_file(fx->tmp, whole, tail, 4);
		expect_broken(fx->tmp, tail);
	}
	/* a byte changed in the middle of the compressed data */
	pbt_sh("cd %s && xz -c < plain > bad.xz && "
	       "printf '\\377\\377\\377\\377' | dd of=bad.xz bs=1 seek=5000 "
	       "conv=notrunc status=none",
	       fx->tmp);
	expect_broken(fx->tmp, "bad.xz");
	pbt_sh("cd %s && gzip -c < plain > bad.gz && "
	       "printf '\\377\\377\\377\\377' | dd of=bad.gz bs=1 seek=5000 "
	       "conv=notrunc status=none",
	       fx->tmp);
	expect_broken(fx->tmp, "bad.gz");
}

static void test_decomp_empty_missing(void **state)
{
	struct fx *fx = *state;
	struct pb_err err = {0};
	struct pb_decomp *d;
	char path[PATH_MAX], buf[16];
	int ret;

	pbt_write(fx->tmp, "empty", "", 0);
	pbt_path(path, sizeof(path), fx->tmp, "empty");
	assert_int_equal(pb_decomp_open(path, &d, &err), 0);
	assert_int_equal(pb_decomp_read(d, buf, sizeof(buf), &err), 0);
	pb_decomp_close(d);

	pbt_sh("cd %s && gzip -c < empty > empty.gz", fx->tmp);
	pbt_path(path, sizeof(path), fx->tmp, "empty.gz");
	assert_int_equal(pb_decomp_open(path, &d, &err), 0);
	assert_int_equal(pb_decomp_read(d, buf, sizeof(buf), &err), 0);
	pb_decomp_close(d);

	pbt_path(path, sizeof(path), fx->tmp, "nothing-here.xz");
	ret = pb_decomp_open(path, &d, &err);
	assert_int_equal(ret, -ENOENT);
	assert_null(d);
	pbt_expect_error_naming(&err, ret, path);

	/* closing nothing is fine */
	pb_decomp_close(NULL);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, pbt_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_decomp_formats),
		FX(test_decomp_truncated),
		FX(test_decomp_empty_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

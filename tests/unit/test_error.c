/* pb_err (core/sdk/error.c): context is prepended as an error travels up,
 * and when the message outgrows its buffer the middle goes, never the root
 * cause at the end nor the outermost context at the start. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "probe-builder/error.h"

static void test_set_and_prefix(void **state)
{
	struct pb_err err = {0};

	(void)state;
	assert_int_equal(pb_err_set(&err, -ENOENT, "no %s", "file"), -ENOENT);
	assert_int_equal(pb_err_prefix(&err, "member %d", 3), -ENOENT);
	assert_int_equal(pb_err_prefix(&err, "package %s", "x.deb"), -ENOENT);
	assert_string_equal(err.msg, "package x.deb: member 3: no file");
	assert_int_equal(err.code, -ENOENT);
	assert_int_equal(pb_err_prefix(NULL, "x"), -EINVAL);
	assert_int_equal(pb_err_set(NULL, -EIO, "x"), -EIO);
	pb_err_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Many long contexts: the message stays within the buffer, starts with the
 * last context given and still ends with the root cause. */
static void test_overflow_keeps_root_cause(void **state)
{
	struct pb_err err = {0};
	char ctx[300];
	int i;

	(void)state;
	pb_err_set(&err, -EBADMSG, "ROOT CAUSE: SHA-256 differs");
	memset(ctx, 'c', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	for (i = 0; i < 20; i++)
		pb_err_prefix(&err, "level %d %s", i, ctx);
	pb_err_prefix(&err, "OUTERMOST");
	assert_int_equal(err.code, -EBADMSG);
	assert_true(strlen(err.msg) < PB_ERR_MSG_MAX);
	assert_true(strlen(err.msg) > PB_ERR_MSG_MAX / 2);
	assert_true(ends_with(err.msg, "ROOT CAUSE: SHA-256 differs"));
	assert_true(strncmp(err.msg, "OUTERMOST: level 19 ", 20) == 0);
	assert_non_null(strstr(err.msg, "..."));
}

/* A context longer than the buffer by itself: still the root cause. */
static void test_huge_context(void **state)
{
	struct pb_err err = {0};
	char ctx[3 * PB_ERR_MSG_MAX];

	(void)state;
	memset(ctx, 'x', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	pb_err_set(&err, -EIO, "disk on fire");
	pb_err_prefix(&err, "%s", ctx);
	assert_true(strlen(err.msg) < PB_ERR_MSG_MAX);
	assert_true(ends_with(err.msg, ": disk on fire"));
}

/* The cut falls between UTF-8 characters, never inside one. */
static void test_cut_on_characters(void **state)
{
	struct pb_err err = {0};
	char ctx[2 * PB_ERR_MSG_MAX];
	size_t i, n;

	(void)state;
	/* "é" is two bytes: every other byte is a continuation byte */
	for (i = 0; i + 2 < sizeof(ctx); i += 2)
		memcpy(ctx + i, "\xc3\xa9", 2);
	ctx[i] = '\0';
	pb_err_set(&err, -EIO, "%s", ctx);
	pb_err_prefix(&err, "%s", ctx);
	n = strlen(err.msg);
	assert_true(n < PB_ERR_MSG_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)err.msg[i];

		if (c == 0xc3)
			assert_int_equal((unsigned char)err.msg[i + 1], 0xa9);
		else if (c == 0xa9)
			assert_int_equal((unsigned char)err.msg[i - 1], 0xc3);
	}
	assert_non_null(strstr(err.msg, "\xc3\xa9...\xc3\xa9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_prefix),
		cmocka_unit_test(test_overflow_keeps_root_cause),
		cmocka_unit_test(test_huge_context),
		cmocka_unit_test(test_cut_on_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

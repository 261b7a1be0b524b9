/* The checked allocators (core/sdk/alloc.c): NULL only with err filled
 * (-ENOMEM, the size asked for), overflowing products refused before any
 * allocation, realloc's failure leaving the block as it was. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe-builder/alloc.h"

/* The sanitizer build's allocator aborts on a request it cannot serve
 * unless told to return NULL as malloc does; unused in other builds. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* more than any malloc serves (glibc refuses over PTRDIFF_MAX) */
#define TOO_BIG (SIZE_MAX - 64)

static void test_overflow_refused(void **state)
{
	struct pb_err err = {0};

	(void)state;
	assert_null(pb_calloc(SIZE_MAX / 2, 3, &err));
	assert_int_equal(err.code, -ENOMEM);
	assert_non_null(strstr(err.msg, "overflows"));
	pb_err_clear(&err);
	assert_null(pb_malloc(3, SIZE_MAX / 2, &err));
	assert_int_equal(err.code, -ENOMEM);
	pb_err_clear(&err);
	assert_null(pb_reallocarray(NULL, SIZE_MAX / 4, 8, &err));
	assert_int_equal(err.code, -ENOMEM);
	assert_int_equal(errno, ENOMEM);
	/* err may be NULL */
	assert_null(pb_calloc(SIZE_MAX / 2, 3, NULL));
}

static void test_failure_says_size(void **state)
{
	struct pb_err err = {0};
	char want[64];
	char *p;

	(void)state;
	assert_null(pb_malloc(TOO_BIG, 1, &err));
	assert_int_equal(err.code, -ENOMEM);
	snprintf(want, sizeof(want), "out of memory (%zu bytes)",
		 (size_t)TOO_BIG);
	assert_string_equal(err.msg, want);

	/* a failed realloc keeps the block and its bytes */
	p = pb_strdup("kept", &err);
	assert_non_null(p);
	pb_err_clear(&err);
	assert_null(pb_reallocarray(p, TOO_BIG, 1, &err));
	assert_int_equal(err.code, -ENOMEM);
	assert_string_equal(p, "kept");
	free(p);
}

static char *via_va(struct pb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *via_va(struct pb_err *err, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = pb_vasprintf(err, fmt, ap);
	va_end(ap);
	return s;
}

static void test_success(void **state)
{
	struct pb_err err = {0};
	unsigned char *z;
	int *v;
	char *s;
	size_t i;

	(void)state;
	z = pb_calloc(100, 1, &err);
	assert_non_null(z);
	for (i = 0; i < 100; i++)
		assert_int_equal(z[i], 0);
	free(z);

	v = pb_reallocarray(NULL, 2, sizeof(*v), &err);
	assert_non_null(v);
	v[0] = 1, v[1] = 2;
	v = pb_reallocarray(v, 1000, sizeof(*v), &err);
	assert_non_null(v);
	assert_int_equal(v[1], 2);
	free(v);

	/* zero bytes is a block to free, never a NULL that reads as failure */
	z = pb_malloc(0, 8, &err);
	assert_non_null(z);
	free(z);

	s = pb_strndup("kernel-6.12", 6, &err);
	assert_string_equal(s, "kernel");
	free(s);
	s = pb_strndup("ab", 10, &err);
	assert_string_equal(s, "ab");
	free(s);
	s = pb_asprintf(&err, "%s-%d", "linux", 612);
	assert_string_equal(s, "linux-612");
	free(s);
	s = via_va(&err, "%s/%s", "a", "b");
	assert_string_equal(s, "a/b");
	free(s);
	assert_int_equal(err.code, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overflow_refused),
		cmocka_unit_test(test_failure_says_size),
		cmocka_unit_test(test_success),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

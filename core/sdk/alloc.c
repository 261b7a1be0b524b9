#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/alloc.h"

static int overflows(size_t n, size_t size)
{
	return size && n > SIZE_MAX / size;
}

static void *nomem(struct pb_err *err, size_t n, size_t size)
{
	if (overflows(n, size))
		pb_err_set(err, -ENOMEM,
			   "out of memory: %zu x %zu bytes overflows a size", n,
			   size);
	else
		pb_err_set(err, -ENOMEM, "out of memory (%zu bytes)", n * size);
	errno = ENOMEM;
	return NULL;
}

/* n * size, at least 1: malloc(0) may be NULL, and NULL must always mean
 * failure */
static size_t bytes(size_t n, size_t size)
{
	return n && size ? n * size : 1;
}

void *pb_malloc(size_t n, size_t size, struct pb_err *err)
{
	void *p;

	if (overflows(n, size))
		return nomem(err, n, size);
	p = malloc(bytes(n, size));
	return p ? p : nomem(err, n, size);
}

void *pb_calloc(size_t n, size_t size, struct pb_err *err)
{
	void *p;

	if (overflows(n, size))
		return nomem(err, n, size);
	p = calloc(1, bytes(n, size));
	return p ? p : nomem(err, n, size);
}

void *pb_reallocarray(void *p, size_t n, size_t size, struct pb_err *err)
{
	void *q;

	if (overflows(n, size))
		return nomem(err, n, size);
	q = realloc(p, bytes(n, size));
	return q ? q : nomem(err, n, size);
}

static char *copy(const char *s, size_t len, struct pb_err *err)
{
	char *p = pb_malloc(len + 1, 1, err);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *pb_strndup(const char *s, size_t n, struct pb_err *err)
{
	return copy(s, strnlen(s, n), err);
}

char *pb_strdup(const char *s, struct pb_err *err)
{
	return copy(s, strlen(s), err);
}

char *pb_vasprintf(struct pb_err *err, const char *fmt, va_list ap)
{
	va_list again;
	char *s;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0) {
		/* longer than INT_MAX, or a wide character with no encoding */
		pb_err_set(err, -ENOMEM, "out of memory: cannot format \"%s\"",
			   fmt);
		errno = ENOMEM;
		s = NULL;
	} else if ((s = pb_malloc((size_t)n + 1, 1, err))) {
		vsnprintf(s, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	return s;
}

char *pb_asprintf(struct pb_err *err, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = pb_vasprintf(err, fmt, ap);
	va_end(ap);
	return s;
}

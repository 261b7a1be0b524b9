/* Checked allocation: the one convention of the core, the plugins and
 * newswatch (in the manner of libalpm's MALLOC/STRDUP, as functions so that
 * types are checked).
 *
 * An allocator returns NULL only after filling err with -ENOMEM and a
 * message that says how much was asked for, so a caller writes
 *
 *     p = pb_calloc(n, sizeof(*p), err);
 *     if (!p)
 *             return -ENOMEM;          (or: ret = -ENOMEM; goto out;)
 *
 * and several allocations may share one check: the one that failed filled
 * err. Sizes are multiplied with an overflow check (an overflow is -ENOMEM
 * too). err may be NULL. Memory is released with free(). */
#ifndef PROBE_BUILDER_ALLOC_H
#define PROBE_BUILDER_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* n * size bytes, not cleared (buffers about to be filled). */
void *pb_malloc(size_t n, size_t size, struct pb_err *err);
/* n * size bytes, cleared. */
void *pb_calloc(size_t n, size_t size, struct pb_err *err);
/* p grown or shrunk to n * size bytes; on failure p is left as it was. */
void *pb_reallocarray(void *p, size_t n, size_t size, struct pb_err *err);
char *pb_strdup(const char *s, struct pb_err *err);
/* At most n bytes of s, NUL-terminated. */
char *pb_strndup(const char *s, size_t n, struct pb_err *err);
/* A formatted string of any length (-ENOMEM too when vsnprintf cannot
 * format it). */
char *pb_asprintf(struct pb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *pb_vasprintf(struct pb_err *err, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#ifdef __cplusplus
}
#endif
#endif

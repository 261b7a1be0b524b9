/* Paths that cannot be cut silently: every path that is created, opened or
 * deleted is made with these, which refuse truncation. */
#ifndef PB_UTIL_PATH_H
#define PB_UTIL_PATH_H

#include <stddef.h>

#include "probe-builder/error.h"

/* buf = the parts joined with one '/' between them (a part's own leading
 * or trailing '/' kept as given; an empty part is skipped). The list ends
 * with NULL. -ENAMETOOLONG, err naming the start of the path, when it does
 * not fit in len bytes (buf is then ""). */
int pb_path_join(char *buf, size_t len, struct pb_err *err, const char *first,
		 ...) __attribute__((sentinel));

/* snprintf that refuses truncation: 0, or -ENAMETOOLONG with err filled
 * (what was being made, cut) and buf "". */
int pb_path_fmt(char *buf, size_t len, struct pb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* to (absolute) as a path relative to the absolute directory from, in
 * buf; -ENAMETOOLONG when it does not fit. */
int pb_path_relative(const char *from, const char *to, char *buf, size_t len);

#endif

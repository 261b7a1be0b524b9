/* "key = value" files (distro and toolchain data files, newswatch's
 * configuration): one reader for all of them. */
#ifndef PB_KVLINES_H
#define PB_KVLINES_H

#include "probe-builder/error.h"

/* Calls on() with the trimmed key and value of each "key = value" line of
 * path and its number; blank lines and '#' comments are skipped. A line
 * without '=', or longer than 4095 bytes (refused, not cut in two), is
 * -EINVAL naming path:line; a non-zero return of on() stops the reading
 * and is returned (on() fills err). */
int pb_kv_lines(const char *path,
		int (*on)(const char *key, const char *value, unsigned line,
			  void *data, struct pb_err *err),
		void *data, struct pb_err *err);

#endif

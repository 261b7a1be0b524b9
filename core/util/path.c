#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/path.h"

int pb_path_join(char *buf, size_t len, struct pb_err *err, const char *first,
		 ...)
{
	const char *part = first;
	size_t used = 0;
	va_list ap;

	if (len)
		buf[0] = '\0';
	va_start(ap, first);
	for (; part; part = va_arg(ap, const char *)) {
		size_t n = strlen(part);
		int slash = used > 0 && buf[used - 1] != '/' && part[0] != '/';

		if (!n)
			continue;
		if (used + (size_t)slash + n + 1 > len) {
			va_end(ap);
			if (len)
				buf[0] = '\0';
			return pb_err_set(err, -ENAMETOOLONG,
					  "path too long (over %zu bytes): "
					  "%.*s...",
					  len ? len - 1 : 0, 200, first);
		}
		if (slash)
			buf[used++] = '/';
		memcpy(buf + used, part, n + 1);
		used += n;
	}
	va_end(ap);
	return 0;
}

int pb_path_fmt(char *buf, size_t len, struct pb_err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < len)
		return 0;
	if (n < 0)
		return pb_err_set(err, -EINVAL, "bad format for a path: %s",
				  fmt);
	{
		char cut[201];

		snprintf(cut, sizeof(cut), "%s", len ? buf : "");
		if (len)
			buf[0] = '\0';
		return pb_err_set(err, -ENAMETOOLONG,
				  "path too long (%d bytes, at most %zu): "
				  "%s...",
				  n, len ? len - 1 : 0, cut);
	}
}

int pb_path_relative(const char *from, const char *to, char *buf, size_t len)
{
	size_t i = 0, common = 0, used = 0;
	int n;

	while (from[i] && from[i] == to[i]) {
		i++;
		if ((from[i] == '/' || !from[i]) && (to[i] == '/' || !to[i]))
			common = i;
	}
	for (i = common; from[i]; i++) {
		if (from[i] != '/' || !from[i + 1] || from[i + 1] == '/')
			continue;
		if (used + 4 > len)
			return -ENAMETOOLONG;
		memcpy(buf + used, "../", 4);
		used += 3;
	}
	while (to[common] == '/')
		common++;
	n = snprintf(buf + used, len - used, "%s",
		     to[common] || used ? to + common : ".");
	return n < 0 || (size_t)n >= len - used ? -ENAMETOOLONG : 0;
}

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/kvlines.h"
#include "util/str.h"

int pb_kv_lines(const char *path,
		int (*on)(const char *key, const char *value, unsigned line,
			  void *data, struct pb_err *err),
		void *data, struct pb_err *err)
{
	char line[4096], *s, *eq;
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	while (!ret && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			ret = pb_err_set(err, -EINVAL,
					 "%s:%u: line longer than %zu bytes",
					 path, lineno, sizeof(line) - 1);
			break;
		}
		s = pb_trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			ret = pb_err_set(err, -EINVAL,
					 "%s:%u: not a 'key = value' line",
					 path, lineno);
			break;
		}
		*eq = '\0';
		ret = on(pb_trim(s), pb_trim(eq + 1), lineno, data, err);
	}
	if (!ret && ferror(f))
		ret = pb_err_set(err, -EIO, "%s: read error", path);
	fclose(f);
	return ret;
}

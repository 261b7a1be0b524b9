#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"

int nw_spool_article(const char *spool, const char *path, char *group,
		     size_t group_len, unsigned long *number)
{
	size_t sl = strlen(spool), o = 0;
	const char *rel, *base, *p;
	char *end;

	while (sl > 1 && spool[sl - 1] == '/')
		sl--;
	if (strncmp(path, spool, sl) != 0 || path[sl] != '/')
		return 0;
	rel = path + sl + 1;
	base = strrchr(rel, '/');
	/* a group directory, then the number */
	if (!base || base == rel || !base[1])
		return 0;
	base++;
	if (strspn(base, "0123456789") != strlen(base))
		return 0;
	*number = strtoul(base, &end, 10);
	if (*end || *number == 0)
		return 0;
	for (p = rel; p < base - 1 && o + 1 < group_len; p++) {
		/* hidden directories are INN's own (.overview...) */
		if ((p == rel || p[-1] == '/') && *p == '.')
			return 0;
		group[o++] = *p == '/' ? '.' : *p;
	}
	if (p < base - 1)
		return 0; /* too long */
	group[o] = '\0';
	return o > 0;
}

static int matches_any(const char *group, const char *patterns)
{
	char buf[256];
	const char *p = patterns;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		size_t s = 0;

		while (s < n && (p[s] == ' ' || p[s] == '\t'))
			s++;
		while (n > s && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > s && n - s < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s", (int)(n - s), p + s);
			if (fnmatch(buf, group, 0) == 0)
				return 1;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

int nw_group_wanted(const char *group, const char *include, const char *exclude)
{
	if (include && *include && !matches_any(group, include))
		return 0;
	return !(exclude && *exclude && matches_any(group, exclude));
}

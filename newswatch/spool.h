/* INN's tradspool: an article is <spool>/<group with '.' as '/'>/<number>.
 * Which paths are articles, of which group, and whether a group is
 * wanted (include/exclude wildcards). */
#ifndef NW_SPOOL_H
#define NW_SPOOL_H

#include <stddef.h>

/* When path is an article under spool (a numeric name under the group
 * hierarchy), fills group (comp.lang.c) and *number and returns 1; else 0. */
int nw_spool_article(const char *spool, const char *path, char *group,
		     size_t group_len, unsigned long *number);

/* Whether group passes: it matches one of the include patterns (none:
 * every group) and none of the exclude ones. Patterns are shell
 * wildcards (comp.*, fr.comp.*, *.test), comma-separated. */
int nw_group_wanted(const char *group, const char *include,
		    const char *exclude);

#endif

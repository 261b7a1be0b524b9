/* Small string and array helpers, written once. */
#ifndef PB_UTIL_STR_H
#define PB_UTIL_STR_H

#include <stddef.h>

#define PB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* s without its leading blanks (space, tab) and, cut in place, without its
 * trailing ones (space, tab, CR, LF). */
char *pb_trim(char *s);
/* 1 when s ends with suffix. */
int pb_has_suffix(const char *s, const char *suffix);

#endif

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

/* The value of a base64 digit (RFC 4648: A-Z a-z 0-9 + /), or -1. */
int pb_b64_value(int c);

/* A message for a person into buf, cut with "..." at its end when it does
 * not fit: truncation said, on purpose (never for a path: pb_path_fmt). */
void pb_msgf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

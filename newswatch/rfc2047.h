/* RFC 2047 decoding of header values into one line of UTF-8. */
#ifndef NW_RFC2047_H
#define NW_RFC2047_H

#include <stddef.h>

/* RFC 2047 decoding of one header value into UTF-8 (malloc'd), exposed for
 * tests and for templates. Encoded words =?charset?B?...?= and
 * =?charset?Q?...?= (an RFC 2231 language, =?charset*lang?...?=, is
 * ignored) in UTF-8, US-ASCII, ISO-8859-1 to -16, windows-1250 to -1258,
 * KOI8-R and KOI8-U; whitespace between two decoded words is dropped;
 * malformed words and words in other charsets are kept as they are. Bytes
 * outside encoded words are kept when the value is valid UTF-8, else read
 * as ISO-8859-1. Line breaks are removed, other control characters but tab
 * become spaces. Returns NULL only when value is NULL or memory runs out. */
char *nw_rfc2047_decode(const char *value);

/* Header text (n bytes, no NUL needed) into one-line UTF-8 as above,
 * decoding encoded words only when words is set (Subject and From, not
 * Message-ID or Date). NULL when memory runs out. */
char *nw_header_text(const char *s, size_t n, int words);

#endif

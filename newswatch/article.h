/* The header block of a Usenet article (RFC 5536 on top of RFC 5322), as
 * INN's tradspool stores it: one file per article, LF or CRLF line ends,
 * headers, an empty line, the body. */
#ifndef NEWSWATCH_ARTICLE_H
#define NEWSWATCH_ARTICLE_H

#include <stddef.h>

#include "probe-builder/error.h"

/* Every string is malloc'd, valid UTF-8 and one line of text: folded lines
 * are unfolded and any other control character (tab aside) becomes a space;
 * raw 8-bit bytes that are not UTF-8 are read as ISO-8859-1. A field that
 * is absent or empty is NULL (only Newsgroups is required). */
struct nw_article {
	char *message_id;    /* "<...>" as given, or NULL */
	char *from;	     /* decoded to UTF-8 (RFC 2047), unfolded */
	char *subject;	     /* decoded to UTF-8, unfolded */
	char *date;	     /* as given, unfolded */
	char **newsgroups;   /* NULL-terminated, split on commas, trimmed */
	size_t n_newsgroups; /* at least 1 after a successful parse */
};

/* Parses the header block of an article (RFC 5536 / RFC 5322): data, len
 * is the whole file or at least its beginning; the block, its empty line
 * included, must fit in max_header bytes (0: no limit but len).
 *
 * Returns 0 and fills out, or a negative errno, leaves out zeroed and
 * fills err (when not NULL) with a message saying what is wrong:
 *   -EINVAL    empty input; "no blank line after the headers" (the data,
 *              shorter than max_header, ends first: an article still
 *              being written, or a file with no body separator);
 *   -EMSGSIZE  "header block larger than N bytes" (no empty line within
 *              the first max_header bytes; len == max_header is enough,
 *              so a caller may read just max_header bytes);
 *   -EBADMSG   a line that is not a header field, a NUL byte (binary
 *              data), a continuation line with no field before it, a
 *              missing or empty Newsgroups field;
 *   -ENOMEM    out of memory.
 * Field names are case-insensitive; the first of duplicate fields wins;
 * unknown fields are ignored. Reads at most min(len, max_header) bytes and
 * takes time linear in them, whatever the input. */
int nw_article_parse(const char *data, size_t len, size_t max_header,
		     struct nw_article *out, struct pb_err *err);

/* Frees what nw_article_parse gave and zeroes a; a zeroed or already
 * freed article is fine, and so is NULL. */
void nw_article_free(struct nw_article *a);

#endif

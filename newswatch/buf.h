/* A growing string for header text, and the UTF-8 it is made of: raw
 * header bytes are kept when they are UTF-8, else read as ISO-8859-1. */
#ifndef NW_BUF_H
#define NW_BUF_H

#include <stddef.h>

/* When memory runs out it stops growing and says so in oom, which its
 * owner checks once at the end. p is NUL-terminated once anything was
 * added. A zeroed struct is an empty buffer. */
struct nw_buf {
	char *p;
	size_t len;
	size_t cap;
	int oom;
};

/* Room for more bytes and a NUL (oom set when there is none). */
void nw_buf_reserve(struct nw_buf *b, size_t more);
void nw_buf_add(struct nw_buf *b, const void *s, size_t n);
void nw_buf_addc(struct nw_buf *b, unsigned char c);
void nw_buf_free(struct nw_buf *b);
/* Hands the string over and empties b: NULL when memory ran out. */
char *nw_buf_take(struct nw_buf *b);

/* Whether n bytes at p are well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
int nw_utf8_valid(const void *p, size_t n);
/* Appends header bytes: as they are when as_utf8, else each one read as
 * ISO-8859-1 (whose code points are the byte values). */
void nw_buf_add_text(struct nw_buf *b, const void *p, size_t n, int as_utf8);
/* Makes b one line: a line break followed by a blank is folding and goes,
 * any other control character but tab becomes a space. */
void nw_buf_one_line(struct nw_buf *b);

static inline int nw_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

#endif

/* The growing string of header text (see buf.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "probe-builder/alloc.h"

void nw_buf_reserve(struct nw_buf *b, size_t more)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return;
	if (more > SIZE_MAX - 1 - b->len) {
		b->oom = 1;
		return;
	}
	want = b->len + more + 1;
	if (want <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = pb_reallocarray(b->p, cap, 1, NULL); /* said by b->oom */
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

void nw_buf_add(struct nw_buf *b, const void *s, size_t n)
{
	nw_buf_reserve(b, n);
	if (b->oom)
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void nw_buf_addc(struct nw_buf *b, unsigned char c)
{
	nw_buf_add(b, &c, 1);
}

void nw_buf_free(struct nw_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Hands the string over and empties b: NULL when memory ran out */
char *nw_buf_take(struct nw_buf *b)
{
	char *s = NULL;

	nw_buf_reserve(b, 0);
	if (!b->oom) {
		b->p[b->len] = '\0';
		s = b->p;
		b->p = NULL;
	}
	nw_buf_free(b);
	return s;
}

/* --- UTF-8 ------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at s (n > 0 bytes left), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return need;
}

int nw_utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, k;

	while (i < n) {
		k = utf8_seq(s + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

/* Appends header bytes: as they are when as_utf8, else each one read as
 * ISO-8859-1 (whose code points are the byte values) */
void nw_buf_add_text(struct nw_buf *b, const void *p, size_t n, int as_utf8)
{
	const unsigned char *s = p;
	size_t i;

	if (as_utf8) {
		nw_buf_add(b, s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < 0x80) {
			nw_buf_addc(b, s[i]);
		} else {
			nw_buf_addc(b, 0xc0 | (s[i] >> 6));
			nw_buf_addc(b, 0x80 | (s[i] & 0x3f));
		}
	}
}

/* Makes b one line: a line break followed by a blank is folding and goes,
 * any other control character but tab becomes a space */
void nw_buf_one_line(struct nw_buf *b)
{
	size_t i, j = 0, k;
	unsigned char c;

	for (i = 0; i < b->len; i++) {
		c = (unsigned char)b->p[i];
		k = c == '\r' && i + 1 < b->len && b->p[i + 1] == '\n' ? i + 2
		    : c == '\n'					       ? i + 1
								       : 0;
		if (k && k < b->len && nw_is_wsp(b->p[k])) {
			i = k - 1;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			c = ' ';
		b->p[j++] = (char)c;
	}
	b->len = j;
	if (b->p)
		b->p[j] = '\0';
}

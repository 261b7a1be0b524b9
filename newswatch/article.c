/* Article header parsing (RFC 5536, RFC 5322).
 *
 * The header block is read line by line within min(len, max_header)
 * bytes; only the fields newswatch reports are kept, unfolded, then turned
 * into one-line UTF-8 text (rfc2047.c). Every loop moves forward through
 * its input, so the time is linear in the bytes read, whatever they are. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "article.h"
#include "buf.h"
#include "probe-builder/alloc.h"
#include "rfc2047.h"

enum field {
	f_message_id,
	f_from,
	f_subject,
	f_date,
	f_newsgroups,
	f_count,
};

static const char *const field_names[f_count] = {
	[f_message_id] = "Message-ID", [f_from] = "From",
	[f_subject] = "Subject",       [f_date] = "Date",
	[f_newsgroups] = "Newsgroups",
};

/* The header block as it is read: the raw value of each field kept */
struct block {
	struct nw_buf val[f_count];
	int seen[f_count];
	enum field cur; /* what a continuation line adds to (f_count: none) */
	int have_field; /* any field yet, kept or not */
	size_t lineno;
};

/* The start of a line, printable ASCII only, for error messages */
static void excerpt(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 4 < dstsz; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (i < n) {
		memcpy(dst + k, "...", 3);
		k += 3;
	}
	dst[k] = '\0';
}

/* RFC 5322 ftext: printable ASCII but ':' */
static int is_ftext(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ':';
}

static enum field field_of(const char *name, size_t n)
{
	int f;

	for (f = 0; f < f_count; f++)
		if (strlen(field_names[f]) == n &&
		    !strncasecmp(name, field_names[f], n))
			return (enum field)f;
	return f_count;
}

/* One line of the block (n > 0 bytes, its line end gone): a field, or
 * the continuation of the one before */
static int header_line(struct block *b, const char *line, size_t n,
		       struct pb_err *err)
{
	char ex[48];
	size_t i, name_len;
	enum field f;

	if (nw_is_wsp(line[0])) {
		if (!b->have_field)
			return pb_err_set(err, -EBADMSG,
					  "line %zu: continuation line with no "
					  "header field before it",
					  b->lineno);
		/* unfolding: the line end goes, the blanks stay */
		if (b->cur != f_count)
			nw_buf_add(&b->val[b->cur], line, n);
		return 0;
	}
	for (i = 0; i < n && is_ftext((unsigned char)line[i]); i++)
		;
	name_len = i;
	/* obsolete syntax (RFC 5322 4.5.8): blanks before the colon */
	while (i < n && nw_is_wsp(line[i]))
		i++;
	if (!name_len || i >= n || line[i] != ':') {
		excerpt(ex, sizeof(ex), line, n);
		return pb_err_set(err, -EBADMSG,
				  "line %zu is not a header field: \"%s\"",
				  b->lineno, ex);
	}
	b->have_field = 1;
	f = field_of(line, name_len);
	b->cur = f_count;
	if (f == f_count || b->seen[f])
		return 0; /* unknown, or a duplicate: the first wins */
	b->seen[f] = 1;
	b->cur = f;
	for (i++; i < n && nw_is_wsp(line[i]); i++)
		;
	nw_buf_add(&b->val[f], line + i, n - i);
	return 0;
}

/* Reads the block up to its empty line, within min(len, max_header) */
static int read_block(struct block *b, const char *data, size_t len,
		      size_t max_header, struct pb_err *err)
{
	size_t win = max_header && max_header < len ? max_header : len;
	size_t pos = 0, n;
	const char *line, *nl;
	int rc;

	for (;;) {
		line = data + pos;
		b->lineno++;
		nl = pos < win ? memchr(line, '\n', win - pos) : NULL;
		n = nl ? (size_t)(nl - line) : win - pos;
		if (n && memchr(line, '\0', n))
			return pb_err_set(err, -EBADMSG,
					  "line %zu: NUL byte in the header "
					  "(binary data, not an article)",
					  b->lineno);
		/* the limit reached: the block, with its empty line, is
		 * longer, even when the data stops right there */
		if (!nl && max_header && len >= max_header)
			return pb_err_set(err, -EMSGSIZE,
					  "header block larger than %zu bytes "
					  "(no blank line within them)",
					  win);
		if (!nl)
			return pb_err_set(
				err, -EINVAL,
				"no blank line after the headers (the "
				"data ends after %zu bytes, line %zu)",
				len, b->lineno);
		pos += n + 1;
		if (n && line[n - 1] == '\r')
			n--;
		if (!n)
			return 0; /* the empty line: end of the headers */
		rc = header_line(b, line, n, err);
		if (rc < 0)
			return rc;
	}
}

/* Each field seen, trimmed, as one-line UTF-8 in text[] (left NULL when
 * empty: as if absent) */
static int block_text(struct block *b, char *text[f_count], struct pb_err *err)
{
	const char *v;
	size_t vn;
	int f;

	for (f = 0; f < f_count; f++) {
		if (!b->seen[f])
			continue;
		nw_buf_reserve(&b->val[f], 0);
		if (b->val[f].oom)
			return pb_err_set(err, -ENOMEM, "out of memory");
		v = b->val[f].p;
		vn = b->val[f].len;
		while (vn && nw_is_wsp(*v)) {
			v++;
			vn--;
		}
		while (vn && nw_is_wsp(v[vn - 1]))
			vn--;
		if (!vn)
			continue;
		text[f] = nw_header_text(v, vn, f == f_from || f == f_subject);
		if (!text[f])
			return pb_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Splits the Newsgroups value on commas into out; -ENOMEM, or -EBADMSG when
 * it names no group (err filled) */
static int split_groups(const char *v, struct nw_article *out,
			struct pb_err *err)
{
	const char *p, *e, *comma;
	size_t n = 1, k = 0;

	for (p = v; *p; p++)
		n += *p == ',';
	out->newsgroups = pb_calloc(n + 1, sizeof(*out->newsgroups), err);
	if (!out->newsgroups)
		return -ENOMEM;
	for (p = v;; p = comma + 1) {
		comma = strchr(p, ',');
		e = comma ? comma : p + strlen(p);
		while (p < e && nw_is_wsp(*p))
			p++;
		while (e > p && nw_is_wsp(e[-1]))
			e--;
		if (e > p) {
			out->newsgroups[k] =
				pb_strndup(p, (size_t)(e - p), err);
			if (!out->newsgroups[k])
				return -ENOMEM;
			out->n_newsgroups = ++k;
		}
		if (!comma)
			break;
	}
	return k ? 0
		 : pb_err_set(err, -EBADMSG,
			      "the Newsgroups field names no group");
}

/* The article from the fields' text, which it takes over */
static int fill(struct nw_article *out, char *text[f_count], int seen_groups,
		struct pb_err *err)
{
	int rc;

	if (!text[f_newsgroups])
		return pb_err_set(err, -EBADMSG, "%s Newsgroups field",
				  seen_groups ? "empty" : "no");
	rc = split_groups(text[f_newsgroups], out, err);
	if (rc < 0)
		return rc;
	out->message_id = text[f_message_id];
	out->from = text[f_from];
	out->subject = text[f_subject];
	out->date = text[f_date];
	text[f_message_id] = text[f_from] = text[f_subject] = text[f_date] =
		NULL;
	return 0;
}

int nw_article_parse(const char *data, size_t len, size_t max_header,
		     struct nw_article *out, struct pb_err *err)
{
	char *text[f_count] = {0};
	struct block b;
	int rc, f;

	memset(&b, 0, sizeof(b));
	b.cur = f_count;
	pb_err_clear(err);
	if (!out)
		return pb_err_set(err, -EINVAL, "no article to fill");
	memset(out, 0, sizeof(*out));
	if (!data || !len)
		return pb_err_set(err, -EINVAL, "empty input");
	rc = read_block(&b, data, len, max_header, err);
	if (!rc)
		rc = block_text(&b, text, err);
	if (!rc)
		rc = fill(out, text, b.seen[f_newsgroups], err);
	for (f = 0; f < f_count; f++) {
		free(text[f]);
		nw_buf_free(&b.val[f]);
	}
	if (rc < 0)
		nw_article_free(out);
	return rc;
}

void nw_article_free(struct nw_article *a)
{
	size_t i;

	if (!a)
		return;
	free(a->message_id);
	free(a->from);
	free(a->subject);
	free(a->date);
	if (a->newsgroups)
		for (i = 0; a->newsgroups[i]; i++)
			free(a->newsgroups[i]);
	free(a->newsgroups);
	memset(a, 0, sizeof(*a));
}

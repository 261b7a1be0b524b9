/* Article header parsing (RFC 5536, RFC 5322) and RFC 2047 decoding.
 *
 * The header block is read line by line within min(len, max_header)
 * bytes; only the fields newswatch reports are kept, unfolded, then turned
 * into one-line UTF-8 text. Every loop moves forward through its input, so
 * the time is linear in the bytes read, whatever they are. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "article.h"

/* A growing string. When memory runs out it stops growing and says so in
 * oom, which its owner checks once at the end. p is NUL-terminated once
 * anything was added. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	int oom;
};

static void sb_reserve(struct sbuf *b, size_t more)
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
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void sb_add(struct sbuf *b, const void *s, size_t n)
{
	sb_reserve(b, n);
	if (b->oom)
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_addc(struct sbuf *b, unsigned char c)
{
	sb_add(b, &c, 1);
}

static void sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Hands the string over and empties b: NULL when memory ran out */
static char *sb_take(struct sbuf *b)
{
	char *s = NULL;

	sb_reserve(b, 0);
	if (!b->oom) {
		b->p[b->len] = '\0';
		s = b->p;
		b->p = NULL;
	}
	sb_free(b);
	return s;
}

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
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

static int utf8_valid(const void *p, size_t n)
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
static void add_text(struct sbuf *b, const void *p, size_t n, int as_utf8)
{
	const unsigned char *s = p;
	size_t i;

	if (as_utf8) {
		sb_add(b, s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < 0x80) {
			sb_addc(b, s[i]);
		} else {
			sb_addc(b, 0xc0 | (s[i] >> 6));
			sb_addc(b, 0x80 | (s[i] & 0x3f));
		}
	}
}

/* Makes b one line: a line break followed by a blank is folding and goes,
 * any other control character but tab becomes a space */
static void one_line(struct sbuf *b)
{
	size_t i, j = 0, k;
	unsigned char c;

	for (i = 0; i < b->len; i++) {
		c = (unsigned char)b->p[i];
		k = c == '\r' && i + 1 < b->len && b->p[i + 1] == '\n' ? i + 2
		    : c == '\n'					       ? i + 1
								       : 0;
		if (k && k < b->len && is_wsp(b->p[k])) {
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

/* --- Charsets ----------------------------------------------------------- */

#define CS_NAME_MAX 16

/* What to do with the bytes of an encoded word in a charset: cs_utf8 for
 * UTF-8 and US-ASCII (kept when valid UTF-8, else read as ISO-8859-1, like
 * raw header bytes), cs_iconv with the iconv name in the other charsets
 * this decodes, cs_unknown for the rest */
enum cs_kind { cs_unknown, cs_utf8, cs_iconv };

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The number spelt by s (digits only, no leading zero), or -1 */
static long small_number(const char *s)
{
	long v = 0;

	if (!*s || *s == '0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static enum cs_kind charset_lookup(const char *cs, size_t n,
				   char iconv_name[CS_NAME_MAX])
{
	char key[32];
	size_t i, k = 0;
	long v;

	/* case and punctuation are spelt many ways: ISO-8859-1, iso_8859-1,
	 * iso8859-1, UTF8, Windows-1252, cp1252 */
	for (i = 0; i < n; i++) {
		if (cs[i] == '-' || cs[i] == '_')
			continue;
		if (k + 1 >= sizeof(key))
			return cs_unknown;
		key[k++] = (char)ascii_lower((unsigned char)cs[i]);
	}
	key[k] = '\0';
	if (!strcmp(key, "utf8") || !strcmp(key, "usascii") ||
	    !strcmp(key, "ascii") || !strcmp(key, "ansix3.41968"))
		return cs_utf8;
	if (!strcmp(key, "latin1"))
		v = 1;
	else if (!strncmp(key, "iso8859", 7))
		v = small_number(key + 7);
	else
		v = 0;
	if (v) {
		/* there never was an ISO-8859-12 */
		if (v < 1 || v > 16 || v == 12)
			return cs_unknown;
		snprintf(iconv_name, CS_NAME_MAX, "ISO-8859-%ld", v);
		return cs_iconv;
	}
	if (!strncmp(key, "windows", 7))
		v = small_number(key + 7);
	else if (!strncmp(key, "cp", 2))
		v = small_number(key + 2);
	if (v) {
		if (v < 1250 || v > 1258)
			return cs_unknown;
		snprintf(iconv_name, CS_NAME_MAX, "CP%ld", v);
		return cs_iconv;
	}
	if (!strcmp(key, "koi8r") || !strcmp(key, "koi8u")) {
		snprintf(iconv_name, CS_NAME_MAX, "KOI8-%c",
			 key[4] == 'r' ? 'R' : 'U');
		return cs_iconv;
	}
	return cs_unknown;
}

/* Converts n bytes in charset from to UTF-8 at the end of out; a byte the
 * charset does not define becomes U+FFFD. -1 when iconv does not know the
 * charset (out unchanged). */
static int iconv_append(struct sbuf *out, const char *from, char *in, size_t n)
{
	static const char replacement[] = "\xef\xbf\xbd";
	iconv_t cd;
	char *ip = in, *op;
	size_t il = n, ol, r;

	cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return -1;
	while (il > 0) {
		sb_reserve(out, il * 4 + 16);
		if (out->oom)
			break;
		op = out->p + out->len;
		ol = out->cap - out->len - 1;
		r = iconv(cd, &ip, &il, &op, &ol);
		out->len = (size_t)(op - out->p);
		out->p[out->len] = '\0';
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ: a byte with no character; EINVAL: a sequence cut
		 * short by the end of the word */
		sb_add(out, replacement, 3);
		ip++;
		il--;
	}
	/* back to the initial shift state (stateful charsets only) */
	sb_reserve(out, 16);
	if (!out->oom) {
		op = out->p + out->len;
		ol = out->cap - out->len - 1;
		iconv(cd, NULL, NULL, &op, &ol);
		out->len = (size_t)(op - out->p);
		out->p[out->len] = '\0';
	}
	iconv_close(cd);
	return 0;
}

/* --- RFC 2047 ----------------------------------------------------------- */

struct eword {
	const char *cs; /* charset name, without an RFC 2231 language */
	size_t cs_len;
	char enc; /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	const char *end; /* just after "?=" */
};

/* RFC 2047's token, plus '.', which real charset names have */
static int is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\"/[]?=", c);
}

/* Reads the encoded word at p ("=?" known): 0, or -1 when what follows is
 * not one */
static int eword_parse(const char *p, struct eword *w)
{
	const char *q = p + 2, *star = NULL;
	int enc;

	while (is_token_char((unsigned char)*q)) {
		if (*q == '*' && !star)
			star = q;
		q++;
	}
	if (*q != '?')
		return -1;
	w->cs = p + 2;
	w->cs_len = (size_t)((star ? star : q) - w->cs);
	if (!w->cs_len)
		return -1;
	enc = ascii_lower((unsigned char)q[1]);
	if ((enc != 'b' && enc != 'q') || q[2] != '?')
		return -1;
	w->enc = enc == 'b' ? 'B' : 'Q';
	w->text = q + 3;
	for (q = w->text;
	     (unsigned char)*q > 0x20 && (unsigned char)*q < 0x7f && *q != '?';
	     q++)
		;
	if (q[0] != '?' || q[1] != '=')
		return -1;
	w->text_len = (size_t)(q - w->text);
	w->end = q + 2;
	return 0;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int q_decode(struct sbuf *b, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			sb_addc(b, ' ');
		} else if (s[i] == '=') {
			if (n - i < 3)
				return -1;
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			sb_addc(b, (unsigned char)(hi << 4 | lo));
			i += 2;
		} else {
			sb_addc(b, (unsigned char)s[i]);
		}
	}
	return 0;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Base64, with or without its padding (many encoders drop it); padding
 * inside the text, or a lone character in the last quantum, is malformed */
static int b_decode(struct sbuf *b, const char *s, size_t n)
{
	uint32_t acc = 0;
	size_t i, data = 0, pad = 0;
	int bits = 0, v;

	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		v = b64_value((unsigned char)s[i]);
		if (v < 0 || pad)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		data++;
		if (bits >= 8) {
			bits -= 8;
			sb_addc(b, (unsigned char)(acc >> bits));
			acc &= (1u << bits) - 1; /* the bits still to use */
		}
	}
	if (data % 4 == 1 || pad > 2 || (pad && (data + pad) % 4))
		return -1;
	return 0;
}

/* The encoded words being joined: adjacent ones in one charset are
 * converted together, since encoders split a character across two words
 * more often than they should */
struct ew_run {
	int active;
	enum cs_kind kind;
	char iconv_name[CS_NAME_MAX];
	const char *start, *end; /* the words as written */
	struct sbuf bytes;
};

static void run_flush(struct sbuf *out, struct ew_run *r)
{
	if (!r->active)
		return;
	if (r->kind == cs_utf8)
		add_text(out, r->bytes.p, r->bytes.len,
			 utf8_valid(r->bytes.p, r->bytes.len));
	else if (r->bytes.len &&
		 iconv_append(out, r->iconv_name, r->bytes.p, r->bytes.len) < 0)
		/* this libc cannot convert it after all: as written */
		add_text(out, r->start, (size_t)(r->end - r->start), 1);
	if (r->bytes.oom)
		out->oom = 1;
	r->active = 0;
	r->bytes.len = 0;
}

static int only_space(const char *s, const char *end)
{
	for (; s < end; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/* Header text (n bytes, no NUL) into one-line UTF-8, decoding encoded
 * words when words is set. NULL when memory runs out. */
static char *header_text(const char *s, size_t n, int words)
{
	struct sbuf out = {0}, scratch = {0};
	struct ew_run run = {0};
	const char *p = s, *end = s + n, *raw = s;
	struct eword w;
	enum cs_kind kind;
	char name[CS_NAME_MAX] = "";
	int raw_utf8 = utf8_valid(s, n), adjacent;

	while (words && p + 1 < end) {
		if (p[0] != '=' || p[1] != '?') {
			p++;
			continue;
		}
		if (eword_parse(p, &w) < 0) {
			p += 2;
			continue;
		}
		name[0] = '\0';
		kind = charset_lookup(w.cs, w.cs_len, name);
		scratch.len = 0;
		if (kind == cs_unknown ||
		    (w.enc == 'B'
			     ? b_decode(&scratch, w.text, w.text_len)
			     : q_decode(&scratch, w.text, w.text_len)) < 0) {
			/* kept as written, with the raw text around it */
			p = w.end;
			continue;
		}
		adjacent = run.active && only_space(raw, p);
		if (!adjacent || run.kind != kind ||
		    strcmp(run.iconv_name, name)) {
			run_flush(&out, &run);
			if (!adjacent)
				add_text(&out, raw, (size_t)(p - raw),
					 raw_utf8);
			run.active = 1;
			run.kind = kind;
			memcpy(run.iconv_name, name, sizeof(name));
			run.start = p;
		}
		sb_add(&run.bytes, scratch.p, scratch.len);
		run.end = w.end;
		p = raw = w.end;
	}
	run_flush(&out, &run);
	add_text(&out, raw, (size_t)(end - raw), raw_utf8);
	if (scratch.oom)
		out.oom = 1;
	sb_free(&scratch);
	sb_free(&run.bytes);
	one_line(&out);
	return sb_take(&out);
}

char *nw_rfc2047_decode(const char *value)
{
	if (!value)
		return NULL;
	return header_text(value, strlen(value), 1);
}

/* --- Header block ------------------------------------------------------- */

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

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

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

/* Splits the Newsgroups value on commas into out; -ENOMEM, or -EBADMSG when
 * it names no group */
static int split_groups(const char *v, struct nw_article *out)
{
	const char *p, *e, *comma;
	size_t n = 1, k = 0;

	for (p = v; *p; p++)
		n += *p == ',';
	out->newsgroups = calloc(n + 1, sizeof(*out->newsgroups));
	if (!out->newsgroups)
		return -ENOMEM;
	for (p = v;; p = comma + 1) {
		comma = strchr(p, ',');
		e = comma ? comma : p + strlen(p);
		while (p < e && is_wsp(*p))
			p++;
		while (e > p && is_wsp(e[-1]))
			e--;
		if (e > p) {
			out->newsgroups[k] = strndup(p, (size_t)(e - p));
			if (!out->newsgroups[k])
				return -ENOMEM;
			out->n_newsgroups = ++k;
		}
		if (!comma)
			break;
	}
	return k ? 0 : -EBADMSG;
}

int nw_article_parse(const char *data, size_t len, size_t max_header,
		     struct nw_article *out, char *err, size_t errlen)
{
	struct sbuf val[f_count];
	int seen[f_count] = {0};
	char ex[48], *text[f_count] = {0};
	const char *line, *nl, *v;
	size_t win, pos = 0, lineno = 0, n, i, name_len, vn;
	enum field cur = f_count, f;
	int have_field = 0, rc = 0;

	memset(val, 0, sizeof(val));
	if (err && errlen)
		err[0] = '\0';
	if (!out) {
		set_err(err, errlen, "no article to fill");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (!data || !len) {
		set_err(err, errlen, "empty input");
		return -EINVAL;
	}
	win = max_header && max_header < len ? max_header : len;

	for (;;) {
		line = data + pos;
		lineno++;
		nl = pos < win ? memchr(line, '\n', win - pos) : NULL;
		n = nl ? (size_t)(nl - line) : win - pos;
		if (n && memchr(line, '\0', n)) {
			set_err(err, errlen,
				"line %zu: NUL byte in the header (binary "
				"data, not an article)",
				lineno);
			rc = -EBADMSG;
			goto out;
		}
		if (!nl) {
			/* the limit reached: the block, with its empty line,
			 * is longer, even when the data stops right there */
			if (max_header && len >= max_header) {
				set_err(err, errlen,
					"header block larger than %zu bytes "
					"(no blank line within them)",
					win);
				rc = -EMSGSIZE;
			} else {
				set_err(err, errlen,
					"no blank line after the headers (the "
					"data ends after %zu bytes, line %zu)",
					len, lineno);
				rc = -EINVAL;
			}
			goto out;
		}
		pos += n + 1;
		if (n && line[n - 1] == '\r')
			n--;
		if (!n)
			break; /* the empty line: end of the headers */

		if (is_wsp(line[0])) {
			if (!have_field) {
				set_err(err, errlen,
					"line %zu: continuation line with no "
					"header field before it",
					lineno);
				rc = -EBADMSG;
				goto out;
			}
			/* unfolding: the line end goes, the blanks stay */
			if (cur != f_count)
				sb_add(&val[cur], line, n);
			continue;
		}

		for (i = 0; i < n && is_ftext((unsigned char)line[i]); i++)
			;
		name_len = i;
		/* obsolete syntax (RFC 5322 4.5.8): blanks before the colon */
		while (i < n && is_wsp(line[i]))
			i++;
		if (!name_len || i >= n || line[i] != ':') {
			excerpt(ex, sizeof(ex), line, n);
			set_err(err, errlen,
				"line %zu is not a header field: \"%s\"",
				lineno, ex);
			rc = -EBADMSG;
			goto out;
		}
		have_field = 1;
		f = field_of(line, name_len);
		cur = f_count;
		if (f == f_count || seen[f])
			continue; /* unknown, or a duplicate: the first wins */
		seen[f] = 1;
		cur = f;
		for (i++; i < n && is_wsp(line[i]); i++)
			;
		sb_add(&val[f], line + i, n - i);
	}

	for (f = 0; f < f_count; f++) {
		if (!seen[f])
			continue;
		sb_reserve(&val[f], 0);
		if (val[f].oom) {
			rc = -ENOMEM;
			goto nomem;
		}
		v = val[f].p;
		vn = val[f].len;
		while (vn && is_wsp(*v)) {
			v++;
			vn--;
		}
		while (vn && is_wsp(v[vn - 1]))
			vn--;
		if (!vn)
			continue; /* empty: as if absent */
		text[f] = header_text(v, vn, f == f_from || f == f_subject);
		if (!text[f]) {
			rc = -ENOMEM;
			goto nomem;
		}
	}
	if (!text[f_newsgroups]) {
		set_err(err, errlen, "%s Newsgroups field",
			seen[f_newsgroups] ? "empty" : "no");
		rc = -EBADMSG;
		goto out;
	}
	rc = split_groups(text[f_newsgroups], out);
	if (rc == -EBADMSG) {
		set_err(err, errlen, "the Newsgroups field names no group");
		goto out;
	}
	if (rc < 0)
		goto nomem;
	out->message_id = text[f_message_id];
	out->from = text[f_from];
	out->subject = text[f_subject];
	out->date = text[f_date];
	text[f_message_id] = text[f_from] = text[f_subject] = text[f_date] =
		NULL;
	goto out;

nomem:
	set_err(err, errlen, "out of memory");
out:
	for (f = 0; f < f_count; f++) {
		free(text[f]);
		sb_free(&val[f]);
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

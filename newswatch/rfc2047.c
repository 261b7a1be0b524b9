/* RFC 2047 encoded words into UTF-8: the charsets this decodes (through
 * iconv), the B and Q encodings, adjacent words joined. Every loop moves
 * forward through its input, so the time is linear in it, whatever it is. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rfc2047.h"
#include "util/str.h"

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
static int iconv_append(struct nw_buf *out, const char *from, char *in,
			size_t n)
{
	static const char replacement[] = "\xef\xbf\xbd";
	iconv_t cd;
	char *ip = in, *op;
	size_t il = n, ol, r;

	cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return -1;
	while (il > 0) {
		nw_buf_reserve(out, il * 4 + 16);
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
		nw_buf_add(out, replacement, 3);
		ip++;
		il--;
	}
	/* back to the initial shift state (stateful charsets only) */
	nw_buf_reserve(out, 16);
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

static int q_decode(struct nw_buf *b, const char *s, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			nw_buf_addc(b, ' ');
		} else if (s[i] == '=') {
			if (n - i < 3)
				return -1;
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			nw_buf_addc(b, (unsigned char)(hi << 4 | lo));
			i += 2;
		} else {
			nw_buf_addc(b, (unsigned char)s[i]);
		}
	}
	return 0;
}

/* Base64, with or without its padding (many encoders drop it); padding
 * inside the text, or a lone character in the last quantum, is malformed */
static int b_decode(struct nw_buf *b, const char *s, size_t n)
{
	uint32_t acc = 0;
	size_t i, data = 0, pad = 0;
	int bits = 0, v;

	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		v = pb_b64_value((unsigned char)s[i]);
		if (v < 0 || pad)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		data++;
		if (bits >= 8) {
			bits -= 8;
			nw_buf_addc(b, (unsigned char)(acc >> bits));
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
	struct nw_buf bytes;
};

static void run_flush(struct nw_buf *out, struct ew_run *r)
{
	if (!r->active)
		return;
	if (r->kind == cs_utf8)
		nw_buf_add_text(out, r->bytes.p, r->bytes.len,
				nw_utf8_valid(r->bytes.p, r->bytes.len));
	else if (r->bytes.len &&
		 iconv_append(out, r->iconv_name, r->bytes.p, r->bytes.len) < 0)
		/* this libc cannot convert it after all: as written */
		nw_buf_add_text(out, r->start, (size_t)(r->end - r->start), 1);
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
char *nw_header_text(const char *s, size_t n, int words)
{
	struct nw_buf out = {0}, scratch = {0};
	struct ew_run run = {0};
	const char *p = s, *end = s + n, *raw = s;
	struct eword w;
	enum cs_kind kind;
	char name[CS_NAME_MAX] = "";
	int raw_utf8 = nw_utf8_valid(s, n), adjacent;

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
				nw_buf_add_text(&out, raw, (size_t)(p - raw),
						raw_utf8);
			run.active = 1;
			run.kind = kind;
			memcpy(run.iconv_name, name, sizeof(name));
			run.start = p;
		}
		nw_buf_add(&run.bytes, scratch.p, scratch.len);
		run.end = w.end;
		p = raw = w.end;
	}
	run_flush(&out, &run);
	nw_buf_add_text(&out, raw, (size_t)(end - raw), raw_utf8);
	if (scratch.oom)
		out.oom = 1;
	nw_buf_free(&scratch);
	nw_buf_free(&run.bytes);
	nw_buf_one_line(&out);
	return nw_buf_take(&out);
}

char *nw_rfc2047_decode(const char *value)
{
	if (!value)
		return NULL;
	return nw_header_text(value, strlen(value), 1);
}

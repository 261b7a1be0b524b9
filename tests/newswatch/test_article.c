/* The article header parser (and the RFC 2047 decoder on its lines), on
 * articles shaped like the files of INN's tradspool (tests/newswatch/articles,
 * or the directory in NW_TEST_ARTICLES), on bad input, and on every prefix and
 * many mutations of those articles: whatever the input, a result whose
 * strings are valid one-line UTF-8, or an error with a message. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "article.h"
#include "rfc2047.h"
#include "utf8check.h"

#define MAX_HEADER (64 * 1024)

/* --- Helpers ------------------------------------------------------------ */

static const char *articles_dir(void)
{
	const char *d = getenv("NW_TEST_ARTICLES");

	return d && *d ? d : "tests/newswatch/articles";
}

static char *load(const char *name, size_t *len)
{
	char path[4096], *buf;
	size_t cap = 4096, n = 0, r;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", articles_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (set NW_TEST_ARTICLES)", path);
	buf = malloc(cap);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	*len = n;
	return buf;
}

static void check_string(const char *what, const char *s)
{
	if (s && !is_clean_utf8(s))
		fail_msg("%s is not clean UTF-8: \"%s\"", what, s);
}

/* What every call must give, whatever its input */
static void check_result(int rc, const struct nw_article *a,
			 const struct pb_err *err)
{
	size_t i;

	if (rc < 0) {
		assert_true(rc == -EINVAL || rc == -EMSGSIZE || rc == -EBADMSG);
		assert_int_equal(err->code, rc);
		assert_true(strlen(err->msg) > 0);
		assert_null(a->message_id);
		assert_null(a->from);
		assert_null(a->subject);
		assert_null(a->date);
		assert_null(a->newsgroups);
		assert_int_equal(a->n_newsgroups, 0);
		return;
	}
	assert_int_equal(rc, 0);
	check_string("Message-ID", a->message_id);
	check_string("From", a->from);
	check_string("Subject", a->subject);
	check_string("Date", a->date);
	assert_non_null(a->newsgroups);
	assert_true(a->n_newsgroups >= 1);
	for (i = 0; i < a->n_newsgroups; i++) {
		assert_non_null(a->newsgroups[i]);
		assert_true(strlen(a->newsgroups[i]) > 0);
		assert_null(strchr(a->newsgroups[i], ','));
		check_string("a newsgroup", a->newsgroups[i]);
	}
	assert_null(a->newsgroups[a->n_newsgroups]);
}

static int parse_buf(const char *data, size_t len, size_t max,
		     struct nw_article *a, struct pb_err *err)
{
	int rc;

	memset(a, 0xa5, sizeof(*a));	 /* the parser must not trust it */
	memset(err, 0xa5, sizeof(*err)); /* nor what err held */
	rc = nw_article_parse(data, len, max, a, err);
	check_result(rc, a, err);
	return rc;
}

/* Parses a sample that must parse */
static void parse_ok(const char *name, struct nw_article *a)
{
	struct pb_err err;
	size_t len;
	char *data = load(name, &len);
	int rc = parse_buf(data, len, MAX_HEADER, a, &err);

	if (rc < 0)
		fail_msg("%s: %d %s", name, rc, err.msg);
	free(data);
}

/* Parses a sample that must fail with rc, and with msg in the message */
static void parse_fails(const char *name, int want, const char *msg)
{
	struct nw_article a;
	struct pb_err err;
	size_t len;
	char *data = load(name, &len);
	int rc = parse_buf(data, len, MAX_HEADER, &a, &err);

	if (rc != want)
		fail_msg("%s: got %d (%s), want %d", name, rc, err.msg, want);
	if (!strstr(err.msg, msg))
		fail_msg("%s: message \"%s\" does not say \"%s\"", name,
			 err.msg, msg);
	free(data);
}

/* The groups of a, in order, then NULL */
static void assert_groups(const struct nw_article *a, ...)
{
	va_list ap;
	const char *g;
	size_t i = 0;

	va_start(ap, a);
	while ((g = va_arg(ap, const char *))) {
		if (i >= a->n_newsgroups)
			fail_msg("missing group %s", g);
		assert_string_equal(a->newsgroups[i], g);
		i++;
	}
	va_end(ap);
	assert_int_equal(a->n_newsgroups, i);
	assert_null(a->newsgroups[i]);
}

/* The names of the sample files, NULL-terminated */
static char **sample_names(void)
{
	DIR *d = opendir(articles_dir());
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, l;

	if (!d)
		fail_msg("cannot open %s (set NW_TEST_ARTICLES)",
			 articles_dir());
	while ((e = readdir(d))) {
		l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".art"))
			continue;
		v = realloc(v, (n + 2) * sizeof(*v));
		assert_non_null(v);
		v[n] = strdup(e->d_name);
		assert_non_null(v[n]);
		n++;
	}
	closedir(d);
	assert_true(n >= 20);
	v[n] = NULL;
	return v;
}

static void free_names(char **v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* --- Well-formed articles ----------------------------------------------- */

static void test_plain(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("plain.art", &a);
	assert_string_equal(a.message_id, "<vm4k2p$1a2b$1@news.example.org>");
	assert_string_equal(a.from, "Alice Martin <alice@example.org>");
	assert_string_equal(a.subject,
			    "Is signed overflow still undefined in C23?");
	assert_string_equal(a.date, "Tue, 14 Jan 2025 09:12:45 +0100");
	assert_groups(&a, "comp.lang.c", NULL);
	nw_article_free(&a);
	/* freeing twice, or a zeroed article, is harmless */
	nw_article_free(&a);
	assert_null(a.subject);
	nw_article_free(NULL);
}

static void test_utf8_base64(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("utf8-b.art", &a);
	assert_string_equal(a.subject, "Re: Caf\xc3\xa9");
	assert_string_equal(a.from, "Bob <bob@example.net>");
	assert_groups(&a, "fr.rec.cuisine", NULL);
	nw_article_free(&a);
}

static void test_latin1_q(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("latin1-q.art", &a);
	assert_string_equal(a.subject, "Gr\xc3\xbc\xc3\x9f"
				       "e aus Berlin");
	assert_string_equal(a.from,
			    "J\xc3\xbcrgen M\xc3\xbcller <jm@example.de>");
	nw_article_free(&a);
}

static void test_iso8859_15_euro(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("iso8859-15.art", &a);
	/* 0xA4 is the euro sign in ISO-8859-15 (U+20AC, E2 82 AC) */
	assert_string_equal(a.subject,
			    "\xe2\x82\xac price for a used ThinkPad");
	nw_article_free(&a);
}

static void test_adjacent_words(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("adjacent.art", &a);
	assert_string_equal(a.subject, "ab");
	nw_article_free(&a);
}

static void test_from_display_name(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("from-display-name.art", &a);
	assert_string_equal(a.from, "Ren\xc3\xa9"
				    "e <renee@example.org>");
	nw_article_free(&a);
}

static void test_emoji(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("emoji.art", &a);
	assert_string_equal(a.subject, "Release party \xf0\x9f\x8e\x89");
	nw_article_free(&a);
}

static void test_folded_subject(void **state)
{
	struct nw_article a;

	(void)state;
	/* an encoded word on each of three lines, the last in ISO-8859-1:
	 * the folding between them goes with the whitespace */
	parse_ok("folded-subject.art", &a);
	assert_string_equal(a.subject, "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl"
				       "\xc3\xa9"
				       "e");
	assert_string_equal(a.message_id, "<dessert@example.org>");
	assert_string_equal(a.date, "Tue, 21 Jan 2025 08:00:00 +0100");
	nw_article_free(&a);
}

static void test_case_insensitive_names(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("case-insensitive.art", &a);
	assert_string_equal(a.from, "Grace <grace@example.org>");
	assert_string_equal(a.subject, "Shouting headers");
	assert_string_equal(a.date, "Wed, 22 Jan 2025 11:11:11 +0000");
	assert_string_equal(a.message_id, "<shout@example.org>");
	assert_groups(&a, "comp.misc", NULL);
	nw_article_free(&a);
}

static void test_crlf(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("crlf.art", &a);
	assert_string_equal(a.from, "Oscar <oscar@example.org>");
	/* folded, with an em dash (E2 80 94) */
	assert_string_equal(a.subject,
			    "Line ends \xe2\x80\x94 CRLF in the spool");
	assert_string_equal(a.message_id, "<crlf@example.org>");
	assert_string_equal(a.date, "Wed, 05 Feb 2025 10:00:00 +0000");
	assert_groups(&a, "comp.os.ms-windows.misc", "comp.misc", NULL);
	nw_article_free(&a);
}

static void test_duplicates_first_wins(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("duplicate-subject.art", &a);
	assert_string_equal(a.subject, "The first Subject wins");
	assert_string_equal(a.date, "Thu, 23 Jan 2025 09:00:00 +0000");
	nw_article_free(&a);
}

static void test_crosspost(void **state)
{
	struct nw_article a;

	(void)state;
	/* Newsgroups: comp.lang.c,comp.unix.programmer, comp.os.linux.misc */
	parse_ok("crosspost.art", &a);
	assert_groups(&a, "comp.lang.c", "comp.unix.programmer",
		      "comp.os.linux.misc", NULL);
	assert_string_equal(a.subject, "fork() and stdio buffers");
	nw_article_free(&a);
}

static void test_folded_newsgroups(void **state)
{
	struct nw_article a;

	(void)state;
	/* folded after commas, a blank before one, a trailing comma */
	parse_ok("folded-newsgroups.art", &a);
	assert_groups(&a, "news.software.nntp", "news.admin.misc",
		      "news.software.readers", NULL);
	nw_article_free(&a);
}

static void test_no_message_id(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("no-message-id.art", &a);
	assert_null(a.message_id);
	assert_string_equal(a.subject, "An article without a Message-ID");
	assert_groups(&a, "misc.test", NULL);
	nw_article_free(&a);
}

static void test_raw_utf8(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("raw-utf8.art", &a);
	assert_string_equal(a.from,
			    "Zo\xc3\xab Dupr\xc3\xa9 <zoe@example.net>");
	assert_string_equal(a.subject, "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
				       "e et \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa"
				       "\x9e");
	nw_article_free(&a);
}

static void test_raw_latin1(void **state)
{
	struct nw_article a;

	(void)state;
	/* raw ISO-8859-1 bytes, and an encoded word among them */
	parse_ok("raw-latin1.art", &a);
	assert_string_equal(a.from,
			    "Andr\xc3\xa9 Lef\xc3\xa8vre <andre@example.fr>");
	assert_string_equal(
		a.subject,
		"Caf\xc3\xa9 cr\xc3\xa8me, d\xc3\xa9j\xc3\xa0 servi");
	nw_article_free(&a);
}

static void test_rfc2231_language(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("rfc2231-lang.art", &a);
	assert_string_equal(a.from, "C\xc3\xa9line <celine@example.fr>");
	assert_string_equal(a.subject, "\xc3\x89t\xc3\xa9 \xc3\xa0 Qu\xc3\xa9"
				       "bec");
	nw_article_free(&a);
}

static void test_malformed_words_kept(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("malformed-words.art", &a);
	assert_string_equal(a.subject, "=?UTF-8?Q?bad=ZZhex?= =?UTF-8?B?#!*?= "
				       "=?UTF-8?Q?unterminated");
	/* an unknown charset: as written */
	assert_string_equal(a.from,
			    "=?x-unknown?Q?Nobody?= <nobody@example.org>");
	nw_article_free(&a);
}

static void test_windows_1252(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("windows-1252.art", &a);
	assert_string_equal(a.from, "Zo\xc3\xab <zoe@example.net>");
	/* 0x93 0x94: curly quotes, 0x80: the euro sign */
	assert_string_equal(a.subject, "\xe2\x80\x9cSmart quotes\xe2\x80\x9d "
				       "cost \xe2\x82\xac"
				       "10");
	nw_article_free(&a);
}

static void test_us_ascii(void **state)
{
	struct nw_article a;

	(void)state;
	parse_ok("us-ascii.art", &a);
	assert_string_equal(a.from, "Old Mailer <old@example.com>");
	assert_string_equal(a.subject, "plain old ASCII");
	nw_article_free(&a);
}

/* Same results with CRLF line ends, for every sample that parses */
static void test_crlf_same_as_lf(void **state)
{
	char **names = sample_names(), *data, *crlf;
	struct pb_err err;
	struct nw_article a, b;
	size_t i, j, k, len, checked = 0;

	(void)state;
	for (i = 0; names[i]; i++) {
		data = load(names[i], &len);
		if (memchr(data, '\r', len) ||
		    nw_article_parse(data, len, MAX_HEADER, &a, &err) < 0) {
			free(data);
			continue;
		}
		crlf = malloc(2 * len + 1);
		assert_non_null(crlf);
		for (j = k = 0; j < len; j++) {
			if (data[j] == '\n')
				crlf[k++] = '\r';
			crlf[k++] = data[j];
		}
		assert_int_equal(parse_buf(crlf, k, MAX_HEADER, &b, &err), 0);
		assert_string_equal(a.from ? a.from : "-",
				    b.from ? b.from : "-");
		assert_string_equal(a.subject ? a.subject : "-",
				    b.subject ? b.subject : "-");
		assert_string_equal(a.date ? a.date : "-",
				    b.date ? b.date : "-");
		assert_string_equal(a.message_id ? a.message_id : "-",
				    b.message_id ? b.message_id : "-");
		assert_int_equal(a.n_newsgroups, b.n_newsgroups);
		for (j = 0; j < a.n_newsgroups; j++)
			assert_string_equal(a.newsgroups[j], b.newsgroups[j]);
		nw_article_free(&a);
		nw_article_free(&b);
		free(crlf);
		free(data);
		checked++;
	}
	assert_true(checked >= 15);
	free_names(names);
}

/* Only the beginning of a file (the headers and their empty line) is
 * enough, and a header block exactly max_header bytes long fits */
static void test_beginning_and_limit(void **state)
{
	struct nw_article a;
	struct pb_err err;
	size_t len, hdr;
	char *data = load("plain.art", &len);
	/* memmem: the file as loaded is not NUL-terminated */
	const char *body = memmem(data, len, "\n\n", 2);

	(void)state;
	assert_non_null(body);
	hdr = (size_t)(body - data) + 2;
	assert_int_equal(parse_buf(data, hdr, MAX_HEADER, &a, &err), 0);
	assert_string_equal(a.subject,
			    "Is signed overflow still undefined in C23?");
	nw_article_free(&a);
	assert_int_equal(parse_buf(data, len, hdr, &a, &err), 0);
	nw_article_free(&a);
	/* no limit */
	assert_int_equal(parse_buf(data, len, 0, &a, &err), 0);
	nw_article_free(&a);

	/* one byte short of the limit */
	assert_int_equal(parse_buf(data, len, hdr - 1, &a, &err), -EMSGSIZE);
	assert_non_null(strstr(err.msg, "header block larger than"));
	/* one byte short of the data: the file is still being written */
	assert_int_equal(parse_buf(data, hdr - 1, MAX_HEADER, &a, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "no blank line after the headers"));
	free(data);
}

/* --- Bad input ---------------------------------------------------------- */

static void test_missing_newsgroups(void **state)
{
	(void)state;
	parse_fails("no-newsgroups.art", -EBADMSG, "no Newsgroups field");
	parse_fails("empty-newsgroups.art", -EBADMSG, "Newsgroups");
}

static void test_no_blank_line(void **state)
{
	(void)state;
	parse_fails("no-blank-line.art", -EINVAL,
		    "no blank line after the headers");
}

static void test_binary_junk(void **state)
{
	struct nw_article a;
	char junk[4096];
	struct pb_err err;
	size_t i;
	uint32_t x = 12345;
	int rc;

	(void)state;
	parse_fails("binary-junk.art", -EBADMSG, "line 3: NUL byte");

	/* random bytes, with and without NULs */
	for (i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (char)(x >> 16);
	}
	rc = parse_buf(junk, sizeof(junk), MAX_HEADER, &a, &err);
	assert_int_equal(rc, -EBADMSG);
	for (i = 0; i < sizeof(junk); i++)
		if (!junk[i])
			junk[i] = 'x';
	rc = parse_buf(junk, sizeof(junk), MAX_HEADER, &a, &err);
	assert_true(rc == -EBADMSG || rc == -EINVAL);
}

static void test_body_only(void **state)
{
	(void)state;
	parse_fails("body-only.art", -EBADMSG,
		    "line 1 is not a header field: \"Hi all,\"");
}

static void test_empty_input(void **state)
{
	struct nw_article a;
	struct pb_err err;

	(void)state;
	parse_fails("empty.art", -EINVAL, "empty input");
	assert_int_equal(parse_buf("", 0, MAX_HEADER, &a, &err), -EINVAL);
	assert_int_equal(parse_buf(NULL, 0, MAX_HEADER, &a, &err), -EINVAL);
	/* a lone empty line: headers, but no Newsgroups */
	assert_int_equal(parse_buf("\n", 1, MAX_HEADER, &a, &err), -EBADMSG);
	assert_int_equal(parse_buf("\r\n\r\n", 4, MAX_HEADER, &a, &err),
			 -EBADMSG);
}

static void test_huge_header_line(void **state)
{
	static const char head[] = "Newsgroups: misc.test\nSubject: ";
	size_t big = 1024 * 1024, n = sizeof(head) - 1;
	struct nw_article a;
	char *data = malloc(big + n + 3);
	struct pb_err err;

	(void)state;
	assert_non_null(data);
	memcpy(data, head, n);
	memset(data + n, 'x', big);
	memcpy(data + n + big, "\n\n", 2);

	assert_int_equal(parse_buf(data, n + big + 2, MAX_HEADER, &a, &err),
			 -EMSGSIZE);
	assert_string_equal(err.msg, "header block larger than 65536 bytes (no "
				     "blank line within them)");
	/* the caller read exactly max_header bytes: still too large */
	assert_int_equal(parse_buf(data, MAX_HEADER, MAX_HEADER, &a, &err),
			 -EMSGSIZE);
	/* fewer: the data just ends */
	assert_int_equal(parse_buf(data, MAX_HEADER - 1, MAX_HEADER, &a, &err),
			 -EINVAL);
	assert_int_equal(parse_buf(data, MAX_HEADER, 0, &a, &err), -EINVAL);
	/* when allowed, it is read */
	assert_int_equal(parse_buf(data, n + big + 2, 4 * big, &a, &err), 0);
	assert_int_equal(strlen(a.subject), big);
	nw_article_free(&a);

	/* a 1 MiB header block of short lines */
	memcpy(data, "Newsgroups: misc.test\n", 22);
	for (n = 22; n + 10 < big; n += 10)
		memcpy(data + n, "X-Pad: 12\n", 10);
	memcpy(data + n, "\n", 1);
	assert_int_equal(parse_buf(data, n + 1, MAX_HEADER, &a, &err),
			 -EMSGSIZE);
	assert_int_equal(parse_buf(data, n + 1, 0, &a, &err), 0);
	assert_groups(&a, "misc.test", NULL);
	nw_article_free(&a);
	free(data);
}

static void test_bad_lines(void **state)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg;
	} cases[] = {
		{" Subject: folded first\nNewsgroups: a.b\n\n", -EBADMSG,
		 "line 1: continuation line with no header field"},
		{"Newsgroups: a.b\n: no name\n\n", -EBADMSG,
		 "line 2 is not a header field"},
		{"Newsgroups: a.b\nNo colon here\n\n", -EBADMSG,
		 "line 2 is not a header field: \"No colon here\""},
		{"Newsgroups: a.b\nFrom foo@example.org Sat Feb  1\n\n",
		 -EBADMSG, "line 2 is not a header field"},
		{"Newsgroups: a.b\nSub\x01ject: x\n\n", -EBADMSG,
		 "line 2 is not a header field: \"Sub?ject: x\""},
		{"Newsgroups: a.b\nSubject: x", -EINVAL,
		 "no blank line after the headers"},
		{"Newsgroups: a.b\nSubject: x\n\r", -EINVAL,
		 "no blank line after the headers"},
	};
	struct nw_article a;
	struct pb_err err;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = parse_buf(cases[i].text, strlen(cases[i].text), MAX_HEADER,
			       &a, &err);
		if (rc != cases[i].rc || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i,
				 rc, err.msg, cases[i].rc, cases[i].msg);
	}
}

static void test_lenient_lines(void **state)
{
	static const char text[] = "Subject :  blanks before the colon  \n"
				   "Newsgroups:a.b\n"
				   "X-Empty:\n"
				   "From:\n"
				   "Message-ID:   \n"
				   "Date: Sat, 01 Feb 2025\r\n"
				   " 10:00:00 +0000\n"
				   "\n";
	struct nw_article a;
	struct pb_err err;

	(void)state;
	assert_int_equal(parse_buf(text, strlen(text), MAX_HEADER, &a, &err),
			 0);
	assert_string_equal(a.subject, "blanks before the colon");
	assert_groups(&a, "a.b", NULL);
	/* empty fields are as if absent */
	assert_null(a.from);
	assert_null(a.message_id);
	assert_string_equal(a.date, "Sat, 01 Feb 2025 10:00:00 +0000");
	nw_article_free(&a);
}

/* err may be NULL; a success leaves it cleared; a long line is cut short
 * in the message */
static void test_error_struct(void **state)
{
	static const char junk[] = "x";
	struct nw_article a;
	struct pb_err err;
	char text[160];

	(void)state;
	assert_int_equal(nw_article_parse(junk, 1, 0, &a, NULL), -EINVAL);
	assert_int_equal(nw_article_parse(junk, 1, 0, NULL, &err), -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.msg, "no article to fill");
	assert_int_equal(nw_article_parse("Newsgroups: a\n\n", 15, 0, &a, &err),
			 0);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	nw_article_free(&a);
	memcpy(text, "Newsgroups: a\n", 14);
	memset(text + 14, 'x', 100);
	memcpy(text + 114, "\n\n", 2);
	assert_int_equal(parse_buf(text, 116, 0, &a, &err), -EBADMSG);
	assert_string_equal(
		err.msg, "line 2 is not a header field: \""
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" /* 44 */
			 "...\"");
}

/* --- Any input ---------------------------------------------------------- */

/* Every prefix of every sample, with a few limits */
static void test_every_prefix(void **state)
{
	static const size_t limits[] = {0, 1, 64, 200, MAX_HEADER};
	char **names = sample_names(), *data, *copy;
	struct pb_err err;
	struct nw_article a;
	size_t i, n, l, len;

	(void)state;
	for (i = 0; names[i]; i++) {
		data = load(names[i], &len);
		for (n = 0; n <= len; n++) {
			/* a copy of exactly n bytes, so that reading past
			 * them shows under valgrind and ASan */
			copy = malloc(n ? n : 1);
			assert_non_null(copy);
			memcpy(copy, data, n);
			for (l = 0; l < sizeof(limits) / sizeof(limits[0]);
			     l++) {
				if (!parse_buf(copy, n, limits[l], &a, &err))
					nw_article_free(&a);
			}
			free(copy);
		}
		free(data);
	}
	free_names(names);
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Mutations of every sample: bytes changed, inserted, removed, with the
 * characters that matter most to the parser */
static void test_mutations(void **state)
{
	static const char special[] = "\n\r \t:=?_,\0\xff\xc3\xe9<>*Bq";
	char **names = sample_names(), *data, *m, *line, *dec;
	struct pb_err err;
	struct nw_article a;
	size_t i, len, ml, pos, k, e, ok = 0, bad = 0;
	uint32_t x = 2463534242u;
	int round, edits, rc;

	(void)state;
	for (i = 0; names[i]; i++) {
		data = load(names[i], &len);
		for (round = 0; round < 1500; round++) {
			m = malloc(len + 64);
			assert_non_null(m);
			memcpy(m, data, len);
			ml = len;
			for (edits = 1 + rnd(&x) % 6; edits > 0; edits--) {
				pos = ml ? rnd(&x) % ml : 0;
				switch (rnd(&x) % 4) {
				case 0:
					if (ml)
						m[pos] = special
							[rnd(&x) %
							 (sizeof(special) - 1)];
					break;
				case 1:
					if (ml)
						m[pos] = (char)rnd(&x);
					break;
				case 2:
					if (ml + 1 > len + 63)
						break;
					memmove(m + pos + 1, m + pos, ml - pos);
					m[pos] = special[rnd(&x) %
							 (sizeof(special) - 1)];
					ml++;
					break;
				default:
					if (!ml)
						break;
					memmove(m + pos, m + pos + 1,
						ml - pos - 1);
					ml--;
				}
			}
			rc = parse_buf(m, ml, rnd(&x) % 2 ? MAX_HEADER : 256,
				       &a, &err);
			if (!rc) {
				nw_article_free(&a);
				ok++;
			} else {
				bad++;
			}
			/* and each line through the decoder */
			for (k = 0; k < ml; k = e + 1) {
				for (e = k; e < ml && m[e] != '\n'; e++)
					;
				line = strndup(m + k, e - k);
				assert_non_null(line);
				dec = nw_rfc2047_decode(line);
				assert_non_null(dec);
				if (!is_clean_utf8(dec))
					fail_msg("decoding \"%s\" gave \"%s\"",
						 line, dec);
				free(dec);
				free(line);
			}
			free(m);
		}
		free(data);
	}
	/* both outcomes were seen plenty */
	assert_true(ok > 1000);
	assert_true(bad > 1000);
	free_names(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_utf8_base64),
		cmocka_unit_test(test_latin1_q),
		cmocka_unit_test(test_iso8859_15_euro),
		cmocka_unit_test(test_adjacent_words),
		cmocka_unit_test(test_from_display_name),
		cmocka_unit_test(test_emoji),
		cmocka_unit_test(test_folded_subject),
		cmocka_unit_test(test_case_insensitive_names),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_duplicates_first_wins),
		cmocka_unit_test(test_crosspost),
		cmocka_unit_test(test_folded_newsgroups),
		cmocka_unit_test(test_no_message_id),
		cmocka_unit_test(test_raw_utf8),
		cmocka_unit_test(test_raw_latin1),
		cmocka_unit_test(test_rfc2231_language),
		cmocka_unit_test(test_malformed_words_kept),
		cmocka_unit_test(test_windows_1252),
		cmocka_unit_test(test_us_ascii),
		cmocka_unit_test(test_crlf_same_as_lf),
		cmocka_unit_test(test_beginning_and_limit),
		cmocka_unit_test(test_missing_newsgroups),
		cmocka_unit_test(test_no_blank_line),
		cmocka_unit_test(test_binary_junk),
		cmocka_unit_test(test_body_only),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_huge_header_line),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_lenient_lines),
		cmocka_unit_test(test_error_struct),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

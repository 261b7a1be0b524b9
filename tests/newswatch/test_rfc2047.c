/* The RFC 2047 decoder (newswatch/rfc2047.c): charsets, B and Q words,
 * adjacent words, malformed ones kept, raw 8-bit bytes, control
 * characters, and long inputs in linear time. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rfc2047.h"
#include "utf8check.h"

static void assert_decodes(const char *in, const char *want)
{
	char *got = nw_rfc2047_decode(in);

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("decoding \"%s\": got \"%s\", want \"%s\"", in, got,
			 want);
	assert_true(is_clean_utf8(got));
	free(got);
}

static void test_decode_words(void **state)
{
	(void)state;
	assert_null(nw_rfc2047_decode(NULL));
	assert_decodes("", "");
	assert_decodes("plain text", "plain text");
	assert_decodes("=?UTF-8?B?Q2Fmw6k=?=", "Caf\xc3\xa9");
	assert_decodes("=?utf-8?b?Q2Fmw6k=?=", "Caf\xc3\xa9");
	assert_decodes("=?UTF-8?B?Q2Fmw6k?=", "Caf\xc3\xa9"); /* no padding */
	assert_decodes("=?ISO-8859-1?Q?Gr=FC=DFe?=", "Gr\xc3\xbc\xc3\x9f"
						     "e");
	assert_decodes("=?iso-8859-1?q?gr=fc=dfe?=", "gr\xc3\xbc\xc3\x9f"
						     "e");
	assert_decodes("=?iso-8859-15?q?=A4_price?=", "\xe2\x82\xac price");
	assert_decodes("=?ISO-8859-1?Q?=A4?=", "\xc2\xa4"); /* not the euro */
	assert_decodes("=?iso8859-15?Q?=A4?=", "\xe2\x82\xac");
	assert_decodes("=?ISO_8859-2?Q?=B1?=", "\xc4\x85"); /* a ogonek */
	assert_decodes("=?ISO-8859-7?B?4eLj?=", "\xce\xb1\xce\xb2\xce\xb3");
	assert_decodes("=?latin1?Q?=E9?=", "\xc3\xa9");
	assert_decodes("=?windows-1252?Q?=80?=", "\xe2\x82\xac");
	assert_decodes("=?cp1252?Q?=80?=", "\xe2\x82\xac");
	assert_decodes("=?KOI8-R?B?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8"
						"\xd0\xb2\xd0\xb5\xd1\x82");
	assert_decodes("=?US-ASCII?Q?plain?=", "plain");
	assert_decodes("=?UTF-8?Q?a_b?=", "a b");
	assert_decodes("=?UTF-8?Q?=F0=9F=8E=89?=", "\xf0\x9f\x8e\x89");
	assert_decodes("=?UTF-8?B?8J+OiQ==?=", "\xf0\x9f\x8e\x89");
	assert_decodes("Re: =?UTF-8?Q?Ren=C3=A9e?= <renee@example.org>",
		       "Re: Ren\xc3\xa9"
		       "e <renee@example.org>");
	/* a word among text with no space around it (not RFC 2047, seen) */
	assert_decodes("Re:=?UTF-8?Q?Caf=C3=A9?=!", "Re:Caf\xc3\xa9!");
	assert_decodes("\"=?UTF-8?Q?Ren=C3=A9e?=\" <r@example.org>",
		       "\"Ren\xc3\xa9"
		       "e\" <r@example.org>");
	/* RFC 2231 languages */
	assert_decodes("=?utf-8*fr?Q?C=C3=A9line?=", "C\xc3\xa9line");
	assert_decodes("=?ISO-8859-1*de-DE?Q?=FC?=", "\xc3\xbc");
}

static void test_decode_adjacent(void **state)
{
	(void)state;
	assert_decodes("=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab");
	assert_decodes("=?UTF-8?Q?a?=  \t =?UTF-8?Q?b?=", "ab");
	assert_decodes("=?UTF-8?Q?a?==?UTF-8?Q?b?=", "ab");
	assert_decodes("=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=", "ab");
	assert_decodes("=?UTF-8?Q?a?=\n\t=?UTF-8?Q?b?=", "ab");
	/* different charsets, still adjacent */
	assert_decodes("=?ISO-8859-1?Q?=E9?= =?UTF-8?Q?=C3=A9?=",
		       "\xc3\xa9\xc3\xa9");
	/* text between them stays, with its spaces */
	assert_decodes("=?UTF-8?Q?a?= x =?UTF-8?Q?b?=", "a x b");
	assert_decodes("=?UTF-8?Q?a?= b", "a b");
	assert_decodes("a =?UTF-8?Q?b?=", "a b");
	/* a character split across two words */
	assert_decodes("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?=", "\xc3\xa9");
	assert_decodes("=?UTF-8?B?8J+O?= =?UTF-8?B?iQ==?=", "\xf0\x9f\x8e\x89");
	/* a word left as written is text: the space before it stays */
	assert_decodes("=?x-foo?Q?a?= =?UTF-8?Q?b?=", "=?x-foo?Q?a?= b");
	assert_decodes("=?UTF-8?Q?a?= =?UTF-8?Q?=Z?=", "a =?UTF-8?Q?=Z?=");
}

static void test_decode_malformed(void **state)
{
	static const char *const kept[] = {
		"=?",
		"=?=?=?",
		"a=?b",
		"=?UTF-8?",
		"=?UTF-8?Q?",
		"=?UTF-8?Q?abc",
		"=?UTF-8?Q?abc?",
		"=?UTF-8?Q?abc?x",
		"=??Q?abc?=",
		"=?*fr?Q?abc?=",
		"=?UTF-8?X?abc?=",
		"=?UTF-8?QQ?abc?=",
		"=?UTF-8?Q?a b?=",
		"=?UTF 8?Q?abc?=",
		"=?UTF-8?Q?bad=ZZhex?=",
		"=?UTF-8?Q?trailing=?=",
		"=?UTF-8?Q?half=A?=",
		"=?UTF-8?B?Q?=",
		"=?UTF-8?B?Q2=Fm?=",
		"=?UTF-8?B?Q2Fm===?=",
		"=?UTF-8?B?Q2Fmw6k==?=",
		"=?UTF-8?B?#!*?=",
		"=?x-unknown?Q?abc?=",
		"=?ISO-8859-12?Q?abc?=",
		"=?ISO-8859-0?Q?abc?=",
		"=?ISO-8859-01?Q?abc?=",
		"=?ISO-8859-99999999999?Q?abc?=",
		"=?windows-1249?Q?abc?=",
		"=?UTF-7?Q?abc?=",
		"=?ISO-2022-CN-EXT?B?GyQp?=",
		"=?averyveryveryverylongcharsetnamethatnobodyuses?Q?abc?=",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_decodes(kept[i], kept[i]);
	/* and the good word after a bad one is still decoded */
	assert_decodes("=?UTF-8?Q?=?= =?UTF-8?Q?=C3=A9?=",
		       "=?UTF-8?Q?=?= \xc3\xa9");
}

static void test_decode_8bit(void **state)
{
	(void)state;
	/* raw bytes: kept when the value is UTF-8, else ISO-8859-1 */
	assert_decodes("Zo\xc3\xab", "Zo\xc3\xab");
	assert_decodes("Zo\xeb", "Zo\xc3\xab");
	assert_decodes("\xc0\xaf", "\xc3\x80\xc2\xaf"); /* overlong */
	assert_decodes("\xed\xa0\x80",
		       "\xc3\xad\xc2\xa0\xc2\x80"); /* surrogate */
	assert_decodes("\xf4\x90\x80\x80", "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80");
	assert_decodes("caf\xc3\xa9 \xe9", "caf\xc3\x83\xc2\xa9 \xc3\xa9");
	/* words labelled UTF-8 or US-ASCII that are not: ISO-8859-1 */
	assert_decodes("=?UTF-8?Q?caf=E9?=", "caf\xc3\xa9");
	assert_decodes("=?us-ascii?Q?caf=E9?=", "caf\xc3\xa9");
	assert_decodes("=?UTF-8?B?/w==?=", "\xc3\xbf");
	/* a byte the charset leaves undefined: U+FFFD */
	assert_decodes("=?windows-1252?Q?a=81b?=", "a\xef\xbf\xbd"
						   "b");
	assert_decodes("=?ISO-8859-3?Q?=A5?=", "\xef\xbf\xbd");
}

static void test_decode_controls(void **state)
{
	(void)state;
	/* one line of text: folding goes, other controls become spaces */
	assert_decodes("a\r\n b", "a b");
	assert_decodes("a\n\tb", "a\tb");
	assert_decodes("a\rb\x1b[31m\x7f", "a b [31m ");
	assert_decodes("=?UTF-8?Q?a=00b=0D=0Ac=07?=", "a b  c ");
	assert_decodes("=?UTF-8?B?AA==?=", " ");
	assert_decodes("=?UTF-8?Q?tab=09ok?=", "tab\tok");
}

/* Long inputs made of pieces of encoded words stay linear */
static void test_decode_long(void **state)
{
	static const char *const pieces[] = {
		"=?",	    "=?a?",	      "=?a?q?",
		"=?a?q?=?", "=?UTF-8?Q?a?= ", "=?UTF-8?Q?=C3?=",
		"=?x?B?",   "\xe9",	      "=?UTF-8?B?Q2Fm?=",
	};
	size_t big = 1024 * 1024, i, n, pl;
	char *s = malloc(big + 32), *out;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		pl = strlen(pieces[i]);
		for (n = 0; n + pl <= big; n += pl)
			memcpy(s + n, pieces[i], pl);
		s[n] = '\0';
		out = nw_rfc2047_decode(s);
		assert_non_null(out);
		assert_true(is_clean_utf8(out));
		if (i == 4)
			assert_int_equal(strlen(out), n / pl + 1);
		free(out);
	}
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_words),
		cmocka_unit_test(test_decode_adjacent),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_decode_8bit),
		cmocka_unit_test(test_decode_controls),
		cmocka_unit_test(test_decode_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

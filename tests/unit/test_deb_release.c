/* APT Release files (repo/deb_release.c): this machine's real InRelease
 * files and hand-made ones, their dates and flags, and the errors. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "indexutil.h"
#include "repo/index.h"
#include "testutil.h"

/* ----------------------------------------------------------- Release */

/* The signed text of an InRelease file: between the armor header (and its
 * blank line) and the signature, dash-escaped lines unescaped. */
static char *inrelease_body(const char *text, size_t *len)
{
	const char *begin = "-----BEGIN PGP SIGNED MESSAGE-----\n";
	const char *sig = "\n-----BEGIN PGP SIGNATURE-----";
	const char *p, *end;
	char *out, *o;

	assert_memory_equal(text, begin, strlen(begin));
	p = strstr(text, "\n\n");
	assert_non_null(p);
	p += 2;
	end = strstr(p, sig);
	assert_non_null(end);
	out = malloc((size_t)(end - p) + 2);
	assert_non_null(out);
	o = out;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p) + 1);
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (n >= 2 && p[0] == '-' && p[1] == ' ') {
			p += 2;
			n -= 2;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
		if (!nl)
			break;
	}
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}

static int in_list(char **list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static void check_real_release(const char *file)
{
	struct pb_deb_release r;
	struct pb_err err = {0};
	const struct pb_release_entry *e;
	char *text, *body, *sha, codename[128] = "";
	size_t len, n_sha = 0;
	int ret;

	text = pbt_read_file("/", file + 1);
	body = inrelease_body(text, &len);
	ret = pb_deb_release_parse(body, len, &r, &err);
	if (ret)
		fail_msg("%s: %s", file, err.msg);

	/* what a plain reading of the text says */
	sha = strstr(body, "\nSHA256:\n");
	assert_non_null(sha);
	for (const char *l = strchr(sha + 1, '\n') + 1; *l == ' ';
	     l = strchr(l, '\n') + 1)
		n_sha++;
	assert_int_equal(r.n_entries, n_sha);
	assert_true(sscanf(strstr(body, "\nCodename: ") + 11, "%127s",
			   codename) == 1);
	assert_string_equal(r.codename, codename);
	assert_non_null(r.suite);
	assert_true(in_list(r.architectures, "amd64"));
	assert_non_null(r.components[0]);
	assert_int_equal(r.acquire_by_hash,
			 strstr(body, "\nAcquire-By-Hash: yes") ? 1 : 0);

	/* every entry as the text gives it, in its order */
	{
		const char *l = strchr(sha + 1, '\n') + 1;

		for (size_t i = 0; i < r.n_entries; i++) {
			char hex[65], path[512];
			long long size;

			e = &r.entries[i];
			assert_int_equal(
				sscanf(l, " %64s %lld %511s", hex, &size, path),
				3);
			assert_string_equal(e->sha256, hex);
			assert_int_equal(e->size, size);
			assert_string_equal(e->path, path);
			l = strchr(l, '\n') + 1;
		}
	}
	e = pb_deb_release_find(&r, "main/binary-amd64/Packages.xz");
	if (!e) /* the security suite names its components updates/... */
		e = pb_deb_release_find(
			&r, "updates/main/binary-amd64/Packages.xz");
	assert_non_null(e);
	assert_ptr_equal(pb_deb_release_find(&r, e->path), e);
	assert_null(pb_deb_release_find(&r, "main/binary-amd64/Packages.bz3"));
	pb_deb_release_free(&r);
	/* freeing twice is harmless: the struct is emptied */
	pb_deb_release_free(&r);
	free(body);
	free(text);
}

static void test_release_real(void **state)
{
	glob_t g;

	(void)state;
	if (glob("/var/lib/apt/lists/*_InRelease", 0, NULL, &g) != 0) {
		print_message("no InRelease in /var/lib/apt/lists\n");
		skip();
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_real_release(g.gl_pathv[i]);
	globfree(&g);
}

static const char release_text[] =
	"Origin: Debian\r\n"
	"label: Debian\r\n"
	"suite: stable\r\n"
	"Codename:   bookworm  \r\n"
	"Date: Sat, 06 Sep 2025 09:07:38 UTC\r\n"
	"Acquire-By-Hash: yes\r\n"
	"Architectures: amd64\r\n"
	"Architectures: all amd64 arm64\r\n"
	"Components: main contrib\tnon-free\r\n"
	"Description: Debian 12.12 Released 06 September 2025\r\n"
	" a continuation line of the description\r\n"
	"MD5Sum:\r\n"
	" 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 main/binary-amd64/"
	"Packages.md5\r\n"
	"SHA256:\r\n"
	" " PBT_SHA_A "   1655296 main/binary-amd64/Packages.xz\r\n"
	"\t" PBT_SHA_B " 0 main/binary-amd64/Release\r\n"
	" 53745AE74D05BCCF6783400FA98F3932B21729AB9D2E86151AA2C331C3455178 "
	"9000000000 contrib/i18n/Translation-en.bz2\r\n"
	"Unknown-Field: x\r\n"
	"\r\n"
	"Origin: a second paragraph, not read\r\n";

static void test_release_synthetic(void **state)
{
	struct pb_deb_release r;
	struct pb_err err = {0};
	const struct pb_release_entry *e;

	(void)state;
	if (pb_deb_release_parse(release_text, strlen(release_text), &r, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(r.suite, "stable");
	assert_string_equal(r.codename, "bookworm");
	assert_int_equal(r.acquire_by_hash, 1);
	/* the last one given counts */
	assert_string_equal(r.architectures[0], "all");
	assert_string_equal(r.architectures[1], "amd64");
	assert_string_equal(r.architectures[2], "arm64");
	assert_null(r.architectures[3]);
	assert_string_equal(r.components[2], "non-free");
	assert_null(r.components[3]);
	/* MD5Sum lines are not entries */
	assert_int_equal(r.n_entries, 3);
	e = pb_deb_release_find(&r, "main/binary-amd64/Packages.xz");
	assert_non_null(e);
	assert_string_equal(e->sha256, PBT_SHA_A);
	assert_int_equal(e->size, 1655296);
	e = pb_deb_release_find(&r, "main/binary-amd64/Release");
	assert_non_null(e);
	assert_int_equal(e->size, 0);
	e = pb_deb_release_find(&r, "contrib/i18n/Translation-en.bz2");
	assert_non_null(e);
	assert_string_equal(e->sha256, PBT_SHA_C); /* lowercase */
	assert_int_equal(e->size, 9000000000LL);
	assert_null(pb_deb_release_find(&r, "main/binary-amd64/Packages.md5"));
	pb_deb_release_free(&r);

	/* no Suite, no lists: NULL strings, empty lists */
	{
		const char *t = "Codename: x\nSHA256:\n " PBT_SHA_A " 1 a/b\n";

		if (pb_deb_release_parse(t, strlen(t), &r, &err))
			fail_msg("%s", err.msg);
		assert_null(r.suite);
		assert_non_null(r.architectures);
		assert_null(r.architectures[0]);
		assert_null(r.components[0]);
		assert_int_equal(r.acquire_by_hash, 0);
		pb_deb_release_free(&r);
	}
	/* the text need not end with a NUL nor with a new line */
	{
		char t[] = "SHA256:\n " PBT_SHA_A " 12 a/b.xzGARBAGE";

		if (pb_deb_release_parse(t, strlen(t) - 7, &r, &err))
			fail_msg("%s", err.msg);
		assert_string_equal(r.entries[0].path, "a/b.xz");
		pb_deb_release_free(&r);
	}
}

/* No-Support-for-Architecture-all, Date and Valid-Until, as Debian writes
 * them */
static void test_release_dates_and_flags(void **state)
{
	const char *t = "Origin: Debian\n"
			"Date: Sat, 10 Jun 2023 09:01:04 UTC\n"
			"Valid-Until: Sat, 17 Jun 2023 09:01:04 UTC\n"
			"No-Support-for-Architecture-all: Packages\n"
			"SHA256:\n " PBT_SHA_A " 1 a/b\n";
	struct pb_deb_release r;
	struct pb_err err = {0};
	int64_t v = 0;

	(void)state;
	if (pb_deb_release_parse(t, strlen(t), &r, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(r.no_arch_all_packages, 1);
	assert_int_equal(r.date, 1686387664);
	assert_int_equal(r.valid_until, 1686387664 + 7 * 86400);
	pb_deb_release_free(&r);

	t = "Date: Sat, 10 Jun 2023 09:01:04 UTC\n"
	    "SHA256:\n " PBT_SHA_A " 1 a/b\n";
	if (pb_deb_release_parse(t, strlen(t), &r, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(r.no_arch_all_packages, 0);
	assert_int_equal(r.valid_until, 0);
	pb_deb_release_free(&r);

	/* the forms apt takes */
	assert_int_equal(pb_rfc1123_parse("10 Jun 2023 09:01:04 GMT", 24, &v),
			 0);
	assert_int_equal(v, 1686387664);
	assert_int_equal(
		pb_rfc1123_parse("Sat, 10 Jun 2023 11:01:04 +0200", 31, &v), 0);
	assert_int_equal(v, 1686387664);
	assert_int_equal(pb_rfc1123_parse("Sat, 1 Jan 2000 00:00:00 Z", 26, &v),
			 0);
	assert_int_equal(v, 946684800);
	assert_int_equal(pb_rfc1123_parse("2023-06-10", 10, &v), -EINVAL);
	assert_int_equal(pb_rfc1123_parse("Sat, 10 Jun 2023 09:01:04", 25, &v),
			 -EINVAL);
	assert_int_equal(
		pb_rfc1123_parse("Sat, 10 Jun 2023 09:01:04 UTC junk", 34, &v),
		-EINVAL);
}

static void expect_release_error(const char *text, const char *what)
{
	struct pb_deb_release r;
	struct pb_err err = {0};
	int ret;

	memset(&r, 0x55, sizeof(r));
	ret = pb_deb_release_parse(text, strlen(text), &r, &err);
	if (ret == 0)
		fail_msg("parsed, expected an error with '%s'", what);
	assert_int_equal(ret, -EINVAL);
	if (!strstr(err.msg, what))
		fail_msg("message '%s' lacks '%s'", err.msg, what);
	/* nothing left to free */
	assert_null(r.entries);
	assert_null(r.suite);
}

static void test_release_errors(void **state)
{
	(void)state;
	expect_release_error("Suite: stable\nCodename: bookworm\n"
			     "MD5Sum:\n 0ed6d4c8891eb86358b94bb35d9e4da4 1 a\n",
			     "no SHA256 field");
	expect_release_error("", "no SHA256 field");
	expect_release_error("Date: yesterday\nSHA256:\n " PBT_SHA_A " 1 a\n",
			     "Date 'yesterday' is not a date");
	expect_release_error(
		"Valid-Until: Sat, 10 Jun 2023\nSHA256:\n " PBT_SHA_A " 1 a\n",
		"Valid-Until 'Sat, 10 Jun 2023' is not a date");
	expect_release_error("Suite: stable\nSHA256:\nCodename: x\n",
			     "empty SHA256");
	expect_release_error("Suite: stable\nSHA256:\n " PBT_SHA_A " 12\n",
			     "line 3");
	expect_release_error("SHA256:\n " PBT_SHA_A " 1 a\n abcd 12 b\n",
			     "line 3: 'abcd' is not a SHA-256");
	expect_release_error("SHA256:\n " PBT_SHA_A " 1x a\n", "not a size");
	expect_release_error("SHA256:\n " PBT_SHA_A " 99999999999999999999 a\n",
			     "not a size");
	expect_release_error("SHA256:\n " PBT_SHA_A " 1 a b\n", "line 2");
	expect_release_error("SHA256:\n " PBT_SHA_A " 1 a\nSHA256:\n " PBT_SHA_B
			     " 1 b\n",
			     "second SHA256");
	/* the armor left on: not a Release text */
	expect_release_error("-----BEGIN PGP SIGNED MESSAGE-----\nHash: "
			     "SHA512\n\nSHA256:\n " PBT_SHA_A " 1 a\n",
			     "line 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_real),
		cmocka_unit_test(test_release_synthetic),
		cmocka_unit_test(test_release_errors),
		cmocka_unit_test(test_release_dates_and_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

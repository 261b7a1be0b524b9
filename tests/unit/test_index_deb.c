/* APT repository metadata: the decompressor (every format, truncated and
 * corrupt streams), Release files (this machine's real InRelease files
 * and hand-made ones) and Packages indexes streamed in plain, .gz and .xz
 * forms with the oddities real files and hostile ones have. */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "repo/index.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

struct fx {
	char tmp[PBT_TMP_MAX]; /* first: pbt_fx_new makes it */
};
_Static_assert(offsetof(struct fx, tmp) == 0, "pbt_fx_new makes tmp");

static int fx_setup(void **state)
{
	*state = pbt_fx_new(sizeof(struct fx), "index-deb");
	return *state ? 0 : -1;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret != 0)
		fail_msg("'%s' failed: %d", cmd, ret);
}

static int have_tool(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static off_t file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_size;
}

/* dir/out = the first half (or all but cut bytes) of dir/in */
static void cut_file(const char *dir, const char *in, const char *out, long cut)
{
	char a[PATH_MAX], b[PATH_MAX];
	off_t size;

	pbt_path(a, sizeof(a), dir, in);
	pbt_path(b, sizeof(b), dir, out);
	size = file_size(a);
	sh("head -c %lld '%s' > '%s'", (long long)(cut ? size - cut : size / 2),
	   a, b);
}

/* records as "name|version|arch|location|size|sha256" */
struct got {
	size_t n;
	size_t stop_at; /* return -ECANCELED from that record (1-based) */
	char rec[32][640];
};

static int collect(const struct pb_pkg_rec *r, void *ctx)
{
	struct got *g = ctx;

	assert_null(r->base);
	if (g->n < PBT_N_OF(g->rec))
		snprintf(g->rec[g->n], sizeof(g->rec[0]), "%s|%s|%s|%s|%lld|%s",
			 r->name, r->version, r->arch, r->location,
			 (long long)r->size, r->sha256);
	g->n++;
	if (g->stop_at && g->n == g->stop_at)
		return -ECANCELED;
	return 0;
}

static void expect_recs(const struct got *g, const char *const *want, size_t n)
{
	if (g->n != n) {
		for (size_t i = 0; i < g->n && i < PBT_N_OF(g->rec); i++)
			print_message("got %s\n", g->rec[i]);
		fail_msg("%zu records, expected %zu", g->n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(g->rec[i], want[i]);
}

static void expect_stats(const struct pb_index_stats *st, size_t records,
			 size_t matched, size_t skipped)
{
	if (st->records != records || st->matched != matched ||
	    st->skipped != skipped)
		fail_msg("stats %zu/%zu/%zu, expected %zu/%zu/%zu", st->records,
			 st->matched, st->skipped, records, matched, skipped);
}

static void expect_error_naming(const struct pb_err *err, int ret,
				const char *path)
{
	assert_true(ret < 0);
	assert_int_equal(err->code, ret);
	if (!strstr(err->msg, path))
		fail_msg("the message does not name %s: %s", path, err->msg);
}

#define SHA_A "2a40c463e108b1ea3abf2e16e38eb9e27b237693b974b862adde73873c7d85c1"
#define SHA_B "845e73df261d3b13eb58310dd073e125791bf0a5feedae627beb16718b866b12"
#define SHA_C "53745ae74d05bccf6783400fa98f3932b21729ab9d2e86151aa2c331c3455178"

/* ------------------------------------------------------------ decomp */

/* text that spans several of the decompressor's blocks */
static char *some_text(size_t *len)
{
	size_t cap = 900 * 1024, o = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	for (unsigned i = 0; o + 100 < cap; i++)
		o += (size_t)snprintf(s + o, cap - o, "line %u: %08x %s\n", i,
				      i * 2654435761u,
				      i % 7 ? "abc" : "xyz xyz xyz");
	*len = o;
	return s;
}

static void expect_content(const char *path, const char *want, size_t len,
			   size_t chunk)
{
	struct pb_err err = {0};
	struct pb_decomp *d;
	char *buf = malloc(chunk);
	size_t o = 0;
	long n;

	assert_non_null(buf);
	if (pb_decomp_open(path, &d, &err) < 0)
		fail_msg("%s", err.msg);
	while ((n = pb_decomp_read(d, buf, chunk, &err)) > 0) {
		assert_true(o + (size_t)n <= len);
		if (memcmp(buf, want + o, (size_t)n) != 0)
			fail_msg("%s: differs from byte %zu on", path, o);
		o += (size_t)n;
	}
	if (n < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(o, len);
	/* the end stays the end */
	assert_int_equal(pb_decomp_read(d, buf, chunk, &err), 0);
	pb_decomp_close(d);
	free(buf);
}

/* read a little, then close: the reader ahead is stopped and joined */
static void open_read_close(const char *path)
{
	struct pb_err err = {0};
	struct pb_decomp *d;
	char buf[10];

	for (int i = 0; i < 20; i++) {
		if (pb_decomp_open(path, &d, &err) < 0)
			fail_msg("%s", err.msg);
		if (i % 2)
			assert_int_equal(
				pb_decomp_read(d, buf, sizeof(buf), &err),
				sizeof(buf));
		pb_decomp_close(d);
	}
}

static void test_decomp_formats(void **state)
{
	struct fx *fx = *state;
	const char *tools[] = {"gzip", "xz", "zstd", "bzip2"};
	char path[PATH_MAX];
	size_t len;
	char *text = some_text(&len);

	pbt_write(fx->tmp, "plain", text, len);
	pbt_path(path, sizeof(path), fx->tmp, "plain");
	expect_content(path, text, len, 4096);
	expect_content(path, text, len, 1000 * 1000);
	open_read_close(path);
	for (size_t i = 0; i < PBT_N_OF(tools); i++) {
		char name[32];

		if (!have_tool(tools[i])) {
			print_message("no %s here: not tried\n", tools[i]);
			continue;
		}
		/* a name that says nothing: told by content */
		snprintf(name, sizeof(name), "f%zu", i);
		sh("cd %s && %s -c < plain > %s", fx->tmp, tools[i], name);
		pbt_path(path, sizeof(path), fx->tmp, name);
		expect_content(path, text, len, 7);
		expect_content(path, text, len, 65536);
		open_read_close(path);
	}
	free(text);
}

static void expect_broken(const char *dir, const char *name)
{
	struct pb_err err = {0};
	struct pb_decomp *d;
	char path[PATH_MAX], buf[65536];
	long n;
	int ret;

	pbt_path(path, sizeof(path), dir, name);
	ret = pb_decomp_open(path, &d, &err);
	if (ret == 0) {
		while ((n = pb_decomp_read(d, buf, sizeof(buf), &err)) > 0)
			;
		ret = (int)n;
		/* and it stays broken */
		if (ret < 0)
			assert_int_equal(pb_decomp_read(d, buf, 10, &err), ret);
		pb_decomp_close(d);
	}
	if (ret == 0)
		fail_msg("%s: read to its end without an error", name);
	assert_int_equal(ret, -EIO);
	expect_error_naming(&err, ret, path);
}

static void test_decomp_truncated(void **state)
{
	struct fx *fx = *state;
	const char *tools[] = {"gzip", "xz", "zstd", "bzip2"};
	size_t len;
	char *text = some_text(&len);

	pbt_write(fx->tmp, "plain", text, len);
	free(text);
	for (size_t i = 0; i < PBT_N_OF(tools); i++) {
		char whole[32], half[32], tail[32];

		if (!have_tool(tools[i]))
			continue;
		snprintf(whole, sizeof(whole), "whole.%s", tools[i]);
		snprintf(half, sizeof(half), "half.%s", tools[i]);
		snprintf(tail, sizeof(tail), "notail.%s", tools[i]);
		sh("cd %s && %s -c < plain > %s", fx->tmp, tools[i], whole);
		cut_file(fx->tmp, whole, half, 0);
		expect_broken(fx->tmp, half);
		/* only the trailer (gzip's CRC and size, xz's index) cut */
		cut_file(fx->tmp, whole, tail, 4);
		expect_broken(fx->tmp, tail);
	}
	/* a byte changed in the middle of the compressed data */
	sh("cd %s && xz -c < plain > bad.xz && "
	   "printf '\\377\\377\\377\\377' | dd of=bad.xz bs=1 seek=5000 "
	   "conv=notrunc status=none",
	   fx->tmp);
	expect_broken(fx->tmp, "bad.xz");
	sh("cd %s && gzip -c < plain > bad.gz && "
	   "printf '\\377\\377\\377\\377' | dd of=bad.gz bs=1 seek=5000 "
	   "conv=notrunc status=none",
	   fx->tmp);
	expect_broken(fx->tmp, "bad.gz");
}

static void test_decomp_empty_missing(void **state)
{
	struct fx *fx = *state;
	struct pb_err err = {0};
	struct pb_decomp *d;
	char path[PATH_MAX], buf[16];
	int ret;

	pbt_write(fx->tmp, "empty", "", 0);
	pbt_path(path, sizeof(path), fx->tmp, "empty");
	assert_int_equal(pb_decomp_open(path, &d, &err), 0);
	assert_int_equal(pb_decomp_read(d, buf, sizeof(buf), &err), 0);
	pb_decomp_close(d);

	sh("cd %s && gzip -c < empty > empty.gz", fx->tmp);
	pbt_path(path, sizeof(path), fx->tmp, "empty.gz");
	assert_int_equal(pb_decomp_open(path, &d, &err), 0);
	assert_int_equal(pb_decomp_read(d, buf, sizeof(buf), &err), 0);
	pb_decomp_close(d);

	pbt_path(path, sizeof(path), fx->tmp, "nothing-here.xz");
	ret = pb_decomp_open(path, &d, &err);
	assert_int_equal(ret, -ENOENT);
	assert_null(d);
	expect_error_naming(&err, ret, path);

	/* closing nothing is fine */
	pb_decomp_close(NULL);
}

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
	" " SHA_A "   1655296 main/binary-amd64/Packages.xz\r\n"
	"\t" SHA_B " 0 main/binary-amd64/Release\r\n"
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
	assert_string_equal(e->sha256, SHA_A);
	assert_int_equal(e->size, 1655296);
	e = pb_deb_release_find(&r, "main/binary-amd64/Release");
	assert_non_null(e);
	assert_int_equal(e->size, 0);
	e = pb_deb_release_find(&r, "contrib/i18n/Translation-en.bz2");
	assert_non_null(e);
	assert_string_equal(e->sha256, SHA_C); /* lowercase */
	assert_int_equal(e->size, 9000000000LL);
	assert_null(pb_deb_release_find(&r, "main/binary-amd64/Packages.md5"));
	pb_deb_release_free(&r);

	/* no Suite, no lists: NULL strings, empty lists */
	{
		const char *t = "Codename: x\nSHA256:\n " SHA_A " 1 a/b\n";

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
		char t[] = "SHA256:\n " SHA_A " 12 a/b.xzGARBAGE";

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
			"SHA256:\n " SHA_A " 1 a/b\n";
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
	    "SHA256:\n " SHA_A " 1 a/b\n";
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
	expect_release_error("Date: yesterday\nSHA256:\n " SHA_A " 1 a\n",
			     "Date 'yesterday' is not a date");
	expect_release_error("Valid-Until: Sat, 10 Jun 2023\nSHA256:\n " SHA_A
			     " 1 a\n",
			     "Valid-Until 'Sat, 10 Jun 2023' is not a date");
	expect_release_error("Suite: stable\nSHA256:\nCodename: x\n",
			     "empty SHA256");
	expect_release_error("Suite: stable\nSHA256:\n " SHA_A " 12\n",
			     "line 3");
	expect_release_error("SHA256:\n " SHA_A " 1 a\n abcd 12 b\n",
			     "line 3: 'abcd' is not a SHA-256");
	expect_release_error("SHA256:\n " SHA_A " 1x a\n", "not a size");
	expect_release_error("SHA256:\n " SHA_A " 99999999999999999999 a\n",
			     "not a size");
	expect_release_error("SHA256:\n " SHA_A " 1 a b\n", "line 2");
	expect_release_error("SHA256:\n " SHA_A " 1 a\nSHA256:\n " SHA_B
			     " 1 b\n",
			     "second SHA256");
	/* the armor left on: not a Release text */
	expect_release_error("-----BEGIN PGP SIGNED MESSAGE-----\nHash: "
			     "SHA512\n\nSHA256:\n " SHA_A " 1 a\n",
			     "line 1");
}

/* ----------------------------------------------------------- Packages */

static const char packages_text[] =
	/* a kernel, with continuation lines that look like fields */
	"Package: linux-headers-6.1.0-56-amd64\n"
	"Source: linux\n"
	"Version: 6.1.192-2\n"
	"Installed-Size: 13825\n"
	"Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>\n"
	"Architecture: amd64\n"
	"Depends: linux-headers-6.1.0-56-common (= 6.1.192-2),\n"
	" linux-kbuild-6.1 (= 6.1.192-2)\n"
	"Description: Header files for Linux 6.1.0-56-amd64\n"
	" This package provides the architecture-specific kernel header\n"
	" Package: evil-from-a-description\n"
	" SHA256: " SHA_B "\n"
	" .\n"
	" Filename: pool/evil.deb\n"
	"\tSize: 1\n"
	"Description-md5: 0ba2c5c5b7b5a4a4e1c1b9d6c9c3f4e1\n"
	"Section: kernel\n"
	"Filename: pool/main/l/linux/"
	"linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb\n"
	"Size: 1655296\n"
	"MD5sum: 4d471183a39a3a11d00cd35bf9f6803d\n"
	"SHA256: "
	"2A40C463E108B1EA3ABF2E16E38EB9E27B237693B974B862ADDE73873C7D85C1\n"
	"\n"
	/* not a kernel */
	"Package: bash\n"
	"Version: 5.2.15-2+b2\n"
	"Architecture: amd64\n"
	"Filename: pool/main/b/bash/bash_5.2.15-2+b2_amd64.deb\n"
	"Size: 1491248\n"
	"SHA256: " SHA_C "\n"
	"\n"
	"\n"
	/* CRLF line ends, Package not first, spaces around values */
	"Version: 6.1.192-2\r\n"
	"Package:   linux-image-6.1.0-56-amd64  \r\n"
	"Architecture: amd64\r\n"
	"Description: Linux 6.1 for 64-bit PCs\r\n"
	" continued\r\n"
	"Filename: pool/main/l/linux/"
	"linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb\r\n"
	"Size: 68745720\r\n"
	"SHA256: " SHA_B "\r\n"
	"\r\n"
	/* no SHA256: skipped, counted */
	"Package: linux-headers-6.1.0-56-common\n"
	"Version: 6.1.192-2\n"
	"Architecture: all\n"
	"Filename: pool/main/l/linux/"
	"linux-headers-6.1.0-56-common_6.1.192-2_all.deb\n"
	"Size: 10333216\n"
	/* a separator made of blanks */
	"  \t \n"
	/* field names in any case */
	"package: linux-kbuild-6.1\n"
	"VERSION: 6.1.192-2\n"
	"architecture: amd64\n"
	"FileName: pool/main/l/linux/linux-kbuild-6.1_6.1.192-2_amd64.deb\n"
	"size: 1207720\n"
	"sha256: " SHA_C "\n"
	"\n"
	/* a kept field continued: skipped */
	"Package: linux-headers-6.1.0-57-amd64\n"
	"Version: 6.1.193-1\n"
	"Architecture: amd64\n"
	"Filename: pool/a.deb\n"
	" pool/b.deb\n"
	"Size: 1\n"
	"SHA256: " SHA_A "\n"
	"\n"
	/* a size that is not one: skipped */
	"Package: linux-headers-6.1.0-58-amd64\n"
	"Version: 6.1.194-1\n"
	"Architecture: amd64\n"
	"Filename: pool/c.deb\n"
	"Size: 12x\n"
	"SHA256: " SHA_A "\n"
	"\n"
	/* a short checksum: skipped */
	"Package: linux-headers-6.1.0-59-amd64\n"
	"Version: 6.1.195-1\n"
	"Architecture: amd64\n"
	"Filename: pool/d.deb\n"
	"Size: 12\n"
	"SHA256: abc\n"
	"\n"
	/* Filename twice: which one? skipped */
	"Package: linux-headers-6.1.0-60-amd64\n"
	"Version: 6.1.196-1\n"
	"Architecture: amd64\n"
	"Filename: pool/e.deb\n"
	"Filename: pool/f.deb\n"
	"Size: 12\n"
	"SHA256: " SHA_A "\n"
	"\n"
	/* a line that is no field, ignored */
	"Package: linux-image-6.1.0-57-amd64\n"
	"this line has no colon\n"
	"Version: 6.1.193-1\n"
	"Architecture: amd64\n"
	"Filename: pool/g.deb\n"
	"Size: 0\n"
	/* the last stanza, without a new line at its end */
	"SHA256: " SHA_C;

static const char *const kernel_globs[] = {
	"linux-headers-*",
	"linux-image-[0-9]*",
	"linux-kbuild-*",
	NULL,
};

static const char *const want_kernels[] = {
	"linux-headers-6.1.0-56-amd64|6.1.192-2|amd64|pool/main/l/linux/"
	"linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb|1655296|" SHA_A,
	"linux-image-6.1.0-56-amd64|6.1.192-2|amd64|pool/main/l/linux/"
	"linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb|68745720|" SHA_B,
	"linux-kbuild-6.1|6.1.192-2|amd64|pool/main/l/linux/"
	"linux-kbuild-6.1_6.1.192-2_amd64.deb|1207720|" SHA_C,
	("linux-image-6.1.0-57-amd64|6.1.193-1|amd64|pool/g.deb|0|" SHA_C),
};

static void parse_packages(const char *path, const char *const *globs,
			   struct got *g, struct pb_index_stats *st)
{
	struct pb_err err = {0};

	memset(g, 0, sizeof(*g));
	if (pb_deb_packages_parse(path, globs, collect, g, st, &err))
		fail_msg("%s", err.msg);
}

static void test_packages_forms(void **state)
{
	struct fx *fx = *state;
	const char *names[] = {"Packages", "Packages.gz", "Packages.xz",
			       "Packages.zst"};
	struct pb_index_stats st;
	struct got *g = malloc(sizeof(*g));
	char path[PATH_MAX];

	assert_non_null(g);
	pbt_write_file(fx->tmp, "Packages", packages_text, 0);
	sh("cd %s && gzip -k Packages && xz -k Packages", fx->tmp);
	if (have_tool("zstd"))
		sh("cd %s && zstd -q -k Packages", fx->tmp);
	for (size_t i = 0; i < PBT_N_OF(names); i++) {
		pbt_path(path, sizeof(path), fx->tmp, names[i]);
		if (access(path, F_OK) != 0)
			continue;
		parse_packages(path, kernel_globs, g, &st);
		expect_recs(g, want_kernels, PBT_N_OF(want_kernels));
		/* 10 stanzas: bash not matched, 5 matched but unusable */
		expect_stats(&st, 10, 4, 5);
	}
	free(g);
}

static void test_packages_globs(void **state)
{
	struct fx *fx = *state;
	const char *const only_bash[] = {"bash", NULL};
	const char *const none[] = {NULL};
	const char *const inner[] = {"headers-*", "*image", NULL};
	struct pb_index_stats st;
	struct got *g = malloc(sizeof(*g));
	char path[PATH_MAX];

	assert_non_null(g);
	pbt_write_file(fx->tmp, "Packages", packages_text, 0);
	pbt_path(path, sizeof(path), fx->tmp, "Packages");

	/* NULL: every name */
	parse_packages(path, NULL, g, &st);
	assert_int_equal(g->n, 5);
	assert_string_equal(g->rec[1], "bash|5.2.15-2+b2|amd64|pool/main/b/"
				       "bash/bash_5.2.15-2+b2_amd64.deb|"
				       "1491248|" SHA_C);
	expect_stats(&st, 10, 5, 5);

	parse_packages(path, only_bash, g, &st);
	assert_int_equal(g->n, 1);
	expect_stats(&st, 10, 1, 0);

	/* an empty list: no name */
	parse_packages(path, none, g, &st);
	expect_stats(&st, 10, 0, 0);

	/* a glob matches the whole name */
	parse_packages(path, inner, g, &st);
	expect_stats(&st, 10, 0, 0);
	free(g);
}

static void test_packages_stop(void **state)
{
	struct fx *fx = *state;
	struct pb_index_stats st;
	struct pb_err err = {0};
	struct got *g = calloc(1, sizeof(*g));
	char path[PATH_MAX];
	int ret;

	assert_non_null(g);
	pbt_write_file(fx->tmp, "Packages", packages_text, 0);
	pbt_path(path, sizeof(path), fx->tmp, "Packages");
	g->stop_at = 2;
	ret = pb_deb_packages_parse(path, kernel_globs, collect, g, &st, &err);
	assert_int_equal(ret, -ECANCELED);
	expect_error_naming(&err, ret, path);
	assert_non_null(strstr(err.msg, "linux-image-6.1.0-56-amd64"));
	assert_int_equal(g->n, 2);
	assert_int_equal(st.matched, 2);

	/* a missing file */
	pbt_path(path, sizeof(path), fx->tmp, "Packages.none");
	ret = pb_deb_packages_parse(path, NULL, collect, g, &st, &err);
	assert_int_equal(ret, -ENOENT);
	expect_error_naming(&err, ret, path);
	free(g);
}

static void test_packages_truncated(void **state)
{
	struct fx *fx = *state;
	struct pb_index_stats st;
	struct pb_err err = {0};
	struct got *g = calloc(1, sizeof(*g));
	const char *names[] = {"half.xz", "half.gz"};
	FILE *f;
	char path[PATH_MAX];

	assert_non_null(g);
	/* big enough for its half to hold whole stanzas */
	pbt_path(path, sizeof(path), fx->tmp, "Packages");
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 3000; i++)
		fprintf(f,
			"Package: linux-headers-%d\nVersion: %d\n"
			"Architecture: amd64\nFilename: pool/%d.deb\n"
			"Size: %d\nSHA256: %s\n\n",
			i, i, i * 7919, i, SHA_A);
	assert_int_equal(fclose(f), 0);
	sh("cd %s && xz -k Packages && gzip -k Packages", fx->tmp);
	cut_file(fx->tmp, "Packages.xz", "half.xz", 0);
	cut_file(fx->tmp, "Packages.gz", "half.gz", 0);
	for (size_t i = 0; i < PBT_N_OF(names); i++) {
		int ret;

		pbt_path(path, sizeof(path), fx->tmp, names[i]);
		memset(g, 0, sizeof(*g));
		ret = pb_deb_packages_parse(path, kernel_globs, collect, g, &st,
					    &err);
		assert_int_equal(ret, -EIO);
		expect_error_naming(&err, ret, path);
		assert_true(g->n < 3000);
	}
	free(g);
}

/* A file with a line of n bytes "<head>xxxx..." in a stanza, written in
 * pieces (the test holds no such line in memory either). */
static void write_long_line(const char *dir, const char *rel,
			    const char *before, const char *head, size_t n,
			    const char *after)
{
	char path[PATH_MAX], block[65536];
	FILE *f;
	size_t left;

	pbt_path(path, sizeof(path), dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(before, f);
	fputs(head, f);
	memset(block, 'x', sizeof(block));
	for (left = n - strlen(head); left;) {
		size_t k = left < sizeof(block) ? left : sizeof(block);

		assert_int_equal(fwrite(block, 1, k, f), k);
		left -= k;
	}
	fputs("\n", f);
	fputs(after, f);
	assert_int_equal(fclose(f), 0);
}

/* a kernel stanza in two halves, and another one */
#define STANZA_HEAD \
	"Package: linux-headers-1-amd64\nVersion: 1\nArchitecture: amd64\n"
#define STANZA_REST "Filename: pool/h.deb\nSize: 42\nSHA256: " SHA_A "\n\n"
#define STANZA_2                                                          \
	"Package: linux-image-1-amd64\nVersion: 1\nArchitecture: amd64\n" \
	"Filename: pool/i.deb\nSize: 43\nSHA256: " SHA_B "\n"

static long max_rss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

static void test_packages_long_lines(void **state)
{
	struct fx *fx = *state;
	struct pb_index_stats st;
	struct got *g = malloc(sizeof(*g));
	char path[PATH_MAX];
	long rss;

	assert_non_null(g);
	pbt_path(path, sizeof(path), fx->tmp, "Packages");

	/* a 1 MiB Description line: the stanza is fine */
	write_long_line(fx->tmp, "Packages", STANZA_HEAD,
			"Description: ", 1 << 20,
			" continued\n" STANZA_REST STANZA_2);
	parse_packages(path, kernel_globs, g, &st);
	expect_stats(&st, 2, 2, 0);
	assert_string_equal(g->rec[0], "linux-headers-1-amd64|1|amd64|"
				       "pool/h.deb|42|" SHA_A);
	assert_string_equal(g->rec[1], "linux-image-1-amd64|1|amd64|"
				       "pool/i.deb|43|" SHA_B);

	/* a 1 MiB continuation line */
	write_long_line(fx->tmp, "Packages", STANZA_HEAD "Description: x\n",
			" ", 1 << 20, STANZA_REST STANZA_2);
	parse_packages(path, kernel_globs, g, &st);
	expect_stats(&st, 2, 2, 0);

	/* a 1 MiB Filename: that stanza is unusable, the next one fine */
	write_long_line(fx->tmp, "Packages", STANZA_HEAD, "Filename: ", 1 << 20,
			"Size: 42\nSHA256: " SHA_A "\n\n" STANZA_2);
	parse_packages(path, kernel_globs, g, &st);
	expect_stats(&st, 2, 1, 1);
	assert_string_equal(g->rec[0], "linux-image-1-amd64|1|amd64|"
				       "pool/i.deb|43|" SHA_B);

	/* 1 MiB in a stanza not matched, then ours */
	write_long_line(fx->tmp, "Packages", "Package: bash\n",
			"Description: ", 1 << 20,
			"\n" STANZA_HEAD STANZA_REST STANZA_2);
	parse_packages(path, kernel_globs, g, &st);
	expect_stats(&st, 3, 2, 0);

	/* a 48 MiB line: memory does not follow it */
	write_long_line(fx->tmp, "Packages", STANZA_HEAD,
			"Description: ", 48 << 20, STANZA_REST STANZA_2);
	rss = max_rss_kib();
	parse_packages(path, kernel_globs, g, &st);
	expect_stats(&st, 2, 2, 0);
	if (max_rss_kib() - rss > 8 * 1024)
		fail_msg("peak RSS grew by %ld KiB", max_rss_kib() - rss);
	free(g);
}

static void test_packages_nul(void **state)
{
	struct fx *fx = *state;
	static const char text[] =
		"Package: linux-headers-1-amd64\nVersion: 1\n"
		"Architecture: amd64\nDescription: a \0 NUL\n \0\n"
		"Filename: pool/h.deb\nSize: 42\nSHA256: " SHA_A "\n\n"
		/* in a kept value: unusable */
		"Package: linux-headers-2-amd64\nVersion: 1\n"
		"Architecture: amd64\nFilename: pool/\0h.deb\nSize: 42\n"
		"SHA256: " SHA_A "\n\n"
		"Package: linux-headers-3\0-amd64\nVersion: 1\n"
		"Architecture: amd64\nFilename: pool/h.deb\nSize: 42\n"
		"SHA256: " SHA_A "\n\n"
		"\0\n\n"
		"Package: linux-headers-4-amd64\nVersion: 1\n"
		"Architecture: amd64\nFilename: pool/h4.deb\nSize: 42\n"
		"SHA256: " SHA_A "\n";
	struct pb_index_stats st;
	struct got *g = malloc(sizeof(*g));
	char path[PATH_MAX];

	assert_non_null(g);
	pbt_write(fx->tmp, "Packages", text, sizeof(text) - 1);
	pbt_path(path, sizeof(path), fx->tmp, "Packages");
	parse_packages(path, kernel_globs, g, &st);
	assert_int_equal(g->n, 2);
	assert_string_equal(g->rec[0], "linux-headers-1-amd64|1|amd64|"
				       "pool/h.deb|42|" SHA_A);
	assert_string_equal(g->rec[1], "linux-headers-4-amd64|1|amd64|"
				       "pool/h4.deb|42|" SHA_A);
	/* the stanza of a lone "\0" line counts too */
	expect_stats(&st, 5, 2, 2);
	free(g);
}

/* "Package:" at the start of a line, counted in the whole text */
static size_t count_packages(const char *path)
{
	struct pb_err err = {0};
	struct pb_decomp *d;
	size_t cap = 1 << 20, len = 0, n = 0;
	char *text = malloc(cap);
	long k;

	assert_non_null(text);
	if (pb_decomp_open(path, &d, &err))
		fail_msg("%s", err.msg);
	for (;;) {
		if (cap - len < 65536) {
			cap *= 2;
			text = realloc(text, cap);
			assert_non_null(text);
		}
		k = pb_decomp_read(d, text + len, cap - len - 1, &err);
		if (k < 0)
			fail_msg("%s", err.msg);
		if (k == 0)
			break;
		len += (size_t)k;
	}
	pb_decomp_close(d);
	text[len] = '\0';
	for (const char *p = text; (p = strstr(p, "Package:")); p++)
		if (p == text || p[-1] == '\n')
			n++;
	free(text);
	return n;
}

/* the real Packages lists of this machine, if any (apt keeps them lz4) */
static void test_packages_real(void **state)
{
	glob_t gl;
	int tried = 0;

	(void)state;
	if (glob("/var/lib/apt/lists/*_Packages*", 0, NULL, &gl) != 0)
		skip();
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		const char *path = gl.gl_pathv[i];
		struct pb_index_stats st;
		struct pb_err err = {0};
		struct got *g;
		size_t want;

		/* the small ones: the big one is for the benchmark */
		if (file_size(path) > 4 << 20)
			continue;
		want = count_packages(path);
		g = calloc(1, sizeof(*g));
		assert_non_null(g);
		if (pb_deb_packages_parse(path, NULL, collect, g, &st, &err))
			fail_msg("%s", err.msg);
		assert_int_equal(st.records, want);
		assert_int_equal(st.matched, want);
		assert_int_equal(st.skipped, 0);
		free(g);
		tried++;
	}
	globfree(&gl);
	if (!tried)
		skip();
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, pbt_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_decomp_formats),
		FX(test_decomp_truncated),
		FX(test_decomp_empty_missing),
		cmocka_unit_test(test_release_real),
		cmocka_unit_test(test_release_synthetic),
		cmocka_unit_test(test_release_errors),
		cmocka_unit_test(test_release_dates_and_flags),
		FX(test_packages_forms),
		FX(test_packages_globs),
		FX(test_packages_stop),
		FX(test_packages_truncated),
		FX(test_packages_long_lines),
		FX(test_packages_nul),
		cmocka_unit_test(test_packages_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

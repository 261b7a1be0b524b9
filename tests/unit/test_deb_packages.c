/* APT Packages indexes (repo/deb_packages.c) streamed in plain, .gz and
 * .xz forms with the oddities real files and hostile ones have. */
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

struct fx {
	char tmp[PBT_TMP_MAX]; /* first: pbt_fx_new makes it */
};
_Static_assert(offsetof(struct fx, tmp) == 0, "pbt_fx_new makes tmp");

static int fx_setup(void **state)
{
	*state = pbt_fx_new(sizeof(struct fx), "deb-packages");
	return *state ? 0 : -1;
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
	" SHA256: " PBT_SHA_B "\n"
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
	"SHA256: " PBT_SHA_C "\n"
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
	"SHA256: " PBT_SHA_B "\r\n"
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
	"sha256: " PBT_SHA_C "\n"
	"\n"
	/* a kept field continued: skipped */
	"Package: linux-headers-6.1.0-57-amd64\n"
	"Version: 6.1.193-1\n"
	"Architecture: amd64\n"
	"Filename: pool/a.deb\n"
	" pool/b.deb\n"
	"Size: 1\n"
	"SHA256: " PBT_SHA_A "\n"
	"\n"
	/* a size that is not one: skipped */
	"Package: linux-headers-6.1.0-58-amd64\n"
	"Version: 6.1.194-1\n"
	"Architecture: amd64\n"
	"Filename: pool/c.deb\n"
	"Size: 12x\n"
	"SHA256: " PBT_SHA_A "\n"
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
	"SHA256: " PBT_SHA_A "\n"
	"\n"
	/* a line that is no field, ignored */
	"Package: linux-image-6.1.0-57-amd64\n"
	"this line has no colon\n"
	"Version: 6.1.193-1\n"
	"Architecture: amd64\n"
	"Filename: pool/g.deb\n"
	"Size: 0\n"
	/* the last stanza, without a new line at its end */
	"SHA256: " PBT_SHA_C;

static const char *const kernel_globs[] = {
	"linux-headers-*",
	"linux-image-[0-9]*",
	"linux-kbuild-*",
	NULL,
};

static const char *const want_kernels[] = {
	"linux-headers-6.1.0-56-amd64|6.1.192-2|amd64|pool/main/l/linux/"
	"linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb|1655296|" PBT_SHA_A,
	"linux-image-6.1.0-56-amd64|6.1.192-2|amd64|pool/main/l/linux/"
	"linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb|68745720|" PBT_SHA_B,
	"linux-kbuild-6.1|6.1.192-2|amd64|pool/main/l/linux/"
	"linux-kbuild-6.1_6.1.192-2_amd64.deb|1207720|" PBT_SHA_C,
	("linux-image-6.1.0-57-amd64|6.1.193-1|amd64|pool/g.deb|0|" PBT_SHA_C),
};

static void parse_packages(const char *path, const char *const *globs,
			   struct pbt_got *g, struct pb_index_stats *st)
{
	struct pb_err err = {0};

	memset(g, 0, sizeof(*g));
	if (pb_deb_packages_parse(path, globs, pbt_collect, g, st, &err))
		fail_msg("%s", err.msg);
}

static void test_packages_forms(void **state)
{
	struct fx *fx = *state;
	const char *names[] = {"Packages", "Packages.gz", "Packages.xz",
			       "Packages.zst"};
	struct pb_index_stats st;
	struct pbt_got *g = malloc(sizeof(*g));
	char path[PATH_MAX];

	assert_non_null(g);
	pbt_write_file(fx->tmp, "Packages", packages_text, 0);
	pbt_sh("cd %s && gzip -k Packages && xz -k Packages", fx->tmp);
	if (pbt_have_tool("zstd"))
		pbt_sh("cd %s && zstd -q -k Packages", fx->tmp);
	for (size_t i = 0; i < PBT_N_OF(names); i++) {
		pbt_path(path, sizeof(path), fx->tmp, names[i]);
		if (access(path, F_OK) != 0)
			continue;
		parse_packages(path, kernel_globs, g, &st);
		pbt_expect_recs(g, want_kernels, PBT_N_OF(want_kernels));
		/* 10 stanzas: bash not matched, 5 matched but unusable */
		pbt_expect_stats(&st, 10, 4, 5);
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
	struct pbt_got *g = malloc(sizeof(*g));
	char path[PATH_MAX];

	assert_non_null(g);
	pbt_write_file(fx->tmp, "Packages", packages_text, 0);
	pbt_path(path, sizeof(path), fx->tmp, "Packages");

	/* NULL: every name */
	parse_packages(path, NULL, g, &st);
	assert_int_equal(g->n, 5);
	assert_string_equal(g->rec[1], "bash|5.2.15-2+b2|amd64|pool/main/b/"
				       "bash/bash_5.2.15-2+b2_amd64.deb|"
				       "1491248|" PBT_SHA_C);
	pbt_expect_stats(&st, 10, 5, 5);

	parse_packages(path, only_bash, g, &st);
	assert_int_equal(g->n, 1);
	pbt_expect_stats(&st, 10, 1, 0);

	/* an empty list: no name */
	parse_packages(path, none, g, &st);
	pbt_expect_stats(&st, 10, 0, 0);

	/* a glob matches the whole name */
	parse_packages(path, inner, g, &st);
	pbt_expect_stats(&st, 10, 0, 0);
	free(g);
}

static void test_packages_stop(void **state)
{
	struct fx *fx = *state;
	struct pb_index_stats st;
	struct pb_err err = {0};
	struct pbt_got *g = calloc(1, sizeof(*g));
	char path[PATH_MAX];
	int ret;

	assert_non_null(g);
	pbt_write_file(fx->tmp, "Packages", packages_text, 0);
	pbt_path(path, sizeof(path), fx->tmp, "Packages");
	g->stop_at = 2;
	ret = pb_deb_packages_parse(path, kernel_globs, pbt_collect, g, &st,
				    &err);
	assert_int_equal(ret, -ECANCELED);
	pbt_expect_error_naming(&err, ret, path);
	assert_non_null(strstr(err.msg, "linux-image-6.1.0-56-amd64"));
	assert_int_equal(g->n, 2);
	assert_int_equal(st.matched, 2);

	/* a missing file */
	pbt_path(path, sizeof(path), fx->tmp, "Packages.none");
	ret = pb_deb_packages_parse(path, NULL, pbt_collect, g, &st, &err);
	assert_int_equal(ret, -ENOENT);
	pbt_expect_error_naming(&err, ret, path);
	free(g);
}

static void test_packages_truncated(void **state)
{
	struct fx *fx = *state;
	struct pb_index_stats st;
	struct pb_err err = {0};
	struct pbt_got *g = calloc(1, sizeof(*g));
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
			i, i, i * 7919, i, PBT_SHA_A);
	assert_int_equal(fclose(f), 0);
	pbt_sh("cd %s && xz -k Packages && gzip -k Packages", fx->tmp);
	pbt_cut_file(fx->tmp, "Packages.xz", "half.xz", 0);
	pbt_cut_file(fx->tmp, "Packages.gz", "half.gz", 0);
	for (size_t i = 0; i < PBT_N_OF(names); i++) {
		int ret;

		pbt_path(path, sizeof(path), fx->tmp, names[i]);
		memset(g, 0, sizeof(*g));
		ret = pb_deb_packages_parse(path, kernel_globs, pbt_collect, g,
					    &st, &err);
		assert_int_equal(ret, -EIO);
		pbt_expect_error_naming(&err, ret, path);
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
#define STANZA_REST "Filename: pool/h.deb\nSize: 42\nSHA256: " PBT_SHA_A "\n\n"
#define STANZA_2                                                          \
	"Package: linux-image-1-amd64\nVersion: 1\nArchitecture: amd64\n" \
	"Filename: pool/i.deb\nSize: 43\nSHA256: " PBT_SHA_B "\n"

static void test_packages_long_lines(void **state)
{
	struct fx *fx = *state;
	struct pb_index_stats st;
	struct pbt_got *g = malloc(sizeof(*g));
	char path[PATH_MAX];
	long rss;

	assert_non_null(g);
	pbt_path(path, sizeof(path), fx->tmp, "Packages");

	/* a 1 MiB Description line: the stanza is fine */
	write_long_line(fx->tmp, "Packages", STANZA_HEAD,
			"Description: ", 1 << 20,
			" continued\n" STANZA_REST STANZA_2);
	parse_packages(path, kernel_globs, g, &st);
	pbt_expect_stats(&st, 2, 2, 0);
	assert_string_equal(g->rec[0], "linux-headers-1-amd64|1|amd64|"
				       "pool/h.deb|42|" PBT_SHA_A);
	assert_string_equal(g->rec[1], "linux-image-1-amd64|1|amd64|"
				       "pool/i.deb|43|" PBT_SHA_B);

	/* a 1 MiB continuation line */
	write_long_line(fx->tmp, "Packages", STANZA_HEAD "Description: x\n",
			" ", 1 << 20, STANZA_REST STANZA_2);
	parse_packages(path, kernel_globs, g, &st);
	pbt_expect_stats(&st, 2, 2, 0);

	/* a 1 MiB Filename: that stanza is unusable, the next one fine */
	write_long_line(fx->tmp, "Packages", STANZA_HEAD, "Filename: ", 1 << 20,
			"Size: 42\nSHA256: " PBT_SHA_A "\n\n" STANZA_2);
	parse_packages(path, kernel_globs, g, &st);
	pbt_expect_stats(&st, 2, 1, 1);
	assert_string_equal(g->rec[0], "linux-image-1-amd64|1|amd64|"
				       "pool/i.deb|43|" PBT_SHA_B);

	/* 1 MiB in a stanza not matched, then ours */
	write_long_line(fx->tmp, "Packages", "Package: bash\n",
			"Description: ", 1 << 20,
			"\n" STANZA_HEAD STANZA_REST STANZA_2);
	parse_packages(path, kernel_globs, g, &st);
	pbt_expect_stats(&st, 3, 2, 0);

	/* a 48 MiB line: memory does not follow it */
	write_long_line(fx->tmp, "Packages", STANZA_HEAD,
			"Description: ", 48 << 20, STANZA_REST STANZA_2);
	rss = pbt_max_rss_kib();
	parse_packages(path, kernel_globs, g, &st);
	pbt_expect_stats(&st, 2, 2, 0);
	if (pbt_max_rss_kib() - rss > 8 * 1024)
		fail_msg("peak RSS grew by %ld KiB", pbt_max_rss_kib() - rss);
	free(g);
}

static void test_packages_nul(void **state)
{
	struct fx *fx = *state;
	static const char text[] =
		"Package: linux-headers-1-amd64\nVersion: 1\n"
		"Architecture: amd64\nDescription: a \0 NUL\n \0\n"
		"Filename: pool/h.deb\nSize: 42\nSHA256: " PBT_SHA_A "\n\n"
		/* in a kept value: unusable */
		"Package: linux-headers-2-amd64\nVersion: 1\n"
		"Architecture: amd64\nFilename: pool/\0h.deb\nSize: 42\n"
		"SHA256: " PBT_SHA_A "\n\n"
		"Package: linux-headers-3\0-amd64\nVersion: 1\n"
		"Architecture: amd64\nFilename: pool/h.deb\nSize: 42\n"
		"SHA256: " PBT_SHA_A "\n\n"
		"\0\n\n"
		"Package: linux-headers-4-amd64\nVersion: 1\n"
		"Architecture: amd64\nFilename: pool/h4.deb\nSize: 42\n"
		"SHA256: " PBT_SHA_A "\n";
	struct pb_index_stats st;
	struct pbt_got *g = malloc(sizeof(*g));
	char path[PATH_MAX];

	assert_non_null(g);
	pbt_write(fx->tmp, "Packages", text, sizeof(text) - 1);
	pbt_path(path, sizeof(path), fx->tmp, "Packages");
	parse_packages(path, kernel_globs, g, &st);
	assert_int_equal(g->n, 2);
	assert_string_equal(g->rec[0], "linux-headers-1-amd64|1|amd64|"
				       "pool/h.deb|42|" PBT_SHA_A);
	assert_string_equal(g->rec[1], "linux-headers-4-amd64|1|amd64|"
				       "pool/h4.deb|42|" PBT_SHA_A);
	/* the stanza of a lone "\0" line counts too */
	pbt_expect_stats(&st, 5, 2, 2);
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
		struct pbt_got *g;
		size_t want;

		/* the small ones: the big one is for the benchmark */
		if (pbt_file_size(path) > 4 << 20)
			continue;
		want = count_packages(path);
		g = calloc(1, sizeof(*g));
		assert_non_null(g);
		if (pb_deb_packages_parse(path, NULL, pbt_collect, g, &st,
					  &err))
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

/* RPM primary.xml (repo/rpm_primary.c), plain and compressed: its
 * oddities (epochs, xml:base, non-rpm packages, fields missing), broken
 * and cut documents, and hostile ones: external entities (a file, a
 * loopback listener that must see no connection), an expansion bomb, any
 * DOCTYPE, text too long. */
#include "config.h"

#include <errno.h>
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

/* the parse fails with code, and the message names the file and holds
 * what */
static void expect_primary_error(const char *dir, const char *name, int code,
				 const char *what)
{
	struct pb_index_stats st;
	struct pb_err err = {0};
	struct pbt_got *g = calloc(1, sizeof(*g));
	char path[PATH_MAX];
	int ret;

	assert_non_null(g);
	pbt_path(path, sizeof(path), dir, name);
	ret = pb_rpm_primary_parse(path, NULL, pbt_collect_base, g, &st, &err);
	if (ret != code)
		fail_msg("%s: %d (%s), expected %d", name, ret, err.msg, code);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, path))
		fail_msg("the message does not name %s: %s", path, err.msg);
	if (what && !strstr(err.msg, what))
		fail_msg("the message lacks '%s': %s", what, err.msg);
	free(g);
}

#define XML_HEAD                                                     \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"               \
	"<metadata xmlns=\"http://linux.duke.edu/metadata/common\" " \
	"xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"9\">\n"

/* ------------------------------------------------------------ primary */

static const char primary_text[] = XML_HEAD
	/* a plain one, with a <format> holding look-alike elements */
	"<package type=\"rpm\">\n"
	"  <name>kernel-devel</name>\n"
	"  <arch>x86_64</arch>\n"
	"  <version epoch=\"0\" ver=\"5.14.0\" rel=\"362.8.1.el9_3\"/>\n"
	"  <checksum type=\"sha256\" pkgid=\"YES\">" PBT_SHA_A "</checksum>\n"
	"  <summary>Development package for building kernel modules</summary>\n"
	"  <description>Kernel headers &amp; makefiles sufficient to build\n"
	"modules against the kernel package.</description>\n"
	"  <packager>Rocky Linux Build System</packager>\n"
	"  <url>https://www.kernel.org/</url>\n"
	"  <time file=\"1700000000\" build=\"1699999999\"/>\n"
	"  <size package=\"20000000\" installed=\"70000000\" "
	"archive=\"71000000\"/>\n"
	"  <location href=\"Packages/k/"
	"kernel-devel-5.14.0-362.8.1.el9_3.x86_64.rpm\"/>\n"
	"  <format>\n"
	"    <rpm:license>GPLv2</rpm:license>\n"
	"    <rpm:provides>\n"
	"      <rpm:entry name=\"kernel-devel\" flags=\"EQ\" epoch=\"0\" "
	"ver=\"5.14.0\" rel=\"362.8.1.el9_3\"/>\n"
	"    </rpm:provides>\n"
	"    <name>not-this-one</name>\n"
	"    <location href=\"nor/this.rpm\"/>\n"
	"    <file>/usr/src/kernels</file>\n"
	"  </format>\n"
	"</package>\n"
	/* an epoch, xml:base, fields in another order, CDATA, blanks */
	"<package type=\"rpm\">\n"
	"  <location xml:base=\"https://mirror.example.org/fedora/\" "
	"href=\"Packages/k/kernel-core-6.5.6-300.fc39.x86_64.rpm\"/>\n"
	"  <checksum type=\"sha256\" pkgid=\"YES\">\n    " PBT_SHA_B_UPPER
	"\n  </checksum>\n"
	"  <name> <![CDATA[kernel-core]]> </name>\n"
	"  <size package=\"68745720\"/>\n"
	"  <arch>x86_64</arch>\n"
	"  <version epoch=\"2\" ver=\"6.5.6\" rel=\"300.fc39\"/>\n"
	"</package>\n"
	/* not an rpm: ignored */
	"<package type=\"src\">\n"
	"  <name>kernel-devel</name><arch>src</arch>\n"
	"  <version epoch=\"0\" ver=\"5.14.0\" rel=\"1\"/>\n"
	"  <checksum type=\"sha256\">" PBT_SHA_C "</checksum>\n"
	"  <size package=\"1\"/><location href=\"SRPMS/kernel.src.rpm\"/>\n"
	"</package>\n"
	/* not a name wanted */
	"<package type=\"rpm\">\n"
	"  <name>bash</name><arch>x86_64</arch>\n"
	"  <version epoch=\"0\" ver=\"5.2.15\" rel=\"5.fc39\"/>\n"
	"  <checksum type=\"sha256\">" PBT_SHA_C "</checksum>\n"
	"  <size package=\"1\"/><location href=\"Packages/b/bash.rpm\"/>\n"
	"</package>\n"
	/* a SHA-1 only: unusable */
	"<package type=\"rpm\">\n"
	"  <name>kernel-headers</name><arch>x86_64</arch>\n"
	"  <version epoch=\"0\" ver=\"5.14.0\" rel=\"1\"/>\n"
	"  <checksum type=\"sha\">0123456789012345678901234567890123456789"
	"</checksum>\n"
	"  <size package=\"1\"/><location href=\"Packages/k/h.rpm\"/>\n"
	"</package>\n"
	/* no location: unusable */
	"<package type=\"rpm\">\n"
	"  <name>kernel-modules</name><arch>x86_64</arch>\n"
	"  <version epoch=\"0\" ver=\"5.14.0\" rel=\"1\"/>\n"
	"  <checksum type=\"sha256\">" PBT_SHA_C "</checksum>\n"
	"  <size package=\"1\"/>\n"
	"</package>\n"
	/* no epoch at all, an entity in href */
	"<package type=\"rpm\">\n"
	"  <name>kernel-tools</name><arch>aarch64</arch>\n"
	"  <version ver=\"6.5.6\" rel=\"300.fc39\"/>\n"
	"  <checksum type=\"sha256\">" PBT_SHA_C "</checksum>\n"
	"  <size package=\"0\"/>"
	"<location href=\"Packages/k/a&amp;b&#x2B;.rpm\"/>\n"
	"</package>\n"
	/* a size that is not one: unusable */
	"<package type=\"rpm\">\n"
	"  <name>kernel-rt-devel</name><arch>x86_64</arch>\n"
	"  <version epoch=\"0\" ver=\"5.14.0\" rel=\"1\"/>\n"
	"  <checksum type=\"sha256\">" PBT_SHA_C "</checksum>\n"
	"  <size package=\"-1\"/><location href=\"Packages/k/rt.rpm\"/>\n"
	"</package>\n"
	/* a name given twice: unusable */
	"<package type=\"rpm\">\n"
	"  <name>kernel-devel</name><name>kernel-rt</name><arch>x86_64</arch>\n"
	"  <version epoch=\"0\" ver=\"5.14.0\" rel=\"1\"/>\n"
	"  <checksum type=\"sha256\">" PBT_SHA_C "</checksum>\n"
	"  <size package=\"1\"/><location href=\"Packages/k/rt.rpm\"/>\n"
	"</package>\n"
	"</metadata>\n";

static const char *const kernel_globs[] = {"kernel-*", NULL};

static const char *const want_kernels[] = {
	"kernel-devel|5.14.0-362.8.1.el9_3|x86_64|Packages/k/"
	"kernel-devel-5.14.0-362.8.1.el9_3.x86_64.rpm|-|20000000|" PBT_SHA_A,
	"kernel-core|2:6.5.6-300.fc39|x86_64|Packages/k/"
	"kernel-core-6.5.6-300.fc39.x86_64.rpm|"
	"https://mirror.example.org/fedora/|68745720|" PBT_SHA_B,
	("kernel-tools|6.5.6-300.fc39|aarch64|Packages/k/"
	 "a&b+.rpm|-|0|" PBT_SHA_C),
};

static void parse_primary(const char *path, const char *const *globs,
			  struct pbt_got *g, struct pb_index_stats *st)
{
	struct pb_err err = {0};

	memset(g, 0, sizeof(*g));
	if (pb_rpm_primary_parse(path, globs, pbt_collect_base, g, st, &err))
		fail_msg("%s", err.msg);
}

static void test_primary(void **state)
{
	struct pbt_net_fx *fx = *state;
	const char *names[] = {"primary.xml", "primary.xml.gz",
			       "primary.xml.xz", "primary.xml.zst"};
	struct pb_index_stats st;
	struct pbt_got *g = malloc(sizeof(*g));
	char path[PATH_MAX];

	assert_non_null(g);
	pbt_write_file(fx->tmp, "primary.xml", primary_text, 0);
	pbt_sh("cd %s && gzip -k primary.xml && xz -k primary.xml && "
	       "{ ! command -v zstd >/dev/null || zstd -q -k primary.xml; }",
	       fx->tmp);
	for (size_t i = 0; i < PBT_N_OF(names); i++) {
		pbt_path(path, sizeof(path), fx->tmp, names[i]);
		if (access(path, F_OK) != 0)
			continue;
		parse_primary(path, kernel_globs, g, &st);
		pbt_expect_recs(g, want_kernels, PBT_N_OF(want_kernels));
		/* 9 packages: src and bash not matched, 4 unusable */
		pbt_expect_stats(&st, 9, 3, 4);
	}

	/* every name */
	pbt_path(path, sizeof(path), fx->tmp, "primary.xml.gz");
	parse_primary(path, NULL, g, &st);
	pbt_expect_stats(&st, 9, 4, 4);
	assert_string_equal(g->rec[2], "bash|5.2.15-5.fc39|x86_64|Packages/b/"
				       "bash.rpm|-|1|" PBT_SHA_C);
	/* whole names only */
	{
		const char *const some[] = {"kernel", "kernel-core", NULL};

		parse_primary(path, some, g, &st);
		pbt_expect_stats(&st, 9, 1, 0);
		assert_string_equal(g->rec[0], want_kernels[1]);
	}
	free(g);
}

static void test_primary_stop(void **state)
{
	struct pbt_net_fx *fx = *state;
	struct pb_index_stats st;
	struct pb_err err = {0};
	struct pbt_got *g = calloc(1, sizeof(*g));
	char path[PATH_MAX];
	int ret;

	assert_non_null(g);
	pbt_write_file(fx->tmp, "primary.xml", primary_text, 0);
	pbt_path(path, sizeof(path), fx->tmp, "primary.xml");
	g->stop_at = 2;
	ret = pb_rpm_primary_parse(path, kernel_globs, pbt_collect_base, g, &st,
				   &err);
	assert_int_equal(ret, -ECANCELED);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "kernel-core"));
	assert_int_equal(g->n, 2);

	pbt_path(path, sizeof(path), fx->tmp, "none.xml.gz");
	ret = pb_rpm_primary_parse(path, kernel_globs, pbt_collect_base, g, &st,
				   &err);
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(err.msg, path));
	free(g);
}

static void test_primary_broken(void **state)
{
	struct pbt_net_fx *fx = *state;
	char *big;
	size_t len;

	/* a tag never closed */
	pbt_write_file(fx->tmp, "unclosed.xml",
		       XML_HEAD "<package type=\"rpm\">\n"
				"  <name>kernel-core</name>\n"
				"  <arch>x86_64\n"
				"</package>\n"
				"</metadata>\n",
		       0);
	expect_primary_error(fx->tmp, "unclosed.xml", -EINVAL, "line 6");
	/* cut short */
	pbt_write_file(fx->tmp, "cut.xml",
		       XML_HEAD "<package type=\"rpm\">\n"
				"  <name>kernel-core</name>\n",
		       0);
	expect_primary_error(fx->tmp, "cut.xml", -EINVAL,
			     "line 4: the "
			     "document is cut");
	/* not XML, empty, an undeclared entity */
	pbt_write_file(fx->tmp, "text.xml", "Package: bash\n", 0);
	expect_primary_error(fx->tmp, "text.xml", -EINVAL, "line 1");
	pbt_write_file(fx->tmp, "empty.xml", "", 0);
	expect_primary_error(fx->tmp, "empty.xml", -EINVAL, "no XML");
	pbt_write_file(fx->tmp, "undeclared.xml",
		       XML_HEAD "<package type=\"rpm\"><name>&x;</name>"
				"</package></metadata>\n",
		       0);
	expect_primary_error(fx->tmp, "undeclared.xml", -EINVAL, "line 3");

	/* a big document cut in half, plain and compressed */
	len = strlen(primary_text) * 200;
	big = malloc(len + 1);
	assert_non_null(big);
	strcpy(big, XML_HEAD);
	for (int i = 0; i < 200; i++)
		strcat(big, primary_text + strlen(XML_HEAD));
	/* one document: drop the inner ends of <metadata> */
	for (char *p; (p = strstr(big, "</metadata>\n<package"));)
		memset(p, ' ', strlen("</metadata>\n"));
	pbt_write_file(fx->tmp, "big.xml", big, 0);
	free(big);
	pbt_sh("cd %s && gzip -k big.xml && xz -k big.xml && "
	       "head -c $(($(stat -c %%s big.xml) / 2)) big.xml > half.xml && "
	       "head -c $(($(stat -c %%s big.xml.gz) / 2)) big.xml.gz > "
	       "half.gz && "
	       "head -c $(($(stat -c %%s big.xml.xz) / 2)) big.xml.xz > "
	       "half.xz",
	       fx->tmp);
	expect_primary_error(fx->tmp, "half.xml", -EINVAL, "line ");
	expect_primary_error(fx->tmp, "half.gz", -EIO, "truncated");
	expect_primary_error(fx->tmp, "half.xz", -EIO, NULL);
	/* and the whole one is fine */
	{
		struct pb_index_stats st;
		struct pbt_got *g = malloc(sizeof(*g));
		char path[PATH_MAX];

		assert_non_null(g);
		pbt_path(path, sizeof(path), fx->tmp, "big.xml.xz");
		parse_primary(path, kernel_globs, g, &st);
		pbt_expect_stats(&st, 1800, 600, 800);
		free(g);
	}
}

static void test_primary_xxe_file(void **state)
{
	struct pbt_net_fx *fx = *state;

	/* the entity used where a value is kept */
	pbt_write_file(
		fx->tmp, "xxe.xml",
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE metadata [\n"
		"  <!ENTITY x SYSTEM \"file:///etc/passwd\">\n"
		"]>\n"
		"<metadata xmlns=\"http://linux.duke.edu/metadata/"
		"common\">\n"
		"<package type=\"rpm\"><name>&x;</name><arch>x</arch>"
		"<version ver=\"1\" rel=\"1\"/><checksum type=\"sha256\">"
		"&x;</checksum><size package=\"1\"/>"
		"<location href=\"a.rpm\"/></package></metadata>\n",
		0);
	expect_primary_error(fx->tmp, "xxe.xml", -EPERM,
			     "refused: DOCTYPE/entity in");
	pbt_sh("cd %s && gzip -k xxe.xml", fx->tmp);
	expect_primary_error(fx->tmp, "xxe.xml.gz", -EPERM,
			     "refused: DOCTYPE/entity in");
}

static void test_primary_xxe_http(void **state)
{
	struct pbt_net_fx *fx = *state;
	char doc[2048];

	/* a general entity, a parameter entity used in the subset, an
	 * external DTD: all on a listener that must see nobody */
	snprintf(doc, sizeof(doc),
		 "<?xml version=\"1.0\"?>\n"
		 "<!DOCTYPE metadata SYSTEM \"http://127.0.0.1:%d/ext.dtd\" [\n"
		 "  <!ENTITY %% p SYSTEM \"http://127.0.0.1:%d/p.dtd\">\n"
		 "  %%p;\n"
		 "  <!ENTITY x SYSTEM \"http://127.0.0.1:%d/x\">\n"
		 "]>\n"
		 "<metadata><package type=\"rpm\"><name>&x;</name></package>"
		 "</metadata>\n",
		 fx->net.port, fx->net.port, fx->net.port);
	pbt_write_file(fx->tmp, "xxe.xml", doc, 0);
	expect_primary_error(fx->tmp, "xxe.xml", -EPERM,
			     "refused: DOCTYPE/entity in");
	pbt_expect_no_connection(&fx->net);

	/* an external DTD alone */
	snprintf(doc, sizeof(doc),
		 "<?xml version=\"1.0\"?>\n"
		 "<!DOCTYPE metadata PUBLIC \"-//x//y\" "
		 "\"http://127.0.0.1:%d/ext.dtd\">\n"
		 "<metadata/>\n",
		 fx->net.port);
	pbt_write_file(fx->tmp, "dtd.xml", doc, 0);
	expect_primary_error(fx->tmp, "dtd.xml", -EPERM,
			     "refused: DOCTYPE/entity in");
	pbt_expect_no_connection(&fx->net);
}

static void test_primary_bomb(void **state)
{
	struct pbt_net_fx *fx = *state;
	char doc[4096];
	size_t o;
	struct timespec t0, t1;
	double secs;

	/* ten levels of ten: 10^10 "lol"s if expanded */
	o = (size_t)snprintf(doc, sizeof(doc),
			     "<?xml version=\"1.0\"?>\n<!DOCTYPE metadata [\n"
			     "  <!ENTITY lol0 \"lol\">\n");
	for (int i = 1; i <= 10; i++) {
		o += (size_t)snprintf(doc + o, sizeof(doc) - o,
				      "  <!ENTITY lol%d \"", i);
		for (int j = 0; j < 10; j++)
			o += (size_t)snprintf(doc + o, sizeof(doc) - o,
					      "&lol%d;", i - 1);
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "\">\n");
	}
	snprintf(doc + o, sizeof(doc) - o,
		 "]>\n<metadata><package type=\"rpm\"><name>&lol10;</name>"
		 "</package></metadata>\n");
	pbt_write_file(fx->tmp, "bomb.xml", doc, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_primary_error(fx->tmp, "bomb.xml", -EPERM,
			     "refused: DOCTYPE/entity in");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs > 1.0)
		fail_msg("the bomb took %.2f s to refuse", secs);

	/* a DOCTYPE with nothing in it is refused too */
	pbt_write_file(fx->tmp, "doctype.xml",
		       "<?xml version=\"1.0\"?>\n<!DOCTYPE metadata>\n"
		       "<metadata/>\n",
		       0);
	expect_primary_error(fx->tmp, "doctype.xml", -EPERM,
			     "refused: DOCTYPE/entity in");
}

/* one package with a text of n bytes in element elem */
static void write_big_package(const char *dir, const char *rel,
			      const char *elem, size_t n)
{
	char path[PATH_MAX], block[65536];
	FILE *f;

	pbt_path(path, sizeof(path), dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(XML_HEAD "<package type=\"rpm\">\n"
		       "<arch>x86_64</arch>"
		       "<version epoch=\"0\" ver=\"1\" rel=\"1\"/>"
		       "<checksum type=\"sha256\">" PBT_SHA_A "</checksum>"
		       "<size package=\"5\"/><location href=\"a.rpm\"/>\n",
	      f);
	if (strcmp(elem, "name") != 0)
		fputs("<name>kernel-core</name>", f);
	fprintf(f, "<%s>", elem);
	memset(block, 'x', sizeof(block));
	for (size_t left = n; left;) {
		size_t k = left < sizeof(block) ? left : sizeof(block);

		assert_int_equal(fwrite(block, 1, k, f), k);
		left -= k;
	}
	fprintf(f, "</%s>\n</package>\n</metadata>\n", elem);
	assert_int_equal(fclose(f), 0);
}

static void test_primary_long_text(void **state)
{
	struct pbt_net_fx *fx = *state;
	struct pb_index_stats st;
	struct pbt_got *g = malloc(sizeof(*g));
	char path[PATH_MAX];
	long rss;

	assert_non_null(g);
	pbt_path(path, sizeof(path), fx->tmp, "primary.xml");
	/* 1 MiB of description: not kept, no harm */
	write_big_package(fx->tmp, "primary.xml", "description", 1 << 20);
	parse_primary(path, kernel_globs, g, &st);
	pbt_expect_stats(&st, 1, 1, 0);
	assert_string_equal(g->rec[0],
			    "kernel-core|1-1|x86_64|a.rpm|-|5|" PBT_SHA_A);

	/* 1 MiB of name: kept fields have a limit, the package is
	 * unusable */
	write_big_package(fx->tmp, "primary.xml", "name", 1 << 20);
	parse_primary(path, NULL, g, &st);
	pbt_expect_stats(&st, 1, 0, 1);

	/* 48 MiB of description: memory does not follow it */
	write_big_package(fx->tmp, "primary.xml", "description", 48 << 20);
	rss = pbt_max_rss_kib();
	parse_primary(path, kernel_globs, g, &st);
	pbt_expect_stats(&st, 1, 1, 0);
	if (pbt_max_rss_kib() - rss > 8 * 1024)
		fail_msg("peak RSS grew by %ld KiB", pbt_max_rss_kib() - rss);
	free(g);
}

#define FX(t)                                                \
	cmocka_unit_test_setup_teardown(t, pbt_net_fx_setup, \
					pbt_net_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_primary),	    FX(test_primary_stop),
		FX(test_primary_broken),    FX(test_primary_xxe_file),
		FX(test_primary_xxe_http),  FX(test_primary_bomb),
		FX(test_primary_long_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

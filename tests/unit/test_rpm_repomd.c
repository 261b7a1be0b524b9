/* RPM repomd.xml (repo/rpm_repomd.c): where the primary index is, with
 * its size and checksum, and the documents refused: fields missing or
 * wrong, cut short, and external entities (a file, a loopback listener
 * that must see no connection) or an expansion bomb. */
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

/* ------------------------------------------------------------- repomd */

static const char repomd_text[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" "
	"xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
	"  <revision>1700000000</revision>\n"
	"  <data type=\"filelists\">\n"
	"    <checksum type=\"sha256\">" PBT_SHA_C "</checksum>\n"
	"    <location href=\"repodata/" PBT_SHA_C "-filelists.xml.gz\"/>\n"
	"    <size>999</size>\n"
	"  </data>\n"
	"  <data type=\"primary\">\n"
	"    <checksum type=\"sha256\">\n      " PBT_SHA_B_UPPER
	"\n    </checksum>\n"
	"    <open-checksum type=\"sha256\">" PBT_SHA_C "</open-checksum>\n"
	"    <location href=\"repodata/" PBT_SHA_B
	"-primary.xml.gz?a=1&amp;b=2\"/>\n"
	"    <timestamp>1700000000</timestamp>\n"
	"    <size> 4139562 </size>\n"
	"    <open-size>31457280</open-size>\n"
	"  </data>\n"
	"  <data type=\"primary_db\">\n"
	"    <checksum type=\"sha256\">" PBT_SHA_A "</checksum>\n"
	"    <location href=\"repodata/" PBT_SHA_A "-primary.sqlite.bz2\"/>\n"
	"    <size>1</size>\n"
	"  </data>\n"
	"</repomd>\n";

static void test_repomd(void **state)
{
	struct pbt_net_fx *fx = *state;
	struct pb_repomd r;
	struct pb_err err = {0};
	char path[PATH_MAX];

	pbt_write_file(fx->tmp, "repomd.xml", repomd_text, 0);
	pbt_path(path, sizeof(path), fx->tmp, "repomd.xml");
	if (pb_repomd_parse(path, &r, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(r.primary_href,
			    "repodata/" PBT_SHA_B "-primary.xml.gz?a=1&b=2");
	assert_int_equal(r.primary_size, 4139562);
	assert_string_equal(r.primary_sha256, PBT_SHA_B);
	pb_repomd_free(&r);
	pb_repomd_free(&r);

	/* a SHA-1 and no size */
	pbt_write_file(fx->tmp, "repomd.xml",
		       "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">"
		       "<data type=\"primary\"><checksum type=\"sha\">"
		       "0123456789012345678901234567890123456789</checksum>"
		       "<location href=\"repodata/primary.xml.gz\"/></data>"
		       "</repomd>",
		       0);
	if (pb_repomd_parse(path, &r, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(r.primary_href, "repodata/primary.xml.gz");
	assert_int_equal(r.primary_size, -1);
	assert_string_equal(r.primary_sha256, "");
	pb_repomd_free(&r);
}

static void expect_repomd_error(const char *dir, const char *text, int code,
				const char *what)
{
	struct pb_repomd r;
	struct pb_err err = {0};
	char path[PATH_MAX];
	int ret;

	pbt_write_file(dir, "repomd.xml", text, 0);
	pbt_path(path, sizeof(path), dir, "repomd.xml");
	ret = pb_repomd_parse(path, &r, &err);
	if (ret != code)
		fail_msg("%d (%s), expected %d", ret, err.msg, code);
	assert_null(r.primary_href);
	if (!strstr(err.msg, path))
		fail_msg("the message does not name %s: %s", path, err.msg);
	if (!strstr(err.msg, what))
		fail_msg("the message lacks '%s': %s", what, err.msg);
}

static void test_repomd_errors(void **state)
{
	struct pbt_net_fx *fx = *state;
	char doc[1024];

	expect_repomd_error(fx->tmp,
			    "<repomd><data type=\"other\"><location "
			    "href=\"o.xml.gz\"/></data></repomd>\n",
			    -ENOENT, "no <data type=\"primary\">");
	expect_repomd_error(fx->tmp,
			    "<repomd><data type=\"primary\"><size>1</size>"
			    "</data></repomd>\n",
			    -EINVAL, "no location");
	expect_repomd_error(fx->tmp,
			    "<repomd><data type=\"primary\"><size>1k</size>"
			    "<location href=\"p\"/></data></repomd>\n",
			    -EINVAL, "not a number");
	expect_repomd_error(fx->tmp,
			    "<repomd><data type=\"primary\"><checksum "
			    "type=\"sha256\">abc</checksum>"
			    "<location href=\"p\"/></data></repomd>\n",
			    -EINVAL, "sha256");
	expect_repomd_error(fx->tmp,
			    "<repomd>\n<data type=\"primary\">\n"
			    "<location href=\"p\"/>\n</repomd>\n",
			    -EINVAL, "line 4");
	expect_repomd_error(fx->tmp, "<repomd>\n<data type=\"primary\">\n",
			    -EINVAL, "line 2: the document is cut short");
	expect_repomd_error(fx->tmp, "", -EINVAL, "no XML");
	expect_repomd_error(fx->tmp,
			    "<?xml version=\"1.0\"?>\n<!DOCTYPE repomd [\n"
			    "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
			    "<repomd><data type=\"primary\"><location "
			    "href=\"&x;\"/></data></repomd>\n",
			    -EPERM, "refused: DOCTYPE/entity in");
	snprintf(doc, sizeof(doc),
		 "<?xml version=\"1.0\"?>\n<!DOCTYPE repomd [\n"
		 "<!ENTITY %% p SYSTEM \"http://127.0.0.1:%d/p\"> %%p;\n"
		 "<!ENTITY x SYSTEM \"http://127.0.0.1:%d/x\">]>\n"
		 "<repomd><data type=\"primary\"><location href=\"&x;\"/>"
		 "</data></repomd>\n",
		 fx->net.port, fx->net.port);
	expect_repomd_error(fx->tmp, doc, -EPERM, "refused: DOCTYPE/entity in");
	pbt_expect_no_connection(&fx->net);
	expect_repomd_error(fx->tmp,
			    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
			    "<!ENTITY a \"aaaaaaaaaa\">\n"
			    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
			    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
			    "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>\n"
			    "<repomd>&d;&d;&d;&d;&d;&d;&d;&d;</repomd>\n",
			    -EPERM, "refused: DOCTYPE/entity in");
}

#define FX(t)                                                \
	cmocka_unit_test_setup_teardown(t, pbt_net_fx_setup, \
					pbt_net_fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_repomd),
		FX(test_repomd_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The crawl listing (core/crawl/listing.c): text and JSON, and back.
 * Also a plugin of the first ABI size, which cannot crawl: the core must
 * not read past its size. That case is here, not in test_registry,
 * because the registry loads such a plugin fine and what refuses it is
 * pb_crawl_run (core/crawl/crawl.c), which has no test program of its
 * own: it needs a fetcher and a workspace, and on a real plugin the
 * network (the e2e crawl tests run it). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crawl/crawl.h"
#include "testutil.h"

static char *strv2(const char *a)
{
	return a ? strdup(a) : NULL;
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* two kernels, one with an error, one package with a second mirror */
static void sample(struct pb_crawl *c)
{
	struct pb_crawl_kernel *k;
	struct pb_crawl_pkg *p;

	memset(c, 0, sizeof(*c));
	c->distro = strdup("debian");
	c->kernels = calloc(2, sizeof(*c->kernels));
	c->n_kernels = 2;
	k = &c->kernels[0];
	k->release = strdup("6.1.0-56-amd64");
	k->flavor = strdup("amd64");
	k->arch = strdup("x86_64");
	k->version = strdup("6.1.192-2");
	k->series = calloc(3, sizeof(char *));
	k->series[0] = strdup("bookworm");
	k->series[1] = strdup("bookworm-security");
	k->pkgs = calloc(2, sizeof(*k->pkgs));
	k->n_pkgs = 2;
	p = &k->pkgs[0];
	p->name = strdup("linux-headers-6.1.0-56-amd64_6.1.192-2_amd64.deb");
	p->url = strdup("http://a/pool/linux-headers-6.1.0-56-amd64_6.1.192-2_"
			"amd64.deb");
	p->alts = calloc(2, sizeof(char *));
	p->alts[0] = strv2("http://b/pool/linux-headers-6.1.0-56-amd64_6.1."
			   "192-2_amd64.deb");
	p->size = 1841552;
	memset(p->sha256, 'a', 64);
	p->role = PB_PKG_TREE;
	p = &k->pkgs[1];
	p->name = strdup("linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb");
	p->url = strdup("http://a/pool/linux-image-6.1.0-56-amd64_6.1.192-2_"
			"amd64.deb");
	p->alts = calloc(1, sizeof(char *));
	p->size = 70550672;
	memset(p->sha256, 'b', 64);
	p->role = PB_PKG_CONFIG;
	k = &c->kernels[1];
	k->release = strdup("6.1.0-56-rt-amd64");
	k->flavor = strdup("rt-amd64");
	k->arch = strdup("x86_64");
	k->error = strdup("no linux-kbuild-6.1 (>= 6.1.192-2)");
	k->pkgs = calloc(1, sizeof(*k->pkgs));
}

static void test_text(void **state)
{
	struct pb_crawl c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	sample(&c);
	pb_crawl_print(f, &c);
	fclose(f);
	assert_string_equal(
		buf,
		"=== 6.1.0-56-amd64 ===\n"
		"http://a/pool/linux-headers-6.1.0-56-amd64_6.1.192-2_amd64."
		"deb\n"
		"http://a/pool/linux-image-6.1.0-56-amd64_6.1.192-2_amd64.deb\n"
		"=== 6.1.0-56-rt-amd64 ===\n"
		"# incomplete: no linux-kbuild-6.1 (>= 6.1.192-2)\n");
	free(buf);
	pb_crawl_free(&c);
}

static void test_json_round_trip(void **state)
{
	struct pb_crawl c, back;
	struct pb_err err = {0};
	json_object *j, *j2;

	(void)state;
	sample(&c);
	j = pb_crawl_to_json(&c);
	assert_int_equal(pb_crawl_from_json(j, "sample", &back, &err), 0);
	j2 = pb_crawl_to_json(&back);
	assert_string_equal(json_object_to_json_string(j),
			    json_object_to_json_string(j2));
	assert_int_equal(back.kernels[0].pkgs[1].role, PB_PKG_CONFIG);
	assert_string_equal(back.kernels[0].pkgs[0].alts[0],
			    c.kernels[0].pkgs[0].alts[0]);
	assert_string_equal(back.kernels[1].error, c.kernels[1].error);
	json_object_put(j);
	json_object_put(j2);
	pb_crawl_free(&back);
	pb_crawl_free(&c);
}

static void expect_refused(const char *text, const char *what)
{
	struct pb_crawl c;
	struct pb_err err = {0};
	json_object *j = json_tokener_parse(text);

	assert_non_null(j);
	assert_int_equal(pb_crawl_from_json(j, "f.json", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "f.json"));
	assert_non_null(strstr(err.msg, what));
	json_object_put(j);
}

static void test_json_refused(void **state)
{
	(void)state;
	expect_refused("{\"distro\": \"debian\"}", "no \"kernels\" array");
	expect_refused("[1, 2]", "not a crawl listing");
	expect_refused("{\"kernels\": [{\"packages\": []}]}",
		       "kernel 1 has no release");
	expect_refused("{\"kernels\": [{\"release\": \"r\", \"packages\": "
		       "[{\"url\": \"http://x/a.deb\", \"size\": 1, "
		       "\"sha256\": \"abc\"}]}]}",
		       "package 1 needs url, size and sha256");
	expect_refused("{\"kernels\": [{\"release\": \"r\", \"packages\": "
		       "[{\"size\": 1, \"sha256\": \"aaaaaaaaaaaaaaaaaaaaaaaaaa"
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]}]}",
		       "needs url");
	/* wrong JSON types are refused with a message, never a json-c
	 * assertion (an array call on another type aborts) */
	expect_refused("{\"kernels\": {\"release\": \"r\"}}",
		       "no \"kernels\" array");
	expect_refused("{\"kernels\": [1, \"x\"]}", "kernel 1 has no release");
	expect_refused("{\"kernels\": [{\"release\": \"r\", \"packages\": "
		       "\"a.deb\"}]}",
		       "no packages array");
	expect_refused("{\"kernels\": [{\"release\": \"r\", \"packages\": "
		       "[1]}]}",
		       "package 1 needs url");
	expect_refused("{\"kernels\": [{\"release\": \"r\", \"packages\": "
		       "[{\"url\": \"http://x/a.deb\", \"size\": \"big\", "
		       "\"sha256\": \"" SHA_A "\"}]}]}",
		       "needs url, size and sha256");
	expect_refused("{\"kernels\": [{\"release\": \"r\", \"packages\": "
		       "[{\"url\": \"http://x/a.deb\", \"size\": 1, "
		       "\"sha256\": \"" SHA_A
		       "\", \"mirrors\": \"http://y/\"}]}]}",
		       "\"mirrors\" is not an array");
	expect_refused("{\"kernels\": [{\"release\": \"r\", \"packages\": "
		       "[{\"url\": \"http://x/a.deb\", \"size\": 1, "
		       "\"sha256\": \"" SHA_A "\", \"mirrors\": [1]}]}]}",
		       "\"mirrors\" is not an array");
	expect_refused("{\"kernels\": [{\"release\": \"r\", \"series\": "
		       "\"jammy\", \"packages\": []}]}",
		       "\"series\" is not an array");
	expect_refused("{\"format\": \"2\", \"kernels\": []}",
		       "not a format number");
	expect_refused("{\"distro\": [], \"kernels\": []}",
		       "\"distro\" is not a string");
}

/* A listing of a newer major format is refused, naming both formats; one
 * without "format" (the first listings) is read. */
static void test_json_format(void **state)
{
	struct pb_crawl c;
	struct pb_err err = {0};
	json_object *j;

	(void)state;
	j = json_tokener_parse("{\"format\": 99, \"kernels\": []}");
	assert_int_equal(pb_crawl_from_json(j, "f.json", &c, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "f.json: crawl listing format 99"));
	assert_non_null(strstr(err.msg, "reads up to 2"));
	json_object_put(j);
	j = json_tokener_parse("{\"kernels\": [{\"release\": \"r\", "
			       "\"packages\": []}]}");
	assert_int_equal(pb_crawl_from_json(j, "f.json", &c, &err), 0);
	assert_string_equal(c.kernels[0].version, "");
	assert_null(c.kernels[0].series[0]);
	pb_crawl_free(&c);
	json_object_put(j);
	/* what crawl --json writes says its format, version and series */
	sample(&c);
	j = pb_crawl_to_json(&c);
	assert_non_null(strstr(
		json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
		"\"format\":2"));
	assert_non_null(strstr(
		json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
		"\"version\":\"6.1.192-2\",\"series\":[\"bookworm\","
		"\"bookworm-security\"]"));
	json_object_put(j);
	pb_crawl_free(&c);
}

static void test_v1_plugin_cannot_crawl(void **state)
{
	const char *dirs[] = {getenv("PB_TEST_PLUGINDIR")};
	struct pb_registry_opts ro = {
		.sz = sizeof(ro), .plugin_dirs = dirs, .n_plugin_dirs = 1};
	struct pb_fetch_opts fo = PB_FETCH_OPTS_INIT;
	struct pb_registry reg;
	struct pb_crawl c;
	struct pb_err err = {0};
	char *ws = pbt_tmpdir("crawl");
	const struct pb_distro *d;
	struct pb_fetcher *f;

	(void)state;
	assert_int_equal(pb_fetch_global_init(&err), 0);
	f = pb_fetcher_new(&fo, &err);
	assert_non_null(f);
	assert_non_null(dirs[0]);
	assert_int_equal(pb_registry_load(&reg, &ro, &err), 0);
	d = pb_registry_find(&reg, "v1distro");
	assert_non_null(d);
	{
		struct pb_crawl_opts o = {.sz = sizeof(o),
					  .distro = d,
					  .arch = "x86_64",
					  .workspace = ws,
					  .fetcher = f};

		assert_int_equal(pb_crawl_run(&o, &c, &err), -ENOTSUP);
	}
	assert_non_null(strstr(err.msg, "cannot crawl"));
	pb_fetcher_free(f);
	pb_registry_free(&reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_refused),
		cmocka_unit_test(test_json_format),
		cmocka_unit_test_teardown(test_v1_plugin_cannot_crawl,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The crawl listing (text and JSON, and back), and a plugin of the first
 * ABI size, which cannot crawl: the core must not read past its size. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crawl.h"
#include "testutil.h"

static char *strv2(const char *a)
{
	return a ? strdup(a) : NULL;
}

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

	(void)state;
	assert_non_null(dirs[0]);
	assert_int_equal(pb_registry_load(&reg, &ro, &err), 0);
	d = pb_registry_find(&reg, "v1distro");
	assert_non_null(d);
	{
		struct pb_crawl_opts o = {.sz = sizeof(o),
					  .distro = d,
					  .arch = "x86_64",
					  .workspace = ws,
					  .fetch = &fo};

		assert_int_equal(pb_crawl_run(&o, &c, &err), -ENOTSUP);
	}
	assert_non_null(strstr(err.msg, "cannot crawl"));
	pb_registry_free(&reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_refused),
		cmocka_unit_test_teardown(test_v1_plugin_cannot_crawl,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

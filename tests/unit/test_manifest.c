/* manifest.json across runs: entries keyed by probe, version, distro,
 * release, arch and package version; a rerun that only finds an output
 * keeps the record of the run that built it and adds when it saw it. */
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

#include <cmocka.h>

#include "build/build.h"
#include "output/manifest.h"
#include "testutil.h"

static json_object *entry(const char *rel, const char *arch,
			  const char *version, const char *kst,
			  const char *ksha, const char *est)
{
	json_object *e = json_object_new_object(), *k, *b;

	json_object_object_add(e, "probe", json_object_new_string("p"));
	json_object_object_add(e, "probe_version", json_object_new_string("1"));
	json_object_object_add(e, "distro", json_object_new_string("ubuntu"));
	json_object_object_add(e, "release", json_object_new_string(rel));
	json_object_object_add(e, "arch", json_object_new_string(arch));
	json_object_object_add(e, "version", json_object_new_string(version));
	k = json_object_new_object();
	json_object_object_add(k, "status", json_object_new_string(kst));
	json_object_object_add(k, "file", json_object_new_string("p.ko"));
	if (ksha)
		json_object_object_add(k, "sha256",
				       json_object_new_string(ksha));
	json_object_object_add(e, "kmod", k);
	b = json_object_new_object();
	json_object_object_add(b, "status", json_object_new_string(est));
	json_object_object_add(e, "ebpf", b);
	json_object_object_add(e, "status",
			       json_object_new_string(pb_entry_status(e)));
	return e;
}

static const char *get(json_object *o, const char *k1, const char *k2)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_get_string(v);
}

/* runs one update of dir's manifest with results; returns the manifest
 * read back */
static json_object *update(const char *dir, json_object *results,
			   const char *now)
{
	json_object *m = NULL;
	struct pb_err err = {0};

	assert_int_equal(pb_manifest_load(dir, &m, &err), 0);
	assert_int_equal(pb_manifest_update(dir, m, results, now, &err), 0);
	json_object_put(m);
	json_object_put(results);
	assert_int_equal(pb_manifest_load(dir, &m, &err), 0);
	return m;
}

static json_object *kernel(json_object *m, size_t i)
{
	json_object *ks;

	assert_true(json_object_object_get_ex(m, "kernels", &ks));
	return json_object_array_get_idx(ks, i);
}

static void test_rerun_keeps_provenance(void **state)
{
	char *dir = pbt_tmpdir("manifest");
	json_object *r, *e, *m, *c;

	(void)state;
	/* run 1 builds: sha256, compiler, vermagic, inputs */
	r = json_object_new_array();
	e = entry("5.15.0-139-generic", "x86_64", "5.15.0-139.149", "BUILT",
		  "aaaa", "BUILT");
	c = json_object_new_object();
	json_object_object_add(c, "path", json_object_new_string("/gcc-11"));
	json_object_object_add(c, "nearest_compiler",
			       json_object_new_boolean(1));
	json_object_object_add(e, "compiler", c);
	json_object_object_add(e, "inputs", json_object_new_string("run1"));
	json_object_object_add(e, "log", json_object_new_string("logs/1.log"));
	json_object_object_add(
		json_object_object_get(e, "kmod"), "vermagic",
		json_object_new_string("5.15.0-139-generic SMP"));
	json_object_array_add(r, e);
	/* one release name, another series (version) and another arch: three
	 * kernels */
	json_object_array_add(r, entry("5.15.0-139-generic", "x86_64",
				       "5.15.0-139.149~20.04.1", "BUILT",
				       "bbbb", "BUILT"));
	json_object_array_add(r, entry("5.15.0-139-generic", "aarch64",
				       "5.15.0-139.149", "BUILT", "cccc",
				       "BUILT"));
	m = update(dir, r, "2026-01-01T00:00:00Z");
	assert_int_equal(
		json_object_array_length(json_object_object_get(m, "kernels")),
		3);
	assert_int_equal(
		json_object_get_int(json_object_object_get(m, "format")), 2);
	json_object_put(m);

	/* run 2 finds the output: EXISTING, no compiler, other inputs */
	r = json_object_new_array();
	e = entry("5.15.0-139-generic", "x86_64", "5.15.0-139.149", "EXISTING",
		  "aaaa", "EXISTING");
	json_object_object_add(e, "inputs", json_object_new_string("run2"));
	json_object_array_add(r, e);
	m = update(dir, r, "2026-02-02T00:00:00Z");
	assert_int_equal(
		json_object_array_length(json_object_object_get(m, "kernels")),
		3);
	e = kernel(m, 1); /* aarch64 < x86_64; then by version */
	assert_string_equal(get(e, "arch", NULL), "x86_64");
	assert_string_equal(get(e, "version", NULL), "5.15.0-139.149");
	assert_string_equal(get(e, "status", NULL), "BUILT");
	assert_string_equal(get(e, "kmod", "status"), "BUILT");
	assert_string_equal(get(e, "kmod", "sha256"), "aaaa");
	assert_string_equal(get(e, "kmod", "vermagic"),
			    "5.15.0-139-generic SMP");
	assert_string_equal(get(e, "kmod", "last_seen"),
			    "2026-02-02T00:00:00Z");
	assert_string_equal(get(e, "compiler", "path"), "/gcc-11");
	assert_string_equal(get(e, "compiler", "nearest_compiler"), "true");
	assert_string_equal(get(e, "inputs", NULL), "run1");
	assert_string_equal(get(e, "log", NULL), "logs/1.log");
	assert_string_equal(get(e, "last_seen", NULL), "2026-02-02T00:00:00Z");
	/* the other kernels of that name are untouched */
	assert_string_equal(get(kernel(m, 2), "kmod", "sha256"), "bbbb");
	assert_null(get(kernel(m, 2), "kmod", "last_seen"));
	json_object_put(m);

	/* run 3: ignored (SKIPPED): the record stays as it was */
	r = json_object_new_array();
	json_object_array_add(r, entry("5.15.0-139-generic", "x86_64",
				       "5.15.0-139.149", "SKIPPED", NULL,
				       "SKIPPED"));
	m = update(dir, r, "2026-03-03T00:00:00Z");
	e = kernel(m, 1);
	assert_string_equal(get(e, "kmod", "sha256"), "aaaa");
	assert_string_equal(get(e, "last_seen", NULL), "2026-02-02T00:00:00Z");
	json_object_put(m);

	/* run 4 rebuilds the module (its file was altered): the new record */
	r = json_object_new_array();
	json_object_array_add(r, entry("5.15.0-139-generic", "x86_64",
				       "5.15.0-139.149", "BUILT", "dddd",
				       "EXISTING"));
	m = update(dir, r, "2026-04-04T00:00:00Z");
	e = kernel(m, 1);
	assert_string_equal(get(e, "kmod", "sha256"), "dddd");
	assert_null(get(e, "kmod", "vermagic"));
	json_object_put(m);
}

static void test_newer_format_refused(void **state)
{
	char *dir = pbt_tmpdir("manifest");
	json_object *m = NULL;
	struct pb_err err = {0};
	char path[PATH_MAX];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"format\": 3, \"kernels\": []}\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(pb_manifest_load(dir, &m, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "manifest format 3"));
	assert_null(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rerun_keeps_provenance,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_newer_format_refused,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

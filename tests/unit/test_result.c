/* output/result and output/summary: the typed results of a run, their
 * manifest entries (to JSON and back, as the workers hand them over), the
 * kernel's status from its outputs', and the summary table. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/result.h"
#include "output/summary.h"
#include "probe-builder/batch.h"

static void set(char **dst, const char *s)
{
	assert_int_equal(pb_result_str(dst, s, NULL), 0);
}

/* A kernel: release rel, kmod ks, ebpf es. */
static void make(struct pb_release_result *r, const char *rel,
		 const char *series, enum pb_status ks, enum pb_status es)
{
	pb_result_init(r);
	set(&r->probe, "p");
	set(&r->probe_version, "1.0");
	set(&r->distro, "ubuntu");
	set(&r->release, rel);
	set(&r->arch, "x86_64");
	set(&r->version, "5.15.0-1.2");
	if (series) {
		r->series = calloc(2, sizeof(*r->series));
		assert_non_null(r->series);
		set(&r->series[0], series);
		r->n_series = 1;
	}
	r->kmod.status = ks;
	r->ebpf.status = es;
	pb_result_settle(r);
}

static void test_names(void **state)
{
	enum pb_status s;

	(void)state;
	for (s = PB_STATUS_SKIPPED; s <= PB_STATUS_FAILED; s++)
		assert_int_equal(pb_status_parse(pb_status_name(s)), s);
	assert_string_equal(pb_status_name(PB_STATUS_BUILT), "BUILT");
	assert_int_equal(pb_status_parse("built"), PB_STATUS_NONE);
	assert_int_equal(pb_status_parse(""), PB_STATUS_NONE);
	assert_int_equal(pb_status_parse(NULL), PB_STATUS_NONE);
}

static void test_settle(void **state)
{
	static const struct {
		enum pb_status k, e, want;
	} cases[] = {
		{PB_STATUS_BUILT, PB_STATUS_FAILED, PB_STATUS_FAILED},
		{PB_STATUS_EXISTING, PB_STATUS_BUILT, PB_STATUS_BUILT},
		{PB_STATUS_SKIPPED, PB_STATUS_EXISTING, PB_STATUS_EXISTING},
		{PB_STATUS_SKIPPED, PB_STATUS_SKIPPED, PB_STATUS_SKIPPED},
		{PB_STATUS_NONE, PB_STATUS_NONE, PB_STATUS_SKIPPED},
	};
	struct pb_release_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make(&r, "5.15.0-1-generic", NULL, cases[i].k, cases[i].e);
		assert_int_equal(r.status, cases[i].want);
		pb_result_free(&r);
	}
}

static void test_fail_rest(void **state)
{
	struct pb_release_result r;

	(void)state;
	make(&r, "5.15.0-1-generic", NULL, PB_STATUS_EXISTING, PB_STATUS_NONE);
	set(&r.log, "logs/x.log");
	assert_int_equal(pb_result_fail_rest(&r, "no compiler", NULL), 0);
	assert_int_equal(r.kmod.status, PB_STATUS_EXISTING);
	assert_null(r.kmod.error);
	assert_int_equal(r.ebpf.status, PB_STATUS_FAILED);
	assert_string_equal(r.ebpf.error, "no compiler");
	assert_string_equal(r.ebpf.log, "logs/x.log");
	assert_string_equal(r.error, "no compiler");
	assert_int_equal(pb_result_settle(&r), PB_STATUS_FAILED);
	pb_result_free(&r);
}

/* Every field set survives the handoff: to JSON, text, JSON, back. */
static void test_round_trip(void **state)
{
	struct pb_release_result r, back;
	json_object *j, *j2, *parsed;
	char *text;

	(void)state;
	make(&r, "5.15.0-1-generic", "jammy", PB_STATUS_BUILT,
	     PB_STATUS_FAILED);
	set(&r.kmod.file, "p-1.0-x86_64-5.15.0-1-generic-abc.ko");
	set(&r.kmod.sha256, "00ff");
	set(&r.kmod.vermagic, "5.15.0-1-generic SMP mod_unload");
	set(&r.kmod.compiler.kernel, "gcc-12 (Debian 12.2.0-14) 12.2.0");
	set(&r.kmod.compiler.path, "/usr/bin/gcc-12");
	r.kmod.compiler.exact = 1;
	r.kmod.duration_s = 2.5;
	set(&r.ebpf.error, "clang exited with status 1");
	set(&r.log, "logs/ubuntu/k/run.log");
	r.inputs = calloc(3, sizeof(*r.inputs));
	assert_non_null(r.inputs);
	r.n_inputs = 2;
	set(&r.inputs[0].file, "linux-headers.deb");
	set(&r.inputs[0].url, "http://127.0.0.1/linux-headers.deb");
	r.inputs[0].role = PB_PKG_CONFIG;
	set(&r.inputs[0].config_from, "the first 262144 bytes");
	set(&r.inputs[1].file, "linux-image.deb");
	r.inputs[1].role = PB_PKG_BOOT;
	set(&r.config_file, "boot/config-5.15.0-1-generic");
	set(&r.config_md5, "abc");
	r.duration_s = 3;
	pb_result_settle(&r);

	j = pb_result_to_json(&r);
	assert_non_null(j);
	text = strdup(json_object_to_json_string(j));
	parsed = json_tokener_parse(text);
	assert_non_null(parsed);
	assert_int_equal(pb_result_from_json(parsed, &back, NULL), 0);
	assert_int_equal(back.status, PB_STATUS_FAILED);
	assert_int_equal(back.kmod.status, PB_STATUS_BUILT);
	assert_int_equal(back.kmod.compiler.exact, 1);
	assert_string_equal(back.kmod.compiler.path, "/usr/bin/gcc-12");
	assert_string_equal(back.series[0], "jammy");
	assert_int_equal(back.inputs[0].role, PB_PKG_CONFIG);
	assert_string_equal(back.inputs[0].config_from,
			    "the first 262144 bytes");
	assert_int_equal(back.inputs[1].role, PB_PKG_BOOT);
	assert_null(back.inputs[1].config_from);
	assert_null(back.inputs[0].path);
	assert_true(back.kmod.duration_s == 2.5);
	assert_true(back.ebpf.duration_s < 0);
	j2 = pb_result_to_json(&back);
	assert_string_equal(json_object_to_json_string(j2), text);
	json_object_put(j);
	json_object_put(j2);
	json_object_put(parsed);
	free(text);
	pb_result_free(&r);
	pb_result_free(&back);
}

static void test_bad_json(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"probe\":\"p\"}",			      /* no release */
		"{\"release\":\"r\",\"status\":3}",	      /* not a string */
		"{\"release\":\"r\",\"series\":\"jammy\"}",   /* not an array */
		"{\"release\":\"r\",\"series\":[1]}",	      /* not a string */
		"{\"release\":\"r\",\"kmod\":{\"file\":{}}}", /* deep */
	};
	struct pb_release_result r;
	struct pb_err err = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *j = json_tokener_parse(bad[i]);

		assert_non_null(j);
		pb_err_clear(&err);
		assert_int_equal(pb_result_from_json(j, &r, &err), -EPROTO);
		assert_int_equal(err.code, -EPROTO);
		assert_non_null(strstr(err.msg, "build result"));
		json_object_put(j);
	}
}

/* Twins (one release name, two kernels) are told apart by series. */
static void test_summary(void **state)
{
	struct pb_results rs = {0};
	struct pb_release_result r;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	make(&r, "5.15.0-1-generic", "jammy", PB_STATUS_BUILT, PB_STATUS_BUILT);
	assert_int_equal(pb_results_add(&rs, &r, NULL), 0);
	make(&r, "5.15.0-1-generic", "focal", PB_STATUS_FAILED,
	     PB_STATUS_FAILED);
	set(&r.kmod.error, "no gcc-11");
	set(&r.ebpf.error, "no gcc-11");
	set(&r.log, "logs/x.log");
	assert_int_equal(pb_results_add(&rs, &r, NULL), 0);
	make(&r, "6.1.0-1-amd64", NULL, PB_STATUS_SKIPPED, PB_STATUS_SKIPPED);
	assert_int_equal(pb_results_add(&rs, &r, NULL), 0);
	assert_null(r.release); /* moved */

	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(pb_summary_print(f, rs.r, rs.n), 1);
	fclose(f);
	assert_non_null(strstr(out, "5.15.0-1-generic(jammy)  BUILT"));
	assert_non_null(strstr(out, "5.15.0-1-generic(focal)  FAILED"));
	assert_non_null(strstr(out, "\n6.1.0-1-amd64 "));
	/* one message when both outputs failed alike */
	assert_non_null(strstr(out,
			       "  5.15.0-1-generic(focal):\n    no gcc-11\n"
			       "    log: logs/x.log\n"));
	assert_non_null(strstr(out, "3 kernels: 1 built, 0 existing, 1 "
				    "skipped, 1 failed"));
	free(out);
	pb_results_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_fail_rest),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* `manifest merge` (core/output/merge.c): shards' manifests joined into
 * manifest.json; the same bytes again and in any order; duplicates keep
 * the last seen; a fragment of another plan refused, nothing written;
 * kernels no shard reported named with their shard. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/merge.h"
#include "testutil.h"

#define PLAN_A \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PLAN_B \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* the plan's kernels, sorted as their keys are */
#define KEYS "[\"k1\\tx86_64\\t1\", \"k2\\tx86_64\\t1\", \"k3\\tx86_64\\t1\"]"

struct fx {
	char tmp[PBT_TMP_MAX];
};

static int setup(void **state)
{
	struct fx *f = pbt_fx_new(sizeof(*f), "merge");

	assert_non_null(f);
	pbt_mkdirs(f->tmp, "manifest.d");
	*state = f;
	return 0;
}

/* an entry of kernel rel, both outputs of status st, seen at seen */
static void entry(char *buf, size_t len, const char *probe_version,
		  const char *rel, const char *st, const char *seen)
{
	snprintf(buf, len,
		 "{\"probe\": \"p\", \"probe_version\": \"%s\", \"distro\": "
		 "\"debian\", \"release\": \"%s\", \"arch\": \"x86_64\", "
		 "\"version\": \"1\", \"status\": \"%s\", \"kmod\": "
		 "{\"status\": \"%s\"}, \"ebpf\": {\"status\": \"%s\"}, "
		 "\"last_seen\": \"%s\"}",
		 probe_version, rel, st, st, st, seen);
}

/* manifest.d/NAME: shard i of n of plan id, with entries e (JSON) */
static void fragment(const struct fx *f, const char *name, const char *id,
		     int i, int n, const char *e)
{
	char rel[256], text[8192];

	snprintf(rel, sizeof(rel), "manifest.d/%s", name);
	snprintf(text, sizeof(text),
		 "{\"format\": 2, \"kernels\": [%s], \"plan\": {\"id\": "
		 "\"%s\", \"shard\": %d, \"shards\": %d, \"kernels\": " KEYS
		 "}}\n",
		 e, id, i, n);
	pbt_write_file(f->tmp, rel, text, 0);
}

/* shard 0 of 2: k1 BUILT, k3 FAILED; shard 1: k2 EXISTING */
static void two_shards(const struct fx *f)
{
	char e1[1024], e3[1024], e2[1024], both[2100];

	entry(e1, sizeof(e1), "1", "k1", "BUILT", "2026-12-01T10:00:00Z");
	entry(e3, sizeof(e3), "1", "k3", "FAILED", "2026-12-01T10:00:00Z");
	snprintf(both, sizeof(both), "%s, %s", e1, e3);
	fragment(f, "0-of-2.json", PLAN_A, 0, 2, both);
	entry(e2, sizeof(e2), "1", "k2", "EXISTING", "2026-12-01T10:00:00Z");
	fragment(f, "1-of-2.json", PLAN_A, 1, 2, e2);
}

static void test_merge_counts_and_bytes(void **state)
{
	struct fx *f = *state;
	struct pb_merge_report r;
	struct pb_err err = {0};
	char *first, *second, *p;

	two_shards(f);
	assert_int_equal(pb_manifest_merge(f->tmp, &r, &err), 0);
	assert_string_equal(r.plan_id, PLAN_A);
	assert_int_equal(r.n_plan, 3);
	assert_int_equal(r.n[PB_STATUS_BUILT], 1);
	assert_int_equal(r.n[PB_STATUS_EXISTING], 1);
	assert_int_equal(r.n[PB_STATUS_FAILED], 1);
	assert_int_equal(r.n_missing, 0);
	assert_int_equal(r.n_frags, 2);
	assert_string_equal(r.frags[0].file, "manifest.d/0-of-2.json");
	assert_int_equal(r.frags[0].n[PB_STATUS_BUILT], 1);
	assert_int_equal(r.frags[0].n[PB_STATUS_FAILED], 1);
	assert_int_equal(r.frags[1].n[PB_STATUS_EXISTING], 1);
	assert_int_equal(r.n_entries, 3);
	pb_merge_report_free(&r);
	first = pbt_read_file(f->tmp, "manifest.json");
	/* sorted by key, the plan's id in it */
	assert_non_null(p = strstr(first, "\"k1\""));
	assert_non_null(p = strstr(p, "\"k2\""));
	assert_non_null(strstr(p, "\"k3\""));
	assert_non_null(strstr(first, "\"plan_id\": \"" PLAN_A "\""));
	/* again: the same bytes */
	assert_int_equal(pb_manifest_merge(f->tmp, &r, &err), 0);
	pb_merge_report_free(&r);
	second = pbt_read_file(f->tmp, "manifest.json");
	assert_string_equal(first, second);
	free(second);
	/* the fragments written the other way round (another directory
	 * order): the same bytes */
	pbt_sh("cd %s/manifest.d && mv 0-of-2.json x && mv 1-of-2.json "
	       "0-of-2.json.tmp && mv x 1-of-2.json && mv 0-of-2.json.tmp "
	       "0-of-2.json && rm -f ../manifest.json",
	       f->tmp);
	assert_int_equal(pb_manifest_merge(f->tmp, &r, &err), 0);
	pb_merge_report_free(&r);
	second = pbt_read_file(f->tmp, "manifest.json");
	assert_string_equal(first, second);
	free(second);
	free(first);
}

static void test_missing_named_with_shard(void **state)
{
	struct fx *f = *state;
	struct pb_merge_report r;
	struct pb_err err = {0};

	two_shards(f);
	pbt_sh("rm %s/manifest.d/1-of-2.json", f->tmp);
	assert_int_equal(pb_manifest_merge(f->tmp, &r, &err), 0);
	assert_int_equal(r.n_missing, 1);
	assert_string_equal(r.missing[0], "k2\tx86_64\t1");
	assert_int_equal(r.missing_shard[0], 1);
	assert_int_equal(r.n[PB_STATUS_BUILT] + r.n[PB_STATUS_FAILED], 2);
	pb_merge_report_free(&r);
}

static void test_foreign_plan_refused(void **state)
{
	struct fx *f = *state;
	struct pb_merge_report r;
	struct pb_err err = {0};
	char e[1024], *before, *after;

	two_shards(f);
	pbt_write_file(f->tmp, "manifest.json",
		       "{\"format\": 2, \"kernels\": []}\n", 0);
	entry(e, sizeof(e), "1", "k9", "BUILT", "2026-12-01T10:00:00Z");
	fragment(f, "0-of-3.json", PLAN_B, 0, 3, e);
	before = pbt_read_file(f->tmp, "manifest.json");
	assert_int_equal(pb_manifest_merge(f->tmp, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "0-of-3.json"));
	assert_non_null(strstr(err.msg, "another plan"));
	pb_merge_report_free(&r);
	after = pbt_read_file(f->tmp, "manifest.json");
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* a file that is not a shard's manifest is named too */
	pbt_sh("rm %s/manifest.d/0-of-3.json", f->tmp);
	pbt_write_file(f->tmp, "manifest.d/junk.json",
		       "{\"format\": 2, \"kernels\": []}\n", 0);
	assert_int_equal(pb_manifest_merge(f->tmp, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "junk.json"));
	pb_merge_report_free(&r);
}

/* One kernel in two fragments (shards of another count): the one seen
 * last; manifest.json's entries that no fragment has stay. */
static void test_duplicates_and_others_kept(void **state)
{
	struct fx *f = *state;
	struct pb_merge_report r;
	struct pb_err err = {0};
	char old[1024], newer[1024], text[2048], *m;

	two_shards(f);
	entry(old, sizeof(old), "1", "k2", "FAILED", "2026-11-30T10:00:00Z");
	fragment(f, "0-of-1.json", PLAN_A, 0, 1, old);
	entry(newer, sizeof(newer), "0.9", "k1", "BUILT",
	      "2026-11-01T10:00:00Z");
	snprintf(text, sizeof(text), "{\"format\": 2, \"kernels\": [%s]}\n",
		 newer);
	pbt_write_file(f->tmp, "manifest.json", text, 0);
	assert_int_equal(pb_manifest_merge(f->tmp, &r, &err), 0);
	/* k2: EXISTING of 12-01 wins over FAILED of 11-30 */
	assert_int_equal(r.n[PB_STATUS_FAILED], 1); /* k3 */
	assert_int_equal(r.n[PB_STATUS_EXISTING], 1);
	assert_int_equal(r.n_entries, 4);
	pb_merge_report_free(&r);
	m = pbt_read_file(f->tmp, "manifest.json");
	assert_non_null(strstr(m, "\"probe_version\": \"0.9\""));
	assert_null(strstr(m, "2026-11-30T10:00:00Z"));
	free(m);
}

static void test_no_fragments(void **state)
{
	struct fx *f = *state;
	struct pb_merge_report r;
	struct pb_err err = {0};

	assert_int_equal(pb_manifest_merge(f->tmp, &r, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "manifest.d"));
	pb_merge_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge_counts_and_bytes,
						setup, pbt_fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_named_with_shard,
						setup, pbt_fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_plan_refused,
						setup, pbt_fx_teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_others_kept,
						setup, pbt_fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_fragments, setup,
						pbt_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

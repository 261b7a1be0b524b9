/* Shards of a plan (core/pipeline/shard.c, core/crawl/planid.c): --shard
 * and the schedulers' environment, the partition (stable, each kernel in
 * exactly one shard, balanced within one kernel) and the plan's id. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crawl/crawl.h"
#include "pipeline/shard.h"
#include "testutil.h"

/* the environment a test sets: name=value pairs */
static const char *const *env;

static const char *fake_getenv(const char *name)
{
	size_t i, l = strlen(name);

	for (i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, l) && env[i][l] == '=')
			return env[i] + l + 1;
	return NULL;
}

/* parse spec in env e: 0 with *s set, or the error's code (msg in err) */
static int parse(const char *spec, const char *const *e, struct pb_shard *s,
		 struct pb_err *err)
{
	env = e;
	pb_err_clear(err);
	return pb_shard_parse(spec, fake_getenv, s, err);
}

static void test_explicit(void **state)
{
	struct pb_err err = {0};
	struct pb_shard s;

	(void)state;
	assert_int_equal(parse("0/1", NULL, &s, &err), 0);
	assert_int_equal(s.index, 0);
	assert_int_equal(s.count, 1);
	assert_int_equal(parse("2/3", NULL, &s, &err), 0);
	assert_int_equal(s.index, 2);
	assert_int_equal(s.count, 3);
	assert_string_equal(s.from, "--shard");
	/* refused: index not below the count, no count, zero, junk */
	assert_int_equal(parse("3/3", NULL, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not below the count"));
	assert_int_equal(parse("1", NULL, &s, &err), -EINVAL);
	assert_int_equal(parse("0/0", NULL, &s, &err), -EINVAL);
	assert_int_equal(parse("-1/3", NULL, &s, &err), -EINVAL);
	assert_int_equal(parse("1/3x", NULL, &s, &err), -EINVAL);
	assert_int_equal(parse("a/3", NULL, &s, &err), -EINVAL);
	assert_int_equal(parse("99999999999/3", NULL, &s, &err), -EINVAL);
}

static void test_env_plain_and_kubernetes(void **state)
{
	static const char *const plain[] = {"PB_SHARD_INDEX=1",
					    "PB_SHARD_COUNT=4", NULL};
	static const char *const k8s[] = {"JOB_COMPLETION_INDEX=3",
					  "PB_SHARD_COUNT=5", NULL};
	static const char *const k8s_nocount[] = {"JOB_COMPLETION_INDEX=3",
						  NULL};
	static const char *const bad[] = {"PB_SHARD_INDEX=x",
					  "PB_SHARD_COUNT=4", NULL};
	struct pb_err err = {0};
	struct pb_shard s;

	(void)state;
	assert_int_equal(parse("auto", plain, &s, &err), 0);
	assert_int_equal(s.index, 1);
	assert_int_equal(s.count, 4);
	assert_string_equal(s.from, "PB_SHARD_INDEX");
	assert_int_equal(parse("auto", k8s, &s, &err), 0);
	assert_int_equal(s.index, 3);
	assert_int_equal(s.count, 5);
	assert_string_equal(s.from, "JOB_COMPLETION_INDEX");
	/* the count from the option when the environment lacks it */
	assert_int_equal(parse("auto", k8s_nocount, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "PB_SHARD_COUNT"));
	assert_int_equal(parse("auto/4", k8s_nocount, &s, &err), 0);
	assert_int_equal(s.count, 4);
	assert_int_equal(parse("auto/3", k8s_nocount, &s, &err), -EINVAL);
	assert_int_equal(parse("auto", bad, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "PB_SHARD_INDEX"));
	/* nothing at all names what it looked for */
	assert_int_equal(parse("auto", NULL, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "SLURM_ARRAY_TASK_ID"));
	assert_non_null(strstr(err.msg, "JOB_COMPLETION_INDEX"));
}

static void test_env_slurm(void **state)
{
	/* sbatch --array=0-2, task 2 */
	static const char *const a02[] = {
		"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=0",
		"SLURM_ARRAY_TASK_MAX=2", "SLURM_ARRAY_TASK_COUNT=3", NULL};
	/* --array=1-4: not from 0, the count must be said */
	static const char *const a14[] = {
		"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=1",
		"SLURM_ARRAY_TASK_MAX=4", "SLURM_ARRAY_TASK_COUNT=4", NULL};
	/* --array=0-8:4: tasks 0, 4, 8: refused */
	static const char *const stepped[] = {
		"SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_MIN=0",
		"SLURM_ARRAY_TASK_MAX=8", "SLURM_ARRAY_TASK_COUNT=3", NULL};
	/* task 1 of a 3-task array resubmitted alone (--array=1), its
	 * batch script saying the count */
	static const char *const resub[] = {
		"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_MIN=1",
		"SLURM_ARRAY_TASK_MAX=1", "SLURM_ARRAY_TASK_COUNT=1", NULL};
	static const char *const resub_count[] = {
		"SLURM_ARRAY_TASK_ID=1",  "SLURM_ARRAY_TASK_MIN=1",
		"SLURM_ARRAY_TASK_MAX=1", "SLURM_ARRAY_TASK_COUNT=1",
		"PB_SHARD_COUNT=3",	  NULL};
	/* PB_SHARD_INDEX wins over Slurm's */
	static const char *const both[] = {
		"PB_SHARD_INDEX=1", "PB_SHARD_COUNT=3", "SLURM_ARRAY_TASK_ID=2",
		"SLURM_ARRAY_TASK_COUNT=3", NULL};
	struct pb_err err = {0};
	struct pb_shard s;

	(void)state;
	assert_int_equal(parse("auto", a02, &s, &err), 0);
	assert_int_equal(s.index, 2);
	assert_int_equal(s.count, 3);
	assert_string_equal(s.from, "SLURM_ARRAY_TASK_ID");
	assert_int_equal(parse("auto", a14, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--array=0-3"));
	assert_int_equal(parse("auto/5", a14, &s, &err), 0);
	assert_int_equal(s.index, 2);
	assert_int_equal(s.count, 5);
	assert_int_equal(parse("auto", stepped, &s, &err), -EINVAL);
	/* alone, it cannot know it is one of three: refused, not shard 0
	 * of 1 (which would build every kernel) */
	assert_int_equal(parse("auto", resub, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "PB_SHARD_COUNT"));
	assert_int_equal(parse("auto", resub_count, &s, &err), 0);
	assert_int_equal(s.index, 1);
	assert_int_equal(s.count, 3);
	assert_int_equal(parse("auto/3", resub, &s, &err), 0);
	assert_int_equal(s.index, 1);
	assert_int_equal(parse("auto", both, &s, &err), 0);
	assert_int_equal(s.index, 1);
	assert_string_equal(s.from, "PB_SHARD_INDEX");
}

/* a plan of n kernels, releases in an order that is not the keys' */
static void plan(struct pb_crawl *c, size_t n)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->distro = strdup("debian");
	c->kernels = calloc(n, sizeof(*c->kernels));
	assert_non_null(c->kernels);
	c->n_kernels = n;
	for (i = 0; i < n; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "6.1.0-%zu-amd64", n - 1 - i);
		c->kernels[i].release = strdup(rel);
		c->kernels[i].flavor = strdup("amd64");
		c->kernels[i].arch = strdup("x86_64");
		c->kernels[i].version = strdup("6.1.1-1");
	}
}

static void test_partition(void **state)
{
	static const size_t sizes[] = {1, 2, 7, 10, 64};
	size_t z, count, i, j;

	(void)state;
	for (z = 0; z < PBT_N_OF(sizes); z++)
		for (count = 1; count <= 5; count++) {
			size_t n = sizes[z], total = 0, lo = n, hi = 0;
			int *seen = calloc(n, sizeof(*seen));

			assert_non_null(seen);
			for (i = 0; i < count; i++) {
				struct pb_shard s = {i, count, "--shard"};
				struct pb_err err = {0};
				struct pb_crawl c, c2;
				char **keys, **keys2;
				size_t nk, nk2;

				plan(&c, n);
				plan(&c2, n);
				assert_int_equal(pb_shard_select(&c, &s, &keys,
								 &nk, &err),
						 0);
				/* stable: the same plan, the same shard */
				assert_int_equal(pb_shard_select(&c2, &s,
								 &keys2, &nk2,
								 &err),
						 0);
				assert_int_equal(c.n_kernels, c2.n_kernels);
				assert_int_equal(nk, n);
				for (j = 0; j < c.n_kernels; j++) {
					unsigned v;

					assert_string_equal(
						c.kernels[j].release,
						c2.kernels[j].release);
					assert_int_equal(
						sscanf(c.kernels[j].release,
						       "6.1.0-%u-amd64", &v),
						1);
					seen[v]++;
				}
				total += c.n_kernels;
				if (c.n_kernels < lo)
					lo = c.n_kernels;
				if (c.n_kernels > hi)
					hi = c.n_kernels;
				/* the keys are every kernel's, sorted */
				for (j = 1; j < nk; j++)
					assert_true(strcmp(keys[j - 1],
							   keys[j]) < 0);
				pb_crawl_keys_free(keys, nk);
				pb_crawl_keys_free(keys2, nk2);
				pb_crawl_free(&c);
				pb_crawl_free(&c2);
			}
			/* every kernel in exactly one shard, shards within
			 * one kernel of each other */
			assert_int_equal(total, n);
			for (j = 0; j < n; j++)
				assert_int_equal(seen[j], 1);
			assert_true(hi - lo <= 1);
			free(seen);
		}
}

/* The plan's id: of the distro and the sorted keys, whatever the order
 * the kernels come in; another kernel, another id. */
static void test_plan_id(void **state)
{
	char a[PB_PLAN_ID_LEN + 1], b[PB_PLAN_ID_LEN + 1];
	struct pb_err err = {0};
	struct pb_crawl c;
	struct pb_crawl_kernel t;

	(void)state;
	plan(&c, 5);
	assert_int_equal(pb_crawl_plan_id(&c, a, &err), 0);
	assert_int_equal(strlen(a), PB_PLAN_ID_LEN);
	t = c.kernels[0];
	c.kernels[0] = c.kernels[4];
	c.kernels[4] = t;
	assert_int_equal(pb_crawl_plan_id(&c, b, &err), 0);
	assert_string_equal(a, b);
	free(c.kernels[2].version);
	c.kernels[2].version = strdup("6.1.1-2");
	assert_int_equal(pb_crawl_plan_id(&c, b, &err), 0);
	assert_string_not_equal(a, b);
	/* the id of "debian\n" and nothing else: sha256sum's */
	{
		char *none = NULL;

		assert_int_equal(
			pb_crawl_plan_id_of("debian", &none, 0, b, &err), 0);
		assert_string_equal(b, "53ad2edfc7474c3122e601b9f23fca705eae8"
				       "5b405c7c52b9b53d400618a9bd4");
	}
	pb_crawl_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_env_plain_and_kubernetes),
		cmocka_unit_test(test_env_slurm),
		cmocka_unit_test(test_partition),
		cmocka_unit_test(test_plan_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

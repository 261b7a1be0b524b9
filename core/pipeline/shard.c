/* Shards of a plan: see shard.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/shard.h"
#include "probe-builder/alloc.h"
#include "util/str.h"

/* A count or an index: decimal digits only, below 2^31. */
static int number(const char *s, unsigned long *v)
{
	char *end;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return -1;
	*v = strtoul(s, &end, 10);
	return *v > 0x7fffffffUL ? -1 : 0;
}

/* name's value as a number into *v: 1 when set, 0 when unset, -EINVAL
 * (said) when it is not a number. */
static int env_number(pb_shard_getenv get, const char *name, unsigned long *v,
		      struct pb_err *err)
{
	const char *s = get(name);

	if (!s || !*s)
		return 0;
	if (number(s, v) < 0)
		return pb_err_set(err, -EINVAL,
				  "--shard auto: %s is '%s', not a number",
				  name, s);
	return 1;
}

/* The count when the environment gives only an index: /N, else
 * PB_SHARD_COUNT. */
static int env_count(pb_shard_getenv get, int have_n, unsigned long n,
		     const char *index_var, struct pb_shard *s,
		     struct pb_err *err)
{
	int r;

	if (have_n) {
		s->count = n;
		return 0;
	}
	r = env_number(get, "PB_SHARD_COUNT", &s->count, err);
	if (r < 0)
		return r;
	if (r == 0)
		return pb_err_set(err, -EINVAL,
				  "--shard auto: %s gives the index, but "
				  "nothing the count: set PB_SHARD_COUNT or "
				  "say --shard auto/N",
				  index_var);
	return 0;
}

/* Slurm: the task's id is the index, so that a task resubmitted alone
 * (sbatch --array=1) is still shard 1; the count from /N or
 * PB_SHARD_COUNT, else the array's, which must then run from 0 to
 * count - 1. */
static int from_slurm(pb_shard_getenv get, int have_n, unsigned long n,
		      unsigned long id, struct pb_shard *s, struct pb_err *err)
{
	unsigned long min = 0, max = 0, count = 0;
	int has_min, has_max, has_count, r;

	s->index = id;
	s->from = "SLURM_ARRAY_TASK_ID";
	if (have_n) {
		s->count = n;
		return 0;
	}
	r = env_number(get, "PB_SHARD_COUNT", &s->count, err);
	if (r)
		return r < 0 ? r : 0;
	if ((has_min = env_number(get, "SLURM_ARRAY_TASK_MIN", &min, err)) <
		    0 ||
	    (has_max = env_number(get, "SLURM_ARRAY_TASK_MAX", &max, err)) <
		    0 ||
	    (has_count = env_number(get, "SLURM_ARRAY_TASK_COUNT", &count,
				    err)) < 0)
		return err->code;
	if (!has_count || !has_min || !has_max || min != 0 || count != max + 1)
		return pb_err_set(err, -EINVAL,
				  "--shard auto: this Slurm array does not run "
				  "from 0, one task per shard (a step, a list, "
				  "or a task resubmitted alone?): submit "
				  "--array=0-%lu, or say the count "
				  "(PB_SHARD_COUNT or --shard auto/N)",
				  has_count && count ? count - 1 : 0);
	s->count = count;
	return 0;
}

static int from_env(pb_shard_getenv get, int have_n, unsigned long n,
		    struct pb_shard *s, struct pb_err *err)
{
	static const char *const index_vars[] = {"PB_SHARD_INDEX",
						 "JOB_COMPLETION_INDEX"};
	unsigned long id;
	size_t i;
	int r;

	for (i = 0; i < PB_ARRAY_SIZE(index_vars); i++) {
		r = env_number(get, index_vars[i], &s->index, err);
		if (r < 0)
			return r;
		if (r) {
			s->from = index_vars[i];
			return env_count(get, have_n, n, index_vars[i], s, err);
		}
	}
	r = env_number(get, "SLURM_ARRAY_TASK_ID", &id, err);
	if (r < 0)
		return r;
	if (r)
		return from_slurm(get, have_n, n, id, s, err);
	return pb_err_set(err, -EINVAL,
			  "--shard auto: no shard index in the environment "
			  "(PB_SHARD_INDEX, Kubernetes' JOB_COMPLETION_INDEX, "
			  "Slurm's SLURM_ARRAY_TASK_ID)");
}

int pb_shard_parse(const char *spec, pb_shard_getenv get, struct pb_shard *s,
		   struct pb_err *err)
{
	const char *slash = strchr(spec, '/');
	size_t hl = slash ? (size_t)(slash - spec) : strlen(spec);
	char head[16];
	unsigned long n = 0;
	int ret;

	memset(s, 0, sizeof(*s));
	if (slash && (number(slash + 1, &n) < 0 || n == 0))
		return pb_err_set(err, -EINVAL,
				  "--shard %s: the count after / is not a "
				  "number of 1 or more",
				  spec);
	if (hl >= sizeof(head))
		return pb_err_set(err, -EINVAL,
				  "--shard %s: not I/N, auto or auto/N", spec);
	memcpy(head, spec, hl);
	head[hl] = '\0';
	if (!strcmp(head, "auto")) {
		ret = from_env(get, slash != NULL, n, s, err);
		if (ret)
			return ret;
	} else if (!slash || number(head, &s->index) < 0) {
		return pb_err_set(err, -EINVAL,
				  "--shard %s: not I/N, auto or auto/N", spec);
	} else {
		s->count = n;
		s->from = "--shard";
	}
	if (s->count == 0)
		return pb_err_set(err, -EINVAL,
				  "--shard: a count of 0 shards (from %s)",
				  s->from);
	if (s->index >= s->count)
		return pb_err_set(err, -EINVAL,
				  "--shard: index %lu (from %s) is not below "
				  "the count, %lu (indexes start at 0)",
				  s->index, s->from, s->count);
	return 0;
}

int pb_shard_has(const struct pb_shard *s, size_t rank)
{
	return rank % s->count == s->index;
}

/* qsort_r's order of kernel indexes by their keys (ctx: the keys) */
static int order_cmp(const void *a, const void *b, void *keys)
{
	char *const *k = keys;

	return strcmp(k[*(const size_t *)a], k[*(const size_t *)b]);
}

int pb_shard_select(struct pb_crawl *c, const struct pb_shard *s, char ***keys,
		    size_t *n_keys, struct pb_err *err)
{
	size_t i, n = c->n_kernels, *order;
	unsigned char *keep;
	char **k, **sorted;

	*keys = NULL;
	*n_keys = 0;
	k = pb_calloc(n + 1, sizeof(*k), err);
	sorted = pb_calloc(n + 1, sizeof(*sorted), err);
	order = pb_calloc(n + 1, sizeof(*order), err);
	keep = pb_calloc(n + 1, 1, err);
	for (i = 0; k && i < n; i++)
		if (!(k[i] = pb_crawl_kernel_key(&c->kernels[i], err)))
			break;
	if (!k || !sorted || !order || !keep || i < n) {
		pb_crawl_keys_free(k, i);
		free(sorted);
		free(order);
		free(keep);
		return -ENOMEM;
	}
	/* a kernel's rank: where its key is in the sorted keys */
	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), order_cmp, k);
	for (i = 0; i < n; i++) {
		sorted[i] = k[order[i]];
		keep[order[i]] = pb_shard_has(s, i);
	}
	pb_crawl_keep(c, keep);
	free(k); /* its strings are sorted's now */
	free(order);
	free(keep);
	*keys = sorted;
	*n_keys = n;
	return 0;
}

int pb_shard_fragment(const struct pb_shard *s, char *buf, size_t len,
		      struct pb_err *err)
{
	int n = snprintf(buf, len, "manifest.d/%lu-of-%lu.json", s->index,
			 s->count);

	if (n < 0 || (size_t)n >= len)
		return pb_err_set(err, -ENAMETOOLONG,
				  "the shard's manifest name is too long");
	return 0;
}

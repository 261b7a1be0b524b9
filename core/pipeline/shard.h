/* One shard of a plan (build --from-json PLAN --shard I/N): the plan's
 * kernels sorted by key (crawl/planid.c), shard I takes every N-th from
 * the I-th: the same plan and N always give the same shards, every kernel
 * is in exactly one, and shards differ by at most one kernel. */
#ifndef PB_PIPELINE_SHARD_H
#define PB_PIPELINE_SHARD_H

#include <stddef.h>

#include "crawl/crawl.h"
#include "probe-builder/error.h"

struct pb_shard {
	unsigned long index, count;
	/* where they came from, for messages: "--shard", "PB_SHARD_INDEX",
	 * "JOB_COMPLETION_INDEX" or "SLURM_ARRAY_TASK_ID" */
	const char *from;
};

/* getenv, or a test's */
typedef const char *(*pb_shard_getenv)(const char *name);

/* spec: "I/N" (0 <= I < N), "auto" or "auto/N": the index (and count,
 * unless /N gives it) from the environment, in this order:
 * PB_SHARD_INDEX with PB_SHARD_COUNT; Kubernetes' JOB_COMPLETION_INDEX
 * with PB_SHARD_COUNT; Slurm's SLURM_ARRAY_TASK_ID with PB_SHARD_COUNT,
 * else with SLURM_ARRAY_TASK_COUNT when the array is 0 to COUNT - 1 (a
 * stepped array, or a task resubmitted alone, must say the count).
 * -EINVAL naming what is wrong or missing. */
int pb_shard_parse(const char *spec, pb_shard_getenv get, struct pb_shard *s,
		   struct pb_err *err);

/* Whether the kernel of rank (its position in the sorted keys) is s's. */
int pb_shard_has(const struct pb_shard *s, size_t rank);

/* Keeps in c only the kernels of s, in their order; *keys gets every key
 * of the plan, sorted (c's n_kernels before, for the manifest fragment;
 * pb_crawl_keys_free it). */
int pb_shard_select(struct pb_crawl *c, const struct pb_shard *s, char ***keys,
		    size_t *n_keys, struct pb_err *err);

/* "manifest.d/I-of-N.json": the shard's manifest, in the output dir. */
int pb_shard_fragment(const struct pb_shard *s, char *buf, size_t len,
		      struct pb_err *err);

#endif

/* `probe-builder manifest merge`: the shards' manifests of one plan
 * (output/manifest.d/I-of-N.json, see pipeline/shard.h) joined into
 * output/manifest.json. The result depends only on the fragments and the
 * entries of manifest.json that no fragment has (other probes, other
 * runs): merging again, or in another order, writes the same bytes. */
#ifndef PB_OUTPUT_MERGE_H
#define PB_OUTPUT_MERGE_H

#include <stddef.h>

#include "output/result.h"
#include "probe-builder/error.h"

/* What one fragment holds. */
struct pb_merge_shard {
	char *file; /* relative to the output dir: manifest.d/0-of-3.json */
	unsigned long shard, shards;
	size_t n[PB_N_STATUS]; /* its entries by status */
};

/* a plan's id: a SHA-256 in hex (crawl/planid.c makes it) */
#define PB_MERGE_PLAN_ID_LEN 64

struct pb_merge_report {
	char plan_id[PB_MERGE_PLAN_ID_LEN + 1];
	size_t n_plan;	       /* kernels in the plan */
	size_t n[PB_N_STATUS]; /* the plan's kernels by status (NONE: 0) */
	char **missing;	       /* keys of kernels no shard reported */
	size_t n_missing;
	unsigned long *missing_shard; /* the shard each belongs to */
	unsigned long shards;	      /* N, the first fragment's */
	struct pb_merge_shard *frags; /* sorted by file name */
	size_t n_frags;
	size_t n_entries; /* in manifest.json as written */
};

/* Merges; -ENOENT when there is no fragment, -EINVAL naming a fragment
 * that is not one or is of another plan than the first (nothing is
 * written then). rep is filled on success (free it either way). */
int pb_manifest_merge(const char *output_dir, struct pb_merge_report *rep,
		      struct pb_err *err);
void pb_merge_report_free(struct pb_merge_report *rep);

#endif

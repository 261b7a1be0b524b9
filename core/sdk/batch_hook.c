/* What batch hooks share, written on the batch's public API: the files a
 * hook classified as kernel packages but found no kernel for. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/alloc.h"
#include "probe-builder/batch.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every path the batch holds, in a kernel or ignored, sorted. */
static const char **settled_paths(const struct pb_batch *b, size_t *n,
				  struct pb_err *err)
{
	size_t i, j, cap = pb_batch_n_ignored(b);
	const char **v;

	for (i = 0; i < pb_batch_n_releases(b); i++)
		cap += pb_batch_n_packages(b, i);
	v = pb_malloc(cap, sizeof(*v), err);
	if (!v)
		return NULL;
	*n = 0;
	for (i = 0; i < pb_batch_n_releases(b); i++)
		for (j = 0; j < pb_batch_n_packages(b, i); j++)
			v[(*n)++] = pb_batch_package(b, i, j, NULL);
	for (i = 0; i < pb_batch_n_ignored(b); i++)
		v[(*n)++] = pb_batch_ignored(b, i, NULL);
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

int pb_batch_ignore_rest(struct pb_batch *b, const char *const *paths, size_t n,
			 const char *reason, struct pb_err *err)
{
	size_t i, n_settled = 0;
	const char **settled = settled_paths(b, &n_settled, err);

	if (!settled)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!bsearch(&paths[i], settled, n_settled, sizeof(*settled),
			     cmp_str))
			pb_batch_ignore(b, paths[i], "%s", reason);
	free(settled);
	return 0;
}

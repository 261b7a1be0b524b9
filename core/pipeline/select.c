#include "config.h"

/* Which kernels are built: -f and the ignore list. (Crawled kernels were
 * selected before their download, by pb_crawl_select: a kernel left out
 * costs no byte; this is the same choice for every source.) */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/run.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/str.h"

int pb_ignore_load(const char *file, struct pb_ignore *ig, struct pb_err *err)
{
	char line[1024];
	FILE *f = fopen(file, "r");
	int ret = 0;

	if (!f)
		return pb_err_set(err, -errno, "--ignore-list %s: %s", file,
				  strerror(errno));
	while (!ret && fgets(line, sizeof(line), f)) {
		char *s = pb_trim(line), **g;

		s[strcspn(s, "#")] = '\0';
		s = pb_trim(s);
		if (!*s)
			continue;
		g = pb_reallocarray(ig->globs, ig->n + 1, sizeof(*g), err);
		if (g)
			ig->globs = g;
		if (!g || !(ig->globs[ig->n] = pb_strdup(s, err))) {
			ret = -ENOMEM;
			pb_err_prefix(err, "--ignore-list %s", file);
		} else {
			ig->n++;
		}
	}
	if (!ret && ferror(f))
		ret = pb_err_set(err, -EIO, "--ignore-list %s: read error",
				 file);
	fclose(f);
	return ret;
}

const char *pb_ignore_match(const struct pb_ignore *ig, const char *release)
{
	size_t i;

	for (i = 0; i < ig->n; i++)
		if (fnmatch(ig->globs[i], release, 0) == 0)
			return ig->globs[i];
	return NULL;
}

void pb_ignore_free(struct pb_ignore *ig)
{
	size_t i;

	for (i = 0; i < ig->n; i++)
		free(ig->globs[i]);
	free(ig->globs);
	memset(ig, 0, sizeof(*ig));
}

/* Release i, in the ignore list: recorded SKIPPED, saying which glob. */
static int skip(const struct pb_pipeline_opts *o, const struct pb_batch *b,
		size_t i, const char *glob, struct pb_results *out,
		struct pb_err *err)
{
	struct pb_release_result r;
	char why[1200];
	int ret;

	snprintf(why, sizeof(why), "in the ignore list (%s)", glob);
	ret = pb_result_skipped(&o->build, b, i, why, &r, err);
	if (!ret)
		ret = pb_results_add(out, &r, err);
	pb_result_free(&r);
	return ret;
}

int pb_pipeline_select(const struct pb_pipeline_opts *o,
		       const struct pb_batch *b, const struct pb_ignore *ig,
		       size_t n_dropped, size_t **idx, size_t *n_idx,
		       struct pb_results *out, struct pb_err *err)
{
	size_t i, n = pb_batch_n_releases(b), first = out->n;
	const char *filter = o->kernel_filter_text;

	*n_idx = 0;
	*idx = pb_calloc(n + 1, sizeof(**idx), err);
	if (!*idx)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *rel = pb_batch_release(b, i), *glob;
		int ret;

		if (o->kernel_filter &&
		    regexec(o->kernel_filter, rel, 0, NULL, 0) != 0) {
			n_dropped++;
			continue;
		}
		glob = pb_ignore_match(ig, rel);
		ret = glob ? skip(o, b, i, glob, out, err) : 0;
		if (ret)
			return ret;
		if (!glob)
			(*idx)[(*n_idx)++] = i;
	}
	if (n_dropped)
		pb_info("%zu kernel%s left out by -f '%s'%s%s", n_dropped,
			n_dropped == 1 ? "" : "s", filter ? filter : "",
			o->n_packages ? "" : " or --arch ",
			o->n_packages ? "" : (o->arch ? o->arch : ""));
	if (*n_idx + (out->n - first) == 0)
		return pb_err_set(err, -ENOENT,
				  "no kernel release matches -f "
				  "'%s'",
				  filter ? filter : "");
	return 0;
}

#include "config.h"

/* What verify boots, fetched when the workspace lacks it: a build without
 * --verify read an image package only as far as its config (or not at
 * all: Ubuntu's signed and unsigned images), and its manifest records each
 * with its URL and SHA-256 for this. Into the workspace's download cache,
 * where input_file() finds it, checked against the SHA-256. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/fetch.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"
#include "verify/fetchinputs.h"

struct want {
	struct pb_fetch_item it;
	const char *url;
	char dest[PATH_MAX];
};

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
			       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* Input in, to fetch into w (0), or not (1: not a boot input, already
 * here, nothing to fetch it from, or already asked). */
static int plan(const char *workspace, json_object *in, struct want *w,
		size_t n_w)
{
	const char *role = jstr(in, "role"), *url = jstr(in, "url"),
		   *sha = jstr(in, "sha256"), *file = jstr(in, "file");
	char dir[PATH_MAX];
	size_t i;

	if (!role || (strcmp(role, "config") && strcmp(role, "boot")) || !url ||
	    !sha || strlen(sha) != 64 || !file || strchr(file, '/') ||
	    !strcmp(file, "..") || !strcmp(file, "."))
		return 1;
	for (i = 0; i < n_w; i++)
		if (!strcmp(w[i].it.sha256, sha))
			return 1;
	if (pb_path_fmt(dir, sizeof(dir), NULL, "%s/cache/%.2s/%s", workspace,
			sha, sha) ||
	    pb_path_join(w[n_w].dest, sizeof(w[n_w].dest), NULL, dir, file,
			 NULL) ||
	    pb_is_file(w[n_w].dest) || pb_mkdir_p(dir, NULL) < 0)
		return 1;
	w[n_w].url = url;
	w[n_w].it.urls = &w[n_w].url;
	w[n_w].it.n_urls = 1;
	w[n_w].it.dest = w[n_w].dest;
	w[n_w].it.size = -1;
	w[n_w].it.sha256 = sha;
	return 0;
}

int pb_verify_fetch_inputs(struct pb_fetcher *f, const char *workspace,
			   json_object *const *entries, size_t n,
			   struct pb_err *err)
{
	struct want *w;
	size_t i, k, n_in = 0, n_w = 0;
	json_object *ins;
	int ret;

	for (i = 0; i < n; i++)
		if (json_object_object_get_ex(entries[i], "inputs", &ins) &&
		    json_object_is_type(ins, json_type_array))
			n_in += json_object_array_length(ins);
	w = pb_calloc(n_in + 1, sizeof(*w), err);
	if (!w)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(entries[i], "inputs", &ins) ||
		    !json_object_is_type(ins, json_type_array))
			continue;
		for (k = 0; k < json_object_array_length(ins); k++)
			if (plan(workspace, json_object_array_get_idx(ins, k),
				 w, n_w) == 0)
				n_w++;
	}
	for (i = 0, ret = 0; i < n_w && !ret; i++)
		ret = pb_fetcher_add(f, &w[i].it, err);
	if (!ret && n_w) {
		pb_info("fetching %zu image package%s to boot (not in the "
			"workspace)",
			n_w, n_w == 1 ? "" : "s");
		ret = pb_fetcher_run(f, err);
	}
	/* -EIO: some failed; their kernels are SKIPPED, saying so */
	if (ret == -EIO) {
		for (i = 0; i < n_w; i++)
			if (w[i].it.result)
				pb_warn("%s", w[i].it.error);
		pb_err_clear(err);
		ret = 0;
	}
	free(w);
	return ret;
}

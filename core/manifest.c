#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "manifest.h"

#define MANIFEST_FORMAT 1

static const char *field(json_object *e, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(e, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int entry_cmp(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a;
	json_object *y = *(json_object *const *)b;
	static const char *const keys[] = {"probe", "probe_version", "distro",
					   "release"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int c = strcmp(field(x, keys[i]), field(y, keys[i]));

		if (c)
			return c;
	}
	return 0;
}

static int same_key(json_object *a, json_object *b)
{
	return entry_cmp(&a, &b) == 0;
}

static void manifest_path(const char *dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/manifest.json", dir);
}

int pb_manifest_load(const char *output_dir, json_object **manifest,
		     struct pb_err *err)
{
	char path[PATH_MAX];
	json_object *m, *k;

	*manifest = NULL;
	manifest_path(output_dir, path, sizeof(path));
	if (!pb_is_file(path)) {
		m = json_object_new_object();
		json_object_object_add(m, "format",
				       json_object_new_int(MANIFEST_FORMAT));
		json_object_object_add(m, "kernels", json_object_new_array());
		*manifest = m;
		return 0;
	}
	m = json_object_from_file(path);
	if (!m || !json_object_is_type(m, json_type_object) ||
	    !json_object_object_get_ex(m, "kernels", &k) ||
	    !json_object_is_type(k, json_type_array)) {
		json_object_put(m);
		return pb_err_set(err, -EINVAL,
				  "%s: not a probe-builder manifest (%s); move "
				  "it away, it will not be overwritten",
				  path,
				  json_util_get_last_err()
					  ? json_util_get_last_err()
					  : "no 'kernels' array");
	}
	*manifest = m;
	return 0;
}

int pb_manifest_update(const char *output_dir, json_object *manifest,
		       json_object *results, struct pb_err *err)
{
	json_object *old, *merged;
	json_object **all;
	size_t n_old, n_new, n = 0, i, j;
	char path[PATH_MAX];
	const char *text;
	int ret;

	json_object_object_get_ex(manifest, "kernels", &old);
	n_old = json_object_array_length(old);
	n_new = json_object_array_length(results);
	all = calloc(n_old + n_new + 1, sizeof(*all));
	if (!all)
		return pb_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n_old; i++) {
		json_object *e = json_object_array_get_idx(old, i);

		for (j = 0; j < n_new; j++)
			if (same_key(e, json_object_array_get_idx(results, j)))
				break;
		if (j == n_new)
			all[n++] = json_object_get(e);
	}
	for (j = 0; j < n_new; j++)
		all[n++] =
			json_object_get(json_object_array_get_idx(results, j));
	qsort(all, n, sizeof(*all), entry_cmp);
	merged = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(merged, all[i]);
	free(all);
	json_object_object_add(manifest, "format",
			       json_object_new_int(MANIFEST_FORMAT));
	json_object_object_add(manifest, "generator",
			       json_object_new_string(PACKAGE_STRING));
	json_object_object_add(manifest, "kernels", merged);
	text = json_object_to_json_string_ext(
		manifest, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				  JSON_C_TO_STRING_NOSLASHESCAPE);
	manifest_path(output_dir, path, sizeof(path));
	{
		size_t tl = strlen(text);
		char *withnl = malloc(tl + 2);

		if (!withnl)
			return pb_err_set(err, -ENOMEM, "out of memory");
		memcpy(withnl, text, tl);
		withnl[tl] = '\n';
		ret = pb_write_file_atomic(path, withnl, tl + 1, err);
		free(withnl);
	}
	return ret;
}

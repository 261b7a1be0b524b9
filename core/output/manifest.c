#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/manifest.h"
#include "output/result.h"
#include "probe-builder/alloc.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/str.h"

#define MANIFEST_FORMAT PB_MANIFEST_FORMAT

static const char *field(json_object *e, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(e, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int pb_manifest_entry_cmp(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a;
	json_object *y = *(json_object *const *)b;
	/* one release name is several kernels: arch and package version
	 * tell them apart */
	static const char *const keys[] = {"probe",  "probe_version",
					   "distro", "release",
					   "arch",   "version"};
	size_t i;

	for (i = 0; i < PB_ARRAY_SIZE(keys); i++) {
		int c = strcmp(field(x, keys[i]), field(y, keys[i]));

		if (c)
			return c;
	}
	return 0;
}

static int same_key(json_object *a, json_object *b)
{
	return pb_manifest_entry_cmp(&a, &b) == 0;
}

static int manifest_path(const char *dir, char *buf, size_t len,
			 struct pb_err *err)
{
	return pb_path_join(buf, len, err, dir, "manifest.json", NULL);
}

int pb_manifest_load(const char *output_dir, json_object **manifest,
		     struct pb_err *err)
{
	char path[PATH_MAX];

	*manifest = NULL;
	if (manifest_path(output_dir, path, sizeof(path), err))
		return err->code;
	return pb_manifest_load_file(path, manifest, err);
}

int pb_manifest_load_file(const char *path, json_object **manifest,
			  struct pb_err *err)
{
	json_object *m, *k;

	*manifest = NULL;
	if (!pb_is_file(path)) {
		m = json_object_new_object();
		json_object_object_add(m, "format",
				       json_object_new_int(MANIFEST_FORMAT));
		json_object_object_add(m, "kernels", json_object_new_array());
		*manifest = m;
		return 0;
	}
	m = json_object_from_file(path);
	if (m && json_object_is_type(m, json_type_object) &&
	    json_object_object_get_ex(m, "format", &k) &&
	    (!json_object_is_type(k, json_type_int) ||
	     json_object_get_int64(k) > MANIFEST_FORMAT)) {
		int ret = pb_err_set(err, -EPROTO,
				     "%s: manifest format %s, this "
				     "probe-builder (%s) writes format %d: run "
				     "a newer one, it will not be overwritten",
				     path, json_object_get_string(k),
				     PACKAGE_VERSION, MANIFEST_FORMAT);

		json_object_put(m); /* k is m's */
		return ret;
	}
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

json_object *pb_manifest_find(json_object *manifest, json_object *entry)
{
	json_object *ks;
	size_t i, n;

	if (!manifest || !json_object_object_get_ex(manifest, "kernels", &ks) ||
	    !json_object_is_type(ks, json_type_array))
		return NULL;
	n = json_object_array_length(ks);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(ks, i);

		if (json_object_is_type(e, json_type_object) &&
		    same_key(e, entry))
			return e;
	}
	return NULL;
}

/* The status of a record (an entry or one of its outputs). */
static enum pb_status status_of(json_object *o)
{
	return pb_status_parse(field(o, "status"));
}

const char *pb_entry_status(json_object *e)
{
	struct pb_release_result r;
	json_object *x;

	pb_result_init(&r);
	if (json_object_object_get_ex(e, "kmod", &x))
		r.kmod.status = status_of(x);
	if (json_object_object_get_ex(e, "ebpf", &x))
		r.ebpf.status = status_of(x);
	return pb_status_name(pb_result_settle(&r));
}

static json_object *copy(json_object *o)
{
	json_object *c = NULL;

	if (json_object_deep_copy(o, &c, NULL) < 0)
		return NULL;
	return c;
}

/* Whether output record o was made by a build (this run or an earlier
 * one): it carries the file's SHA-256 from the time it was built. */
static int is_built_record(json_object *o)
{
	return status_of(o) == PB_STATUS_BUILT && field(o, "sha256")[0];
}

/* What the manifest keeps of output `which` of a kernel: the earlier
 * record when this run only saw the file (EXISTING, same file, same
 * SHA-256) or did not look at it (SKIPPED). */
static json_object *merge_output(json_object *old_e, json_object *new_e,
				 const char *which, const char *now, int *kept)
{
	json_object *o = NULL, *n = NULL, *m;
	enum pb_status ns;

	*kept = 0;
	json_object_object_get_ex(new_e, which, &n);
	json_object_object_get_ex(old_e, which, &o);
	if (!o || !json_object_is_type(o, json_type_object))
		return n ? json_object_get(n) : NULL;
	if (!n)
		return json_object_get(o);
	ns = status_of(n);
	if (ns == PB_STATUS_SKIPPED && status_of(o) != PB_STATUS_SKIPPED) {
		*kept = 1;
		return json_object_get(o);
	}
	if (ns != PB_STATUS_EXISTING || !is_built_record(o) ||
	    strcmp(field(n, "file"), field(o, "file")) != 0 ||
	    (field(n, "sha256")[0] &&
	     strcmp(field(n, "sha256"), field(o, "sha256")) != 0))
		return json_object_get(n);
	m = copy(o);
	if (!m)
		return NULL;
	json_object_object_add(m, "last_seen", json_object_new_string(now));
	*kept = 1;
	return m;
}

/* The new entry of a kernel the manifest has: see pb_manifest_update. */
static json_object *merge_entry(json_object *old_e, json_object *new_e,
				const char *now)
{
	static const char *const keep[] = {"inputs", "compiler",   "config",
					   "log",    "duration_s", "built_at",
					   "verify"};
	json_object *m, *v, *series_old, *series_new;
	int kept_k = 0, kept_e = 0, built_now;
	size_t i;

	if (status_of(new_e) == PB_STATUS_SKIPPED &&
	    status_of(old_e) != PB_STATUS_SKIPPED)
		return json_object_get(old_e); /* not looked at this time */
	m = copy(new_e);
	if (!m)
		return NULL;
	v = merge_output(old_e, new_e, "kmod", now, &kept_k);
	if (v)
		json_object_object_add(m, "kmod", v);
	v = merge_output(old_e, new_e, "ebpf", now, &kept_e);
	if (v)
		json_object_object_add(m, "ebpf", v);
	built_now = 0;
	for (i = 0; i < 2; i++) {
		json_object *o;

		if (json_object_object_get_ex(new_e, i ? "ebpf" : "kmod", &o) &&
		    (status_of(o) == PB_STATUS_BUILT ||
		     status_of(o) == PB_STATUS_FAILED))
			built_now = 1;
	}
	if (!built_now && (kept_k || kept_e)) {
		/* nothing was built this run: the kernel's record is the one
		 * of the run that built what is there */
		for (i = 0; i < PB_ARRAY_SIZE(keep); i++) {
			if (json_object_object_get_ex(old_e, keep[i], &v))
				json_object_object_add(m, keep[i],
						       json_object_get(v));
			else
				json_object_object_del(m, keep[i]);
		}
	}
	/* the suites that list a kernel only grow */
	if (json_object_object_get_ex(old_e, "series", &series_old) &&
	    json_object_is_type(series_old, json_type_array)) {
		json_object *u = json_object_new_array();
		size_t k, j;

		if (json_object_object_get_ex(new_e, "series", &series_new) &&
		    json_object_is_type(series_new, json_type_array))
			for (k = 0; k < json_object_array_length(series_new);
			     k++)
				json_object_array_add(
					u, json_object_get(
						   json_object_array_get_idx(
							   series_new, k)));
		for (k = 0; k < json_object_array_length(series_old); k++) {
			json_object *s =
				json_object_array_get_idx(series_old, k);

			for (j = 0; j < json_object_array_length(u); j++)
				if (!strcmp(json_object_get_string(s),
					    json_object_get_string(
						    json_object_array_get_idx(
							    u, j))))
					break;
			if (j == json_object_array_length(u))
				json_object_array_add(u, json_object_get(s));
		}
		json_object_object_add(m, "series", u);
	}
	json_object_object_add(m, "status",
			       json_object_new_string(pb_entry_status(m)));
	return m;
}

int pb_manifest_update(const char *output_dir, json_object *manifest,
		       json_object *results, const char *now,
		       struct pb_err *err)
{
	char path[PATH_MAX];

	if (manifest_path(output_dir, path, sizeof(path), err))
		return err->code;
	return pb_manifest_update_file(path, manifest, results, now, err);
}

int pb_manifest_update_file(const char *path, json_object *manifest,
			    json_object *results, const char *now,
			    struct pb_err *err)
{
	json_object *old, *merged;
	json_object **all;
	size_t n_old, n_new, n = 0, i, j;
	json_object_object_get_ex(manifest, "kernels", &old);
	n_old = json_object_array_length(old);
	n_new = json_object_array_length(results);
	all = pb_calloc(n_old + n_new + 1, sizeof(*all), err);
	if (!all)
		return -ENOMEM;
	for (i = 0; i < n_old; i++) {
		json_object *e = json_object_array_get_idx(old, i);

		for (j = 0; j < n_new; j++)
			if (same_key(e, json_object_array_get_idx(results, j)))
				break;
		if (j == n_new)
			all[n++] = json_object_get(e);
	}
	for (j = 0; j < n_new; j++) {
		json_object *e = json_object_array_get_idx(results, j), *o, *m;

		o = pb_manifest_find(manifest, e);
		m = o ? merge_entry(o, e, now) : copy(e);
		if (!m) {
			for (i = 0; i < n; i++)
				json_object_put(all[i]);
			free(all);
			return pb_err_set(err, -ENOMEM, "out of memory");
		}
		if (!o || m != o)
			json_object_object_add(m, "last_seen",
					       json_object_new_string(now));
		all[n++] = m;
	}
	qsort(all, n, sizeof(*all), pb_manifest_entry_cmp);
	merged = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(merged, all[i]);
	free(all);
	json_object_object_add(manifest, "format",
			       json_object_new_int(MANIFEST_FORMAT));
	json_object_object_add(manifest, "generator",
			       json_object_new_string(PACKAGE_STRING));
	json_object_object_add(manifest, "kernels", merged);
	return pb_manifest_write_file(path, manifest, err);
}

int pb_manifest_write(const char *output_dir, json_object *manifest,
		      struct pb_err *err)
{
	char path[PATH_MAX];

	if (manifest_path(output_dir, path, sizeof(path), err))
		return err->code;
	return pb_manifest_write_file(path, manifest, err);
}

int pb_manifest_write_file(const char *path, json_object *manifest,
			   struct pb_err *err)
{
	char *withnl;
	const char *text;
	size_t tl;
	int ret;

	text = json_object_to_json_string_ext(
		manifest, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				  JSON_C_TO_STRING_NOSLASHESCAPE);
	tl = strlen(text);
	withnl = pb_malloc(tl + 2, 1, err);
	if (!withnl)
		return -ENOMEM;
	memcpy(withnl, text, tl);
	withnl[tl] = '\n';
	ret = pb_write_file_atomic(path, withnl, tl + 1, err);
	free(withnl);
	return ret;
}

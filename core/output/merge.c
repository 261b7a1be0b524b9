/* The shards' manifests joined: see merge.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/manifest.h"
#include "output/merge.h"
#include "probe-builder/alloc.h"
#include "util/path.h"
#include "util/str.h"

/* One fragment, loaded. */
struct frag {
	char *name; /* its file name in manifest.d */
	json_object *m;
	json_object *kernels; /* m's "kernels" */
	json_object *plan;    /* m's "plan" */
};

/* An entry of a fragment, and which fragment. */
struct item {
	json_object *e;
	size_t frag;
};

static const char *str_of(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .json files of manifest.d, sorted (a temporary file of a writer,
 * hidden, is not one). */
static int list_fragments(const char *dir, char ***names, size_t *n,
			  struct pb_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **g;
	size_t cap = 0;
	int ret = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return pb_err_set(err, errno == ENOENT ? -ENOENT : -errno,
				  "%s: %s%s", dir, strerror(errno),
				  errno == ENOENT ? " (no shard has recorded "
						    "anything here)"
						  : "");
	while (!ret && (de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 ||
		    strcmp(de->d_name + l - 5, ".json"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			g = pb_reallocarray(v, cap, sizeof(*v), err);
			if (!g) {
				ret = -ENOMEM;
				break;
			}
			v = g;
		}
		if (!(v[*n] = pb_strdup(de->d_name, err)))
			ret = -ENOMEM;
		else
			(*n)++;
	}
	closedir(d);
	if (!ret && *n == 0)
		ret = pb_err_set(err, -ENOENT,
				 "%s: no shard's manifest (*.json) in it", dir);
	if (ret) {
		while (*n)
			free(v[--*n]);
		free(v);
		return ret;
	}
	qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return 0;
}

/* A fragment's plan: its id, shard, shards and kernels, all there. */
static int check_plan(const char *path, json_object *plan, struct pb_err *err)
{
	json_object *v;

	if (!plan || !json_object_is_type(plan, json_type_object) ||
	    strlen(str_of(plan, "id")) != PB_MERGE_PLAN_ID_LEN ||
	    !json_object_object_get_ex(plan, "shard", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    !json_object_object_get_ex(plan, "shards", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 1 ||
	    !json_object_object_get_ex(plan, "kernels", &v) ||
	    !json_object_is_type(v, json_type_array))
		return pb_err_set(err, -EINVAL,
				  "%s: not a shard's manifest (no whole "
				  "\"plan\": id, shard, shards, kernels)",
				  path);
	return 0;
}

static int load_fragments(const char *dir, char **names, size_t n,
			  struct frag *f, struct pb_err *err)
{
	char path[PATH_MAX];
	size_t i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		f[i].name = names[i];
		ret = pb_path_join(path, sizeof(path), err, dir, names[i],
				   NULL);
		if (!ret)
			ret = pb_manifest_load_file(path, &f[i].m, err);
		if (ret)
			break;
		json_object_object_get_ex(f[i].m, "kernels", &f[i].kernels);
		if (!json_object_object_get_ex(f[i].m, "plan", &f[i].plan))
			f[i].plan = NULL;
		ret = check_plan(path, f[i].plan, err);
		if (!ret && i &&
		    strcmp(str_of(f[i].plan, "id"), str_of(f[0].plan, "id")))
			ret = pb_err_set(err, -EINVAL,
					 "%s is of plan %.12s, %s of plan "
					 "%.12s: a fragment of another plan "
					 "(remove it, or merge each plan's "
					 "shards in an output dir of its own)",
					 names[i], str_of(f[i].plan, "id"),
					 names[0], str_of(f[0].plan, "id"));
	}
	return ret;
}

/* Duplicates (one kernel in two fragments: shards of another count, or a
 * kernel moved) keep the most recently seen, then the later file: by key,
 * then that preference first. */
static int item_cmp(const void *a, const void *b, void *frags)
{
	const struct item *x = a, *y = b;
	const struct frag *f = frags;
	int c = pb_manifest_entry_cmp(&x->e, &y->e);

	if (c)
		return c;
	c = strcmp(str_of(y->e, "last_seen"), str_of(x->e, "last_seen"));
	if (c)
		return c;
	return strcmp(f[y->frag].name, f[x->frag].name);
}

/* "release\tarch\tversion" of an entry, as the plan keys go. */
static char *entry_key(json_object *e, struct pb_err *err)
{
	return pb_asprintf(err, "%s\t%s\t%s", str_of(e, "release"),
			   str_of(e, "arch"), str_of(e, "version"));
}

/* The report: the plan's kernels by the worst status of their entries,
 * the ones without any, each fragment's counts. */
static int report(const struct frag *f, size_t nf, json_object *const *kept,
		  size_t nk, struct pb_merge_report *rep, struct pb_err *err)
{
	json_object *keys;
	enum pb_status *st;
	size_t i, j, n;
	int ret = 0;

	json_object_object_get_ex(f[0].plan, "kernels", &keys);
	n = json_object_array_length(keys);
	rep->n_plan = n;
	snprintf(rep->plan_id, sizeof(rep->plan_id), "%s",
		 str_of(f[0].plan, "id"));
	{
		json_object *v;

		json_object_object_get_ex(f[0].plan, "shards", &v);
		rep->shards = (unsigned long)json_object_get_int64(v);
	}
	st = pb_calloc(n + 1, sizeof(*st), err);
	rep->frags = pb_calloc(nf + 1, sizeof(*rep->frags), err);
	rep->missing = pb_calloc(n + 1, sizeof(*rep->missing), err);
	rep->missing_shard = pb_calloc(n + 1, sizeof(*rep->missing_shard), err);
	if (!st || !rep->frags || !rep->missing || !rep->missing_shard) {
		free(st);
		return -ENOMEM;
	}
	/* the plan's keys are sorted: an entry's kernel found by bsearch */
	for (i = 0; i < nk && !ret; i++) {
		char *k = entry_key(kept[i], err);
		size_t lo = 0, hi = n;

		if (!k) {
			ret = -ENOMEM;
			break;
		}
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strcmp(k, json_object_get_string(
						  json_object_array_get_idx(
							  keys, mid)));

			if (c == 0) {
				enum pb_status s = pb_status_parse(
					pb_entry_status(kept[i]));

				if (s > st[mid])
					st[mid] = s;
				break;
			}
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		free(k);
	}
	for (i = 0; i < n && !ret; i++) {
		rep->n[st[i]]++;
		if (st[i] != PB_STATUS_NONE)
			continue;
		rep->missing[rep->n_missing] =
			pb_strdup(json_object_get_string(
					  json_object_array_get_idx(keys, i)),
				  err);
		if (!rep->missing[rep->n_missing]) {
			ret = -ENOMEM;
			break;
		}
		rep->missing_shard[rep->n_missing++] = i % rep->shards;
	}
	for (i = 0; i < nf && !ret; i++) {
		struct pb_merge_shard *s = &rep->frags[i];
		json_object *v;

		rep->n_frags++;
		s->file = pb_asprintf(err, "manifest.d/%s", f[i].name);
		if (!s->file) {
			ret = -ENOMEM;
			break;
		}
		json_object_object_get_ex(f[i].plan, "shard", &v);
		s->shard = (unsigned long)json_object_get_int64(v);
		json_object_object_get_ex(f[i].plan, "shards", &v);
		s->shards = (unsigned long)json_object_get_int64(v);
		for (j = 0; j < json_object_array_length(f[i].kernels); j++)
			s->n[pb_status_parse(pb_entry_status(
				json_object_array_get_idx(f[i].kernels, j)))]++;
	}
	rep->n[PB_STATUS_NONE] = 0;
	free(st);
	return ret;
}

/* manifest.json's new entries: the fragments' (one per key) and its own
 * that no fragment has, sorted by key; NULL: -ENOMEM. */
static json_object **join(const struct frag *f, size_t nf, json_object *old,
			  size_t *n_out, json_object ***from_frags,
			  size_t *n_frag_kept, struct pb_err *err)
{
	json_object *ok, **all = NULL, **fk = NULL;
	struct item *items;
	size_t ni = 0, i, j, n = 0, n_old = 0, nk = 0;

	for (i = 0; i < nf; i++)
		ni += json_object_array_length(f[i].kernels);
	if (json_object_object_get_ex(old, "kernels", &ok))
		n_old = json_object_array_length(ok);
	items = pb_calloc(ni + 1, sizeof(*items), err);
	all = pb_calloc(ni + n_old + 1, sizeof(*all), err);
	fk = pb_calloc(ni + 1, sizeof(*fk), err);
	if (!items || !all || !fk) {
		free(items);
		free(all);
		free(fk);
		return NULL;
	}
	ni = 0;
	for (i = 0; i < nf; i++)
		for (j = 0; j < json_object_array_length(f[i].kernels); j++) {
			json_object *e =
				json_object_array_get_idx(f[i].kernels, j);

			if (json_object_is_type(e, json_type_object))
				items[ni++] = (struct item){e, i};
		}
	qsort_r(items, ni, sizeof(*items), item_cmp, (void *)f);
	for (i = 0; i < ni; i++)
		if (i == 0 ||
		    pb_manifest_entry_cmp(&items[i - 1].e, &items[i].e) != 0)
			all[n++] = fk[nk++] = items[i].e;
	for (i = 0; i < n_old; i++) {
		json_object *e = json_object_array_get_idx(ok, i);

		if (!json_object_is_type(e, json_type_object) ||
		    bsearch(&e, fk, nk, sizeof(*fk), pb_manifest_entry_cmp))
			continue;
		all[n++] = e;
	}
	qsort(all, n, sizeof(*all), pb_manifest_entry_cmp);
	free(items);
	*n_out = n;
	*from_frags = fk;
	*n_frag_kept = nk;
	return all;
}

int pb_manifest_merge(const char *output_dir, struct pb_merge_report *rep,
		      struct pb_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX], **names = NULL;
	json_object *old = NULL, *arr, **all = NULL, **fk = NULL;
	struct frag *f = NULL;
	size_t nf = 0, n = 0, nk = 0, i;
	int ret;

	memset(rep, 0, sizeof(*rep));
	ret = pb_path_join(dir, sizeof(dir), err, output_dir, "manifest.d",
			   NULL);
	if (!ret)
		ret = pb_path_join(path, sizeof(path), err, output_dir,
				   "manifest.json", NULL);
	if (!ret)
		ret = list_fragments(dir, &names, &nf, err);
	if (!ret && !(f = pb_calloc(nf + 1, sizeof(*f), err)))
		ret = -ENOMEM;
	if (!ret)
		ret = load_fragments(dir, names, nf, f, err);
	if (!ret)
		ret = pb_manifest_load_file(path, &old, err);
	if (!ret && !(all = join(f, nf, old, &n, &fk, &nk, err)))
		ret = -ENOMEM;
	if (!ret) {
		arr = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(arr, json_object_get(all[i]));
		json_object_object_add(old, "format",
				       json_object_new_int(PB_MANIFEST_FORMAT));
		json_object_object_add(old, "generator",
				       json_object_new_string(PACKAGE_STRING));
		json_object_object_add(
			old, "plan_id",
			json_object_new_string(str_of(f[0].plan, "id")));
		/* the entries, after every other member */
		json_object_object_del(old, "kernels");
		json_object_object_add(old, "kernels", arr);
		ret = report(f, nf, fk, nk, rep, err);
	}
	if (!ret)
		ret = pb_manifest_write_file(path, old, err);
	if (!ret)
		rep->n_entries = n;
	free(all);
	free(fk);
	json_object_put(old);
	for (i = 0; f && i < nf; i++)
		json_object_put(f[i].m);
	free(f);
	for (i = 0; i < nf; i++)
		free(names[i]);
	free(names);
	return ret;
}

void pb_merge_report_free(struct pb_merge_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n_missing; i++)
		free(rep->missing[i]);
	free(rep->missing);
	free(rep->missing_shard);
	for (i = 0; i < rep->n_frags; i++)
		free(rep->frags[i].file);
	free(rep->frags);
	memset(rep, 0, sizeof(*rep));
}

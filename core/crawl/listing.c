/* A crawl listed: the original tool's text, and JSON both ways. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawl.h"
#include "crawl/mirror.h"
#include "probe-builder/alloc.h"
#include "probe-builder/pkgname.h"
#include "util/pkgrole.h"

void pb_crawl_print(FILE *f, const struct pb_crawl *c)
{
	size_t i, j;

	for (i = 0; i < c->n_kernels; i++) {
		const struct pb_crawl_kernel *k = &c->kernels[i];

		fprintf(f, "=== %s ===\n", k->release);
		if (k->error)
			fprintf(f, "# incomplete: %s\n", k->error);
		for (j = 0; j < k->n_pkgs; j++)
			fprintf(f, "%s\n", k->pkgs[j].url);
	}
}

json_object *pb_crawl_to_json(const struct pb_crawl *c)
{
	json_object *root, *ks;
	char plan_id[PB_PLAN_ID_LEN + 1];
	struct pb_err err = {0};
	size_t i, j, a;

	if (pb_crawl_plan_id(c, plan_id, &err))
		return NULL;
	root = json_object_new_object();
	ks = json_object_new_array();
	json_object_object_add(root, "format",
			       json_object_new_int(PB_CRAWL_JSON_FORMAT));
	json_object_object_add(
		root, "distro",
		json_object_new_string(c->distro ? c->distro : ""));
	json_object_object_add(root, "plan_id",
			       json_object_new_string(plan_id));
	for (i = 0; i < c->n_kernels; i++) {
		const struct pb_crawl_kernel *k = &c->kernels[i];
		json_object *jk = json_object_new_object(),
			    *pk = json_object_new_array();

		json_object_object_add(jk, "release",
				       json_object_new_string(k->release));
		json_object_object_add(jk, "flavor",
				       json_object_new_string(k->flavor));
		json_object_object_add(jk, "arch",
				       json_object_new_string(k->arch));
		json_object_object_add(
			jk, "version",
			json_object_new_string(k->version ? k->version : ""));
		{
			json_object *js = json_object_new_array();

			for (a = 0; k->series && k->series[a]; a++)
				json_object_array_add(
					js,
					json_object_new_string(k->series[a]));
			json_object_object_add(jk, "series", js);
		}
		for (j = 0; j < k->n_pkgs; j++) {
			const struct pb_crawl_pkg *p = &k->pkgs[j];
			json_object *jp = json_object_new_object();

			json_object_object_add(jp, "name",
					       json_object_new_string(p->name));
			json_object_object_add(jp, "url",
					       json_object_new_string(p->url));
			json_object_object_add(jp, "size",
					       json_object_new_int64(p->size));
			json_object_object_add(
				jp, "sha256",
				json_object_new_string(p->sha256));
			json_object_object_add(
				jp, "role",
				json_object_new_string(
					pb_pkg_role_name(p->role)));
			if (p->alts && p->alts[0]) {
				json_object *m = json_object_new_array();

				for (a = 0; p->alts[a]; a++)
					json_object_array_add(
						m, json_object_new_string(
							   p->alts[a]));
				json_object_object_add(jp, "mirrors", m);
			}
			json_object_array_add(pk, jp);
		}
		json_object_object_add(jk, "packages", pk);
		if (k->error)
			json_object_object_add(
				jk, "error", json_object_new_string(k->error));
		json_object_array_add(ks, jk);
	}
	json_object_object_add(root, "kernels", ks);
	if (c->n_missed) {
		json_object *m = json_object_new_array();

		for (i = 0; i < c->n_missed; i++)
			json_object_array_add(
				m, json_object_new_string(c->missed[i]));
		json_object_object_add(root, "missed", m);
	}
	return root;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int valid_sha256(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The array under key, or NULL when it is absent or not an array: json-c
 * asserts on an array call made on another type. */
static json_object *jarr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* A string array (NULL when absent) into a NULL-terminated copy; -EINVAL
 * when it holds something else than strings (the caller says where). */
static int jstrv(json_object *o, const char *key, char ***out,
		 struct pb_err *err)
{
	json_object *a, *v;
	size_t i, n;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	a = jarr(o, key);
	if (!a)
		return pb_err_set(err, -EINVAL,
				  "\"%s\" is not an array of strings", key);
	n = json_object_array_length(a);
	*out = pb_calloc(n + 1, sizeof(char *), err);
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_string))
			return pb_err_set(err, -EINVAL,
					  "\"%s\" is not an array of strings",
					  key);
		(*out)[i] = pb_strdup(json_object_get_string(e), err);
		if (!(*out)[i])
			return -ENOMEM;
	}
	return 0;
}

/* The listing's "format" and "distro" checked, out->distro set. */
static int read_head(json_object *j, const char *what, struct pb_crawl *out,
		     struct pb_err *err)
{
	json_object *v;

	if (json_object_object_get_ex(j, "format", &v)) {
		int64_t f = json_object_is_type(v, json_type_int)
				    ? json_object_get_int64(v)
				    : -1;

		if (f < 1)
			return pb_err_set(err, -EINVAL,
					  "%s: \"format\" is not a format "
					  "number",
					  what);
		if (f > PB_CRAWL_JSON_FORMAT)
			return pb_err_set(err, PB_EBADMETA,
					  "%s: crawl listing format %" PRId64
					  ", this probe-builder (%s) reads up "
					  "to %d: run a newer one, or crawl "
					  "again with this one",
					  what, f, PACKAGE_VERSION,
					  PB_CRAWL_JSON_FORMAT);
	}
	if (json_object_object_get_ex(j, "distro", &v) &&
	    !json_object_is_type(v, json_type_string))
		return pb_err_set(err, -EINVAL,
				  "%s: \"distro\" is not a string", what);
	out->distro =
		pb_strdup(jstr(j, "distro") ? jstr(j, "distro") : "", err);
	return out->distro ? 0 : -ENOMEM;
}

/* Package p (counted from 0) of kernel rel into q. */
static int read_pkg(json_object *jp, const char *what, const char *rel,
		    size_t p, struct pb_crawl_pkg *q, struct pb_err *err)
{
	const char *url = jstr(jp, "url"), *sha = jstr(jp, "sha256"),
		   *role = jstr(jp, "role");
	json_object *v;
	int ret;

	if (!url || !valid_sha256(sha) ||
	    !json_object_object_get_ex(jp, "size", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return pb_err_set(err, -EINVAL,
				  "%s: %s: package %zu needs url, size and "
				  "sha256 (a number, 64 hex digits)",
				  what, rel, p + 1);
	q->url = pb_strdup(url, err);
	q->name = pb_strdup(
		jstr(jp, "name") ? jstr(jp, "name") : pb_basename(url), err);
	q->size = json_object_get_int64(v);
	snprintf(q->sha256, sizeof(q->sha256), "%s", sha);
	q->role = pb_pkg_role_from(role);
	if (!q->url || !q->name)
		return -ENOMEM;
	ret = jstrv(jp, "mirrors", &q->alts, err);
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return pb_err_set(err, -EINVAL,
				  "%s: %s: package %zu: \"mirrors\" is not an "
				  "array of URLs",
				  what, rel, p + 1);
	if (!q->alts && !(q->alts = pb_calloc(1, sizeof(char *), err)))
		return -ENOMEM;
	return 0;
}

/* Kernel i (counted from 0) into k; what it took stays in k, for
 * pb_crawl_free, whatever the outcome. */
static int read_kernel(json_object *jk, const char *what, size_t i,
		       struct pb_crawl_kernel *k, struct pb_err *err)
{
	const char *rel = jstr(jk, "release");
	json_object *pk;
	size_t p;
	int ret;

	if (!rel || !(pk = jarr(jk, "packages")))
		return pb_err_set(err, -EINVAL,
				  "%s: kernel %zu has no release or no "
				  "packages array",
				  what, i + 1);
	k->release = pb_strdup(rel, err);
	k->flavor =
		pb_strdup(jstr(jk, "flavor") ? jstr(jk, "flavor") : "", err);
	k->arch = pb_strdup(jstr(jk, "arch") ? jstr(jk, "arch") : "", err);
	k->version =
		pb_strdup(jstr(jk, "version") ? jstr(jk, "version") : "", err);
	k->error = jstr(jk, "error") ? pb_strdup(jstr(jk, "error"), err) : NULL;
	k->pkgs = pb_calloc(json_object_array_length(pk) + 1, sizeof(*k->pkgs),
			    err);
	if (!k->release || !k->flavor || !k->arch || !k->version || !k->pkgs ||
	    (jstr(jk, "error") && !k->error))
		return -ENOMEM;
	ret = jstrv(jk, "series", &k->series, err);
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return pb_err_set(err, -EINVAL,
				  "%s: %s: \"series\" is not an array of "
				  "strings",
				  what, rel);
	if (!k->series && !(k->series = pb_calloc(1, sizeof(char *), err)))
		return -ENOMEM;
	for (p = 0; p < json_object_array_length(pk); p++) {
		k->n_pkgs++;
		ret = read_pkg(json_object_array_get_idx(pk, p), what, rel, p,
			       &k->pkgs[p], err);
		if (ret)
			return ret;
	}
	return 0;
}

int pb_crawl_from_json(json_object *j, const char *what, struct pb_crawl *out,
		       struct pb_err *err)
{
	json_object *ks;
	size_t i, n;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(j, json_type_object) ||
	    !(ks = jarr(j, "kernels")))
		return pb_err_set(err, -EINVAL,
				  "%s: not a crawl listing (no \"kernels\" "
				  "array)",
				  what);
	ret = read_head(j, what, out, err);
	n = json_object_array_length(ks);
	if (!ret &&
	    !(out->kernels = pb_calloc(n + 1, sizeof(*out->kernels), err)))
		ret = -ENOMEM;
	for (i = 0; i < n && !ret; i++) {
		out->n_kernels++;
		ret = read_kernel(json_object_array_get_idx(ks, i), what, i,
				  &out->kernels[i], err);
	}
	if (ret)
		pb_crawl_free(out);
	return ret;
}

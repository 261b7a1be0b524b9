#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/origins.h"
#include "probe-builder/alloc.h"

/* The index of path in o, or where it goes (*found 0). */
static size_t find(const struct pb_origins *o, const char *path, int *found)
{
	size_t lo = 0, hi = o->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(o->v[mid].path, path);

		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int grow(struct pb_origins *o, struct pb_err *err)
{
	size_t cap = o->cap ? 2 * o->cap : 64;
	struct pb_origin *g = pb_reallocarray(o->v, cap, sizeof(*g), err);

	if (!g)
		return -ENOMEM;
	o->v = g;
	o->cap = cap;
	return 0;
}

int pb_origins_add(struct pb_origins *o, const char *path, const char *url,
		   struct pb_err *err)
{
	char *p = NULL, *u;
	size_t i;
	int found;

	i = find(o, path, &found);
	u = pb_strdup(url, err);
	if (!u)
		return -ENOMEM;
	if (found) {
		free(o->v[i].url);
		o->v[i].url = u;
		return 0;
	}
	if ((o->n == o->cap && grow(o, err) < 0) ||
	    !(p = pb_strdup(path, err))) {
		free(u);
		return -ENOMEM;
	}
	memmove(&o->v[i + 1], &o->v[i], (o->n - i) * sizeof(*o->v));
	memset(&o->v[i], 0, sizeof(o->v[i]));
	o->v[i].path = p;
	o->v[i].url = u;
	o->n++;
	return 0;
}

const struct pb_origin *pb_origins_find(const struct pb_origins *o,
					const char *path)
{
	size_t i;
	int found;

	if (!o)
		return NULL;
	i = find(o, path, &found);
	return found ? &o->v[i] : NULL;
}

static struct pb_origin *must_find(struct pb_origins *o, const char *path,
				   struct pb_err *err)
{
	struct pb_origin *g = (struct pb_origin *)pb_origins_find(o, path);

	if (!g)
		pb_err_set(err, -ENOENT, "%s: not a downloaded package", path);
	return g;
}

int pb_origins_set_sha256(struct pb_origins *o, const char *path,
			  const char *sha256, struct pb_err *err)
{
	struct pb_origin *g = must_find(o, path, err);

	if (!g)
		return -ENOENT;
	snprintf(g->sha256, sizeof(g->sha256), "%s", sha256);
	return 0;
}

int pb_origins_set_head(struct pb_origins *o, const char *path,
			const char *head, const char *how, struct pb_err *err)
{
	struct pb_origin *g = must_find(o, path, err);
	char *h, *w;

	if (!g)
		return -ENOENT;
	h = head ? pb_strdup(head, err) : NULL;
	w = how ? pb_strdup(how, err) : NULL;
	if ((head && !h) || (how && !w)) {
		free(h);
		free(w);
		return -ENOMEM;
	}
	free(g->head);
	free(g->head_how);
	g->head = h;
	g->head_how = w;
	return 0;
}

const char *pb_origins_get(const struct pb_origins *o, const char *path)
{
	size_t i;
	int found;

	if (!o)
		return NULL;
	i = find(o, path, &found);
	return found ? o->v[i].url : NULL;
}

void pb_origins_free(struct pb_origins *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].path);
		free(o->v[i].url);
		free(o->v[i].head);
		free(o->v[i].head_how);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

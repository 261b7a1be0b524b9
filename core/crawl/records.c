/* The package records the indexes list: one per file, its mirrors merged. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawler.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"

/* The allocations here fill no err (NULL): the parser that called back
 * fills its own with the package it stopped at. */
int crawler_add_rec(const struct pb_pkg_rec *p, void *data)
{
	struct parse_ctx *x = data;
	struct crawler *c = x->c;
	const char *base = p->base ? p->base : x->base;
	struct rec *r;
	size_t bl = strlen(base);

	if (!p->location || !p->sha256 || strlen(p->sha256) != 64)
		return 0;
	if (c->n_recs == c->cap_recs) {
		size_t cap = c->cap_recs ? c->cap_recs * 2 : 256;
		struct rec *g = pb_reallocarray(c->recs, cap, sizeof(*g), NULL);

		if (!g)
			return -ENOMEM;
		c->recs = g;
		c->cap_recs = cap;
	}
	r = &c->recs[c->n_recs];
	memset(r, 0, sizeof(*r));
	r->order = (size_t)(x->s - c->st);
	r->url = pb_asprintf(NULL, "%s%s%s", base,
			     bl && base[bl - 1] != '/' ? "/" : "", p->location);
	if (!r->url)
		return -ENOMEM;
	r->name = pb_strdup(pb_basename(p->location), NULL);
	if (!r->name) {
		free(r->url);
		return -ENOMEM;
	}
	r->size = p->size;
	snprintf(r->sha256, sizeof(r->sha256), "%s", p->sha256);
	r->depends = p->depends ? pb_strdup(p->depends, NULL) : NULL;
	r->series = pb_calloc(2, sizeof(*r->series), NULL);
	if (r->series && x->s->r->label && *x->s->r->label) {
		r->series[0] = pb_strdup(x->s->r->label, NULL);
		r->n_series = r->series[0] ? 1 : 0;
	}
	if ((p->depends && !r->depends) || !r->series ||
	    (x->s->r->label && *x->s->r->label && !r->n_series)) {
		free(r->url);
		free(r->name);
		free(r->depends);
		free(r->series);
		return -ENOMEM;
	}
	c->n_recs++;
	return 0;
}

void crawler_free_rec(struct rec *r)
{
	size_t k;

	free(r->name);
	free(r->url);
	free(r->depends);
	for (k = 0; k < r->n_alts; k++)
		free(r->alts[k]);
	free(r->alts);
	for (k = 0; k < r->n_series; k++)
		free(r->series[k]);
	free(r->series);
}

/* keep's series gain r's: the same file listed by several suites (bookworm
 * and bookworm-security) is one package, found in all of them. */
static int merge_series(struct rec *keep, struct rec *r, struct pb_err *err)
{
	size_t i, k;

	for (i = 0; i < r->n_series; i++) {
		char **g;

		for (k = 0; k < keep->n_series; k++)
			if (!strcmp(keep->series[k], r->series[i]))
				break;
		if (k < keep->n_series)
			continue;
		g = pb_reallocarray(keep->series, keep->n_series + 2,
				    sizeof(*g), err);
		if (!g)
			return -ENOMEM;
		keep->series = g;
		g[keep->n_series++] = r->series[i];
		g[keep->n_series] = NULL;
		r->series[i] = NULL;
	}
	return 0;
}

static int rec_by_name(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int n = strcmp(x->name, y->name);

	/* the first mirror given is the first one tried */
	if (n)
		return n;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->url, y->url);
}

static int rec_by_url(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->url,
		      ((const struct rec *)b)->url);
}

/* r, of the same name as keep, into keep: its series, and its URL as an
 * alternate when it is the same file on another mirror. */
static int merge_rec(struct rec *keep, struct rec *r, struct pb_err *err)
{
	char **g;

	if (strcmp(keep->sha256, r->sha256)) {
		pb_warn("%s and %s have the same name and other contents; "
			"keeping the first",
			keep->url, r->url);
		return 0;
	}
	if (merge_series(keep, r, err) < 0)
		return -ENOMEM;
	if (!strcmp(keep->url, r->url))
		return 0;
	g = pb_reallocarray(keep->alts, keep->n_alts + 2, sizeof(*g), err);
	if (!g)
		return -ENOMEM;
	keep->alts = g;
	g[keep->n_alts++] = r->url;
	g[keep->n_alts] = NULL;
	r->url = NULL;
	return 0;
}

/* One record per file name: the same file on several mirrors becomes one
 * with alternates, so the downloader can fail over. */
int crawler_merge_recs(struct crawler *c, struct pb_err *err)
{
	size_t i, o = 0;
	int ret = 0;

	qsort(c->recs, c->n_recs, sizeof(*c->recs), rec_by_name);
	for (i = 0; i < c->n_recs; i++) {
		struct rec *r = &c->recs[i];
		struct rec *keep = o ? &c->recs[o - 1] : NULL;

		if (keep && !strcmp(keep->name, r->name)) {
			ret = merge_rec(keep, r, err);
			if (ret)
				break;
			crawler_free_rec(r);
			continue;
		}
		c->recs[o++] = *r;
	}
	if (ret) {
		/* each record once, the merged and the not yet merged, for
		 * crawler_free_rec */
		memmove(&c->recs[o], &c->recs[i],
			(c->n_recs - i) * sizeof(*c->recs));
		c->n_recs = o + (c->n_recs - i);
		return ret;
	}
	c->n_recs = o;
	qsort(c->recs, c->n_recs, sizeof(*c->recs), rec_by_url);
	return 0;
}

struct rec *crawler_find_rec(struct crawler *c, const char *url)
{
	struct rec key = {.url = (char *)url};

	return bsearch(&key, c->recs, c->n_recs, sizeof(*c->recs), rec_by_url);
}

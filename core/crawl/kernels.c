/* The records grouped into kernels by the distro's plugin. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawler.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_kernel(struct crawler *c, struct pb_crawl *out,
		      const struct pb_batch *b, size_t i, struct pb_err *err)
{
	struct pb_crawl_kernel *g, *k;
	size_t j, n = pb_batch_n_packages(b, i);
	const char *fl = pb_batch_release_flavor(b, i),
		   *fail = pb_batch_release_failure(b, i);

	g = pb_reallocarray(out->kernels, out->n_kernels + 1, sizeof(*g), err);
	if (!g)
		return -ENOMEM;
	out->kernels = g;
	k = &g[out->n_kernels++];
	memset(k, 0, sizeof(*k));
	k->release = pb_strdup(pb_batch_release(b, i), err);
	k->flavor = pb_strdup(fl ? fl : "", err);
	k->arch = pb_strdup(pb_batch_release_arch(b, i)
				    ? pb_batch_release_arch(b, i)
				    : c->o->arch,
			    err);
	k->error = fail ? pb_strdup(fail, err) : NULL;
	k->pkgs = pb_calloc(n + 1, sizeof(*k->pkgs), err);
	k->version = pb_strdup(pb_batch_release_version(b, i)
				       ? pb_batch_release_version(b, i)
				       : "",
			       err);
	if (!k->release || !k->flavor || !k->arch || (fail && !k->error) ||
	    !k->pkgs || !k->version)
		return -ENOMEM;
	{
		/* the series of a kernel are those of its primary package:
		 * a shared kbuild or common package says nothing of it */
		const char *prim = pb_batch_release_primary(b, i);
		struct rec *r = prim ? crawler_find_rec(c, prim) : NULL;
		size_t s, ns = r ? r->n_series : 0;

		k->series = pb_calloc(ns + 1, sizeof(char *), err);
		if (!k->series)
			return -ENOMEM;
		for (s = 0; s < ns; s++)
			if (!(k->series[s] = pb_strdup(r->series[s], err)))
				return -ENOMEM;
		qsort(k->series, ns, sizeof(char *), cmp_strp);
	}
	for (j = 0; j < n; j++) {
		enum pb_pkg_role role;
		const char *url = pb_batch_package(b, i, j, &role);
		struct rec *r = crawler_find_rec(c, url);
		struct pb_crawl_pkg *p = &k->pkgs[k->n_pkgs];
		size_t a;

		if (!r)
			continue;
		/* counted first: pb_crawl_free then frees what it got */
		k->n_pkgs++;
		p->name = pb_strdup(r->name, err);
		p->url = pb_strdup(r->url, err);
		p->size = r->size;
		p->role = role;
		memcpy(p->sha256, r->sha256, sizeof(p->sha256));
		p->alts = pb_calloc(r->n_alts + 1, sizeof(char *), err);
		if (!p->name || !p->url || !p->alts)
			return -ENOMEM;
		for (a = 0; a < r->n_alts; a++)
			if (!(p->alts[a] = pb_strdup(r->alts[a], err)))
				return -ENOMEM;
	}
	return 0;
}

int crawler_make_kernels(struct crawler *c, struct pb_crawl *out,
			 struct pb_err *err)
{
	struct pb_batch *b = pb_batch_new();
	const char **paths = pb_calloc(c->n_recs + 1, sizeof(*paths), err);
	size_t i;
	int ret = 0;

	if (!b) /* pb_batch_new has no err to fill */
		ret = pb_err_set(err, -ENOMEM, "out of memory (a batch)");
	else if (!paths)
		ret = -ENOMEM;
	if (ret)
		goto out;
	for (i = 0; i < c->n_recs && !ret; i++) {
		paths[i] = c->recs[i].url;
		/* the plugin follows the packages' own Depends */
		if (c->recs[i].depends)
			ret = pb_batch_set_depends(b, c->recs[i].url,
						   c->recs[i].depends, err);
	}
	if (!ret)
		ret = c->plugin->batch(b, paths, c->n_recs, err);
	if (ret) {
		pb_err_prefix(err, "%s builder", c->plugin->name);
		goto out;
	}
	for (i = 0; i < pb_batch_n_ignored(b); i++) {
		const char *why, *p = pb_batch_ignored(b, i, &why);

		pb_debug("not a kernel of ours: %s: %s", p, why);
	}
	for (i = 0; i < pb_batch_n_releases(b) && !ret; i++) {
		const char *rel = pb_batch_release(b, i);
		const char *arch = pb_batch_release_arch(b, i);

		if (arch && strcmp(arch, c->o->arch))
			continue;
		if (c->o->kernel_filter &&
		    regexec(c->o->kernel_filter, rel, 0, NULL, 0) != 0)
			continue;
		ret = add_kernel(c, out, b, i, err);
	}
out:
	pb_batch_free(b);
	free(paths);
	return ret;
}

/* The download stage: a crawl's packages into verified local files (the
 * workspace's cache), by release, as a batch of local files is. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawl.h"
#include "crawl/mirror.h"
#include "pipeline/run.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"

/* One fetch item per distinct file: kernels share common packages. */
struct downloads {
	struct pb_fetch_item *items;
	const char ***urls;
	char (*dest)[PATH_MAX];
	size_t n;
};

static long find_item(const struct downloads *d, const char *sha256)
{
	size_t k;

	for (k = 0; k < d->n; k++)
		if (!strcmp(d->items[k].sha256, sha256))
			return (long)k;
	return -1;
}

/* p into d, unless a kernel before had it. */
static int add_pkg(struct downloads *d, const struct pb_crawl_kernel *kn,
		   const struct pb_crawl_pkg *p, const char *workspace,
		   struct pb_err *err)
{
	struct pb_fetch_item *it = &d->items[d->n];
	char dir[PATH_MAX];
	const char **u;
	size_t a;
	int ret;

	if (find_item(d, p->sha256) >= 0)
		return 0;
	if (strchr(p->name, '/') || !strcmp(p->name, ".."))
		return pb_err_set(err, -EINVAL, "%s: bad package name '%s'",
				  kn->release, p->name);
	ret = pb_path_fmt(dir, sizeof(dir), err, "%s/cache/%.2s/%s", workspace,
			  p->sha256, p->sha256);
	if (!ret)
		ret = pb_mkdir_p(dir, err);
	if (!ret)
		ret = pb_path_join(d->dest[d->n], sizeof(d->dest[d->n]), err,
				   dir, p->name, NULL);
	if (ret)
		return ret;
	u = pb_calloc(pb_strv_len_const(p->alts) + 2, sizeof(char *), err);
	if (!u)
		return -ENOMEM;
	d->urls[d->n] = u;
	u[0] = p->url;
	for (a = 0; p->alts && p->alts[a]; a++)
		u[a + 1] = p->alts[a];
	it->urls = u;
	it->n_urls = a + 1;
	it->dest = d->dest[d->n];
	it->size = p->size;
	it->sha256 = p->sha256;
	d->n++;
	return 0;
}

static int plan(const struct pb_crawl *c, const char *workspace,
		struct downloads *d, struct pb_err *err)
{
	size_t i, j, total = 0;
	int ret = 0;

	for (i = 0; i < c->n_kernels; i++)
		total += c->kernels[i].n_pkgs;
	d->items = pb_calloc(total + 1, sizeof(*d->items), err);
	d->urls = d->items ? pb_calloc(total + 1, sizeof(*d->urls), err) : NULL;
	d->dest = d->urls ? pb_calloc(total + 1, sizeof(*d->dest), err) : NULL;
	if (!d->dest)
		return -ENOMEM;
	for (i = 0; i < c->n_kernels && !ret; i++)
		for (j = 0;
		     !c->kernels[i].error && j < c->kernels[i].n_pkgs && !ret;
		     j++)
			ret = add_pkg(d, &c->kernels[i], &c->kernels[i].pkgs[j],
				      workspace, err);
	return ret;
}

/* b gets kn with its files, or a failure that names those it lacks. */
static int add_kernel(const struct pb_crawl_kernel *kn,
		      const struct downloads *d, struct pb_batch *b,
		      struct pb_origins *origins, struct pb_err *err)
{
	struct pb_batch_key key = {sizeof(key), kn->release, kn->arch,
				   kn->version};
	size_t j;
	long bi;
	int ret = 0;

	pb_batch_set_flavor_key(b, &key, kn->flavor);
	bi = pb_batch_find_key(b, &key);
	for (j = 0; bi >= 0 && kn->series && kn->series[j] && !ret; j++)
		ret = pb_batch_add_series(b, (size_t)bi, kn->series[j], err);
	if (kn->error) {
		pb_batch_fail_key(b, &key, "%s", kn->error);
		return ret;
	}
	for (j = 0; j < kn->n_pkgs && !ret; j++) {
		const struct pb_crawl_pkg *p = &kn->pkgs[j];
		long k = find_item(d, p->sha256);
		const struct pb_fetch_item *it = k >= 0 ? &d->items[k] : NULL;

		if (!it || it->result) {
			pb_batch_fail_key(b, &key, "download failed: %s",
					  it ? it->error : p->url);
			continue;
		}
		ret = pb_batch_add_key(b, &key, it->dest, p->role, err);
		if (!ret && origins)
			ret = pb_origins_add(origins, it->dest,
					     it->urls[it->url_used], err);
	}
	return ret;
}

int pb_pipeline_download(const struct pb_crawl *c, const char *workspace,
			 struct pb_fetcher *f, struct pb_batch *b,
			 struct pb_origins *origins, struct pb_err *err)
{
	struct downloads d = {0};
	size_t i;
	int ret;

	ret = plan(c, workspace, &d, err);
	if (!ret)
		ret = pb_fetcher_add_all(f, d.items, d.n, err);
	if (ret) /* a cache dir not made (even -EIO): nothing to fetch */
		goto out;
	if (d.n)
		pb_info("fetching %zu packages (the cache keeps them)", d.n);
	ret = pb_fetcher_run(f, err);
	/* -EIO: some failed, each item says why (the kernels below); any
	 * other error: nothing was fetched */
	if (ret && ret != -EIO)
		goto out;
	ret = 0;
	pb_err_clear(err);
	for (i = 0; i < c->n_kernels && !ret; i++)
		ret = add_kernel(&c->kernels[i], &d, b, origins, err);
out:
	for (i = 0; d.urls && i < d.n; i++)
		free(d.urls[i]);
	free(d.urls);
	free(d.items);
	free(d.dest);
	return ret;
}

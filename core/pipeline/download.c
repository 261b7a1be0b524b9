#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawl.h"
#include "crawl/mirror.h"
#include "probe-builder/log.h"
#include "util/fs.h"

int pb_crawl_download(const struct pb_crawl *c, const char *workspace,
		      const struct pb_fetch_opts *fo, struct pb_batch *b,
		      json_object *origins, struct pb_err *err)
{
	struct pb_fetch_item *items = NULL;
	const char ***urls = NULL;
	char(*dest)[PATH_MAX] = NULL;
	size_t n = 0, i, j, k, total = 0;
	int ret = 0;

	for (i = 0; i < c->n_kernels; i++)
		total += c->kernels[i].n_pkgs;
	items = calloc(total + 1, sizeof(*items));
	urls = calloc(total + 1, sizeof(*urls));
	dest = calloc(total + 1, sizeof(*dest));
	if (!items || !urls || !dest) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* one item per distinct file: kernels share common packages */
	for (i = 0; i < c->n_kernels; i++) {
		const struct pb_crawl_kernel *kn = &c->kernels[i];

		if (kn->error)
			continue;
		for (j = 0; j < kn->n_pkgs; j++) {
			const struct pb_crawl_pkg *p = &kn->pkgs[j];
			char dir[PATH_MAX];
			size_t a;

			for (k = 0; k < n; k++)
				if (!strcmp(items[k].sha256, p->sha256))
					break;
			if (k < n)
				continue;
			if (strchr(p->name, '/') || !strcmp(p->name, "..")) {
				ret = pb_err_set(err, -EINVAL,
						 "%s: bad package name '%s'",
						 kn->release, p->name);
				goto out;
			}
			snprintf(dir, sizeof(dir), "%s/cache/%.2s/%s",
				 workspace, p->sha256, p->sha256);
			ret = pb_mkdir_p(dir, err);
			if (ret)
				goto out;
			snprintf(dest[n], sizeof(dest[n]), "%s/%s", dir,
				 p->name);
			urls[n] = calloc(pb_strv_len_const(p->alts) + 2,
					 sizeof(char *));
			if (!urls[n]) {
				ret = pb_err_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			urls[n][0] = p->url;
			for (a = 0; p->alts && p->alts[a]; a++)
				urls[n][a + 1] = p->alts[a];
			items[n].urls = urls[n];
			items[n].n_urls = a + 1;
			items[n].dest = dest[n];
			items[n].size = p->size;
			items[n].sha256 = p->sha256;
			n++;
		}
	}
	if (n)
		pb_info("fetching %zu packages (the cache keeps them)", n);
	/* -EIO: some failed, each item says why (the kernels below); any
	 * other error: nothing was fetched */
	ret = pb_fetch_all(items, n, fo, err);
	if (ret && ret != -EIO)
		goto out;
	ret = 0;
	pb_err_clear(err);
	for (i = 0; i < c->n_kernels && !ret; i++) {
		const struct pb_crawl_kernel *kn = &c->kernels[i];
		struct pb_batch_key key = {sizeof(key), kn->release, kn->arch,
					   kn->version};
		long bi;

		pb_batch_set_flavor_key(b, &key, kn->flavor);
		bi = pb_batch_find_key(b, &key);
		for (j = 0; bi >= 0 && kn->series && kn->series[j] && !ret; j++)
			ret = pb_batch_add_series(b, (size_t)bi, kn->series[j],
						  err);
		if (kn->error) {
			pb_batch_fail_key(b, &key, "%s", kn->error);
			continue;
		}
		for (j = 0; j < kn->n_pkgs && !ret; j++) {
			const struct pb_crawl_pkg *p = &kn->pkgs[j];

			for (k = 0; k < n; k++)
				if (!strcmp(items[k].sha256, p->sha256))
					break;
			if (k == n || items[k].result) {
				pb_batch_fail_key(
					b, &key, "download failed: %s",
					k < n ? items[k].error : p->url);
				continue;
			}
			ret = pb_batch_add_key(b, &key, dest[k], p->role, err);
			if (!ret && origins)
				json_object_object_add(
					origins, dest[k],
					json_object_new_string(
						items[k].urls
							[items[k].url_used]));
		}
	}
out:
	for (i = 0; urls && i < n; i++)
		free(urls[i]);
	free(urls);
	free(items);
	free(dest);
	return ret;
}

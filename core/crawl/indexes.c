/* Phase 4: every index of every repository fetched in one go, then parsed
 * into records. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawler.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "repo/index.h"
#include "util/fs.h"
#include "util/path.h"

/* Every index of every repository in one go, one transfer per distinct
 * file (SHA-256): the same signed index on several mirrors is one item with
 * the URLs of each, so a mirror whose copy is stale leaves it to the next
 * one at once. The outcome is copied back to each repository's item. */
static int fetch_indexes(struct crawler *c, struct pb_err *err)
{
	struct pb_fetch_item *items = NULL;
	const char ***urls = NULL;
	size_t *map = NULL, total = 0, n = 0, f = 0, i, k, u;
	int ret = 0;

	for (i = 0; i < c->n_repos; i++)
		if (c->st[i].fate == FATE_PENDING)
			total += c->st[i].n_idx;
	if (!total)
		return 0;
	items = pb_calloc(total, sizeof(*items), err);
	urls = pb_calloc(total, sizeof(*urls), err);
	map = pb_calloc(total, sizeof(*map), err);
	if (!items || !urls || !map) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];

		if (s->fate != FATE_PENDING)
			continue;
		for (k = 0; k < s->n_idx; k++, f++) {
			struct pb_fetch_item *it = &s->idx[k];
			const char **g;
			size_t a;

			for (u = 0; u < n; u++)
				if (!strcmp(items[u].sha256, it->sha256) &&
				    items[u].size == it->size)
					break;
			if (u == n) {
				items[n] = *it;
				items[n].urls = NULL;
				items[n].n_urls = 0;
				n++;
			}
			map[f] = u;
			g = pb_reallocarray(urls[u], items[u].n_urls + 3,
					    sizeof(*g), err);
			if (!g) {
				ret = -ENOMEM;
				goto out;
			}
			urls[u] = g;
			for (a = 0; a < 2; a++)
				if (s->idx_urls[2 * k + a])
					g[items[u].n_urls++] =
						s->idx_urls[2 * k + a];
			g[items[u].n_urls] = NULL;
			items[u].urls = g;
		}
	}
	ret = crawler_fetch(c, items, n, err);
	if (ret)
		goto out;
	for (i = 0, f = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];

		if (s->fate != FATE_PENDING)
			continue;
		for (k = 0; k < s->n_idx; k++, f++) {
			const struct pb_fetch_item *it = &items[map[f]];

			s->idx[k].result = it->result;
			s->idx[k].http_code = it->http_code;
			s->idx[k].cached = it->cached;
			memcpy(s->idx[k].error, it->error, sizeof(it->error));
			/* what the parse errors name */
			s->idx[k].urls =
				(const char *const *)&s->idx_urls[2 * k];
		}
	}
out:
	for (u = 0; urls && u < total; u++)
		free(urls[u]);
	free(urls);
	free(items);
	free(map);
	return ret;
}

int crawler_read_indexes(struct crawler *c, struct pb_err *err)
{
	char meta[PATH_MAX];
	size_t i, k;
	int ret = 0;

	ret = pb_path_join(meta, sizeof(meta), err, c->o->workspace,
			   "meta/by-sha256", NULL);
	if (!ret)
		ret = pb_mkdir_p(meta, err);
	if (ret)
		return ret;
	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		struct pb_err e = {0};

		if (s->fate != FATE_PENDING)
			continue;
		ret = s->r->kind == PB_REPO_APT
			      ? crawler_plan_apt(c, s, meta, &e)
			      : crawler_plan_rpm(c, s, meta, &e);
		/* out of memory is the crawl's failure, not the repository's */
		if (ret == -ENOMEM)
			return pb_err_set(err, ret, "%s", e.msg);
		if (ret) {
			crawler_fail(s, "%s", e.msg);
			ret = 0;
		}
	}
	ret = fetch_indexes(c, err);
	if (ret)
		return ret;
	for (i = 0; i < c->n_repos && !ret; i++) {
		struct repo_state *s = &c->st[i];
		const char *const *globs = PB_PLUGIN_HAS(c->plugin, index_globs)
						   ? c->plugin->index_globs
						   : NULL;

		size_t first = c->n_recs;

		if (s->fate != FATE_PENDING)
			continue;
		for (k = 0; k < s->n_idx; k++) {
			struct pb_index_stats stats = {0};
			struct parse_ctx x = {c, s, s->r->url};
			struct pb_err e = {0};
			int r;

			if (s->idx[k].result) {
				crawler_fail(s, "%s", s->idx[k].error);
				break;
			}
			r = s->r->kind == PB_REPO_APT
				    ? pb_deb_packages_parse(
					      s->idx[k].dest, globs,
					      crawler_add_rec, &x, &stats, &e)
				    : pb_rpm_primary_parse(
					      s->idx[k].dest, globs,
					      crawler_add_rec, &x, &stats, &e);
			if (r == -ENOMEM) {
				ret = pb_err_set(err, r, "%s", e.msg);
				break;
			}
			if (r) {
				crawler_fail(s, "%s: %s", s->idx[k].urls[0],
					     e.msg);
				break;
			}
			pb_debug("%s: %zu packages, %zu kernel packages",
				 s->idx[k].urls[0], stats.records,
				 stats.matched);
		}
		if (s->fate == FATE_PENDING) {
			s->fate = FATE_OK;
			continue;
		}
		/* nothing of a repository that failed half way */
		while (c->n_recs > first) {
			c->n_recs--;
			crawler_free_rec(&c->recs[c->n_recs]);
		}
	}
	return ret;
}

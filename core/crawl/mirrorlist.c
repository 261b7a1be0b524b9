/* Phase 0: each mirror.list repository fetched, and replaced by the first
 * repository URL it names. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawler.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"

/* The repository of a fetched mirror.list (its lines): the first line that
 * is a URL; the others are its copies. A line is only ever a URL: what
 * comes from the network does not choose keyrings or paths. A bad line is
 * skipped with a warning; a list with no URL fails its own repository. */
static int mirrorlist_repo(struct crawler *c, size_t list, char **lines,
			   struct pb_err *err)
{
	struct repo_state *s = &c->st[list];
	struct pb_repo *g, *r;
	char *url = NULL;
	size_t k;

	for (k = 0; lines[k] && !url; k++) {
		struct pb_err e = {0};
		int ret = pb_mirrorlist_line(lines[k], &url, &e);

		if (ret == -ENOMEM)
			return pb_err_set(err, ret, "%s", e.msg);
		if (ret < 0)
			pb_warn("%s: line %zu ignored: %s", c->repos[list].url,
				k + 1, e.msg);
	}
	if (!url) {
		crawler_fail(s, "%s: no repository URL in it",
			     c->repos[list].url);
		return 0;
	}
	g = pb_reallocarray(c->repos, c->n_repos + 1, sizeof(*g), err);
	if (!g) {
		free(url);
		return -ENOMEM;
	}
	c->repos = g;
	r = &g[c->n_repos];
	memset(r, 0, sizeof(*r));
	r->kind = PB_REPO_RPM;
	r->url = url;
	r->mirror = pb_strdup(url, err);
	r->components = pb_calloc(1, sizeof(char *), err);
	r->label = pb_strdup(g[list].label ? g[list].label : "", err);
	r->keyrings = pb_strv_dup(g[list].keyrings, err);
	c->n_repos++; /* from here pb_repos_free frees what it has */
	if (!r->mirror || !r->components || !r->label || !r->keyrings)
		return -ENOMEM;
	return 0;
}

int crawler_resolve_mirrorlists(struct crawler *c, struct pb_err *err)
{
	struct pb_fetch_item *items;
	const char **urls;
	char(*dest)[PATH_MAX];
	size_t i, n = 0, before = c->n_repos, *which;
	int ret = 0;

	items = pb_calloc(c->n_repos + 1, sizeof(*items), err);
	urls = pb_calloc(c->n_repos + 1, sizeof(*urls), err);
	dest = pb_calloc(c->n_repos + 1, sizeof(*dest), err);
	which = pb_calloc(c->n_repos + 1, sizeof(*which), err);
	if (!items || !urls || !dest || !which) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->n_repos; i++) {
		if (c->repos[i].kind != PB_REPO_MIRRORLIST)
			continue;
		if ((ret = pb_mkdir_p(c->st[i].dir, err)) < 0)
			goto out;
		urls[n] = c->repos[i].url;
		if ((ret = pb_path_join(dest[n], sizeof(dest[n]), err,
					c->st[i].dir, "mirror.list", NULL)) < 0)
			goto out;
		items[n].urls = &urls[n];
		items[n].n_urls = 1;
		items[n].dest = dest[n];
		items[n].size = -1;
		items[n].max_size = crawler_max_meta(c);
		which[n++] = i;
	}
	ret = crawler_fetch(c, items, n, err);
	for (i = 0; i < n && !ret; i++) {
		struct repo_state *s = &c->st[which[i]];
		char *text = NULL, **lines;
		struct pb_err e = {0};

		if (items[i].result) {
			if (items[i].http_code == 404)
				crawler_absent(s, s->where);
			else
				crawler_fail(s, "%s", items[i].error);
			continue;
		}
		s->fate = FATE_OK;
		if (pb_read_file(dest[i], &text, NULL, &e) < 0) {
			crawler_fail(s, "%s", e.msg);
			continue;
		}
		lines = pb_strv_split(text, "\r\n", err);
		free(text);
		if (!lines) {
			ret = -ENOMEM;
			break;
		}
		ret = mirrorlist_repo(c, which[i], lines, err);
		pb_strv_free(lines);
	}
	/* the repos array moved: states point at it */
	if (!ret) {
		for (i = 0; i < before; i++)
			c->st[i].r = &c->repos[i];
		ret = crawler_new_states(c, before, err);
	}
out:
	free(items);
	free(urls);
	free(dest);
	free(which);
	return ret;
}

/* Phases 1 and 2: the signed metadata of each repository (InRelease, else
 * Release and Release.gpg; repomd.xml and its .asc). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawl/crawler.h"
#include "util/fs.h"
#include "util/str.h"

struct signed_items {
	struct pb_fetch_item *items;
	const char **urls;
	char (*dest)[PATH_MAX];
	char (*url)[PATH_MAX + 64];
	size_t n;
};

static int si_alloc(struct signed_items *si, size_t n)
{
	memset(si, 0, sizeof(*si));
	si->items = calloc(n + 1, sizeof(*si->items));
	si->urls = calloc(n + 1, sizeof(*si->urls));
	si->dest = calloc(n + 1, sizeof(*si->dest));
	si->url = calloc(n + 1, sizeof(*si->url));
	return si->items && si->urls && si->dest && si->url ? 0 : -ENOMEM;
}

static void si_free(struct signed_items *si)
{
	free(si->items);
	free(si->urls);
	free(si->dest);
	free(si->url);
}

static void si_add(struct signed_items *si, const char *base, const char *rel,
		   const char *dir, const char *file, int64_t cap)
{
	size_t i = si->n++;

	snprintf(si->url[i], sizeof(si->url[i]), "%s%s", base, rel);
	snprintf(si->dest[i], sizeof(si->dest[i]), "%s/%s", dir, file);
	si->urls[i] = si->url[i];
	si->items[i].urls = &si->urls[i];
	si->items[i].n_urls = 1;
	si->items[i].dest = si->dest[i];
	si->items[i].size = -1;
	si->items[i].max_size = cap;
	/* a missing InRelease, Release or .asc is an answer: the crawl
	 * says what it makes of it */
	si->items[i].quiet_404 = 1;
}

/* What decides is what this crawl got: nothing of a previous one may stand
 * in for a file now missing. */
static void forget_signed(const struct repo_state *s)
{
	static const char *const old[] = {"InRelease",	    "Release",
					  "Release.gpg",    "repomd.xml",
					  "repomd.xml.asc", "Release.checked"};
	size_t k;

	for (k = 0; k < PB_ARRAY_SIZE(old); k++) {
		char f[PATH_MAX + 32];

		snprintf(f, sizeof(f), "%s/%s", s->dir, old[k]);
		unlink(f);
	}
}

/* Phase 1's items: InRelease (APT), repomd.xml and its .asc (RPM). */
static int add_phase1(struct crawler *c, struct signed_items *si,
		      struct pb_err *err)
{
	size_t i;
	int ret;

	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		char rel[PATH_MAX];

		s->f1 = s->f2 = -1;
		if (s->r->kind == PB_REPO_MIRRORLIST || s->fate != FATE_PENDING)
			continue;
		if ((ret = pb_mkdir_p(s->dir, err)) < 0)
			return ret;
		forget_signed(s);
		s->f1 = (long)si->n;
		if (s->r->kind == PB_REPO_APT) {
			snprintf(rel, sizeof(rel), "dists/%s/InRelease",
				 s->r->suite);
			si_add(si, s->r->url, rel, s->dir, "InRelease",
			       crawler_max_meta(c));
		} else {
			si_add(si, s->r->url, "repodata/repomd.xml", s->dir,
			       "repomd.xml", crawler_max_meta(c));
			/* may well be missing: most RPM mirrors sign only
			 * the packages */
			si_add(si, s->r->url, "repodata/repomd.xml.asc", s->dir,
			       "repomd.xml.asc", crawler_max_meta(c));
		}
	}
	return 0;
}

/* Phase 1's outcome; phase 2's items: Release and Release.gpg for the APT
 * suites without InRelease. */
static void add_phase2(struct crawler *c, const struct signed_items *si,
		       struct signed_items *si2)
{
	size_t i;

	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		struct pb_fetch_item *it;
		char rel[PATH_MAX];

		if (s->f1 < 0)
			continue;
		it = &si->items[s->f1];
		if (it->result == 0)
			continue;
		if (it->http_code != 404) {
			crawler_fail(s, "%s", it->error);
			continue;
		}
		if (s->r->kind != PB_REPO_APT) {
			crawler_absent(s, si->url[s->f1]);
			continue;
		}
		s->f2 = (long)si2->n;
		snprintf(rel, sizeof(rel), "dists/%s/Release", s->r->suite);
		si_add(si2, s->r->url, rel, s->dir, "Release",
		       crawler_max_meta(c));
		snprintf(rel, sizeof(rel), "dists/%s/Release.gpg", s->r->suite);
		si_add(si2, s->r->url, rel, s->dir, "Release.gpg",
		       crawler_max_meta(c));
	}
}

/* Phase 1: InRelease (APT), repomd.xml and its .asc (RPM); phase 2, for
 * APT suites without InRelease: Release and Release.gpg. */
int crawler_fetch_signed(struct crawler *c, struct pb_err *err)
{
	struct signed_items si, si2;
	size_t i;
	int ret;

	memset(&si2, 0, sizeof(si2));
	ret = si_alloc(&si, 2 * c->n_repos);
	if (!ret)
		ret = si_alloc(&si2, 2 * c->n_repos);
	if (ret) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	ret = add_phase1(c, &si, err);
	if (!ret)
		ret = crawler_fetch(c, si.items, si.n, err);
	if (ret)
		goto out;
	add_phase2(c, &si, &si2);
	ret = crawler_fetch(c, si2.items, si2.n, err);
	if (ret)
		goto out;
	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		struct pb_fetch_item *it;

		if (s->f2 < 0 || s->fate != FATE_PENDING)
			continue;
		it = &si2.items[s->f2];
		if (it->result == 0)
			continue;
		if (it->http_code == 404)
			crawler_absent(s, s->where);
		else
			crawler_fail(s, "%s", it->error);
	}
	ret = 0;
out:
	si_free(&si);
	si_free(&si2);
	return ret;
}

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
#include "probe-builder/alloc.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/str.h"

struct signed_items {
	struct pb_fetch_item *items;
	const char **urls;
	char (*dest)[PATH_MAX];
	char (*url)[PATH_MAX + 64];
	size_t n;
};

static int si_alloc(struct signed_items *si, size_t n, struct pb_err *err)
{
	memset(si, 0, sizeof(*si));
	si->items = pb_calloc(n + 1, sizeof(*si->items), err);
	si->urls = pb_calloc(n + 1, sizeof(*si->urls), err);
	si->dest = pb_calloc(n + 1, sizeof(*si->dest), err);
	si->url = pb_calloc(n + 1, sizeof(*si->url), err);
	return si->items && si->urls && si->dest && si->url ? 0 : -ENOMEM;
}

static void si_free(struct signed_items *si)
{
	free(si->items);
	free(si->urls);
	free(si->dest);
	free(si->url);
}

/* file of s's signed metadata (dists/SUITE/ of an APT suite, repodata/ of
 * an RPM repository) into s's directory */
static int si_add(struct signed_items *si, const struct repo_state *s,
		  const char *file, int64_t cap, struct pb_err *err)
{
	size_t i = si->n;
	int ret;

	ret = s->r->kind == PB_REPO_APT
		      ? pb_path_fmt(si->url[i], sizeof(si->url[i]), err,
				    "%sdists/%s/%s", s->r->url, s->r->suite,
				    file)
		      : pb_path_fmt(si->url[i], sizeof(si->url[i]), err,
				    "%srepodata/%s", s->r->url, file);
	if (!ret)
		ret = pb_path_join(si->dest[i], sizeof(si->dest[i]), err,
				   s->dir, file, NULL);
	if (ret)
		return ret;
	si->n++;
	si->urls[i] = si->url[i];
	si->items[i].urls = &si->urls[i];
	si->items[i].n_urls = 1;
	si->items[i].dest = si->dest[i];
	si->items[i].size = -1;
	si->items[i].max_size = cap;
	/* a missing InRelease, Release or .asc is an answer: the crawl
	 * says what it makes of it */
	si->items[i].quiet_404 = 1;
	return 0;
}

/* What decides is what this crawl got: nothing of a previous one may stand
 * in for a file now missing. */
static int forget_signed(const struct repo_state *s, struct pb_err *err)
{
	static const char *const old[] = {"InRelease",	    "Release",
					  "Release.gpg",    "repomd.xml",
					  "repomd.xml.asc", "Release.checked"};
	size_t k;
	int ret;

	for (k = 0; k < PB_ARRAY_SIZE(old); k++) {
		char f[PATH_MAX + 32];

		ret = pb_path_join(f, sizeof(f), err, s->dir, old[k], NULL);
		if (ret)
			return ret;
		unlink(f);
	}
	return 0;
}

/* Phase 1's items: InRelease (APT), repomd.xml and its .asc (RPM). */
static int add_phase1(struct crawler *c, struct signed_items *si,
		      struct pb_err *err)
{
	int64_t cap = crawler_max_meta(c);
	size_t i;
	int ret;

	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];

		s->f1 = s->f2 = -1;
		if (s->r->kind == PB_REPO_MIRRORLIST || s->fate != FATE_PENDING)
			continue;
		if ((ret = pb_mkdir_p(s->dir, err)) < 0 ||
		    (ret = forget_signed(s, err)) < 0)
			return ret;
		s->f1 = (long)si->n;
		if (s->r->kind == PB_REPO_APT)
			ret = si_add(si, s, "InRelease", cap, err);
		else if (!(ret = si_add(si, s, "repomd.xml", cap, err)))
			/* may well be missing: most RPM mirrors sign only
			 * the packages */
			ret = si_add(si, s, "repomd.xml.asc", cap, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* Phase 1's outcome; phase 2's items: Release and Release.gpg for the APT
 * suites without InRelease. */
static int add_phase2(struct crawler *c, const struct signed_items *si,
		      struct signed_items *si2, struct pb_err *err)
{
	int64_t cap = crawler_max_meta(c);
	size_t i;
	int ret;

	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		struct pb_fetch_item *it;

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
		if ((ret = si_add(si2, s, "Release", cap, err)) ||
		    (ret = si_add(si2, s, "Release.gpg", cap, err)))
			return ret;
	}
	return 0;
}

/* Phase 1: InRelease (APT), repomd.xml and its .asc (RPM); phase 2, for
 * APT suites without InRelease: Release and Release.gpg. */
int crawler_fetch_signed(struct crawler *c, struct pb_err *err)
{
	struct signed_items si, si2;
	size_t i;
	int ret;

	memset(&si2, 0, sizeof(si2));
	ret = si_alloc(&si, 2 * c->n_repos, err);
	if (!ret)
		ret = si_alloc(&si2, 2 * c->n_repos, err);
	if (!ret)
		ret = add_phase1(c, &si, err);
	if (!ret)
		ret = crawler_fetch(c, si.items, si.n, err);
	if (!ret)
		ret = add_phase2(c, &si, &si2, err);
	if (!ret)
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

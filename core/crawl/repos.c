/* The repositories of a crawl: the mirror specs of the distro file, the
 * plugin or the host's apt sources (or --mirror and --suite), expanded. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawler.h"
#include "probe-builder/alloc.h"
#include "util/fs.h"
#include "util/path.h"

static void sanitize(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < len; s++)
		out[o++] = isalnum((unsigned char)*s) || *s == '.' || *s == '-'
				   ? *s
				   : '_';
	out[o] = '\0';
}

static int specs_of(struct crawler *c, struct pb_mirror_spec **specs, size_t *n,
		    struct pb_err *err)
{
	const struct pb_distro *d = c->o->distro;
	size_t i;
	int ret = 0;

	*specs = NULL;
	*n = 0;
	for (i = 0; i < d->n_keys; i++) {
		struct pb_mirror_spec *g;

		if (strcmp(d->keys[i].key, "mirror"))
			continue;
		g = pb_reallocarray(*specs, *n + 1, sizeof(*g), err);
		if (!g)
			return -ENOMEM;
		*specs = g;
		ret = pb_mirror_spec_parse(d->keys[i].value, &g[*n], err);
		if (ret) {
			pb_err_prefix(err, "%s", d->source);
			return ret;
		}
		(*n)++;
	}
	if (*n)
		return 0;
	if (PB_PLUGIN_HAS(c->plugin, mirrors)) {
		for (i = 0; c->plugin->mirrors[i]; i++) {
			struct pb_mirror_spec *g = pb_reallocarray(
				*specs, *n + 1, sizeof(*g), err);

			if (!g)
				return -ENOMEM;
			*specs = g;
			ret = pb_mirror_spec_parse(c->plugin->mirrors[i],
						   &g[*n], err);
			if (ret) {
				pb_err_prefix(err, "plugin %s",
					      c->plugin->name);
				return ret;
			}
			(*n)++;
		}
		return 0;
	}
	if (PB_PLUGIN_HAS(c->plugin, flags) &&
	    (c->plugin->flags & PB_PLUGIN_F_HOST_APT_SOURCES)) {
		c->host_apt = 1;
		return pb_apt_host_specs(
			c->o->etc_apt ? c->o->etc_apt : "/etc/apt",
			PB_PLUGIN_HAS(c->plugin, host_apt_suites)
				? c->plugin->host_apt_suites
				: NULL,
			specs, n, err);
	}
	return 0;
}

/* One RPM repository, root holding repodata/ (taken). */
static int add_rpm_repo(struct crawler *c, char *root, struct pb_err *err)
{
	struct pb_repo *g = pb_reallocarray(c->repos, c->n_repos + 1,
					    sizeof(*g), err),
		       *r;

	if (!g) {
		free(root);
		return -ENOMEM;
	}
	c->repos = g;
	r = &g[c->n_repos];
	memset(r, 0, sizeof(*r));
	r->kind = PB_REPO_RPM;
	r->url = root;
	r->mirror = pb_strdup(root, err);
	r->label = pb_strdup("", err);
	r->components = pb_calloc(1, sizeof(char *), err);
	r->keyrings = pb_calloc(1, sizeof(char *), err);
	/* counted first: pb_repos_free then frees what it got */
	c->n_repos++;
	if (!r->mirror || !r->label || !r->components || !r->keyrings)
		return -ENOMEM;
	return 0;
}

/* The specs' layout on each of roots, appended to c->repos. */
static int expand_roots(struct crawler *c, const struct pb_mirror_spec *specs,
			size_t n_specs, const char **roots, size_t n_roots,
			struct pb_err *err)
{
	struct pb_repo *more = NULL, *g;
	size_t n_more = 0, k;
	int ret;

	ret = pb_repos_expand(specs, n_specs, c->o->arch, c->o->distro_filter,
			      roots, n_roots, &more, &n_more, err);
	if (ret)
		return ret;
	g = pb_reallocarray(c->repos, c->n_repos + n_more + 1, sizeof(*g), err);
	if (!g) {
		pb_repos_free(more, n_more);
		return -ENOMEM;
	}
	c->repos = g;
	for (k = 0; k < n_more; k++)
		c->repos[c->n_repos++] = more[k];
	free(more);
	return 0;
}

/* --mirror for an RPM distro: a URL holding repodata/ is one repository;
 * any other is a mirror root laid out like the distro's. */
static int rpm_roots(struct crawler *c, const struct pb_mirror_spec *specs,
		     size_t n_specs, struct pb_err *err)
{
	struct pb_fetch_item *items;
	char(*urls)[PATH_MAX + 32], (*dest)[PATH_MAX];
	const char **up, **roots;
	size_t i, n = c->o->n_mirrors, n_roots = 0;
	char dir[PATH_MAX];
	int ret;

	ret = pb_path_join(dir, sizeof(dir), err, c->o->workspace, "meta/probe",
			   NULL);
	if (!ret)
		ret = pb_mkdir_p(dir, err);
	if (ret)
		return ret;
	items = pb_calloc(n, sizeof(*items), err);
	urls = pb_calloc(n, sizeof(*urls), err);
	dest = pb_calloc(n, sizeof(*dest), err);
	up = pb_calloc(n, sizeof(*up), err);
	roots = pb_calloc(n, sizeof(*roots), err);
	if (!items || !urls || !dest || !up || !roots) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *m = c->o->mirrors[i];
		size_t l = strlen(m);

		ret = pb_path_fmt(urls[i], sizeof(urls[i]), err,
				  "%s%srepodata/repomd.xml", m,
				  l && m[l - 1] == '/' ? "" : "/");
		if (!ret)
			ret = pb_path_fmt(dest[i], sizeof(dest[i]), err,
					  "%s/repomd-%zu.xml", dir, i);
		if (ret)
			goto out;
		up[i] = urls[i];
		items[i].urls = &up[i];
		items[i].n_urls = 1;
		items[i].dest = dest[i];
		items[i].size = -1;
		items[i].max_size = crawler_max_meta(c);
		items[i].quiet_404 = 1;
	}
	ret = crawler_fetch(c, items, n, err);
	for (i = 0; i < n && !ret; i++) {
		char *root;

		if (items[i].result && items[i].http_code == 404) {
			roots[n_roots++] = c->o->mirrors[i];
			continue;
		}
		/* a repository, or a mirror that does not answer: as one, it
		 * fails later like any other, and --allow-partial may go on
		 * without it */
		root = pb_strndup(
			urls[i],
			strlen(urls[i]) - strlen("repodata/repomd.xml"), err);
		ret = root ? add_rpm_repo(c, root, err) : -ENOMEM;
	}
	if (!ret && n_roots)
		ret = expand_roots(c, specs, n_specs, roots, n_roots, err);
out:
	free(items);
	free(urls);
	free(dest);
	free(up);
	free(roots);
	return ret;
}

/* --suite: these suites on every APT mirror */
static int override_suites(struct crawler *c, struct pb_mirror_spec *specs,
			   size_t n_specs, struct pb_err *err)
{
	size_t i, k;

	for (i = 0; i < n_specs; i++) {
		if (specs[i].kind != PB_SPEC_APT)
			continue;
		pb_strv_free(specs[i].suites);
		specs[i].suites =
			pb_calloc(c->o->n_suites + 1, sizeof(char *), err);
		if (!specs[i].suites)
			return -ENOMEM;
		for (k = 0; k < c->o->n_suites; k++)
			if (!(specs[i].suites[k] =
				      pb_strdup(c->o->suites[k], err)))
				return -ENOMEM;
	}
	return 0;
}

/* With no spec known, the one of --mirror (and --suite for APT). */
static int spec_of_mirror(struct crawler *c, int apt,
			  struct pb_mirror_spec **specs, size_t *n_specs,
			  struct pb_err *err)
{
	struct pb_mirror_spec *g;
	int ret;

	if (apt && !c->o->n_suites)
		return pb_err_set(err, -EINVAL,
				  "%s: no suites known for --mirror (the "
				  "host's apt sources have none of this "
				  "distro): add --suite NAME",
				  c->o->distro->name);
	g = pb_calloc(1, sizeof(*g), err);
	if (!g)
		return -ENOMEM;
	*specs = g;
	ret = pb_mirror_spec_make(g, apt ? PB_SPEC_APT : PB_SPEC_RPM,
				  c->o->mirrors[0], c->o->suites,
				  apt ? c->o->n_suites : 0, err);
	if (!ret)
		*n_specs = 1;
	return ret;
}

int crawler_build_repos(struct crawler *c, struct pb_err *err)
{
	struct pb_mirror_spec *specs = NULL;
	size_t n_specs = 0, i;
	int ret, apt = !strcmp(c->plugin->repo_kind, "apt");

	ret = specs_of(c, &specs, &n_specs, err);
	if (!ret && c->o->n_suites)
		ret = override_suites(c, specs, n_specs, err);
	if (!ret && !n_specs && c->o->n_mirrors)
		ret = spec_of_mirror(c, apt, &specs, &n_specs, err);
	if (ret)
		goto out;
	if (!n_specs) {
		ret = pb_err_set(
			err, -ENOENT,
			c->host_apt ? "%s: the host's apt sources name no %s "
				      "mirror; "
				      "give one with --mirror URL (and --suite)"
				    : "%s: no mirror known; give one with "
				      "--mirror URL",
			c->o->distro->name, c->o->distro->name);
		goto out;
	}
	if (!apt && c->o->n_mirrors)
		ret = rpm_roots(c, specs, n_specs, err);
	else
		ret = pb_repos_expand(specs, n_specs, c->o->arch,
				      c->o->distro_filter, c->o->mirrors,
				      c->o->n_mirrors, &c->repos, &c->n_repos,
				      err);
out:
	for (i = 0; i < n_specs; i++)
		pb_mirror_spec_free(&specs[i]);
	free(specs);
	return ret;
}

int crawler_new_states(struct crawler *c, size_t from, struct pb_err *err)
{
	struct repo_state *g =
		pb_reallocarray(c->st, c->n_repos + 1, sizeof(*g), err);
	size_t i;
	int ret;

	if (!g)
		return -ENOMEM;
	c->st = g;
	for (i = from; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		struct pb_repo *r = &c->repos[i];
		char host[256], path[PATH_MAX];
		const char *p = strstr(r->url, "://");

		memset(s, 0, sizeof(*s));
		s->r = r;
		pb_url_host(r->url, host, sizeof(host));
		p = p ? strchr(p + 3, '/') : NULL;
		sanitize(path, sizeof(path), p ? p : "/");
		ret = pb_path_fmt(s->dir, sizeof(s->dir), err,
				  "%s/meta/%s/%s%s%s", c->o->workspace, host,
				  path, r->suite ? "/" : "",
				  r->suite ? r->suite : "");
		if (ret)
			return ret;
		if (r->kind == PB_REPO_APT)
			snprintf(s->where, sizeof(s->where), "%sdists/%s",
				 r->url, r->suite);
		else
			snprintf(s->where, sizeof(s->where), "%s", r->url);
	}
	return 0;
}

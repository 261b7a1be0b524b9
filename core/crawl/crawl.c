#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crawl/crawl.h"
#include "crawl/mirror.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "repo/gpg.h"
#include "repo/index.h"
#include "util/fs.h"
#include "util/str.h"

/* What became of a repository. */
enum repo_fate { FATE_PENDING, FATE_OK, FATE_ABSENT, FATE_FAILED };

struct repo_state {
	struct pb_repo *r;
	enum repo_fate fate;
	char why[800];
	char dir[PATH_MAX];	   /* its metadata in the workspace */
	char where[PATH_MAX + 64]; /* how messages name it */
	long f1, f2; /* its signed metadata among the fetch items, or -1 */
	/* the indexes to read, once the signed metadata is checked */
	struct pb_fetch_item *idx;
	char **idx_urls; /* owned, two per index (by-hash, plain) */
	size_t n_idx;
};

struct rec {
	size_t order; /* of its repository: the mirrors' order */
	char *name;   /* base name of the file */
	char *url;
	char **alts;
	size_t n_alts;
	int64_t size;
	char sha256[65];
	char *depends; /* deb: its Depends, NULL when not given */
	char **series; /* the suites (versions) that list it */
	size_t n_series;
};

struct crawler {
	const struct pb_crawl_opts *o;
	const struct pb_plugin *plugin;
	struct pb_repo *repos;
	size_t n_repos;
	struct repo_state *st;
	struct rec *recs;
	size_t n_recs, cap_recs;
	char **keyrings;	 /* the defaults, when --keyring is not given */
	char **missing_keyrings; /* defaults named but not on this host */
	int host_apt;		 /* the mirrors come from the host's sources */
};

/* ------------------------------------------------------------ helpers */

static void sanitize(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < len; s++)
		out[o++] = isalnum((unsigned char)*s) || *s == '.' || *s == '-'
				   ? *s
				   : '_';
	out[o] = '\0';
}

static void fail_repo(struct repo_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail_repo(struct repo_state *s, const char *fmt, ...)
{
	va_list ap;

	if (s->fate == FATE_FAILED)
		return;
	s->fate = FATE_FAILED;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static void absent_repo(struct repo_state *s, const char *what)
{
	s->fate = FATE_ABSENT;
	snprintf(s->why, sizeof(s->why), "%s: not on this mirror (HTTP 404)",
		 what);
	pb_warn("%s", s->why);
}

/* 0 when the downloader ran (each item then says how it went: the callers
 * look at each one), else why it could not */
static int fetch(struct crawler *c, struct pb_fetch_item *items, size_t n,
		 struct pb_err *err)
{
	int ret;

	if (n == 0)
		return 0;
	ret = pb_fetch_all(items, n, c->o->fetch, err);
	if (ret == -EIO) {
		pb_err_clear(err);
		return 0;
	}
	return ret;
}

/* the cap on metadata files that no signed index sizes */
static int64_t max_meta(const struct crawler *c)
{
	return c->o->max_metadata_size > 0 ? c->o->max_metadata_size
					   : PB_CRAWL_MAX_METADATA_DEFAULT;
}

/* The keyrings for a repository: --keyring, else its own Signed-By, else
 * the distro's. */
static const char *const *keyrings_for(struct crawler *c, struct pb_repo *r,
				       size_t *n)
{
	if (c->o->n_keyrings) {
		*n = c->o->n_keyrings;
		return c->o->keyrings;
	}
	if (pb_strv_len(r->keyrings)) {
		*n = pb_strv_len(r->keyrings);
		return (const char *const *)r->keyrings;
	}
	*n = pb_strv_len(c->keyrings);
	return (const char *const *)c->keyrings;
}

static int strv_add(char ***v, const char *s)
{
	size_t n = pb_strv_len(*v);
	char **g = realloc(*v, (n + 2) * sizeof(*g));

	if (!g)
		return -ENOMEM;
	*v = g;
	g[n] = strdup(s);
	g[n + 1] = NULL;
	return g[n] ? 0 : -ENOMEM;
}

/* a keyring named but not installed here is remembered, for the message
 * when a signature then cannot be checked */
static int add_keyring(struct crawler *c, const char *path)
{
	if (access(path, R_OK) < 0)
		return strv_add(&c->missing_keyrings, path);
	return strv_add(&c->keyrings, path);
}

/* The hint for a signature whose key is in none of the keyrings. */
static int missing_key_hint(struct crawler *c, struct repo_state *s,
			    struct pb_err *err)
{
	size_t n = pb_strv_len(c->missing_keyrings);
	const char *pkg = n ? pb_keyring_package(c->missing_keyrings[0]) : NULL;

	if (c->o->n_keyrings || pb_strv_len(s->r->keyrings) || !n)
		return pb_err_prefix(err,
				     "%s (pass --keyring FILE, or --no-verify)",
				     s->where);
	return pb_err_prefix(err,
			     "%s (the %s keyring %s%s is not on this host: "
			     "install %s%s, or pass --keyring FILE)",
			     s->where, c->o->distro->name,
			     c->missing_keyrings[0],
			     n > 1 ? " (and others)" : "",
			     pkg ? "the package " : "the package that has it",
			     pkg ? pkg : "");
}

static int default_keyrings(struct crawler *c)
{
	const struct pb_distro *d = c->o->distro;
	size_t i;
	int ret = 0, from_data = 0;

	c->keyrings = calloc(1, sizeof(char *));
	if (!c->keyrings)
		return -ENOMEM;
	for (i = 0; i < d->n_keys && !ret; i++)
		if (!strcmp(d->keys[i].key, "keyring")) {
			from_data = 1;
			ret = add_keyring(c, d->keys[i].value);
		}
	if (!from_data && PB_PLUGIN_HAS(c->plugin, keyrings))
		for (i = 0; c->plugin->keyrings[i] && !ret; i++)
			ret = add_keyring(c, c->plugin->keyrings[i]);
	if (c->host_apt && !ret) {
		/* what apt itself trusts */
		glob_t g;

		if (access("/etc/apt/trusted.gpg", R_OK) == 0)
			ret = strv_add(&c->keyrings, "/etc/apt/trusted.gpg");
		if (!ret &&
		    glob("/etc/apt/trusted.gpg.d/*", 0, NULL, &g) == 0) {
			for (i = 0; i < g.gl_pathc && !ret; i++)
				ret = add_keyring(c, g.gl_pathv[i]);
			globfree(&g);
		}
	}
	return ret;
}

/* ------------------------------------------------------ the repositories */

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
		g = realloc(*specs, (*n + 1) * sizeof(*g));
		if (!g)
			return pb_err_set(err, -ENOMEM, "out of memory");
		*specs = g;
		ret = pb_mirror_spec_parse(d->keys[i].value, &g[*n], err);
		if (ret)
			return pb_err_prefix(err, "%s", d->source);
		(*n)++;
	}
	if (*n)
		return 0;
	if (PB_PLUGIN_HAS(c->plugin, mirrors)) {
		for (i = 0; c->plugin->mirrors[i]; i++) {
			struct pb_mirror_spec *g =
				realloc(*specs, (*n + 1) * sizeof(*g));

			if (!g)
				return pb_err_set(err, -ENOMEM,
						  "out of memory");
			*specs = g;
			ret = pb_mirror_spec_parse(c->plugin->mirrors[i],
						   &g[*n], err);
			if (ret)
				return pb_err_prefix(err, "plugin %s",
						     c->plugin->name);
			(*n)++;
		}
		return 0;
	}
	if (PB_PLUGIN_HAS(c->plugin, flags) &&
	    (c->plugin->flags & PB_PLUGIN_F_HOST_APT_SOURCES)) {
		c->host_apt = 1;
		return pb_apt_host_specs(c->o->etc_apt ? c->o->etc_apt
						       : "/etc/apt",
					 specs, n, err);
	}
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

	snprintf(dir, sizeof(dir), "%s/meta/probe", c->o->workspace);
	ret = pb_mkdir_p(dir, err);
	if (ret)
		return ret;
	items = calloc(n, sizeof(*items));
	urls = calloc(n, sizeof(*urls));
	dest = calloc(n, sizeof(*dest));
	up = calloc(n, sizeof(*up));
	roots = calloc(n, sizeof(*roots));
	if (!items || !urls || !dest || !up || !roots) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *m = c->o->mirrors[i];
		size_t l = strlen(m);

		snprintf(urls[i], sizeof(urls[i]), "%s%srepodata/repomd.xml", m,
			 l && m[l - 1] == '/' ? "" : "/");
		snprintf(dest[i], sizeof(dest[i]), "%s/repomd-%zu.xml", dir, i);
		up[i] = urls[i];
		items[i].urls = &up[i];
		items[i].n_urls = 1;
		items[i].dest = dest[i];
		items[i].size = -1;
		items[i].max_size = max_meta(c);
		items[i].quiet_404 = 1;
	}
	ret = fetch(c, items, n, err);
	for (i = 0; i < n && !ret; i++) {
		struct pb_repo *g;
		char *root;

		if (items[i].result && items[i].http_code == 404) {
			roots[n_roots++] = c->o->mirrors[i];
			continue;
		}
		/* a repository, or a mirror that does not answer: as one, it
		 * fails later like any other, and --allow-partial may go on
		 * without it */
		g = realloc(c->repos, (c->n_repos + 1) * sizeof(*g));
		root = strndup(urls[i],
			       strlen(urls[i]) - strlen("repodata/repomd.xml"));
		if (!g || !root) {
			free(root);
			ret = pb_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		c->repos = g;
		memset(&g[c->n_repos], 0, sizeof(*g));
		g[c->n_repos].kind = PB_REPO_RPM;
		g[c->n_repos].url = root;
		g[c->n_repos].mirror = strdup(root);
		g[c->n_repos].label = strdup("");
		g[c->n_repos].components = calloc(1, sizeof(char *));
		g[c->n_repos].keyrings = calloc(1, sizeof(char *));
		/* counted first: pb_repos_free then frees what it got */
		c->n_repos++;
		if (!g[c->n_repos - 1].mirror || !g[c->n_repos - 1].label ||
		    !g[c->n_repos - 1].components ||
		    !g[c->n_repos - 1].keyrings)
			ret = pb_err_set(err, -ENOMEM, "out of memory");
	}
	if (!ret && n_roots) {
		struct pb_repo *more = NULL, *g;
		size_t n_more = 0, k;

		ret = pb_repos_expand(specs, n_specs, c->o->arch,
				      c->o->distro_filter, roots, n_roots,
				      &more, &n_more, err);
		g = ret ? NULL
			: realloc(c->repos,
				  (c->n_repos + n_more + 1) * sizeof(*g));
		if (!ret && !g)
			ret = pb_err_set(err, -ENOMEM, "out of memory");
		if (g) {
			c->repos = g;
			for (k = 0; k < n_more; k++)
				c->repos[c->n_repos++] = more[k];
			free(more);
		} else {
			pb_repos_free(more, n_more);
		}
	}
out:
	free(items);
	free(urls);
	free(dest);
	free(up);
	free(roots);
	return ret;
}

static int build_repos(struct crawler *c, struct pb_err *err)
{
	struct pb_mirror_spec *specs = NULL;
	size_t n_specs = 0, i;
	int ret, apt = !strcmp(c->plugin->repo_kind, "apt");

	ret = specs_of(c, &specs, &n_specs, err);
	if (ret)
		goto out;
	if (c->o->n_suites) {
		/* --suite: these suites on every APT mirror */
		for (i = 0; i < n_specs; i++) {
			size_t k;

			if (specs[i].kind != PB_SPEC_APT)
				continue;
			pb_strv_free(specs[i].suites);
			specs[i].suites =
				calloc(c->o->n_suites + 1, sizeof(char *));
			if (!specs[i].suites) {
				ret = pb_err_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			for (k = 0; k < c->o->n_suites; k++)
				if (!(specs[i].suites[k] =
					      strdup(c->o->suites[k]))) {
					ret = pb_err_set(err, -ENOMEM,
							 "out of memory");
					goto out;
				}
		}
	}
	if (!n_specs && c->o->n_mirrors && apt) {
		char line[PATH_MAX + 64];
		struct pb_mirror_spec *g = calloc(1, sizeof(*g));
		size_t k;

		if (!c->o->n_suites) {
			free(g);
			ret = pb_err_set(err, -EINVAL,
					 "%s: no suites known for --mirror "
					 "(the host's apt sources have none "
					 "of this distro): add --suite NAME",
					 c->o->distro->name);
			goto out;
		}
		snprintf(line, sizeof(line),
			 "apt %s suites=", c->o->mirrors[0]);
		for (k = 0; k < c->o->n_suites; k++)
			snprintf(line + strlen(line),
				 sizeof(line) - strlen(line), "%s%s",
				 k ? "," : "", c->o->suites[k]);
		specs = g;
		ret = g ? pb_mirror_spec_parse(line, g, err)
			: pb_err_set(err, -ENOMEM, "out of memory");
		if (ret)
			goto out;
		n_specs = 1;
	}
	if (!n_specs && c->o->n_mirrors && !apt) {
		struct pb_mirror_spec *g = calloc(1, sizeof(*g));
		char line[PATH_MAX + 16];

		snprintf(line, sizeof(line), "rpm %s", c->o->mirrors[0]);
		specs = g;
		ret = g ? pb_mirror_spec_parse(line, g, err)
			: pb_err_set(err, -ENOMEM, "out of memory");
		if (ret)
			goto out;
		n_specs = 1;
	}
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
	if (!apt && c->o->n_mirrors) {
		ret = rpm_roots(c, specs, n_specs, err);
		goto out;
	}
	ret = pb_repos_expand(specs, n_specs, c->o->arch, c->o->distro_filter,
			      c->o->mirrors, c->o->n_mirrors, &c->repos,
			      &c->n_repos, err);
out:
	for (i = 0; i < n_specs; i++)
		pb_mirror_spec_free(&specs[i]);
	free(specs);
	return ret;
}

static int new_states(struct crawler *c, size_t from)
{
	struct repo_state *g = realloc(c->st, (c->n_repos + 1) * sizeof(*g));
	size_t i;

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
		snprintf(s->dir, sizeof(s->dir), "%s/meta/%s/%s%s%s",
			 c->o->workspace, host, path, r->suite ? "/" : "",
			 r->suite ? r->suite : "");
		if (r->kind == PB_REPO_APT)
			snprintf(s->where, sizeof(s->where), "%sdists/%s",
				 r->url, r->suite);
		else
			snprintf(s->where, sizeof(s->where), "%s", r->url);
	}
	return 0;
}

/* ------------------------------------------------ phase 0: mirror lists */

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
			return pb_err_set(err, ret, "out of memory");
		if (ret < 0)
			pb_warn("%s: line %zu ignored: %s", c->repos[list].url,
				k + 1, e.msg);
	}
	if (!url) {
		fail_repo(s, "%s: no repository URL in it", c->repos[list].url);
		return 0;
	}
	g = realloc(c->repos, (c->n_repos + 1) * sizeof(*g));
	if (!g) {
		free(url);
		return pb_err_set(err, -ENOMEM, "out of memory");
	}
	c->repos = g;
	r = &g[c->n_repos];
	memset(r, 0, sizeof(*r));
	r->kind = PB_REPO_RPM;
	r->url = url;
	r->mirror = strdup(url);
	r->components = calloc(1, sizeof(char *));
	r->label = strdup(g[list].label ? g[list].label : "");
	r->keyrings = calloc(pb_strv_len(g[list].keyrings) + 1, sizeof(char *));
	c->n_repos++; /* from here pb_repos_free frees what it has */
	for (k = 0; r->keyrings && g[list].keyrings && g[list].keyrings[k]; k++)
		if (!(r->keyrings[k] = strdup(g[list].keyrings[k])))
			return pb_err_set(err, -ENOMEM, "out of memory");
	if (!r->mirror || !r->components || !r->label || !r->keyrings)
		return pb_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int resolve_mirrorlists(struct crawler *c, struct pb_err *err)
{
	struct pb_fetch_item *items;
	const char **urls;
	char(*dest)[PATH_MAX];
	size_t i, n = 0, before = c->n_repos, *which;
	int ret = 0;

	items = calloc(c->n_repos + 1, sizeof(*items));
	urls = calloc(c->n_repos + 1, sizeof(*urls));
	dest = calloc(c->n_repos + 1, sizeof(*dest));
	which = calloc(c->n_repos + 1, sizeof(*which));
	if (!items || !urls || !dest || !which) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < c->n_repos; i++) {
		if (c->repos[i].kind != PB_REPO_MIRRORLIST)
			continue;
		if ((ret = pb_mkdir_p(c->st[i].dir, err)) < 0)
			goto out;
		urls[n] = c->repos[i].url;
		snprintf(dest[n], sizeof(dest[n]), "%s/mirror.list",
			 c->st[i].dir);
		items[n].urls = &urls[n];
		items[n].n_urls = 1;
		items[n].dest = dest[n];
		items[n].size = -1;
		items[n].max_size = max_meta(c);
		which[n++] = i;
	}
	ret = fetch(c, items, n, err);
	for (i = 0; i < n && !ret; i++) {
		struct repo_state *s = &c->st[which[i]];
		char *text = NULL, **lines;

		if (items[i].result) {
			if (items[i].http_code == 404)
				absent_repo(s, s->where);
			else
				fail_repo(s, "%s", items[i].error);
			continue;
		}
		s->fate = FATE_OK;
		if (pb_read_file(dest[i], &text, NULL, err) < 0) {
			fail_repo(s, "%s", err->msg);
			continue;
		}
		lines = pb_strv_split(text, "\r\n");
		free(text);
		if (!lines) {
			ret = pb_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		ret = mirrorlist_repo(c, which[i], lines, err);
		pb_strv_free(lines);
	}
	/* the repos array moved: states point at it */
	if (!ret) {
		for (i = 0; i < before; i++)
			c->st[i].r = &c->repos[i];
		ret = new_states(c, before);
		if (ret)
			ret = pb_err_set(err, ret, "out of memory");
	}
out:
	free(items);
	free(urls);
	free(dest);
	free(which);
	return ret;
}

/* ------------------------------------------- phase 1 and 2: signed files */

/* The signed text of an InRelease, without checking the signature
 * (--no-verify): between the armor headers, dash-escaping undone. */
static int strip_clearsign(const char *in, const char *out, struct pb_err *err)
{
	char *text = NULL, *p, *end, *buf;
	size_t len, o = 0;
	int ret;

	ret = pb_read_file(in, &text, &len, err);
	if (ret)
		return ret;
	p = strstr(text, "-----BEGIN PGP SIGNED MESSAGE-----");
	p = p ? strstr(p, "\n\n") : NULL;
	end = p ? strstr(p, "\n-----BEGIN PGP SIGNATURE-----") : NULL;
	buf = malloc(len + 1);
	if (!p || !end || !buf) {
		free(text);
		free(buf);
		return pb_err_set(err, -EINVAL, "%s: not a clearsigned file",
				  in);
	}
	for (p += 2; p < end;) {
		size_t l = strcspn(p, "\n");

		if (p[0] == '-' && p[1] == ' ')
			p += 2, l -= 2;
		memcpy(buf + o, p, l);
		o += l;
		buf[o++] = '\n';
		p += l + 1;
	}
	ret = pb_write_file_atomic(out, buf, o, err);
	free(text);
	free(buf);
	return ret;
}

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

/* Phase 1: InRelease (APT), repomd.xml and its .asc (RPM); phase 2, for
 * APT suites without InRelease: Release and Release.gpg. */
static int fetch_signed(struct crawler *c, struct pb_err *err)
{
	struct signed_items si, si2;
	size_t i;
	int ret;

	ret = si_alloc(&si, 2 * c->n_repos);
	if (!ret)
		ret = si_alloc(&si2, 2 * c->n_repos);
	if (ret)
		return pb_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		char rel[PATH_MAX];

		s->f1 = s->f2 = -1;
		if (s->r->kind == PB_REPO_MIRRORLIST || s->fate != FATE_PENDING)
			continue;
		if ((ret = pb_mkdir_p(s->dir, err)) < 0)
			goto out;
		/* what decides is what this crawl got: nothing of a
		 * previous one may stand in for a file now missing */
		{
			static const char *const old[] = {
				"InRelease",	  "Release",
				"Release.gpg",	  "repomd.xml",
				"repomd.xml.asc", "Release.checked"};
			size_t k;

			for (k = 0; k < PB_ARRAY_SIZE(old); k++) {
				char f[PATH_MAX + 32];

				snprintf(f, sizeof(f), "%s/%s", s->dir, old[k]);
				unlink(f);
			}
		}
		s->f1 = (long)si.n;
		if (s->r->kind == PB_REPO_APT) {
			snprintf(rel, sizeof(rel), "dists/%s/InRelease",
				 s->r->suite);
			si_add(&si, s->r->url, rel, s->dir, "InRelease",
			       max_meta(c));
		} else {
			si_add(&si, s->r->url, "repodata/repomd.xml", s->dir,
			       "repomd.xml", max_meta(c));
			/* may well be missing: most RPM mirrors sign only
			 * the packages */
			si_add(&si, s->r->url, "repodata/repomd.xml.asc",
			       s->dir, "repomd.xml.asc", max_meta(c));
		}
	}
	ret = fetch(c, si.items, si.n, err);
	if (ret)
		goto out;
	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		struct pb_fetch_item *it;
		char rel[PATH_MAX];

		if (s->f1 < 0)
			continue;
		it = &si.items[s->f1];
		if (it->result == 0)
			continue;
		if (it->http_code != 404) {
			fail_repo(s, "%s", it->error);
			continue;
		}
		if (s->r->kind != PB_REPO_APT) {
			absent_repo(s, si.url[s->f1]);
			continue;
		}
		s->f2 = (long)si2.n;
		snprintf(rel, sizeof(rel), "dists/%s/Release", s->r->suite);
		si_add(&si2, s->r->url, rel, s->dir, "Release", max_meta(c));
		snprintf(rel, sizeof(rel), "dists/%s/Release.gpg", s->r->suite);
		si_add(&si2, s->r->url, rel, s->dir, "Release.gpg",
		       max_meta(c));
	}
	ret = fetch(c, si2.items, si2.n, err);
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
			absent_repo(s, s->where);
		else
			fail_repo(s, "%s", it->error);
	}
	ret = 0;
out:
	si_free(&si);
	si_free(&si2);
	return ret;
}

/* ------------------------------------------- phase 3: the index files */

static int add_index(struct repo_state *s, const char *meta, const char *url,
		     const char *by_hash, int64_t size, const char *sha256,
		     const char *signed_by)
{
	struct pb_fetch_item *g = realloc(s->idx, (s->n_idx + 1) * sizeof(*g));
	char **u, *first, *second = NULL, *dest = NULL, *sha;

	if (!g)
		return -ENOMEM;
	s->idx = g;
	u = realloc(s->idx_urls, (2 * s->n_idx + 2) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	s->idx_urls = u;
	/* by-hash first: it cannot change under us while a mirror syncs */
	first = strdup(by_hash ? by_hash : url);
	if (by_hash)
		second = strdup(url);
	sha = strdup(sha256);
	if (asprintf(&dest, "%s/%s", meta, sha256) < 0)
		dest = NULL;
	/* every part or none: an index without its SHA-256 would be
	 * fetched unverified */
	if (!first || (by_hash && !second) || !sha || !dest) {
		free(first);
		free(second);
		free(sha);
		free(dest);
		return -ENOMEM;
	}
	u[2 * s->n_idx] = first;
	u[2 * s->n_idx + 1] = second;
	memset(&g[s->n_idx], 0, sizeof(*g));
	g[s->n_idx].n_urls = by_hash ? 2 : 1;
	g[s->n_idx].dest = dest;
	g[s->n_idx].size = size;
	g[s->n_idx].sha256 = sha;
	g[s->n_idx].signed_by = signed_by;
	s->n_idx++;
	return 0;
}

/* Valid-Until and Date, as apt checks them: an expired Release may be a
 * mirror that stopped syncing or a replay of old (vulnerable) indexes. */
static int read_binary_all(const struct pb_deb_release *r)
{
	size_t i;

	if (r->no_arch_all_packages)
		return 0;
	if (!r->architectures)
		return 1;
	for (i = 0; r->architectures[i]; i++)
		if (!strcmp(r->architectures[i], "all"))
			return 1;
	return 0;
}

static int check_dates(struct crawler *c, struct repo_state *s,
		       const struct pb_deb_release *r, struct pb_err *err)
{
	time_t now = time(NULL);
	char when[64], clock[64];
	struct tm tm;
	time_t t;

	t = (time_t)now;
	strftime(clock, sizeof(clock), "%Y-%m-%d %H:%M:%S UTC",
		 gmtime_r(&t, &tm));
	if (r->valid_until && (int64_t)now > r->valid_until) {
		t = (time_t)r->valid_until;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
			 gmtime_r(&t, &tm));
		if (!c->o->allow_expired_release)
			return pb_err_set(err, -ESTALE,
					  "%s: the Release expired on %s "
					  "(Valid-Until; now is %s): a stale "
					  "or replayed mirror? "
					  "(--allow-expired-release uses it "
					  "anyway)",
					  s->where, when, clock);
		pb_warn("%s: the Release EXPIRED on %s (Valid-Until; now is "
			"%s); used anyway because of --allow-expired-release: "
			"its indexes may be stale or replayed",
			s->where, when, clock);
	}
	if (r->date && r->date > (int64_t)now) {
		t = (time_t)r->date;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
			 gmtime_r(&t, &tm));
		if (!c->o->allow_future_release)
			return pb_err_set(err, -ESTALE,
					  "%s: the Release is dated %s, in "
					  "the future (now is %s): is this "
					  "clock wrong? "
					  "(--allow-future-release uses it "
					  "anyway)",
					  s->where, when, clock);
		pb_warn("%s: the Release is dated %s, IN THE FUTURE (now is "
			"%s); used anyway because of --allow-future-release",
			s->where, when, clock);
	}
	return 0;
}

static int plan_apt(struct crawler *c, struct repo_state *s, const char *meta,
		    struct pb_err *err)
{
	char inrel[PATH_MAX + 32], rel[PATH_MAX + 32], sig[PATH_MAX + 32],
		text_path[PATH_MAX + 32];
	struct pb_deb_release r;
	const char *arch = pb_deb_arch(c->o->arch);
	char *text = NULL;
	size_t len, k, nkr;
	const char *const *kr = keyrings_for(c, s->r, &nkr);
	int ret;

	snprintf(inrel, sizeof(inrel), "%s/InRelease", s->dir);
	snprintf(rel, sizeof(rel), "%s/Release", s->dir);
	snprintf(sig, sizeof(sig), "%s/Release.gpg", s->dir);
	snprintf(text_path, sizeof(text_path), "%s/Release.checked", s->dir);
	if (pb_is_file(inrel)) {
		ret = c->o->no_verify ? strip_clearsign(inrel, text_path, err)
				      : pb_gpg_verify(inrel, NULL, kr, nkr,
						      s->dir, text_path, err);
	} else if (c->o->no_verify) {
		ret = pb_copy_file_atomic(rel, text_path, err);
	} else if (!pb_is_file(sig)) {
		ret = pb_err_set(err, -EKEYREJECTED,
				 "%s: Release is not signed (no InRelease, no "
				 "Release.gpg)",
				 s->where);
	} else {
		ret = pb_gpg_verify(sig, rel, kr, nkr, s->dir, NULL, err);
		if (!ret)
			ret = pb_copy_file_atomic(rel, text_path, err);
	}
	if (ret == PB_GPG_MISSING_KEY)
		missing_key_hint(c, s, err);
	if (ret)
		return ret;
	ret = pb_read_file(text_path, &text, &len, err);
	if (ret)
		return ret;
	ret = pb_deb_release_parse(text, len, &r, err);
	free(text);
	if (ret)
		return pb_err_prefix(err, "%s", s->where);
	ret = check_dates(c, s, &r, err);
	if (ret) {
		pb_deb_release_free(&r);
		return ret;
	}
	for (k = 0; s->r->components[k] && !ret; k++) {
		static const char *const exts[] = {".xz", ".gz", ""};
		const char *bins[2] = {arch, "all"};
		/* as apt: binary-all is read only when the Release lists
		 * "all" among its Architectures (or lists none) and does not
		 * say the arch:all packages are in binary-<arch> already; a
		 * mirror may leave an unread binary-all stale */
		size_t b, e, n_bins = read_binary_all(&r) ? 2 : 1;

		for (b = 0; b < n_bins && !ret; b++) {
			for (e = 0; e < 3; e++) {
				const struct pb_release_entry *en;
				char path[512], url[PATH_MAX * 2],
					byhash[PATH_MAX * 2];

				snprintf(path, sizeof(path),
					 "%s/binary-%s/Packages%s",
					 s->r->components[k], bins[b], exts[e]);
				en = pb_deb_release_find(&r, path);
				if (!en)
					continue;
				snprintf(url, sizeof(url), "%sdists/%s/%s",
					 s->r->url, s->r->suite, path);
				snprintf(byhash, sizeof(byhash),
					 "%sdists/%s/%s/binary-%s/by-hash/"
					 "SHA256/%s",
					 s->r->url, s->r->suite,
					 s->r->components[k], bins[b],
					 en->sha256);
				ret = add_index(
					s, meta, url,
					r.acquire_by_hash ? byhash : NULL,
					en->size, en->sha256,
					c->o->no_verify ? "the Release"
							: "the signed Release");
				break;
			}
		}
	}
	pb_deb_release_free(&r);
	if (!ret && s->n_idx == 0)
		pb_info("%s: no Packages index for %s in its Release", s->where,
			arch);
	return ret ? pb_err_set(err, ret, "out of memory") : 0;
}

static int plan_rpm(struct crawler *c, struct repo_state *s, const char *meta,
		    struct pb_err *err)
{
	char repomd[PATH_MAX + 32], asc[PATH_MAX + 32], url[PATH_MAX * 2];
	struct pb_repomd md;
	size_t nkr;
	const char *const *kr = keyrings_for(c, s->r, &nkr);
	int ret;

	snprintf(repomd, sizeof(repomd), "%s/repomd.xml", s->dir);
	snprintf(asc, sizeof(asc), "%s/repomd.xml.asc", s->dir);
	if (pb_is_file(asc) && !c->o->no_verify) {
		ret = pb_gpg_verify(asc, repomd, kr, nkr, s->dir, NULL, err);
		if (ret == PB_GPG_MISSING_KEY)
			missing_key_hint(c, s, err);
		if (ret)
			return ret;
	} else if (!pb_is_file(asc) && c->o->require_signed) {
		return pb_err_set(err, -EKEYREJECTED,
				  "%srepodata/repomd.xml is not signed (no "
				  "repomd.xml.asc) and --require-signed is on",
				  s->r->url);
	}
	ret = pb_repomd_parse(repomd, &md, err);
	if (ret)
		return ret;
	if (!md.primary_sha256[0]) {
		pb_repomd_free(&md);
		return pb_err_set(err, -EPROTO,
				  "%srepodata/repomd.xml: primary has no "
				  "SHA-256 checksum to check it with",
				  s->r->url);
	}
	snprintf(url, sizeof(url), "%s%s", s->r->url, md.primary_href);
	ret = add_index(s, meta, url, NULL, md.primary_size, md.primary_sha256,
			pb_is_file(asc) && !c->o->no_verify
				? "the signed repomd.xml"
				: "repomd.xml");
	pb_repomd_free(&md);
	return ret ? pb_err_set(err, ret, "out of memory") : 0;
}

/* ------------------------------------------------- phase 4: the records */

struct parse_ctx {
	struct crawler *c;
	struct repo_state *s;
	const char *base; /* what locations are relative to */
};

static int add_rec(const struct pb_pkg_rec *p, void *data)
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
		struct rec *g = realloc(c->recs, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		c->recs = g;
		c->cap_recs = cap;
	}
	r = &c->recs[c->n_recs];
	memset(r, 0, sizeof(*r));
	r->order = (size_t)(x->s - c->st);
	if (asprintf(&r->url, "%s%s%s", base,
		     bl && base[bl - 1] != '/' ? "/" : "", p->location) < 0)
		return -ENOMEM;
	r->name = strdup(pb_basename(p->location));
	if (!r->name) {
		free(r->url);
		return -ENOMEM;
	}
	r->size = p->size;
	snprintf(r->sha256, sizeof(r->sha256), "%s", p->sha256);
	r->depends = p->depends ? strdup(p->depends) : NULL;
	r->series = calloc(2, sizeof(*r->series));
	if (r->series && x->s->r->label && *x->s->r->label) {
		r->series[0] = strdup(x->s->r->label);
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

static void free_rec(struct rec *r)
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
static int merge_series(struct rec *keep, struct rec *r)
{
	size_t i, k;

	for (i = 0; i < r->n_series; i++) {
		char **g;

		for (k = 0; k < keep->n_series; k++)
			if (!strcmp(keep->series[k], r->series[i]))
				break;
		if (k < keep->n_series)
			continue;
		g = realloc(keep->series, (keep->n_series + 2) * sizeof(*g));
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

/* One record per file name: the same file on several mirrors becomes one
 * with alternates, so the downloader can fail over. */
static int merge_recs(struct crawler *c)
{
	size_t i, o = 0;

	qsort(c->recs, c->n_recs, sizeof(*c->recs), rec_by_name);
	for (i = 0; i < c->n_recs; i++) {
		struct rec *r = &c->recs[i];
		struct rec *keep = o ? &c->recs[o - 1] : NULL;

		if (keep && !strcmp(keep->name, r->name)) {
			if (!strcmp(keep->sha256, r->sha256) &&
			    merge_series(keep, r) < 0)
				return -ENOMEM;
			if (!strcmp(keep->sha256, r->sha256) &&
			    strcmp(keep->url, r->url)) {
				char **g =
					realloc(keep->alts, (keep->n_alts + 2) *
								    sizeof(*g));

				if (!g)
					return -ENOMEM;
				keep->alts = g;
				g[keep->n_alts++] = r->url;
				g[keep->n_alts] = NULL;
				r->url = NULL;
			} else if (strcmp(keep->sha256, r->sha256)) {
				pb_warn("%s and %s have the same name and "
					"other "
					"contents; keeping the first",
					keep->url, r->url);
			}
			free_rec(r);
			continue;
		}
		c->recs[o++] = *r;
	}
	c->n_recs = o;
	qsort(c->recs, c->n_recs, sizeof(*c->recs), rec_by_url);
	return 0;
}

static struct rec *find_rec(struct crawler *c, const char *url)
{
	struct rec key = {.url = (char *)url};

	return bsearch(&key, c->recs, c->n_recs, sizeof(*c->recs), rec_by_url);
}

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
	items = calloc(total, sizeof(*items));
	urls = calloc(total, sizeof(*urls));
	map = calloc(total, sizeof(*map));
	if (!items || !urls || !map) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
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
			g = realloc(urls[u],
				    (items[u].n_urls + 3) * sizeof(*g));
			if (!g) {
				ret = pb_err_set(err, -ENOMEM, "out of memory");
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
	ret = fetch(c, items, n, err);
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

static int fetch_and_parse_indexes(struct crawler *c, struct pb_err *err)
{
	char meta[PATH_MAX];
	size_t i, k;
	int ret = 0;

	snprintf(meta, sizeof(meta), "%s/meta/by-sha256", c->o->workspace);
	ret = pb_mkdir_p(meta, err);
	if (ret)
		return ret;
	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		struct pb_err e = {0};

		if (s->fate != FATE_PENDING)
			continue;
		ret = s->r->kind == PB_REPO_APT ? plan_apt(c, s, meta, &e)
						: plan_rpm(c, s, meta, &e);
		if (ret) {
			fail_repo(s, "%s", e.msg);
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
				fail_repo(s, "%s", s->idx[k].error);
				break;
			}
			r = s->r->kind == PB_REPO_APT
				    ? pb_deb_packages_parse(s->idx[k].dest,
							    globs, add_rec, &x,
							    &stats, &e)
				    : pb_rpm_primary_parse(s->idx[k].dest,
							   globs, add_rec, &x,
							   &stats, &e);
			if (r == -ENOMEM) {
				ret = pb_err_set(err, r, "out of memory");
				break;
			}
			if (r) {
				fail_repo(s, "%s: %s", s->idx[k].urls[0],
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
			free_rec(&c->recs[c->n_recs]);
		}
	}
	return ret;
}

/* ------------------------------------------------------- the kernels */

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_kernel(struct crawler *c, struct pb_crawl *out,
		      const struct pb_batch *b, size_t i)
{
	struct pb_crawl_kernel *g, *k;
	size_t j, n = pb_batch_n_packages(b, i);
	const char *fl = pb_batch_release_flavor(b, i),
		   *fail = pb_batch_release_failure(b, i);

	g = realloc(out->kernels, (out->n_kernels + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	out->kernels = g;
	k = &g[out->n_kernels++];
	memset(k, 0, sizeof(*k));
	k->release = strdup(pb_batch_release(b, i));
	k->flavor = strdup(fl ? fl : "");
	k->arch =
		strdup(pb_batch_release_arch(b, i) ? pb_batch_release_arch(b, i)
						   : c->o->arch);
	k->error = fail ? strdup(fail) : NULL;
	k->pkgs = calloc(n + 1, sizeof(*k->pkgs));
	k->version = strdup(pb_batch_release_version(b, i)
				    ? pb_batch_release_version(b, i)
				    : "");
	if (!k->release || !k->flavor || !k->arch || !k->pkgs || !k->version)
		return -ENOMEM;
	{
		/* the series of a kernel are those of its primary package:
		 * a shared kbuild or common package says nothing of it */
		const char *prim = pb_batch_release_primary(b, i);
		struct rec *r = prim ? find_rec(c, prim) : NULL;
		size_t s, ns = r ? r->n_series : 0;

		k->series = calloc(ns + 1, sizeof(char *));
		if (!k->series)
			return -ENOMEM;
		for (s = 0; s < ns; s++)
			if (!(k->series[s] = strdup(r->series[s])))
				return -ENOMEM;
		qsort(k->series, ns, sizeof(char *), cmp_strp);
	}
	for (j = 0; j < n; j++) {
		enum pb_pkg_role role;
		const char *url = pb_batch_package(b, i, j, &role);
		struct rec *r = find_rec(c, url);
		struct pb_crawl_pkg *p = &k->pkgs[k->n_pkgs];
		size_t a;

		if (!r)
			continue;
		p->name = strdup(r->name);
		p->url = strdup(r->url);
		p->size = r->size;
		p->role = role;
		memcpy(p->sha256, r->sha256, sizeof(p->sha256));
		p->alts = calloc(r->n_alts + 1, sizeof(char *));
		if (!p->name || !p->url || !p->alts)
			return -ENOMEM;
		for (a = 0; a < r->n_alts; a++)
			if (!(p->alts[a] = strdup(r->alts[a])))
				return -ENOMEM;
		k->n_pkgs++;
	}
	return 0;
}

static int make_kernels(struct crawler *c, struct pb_crawl *out,
			struct pb_err *err)
{
	struct pb_batch *b = pb_batch_new();
	const char **paths = calloc(c->n_recs + 1, sizeof(*paths));
	size_t i;
	int ret = 0;

	if (!b || !paths) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
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
		ret = add_kernel(c, out, b, i);
		if (ret)
			ret = pb_err_set(err, ret, "out of memory");
	}
out:
	pb_batch_free(b);
	free(paths);
	return ret;
}

/* ------------------------------------------------------------- the run */

static void free_crawler(struct crawler *c)
{
	size_t i, k;

	for (i = 0; c->st && i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];

		for (k = 0; k < s->n_idx; k++) {
			free((char *)s->idx[k].dest);
			free((char *)s->idx[k].sha256);
			free(s->idx_urls[2 * k]);
			free(s->idx_urls[2 * k + 1]);
		}
		free(s->idx);
		free(s->idx_urls);
	}
	free(c->st);
	pb_repos_free(c->repos, c->n_repos);
	for (i = 0; i < c->n_recs; i++)
		free_rec(&c->recs[i]);
	free(c->recs);
	pb_strv_free(c->keyrings);
	pb_strv_free(c->missing_keyrings);
}

int pb_crawl_run(const struct pb_crawl_opts *o, struct pb_crawl *out,
		 struct pb_err *err)
{
	struct crawler c;
	size_t i, k, n_ok = 0, n_failed = 0, n_missed;
	char **missed;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (!o || o->sz < sizeof(*o))
		return pb_err_set(err, -EINVAL, "crawl options too old");
	c.o = o;
	c.plugin = o->distro->builder->plugin;
	if (!PB_PLUGIN_HAS(c.plugin, repo_kind))
		return pb_err_set(err, -ENOTSUP,
				  "%s: the %s plugin (%s) cannot crawl: it "
				  "names no repository kind",
				  o->distro->name, c.plugin->name,
				  o->distro->builder->path);
	out->distro = strdup(o->distro->name);
	if (o->no_verify)
		pb_warn("--no-verify: the signatures of the repositories are "
			"NOT checked; anyone on the way can change what is "
			"built");
	ret = build_repos(&c, err);
	if (!ret && !c.n_repos)
		ret = pb_err_set(err, -ENOENT, "%s: no repository to crawl%s%s",
				 o->distro->name,
				 o->distro_filter ? " for --distro-filter "
						  : "",
				 o->distro_filter ? o->distro_filter : "");
	if (!ret && default_keyrings(&c))
		ret = pb_err_set(err, -ENOMEM, "out of memory");
	if (!ret && new_states(&c, 0))
		ret = pb_err_set(err, -ENOMEM, "out of memory");
	if (!ret)
		ret = resolve_mirrorlists(&c, err);
	if (!ret)
		ret = fetch_signed(&c, err);
	if (!ret)
		ret = fetch_and_parse_indexes(&c, err);
	if (ret)
		goto out;
	for (i = 0; i < c.n_repos; i++) {
		struct repo_state *s = &c.st[i];
		char **g;

		if (s->fate == FATE_OK && s->r->kind != PB_REPO_MIRRORLIST)
			n_ok++;
		if (s->fate != FATE_FAILED)
			continue;
		n_failed++;
		g = realloc(out->missed, (out->n_missed + 2) * sizeof(*g));
		if (!g) {
			ret = pb_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		out->missed = g;
		g[out->n_missed] = NULL;
		if (asprintf(&g[out->n_missed], "%s: %s", s->where, s->why) <
		    0) {
			g[out->n_missed] = NULL;
			ret = pb_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		/* one line per repository, however it was reached */
		for (k = 0; k < out->n_missed; k++)
			if (!strcmp(g[k], g[out->n_missed]))
				break;
		if (k < out->n_missed) {
			free(g[out->n_missed]);
			g[out->n_missed] = NULL;
			n_failed--;
			continue;
		}
		g[++out->n_missed] = NULL;
	}
	if (n_failed && (!o->allow_partial || !n_ok)) {
		/* the list is out->missed, said by the caller whole: a
		 * message of PB_ERR_MSG_MAX would cut it */
		if (!n_ok)
			ret = pb_err_set(err, -EIO,
					 "%s: no repository could be read; "
					 "%zu failed:",
					 o->distro->name, n_failed);
		else
			ret = pb_err_set(
				err, -EIO,
				"the crawl is incomplete: %zu repositor%s "
				"failed (--allow-partial goes on without "
				"them):",
				n_failed, n_failed == 1 ? "y" : "ies");
		free_crawler(&c);
		/* only the list stays, for the caller to say */
		missed = out->missed;
		n_missed = out->n_missed;
		out->missed = NULL;
		out->n_missed = 0;
		pb_crawl_free(out);
		out->missed = missed;
		out->n_missed = n_missed;
		return ret;
	}
	for (i = 0; i < out->n_missed; i++)
		pb_warn("--allow-partial: missed %s", out->missed[i]);
	if (!n_ok) {
		ret = pb_err_set(err, -ENOENT,
				 "%s: none of the %zu repositories could be "
				 "read",
				 o->distro->name, c.n_repos);
		goto out;
	}
	ret = merge_recs(&c);
	if (!ret)
		ret = make_kernels(&c, out, err);
	else
		pb_err_set(err, ret, "out of memory");
out:
	free_crawler(&c);
	if (ret)
		pb_crawl_free(out);
	return ret;
}

static void kernel_free(struct pb_crawl_kernel *k)
{
	size_t j;

	for (j = 0; j < k->n_pkgs; j++) {
		free(k->pkgs[j].name);
		free(k->pkgs[j].url);
		pb_strv_free(k->pkgs[j].alts);
	}
	free(k->pkgs);
	k->pkgs = NULL;
	k->n_pkgs = 0;
	free(k->release);
	free(k->flavor);
	free(k->arch);
	free(k->error);
	free(k->version);
	pb_strv_free(k->series);
}

void pb_crawl_drop_packages(struct pb_crawl_kernel *k)
{
	size_t j;

	for (j = 0; j < k->n_pkgs; j++) {
		free(k->pkgs[j].name);
		free(k->pkgs[j].url);
		pb_strv_free(k->pkgs[j].alts);
	}
	k->n_pkgs = 0;
}

size_t pb_crawl_select(struct pb_crawl *c, const regex_t *kernel_filter,
		       const char *arch)
{
	size_t i, o = 0, dropped = 0;

	for (i = 0; i < c->n_kernels; i++) {
		struct pb_crawl_kernel *k = &c->kernels[i];

		if ((arch && k->arch && k->arch[0] && strcmp(k->arch, arch)) ||
		    (kernel_filter &&
		     regexec(kernel_filter, k->release, 0, NULL, 0) != 0)) {
			kernel_free(k);
			dropped++;
			continue;
		}
		c->kernels[o++] = *k;
	}
	c->n_kernels = o;
	return dropped;
}

void pb_crawl_free(struct pb_crawl *c)
{
	size_t i;

	for (i = 0; i < c->n_kernels; i++)
		kernel_free(&c->kernels[i]);
	free(c->kernels);
	for (i = 0; i < c->n_missed; i++)
		free(c->missed[i]);
	free(c->missed);
	free(c->distro);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------ listings */

void pb_crawl_print(FILE *f, const struct pb_crawl *c)
{
	size_t i, j;

	for (i = 0; i < c->n_kernels; i++) {
		const struct pb_crawl_kernel *k = &c->kernels[i];

		fprintf(f, "=== %s ===\n", k->release);
		if (k->error)
			fprintf(f, "# incomplete: %s\n", k->error);
		for (j = 0; j < k->n_pkgs; j++)
			fprintf(f, "%s\n", k->pkgs[j].url);
	}
}

json_object *pb_crawl_to_json(const struct pb_crawl *c)
{
	json_object *root = json_object_new_object(),
		    *ks = json_object_new_array();
	size_t i, j, a;

	json_object_object_add(root, "format",
			       json_object_new_int(PB_CRAWL_JSON_FORMAT));
	json_object_object_add(
		root, "distro",
		json_object_new_string(c->distro ? c->distro : ""));
	for (i = 0; i < c->n_kernels; i++) {
		const struct pb_crawl_kernel *k = &c->kernels[i];
		json_object *jk = json_object_new_object(),
			    *pk = json_object_new_array();

		json_object_object_add(jk, "release",
				       json_object_new_string(k->release));
		json_object_object_add(jk, "flavor",
				       json_object_new_string(k->flavor));
		json_object_object_add(jk, "arch",
				       json_object_new_string(k->arch));
		json_object_object_add(
			jk, "version",
			json_object_new_string(k->version ? k->version : ""));
		{
			json_object *js = json_object_new_array();

			for (a = 0; k->series && k->series[a]; a++)
				json_object_array_add(
					js,
					json_object_new_string(k->series[a]));
			json_object_object_add(jk, "series", js);
		}
		for (j = 0; j < k->n_pkgs; j++) {
			const struct pb_crawl_pkg *p = &k->pkgs[j];
			json_object *jp = json_object_new_object();

			json_object_object_add(jp, "name",
					       json_object_new_string(p->name));
			json_object_object_add(jp, "url",
					       json_object_new_string(p->url));
			json_object_object_add(jp, "size",
					       json_object_new_int64(p->size));
			json_object_object_add(
				jp, "sha256",
				json_object_new_string(p->sha256));
			json_object_object_add(
				jp, "role",
				json_object_new_string(p->role == PB_PKG_CONFIG
							       ? "config"
							       : "tree"));
			if (p->alts && p->alts[0]) {
				json_object *m = json_object_new_array();

				for (a = 0; p->alts[a]; a++)
					json_object_array_add(
						m, json_object_new_string(
							   p->alts[a]));
				json_object_object_add(jp, "mirrors", m);
			}
			json_object_array_add(pk, jp);
		}
		json_object_object_add(jk, "packages", pk);
		if (k->error)
			json_object_object_add(
				jk, "error", json_object_new_string(k->error));
		json_object_array_add(ks, jk);
	}
	json_object_object_add(root, "kernels", ks);
	if (c->n_missed) {
		json_object *m = json_object_new_array();

		for (i = 0; i < c->n_missed; i++)
			json_object_array_add(
				m, json_object_new_string(c->missed[i]));
		json_object_object_add(root, "missed", m);
	}
	return root;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int valid_sha256(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The array under key, or NULL when it is absent or not an array: json-c
 * asserts on an array call made on another type. */
static json_object *jarr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* A string array (NULL when absent) into a NULL-terminated copy; -EINVAL
 * when it holds something else than strings. */
static int jstrv(json_object *o, const char *key, char ***out)
{
	json_object *a, *v;
	size_t i, n;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	a = jarr(o, key);
	if (!a)
		return -EINVAL;
	n = json_object_array_length(a);
	*out = calloc(n + 1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_string))
			return -EINVAL;
		(*out)[i] = strdup(json_object_get_string(e));
		if (!(*out)[i])
			return -ENOMEM;
	}
	return 0;
}

int pb_crawl_from_json(json_object *j, const char *what, struct pb_crawl *out,
		       struct pb_err *err)
{
	json_object *ks, *v;
	size_t i, n, p;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(j, json_type_object) ||
	    !(ks = jarr(j, "kernels")))
		return pb_err_set(err, -EINVAL,
				  "%s: not a crawl listing (no \"kernels\" "
				  "array)",
				  what);
	if (json_object_object_get_ex(j, "format", &v)) {
		int64_t f = json_object_is_type(v, json_type_int)
				    ? json_object_get_int64(v)
				    : -1;

		if (f < 1)
			return pb_err_set(err, -EINVAL,
					  "%s: \"format\" is not a format "
					  "number",
					  what);
		if (f > PB_CRAWL_JSON_FORMAT)
			return pb_err_set(err, -EPROTO,
					  "%s: crawl listing format %" PRId64
					  ", this probe-builder (%s) reads up "
					  "to %d: run a newer one, or crawl "
					  "again with this one",
					  what, f, PACKAGE_VERSION,
					  PB_CRAWL_JSON_FORMAT);
	}
	if (json_object_object_get_ex(j, "distro", &v) &&
	    !json_object_is_type(v, json_type_string))
		return pb_err_set(err, -EINVAL,
				  "%s: \"distro\" is not a string", what);
	out->distro = strdup(jstr(j, "distro") ? jstr(j, "distro") : "");
	n = json_object_array_length(ks);
	out->kernels = calloc(n + 1, sizeof(*out->kernels));
	if (!out->distro || !out->kernels)
		goto oom;
	for (i = 0; i < n; i++) {
		json_object *jk = json_object_array_get_idx(ks, i), *pk;
		struct pb_crawl_kernel *k = &out->kernels[i];
		const char *rel = jstr(jk, "release");

		out->n_kernels++;
		if (!rel || !(pk = jarr(jk, "packages"))) {
			pb_crawl_free(out);
			return pb_err_set(err, -EINVAL,
					  "%s: kernel %zu has no release or "
					  "no packages array",
					  what, i + 1);
		}
		k->release = strdup(rel);
		k->flavor =
			strdup(jstr(jk, "flavor") ? jstr(jk, "flavor") : "");
		k->arch = strdup(jstr(jk, "arch") ? jstr(jk, "arch") : "");
		k->version =
			strdup(jstr(jk, "version") ? jstr(jk, "version") : "");
		k->error = jstr(jk, "error") ? strdup(jstr(jk, "error")) : NULL;
		k->pkgs = calloc(json_object_array_length(pk) + 1,
				 sizeof(*k->pkgs));
		if (!k->release || !k->flavor || !k->arch || !k->version ||
		    !k->pkgs)
			goto oom;
		ret = jstrv(jk, "series", &k->series);
		if (ret == -ENOMEM)
			goto oom;
		if (ret) {
			pb_crawl_free(out);
			return pb_err_set(err, -EINVAL,
					  "%s: %s: \"series\" is not an "
					  "array of strings",
					  what, rel);
		}
		if (!k->series && !(k->series = calloc(1, sizeof(char *))))
			goto oom;
		for (p = 0; p < json_object_array_length(pk); p++) {
			json_object *jp = json_object_array_get_idx(pk, p);
			struct pb_crawl_pkg *q = &k->pkgs[p];
			const char *url = jstr(jp, "url"),
				   *sha = jstr(jp, "sha256"),
				   *role = jstr(jp, "role");

			k->n_pkgs++;
			if (!url || !valid_sha256(sha) ||
			    !json_object_object_get_ex(jp, "size", &v) ||
			    !json_object_is_type(v, json_type_int) ||
			    json_object_get_int64(v) < 0) {
				pb_crawl_free(out);
				return pb_err_set(err, -EINVAL,
						  "%s: %s: package %zu needs "
						  "url, size and sha256 (a "
						  "number, 64 hex digits)",
						  what, rel, p + 1);
			}
			q->url = strdup(url);
			q->name = strdup(jstr(jp, "name") ? jstr(jp, "name")
							  : pb_basename(url));
			q->size = json_object_get_int64(v);
			snprintf(q->sha256, sizeof(q->sha256), "%s", sha);
			q->role = role && !strcmp(role, "config")
					  ? PB_PKG_CONFIG
					  : PB_PKG_TREE;
			if (!q->url || !q->name)
				goto oom;
			ret = jstrv(jp, "mirrors", &q->alts);
			if (ret == -ENOMEM)
				goto oom;
			if (ret) {
				pb_crawl_free(out);
				return pb_err_set(err, -EINVAL,
						  "%s: %s: package %zu: "
						  "\"mirrors\" is not an array "
						  "of URLs",
						  what, rel, p + 1);
			}
			if (!q->alts && !(q->alts = calloc(1, sizeof(char *))))
				goto oom;
		}
	}
	return 0;
oom:
	pb_crawl_free(out);
	return pb_err_set(err, -ENOMEM, "out of memory");
}

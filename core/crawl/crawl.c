/* The crawl run: the phases in order, then what became of each repository
 * (see crawler.h for the files of each phase). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawler.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"

void crawler_fail(struct repo_state *s, const char *fmt, ...)
{
	va_list ap;

	if (s->fate == FATE_FAILED)
		return;
	s->fate = FATE_FAILED;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

void crawler_absent(struct repo_state *s, const char *what)
{
	s->fate = FATE_ABSENT;
	snprintf(s->why, sizeof(s->why), "%s: not on this mirror (HTTP 404)",
		 what);
	pb_warn("%s", s->why);
}

int crawler_fetch(struct crawler *c, struct pb_fetch_item *items, size_t n,
		  struct pb_err *err)
{
	int ret;

	if (n == 0)
		return 0;
	ret = pb_fetcher_add_all(c->o->fetcher, items, n, err);
	if (!ret)
		ret = pb_fetcher_run(c->o->fetcher, err);
	if (ret == -EIO) {
		pb_err_clear(err);
		return 0;
	}
	return ret;
}

int64_t crawler_max_meta(const struct crawler *c)
{
	return c->o->max_metadata_size > 0 ? c->o->max_metadata_size
					   : PB_CRAWL_MAX_METADATA_DEFAULT;
}

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
		crawler_free_rec(&c->recs[i]);
	free(c->recs);
	pb_strv_free(c->keyrings);
	pb_strv_free(c->missing_keyrings);
}

/* The phases, each over every repository: the first error here is one of
 * the crawl itself (a repository's own goes into its state). */
static int run_phases(struct crawler *c, struct pb_err *err)
{
	const struct pb_crawl_opts *o = c->o;
	int ret;

	ret = crawler_build_repos(c, err);
	if (!ret && !c->n_repos)
		ret = pb_err_set(err, -ENOENT, "%s: no repository to crawl%s%s",
				 o->distro->name,
				 o->distro_filter ? " for --distro-filter "
						  : "",
				 o->distro_filter ? o->distro_filter : "");
	if (!ret)
		ret = crawler_default_keyrings(c, err);
	if (!ret)
		ret = crawler_new_states(c, 0, err);
	if (!ret)
		ret = crawler_resolve_mirrorlists(c, err);
	if (!ret)
		ret = crawler_fetch_signed(c, err);
	if (!ret)
		ret = crawler_read_indexes(c, err);
	return ret;
}

/* out->missed: each failed repository once, "where: why"; *n_ok: how many
 * were read. */
static int list_missed(struct crawler *c, struct pb_crawl *out, size_t *n_ok,
		       struct pb_err *err)
{
	size_t i, k;

	*n_ok = 0;
	for (i = 0; i < c->n_repos; i++) {
		struct repo_state *s = &c->st[i];
		char **g;

		if (s->fate == FATE_OK && s->r->kind != PB_REPO_MIRRORLIST)
			(*n_ok)++;
		if (s->fate != FATE_FAILED)
			continue;
		g = pb_reallocarray(out->missed, out->n_missed + 2, sizeof(*g),
				    err);
		if (!g)
			return -ENOMEM;
		out->missed = g;
		g[out->n_missed] = pb_asprintf(err, "%s: %s", s->where, s->why);
		if (!g[out->n_missed])
			return -ENOMEM;
		/* one line per repository, however it was reached */
		for (k = 0; k < out->n_missed; k++)
			if (!strcmp(g[k], g[out->n_missed]))
				break;
		if (k < out->n_missed) {
			free(g[out->n_missed]);
			g[out->n_missed] = NULL;
			continue;
		}
		g[++out->n_missed] = NULL;
	}
	return 0;
}

/* A crawl that failed for its repositories: out keeps only the list of
 * them, for the caller to say whole (a message of PB_ERR_MSG_MAX would cut
 * it). */
static int fail_crawl(const struct pb_crawl_opts *o, struct pb_crawl *out,
		      size_t n_ok, struct pb_err *err)
{
	size_t n_failed = out->n_missed, n_missed;
	char **missed;
	int ret;

	if (!n_ok)
		ret = pb_err_set(err, -EIO,
				 "%s: no repository could be read; "
				 "%zu failed:",
				 o->distro->name, n_failed);
	else
		ret = pb_err_set(err, -EIO,
				 "the crawl is incomplete: %zu repositor%s "
				 "failed (--allow-partial goes on without "
				 "them):",
				 n_failed, n_failed == 1 ? "y" : "ies");
	missed = out->missed;
	n_missed = out->n_missed;
	out->missed = NULL;
	out->n_missed = 0;
	pb_crawl_free(out);
	out->missed = missed;
	out->n_missed = n_missed;
	return ret;
}

int pb_crawl_run(const struct pb_crawl_opts *o, struct pb_crawl *out,
		 struct pb_err *err)
{
	struct crawler c;
	size_t i, n_ok = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (!o || o->sz < sizeof(*o))
		return pb_err_set(err, -EINVAL, "crawl options too old");
	if (!o->fetcher)
		return pb_err_set(err, -EINVAL, "the crawl needs a fetcher");
	c.o = o;
	c.plugin = o->distro->builder->plugin;
	if (!PB_PLUGIN_HAS(c.plugin, repo_kind))
		return pb_err_set(err, -ENOTSUP,
				  "%s: the %s plugin (%s) cannot crawl: it "
				  "names no repository kind",
				  o->distro->name, c.plugin->name,
				  o->distro->builder->path);
	out->distro = pb_strdup(o->distro->name, err);
	if (!out->distro)
		return -ENOMEM;
	if (o->no_verify)
		pb_warn("--no-verify: the signatures of the repositories are "
			"NOT checked; anyone on the way can change what is "
			"built");
	ret = run_phases(&c, err);
	if (!ret)
		ret = list_missed(&c, out, &n_ok, err);
	if (ret)
		goto out;
	if (out->n_missed && (!o->allow_partial || !n_ok)) {
		free_crawler(&c);
		return fail_crawl(o, out, n_ok, err);
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
	ret = crawler_merge_recs(&c, err);
	if (!ret)
		ret = crawler_make_kernels(&c, out, err);
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

size_t pb_crawl_keep(struct pb_crawl *c, const unsigned char *keep)
{
	size_t i, o = 0;

	for (i = 0; i < c->n_kernels; i++) {
		if (!keep[i]) {
			kernel_free(&c->kernels[i]);
			continue;
		}
		c->kernels[o++] = c->kernels[i];
	}
	i = c->n_kernels - o;
	c->n_kernels = o;
	return i;
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

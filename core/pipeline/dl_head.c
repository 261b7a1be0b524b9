#include "config.h"

/* Config packages read only as far as their config (issue 13): a head
 * asked first, made longer while it ends before its config, then checked
 * against the kernel's verified tree by the plugin's rule (confighead.h);
 * an accepted head is marked, for the trees it was checked against, so
 * that the next run takes it without asking again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/confighead.h"
#include "pipeline/dl_state.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/str.h"

/* Whether pk's config may come from its head. */
int pb_dl_head_allowed(const struct pb_dl *d, const struct pkg *pk)
{
	const struct pb_plugin *pl = d->o->plugin;

	return pk->p->role == PB_PKG_CONFIG && !d->o->whole_config && pl &&
	       PB_PLUGIN_HAS(pl, config_rule_drop) &&
	       pk->p->size > HEAD_FIRST && access(pk->dest, F_OK) != 0;
}

/* What the accepted mark of pk says: the SHA-256 of each tree package it
 * was checked against, in order. */
static int mark_text(const struct pb_dl *d, const struct kern *k, char *buf,
		     size_t len)
{
	size_t j, o = 0;

	for (j = 0; j < k->n_pk; j++) {
		const struct pkg *t = &d->pkgs[k->pk[j]];
		int n;

		if (t->p->role != PB_PKG_TREE)
			continue;
		n = snprintf(buf + o, len - o, "%s\n", t->p->sha256);
		if (n < 0 || (size_t)n >= len - o)
			return -ENAMETOOLONG;
		o += (size_t)n;
	}
	return 0;
}

/* A head accepted by an earlier run for the same tree packages. */
int pb_dl_head_accepted_before(const struct pb_dl *d, const struct kern *k,
			       const struct pkg *pk)
{
	char want[4096], have[4096];
	FILE *f;
	size_t n;

	if (mark_text(d, k, want, sizeof(want)) < 0 ||
	    access(pk->head, F_OK) != 0 || !(f = fopen(pk->ok_mark, "re")))
		return 0;
	n = fread(have, 1, sizeof(have) - 1, f);
	fclose(f);
	have[n] = '\0';
	return strcmp(want, have) == 0;
}

void pb_dl_accept_head(struct pb_dl *d, struct kern *k, struct pkg *pk,
		       const char *how)
{
	char mark[4096];
	struct pb_err e = {0};

	pk->state = P_OK;
	d->bytes_saved += pk->p->size - pk->head_size;
	if (d->origins &&
	    pb_origins_set_head(d->origins, pk->dest, pk->head, how, &e) < 0) {
		pk->state = P_FAILED;
		pb_msgf(pk->it.error, sizeof(pk->it.error), "%s", e.msg);
		return;
	}
	if (mark_text(d, k, mark, sizeof(mark)) == 0 &&
	    pb_write_file_atomic(pk->ok_mark, mark, strlen(mark), &e) < 0)
		pb_warn("%s (the next run checks its head again)", e.msg);
}

static const char *const *tree_paths(struct pb_dl *d, struct kern *k, size_t *n)
{
	const char **v = pb_calloc(k->n_pk + 1, sizeof(*v), NULL);
	size_t j;

	*n = 0;
	for (j = 0; v && j < k->n_pk; j++)
		if (d->pkgs[k->pk[j]].p->role == PB_PKG_TREE)
			v[(*n)++] = d->pkgs[k->pk[j]].dest;
	return v;
}

/* The head of pk did not do (ret, e say why): twice the bytes, or the
 * whole package, asked before what is queued. */
static int more_of(struct pb_dl *d, const struct kern *k, struct pkg *pk,
		   int ret, const struct pb_err *e, struct pb_err *err)
{
	if (ret == -EAGAIN && pk->head_size * 2 <= HEAD_MAX &&
	    pk->head_size * 2 < pk->p->size)
		return pb_dl_ask(d, pk, pk->head_size * 2, 1, err);
	pb_warn("%s: %s: fetching the whole package", k->kn->release, e->msg);
	unlink(pk->head);
	unlink(pk->ok_mark);
	return pb_dl_ask(d, pk, 0, 1, err);
}

/* What the config check is told of pk's head (no tree yet). */
static struct pb_config_head head_of(const struct pb_dl *d,
				     const struct kern *k, const struct pkg *pk)
{
	struct pb_config_head h = {
		.plugin = d->o->plugin,
		.distro = d->o->distro,
		.release = k->kn->release,
		.arch = k->kn->arch,
		.package = pk->p->name,
		.head = pk->head,
		.head_size = pk->head_size,
		.head_is_whole = pk->head_size >= pk->p->size,
		.workspace = d->o->workspace,
	};

	return h;
}

/* A head just in: whether it reaches past its config, found out before
 * the tree is in, so that more of it comes at once. */
int pb_dl_head_long_enough(struct pb_dl *d, struct kern *k, struct pkg *pk,
			   struct pb_err *err)
{
	struct pb_config_head h = head_of(d, k, pk);
	struct pb_err e = {0};
	int ret = pb_config_head_holds(&h, &e);

	if (ret)
		return more_of(d, k, pk, ret, &e, err);
	pk->head_holds = 1;
	if (pk->head_size > d->head_start)
		d->head_start = pk->head_size;
	return 0;
}

/* Kernel k's tree packages are in: the head of pk is checked against
 * them. Accepted, more bytes asked for, or the whole package. */
int pb_dl_check_head(struct pb_dl *d, struct kern *k, struct pkg *pk,
		     struct pb_err *err)
{
	struct pb_config_head h = head_of(d, k, pk);
	struct pb_err e = {0};
	char how[256];
	int ret;

	h.tree = tree_paths(d, k, &h.n_tree);
	if (!h.tree)
		return pb_err_set(err, -ENOMEM, "out of memory");
	ret = pb_config_head_check(&h, &e);
	free((void *)h.tree);
	if (!ret) {
		snprintf(how, sizeof(how),
			 "the first %lld of %lld bytes; equal to the tree's "
			 ".config by the %s rule",
			 (long long)pk->head_size, (long long)pk->p->size,
			 d->o->plugin->name);
		pb_info("%s: config from the first %lld KB of %s (%lld MB "
			"not fetched)",
			k->kn->release, (long long)(pk->head_size >> 10),
			pk->p->name,
			(long long)((pk->p->size - pk->head_size) >> 20));
		pb_dl_accept_head(d, k, pk, how);
		return 0;
	}
	return more_of(d, k, pk, ret, &e, err);
}

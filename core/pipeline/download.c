/* The download stage, beside the builds: a crawl's packages into verified
 * local files (the workspace's cache), each kernel ready for its build as
 * soon as its own packages are in. A config package (the image, 70-110 MB
 * for one 260 KB file) is read only as far as its config when the plugin
 * has a rule that the verified tree packages decide it by (dl_head.c,
 * confighead.h);
 * a package that holds neither tree nor config (PB_PKG_BOOT) is fetched
 * only for --verify. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawl/crawl.h"
#include "crawl/mirror.h"
#include "pipeline/cache.h"
#include "pipeline/dl_state.h"
#include "pipeline/run.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/str.h"

/* The slot of sha256 in d->slot (open addressing: a kernel's packages are
 * looked up among every package of the run, thousands): where it is, or
 * the empty slot it would go to. */
static size_t pkg_slot(const struct pb_dl *d, const char *sha256)
{
	size_t h = 0, i;

	/* hex digits of a digest: as good a hash as any */
	for (i = 0; i < 16 && sha256[i]; i++)
		h = h * 16 + (size_t)(sha256[i] & 0x1f);
	for (h &= d->n_slot - 1; d->slot[h]; h = (h + 1) & (d->n_slot - 1))
		if (!strcmp(d->pkgs[d->slot[h] - 1].p->sha256, sha256))
			break;
	return h;
}

static void on_done(struct pb_fetch_item *it, void *data)
{
	struct pkg *pk = data;

	(void)it;
	pk->d->dirty = 1;
}

/* The package's paths: cache/<sha[:2]>/<sha>/<name> and, for its head,
 * .../head/<name>; the item that fetches it whole. */
static int pkg_init(struct pb_dl *d, struct pkg *pk,
		    const struct pb_crawl_pkg *p, struct pb_err *err)
{
	char dir[PATH_MAX];
	size_t a;
	int ret;

	if (strchr(p->name, '/') || !strcmp(p->name, "..") ||
	    !strcmp(p->name, "."))
		return pb_err_set(err, -EINVAL, "bad package name '%s'",
				  p->name);
	ret = pb_path_fmt(dir, sizeof(dir), err, "%s/cache/%.2s/%s",
			  d->o->workspace, p->sha256, p->sha256);
	if (!ret)
		ret = pb_path_join(pk->dest, sizeof(pk->dest), err, dir,
				   p->name, NULL);
	if (!ret)
		ret = pb_path_join(pk->head, sizeof(pk->head), err, dir, "head",
				   p->name, NULL);
	if (!ret)
		ret = pb_path_fmt(pk->ok_mark, sizeof(pk->ok_mark), err,
				  "%s.accepted", pk->head);
	if (ret)
		return ret;
	pk->urls =
		pb_calloc(pb_strv_len_const(p->alts) + 2, sizeof(char *), err);
	if (!pk->urls)
		return -ENOMEM;
	pk->urls[0] = p->url;
	for (a = 0; p->alts && p->alts[a]; a++)
		pk->urls[a + 1] = p->alts[a];
	pk->p = p;
	pk->d = d;
	pk->it.urls = pk->urls;
	pk->it.n_urls = a + 1;
	pk->it.on_done = on_done;
	pk->it.data = pk;
	return 0;
}

/* kn's packages in d (each file once), its kernel in b with their whole
 * paths, the URL and SHA-256 of each in origins. */
static int plan_kernel(struct pb_dl *d, const struct pb_crawl_kernel *kn,
		       struct pb_err *err)
{
	struct pb_batch_key key = {sizeof(key), kn->release, kn->arch,
				   kn->version};
	struct kern *k = &d->k[d->n_k++];
	size_t j;
	int ret = 0;

	k->kn = kn;
	pb_batch_set_flavor_key(d->b, &key, kn->flavor);
	if (kn->error) {
		pb_batch_fail_key(d->b, &key, "%s", kn->error);
		return 0;
	}
	k->pk = pb_calloc(kn->n_pkgs + 1, sizeof(*k->pk), err);
	if (!k->pk)
		return -ENOMEM;
	for (j = 0; j < kn->n_pkgs && !ret; j++) {
		const struct pb_crawl_pkg *p = &kn->pkgs[j];
		size_t h = pkg_slot(d, p->sha256);
		struct pkg *pk;

		if (!d->slot[h]) {
			ret = pkg_init(d, &d->pkgs[d->n_pkgs], p, err);
			if (ret)
				return pb_err_prefix(err, "%s", kn->release);
			d->slot[h] = ++d->n_pkgs;
		}
		pk = &d->pkgs[d->slot[h] - 1];
		k->pk[k->n_pk++] = d->slot[h] - 1;
		ret = pb_batch_add_key(d->b, &key, pk->dest, p->role, err);
		if (!ret && d->origins)
			ret = pb_origins_add(d->origins, pk->dest, p->url, err);
		if (!ret && d->origins)
			ret = pb_origins_set_sha256(d->origins, pk->dest,
						    p->sha256, err);
	}
	return ret;
}

int pb_dl_plan(const struct pb_crawl *c, const struct pb_dl_opts *o,
	       struct pb_batch *b, struct pb_origins *origins,
	       struct pb_dl **out, struct pb_err *err)
{
	struct pb_dl *d = pb_calloc(1, sizeof(*d), err);
	size_t i, total = 0;
	int ret = 0;

	*out = d;
	if (!d)
		return -ENOMEM;
	d->o = o;
	d->b = b;
	d->origins = origins;
	d->head_start = HEAD_FIRST;
	for (i = 0; i < c->n_kernels; i++)
		total += c->kernels[i].n_pkgs;
	for (d->n_slot = 16; d->n_slot < 2 * total; d->n_slot *= 2)
		;
	d->pkgs = pb_calloc(total + 1, sizeof(*d->pkgs), err);
	d->slot = d->pkgs ? pb_calloc(d->n_slot, sizeof(*d->slot), err) : NULL;
	d->k = d->slot ? pb_calloc(c->n_kernels + 1, sizeof(*d->k), err) : NULL;
	if (!d->k)
		return -ENOMEM;
	for (i = 0; i < c->n_kernels && !ret; i++)
		ret = plan_kernel(d, &c->kernels[i], err);
	/* the batch is whole: its indexes hold from now on */
	for (i = 0; i < d->n_k && !ret; i++) {
		const struct pb_crawl_kernel *kn = d->k[i].kn;
		struct pb_batch_key key = {sizeof(key), kn->release, kn->arch,
					   kn->version};

		size_t j;

		d->k[i].bi = pb_batch_find_key(b, &key);
		for (j = 0;
		     d->k[i].bi >= 0 && kn->series && kn->series[j] && !ret;
		     j++)
			ret = pb_batch_add_series(b, (size_t)d->k[i].bi,
						  kn->series[j], err);
	}
	d->by_bi = ret ? NULL
		       : pb_calloc(pb_batch_n_releases(b) + 1,
				   sizeof(*d->by_bi), err);
	if (!ret && !d->by_bi)
		return -ENOMEM;
	for (i = 0; !ret && i < pb_batch_n_releases(b); i++)
		d->by_bi[i] = -1;
	for (i = 0; !ret && i < d->n_k; i++)
		if (d->k[i].bi >= 0)
			d->by_bi[d->k[i].bi] = (long)i;
	return ret;
}

static struct kern *kern_of(struct pb_dl *d, size_t bi)
{
	if (bi >= pb_batch_n_releases(d->b) || d->by_bi[bi] < 0)
		return NULL;
	return &d->k[d->by_bi[bi]];
}

int pb_dl_ask(struct pb_dl *d, struct pkg *pk, int64_t head_size, int again,
	      struct pb_err *err)
{
	char dir[PATH_MAX];
	int ret;

	pk->head_size = head_size;
	pk->head_holds = 0;
	pk->it.head = head_size > 0;
	pk->it.dest = head_size > 0 ? pk->head : pk->dest;
	pk->it.size = head_size > 0 ? head_size : pk->p->size;
	pk->it.sha256 = head_size > 0 ? NULL : pk->p->sha256;
	ret = pb_path_fmt(dir, sizeof(dir), err, "%s", pk->it.dest);
	if (ret)
		return ret;
	*strrchr(dir, '/') = '\0';
	ret = pb_mkdir_p(dir, err);
	if (ret)
		return ret;
	if (head_size > 0)
		unlink(pk->head); /* a head is never taken as it is */
	ret = again ? pb_fetcher_add_first(d->o->fetcher, &pk->it, err)
		    : pb_fetcher_add(d->o->fetcher, &pk->it, err);
	if (!ret)
		pk->state = P_FETCHING;
	return ret;
}

/* Queues what kernel k needs that nobody asked for yet: its config
 * package first (a head is small, and whether it is long enough is known
 * as soon as it is in), then its tree. */
static int queue_kernel(struct pb_dl *d, struct kern *k, struct pb_err *err)
{
	size_t j, pass;
	int ret = 0;

	k->queued = 1;
	for (pass = 0; pass < 2; pass++)
		for (j = 0; j < k->n_pk && !ret; j++) {
			struct pkg *pk = &d->pkgs[k->pk[j]];

			if ((pk->p->role == PB_PKG_CONFIG) != (pass == 0))
				continue;
			pk->wanted = 1;
			if (pk->state != P_IDLE)
				continue;
			if (pk->p->role == PB_PKG_BOOT && !d->o->whole_config)
				continue; /* only verify boots it */
			/* used now, fetched or not: the last evicted
			 * (cache.h) */
			pb_cache_touch(d->o->workspace, pk->p->sha256);
			if (!pb_dl_head_allowed(d, pk))
				ret = pb_dl_ask(d, pk, 0, 0, err);
			else if (pb_dl_head_accepted_before(d, k, pk))
				pb_dl_accept_head(d, k, pk,
						  "an earlier run's head");
			else
				ret = pb_dl_ask(d, pk, d->head_start, 0, err);
		}
	return ret;
}

int pb_dl_start(struct pb_dl *d, const size_t *idx, size_t n,
		struct pb_err *err)
{
	size_t i;
	int ret = 0;

	/* in the order the builds start: the first kernel's packages
	 * first */
	for (i = 0; i < n && !ret; i++) {
		struct kern *k = kern_of(d, idx[i]);

		if (k && !k->queued)
			ret = queue_kernel(d, k, err);
	}
	d->dirty = 1;
	return ret;
}

/* A fetch item done: its package's state. */
static void settle_items(struct pb_dl *d)
{
	size_t i;

	for (i = 0; i < d->n_pkgs; i++) {
		struct pkg *pk = &d->pkgs[i];

		if (pk->state != P_FETCHING || pk->it.result == -EINPROGRESS)
			continue;
		if (!pk->it.result) {
			struct pb_err e = {0};

			pk->state = pk->head_size > 0 ? P_HEAD_IN : P_OK;
			/* the manifest names the mirror that served it */
			if (d->origins && pk->it.url_used < pk->it.n_urls &&
			    pb_origins_add(d->origins, pk->dest,
					   pk->it.urls[pk->it.url_used],
					   &e) < 0) {
				pk->state = P_FAILED;
				pb_msgf(pk->it.error, sizeof(pk->it.error),
					"%s", e.msg);
			}
		} else if (pk->head_size > 0 && pk->it.result != -EINTR) {
			struct pb_err e = {0};

			/* a head not served (no Range, a short file): the
			 * whole package, checked, decides */
			pb_warn("%s: its head: %s: fetching the whole package",
				pk->p->name, pk->it.error);
			if (pb_dl_ask(d, pk, 0, 1, &e) < 0) {
				pk->state = P_FAILED;
				pb_msgf(pk->it.error, sizeof(pk->it.error),
					"%s", e.msg);
			}
		} else {
			pk->state = P_FAILED;
		}
	}
}

/* Whether kernel k is settled now; heads whose trees are in get
 * checked. */
static int look_at(struct pb_dl *d, struct kern *k, struct pb_err *err)
{
	struct pb_batch_key key = {sizeof(key), k->kn->release, k->kn->arch,
				   k->kn->version};
	int trees_in = 1, waiting = 0;
	size_t j;
	int ret = 0;

	for (j = 0; j < k->n_pk; j++) {
		const struct pkg *pk = &d->pkgs[k->pk[j]];

		if (pk->state == P_FAILED) {
			pb_batch_fail_key(d->b, &key, "download failed: %s",
					  pk->it.error);
			return 1;
		}
		if (pk->p->role == PB_PKG_TREE && pk->state != P_OK)
			trees_in = 0;
	}
	for (j = 0; j < k->n_pk && !ret; j++) {
		struct pkg *pk = &d->pkgs[k->pk[j]];

		if (pk->state == P_HEAD_IN && !pk->head_holds)
			ret = pb_dl_head_long_enough(d, k, pk, err);
		if (!ret && pk->state == P_HEAD_IN && pk->head_holds &&
		    trees_in)
			ret = pb_dl_check_head(d, k, pk, err);
		if (pk->state == P_FETCHING || pk->state == P_HEAD_IN ||
		    pk->state == P_FAILED)
			waiting = 1;
	}
	return ret < 0 ? ret : !waiting;
}

int pb_dl_pump(struct pb_dl *d, long max_ms, struct pb_err *err)
{
	size_t i;
	int ret, more = 0;

	ret = pb_fetcher_turn(d->o->fetcher, max_ms, err);
	if (ret < 0)
		return ret;
	more = ret;
	if (d->dirty) {
		d->dirty = 0;
		settle_items(d);
		for (i = 0; i < d->n_k; i++) {
			struct kern *k = &d->k[i];

			if (!k->queued || k->ready)
				continue;
			ret = look_at(d, k, err);
			if (ret < 0)
				return ret;
			k->ready = ret;
		}
	}
	for (i = 0; !more && i < d->n_k; i++)
		if (d->k[i].queued && !d->k[i].ready)
			more = 1;
	return more;
}

int pb_dl_ready(struct pb_dl *d, size_t bi)
{
	struct kern *k = kern_of(d, bi);

	/* a kernel without packages here (failed in the crawl): ready */
	return !k || !k->pk || k->ready;
}

int64_t pb_dl_bytes_saved(const struct pb_dl *d)
{
	return d->bytes_saved;
}

const char **pb_dl_in_use(const struct pb_dl *d, size_t *n, struct pb_err *err)
{
	const char **v = pb_calloc(d->n_pkgs + 1, sizeof(*v), err);
	size_t i;

	*n = 0;
	for (i = 0; v && i < d->n_pkgs; i++)
		if (d->pkgs[i].wanted)
			v[(*n)++] = d->pkgs[i].p->sha256;
	return v;
}

void pb_dl_free(struct pb_dl *d)
{
	size_t i;

	if (!d)
		return;
	/* the items are ours: none stays queued in the fetcher */
	pb_fetcher_cancel(d->o->fetcher);
	for (i = 0; i < d->n_pkgs; i++)
		free(d->pkgs[i].urls);
	for (i = 0; i < d->n_k; i++)
		free(d->k[i].pk);
	free(d->pkgs);
	free(d->slot);
	free(d->k);
	free(d->by_bi);
	free(d);
}

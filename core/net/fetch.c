/* The fetcher handle: its queue of items, the run that moves them on, the
 * failures per host it remembers, the progress it tells the front end. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/fetcher.h"
#include "probe-builder/alloc.h"
#include "util/clock.h"
#include "util/path.h"

void pb_url_host(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	snprintf(out, len, "%.*s", (int)n, p);
}

static struct host_stat *host_of(struct pb_fetcher *f, const char *url)
{
	struct host_stat *g;
	char host[256];
	size_t i;

	pb_url_host(url, host, sizeof(host));
	for (i = 0; i < f->n_hosts; i++)
		if (strcmp(f->hosts[i].host, host) == 0)
			return &f->hosts[i];
	/* err NULL: a host without a count is only not failed over */
	g = pb_reallocarray(f->hosts, f->n_hosts + 1, sizeof(*g), NULL);
	if (!g)
		return NULL;
	f->hosts = g;
	memset(&g[f->n_hosts], 0, sizeof(*g));
	snprintf(g[f->n_hosts].host, sizeof(g->host), "%s", host);
	return &g[f->n_hosts++];
}

unsigned fetcher_host_failures(struct pb_fetcher *f, const char *url)
{
	struct host_stat *h = host_of(f, url);

	return h ? h->failures : 0;
}

void fetcher_host_failed(struct pb_fetcher *f, const char *url)
{
	struct host_stat *h = host_of(f, url);

	if (h)
		h->failures++;
}

/* ---------------------------------------------------------- progress */

static void event(struct pb_fetcher *f, enum pb_fetch_event_type type,
		  const struct pb_fetch_progress *p)
{
	struct pb_fetch_event ev = {.type = type, .progress = p};

	if (f->o.on_event)
		f->o.on_event(&ev, f->o.event_data);
}

void pb_fetcher_counts(const struct pb_fetcher *f, struct pb_fetch_progress *p)
{
	size_t i;

	p->files_done = f->files_done;
	p->files_total = f->files_total;
	p->files_failed = f->files_failed;
	p->bytes_done = f->bytes_done;
	p->bytes_total = f->bytes_total;
	for (i = 0; i < f->n; i++)
		if (f->x[i]->state == X_RUNNING)
			p->bytes_done += f->x[i]->dl_now;
}

static void draw(struct pb_fetcher *f)
{
	double t = pb_now_s();
	struct pb_fetch_progress p;

	if (!f->o.progress || f->turns || t - f->last_draw < 0.1)
		return;
	f->last_draw = t;
	pb_fetcher_counts(f, &p);
	event(f, PB_FETCH_EV_PROGRESS, &p);
	f->drawn = 1;
}

void fetcher_undraw(struct pb_fetcher *f)
{
	if (f->drawn)
		event(f, PB_FETCH_EV_CLEAR, NULL);
	f->drawn = 0;
}

/* ---------------------------------------------------------- the handle */

struct pb_fetcher *pb_fetcher_new(const struct pb_fetch_opts *o,
				  struct pb_err *err)
{
	struct pb_fetcher *f;

	if (!o || o->sz < sizeof(*o)) {
		pb_err_set(err, -EINVAL, "fetch options too old");
		return NULL;
	}
	f = pb_calloc(1, sizeof(*f), err);
	if (!f)
		return NULL;
	f->o = *o;
	if (!f->o.concurrency)
		f->o.concurrency = 4;
	if (!o->transport && fetcher_curl_init(f, err) < 0) {
		free(f);
		return NULL;
	}
	return f;
}

static void unfinished(struct pb_fetch_item *it)
{
	it->result = -EINPROGRESS;
	snprintf(it->error, sizeof(it->error), "%s: not fetched", it->dest);
	it->cached = 0;
	it->http_code = 0;
	it->url_used = 0;
}

int pb_fetcher_add(struct pb_fetcher *f, struct pb_fetch_item *it,
		   struct pb_err *err)
{
	struct xfer *x;
	int ret;

	/* nothing looks fetched before it is, whatever happens below */
	unfinished(it);
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct xfer **g = pb_reallocarray(f->x, cap, sizeof(*g), err);

		if (!g)
			return -ENOMEM;
		f->x = g;
		f->cap = cap;
	}
	x = pb_calloc(1, sizeof(*x), err);
	if (!x)
		return -ENOMEM;
	x->dead = pb_calloc(it->n_urls + 1, 1, err);
	ret = x->dead ? 0 : -ENOMEM;
	if (!ret)
		ret = pb_path_fmt(x->part_path, sizeof(x->part_path), err,
				  "%s.part", it->dest);
	if (ret) {
		free(x->dead);
		free(x);
		return ret;
	}
	x->it = it;
	x->state = X_NEW;
	x->reply.body = fetcher_body;
	x->reply.priv = x;
	f->x[f->n++] = x;
	return 0;
}

int pb_fetcher_add_first(struct pb_fetcher *f, struct pb_fetch_item *it,
			 struct pb_err *err)
{
	int ret = pb_fetcher_add(f, it, err);
	struct xfer *x;

	if (ret)
		return ret;
	/* the queue starts in its order: the new one goes to the front */
	x = f->x[f->n - 1];
	memmove(f->x + 1, f->x, (f->n - 1) * sizeof(*f->x));
	f->x[0] = x;
	return 0;
}

static void xfer_free(struct pb_fetcher *f, struct xfer *x);

int pb_fetcher_add_all(struct pb_fetcher *f, struct pb_fetch_item *items,
		       size_t n, struct pb_err *err)
{
	size_t i, before = f->n;
	int ret = 0;

	for (i = 0; i < n; i++)
		unfinished(&items[i]);
	for (i = 0; i < n && !ret; i++)
		ret = pb_fetcher_add(f, &items[i], err);
	/* all or none: the ones just added are the last of the queue */
	while (ret && f->n > before)
		xfer_free(f, f->x[--f->n]);
	return ret;
}

static void xfer_free(struct pb_fetcher *f, struct xfer *x)
{
	if (x->easy)
		fetcher_curl_stop(f, x);
	if (x->part)
		fclose(x->part);
	free(x->dead);
	free(x->redir);
	free(x);
}

/* Every item not done leaves the queue, its result and error set (a
 * result of -EINPROGRESS keeps "not fetched"). */
static void drop_all(struct pb_fetcher *f, int result, const char *what)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		struct pb_fetch_item *it = f->x[i]->it;

		if (f->x[i]->state != X_DONE && result != -EINPROGRESS) {
			it->result = result;
			snprintf(it->error, sizeof(it->error), "%s: %s",
				 it->dest, what);
		}
		xfer_free(f, f->x[i]);
	}
	f->n = 0;
	f->running = 0;
}

void pb_fetcher_cancel(struct pb_fetcher *f)
{
	if (f)
		drop_all(f, -EINTR, "interrupted");
}

void pb_fetcher_free(struct pb_fetcher *f)
{
	if (!f)
		return;
	drop_all(f, -EINPROGRESS, NULL);
	free(f->x);
	free(f->hosts);
	fetcher_curl_free(f);
	free(f);
}

/* ---------------------------------------------------------- the run */

/* A new item joins the run: counted, and done at once when it has no URL
 * or when the file is there already with the right hash (the cache). */
static void admit(struct pb_fetcher *f, struct xfer *x)
{
	struct pb_fetch_item *it = x->it;
	char why[300];

	x->state = X_WAITING;
	f->files_total++;
	if (it->size > 0)
		f->bytes_total += it->size;
	if (it->n_urls == 0) {
		snprintf(it->error, sizeof(it->error),
			 "%s: no URL to fetch it from", it->dest);
		fetcher_item_fail(f, x);
		return;
	}
	if (it->sha256 && access(it->dest, F_OK) == 0) {
		if (fetcher_verify(it, it->dest, f->o.hash_cache, why,
				   sizeof(why)) == 0) {
			fetcher_item_ok(f, x, 1);
			return;
		}
		unlink(it->dest);
	}
}

/* The done items leave the queue (an on_done may have added some). */
static void sweep(struct pb_fetcher *f)
{
	size_t i, o = 0;

	for (i = 0; i < f->n; i++) {
		if (f->x[i]->state == X_DONE)
			xfer_free(f, f->x[i]);
		else
			f->x[o++] = f->x[i];
	}
	f->n = o;
}

/* Starts what may start; returns how long to wait for the next one that
 * waits out a backoff (at most a second). */
static long start_some(struct pb_fetcher *f)
{
	double t = pb_now_s(), next = 0;
	long wait_ms = 1000;
	size_t i;

	/* by index: an on_done may add items, which moves f->x */
	for (i = 0; i < f->n; i++)
		if (f->x[i]->state == X_NEW)
			admit(f, f->x[i]);
	for (i = 0; i < f->n && f->running < f->o.concurrency; i++)
		if (f->x[i]->state == X_WAITING && f->x[i]->not_before <= t)
			fetcher_start(f, f->x[i]);
	for (i = 0; i < f->n; i++)
		if (f->x[i]->state == X_WAITING &&
		    (next == 0 || f->x[i]->not_before < next))
			next = f->x[i]->not_before;
	if (next > t && (next - t) * 1000 < wait_ms)
		wait_ms = (long)((next - t) * 1000) + 1;
	return next > t ? wait_ms : 0;
}

/* One turn, waiting at most max_ms: 0, or a negative errno that ends
 * the run. */
static int step(struct pb_fetcher *f, long max_ms, struct pb_err *err)
{
	long wait_ms;
	int ret;

	if (f->o.stop && *f->o.stop) {
		/* .part files stay: the next run resumes them */
		fetcher_undraw(f);
		drop_all(f, -EINTR, "interrupted");
		return pb_err_set(err, -EINTR, "downloads interrupted");
	}
	wait_ms = start_some(f);
	if (wait_ms > max_ms)
		wait_ms = max_ms;
	if (f->running == 0) {
		draw(f);
		sweep(f);
		if (f->n && wait_ms > 0)
			usleep((useconds_t)wait_ms * 1000);
		return 0;
	}
	ret = fetcher_curl_perform(f, err);
	draw(f);
	if (!ret && f->running > 0)
		ret = fetcher_curl_wait(f, wait_ms ? wait_ms : max_ms, err);
	sweep(f);
	return ret;
}

int pb_fetcher_run(struct pb_fetcher *f, struct pb_err *err)
{
	int ret = 0;

	f->files_total = f->files_done = f->files_failed = 0;
	f->bytes_total = f->bytes_done = 0;
	f->turns = 0;
	if (f->o.progress)
		event(f, PB_FETCH_EV_START, NULL);
	while (f->n && !ret)
		ret = step(f, 1000, err);
	fetcher_undraw(f);
	if (ret) {
		/* what was not done stays unfinished, and goes */
		drop_all(f, ret == -EINTR ? -EINTR : -EINPROGRESS,
			 "interrupted");
		return ret;
	}
	if (f->files_failed)
		return pb_err_set(err, -EIO, "%zu of %zu downloads failed",
				  f->files_failed, f->files_total);
	return 0;
}

int pb_fetcher_turn(struct pb_fetcher *f, long max_wait_ms, struct pb_err *err)
{
	int ret;

	if (!f->turns) {
		f->turns = 1;
		f->files_total = f->files_done = f->files_failed = 0;
		f->bytes_total = f->bytes_done = 0;
	}
	if (!f->n)
		return 0;
	ret = step(f, max_wait_ms > 0 ? max_wait_ms : 1, err);
	if (ret) {
		drop_all(f, ret == -EINTR ? -EINTR : -EINPROGRESS,
			 "interrupted");
		return ret;
	}
	return f->n ? 1 : 0;
}

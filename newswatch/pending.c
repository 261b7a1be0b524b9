/* The pending set (see pending.h): an array kept in arrival order, small
 * (what arrived in the last settle_ms, or what is not readable yet). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "log.h"
#include "pending.h"
#include "probe-builder/alloc.h"
#include "spool.h"
#include "take.h"
#include "util/clock.h"

#define NW_MAX(a, b) ((a) > (b) ? (a) : (b))

void nw_pending_add(void *ctx, const char *path, int complete)
{
	struct nw_daemon *d = ctx;
	struct nw_pending_set *s = &d->pending;
	struct pb_err err = {0};
	struct nw_pending *p;
	char group[512];
	unsigned long number;
	size_t i;

	if (!nw_spool_article(d->cfg.spool, path, group, sizeof(group),
			      &number))
		return;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].path, path)) {
			s->v[i].complete |= complete;
			return;
		}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct nw_pending *g =
			pb_reallocarray(s->v, cap, sizeof(*g), &err);

		if (!g)
			goto oom;
		s->v = g;
		s->cap = cap;
	}
	p = &s->v[s->n];
	memset(p, 0, sizeof(*p));
	p->path = pb_strdup(path, &err);
	if (!p->path)
		goto oom;
	p->seen = p->changed = pb_now_s();
	p->size = -1;
	p->complete = complete;
	s->n++;
	return;
oom:
	nw_log(NW_ERR, "%s: not notified: %s", path, err.msg);
}

void nw_pending_settle(struct nw_daemon *d)
{
	struct nw_pending_set *s = &d->pending;
	double t = pb_now_s(), wait = (double)d->cfg.settle_ms / 1000.0;
	size_t i = 0;

	while (i < s->n) {
		struct nw_pending *p = &s->v[i];
		struct stat st;
		int done = 0, there = stat(p->path, &st) == 0;

		/* The eBPF probe reports a creation as it starts, before the
		 * file is in its directory: a file not there yet is waited
		 * for (settle_ms, at least a second: its creator may be
		 * preempted); one that was there and is not is gone
		 * (cancelled). */
		if (!there) {
			done = p->size >= 0 || t - p->seen >= NW_MAX(wait, 1.0);
		} else if (st.st_size != p->size) {
			p->size = st.st_size;
			p->changed = t;
		}
		if (!done && there && (p->complete || t - p->changed >= wait))
			done = nw_take(d, p->path, p->complete);
		if (!done && t - p->seen > 3600) {
			nw_log(NW_WARN, "%s: unreadable for an hour, dropped",
			       p->path);
			done = 1;
		}
		if (done) {
			/* in order: older articles are taken first */
			free(p->path);
			memmove(&s->v[i], &s->v[i + 1],
				(s->n - i - 1) * sizeof(*s->v));
			s->n--;
			continue;
		}
		i++;
	}
}

int nw_pending_before(const struct nw_daemon *d, const char *group,
		      unsigned long number)
{
	const struct nw_pending_set *s = &d->pending;
	char g[512];
	unsigned long n;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (nw_spool_article(d->cfg.spool, s->v[i].path, g, sizeof(g),
				     &n) &&
		    n < number && !strcmp(g, group))
			return 1;
	return 0;
}

void nw_pending_free(struct nw_pending_set *s)
{
	while (s->n)
		free(s->v[--s->n].path);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The catch-up scan (see catchup.h): nftw over the spool. */
#include "config.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catchup.h"
#include "daemon.h"
#include "log.h"
#include "probe-builder/alloc.h"
#include "spool.h"

struct scan {
	struct nw_daemon *d;
	char **paths;
	size_t n, cap;
	int first; /* no checkpoint yet: only note where the spool is */
	unsigned long n_existing, failed;
	struct pb_err err; /* the last failure */
};

/* nftw passes no context to its callback */
static struct scan *the_scan;

static int scan_one(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	struct scan *s = the_scan;
	char group[512];
	unsigned long number;

	(void)st;
	(void)ftw;
	if (flag != FTW_F || !nw_spool_article(s->d->cfg.spool, path, group,
					       sizeof(group), &number))
		return 0;
	if (s->first) {
		/* not saved yet: only memory can run out */
		if (nw_checkpoint_set(s->d->cp, group, number, &s->err) < 0)
			s->failed++;
		s->n_existing++;
		return 0;
	}
	if (number <= nw_checkpoint_get(s->d->cp, group))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char **g = pb_reallocarray(s->paths, cap, sizeof(*g), &s->err);

		if (!g) {
			s->failed++;
			return 0;
		}
		s->paths = g;
		s->cap = cap;
	}
	s->paths[s->n] = pb_strdup(path, &s->err);
	if (s->paths[s->n])
		s->n++;
	else
		s->failed++;
	return 0;
}

static unsigned long path_number(const char *p)
{
	const char *b = strrchr(p, '/');

	return strtoul(b ? b + 1 : p, NULL, 10);
}

/* in arrival order: by group, then number */
static int by_article(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
	int c = strncmp(x, y, (size_t)((bx - x) < (by - y) ? bx - x : by - y));
	unsigned long nx = path_number(x), ny = path_number(y);

	if (c || (bx - x) != (by - y))
		return c ? c : (int)((bx - x) - (by - y));
	return nx < ny ? -1 : nx > ny;
}

/* The first start: where the spool is, saved */
static void first_start(struct nw_daemon *d, struct scan *s)
{
	if (s->failed)
		nw_log(NW_WARN, "%lu articles not noted in the checkpoint: %s",
		       s->failed, s->err.msg);
	if (nw_checkpoint_save(d->cp, &s->err) < 0)
		nw_log(NW_ERR, "%s", s->err.msg);
	nw_log(NW_INFO,
	       "first start: %lu articles already in %s are not "
	       "notified; new ones will be",
	       s->n_existing, d->cfg.spool);
}

void nw_catch_up(struct nw_daemon *d)
{
	struct scan s = {.d = d};
	size_t i;

	s.first = !nw_checkpoint_exists(d->cp);
	the_scan = &s;
	nftw(d->cfg.spool, scan_one, 32, FTW_PHYS);
	the_scan = NULL;
	if (s.first) {
		first_start(d, &s);
		return;
	}
	if (s.failed)
		nw_log(NW_ERR, "%lu articles not caught up: %s", s.failed,
		       s.err.msg);
	qsort(s.paths, s.n, sizeof(*s.paths), by_article);
	if (s.n)
		nw_log(NW_INFO, "catching up on %zu articles", s.n);
	for (i = 0; i < s.n; i++) {
		nw_pending_add(d, s.paths[i], 0);
		free(s.paths[i]);
	}
	free(s.paths);
}

/* The pending set: files named by events (or the catch-up scan) that are
 * not taken yet, in the order they were named, each taken once complete. */
#ifndef NW_PENDING_H
#define NW_PENDING_H

#include <sys/types.h>

struct nw_daemon;

struct nw_pending {
	char *path;
	double seen;	/* when it was first named */
	double changed; /* when its size last changed */
	off_t size;
	int complete; /* closed by its writer or renamed into place */
};

struct nw_pending_set {
	struct nw_pending *v;
	size_t n, cap;
};

/* An nw_path_cb (ctx: the struct nw_daemon): notes path when it is an
 * article of the spool, or that it is complete now. */
void nw_pending_add(void *ctx, const char *path, int complete);
/* Takes what is complete: closed by its writer, or (links of cross-posts,
 * events without a close) unchanged for settle_ms; drops what is gone,
 * what never appeared (after settle_ms, at least a second) or was
 * unreadable for an hour. */
void nw_pending_settle(struct nw_daemon *d);
/* Whether an article of group numbered below number is still waiting. */
int nw_pending_before(const struct nw_daemon *d, const char *group,
		      unsigned long number);
void nw_pending_free(struct nw_pending_set *s);

#endif

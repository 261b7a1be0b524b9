/* The download stage's state, shared by download.c (plan, queue, pump)
 * and dl_head.c (config packages read as heads): private to
 * core/pipeline/. */
#ifndef PB_PIPELINE_DL_STATE_H
#define PB_PIPELINE_DL_STATE_H

#include <limits.h>
#include <stdint.h>

#include "crawl/crawl.h"
#include "net/fetch.h"
#include "pipeline/run.h"

/* the first head asked of a config package; doubled while too short, up
 * to HEAD_MAX, then the whole package (Debian's config ends within
 * 200 KB: ar header, control.tar, the first members of data.tar) */
#define HEAD_FIRST (256 * 1024)
#define HEAD_MAX (4 * 1024 * 1024)

enum pkg_state {
	P_IDLE, /* not asked for (yet) */
	P_FETCHING,
	P_HEAD_IN, /* its head is here, not checked yet */
	P_OK,	   /* whole and verified, or its head accepted */
	P_FAILED,
};

/* One package file, shared by the kernels that name it. */
struct pkg {
	const struct pb_crawl_pkg *p;
	const char **urls;
	char dest[PATH_MAX];
	char head[PATH_MAX];
	char ok_mark[PATH_MAX]; /* its head was accepted, for these trees */
	struct pb_fetch_item it;
	enum pkg_state state;
	int64_t head_size; /* > 0: the item fetches this head */
	int head_holds;	   /* the head holds its config whole */
	int wanted;	   /* a kernel to build needs it */
	struct pb_dl *d;
};

struct kern {
	const struct pb_crawl_kernel *kn;
	long bi;    /* in the batch */
	size_t *pk; /* its packages, in d->pkgs */
	size_t n_pk;
	int queued; /* its packages are asked for */
	int ready;  /* settled: every package in, or a failure said */
};

struct pb_dl {
	const struct pb_dl_opts *o;
	struct pb_batch *b;
	long *by_bi; /* batch index -> index in k, or -1 */
	struct pb_origins *origins;
	struct pkg *pkgs;
	size_t n_pkgs;
	struct kern *k;
	size_t n_k;
	int dirty; /* an item finished since kernels were last looked at */
	int64_t bytes_saved;
	/* the size a head starts at: the largest one that held its config
	 * so far (one family's kernels put it at about the same place) */
	int64_t head_start;
	size_t *slot; /* index + 1 in pkgs by SHA-256, 0: empty */
	size_t n_slot;
};

/* Asks for pk: its head of head_size bytes, or (0) the whole file; again
 * (a kernel waits on it): before what is queued. */
int pb_dl_ask(struct pb_dl *d, struct pkg *pk, int64_t head_size, int again,
	      struct pb_err *err);

/* dl_head.c: whether pk's config may come from its head; whether an
 * earlier run accepted its head for k's tree packages (then it is taken
 * as accepted); a head just in, long enough or more asked; a head whose
 * tree is in, checked by the plugin's rule (accepted, more bytes, or the
 * whole package). */
int pb_dl_head_allowed(const struct pb_dl *d, const struct pkg *pk);
int pb_dl_head_accepted_before(const struct pb_dl *d, const struct kern *k,
			       const struct pkg *pk);
void pb_dl_accept_head(struct pb_dl *d, struct kern *k, struct pkg *pk,
		       const char *how);
int pb_dl_head_long_enough(struct pb_dl *d, struct kern *k, struct pkg *pk,
			   struct pb_err *err);
int pb_dl_check_head(struct pb_dl *d, struct kern *k, struct pkg *pk,
		     struct pb_err *err);

#endif

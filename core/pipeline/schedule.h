/* The build stage: kernels built o->jobs at a time, each in a worker
 * process of its own. */
#ifndef PB_PIPELINE_SCHEDULE_H
#define PB_PIPELINE_SCHEDULE_H

#include "build/build.h"

/* Where the kernels' packages come from while they build (downloads):
 * a kernel starts once ready() says so, and pump() moves the downloads on
 * between the workers' turns, waiting at most max_ms: 1 while it has more
 * to do, 0 when done, a negative errno (err) when it stopped: kernels not
 * ready then fail with its message. progress() adds its counts to the
 * line. */
struct pb_build_feed {
	int (*ready)(void *data, size_t i);
	int (*pump)(void *data, long max_ms, struct pb_err *err);
	void (*progress)(void *data, struct pb_build_progress *p);
	void *data;
};

/* Builds the releases of the batch whose index is in idx and appends their
 * results to out, in the order of idx; each starts once feed says it is
 * ready (feed NULL: all are), in the order of idx among the ready ones.
 * Interrupted (pb_stop_signal), only the kernels that finished are there.
 * Fails only out of memory. */
int pb_build_all(const struct pb_build_opts *o, const struct pb_batch *b,
		 const size_t *idx, size_t n, const struct pb_build_feed *feed,
		 struct pb_results *out, struct pb_err *err);

#endif

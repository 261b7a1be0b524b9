/* The build stage: kernels built o->jobs at a time, each in a worker
 * process of its own. */
#ifndef PB_PIPELINE_SCHEDULE_H
#define PB_PIPELINE_SCHEDULE_H

#include "build/build.h"

/* Builds the releases of the batch whose index is in idx and appends their
 * results to out, in the order of idx. Interrupted (pb_stop_signal), only
 * the kernels that finished are there. Fails only out of memory. */
int pb_build_all(const struct pb_build_opts *o, const struct pb_batch *b,
		 const size_t *idx, size_t n, struct pb_results *out,
		 struct pb_err *err);

#endif

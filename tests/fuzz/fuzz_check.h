/* Properties every harness checks beyond "no crash": the project's rule
 * that a negative errno comes with a message. */
#ifndef PB_FUZZ_CHECK_H
#define PB_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "probe-builder/error.h"

static inline void pb_fuzz_check_err(int ret, const struct pb_err *err,
				     const char *what)
{
	if (ret < 0 && !err->msg[0]) {
		fprintf(stderr, "%s returned %d with an empty message\n", what,
			ret);
		abort();
	}
}

#endif

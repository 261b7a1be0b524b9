/* Running the tools a build needs (make, compilers). */
#ifndef PB_PROC_H
#define PB_PROC_H

#include <stddef.h>

#include "probe-builder/error.h"

/* Runs argv[0] (looked up in PATH) with argv, in cwd (NULL: ours), its
 * stdout and stderr going to out_fd (-1: /dev/null), stdin from
 * /dev/null. *status gets the exit code, or 128+signal. Returns 0 when the
 * command ran (whatever its exit code), a negative errno when it could not
 * be started. */
int pb_run(const char *const argv[], const char *cwd, int out_fd, int *status,
	   struct pb_err *err);

/* Runs argv and returns its stdout (NUL-terminated, at most len-1 bytes,
 * trailing newlines removed). Non-zero exit is -EIO. */
int pb_run_capture(const char *const argv[], char *out, size_t len,
		   struct pb_err *err);

/* Finds an executable in PATH (or path_env when not NULL); 0 when found. */
int pb_which(const char *name, const char *path_env, char *out, size_t len);

#endif

/* The line of a build log that says why the build failed. */
#ifndef PB_LOGSCAN_H
#define PB_LOGSCAN_H

#include <stddef.h>
#include <sys/types.h>

/* Copies into out the first line of text[0..len) that best explains a
 * failure: a compiler's "error:", else a tool's "not found", "undefined
 * reference", "ERROR:" and the like, else make's own "***" line. Returns 1
 * when a line was found, 0 when none (out is then ""). */
int pb_log_first_error(const char *text, size_t len, char *out, size_t outlen);

/* The same, for the part of the log file at path from byte off on (what
 * one command wrote); reads at most the first 4 MiB of it. */
int pb_log_file_first_error(const char *path, off_t off, char *out,
			    size_t outlen);

#endif

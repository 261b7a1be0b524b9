/* The one progress line on a terminal's stderr: redrawn in place, cut to
 * the terminal's width so that it never wraps. */
#ifndef PB_PROGRESS_H
#define PB_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "build/build.h"
#include "net/fetch.h"

/* Draws fmt as the line: "\r", the text cut to the width, erase to the
 * end of the line. */
void pb_progress_line(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Erases the line (before a log line, at the end). */
void pb_progress_clear(void);
/* The terminal's width (TIOCGWINSZ on stderr), 80 when unknown. */
unsigned pb_progress_width(void);

/* "1.5 MiB" */
void pb_fmt_bytes(char *buf, size_t len, double bytes);

/* A pb_fetch_opts.on_event drawing files, bytes, rate and ETA, and
 * erasing them when told; data is a struct pb_fetch_meter (zeroed before
 * the downloads). */
struct pb_fetch_meter {
	double t0;	/* first call */
	int64_t bytes0; /* bytes already there then (cache, resumed) */
};
void pb_progress_fetch(const struct pb_fetch_event *ev, void *data);

/* A pb_build_opts.on_progress: "m:ss [done/total] building: <releases>",
 * or the line erased when p is NULL. */
void pb_progress_build(const struct pb_build_progress *p, void *data);

#endif

/* The fanotify backend: file creations, renames into place and closes
 * after writing anywhere on the spool's filesystem, reported with the
 * directory and the name (FAN_REPORT_DFID_NAME). */
#ifndef NW_FANWATCH_H
#define NW_FANWATCH_H

#include <stddef.h>

#include "probe-builder/error.h"

/* complete: the writer closed it, or it was renamed into place; else it
 * was just created. overflow: events were lost, rescan. */
typedef void (*nw_path_cb)(void *ctx, const char *path, int complete);

struct nw_fanwatch {
	int fd;
	int mount_fd;
	int overflow;
};

/* 0, or a negative errno with err filled (w's descriptors then -1). */
int nw_fanwatch_open(const char *spool, struct nw_fanwatch *w,
		     struct pb_err *err);
/* Reads what is there (non-blocking) and calls cb for each event. */
int nw_fanwatch_read(struct nw_fanwatch *w, nw_path_cb cb, void *ctx);
void nw_fanwatch_close(struct nw_fanwatch *w);
/* One record of what read() gave (buf, len bytes left; w->mount_fd opens
 * its directory handle): 1 with the path in out, 0 when it names none
 * (overflow noted in w), -1 when the record is not whole; *event_len is
 * its length. Exposed for the tests. */
int nw_fanwatch_event(const char *buf, size_t len, struct nw_fanwatch *w,
		      char *out, size_t outlen, int *complete,
		      size_t *event_len);

#endif

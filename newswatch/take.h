/* Taking one complete article: read, parsed, rendered and queued, once per
 * Message-ID, with the checkpoint moved past it. */
#ifndef NW_TAKE_H
#define NW_TAKE_H

struct nw_daemon;

/* 1 when path was handled (queued, skipped, bad, or gone), 0 when it
 * should be looked at again later (not readable yet, not queued, or, when
 * its writer has not said it is complete, its header block not all there
 * yet). */
int nw_take(struct nw_daemon *d, const char *path, int complete);

#endif

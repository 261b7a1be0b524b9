/* The daemon's state, shared by its parts: main.c sets it up and runs the
 * loop; events and the catch-up scan (catchup.c) name files, which wait in
 * the pending set (pending.c) until complete; take.c turns each article
 * into a queued notification; the deliverer thread (deliver.c) POSTs the
 * queue. Only the queue is shared with that thread (it has its lock). */
#ifndef NW_DAEMON_H
#define NW_DAEMON_H

#include "checkpoint.h"
#include "conf.h"
#include "pending.h"
#include "queue.h"

struct nw_daemon {
	struct nw_config cfg;
	struct nw_queue *q;
	struct nw_checkpoint *cp;
	struct nw_pending_set pending;
	unsigned long n_notified, n_skipped;
};

#endif

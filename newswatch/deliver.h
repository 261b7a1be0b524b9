/* The deliverer: a thread that POSTs the queue in order, one entry at a
 * time, retrying with a doubling pause (up to retry_max) while the
 * receiver is away, until the queue is stopped. */
#ifndef NW_DELIVER_H
#define NW_DELIVER_H

/* The thread's function (arg: the struct nw_daemon). */
void *nw_deliverer(void *arg);

#endif

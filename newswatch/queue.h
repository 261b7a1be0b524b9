/* The durable side of newswatch, in its state directory:
 *   queue/<seq>   notifications not yet delivered (the message-id on the
 *                 first line, "Idempotency-Key: <value>" on the second, the
 *                 body after), written atomically: nothing queued is lost
 *                 across webhook outages or restarts;
 *   sent          the message-ids delivered, one a line, appended and
 *                 fsync'd right after each 2xx, before the entry leaves
 *                 queue/: a crash resends at most the one in flight;
 *   inflight      the seq of the entry being POSTed: after a crash, the log
 *                 names the one entry that may reach the receiver twice.
 * (The checkpoint, beside them, is checkpoint.h's.) */
#ifndef NW_QUEUE_H
#define NW_QUEUE_H

#include <stddef.h>

#include "probe-builder/error.h"

struct nw_queue;

/* 0, or a negative errno with err filled. */
int nw_queue_open(const char *dir, struct nw_queue **out, struct pb_err *err);
void nw_queue_close(struct nw_queue *q);

/* Whether msgid was delivered or is queued. */
int nw_queue_known(struct nw_queue *q, const char *msgid);
/* The Idempotency-Key header value of a notification (malloc'd; NULL when
 * out of memory): a Structured Field string (RFC 8941) holding the
 * Message-ID, one space, the group, e.g. "\"<a@b.example> comp.lang.c\"".
 * Bytes outside 0x20-0x7e and '%' become %XX (upper case hex); '"' and '\\'
 * are escaped with a backslash. The same article in the same group always
 * gets the same key: a receiver drops a repeat by it. */
char *nw_idempotency_key(const char *msgid, const char *group,
			 struct pb_err *err);
/* Queues a notification (durably) with its Idempotency-Key value and wakes
 * the deliverer. */
int nw_queue_put(struct nw_queue *q, const char *msgid, const char *key,
		 const char *body, struct pb_err *err);
/* The oldest notification (malloc'd strings; key is the message-id made
 * into a key for entries queued before keys existed): 1, or 0 once
 * stopped. Waits while the queue is empty. */
int nw_queue_next(struct nw_queue *q, unsigned long long *seq, char **msgid,
		  char **key, char **body);
/* Notes that seq is being POSTed (before its first attempt); 0: none. */
void nw_queue_inflight(struct nw_queue *q, unsigned long long seq);
/* It was delivered (delivered = 1) or refused for good (0): either way it
 * leaves the queue; a refused one is kept in failed/. The message-id is
 * appended to sent and fsync'd first; 0, or a negative errno with err
 * filled when that record could not be written or the entry not moved
 * (it leaves the queue all the same, not to be POSTed again; a later
 * rescan could notify it again). */
int nw_queue_done(struct nw_queue *q, unsigned long long seq, const char *msgid,
		  int delivered, struct pb_err *err);
/* Sleeps up to seconds; 1 when stopped meanwhile. */
int nw_queue_sleep(struct nw_queue *q, double seconds);
void nw_queue_stop(struct nw_queue *q);
size_t nw_queue_pending(struct nw_queue *q);

#endif

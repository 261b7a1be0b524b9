/* The durable side of newswatch, in its state directory:
 *   queue/<seq>   notifications not yet delivered (the message-id on the
 *                 first line, the body after), written atomically: nothing
 *                 queued is lost across webhook outages or restarts;
 *   sent          the message-ids delivered, one a line: no duplicate;
 *   checkpoint    "<group> <number>" of the last article taken per group:
 *                 on start, what arrived while newswatch was down. */
#ifndef NW_QUEUE_H
#define NW_QUEUE_H

#include <stddef.h>

struct nw_queue;

int nw_queue_open(const char *dir, struct nw_queue **out, char *err,
		  size_t errlen);
void nw_queue_close(struct nw_queue *q);

/* Whether msgid was delivered or is queued. */
int nw_queue_known(struct nw_queue *q, const char *msgid);
/* Queues a notification (durably) and wakes the deliverer. */
int nw_queue_put(struct nw_queue *q, const char *msgid, const char *body,
		 char *err, size_t errlen);
/* The oldest notification (malloc'd strings): 1, or 0 once stopped. Waits
 * while the queue is empty. */
int nw_queue_next(struct nw_queue *q, unsigned long long *seq, char **msgid,
		  char **body);
/* It was delivered (delivered = 1) or refused for good (0): either way it
 * leaves the queue; a refused one is kept in failed/. */
int nw_queue_done(struct nw_queue *q, unsigned long long seq,
		  const char *msgid, int delivered);
/* Sleeps up to seconds; 1 when stopped meanwhile. */
int nw_queue_sleep(struct nw_queue *q, double seconds);
void nw_queue_stop(struct nw_queue *q);
size_t nw_queue_pending(struct nw_queue *q);

/* The checkpoint: whether there is one yet, a group's number (0: none),
 * and a new one (kept only when higher; written atomically). */
int nw_checkpoint_exists(struct nw_queue *q);
unsigned long nw_checkpoint_get(struct nw_queue *q, const char *group);
int nw_checkpoint_set(struct nw_queue *q, const char *group,
		      unsigned long number);
/* Writes the checkpoint file even when empty (the first start). */
int nw_checkpoint_save(struct nw_queue *q);

#endif

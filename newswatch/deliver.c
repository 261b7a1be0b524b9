/* The deliverer thread (see deliver.h). It touches the queue (locked) and
 * the configuration (read only), nothing else of the daemon. */
#include "config.h"

#include <stdlib.h>

#include "daemon.h"
#include "deliver.h"
#include "log.h"
#include "webhook.h"

/* One queue entry */
struct entry {
	unsigned long long seq;
	char *id, *key, *body; /* body NULL: the entry could not be read */
};

/* It leaves the queue: delivered, or refused (kept in failed/) */
static void done(struct nw_daemon *d, const struct entry *e, int delivered,
		 const char *why)
{
	struct pb_err err = {0};
	int ret = nw_queue_done(d->q, e->seq, e->id, delivered, &err);

	if (delivered && ret < 0)
		nw_log(NW_ERR, "%s delivered, but recording it failed: %s",
		       e->id, err.msg);
	else if (delivered)
		nw_log(NW_INFO, "%s delivered", e->id);
	else
		nw_log(NW_ERR, "%s: %s; kept in failed/%s%s", e->id, why,
		       ret < 0 ? ": " : "", ret < 0 ? err.msg : "");
}

/* POSTs e until it is delivered or refused, or the queue is stopped */
static void deliver(struct nw_daemon *d, struct nw_webhook *web,
		    const struct entry *e)
{
	double pause = 1;
	char why[512];
	enum nw_post_result r;

	nw_queue_inflight(d->q, e->seq);
	for (;;) {
		r = nw_webhook_post(web, d->cfg.webhook, e->key, e->body,
				    d->cfg.timeout_s, why, sizeof(why));
		if (r == NW_POST_OK || r == NW_POST_REFUSED) {
			done(d, e, r == NW_POST_OK, why);
			return;
		}
		nw_log(NW_WARN, "%s: %s; retrying in %.0fs (%zu queued)", e->id,
		       why, pause, nw_queue_pending(d->q));
		if (nw_queue_sleep(d->q, pause)) {
			/* stopped after a failed attempt: the receiver has
			 * not got it */
			nw_queue_inflight(d->q, 0);
			return;
		}
		pause *= 2;
		if (pause > (double)d->cfg.retry_max_s)
			pause = (double)d->cfg.retry_max_s;
	}
}

void *nw_deliverer(void *arg)
{
	struct nw_daemon *d = arg;
	struct nw_webhook *web = nw_webhook_new();
	struct entry e;
	struct pb_err err = {0};

	while (nw_queue_next(d->q, &e.seq, &e.id, &e.key, &e.body)) {
		if (e.body) {
			deliver(d, web, &e);
		} else {
			nw_log(NW_ERR,
			       "queue entry %llu unreadable, kept in failed/",
			       e.seq);
			if (nw_queue_done(d->q, e.seq, NULL, 0, &err) < 0)
				nw_log(NW_ERR, "%s", err.msg);
		}
		free(e.id);
		free(e.key);
		free(e.body);
	}
	nw_webhook_free(web);
	return NULL;
}

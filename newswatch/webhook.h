/* Delivering one notification: a POST of a JSON body. */
#ifndef NW_WEBHOOK_H
#define NW_WEBHOOK_H

#include <stddef.h>

enum nw_post_result {
	NW_POST_OK = 0,	     /* 2xx */
	NW_POST_RETRY = 1,   /* worth another try later: 5xx, 408, 429,
				connection, timeout */
	NW_POST_REFUSED = 2, /* the receiver refuses this body for good */
};

/* One handle per deliverer: its connection is kept for the next POST. */
struct nw_webhook;

/* NULL when curl cannot start one (a POST with NULL is then retried). */
struct nw_webhook *nw_webhook_new(void);
void nw_webhook_free(struct nw_webhook *h);
/* POSTs body with "Idempotency-Key: <key>" (key: nw_idempotency_key's
 * value; NULL: no such header); why (len bytes) says why it was not OK.
 * The outcome is a class, not an error: see enum nw_post_result. */
enum nw_post_result nw_webhook_post(struct nw_webhook *h, const char *url,
				    const char *key, const char *body,
				    long timeout_s, char *why, size_t len);

#endif

/* The fetcher: a download handle, in the manner of libalpm's handle and
 * librepo's targets. It owns one libcurl multi handle (N transfers at once)
 * and a table of failures per host that lasts as long as it does: every
 * crawl phase and the package download share one, so a host that failed
 * in one phase is tried after the others in the next. Items can be added
 * while it runs (from an item's on_done); each completion is told as it
 * happens. Transient failures are retried with backoff, .part files
 * resumed with Range, another mirror that holds the same file is tried
 * when one cannot serve it, and size and SHA-256 are checked before a file
 * is renamed into place. The fetcher draws nothing: progress goes to the
 * front end as events. */
#ifndef PB_FETCH_H
#define PB_FETCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "probe-builder/error.h"

struct pb_hashcache;

/* libcurl's global state, once in main() before any thread: its
 * initialisation is not thread-safe. 0 or -EIO (err says why). */
int pb_fetch_global_init(struct pb_err *err);

/* Where a run's downloads are, for a front end that draws progress. */
struct pb_fetch_progress {
	size_t files_done, files_total, files_failed;
	int64_t bytes_done, bytes_total; /* bytes_total: the known sizes */
};

enum pb_fetch_event_type {
	PB_FETCH_EV_START,    /* a run begins: its counts start from 0 */
	PB_FETCH_EV_PROGRESS, /* progress: a few times a second */
	PB_FETCH_EV_CLEAR,    /* a log line follows, or the run ends: erase
				 what PROGRESS drew */
};

struct pb_fetch_event {
	enum pb_fetch_event_type type;
	const struct pb_fetch_progress *progress; /* PROGRESS */
};

/* The transport seam: how a request goes out. NULL in the options: libcurl
 * (the multi handle). A test gives its own, which answers at once without
 * sockets, so that retries, failover, host failures, resume and the size
 * and hash checks are tried on answers it makes up. */
struct pb_fetch_request {
	const char *url;
	int64_t resume_from; /* > 0: the bytes from there on (Range) */
	int64_t range_end;   /* > 0: up to this byte only (a head) */
};

struct pb_fetch_reply {
	/* the transport sets status before it hands over body bytes */
	long status;
	/* and the Location of a 3xx (read before the transport returns) */
	const char *location;
	/* hands over body bytes; returns len, or less to stop the transfer
	 * (the fetcher knows why: the transport then just says it stopped) */
	size_t (*body)(struct pb_fetch_reply *r, const void *buf, size_t len);
	void *priv; /* the fetcher's */
};

/* How a request ended, below HTTP. */
enum pb_transport_result {
	PB_TRANSPORT_OK,	/* an answer came, whatever its status */
	PB_TRANSPORT_TRANSIENT, /* a timeout, a reset, a refused connection */
	PB_TRANSPORT_PERMANENT, /* a bad URL, TLS or certificate errors, the
				   same request would meet again */
};

typedef enum pb_transport_result (*pb_fetch_transport_fn)(
	const struct pb_fetch_request *rq, struct pb_fetch_reply *rp, char *why,
	size_t why_len, void *data);

struct pb_fetch_opts {
	size_t sz;
	unsigned concurrency;	/* transfers at once (-d); 0: 4 */
	unsigned retries;	/* attempts after the first (-r) */
	long connect_timeout_s; /* 0: 15 */
	long low_speed_time_s;	/* abort a transfer slower than */
	long low_speed_limit;	/* low_speed_limit bytes/s for that long */
	double backoff_s;	/* first retry delay, doubled each time */
	int progress;		/* PROGRESS events (a terminal) */
	int quiet;		/* no log line per file */
	/* redirects are followed on http(s) only, at most max_redirects
	 * (0: 5) times, and only to the host of the URL asked unless
	 * allow_redirect_host */
	unsigned max_redirects;
	int allow_redirect_host;
	/* set (to a signal number) to stop: transfers are cut, .part files
	 * kept for the next run, and pb_fetcher_run returns -EINTR */
	const volatile sig_atomic_t *stop;
	/* the front end: progress and when to erase it */
	void (*on_event)(const struct pb_fetch_event *ev, void *data);
	void *event_data;
	/* NULL: libcurl */
	pb_fetch_transport_fn transport;
	void *transport_data;
	/* a dest already there is checked through it, and a file fetched
	 * and checked is remembered in it (NULL: every dest there is
	 * hashed); it must last as long as the fetcher */
	struct pb_hashcache *hash_cache;
};

#define PB_FETCH_OPTS_INIT                                                     \
	{                                                                      \
		.sz = sizeof(struct pb_fetch_opts), .concurrency = 4,          \
		.retries = 3, .connect_timeout_s = 15, .low_speed_time_s = 30, \
		.low_speed_limit = 1024, .backoff_s = 0.5                      \
	}

struct pb_fetch_item {
	/* in */
	const char *const *urls; /* the same file on several mirrors */
	size_t n_urls;
	const char *dest;   /* the final path; dest.part while it comes */
	int64_t size;	    /* expected size, -1: unknown */
	const char *sha256; /* expected, NULL: unknown */
	int quiet_404;	    /* not being there is an answer: no error line */
	/* with size -1: more bytes than this stop the transfer (an endless
	 * or oversized body); 0: no cap */
	int64_t max_size;
	/* what gave size and sha256 ("the signed Release"): other bytes are
	 * reported as not matching it (a stale mirror), not as a fault of the
	 * transfer; NULL: "the index" */
	const char *signed_by;
	/* only the first `size` bytes of the file (size > 0): asked with a
	 * Range, an answer of the whole file cut there; no SHA-256 checks
	 * them (the caller checks what it reads), never taken from dest as
	 * it is (no hash to say it is right) */
	int head;
	/* called as soon as the item is done (result says how), during
	 * pb_fetcher_run; it may add items to the same fetcher. NULL: none */
	void (*on_done)(struct pb_fetch_item *it, void *data);
	void *data;
	/* out: pb_fetcher_add marks it unfinished (-EINPROGRESS, "not
	 * fetched"), and it stays so unless a run finishes it */
	int result; /* 0 or a negative errno */
	char error[600];
	size_t url_used; /* index in urls of the mirror that served it */
	long http_code;	 /* of the last answer (404: not there) */
	int cached;	 /* dest was already there and right: no transfer */
};

struct pb_fetcher;

/* A fetcher with a copy of o; NULL (err says why) when it cannot be had. */
struct pb_fetcher *pb_fetcher_new(const struct pb_fetch_opts *o,
				  struct pb_err *err);
/* Queues it (which must live until it is done or the fetcher is freed). A
 * dest already there with the expected SHA-256 is kept without a transfer,
 * when the run comes to it. 0, or -ENOMEM or -ENAMETOOLONG (its .part
 * path) with err filled; it is unfinished. */
int pb_fetcher_add(struct pb_fetcher *f, struct pb_fetch_item *it,
		   struct pb_err *err);
/* The same, but started before every item still waiting in the queue: a
 * caller waits on it (more of a file it already read the start of). Not
 * from an on_done. */
int pb_fetcher_add_first(struct pb_fetcher *f, struct pb_fetch_item *it,
			 struct pb_err *err);
/* The same for n items, all marked unfinished first; on an error none of
 * them stays queued. */
int pb_fetcher_add_all(struct pb_fetcher *f, struct pb_fetch_item *items,
		       size_t n, struct pb_err *err);
/* Runs until every item added is done, those added meanwhile too. Returns
 * 0 when every item done in this run is in place, -EIO when one is not
 * (each item says why), -EINTR when stopped (every item not done then says
 * "interrupted"), another negative errno when the downloader itself failed
 * (then err says why and the items not done stay unfinished and leave the
 * queue). A transient failure (a reset, a 5xx, a timeout) is retried with
 * backoff; a permanent one (404, 403, 410, TLS or certificate errors, a
 * bad URL, a redirect refused, bytes that do not match the index) goes to
 * the next mirror of the item at once, never again to the same. */
int pb_fetcher_run(struct pb_fetcher *f, struct pb_err *err);
/* For a caller with a loop of its own (downloads beside builds): one
 * turn of a run, waiting at most max_wait_ms for transfers, drawing
 * nothing (the caller draws, from pb_fetcher_counts). 1 while items are
 * queued, 0 once every one is done, or a negative errno as
 * pb_fetcher_run's (-EINTR when stopped; then the items not done leave
 * the queue, "interrupted"). on_done is called as items finish. */
int pb_fetcher_turn(struct pb_fetcher *f, long max_wait_ms, struct pb_err *err);
/* The counts of the run (files, bytes, with the transfers' bytes so
 * far), as a PROGRESS event has them. */
void pb_fetcher_counts(const struct pb_fetcher *f, struct pb_fetch_progress *p);

/* Cuts what runs (the .part files stay) and empties the queue: each item
 * not done says "interrupted" (-EINTR). For a caller whose items go away
 * before the fetcher does. */
void pb_fetcher_cancel(struct pb_fetcher *f);

/* Cuts what runs (the .part files stay) and frees it. */
void pb_fetcher_free(struct pb_fetcher *f);

/* The host part of a URL ("127.0.0.1:8080"), for messages and counts. */
void pb_url_host(const char *url, char *out, size_t len);

#endif
